"""The profile's username, picture and last activity through the real gateway, Postgres and
Redis: editable and validated, unique, exported, and activity marked at most once a minute."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest
import redis

from dotline import cache_keys


def _name() -> str:
    return f"ada_{uuid.uuid4().hex[:12]}"


def test_username_and_picture_are_set_read_and_exported(api: httpx.Client, make_user: Any) -> None:
    # given
    user = make_user()
    name, picture = _name(), "https://cdn.example.com/avatars/ada.png"
    # when
    response = api.patch(
        "/v1/me", json={"username": name, "profile_picture_url": picture}, headers=user.headers
    )
    # then
    assert response.status_code == 200, response.text
    assert response.json()["username"] == name
    assert response.json()["profile_picture_url"] == picture
    read = api.get("/v1/me", headers=user.headers).json()
    assert (read["username"], read["profile_picture_url"]) == (name, picture)
    exported = api.get("/v1/me/export", headers=user.headers)
    assert exported.status_code == 200, exported.text
    row = exported.json()["postgres"]["public.profiles"][0]
    assert (row["username"], row["profile_picture_url"]) == (name, picture)


def test_username_and_picture_null_clear_them(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    api.patch(
        "/v1/me",
        json={"username": _name(), "profile_picture_url": "https://example.com/a.png"},
        headers=user.headers,
    )

    response = api.patch(
        "/v1/me", json={"username": None, "profile_picture_url": None}, headers=user.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["username"] is None
    assert response.json()["profile_picture_url"] is None


def test_a_taken_username_is_409_naming_the_field(api: httpx.Client, make_user: Any) -> None:
    # given a username someone holds
    holder, other = make_user(), make_user()
    name = _name()
    assert api.patch("/v1/me", json={"username": name}, headers=holder.headers).status_code == 200
    # when another person asks for it
    response = api.patch("/v1/me", json={"username": name}, headers=other.headers)
    # then
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "username" in [error["field"] for error in response.json()["errors"]]
    assert api.get("/v1/me", headers=other.headers).json()["username"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"username": "ab"},
        {"username": "x" * 31},
        {"username": "has space"},
        {"username": "émile"},
        {"username": "_leading"},
        {"username": "trailing."},
        {"profile_picture_url": "http://example.com/a.png"},
        {"profile_picture_url": "javascript:alert(1)"},
        {"profile_picture_url": "https://"},
        {"profile_picture_url": "https://example.com/" + "a" * 2030},
    ],
)
def test_invalid_username_or_picture_is_422_naming_the_field(
    api: httpx.Client, make_user: Any, change: dict[str, Any]
) -> None:
    user = make_user()

    response = api.patch("/v1/me", json=change, headers=user.headers)

    assert response.status_code == 422, response.text
    [field] = change
    assert field in [error["field"] for error in response.json()["errors"]]


def test_a_picture_url_of_2048_characters_is_accepted(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    url = "https://example.com/" + "a" * (2048 - len("https://example.com/"))

    response = api.patch("/v1/me", json={"profile_picture_url": url}, headers=user.headers)

    assert response.status_code == 200, response.text
    assert response.json()["profile_picture_url"] == url


def test_any_authenticated_request_marks_last_active_at(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given a person who has never made a request
    user = make_user()
    never = pg.execute(
        "select last_active_at from public.profiles where user_id = %s", (user.user_id,)
    ).fetchone()
    assert never is not None and never[0] is None
    # when they make one (any route)
    assert api.get("/v1/conversations", headers=user.headers).status_code == 200
    # then their profile shows it
    marked = api.get("/v1/me", headers=user.headers).json()["last_active_at"]
    assert marked is not None


def test_last_active_at_is_written_at_most_once_a_minute(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], rds: redis.Redis
) -> None:
    # given a person marked active a moment ago, whose stored mark we push into the past
    user = make_user()
    api.get("/v1/me", headers=user.headers)
    assert rds.ttl(cache_keys.activity_gate(user.user_id)) > 0
    pg.execute(
        "update public.profiles set last_active_at = '2020-01-01T00:00:00Z' where user_id = %s",
        (user.user_id,),
    )
    # when they keep reading within the minute
    for _ in range(3):
        api.get("/v1/me", headers=user.headers)
    # then the profile was not written again
    assert api.get("/v1/me", headers=user.headers).json()["last_active_at"].startswith("2020-")
    # and once the gate's minute is over, the next request writes it
    rds.delete(cache_keys.activity_gate(user.user_id))
    api.get("/v1/me", headers=user.headers)
    assert not api.get("/v1/me", headers=user.headers).json()["last_active_at"].startswith("2020")


def test_an_anonymous_request_marks_nothing(api: httpx.Client, rds: redis.Redis) -> None:
    before = set(rds.scan_iter("user:*:active"))

    assert api.get("/v1/me").status_code == 401

    assert set(rds.scan_iter("user:*:active")) <= before


def test_marking_activity_leaves_updated_at_alone(
    api: httpx.Client, make_user: Any, rds: redis.Redis
) -> None:
    # given a person whose profile was read (and marked active) once
    user = make_user()
    api.get("/v1/me", headers=user.headers)
    before = api.get("/v1/me", headers=user.headers).json()
    # when the gate's minute is over and they are marked again (a read is marked once its
    # admission is back, after its own answer)
    rds.delete(cache_keys.activity_gate(user.user_id))
    api.get("/v1/me", headers=user.headers)
    after = api.get("/v1/me", headers=user.headers).json()
    # then activity moved, the profile did not change
    assert after["last_active_at"] > before["last_active_at"]
    assert after["updated_at"] == before["updated_at"]


def test_marking_activity_enqueues_no_change_to_mirror(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], rds: redis.Redis
) -> None:
    # given a person already marked active once
    user = make_user()
    api.get("/v1/me", headers=user.headers)

    def profile_changes() -> int:
        row = pg.execute(
            "select count(*) from private.outbox where table_name = 'profiles' and row_key = %s",
            (str(user.user_id),),
        ).fetchone()
        assert row is not None
        return int(row[0])

    before = profile_changes()
    # when they are marked again
    rds.delete(cache_keys.activity_gate(user.user_id))
    api.get("/v1/me", headers=user.headers)
    # then the mark moved, and nothing was queued for the mirrors
    assert api.get("/v1/me", headers=user.headers).json()["last_active_at"] is not None
    assert profile_changes() == before
