"""Hybrid search over the caller's memories, concepts, derived artifacts and app knowledge.

Three channels find candidates: the vector index (the query's embedding), Postgres full text
(any query word, plus the knowledge of the caller's apps) and the graph (depth-1 neighbours of
the top fused hits). Candidates from the vector index and the graph are re-read from Postgres in
the same call that finds the text ones (`api.search_candidates`), so only the caller's live rows
survive: an expired memory or another user's id never comes back, whatever a mirror still holds.
The ranking is in `search_ranking`. A failing vector or graph backend degrades the search to the
other channels (logged, and named in `unavailable_channels`) rather than failing it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import InvalidRequest, ServiceUnavailable
from dotline.models.search import (
    MatchReasons,
    SearchFilters,
    SearchHit,
    SearchResults,
    SearchType,
)
from dotline.pagination import decode_cursor, encode_cursor
from dotline.ports.embeddings import Embedder
from dotline.ports.graph import GraphStore
from dotline.ports.vectors import VectorFilter, VectorStore
from dotline.services import search_ranking as ranking
from dotline.services.search_graph import INDEXED_TYPES, Candidate, Key, expand_through_graph

logger = logging.getLogger(__name__)

VECTOR_CANDIDATES = 50
# The port's score is (cosine + 1) / 2. WordLlama puts unrelated diary lines at cosine -0.1..0.18
# and paraphrases at 0.1..0.45 (median 0.24, bench_retrieval.py): a floor at 0.1 keeps most
# paraphrases and drops the index's far end, so a query does not list everything. Scores count
# from the floor, so a hit just above it earns next to nothing.
MIN_VECTOR_SCORE = 0.55
TEXT_CANDIDATES = 50
MAX_DEPTH = 100  # hits a search pages through in all (offset + limit)
_BLANK = "must not be blank"
_WORD = re.compile(r"[^\W_]+")

_CANDIDATES = """
select entity_type, entity_id, title, body, app_id, importance, created_at, updated_at,
       text_rank, text_strength, matched_terms
from api.search_candidates(%(query)s, %(ids)s::uuid[], %(types)s::text[], %(app_id)s::uuid,
                           %(created_after)s::timestamptz, %(created_before)s::timestamptz,
                           %(max_text)s)
"""


def search(
    db: Database,
    user: Principal,
    query: str,
    filters: SearchFilters,
    *,
    limit: int,
    cursor: str | None = None,
    embedder: Embedder,
    vectors: VectorStore,
    graph: GraphStore,
) -> SearchResults:
    """The caller's best matches for `query`, best first, a page of `limit` at a time."""
    query = query.strip()
    if not query:
        raise InvalidRequest("query.q: must not be blank", errors=[_error("query.q", _BLANK)])
    fingerprint = _fingerprint(query, filters)
    offset = _offset(cursor, fingerprint)
    unavailable: list[Any] = []
    with db.as_user(user) as tx:
        rows = tx.execute(_CANDIDATES, _params(query, [], filters)).fetchall()
    pool = {(r["entity_type"], r["entity_id"]): Candidate(r) for r in rows}
    vector_query = _without_entity_names(query, rows)
    for key, score in _vector_channel(
        user.user_id, vector_query, filters, embedder, vectors, unavailable
    ).items():
        pool.setdefault(key, Candidate(row={})).vector_similarity = score
    channels = _channels(pool)
    fused = ranking.fuse(channels)
    seeds = ranking.graph_seeds(fused, channels, INDEXED_TYPES)
    expand_through_graph(user.user_id, pool, fused, seeds, graph, unavailable)
    _reread(db, user, pool, filters)
    now = datetime.now(UTC)
    hits = sorted(
        (_hit(c, fused.get(key, 0.0) + c.graph_score, now) for key, c in pool.items() if c.row),
        key=lambda hit: (-hit.score, str(hit.entity_id)),
    )[:MAX_DEPTH]
    page = hits[offset : offset + limit]
    more = offset + limit < len(hits)
    next_cursor = encode_cursor("search", fingerprint, offset + limit) if more else None
    logger.debug(
        "search",
        extra={"candidates": len(pool), "hits": len(hits), "unavailable": unavailable},
    )
    return SearchResults(
        query=query, items=page, next_cursor=next_cursor, unavailable_channels=unavailable
    )


def _without_entity_names(query: str, rows: Sequence[dict[str, Any]]) -> str:
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


def _reread(
    db: Database, user: Principal, pool: dict[Key, Candidate], filters: SearchFilters
) -> None:
    """Fill in the rows of candidates only the vector index or the graph found; those that do
    not come back (not the caller's, not live, filtered out) stay empty and are dropped."""
    missing = [key[1] for key, candidate in pool.items() if not candidate.row]
    if not missing:
        return
    with db.as_user(user) as tx:
        found = tx.execute(_CANDIDATES, _params("", missing, filters)).fetchall()
    for row in found:
        candidate = pool.get((row["entity_type"], row["entity_id"]))
        if candidate is not None:  # None: indexed under another type than its row's
            candidate.row = row


def _vector_channel(
    user_id: UUID,
    query: str,
    filters: SearchFilters,
    embedder: Embedder,
    vectors: VectorStore,
    unavailable: list[Any],
) -> dict[Key, float]:
    """(type, id) -> similarity of the nearest indexed items ({} when the index is down)."""
    # Only memories belong to an app; concepts and artifacts are nobody's app's.
    indexed = ("memory",) if filters.app_id else INDEXED_TYPES
    types = [t for t in _wanted(filters) if t in indexed]
    if not types:
        return {}
    where = VectorFilter(
        source_entity_types=types,
        created_after=filters.created_after,
        created_before=filters.created_before,
    )
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


def _channels(pool: dict[Key, Candidate]) -> dict[str, list[ranking.Scored[Key]]]:
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


def _hit(candidate: Candidate, relevance: float, now: datetime) -> SearchHit:
    row = candidate.row
    channels: list[Any] = []
    if candidate.vector_similarity is not None:
        channels.append("vector")
    if row["text_rank"] is not None:
        channels.append("text")
    if candidate.graph_links:
        channels.append("graph")
    terms = list(row["matched_terms"] or [])
    fresh = None if row["entity_type"] == "knowledge" else ranking.recency(row["created_at"], now)
    return SearchHit(
        entity_type=row["entity_type"],
        entity_id=row["entity_id"],
        title=row["title"],
        snippet=ranking.snippet(row["body"], terms),
        app_id=row["app_id"],
        importance=row["importance"],
        score=round(ranking.rerank(relevance, fresh=fresh, importance=row["importance"]), 6),
        why=MatchReasons(
            channels=channels,
            vector_similarity=candidate.vector_similarity,
            text_rank=row["text_rank"],
            matched_terms=terms,
            graph_links=candidate.graph_links,
        ),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _params(query: str, ids: Sequence[UUID], filters: SearchFilters) -> dict[str, Any]:
    types = [t.value for t in filters.types] if filters.types else None
    return {
        "query": query,
        "ids": list(ids),
        "types": types,
        "app_id": filters.app_id,
        "created_after": filters.created_after,
        "created_before": filters.created_before,
        "max_text": TEXT_CANDIDATES,
    }


def _wanted(filters: SearchFilters) -> list[str]:
    return [t.value for t in filters.types] if filters.types else [t.value for t in SearchType]


def _fingerprint(query: str, filters: SearchFilters) -> str:
    """Names the search a cursor belongs to (a cursor is refused by any other search)."""
    raw = json.dumps([query, filters.model_dump(mode="json")], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _offset(cursor: str | None, fingerprint: str) -> int:
    if cursor is None:
        return 0
    key, offset = decode_cursor(cursor, "search")
    if key != fingerprint or not offset.isdigit() or int(offset) >= MAX_DEPTH:
        message = "belongs to another search (query and filters must stay the same)"
        raise InvalidRequest(f"query.cursor: {message}", errors=[_error("query.cursor", message)])
    return int(offset)


def _error(field_name: str, message: str) -> dict[str, str]:
    return {"field": field_name, "message": message}
