"""Keyset pagination: the opaque, signed cursor a list hands out and takes back.

A cursor is `<payload>.<mac>`: the payload names the ordering, the last row's sort key and id;
the mac is an HMAC-SHA256 of the payload under `CURSOR_SECRET` (truncated to 128 bits), so a
cursor the API did not hand out is refused (400) before any of it is read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from dotline.errors import BadRequest, InvalidRequest

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAC_BYTES = 16


def encode_cursor(kind: str, key: Any, row_id: Any) -> str:
    """An opaque cursor for the row after which the next page starts (kind names the ordering)."""
    raw = json.dumps([kind, key, row_id], default=str, separators=(",", ":")).encode()
    return f"{_b64(raw)}.{_b64(_mac(raw))}"


def decode_cursor(cursor: str, kind: str, field: str = "query.cursor") -> tuple[Any, str]:
    """The (sort key, id) a cursor holds: BadRequest naming `field` when the API did not hand it
    out, InvalidRequest when it belongs to another ordering."""
    payload, _, mac = cursor.partition(".")
    try:
        raw = _unb64(payload)
        genuine = hmac.compare_digest(_unb64(mac), _mac(raw))
    except (ValueError, binascii.Error):
        genuine = False
    if not genuine:
        message = "is not a cursor this API handed out"
        raise BadRequest(f"{field}: {message}", errors=[{"field": field, "message": message}])
    found_kind, key, row_id = json.loads(raw)
    if found_kind != kind or not isinstance(row_id, str | int):
        raise _other_list(field)
    return key, str(row_id)


def decode_time_cursor(cursor: str, kind: str, field: str = "query.cursor") -> tuple[datetime, str]:
    """The (timestamp, id) of a newest-first list's cursor; refused as `decode_cursor` does."""
    key, row_id = decode_cursor(cursor, kind, field)
    try:
        return datetime.fromisoformat(str(key)), str(UUID(row_id))
    except ValueError as exc:
        raise _other_list(field) from exc


def _other_list(field: str) -> InvalidRequest:
    message = "belongs to another list or sort order"
    return InvalidRequest(f"{field}: {message}", errors=[{"field": field, "message": message}])


def _key() -> bytes:
    # The current settings (a rotated deployment secret included), loaded on first use only.
    from dotline.settings import get_settings

    return get_settings().cursor_secret.get_secret_value().encode()


def _mac(raw: bytes) -> bytes:
    return hmac.new(_key(), raw, hashlib.sha256).digest()[:MAC_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))
