"""Every column of a `public` table is used by some code path, or docs/schema-map.md says why not.

"Used" is what a reader's grep finds: the column's name as a whole word in a SQL function or view
of supabase/schema.sql that names its table, in a Python module under shared/dotline or functions/
that names its table, or in a model (shared/dotline/models/, which routes read and write). A new
column nothing touches fails here until a path uses it or the map's section "Columns no path
writes or reads, and why" lists it with the reason.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_SQL = ROOT / "supabase" / "schema.sql"
SCHEMA_MAP = ROOT / "docs" / "schema-map.md"
SECTION = "## Columns no path writes or reads, and why"
CODE_DIRS = ("shared/dotline", "functions")
_TABLE = re.compile(r"^CREATE TABLE public\.(\w+) \(\n(.*?)\n\)[^;]*;", re.S | re.M)
_BODY_TYPE = re.compile(r"[^\n]*; Type: (FUNCTION|PROCEDURE|VIEW|MATERIALIZED VIEW);")
_LISTED = re.compile(r"^\| `(\w+)\.(\w+)` \|", re.M)


def public_columns(schema: str) -> dict[str, list[str]]:
    """Each public table's columns, in order, from a pg_dump of the schema."""
    tables: dict[str, list[str]] = {}
    for match in _TABLE.finditer(schema):
        lines = (line.strip() for line in match.group(2).splitlines())
        tables[match.group(1)] = [
            line.split()[0].strip('"')
            for line in lines
            if line and not line.startswith("CONSTRAINT")
        ]
    return tables


def sql_bodies(schema: str) -> list[str]:
    """The functions and views of the dump (each block pg_dump heads with `-- Name:`)."""
    return [block for block in schema.split("\n-- Name: ") if _BODY_TYPE.match(block)]


def mentions(word: str, text: str) -> bool:
    return re.search(rf"\b{re.escape(word)}\b", text) is not None


@cache
def python_sources() -> dict[Path, str]:
    return {p: p.read_text() for d in CODE_DIRS for p in (ROOT / d).rglob("*.py")}


def unused_columns(schema: str) -> list[str]:
    """`table.column` for each public column no function, view or module refers to."""
    bodies = sql_bodies(schema)
    unused = []
    for table, columns in sorted(public_columns(schema).items()):
        texts = [b for b in bodies if mentions(table, b)] + [
            source
            for path, source in python_sources().items()
            if "models" in path.parts or mentions(table, source)
        ]
        unused += [f"{table}.{c}" for c in columns if not any(mentions(c, t) for t in texts)]
    return unused


def listed_columns(schema_map: str) -> set[str]:
    """The `table.column` rows of the map's section on unused columns."""
    section = schema_map.partition(SECTION)[2].split("\n## ", 1)[0]
    return {f"{t}.{c}" for t, c in _LISTED.findall(section)}


def test_the_scan_reads_the_dump() -> None:
    schema = SCHEMA_SQL.read_text()
    columns = public_columns(schema)
    assert "sentiment" in columns["reflections"]
    assert "current_focus_area" in columns["user_progress"]
    assert any("private.count_app_growth()" in b for b in sql_bodies(schema))


def test_the_scan_finds_a_column_nothing_uses() -> None:
    schema = "CREATE TABLE public.reflections (\n    zz_never_used_anywhere text\n);\n"
    assert unused_columns(schema) == ["reflections.zz_never_used_anywhere"]


def test_every_public_column_is_used_or_listed_with_its_reason() -> None:
    unused = set(unused_columns(SCHEMA_SQL.read_text()))
    listed = listed_columns(SCHEMA_MAP.read_text())
    assert sorted(unused - listed) == [], f"neither used nor listed in {SCHEMA_MAP.name}"


def test_the_list_names_only_columns_that_exist() -> None:
    columns = public_columns(SCHEMA_SQL.read_text())
    existing = {f"{t}.{c}" for t, cs in columns.items() for c in cs}
    assert sorted(listed_columns(SCHEMA_MAP.read_text()) - existing) == []
