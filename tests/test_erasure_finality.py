"""Erasure is final: from the moment it starts, the person's token (still valid, and cached) is
refused everywhere with 401; keys written late under their id are removed; the outbox's pending
deliveries of that person are acknowledged as no-ops, never dead letters."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest
import redis

from dotline import cache_keys, erasure_tombstones
from dotline.bootstrap import deps as container_deps
from dotline.errors import Unauthenticated
from dotline.rate_limiting import RequestLimits
from dotline.services import outbox
from dotline.services.lifecycle import erasure
from dotline.settings import Settings
from dotline.webhooks import WebhookEndpoint

# DELETE /v1/me needs S3 and Auth: the erasure tests' own (moto's server, the Auth emulation).
from test_erasure import erasing_api, s3_url, stores_env  # noqa: F401

WEBHOOK_PATH = "/v1/internal/db-events"
_USERS_PENDING = """
select outbox_id, payload from private.outbox
where coalesce(payload -> 'record' ->> 'user_id', payload -> 'old_record' ->> 'user_id') = %s
  and status = 'pending'
order by outbox_id
"""

# What an erased person's token tried after the erasure: each answered 200 or a 422
# naming an internal constraint.
AFTER_ERASURE = [
    ("PUT", "/v1/scene", {"to": "home", "transition_type": "fade"}),
    ("PUT", "/v1/graph/viewport", {"x": 1, "y": 2, "zoom": 1.5}),
    ("POST", "/v1/insights/read", None),
    ("GET", "/v1/me/export", None),
    ("GET", "/v1/me", None),
    ("POST", "/v1/memories", {"title": "after", "content": "written after erasure"}),
    ("POST", "/v1/conversations", {"title": "after"}),
]


def user_keys(rds: redis.Redis, user_id: uuid.UUID) -> list[bytes]:
    return list(rds.scan_iter(match=f"user:{user_id}:*", count=1000))


def test_an_erased_persons_token_is_refused_everywhere_and_writes_nothing(
    client: httpx.Client,
    erasing_api: httpx.Client,  # noqa: F811
    make_user: Any,
    rds: redis.Redis,
    pg: psycopg.Connection[Any],
) -> None:
    # given a person whose token was verified (and cached) before they asked to be erased
    user = make_user()
    assert client.get("/v1/me", headers=user.headers).status_code == 200
    erased = erasing_api.delete("/v1/me", headers=user.headers)
    assert erased.status_code == 200, erased.text

    # when the same, still valid token is used again
    answers = {
        path: client.request(method, path, json=body, headers=user.headers)
        for method, path, body in AFTER_ERASURE
    }

    # then every request is a 401 problem, and nothing was written under their id
    assert {path: r.status_code for path, r in answers.items()} == dict.fromkeys(answers, 401)
    assert all(r.json()["type"].endswith("/unauthenticated") for r in answers.values())
    assert user_keys(rds, user.user_id) == []
    rows = pg.execute("select private.count_user_rows(%s)", (user.user_id,)).fetchone()
    assert rows == ({},)


def test_the_token_is_refused_from_the_moment_erasure_starts(
    client: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given a person whose erasure has started (its first step leaves the tombstone) but whose
    # Auth user and rows still exist
    user = make_user()
    pg.execute("insert into private.erasures (user_id) values (%s)", (user.user_id,))
    erasure_tombstones.mark(container_deps().cache, user.user_id)

    # when they write
    try:
        response = client.put(
            "/v1/scene", json={"to": "home", "transition_type": "fade"}, headers=user.headers
        )
    finally:  # no erasure left pending for the retention runs of other tests
        pg.execute("delete from private.erasures where user_id = %s", (user.user_id,))

    # then
    assert response.status_code == 401, response.text


def test_while_redis_cannot_answer_postgres_refuses_an_erased_token(
    make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given limits paused by a Redis outage, one person being erased and one not
    erased, kept = make_user(), make_user()
    pg.execute("insert into private.erasures (user_id) values (%s)", (erased.user_id,))
    limits = RequestLimits()
    limits._paused_until = float("inf")  # as after a failed round trip

    # when each is admitted
    try:
        limits.quota().admit("203.0.113.9", kept.user_id)
        with pytest.raises(Unauthenticated):
            limits.quota().admit("203.0.113.9", erased.user_id)
    finally:  # then only the erased one was refused
        pg.execute("delete from private.erasures where user_id = %s", (erased.user_id,))


def test_a_key_written_late_under_an_erased_id_is_removed_by_the_retention_run(
    erasing_api: httpx.Client,  # noqa: F811
    make_user: Any,
    rds: redis.Redis,
) -> None:
    # given a person verified erased, and a request that was in flight writing their scene late
    user = make_user()
    assert erasing_api.delete("/v1/me", headers=user.headers).status_code == 200
    rds.set(cache_keys.active_scene(user.user_id), '{"scene": "home"}')

    # when the retention run retries erasures
    erasure.retry_pending(container_deps())

    # then the late key is gone, and the tombstone stays
    assert user_keys(rds, user.user_id) == []
    assert rds.exists(cache_keys.erasure_tombstone(user.user_id)) == 1


def test_the_active_scene_expires(client: httpx.Client, make_user: Any, rds: redis.Redis) -> None:
    user = make_user()

    changed = client.put(
        "/v1/scene", json={"to": "home", "transition_type": "fade"}, headers=user.headers
    )

    assert changed.status_code == 200, changed.text
    assert 0 < rds.ttl(cache_keys.active_scene(user.user_id)) <= cache_keys.ACTIVE_SCENE_TTL_S


def test_pending_deliveries_of_an_erased_person_are_acknowledged_and_mirror_nothing(
    client: httpx.Client,
    erasing_api: httpx.Client,  # noqa: F811
    stack_url: str,
    make_user: Any,
    pg: psycopg.Connection[Any],
    settings: Settings,
    quiet_outbox: None,
) -> None:
    # given a person's writes still waiting in the outbox when they are erased
    user = make_user()
    for i in range(3):
        made = client.post(
            "/v1/memories", json={"title": f"m{i}", "content": "c"}, headers=user.headers
        )
        assert made.status_code == 201, made.text
    assert erasing_api.delete("/v1/me", headers=user.headers).status_code == 200
    pending = pg.execute(_USERS_PENDING, (str(user.user_id),)).fetchall()
    assert len(pending) >= 6  # the profile, memories, cards, then the cascade's deletes

    # when the dispatcher delivers them
    endpoint = WebhookEndpoint(
        stack_url + WEBHOOK_PATH, settings.webhook_secret.get_secret_value(), 10.0
    )
    try:
        attempts = [
            outbox.deliver({"outbox_id": i, "payload": p}, endpoint.post) for i, p in pending
        ]
    finally:
        endpoint.close()

    # then each one is acknowledged (no dead letter) and nothing reappears in any mirror
    assert [a.error for a in attempts if not a.delivered] == []
    nodes = pg.execute("select count(*) from graph.nodes where user_id = %s", (user.user_id,))
    items = pg.execute("select count(*) from vectors.items where user_id = %s", (user.user_id,))
    assert (nodes.fetchone(), items.fetchone()) == ((0,), (0,))
