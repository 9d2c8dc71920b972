"""The search ranking's rule for superseded memories, on plain values (no stores needed)."""

from __future__ import annotations

from dotline.services.search._ranking import SUPERSEDED_WEIGHT, below_successors


def test_a_superseded_hit_keeps_a_share_of_its_score_when_its_successor_is_no_hit() -> None:
    # Given a superseded hit whose successor was not found
    scores = {"old": 0.8, "other": 0.5}

    # When the rule applies
    ranked = below_successors(scores, {"old": "newer"})

    # Then it keeps its share and nothing else moves
    assert ranked == {"old": 0.8 * SUPERSEDED_WEIGHT, "other": 0.5}


def test_a_chain_of_replaced_facts_ranks_newest_first_whatever_the_relevance() -> None:
    # Given A replaced by B and B by C, the oldest the most relevant
    scores = {"A": 1.0, "B": 0.9, "C": 0.2}

    # When the rule applies
    ranked = below_successors(scores, {"A": "B", "B": "C"})

    # Then C > B > A
    assert ranked["C"] == 0.2
    assert ranked["C"] > ranked["B"] > ranked["A"] > 0
