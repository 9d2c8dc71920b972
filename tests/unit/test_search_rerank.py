"""The rerank stage of search (services/search/_rerank.py) with fake rerankers defined here: it
reorders the head by the reranker's relevance, keeps the scores in order, and leaves the ranked
order as it was, naming the stage, when the reranker fails, is late or miscounts."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

import pytest

from dotline.errors import ServiceUnavailable
from dotline.ports.language_model import RerankPassage
from dotline.services.search import _rerank as rerank
from dotline.services.search._graph import Candidate, Key


class Scripted:
    """Relevance by a word each passage holds (0 without it); remembers what it was asked."""

    def __init__(self, word: str) -> None:
        self.word = word
        self.asked: list[tuple[str, list[RerankPassage]]] = []

    def rerank(self, query: str, passages: Sequence[RerankPassage]) -> list[float]:
        self.asked.append((query, list(passages)))
        return [1.0 if self.word in p.text + p.follower else 0.0 for p in passages]


class Failing:
    def rerank(self, query: str, passages: Sequence[RerankPassage]) -> list[float]:
        raise ServiceUnavailable("The language model answered 503.")


class Late:
    def rerank(self, query: str, passages: Sequence[RerankPassage]) -> list[float]:
        time.sleep(rerank.RERANK_TIMEOUT_S + 0.5)
        return [1.0] * len(passages)


class Miscounting:
    def rerank(self, query: str, passages: Sequence[RerankPassage]) -> list[float]:
        return [1.0]


def memory(body: str) -> tuple[Key, Candidate]:
    key = ("memory", uuid.uuid4())
    return key, Candidate(row={"entity_type": "memory", "entity_id": key[1], "body": body})


def ranking(*bodies: str) -> tuple[dict[Key, Candidate], list[tuple[float, Candidate]]]:
    """Candidates scored 1.0, 0.9, 0.8, ... in the order given."""
    pool = dict(memory(body) for body in bodies)
    return pool, [(1.0 - 0.1 * i, c) for i, c in enumerate(pool.values())]


def bodies(scored: list[tuple[float, Candidate]]) -> list[str]:
    return [c.row["body"] for _, c in scored]


def test_the_rerankers_pick_moves_up_and_the_scores_stay_in_order() -> None:
    pool, scored = ranking("asks about the kitten", "the budget meeting", "Zinnia the kitten")
    unavailable: list[str] = []

    moved = rerank.reranked(Scripted("Zinnia"), "kitten", scored, pool, unavailable)

    assert bodies(moved) == ["Zinnia the kitten", "asks about the kitten", "the budget meeting"]
    assert [s for s, _ in moved] == sorted((s for s, _ in moved), reverse=True)
    assert unavailable == []


def test_the_tail_past_k_keeps_its_order_below_the_head(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rerank, "RERANK_K", 2)
    pool, scored = ranking("first", "second", "Zinnia third")

    moved = rerank.reranked(Scripted("Zinnia"), "kitten", scored, pool, [])

    assert bodies(moved) == ["first", "second", "Zinnia third"]
    assert [s for s, _ in moved] == sorted((s for s, _ in moved), reverse=True)


def test_the_turn_after_a_hit_goes_with_it_to_the_reranker() -> None:
    pool, scored = ranking("Did the shelter call back?", "the budget meeting")
    asking = next(iter(pool))
    key, reply = memory("Yes: we adopted Zinnia")
    reply.follows = asking
    pool[key] = reply
    reranker = Scripted("Zinnia")

    moved = rerank.reranked(reranker, "kitten", scored, pool, [])

    ((_, passages),) = reranker.asked
    assert passages[0].follower == "Yes: we adopted Zinnia"
    assert bodies(moved)[0] == "Did the shelter call back?"


@pytest.mark.parametrize("reranker", [Failing(), Late(), Miscounting()])
def test_a_reranker_that_fails_leaves_the_order_and_names_the_stage(reranker: object) -> None:
    pool, scored = ranking("first", "second", "third")
    unavailable: list[str] = []

    moved = rerank.reranked(reranker, "kitten", scored, pool, unavailable)  # type: ignore[arg-type]

    assert moved == scored
    assert unavailable == ["rerank"]
