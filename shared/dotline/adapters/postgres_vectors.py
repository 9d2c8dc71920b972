"""The embedded vector store: items and float32 vectors in Postgres's `vectors` schema, searched
with numpy over a per-user matrix cached in the container (exactly, or through an inverted-file
index for a big one: vector_matrix.py).

Every write moves the user's version (vectors.user_versions); a search reads it in one cheap
query and rebuilds the cached matrix only when it moved, so containers never serve stale rows.
The schema is not exposed to clients, so this adapter works as `service_role`; every statement
names the user, which is the isolation. Tables: the vector store migration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from dotline.adapters.vector_matrix import (
    MatrixCache,
    VectorMatrix,
    from_float32_bytes,
    to_float32_bytes,
)
from dotline.db import Database, Transaction
from dotline.errors import InvalidRequest
from dotline.ports.vectors import KnowledgeItem, VectorFilter, VectorHit

# Sorted ids, so concurrent writers to the same users lock their version rows in one order.
BUMP_VERSIONS = """
insert into vectors.user_versions (user_id, version)
select user_id, nextval('vectors.user_version_seq')
from unnest(%(user_ids)s::uuid[]) as user_id
order by user_id
on conflict (user_id) do update set version = excluded.version
"""

UPSERT_ITEM = """
insert into vectors.items as stored (
  item_id, user_id, source_entity_type, source_entity_id, title, text, tags, importance,
  created_at, model_version, version, vector, memory_type, app_id, source_conversation_id,
  occurred_at, attribute_pairs, evolution_state
)
values (
  %(item_id)s, %(user_id)s, %(source_entity_type)s, %(source_entity_id)s, %(title)s, %(text)s,
  %(tags)s, %(importance)s, %(created_at)s, %(model_version)s, %(version)s, %(vector)s,
  %(memory_type)s, %(app_id)s, %(source_conversation_id)s, %(occurred_at)s, %(attribute_pairs)s,
  %(evolution_state)s
)
on conflict (item_id) do update
set source_entity_type = excluded.source_entity_type,
    source_entity_id = excluded.source_entity_id, title = excluded.title, text = excluded.text,
    tags = excluded.tags, importance = excluded.importance, created_at = excluded.created_at,
    model_version = excluded.model_version, version = excluded.version,
    vector = excluded.vector, memory_type = excluded.memory_type, app_id = excluded.app_id,
    source_conversation_id = excluded.source_conversation_id, occurred_at = excluded.occurred_at,
    attribute_pairs = excluded.attribute_pairs, evolution_state = excluded.evolution_state,
    updated_at = now()
where stored.user_id = excluded.user_id and excluded.version >= stored.version
"""

USER_VERSION = "select version from vectors.user_versions where user_id = %(user_id)s"

USER_ROWS = """
select item_id, source_entity_type, source_entity_id, title, text, importance, created_at, vector,
       tags, memory_type, app_id, source_conversation_id, occurred_at, attribute_pairs,
       evolution_state
from vectors.items where user_id = %(user_id)s
"""

DELETE_SOURCE = """
delete from vectors.items
where user_id = %(user_id)s and source_entity_type = %(source_entity_type)s
  and source_entity_id = %(source_entity_id)s
"""

DELETE_SOURCES = """
delete from vectors.items
where user_id = %(user_id)s and source_entity_type = %(source_entity_type)s
  and source_entity_id = any(%(source_entity_ids)s)
"""

SET_IMPORTANCE = """
update vectors.items i
set importance = v.importance, updated_at = now()
from unnest(%(source_entity_ids)s::uuid[], %(importance)s::double precision[]) as v (source_entity_id, importance)
where i.user_id = %(user_id)s and i.source_entity_type = %(source_entity_type)s
  and i.source_entity_id = v.source_entity_id
"""

SET_EVOLUTION_STATES = """
update vectors.items i
set evolution_state = v.state, updated_at = now()
from unnest(%(source_entity_ids)s::uuid[], %(states)s::text[]) as v (source_entity_id, state)
where i.user_id = %(user_id)s and i.source_entity_type = %(source_entity_type)s
  and i.source_entity_id = v.source_entity_id
  and i.evolution_state is distinct from v.state
"""

# `<> v` cannot use an index; `< v or > v` is two range scans of items_model_version_idx.
STALE = """
select item_id, user_id, source_entity_type, source_entity_id, title, text, tags, importance,
       created_at, model_version, version, vector, memory_type, app_id, source_conversation_id,
       occurred_at, attribute_pairs, evolution_state
from vectors.items
where (model_version < %(model_version)s or model_version > %(model_version)s)
  and (%(user_ids)s::uuid[] is null or user_id = any(%(user_ids)s::uuid[]))
limit %(limit)s
"""

ERASE_ITEMS = "delete from vectors.items where user_id = %(user_id)s"
ERASE_VERSION = "delete from vectors.user_versions where user_id = %(user_id)s"


class PostgresVectors:
    """The vector port on Postgres, with in-process cosine search."""

    def __init__(self, db: Database, cache: MatrixCache | None = None) -> None:
        self._db = db
        self._cache = cache if cache is not None else MatrixCache()

    def upsert(self, items: Sequence[KnowledgeItem]) -> None:
        """Create or replace items by item_id; a lower version than stored is ignored."""
        if not items:
            return
        params = [_item_params(item) for item in sorted(items, key=lambda i: i.item_id)]
        user_ids = sorted({item.user_id for item in items})
        with self._db.as_service() as tx:
            _bump(tx, user_ids)
            tx.executemany(UPSERT_ITEM, params)
        for user_id in user_ids:
            self._cache.forget(user_id)

    def delete(self, user_id: UUID, source_entity_type: str, source_entity_id: UUID) -> None:
        """Remove the item of that source entity; a missing one is not an error."""
        params = {
            "user_id": user_id,
            "source_entity_type": source_entity_type,
            "source_entity_id": source_entity_id,
        }
        self._change(user_id, DELETE_SOURCE, params)

    def delete_many(
        self, user_id: UUID, source_entity_type: str, source_entity_ids: Sequence[UUID]
    ) -> int:
        """Remove the items of those source entities; returns how many went."""
        if not source_entity_ids:
            return 0
        params = {
            "user_id": user_id,
            "source_entity_type": source_entity_type,
            "source_entity_ids": sorted(set(source_entity_ids)),
        }
        return self._change(user_id, DELETE_SOURCES, params)

    def set_importance(
        self, user_id: UUID, source_entity_type: str, importance: Mapping[UUID, float]
    ) -> int:
        """Set the items' importance, leaving text, vector and version alone; returns how many."""
        if not importance:
            return 0
        ids = sorted(importance)
        params = {
            "user_id": user_id,
            "source_entity_type": source_entity_type,
            "source_entity_ids": ids,
            "importance": [float(importance[i]) for i in ids],
        }
        return self._change(user_id, SET_IMPORTANCE, params)

    def set_evolution_states(
        self, user_id: UUID, source_entity_type: str, states: Mapping[UUID, str | None]
    ) -> int:
        """Set the evolution state the items carry; returns how many changed (an item already
        carrying its state is no change, and leaves the user's matrix cached)."""
        if not states:
            return 0
        ids = sorted(states)
        params = {
            "user_id": user_id,
            "source_entity_type": source_entity_type,
            "source_entity_ids": ids,
            "states": [states[i] for i in ids],
        }
        return self._change(user_id, SET_EVOLUTION_STATES, params)

    def search(
        self,
        user_id: UUID,
        vector: Sequence[float],
        limit: int = 10,
        where: VectorFilter | None = None,
    ) -> list[VectorHit]:
        """The user's items nearest to `vector`, best first; scores are in [0, 1]."""
        matrix = self.matrix(user_id)
        return [] if matrix is None else matrix.search(vector, limit, where)

    def stale(
        self, model_version: str, limit: int = 500, user_ids: Sequence[UUID] | None = None
    ) -> list[KnowledgeItem]:
        """Items embedded with another model version, for the re-embed job: of any user, or
        only of `user_ids` when given."""
        owners = None if user_ids is None else list(user_ids)
        params = {"model_version": model_version, "limit": limit, "user_ids": owners}
        with self._db.as_service() as tx:
            rows = tx.execute(STALE, params).fetchall()
        return [
            KnowledgeItem(**{**row, "vector": from_float32_bytes(row["vector"])}) for row in rows
        ]

    def erase_user(self, user_id: UUID) -> int:
        """Remove every item of the user; returns how many went."""
        with self._db.as_service() as tx:
            tx.execute(ERASE_ITEMS, {"user_id": user_id})
            erased = tx.rowcount
            tx.execute(ERASE_VERSION, {"user_id": user_id})
        self._cache.forget(user_id)
        return erased

    def _change(self, user_id: UUID, statement: str, params: dict[str, Any]) -> int:
        """Run a statement changing one person's items; when it changed any, their matrix version
        moves on, and this process's cached matrix is dropped either way. Returns the row count."""
        with self._db.as_service() as tx:
            tx.execute(statement, params)
            changed = tx.rowcount
            if changed:
                _bump(tx, [user_id])
        self._cache.forget(user_id)
        return changed

    def matrix(self, user_id: UUID) -> VectorMatrix | None:
        """The user's matrix (None if they have no items): cached if their version has not
        moved, else loaded anew."""
        versions = self._db.fetch_as_service(USER_VERSION, {"user_id": user_id}, read_only=True)
        if not versions:
            return None  # never written, or erased
        version = int(versions[0]["version"])
        cached = self._cache.get(user_id, version)
        if cached is not None:
            return cached
        # Rows read after the version may be newer than it; the next search then reloads.
        with self._db.as_service() as tx:
            records = tx.execute(USER_ROWS, {"user_id": user_id}, binary=True).fetchall()
        matrix = VectorMatrix.build(version, records, previous=self._cache.latest(user_id))
        self._cache.put(user_id, matrix)
        return matrix


def _bump(tx: Transaction, user_ids: Sequence[UUID]) -> None:
    tx.execute(BUMP_VERSIONS, {"user_ids": list(user_ids)})


def _item_params(item: KnowledgeItem) -> dict[str, Any]:
    try:
        vector = to_float32_bytes(item.vector)
    except ValueError as exc:
        raise InvalidRequest(str(exc), field="vector") from exc
    return {**item.model_dump(exclude={"vector"}), "vector": vector}
