"""Persona analysis for one person with 100k behaviour events, against its own raw aggregation.

The person gets --events events over the last 90 days (a third carrying tags in their context)
and --memories tagged memories, COPYed in as the superuser. Three things are timed, alternating
round by round so all see the same machine noise:

- the raw aggregation: `select private.persona_statistics(user)` alone (the baseline);
- the whole analysis as the scheduled function runs it: eligibility, the same statistics, skills
  and habits in Python, tag embedding (WordLlama) and clustering, and every write (persona,
  learning profiles, clusters, suggestions);
- for scale, fetching the person's raw event rows into Python, which an analysis done in Python
  would need before it could start counting.

The figures are medians, printed with their ratio to the raw aggregation. The bench's user is
deleted at the end (their events with them).

    DATABASE_URL=... uv run python bench/bench_persona.py [--events 100000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from dotline.bootstrap import deps
from dotline.services.persona import persona
from dotline.settings import get_settings
from dotline_local.bench_support import remove_people
from dotline_local.tokens import sign_up

TAGS = ("python", "django", "pandas", "sql", "docker", "cooking", "baking", "running", "music")
ITEM_TYPES = ("article", "video", "code", "note", "memory")
ACTIONS = ("view", "search", "edit", "create", "share")
COPY_EVENTS = (
    "copy public.behaviour_events (user_id, event_type, target_entity_type, duration_seconds,"
    " context, session_id, occurred_at, created_at) from stdin"
)


def seed(conn: psycopg.Connection[Any], user_id: uuid.UUID, events: int, memories: int) -> None:
    """The person's events and memories, spread over the last 90 days."""
    now = datetime.now(UTC)
    conn.execute(
        "update public.profiles set timezone = 'Europe/Paris' where user_id = %s", (user_id,)
    )
    with conn.cursor() as cur, cur.copy(COPY_EVENTS) as copy:
        session = uuid.uuid4()
        for i in range(events):
            at = now - timedelta(seconds=(i * 7_776_000) // events)
            if i % 20 == 0:
                session = uuid.uuid4()
            context = {"tags": [TAGS[i % len(TAGS)]]} if i % 3 == 0 else {"source": "timeline"}
            copy.write_row((user_id, ACTIONS[i % len(ACTIONS)], ITEM_TYPES[i % len(ITEM_TYPES)],
                            i % 900, json.dumps(context), session, at, at))  # fmt: skip
    with conn.cursor() as cur:
        cur.executemany(
            "insert into public.memories (user_id, title, content, tags, created_at)"
            " values (%s, 'Bench', 'A memory.', %s, %s)",
            [
                (
                    user_id,
                    [TAGS[i % len(TAGS)], TAGS[(i * 7) % len(TAGS)]],
                    now - timedelta(hours=i),
                )
                for i in range(memories)
            ],
        )
    conn.execute("analyze public.behaviour_events")


def timed(run: Any) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--memories", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds (after one warm-up)")
    args = parser.parse_args()
    dsn = get_settings().database_url.get_secret_value()
    stores = deps()
    with psycopg.connect(dsn, autocommit=True) as conn:
        user_id = sign_up(conn, f"bench-{uuid.uuid4().hex[:12]}@example.com")
        try:
            seed(conn, user_id, args.events, args.memories)

            def raw() -> None:
                conn.execute("select private.persona_statistics(%s)", (user_id,)).fetchone()

            def rows() -> None:
                conn.execute(
                    "select * from public.behaviour_events where user_id = %s", (user_id,)
                ).fetchall()

            def analyse() -> None:
                persona.analyse_user(stores.db, stores.embedder, user_id)

            samples: dict[str, list[float]] = {"raw": [], "analysis": [], "rows": []}
            for round_ in range(args.rounds + 1):
                figures = {"raw": timed(raw), "analysis": timed(analyse), "rows": timed(rows)}
                if round_:  # the first round warms caches and loads the embedding model
                    for name, seconds in figures.items():
                        samples[name].append(seconds)
            report = persona.analyse_user(stores.db, stores.embedder, user_id)
        finally:
            stores.db.close()
            remove_people(conn, [user_id])
    base = statistics.median(samples["raw"])
    print(
        f"persona analysis, one person with {args.events:,} events and {args.memories} memories, "
        f"median of {args.rounds} rounds (skills {report.skills}, clusters {report.clusters}, "
        f"suggestions {report.suggestions})"
    )
    for name, label in (
        ("raw", "raw aggregation SQL (baseline)"),
        ("analysis", "whole analysis (SQL + Python + writes)"),
        ("rows", "fetching the raw event rows"),
    ):
        median = statistics.median(samples[name])
        print(f"  {label:<40} {median * 1000:8.1f} ms   {median / base:6.2f}x")


if __name__ == "__main__":
    main()
