"""Fewer duplicates: a statement repeated across conversations is one memory with more evidence.

Conversations are held and ended through the gateway and ingested by the ingestion service over
real Postgres, the embedded graph and vectors (as in test_ingestion.py); the memory, its sources,
its history and the split are read and made through the API."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest

from dotline.bootstrap import Deps
from dotline.services.ingestion.ingestion import IngestionStores
from dotline.settings import Settings
from test_ingestion import converse, ingest, rows

HIKING = "I love hiking in the Brecon Beacons with my dog."


@pytest.fixture(scope="module")
def stores(settings: Settings) -> Iterator[IngestionStores]:
    deps = Deps(settings=settings)
    yield IngestionStores(deps.db, deps.language_model, deps.embedder, deps.graph, deps.vectors)
    deps.db.close()


def memories_saying(pg: psycopg.Connection[Any], user: Any, words: str) -> list[dict[str, Any]]:
    return rows(
        pg,
        "select * from memories where user_id = %s and content ilike %s order by creation_ts",
        user.user_id,
        f"%{words}%",
    )


def said_at(pg: psycopg.Connection[Any], conversation_id: UUID) -> Any:
    (row,) = rows(
        pg,
        "select created_at from messages where conversation_id = %s and role = 'user'",
        conversation_id,
    )
    return row["created_at"]


def merge_steps(history: list[dict[str, Any]]) -> list[str]:
    """The merge steps of a history, newest first (its enrichment is an UPDATE beside them)."""
    return [h["operation"] for h in history if h["operation"] in ("MERGE", "UNMERGE")]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def repeated_three_times(api: httpx.Client, user: Any, stores: IngestionStores) -> list[UUID]:
    """The same statement (worded with other case and punctuation the third time) in three
    conversations, each ingested once it ended."""
    spoken = [HIKING, HIKING, "i love hiking in the Brecon Beacons, with my dog!"]
    conversations = []
    for text in spoken:
        conversations.append(converse(api, user, [text]))
        (result,) = ingest(stores, user).conversations
        assert result.outcome == "processed", result.error
    return conversations


def test_a_fact_repeated_in_three_conversations_is_one_memory_with_three_sources(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given a person who said the same thing in three conversations
    user = make_user()
    conversations = repeated_three_times(api, user, stores)

    # then there is one memory of it
    (memory,) = memories_saying(pg, user, "hiking in the Brecon")
    assert memory["source_conversation_id"] == conversations[0]
    # and it shows three statements, first and last seen, through the API
    url = f"/v1/memories/{memory['memory_id']}"
    shown = api.get(url, headers=user.headers).json()
    evidence = shown["evidence"]
    assert evidence["count"] == 3
    assert instant(evidence["first_seen_at"]) == said_at(pg, conversations[0])
    assert instant(evidence["last_seen_at"]) == said_at(pg, conversations[2])
    sources = api.get(f"{url}/sources", headers=user.headers).json()["items"]
    assert [s["conversation_id"] for s in sources] == [str(c) for c in conversations]
    assert [s["merged_at"] is None for s in sources] == [True, False, False]
    # and its history records both merges
    history = api.get(f"{url}/history", headers=user.headers).json()["items"]
    assert merge_steps(history) == ["MERGE", "MERGE"]
    # and a list and a search show it once
    listed = api.get("/v1/memories", headers=user.headers).json()["items"]
    assert [m["memory_id"] for m in listed] == [str(memory["memory_id"])]
    found = api.get("/v1/search", params={"q": "hiking Brecon Beacons"}, headers=user.headers)
    assert found.status_code == 200, found.text
    hits = [h["entity_id"] for h in found.json()["items"] if h["entity_type"] == "memory"]
    assert hits == [str(memory["memory_id"])]


def test_a_changed_fact_and_a_different_one_stay_apart(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given a person who lived in Cardiff, then said they live in Bristol, and liked tea
    user = make_user()
    first = converse(api, user, ["I live in Cardiff.", "I like green tea."])
    ingest(stores, user)
    second = converse(api, user, ["I live in Bristol."])

    # when the second conversation is ingested
    (result,) = ingest(stores, user).conversations

    # then nothing was merged: Bristol is a memory of its own that replaced Cardiff
    assert (result.outcome, result.memories_merged, result.memories_created) == ("processed", 0, 1)
    (cardiff,) = memories_saying(pg, user, "Cardiff")
    (bristol,) = memories_saying(pg, user, "Bristol")
    assert (cardiff["source_conversation_id"], bristol["source_conversation_id"]) == (first, second)
    assert cardiff["superseded_by"] == bristol["memory_id"]
    assert len(memories_saying(pg, user, "tea")) == 1
    shown = api.get(f"/v1/memories/{bristol['memory_id']}", headers=user.headers).json()
    assert shown["evidence"]["count"] == 1


def test_unmerge_restores_a_separate_memory_and_history_shows_both_steps(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given a memory three statements were merged into
    user = make_user()
    conversations = repeated_three_times(api, user, stores)
    (memory,) = memories_saying(pg, user, "hiking in the Brecon")
    url = f"/v1/memories/{memory['memory_id']}"
    sources = api.get(f"{url}/sources", headers=user.headers).json()["items"]

    # when the person splits the third statement back out
    split = api.post(
        f"{url}/unmerge", json={"source_id": sources[2]["memory_source_id"]}, headers=user.headers
    )

    # then it is a memory of its own, with its words, conversation and time
    assert split.status_code == 201, split.text
    new = split.json()
    assert new["content"] == sources[2]["content"]
    assert new["source_conversation_id"] == str(conversations[2])
    assert new["evidence"] == {
        "count": 1,
        "first_seen_at": sources[2]["said_at"],
        "last_seen_at": sources[2]["said_at"],
    }
    # and the memory it left holds two statements, its history showing the merges and the split
    assert api.get(url, headers=user.headers).json()["evidence"]["count"] == 2
    history = api.get(f"{url}/history", headers=user.headers).json()["items"]
    assert merge_steps(history) == ["UNMERGE", "MERGE", "MERGE"]
    assert history[0]["operation"] == "UNMERGE"
    assert history[0]["old_values"]["split_into"] == new["memory_id"]
    # and ingesting that conversation again merges nothing back
    ingest(stores, user, conversation_id=conversations[2])
    assert len(memories_saying(pg, user, "hiking in the Brecon")) == 2
    assert api.get(url, headers=user.headers).json()["evidence"]["count"] == 2
    # and the statement a memory was written from cannot be split from it
    original = api.post(
        f"{url}/unmerge", json={"source_id": sources[0]["memory_source_id"]}, headers=user.headers
    )
    assert original.status_code == 409, original.text


def test_unmerge_refuses_another_persons_memory_anonymous_callers_and_bad_bodies(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given someone's memory with a merged statement
    user, other = make_user(), make_user()
    repeated_three_times(api, user, stores)
    (memory,) = memories_saying(pg, user, "hiking in the Brecon")
    url = f"/v1/memories/{memory['memory_id']}"
    source_id = api.get(f"{url}/sources", headers=user.headers).json()["items"][1]
    body = {"source_id": source_id["memory_source_id"]}

    # then another person sees neither its sources nor can split it, and nobody anonymous can
    assert api.get(f"{url}/sources", headers=other.headers).status_code == 404
    assert api.post(f"{url}/unmerge", json=body, headers=other.headers).status_code == 404
    assert api.post(f"{url}/unmerge", json=body).status_code == 401
    assert api.get(f"{url}/sources").status_code == 401
    # and a bad body names its field, an unknown source is 404
    bad = api.post(f"{url}/unmerge", json={"source_id": "x"}, headers=user.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "source_id"
    missing = api.post(f"{url}/unmerge", json={"source_id": 2**62}, headers=user.headers)
    assert missing.status_code == 404
    # and nothing changed
    assert api.get(url, headers=user.headers).json()["evidence"]["count"] == 3


def test_two_ingestions_at_once_make_one_memory_and_keep_both_sources(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given two ended conversations saying the same thing
    user = make_user()
    conversations = {converse(api, user, [HIKING]) for _ in range(2)}

    # when two ingestion runs take them at once
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda c: ingest(stores, user, conversation_id=c), conversations))

    # then there is one memory, with both conversations among its sources
    outcomes = {(c.outcome, c.error) for run in runs for c in run.conversations}
    assert outcomes == {("processed", None)}, outcomes
    (memory,) = memories_saying(pg, user, "hiking in the Brecon")
    sources = rows(
        pg, "select conversation_id from memory_sources where memory_id = %s", memory["memory_id"]
    )
    assert {s["conversation_id"] for s in sources} == conversations


def test_an_explicit_write_is_never_merged(api: httpx.Client, make_user: Any) -> None:
    # given a person who writes the same memory twice through the API (no Idempotency-Key)
    user = make_user()
    body = {"title": "Hiking", "content": HIKING}
    made = [api.post("/v1/memories", json=body, headers=user.headers) for _ in range(2)]

    # then both are kept, each its own one statement
    assert [m.status_code for m in made] == [201, 201]
    assert made[0].json()["memory_id"] != made[1].json()["memory_id"]
    assert made[0].json()["evidence"]["count"] == 1
    url = f"/v1/memories/{made[0].json()['memory_id']}/sources"
    assert api.get(url, headers=user.headers).json()["items"] == []
