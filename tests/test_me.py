"""GET and PATCH /v1/me through the real gateway, Postgres and row-level security."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row


def test_owner_reads_own_profile(api: httpx.Client, make_user: Any) -> None:
    # given
    user = make_user()
    # when
    response = api.get("/v1/me", headers=user.headers)
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == str(user.user_id)
    assert body["email"] == user.email
    assert body["timezone"] == "UTC"
    assert body["data_retention_days"] == 365


def test_patch_changes_only_the_fields_sent_and_persists(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    change = {
        "display_name": "  Ada  ",
        "timezone": "Europe/Paris",
        "language": "pt-BR",
        "preferences": {"theme": "dark", "notifications": False},
        "data_retention_days": 30,
    }

    response = api.patch("/v1/me", json=change, headers=user.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["display_name"] == "Ada"
    assert body["timezone"] == "Europe/Paris"
    assert body["language"] == "pt-BR"
    assert body["preferences"] == {"theme": "dark", "notifications": False}
    assert body["data_retention_days"] == 30
    with pg.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            "select display_name, timezone, language_preference, data_retention_days, region"
            " from profiles where user_id = %s",
            (user.user_id,),
        ).fetchone()
    assert row == {
        "display_name": "Ada",
        "timezone": "Europe/Paris",
        "language_preference": "pt-BR",
        "data_retention_days": 30,
        "region": "us",
    }


def test_display_name_null_clears_it(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    api.patch("/v1/me", json={"display_name": "Grace"}, headers=user.headers)

    response = api.patch("/v1/me", json={"display_name": None}, headers=user.headers)

    assert response.status_code == 200
    assert response.json()["display_name"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"display_name": "   "}, "display_name"),
        ({"display_name": "x" * 256}, "display_name"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "+02:00"}, "timezone"),
        ({"timezone": None}, "body"),
        ({"language": "English"}, "language"),
        ({"preferences": ["not", "an", "object"]}, "preferences"),
        ({"data_retention_days": 29}, "data_retention_days"),
        ({"data_retention_days": 1826}, "data_retention_days"),
        ({"data_retention_days": "90"}, "data_retention_days"),
        ({"data_retention_days": True}, "data_retention_days"),
        ({"subscription_tier": "enterprise"}, "subscription_tier"),
        ({"growth_profile": {"self_know": 99}}, "growth_profile"),
        ({}, "body"),
    ],
)
def test_invalid_change_is_422_naming_the_field_and_changes_nothing(
    api: httpx.Client, make_user: Any, change: dict[str, Any], field: str
) -> None:
    user = make_user()
    api.get("/v1/me", headers=user.headers)  # marks them active (after its own answer)
    before = api.get("/v1/me", headers=user.headers).json()

    response = api.patch("/v1/me", json=change, headers=user.headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422
    assert problem["type"].endswith("/validation-error")
    assert field in [error["field"] for error in problem["errors"]]
    assert field in problem["detail"]
    assert api.get("/v1/me", headers=user.headers).json() == before


def test_malformed_json_is_422(api: httpx.Client, make_user: Any) -> None:
    user = make_user()

    response = api.patch(
        "/v1/me",
        content=b"{not json",
        headers={**user.headers, "content-type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


def test_each_user_sees_only_their_own_profile(api: httpx.Client, make_user: Any) -> None:
    owner, other = make_user(), make_user()
    api.patch("/v1/me", json={"display_name": "Owner"}, headers=owner.headers)

    seen_by_other = api.get("/v1/me", headers=other.headers).json()

    assert seen_by_other["user_id"] == str(other.user_id)
    assert seen_by_other["display_name"] is None
    assert api.get("/v1/me", headers=owner.headers).json()["display_name"] == "Owner"


def test_anonymous_request_is_401_and_reveals_nothing(api: httpx.Client) -> None:
    response = api.get("/v1/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "user_id" not in response.text


def test_anonymous_patch_with_bad_body_is_401_not_422(api: httpx.Client) -> None:
    response = api.patch("/v1/me", json={"data_retention_days": 1})

    assert response.status_code == 401


def test_concurrent_requests_never_see_each_others_bodies(
    api: httpx.Client, make_user: Any
) -> None:
    # given many users, each changing their profile at the same moment through the local gateway
    # (whose containers are threads: Powertools' shared request state must not leak across them)
    from concurrent.futures import ThreadPoolExecutor

    users = [make_user() for _ in range(48)]

    def change(job: tuple[int, int]) -> tuple[int, int, dict[str, Any]]:
        index, round_ = job
        days = 100 + index * 10 + round_
        response = api.patch(
            "/v1/me", json={"data_retention_days": days}, headers=users[index].headers
        )
        return index, days, response.json()

    # when
    jobs = [(index, round_) for round_ in range(4) for index in range(len(users))]
    with ThreadPoolExecutor(max_workers=48) as pool:
        results = list(pool.map(change, jobs))

    # then every answer is the caller's own profile carrying the caller's own change
    mixed_up = [
        (index, days, body.get("user_id"), body.get("data_retention_days"))
        for index, days, body in results
        if body.get("user_id") != str(users[index].user_id)
        or body.get("data_retention_days") != days
    ]
    assert mixed_up == []
