"""Merging one of the caller's concepts into another: Postgres first, then the graph.

`private.merge_concept` re-points every reference and marks the source merged in one transaction.
The graph store is another system, so its edges move after that commit: each edge of the source
is re-attached to the survivor (one the survivor already has is kept once, with the larger
weight; one between the two would be a loop and goes), then the source's edge is deleted. Every
step is idempotent, so repeating the merge (which Postgres answers `already_merged`) finishes a
re-point that failed half-way.
"""

from __future__ import annotations

import logging
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import Conflict, InvalidRequest, NotFound
from dotline.models.concepts import Concept, ConceptMerge, ConceptMergeRequest, GraphRepoint
from dotline.ports.graph import MAX_NEIGHBOURHOOD_LIMIT, GraphEdge, GraphNode, GraphStore
from dotline.services.concepts.concepts import COLUMNS
from dotline.services.mirroring.entities import CONCEPT_LABELS

logger = logging.getLogger(__name__)

EdgeKey = tuple[UUID, UUID, str]
_BOTH = "select {} from public.concepts where concept_id in (%(source)s, %(target)s)"  # as the caller: another person's concept is not found
MAX_REPOINT_ROUNDS = 20  # each round moves the edges to up to MAX_NEIGHBOURHOOD_LIMIT neighbours


def merge_concept(
    db: Database, graph: GraphStore, user: Principal, source_id: UUID, request: ConceptMergeRequest
) -> ConceptMerge:
    """Merge source into request.into for the caller; a repeat of the same merge answers again."""
    from psycopg import sql

    target_id = request.into
    params = {"source": source_id, "target": target_id}
    with db.as_user(user) as tx:
        row = tx.execute(
            "select outcome, moved from private.merge_concept(%(source)s, %(target)s)", params
        ).fetchone()
        found = {
            r["concept_id"]: Concept.model_validate(r)
            for r in tx.execute(sql.SQL(_BOTH).format(sql.SQL(COLUMNS)), params).fetchall()
        }
    assert row is not None  # the function always answers one row
    outcome = str(row["outcome"])
    merged, into = _concepts_after(outcome, found.get(source_id), found.get(target_id))
    logger.info(
        "concept merge",
        extra={"outcome": outcome, "source": str(source_id), "into": str(target_id)},
    )
    try:
        repoint = repoint_edges(graph, user.user_id, merged, into)
    except Exception:
        logger.exception(
            "concept merged in Postgres; moving its graph edges failed (a retry ends it)"
        )
        raise
    return ConceptMerge(
        merged=merged,
        into=into,
        already_merged=outcome == "already_merged",
        references=dict(row["moved"]),
        graph=repoint,
    )


def _concepts_after(
    outcome: str, merged: Concept | None, into: Concept | None
) -> tuple[Concept, Concept]:
    """The two concepts after a merge; the domain error for an outcome that is a refusal."""
    if outcome == "same_concept":
        message = "must be another concept than the one merged"
        raise InvalidRequest(f"into: {message}", errors=[{"field": "into", "message": message}])
    if outcome == "source_not_found" or merged is None:
        raise NotFound("No such concept.")
    if outcome == "target_not_found" or into is None:
        raise NotFound("No such concept to merge into.")
    if outcome == "source_merged_elsewhere":
        raise Conflict(
            f"This concept was already merged into {merged.merged_into_concept_id}.",
            merged_into_concept_id=str(merged.merged_into_concept_id),
        )
    if outcome == "target_merged":
        raise Conflict(
            f"That concept was itself merged into {into.merged_into_concept_id}; merge into it.",
            merged_into_concept_id=str(into.merged_into_concept_id),
        )
    return merged, into


def repoint_edges(graph: GraphStore, user_id: UUID, merged: Concept, into: Concept) -> GraphRepoint:
    """Move every graph edge of the merged concept onto the survivor (idempotent)."""
    source_id, target_id = merged.concept_id, into.concept_id
    moved = collapsed = dropped = 0
    for _ in range(MAX_REPOINT_ROUNDS):
        hood = graph.neighbourhood(user_id, source_id, 1, MAX_NEIGHBOURHOOD_LIMIT)
        touching = [e for e in hood.edges if source_id in (e.source_id, e.target_id)]
        if not touching:
            break
        _ensure_node(graph, user_id, into)
        kept = _edges_of(graph, user_id, target_id)
        replacements: dict[EdgeKey, GraphEdge] = {}
        for edge in touching:
            start = target_id if edge.source_id == source_id else edge.source_id
            end = target_id if edge.target_id == source_id else edge.target_id
            if start == end:
                dropped += 1
                continue
            key = (start, end, edge.type)
            earlier = replacements.get(key) or kept.get(key)
            if earlier is None:
                moved += 1
                replacements[key] = edge.model_copy(update={"source_id": start, "target_id": end})
            else:
                collapsed += 1
                replacements[key] = _collapse(earlier, edge)
        graph.upsert_edges(list(replacements.values()))
        for edge in touching:
            graph.delete_edge(user_id, edge.source_id, edge.target_id, edge.type)
    else:
        logger.warning(
            "merged concept %s still has edges after %d rounds", source_id, MAX_REPOINT_ROUNDS
        )
    return GraphRepoint(edges_moved=moved, edges_collapsed=collapsed, edges_dropped=dropped)


def _edges_of(graph: GraphStore, user_id: UUID, node_id: UUID) -> dict[EdgeKey, GraphEdge]:
    hood = graph.neighbourhood(user_id, node_id, 1, MAX_NEIGHBOURHOOD_LIMIT)
    return {
        (e.source_id, e.target_id, e.type): e
        for e in hood.edges
        if node_id in (e.source_id, e.target_id)
    }


def _collapse(kept: GraphEdge, duplicate: GraphEdge) -> GraphEdge:
    """One edge for two with the same ends and type: the larger weight, the survivor's
    properties over the duplicate's, a version no older than either (so the upsert applies)."""
    return kept.model_copy(
        update={
            "weight": max(kept.weight, duplicate.weight),
            "properties": {**duplicate.properties, **kept.properties},
            "version": max(kept.version, duplicate.version),
        }
    )


def _ensure_node(graph: GraphStore, user_id: UUID, concept: Concept) -> None:
    """Make sure the survivor is a node (the mirror may not have delivered it yet): version 0,
    so the mirror's own write, always newer, replaces it."""
    if graph.neighbourhood(user_id, concept.concept_id, 0, 1).nodes:
        return
    properties = {
        "name": concept.name,
        "type": concept.type,
        "description": concept.description,
        "status": concept.status.value,
        "salience": concept.salience,
        "created_at": concept.created_at.isoformat(),
    }
    graph.upsert_nodes(
        [
            GraphNode(
                node_id=concept.concept_id,
                user_id=user_id,
                label="Concept",
                extra_labels=[x for x in [CONCEPT_LABELS.get(concept.type)] if x],
                properties=properties,
            )
        ]
    )
