"""Importing a person's history: stored whole in one transaction with its original times, then
ingested through the same pipeline as any ended conversation.

`record` runs as the caller: one statement (private.record_import) stores the import row, every
session as an ended conversation with its messages (or every memory), and answers with the first
import when the id was seen before. The ingestion function's claim takes the new conversations on
its next run (oldest first, as any ended conversation); `progress` reads how far it got.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, jsonb
from dotline.errors import Conflict, NotFound
from dotline.models.imports import ImportProgress, ImportReceipt, ImportRequest, ImportStatus

_RECORD = """
select import_id, replayed, conflicting
from private.record_import(%(import_id)s, %(kind)s, %(hash)s, %(document)s)
"""
_PROGRESS = "select * from private.import_progress(%(import_id)s)"


def record(
    db: Database, user: Principal, request: ImportRequest, idempotency_key: str | None
) -> ImportReceipt:
    """Store the import whole, or answer the import this id named before (Conflict when that
    one held other content)."""
    import_id = request.import_key(user.user_id, idempotency_key)
    params = {
        "import_id": import_id,
        "kind": request.kind,
        "hash": request.content_hash(),
        "document": jsonb(request.document()),
    }
    with db.as_user(user) as tx:
        stored = tx.execute(_RECORD, params).fetchone()
        assert stored is not None  # one row, new or replayed
        if stored["conflicting"]:
            raise Conflict(
                "This import id was already used for other content; use a new import_id "
                "or Idempotency-Key.",
                import_id=str(import_id),
            )
        row = tx.execute(_PROGRESS, {"import_id": import_id}).fetchone()
    assert row is not None
    return _receipt(row, replayed=bool(stored["replayed"]))


def progress(db: Database, user: Principal, import_id: UUID) -> ImportReceipt:
    """The caller's import and how far its ingestion got (NotFound for anyone else's)."""
    rows = db.fetch_as_user(user, _PROGRESS, {"import_id": import_id}, read_only=True)
    if not rows:
        raise NotFound("No such import.")
    return _receipt(rows[0], replayed=False)


def _receipt(row: dict[str, Any], *, replayed: bool) -> ImportReceipt:
    total, ingested, failed = row["conversations"], row["processed"], row["failed"]
    return ImportReceipt(
        import_id=row["import_id"],
        kind=row["kind"],
        status=_status(row),
        received_at=row["received_at"],
        finished_at=row["finished_at"] if total and ingested == total else None,
        replayed=replayed,
        sessions=row["session_count"],
        turns=row["turn_count"],
        memories=row["memory_count"],
        progress=ImportProgress(
            total=total,
            ingested=ingested,
            failed=failed,
            percent=round(100.0 * ingested / total, 1) if total else 100.0,
        ),
    )


def _status(row: dict[str, Any]) -> ImportStatus:
    """Memories are searchable once stored; a transcript is done once every conversation it
    became is ingested, failed once ingestion gave up on one."""
    total, ingested = row["conversations"], row["processed"]
    if row["failed"]:
        return "failed"
    if ingested == total:
        return "done"
    if ingested or row["processing"]:
        return "running"
    return "pending"
