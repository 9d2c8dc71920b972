"""Orb, scene and graph viewport through the real gateway, Postgres and Redis (REST face)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import psycopg
import redis

MESSAGE_DEADLINE_S = 5.0


def subscribe(rds: redis.Redis, channel: str) -> Any:
    pubsub = rds.pubsub()
    pubsub.subscribe(channel)
    deadline = time.monotonic() + MESSAGE_DEADLINE_S
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
        if message is not None and message["type"] == "subscribe":
            break
    return pubsub


def messages_until(pubsub: Any, count: int) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + MESSAGE_DEADLINE_S
    while len(received) < count and time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is not None and message["type"] == "message":
            received.append(json.loads(message["data"]))
    pubsub.close()
    return received


def orb(tone: str, energy: float) -> dict[str, Any]:
    return {
        "visual_state": "listening",
        "emotional_tone": tone,
        "energy_level": energy,
        "is_speaking": False,
    }


def test_orb_updates_are_recorded_and_announced_in_order(
    client: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], rds: Any
) -> None:
    # given
    user = make_user()
    channel = subscribe(rds, f"user:{user.user_id}:orb_state")
    # when
    for tone, energy in [("calm", 0.2), ("warm", 0.5), ("excited", 0.9)]:
        response = client.put("/v1/orb", json=orb(tone, energy), headers=user.headers)
        assert response.status_code == 200, response.text
    current = client.get("/v1/orb", headers=user.headers).json()
    rds.delete(f"user:{user.user_id}:orb:state")
    from_history = client.get("/v1/orb", headers=user.headers).json()
    # then
    announced = messages_until(channel, 3)
    assert {m["kind"] for m in announced} == {"orb.updated"}
    assert [m["data"]["emotional_tone"] for m in announced] == ["calm", "warm", "excited"]
    assert all(m["data"]["timestamp"] for m in announced)
    assert current["emotional_tone"] == from_history["emotional_tone"] == "excited"
    rows = pg.execute(
        "select emotional_tone from public.orb_states where user_id = %s order by created_at",
        (user.user_id,),
    ).fetchall()
    assert [r[0] for r in rows] == ["calm", "warm", "excited"]


def test_scene_change_announces_from_and_to(client: httpx.Client, make_user: Any, rds: Any) -> None:
    user = make_user()
    channel = subscribe(rds, f"user:{user.user_id}:scene")

    client.put("/v1/scene", json={"to": "home", "transition_type": "fade"}, headers=user.headers)
    change = {"to": "galaxy", "transition_type": "zoom", "focus_entity": {"type": "card"}}
    moved = client.put("/v1/scene", json=change, headers=user.headers)

    assert moved.status_code == 200, moved.text
    assert client.get("/v1/scene", headers=user.headers).json()["scene"] == "galaxy"
    announced = messages_until(channel, 2)
    assert {m["kind"] for m in announced} == {"scene.changed"}
    scenes = [m["data"] for m in announced]
    assert [(s["from"], s["to"]) for s in scenes] == [(None, "home"), ("home", "galaxy")]
    assert scenes[1]["transition_type"] == "zoom" and scenes[1]["timestamp"]


def test_viewport_is_kept_for_an_hour(client: httpx.Client, make_user: Any, rds: Any) -> None:
    user = make_user()
    missing = client.get("/v1/graph/viewport", headers=user.headers)

    client.put("/v1/graph/viewport", json={"x": 1, "y": 2, "zoom": 1.5}, headers=user.headers)

    assert missing.status_code == 404
    assert client.get("/v1/graph/viewport", headers=user.headers).json()["zoom"] == 1.5
    assert 3000 < rds.ttl(f"user:{user.user_id}:graph:viewport") <= 3600


def test_orb_is_per_user_and_bad_bodies_are_422_naming_the_field(
    client: httpx.Client, make_user: Any
) -> None:
    owner, other = make_user(), make_user()
    client.put("/v1/orb", json=orb("calm", 0.3), headers=owner.headers)

    too_bright = client.put("/v1/orb", json=orb("calm", 1.5), headers=owner.headers)
    extra = client.put("/v1/orb", json={**orb("calm", 0.3), "user_id": "x"}, headers=owner.headers)

    assert client.get("/v1/orb", headers=other.headers).status_code == 404
    assert too_bright.status_code == 422 and "energy_level" in too_bright.text
    assert extra.status_code == 422 and "user_id" in extra.text
