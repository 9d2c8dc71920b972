"""What the query's time and the rerank stage cost a search, without the stores: the local
engine's reranker over the head of a ranking (RERANK_K turns, each with the turn after it), the
whole stage around it (the thread it runs in, the reordering), and the query's time window with
the weights of the top memories, beside the fusion of a hundred candidates (`ranking.fuse`,
a step every search takes) as the baseline of the same run.

Turns and questions come from the long-conversation corpus (local/dotline_local/longmem_corpus.py,
tune split). Run with `uv run python bench/bench_rerank_cost.py [--rounds N]`; no database needed.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from dotline.adapters.local_language_model import LocalLanguageModel
from dotline.ports.language_model import RerankPassage
from dotline.services.search import _ranking as ranking
from dotline.services.search import _when as when
from dotline.services.search._graph import Candidate, Key
from dotline.services.search._rerank import RERANK_K, reranked
from dotline_local.longmem_corpus import build_corpus

CONTEXT_MEMORIES = 60  # the top memories and the turns after them, whose time is weighed
FUSED = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    corpus = build_corpus("tune", 1)
    turns = [f"{t.speaker}: {t.text}" for t in corpus.conversations[0].turns]
    questions = [q.text for q in corpus.questions]
    rng = random.Random(7)
    engine = LocalLanguageModel()
    now = datetime.now(UTC)

    def head() -> tuple[dict[Key, Candidate], list[tuple[float, Candidate]], list[RerankPassage]]:
        texts = rng.sample(turns, RERANK_K + 1)
        pool: dict[Key, Candidate] = {}
        for text in texts:
            key = ("memory", uuid.uuid4())
            pool[key] = Candidate(row={"entity_type": "memory", "entity_id": key[1], "body": text})
        keys = list(pool)
        for hit, after in itertools.pairwise(keys):
            pool[after].follows = hit
        scored = [(1.0 - i / 100, pool[k]) for i, k in enumerate(keys[:-1])]
        passages = [RerankPassage(text=t, follower=n) for t, n in itertools.pairwise(texts)]
        return pool, scored, passages

    heads = itertools.cycle([(head(), rng.choice(questions)) for _ in range(50)])

    def local_rerank() -> None:
        (_pool, _scored, passages), question = next(heads)
        engine.rerank(question, passages)

    def whole_stage() -> None:
        (pool, scored, _passages), question = next(heads)
        reranked(engine, question, scored, pool, [])

    def query_time() -> None:
        query = rng.choice(questions) + rng.choice(["", " last summer", " in May 2024"])
        window, asks = when.query_window(query, now.date()), when.asks_when(query)
        for text in rng.sample(turns, CONTEXT_MEMORIES):
            when.time_weight(window, asks, now, text)

    keys = [("memory", uuid.uuid4()) for _ in range(FUSED)]
    channel = [(k, rng.random(), rng.random()) for k in keys]

    def baseline_fuse() -> None:
        ranking.fuse({"text": channel[:50], "vector": channel[25:75]})

    base = _ms(baseline_fuse, args.rounds)
    print(f"ms a search (median of {args.rounds}; head of {RERANK_K} turns)")
    print(f"  baseline: fuse {FUSED} candidates       {base:.3f}")
    for name, step in (("local engine's rerank", local_rerank), ("rerank stage (thread, order)", whole_stage),
                       ("query's time, 60 memories", query_time)):  # fmt: skip
        cost = _ms(step, args.rounds)
        print(f"  {name:<32} {cost:.3f}  ({cost / base:.1f}x the baseline)")


def _ms(step: Callable[[], None], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        step()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    main()
