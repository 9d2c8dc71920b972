"""POST /v1/events and GET /v1/events/summary through the real gateway, Postgres and RLS."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from conftest import User


@pytest.fixture
def make_user(
    make_user: Callable[..., User], pg: psycopg.Connection[Any]
) -> Iterator[Callable[..., User]]:
    """conftest's users, deleted with their events after the test: behaviour_events is one table
    for the whole suite, and other checks count its rows."""
    made: list[uuid.UUID] = []

    def make(*args: Any, **kwargs: Any) -> User:
        user = make_user(*args, **kwargs)
        made.append(user.user_id)
        return user

    yield make
    pg.execute("delete from auth.users where id = any(%s)", (made,))


def event(**overrides: Any) -> dict[str, Any]:
    """A valid event, as a client would send it."""
    return {
        "action_type": "view",
        "item_id": str(uuid.uuid4()),
        "item_type": "memory",
        "duration_seconds": 42,
        "context": {"source": "timeline", "scroll_depth": 0.8},
        "metadata": {"device": "ios"},
        "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        **overrides,
    }


def batch(events: list[dict[str, Any]], batch_id: uuid.UUID | None = None) -> dict[str, Any]:
    return {"batch_id": str(batch_id or uuid.uuid4()), "events": events}


def stored_events(pg: psycopg.Connection[Any], user_id: uuid.UUID) -> int:
    row = pg.execute(
        "select count(*) from public.behaviour_events where user_id = %s", (user_id,)
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_valid_batch_is_stored_for_the_caller(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given
    user = make_user()
    events = [event(duration_seconds=i) for i in range(250)]
    # when
    response = api.post("/v1/events", json=batch(events), headers=user.headers)
    # then
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 250
    assert response.json()["replayed"] is False
    assert stored_events(pg, user.user_id) == 250
    row = pg.execute(
        "select event_type, target_entity_type, context, metadata, occurred_at < created_at"
        " from public.behaviour_events where user_id = %s and duration_seconds = 7",
        (user.user_id,),
    ).fetchone()
    assert row == (
        "view",
        "memory",
        {"source": "timeline", "scroll_depth": 0.8},
        {"device": "ios"},
        True,
    )


def test_batch_with_one_bad_event_is_refused_whole_naming_its_index_and_field(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    events = [event() for _ in range(30)]
    events[17]["duration_seconds"] = 86_401

    response = api.post("/v1/events", json=batch(events), headers=user.headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/validation-error")
    assert problem["errors"][0]["field"] == "events.17.duration_seconds"
    assert problem["detail"].startswith("events.17.duration_seconds")
    assert stored_events(pg, user.user_id) == 0


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"action_type": "View Page"}, "action_type"),
        ({"action_type": ""}, "action_type"),
        ({"item_id": "not-a-uuid"}, "item_id"),
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"duration_seconds": "90"}, "duration_seconds"),
        ({"context": ["not", "an", "object"]}, "context"),
        ({"context": {"query": "x" * 5000}}, "context"),
        ({"metadata": "ios"}, "metadata"),
        ({"occurred_at": "2020-01-01T00:00:00Z"}, "occurred_at"),
        ({"occurred_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, "occurred_at"),
        ({"occurred_at": "2026-01-01T00:00:00"}, "occurred_at"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ({"user_id": str(uuid.uuid4())}, "user_id"),
    ],
)
def test_each_rule_names_the_bad_field(
    api: httpx.Client, make_user: Any, bad: dict[str, Any], field: str
) -> None:
    user = make_user()
    events = [event(), event(**bad)]

    response = api.post("/v1/events", json=batch(events), headers=user.headers)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == f"events.1.{field}"


def test_client_cannot_set_who_or_when_stored(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user, victim = make_user(), make_user()
    body = {**batch([event()]), "user_id": str(victim.user_id)}

    response = api.post("/v1/events", json=body, headers=user.headers)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "user_id"
    assert stored_events(pg, user.user_id) == stored_events(pg, victim.user_id) == 0


def test_replayed_batch_id_writes_nothing_new_and_returns_the_first_receipt(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    body = batch([event() for _ in range(5)])
    first = api.post("/v1/events", json=body, headers=user.headers)

    again = api.post("/v1/events", json=body, headers=user.headers)

    assert first.status_code == again.status_code == 202
    assert again.json() == {**first.json(), "replayed": True}
    assert stored_events(pg, user.user_id) == 5


def test_reused_batch_id_with_other_events_is_409_and_writes_nothing(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    batch_id = uuid.uuid4()
    api.post("/v1/events", json=batch([event()], batch_id), headers=user.headers)

    response = api.post(
        "/v1/events", json=batch([event(), event()], batch_id), headers=user.headers
    )

    assert response.status_code == 409
    assert stored_events(pg, user.user_id) == 1


def test_same_batch_id_from_another_user_is_their_own_batch(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    one, two = make_user(), make_user()
    batch_id = uuid.uuid4()
    api.post("/v1/events", json=batch([event()], batch_id), headers=one.headers)

    response = api.post("/v1/events", json=batch([event()], batch_id), headers=two.headers)

    assert response.status_code == 202
    assert response.json()["replayed"] is False
    assert stored_events(pg, two.user_id) == 1


def test_more_than_1000_events_is_413_and_writes_nothing(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    events = [{"action_type": "view"}] * 1001
    events[0] = {"action_type": "BAD"}  # counted first: 413, not 422

    response = api.post("/v1/events", json=batch(events), headers=user.headers)

    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/payload-too-large")
    assert stored_events(pg, user.user_id) == 0


def test_exactly_1000_events_is_accepted(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()

    response = api.post("/v1/events", json=batch([event()] * 1000), headers=user.headers)

    assert response.status_code == 202, response.text
    assert stored_events(pg, user.user_id) == 1000


def test_empty_batch_is_422(api: httpx.Client, make_user: Any) -> None:
    response = api.post("/v1/events", json=batch([]), headers=make_user().headers)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "events"


def test_summary_counts_my_actions_and_never_another_users(
    api: httpx.Client, make_user: Any
) -> None:
    me, other = make_user(), make_user()
    item = str(uuid.uuid4())
    mine = [event(action_type="view", item_id=item, duration_seconds=10)] * 3 + [
        event(action_type="search", item_id=None, duration_seconds=None)
    ]
    api.post("/v1/events", json=batch(mine), headers=me.headers).raise_for_status()
    theirs = [event(action_type="edit")] * 7
    api.post("/v1/events", json=batch(theirs), headers=other.headers).raise_for_status()

    response = api.get("/v1/events/summary", params={"days": 30}, headers=me.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["days"] == 30
    assert body["actions"] == [
        {"action_type": "view", "action_count": 3, "avg_duration_seconds": 10.0, "unique_items": 1},
        {
            "action_type": "search",
            "action_count": 1,
            "avg_duration_seconds": None,
            "unique_items": 0,
        },
    ]
    assert body["engagement"]["total_actions"] == 4
    assert body["engagement"]["unique_items"] == 1
    assert body["engagement"]["active_days"] == 1
    others = api.get("/v1/events/summary", headers=other.headers).json()
    assert [a["action_type"] for a in others["actions"]] == ["edit"]
    assert others["engagement"]["total_actions"] == 7


def test_summary_of_someone_who_logged_nothing_is_empty(api: httpx.Client, make_user: Any) -> None:
    response = api.get("/v1/events/summary", headers=make_user().headers)

    assert response.status_code == 200
    assert response.json() == {"days": 30, "actions": [], "engagement": None}


@pytest.mark.parametrize("days", ["0", "366", "a week"])
def test_summary_window_out_of_range_is_422(api: httpx.Client, make_user: Any, days: str) -> None:
    response = api.get("/v1/events/summary", params={"days": days}, headers=make_user().headers)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.days"


def test_each_user_gets_30_requests_a_minute_here_not_the_default_120(
    start_gateway: Callable[..., str], redis_rest: str, make_user: Any
) -> None:
    # given a gateway whose limits live in a real Redis
    limited = start_gateway({"UPSTASH_REDIS_REST_URL": redis_rest})
    user = make_user()
    with httpx.Client(base_url=limited, timeout=10) as api:
        # when
        allowed = [api.get("/v1/events/summary", headers=user.headers) for _ in range(30)]
        refused = api.post("/v1/events", json=batch([event()]), headers=user.headers)
    # then
    assert [r.status_code for r in allowed] == [200] * 30
    assert allowed[0].headers["RateLimit-Limit"] == "30"
    assert refused.status_code == 429
    assert refused.json()["type"].endswith("/rate-limited")
    assert "Retry-After" in refused.headers


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/v1/events"), ("GET", "/v1/events/summary")]
)
def test_anonymous_is_401(api: httpx.Client, method: str, path: str) -> None:
    response = api.request(method, path, json=batch([{"action_type": "BAD"}]))

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_uuids_and_times_in_other_spellings_are_stored_as_the_same_values(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given the spellings the fast path leaves to the full model: a UUID without hyphens and in
    # braces, a time with a space and no fraction
    user = make_user()
    item, session = uuid.uuid4(), uuid.uuid4()
    at = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    odd = event(
        item_id=item.hex,
        session_id="{" + str(session) + "}",
        occurred_at=f"{at:%Y-%m-%d %H:%M:%S}Z",
    )
    # when
    response = api.post("/v1/events", json=batch([odd]), headers=user.headers)
    # then
    assert response.status_code == 202, response.text
    row = pg.execute(
        "select target_entity_id, session_id, occurred_at from public.behaviour_events"
        " where user_id = %s",
        (user.user_id,),
    ).fetchone()
    assert row == (item, session, at)


def test_replay_spelled_differently_is_still_a_replay(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given a batch stored once
    user = make_user()
    body = batch([event(), event(action_type="search")])
    api.post("/v1/events", json=body, headers=user.headers).raise_for_status()
    # when a client re-sends it with other key order and spacing
    respelled = json.dumps(
        {"events": [dict(reversed(list(e.items()))) for e in body["events"]], **body}, indent=2
    )
    again = api.post(
        "/v1/events",
        content=respelled,
        headers={**user.headers, "content-type": "application/json"},
    )
    # then it is recognised as the same batch
    assert again.status_code == 202, again.text
    assert again.json()["replayed"] is True
    assert stored_events(pg, user.user_id) == 2


@pytest.mark.parametrize("body", ["{not json", "", "[]", '{"batch_id": "x", "events": {}}'])
def test_a_body_that_is_no_batch_is_422_naming_the_body_or_field(
    api: httpx.Client, make_user: Any, body: str
) -> None:
    response = api.post(
        "/v1/events",
        content=body,
        headers={**make_user().headers, "content-type": "application/json"},
    )

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] in {"body", "batch_id"}


def test_openapi_documents_the_batch_body_with_its_event_fields(api: httpx.Client) -> None:
    operation = api.get("/openapi.json").json()["paths"]["/v1/events"]["post"]

    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["batch_id", "events"]
    assert schema["properties"]["events"]["maxItems"] == 1000
    event_fields = schema["properties"]["events"]["items"]["properties"]
    assert {"action_type", "item_id", "duration_seconds", "occurred_at"} <= set(event_fields)
    assert {"413", "422"} <= set(operation["responses"])
