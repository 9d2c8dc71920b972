"""The migration runner: supabase/migrations in version order, then the seed once, as the CLI.

Each file `<14 digits>_<name>.sql` runs in its own transaction and is recorded in
`supabase_migrations.schema_migrations (version, statements, name)`. An applied migration whose
file has changed since is refused, never re-run: write a new migration instead. So is a history
that is not a prefix of the files (an applied version with no file, or a file older than the last
applied one, as after the chain was reshaped): nothing is applied, `make reset` rebuilds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from dotline_local.sql_statements import split_statements

FILE_NAME = re.compile(r"^(?P<version>\d{14})_(?P<name>[A-Za-z0-9_\-.]+)\.sql$")
HISTORY_TABLE = "supabase_migrations.schema_migrations"
SEED_TABLE = "supabase_migrations.seed_files"
# Serialises runners (a `dotline up` and a pytest fixture, say) on the same database.
ADVISORY_LOCK_KEY = 0x646F746C696E65  # "dotline"


class MigrationError(RuntimeError):
    """A migration could not be applied, or the history disagrees with the files."""


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: str
    name: str
    path: Path
    text: str

    @property
    def statements(self) -> list[str]:
        """The file split into statements, as recorded in the history table."""
        return split_statements(self.text)


@dataclass
class Plan:
    """How the files compare with the database's history."""

    pending: list[Migration] = field(default_factory=list)
    changed: list[Migration] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    history_was_empty: bool = True
    last_applied: str | None = None

    @property
    def out_of_order(self) -> list[Migration]:
        """Pending files older than the last applied migration: they can no longer run in order."""
        last = self.last_applied
        return [m for m in self.pending if last is not None and m.version < last]

    @property
    def diverged(self) -> bool:
        """The recorded history is not a prefix of the files."""
        return bool(self.missing_files or self.out_of_order)


def discover(directory: Path) -> list[Migration]:
    """The migration files in directory, in version order; other .sql names are an error."""
    found: dict[str, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path}: not named <14-digit version>_<name>.sql")
        version = match["version"]
        if version in found:
            raise MigrationError(f"{path}: version {version} also used by {found[version].path}")
        found[version] = Migration(version, match["name"], path, path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def plan(conn: psycopg.Connection, migrations: list[Migration]) -> Plan:
    """Compare migrations with the recorded history (missing history table: nothing applied)."""
    exists = conn.execute("select to_regclass(%s) is not null", (HISTORY_TABLE,)).fetchone()
    applied: dict[str, list[str]] = {}
    if exists and exists[0]:
        rows = conn.execute(f"select version, statements from {HISTORY_TABLE}").fetchall()  # noqa: S608
        applied = {version: list(statements or []) for version, statements in rows}
    result = Plan(history_was_empty=not applied, last_applied=max(applied, default=None))
    on_disk = {m.version for m in migrations}
    result.missing_files = sorted(v for v in applied if v not in on_disk)
    for migration in migrations:
        if migration.version not in applied:
            result.pending.append(migration)
        elif _normalised(applied[migration.version]) != _normalised(migration.statements):
            result.changed.append(migration)
    return result


def apply(
    conn: psycopg.Connection,
    migrations: list[Migration],
    on_applied: Callable[[Migration], None] | None = None,
) -> Plan:
    """Apply every pending migration, each in its own transaction; refuse changed ones.

    conn must be in autocommit mode; on_applied hears of each migration once committed.
    Returns the plan it carried out.
    """
    conn.execute("select pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
    try:
        todo = plan(conn, migrations)
        if todo.diverged:
            raise MigrationError(_diverged_message(todo))
        if todo.changed:
            raise MigrationError(_changed_message(todo.changed))
        for migration in todo.pending:
            _apply_one(conn, migration)
            if on_applied is not None:
                on_applied(migration)
        return todo
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))


def apply_seed_once(conn: psycopg.Connection, seed: Path, root: Path) -> bool:
    """Run the seed unless supabase_migrations.seed_files (the CLI's record) lists it already.

    Called after a complete migration run, so a fresh database is seeded right after its first
    one, and only then; a first run cut short by a failing migration seeds on the one that
    completes. The seed is recorded by its path relative to root. True when it ran.
    """
    name, text = str(seed.relative_to(root)), seed.read_bytes()
    recorded = conn.execute(f"select 1 from {SEED_TABLE} where path = %s", (name,)).fetchone()  # noqa: S608
    if recorded:
        return False
    try:
        with conn.transaction():
            conn.execute(text)
            conn.execute(
                f"insert into {SEED_TABLE} (path, hash) values (%s, %s)",  # noqa: S608
                (name, hashlib.sha256(text).hexdigest()),
            )
    except psycopg.Error as exc:
        raise MigrationError(f"{seed}: failed, nothing of it was applied: {exc}") from exc
    return True


def _apply_one(conn: psycopg.Connection, migration: Migration) -> None:
    # The file runs as one query, as `psql -f` would see it; the split statements are only the
    # record the Supabase CLI keeps.
    text = migration.text
    try:
        with conn.transaction():
            conn.execute(text.encode("utf-8"))
            conn.execute(
                f"insert into {HISTORY_TABLE} (version, statements, name) values (%s, %s, %s)",  # noqa: S608
                (migration.version, migration.statements, migration.name),
            )
    except psycopg.Error as exc:
        where = _line_of(text, exc.diag.statement_position)
        raise MigrationError(
            f"{migration.path}{where}: failed, nothing of it was applied: {exc}".rstrip()
        ) from exc


def _line_of(text: str, position: str | None) -> str:
    """':<line>' for a 1-based character position PostgreSQL reports, or ''."""
    if not position or not position.isdigit():
        return ""
    return f":{text[: int(position)].count(chr(10)) + 1}"


def _changed_message(changed: list[Migration]) -> str:
    files = "\n".join(f"  {m.path}" for m in changed)
    return (
        "applied migrations changed since they were applied (refusing to continue; revert the "
        "edit and add a new migration, or locally rebuild with `dotline reset`):\n" + files
    )


def _diverged_message(todo: Plan) -> str:
    lines = [f"  {version} applied, no such file" for version in todo.missing_files]
    lines += [
        f"  {m.path.name} not applied, older than {todo.last_applied}" for m in todo.out_of_order
    ]
    return (
        "this database's migration history is not a prefix of supabase/migrations (the chain was "
        "reshaped since it was built); nothing was applied. Rebuild it with `make reset`:\n"
        + "\n".join(lines)
    )


def _normalised(statements: list[str]) -> list[str]:
    """Statements compared without surrounding whitespace or trailing semicolons."""
    cleaned = (s.strip().rstrip(";").strip() for s in statements)
    return [s for s in cleaned if s]
