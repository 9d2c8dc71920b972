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
# The port's score is (cosine + 1) / 2. Below cosine 0.2 a neighbour is noise for both WordLlama
# and OpenAI-style embedders (unrelated diary lines measure -0.1..0.18); without a floor every
# query would list the user's whole index.
MIN_VECTOR_SCORE = 0.6
TEXT_CANDIDATES = 50
MAX_DEPTH = 100  # hits a search pages through in all (offset + limit)
_BLANK = "must not be blank"

_CANDIDATES = """
select entity_type, entity_id, title, body, app_id, importance, created_at, updated_at,
       text_rank, matched_terms
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
    similarities = _vector_channel(user.user_id, query, filters, embedder, vectors, unavailable)
    with db.as_user(user) as tx:
        rows = tx.execute(_CANDIDATES, _params(query, list(similarities), filters)).fetchall()
    pool = {(r["entity_type"], r["entity_id"]): Candidate(r) for r in rows}
    for key, candidate in pool.items():
        candidate.vector_similarity = similarities.get(key[1])
    fused = ranking.fuse(_channels(pool))
    new_ids = expand_through_graph(user.user_id, pool, fused, graph, unavailable)
    if new_ids:
        with db.as_user(user) as tx:
            found = tx.execute(_CANDIDATES, _params("", new_ids, filters)).fetchall()
        for row in found:
            linked = pool.get((row["entity_type"], row["entity_id"]))
            if linked is not None:  # None: a node labelled as another type than its row
                linked.row = row
    now = datetime.now(UTC)
    hits = sorted(
        (_hit(c, fused.get(key, 0.0) + c.graph_score, now) for key, c in pool.items() if c.row),
        key=lambda hit: (-hit.score, str(hit.entity_id)),
    )[:MAX_DEPTH]
    page = hits[offset : offset + limit]
    more = offset + limit < len(hits)
    next_cursor = encode_cursor("search", fingerprint, offset + limit) if more else None
    logger.info(
        "search",
        extra={"candidates": len(pool), "hits": len(hits), "unavailable": unavailable},
    )
    return SearchResults(
        query=query, items=page, next_cursor=next_cursor, unavailable_channels=unavailable
    )


def _vector_channel(
    user_id: UUID,
    query: str,
    filters: SearchFilters,
    embedder: Embedder,
    vectors: VectorStore,
    unavailable: list[Any],
) -> dict[UUID, float]:
    """Entity id -> similarity of the nearest indexed items ({} when the index is down)."""
    types = [t for t in _wanted(filters) if t in INDEXED_TYPES]
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
    return {hit.source_entity_id: hit.score for hit in hits if hit.score >= MIN_VECTOR_SCORE}


def _channels(pool: dict[Key, Candidate]) -> dict[str, list[tuple[Key, float]]]:
    """Each channel's (key, score) list: vector similarity, text rank, knowledge relevance."""
    channels: dict[str, list[tuple[Key, float]]] = {"vector": [], "text": [], "knowledge": []}
    for key, candidate in pool.items():
        if candidate.vector_similarity is not None:
            channels["vector"].append((key, candidate.vector_similarity))
        rank = candidate.row["text_rank"]
        if rank is not None:
            channels["knowledge" if key[0] == "knowledge" else "text"].append((key, rank))
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
