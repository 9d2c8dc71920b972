"""Applying a database change to the graph, the vector index and the cache, exactly once in effect.

The ledger (`private.mirrored_rows`) holds the version of the last change applied for each
source row, deletes included. A change no newer than that is a redelivery or arrived late, and
changes nothing; a newer one is applied (every write idempotent and versioned) and then recorded.
A crash between the two leaves the change unrecorded, so its redelivery applies it again, to the
same effect.

After the mirrors, the change earns its growth (`growth.earned`) and the cards it touches have their
evolution kept current and announced (`cards.pipeline`).

Every change is ordered by its outbox id. A change in Supabase's own webhook shape carries none:
it is placed by the outbox row holding the same change (every mirrored table writes one), and one
the outbox does not hold (long delivered and purged, or never made) changes nothing. A change of a
person whose erasure has started is acknowledged and changes nothing: erasure clears every
mirror itself. A row the change refers to that vanished under it (a delete racing the delivery)
makes the delivery fail for a retry (503), never a permanent refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from dotline.db import Database, jsonb
from dotline.errors import InvalidRequest, MissingReference, ServiceUnavailable
from dotline.growth_rules import current_config
from dotline.models.db_events import DbEvent, DbEventOutcome
from dotline.ports.cache import Cache
from dotline.ports.embeddings import Embedder
from dotline.ports.graph import GraphStore
from dotline.ports.vectors import VectorStore
from dotline.services.cards import pipeline
from dotline.services.graph.schema import record_graph_schema
from dotline.services.growth.earned import earn_growth
from dotline.services.mirroring._cache import refresh_cache
from dotline.services.mirroring.entities import ENTITIES, mirror_entity, remove_entity
from dotline.services.mirroring.knowledge_entries import (
    TABLE as KNOWLEDGE_TABLE,
)
from dotline.services.mirroring.knowledge_entries import (
    mirror_knowledge_entry,
    remove_knowledge_entry,
)


def apply_db_event(
    event: DbEvent,
    *,
    db: Database,
    graph: GraphStore,
    vectors: VectorStore,
    embedder: Embedder,
    cache: Cache,
) -> DbEventOutcome:
    """Mirror one change unless a change as new or newer already was."""
    outcome = DbEventOutcome(applied=False, table=event.table, row_key=event.row_key, version=None)
    if event.outbox_id is None:
        placed = placed_in_outbox(db, event)
        if placed is None:
            outcome.skipped = "not_in_outbox"
            return outcome
        event = event.model_copy(update={"outbox_id": placed})
    outcome.version = event.version
    applied, owner_erased = ledger_standing(db, event)
    if owner_erased or applied >= event.version:
        outcome.skipped = "owner_erased" if owner_erased else "not_newer"
        return outcome
    try:
        return _apply(event, outcome, _Stores(db, graph, vectors, embedder, cache))
    except MissingReference as exc:
        raise ServiceUnavailable(
            "A row this change refers to vanished while it was applied; deliver it again."
        ) from exc


@dataclass(frozen=True)
class _Stores:
    db: Database
    graph: GraphStore
    vectors: VectorStore
    embedder: Embedder
    cache: Cache


def _apply(event: DbEvent, outcome: DbEventOutcome, stores: _Stores) -> DbEventOutcome:
    db, graph, vectors, cache = stores.db, stores.graph, stores.vectors, stores.cache
    touched = pipeline.before_change(event, graph=graph)
    if event.table in ENTITIES:
        mirrored = mirror_entity(event, graph=graph, vectors=vectors, embedder=stores.embedder)
        if mirrored is not None and (mirrored[0].extra_labels or mirrored[1]):
            node, edges = mirrored
            record_graph_schema(db, node.user_id, node.labels, (e.type for e in edges))
    elif event.table == KNOWLEDGE_TABLE:
        mirror_knowledge_entry(event, db=db, vectors=vectors, embedder=stores.embedder)
    refresh_cache(event, cache=cache)
    config = current_config(cache)
    earn_growth(event, db=db, config=config)
    pipeline.follow_change(
        event, touched, db=db, graph=graph, vectors=vectors, cache=cache, config=config
    )
    outcome.applied, deleted = record_applied(db, event)
    if deleted and event.table in ENTITIES:
        # A delivery of an older change that passed the check before this row's delete was
        # recorded may have written after the delete did: removing again, once the tombstone
        # is recorded, leaves nothing behind whichever finished last.
        remove_entity(event, graph=graph, vectors=vectors)
    elif deleted and event.table == KNOWLEDGE_TABLE:
        remove_knowledge_entry(event, vectors=vectors)
    return outcome


def parse_db_event(body: bytes) -> DbEvent:
    """The change a webhook body describes; InvalidRequest naming the field when it is not one."""
    try:
        return DbEvent.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidRequest(
            f"{field}: {first['msg']}", errors=[{"field": field, "message": first["msg"]}]
        ) from exc


_STANDING = """
select (select version from private.mirrored_rows
        where table_name = %(table)s and row_key = %(key)s) as version,
       exists (select 1 from private.erasures where user_id = %(owner)s::uuid) as owner_erased
"""
_PLACED = """
select outbox_id from private.outbox
where table_name = %(table)s and row_key = %(key)s and payload = %(payload)s
order by outbox_id desc limit 1
"""


def ledger_standing(db: Database, event: DbEvent) -> tuple[int, bool]:
    """The version of the last change applied for the row (-1 when none was), and whether the
    erasure of the row's owner has started, in one round trip."""
    params = {"table": event.table, "key": event.row_key, "owner": event.owner}
    rows = db.fetch_as_service(_STANDING, params, read_only=True)
    version = rows[0]["version"] if rows else None
    return (-1 if version is None else int(version)), bool(rows and rows[0]["owner_erased"])


def placed_in_outbox(db: Database, event: DbEvent) -> int | None:
    """The id of the outbox row holding exactly this change (the newest, should a row have
    changed to the same state twice), or None when the outbox holds no such change."""
    params = {"table": event.table, "key": event.row_key, "payload": jsonb(event.webhook_payload)}
    rows = db.fetch_as_service(_PLACED, params, read_only=True)
    return int(rows[0]["outbox_id"]) if rows else None


def record_applied(db: Database, event: DbEvent) -> tuple[bool, bool]:
    """Record the change as applied: (recorded, whether the row now stands deleted).

    Not recorded when a change as new or newer was recorded meanwhile.
    """
    params = {
        "table": event.table,
        "key": event.row_key,
        "version": event.version,
        "deleted": event.type == "DELETE",
    }
    with db.as_service() as tx:
        tx.execute(
            "select private.record_mirrored_change(%(table)s, %(key)s, %(version)s, %(deleted)s)"
            " as recorded",
            params,
        )
        recorded = bool((tx.fetchone() or {}).get("recorded"))
        tx.execute(
            "select deleted from private.mirrored_rows "
            "where table_name = %(table)s and row_key = %(key)s",
            params,
        )
        row = tx.fetchone()
    return recorded, bool(row and row["deleted"])
