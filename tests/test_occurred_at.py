"""Memories keep when their event happened (occurred_at), through POST /v1/memories and through
an imported conversation's ingestion: a date the text states is resolved against when it was
said, not against when it was processed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest

from dotline.bootstrap import Deps
from dotline.growth_rules import packaged_config
from dotline.services.ingestion.ingestion import IngestionStores, ingest_conversations
from dotline.settings import Settings
from persona_world import set_timezone

MONDAY = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)  # Monday 30 November 2026
SATURDAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def stores(settings: Settings) -> Iterator[IngestionStores]:
    deps = Deps(settings=settings)
    yield IngestionStores(deps.db, deps.language_model, deps.embedder, deps.graph, deps.vectors)
    deps.db.close()


@pytest.fixture
def api(gateway: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway, timeout=60) as client:
        yield client


def post_memory(api: httpx.Client, user: Any, **body: Any) -> dict[str, Any]:
    response = api.post("/v1/memories", json={"title": "Hike", **body}, headers=user.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_memory_saying_last_saturday_written_on_a_monday_happened_on_the_saturday(
    api: httpx.Client, make_user: Any
) -> None:
    # given a memory written on a Monday about last Saturday
    user = make_user()
    # when it is posted without occurred_at
    memory = post_memory(
        api, user, content="We hiked up to the lake last Saturday.", creation_ts=MONDAY.isoformat()
    )
    # then it happened on the Saturday, and was written on the Monday
    assert datetime.fromisoformat(memory["occurred_at"]).date() == SATURDAY
    assert datetime.fromisoformat(memory["creation_ts"]) == MONDAY
    read = api.get(f"/v1/memories/{memory['memory_id']}", headers=user.headers).json()
    assert read["occurred_at"] == memory["occurred_at"]


def test_an_explicit_occurred_at_wins_and_a_text_without_a_date_happened_when_written(
    api: httpx.Client, make_user: Any
) -> None:
    user = make_user()
    stated = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)
    explicit = post_memory(
        api, user, content="Yesterday was great.", occurred_at=stated.isoformat(),
        creation_ts=MONDAY.isoformat(),
    )  # fmt: skip
    plain = post_memory(api, user, content="I like green tea.", creation_ts=MONDAY.isoformat())
    assert datetime.fromisoformat(explicit["occurred_at"]) == stated
    assert datetime.fromisoformat(plain["occurred_at"]) == MONDAY


def test_without_creation_ts_the_date_is_resolved_against_now(
    api: httpx.Client, make_user: Any
) -> None:
    user = make_user()
    before = datetime.now(UTC)
    memory = post_memory(api, user, content="Yesterday I finally fixed the bike.")
    occurred = datetime.fromisoformat(memory["occurred_at"])
    assert (before - timedelta(days=1)).date() <= occurred.date() < datetime.now(UTC).date()


def import_and_ingest(
    api: httpx.Client, user: Any, stores: IngestionStores, said: str, sent: datetime
) -> None:
    """A past conversation imported with the person's message `said` sent at `sent`, then
    ingested (days after it was said)."""
    turns = [
        {"role": "user", "speaker": "me", "text": said, "timestamp": sent.isoformat()},
        {"role": "assistant", "speaker": "Coach", "text": "That sounds lovely!",
         "timestamp": (sent + timedelta(minutes=1)).isoformat()},
    ]  # fmt: skip
    session = {
        "title": "Weekend", "external_id": f"chat-{uuid.uuid4()}",
        "started_at": sent.isoformat(),
        "ended_at": (sent + timedelta(minutes=5)).isoformat(), "turns": turns,
    }  # fmt: skip
    response = api.post("/v1/imports", json={"sessions": [session]}, headers=user.headers)
    assert response.status_code == 202, response.text
    run = ingest_conversations(stores, packaged_config(), user_id=user.user_id)
    assert run.processed == 1, run.model_dump()


HIKE = "Last Saturday we hiked up to the lake with Ana and swam in the cold water."


def test_an_ingested_message_sent_on_a_monday_about_last_saturday_happened_on_the_saturday(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], stores: IngestionStores
) -> None:
    # given a past conversation, imported, whose message was sent on a Monday
    user = make_user()
    # when ingestion runs over it (days after it was said)
    import_and_ingest(api, user, stores, HIKE, MONDAY)

    # then its memory was said on the Monday and happened on the Saturday
    rows = pg.execute(
        "select creation_ts, occurred_at, created_at from public.memories where user_id = %s",
        (user.user_id,),
    ).fetchall()
    assert rows, "ingestion wrote no memory"
    for creation_ts, occurred, created in rows:
        assert creation_ts == MONDAY
        assert occurred.astimezone(UTC).date() == SATURDAY
        assert created > MONDAY + timedelta(days=1)  # processed long after


# Sunday 29 November 2026, 20:00 UTC: already Monday 30 November, 05:00, in Tokyo.
SUNDAY_EVENING_UTC = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
TOKYO = ZoneInfo("Asia/Tokyo")


def test_a_date_is_resolved_on_the_calendar_of_the_persons_time_zone(
    api: httpx.Client, make_user: Any
) -> None:
    # given a person in Tokyo, writing on their Monday morning (still Sunday in UTC)
    user = make_user()
    set_timezone(api, user, "Asia/Tokyo")
    # when they post a memory about last Saturday
    memory = post_memory(
        api, user, content="We hiked up to the lake last Saturday.",
        creation_ts=SUNDAY_EVENING_UTC.isoformat(),
    )  # fmt: skip
    # then it happened on their Saturday, at the time of day they wrote (not UTC's Saturday
    # evening, which is Sunday morning in Tokyo)
    occurred = datetime.fromisoformat(memory["occurred_at"]).astimezone(TOKYO)
    assert occurred.date() == SATURDAY
    assert occurred.time() == SUNDAY_EVENING_UTC.astimezone(TOKYO).time()


def test_an_ingested_turn_is_resolved_on_the_calendar_of_the_persons_time_zone(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], stores: IngestionStores
) -> None:
    # given a person in Tokyo whose imported message was sent on their Monday morning
    user = make_user()
    set_timezone(api, user, "Asia/Tokyo")
    # when ingestion runs over it
    import_and_ingest(api, user, stores, HIKE, SUNDAY_EVENING_UTC)

    # then its memory happened on their Saturday, and was said at the instant it was sent
    rows = pg.execute(
        "select creation_ts, occurred_at from public.memories where user_id = %s",
        (user.user_id,),
    ).fetchall()
    assert rows, "ingestion wrote no memory"
    for creation_ts, occurred in rows:
        assert creation_ts == SUNDAY_EVENING_UTC
        assert occurred.astimezone(TOKYO).date() == SATURDAY
