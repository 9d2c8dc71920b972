"""Translation between Upstash REST JSON and Redis: command arguments in, replies and errors out."""

from __future__ import annotations

import base64
import json
from typing import Any

from redis.exceptions import RedisError, ResponseError


class BadCommand(ValueError):
    """The request body is not a command Upstash would accept."""


def command_args(raw: Any) -> list[bytes]:
    """A JSON command (`["SET", "k", 1]`) as the bytes Redis receives."""
    if not isinstance(raw, list) or not raw or not isinstance(raw[0], str):
        raise BadCommand("ERR a command is a non-empty JSON array starting with its name")
    return [_arg(item) for item in raw]


def _arg(item: Any) -> bytes:
    if isinstance(item, str):
        return item.encode("utf-8")
    if isinstance(item, bool) or item is None or isinstance(item, dict | list):
        # The SDK sends JSON-ish values as JSON text; other clients may not, so do the same.
        return json.dumps(item).encode("utf-8")
    if isinstance(item, int | float):
        return str(item).encode("ascii")
    raise BadCommand(f"ERR unsupported argument type {type(item).__name__}")


def reply_json(value: Any, *, encode_base64: bool) -> Any:
    """A Redis reply as Upstash renders it: ints and nil as they are, strings as text or, when
    the client sent `Upstash-Encoding: base64`, base64 (recursively through arrays)."""
    if value is None or isinstance(value, bool | int):
        return int(value) if isinstance(value, bool) else value
    if isinstance(value, float):
        return value
    if isinstance(value, list | tuple):
        return [reply_json(item, encode_base64=encode_base64) for item in value]
    if isinstance(value, dict):
        flat = [part for pair in value.items() for part in pair]
        return reply_json(flat, encode_base64=encode_base64)
    if isinstance(value, ResponseError):
        return error_message(value)
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
    # A status reply of "OK" is sent plain: the SDKs special-case it under base64.
    if encode_base64 and raw != b"OK":
        return base64.b64encode(raw).decode("ascii")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii")


def error_message(exc: Exception) -> str:
    """Redis's own error text, code first (`ERR ...`, `WRONGTYPE ...`), as Upstash relays it."""
    message = str(exc)
    if not isinstance(exc, RedisError):
        return f"ERR {message}"
    code = getattr(exc, "status_code", None)
    if code:
        return f"{code} {message}"
    first = message.split(" ", 1)[0]
    if isinstance(exc, ResponseError) and first.isupper() and first.isalpha():
        return message
    return f"ERR {message}"
