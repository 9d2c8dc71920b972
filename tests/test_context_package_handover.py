"""The insight cycle's `next_conversation_context_package` handed to the next conversation once,
through the real gateway, Postgres and Redis, answered by the local engine."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import psycopg
import redis

from test_dialogue_companion import last_call, open_conversation, say, session_key


def leave_package(pg: psycopg.Connection[Any], user: Any, themes: list[str]) -> str:
    """What an insight cycle leaves for the person's next conversation; returns its id."""
    insight_id = str(uuid.uuid4())
    package = {"insight_id": insight_id, "summary": "You wrote about your move.", "themes": themes}
    pg.execute(
        "update profiles set next_conversation_context_package = %s where user_id = %s",
        (json.dumps(package), user.user_id),
    )
    return insight_id


def package_of(pg: psycopg.Connection[Any], user: Any) -> dict[str, Any]:
    row = pg.execute(
        "select next_conversation_context_package from profiles where user_id = %s",
        (user.user_id,),
    ).fetchone()
    assert row is not None
    found: dict[str, Any] = row[0]
    return found


def test_the_next_conversation_hears_the_package_once_and_the_one_after_does_not(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given a package the insight cycle left
    user = make_user()
    insight_id = leave_package(pg, user, ["moving", "robotics"])
    # when the person opens a conversation and talks, then opens another one
    first = open_conversation(api, user)
    heard = say(api, user, first, "Hi! I just moved to Lisbon for a new job.")
    second = open_conversation(api, user)
    later = say(api, user, second, "Work was long today.")
    # then the first conversation's first reply speaks to it and its call records it
    assert "Since we last talked, moving, robotics kept coming up for you." in heard["content"]
    assert "Lisbon" in heard["content"]
    assert last_call(pg, first)["context_package"] == insight_id
    # and the package is marked as taken by that conversation, so the next one does not get it
    assert package_of(pg, user)["taken_by_conversation_id"] == first
    assert "Since we last talked" not in later["content"]
    assert last_call(pg, second)["context_package"] is None


def test_a_rebuilt_session_keeps_its_package_and_a_new_cycle_reaches_the_next_conversation(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], rds: redis.Redis
) -> None:
    user = make_user()
    taken = leave_package(pg, user, [])
    first = open_conversation(api, user)
    opening = say(api, user, first, "I started climbing again.")
    assert 'Looking back on our last talks: "You wrote about your move."' in opening["content"]
    # when its session is lost (rebuilt from Postgres), and a new cycle leaves a new package
    rds.delete(session_key(user, first))
    say(api, user, first, "The gym is near the river.")
    rebuilt = last_call(pg, first)
    fresh = leave_package(pg, user, ["climbing"])
    second = open_conversation(api, user)
    say(api, user, second, "Hello again.")
    # then the rebuilt turn still has its own package and the next conversation the new one
    assert (rebuilt["context_from"], rebuilt["context_package"]) == ("postgres", taken)
    assert last_call(pg, second)["context_package"] == fresh
    assert last_call(pg, first)["context_package"] == taken


def test_a_conversation_begun_without_a_package_does_not_take_one_midway(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], rds: redis.Redis
) -> None:
    user = make_user()
    first = open_conversation(api, user)
    say(api, user, first, "I started climbing again.")
    insight_id = leave_package(pg, user, ["climbing"])
    rds.delete(session_key(user, first))

    say(api, user, first, "The gym is near the river.")

    assert last_call(pg, first)["context_package"] is None
    assert "taken_by_conversation_id" not in package_of(pg, user)
    second = open_conversation(api, user)
    say(api, user, second, "Hello again.")
    assert last_call(pg, second)["context_package"] == insight_id
