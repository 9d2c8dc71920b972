"""Concept salience at ingestion: the cost of refreshing one conversation's concepts as the person's
memories grow (it should stay flat: each concept's mentions are an index probe).

Run with `make bench` (or `uv run python bench/bench_salience.py`) against a migrated database.
For each corpus size, one person's memories each name two concepts from a pool sized so every
concept has about MENTIONS_PER_CONCEPT mentions whatever the size; the timed call is
`services.concepts.salience.refresh_salience` for CONCEPTS_PER_CONVERSATION of them (graph degree
through the embedded graph port, then the SQL function). Baseline in the same run: one scan of
the person's memories for concept mentions (what recounting from every memory would cost).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg

from dotline.adapters.postgres_graph import PostgresGraph
from dotline.db import Database
from dotline.services.concepts.salience import refresh_salience
from dotline.settings import get_settings
from dotline_local.bench_support import remove_people
from dotline_local.tokens import sign_up

MENTIONS_PER_CONCEPT = 10
CONCEPTS_PER_CONVERSATION = 12
_CONCEPTS = """
insert into public.concepts (concept_id, user_id, name, type)
select c, %(user)s, 'c' || n, 'topic' from unnest(%(concepts)s::uuid[]) with ordinality as t (c, n)
"""
_MEMORIES = """
insert into public.memories (user_id, title, content, created_at, attributes)
select %(user)s, 'm' || i, 'memory ' || i, now() - make_interval(mins => i),
       jsonb_build_object('concept_ids', jsonb_build_array(
         (%(concepts)s::uuid[])[1 + ((i::bigint * 7919) %% %(pool)s)::integer], (%(concepts)s::uuid[])[1 + ((i::bigint * 104729) %% %(pool)s)::integer]))
from generate_series(1, %(memories)s) as i
"""
_SCAN = """
select count(*) from public.memories m
where m.user_id = %(user)s and jsonb_array_length(coalesce(m.attributes -> 'concept_ids', '[]')) > 0
"""


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(
    admin: psycopg.Connection[Any], settings: Any, memories: int, samples: int
) -> tuple[float, float, float]:
    """Median ms of a refresh, of one that changes nothing, and of the baseline scan."""
    user = sign_up(admin, f"bench-salience-{uuid.uuid4().hex[:8]}@example.com")
    try:
        pool = max(CONCEPTS_PER_CONVERSATION, memories * 2 // MENTIONS_PER_CONCEPT)
        concepts = [uuid.uuid4() for _ in range(pool)]
        admin.execute(
            "set session_replication_role = replica"  # no outbox, cards or triggers for the load
        )
        params = {"user": user, "concepts": concepts, "pool": pool, "memories": memories}
        admin.execute(_CONCEPTS, params)
        admin.execute(_MEMORIES, params)
        admin.execute("set session_replication_role = origin")
        admin.execute("analyze public.memories")
        db, rng = Database(settings), random.Random(7)
        graph = PostgresGraph(db)

        def refresh() -> None:
            batch = rng.sample(concepts, CONCEPTS_PER_CONVERSATION)
            refresh_salience(db, graph, user, batch, version=0)

        fixed = rng.sample(concepts, CONCEPTS_PER_CONVERSATION)

        def again() -> None:  # the same concepts again: nothing changes, nothing is written
            refresh_salience(db, graph, user, fixed, version=0)

        def scan() -> None:
            with db.as_service() as tx:
                tx.execute(_SCAN, {"user": user}).fetchall()

        refresh()  # connect once, outside the figures
        again()
        result = (
            statistics.median(timed(refresh, samples)),
            statistics.median(timed(again, samples)),
            statistics.median(timed(scan, samples)),
        )
        db.close()
        return result
    finally:
        remove_people(admin, [user])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    settings = get_settings()
    with psycopg.connect(settings.database_url.get_secret_value(), autocommit=True) as admin:
        figures = {size: measure(admin, settings, size, args.samples) for size in args.sizes}
    first = figures[args.sizes[0]]
    print(
        f"salience refresh of {CONCEPTS_PER_CONVERSATION} concepts (~{MENTIONS_PER_CONCEPT} mentions each)"
    )
    for size, (refresh, unchanged, scan) in figures.items():
        print(
            f"  {size:>7} memories: refresh p50 {refresh:7.2f} ms ({refresh / first[0]:.2f}x the"
            f" smallest); unchanged {unchanged:7.2f} ms ({unchanged / first[1]:.2f}x);"
            f" baseline scan of every memory {scan:7.2f} ms ({scan / first[2]:.2f}x)"
        )


if __name__ == "__main__":
    main()
