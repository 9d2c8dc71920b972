"""The profile's last sign-in from Supabase Auth, and the person's day in Redis
(`user:{uid}:stats:daily`), through the real gateway, Postgres and Redis."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import redis

from dotline import cache_keys
from dotline_local.tokens import sign_in


def signed_in_at(pg: psycopg.Connection[Any], user: Any) -> datetime:
    row = pg.execute("select last_sign_in_at from auth.users where id = %s", (user.user_id,))
    found = row.fetchone()
    assert found is not None and found[0] is not None
    stamped: datetime = found[0]
    return stamped


def test_a_sign_in_is_the_profiles_last_login_at(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given a person who signed up and never signed in
    user = make_user()
    assert api.get("/v1/me", headers=user.headers).json()["last_login_at"] is None
    updated_at = api.get("/v1/me", headers=user.headers).json()["updated_at"]
    # when Auth records a sign-in
    sign_in(pg, user.user_id)
    # then their profile shows it, and the profile itself did not change
    me = api.get("/v1/me", headers=user.headers).json()
    assert datetime.fromisoformat(me["last_login_at"]) == signed_in_at(pg, user)
    assert me["updated_at"] == updated_at


def test_a_later_sign_in_moves_last_login_at_and_a_refresh_does_not(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    sign_in(pg, user.user_id)
    pg.execute(
        "update auth.users set last_sign_in_at = '2026-01-01T00:00:00Z' where id = %s",
        (user.user_id,),
    )
    # a token refresh touches the user row, not its sign-in
    pg.execute("update auth.users set updated_at = now() where id = %s", (user.user_id,))
    assert api.get("/v1/me", headers=user.headers).json()["last_login_at"].startswith("2026-01-01")

    sign_in(pg, user.user_id)

    me = api.get("/v1/me", headers=user.headers).json()
    assert datetime.fromisoformat(me["last_login_at"]) == signed_in_at(pg, user)


def events(*actions: str) -> dict[str, Any]:
    when = datetime.now(UTC).isoformat()
    return {
        "batch_id": str(uuid.uuid4()),
        "events": [
            {"action_type": a, "item_id": str(uuid.uuid4()), "item_type": "memory",
             "occurred_at": when}
            for a in actions
        ],
    }  # fmt: skip


def test_the_day_counts_requests_and_stored_events_by_action(
    api: httpx.Client, make_user: Any, rds: redis.Redis
) -> None:
    # given a fresh person, who makes two requests, one of them a batch of three events
    user = make_user()
    assert api.get("/v1/conversations", headers=user.headers).status_code == 200
    batch = events("view", "view", "edit")
    assert api.post("/v1/events", json=batch, headers=user.headers).status_code == 202
    # when the same batch is sent again (a replay stores nothing) and they read their day
    assert api.post("/v1/events", json=batch, headers=user.headers).status_code == 202
    first = api.get("/v1/me/stats/daily", headers=user.headers).json()
    second = api.get("/v1/me/stats/daily", headers=user.headers).json()
    # then the events are counted once, by action, and every request counted (a read's own
    # count is sent beside it, so it may or may not be in its answer)
    assert first["events"] == {"view": 2, "edit": 1}
    assert first["day"] == datetime.now(UTC).date().isoformat()
    assert 3 <= first["requests"] <= 4
    assert second["requests"] in (4, 5)
    # and the day's hash ends at the next UTC midnight
    ttl = rds.ttl(cache_keys.daily_stats(user.user_id))
    now = datetime.now(UTC)
    to_midnight = 86400 - (now.hour * 3600 + now.minute * 60 + now.second)
    assert 0 < ttl <= cache_keys.DAILY_STATS_TTL_S
    assert abs(ttl - to_midnight) <= 5


def test_the_day_is_each_persons_own_and_needs_a_token(api: httpx.Client, make_user: Any) -> None:
    busy, quiet = make_user(), make_user()
    api.post("/v1/events", json=events("share"), headers=busy.headers)

    mine = api.get("/v1/me/stats/daily", headers=quiet.headers)

    assert mine.status_code == 200, mine.text
    assert mine.json()["events"] == {}
    assert mine.json()["requests"] <= 1
    assert api.get("/v1/me/stats/daily").status_code == 401
