"""Cards through the real gateway, Postgres and Redis: the recently viewed list
(`user:{uid}:cards:recent`) and the conversations a card initiated; conversations keep the
Intimacy Code principle they were opened about."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import redis

from dotline import cache_keys
from dotline.services.cards import recent


def make_card(pg: psycopg.Connection[Any], user: Any) -> str:
    row = pg.execute(
        "insert into public.cards (user_id, card_type, source_entity_id, source_entity_type)"
        " values (%s, 'concept_card', %s, 'concept') returning card_id",
        (user.user_id, uuid.uuid4()),
    ).fetchone()
    assert row is not None
    return str(row[0])


def recent_ids(api: httpx.Client, user: Any) -> list[str]:
    response = api.get("/v1/cards/recent", headers=user.headers)
    assert response.status_code == 200, response.text
    return [card["card_id"] for card in response.json()["items"]]


def test_viewed_cards_are_listed_most_recent_first_once_each(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], rds: redis.Redis
) -> None:
    # given a person with three cards, none viewed yet
    user = make_user()
    first, second, third = (make_card(pg, user) for _ in range(3))
    assert recent_ids(api, user) == []
    # when they read them one by one, the first one twice, and list the gallery (not a view)
    for card_id in (first, second, third, first):
        assert api.get(f"/v1/cards/{card_id}", headers=user.headers).status_code == 200
    api.get("/v1/cards", headers=user.headers)
    # then the recent list holds each once, most recent first, kept for a day
    assert recent_ids(api, user) == [first, third, second]
    ttl = rds.ttl(cache_keys.recent_cards(user.user_id))
    assert cache_keys.RECENT_CARDS_TTL_S - 60 < ttl <= cache_keys.RECENT_CARDS_TTL_S


def test_only_the_latest_views_are_kept_and_deleted_cards_drop_out(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given a person who viewed more cards than the list keeps
    user = make_user()
    cards = [make_card(pg, user) for _ in range(recent.KEPT + 2)]
    for card_id in cards:
        assert api.get(f"/v1/cards/{card_id}", headers=user.headers).status_code == 200
    # when the newest viewed card is deleted
    pg.execute("delete from public.cards where card_id = %s", (cards[-1],))
    # then the list is the rest of the latest KEPT, newest first
    assert recent_ids(api, user) == list(reversed(cards[2:-1]))


def test_recent_cards_are_each_persons_own_and_need_a_token(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    viewer, other = make_user(), make_user()
    card_id = make_card(pg, viewer)
    api.get(f"/v1/cards/{card_id}", headers=viewer.headers)
    # another person's card, asked for, is not theirs to view and leaves no trace
    assert api.get(f"/v1/cards/{card_id}", headers=other.headers).status_code == 404

    assert recent_ids(api, other) == []
    assert recent_ids(api, viewer) == [card_id]
    assert api.get("/v1/cards/recent").status_code == 401


def test_a_card_counts_and_lists_the_conversations_started_from_it(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given a card, and another card of the same person
    user = make_user()
    card_id, other_card = make_card(pg, user), make_card(pg, user)
    assert (
        api.get(f"/v1/cards/{card_id}", headers=user.headers).json()["initiated_conversation_count"]
        == 0
    )
    # when two conversations are started from it, one from the other card and one from none
    started = [
        api.post("/v1/conversations", json={"source_card_id": card_id}, headers=user.headers)
        for _ in range(2)
    ]
    api.post("/v1/conversations", json={"source_card_id": other_card}, headers=user.headers)
    api.post("/v1/conversations", json={}, headers=user.headers)
    # then the card counts two, in its read and in the gallery, and lists exactly those
    assert all(r.status_code == 201 for r in started), [r.text for r in started]
    card = api.get(f"/v1/cards/{card_id}", headers=user.headers).json()
    assert card["initiated_conversation_count"] == 2
    gallery = api.get("/v1/cards", headers=user.headers).json()["items"]
    assert {c["card_id"]: c["initiated_conversation_count"] for c in gallery} == {
        card_id: 2,
        other_card: 1,
    }
    listed = api.get(
        "/v1/conversations", params={"source_card_id": card_id}, headers=user.headers
    ).json()["items"]
    assert sorted(c["conversation_id"] for c in listed) == sorted(
        r.json()["conversation_id"] for r in started
    )


def test_another_persons_card_lists_none_of_their_conversations(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    owner, other = make_user(), make_user()
    card_id = make_card(pg, owner)
    api.post("/v1/conversations", json={"source_card_id": card_id}, headers=owner.headers)

    listed = api.get("/v1/conversations", params={"source_card_id": card_id}, headers=other.headers)

    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == []
    bad = api.get("/v1/conversations", params={"source_card_id": "nope"}, headers=owner.headers)
    assert bad.status_code == 422


def test_the_intimacy_code_reference_is_kept_as_sent_and_read_back(
    api: httpx.Client, make_user: Any
) -> None:
    user = make_user()
    principle = "Principle 3: Authentic Vulnerability"

    created = api.post(
        "/v1/conversations",
        json={"intimacy_code_reference": f"  {principle} "},
        headers=user.headers,
    )

    assert created.status_code == 201, created.text
    assert created.json()["intimacy_code_reference"] == principle
    conversation_id = created.json()["conversation_id"]
    read = api.get(f"/v1/conversations/{conversation_id}", headers=user.headers).json()
    assert read["intimacy_code_reference"] == principle
    listed = api.get("/v1/conversations", headers=user.headers).json()["items"]
    assert [c["intimacy_code_reference"] for c in listed] == [principle]
    untagged = api.post("/v1/conversations", json={}, headers=user.headers).json()
    assert untagged["intimacy_code_reference"] is None


def test_a_blank_long_or_multiline_intimacy_code_reference_is_422_naming_it(
    api: httpx.Client, make_user: Any
) -> None:
    user = make_user()
    for bad in ("   ", "x" * 201, "Principle 3\nAuthentic", 3):
        response = api.post(
            "/v1/conversations", json={"intimacy_code_reference": bad}, headers=user.headers
        )
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["errors"][0]["field"] == "intimacy_code_reference"
