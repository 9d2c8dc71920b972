"""Artifacts and prompts through the real gateway, Postgres and row-level security: filters and
cursor pages, 404 (never 403) for another person's, 422 naming the field, act and dismiss."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest


def add_artifact(pg: psycopg.Connection[Any], user_id: uuid.UUID, kind: str, title: str) -> str:
    row = pg.execute(
        "insert into public.derived_artifacts (user_id, artifact_type, title) values (%s, %s, %s)"
        " returning artifact_id",
        (user_id, kind, title),
    ).fetchone()
    assert row is not None
    return str(row[0])


def add_prompt(pg: psycopg.Connection[Any], user_id: uuid.UUID, text: str) -> str:
    row = pg.execute(
        "insert into public.proactive_prompts (user_id, prompt_text, source_agent)"
        " values (%s, %s, 'insight_engine') returning prompt_id",
        (user_id, text),
    ).fetchone()
    assert row is not None
    return str(row[0])


def card_status(pg: psycopg.Connection[Any], entity_id: str) -> str:
    row = pg.execute(
        "select status from public.cards where source_entity_id = %s", (entity_id,)
    ).fetchone()
    assert row is not None
    return str(row[0])


def test_artifacts_page_newest_first_and_filter_by_type(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given
    user = make_user()
    made = [add_artifact(pg, user.user_id, "insight_summary", f"Week {n}") for n in range(3)]
    trophy = add_artifact(pg, user.user_id, "trophy", "Streak")
    # when
    first = api.get("/v1/artifacts", params={"limit": 2}, headers=user.headers).json()
    rest = api.get(
        "/v1/artifacts", params={"limit": 2, "cursor": first["next_cursor"]}, headers=user.headers
    ).json()
    trophies = api.get("/v1/artifacts", params={"type": "trophy"}, headers=user.headers).json()
    one = api.get(f"/v1/artifacts/{made[0]}", headers=user.headers)
    # then
    listed = [a["artifact_id"] for a in first["items"] + rest["items"]]
    assert sorted(listed) == sorted([*made, trophy])
    assert rest["next_cursor"] is None
    assert [a["artifact_id"] for a in trophies["items"]] == [trophy]
    assert one.status_code == 200, one.text
    assert one.json()["title"] == "Week 0"


def test_another_persons_artifact_and_prompt_are_404_not_403(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given
    owner, stranger = make_user(), make_user()
    artifact = add_artifact(pg, owner.user_id, "cycle_report", "Report")
    prompt = add_prompt(pg, owner.user_id, "How was the swim?")
    # when
    read = api.get(f"/v1/artifacts/{artifact}", headers=stranger.headers)
    act = api.post(f"/v1/prompts/{prompt}/act", headers=stranger.headers)
    listed = api.get("/v1/prompts", headers=stranger.headers).json()
    # then
    assert (read.status_code, act.status_code) == (404, 404)
    assert listed["items"] == []
    assert read.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/artifacts", {"type": "diary"}, "query.type"),
        ("/v1/artifacts", {"limit": 0}, "query.limit"),
        ("/v1/artifacts/not-a-uuid", {}, "path.artifact_id"),
    ],
)
def test_bad_queries_are_422_naming_the_field(
    api: httpx.Client, make_user: Any, path: str, params: dict[str, Any], field: str
) -> None:
    response = api.get(path, params=params, headers=make_user().headers)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


def test_acting_on_and_dismissing_prompts_settles_them_and_their_cards(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given three active prompts
    user = make_user()
    acted, dismissed, open_one = (add_prompt(pg, user.user_id, t) for t in ("A?", "B?", "C?"))
    # when one is acted on (twice), one dismissed, and then the acted one dismissed
    first = api.post(f"/v1/prompts/{acted}/act", headers=user.headers)
    again = api.post(f"/v1/prompts/{acted}/act", headers=user.headers)
    gone = api.post(f"/v1/prompts/{dismissed}/dismiss", headers=user.headers)
    late = api.post(f"/v1/prompts/{acted}/dismiss", headers=user.headers)
    active = api.get("/v1/prompts", headers=user.headers).json()["items"]
    # then
    assert (first.status_code, again.status_code, gone.status_code) == (200, 200, 200)
    assert first.json()["status"] == again.json()["status"] == "acted"
    assert again.json()["updated_at"] == first.json()["updated_at"]
    assert late.status_code == 409, late.text
    assert [p["prompt_id"] for p in active] == [open_one]
    assert (card_status(pg, acted), card_status(pg, dismissed), card_status(pg, open_one)) == (
        "completed",
        "active_archive",
        "active_canvas",
    )
