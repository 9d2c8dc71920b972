"""GET /v1/search with a time in the question: a memory that happened in the time the query
names ranks above one like it that happened at another time, and a "when" question ranks the
turn stating a date above one that does not; the query's time is a boost, never a filter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

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
