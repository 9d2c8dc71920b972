"""Concept salience: how much a concept matters to its person, from the graph (its degree), their
memories (how many name it) and how recent the last of those is (`private.refresh_concept_salience`).

Refreshed for the concepts one conversation touched, so a write costs what those concepts hold,
not what the whole graph holds; the insight cycle refreshes every concept of the person.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from dotline.db import Database, jsonb
from dotline.ports.graph import GraphStore
from dotline.services.mirroring.entities import entity_node

BATCH_CONCEPTS = 500  # concepts per degree read and update


def refresh_salience(
    db: Database, graph: GraphStore, user_id: UUID, concept_ids: Sequence[UUID], *, version: int
) -> int:
    """Recompute the concepts' salience and write the nodes of those that changed (at `version`:
    the outbox's own delivery of the same change carries a higher one); returns how many."""
    changed = 0
    ids = sorted(set(concept_ids), key=str)
    for start in range(0, len(ids), BATCH_CONCEPTS):
        batch = ids[start : start + BATCH_CONCEPTS]
        degrees = graph.connection_counts(user_id, batch)
        with db.as_service() as tx:
            rows = tx.execute(
                "select private.refresh_concept_salience(%(user_id)s, %(degrees)s) as row",
                {"user_id": user_id, "degrees": jsonb({str(i): degrees.get(i, 0) for i in batch})},
            ).fetchall()
        graph.upsert_nodes([entity_node("concepts", r["row"], version) for r in rows])
        changed += len(rows)
    return changed
