"""Conversations started from a card, and titled from their first exchange, through the real
gateway, Postgres and row-level security."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg


def own_card(pg: psycopg.Connection[Any], user_id: uuid.UUID) -> uuid.UUID:
    row = pg.execute(
        "insert into public.cards (user_id, card_type, source_entity_id, source_entity_type) "
        "values (%s, 'memory', %s, 'memory') returning card_id",
        (user_id, uuid.uuid4()),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


def test_a_conversation_started_from_an_own_card_keeps_it(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given a card of the person's
    user = make_user()
    card = own_card(pg, user.user_id)
    # when they open a conversation from it
    response = api.post(
        "/v1/conversations", json={"source_card_id": str(card)}, headers=user.headers
    )
    # then it is stored and returned with it
    assert response.status_code == 201, response.text
    opened = response.json()
    assert opened["source_card_id"] == str(card)
    read = api.get(f"/v1/conversations/{opened['conversation_id']}", headers=user.headers)
    assert read.json()["source_card_id"] == str(card)
    stored = pg.execute(
        "select source_card_id from public.conversations where conversation_id = %s",
        (opened["conversation_id"],),
    ).fetchone()
    assert stored is not None and stored[0] == card


def test_a_conversation_without_a_card_has_none(api: httpx.Client, make_user: Any) -> None:
    user = make_user()

    response = api.post("/v1/conversations", json={}, headers=user.headers)

    assert response.status_code == 201, response.text
    assert response.json()["source_card_id"] is None


def test_someone_elses_or_an_unknown_card_is_refused_naming_the_field(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given another person's card and a card id nobody has
    user, other = make_user(), make_user()
    theirs = own_card(pg, other.user_id)
    for card in (theirs, uuid.uuid4()):
        # when the person opens a conversation from it
        response = api.post(
            "/v1/conversations", json={"source_card_id": str(card)}, headers=user.headers
        )
        # then it is refused, naming the field, and nothing is opened
        assert response.status_code in (404, 422), response.text
        assert "source_card_id" in [error["field"] for error in response.json()["errors"]]
    opened = pg.execute(
        "select count(*) from public.conversations where user_id = %s", (user.user_id,)
    ).fetchone()
    assert opened is not None and opened[0] == 0


def test_an_untitled_conversation_is_titled_from_the_first_message(
    api: httpx.Client, make_user: Any
) -> None:
    # given an untitled conversation
    user = make_user()
    conversation = api.post("/v1/conversations", json={}, headers=user.headers).json()
    assert conversation["title"] is None
    url = f"/v1/conversations/{conversation['conversation_id']}"
    # when the first exchange happens
    first = "Hi! I just moved to Lisbon for a new job at a robotics startup. It is exciting."
    sent = api.post(f"{url}/messages", json={"content": first}, headers=user.headers)
    assert sent.status_code == 201, sent.text
    # then the conversation carries a short title from the person's words
    assert api.get(url, headers=user.headers).json()["title"] == "I just moved to Lisbon for a new"
    # and later turns never change it
    api.post(f"{url}/messages", json={"content": "Work is hard today."}, headers=user.headers)
    assert api.get(url, headers=user.headers).json()["title"] == "I just moved to Lisbon for a new"


def test_a_title_the_person_gave_is_never_overwritten(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    conversation = api.post(
        "/v1/conversations", json={"title": "Moving abroad"}, headers=user.headers
    ).json()
    url = f"/v1/conversations/{conversation['conversation_id']}"

    sent = api.post(
        f"{url}/messages", json={"content": "I just moved to Lisbon."}, headers=user.headers
    )

    assert sent.status_code == 201, sent.text
    assert api.get(url, headers=user.headers).json()["title"] == "Moving abroad"


def test_the_openapi_document_shows_the_new_fields(api: httpx.Client) -> None:
    schemas = api.get("/openapi.json").json()["components"]["schemas"]

    assert "source_card_id" in schemas["ConversationCreate"]["properties"]
    assert "source_card_id" in schemas["Conversation"]["properties"]
    assert {"username", "profile_picture_url"} <= set(schemas["ProfileUpdate"]["properties"])
    assert {"username", "profile_picture_url", "last_active_at"} <= set(
        schemas["Profile"]["properties"]
    )
