"""The caller's media: prepare an upload (a pending item and a presigned PUT URL), list, read
(with a short-lived download URL once ready), delete (the row, then the object).

Object keys are the server's: `users/{user_id}/{media_id}/{safe filename}`, so a person can only
ever be handed URLs under their own prefix. Row-level security scopes every query to the caller.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, Transaction, jsonb
from dotline.errors import InvalidRequest, NotFound, ServiceUnavailable
from dotline.idempotency import Outcome, create_once
from dotline.media_types import MediaKind, kind_of
from dotline.models.media import MediaItem, MediaPage, MediaStatus, MediaUpload, MediaUploadRequest
from dotline.ports.objects import ObjectStore
from dotline.tables import Keyset

if TYPE_CHECKING:
    from psycopg import sql

logger = logging.getLogger(__name__)

UPLOAD_URL_TTL_S = 15 * 60
DOWNLOAD_URL_TTL_S = 5 * 60
MAX_KEY_FILENAME_CHARS = 100
KEY_LAYOUT = re.compile(r"^users/(?P<user_id>[0-9a-f-]{36})/(?P<media_id>[0-9a-f-]{36})/[^/]+$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

# SQL text composed with psycopg.sql where it is used, which imports psycopg with the first query.
_COLUMNS = (
    "m.media_id, m.user_id, m.memory_id, m.type, m.filename, m.mime_type, m.declared_size_bytes, "
    "m.declared_sha256, m.processing_status, m.size_bytes, m.hash as sha256, m.detected_mime_type, "
    "m.failure_reason, m.duplicate_of_media_id, m.metadata, m.created_at, m.processed_at, "
    "m.storage_url, o.storage_url as original_storage_url"
)
_FROM = (
    "public.media_items m left join public.media_items o on o.media_id = m.duplicate_of_media_id"
)
_NEWEST = Keyset("media", MediaItem, "media_id", _COLUMNS, _FROM, alias="m")
_BY_ID = "select {} from {} where m.media_id = %(id)s"
_INSERT = """
insert into public.media_items (media_id, memory_id, type, storage_url, filename, mime_type,
                                declared_size_bytes, declared_sha256, metadata)
values (%(media_id)s, %(memory_id)s, %(type)s, %(storage_url)s, %(filename)s, %(mime_type)s,
        %(size_bytes)s, %(sha256)s, %(metadata)s)
"""


def object_key(user_id: UUID, media_id: UUID, filename: str) -> str:
    """Where an item's object lives: under the owner's prefix, named by a safe form of filename."""
    return f"users/{user_id}/{media_id}/{safe_filename(filename)}"


def safe_filename(filename: str) -> str:
    """filename as one path segment of letters, digits, `.`, `_`, `-` (its end, with the
    extension, kept when long); `file` when nothing is left."""
    safe = _UNSAFE.sub("_", filename).strip("._")[-MAX_KEY_FILENAME_CHARS:].lstrip("._")
    return safe or "file"


def request_upload(
    db: Database,
    objects: ObjectStore,
    user: Principal,
    new: MediaUploadRequest,
    idempotency_key: str | None = None,
) -> tuple[int, MediaUpload]:
    """A pending item and a PUT URL for its bytes; a replay (same key) returns the same item
    with a freshly signed URL while it is still pending."""

    def insert(tx: Transaction) -> Outcome:
        _require_own_memory(tx, new.memory_id)
        media_id = uuid.uuid4()
        key = object_key(user.user_id, media_id, new.filename)
        tx.execute(_INSERT, _insert_values(new, media_id, objects.url_of(key)))
        return Outcome(201, {"media_id": str(media_id)})

    request = {"route": "media.create", "body": new.model_dump(mode="json")}
    outcome = create_once(db, user, idempotency_key, request, insert)
    with db.as_user(user) as tx:
        row = tx.execute(_by_id(), {"id": outcome.body["media_id"]}).fetchone()
    if row is None:
        raise NotFound("The item this Idempotency-Key created has been deleted.")
    upload = None
    key = objects.key_of(row["storage_url"])
    if row["processing_status"] == MediaStatus.pending and key is not None:
        upload = objects.presign_upload(
            key,
            content_type=row["mime_type"],
            size_bytes=row["declared_size_bytes"],
            expires_s=UPLOAD_URL_TTL_S,
        )
    return outcome.status, MediaUpload(media=_item(row, objects), upload=upload)


def get_media(db: Database, objects: ObjectStore, user: Principal, media_id: UUID) -> MediaItem:
    """One of the caller's items."""
    with db.as_user(user) as tx:
        row = tx.execute(_by_id(), {"id": media_id}).fetchone()
    if row is None:
        raise NotFound("No such media item.")
    return _item(row, objects)


def list_media(
    db: Database,
    objects: ObjectStore,
    user: Principal,
    *,
    limit: int,
    cursor: str | None = None,
    status: MediaStatus | None = None,
    kind: MediaKind | None = None,
) -> MediaPage:
    """A page of the caller's items, newest first, optionally of one status and kind."""
    where = []
    if status is not None:
        where.append("m.processing_status = %(status)s")
    if kind is not None:
        where.append("m.type = %(kind)s")
    order = replace(_NEWEST, hydrate=lambda row: _item(row, objects))
    with db.as_user(user) as tx:
        items, next_cursor = order.page(
            tx, where, {"status": status, "kind": kind}, limit=limit, cursor=cursor
        )
    return MediaPage(items=items, next_cursor=next_cursor)


def delete_media(db: Database, objects: ObjectStore, user: Principal, media_id: UUID) -> None:
    """Delete the item, then its object (kept when a duplicate took it over)."""
    with db.as_user(user) as tx:
        row = tx.execute(
            "select object_url from private.delete_media_item(%(id)s)", {"id": media_id}
        ).fetchone()
    if row is None:
        raise NotFound("No such media item.")
    key = objects.key_of(row["object_url"]) if row["object_url"] else None
    if key is None:
        return
    try:
        objects.delete(key)
    except ServiceUnavailable:  # the item is gone either way; the object is an orphan to sweep
        logger.exception("media %s deleted but its object %s could not be removed", media_id, key)


def _require_own_memory(tx: Transaction, memory_id: UUID | None) -> None:
    if memory_id is None:
        return
    found = tx.execute(
        "select 1 from public.memories where memory_id = %(id)s", {"id": memory_id}
    ).fetchone()
    if found is None:
        message = "is not one of your memories"
        raise InvalidRequest(
            f"memory_id: {message}", errors=[{"field": "memory_id", "message": message}]
        )


def _insert_values(new: MediaUploadRequest, media_id: UUID, storage_url: str) -> dict[str, Any]:
    return {
        "media_id": media_id,
        "memory_id": new.memory_id,
        "type": kind_of(new.content_type).value,
        "storage_url": storage_url,
        "filename": new.filename,
        "mime_type": new.content_type,
        "size_bytes": new.size_bytes,
        "sha256": new.sha256,
        "metadata": jsonb(new.metadata),
    }


def _item(row: dict[str, Any], objects: ObjectStore) -> MediaItem:
    """The API's view of a row: a download URL for ready bytes (a duplicate's are the original's)."""
    status = row["processing_status"]
    stored_at = {
        MediaStatus.ready: row["storage_url"],
        MediaStatus.duplicate: row["original_storage_url"],
    }
    url = stored_at.get(status)
    key = objects.key_of(url) if url else None
    download = None
    if key is not None:
        name = safe_filename(row["filename"] or "file")
        download = objects.presign_download(key, filename=name, expires_s=DOWNLOAD_URL_TTL_S)
    return MediaItem.model_validate({**row, "download_url": download})


def _by_id() -> sql.Composed:
    from psycopg import sql

    return sql.SQL(_BY_ID).format(sql.SQL(_COLUMNS), sql.SQL(_FROM))
