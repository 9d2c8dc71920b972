"""The time a search query names, and how much it weighs a memory by when it happened."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dotline.services.search._when import (
    IN_WINDOW_BOOST,
    STATES_TIME_BOOST,
    Window,
    asks_when,
    query_window,
    time_weight,
)

MONDAY = date(2026, 12, 7)  # Monday 7 December 2026
MAY_2024 = Window(date(2024, 5, 1), date(2024, 5, 31))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("What did I cook yesterday?", Window(date(2026, 12, 6), date(2026, 12, 6))),
        ("Where did we go last Saturday?", Window(date(2026, 12, 5), date(2026, 12, 5))),
        ("What did Mei say two weeks ago?", Window(date(2026, 11, 20), date(2026, 11, 26))),
        ("Who called 3 days ago?", Window(date(2026, 12, 3), date(2026, 12, 5))),
        ("What happened last week?", Window(date(2026, 11, 30), date(2026, 12, 6))),
        ("What did I read last month?", Window(date(2026, 11, 1), date(2026, 11, 30))),
        ("Where did I live last year?", Window(date(2025, 1, 1), date(2025, 12, 31))),
        ("What did we do in May?", Window(date(2026, 5, 1), date(2026, 5, 31))),
        ("What did we do in December?", Window(date(2026, 12, 1), date(2026, 12, 31))),
        ("What did we cook in May 2024?", MAY_2024),
        ("What did we cook in May, 2024?", MAY_2024),
        ("Which trips did I take in 2023?", Window(date(2023, 1, 1), date(2023, 12, 31))),
        ("Where did we go last summer?", Window(date(2026, 6, 1), date(2026, 8, 31))),
        ("What did I do during the winter of 2024?", Window(date(2024, 12, 1), date(2025, 2, 28))),
        ("What did I do after March 2024?", Window(date(2024, 4, 1), None)),
        ("Where did I work before 2023?", Window(None, date(2022, 12, 31))),
        ("What have I read since last summer?", Window(date(2026, 9, 1), None)),
        ("What did we cook on 3 May 2024?", Window(date(2024, 5, 3), date(2024, 5, 3))),
    ],
)
def test_a_time_expression_names_a_window_relative_to_today(query: str, expected: Window) -> None:
    assert query_window(query, MONDAY) == expected


def test_last_summer_before_summer_is_last_years() -> None:
    assert query_window("Where did we go last summer?", date(2026, 7, 1)) == Window(
        date(2025, 6, 1), date(2025, 8, 31)
    )


@pytest.mark.parametrize(
    "query",
    ["Which pet did Mei adopt?", "What did Mei do after the move?", "May I ask about tea?",
     "What is my favourite season?", "the summer house"],
)  # fmt: skip
def test_a_query_naming_no_time_has_no_window(query: str) -> None:
    assert query_window(query, MONDAY) is None


@pytest.mark.parametrize(
    ("query", "asks"),
    [("When did Mei adopt the kitten?", True), ("What date did we move?", True),
     ("How long ago did I start running?", True), ("Which kitten did Mei adopt?", False),
     ("What did Mei do when the shelter called?", False)],
)  # fmt: skip
def test_a_when_question_is_told_apart(query: str, asks: bool) -> None:
    assert asks_when(query) is asks


def test_a_memory_in_the_window_weighs_more_and_one_outside_does_not() -> None:
    inside = datetime(2024, 5, 20, 9, tzinfo=UTC)
    outside = datetime(2024, 9, 20, 9, tzinfo=UTC)

    assert time_weight(MAY_2024, False, inside, "We cooked risotto") == 1 + IN_WINDOW_BOOST
    assert time_weight(MAY_2024, False, outside, "We cooked risotto") == 1.0
    assert time_weight(MAY_2024, False, None, "We cooked risotto") == 1.0
    assert time_weight(None, False, inside, "We cooked risotto") == 1.0


def test_a_when_question_weighs_a_memory_stating_a_date_more() -> None:
    said = datetime(2024, 5, 20, 9, tzinfo=UTC)

    assert time_weight(None, True, said, "We picked up Bramble last Friday") == (
        1 + STATES_TIME_BOOST
    )
    assert time_weight(None, True, said, "We picked up Bramble") == 1.0
    assert time_weight(None, False, said, "We picked up Bramble last Friday") == 1.0
