"""Supabase's own linter (splinter, tests/splinter/) over the migrated database: no ERROR, no WARN.

Left out are the lints that only mean something on a long-lived database with real traffic:
`unused_index` (every index is unused on a database the tests just built), `table_bloat` and
`extension_versions_outdated` (what Supabase's platform, not the migrations, upgrades).
"""

from __future__ import annotations

import tomllib
from typing import Any

import psycopg
import pytest

from conftest import ROOT

SPLINTER_SQL = ROOT / "tests" / "splinter" / "splinter.sql"
CONFIG_TOML = ROOT / "supabase" / "config.toml"
LONG_LIVED_ONLY = ("unused_index", "table_bloat", "extension_versions_outdated")


def exposed_schemas() -> list[str]:
    """The schemas the Data API serves, as supabase/config.toml lists them."""
    config = tomllib.loads(CONFIG_TOML.read_text(encoding="utf-8"))
    return list(config["api"]["schemas"])


def lint(pg: psycopg.Connection[Any], schemas: list[str], setup: str = "") -> list[tuple[str, ...]]:
    """The ERROR and WARN findings over the database as it is (plus `setup`, rolled back)."""
    settings, query = SPLINTER_SQL.read_text(encoding="utf-8").split(";\n", 1)
    with pg.transaction(force_rollback=True):
        if setup:
            pg.execute(setup)
        # The lints read which schemas are exposed from PostgREST's setting.
        pg.execute("select set_config('pgrst.db_schemas', %s, true)", (",".join(schemas),))
        pg.execute(settings)  # splinter's own first statement: an empty search_path
        pg.execute("create temp table lints on commit drop as " + query)
        rows = pg.execute(
            "select level, name, detail from lints "
            "where level in ('ERROR', 'WARN') and name <> all (%s) order by level, name, detail",
            (list(LONG_LIVED_ONLY),),
        ).fetchall()
    return [tuple(row) for row in rows]


def test_the_config_exposes_only_public_and_graphql():
    # The hot-path `api` schema and the internal ones must stay out of the Data API.
    assert set(exposed_schemas()) == {"public", "graphql_public"}


@pytest.mark.parametrize(
    "schemas",
    [
        pytest.param(exposed_schemas(), id="exposed"),
        # `api` is granted to authenticated and holds functions they run; were it ever exposed,
        # nothing in it may show up either.
        pytest.param([*exposed_schemas(), "api"], id="exposed-and-api"),
    ],
)
def test_splinter_finds_no_error_and_no_warning(pg, schemas):
    assert lint(pg, schemas) == []


def test_splinter_reports_what_it_should_here(pg):
    # given a function with a mutable search_path and a public table without row-level security
    setup = (
        "create function public.splinter_probe() returns int language sql as 'select 1';"
        "create table public.splinter_probe_table (id int primary key);"
    )

    # when
    findings = lint(pg, exposed_schemas(), setup)

    # then both are named, so the empty answer above means something
    names = {(level, name) for level, name, _ in findings}
    assert ("WARN", "function_search_path_mutable") in names
    assert ("ERROR", "rls_disabled_in_public") in names
