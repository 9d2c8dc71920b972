"""Searching a coaching app's knowledge (its active knowledge bases) by words and by meaning,
counting each hit's access."""

from __future__ import annotations

import logging
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import InvalidRequest, NotFound, ServiceUnavailable
from dotline.models.knowledge import KnowledgeResults
from dotline.ports.embeddings import Embedder
from dotline.ports.vectors import VectorFilter, VectorStore
from dotline.services.mirroring.knowledge_entries import CATALOGUE_TENANT, ITEM_TYPE

logger = logging.getLogger(__name__)

# Nearest catalogue items weighed per search (of every app: the SQL keeps the app's).
NEAR_CANDIDATES = 50
# The port's score is (cosine + 1) / 2: below cosine 0.1 an entry is no nearer than unrelated
# text (the same floor as GET /v1/search's vector channel).
MIN_NEAR_SCORE = 0.55

# The app row and its hits in one round trip. The search runs (and counts accesses) only when
# the app exists and is active: an admin's token may read inactive apps, nobody may search them.
_SEARCH = """
select a.app_id, a.slug as app_slug,
       api.knowledge_hits_by_meaning(%(query)s, a.app_id::text, %(limit)s,
                                     %(near_ids)s::uuid[], %(near_scores)s::real[]) as items
from public.apps a
where (a.slug = %(app)s or a.app_id::text = lower(%(app)s)) and a.is_active
"""


def search_knowledge(
    db: Database,
    vectors: VectorStore,
    embedder: Embedder,
    user: Principal,
    app: str,
    query: str,
    *,
    limit: int,
) -> KnowledgeResults:
    """The app's entries best matching `query` by its words (websearch syntax) and its meaning,
    best first; NotFound for an unknown or inactive app."""
    if not query.strip():
        raise InvalidRequest("query.q: must not be blank", errors=[_BLANK_Q])
    near = _near(vectors, embedder, query)
    params = {
        "app": app,
        "query": query,
        "limit": limit,
        "near_ids": list(near),
        "near_scores": list(near.values()),
    }
    with db.as_user(user) as tx:
        row = tx.execute(_SEARCH, params).fetchone()
    if row is None:
        raise NotFound("No such app.")
    return KnowledgeResults.model_validate(row)


def nearest_entries(vectors: VectorStore, embedder: Embedder, query: str) -> dict[UUID, float]:
    """Entry id -> similarity (in [0, 1]) of the catalogue items nearest to the query, those
    above MIN_NEAR_SCORE, of every app; ServiceUnavailable when the index or embedder is down."""
    where = VectorFilter(source_entity_types=[ITEM_TYPE])
    vector = embedder.embed([query])[0]
    hits = vectors.search(CATALOGUE_TENANT, vector, limit=NEAR_CANDIDATES, where=where)
    return {hit.source_entity_id: hit.score for hit in hits if hit.score > MIN_NEAR_SCORE}


def _near(vectors: VectorStore, embedder: Embedder, query: str) -> dict[str, float]:
    """Entry id -> similarity above the floor ({} when the index is down: the words still
    search)."""
    try:
        near = nearest_entries(vectors, embedder, query)
    except ServiceUnavailable as exc:
        logger.warning("knowledge search without the vector index", extra={"error": exc.detail})
        return {}
    return {str(entry_id): score - MIN_NEAR_SCORE for entry_id, score in near.items()}


_BLANK_Q = {"field": "query.q", "message": "must not be blank"}
