"""GET /v1/me/export through the real gateway: every store's data of the caller, nobody else's."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest

from dotline import cache_keys
from dotline.bootstrap import Deps
from dotline.settings import Settings
from lifecycle_data import add_behaviour_event, add_conversation, add_memory, cache_state, mirror


@pytest.fixture
def deps(settings: Settings) -> Deps:
    return Deps(settings=settings)


def owned_tables(pg: psycopg.Connection[Any]) -> set[str]:
    rows = pg.execute(
        "select schema_name || '.' || table_name from private.user_owned_tables()"
    ).fetchall()
    return {row[0] for row in rows}


def test_the_export_holds_every_store_of_the_caller_and_nothing_of_others(
    pg: psycopg.Connection[Any], deps: Deps, make_user: Any, api: httpx.Client
) -> None:
    # given a person with memories, a conversation, events, a graph and cached state, and another
    user, other = make_user(), make_user()
    memory = add_memory(pg, user.user_id, "Lisbon trip")
    conversation, messages = add_conversation(pg, user.user_id, age_days=1, message_ages=[0])
    event = add_behaviour_event(pg, user.user_id, age_days=0)
    mirror(pg, deps, user.user_id)
    cached = cache_state(deps, user.user_id)
    add_memory(pg, other.user_id, "Someone else's secret")

    # when they export their data
    response = api.get("/v1/me/export", headers=user.headers)

    # then one document holds their rows, graph, vector items and cache, and nobody else's
    assert response.status_code == 200, response.text
    export = response.json()
    tables = export["postgres"]
    assert set(tables) <= owned_tables(pg)
    assert [m["memory_id"] for m in tables["public.memories"]] == [str(memory)]
    assert [c["conversation_id"] for c in tables["public.conversations"]] == [str(conversation)]
    assert [m["message_id"] for m in tables["public.messages"]] == [str(m) for m in messages]
    assert [e["event_id"] for e in tables["public.behaviour_events"]] == [str(event)]
    assert tables["public.profiles"][0]["user_id"] == str(user.user_id)
    items = tables["vectors.items"]
    assert [i["source_entity_id"] for i in items] == [str(memory)]
    assert "vector" not in items[0]
    assert str(memory) in {node["node_id"] for node in export["graph"]["nodes"]}
    day = cache_keys.daily_stats(user.user_id)  # the export request itself may be counted in it
    counted = {name: n for name, n in export["cache"][day].items() if name != "requests"}
    assert {**export["cache"], day: counted} == cached
    assert "Someone else's secret" not in response.text
    assert cache_keys.orb_state(user.user_id) in export["cache"]


def test_a_table_without_a_user_id_is_not_offered_and_a_new_owned_table_is(
    pg: psycopg.Connection[Any],
) -> None:
    # given the catalogue as the migrations left it, and a table added later inside a transaction
    with pg.transaction(force_rollback=True):
        pg.execute("create table public.lifecycle_probe (user_id uuid, note text)")

        # when the owned tables are listed
        tables = owned_tables(pg)

    # then the new table is among them and catalogue tables without a user_id are not
    assert "public.lifecycle_probe" in tables
    assert "public.apps" not in tables
    assert "public.memories" in tables
