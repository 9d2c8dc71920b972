"""/v1/annotations and /v1/reflections through the real gateway, Postgres and row-level security."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest


def memory_of(api: httpx.Client, user: Any) -> str:
    response = api.post("/v1/memories", json={"title": "t", "content": "c"}, headers=user.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["memory_id"])


def annotate(api: httpx.Client, user: Any, target_id: str, **extra: Any) -> dict[str, Any]:
    body = {
        "target_id": target_id,
        "target_type": "memory",
        "annotation_type": "note",
        "text_content": "Remember this",
        **extra,
    }
    response = api.post("/v1/annotations", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def reflect(api: httpx.Client, user: Any, **extra: Any) -> dict[str, Any]:
    body = {"content": "A good week.", "reflection_type": "weekly", **extra}
    response = api.post("/v1/reflections", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def count(pg: psycopg.Connection[Any], table: str, user: Any) -> int:
    queries = {
        "annotations": "select count(*) from annotations where user_id = %s",
        "reflections": "select count(*) from reflections where user_id = %s",
    }
    row = pg.execute(queries[table], (user.user_id,)).fetchone()
    assert row is not None
    return int(row[0])


def all_items(api: httpx.Client, user: Any, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(20):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = api.get(path, params=query, headers=user.headers)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


def test_annotation_lifecycle(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    memory_id = memory_of(api, user)

    created = annotate(api, user, memory_id, metadata={"color": "yellow"})
    changed = api.patch(
        f"/v1/annotations/{created['annotation_id']}",
        json={"text_content": "Remember this well", "annotation_type": "highlight"},
        headers=user.headers,
    )
    deleted = api.delete(f"/v1/annotations/{created['annotation_id']}", headers=user.headers)

    assert created["target_id"] == memory_id
    assert created["source"] == "user"
    assert changed.status_code == 200, changed.text
    assert changed.json()["annotation_type"] == "highlight"
    assert changed.json()["text_content"] == "Remember this well"
    assert deleted.status_code == 204
    assert all_items(api, user, "/v1/annotations") == []


def test_annotations_page_and_filter_by_target(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    first, second = memory_of(api, user), memory_of(api, user)
    ids = [annotate(api, user, first)["annotation_id"] for _ in range(3)]
    other = annotate(api, user, second)["annotation_id"]
    loose = annotate(api, user, str(uuid.uuid4()), target_type="DerivedArtifact")["annotation_id"]

    everything = all_items(api, user, "/v1/annotations", limit=2)
    of_first = all_items(api, user, "/v1/annotations", target_id=first, target_type="memory")

    assert [a["annotation_id"] for a in everything] == [loose, other, *reversed(ids)]
    assert [a["annotation_id"] for a in of_first] == list(reversed(ids))


@pytest.mark.parametrize("target_type", ["memory", "concept", "conversation"])
def test_annotating_someone_elses_target_is_404(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], target_type: str
) -> None:
    owner, other = make_user(), make_user()
    if target_type == "memory":
        target_id = memory_of(api, owner)
    elif target_type == "conversation":
        target_id = api.post("/v1/conversations", json={}, headers=owner.headers).json()[
            "conversation_id"
        ]
    else:
        row = pg.execute(
            "insert into concepts (user_id, name, type) values (%s, 'Sea', 'place') returning concept_id",
            (owner.user_id,),
        ).fetchone()
        assert row is not None
        target_id = str(row[0])

    theirs = api.post(
        "/v1/annotations",
        json={
            "target_id": target_id,
            "target_type": target_type,
            "annotation_type": "note",
            "text_content": "mine?",
        },
        headers=other.headers,
    )
    mine = annotate(api, owner, target_id, target_type=target_type)

    assert theirs.status_code == 404, theirs.text
    assert mine["target_type"] == target_type
    assert count(pg, "annotations", other) == 0


def test_other_users_annotation_is_404_and_never_listed(api: httpx.Client, make_user: Any) -> None:
    owner, other = make_user(), make_user()
    created = annotate(api, owner, memory_of(api, owner))
    url = f"/v1/annotations/{created['annotation_id']}"

    assert api.patch(url, json={"text_content": "x"}, headers=other.headers).status_code == 404
    assert api.delete(url, headers=other.headers).status_code == 404
    assert all_items(api, other, "/v1/annotations") == []
    assert len(all_items(api, owner, "/v1/annotations")) == 1


def test_annotation_must_keep_text_or_media(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    created = annotate(api, user, memory_of(api, user))

    response = api.patch(
        f"/v1/annotations/{created['annotation_id']}",
        json={"text_content": None},
        headers=user.headers,
    )

    assert response.status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target_type": "memory", "annotation_type": "note", "text_content": "x"}, "target_id"),
        (
            {
                "target_id": "nope",
                "target_type": "memory",
                "annotation_type": "note",
                "text_content": "x",
            },
            "target_id",
        ),
        ({"target_id": "{id}", "annotation_type": "note", "text_content": "x"}, "target_type"),
        (
            {
                "target_id": "{id}",
                "target_type": "",
                "annotation_type": "note",
                "text_content": "x",
            },
            "target_type",
        ),
        ({"target_id": "{id}", "target_type": "memory", "text_content": "x"}, "annotation_type"),
        ({"target_id": "{id}", "target_type": "memory", "annotation_type": "note"}, "text_content"),
        (
            {
                "target_id": "{id}",
                "target_type": "memory",
                "annotation_type": "note",
                "media_url": "x" * 1025,
            },
            "media_url",
        ),
        (
            {
                "target_id": "{id}",
                "target_type": "memory",
                "annotation_type": "note",
                "text_content": "x",
                "source": "ai",
            },
            "source",
        ),
        (
            {
                "target_id": "{id}",
                "target_type": "memory",
                "annotation_type": "note",
                "text_content": "x",
                "metadata": 1,
            },
            "metadata",
        ),
    ],
)
def test_invalid_annotation_is_422_naming_the_field(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], body: dict[str, Any], field: str
) -> None:
    user = make_user()
    memory_id = memory_of(api, user)
    body = {k: (memory_id if v == "{id}" else v) for k, v in body.items()}

    response = api.post("/v1/annotations", json=body, headers=user.headers)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert count(pg, "annotations", user) == 0


def test_reflection_lifecycle(api: httpx.Client, make_user: Any) -> None:
    user = make_user()

    created = reflect(api, user, title="Week 1", tags=["work"], related_entities=[{"id": "x"}])
    changed = api.patch(
        f"/v1/reflections/{created['reflection_id']}",
        json={"title": None, "content": "A great week."},
        headers=user.headers,
    )
    deleted = api.delete(f"/v1/reflections/{created['reflection_id']}", headers=user.headers)

    assert created["tags"] == ["work"]
    assert created["sentiment"] is None
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] is None
    assert changed.json()["content"] == "A great week."
    assert deleted.status_code == 204
    assert all_items(api, user, "/v1/reflections") == []


def test_reflections_page_and_filter(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    weekly = [reflect(api, user)["reflection_id"] for _ in range(4)]
    daily = reflect(api, user, reflection_type="daily")["reflection_id"]

    everything = all_items(api, user, "/v1/reflections", limit=2)
    only_daily = all_items(api, user, "/v1/reflections", reflection_type="daily")

    assert [r["reflection_id"] for r in everything] == [daily, *reversed(weekly)]
    assert [r["reflection_id"] for r in only_daily] == [daily]


def test_other_users_reflection_is_404_and_never_listed(api: httpx.Client, make_user: Any) -> None:
    owner, other = make_user(), make_user()
    url = f"/v1/reflections/{reflect(api, owner)['reflection_id']}"

    assert api.patch(url, json={"content": "x"}, headers=other.headers).status_code == 404
    assert api.delete(url, headers=other.headers).status_code == 404
    assert all_items(api, other, "/v1/reflections") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reflection_type": "daily"}, "content"),
        ({"content": " ", "reflection_type": "daily"}, "content"),
        ({"content": "c"}, "reflection_type"),
        ({"content": "c", "reflection_type": "daily", "sentiment": 0.4}, "sentiment"),
        ({"content": "c", "reflection_type": "daily", "insights": []}, "insights"),
        (
            {"content": "c", "reflection_type": "daily", "related_entities": [1]},
            "related_entities.0",
        ),
        ({"content": "c", "reflection_type": "daily", "tags": [""]}, "tags.0"),
        ({"content": "c", "reflection_type": "daily", "title": ""}, "title"),
    ],
)
def test_invalid_reflection_is_422_naming_the_field(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], body: dict[str, Any], field: str
) -> None:
    user = make_user()

    response = api.post("/v1/reflections", json=body, headers=user.headers)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert count(pg, "reflections", user) == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", "/v1/reflections/{id}", {}, "body"),
        ("PATCH", "/v1/reflections/{id}", {"content": None}, "body"),
        ("PATCH", "/v1/reflections/{id}", {"sentiment": 1}, "sentiment"),
        ("PATCH", "/v1/reflections/nope", {"content": "x"}, "path.reflection_id"),
        ("DELETE", "/v1/reflections/nope", None, "path.reflection_id"),
        ("PATCH", "/v1/annotations/nope", {"text_content": "x"}, "path.annotation_id"),
        ("DELETE", "/v1/annotations/nope", None, "path.annotation_id"),
        ("GET", "/v1/reflections?limit=0", None, "query.limit"),
        ("GET", "/v1/annotations?target_id=x", None, "query.target_id"),
    ],
)
def test_invalid_change_or_query_is_422_naming_the_field(
    api: httpx.Client, make_user: Any, method: str, path: str, body: Any, field: str
) -> None:
    user = make_user()
    path = path.replace("{id}", reflect(api, user)["reflection_id"])

    response = api.request(method, path, json=body, headers=user.headers)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


def test_routes_are_in_the_openapi_spec(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]

    for resource in ("annotations", "reflections"):
        assert {"get", "post"} <= set(paths[f"/v1/{resource}"])
        item = paths[f"/v1/{resource}/{{{resource[:-1]}_id}}"]
        assert {"patch", "delete"} <= set(item)
        assert "201" in paths[f"/v1/{resource}"]["post"]["responses"]
