"""The knowledge channel by meaning: the catalogue entries nearest to the query (as the app
knowledge route finds them, `services.knowledge.nearest_entries`), kept only when they are
knowledge of the caller's apps within the search's filters (`api.search_knowledge_rows`). Their
similarity joins the vector channel, so an entry worded unlike the query still ranks by meaning
beside the memories, and beside its own words when the text channel found it too."""

from __future__ import annotations

import logging
from typing import Any

from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import ServiceUnavailable
from dotline.models.search import SearchFilters
from dotline.ports.embeddings import Embedder
from dotline.ports.vectors import VectorStore
from dotline.services.knowledge import nearest_entries
from dotline.services.search import _filters as search_filters
from dotline.services.search import _growth as growth
from dotline.services.search._channels import vector_channel, wanted_types
from dotline.services.search._graph import Candidate, Key

logger = logging.getLogger(__name__)

_ROWS = """
select entity_type, entity_id, title, body, app_id, importance, created_at, updated_at,
       null::real as text_rank, null::real as text_strength, null::text[] as matched_terms,
       null::uuid as superseded_by, null::timestamptz as invalid_at
from api.search_knowledge_rows(%(ids)s::uuid[], %(app_id)s::uuid,
                               %(created_after)s::timestamptz, %(created_before)s::timestamptz)
"""


def knowledge_by_meaning(
    db: Database,
    user: Principal,
    query: str,
    filters: SearchFilters,
    embedder: Embedder,
    vectors: VectorStore,
    unavailable: list[Any],
) -> dict[Key, Candidate]:
    """("knowledge", id) -> the entry's candidate (its row and its similarity) for the nearest
    entries of the caller's apps; {} when knowledge is not searched or the index is down."""
    if not _searched(filters):
        return {}
    try:
        near = nearest_entries(vectors, embedder, query)
    except ServiceUnavailable as exc:
        logger.warning("search without knowledge by meaning", extra={"error": exc.detail})
        unavailable.append("vector")
        return {}
    if not near:
        return {}
    params = {
        "ids": list(near),
        "app_id": filters.app_id,
        "created_after": filters.created_after,
        "created_before": filters.created_before,
    }
    rows = db.fetch_as_user(user, _ROWS, params, read_only=True)
    return {
        ("knowledge", row["entity_id"]): Candidate(
            row=row, vector_similarity=near[row["entity_id"]]
        )
        for row in rows
    }


def nearest_and_knowledge(
    db: Database,
    user: Principal,
    query: str,
    filters: SearchFilters,
    embedder: Embedder,
    vectors: VectorStore,
    unavailable: tuple[list[Any], list[Any]],
) -> tuple[dict[Key, float], dict[Key, Candidate]]:
    """The vector channel's nearest items, then the knowledge by meaning, in one worker: both
    mostly wait (on numpy, on the server) and together still finish under the text query, which
    a third thread would only contend with. Each notes its unavailability in its own list."""
    nearest = vector_channel(user.user_id, query, filters, embedder, vectors, unavailable[0])
    return nearest, knowledge_by_meaning(
        db, user, query, filters, embedder, vectors, unavailable[1]
    )


def join_knowledge(pool: dict[Key, Candidate], found: dict[Key, Candidate]) -> None:
    """Add the entries found by meaning to the pool; one the text channel found keeps its row
    (with its words) and gains its similarity."""
    for key, candidate in found.items():
        known = pool.get(key)
        if known is None:
            pool[key] = candidate
        else:
            known.vector_similarity = candidate.vector_similarity


def _searched(filters: SearchFilters) -> bool:
    """Knowledge has no memory fields and no card: a memory or growth filter leaves it out."""
    return (
        "knowledge" in wanted_types(filters)
        and search_filters.memory_restrictions(filters) is None
        and not growth.restricts(filters)
    )
