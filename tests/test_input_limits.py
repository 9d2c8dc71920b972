"""Hostile and careless input at the edge: every route refuses, with a 4xx naming the field, what
the pipeline could not carry (NUL, invalid UTF-8, deep JSON, non-JSON bodies, unstorable dates,
forged cursors), and stores nothing of it."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import psycopg
import pytest

from dotline.input_limits import MAX_JSON_DEPTH, WEBHOOK_MAX_JSON_DEPTH, check_json_text
from dotline.models.db_events import DbEvent
from dotline.services.mirroring.mirroring import parse_db_event

JSON = {"content-type": "application/json"}


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"n": value}
    return value


def memory_count(pg: psycopg.Connection[Any], user_id: uuid.UUID) -> int:
    row = pg.execute("select count(*) from public.memories where user_id = %s", (user_id,))
    return int(row.fetchone()[0])  # type: ignore[index]


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if field is not None:
        assert field in [e["field"] for e in response.json()["errors"]], response.text


def test_a_nul_in_a_body_string_is_422_naming_the_field_and_stores_nothing(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()

    response = api.post(
        "/v1/memories", json={"title": "t", "content": "a\x00b"}, headers=user.headers
    )

    assert_problem(response, 422, "content")
    assert memory_count(pg, user.user_id) == 0


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/search?q=tea%00cake", "query.q"),
        ("/v1/concepts?name_prefix=a%00", "query.name_prefix"),
        ("/v1/apps/bad%00slug", "path.app_ref"),
        ("/v1/search?q=tea%FFcake", "query.q"),
    ],
)
def test_a_nul_or_invalid_utf8_in_a_parameter_is_422_naming_it(
    api: httpx.Client, make_user: Any, path: str, field: str
) -> None:
    response = api.get(path, headers=make_user().headers)

    assert_problem(response, 422, field)


def test_a_body_that_is_not_utf8_is_422_naming_the_body(api: httpx.Client, make_user: Any) -> None:
    body = b'{"title": "t", "content": "caf\xe9"}'

    response = api.post("/v1/memories", content=body, headers={**make_user().headers, **JSON})

    assert_problem(response, 422, "body")


def test_a_lone_surrogate_or_nan_is_422(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    headers = {**user.headers, **JSON}

    surrogate = api.post(
        "/v1/memories", content='{"title":"t","content":"a\\ud800"}', headers=headers
    )
    nan = api.post("/v1/reflections", content='{"content":"c","reflection_type":"daily",'
                   '"metadata":{"x":NaN}}', headers=headers)  # fmt: skip

    assert_problem(surrogate, 422, "content")
    assert_problem(nan, 422, "body")


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/x-www-form-urlencoded",
    ],
)
def test_a_body_in_another_media_type_is_415(
    api: httpx.Client, make_user: Any, content_type: str, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()

    response = api.post(
        "/v1/memories",
        content=b'{"title": "t", "content": "c"}',
        headers={**user.headers, "content-type": content_type},
    )

    assert_problem(response, 415)
    assert memory_count(pg, user.user_id) == 0


def test_json_in_utf8_with_its_charset_named_is_accepted(api: httpx.Client, make_user: Any) -> None:
    response = api.post(
        "/v1/memories",
        content=b'{"title": "t", "content": "c"}',
        headers={**make_user().headers, "content-type": "application/json; charset=UTF-8"},
    )

    assert response.status_code == 201, response.text


def test_a_deep_reflection_is_refused_and_the_list_still_reads(
    api: httpx.Client, make_user: Any
) -> None:
    user = make_user()
    body = {"content": "c", "reflection_type": "daily", "metadata": nested(300)}

    created = api.post("/v1/reflections", json=body, headers=user.headers)
    listed = api.get("/v1/reflections", headers=user.headers)
    exported = api.get("/v1/me/export", headers=user.headers)

    assert_problem(created, 422)
    assert created.json()["errors"][0]["field"].startswith("metadata.n")
    assert (listed.status_code, listed.json()["items"]) == (200, [])
    assert exported.status_code == 200


def test_deep_preferences_are_refused_and_the_profile_still_reads(
    api: httpx.Client, make_user: Any
) -> None:
    user = make_user()

    changed = api.patch(
        "/v1/me", json={"preferences": nested(MAX_JSON_DEPTH)}, headers=user.headers
    )
    me = api.get("/v1/me", headers=user.headers)

    assert_problem(changed, 422)
    assert me.status_code == 200 and me.json()["preferences"] == {}


def test_preferences_as_deep_as_the_limit_are_kept_and_read_back(
    api: httpx.Client, make_user: Any
) -> None:
    user = make_user()
    deepest = {"a": nested(MAX_JSON_DEPTH - 2)}  # its leaf sits MAX_JSON_DEPTH levels down

    changed = api.patch("/v1/me", json={"preferences": deepest}, headers=user.headers)
    me = api.get("/v1/me", headers=user.headers)

    assert changed.status_code == 200, changed.text
    assert me.status_code == 200 and me.json()["preferences"] == deepest


def test_json_thousands_of_levels_deep_is_a_422_not_a_recursion_error(
    api: httpx.Client, make_user: Any
) -> None:
    body = '{"preferences": ' + "[" * 5000 + "]" * 5000 + "}"

    response = api.patch("/v1/me", content=body, headers={**make_user().headers, **JSON})

    assert_problem(response, 422, "body")


def test_the_deepest_value_the_api_accepts_still_reaches_the_mirror() -> None:
    """A row holding the deepest accepted value, as the outbox delivers it, passes the webhook's
    own limits and parser: the API never accepts what the mirror cannot take."""
    record = {"reflection_id": str(uuid.uuid4()), "metadata": nested(MAX_JSON_DEPTH - 1)}
    body = json.dumps(
        {"type": "INSERT", "table": "reflections", "schema": "public", "record": record,
         "old_record": None, "outbox_id": 1}
    )  # fmt: skip

    check_json_text(body, max_depth=WEBHOOK_MAX_JSON_DEPTH)

    assert isinstance(parse_db_event(body.encode()), DbEvent)


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_date_outside_what_can_be_stored_is_422_naming_it(
    api: httpx.Client, make_user: Any, moment: str, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()

    created = api.post(
        "/v1/memories",
        json={"title": "t", "content": "c", "occurred_at": moment},
        headers=user.headers,
    )
    searched = api.get(
        "/v1/search", params={"q": "c", "created_after": moment}, headers=user.headers
    )

    assert_problem(created, 422, "occurred_at")
    assert_problem(searched, 422, "query.created_after")
    assert memory_count(pg, user.user_id) == 0


def unsigned_cursor(kind: str, key: Any, row_id: Any) -> str:
    raw = json.dumps([kind, key, row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("/v1/memories", unsigned_cursor("memories.recent", {"a": 1}, str(uuid.uuid4()))),
        (
            "/v1/memories?sort=importance",
            unsigned_cursor("memories.importance", "high", str(uuid.uuid4())),
        ),
        ("/v1/concepts", unsigned_cursor("concepts.recent", [1, 2], str(uuid.uuid4()))),
        ("/v1/concepts?sort=name", unsigned_cursor("concepts.name", 5, str(uuid.uuid4()))),
        (
            "/v1/concepts?sort=salience",
            unsigned_cursor("concepts.salience", "x", str(uuid.uuid4())),
        ),
        ("/v1/cards", unsigned_cursor("cards_recent", True, str(uuid.uuid4()))),
        ("/v1/media", unsigned_cursor("media", 12, str(uuid.uuid4()))),
        ("/v1/growth/events", "MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHxub3QtYS11dWlk"),
        ("/v1/conversations", "zzz"),
        ("/v1/annotations", "abc"),
        ("/v1/artifacts", "not-a-cursor"),
        ("/v1/prompts", "not-a-cursor"),
        ("/v1/search?q=tea", "garbage"),
    ],
)
def test_a_forged_cursor_is_400(api: httpx.Client, make_user: Any, path: str, cursor: str) -> None:
    separator = "&" if "?" in path else "?"

    response = api.get(f"{path}{separator}cursor={cursor}", headers=make_user().headers)

    assert_problem(response, 400, "query.cursor")


def test_a_forged_messages_cursor_is_400(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    opened = api.post("/v1/conversations", json={}, headers=user.headers).json()

    response = api.get(
        f"/v1/conversations/{opened['conversation_id']}",
        params={"messages_cursor": unsigned_cursor("messages", "x", 1)},
        headers=user.headers,
    )

    assert_problem(response, 400, "query.messages_cursor")


def test_a_handed_out_cursor_with_one_character_changed_is_400(
    api: httpx.Client, make_user: Any
) -> None:
    user = make_user()
    for i in range(2):
        api.post("/v1/memories", json={"title": f"m{i}", "content": "c"}, headers=user.headers)
    cursor = api.get("/v1/memories?limit=1", headers=user.headers).json()["next_cursor"]
    altered = cursor[:5] + ("A" if cursor[5] != "A" else "B") + cursor[6:]

    genuine = api.get("/v1/memories", params={"limit": 1, "cursor": cursor}, headers=user.headers)
    forged = api.get("/v1/memories", params={"limit": 1, "cursor": altered}, headers=user.headers)

    assert genuine.status_code == 200 and len(genuine.json()["items"]) == 1
    assert_problem(forged, 400, "query.cursor")
