"""The embedded vector store: items and float32 vectors in Postgres's `vectors` schema, searched
with numpy over a per-user matrix cached in the container (exactly, or through an inverted-file
index for a big one: vector_matrix.py).

Every write moves the user's version (vectors.user_versions) and logs the items it changed at
that version (vectors.item_changes); a search reads the version and, when it moved past the
matrix the container holds, the items changed since, in one cheap query, and patches the matrix
with them (a matrix older than the log, or patched too often, is loaded whole). Containers never
serve stale rows, and a write costs the next search the rows it changed, not the person's all.
The schema is not exposed to clients, so this adapter works as `service_role`; every statement
names the user, which is the isolation. Tables: the vector store migration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from dotline.adapters.vector_matrix import (
    PATCH_MOST,
    MatrixCache,
    VectorMatrix,
    from_float32_bytes,
    to_float32_bytes,
)
from dotline.db import Database, Transaction
from dotline.errors import InvalidRequest
from dotline.ports.vectors import KnowledgeItem, VectorFilter, VectorHit

# Sorted ids, so concurrent writers to the same users lock their version rows in one order. The
# new version is drawn in the conflict's update, under the row's lock: a person's versions then
# grow in commit order, so a reader of version V has every change up to V (the change log's
# completeness rests on it). Each changed item is logged at its owner's new version. A new row's
# log starts at its own version: a matrix held from before (a tenant erased and written again)
# is older than the log, so it is loaded whole.
BUMP_AND_LOG = """
with bumped as (
  insert into vectors.user_versions as v (user_id, version, logged_from)
  select u.user_id, u.version, u.version
  from (select w.user_id, nextval('vectors.user_version_seq') as version
        from unnest(%(user_ids)s::uuid[]) as w (user_id)
        order by w.user_id) as u
  order by u.user_id
  on conflict (user_id) do update set version = nextval('vectors.user_version_seq')
  returning v.user_id, v.version
)
insert into vectors.item_changes (user_id, version, item_id)
select b.user_id, b.version, c.item_id
from bumped b
join unnest(%(owners)s::uuid[], %(item_ids)s::uuid[]) as c (user_id, item_id)
  on c.user_id = b.user_id
on conflict do nothing
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

# The person's version, how far back the change log reaches, and (when `since` is the version of
# a matrix the log covers) each item changed after it with its row as it is now (none: deleted).
# One statement, one snapshot: a purge cannot slip between the horizon and the log.
CHANGES_SINCE = """
select v.version, v.logged_from, c.item_id as changed_id,
       i.item_id, i.source_entity_type, i.source_entity_id, i.title, i.text, i.importance,
       i.created_at, i.vector, i.tags, i.memory_type, i.app_id, i.source_conversation_id,
       i.occurred_at, i.attribute_pairs, i.evolution_state
from vectors.user_versions v
left join lateral (
  select distinct ch.item_id
  from vectors.item_changes ch
  where ch.user_id = v.user_id and ch.version > %(since)s and %(since)s >= v.logged_from
  limit %(most)s
) c on true
left join vectors.items i on i.user_id = v.user_id and i.item_id = c.item_id
where v.user_id = %(user_id)s
"""

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
returning item_id
"""

DELETE_SOURCES = """
delete from vectors.items
where user_id = %(user_id)s and source_entity_type = %(source_entity_type)s
  and source_entity_id = any(%(source_entity_ids)s)
returning item_id
"""

SET_IMPORTANCE = """
update vectors.items i
set importance = v.importance, updated_at = now()
from unnest(%(source_entity_ids)s::uuid[], %(importance)s::double precision[]) as v (source_entity_id, importance)
where i.user_id = %(user_id)s and i.source_entity_type = %(source_entity_type)s
  and i.source_entity_id = v.source_entity_id
returning i.item_id
"""

SET_EVOLUTION_STATES = """
update vectors.items i
set evolution_state = v.state, updated_at = now()
from unnest(%(source_entity_ids)s::uuid[], %(states)s::text[]) as v (source_entity_id, state)
where i.user_id = %(user_id)s and i.source_entity_type = %(source_entity_type)s
  and i.source_entity_id = v.source_entity_id
  and i.evolution_state is distinct from v.state
returning i.item_id
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
        with self._db.as_service() as tx:
            _bump(tx, [(item.user_id, item.item_id) for item in items])
            tx.executemany(UPSERT_ITEM, params)

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
        """Run a statement changing one person's items (returning their ids); when it changed
        any, their version moves on and the items are logged. Returns how many changed."""
        with self._db.as_service() as tx:
            changed = [row["item_id"] for row in tx.execute(statement, params).fetchall()]
            if changed:
                _bump(tx, [(user_id, item_id) for item_id in changed])
        return len(changed)

    def matrix(self, user_id: UUID) -> VectorMatrix | None:
        """The user's matrix (None if they have no items): the cached one while their version
        has not moved, patched with the items changed since when the log reaches back to it,
        else loaded whole."""
        held = self._cache.latest(user_id)
        since = None if held is None else held.version
        rows = self._db.fetch_as_service(
            CHANGES_SINCE,
            {"user_id": user_id, "since": since, "most": PATCH_MOST + 1},
            read_only=True,
        )
        if not rows:
            return None  # never written, or erased
        version, logged_from = int(rows[0]["version"]), int(rows[0]["logged_from"])
        cached = self._cache.get(user_id, version)  # the held one, now the most recently used
        if cached is not None:
            return cached
        changed = [row for row in rows if row["changed_id"] is not None]
        if (
            held is not None
            and logged_from <= held.version < version
            and len(changed) <= PATCH_MOST
        ):
            patched = held.patched(
                version,
                {row["changed_id"] for row in changed},
                [_record(row) for row in changed if row["item_id"] is not None],
            )
            if patched is not None:
                self._cache.put(user_id, patched)
                return patched
        # Rows read after the version may be newer than it; the next search patches them again.
        with self._db.as_service() as tx:
            records = tx.execute(USER_ROWS, {"user_id": user_id}, binary=True).fetchall()
        matrix = VectorMatrix.build(version, records, previous=held)
        self._cache.put(user_id, matrix)
        return matrix


def _record(row: dict[str, Any]) -> dict[str, Any]:
    """An item row of CHANGES_SINCE as USER_ROWS reads it."""
    return {key: value for key, value in row.items() if key not in _NOT_ITEM_COLUMNS}


_NOT_ITEM_COLUMNS = frozenset({"version", "logged_from", "changed_id"})


def _bump(tx: Transaction, changes: Sequence[tuple[UUID, UUID]]) -> None:
    """Move the owners' versions and log each (owner, item) changed at the owner's new one."""
    tx.execute(
        BUMP_AND_LOG,
        {
            "user_ids": sorted({owner for owner, _ in changes}),
            "owners": [owner for owner, _ in changes],
            "item_ids": [item_id for _, item_id in changes],
        },
    )


def _item_params(item: KnowledgeItem) -> dict[str, Any]:
    try:
        vector = to_float32_bytes(item.vector)
    except ValueError as exc:
        raise InvalidRequest(str(exc), field="vector") from exc
    return {**item.model_dump(exclude={"vector"}), "vector": vector}
