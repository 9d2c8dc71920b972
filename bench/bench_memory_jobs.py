"""Benchmark of the memory jobs (decay, expiry, archive) over a million rows, in a scratch database.

Creates database `dotline_bench_memory_jobs` on the target cluster, applies the Supabase
emulation and the migrations (with a stand-in `cron` schema: pg_cron runs only in `postgres`),
loads 10k users with 100 memories and 100 conversations each, runs each job's scheduled command
as pg_cron would (its DO block at top level: one transaction per batch) and prints the total time
and the longest batch, i.e. the longest any batch held its row locks. Drops the database at the
end.

    uv run python bench/bench_memory_jobs.py [--dsn postgresql://postgres@127.0.0.1:54322/postgres]
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
EMULATION_SQL = ROOT / "local" / "dotline_local" / "supabase_emulation.sql"
MIGRATIONS_DIR = ROOT / "supabase" / "migrations"
SCRATCH_DB = "dotline_bench_memory_jobs"
DEFAULT_DSN = "postgresql://postgres:postgres@127.0.0.1:54322/postgres"
BATCH_NOTICE = re.compile(r"batch (\d+): (\d+) rows, ([0-9.]+) ms")
CREATE_PG_CRON = re.compile(r"create extension if not exists pg_cron[^;]*;", re.IGNORECASE)
# Schedules are not benchmarked: cron.schedule only records the job, as pg_cron's does.
CRON_STAND_IN = """
create schema if not exists cron;
create table if not exists cron.job (
  jobid bigint generated always as identity primary key, schedule text not null, command text not null,
  nodename text not null default 'localhost', nodeport integer not null default 5432,
  database text not null default current_database(), username text not null default current_user,
  active boolean not null default true, jobname text unique
);
create or replace function cron.schedule(job_name text, schedule text, command text) returns bigint
language sql as $$
  insert into cron.job (jobname, schedule, command) values (job_name, schedule, command)
  on conflict (jobname) do update set schedule = excluded.schedule, command = excluded.command
  returning jobid
$$;
create or replace function cron.unschedule(job_name text) returns boolean
language sql as $$ with gone as (delete from cron.job where jobname = job_name returning 1)
  select exists (select from gone) $$;
"""


@dataclass
class JobResult:
    """What one job run did and how long it held locks."""

    name: str
    processed: int
    batches: int
    total_s: float
    longest_batch_ms: float


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=DEFAULT_DSN, help="any database on the target cluster")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--memories-per-user", type=int, default=100)
    parser.add_argument("--conversations-per-user", type=int, default=100)
    args = parser.parse_args()

    with psycopg.connect(args.dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(SCRATCH_DB)))
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(SCRATCH_DB)))
    try:
        scratch_dsn = psycopg.conninfo.make_conninfo(args.dsn, dbname=SCRATCH_DB)
        with psycopg.connect(scratch_dsn, autocommit=True) as conn:
            apply_schema(conn)
            load(conn, args.users, args.memories_per_user, args.conversations_per_user)
            results = [
                run_job(conn, "expire-memories"),
                run_job(conn, "decay-memory-importance"),
                run_job(conn, "archive-conversations"),
            ]
        report(results)
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(
                    sql.Identifier(SCRATCH_DB)
                )
            )


def apply_schema(conn: psycopg.Connection) -> None:
    """The emulation, a stand-in for pg_cron (which runs only in `postgres`), every migration."""
    conn.execute(EMULATION_SQL.read_text(encoding="utf-8").encode())
    conn.execute(CRON_STAND_IN.encode())
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        text = CREATE_PG_CRON.sub("select 1;", path.read_text(encoding="utf-8"))
        with conn.transaction():
            conn.execute(text.encode())


# The data set, statement by statement (parameters: users, memories, conversations per user).
LOAD_STATEMENTS = (
    # The message trigger would update a conversation per message; counts do not matter here.
    "alter table public.messages disable trigger messages_count",
    """insert into auth.users (id, email)
       select ('00000000-0000-4000-8000-' || lpad(to_hex(u), 12, '0'))::uuid,
              'bench' || u || '@example.com'
       from generate_series(1, %(users)s) as u""",
    """update public.profiles
       set data_retention_days = (array[30, 60, 200, 365, 730])[1 + abs(hashtext(user_id::text)) %% 5]""",
    # A quarter expired, half unused for over 30 days, the rest recently used.
    """insert into public.memories (user_id, title, content, created_at, last_accessed_at, expires_at)
       select u.id, 'memory ' || m, 'bench memory content', now() - interval '400 days',
              case when m %% 4 in (1, 2) then now() - (31 + m %% 300) * interval '1 day'
                   else now() - (m %% 29) * interval '1 day' end,
              case when m %% 4 = 0 then now() - (1 + m %% 30) * interval '1 day' end
       from auth.users u, generate_series(1, %(memories)s) as m""",
    # 90% closed, 8 to 800 days ago.
    """insert into public.conversations (user_id, status, created_at, closed_at)
       select u.id, case when c %% 10 = 0 then 'active' else 'closed' end,
              now() - interval '900 days',
              case when c %% 10 <> 0 then now() - (c * 8) * interval '1 day' end
       from auth.users u, generate_series(1, %(conversations)s) as c""",
    """insert into public.messages (conversation_id, user_id, role, content)
       select c.conversation_id, c.user_id, 'user', 'message ' || n
       from public.conversations c, generate_series(1, 3) as n
       where abs(hashtext(c.conversation_id::text)) %% 10 = 0""",
    "alter table public.messages enable trigger messages_count",
)


def load(conn: psycopg.Connection, users: int, memories: int, conversations: int) -> None:
    """Users with mixed retention, memories of every decay/expiry kind, closed conversations."""
    started = time.perf_counter()
    params = {"users": users, "memories": memories, "conversations": conversations}
    for statement in LOAD_STATEMENTS:
        conn.execute(statement, params)
    conn.execute("vacuum analyze")
    counts = conn.execute(
        "select (select count(*) from public.memories), (select count(*) from public.conversations),"
        " (select count(*) from public.messages)"
    ).fetchone()
    assert counts is not None
    print(
        f"loaded {counts[0]:,} memories, {counts[1]:,} conversations, {counts[2]:,} messages "
        f"in {time.perf_counter() - started:.1f} s"
    )


def run_job(conn: psycopg.Connection, job: str) -> JobResult:
    """Run the job's scheduled command as pg_cron does; its NOTICEs give each batch's rows and
    time (the last batch is the one that found the job done)."""
    batches: list[tuple[int, float]] = []

    def collect(diag: psycopg.errors.Diagnostic) -> None:
        _collect(diag.message_primary or "", batches)

    row = conn.execute("select command from cron.job where jobname = %s", (job,)).fetchone()
    assert row is not None, f"{job} is not scheduled"
    conn.add_notice_handler(collect)
    started = time.perf_counter()
    conn.execute(row[0])
    total_s = time.perf_counter() - started
    conn.remove_notice_handler(collect)
    assert batches, "every batch reports a NOTICE"
    processed = sum(rows for rows, _ in batches)
    return JobResult(job, processed, len(batches), total_s, max(ms for _, ms in batches))


def _collect(message: str, batches: list[tuple[int, float]]) -> None:
    match = BATCH_NOTICE.search(message)
    if match:
        batches.append((int(match.group(2)), float(match.group(3))))


def report(results: list[JobResult]) -> None:
    print(f"{'job':<28}{'rows':>10}{'batches':>9}{'total s':>10}{'longest batch ms':>18}")
    for r in results:
        print(
            f"{r.name:<28}{r.processed:>10,}{r.batches:>9}{r.total_s:>10.2f}{r.longest_batch_ms:>18.1f}"
        )


if __name__ == "__main__":
    main()
