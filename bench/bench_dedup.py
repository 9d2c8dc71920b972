"""What merging repeated statements costs ingestion, beside ingestion without it, on the embedded default.

Each round makes two people with the same corpus of --corpus earlier memories (each with its
source, as ingestion leaves them) and ingests, for each, the same --turns-turn conversation
(templates of bench_ingestion.py), then a second conversation repeating the first turn for turn:
  dedup    the ingestion service as it is: every statement placed by `private.place_statement`
           (a per-person lock, one index probe of the statement's key), a repeat merged into
           the memory already saying it;
  plain    the same service with the statement step swapped for the write it replaced (one
           executemany insert of the memories, no sources, no lookup), so repeats are copies.
Rounds alternate which person goes first; the first round warms up and is not counted. Prints
medians per conversation and the ratio dedup / plain, with the corpus empty and with --corpus
memories (a cost independent of the corpus keeps the same ratio), and the memories each way left.

Run with `uv run python bench/bench_dedup.py` with the stack up (`make up`).
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg

from bench_ingestion import conversation_turns, store_conversation
from dotline.bootstrap import Deps
from dotline.db import Transaction
from dotline.growth_rules import packaged_config
from dotline.services.ingestion import writes
from dotline.services.ingestion.ingestion import IngestionStores, ingest_conversations
from dotline.settings import get_settings
from dotline_local.bench_support import remove_people
from dotline_local.tokens import sign_up

_CORPUS = """
with m as (
  insert into memories (user_id, title, content, creation_ts)
  select %(user_id)s, 'Earlier', 'Earlier I said thing ' || g || ' about ' || md5(g::text), now() - interval '1 day'
  from generate_series(1, %(n)s) g
  returning memory_id, user_id, content, creation_ts
)
insert into memory_sources (memory_id, user_id, message_id, said_at, content, statement_key)
select memory_id, user_id, gen_random_uuid(), creation_ts, content, private.statement_key(content) from m
"""
DEDUP = writes.place_statements


def plain(
    tx: Transaction, statements: list[tuple[uuid.UUID, dict[str, Any]]], insert_memory: str
) -> tuple[int, dict[uuid.UUID, uuid.UUID]]:
    """The write before merging: the memories alone, one executemany, every repeat a copy."""
    tx.executemany(insert_memory, [row for _, row in statements])
    return max(0, tx.rowcount), {}


def ingest_twice(
    conn: psycopg.Connection[Any], stores: IngestionStores, user_id: uuid.UUID,
    said: list[tuple[str, str]], place: Callable[..., Any],
) -> dict[str, float]:  # fmt: skip
    """Ingest a conversation, then one repeating it; seconds each, and the memories left."""
    writes.place_statements = place  # type: ignore[assignment]
    try:
        figures: dict[str, float] = {}
        for key in ("first", "repeat"):
            conversation_id = store_conversation(conn, user_id, said)
            started = time.perf_counter()
            run = ingest_conversations(stores, packaged_config(), conversation_id=conversation_id)
            figures[key] = time.perf_counter() - started
            assert run.processed == 1, run
    finally:
        writes.place_statements = DEDUP
    row = conn.execute("select count(*) from memories where user_id = %s", (user_id,)).fetchone()
    figures["memories"] = float(row[0]) if row else 0.0
    return figures


def one_round(
    conn: psycopg.Connection[Any], stores: IngestionStores, rng: random.Random, turns: int,
    corpus: int, dedup_first: bool,
) -> dict[str, dict[str, float]]:  # fmt: skip
    said = conversation_turns(rng, turns)
    people = {mode: sign_up(conn, f"bench-dedup-{uuid.uuid4().hex[:10]}@example.com")
              for mode in ("dedup", "plain")}  # fmt: skip
    try:
        for user_id in people.values():
            if corpus:
                conn.execute(_CORPUS, {"user_id": user_id, "n": corpus})
        order = ["dedup", "plain"] if dedup_first else ["plain", "dedup"]
        return {
            mode: ingest_twice(
                conn, stores, people[mode], said, DEDUP if mode == "dedup" else plain
            )
            for mode in order
        }
    finally:
        remove_people(conn, list(people.values()))


def report(label: str, rounds: list[dict[str, dict[str, float]]], turns: int) -> None:
    def median_ms(mode: str, key: str) -> float:
        return statistics.median(r[mode][key] for r in rounds) * 1000

    print(f"{label} (median of {len(rounds)} rounds, a {turns}-turn conversation):")
    for key, what in (("first", "new statements"), ("repeat", "a conversation said again")):
        dedup, without = median_ms("dedup", key), median_ms("plain", key)
        print(f"  {what:<28} dedup {dedup:8.1f} ms   plain {without:8.1f} ms   "
              f"ratio {dedup / without:5.2f}")  # fmt: skip
    kept = {
        mode: statistics.median(r[mode]["memories"] for r in rounds) for mode in ("dedup", "plain")
    }
    print(
        f"  memories after both          dedup {kept['dedup']:8.0f}      plain {kept['plain']:8.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=50, help="the person's turns (default 50)")
    parser.add_argument("--rounds", type=int, default=3, help="counted rounds (default 3)")
    parser.add_argument("--corpus", type=int, default=10_000, help="earlier memories (10,000)")
    args = parser.parse_args()
    logging.getLogger("dotline").setLevel(logging.WARNING)
    deps = Deps(settings=get_settings())
    stores = IngestionStores(deps.db, deps.language_model, deps.embedder, deps.graph, deps.vectors)
    rng = random.Random(11)
    with psycopg.connect(deps.settings.database_url.get_secret_value(), autocommit=True) as conn:
        for corpus in (0, args.corpus):
            rounds = [one_round(conn, stores, rng, args.turns, corpus, i % 2 == 0)
                      for i in range(args.rounds + 1)]  # fmt: skip
            report(f"corpus of {corpus:,} earlier memories per person", rounds[1:], args.turns)


if __name__ == "__main__":
    main()
