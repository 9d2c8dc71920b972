"""/v1/memories through the real gateway, Postgres and row-level security."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest


def new_memory(**overrides: Any) -> dict[str, Any]:
    return {"title": "Beach day", "content": "We swam until sunset.", **overrides}


def create(api: httpx.Client, user: Any, **overrides: Any) -> dict[str, Any]:
    response = api.post("/v1/memories", json=new_memory(**overrides), headers=user.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def count_memories(pg: psycopg.Connection[Any], user: Any) -> int:
    row = pg.execute("select count(*) from memories where user_id = %s", (user.user_id,)).fetchone()
    assert row is not None
    return int(row[0])


def all_pages(api: httpx.Client, user: Any, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = api.get("/v1/memories", params=query, headers=user.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


def test_create_then_read_counts_an_access(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    created = create(api, user, tags=["sea", "family"], people=[{"name": "Ana"}])

    read = api.get(f"/v1/memories/{created['memory_id']}", headers=user.headers)

    assert read.status_code == 200, read.text
    body = read.json()
    assert body["user_id"] == str(user.user_id)
    assert body["title"] == "Beach day"
    assert body["tags"] == ["sea", "family"]
    assert body["people"] == [{"name": "Ana"}]
    assert created["access_count"] == 0
    assert body["access_count"] == 1
    assert body["last_accessed_at"] is not None


def test_coaching_memory_needs_no_title(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    app_row = pg.execute(
        "insert into apps (slug, display_name, domain) values (%s, 'Coach', 'general') returning app_id",
        (f"coach_{uuid.uuid4().hex[:8]}",),
    ).fetchone()
    assert app_row is not None

    response = api.post(
        "/v1/memories",
        json={"app_id": str(app_row[0]), "memory_type": "milestone", "content": "First date"},
        headers=user.headers,
    )

    assert response.status_code == 201, response.text
    assert response.json()["title"] is None
    assert response.json()["expires_at"] is not None  # retention default for coaching memories


def test_pages_cover_every_memory_once_in_order(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    ids = [create(api, user, title=f"m{i}")["memory_id"] for i in range(7)]

    listed = all_pages(api, user, limit=3)

    assert [m["memory_id"] for m in listed] == list(reversed(ids))


def test_sort_by_importance_pages_without_gaps(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    ids = [create(api, user, title=f"m{i}")["memory_id"] for i in range(6)]
    for i, memory_id in enumerate(ids):  # importance is the server's to set
        pg.execute(
            "update memories set importance = %s where memory_id = %s", (i % 3 / 4, memory_id)
        )

    listed = all_pages(api, user, limit=2, sort="importance")

    assert sorted(m["memory_id"] for m in listed) == sorted(ids)
    importances = [m["importance"] for m in listed]
    assert importances == sorted(importances, reverse=True)


def test_filters(api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]) -> None:
    user = make_user()
    sea = create(api, user, tags=["sea"], memory_type="trip", occurred_at="2020-01-01T00:00:00Z")
    hill = create(api, user, tags=["hill", "walk"], memory_type="walk")
    plain = create(api, user)
    pg.execute("update memories set importance = 0.9 where memory_id = %s", (hill["memory_id"],))

    def ids(**params: Any) -> set[str]:
        return {m["memory_id"] for m in all_pages(api, user, **params)}

    assert ids(memory_type="trip") == {sea["memory_id"]}
    assert ids(tags=["walk", "sea"]) == {sea["memory_id"], hill["memory_id"]}
    assert ids(importance_min=0.8) == {hill["memory_id"]}
    assert ids(importance_max=0.6) == {sea["memory_id"], plain["memory_id"]}
    assert ids(occurred_before="2021-01-01T00:00:00Z") == {sea["memory_id"]}
    assert ids(created_after="2000-01-01T00:00:00Z") == {
        sea["memory_id"],
        hill["memory_id"],
        plain["memory_id"],
    }
    assert ids(created_before="2000-01-01T00:00:00Z") == set()


def test_patch_changes_fields_and_history_keeps_old_values(
    api: httpx.Client, make_user: Any
) -> None:
    user = make_user()
    memory = create(api, user)
    url = f"/v1/memories/{memory['memory_id']}"

    changed = api.patch(url, json={"content": "We swam.", "tags": ["sea"]}, headers=user.headers)
    deleted = api.delete(url, headers=user.headers)

    assert changed.status_code == 200, changed.text
    assert changed.json()["content"] == "We swam."
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert api.get(url, headers=user.headers).status_code == 404
    history = api.get(f"{url}/history", headers=user.headers)
    assert history.status_code == 200, history.text
    entries = history.json()["items"]
    assert [e["operation"] for e in entries] == ["DELETE", "UPDATE"]
    assert entries[1]["old_values"]["content"] == "We swam until sunset."
    assert set(entries[1]["changed_columns"]) == {"content", "tags"}
    assert entries[0]["old_values"]["content"] == "We swam."
    assert entries[0]["changed_by"] == str(user.user_id)


def test_history_pages_newest_first(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    url = f"/v1/memories/{create(api, user)['memory_id']}"
    for i in range(5):
        api.patch(url, json={"content": f"v{i}"}, headers=user.headers)

    first = api.get(f"{url}/history", params={"limit": 3}, headers=user.headers).json()
    rest = api.get(
        f"{url}/history", params={"limit": 3, "cursor": first["next_cursor"]}, headers=user.headers
    ).json()

    contents = [e["old_values"]["content"] for e in first["items"] + rest["items"]]
    assert contents == ["v3", "v2", "v1", "v0", "We swam until sunset."]
    assert rest["next_cursor"] is None


def test_expired_memory_is_invisible(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    memory = create(api, user)
    pg.execute(
        "update memories set created_at = now() - interval '2 days', expires_at = now() - interval '1 day'"
        " where memory_id = %s",
        (memory["memory_id"],),
    )
    url = f"/v1/memories/{memory['memory_id']}"

    assert api.get(url, headers=user.headers).status_code == 404
    assert api.patch(url, json={"content": "x"}, headers=user.headers).status_code == 404
    assert api.delete(url, headers=user.headers).status_code == 404
    assert api.get(f"{url}/history", headers=user.headers).status_code == 404
    assert all_pages(api, user) == []


def test_other_users_memory_is_404_not_403_and_never_listed(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    owner, other = make_user(), make_user()
    memory = create(api, owner)
    url = f"/v1/memories/{memory['memory_id']}"

    assert api.get(url, headers=other.headers).status_code == 404
    assert api.patch(url, json={"content": "mine"}, headers=other.headers).status_code == 404
    assert api.delete(url, headers=other.headers).status_code == 404
    assert api.get(f"{url}/history", headers=other.headers).status_code == 404
    assert all_pages(api, other) == []
    assert count_memories(pg, owner) == 1
    assert api.get(url, headers=owner.headers).json()["content"] == memory["content"]


def test_idempotency_key_replays_the_first_create(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    headers = {**user.headers, "Idempotency-Key": f"k-{uuid.uuid4()}"}

    first = api.post("/v1/memories", json=new_memory(), headers=headers)
    replay = api.post("/v1/memories", json=new_memory(), headers=headers)
    different = api.post("/v1/memories", json=new_memory(title="Other"), headers=headers)

    assert first.status_code == 201, first.text
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert different.status_code == 422
    assert different.json()["errors"][0]["field"] == "header.idempotency-key"
    assert count_memories(pg, user) == 1


def test_concurrent_replays_create_once(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    headers = {**user.headers, "Idempotency-Key": str(uuid.uuid4())}

    def post(_: int) -> httpx.Response:
        return api.post("/v1/memories", json=new_memory(), headers=headers)

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(post, range(8)))

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["memory_id"] for r in responses}) == 1
    assert count_memories(pg, user) == 1


def test_same_key_is_separate_per_user(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    first, second = make_user(), make_user()

    for user in (first, second):
        response = api.post(
            "/v1/memories", json=new_memory(), headers={**user.headers, "Idempotency-Key": "same"}
        )
        assert response.status_code == 201

    assert count_memories(pg, first) == count_memories(pg, second) == 1


def test_unknown_source_conversation_is_422(api: httpx.Client, make_user: Any) -> None:
    user = make_user()

    response = api.post(
        "/v1/memories",
        json=new_memory(source_conversation_id=str(uuid.uuid4())),
        headers=user.headers,
    )

    assert response.status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": "no title"}, "title"),
        ({"title": "t"}, "content"),
        ({"title": "t", "content": "   "}, "content"),
        ({"title": "x" * 256, "content": "c"}, "title"),
        ({"title": "t", "content": "c", "importance": 1}, "importance"),
        ({"title": "t", "content": "c", "access_count": 9}, "access_count"),
        ({"title": "t", "content": "c", "tags": ["ok", ""]}, "tags.1"),
        ({"title": "t", "content": "c", "tags": "sea"}, "tags"),
        ({"title": "t", "content": "c", "people": ["Ana"]}, "people.0"),
        ({"title": "t", "content": "c", "occurred_at": "2020-01-01T00:00:00"}, "occurred_at"),
        ({"title": "t", "content": "c", "app_id": "nope"}, "app_id"),
        ({"content": "c", "app_id": str(uuid.uuid4()), "memory_type": "memory"}, "memory_type"),
    ],
)
def test_invalid_create_is_422_naming_the_field(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], body: dict[str, Any], field: str
) -> None:
    user = make_user()

    response = api.post("/v1/memories", json=body, headers=user.headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [error["field"] for error in response.json()["errors"]]
    assert count_memories(pg, user) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({}, "body"),
        ({"content": None}, "body"),
        ({"content": ""}, "content"),
        ({"importance": 0.9}, "importance"),
        ({"tags": [1]}, "tags.0"),
        ({"expires_at": "tomorrow"}, "expires_at"),
    ],
)
def test_invalid_change_is_422_naming_the_field(
    api: httpx.Client, make_user: Any, change: dict[str, Any], field: str
) -> None:
    user = make_user()
    memory = create(api, user)

    response = api.patch(f"/v1/memories/{memory['memory_id']}", json=change, headers=user.headers)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": 101}, "query.limit"),
        ({"sort": "alphabetical"}, "query.sort"),
        ({"importance_min": 2}, "query.importance_min"),
        ({"app_id": "x"}, "query.app_id"),
        ({"created_after": "yesterday"}, "query.created_after"),
    ],
)
def test_invalid_list_query_is_422_naming_the_field(
    api: httpx.Client, make_user: Any, params: dict[str, Any], field: str
) -> None:
    user = make_user()

    response = api.get("/v1/memories", params=params, headers=user.headers)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


def test_cursor_of_another_sort_is_422(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    for i in range(2):
        create(api, user, title=f"m{i}")
    cursor = api.get("/v1/memories", params={"limit": 1}, headers=user.headers).json()[
        "next_cursor"
    ]

    response = api.get(
        "/v1/memories", params={"cursor": cursor, "sort": "importance"}, headers=user.headers
    )

    assert response.status_code == 422


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/history")],
)
def test_bad_uuid_in_path_is_422(
    api: httpx.Client, make_user: Any, method: str, suffix: str
) -> None:
    user = make_user()

    response = api.request(
        method, f"/v1/memories/not-a-uuid{suffix}", json={"content": "x"}, headers=user.headers
    )

    assert response.status_code == 422, response.text
    assert "path.memory_id" in [error["field"] for error in response.json()["errors"]]


def test_anonymous_is_401(api: httpx.Client) -> None:
    assert api.get("/v1/memories").status_code == 401
    assert api.post("/v1/memories", json=new_memory()).status_code == 401


def test_routes_are_in_the_openapi_spec(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]

    assert {"get", "post"} <= set(paths["/v1/memories"])
    assert {"get", "patch", "delete"} <= set(paths["/v1/memories/{memory_id}"])
    assert "get" in paths["/v1/memories/{memory_id}/history"]
    assert "get" in paths["/v1/memories/{memory_id}/sources"]
    unmerge = paths["/v1/memories/{memory_id}/unmerge"]["post"]
    assert {"201", "404", "409", "422"} <= set(unmerge["responses"])


def test_clearing_the_title_of_a_companion_memory_is_422_naming_the_rule(
    api: httpx.Client, make_user: Any
) -> None:
    user = make_user()
    memory = create(api, user)

    response = api.patch(
        f"/v1/memories/{memory['memory_id']}", json={"title": None}, headers=user.headers
    )

    assert response.status_code == 422, response.text
    problem = response.json()
    assert "title" in {error["field"] for error in problem["errors"]}
    assert "memories_title_required_outside_coaching" not in response.text
