"""Resolving the date a memory's text states against when it was said."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from dotline.services.memories.occurrence import occurred_at

MONDAY = datetime(2026, 12, 7, 18, 30, tzinfo=UTC)  # Monday 7 December 2026


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We went hiking last Saturday with Ana", date(2026, 12, 5)),
        ("Last Monday I started the new job", date(2026, 11, 30)),
        ("On Friday the car broke down", date(2026, 12, 4)),
        ("I saw the dentist yesterday", date(2026, 12, 6)),
        ("The day before yesterday we moved", date(2026, 12, 5)),
        ("Two weeks ago I ran a 10k", date(2026, 11, 23)),
        ("3 days ago my sister called", date(2026, 12, 4)),
        ("A month ago we adopted a cat", date(2026, 11, 7)),
        ("Last month we painted the kitchen", date(2026, 11, 7)),
        ("Last year I lived in Lisbon", date(2025, 12, 7)),
        ("Last week was exhausting", date(2026, 11, 30)),
        ("Last weekend we went camping", date(2026, 12, 5)),
        ("I got married on 3 May", date(2026, 5, 3)),
        ("on the 24th of December we fly home", date(2025, 12, 24)),
        ("May 3rd, 2019 was my graduation", date(2019, 5, 3)),
        ("We met in March", date(2026, 3, 1)),
        ("The appointment is tomorrow", date(2026, 12, 8)),
        ("Next Friday is the concert", date(2026, 12, 11)),
        ("Signed the lease on 2026-10-01", date(2026, 10, 1)),
        ("This morning I made pancakes", date(2026, 12, 7)),
    ],
)
def test_a_stated_date_is_resolved_against_when_it_was_said(text: str, expected: date) -> None:
    # given a text said on Monday 7 December 2026 / when resolved / then the stated day
    resolved = occurred_at(text, MONDAY)
    assert resolved.date() == expected
    assert resolved.timetz() == MONDAY.timetz()


def test_a_text_without_a_date_happened_when_it_was_said() -> None:
    assert occurred_at("I like green tea and long walks", MONDAY) == MONDAY


def test_the_first_stated_date_wins() -> None:
    text = "Yesterday I remembered what happened two weeks ago"
    assert occurred_at(text, MONDAY).date() == date(2026, 12, 6)


def test_the_day_is_the_one_in_the_zone_it_was_said_in() -> None:
    # given Monday 00:30 in Tokyo (still Sunday in UTC)
    tokyo = timezone(timedelta(hours=9))
    said = datetime(2026, 12, 7, 0, 30, tzinfo=tokyo)
    # then last Saturday is Tokyo's Saturday
    assert occurred_at("last Saturday", said).date() == date(2026, 12, 5)


@pytest.mark.parametrize("text", ["I may go", "on 31 February", "maybe sundays", "2026-13-40"])
def test_words_that_only_look_like_dates_resolve_to_nothing(text: str) -> None:
    assert occurred_at(text, MONDAY) == MONDAY
