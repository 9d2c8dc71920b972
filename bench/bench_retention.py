"""Benchmark of the retention run over a million memories of 10k users, in a scratch database.

Creates database `dotline_bench_retention` on the target cluster with every migration (as
bench_memory_jobs does), loads 10k users with mixed data_retention_days, 100 memories each
(mirrored as graph nodes and vector items), 100 behaviour events each, and 10 conversations of
3 messages each, ages spread over two years. Then, for each per-person retention table, and for
the drain that removes what Postgres deleted from the graph and the vectors:

- baseline: the same delete as ONE statement (rolled back), which holds every row lock at once;
- the job: the retention function's batches (one transaction each) over the same rows.

Decay (pg_cron's job) runs between the baselines and the retention run, so the run's
importance re-sync has a million notes to carry to the graph and the vectors.

It prints rows, total time and the longest transaction (the longest any lock was held), and
each as a ratio to the baseline of the same run. Drops the database at the end.

    uv run python bench/bench_retention.py [--users 10000] [--dsn postgresql://...:54322/postgres]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import psycopg
from psycopg import sql

from bench_memory_jobs import DEFAULT_DSN, apply_schema, run_job
from dotline.bootstrap import Deps
from dotline.services.lifecycle import retention
from dotline.settings import Settings

SCRATCH_DB = "dotline_bench_retention"
DRAIN_STEP = "removed from graph, vectors and cache"
# Loaded with their triggers off (outbox, cards, search documents, counters): the load is
# setup, not what is measured; they are back on for the run.
LOADED_TABLES = ("memories", "behaviour_events", "conversations", "messages")

LOAD_STATEMENTS = (
    *(f"alter table public.{table} disable trigger user" for table in LOADED_TABLES),
    """insert into auth.users (id, email)
       select ('00000000-0000-4000-8000-' || lpad(to_hex(u), 12, '0'))::uuid, 'bench' || u || '@example.com'
       from generate_series(1, %(users)s) as u""",
    """update public.profiles
       set data_retention_days = (array[30, 60, 200, 365, 730])[1 + abs(hashtext(user_id::text)) %% 5]""",
    """insert into public.memories (user_id, title, content, created_at)
       select u.id, 'memory ' || m, 'bench memory content', now() - ((m * 7) %% 730) * interval '1 day'
       from auth.users u, generate_series(1, %(per_user)s) as m""",
    """insert into graph.nodes (node_id, user_id, label, properties)
       select memory_id, user_id, 'MemoryUnit', '{}' from public.memories""",
    """insert into vectors.items (item_id, user_id, source_entity_type, source_entity_id, text,
                                  created_at, model_version, vector)
       select gen_random_uuid(), user_id, 'memory', memory_id, content, created_at, 'bench',
              '\\x0000803f0000803f'::bytea
       from public.memories""",
    """insert into public.behaviour_events (user_id, event_type, created_at)
       select u.id, 'page_view', now() - ((e * 7) %% 730) * interval '1 day'
       from auth.users u, generate_series(1, %(per_user)s) as e""",
    # Conversations started two years ago, their three messages spread over the two years.
    """insert into public.conversations (user_id, created_at)
       select u.id, now() - interval '730 days' from auth.users u, generate_series(1, 10) as c""",
    """insert into public.messages (conversation_id, user_id, role, content, created_at)
       select c.conversation_id, c.user_id, 'user', 'message',
              now() - ((abs(hashtext(c.conversation_id::text)) + n * 250) %% 729) * interval '1 day'
       from public.conversations c, generate_series(1, 3) as n""",
    """update public.conversations c set last_message_at = m.last_at
       from (select conversation_id, max(created_at) as last_at from public.messages group by 1) m
       where m.conversation_id = c.conversation_id""",
    *(f"alter table public.{table} enable trigger user" for table in LOADED_TABLES),
)

BASELINES = {
    table: f"""delete from public.{table} t using public.profiles p
               where p.user_id = t.user_id
                 and {age} < now() - make_interval(days => p.data_retention_days)"""  # noqa: S608
    for table, age in {
        "conversations": "coalesce(t.last_message_at, t.created_at)",
        "messages": "t.created_at",
        "memories": "t.created_at",
        "behaviour_events": "t.created_at",
    }.items()
}
DECAY_STEP = "decay (pg_cron's job)"
DECAY_BASELINE = """
update public.memories m
set importance = greatest(0, m.importance - m.decay_rate), last_decayed_at = now()
where m.importance > 0 and m.decay_rate > 0
  and coalesce(m.last_accessed_at, m.created_at) < now() - interval '30 days'
  and (m.last_decayed_at is null or m.last_decayed_at < now() - interval '20 hours')
"""
SYNC_STEP = "decayed importance synced to graph and vectors"
SYNC_BASELINE = """
with synced as (
  delete from private.importance_changes c using public.memories m
  where m.memory_id = c.memory_id
  returning c.memory_id, c.user_id, m.importance
),
items as (
  update vectors.items i set importance = s.importance from synced s
  where i.user_id = s.user_id and i.source_entity_type = 'memory' and i.source_entity_id = s.memory_id
)
update graph.nodes n set properties = n.properties || jsonb_build_object('importance', s.importance)
from synced s where n.node_id = s.memory_id
"""
DRAIN_BASELINE = """
with gone as (delete from private.lifecycle_removals returning table_name, row_key, user_id),
     nodes as (delete from graph.nodes n using gone g
               where g.table_name = 'memories' and n.node_id = g.row_key::uuid)
delete from vectors.items i using gone g
where g.table_name = 'memories' and i.source_entity_id = g.row_key::uuid and i.user_id = g.user_id
"""


@dataclass
class Figures:
    """A job's rows, total time and longest transaction, beside its one-statement baseline."""

    name: str
    rows: int
    total_s: float
    longest_ms: float
    baseline_s: float

    def line(self) -> str:
        return (
            f"{self.name:<48}{self.rows:>10,}{self.total_s:>9.2f}{self.longest_ms:>11.1f}"
            f"{self.baseline_s:>11.2f}{self.total_s / max(self.baseline_s, 1e-6):>9.2f}x"
            f"{self.baseline_s * 1000 / max(self.longest_ms, 0.001):>11.0f}x"
        )


class StepClock:
    """Times each step of a run from its progress calls: one call per batch, one batch per
    transaction, so the gap between calls is how long that batch held its locks."""

    def __init__(self) -> None:
        self.steps: dict[str, list[float]] = {}
        self.rows: dict[str, int] = {}
        self._last = time.perf_counter()  # set just before the run starts

    def __call__(self, step: str, rows: int) -> None:
        now = time.perf_counter()
        self.steps.setdefault(step, []).append((now - self._last) * 1000)
        self.rows[step] = self.rows.get(step, 0) + rows
        self._last = now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=DEFAULT_DSN, help="any database on the target cluster")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--per-user", type=int, default=100, help="memories and events per user")
    parser.add_argument("--batch-size", type=int, default=retention.BATCH_SIZE)
    parser.add_argument("--database", default=SCRATCH_DB, help="the scratch database's name")
    args = parser.parse_args()
    with psycopg.connect(args.dsn, autocommit=True) as admin:
        admin.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(args.database))
        )
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(args.database)))
    try:
        scratch = psycopg.conninfo.make_conninfo(args.dsn, dbname=args.database)
        with psycopg.connect(scratch, autocommit=True) as conn:
            apply_schema(conn)
            load(conn, args.users, args.per_user)
            settings = Settings(database_url=scratch, db_statement_timeout_ms=600_000)
            report(run(conn, settings, args.batch_size))
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(
                    sql.Identifier(args.database)
                )
            )


def load(conn: psycopg.Connection, users: int, per_user: int) -> None:
    started = time.perf_counter()
    for statement in LOAD_STATEMENTS:
        conn.execute(statement, {"users": users, "per_user": per_user})
    conn.execute("vacuum analyze")
    counts = conn.execute(
        "select (select count(*) from public.memories), (select count(*) from public.behaviour_events),"
        " (select count(*) from public.messages)"
    ).fetchone()
    assert counts is not None
    print(
        f"loaded {counts[0]:,} memories (with nodes and items), {counts[1]:,} behaviour events, "
        f"{counts[2]:,} messages for {users:,} users in {time.perf_counter() - started:.1f} s"
    )


def baseline(conn: psycopg.Connection, statement: str) -> float:
    """One statement doing the whole job, rolled back: its time is how long it holds its locks."""
    started = time.perf_counter()
    with conn.transaction(force_rollback=True):
        conn.execute("set local dotline.deletes_to = 'removals'")
        conn.execute("set local dotline.updates_to = 'importance_changes'")
        conn.execute(statement)
    return time.perf_counter() - started


def run(conn: psycopg.Connection, settings: Settings, batch_size: int) -> list[Figures]:
    """Baselines first (each rolled back), then one real retention run over everyone."""
    baselines = {
        f"{t} past retention": baseline(conn, BASELINES[t]) for t in retention.PER_PERSON_TABLES
    }
    baselines[DRAIN_STEP] = drain_baseline(conn)
    baselines[DECAY_STEP] = baseline(conn, DECAY_BASELINE)
    decay = decay_everyone(conn, baselines[DECAY_STEP])
    baselines[SYNC_STEP] = baseline(conn, SYNC_BASELINE)
    stores = Deps(settings=settings)
    for warm in (
        stores.db,
        stores.graph,
        stores.vectors,
        stores.cache,
    ):  # connect, import: not timed
        assert warm is not None
    with stores.db.as_service() as tx:
        tx.execute("select 1")
    clock = StepClock()
    retention.run_retention(
        stores.db, graph=stores.graph, vectors=stores.vectors, cache=stores.cache,
        batch_size=batch_size, progress=clock,
    )  # fmt: skip
    return [
        decay if step == DECAY_STEP else
        Figures(step, clock.rows.get(step, 0), sum(clock.steps.get(step, [0])) / 1000,
                max(clock.steps.get(step, [0])), base_s)
        for step, base_s in baselines.items()
    ]  # fmt: skip


def decay_everyone(conn: psycopg.Connection, base_s: float) -> Figures:
    """pg_cron's decay job (one transaction per batch), which reports its longest batch."""
    job = run_job(conn, "decay-memory-importance")
    return Figures(DECAY_STEP, job.processed, job.total_s, job.longest_batch_ms, base_s)


def drain_baseline(conn: psycopg.Connection) -> float:
    """The stores' removals as one statement over what the purges queue (all rolled back)."""
    with conn.transaction(force_rollback=True):
        conn.execute("set local dotline.deletes_to = 'removals'")
        for table in retention.PER_PERSON_TABLES:
            conn.execute(BASELINES[table])
        started = time.perf_counter()
        conn.execute(DRAIN_BASELINE)
        return time.perf_counter() - started


def report(results: list[Figures]) -> None:
    print(
        f"{'job':<48}{'rows':>10}{'total s':>9}{'longest ms':>11}{'1-stmt s':>11}"
        f"{'time':>10}{'lock cut':>11}"
    )
    for figures in results:
        print(figures.line())
    print(
        "time: batched total / one-statement baseline; lock cut: baseline's lock time / "
        "longest batch transaction"
    )


if __name__ == "__main__":
    main()
