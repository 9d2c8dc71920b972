"""supabase/schema.sql is what the migrations build, and every SQL object has one migration."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from pathlib import Path

from dotline_local import schema_dump

MIGRATIONS = schema_dump.ROOT / "supabase" / "migrations"
DEFINITION = re.compile(
    r"^\s*create\s+(?:or\s+replace\s+)?(function|procedure|view|materialized\s+view|trigger)\s+"
    r"(?:if\s+not\s+exists\s+)?([\w.\"]+)(?:[\s\S]*?\bon\s+([\w.]+))?",
    re.IGNORECASE | re.MULTILINE,
)


def definitions(text: str) -> set[str]:
    """The functions, procedures, views and triggers (with their table) a migration creates."""
    found = set()
    for kind, name, table in DEFINITION.findall(text):
        kind = " ".join(kind.lower().split())
        found.add(f"{kind} {name.lower()}" + (f" on {table.lower()}" if kind == "trigger" else ""))
    return found


def test_no_sql_function_view_or_trigger_is_defined_in_more_than_one_migration():
    # given
    homes: dict[str, list[str]] = defaultdict(list)
    for path in sorted(MIGRATIONS.glob("*.sql")):
        for name in definitions(path.read_text(encoding="utf-8")):
            homes[name].append(path.name)

    # then
    assert homes, "no definitions found: the pattern no longer matches the migrations"
    shared = {name: files for name, files in homes.items() if len(files) > 1}
    assert shared == {}, f"defined in more than one migration (fold them into one): {shared}"


def test_the_definition_scan_sees_a_redefinition():
    # given two files defining the same function, as a fix-up migration would
    first = (
        "create or replace function private.f(a int) returns int language sql as $$ select a $$;"
    )
    later = "-- fix\nCREATE FUNCTION private.F(a int) returns int language sql as $$ select 2 $$;"

    # then
    assert definitions(first) & definitions(later) == {"function private.f"}


def test_schema_sql_is_what_the_migrations_build():
    # given the files' chain, built in a fresh scratch cluster and dumped
    built = schema_dump.build(schema_dump.chain_from_files(), lambda _line: None).schema
    checked_in = schema_dump.SCHEMA_FILE.read_text(encoding="utf-8")

    # then
    if built != checked_in:
        diff = "".join(
            list(
                difflib.unified_diff(
                    checked_in.splitlines(keepends=True),
                    built.splitlines(keepends=True),
                    "supabase/schema.sql",
                    "the migrations",
                    n=1,
                )
            )[:60]
        )
        raise AssertionError(
            f"supabase/schema.sql is stale: run `make schema` and commit it.\n{diff}"
        )


def test_the_normalised_dump_drops_the_banner_and_orders_blocks_and_grants():
    # given a dump as pg_dump writes it, blocks and grants out of order
    dump = "\n".join(
        [
            "-- Dumped from database version 15.14",
            "\\restrict abc",
            "SET statement_timeout = 0;",
            "--",
            "-- Name: t; Type: TABLE; Schema: public; Owner: postgres",
            "--",
            "",
            "CREATE TABLE public.t (a int);",
            "--",
            "-- Name: TABLE t; Type: ACL; Schema: public; Owner: postgres",
            "--",
            "GRANT SELECT ON TABLE public.t TO authenticated;",
            "GRANT ALL ON TABLE public.t TO service_role;",
            "--",
            "-- Name: a; Type: TABLE; Schema: public; Owner: postgres",
            "--",
            "CREATE TABLE public.a (b int);",
            "\\unrestrict abc",
        ]
    )

    # when
    text = schema_dump.normalise(dump)

    # then
    assert "Dumped" not in text and "restrict" not in text and "SET " not in text
    body = text[len(schema_dump.HEADER) :]
    assert body.index("public.a (") < body.index("TABLE t; Type: ACL") < body.index("public.t (")
    assert body.index("GRANT ALL") < body.index("GRANT SELECT")


def test_schema_sql_exists_and_is_checked_in():
    assert Path(schema_dump.SCHEMA_FILE).is_file()


SCHEMA_MAP = schema_dump.ROOT / "docs" / "schema-map.md"
# Objects of Supabase or of an extension, not of the migrations.
NOT_OURS = ("auth.", "cron.", "storage.", "realtime.")
QUALIFIED = re.compile(r"`((?:public|private|api|graph|vectors|auth|cron)\.\w+)(?![\w(])")
RELATION = re.compile(
    r"^CREATE (?:UNLOGGED )?(?:TABLE|VIEW|MATERIALIZED VIEW) ([\w.]+)", re.MULTILINE
)
ROUTINE = re.compile(r"^CREATE (?:FUNCTION|PROCEDURE) ([\w.]+)\(", re.MULTILINE)


def test_the_schema_map_names_only_what_exists_and_every_exposed_table():
    # given
    doc = SCHEMA_MAP.read_text(encoding="utf-8")
    schema = schema_dump.SCHEMA_FILE.read_text(encoding="utf-8")
    relations = set(RELATION.findall(schema))
    routines = set(ROUTINE.findall(schema))
    named = set(QUALIFIED.findall(doc))

    # then every name the map uses is a table, view or function the migrations build
    gone = sorted(n for n in named if not n.startswith(NOT_OURS) and n not in relations | routines)
    assert gone == [], f"docs/schema-map.md names what supabase/schema.sql lacks: {gone}"
    # and every table in an exposed schema has its line there (seed origin, or why it is new)
    exposed = {r for r in relations if r.startswith(("public.", "api."))}
    unnamed = sorted(exposed - named)
    assert unnamed == [], f"docs/schema-map.md does not name these tables: {unnamed}"
