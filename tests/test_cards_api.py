"""The card gallery through the real gateway, Postgres, row-level security and Redis (REST face)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest
import redis

MESSAGE_DEADLINE_S = 5.0


@pytest.fixture
def make_card(pg: psycopg.Connection[Any]) -> Callable[..., uuid.UUID]:
    """Insert a card for a user as the worker would, pointing at a fresh concept id."""

    def make(
        user: Any, card_type: str = "concept_card", status: str = "active_canvas"
    ) -> uuid.UUID:
        row = pg.execute(
            "insert into public.cards (user_id, card_type, source_entity_id, source_entity_type,"
            " status) values (%s, %s, %s, 'concept', %s) returning card_id",
            (user.user_id, card_type, uuid.uuid4(), status),
        ).fetchone()
        assert row is not None
        return uuid.UUID(str(row[0]))

    return make


def grow(pg: psycopg.Connection[Any], card_id: uuid.UUID, dims: list[str]) -> None:
    pg.execute(
        "insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source)"
        " select user_id, source_entity_id, source_entity_type, d, 1.0, 'test'"
        " from public.cards, unnest(%s::text[]) d where card_id = %s",
        (dims, card_id),
    )


def messages_until(pubsub: Any, count: int) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + MESSAGE_DEADLINE_S
    while len(received) < count and time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is not None and message["type"] == "message":
            received.append(json.loads(message["data"]))
    return received


def subscribe(rds: redis.Redis, channel: str) -> Any:
    pubsub = rds.pubsub()
    pubsub.subscribe(channel)
    deadline = time.monotonic() + MESSAGE_DEADLINE_S
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
        if message is not None and message["type"] == "subscribe":
            break
    return pubsub


def test_gallery_filters_and_pages_newest_first(
    client: httpx.Client, make_user: Any, make_card: Any
) -> None:
    # given
    user = make_user()
    made = [make_card(user) for _ in range(3)]
    archived = make_card(user, status="active_archive")
    # when
    first = client.get("/v1/cards", params={"limit": 2}, headers=user.headers).json()
    second = client.get(
        "/v1/cards", params={"limit": 2, "cursor": first["next_cursor"]}, headers=user.headers
    ).json()
    only_archived = client.get(
        "/v1/cards", params={"status": "active_archive"}, headers=user.headers
    ).json()
    seeds = client.get("/v1/cards", params={"evolution_state": "seed"}, headers=user.headers)
    # then
    listed = [c["card_id"] for c in first["items"] + second["items"]]
    assert sorted(listed) == sorted(str(c) for c in [*made, archived])
    assert second["next_cursor"] is None
    assert [c["card_id"] for c in only_archived["items"]] == [str(archived)]
    assert len(seeds.json()["items"]) == 4
    assert all(c["evolution_state"] == "seed" for c in seeds.json()["items"])


def test_card_climbs_seed_sprout_bloom_after_its_cache_is_invalidated(
    client: httpx.Client, make_user: Any, make_card: Any, pg: psycopg.Connection[Any], rds: Any
) -> None:
    # given
    user = make_user()
    card_id = make_card(user)
    path = f"/v1/cards/{card_id}"
    states = [client.get(path, headers=user.headers).json()["evolution_state"]]
    # when growth arrives, the cached state serves until invalidated
    grow(pg, card_id, ["self_know"])
    stale = client.get(path, headers=user.headers).json()["evolution_state"]
    rds.delete(f"card:{card_id}:growth")
    states.append(client.get(path, headers=user.headers).json()["evolution_state"])
    grow(pg, card_id, ["world_act", "self_show"])
    rds.delete(f"card:{card_id}:growth")
    states.append(client.get(path, headers=user.headers).json()["evolution_state"])
    pg.execute(
        "insert into public.graph_connection_stats (user_id, entity_type, entity_id, connection_count)"
        " select user_id, source_entity_type, source_entity_id, 5 from public.cards where card_id = %s",
        (card_id,),
    )
    rds.delete(f"card:{card_id}:growth")
    states.append(client.get(path, headers=user.headers).json()["evolution_state"])
    # then
    assert stale == "seed"
    assert states == ["seed", "sprout", "bloom", "constellation"]
    assert rds.ttl(f"card:{card_id}:growth") > 3000


def test_favourite_and_move_are_announced_on_the_cards_channel(
    client: httpx.Client, make_user: Any, make_card: Any, rds: Any
) -> None:
    # given
    user = make_user()
    card_id = make_card(user)
    channel = subscribe(rds, f"user:{user.user_id}:cards")
    # when
    favourite = client.post(f"/v1/cards/{card_id}/favourite", headers=user.headers)
    moved = client.patch(f"/v1/cards/{card_id}", json={"status": "completed"}, headers=user.headers)
    # then
    assert favourite.status_code == 200, favourite.text
    assert favourite.json()["is_favorited"] is True
    assert moved.json()["status"] == "completed"
    announced = messages_until(channel, 2)
    channel.close()
    assert [(m["kind"], m["id"]) for m in announced] == [("card.updated", str(card_id))] * 2
    assert announced[1]["data"]["status"] == "completed"
    assert announced[1]["data"]["evolution_state"] == "seed"
    favourites = client.get("/v1/cards", params={"is_favorited": "true"}, headers=user.headers)
    assert [c["card_id"] for c in favourites.json()["items"]] == [str(card_id)]


def test_other_users_card_is_404_not_403(
    client: httpx.Client, make_user: Any, make_card: Any
) -> None:
    owner, other = make_user(), make_user()
    card_id = make_card(owner)

    read = client.get(f"/v1/cards/{card_id}", headers=other.headers)
    moved = client.patch(
        f"/v1/cards/{card_id}", json={"status": "completed"}, headers=other.headers
    )
    favourited = client.post(f"/v1/cards/{card_id}/favourite", headers=other.headers)

    assert [read.status_code, moved.status_code, favourited.status_code] == [404, 404, 404]


def test_bad_changes_and_filters_are_422_naming_the_field(
    client: httpx.Client, make_user: Any, make_card: Any
) -> None:
    user = make_user()
    card_id = make_card(user)

    bad_status = client.patch(f"/v1/cards/{card_id}", json={"status": "lost"}, headers=user.headers)
    extra = client.patch(f"/v1/cards/{card_id}", json={"card_type": "x"}, headers=user.headers)
    bad_filter = client.get("/v1/cards", params={"status": "lost"}, headers=user.headers)
    bad_cursor = client.get("/v1/cards", params={"cursor": "nope"}, headers=user.headers)

    assert bad_status.status_code == 422 and "status" in bad_status.text
    assert extra.status_code == 422 and "card_type" in extra.text
    assert bad_filter.status_code == 422 and "status" in bad_filter.text
    assert bad_cursor.status_code == 400 and "cursor" in bad_cursor.text


def test_unfavourite_clears_the_flag_and_is_repeatable(
    client: httpx.Client, make_user: Any, make_card: Any
) -> None:
    # given a favourite card
    user, other = make_user(), make_user()
    card_id = make_card(user)
    client.post(f"/v1/cards/{card_id}/favourite", headers=user.headers)
    # when
    first = client.post(f"/v1/cards/{card_id}/unfavourite", headers=user.headers)
    again = client.post(f"/v1/cards/{card_id}/unfavourite", headers=user.headers)
    stranger = client.post(f"/v1/cards/{card_id}/unfavourite", headers=other.headers)
    # then
    assert first.status_code == 200, first.text
    assert first.json()["is_favorited"] is False
    assert again.status_code == 200 and again.json()["is_favorited"] is False
    assert stranger.status_code == 404
    favourites = client.get("/v1/cards", params={"is_favorited": "true"}, headers=user.headers)
    assert favourites.json()["items"] == []


def test_a_cards_display_data_is_written_from_its_memory_and_follows_its_edits(
    client: httpx.Client, make_user: Any
) -> None:
    # given a memory made through the API
    user = make_user()
    memory = client.post(
        "/v1/memories",
        json={
            "title": "Lisbon move",
            "content": "Moved to Lisbon for a robotics job.",
            "tags": ["move"],
        },
        headers=user.headers,
    )
    assert memory.status_code == 201, memory.text
    memory_id = memory.json()["memory_id"]

    def shown() -> dict[str, Any]:
        cards = client.get("/v1/cards", headers=user.headers).json()["items"]
        (card,) = [c for c in cards if c["source_entity_id"] == memory_id]
        return dict(card["display_data"])

    first = shown()
    # when the memory's title changes
    edited = client.patch(
        f"/v1/memories/{memory_id}", json={"title": "New city"}, headers=user.headers
    )
    # then
    assert edited.status_code == 200, edited.text
    assert first == {
        "title": "Lisbon move",
        "snippet": "Moved to Lisbon for a robotics job.",
        "kind": "memory",
        "tags": ["move"],
    }
    assert shown()["title"] == "New city"
