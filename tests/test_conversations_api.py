"""/v1/conversations through the real gateway, Postgres and row-level security."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest


def open_one(api: httpx.Client, user: Any, **body: Any) -> dict[str, Any]:
    response = api.post("/v1/conversations", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def count_conversations(pg: psycopg.Connection[Any], user: Any) -> int:
    row = pg.execute(
        "select count(*) from conversations where user_id = %s", (user.user_id,)
    ).fetchone()
    assert row is not None
    return int(row[0])


def add_messages(pg: psycopg.Connection[Any], user: Any, conversation_id: str, n: int) -> None:
    for i in range(n):
        pg.execute(
            "insert into messages (conversation_id, user_id, role, content) values (%s, %s, %s, %s)",
            (conversation_id, user.user_id, "user" if i % 2 == 0 else "assistant", f"turn {i}"),
        )


def test_open_and_read(api: httpx.Client, make_user: Any) -> None:
    user = make_user()

    opened = open_one(api, user, title="Morning chat", metadata={"mood": "calm"})
    read = api.get(f"/v1/conversations/{opened['conversation_id']}", headers=user.headers)

    assert read.status_code == 200, read.text
    body = read.json()
    assert body["user_id"] == str(user.user_id)
    assert body["status"] == "active"
    assert body["metadata"] == {"mood": "calm"}
    assert body["messages"] == []
    assert body["next_messages_cursor"] is None


def test_same_session_id_returns_the_first_with_200_and_creates_nothing(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    session_id = str(uuid.uuid4())

    first = api.post("/v1/conversations", json={"session_id": session_id}, headers=user.headers)
    again = api.post(
        "/v1/conversations", json={"session_id": session_id, "title": "x"}, headers=user.headers
    )

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert count_conversations(pg, user) == 1


def test_concurrent_opens_with_one_session_id_create_one(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    body = {"session_id": str(uuid.uuid4())}

    def post(_: int) -> httpx.Response:
        return api.post("/v1/conversations", json=body, headers=user.headers)

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(post, range(8)))

    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["conversation_id"] for r in responses}) == 1
    assert count_conversations(pg, user) == 1


def test_session_id_is_per_user(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    first, second = make_user(), make_user()
    session_id = str(uuid.uuid4())

    a = open_one(api, first, session_id=session_id)
    b = open_one(api, second, session_id=session_id)

    assert a["conversation_id"] != b["conversation_id"]


def test_idempotency_key_replays_the_first_create(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    headers = {**user.headers, "Idempotency-Key": str(uuid.uuid4())}

    first = api.post("/v1/conversations", json={"title": "a"}, headers=headers)
    replay = api.post("/v1/conversations", json={"title": "a"}, headers=headers)
    different = api.post("/v1/conversations", json={"title": "b"}, headers=headers)

    assert first.status_code == 201, first.text
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert different.status_code == 422
    assert different.json()["errors"][0]["field"] == "header.idempotency-key"
    assert count_conversations(pg, user) == 1


def test_messages_page_oldest_first_without_gaps(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    conversation = open_one(api, user)
    add_messages(pg, user, conversation["conversation_id"], 5)
    url = f"/v1/conversations/{conversation['conversation_id']}"

    contents: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"messages_limit": 2}
        if cursor:
            params["messages_cursor"] = cursor
        page = api.get(url, params=params, headers=user.headers)
        assert page.status_code == 200, page.text
        contents += [m["content"] for m in page.json()["messages"]]
        cursor = page.json()["next_messages_cursor"]
        if cursor is None:
            break

    assert contents == [f"turn {i}" for i in range(5)]
    assert page.json()["message_count"] == 5


def test_list_pages_and_filters(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    ids = [open_one(api, user, title=f"c{i}")["conversation_id"] for i in range(5)]
    api.post(f"/v1/conversations/{ids[0]}/end", headers=user.headers)

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/conversations", params=params, headers=user.headers).json()
        seen += [c["conversation_id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    ended = api.get("/v1/conversations", params={"status": "ended"}, headers=user.headers)
    by_app = api.get(
        "/v1/conversations", params={"app_id": str(uuid.uuid4())}, headers=user.headers
    )

    assert seen == list(reversed(ids))
    assert [c["conversation_id"] for c in ended.json()["items"]] == [ids[0]]
    assert by_app.json()["items"] == []


def test_end_is_idempotent(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    url = f"/v1/conversations/{open_one(api, user)['conversation_id']}/end"

    first = api.post(url, headers=user.headers)
    again = api.post(url, headers=user.headers)

    assert first.status_code == 200, first.text
    assert first.json()["status"] == "ended"
    assert first.json()["ended_at"] is not None
    assert again.status_code == 200
    assert again.json()["ended_at"] == first.json()["ended_at"]


def test_other_users_conversation_is_404_and_never_listed(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    owner, other = make_user(), make_user()
    conversation = open_one(api, owner)
    url = f"/v1/conversations/{conversation['conversation_id']}"

    assert api.get(url, headers=other.headers).status_code == 404
    assert api.post(f"{url}/end", headers=other.headers).status_code == 404
    assert api.get("/v1/conversations", headers=other.headers).json()["items"] == []
    assert api.get(url, headers=owner.headers).json()["status"] == "active"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"session_id": "abc"}, "session_id"),
        ({"session_id": "00000000-0000-1000-8000-000000000000"}, "session_id"),
        ({"title": ""}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"metadata": []}, "metadata"),
        ({"app_id": "nope"}, "app_id"),
        ({"status": "ended"}, "status"),
        ({"message_count": 3}, "message_count"),
    ],
)
def test_invalid_create_is_422_naming_the_field(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], body: dict[str, Any], field: str
) -> None:
    user = make_user()

    response = api.post("/v1/conversations", json=body, headers=user.headers)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert count_conversations(pg, user) == 0


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/conversations", {"limit": 0}, "query.limit"),
        ("/v1/conversations", {"status": "sleeping"}, "query.status"),
        ("/v1/conversations", {"app_id": "x"}, "query.app_id"),
        ("/v1/conversations/not-a-uuid", {}, "path.conversation_id"),
        ("/v1/conversations/{id}", {"messages_limit": 101}, "query.messages_limit"),
    ],
)
def test_invalid_read_is_422_naming_the_field(
    api: httpx.Client, make_user: Any, path: str, params: dict[str, Any], field: str
) -> None:
    user = make_user()
    path = path.replace("{id}", open_one(api, user)["conversation_id"])

    response = api.get(path, params=params, headers=user.headers)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


def test_end_with_bad_uuid_is_422(api: httpx.Client, make_user: Any) -> None:
    user = make_user()

    response = api.post("/v1/conversations/nope/end", headers=user.headers)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "path.conversation_id"


def test_unknown_app_is_422(api: httpx.Client, make_user: Any) -> None:
    user = make_user()

    response = api.post(
        "/v1/conversations", json={"app_id": str(uuid.uuid4())}, headers=user.headers
    )

    assert response.status_code == 422


def test_routes_are_in_the_openapi_spec(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]

    assert {"get", "post"} <= set(paths["/v1/conversations"])
    assert "get" in paths["/v1/conversations/{conversation_id}"]
    assert "post" in paths["/v1/conversations/{conversation_id}/end"]
    created = paths["/v1/conversations"]["post"]
    assert {"200", "201"} <= set(created["responses"])
    assert "idempotency-key" in [p["name"] for p in created["parameters"]]
