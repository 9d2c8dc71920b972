"""Cards made and evolved by the pipeline, through the real gateway, Postgres, outbox and Redis:
one card per entity by trigger; growth and graph connections delivered through the webhook
invalidate `card:{id}:growth` and announce each evolution change on `user:{uid}:cards`."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import redis
from psycopg.types.json import Jsonb

from dotline.settings import Settings
from user_outbox import Channel, deliver_outbox


def cards_of(pg: psycopg.Connection[Any], user_id: uuid.UUID) -> list[tuple[str, str]]:
    rows = pg.execute(
        "select source_entity_type, card_type from public.cards where user_id = %s order by 1, 2",
        (user_id,),
    ).fetchall()
    return [(kind, card_type) for kind, card_type in rows]


def add_concept(
    pg: psycopg.Connection[Any], user_id: uuid.UUID, name: str, related: list[uuid.UUID]
) -> uuid.UUID:
    row = pg.execute(
        "insert into public.concepts (user_id, name, type, attributes) values (%s, %s, 'theme', %s)"
        " returning concept_id",
        (user_id, name, Jsonb({"related_concept_ids": [str(r) for r in related]})),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


def grow(
    pg: psycopg.Connection[Any], user_id: uuid.UUID, entity: uuid.UUID, dims: list[str]
) -> None:
    """Growth events for a concept, as the server's ledger writes them."""
    pg.execute(
        "insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source)"
        " select %s, %s, 'concept', d, 0.1, 'test' from unnest(%s::text[]) d",
        (user_id, entity, dims),
    )


def card_for(pg: psycopg.Connection[Any], entity_id: uuid.UUID) -> str:
    row = pg.execute(
        "select card_id from public.cards where source_entity_id = %s", (entity_id,)
    ).fetchone()
    assert row is not None
    return str(row[0])


def evolutions(messages: list[dict[str, Any]], card_id: str) -> list[str]:
    return [
        m["data"]["evolution_state"]
        for m in messages
        if m["kind"] == "card.evolved" and m["id"] == card_id
    ]


def test_every_entity_gets_exactly_one_card_and_loses_it_with_the_entity(
    client: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given a memory created twice with one Idempotency-Key, a concept, a trophy and a prompt
    user = make_user()
    headers = {**user.headers, "Idempotency-Key": str(uuid.uuid4())}
    body = {"title": "Lisbon", "content": "Trams up the hill"}
    memory = client.post("/v1/memories", json=body, headers=headers).json()
    client.post("/v1/memories", json=body, headers=headers)
    add_concept(pg, user.user_id, "travel", [])
    pg.execute(
        "insert into public.derived_artifacts (user_id, artifact_type, title) values (%s, 'trophy', 't')",
        (user.user_id,),
    )
    pg.execute(
        "insert into public.proactive_prompts (user_id, prompt_text, source_agent)"
        " values (%s, 'How was the trip?', 'test')",
        (user.user_id,),
    )
    # when the memory is deleted again through the API
    before = cards_of(pg, user.user_id)
    gallery = client.get("/v1/cards", headers=user.headers).json()["items"]
    client.delete(f"/v1/memories/{memory['memory_id']}", headers=user.headers)
    # then
    assert before == [("artifact", "trophy"), ("concept", "concept"), ("memory", "memory"),
                      ("prompt", "prompt")]  # fmt: skip
    assert memory["memory_id"] in {c["source_entity_id"] for c in gallery}
    assert cards_of(pg, user.user_id) == [("artifact", "trophy"), ("concept", "concept"),
                                          ("prompt", "prompt")]  # fmt: skip


def test_a_new_memory_earns_its_growth_once_and_its_card_sprouts(
    client: httpx.Client, stack_url: str, make_user: Any, pg: psycopg.Connection[Any],
    rds: redis.Redis, settings: Settings,
) -> None:  # fmt: skip
    # given a memory made through the API, its card read (and cached) while still a seed
    user = make_user()
    channel = Channel(rds, f"user:{user.user_id}:cards")
    memory = client.post(
        "/v1/memories", json={"title": "Swim", "content": "Across the lake"}, headers=user.headers
    ).json()
    card_id = card_for(pg, uuid.UUID(memory["memory_id"]))
    seed = client.get(f"/v1/cards/{card_id}", headers=user.headers).json()["evolution_state"]
    # when the outbox is delivered, then delivered all over again
    deliver_outbox(pg, stack_url, settings, user.user_id)
    sprouted = client.get(f"/v1/cards/{card_id}", headers=user.headers).json()["evolution_state"]
    first = channel.drain()
    deliver_outbox(pg, stack_url, settings, user.user_id, again=True)
    again = channel.drain()
    channel.close()
    # then
    events = pg.execute(
        "select dim_key, delta from public.growth_events where entity_id = %s",
        (memory["memory_id"],),
    ).fetchall()
    assert events == [("self_know", 0.05)]
    assert (seed, sprouted) == ("seed", "sprout")
    assert evolutions(first, card_id) == ["sprout"]
    assert evolutions(again, card_id) == []


def test_a_card_climbs_seed_sprout_bloom_constellation_and_the_channel_hears_each_step(
    client: httpx.Client, stack_url: str, make_user: Any, pg: psycopg.Connection[Any],
    rds: redis.Redis, settings: Settings,
) -> None:  # fmt: skip
    # given a concept made by the worker, its card cached as a seed
    user = make_user()
    channel = Channel(rds, f"user:{user.user_id}:cards")
    hub = add_concept(pg, user.user_id, "swimming", [])
    card_id = card_for(pg, hub)
    path = f"/v1/cards/{card_id}"
    states = [client.get(path, headers=user.headers).json()["evolution_state"]]

    def delivered_state() -> str:
        deliver_outbox(pg, stack_url, settings, user.user_id)
        return str(client.get(path, headers=user.headers).json()["evolution_state"])

    # when dimensions grow, then five concepts link to it
    grow(pg, user.user_id, hub, ["self_know"])
    states.append(delivered_state())
    grow(pg, user.user_id, hub, ["world_act", "self_show"])
    states.append(delivered_state())
    for n in range(5):
        add_concept(pg, user.user_id, f"lake {n}", [hub])
    states.append(delivered_state())
    heard = evolutions(channel.drain(), card_id)
    channel.close()
    # then every read is fresh and each change was announced once, in order
    stats = pg.execute(
        "select connection_count, connections_by_type from public.graph_connection_stats"
        " where entity_id = %s",
        (hub,),
    ).fetchone()
    assert states == ["seed", "sprout", "bloom", "constellation"]
    assert heard == ["sprout", "bloom", "constellation"]
    assert stats == (5, {"RELATED_TO": 5})


def test_growth_that_changes_no_state_is_not_announced_but_still_refreshes_the_cache(
    client: httpx.Client, stack_url: str, make_user: Any, pg: psycopg.Connection[Any],
    rds: redis.Redis, settings: Settings,
) -> None:  # fmt: skip
    # given a sprouted concept card whose growth is cached
    user = make_user()
    concept = add_concept(pg, user.user_id, "reading", [])
    card_id = card_for(pg, concept)
    grow(pg, user.user_id, concept, ["self_know"])
    deliver_outbox(pg, stack_url, settings, user.user_id)
    client.get(f"/v1/cards/{card_id}", headers=user.headers)
    channel = Channel(rds, f"user:{user.user_id}:cards")
    # when a second dimension grows (still a sprout: bloom needs three)
    grow(pg, user.user_id, concept, ["world_know"])
    deliver_outbox(pg, stack_url, settings, user.user_id)
    card = client.get(f"/v1/cards/{card_id}", headers=user.headers).json()
    heard = evolutions(channel.drain(), card_id)
    channel.close()
    # then
    assert (card["evolution_state"], card["dimension_count"]) == ("sprout", 2)
    assert heard == []
