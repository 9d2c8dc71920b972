"""The rerank stage: the top RERANK_K ranked candidates, each with the turn after it, go to the
language model port's reranker in one call, bounded by RERANK_TIMEOUT_S; its relevance moves
them within that head. A reranker that fails or is late leaves the ranked order as it was
(logged, and named in `unavailable_channels` as "rerank"): the search still answers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from dotline.errors import ServiceUnavailable
from dotline.ports.language_model import Reranker, RerankPassage
from dotline.services.search._graph import Candidate, Key

RERANK_K = 50  # the head of the ranking the reranker sees
RERANK_WEIGHT = 0.5  # share of a head candidate's score the reranker's relevance decides
RERANK_TIMEOUT_S = 2.0

logger = logging.getLogger(__name__)
# One call per search in flight; the thread lets the search stop waiting on a late model.
_WORKERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="search-rerank")

Ranked = list[tuple[float, Candidate]]


def reranked(
    reranker: Reranker,
    query: str,
    scored: Ranked,
    pool: Mapping[Key, Candidate],
    unavailable: list[Any],
) -> Ranked:
    """`scored` (best first) with its head reordered by score x (1 - RERANK_WEIGHT +
    RERANK_WEIGHT x relevance); the tail keeps its order, scaled by the head's least factor so
    the scores stay in order."""
    head = scored[:RERANK_K]
    if len(head) < 2:
        return scored
    after = _followers(pool)
    passages = [
        RerankPassage(text=c.row["body"] or "", follower=after.get(_key(c), "")) for _, c in head
    ]
    relevance = _relevance(reranker, query, passages)
    if relevance is None:
        unavailable.append("rerank")
        return scored
    floor = 1.0 - RERANK_WEIGHT
    moved = [
        (round(score * (floor + RERANK_WEIGHT * min(max(r, 0.0), 1.0)), 6), c)
        for (score, c), r in zip(head, relevance, strict=True)
    ]
    moved.sort(key=lambda pair: (-pair[0], pair[1].row["entity_id"]))
    return moved + [(round(score * floor, 6), c) for score, c in scored[RERANK_K:]]


def _relevance(reranker: Reranker, query: str, passages: list[RerankPassage]) -> list[float] | None:
    """The reranker's relevance a passage, or None when it failed, was late or miscounted."""
    call = _WORKERS.submit(reranker.rerank, query, passages)
    try:
        relevance = call.result(timeout=RERANK_TIMEOUT_S)
    except FutureTimeout:
        logger.warning("rerank degraded", extra={"reason": "timeout", "after_s": RERANK_TIMEOUT_S})
        return None
    except ServiceUnavailable as exc:
        logger.warning("rerank degraded", extra={"reason": str(exc)})
        return None
    if len(relevance) != len(passages):
        logger.warning("rerank degraded", extra={"reason": "one relevance a passage expected"})
        return None
    return relevance


def _followers(pool: Mapping[Key, Candidate]) -> dict[Key, str]:
    """The words of the turn after each hit whose next turn joined the candidates."""
    return {c.follows: c.row["body"] or "" for c in pool.values() if c.follows and c.row}


def _key(candidate: Candidate) -> Key:
    return (candidate.row["entity_type"], candidate.row["entity_id"])
