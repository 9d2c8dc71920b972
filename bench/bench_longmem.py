"""Retrieval on long conversations: recall@5/10/25 of dotline's search beside BM25, dense
retrieval and their fusion, per kind of question, on the same stored turns in the same run.

The corpus (local/dotline_local/longmem_corpus.py, generated with a fixed seed) is multi-session
chats between two named people over months: small talk and news, the news often in the turn
right after the other speaker's question, both speakers telling news on the same topics,
relative times ("last Saturday") said against the session's date, facts replaced later, and
questions worded apart from their evidence. Four kinds of question, each with its evidence
turns: single, multi_hop (evidence in two or more sessions), temporal, open (a trait shown over
several turns). Every turn is stored as a memory of the conversation's first speaker the way
`POST /v1/memories` stores it (local/dotline_local/longmem_load.py says how, and what the API
cannot carry yet); every question is asked of that person's memories.

- dotline: `dotline.services.search.search.search` with limit 25, what `GET /v1/search?limit=25` runs;
- bm25: Okapi BM25 proper (bm25s, k1 1.2, b 0.75) over the same texts the search indexes;
- dense: the embedder search uses through the vector index alone. The whole bench runs with the
  embedded default (WordLlama), then again with the production endpoint when EMBEDDINGS_URL names
  one (a section each; without it, the bench says it skipped the production figures);
- rrf: reciprocal rank fusion (k 60) of the top 100 of bm25 and of dense.
Recall@k is the share of a question's evidence turns in its top k, averaged over questions,
the same for every method (local/dotline_local/retrieval_baselines.py).

Two splits, from different seeds and with no person in common: ranking is tuned only on
`--split tune`; figures are reported on `--split report` (the default). Below the table: which
misses dominate (the asking turn found instead of the answer; the other speaker's turns above
the person asked about) and, with --show-misses, cases to read.

Run with `uv run python bench/bench_longmem.py [--quick]` against a migrated database (`make up`
or `dotline up --for-tests`). Everything stored is removed at the end. `--local-rerank` puts the
local engine's reranker in dotline's search (search uses a reranker only with LLM_URL set), to
measure whether it would help.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time
from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

import psycopg

from dotline.adapters.local_language_model import LocalLanguageModel
from dotline.bootstrap import Deps, SearchStores
from dotline.models.search import SearchFilters
from dotline.services.mirroring.entities import entity_text
from dotline.services.search import search
from dotline.settings import Settings, get_settings
from dotline_local.longmem_corpus import CONVERSATIONS, SPLITS, Corpus, build_corpus
from dotline_local.longmem_load import Stored, memory_body, remove, store
from dotline_local.longmem_report import Rankings, print_misses, print_table
from dotline_local.retrieval_baselines import Bm25, rrf

LIMIT = 25  # what GET /v1/search?limit=25 returns
FUSION_DEPTH = 100  # of each list the fusion reads
QUICK_CONVERSATIONS = 2
METHODS = ("dotline", "bm25", "dense", "rrf")

R = TypeVar("R")


def rank_all(
    deps: Deps, stores: SearchStores, corpus: Corpus, stored: Stored
) -> tuple[Rankings, dict[str, float]]:
    """Every method's top LIMIT turn ids for every question, and each method's seconds."""
    turn_of = stored.turn_ids()
    rankings: Rankings = {method: {} for method in METHODS}
    seconds = dict.fromkeys(METHODS, 0.0)
    for conversation in corpus.conversations:
        user = stored.users[conversation.conversation_id]
        texts = [
            entity_text("memories", memory_body(conversation, turn).model_dump())[0]
            for turn in conversation.turns
        ]
        bm25 = Bm25([turn.turn_id for turn in conversation.turns], texts)
        asked = [q for q in corpus.questions if q.conversation_id == conversation.conversation_id]
        for question in asked:
            q = question.text
            found = _timed(seconds, "dotline", lambda: search.search(
                stores, user, q, SearchFilters(), limit=LIMIT,  # noqa: B023
            ))  # fmt: skip
            dotline = [turn_of[h.entity_id] for h in found.items if h.entity_id in turn_of]
            lexical = _timed(seconds, "bm25", lambda: bm25.top(q, FUSION_DEPTH))  # noqa: B023
            dense = _timed(seconds, "dense", lambda: _dense(deps, user.user_id, q, turn_of))  # noqa: B023
            fused = _timed(seconds, "rrf", lambda: rrf([lexical, dense]))  # noqa: B023
            for method, ranked in zip(METHODS, (dotline, lexical, dense, fused), strict=True):
                rankings[method][question.question_id] = ranked[:LIMIT]
    seconds["rrf"] += seconds["bm25"] + seconds["dense"]
    return rankings, seconds


def _dense(deps: Deps, user_id: UUID, q: str, turn_of: dict[UUID, str]) -> list[str]:
    hits = deps.vectors.search(user_id, deps.embedder.embed([q])[0], limit=FUSION_DEPTH)
    return [turn_of[h.source_entity_id] for h in hits if h.source_entity_id in turn_of]


def _timed(seconds: dict[str, float], method: str, call: Callable[[], R]) -> R:
    started = time.perf_counter()
    try:
        return call()
    finally:
        seconds[method] += time.perf_counter() - started


def _embedders(settings: Settings) -> list[tuple[str, Settings]]:
    """The embedded default always; the production endpoint too when EMBEDDINGS_URL names one."""
    embedded = settings.model_copy(update={"embeddings_url": None})
    if not settings.embeddings_url:
        return [("embedded", embedded)]
    return [("embedded", embedded), ("production", settings)]


def run(
    settings: Settings, corpus: Corpus, split: str, show_misses: int, local_rerank: bool
) -> None:
    """Store the corpus, rank every question by every method, print the tables, remove it."""
    started = time.perf_counter()
    deps = Deps(settings=settings)
    conn = psycopg.connect(settings.database_url.get_secret_value(), autocommit=True)
    stored = Stored({}, {})
    try:
        stored = store(conn, deps, corpus)
        print(f"stored {len(stored.memory_ids)} turns of {len(corpus.conversations)} conversations "
              f"({split} split) through the memory service in {time.perf_counter() - started:.1f} s; "
              f"embedder {deps.embedder.model_version}")  # fmt: skip
        stores = deps.search_stores()
        if local_rerank:
            stores = dataclasses.replace(stores, reranker=LocalLanguageModel())
        rankings, seconds = rank_all(deps, stores, corpus, stored)
        per_query = {m: 1000 * s / len(corpus.questions) for m, s in seconds.items()}
        print("ms a question: " + ", ".join(f"{m} {ms:.1f}" for m, ms in per_query.items()))
        print_table(corpus, rankings)
        print_misses(corpus, rankings, show=show_misses)
    finally:
        remove(conn, deps, stored)
        conn.close()
        deps.db.close()


def main() -> None:
    logging.getLogger("dotline").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=sorted(SPLITS), default="report")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CONVERSATIONS} conversations")
    parser.add_argument("--conversations", type=int, default=CONVERSATIONS)
    parser.add_argument("--show-misses", type=int, default=0, metavar="N",
                        help="print N of dotline's misses at 10, to read")  # fmt: skip
    parser.add_argument("--local-rerank", action="store_true",
                        help="rerank dotline's head with the local engine")  # fmt: skip
    args = parser.parse_args()
    started = time.perf_counter()
    conversations = QUICK_CONVERSATIONS if args.quick else args.conversations
    corpus = build_corpus(args.split, conversations)
    settings = get_settings()
    if not settings.embeddings_url:
        print("production embeddings: skipped (EMBEDDINGS_URL is not set); embedded default only\n")
    for label, chosen in _embedders(settings):
        print(f"== {label} embeddings ==")
        run(chosen, corpus, args.split, args.show_misses, args.local_rerank)
    print(f"\nrun took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
