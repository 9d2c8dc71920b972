"""What the S3-event function does with one stored object: find its media item, stream the bytes
through SHA-256 (never holding the whole object), sniff the type, and settle the item as ready,
duplicate or failed in one transaction (`private.settle_media_upload`).

S3 delivers each event at least once: an item settles once, and a redelivery only repeats the
idempotent clean-up (a duplicate's or a failed item's object is removed again).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from dataclasses import dataclass

from dotline.db import Database
from dotline.errors import NotFound
from dotline.media_types import SNIFF_BYTES, sniff
from dotline.models.media import MAX_UPLOAD_BYTES, MediaStatus, StoredObjectOutcome
from dotline.ports.objects import ObjectStore
from dotline.services.media.media import KEY_LAYOUT

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024

_FIND = """
select media_id, user_id, processing_status, mime_type, declared_size_bytes, declared_sha256
from public.media_items where storage_url = %(url)s
"""
_SETTLE = """
select processing_status, duplicate_of_media_id, changed
from private.settle_media_upload(%(media_id)s, %(sha256)s, %(size)s, %(detected)s, %(reason)s)
"""
_DISCARDED = frozenset({MediaStatus.duplicate, MediaStatus.failed})


@dataclass(frozen=True)
class Digest:
    """What streaming an object told: its SHA-256, size and sniffed type (None past the cap)."""

    sha256: str | None
    size_bytes: int | None
    detected_mime_type: str | None


def process_stored_object(
    db: Database, objects: ObjectStore, bucket: str, key: str, *, max_bytes: int = MAX_UPLOAD_BYTES
) -> StoredObjectOutcome:
    """Settle the media item whose object was just stored (an S3 ObjectCreated record); an
    object past max_bytes fails without being read further."""
    if objects.key_of(f"s3://{bucket}/{key}") != key:
        logger.warning("ignored an object in bucket %s, not the media bucket: %s", bucket, key)
        return StoredObjectOutcome(key=key, outcome="ignored")
    with db.as_service() as tx:
        item = tx.execute(_FIND, {"url": objects.url_of(key)}).fetchone()
    if item is None:
        return _unclaimed(objects, key)
    media_id, status = item["media_id"], MediaStatus(item["processing_status"])
    if not key.startswith(f"users/{item['user_id']}/"):
        logger.warning("ignored %s: media %s belongs to another prefix", key, media_id)
        return StoredObjectOutcome(key=key, media_id=media_id, outcome="ignored")
    if status not in (MediaStatus.pending, MediaStatus.processing):
        if status in _DISCARDED:
            objects.delete(key)
        logger.info("media %s already %s; event for %s changes nothing", media_id, status, key)
        return StoredObjectOutcome(key=key, media_id=media_id, status=status, outcome="unchanged")
    try:
        digest = digest_object(objects, key, max_bytes)
    except NotFound:
        logger.warning("media %s: its object %s is gone before it was read", media_id, key)
        return StoredObjectOutcome(key=key, media_id=media_id, status=status, outcome="missing")
    reason = failure_reason(item, digest, max_bytes)
    with db.as_service() as tx:
        settled = tx.execute(_SETTLE, _settle_values(media_id, digest, reason)).fetchone()
    if settled is None:  # deleted while we read it; the delete removed the object too
        logger.info("media %s was deleted while %s was read", media_id, key)
        return StoredObjectOutcome(key=key, media_id=media_id, outcome="ignored")
    status = MediaStatus(settled["processing_status"])
    if status in _DISCARDED:
        objects.delete(key)  # a duplicate's bytes live in the original; a failure's are unusable
    logger.info(
        "media %s %s (%s bytes, %s)%s",
        media_id,
        status,
        digest.size_bytes,
        digest.detected_mime_type,
        f": {reason}" if reason else "",
    )
    outcome = "settled" if settled["changed"] else "unchanged"
    return StoredObjectOutcome(
        key=key,
        media_id=media_id,
        status=status,
        duplicate_of_media_id=settled["duplicate_of_media_id"],
        outcome=outcome,
    )


def digest_object(objects: ObjectStore, key: str, max_bytes: int = MAX_UPLOAD_BYTES) -> Digest:
    """Stream the object once: SHA-256, size and the leading bytes; stop reading past max_bytes."""
    sha = hashlib.sha256()
    size = 0
    head = b""
    with contextlib.closing(objects.read(key, chunk_bytes=CHUNK_BYTES)) as chunks:
        for chunk in chunks:
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
            size += len(chunk)
            if size > max_bytes:
                return Digest(None, None, sniff(head))
            sha.update(chunk)
    return Digest(sha.hexdigest(), size, sniff(head))


def failure_reason(
    item: dict[str, object], digest: Digest, max_bytes: int = MAX_UPLOAD_BYTES
) -> str | None:
    """Why the object cannot become the item's bytes, in words a person can act on (None: fine)."""
    declared_type = item["mime_type"]
    if digest.size_bytes is None:
        return f"the object is larger than the {max_bytes} bytes allowed"
    if item["declared_size_bytes"] is not None and digest.size_bytes != item["declared_size_bytes"]:
        return f"the object has {digest.size_bytes} bytes, not the {item['declared_size_bytes']} declared"
    if item["declared_sha256"] is not None and digest.sha256 != item["declared_sha256"]:
        return "the object's SHA-256 differs from the one declared"
    if digest.detected_mime_type is None:
        return f"declared {declared_type} but the content is not any accepted type"
    if digest.detected_mime_type != declared_type:
        return f"declared {declared_type} but the content is {digest.detected_mime_type}"
    return None


def _unclaimed(objects: ObjectStore, key: str) -> StoredObjectOutcome:
    """An object no item claims: one in the upload layout outlived its item (deleted before the
    bytes arrived) and is removed; anything else is not ours to touch."""
    if KEY_LAYOUT.match(key):
        objects.delete(key)
        logger.warning("removed %s: no media item claims it (deleted before it arrived)", key)
        return StoredObjectOutcome(key=key, outcome="removed")
    logger.warning("ignored %s: no media item claims it", key)
    return StoredObjectOutcome(key=key, outcome="ignored")


def _settle_values(media_id: object, digest: Digest, reason: str | None) -> dict[str, object]:
    return {
        "media_id": media_id,
        "sha256": None if reason else digest.sha256,
        "size": digest.size_bytes,
        "detected": digest.detected_mime_type,
        "reason": reason,
    }
