"""Reflections analysed on write, and a person's focus and per-dimension progress in an app,
through the real gateway, Postgres and the local language model."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg

from coaching_catalogue import add_app
from dotline.growth_rules import packaged_config
from dotline.settings import Settings
from user_outbox import deliver_outbox

HAPPY = "I feel grateful and happy after a long hike with Maria in Lisbon."
SAD = "I feel sad and anxious. The meeting with my boss went badly."


def reflect(client: httpx.Client, user: Any, content: str) -> dict[str, Any]:
    body = {"content": content, "reflection_type": "daily"}
    response = client.post("/v1/reflections", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_reflection_is_analysed_when_written_and_when_its_text_changes(
    client: httpx.Client, make_user: Any
) -> None:
    # given a person
    user = make_user()

    # when they write a happy reflection, then rewrite it as a sad one
    written = reflect(client, user, HAPPY)
    listed = client.get("/v1/reflections", headers=user.headers).json()["items"]
    changed = client.patch(
        f"/v1/reflections/{written['reflection_id']}", json={"content": SAD}, headers=user.headers
    )
    retitled = client.patch(
        f"/v1/reflections/{written['reflection_id']}",
        json={"title": "Monday"},
        headers=user.headers,
    )

    # then the sentiment and insights follow the text, and are stored
    assert written["sentiment"] > 0
    assert {"kind": "person", "name": "Maria"} in written["insights"]
    assert {"kind": "place", "name": "Lisbon"} in written["insights"]
    assert {"kind": "emotion", "name": "gratitude"} in written["insights"]
    assert [(r["sentiment"], r["insights"]) for r in listed] == [
        (written["sentiment"], written["insights"])
    ]
    assert changed.status_code == 200, changed.text
    assert changed.json()["sentiment"] < 0
    assert {"kind": "emotion", "name": "sadness"} in changed.json()["insights"]
    assert (retitled.json()["sentiment"], retitled.json()["insights"]) == (
        changed.json()["sentiment"], changed.json()["insights"],
    )  # fmt: skip


def test_a_person_may_not_set_the_derived_fields(client: httpx.Client, make_user: Any) -> None:
    user = make_user()
    body = {"content": HAPPY, "reflection_type": "daily", "sentiment": -1}
    response = client.post("/v1/reflections", json=body, headers=user.headers)
    assert response.status_code == 422
    assert any(e["field"] == "sentiment" for e in response.json()["errors"])


def say(client: httpx.Client, user: Any, conversation_id: str, text: str) -> None:
    response = client.post(
        f"/v1/conversations/{conversation_id}/messages", json={"content": text},
        headers=user.headers,
    )  # fmt: skip
    assert response.status_code == 201, response.text


def test_the_focus_area_is_the_persons_and_reaches_the_coach(
    client: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given an app the person has never used, and another person
    user, other = make_user(), make_user()
    app_id, app_slug = add_app(pg)
    url = f"/v1/apps/{app_slug}/progress"

    # when they pick a focus (which starts their progress) and talk to the coach
    focused = client.patch(
        url, json={"current_focus_area": "pacing long runs"}, headers=user.headers
    )
    conversation = client.post("/v1/conversations", json={"app_id": app_id}, headers=user.headers)
    say(client, user, conversation.json()["conversation_id"], "I ran ten kilometres today.")
    cleared = client.patch(url, json={"current_focus_area": None}, headers=user.headers)
    theirs = client.get(url, headers=other.headers)

    # then the focus is theirs alone, and the coach's call was given it
    assert focused.status_code == 200, focused.text
    assert focused.json()["current_focus_area"] == "pacing long runs"
    assert focused.json()["total_conversations"] == 0
    row = pg.execute(
        "select llm_call_metadata ->> 'focus_area' from public.messages"
        " where conversation_id = %s and role = 'assistant'",
        (conversation.json()["conversation_id"],),
    ).fetchone()
    assert row == ("pacing long runs",)
    assert cleared.json()["current_focus_area"] is None
    assert cleared.json()["total_conversations"] == 1
    assert theirs.status_code == 404


def test_the_focus_route_refuses_bad_input_and_unknown_apps(
    client: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    _, app_slug = add_app(pg)
    _, closed_slug = add_app(pg, is_active=False)
    url = f"/v1/apps/{app_slug}/progress"

    blank = client.patch(url, json={"current_focus_area": "  "}, headers=user.headers)
    missing = client.patch(url, json={}, headers=user.headers)
    closed = client.patch(
        f"/v1/apps/{closed_slug}/progress", json={"current_focus_area": "x"}, headers=user.headers
    )
    anonymous = client.patch(url, json={"current_focus_area": "x"})

    assert (blank.status_code, missing.status_code) == (422, 422)
    assert blank.json()["errors"][0]["field"] == "current_focus_area"
    assert closed.status_code == 404
    assert anonymous.status_code == 401


def test_growth_from_an_apps_memories_is_progress_along_each_dimension(
    client: httpx.Client, stack_url: str, make_user: Any, pg: psycopg.Connection[Any],
    settings: Settings,
) -> None:  # fmt: skip
    # given a person keeping two memories in an app (their growth is earned through the outbox)
    user = make_user()
    app_id, app_slug = add_app_via_api(client, make_user)
    for text in ("First 5k run", "First 10k run"):
        memory = client.post(
            "/v1/memories",
            json={"app_id": app_id, "memory_type": "milestone", "content": text},
            headers=user.headers,
        )
        assert memory.status_code == 201, memory.text

    # when every change is delivered, and then delivered all over again
    deliver_outbox(pg, stack_url, settings, user.user_id)
    deliver_outbox(pg, stack_url, settings, user.user_id, again=True)
    progress = client.get(f"/v1/apps/{app_slug}/progress", headers=user.headers).json()

    # then progress_data holds the memory count and the growth along each dimension
    assert progress["progress_data"]["memories"] == 2
    dimensions = progress["progress_data"]["dimensions"]
    assert set(dimensions) == {
        "self_know", "self_act", "self_show", "world_know", "world_act", "world_show"
    }  # fmt: skip
    expected = {d: round(2 * v, 4) for d, v in packaged_config().deltas("memory_created").items()}
    assert {k: v for k, v in dimensions.items() if v} == expected


def add_app_via_api(client: httpx.Client, make_user: Any) -> tuple[str, str]:
    admin = make_user({"role": "admin"})
    slug = f"app_{uuid.uuid4().hex[:10]}"
    response = client.post(
        "/v1/admin/apps",
        json={"slug": slug, "display_name": "Run Coach", "domain": "health"},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["app_id"]), slug
