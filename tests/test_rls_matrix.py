"""Row-level security matrix over every table with a user_id column, read from the catalogue.

For each such table a real row is built for a victim (NOT NULL columns from their type and check
constraints, foreign-key parents created first), then another signed-in user and anon each try
to select, update, delete it and to insert a row in the victim's name. Every attempt must see
nothing, change nothing or be refused. Tables are read from pg_catalog, not from a hand list, so
a table added by any migration is covered the moment it exists.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql
from psycopg.types.json import Jsonb

from dotline.settings import get_settings

EXPOSED_SCHEMAS = ("public",)
MIN_USER_TABLES = 10  # fewer means the catalogue query is looking in the wrong place
MAX_BUILD_ATTEMPTS = 200
MAX_PARENT_DEPTH = 6
DENIED = "42501"  # insufficient_privilege: missing grant or row-level security refusal
LITERAL = re.compile(r"'((?:[^']|'')*)'::")

USER_TABLES_SQL = """
select format('%%I.%%I', n.nspname, c.relname)
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attname = 'user_id' and not a.attisdropped
where n.nspname = any(%(schemas)s) and c.relkind in ('r', 'p') and not c.relispartition
order by 1
"""


def user_tables() -> list[str]:
    """The tables to cover, read once at collection time (empty when the database is down)."""
    try:
        url = get_settings().database_url.get_secret_value()
        with psycopg.connect(url, connect_timeout=5) as conn:
            rows = conn.execute(USER_TABLES_SQL, {"schemas": list(EXPOSED_SCHEMAS)}).fetchall()
    except psycopg.OperationalError:
        return []
    return [row[0] for row in rows]


@dataclass
class Column:
    name: str
    type_name: str
    not_null: bool
    has_default: bool
    is_enum: bool
    enum_labels: list[str]
    is_generated: bool


@dataclass
class Table:
    """What the row builder needs to know about one table."""

    name: str
    columns: list[Column]
    primary_key: list[str]
    # local columns -> (parent table, parent columns)
    foreign_keys: list[tuple[list[str], str, list[str]]]
    checks: dict[str, list[str]] = field(default_factory=dict)  # constraint -> columns
    literals: dict[str, list[str]] = field(default_factory=dict)  # column -> check literals


def describe(conn: psycopg.Connection[Any], name: str) -> Table:
    """Read columns, primary key, foreign keys and check constraints of a table."""
    columns = [
        Column(row[0], row[1], row[2], row[3], row[4], row[5] or [], row[6])
        for row in conn.execute(
            """
            select a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   a.atthasdef or a.attidentity <> '' or a.attgenerated <> '',
                   t.typtype = 'e',
                   (select array_agg(e.enumlabel order by e.enumsortorder)
                    from pg_enum e where e.enumtypid = t.oid),
                   a.attidentity <> '' or a.attgenerated <> ''
            from pg_attribute a join pg_type t on t.oid = a.atttypid
            where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped
            order by a.attnum
            """,
            (name,),
        ).fetchall()
    ]
    primary_key = [
        row[0]
        for row in conn.execute(
            """
            select a.attname from pg_index i
            join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
            where i.indrelid = %s::regclass and i.indisprimary
            order by array_position(i.indkey::int2[], a.attnum)
            """,
            (name,),
        ).fetchall()
    ]
    table = Table(name, columns, primary_key, [])
    for conname, contype, local, parent, remote, definition in conn.execute(
        """
        select c.conname, c.contype,
               array(select attname from pg_attribute where attrelid = c.conrelid
                     and attnum = any(c.conkey) order by array_position(c.conkey, attnum)),
               c.confrelid::regclass::text,
               array(select attname from pg_attribute where attrelid = c.confrelid
                     and attnum = any(c.confkey) order by array_position(c.confkey, attnum)),
               pg_get_constraintdef(c.oid)
        from pg_constraint c where c.conrelid = %s::regclass and c.contype in ('f', 'c', 'u', 'p')
        """,
        (name,),
    ).fetchall():
        if contype == "f":
            table.foreign_keys.append((list(local), parent, list(remote)))
            continue
        table.checks[conname] = list(local)
        if contype == "c":
            for column in local:
                found = [v.replace("''", "'") for v in LITERAL.findall(definition)]
                table.literals.setdefault(column, []).extend(found)
    return table


def candidates(column: Column, literals: list[str]) -> list[tuple[str, Any]]:
    """Values to try for a NOT NULL column without default: (SQL placeholder, parameter)."""
    type_name = column.type_name
    if column.is_enum:
        return [("%s", label) for label in column.enum_labels]
    if type_name == "uuid":
        return [("%s::uuid", str(uuid.uuid4()))]
    if type_name in ("jsonb", "json"):
        return [(f"%s::{type_name}", v) for v in ("{}", "[]", '{"x": 1}')]
    if type_name.endswith("[]"):
        return [(f"%s::{type_name}", "{}")]
    if type_name.startswith(("timestamp", "date", "time")):
        return [(f"now()::{type_name}", None)]
    if type_name in ("integer", "bigint", "smallint"):
        return [(f"%s::{type_name}", v) for v in (1, 0, 100)]
    if type_name.startswith(("numeric", "double", "real")):
        return [(f"%s::{type_name}", v) for v in (0.5, 0, 1)]
    if type_name == "boolean":
        return [("%s::boolean", v) for v in (True, False)]
    if type_name == "interval":
        return [("%s::interval", "1 day")]
    if type_name == "inet":
        return [("%s::inet", "127.0.0.1")]
    if type_name == "tsvector":
        return [("to_tsvector('english', %s)", "rls matrix")]
    if type_name.startswith(("text", "character", "citext", "name")):
        tag = secrets.token_hex(4)
        pool = [
            *literals,
            f"x{tag}",
            "1.0.0",
            "self_know",
            f"u{tag}@example.com",
            f"https://example.com/{tag}",
            "en",
            "UTC",
            "x",
        ]
        return [(f"%s::{type_name}", v) for v in pool]
    raise AssertionError(f"no value generator for {column.name} {type_name}: extend candidates()")


class RowBuilder:
    """Inserts valid rows (as the superuser, so RLS does not apply) for a given owner."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.tables: dict[str, Table] = {}

    def table(self, name: str) -> Table:
        if name not in self.tables:
            self.tables[name] = describe(self.conn, name)
        return self.tables[name]

    def values(self, table: Table, owner: uuid.UUID, depth: int) -> dict[str, tuple[str, Any]]:
        """Fixed values: user_id and NOT NULL foreign keys (parents inserted first)."""
        fixed: dict[str, tuple[str, Any]] = {}
        by_name = {c.name: c for c in table.columns}
        for column in table.columns:
            if column.name == "user_id":
                fixed["user_id"] = ("%s::uuid", str(owner))
        for local, parent, remote in table.foreign_keys:
            if all(c in fixed for c in local):
                continue
            needed = any(
                by_name[c].not_null and not by_name[c].has_default for c in local if c not in fixed
            )
            if not needed:
                continue
            if parent in ("public.profiles", "auth.users"):
                for c in local:
                    fixed[c] = ("%s::uuid", str(owner))
                continue
            assert depth < MAX_PARENT_DEPTH, f"foreign keys of {table.name} nest too deep"
            parent_row = self.insert(parent, owner, depth + 1)
            for c, r in zip(local, remote, strict=True):
                fixed[c] = ("%s", adapt(parent_row[r], column_type(table, c)))
        return fixed

    def insert(
        self,
        name: str,
        owner: uuid.UUID,
        depth: int = 0,
        fixed: dict[str, tuple[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Insert one valid row of `name` owned by `owner` (parents given or made); return it."""
        table = self.table(name)
        if table.primary_key == ["user_id"]:
            existing = self.conn.execute(
                sql.SQL("select * from {} where user_id = %s").format(sql.SQL(name)), (owner,)
            )
            found = existing.fetchone()
            if found is not None:
                return dict(zip([d.name for d in existing.description or []], found, strict=True))
        if fixed is None:
            fixed = self.values(table, owner, depth)
        free = [
            c for c in table.columns if c.name not in fixed and c.not_null and not c.has_default
        ]
        options = {c.name: candidates(c, table.literals.get(c.name, [])) for c in free}
        choice = dict.fromkeys(options, 0)
        optional = {
            c.name: c for c in table.columns if c.name not in fixed and c.name not in options
        }
        last_error: Exception | None = None
        for _ in range(MAX_BUILD_ATTEMPTS):
            row = {**fixed, **{c: options[c][i] for c, i in choice.items()}}
            try:
                with self.conn.transaction():
                    cursor = self.conn.execute(insert_statement(name, row), params(row))
                    result = cursor.fetchone()
                    assert result is not None
                    names = [d.name for d in cursor.description or []]
                    return dict(zip(names, result, strict=True))
            except (
                errors.CheckViolation,
                errors.UniqueViolation,
                errors.InvalidTextRepresentation,
                errors.InvalidParameterValue,
                errors.DatetimeFieldOverflow,
                errors.NumericValueOutOfRange,
            ) as exc:
                last_error = exc
                involved = table.checks.get(exc.diag.constraint_name or "", list(options))
                # a check over nullable columns (say "a or b is set") needs them filled in
                keys = {c for local, _, _ in table.foreign_keys for c in local}
                newly = [
                    c
                    for c in involved
                    if c in optional and not optional[c].has_default and c not in keys
                ][:1]
                for c in newly:
                    options[c] = candidates(optional.pop(c), table.literals.get(c, []))
                    choice[c] = 0
                if newly:
                    continue
                if not advance(
                    choice, options, [c for c in involved if c in options] or list(options)
                ):
                    break
        raise AssertionError(
            f"cannot build a row for {name} ({last_error}); extend candidates() for its checks"
        )


def advance(choice: dict[str, int], options: dict[str, list[Any]], columns: list[str]) -> bool:
    """Odometer over the candidate lists of the given columns; False when exhausted."""
    for column in columns:
        if choice[column] + 1 < len(options[column]):
            choice[column] += 1
            return True
        choice[column] = 0
    return False


def adapt(value: Any, type_name: str) -> Any:
    """A value read back from a row, ready to be sent again as a parameter of that type."""
    if type_name in ("json", "jsonb"):
        return Jsonb(value)
    if type_name.endswith("[]") and value == []:
        return "{}"  # an empty list carries no element type
    return value


def column_type(table: Table, column: str) -> str:
    return next(c.type_name for c in table.columns if c.name == column)


def insert_statement(name: str, row: dict[str, tuple[str, Any]]) -> sql.Composed:
    return sql.SQL("insert into {} ({}) values ({}) returning *").format(
        sql.SQL(name),
        sql.SQL(", ").join(sql.Identifier(c) for c in row),
        sql.SQL(", ").join(sql.SQL(placeholder) for placeholder, _ in row.values()),
    )


def params(row: dict[str, tuple[str, Any]]) -> list[Any]:
    return [value for placeholder, value in row.values() if "%s" in placeholder]


@dataclass
class World:
    conn: psycopg.Connection[Any]
    builder: RowBuilder
    victim: uuid.UUID
    attacker: uuid.UUID
    fresh_victim: uuid.UUID


@pytest.fixture
def world() -> Iterator[World]:
    """One transaction, rolled back at the end: three auth users (profiles by trigger)."""
    with psycopg.connect(get_settings().database_url.get_secret_value()) as conn:
        users = [uuid.uuid4() for _ in range(3)]
        for user_id in users:
            conn.execute(
                "insert into auth.users (id, email, aud, role)"
                " values (%s, %s, 'authenticated', 'authenticated')",
                (user_id, f"rls-{user_id.hex[:12]}@example.com"),
            )
        yield World(conn, RowBuilder(conn), *users)
        conn.rollback()


def as_role(conn: psycopg.Connection[Any], role: str, user_id: uuid.UUID | None) -> None:
    conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
    claims = {"sub": str(user_id), "role": role} if user_id else {"role": role}
    conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))


def attempt(
    conn: psycopg.Connection[Any],
    role: str,
    user_id: uuid.UUID | None,
    statement: sql.Composable,
    args: list[Any],
    probe: tuple[sql.Composable, list[Any]] | None = None,
) -> tuple[int | str, Any]:
    """Run one statement as role/user in a savepoint that is always rolled back.

    Returns the affected or returned row count (or the SQLSTATE it failed with) and, when a
    probe is given, what the probe query saw afterwards as the superuser, still in the savepoint.
    """
    try:
        with conn.transaction(force_rollback=True):
            as_role(conn, role, user_id)
            cursor = conn.execute(statement, args)
            outcome = len(cursor.fetchall()) if cursor.description else cursor.rowcount
            conn.execute("reset role")
            seen = conn.execute(probe[0], probe[1]).fetchone() if probe else None
            return outcome, seen
    except psycopg.Error as exc:
        return exc.sqlstate or "?", None


def key_filter(table: Table, row: dict[str, Any]) -> tuple[sql.Composable, list[Any]]:
    assert table.primary_key, f"{table.name} has no primary key"
    clause = sql.SQL(" and ").join(
        sql.SQL("{} = %s").format(sql.Identifier(c)) for c in table.primary_key
    )
    return clause, [row[c] for c in table.primary_key]


def typed(table: Table, column: str) -> sql.Composable:
    """A parameter placeholder cast to the column's type (as a client would send it)."""
    return sql.SQL("%s::" + column_type(table, column))


def writable(table: Table) -> str:
    """A column an UPDATE may name at all (not generated, not identity)."""
    return next(c.name for c in table.columns if not c.is_generated)


def privileged(conn: psycopg.Connection[Any], table: str, privilege: str) -> list[str]:
    """Columns of `table` on which authenticated holds `privilege`."""
    rows = conn.execute(
        """
        select a.attname from pg_attribute a
        where a.attrelid = %(t)s::regclass and a.attnum > 0 and not a.attisdropped
          and has_column_privilege('authenticated', a.attrelid, a.attnum, %(p)s)
        order by a.attnum
        """,
        {"t": table, "p": privilege},
    ).fetchall()
    return [r[0] for r in rows]


TABLES = user_tables()


def test_catalogue_lists_the_user_tables() -> None:
    assert len(TABLES) >= MIN_USER_TABLES, f"found only {TABLES}: is DATABASE_URL migrated?"


@pytest.mark.parametrize("name", TABLES)
def test_another_user_cannot_read_or_change_a_users_rows(world: World, name: str) -> None:
    # given: a row of the victim's
    conn = world.conn
    table = world.builder.table(name)
    row = world.builder.insert(name, world.victim)
    where, key = key_filter(table, row)
    select = sql.SQL("select 1 from {} where {}").format(sql.SQL(name), where)
    version = (sql.SQL("select ctid from {} where {}").format(sql.SQL(name), where), key)
    before = conn.execute(*version).fetchone()

    # when / then: select, as the owner (control) and as another user
    if privileged(conn, name, "SELECT"):
        assert attempt(conn, "authenticated", world.victim, select, key)[0] == 1, (
            "the owner cannot read their own row: the matrix would prove nothing"
        )
        assert attempt(conn, "authenticated", world.attacker, select, key)[0] == 0
    else:
        assert attempt(conn, "authenticated", world.attacker, select, key)[0] == DENIED

    # update: blind (no WHERE, nothing read), so only the UPDATE policy stands in the way; every
    # column the role may update is set to the victim's own value; the row must keep its version
    updatable = privileged(conn, name, "UPDATE") or [writable(table)]
    update = sql.SQL("update {} set {}").format(
        sql.SQL(name),
        sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(c), typed(table, c)) for c in updatable
        ),
    )
    outcome, after = attempt(
        conn,
        "authenticated",
        world.attacker,
        update,
        [adapt(row[c], column_type(table, c)) for c in updatable],
        version,
    )
    assert outcome == DENIED or after == before, (
        f"another user's update reached the row ({outcome})"
    )

    # delete: blind as well; the row must still be there
    delete = sql.SQL("delete from {}").format(sql.SQL(name))
    outcome, after = attempt(conn, "authenticated", world.attacker, delete, [], version)
    assert outcome == DENIED or after == before, (
        f"another user's delete reached the row ({outcome})"
    )


@pytest.mark.parametrize("name", TABLES)
def test_another_user_cannot_insert_in_a_users_name(world: World, name: str) -> None:
    # given: a valid row for a victim who has none yet, with the columns clients may insert
    conn = world.conn
    table = world.builder.table(name)
    parents = world.builder.values(table, world.fresh_victim, 0)
    with conn.transaction(force_rollback=True):  # proves such a row is valid, then undoes it
        full = world.builder.insert(name, world.fresh_victim, fixed=parents)
    insertable = privileged(conn, name, "INSERT")
    columns = [c for c in insertable if c in full and full[c] is not None] or ["user_id"]
    statement = sql.SQL("insert into {} ({}) values ({}) returning 1").format(
        sql.SQL(name),
        sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        sql.SQL(", ").join(typed(table, c) for c in columns),
    )
    args = [adapt(full[c], column_type(table, c)) for c in columns]

    # when
    outcome, _ = attempt(conn, "authenticated", world.attacker, statement, args)

    # then: refused (RLS or grants), or impossible without server-only columns
    assert outcome in (DENIED, "23502"), f"another user's insert gave {outcome}"


@pytest.mark.parametrize("name", TABLES)
def test_anon_can_do_nothing(world: World, name: str) -> None:
    # given
    conn = world.conn
    table = world.builder.table(name)
    row = world.builder.insert(name, world.victim)
    where, key = key_filter(table, row)
    first = sql.Identifier(writable(table))
    statements = [
        sql.SQL("select 1 from {} where {}").format(sql.SQL(name), where),
        sql.SQL("update {} set {} = {} where {}").format(sql.SQL(name), first, first, where),
        sql.SQL("delete from {} where {}").format(sql.SQL(name), where),
    ]

    # when / then
    for statement in statements:
        assert attempt(conn, "anon", None, statement, key)[0] == DENIED, statement.as_string(conn)
    insert = sql.SQL("insert into {} (user_id) values (%s)").format(sql.SQL(name))
    assert attempt(conn, "anon", None, insert, [world.victim])[0] == DENIED
