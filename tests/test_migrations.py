"""The migration runner, on scratch databases in the 54322 cluster and temp migrations."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from dotline_local import migrations, postgres_cluster, stack
from dotline_local.sql_statements import split_statements

CREATE_NOTES = "create table public.notes (note_id int primary key, body text not null);\n"
INSERT_NOTE = "-- A semicolon; in a string.\ninsert into public.notes values (1, 'a;b');\n"


@pytest.fixture
def scratch_db() -> Iterator[str]:
    """A new database in the 54322 cluster with the Supabase emulation applied, dropped after."""
    name = f"dotline_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(postgres_cluster.local_conninfo(), autocommit=True)
    with admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        conninfo = postgres_cluster.local_conninfo(name)
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(stack.EMULATION_SQL.read_bytes())
            yield conninfo
        finally:
            admin.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def supabase_dir(tmp_path: Path) -> Path:
    """A Supabase-laid-out directory with two migrations and no seed."""
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "20260101000000_notes.sql").write_text(CREATE_NOTES)
    (tmp_path / "migrations" / "20260101000100_first_note.sql").write_text(INSERT_NOTE)
    return tmp_path


def history(conninfo: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(conninfo) as conn:
        return conn.execute(
            "select version, name, statements from supabase_migrations.schema_migrations"
            " order by version"
        ).fetchall()


def apply(conninfo: str, supabase_dir: Path) -> migrations.Plan:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return migrations.apply(conn, migrations.discover(supabase_dir / "migrations"))


def run_cli(conninfo: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "dotline_local.cli", *args],
        env={**os.environ, "DATABASE_URL": conninfo},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_migrations_are_applied_in_version_order_and_recorded(scratch_db, supabase_dir):
    # when
    carried_out = apply(scratch_db, supabase_dir)

    # then
    assert [m.version for m in carried_out.pending] == ["20260101000000", "20260101000100"]
    assert history(scratch_db) == [
        ("20260101000000", "notes", [CREATE_NOTES.strip().rstrip(";")]),
        ("20260101000100", "first_note", [INSERT_NOTE.strip().rstrip(";")]),
    ]
    with psycopg.connect(scratch_db) as conn:
        assert conn.execute("select body from public.notes").fetchall() == [("a;b",)]


def test_rerunning_the_runner_applies_nothing(scratch_db, supabase_dir):
    # given
    apply(scratch_db, supabase_dir)

    # when
    carried_out = apply(scratch_db, supabase_dir)

    # then
    assert carried_out.pending == []
    assert not carried_out.history_was_empty
    with psycopg.connect(scratch_db) as conn:
        assert conn.execute("select count(*) from public.notes").fetchone() == (1,)


def test_an_applied_migration_whose_file_changed_is_refused(scratch_db, supabase_dir):
    # given
    apply(scratch_db, supabase_dir)
    changed = supabase_dir / "migrations" / "20260101000100_first_note.sql"
    changed.write_text(INSERT_NOTE.replace("'a;b'", "'edited'"))
    (supabase_dir / "migrations" / "20260101000200_later.sql").write_text("select 1;\n")

    # when
    with pytest.raises(migrations.MigrationError) as refused:
        apply(scratch_db, supabase_dir)

    # then nothing else ran, and the message names the file
    assert str(changed) in str(refused.value)
    assert [row[0] for row in history(scratch_db)] == ["20260101000000", "20260101000100"]


def test_whitespace_only_edits_do_not_count_as_changes(scratch_db, supabase_dir):
    # given
    apply(scratch_db, supabase_dir)
    path = supabase_dir / "migrations" / "20260101000000_notes.sql"
    path.write_text("\n\n" + CREATE_NOTES + "\n-- a trailing remark\n")

    # when
    carried_out = apply(scratch_db, supabase_dir)

    # then
    assert carried_out.pending == []
    assert carried_out.changed == []


def test_a_failing_migration_leaves_nothing_behind_and_names_file_and_line(
    scratch_db, supabase_dir
):
    # given
    broken = supabase_dir / "migrations" / "20260101000200_broken.sql"
    broken.write_text("create table public.half (id int);\nselect nothing from public.half;\n")

    # when
    with pytest.raises(migrations.MigrationError) as failed:
        apply(scratch_db, supabase_dir)

    # then
    assert f"{broken}:2" in str(failed.value)
    assert [row[0] for row in history(scratch_db)] == ["20260101000000", "20260101000100"]
    with psycopg.connect(scratch_db) as conn:
        assert conn.execute("select to_regclass('public.half')").fetchone() == (None,)


def test_misnamed_migration_files_are_an_error(supabase_dir):
    # given
    (supabase_dir / "migrations" / "2026_bad.sql").write_text("select 1;\n")

    # when / then
    with pytest.raises(migrations.MigrationError, match=r"2026_bad\.sql"):
        migrations.discover(supabase_dir / "migrations")


def test_cli_migrate_refuses_a_changed_migration_with_a_non_zero_exit(scratch_db, supabase_dir):
    # given
    assert run_cli(scratch_db, "migrate", "--supabase-dir", str(supabase_dir)).returncode == 0
    changed = supabase_dir / "migrations" / "20260101000000_notes.sql"
    changed.write_text(CREATE_NOTES.replace("body text", "body varchar"))

    # when
    migrate = run_cli(scratch_db, "migrate", "--supabase-dir", str(supabase_dir))
    check = run_cli(scratch_db, "migrate", "--check", "--supabase-dir", str(supabase_dir))

    # then
    assert migrate.returncode == 1
    assert str(changed) in migrate.stderr
    assert check.returncode == 1
    assert "changed  20260101000000_notes.sql" in check.stdout


def test_cli_migrate_seeds_a_fresh_database_once(scratch_db, supabase_dir):
    # given
    (supabase_dir / "seed.sql").write_text("insert into public.notes values (2, 'seeded');\n")

    # when
    first = run_cli(scratch_db, "migrate", "--supabase-dir", str(supabase_dir))
    second = run_cli(scratch_db, "migrate", "--supabase-dir", str(supabase_dir))

    # then
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert "seed.sql" in first.stdout
    assert "applied" not in second.stdout
    with psycopg.connect(scratch_db) as conn:
        assert conn.execute("select count(*) from public.notes").fetchone() == (2,)


def test_a_first_run_cut_short_seeds_on_the_run_that_completes(scratch_db, supabase_dir):
    # given: a fresh database whose first run fails on its second migration
    (supabase_dir / "seed.sql").write_text("insert into public.notes values (2, 'seeded');\n")
    second = supabase_dir / "migrations" / "20260101000100_first_note.sql"
    second.write_text("select broken;\n")
    assert run_cli(scratch_db, "migrate", "--supabase-dir", str(supabase_dir)).returncode == 1

    # when the migration is fixed
    second.write_text(INSERT_NOTE)
    fixed = run_cli(scratch_db, "migrate", "--supabase-dir", str(supabase_dir))

    # then
    assert fixed.returncode == 0, fixed.stderr
    with psycopg.connect(scratch_db) as conn:
        notes = conn.execute("select note_id from public.notes order by 1").fetchall()
        seeds = conn.execute("select path from supabase_migrations.seed_files").fetchall()
    assert notes == [(1,), (2,)]
    assert seeds == [(f"{supabase_dir.name}/seed.sql",)]


def test_cli_migrate_check_lists_pending_migrations(scratch_db):
    # when: the project's migrations against a database that has none of them
    check = run_cli(scratch_db, "migrate", "--check")

    # then
    assert check.returncode == 1
    first = sorted(p.name for p in (stack.SUPABASE_DIR / "migrations").glob("*.sql"))[0]
    assert f"pending  {first}" in check.stdout


@pytest.mark.parametrize(
    ("script", "statements"),
    [
        ("select 1; select 2;", ["select 1", "select 2"]),
        ("select 'a;''b'; select \"x;y\"", ["select 'a;''b'", 'select "x;y"']),
        ("select E'\\';'; select 2", ["select E'\\';'", "select 2"]),
        ("do $$ begin perform 1; end $$; select 2", ["do $$ begin perform 1; end $$", "select 2"]),
        ("select $t$ ; $$ ; $t$;", ["select $t$ ; $$ ; $t$"]),
        ("/* a /* ; */ ; */ select 1; -- done;\n", ["/* a /* ; */ ; */ select 1"]),
        (
            "create rule r as on insert to t do (select 1; select 2)",
            ["create rule r as on insert to t do (select 1; select 2)"],
        ),
    ],
)
def test_scripts_split_into_statements_like_the_supabase_cli(script, statements):
    assert split_statements(script) == statements


def test_a_history_that_is_not_a_prefix_of_the_files_is_refused_whole(scratch_db, supabase_dir):
    # given a database built from a chain since reshaped: one applied file gone, one new file
    # older than the last applied one
    apply(scratch_db, supabase_dir)
    migrations_dir = supabase_dir / "migrations"
    (migrations_dir / "20260101000100_first_note.sql").unlink()
    (migrations_dir / "20260101000050_folded.sql").write_text(INSERT_NOTE.replace("1,", "2,"))
    (migrations_dir / "20260101000200_later.sql").write_text(INSERT_NOTE.replace("1,", "3,"))

    # when
    with pytest.raises(migrations.MigrationError) as refused:
        apply(scratch_db, supabase_dir)

    # then nothing ran, and the message says what differs and what to do
    message = str(refused.value)
    assert "make reset" in message
    assert "20260101000100 applied, no such file" in message
    assert "20260101000050_folded.sql not applied, older than 20260101000100" in message
    assert [row[0] for row in history(scratch_db)] == ["20260101000000", "20260101000100"]
    with psycopg.connect(scratch_db) as conn:
        assert conn.execute("select count(*) from public.notes").fetchone() == (1,)
