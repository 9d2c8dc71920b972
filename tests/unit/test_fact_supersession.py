"""Which facts a newer statement contradicts: single-valued predicates hold one value, any other
holds per value; the order facts were said decides, not the order they were ingested."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from dotline.ports.language_model import ExtractedFact
from dotline.services.ingestion._fact_supersession import StatedFact, find_supersessions

DAY0 = datetime(2026, 1, 1, tzinfo=UTC)


def said(days: int, predicate: str, value: str, polarity: bool = True) -> StatedFact:
    fact = ExtractedFact(predicate=predicate, value=value, polarity=polarity)
    return StatedFact(uuid.uuid4(), DAY0 + timedelta(days=days), fact)


def test_moving_city_supersedes_where_one_lived_from_the_day_it_was_said() -> None:
    paris, berlin = said(0, "lives_in", "Paris"), said(30, "lives_in", "Berlin")

    [found] = find_supersessions([paris], [berlin])

    assert (found.older, found.newer, found.at) == (
        paris.memory_id,
        berlin.memory_id,
        berlin.said_at,
    )
    assert found.record() == {
        "memory_id": str(paris.memory_id), "predicate": "lives_in", "was": "Paris", "now": "Berlin",
    }  # fmt: skip


def test_saying_the_same_again_in_other_case_contradicts_nothing() -> None:
    assert find_supersessions([said(0, "lives_in", "Paris")], [said(5, "lives_in", "paris")]) == []


def test_a_many_valued_predicate_is_contradicted_only_by_the_opposite_polarity() -> None:
    swims = said(0, "likes", "swimming")

    assert find_supersessions([swims], [said(3, "likes", "running")]) == []
    [found] = find_supersessions([swims], [said(3, "likes", "swimming", polarity=False)])
    assert (found.was, found.now) == ("swimming", "not swimming")


def test_an_older_statement_ingested_late_is_the_one_superseded() -> None:
    berlin, paris_earlier = said(30, "lives_in", "Berlin"), said(0, "lives_in", "Paris")

    [found] = find_supersessions([berlin], [paris_earlier])

    assert (found.older, found.newer) == (paris_earlier.memory_id, berlin.memory_id)


def test_a_chain_of_moves_supersedes_each_city_by_the_next() -> None:
    cities = [said(d, "lives_in", c) for d, c in [(20, "Rome"), (0, "Paris"), (10, "Berlin")]]

    found = find_supersessions([], cities)

    assert [(f.was, f.now) for f in found] == [("Paris", "Berlin"), ("Berlin", "Rome")]
