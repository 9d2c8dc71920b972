"""How search weighs conversation turns (services/search/_turns.py), on plain values."""

from __future__ import annotations

import pytest

from dotline.services.search import _turns as turns


def test_a_turn_that_says_little_keeps_less_of_its_score_than_one_that_says_much() -> None:
    assert turns.informativeness(0) == pytest.approx(turns.SHORT_FLOOR)
    assert turns.informativeness(2) < turns.informativeness(5) < 1.0
    assert turns.informativeness(turns.FULL_SAY) == 1.0
    assert turns.informativeness(3 * turns.FULL_SAY) == 1.0
    assert turns.informativeness(None) == 1.0


def test_a_query_names_a_person_by_full_name_or_first_name_only() -> None:
    people = {"mei", "ayo", "rowan ellis"}

    assert turns.named_people("What did Mei adopt?", people) == {"mei"}
    assert turns.named_people("Where does Rowan live?", people) == {"rowan ellis"}
    assert turns.named_people("What did they adopt?", people) == set()


def test_only_turns_of_other_people_than_the_one_named_lose_weight() -> None:
    named = {"mei"}

    assert turns.speaker_weight(["Ayo"], named) == turns.OTHER_SPEAKER_WEIGHT
    assert turns.speaker_weight(["mei"], named) == 1.0
    assert turns.speaker_weight(["Ayo", "Mei"], named) == 1.0
    assert turns.speaker_weight([], named) == 1.0
    assert turns.speaker_weight(["Ayo"], set()) == 1.0


def test_the_reply_to_an_asking_turn_earns_more_of_it_than_the_turn_after_a_statement() -> None:
    asked = turns.follow_credit(1.0, "Did you get the tickets in the end? ")
    told = turns.follow_credit(1.0, "We got the tickets.")

    assert asked == pytest.approx(turns.REPLY_SHARE)
    assert told == pytest.approx(turns.FOLLOW_SHARE)
    assert asked > told


def test_only_an_asking_turn_with_a_reply_after_it_loses_weight() -> None:
    assert turns.asking_weight("Did the shelter ring you back?", replied=True) == (
        turns.ASKING_WEIGHT
    )
    assert turns.asking_weight("Did the shelter ring you back?", replied=False) == 1.0
    assert turns.asking_weight("The shelter rang back. Zinnia is ours!", replied=True) == 1.0
