"""The batched pg_cron jobs run as pg_cron runs them: their command at top level, one commit a batch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

BATCHED_JOBS = (
    "close-inactive-conversations",
    "archive-conversations",
    "expire-memories",
    "decay-memory-importance",
    "purge-event-batches",
    "purge-mirror-tombstones",
    "purge-job-runs",
    "purge-vector-item-changes",
)


def command_of(pg: psycopg.Connection[Any], job_name: str) -> str:
    row = pg.execute("select command from cron.job where jobname = %s", (job_name,)).fetchone()
    assert row is not None, f"{job_name} is not scheduled"
    return str(row[0])


def run_as_pg_cron(conninfo: str, command: str) -> list[str]:
    """The command on its own connection in autocommit, as pg_cron sends it; its NOTICEs."""
    notices: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
        conn.execute(command)
    return notices


@pytest.mark.parametrize("job_name", BATCHED_JOBS)
def test_each_batched_job_runs_to_its_end_as_pg_cron_runs_it(pg, settings, job_name):
    # when
    notices = run_as_pg_cron(settings.database_url.get_secret_value(), command_of(pg, job_name))

    # then one NOTICE a batch, the first naming the job and its first batch
    assert notices, "a batched job reports every batch"
    assert notices[0].startswith(f"{job_name} batch 1: ")


@pytest.fixture
def poisoned_job_runs(pg: psycopg.Connection[Any]) -> Iterator[None]:
    """1,001 old job runs whose newest refuses to be deleted, so the purge's second batch fails."""
    pg.execute(
        "insert into private.job_runs (job_name, status, started_at, finished_at) "
        "select case when n = 1001 then 'batched-test-poison' else 'batched-test' end, "
        "'succeeded', t, t from generate_series(1, 1001) as n, "
        "lateral (select now() - interval '400 days' + n * interval '1 second' as t) as at"
    )
    pg.execute(
        "create function private.batched_test_refuse() returns trigger language plpgsql "
        "set search_path = '' as $$ begin "
        "if old.job_name = 'batched-test-poison' then raise exception 'refused'; end if; "
        "return old; end $$"
    )
    pg.execute(
        "create trigger batched_test_refuse before delete on private.job_runs "
        "for each row execute function private.batched_test_refuse()"
    )
    try:
        yield
    finally:
        pg.execute("drop trigger batched_test_refuse on private.job_runs")
        pg.execute("drop function private.batched_test_refuse()")
        pg.execute("delete from private.job_runs where job_name like 'batched-test%'")


@pytest.mark.usefixtures("poisoned_job_runs")
def test_a_failing_batch_keeps_what_the_batches_before_it_committed(pg, settings):
    # given 1,001 old runs, the last of which cannot be deleted (see the fixture)
    conninfo = settings.database_url.get_secret_value()

    # when the purge runs (1,000 rows a batch) and its second batch fails
    with pytest.raises(psycopg.errors.RaiseException, match="refused"):
        run_as_pg_cron(conninfo, command_of(pg, "purge-job-runs"))

    # then the first batch's deletes stand: each batch is its own transaction
    left = pg.execute("select job_name from private.job_runs where job_name like 'batched-test%'")
    assert left.fetchall() == [("batched-test-poison",)]
