"""GET /v1/apps/{app}/knowledge through the real gateway: api.search_knowledge as the caller."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest

from coaching_catalogue import access_counts, add_app, add_knowledge_base

ENTRIES = [
    ("Breathing drills", "Slow exhales calm the body before a race."),
    ("Race day warm-up", "Ten minutes of easy jogging, then a few breathing drills."),
    ("Hydration", "Drink a little water every twenty minutes on long runs."),
]


def search(api: httpx.Client, user: Any, app: str, **params: Any) -> httpx.Response:
    return api.get(f"/v1/apps/{app}/knowledge", params=params, headers=user.headers)


def test_title_hit_ranks_above_content_only_hit_and_counts_access(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    app_id, app_slug = add_app(pg)
    titled, content_only, unrelated = add_knowledge_base(pg, app_id, ENTRIES)

    response = search(api, user, app_slug, q="breathing drills")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["app_id"], body["app_slug"]) == (app_id, app_slug)
    assert [hit["knowledge_entry_id"] for hit in body["items"]] == [titled, content_only]
    assert body["items"][0]["relevance"] > body["items"][1]["relevance"]
    assert access_counts(pg, [titled, content_only, unrelated]) == [1, 1, 0]


def test_app_is_found_by_id_and_limit_caps_the_hits(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    app_id, _ = add_app(pg)
    titled, _, _ = add_knowledge_base(pg, app_id, ENTRIES)

    response = search(api, user, app_id.upper(), q="breathing", limit=1)

    assert response.status_code == 200, response.text
    assert [hit["knowledge_entry_id"] for hit in response.json()["items"]] == [titled]


def test_inactive_knowledge_bases_never_appear(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    app_id, app_slug = add_app(pg)
    (live,) = add_knowledge_base(pg, app_id, [("Breathing basics", "In through the nose.")])
    (retired,) = add_knowledge_base(
        pg, app_id, [("Breathing myths", "Old advice.")], is_active=False
    )

    response = search(api, user, app_slug, q="breathing")

    assert response.status_code == 200, response.text
    assert [hit["knowledge_entry_id"] for hit in response.json()["items"]] == [live]
    assert access_counts(pg, [retired]) == [0]


@pytest.mark.parametrize("active", [False, None], ids=["inactive-app", "unknown-app"])
def test_unknown_or_inactive_app_is_404(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], active: bool | None
) -> None:
    user = make_user(app_metadata={"role": "admin"})  # even an admin may not search a retired app
    app = "no_such_app"
    if active is not None:
        app_id, app = add_app(pg, is_active=active)
        add_knowledge_base(pg, app_id, ENTRIES)

    response = search(api, user, app, q="breathing")

    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}], ids=["missing", "empty", "blank"])
def test_empty_query_is_422_naming_q(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], params: dict[str, str]
) -> None:
    user = make_user()
    _, app_slug = add_app(pg)

    response = search(api, user, app_slug, **params)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "query.q"
