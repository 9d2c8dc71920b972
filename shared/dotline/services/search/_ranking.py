"""How search ranks: relative score fusion of the channels, graph credit, recency and importance.

Pure functions over plain values, so the ranking can be read (and benchmarked) apart from the
stores that feed it.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
Scored = tuple[K, float, float]  # (key, the channel's score, the hit's strength in 0..1)

GRAPH_SEEDS_FUSED = 2  # top fused hits whose neighbours join the candidates
GRAPH_SEEDS_PER_CHANNEL = 1  # and each channel's own top hit
GRAPH_DISCOUNT = 0.5  # a neighbour of a top hit earns this share of the hit's fused score
RECENCY_HALF_LIFE_DAYS = 180.0
RECENCY_WEIGHT = 0.1  # share of the score that recency can take away (an old hit keeps 90%)
IMPORTANCE_WEIGHT = 0.1  # share that importance can take away (importance 0 keeps 90%)
SUPERSEDED_WEIGHT = 0.5  # a memory a newer one replaced keeps this share, and ranks below it
NEUTRAL = 0.5  # recency or importance when a hit has none (knowledge, artifacts)
SNIPPET_CHARS = 200
_WORD_BREAK = re.compile(r"\s+")


def fuse(channels: Mapping[str, Sequence[Scored[K]]]) -> dict[K, float]:
    """Relative score fusion: within a channel, score / best score, times the hit's strength;
    summed over channels. Unlike rank fusion a weak match stays weak: a text hit sharing only a
    common word with the query (strength ~0.3) does not tie with the nearest vector."""
    fused: dict[K, float] = {}
    for scored in channels.values():
        best = max((score for _, score, _ in scored), default=0.0)
        if best <= 0:
            continue
        for key, score, strength in scored:
            fused[key] = fused.get(key, 0.0) + max(score, 0.0) / best * strength
    return fused


def graph_seeds(
    fused: Mapping[K, float], channels: Mapping[str, Sequence[Scored[K]]], kinds: Sequence[str]
) -> list[K]:
    """Whose neighbours to add: the top fused hits, and each channel's own top hits (a name that
    only the text channel found is worth expanding even when vectors fill the fused top)."""

    def eligible(key: K) -> bool:
        return key[0] in kinds  # type: ignore[index]  # keys are (entity_type, id)

    # Ties go to the smaller key (type, then id): the same order as the keys' text, without
    # formatting a hundred UUIDs a search.
    top = heapq.nsmallest(
        GRAPH_SEEDS_FUSED, (k for k in fused if eligible(k)), key=lambda k: (-fused[k], k)
    )
    seeds = dict.fromkeys(top)
    for scored in channels.values():
        best = heapq.nsmallest(
            GRAPH_SEEDS_PER_CHANNEL,
            (s for s in scored if eligible(s[0])),
            key=lambda s: (-s[1] * s[2], s[0]),
        )
        seeds.update(dict.fromkeys(key for key, _, _ in best))
    return list(seeds)


def graph_credit(seed_score: float, edge_weight: float | None) -> float:
    """What a depth-1 neighbour of a top hit earns through one edge (weights clamp to [0, 1])."""
    weight = 1.0 if edge_weight is None else min(max(edge_weight, 0.0), 1.0)
    return GRAPH_DISCOUNT * seed_score * weight


def recency(created_at: datetime, now: datetime) -> float:
    """1 for brand new, halving every RECENCY_HALF_LIFE_DAYS."""
    age_days = max((now - created_at).total_seconds(), 0.0) / 86_400
    return math.pow(0.5, age_days / RECENCY_HALF_LIFE_DAYS)


def rerank(fused: float, *, fresh: float | None, importance: float | None) -> float:
    """The fused score scaled by recency and importance: relevance stays first, but of two
    equally relevant hits the newer and the more important (less decayed) one ranks higher."""
    fresh = NEUTRAL if fresh is None else fresh
    importance = NEUTRAL if importance is None else min(max(importance, 0.0), 1.0)
    keep = 1.0 - RECENCY_WEIGHT - IMPORTANCE_WEIGHT
    return fused * (keep + RECENCY_WEIGHT * fresh + IMPORTANCE_WEIGHT * importance)


def below_successors(scores: dict[K, float], successors: Mapping[K, K]) -> dict[K, float]:
    """Superseded hits (key -> its successor's key) keep SUPERSEDED_WEIGHT of their score, and
    at most that share of their successor's when it is a hit too: the newer fact comes first."""
    ranked = {key: score * (SUPERSEDED_WEIGHT if key in successors else 1.0)
              for key, score in scores.items()}  # fmt: skip
    for _ in range(len(successors)):  # a chain (A replaced by B, B by C) settles in its length
        settled = True
        for key, successor in successors.items():
            if key in ranked and successor in ranked:
                capped = ranked[successor] * SUPERSEDED_WEIGHT
                if ranked[key] > capped:
                    ranked[key], settled = capped, False
        if settled:
            break
    return ranked


def snippet(body: str, terms: Sequence[str]) -> str:
    """About SNIPPET_CHARS of `body`, around the first matched term when there is one."""
    text = _WORD_BREAK.sub(" ", body).strip()
    if len(text) <= SNIPPET_CHARS:
        return text
    lowered = text.lower()
    found = [i for i in (lowered.find(t.lower()) for t in terms) if i >= 0]
    start = max(min(found) - SNIPPET_CHARS // 4, 0) if found else 0
    if start > 0:
        start = text.find(" ", start) + 1 or start  # begin on a word
    end = start + SNIPPET_CHARS
    window = text[start:end].rsplit(" ", 1)[0] if end < len(text) else text[start:]
    return ("…" if start > 0 else "") + window + ("…" if end < len(text) else "")
