"""The channels of a search: the vector index's nearest items, and each channel's scored
candidates for fusion; and the query the embedding gets once the text channel has found names."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from dotline.errors import ServiceUnavailable
from dotline.models.search import SearchFilters, SearchType
from dotline.ports.embeddings import Embedder
from dotline.ports.vectors import VectorStore
from dotline.services.search import _filters as search_filters
from dotline.services.search import _ranking as ranking
from dotline.services.search._graph import INDEXED_TYPES, Candidate, Key

logger = logging.getLogger(__name__)

VECTOR_CANDIDATES = 50
# The port's score is (cosine + 1) / 2. WordLlama puts unrelated diary lines at cosine -0.1..0.18
# and paraphrases at 0.1..0.45 (median 0.24, bench_retrieval.py): a floor at cosine 0 keeps the
# paraphrases and drops the index's far end (what points away from the query). Scores count
# from the floor, so a hit just above it earns next to nothing. A floor at cosine 0.1 lost
# answers worded apart from their question (bench_longmem.py tune split recall@10 64.2 against
# 65.2-65.3 at 0; docs/retrieval-benchmark.md).
MIN_VECTOR_SCORE = 0.5
_WORD = re.compile(r"[^\W_]+")


def without_entity_names(query: str, rows: Sequence[dict[str, Any]]) -> str:
    """The query without the words that named one of the caller's concepts ("Ana" in "the
    couch and Ana"): once the text channel has found the concept, the graph brings what is
    linked to it, and the embedding is left to the rest of the question, which a rare name
    would otherwise drown. The whole query when nothing else is left."""
    names = {
        word
        for row in rows
        if row["entity_type"] == "concept"
        for word in row["matched_terms"] or []
        if word in row["title"].lower()
    }
    if not names:
        return query
    rest = " ".join(w for w in _WORD.findall(query) if w.lower() not in names)
    return rest if rest.strip() else query


def vector_channel(
    user_id: UUID,
    query: str,
    filters: SearchFilters,
    embedder: Embedder,
    vectors: VectorStore,
    unavailable: list[Any],
) -> dict[Key, float]:
    """(type, id) -> similarity of the nearest indexed items ({} when the index is down)."""
    # Only memories belong to an app; concepts and artifacts are nobody's app's.
    memory_only = filters.app_id or search_filters.memory_restrictions(filters)
    indexed = ("memory",) if memory_only else INDEXED_TYPES
    types = [t for t in wanted_types(filters) if t in indexed]
    if not types:
        return {}
    where = search_filters.vector_filter(filters, types)
    try:
        vector = embedder.embed([query])[0]
        hits = vectors.search(user_id, vector, limit=VECTOR_CANDIDATES, where=where)
    except ServiceUnavailable as exc:
        logger.warning("search without the vector channel", extra={"error": exc.detail})
        unavailable.append("vector")
        return {}
    return {
        (hit.source_entity_type, hit.source_entity_id): hit.score
        for hit in hits
        if hit.score >= MIN_VECTOR_SCORE and hit.source_entity_type in INDEXED_TYPES
    }


def channel_scores(pool: dict[Key, Candidate]) -> dict[str, list[ranking.Scored[Key]]]:
    """Each channel's candidates: (key, score, strength). Vector scores count from the floor;
    text and knowledge hits carry their strength."""
    channels: dict[str, list[ranking.Scored[Key]]] = {"vector": [], "text": [], "knowledge": []}
    for key, candidate in pool.items():
        if candidate.vector_similarity is not None:
            channels["vector"].append((key, candidate.vector_similarity - MIN_VECTOR_SCORE, 1.0))
        rank, strength = candidate.row.get("text_rank"), candidate.row.get("text_strength")
        if rank is not None:
            channel = channels["knowledge" if key[0] == "knowledge" else "text"]
            channel.append((key, rank, 1.0 if strength is None else strength))
    return channels


def wanted_types(filters: SearchFilters) -> list[str]:
    return [t.value for t in filters.types] if filters.types else [t.value for t in SearchType]
