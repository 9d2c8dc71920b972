"""Draining bulk deletes into the graph, the vector index and the cache.

Retention, expiry and archive delete rows with `dotline.deletes_to = 'removals'`, which queues
each mirrored row in `private.lifecycle_removals` instead of the outbox. A drain batch removes the rows' nodes and items
(in bulk per owner and table, idempotent: a missing one is fine), drops the owners' stale cache keys, then in one
transaction records a tombstone per row in the mirror ledger (so a late outbox delivery of an
older change cannot bring the row back) and deletes the queue rows. A drain killed between the
two leaves the rows queued, and the next one removes them again, to the same effect.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any
from uuid import UUID

from dotline.db import Database
from dotline.ports.cache import Cache
from dotline.ports.graph import GraphStore
from dotline.ports.vectors import VectorStore
from dotline.services import stale_views
from dotline.services.mirroring.entities import ENTITIES

DRAIN_BATCH_SIZE = 2000

_NEXT_BATCH = """
select r.removal_id, r.table_name, r.row_key, r.user_id, r.version,
       exists (select 1 from private.erasures e where e.user_id = r.user_id) as owner_erased
from private.lifecycle_removals r
order by r.user_id, r.removal_id
limit %(limit)s
"""

_TOMBSTONES = """
select private.record_mirrored_change(r.table_name, r.row_key, r.version, true)
from private.lifecycle_removals r
where r.removal_id = any(%(ids)s)
"""

_DEQUEUE = "delete from private.lifecycle_removals where removal_id = any(%(ids)s)"


def drain_removals(
    db: Database,
    *,
    graph: GraphStore,
    vectors: VectorStore,
    cache: Cache,
    batch_size: int = DRAIN_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Apply every queued removal to the stores; returns how many rows were removed."""
    removed = 0
    while True:
        with db.as_service() as tx:
            rows = tx.execute(_NEXT_BATCH, {"limit": batch_size}).fetchall()
        if not rows:
            return removed
        remove_from_stores(rows, graph=graph, vectors=vectors, cache=cache)
        ids = [row["removal_id"] for row in rows]
        with db.as_service() as tx:
            tx.execute(_TOMBSTONES, {"ids": ids})
            tx.execute(_DEQUEUE, {"ids": ids})
        removed += len(rows)
        if progress is not None:
            progress(len(rows))


def remove_from_stores(
    rows: list[dict[str, Any]], *, graph: GraphStore, vectors: VectorStore, cache: Cache
) -> None:
    """Remove the queued rows' nodes and items, per owner and table in one call each, and drop
    the owners' stale cache keys.

    An erased owner's stores were emptied whole by the erasure; only the tombstone is left to do.
    """
    by_owner: dict[tuple[UUID, str], list[UUID]] = defaultdict(list)
    for row in rows:
        if row["user_id"] is not None and not row["owner_erased"]:
            by_owner[(UUID(str(row["user_id"])), row["table_name"])].append(UUID(row["row_key"]))
    stale: set[str] = set()
    for (user_id, table), keys in by_owner.items():
        if table in ENTITIES:
            _, item_type = ENTITIES[table]
            if item_type is not None:
                vectors.delete_many(user_id, item_type, keys)
            graph.delete_nodes(user_id, keys)
        stale |= stale_views.stale_after(user_id, table, keys if table == "cards" else ())
    stale_views.forget_after(cache, stale)
