"""Keyset pagination: the opaque cursor a list hands out and takes back."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from dotline.errors import InvalidRequest

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def encode_cursor(kind: str, key: Any, row_id: Any) -> str:
    """An opaque cursor for the row after which the next page starts (kind names the ordering)."""
    raw = json.dumps([kind, key, row_id], default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, field: str = "query.cursor") -> tuple[Any, str]:
    """The (sort key, id) a cursor holds; InvalidRequest naming `field` if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        found_kind, key, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise _bad(field) from exc
    if found_kind != kind or not isinstance(row_id, str | int):
        raise _bad(field)
    return key, str(row_id)


def _bad(field: str) -> InvalidRequest:
    message = "is not a cursor this list handed out (or it belongs to another sort order)"
    return InvalidRequest(f"{field}: {message}", errors=[{"field": field, "message": message}])


def decode_time_cursor(cursor: str, kind: str, field: str = "query.cursor") -> tuple[datetime, str]:
    """The (timestamp, id) of a newest-first list's cursor; InvalidRequest naming `field` if bad."""
    key, row_id = decode_cursor(cursor, kind, field)
    try:
        return datetime.fromisoformat(str(key)), str(UUID(row_id))
    except ValueError as exc:
        raise _bad(field) from exc
