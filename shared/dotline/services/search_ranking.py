"""How search ranks: reciprocal rank fusion of the channels, graph credit, recency and importance.

Pure functions over plain values, so the ranking can be read (and benchmarked) apart from the
stores that feed it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

RRF_K = 60  # Cormack et al.'s constant: a list's 1st and 10th place differ by ~13%, not 10x
GRAPH_DISCOUNT = 0.5  # a neighbour of a top hit earns this share of the hit's fused score
RECENCY_HALF_LIFE_DAYS = 180.0
RECENCY_WEIGHT = 0.15  # share of the score that recency can take away (an old hit keeps 85%)
IMPORTANCE_WEIGHT = 0.3  # share that importance can take away (importance 0 keeps 70%)
NEUTRAL = 0.5  # recency or importance when a hit has none (knowledge, artifacts)
SNIPPET_CHARS = 200
_WORD_BREAK = re.compile(r"\s+")


def competition_ranks(scored: Sequence[tuple[K, float]]) -> dict[K, int]:
    """1-based ranks by descending score; equal scores share a rank ("1224"), so two equally
    good hits get equal fusion credit whichever the store listed first."""
    ordered = sorted(scored, key=lambda pair: -pair[1])
    ranks: dict[K, int] = {}
    previous: float | None = None
    rank = 0
    for position, (key, score) in enumerate(ordered, start=1):
        if previous is None or score != previous:
            rank, previous = position, score
        ranks.setdefault(key, rank)
    return ranks


def fuse(channels: Mapping[str, Sequence[tuple[K, float]]]) -> dict[K, float]:
    """Reciprocal rank fusion: each channel adds 1 / (RRF_K + rank) to every key it lists."""
    fused: dict[K, float] = {}
    for scored in channels.values():
        for key, rank in competition_ranks(scored).items():
            fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank)
    return fused


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
