"""Challenges through the real gateway, Postgres, row-level security and Redis (REST face)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
import redis
from psycopg.types.json import Jsonb

from dotline.growth_rules import packaged_config

REDIS_URL = "redis://127.0.0.1:6379/0"
MESSAGE_DEADLINE_S = 5.0
TEMPLATE_DIMS = ["self_know", "world_act"]


@pytest.fixture
def make_template(pg: psycopg.Connection[Any]) -> Iterator[Callable[..., uuid.UUID]]:
    """Insert challenge templates for one test and remove them (and their runs) afterwards."""
    made: list[uuid.UUID] = []

    def make(
        dim_keys: list[str] = TEMPLATE_DIMS,
        payload: dict[str, Any] | None = None,
        is_active: bool = True,
    ) -> uuid.UUID:
        template_id = uuid.uuid4()
        pg.execute(
            "insert into public.challenge_templates"
            " (challenge_template_id, name, dim_keys, difficulty, payload, is_active)"
            " values (%s, %s, %s, 'medium', %s, %s)",
            (template_id, f"test {template_id.hex[:8]}", dim_keys, Jsonb(payload or {}), is_active),
        )
        made.append(template_id)
        return template_id

    yield make
    for template_id in made:
        pg.execute(
            "delete from public.user_challenges where challenge_template_id = %s", (template_id,)
        )
        pg.execute(
            "delete from public.challenge_templates where challenge_template_id = %s",
            (template_id,),
        )


def start(client: httpx.Client, user: Any, template_id: uuid.UUID, **extra: Any) -> dict[str, Any]:
    body = {"challenge_template_id": str(template_id), **extra}
    response = client.post("/v1/challenges", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def messages_until(pubsub: Any, count: int) -> list[dict[str, Any]]:
    """Read up to `count` channel messages, giving up at a deadline."""
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + MESSAGE_DEADLINE_S
    while len(received) < count and time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is not None and message["type"] == "message":
            received.append(json.loads(message["data"]))
    return received


@pytest.fixture
def subscriber() -> Iterator[Callable[[str], Any]]:
    conn = redis.Redis.from_url(REDIS_URL)
    pubsubs: list[Any] = []

    def subscribe(channel: str) -> Any:
        pubsub = conn.pubsub()
        pubsub.subscribe(channel)
        deadline = time.monotonic() + MESSAGE_DEADLINE_S
        while time.monotonic() < deadline:  # wait for the subscription to be confirmed
            message = pubsub.get_message(timeout=0.2)
            if message is not None and message["type"] == "subscribe":
                break
        pubsubs.append(pubsub)
        return pubsub

    yield subscribe
    for pubsub in pubsubs:
        pubsub.close()
    conn.close()


def test_completion_moves_exactly_the_template_dimensions_once_with_one_trophy(
    client: httpx.Client,
    make_user: Any,
    make_template: Any,
    pg: psycopg.Connection[Any],
    subscriber: Any,
) -> None:
    # given
    user = make_user()
    trophy = {"title": "30-Day Journaling Streak", "icon_path": "/assets/trophies/gold-pen.svg"}
    template_id = make_template(payload={"duration_days": 30, "trophy": trophy})
    channel = subscriber(f"user:{user.user_id}:challenges")
    challenge = start(client, user, template_id)
    # when
    first = client.post(
        f"/v1/challenges/{challenge['user_challenge_id']}/complete", headers=user.headers
    )
    second = client.post(
        f"/v1/challenges/{challenge['user_challenge_id']}/complete", headers=user.headers
    )
    # then
    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    body = first.json()
    expected = packaged_config().deltas("challenge_completed", TEMPLATE_DIMS)
    assert {e["dim_key"]: e["delta"] for e in body["growth"]} == expected
    assert body["challenge"]["status"] == "completed"
    assert body["trophy"]["title"] == "30-Day Journaling Streak"
    assert body["trophy"]["source_entities"] == [
        {"type": "challenge", "id": challenge["user_challenge_id"]}
    ]
    events = pg.execute(
        "select dim_key, delta from public.growth_events where user_id = %s order by dim_key",
        (user.user_id,),
    ).fetchall()
    assert dict(events) == expected
    trophies = pg.execute(
        "select count(*) from public.derived_artifacts where user_id = %s and artifact_type = 'trophy'",
        (user.user_id,),
    ).fetchone()
    assert trophies == (1,)
    profile = pg.execute(
        "select growth_profile from public.profiles where user_id = %s", (user.user_id,)
    ).fetchone()
    assert profile is not None and profile[0] == pytest.approx(expected)
    summary = client.get("/v1/growth", headers=user.headers).json()
    totals = {d["dim_key"]: d["total_score"] for d in summary["dimensions"] if d["total_score"]}
    assert totals == pytest.approx(expected)
    announced = messages_until(channel, 2)
    assert [m["kind"] for m in announced] == ["challenge.new", "challenge.completed"]
    assert announced[1]["id"] == challenge["user_challenge_id"]


def test_due_date_comes_from_the_template_unless_the_body_sets_it(
    client: httpx.Client, make_user: Any, make_template: Any
) -> None:
    user = make_user()
    template_id = make_template(payload={"duration_days": 30})
    wanted = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)

    from_template = start(client, user, template_id)
    from_body = start(client, user, template_id, due_at=wanted.isoformat())

    started = datetime.fromisoformat(from_template["started_at"])
    assert datetime.fromisoformat(from_template["due_at"]) - started == timedelta(days=30)
    assert datetime.fromisoformat(from_body["due_at"]) == wanted


def test_progress_merges_and_an_abandoned_challenge_cannot_be_completed(
    client: httpx.Client, make_user: Any, make_template: Any, subscriber: Any
) -> None:
    user = make_user()
    challenge = start(client, user, make_template())
    path = f"/v1/challenges/{challenge['user_challenge_id']}"
    channel = subscriber(f"user:{user.user_id}:challenges")

    client.post(f"{path}/progress", json={"progress": {"days_logged": 3}}, headers=user.headers)
    merged = client.post(
        f"{path}/progress", json={"progress": {"note": "ok"}}, headers=user.headers
    )
    abandoned = client.post(f"{path}/abandon", headers=user.headers)
    completed = client.post(f"{path}/complete", headers=user.headers)

    assert merged.status_code == 200, merged.text
    assert merged.json()["progress"] == {"days_logged": 3, "note": "ok"}
    assert abandoned.json()["status"] == "abandoned"
    assert completed.status_code == 409
    assert client.get(path, headers=user.headers).json()["status"] == "abandoned"
    listed = client.get("/v1/challenges", params={"status": "abandoned"}, headers=user.headers)
    assert [c["user_challenge_id"] for c in listed.json()] == [challenge["user_challenge_id"]]
    assert [m["kind"] for m in messages_until(channel, 3)] == [
        "challenge.progress",
        "challenge.progress",
        "challenge.abandoned",
    ]
    cached = redis.Redis.from_url(REDIS_URL)
    key = f"challenge:{challenge['user_challenge_id']}:state"
    assert json.loads(cached.get(key) or "{}")["challenge"]["status"] == "abandoned"
    assert 0 < cached.ttl(key) <= 15 * 60
    cached.close()


def test_another_users_challenge_is_404(
    client: httpx.Client, make_user: Any, make_template: Any
) -> None:
    owner, stranger = make_user(), make_user()
    challenge = start(client, owner, make_template())
    path = f"/v1/challenges/{challenge['user_challenge_id']}"
    client.get(path, headers=owner.headers)  # the owner's read caches the state

    responses = [
        client.get(path, headers=stranger.headers),
        client.post(f"{path}/progress", json={"progress": {"x": 1}}, headers=stranger.headers),
        client.post(f"{path}/complete", headers=stranger.headers),
        client.post(f"{path}/abandon", headers=stranger.headers),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert client.get(path, headers=owner.headers).json()["status"] == "active"


def test_an_overdue_challenge_is_not_completed_and_the_job_expires_it(
    client: httpx.Client, make_user: Any, make_template: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    challenge = start(client, user, make_template())
    path = f"/v1/challenges/{challenge['user_challenge_id']}"
    row = pg.execute(
        "update public.user_challenges set started_at = now() - interval '2 days',"
        " due_at = now() - interval '1 day' where user_challenge_id = %s returning due_at",
        (challenge["user_challenge_id"],),
    ).fetchone()
    assert row is not None
    # the state cached while it was active and not yet due
    key = f"challenge:{challenge['user_challenge_id']}:state"
    cached = redis.Redis.from_url(REDIS_URL)
    state = json.loads(cached.get(key) or "{}")
    state["challenge"]["due_at"] = row[0].isoformat()
    cached.set(key, json.dumps(state), ex=900)
    cached.close()

    completed = client.post(
        f"/v1/challenges/{challenge['user_challenge_id']}/complete", headers=user.headers
    )
    pg.execute("select private.expire_overdue_challenges()")

    assert completed.status_code == 409
    listed = client.get("/v1/challenges", params={"status": "expired"}, headers=user.headers)
    assert [c["user_challenge_id"] for c in listed.json()] == [challenge["user_challenge_id"]]
    assert client.get(path, headers=user.headers).json()["status"] == "expired"  # not the cache's


def test_only_active_templates_are_listed(
    client: httpx.Client, make_user: Any, make_template: Any
) -> None:
    user = make_user()
    active, retired = make_template(), make_template(is_active=False)

    listed = {
        t["challenge_template_id"]
        for t in client.get("/v1/challenge-templates", headers=user.headers).json()
    }
    refused = client.post(
        "/v1/challenges", json={"challenge_template_id": str(retired)}, headers=user.headers
    )

    assert str(active) in listed
    assert str(retired) not in listed
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "challenge_template_id"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/v1/challenges", {}, "challenge_template_id"),
        ("post", "/v1/challenges", {"challenge_template_id": "nope"}, "challenge_template_id"),
        (
            "post",
            "/v1/challenges",
            {"challenge_template_id": str(uuid.uuid4()), "due_at": "2000-01-01T00:00:00Z"},
            "due_at",
        ),
        (
            "post",
            "/v1/challenges",
            {"challenge_template_id": str(uuid.uuid4()), "colour": "red"},
            "colour",
        ),
        ("post", f"/v1/challenges/{uuid.uuid4()}/progress", {"progress": {}}, "progress"),
        ("post", f"/v1/challenges/{uuid.uuid4()}/progress", {"progress": []}, "progress"),
        ("post", "/v1/challenges/not-a-uuid/complete", None, "challenge_id"),
        ("get", "/v1/challenges?status=paused", None, "status"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: httpx.Client, make_user: Any, method: str, path: str, body: Any, field: str
) -> None:
    user = make_user()

    response = client.request(method, path, json=body, headers=user.headers)

    assert response.status_code == 422, response.text
    assert field in [e["field"].split(".")[-1] for e in response.json()["errors"]]
