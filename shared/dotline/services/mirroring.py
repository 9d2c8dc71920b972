"""Applying a database change to the graph, the vector index and the cache, exactly once in effect.

The ledger (`private.mirrored_rows`) holds the version of the last change applied for each
source row, deletes included. A change no newer than that is a redelivery or arrived late, and
changes nothing; a newer one is applied (every write idempotent and versioned) and then recorded.
A crash between the two leaves the change unrecorded, so its redelivery applies it again, to the
same effect.

After the mirrors, the change earns its growth (growth_earned) and the cards it touches have their
evolution kept current and announced (card_pipeline).
"""

from __future__ import annotations

from pydantic import ValidationError

from dotline.db import Database
from dotline.errors import InvalidRequest
from dotline.growth_rules import current_config
from dotline.models.db_events import DbEvent, DbEventOutcome
from dotline.ports.cache import Cache
from dotline.ports.embeddings import Embedder
from dotline.ports.graph import GraphStore
from dotline.ports.vectors import VectorStore
from dotline.services import card_pipeline
from dotline.services.growth_earned import earn_growth
from dotline.services.mirrored_cache import refresh_cache
from dotline.services.mirrored_entities import ENTITIES, mirror_entity, remove_entity


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
    outcome = DbEventOutcome(
        applied=False, table=event.table, row_key=event.row_key, version=event.version
    )
    if applied_version(db, event.table, event.row_key) >= event.version:
        return outcome
    touched = card_pipeline.before_change(event, graph=graph)
    if event.table in ENTITIES:
        mirror_entity(event, graph=graph, vectors=vectors, embedder=embedder)
    refresh_cache(event, cache=cache)
    config = current_config(cache)
    earn_growth(event, db=db, config=config)
    card_pipeline.follow_change(event, touched, db=db, graph=graph, cache=cache, config=config)
    outcome.applied, deleted = record_applied(db, event)
    if deleted and event.table in ENTITIES:
        # A delivery of an older change that passed the check before this row's delete was
        # recorded may have written after the delete did: removing again, once the tombstone
        # is recorded, leaves nothing behind whichever finished last.
        remove_entity(event, graph=graph, vectors=vectors)
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


def applied_version(db: Database, table: str, row_key: str) -> int:
    """The version of the last change applied for the row; -1 when none was."""
    with db.as_service() as tx:
        tx.execute(
            "select version from private.mirrored_rows "
            "where table_name = %(table)s and row_key = %(key)s",
            {"table": table, "key": row_key},
        )
        row = tx.fetchone()
    return int(row["version"]) if row else -1


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
