"""GET /v1/search with a time in the question: a memory that happened in the time the query
names ranks above one like it that happened at another time, and a "when" question ranks the
turn stating a date above one that does not; the query's time is a boost, never a filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from persona_world import set_timezone
from test_search_api import hits, ids, remember  # noqa: F401  (fixtures)

MAY = datetime(2024, 5, 10, 19, 0, tzinfo=UTC)
SEPTEMBER = datetime(2024, 9, 10, 19, 0, tzinfo=UTC)


def test_a_memory_in_the_month_the_query_names_ranks_first_without_hiding_the_others(
    api: httpx.Client, make_user: Any, request: pytest.FixtureRequest
) -> None:
    # Given two risotto evenings, the May one told at more length (a weaker text match)
    user, store = make_user(), request.getfixturevalue("remember")
    september = store(
        user, "We cooked mushroom risotto for the neighbours: our best mushroom risotto yet",
        occurred_at=SEPTEMBER,
    )  # fmt: skip
    may = store(
        user, "We cooked a mushroom risotto for Ana's big family at her flat", occurred_at=MAY
    )
    store(user, "The quarterly budget meeting ran late again", occurred_at=MAY)

    # When the same question is asked without a time, then in May 2024
    undated = ids(hits(api, user, q="Which mushroom risotto did we cook?"))
    in_may = ids(hits(api, user, q="Which mushroom risotto did we cook in May 2024?"))

    # Then May's ranks first only when the query names May, and September's is still found
    assert undated[:2] == [september, may]
    assert in_may[:2] == [may, september]


def test_a_when_question_ranks_the_turn_stating_a_date_first(
    api: httpx.Client, make_user: Any, request: pytest.FixtureRequest
) -> None:
    # Given two turns on the kitten, one saying when it came home (the weaker text match)
    user, store = make_user(), request.getfixturevalue("remember")
    undated = store(
        user, "Mei: The kitten from the rescue is adorable, a tiny grey kitten with white socks",
        occurred_at=MAY,
    )  # fmt: skip
    dated = store(
        user, "Mei: We brought the kitten home from the rescue centre last Saturday",
        occurred_at=MAY,
    )  # fmt: skip

    # When asked which kitten, then when it came
    which = ids(hits(api, user, q="Did Mei get the kitten?"))
    when = ids(hits(api, user, q="When did Mei get the kitten?"))

    # Then only the when-question puts the dated turn first
    assert which[:2] == [undated, dated]
    assert when[:2] == [dated, undated]


def test_yesterday_in_a_query_is_the_day_before_today_where_the_caller_lives(
    api: httpx.Client, make_user: Any, request: pytest.FixtureRequest
) -> None:
    # Given a person whose calendar is a day away from UTC's at this moment (UTC+14 from noon
    # UTC, UTC-12 before it), and two risotto evenings: one on their yesterday, one on UTC's
    # yesterday (a different day where they live), told at more length (the stronger match)
    now = datetime.now(UTC)
    name = "Etc/GMT-14" if now.hour >= 12 else "Etc/GMT+12"
    zone = ZoneInfo(name)
    theirs, utcs = (
        (now.astimezone(zone) - timedelta(days=1)).date(),
        (now - timedelta(days=1)).date(),
    )
    hours = [now - timedelta(hours=h) for h in range(1, 24 * 4)]
    on_theirs = next(t for t in hours if t.astimezone(zone).date() == theirs and t.date() != utcs)
    on_utcs = next(t for t in hours if t.date() == utcs and t.astimezone(zone).date() != theirs)
    user, store = make_user(), request.getfixturevalue("remember")
    set_timezone(api, user, name)
    utc_evening = store(
        user, "We cooked mushroom risotto for the neighbours: our best mushroom risotto yet",
        occurred_at=on_utcs,
    )  # fmt: skip
    their_evening = store(
        user, "We cooked a mushroom risotto for Ana's big family at her flat", occurred_at=on_theirs
    )

    # When the same question is asked without a time, then about yesterday
    undated = ids(hits(api, user, q="Which mushroom risotto did we cook?"))
    yesterday = ids(hits(api, user, q="Which mushroom risotto did we cook yesterday?"))

    # Then "yesterday" is the caller's: their evening ranks first only when the query names it
    assert undated[:2] == [utc_evening, their_evening]
    assert yesterday[:2] == [their_evening, utc_evening]
