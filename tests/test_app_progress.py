"""Per-app progress kept by the pipeline (triggers on conversations, messages and memories),
read through the real gateway: exact totals, replays counted once, milestones never repeated."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg

from coaching_catalogue import add_app


def open_conversation(api: httpx.Client, user: Any, app_id: str | None) -> str:
    response = api.post("/v1/conversations", json={"app_id": app_id}, headers=user.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["conversation_id"])


def say(api: httpx.Client, user: Any, conversation_id: str, text: str, key: str) -> None:
    response = api.post(
        f"/v1/conversations/{conversation_id}/messages",
        json={"content": text},
        headers={**user.headers, "Idempotency-Key": key},
    )
    assert response.status_code == 201, response.text


def test_coaching_activity_counts_toward_the_apps_progress_exactly_once(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given an app and a person who has not used it yet
    user = make_user()
    app_id, app_slug = add_app(pg)
    untouched = api.get(f"/v1/apps/{app_slug}/progress", headers=user.headers)
    # when they chat twice in it (one turn replayed), keep a coaching memory, and chat outside it
    coaching = open_conversation(api, user, app_id)
    key = str(uuid.uuid4())
    say(api, user, coaching, "I ran five kilometres today", key)
    say(api, user, coaching, "I ran five kilometres today", key)
    say(api, user, coaching, "My knee hurts a little", str(uuid.uuid4()))
    memory = api.post(
        "/v1/memories",
        json={"app_id": app_id, "memory_type": "milestone", "content": "First 5k run"},
        headers=user.headers,
    )
    companion = open_conversation(api, user, None)
    say(api, user, companion, "Hello", str(uuid.uuid4()))
    progress = api.get(f"/v1/apps/{app_slug}/progress", headers=user.headers)
    # then
    assert untouched.status_code == 404
    assert memory.status_code == 201, memory.text
    assert progress.status_code == 200, progress.text
    got = progress.json()
    assert (got["total_conversations"], got["total_messages"]) == (1, 4)  # two turns, two answers
    assert got["progress_data"]["memories"] == 1  # and, once growth is delivered, dimensions
    assert got["milestones_reached"] == ["first_conversation", "first_memory"]


def test_milestones_are_appended_once_as_totals_cross_them(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given a person with one coaching conversation
    user = make_user()
    app_id, app_slug = add_app(pg)
    open_conversation(api, user, app_id)
    # when nine more conversations follow (written as the server writes them)
    for _ in range(9):
        pg.execute(
            "insert into public.conversations (user_id, app_id) values (%s, %s)",
            (user.user_id, app_id),
        )
    progress = api.get(f"/v1/apps/{app_slug}/progress", headers=user.headers).json()
    # then
    assert progress["total_conversations"] == 10
    assert progress["milestones_reached"] == ["first_conversation", "ten_conversations"]
