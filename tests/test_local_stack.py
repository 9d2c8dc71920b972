"""The local stack as `dotline up` leaves it, and bringing it up again changing nothing."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dotline.settings import get_settings
from dotline_local import daemons, postgres_cluster, redis_server, stack


@pytest.fixture(scope="module")
def main_db() -> Iterator[psycopg.Connection[Any]]:
    """The project's database in a running cluster (what migrations it has is up to `make up`)."""
    postgres_cluster.ensure_running()
    redis_server.ensure_running(stack.STATE_DIR / "redis.log")
    with psycopg.connect(get_settings().database_url.get_secret_value(), autocommit=True) as conn:
        yield conn


def setting(conn: psycopg.Connection[Any], name: str) -> str:
    row = conn.execute("select current_setting(%s)", (name,)).fetchone()
    assert row is not None
    return str(row[0])


def test_the_stack_has_its_own_cluster_on_54322_with_pg_cron_preloaded(main_db):
    assert setting(main_db, "port") == "54322"
    assert setting(main_db, "cluster_name") == "15/dotline"
    assert "pg_cron" in setting(main_db, "shared_preload_libraries")
    assert setting(main_db, "cron.database_name") == "postgres"
    assert setting(main_db, "server_version").startswith("15.")
    assert int(setting(main_db, "max_connections")) >= 200


def test_cron_jobs_are_reachable_in_the_main_database(main_db):
    # given: pg_cron enabled as a migration does it (rolled back unless a migration did already)
    with main_db.transaction(force_rollback=True):
        main_db.execute("create extension if not exists pg_cron")

        # when
        jobs = main_db.execute("select count(*) from cron.job").fetchone()

        # then
        assert jobs is not None


def test_pg_cron_lives_in_pg_catalog_as_on_supabase(main_db):
    schema = main_db.execute(
        "select extnamespace::regnamespace::text from pg_extension where extname = 'pg_cron'"
    ).fetchone()
    assert schema == ("pg_catalog",)


PG_CRON_MOVE = stack.SUPABASE_DIR / "migrations" / "20261207130000_pg_cron_in_pg_catalog.sql"
JOBS = (
    "select jobname, schedule, command, database, username, active from cron.job order by jobname"
)


def test_a_pg_cron_installed_in_public_moves_to_pg_catalog_with_every_job(main_db):
    with main_db.transaction(force_rollback=True):
        # given pg_cron in public (as a bare `create extension` leaves it on plain Postgres),
        # holding the project's jobs, one of them paused
        jobs = main_db.execute(JOBS).fetchall()
        main_db.execute("drop extension pg_cron")
        main_db.execute("create extension pg_cron with schema public")
        for name, schedule, command, *_ in jobs:
            main_db.execute("select cron.schedule(%s, %s, %s)", (name, schedule, command))
        main_db.execute(
            "select cron.alter_job(jobid, active => false) from cron.job where jobname = %s",
            (jobs[0][0],),
        )
        before = main_db.execute(JOBS).fetchall()

        # when
        main_db.execute(PG_CRON_MOVE.read_bytes())

        # then
        schema = main_db.execute(
            "select extnamespace::regnamespace::text from pg_extension where extname = 'pg_cron'"
        ).fetchone()
        assert schema == ("pg_catalog",)
        assert main_db.execute(JOBS).fetchall() == before
        assert [row[5] for row in before].count(False) == 1


def test_the_supabase_emulation_and_migration_history_are_in_place(main_db):
    roles = main_db.execute(
        "select rolname from pg_roles where rolname in ('anon', 'authenticated', 'service_role')"
    ).fetchall()
    assert sorted(r[0] for r in roles) == ["anon", "authenticated", "service_role"]
    assert main_db.execute("select to_regprocedure('auth.uid()') is not null").fetchone() == (True,)
    applied = main_db.execute("select count(*) from supabase_migrations.schema_migrations")
    assert (applied.fetchone() or (0,))[0] >= 1


def test_redis_answers_on_6379(main_db):
    assert redis_server.answers_ping()


def test_a_throwaway_redis_is_started_when_none_answers(tmp_path):
    # given
    port = free_port()
    assert not redis_server.answers_ping(port)
    try:
        # when
        started = [redis_server.ensure_running(tmp_path / "redis.log", port) for _ in range(2)]

        # then
        assert started == [True, False]
        assert redis_server.answers_ping(port)
    finally:
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(b"SHUTDOWN NOSAVE\r\n")
            conn.recv(64)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_bringing_the_backing_services_up_again_changes_nothing(main_db):
    # given
    stack.up_backing_services(lambda line: None)
    started = main_db.execute("select pg_postmaster_start_time()").fetchone()
    history = main_db.execute("select count(*) from supabase_migrations.schema_migrations")
    applied_before = history.fetchone()
    reported: list[str] = []

    # when
    stack.up_backing_services(reported.append)

    # then
    assert reported == []
    assert postgres_cluster.ensure_running() == []
    assert main_db.execute("select pg_postmaster_start_time()").fetchone() == started
    history = main_db.execute("select count(*) from supabase_migrations.schema_migrations")
    assert history.fetchone() == applied_before


def test_migrate_check_reports_the_main_database_up_to_date(main_db):
    # when
    check = subprocess.run(
        [sys.executable, "-m", "dotline_local.cli", "migrate", "--check"],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # then
    assert check.returncode == 0, check.stdout + check.stderr
    assert "up to date" in check.stdout


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[daemons.Daemon]:
    """A stand-in service (Python's http.server) with the stack's pid and log handling."""
    port = free_port()
    daemon = daemons.Daemon(
        name="file_server",
        module="http.server",
        arguments=("--bind", "127.0.0.1", "--directory", str(tmp_path), str(port)),
        health_url=f"http://127.0.0.1:{port}/",
        state_dir=tmp_path / ".stack",
    )
    yield daemon
    daemons.stop_detached(daemon)


def test_a_background_service_starts_once_and_stops_once(file_server, tmp_path):
    # when
    started = [daemons.start_detached(file_server, cwd=tmp_path) for _ in range(2)]

    # then
    assert started == [True, False]
    assert daemons.is_healthy(file_server)
    assert daemons.running_pid(file_server) is not None

    # when
    stopped = [daemons.stop_detached(file_server) for _ in range(2)]

    # then
    assert stopped == [True, False]
    assert not daemons.is_healthy(file_server)
    assert not file_server.pid_file.exists()


def test_a_service_that_dies_on_start_is_reported_with_its_log(file_server, tmp_path):
    # given
    broken = dataclasses.replace(file_server, arguments=("--no-such-option",))

    # when
    with pytest.raises(daemons.DaemonError) as failed:
        daemons.start_detached(broken, cwd=tmp_path)

    # then
    assert "exited before answering" in str(failed.value)
    assert str(broken.log_file) in str(failed.value)
    assert "--no-such-option" in str(failed.value)
