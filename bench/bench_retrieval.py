"""Retrieval quality: recall@5 and @10 of hybrid search against plain BM25 (Postgres full text
alone) and plain vector search, on the same generated corpus in the same run.

The corpus (local/dotline_local/search_corpus.py, seeded) is one person's 1,200 memories of
things done with 100 made-up people at 60 made-up places, plus filler diary lines, the people as
concepts, each memory linked to its person in the graph (INVOLVES), and 330 questions with one
known evidence memory each: 110 paraphrased (no shared stems: vector-friendly), 110 by name and
place (keyword-friendly), 110 needing a graph hop (the person's name, the object in other words;
the memory names the person only by relation). Each method answers every question; a question
counts as recalled at k when its evidence memory is among the top k hits of any type.

- hybrid: dotline.services.search.search.search, exactly what GET /v1/search runs (no gateway: this
  measures ranking, bench_search.py measures latency);
- BM25: api.search_candidates' full-text candidates alone, by text_rank;
- vector: the query's embedding against the vector index alone (no similarity floor).

Run with `uv run python bench/bench_retrieval.py` against a migrated database (`make up`).
Everything stored is removed at the end.
"""

from __future__ import annotations

import argparse
import logging
import time
import uuid
from collections.abc import Callable
from uuid import UUID

import psycopg

from dotline.auth import Principal
from dotline.bootstrap import Deps
from dotline.models.search import SearchFilters
from dotline.services.search import search
from dotline.settings import get_settings
from dotline_local.search_corpus import KINDS, build_corpus
from dotline_local.search_corpus_load import load, unload
from dotline_local.tokens import sign_up

TOP_K = (5, 10)
BM25 = """
select entity_id from api.search_candidates(%(q)s, '{memory,concept,artifact}')
order by text_rank desc, entity_id limit %(k)s
"""

Method = Callable[[str], list[UUID]]


def methods(deps: Deps, user: Principal) -> dict[str, Method]:
    """Each method: question -> the ids of its top 10 hits, best first."""
    k = max(TOP_K)

    def hybrid(q: str) -> list[UUID]:
        found = search.search(
            deps.search_stores(), user, q, SearchFilters(), limit=k,
        )  # fmt: skip
        return [hit.entity_id for hit in found.items]

    def bm25(q: str) -> list[UUID]:
        with deps.db.as_user(user) as tx:
            return [row["entity_id"] for row in tx.execute(BM25, {"q": q, "k": k})]

    def vector(q: str) -> list[UUID]:
        hits = deps.vectors.search(user.user_id, deps.embedder.embed([q])[0], limit=k)
        return [hit.source_entity_id for hit in hits]

    return {"hybrid": hybrid, "bm25": bm25, "vector": vector}


def main() -> None:
    logging.getLogger("dotline").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--memories", type=int, default=1200)
    parser.add_argument("--per-kind", type=int, default=110)
    args = parser.parse_args()
    settings = get_settings()
    deps = Deps(settings=settings)
    corpus = build_corpus(args.seed, memories=args.memories, per_kind=args.per_kind)
    conn = psycopg.connect(settings.database_url.get_secret_value(), autocommit=True)
    user_id = sign_up(conn, f"bench-retrieval-{uuid.uuid4().hex[:8]}@example.com")
    started = time.perf_counter()
    loaded = load(conn, deps, user_id, corpus)
    print(
        f"loaded {len(corpus.memories)} memories, {len(corpus.people)} people, "
        f"{len(corpus.questions)} questions in {time.perf_counter() - started:.1f} s"
    )
    user = Principal(user_id, {"sub": str(user_id), "role": "authenticated"})
    try:
        recalled = {name: {kind: [0, 0] for kind in KINDS} for name in ("hybrid", "bm25", "vector")}
        for name, method in methods(deps, user).items():
            for question in corpus.questions:
                top = method(question.text)
                evidence = loaded.memory_ids[question.evidence]
                for i, k in enumerate(TOP_K):
                    recalled[name][question.kind][i] += evidence in top[:k]
        report(recalled, {kind: sum(q.kind == kind for q in corpus.questions) for kind in KINDS})
    finally:
        unload(conn, deps, loaded)
        conn.close()
        deps.db.close()


def report(recalled: dict[str, dict[str, list[int]]], counts: dict[str, int]) -> None:
    total = sum(counts.values())
    print(f"\n{'':8s} {'recall@5':>9s} {'recall@10':>10s}   " + "   ".join(
        f"{kind}@5/@10 (n={n})" for kind, n in counts.items()))  # fmt: skip
    overall: dict[str, tuple[float, float]] = {}
    for name, kinds in recalled.items():
        at5 = sum(v[0] for v in kinds.values()) / total
        at10 = sum(v[1] for v in kinds.values()) / total
        overall[name] = (at5, at10)
        per_kind = "   ".join(
            f"{kinds[kind][0] / n:11.2f}/{kinds[kind][1] / n:.2f}{'':>10s}"
            for kind, n in counts.items()
        )
        print(f"{name:8s} {at5:9.3f} {at10:10.3f}   {per_kind}")
    hybrid = overall["hybrid"]
    for baseline in ("bm25", "vector"):
        base = overall[baseline]
        ratios = [h / b if b else float("inf") for h, b in zip(hybrid, base, strict=True)]
        print(f"hybrid / {baseline}: recall@5 {ratios[0]:.2f}x, recall@10 {ratios[1]:.2f}x")
    beats = all(hybrid[i] > overall[b][i] for b in ("bm25", "vector") for i in range(2))
    print(f"hybrid beats both at 5 and 10: {'YES' if beats else 'NO'}")


if __name__ == "__main__":
    main()
