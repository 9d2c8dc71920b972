"""Carrying decayed importance to the vector index and the graph, in batches, owner by owner.

Decay notes each memory it changes in `private.importance_changes` instead of the outbox.
A sync batch reads the noted memories as they are now,
sets their vector items' importance (one call per owner) and rewrites their graph nodes at the
version the mirror ledger holds for them (so any later change the outbox delivers still wins),
then clears the notes it read, unless decay noted the memory again meanwhile. A memory deleted
or never mirrored yet is skipped: its removal or its first delivery carries the rest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any
from uuid import UUID

from dotline.db import Database
from dotline.ports.graph import GraphNode, GraphStore
from dotline.ports.vectors import VectorStore
from dotline.services.mirroring.entities import entity_node

SYNC_BATCH_SIZE = 2000

_NEXT_BATCH = """
select c.memory_id, c.user_id, c.noted_at, to_jsonb(m) as record, r.version
from private.importance_changes c
left join public.memories m on m.memory_id = c.memory_id
left join private.mirrored_rows r
  on r.table_name = 'memories' and r.row_key = c.memory_id::text and not r.deleted
order by c.user_id, c.memory_id
limit %(limit)s
"""

_CLEAR = """
delete from private.importance_changes c
using unnest(%(ids)s::uuid[], %(noted)s::timestamptz[]) as done (memory_id, noted_at)
where c.memory_id = done.memory_id and c.noted_at = done.noted_at
"""


def sync_importance(
    db: Database,
    *,
    graph: GraphStore,
    vectors: VectorStore,
    batch_size: int = SYNC_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Apply every noted importance change to the stores; returns how many memories synced."""
    synced = 0
    while True:
        with db.as_service() as tx:
            rows = tx.execute(_NEXT_BATCH, {"limit": batch_size}).fetchall()
        if not rows:
            return synced
        apply_importance(rows, graph=graph, vectors=vectors)
        with db.as_service() as tx:
            tx.execute(
                _CLEAR,
                {"ids": [r["memory_id"] for r in rows], "noted": [r["noted_at"] for r in rows]},
            )
        synced += len(rows)
        if progress is not None:
            progress(len(rows))


def apply_importance(
    rows: list[dict[str, Any]], *, graph: GraphStore, vectors: VectorStore
) -> None:
    """Set each owner's noted memories' importance on their items and nodes."""
    importance: dict[UUID, dict[UUID, float]] = defaultdict(dict)
    nodes: list[GraphNode] = []
    for row in rows:
        record, version = row["record"], row["version"]
        if record is None or version is None:
            continue  # deleted, or not mirrored yet
        importance[UUID(str(row["user_id"]))][UUID(str(row["memory_id"]))] = float(
            record["importance"]
        )
        nodes.append(entity_node("memories", record, int(version)))
    for user_id, values in importance.items():
        vectors.set_importance(user_id, "memory", values)
    if nodes:
        graph.upsert_nodes(nodes)
