"""The limits every request's input meets before a route sees it, checked once for all routes.

A body must be JSON (`application/json`, UTF-8), nest at most `MAX_JSON_DEPTH` levels, and hold
no string longer than `MAX_STRING_CHARS`, no NUL, no lone surrogate, no NaN or infinity and no
integer past 64 bits; query and path parameters must be UTF-8 without NUL. Each refusal names
the field. What is refused here is what the pipeline behind the API cannot carry: Postgres text
refuses NUL, a deep value breaks every later read of it and the webhook that mirrors it, and a
non-finite number is no JSON at all.

The standard library's parser is used as it is (a value nested past the interpreter's recursion
limit is a RecursionError, refused as too deep); every look at the parsed value is iterative.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

from dotline.errors import InvalidRequest, UnsupportedMediaType

MAX_JSON_DEPTH = 32
# A change as the webhook receives it wraps a row (and its JSON columns) in two more levels.
WEBHOOK_MAX_JSON_DEPTH = MAX_JSON_DEPTH + 8
MAX_STRING_CHARS = 50_000
MAX_PARAMETER_CHARS = 4_096
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
JSON_MEDIA_TYPE = "application/json"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# NUL, which Postgres text cannot hold, and halves of surrogate pairs, which UTF-8 cannot encode.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# How a NUL or a surrogate gets into a JSON text that is valid UTF-8: escaped.
_ESCAPED_UNSTORABLE = re.compile(r"\\u0000|\\u[dD][89a-fA-F]")


def check_request(event: Mapping[str, Any], *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise the problem (415, or 422 naming the field) for the first input the limits refuse."""
    _check_parameters(event)
    method = ((event.get("requestContext") or {}).get("http") or {}).get("method")
    if method in BODY_METHODS:
        body = _body_bytes(event)
        if body:
            _check_media_type((event.get("headers") or {}).get("content-type"))
            check_json_text(_utf8(body, "body"), max_depth=max_depth)


def check_json_text(text: str, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse a JSON document the pipeline cannot carry; text that is no JSON at all is left to
    the validation that follows (it answers 422 for the body).

    Cheap filters decide whether the exact walk (the one that names the field) is needed: one
    pass level by level over the values, one search of the raw text for escaped NULs and
    surrogates. A body of 1,000 events costs a few milliseconds."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:
        raise _invalid("body", f"nests deeper than {max_depth} levels") from exc
    except _Refused as refused:
        raise _invalid("body", refused.message) from refused
    except ValueError:
        return  # not JSON (or an integer of thousands of digits): the validator says so
    if _ESCAPED_UNSTORABLE.search(text) or _may_be_refused(value, max_depth):
        _check_every_value(value, max_depth)


def _may_be_refused(value: Any, max_depth: int) -> bool:
    """Whether the document may nest past max_depth or hold a string, integer or float out of
    bounds, level by level (a quick filter without paths: the walk decides)."""
    level, depth = [value], 0
    while level:
        depth += 1
        if depth > max_depth + 1:
            return True
        below = []
        for item in level:
            kind = type(item)
            if kind is dict or kind is list:
                below.extend(item.values() if kind is dict else item)
            elif kind is str:
                if len(item) > MAX_STRING_CHARS:
                    return True
            elif kind is int:
                if not INT64_MIN <= item <= INT64_MAX:
                    return True
            elif kind is float and math.isinf(item):
                return True
        level = below
    return False


def _check_every_value(value: Any, max_depth: int) -> None:
    for path, item, depth in _walk(value):
        if depth > max_depth:
            raise _invalid(path, f"nests deeper than {max_depth} levels")
        if isinstance(item, str):
            _check_text(path, item, MAX_STRING_CHARS)
        elif isinstance(item, float) and math.isinf(item):
            raise _invalid(path, "is a number too large for a double")
        elif isinstance(item, int) and not INT64_MIN <= item <= INT64_MAX:
            raise _invalid(path, "is outside the 64-bit integer range")


def _walk(value: Any) -> Iterator[tuple[str, Any, int]]:
    """Every value and object key in a parsed document with its dotted path and depth, without
    recursion."""
    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    while stack:
        path, item, depth = stack.pop()
        yield path or "body", item, depth
        if isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{path}.{key}" if path else str(key)
                yield child_path, str(key), depth + 1
                stack.append((child_path, child, depth + 1))
        elif isinstance(item, list):
            stack.extend(
                (f"{path}.{i}" if path else str(i), child, depth + 1)
                for i, child in enumerate(item)
            )


def _check_parameters(event: Mapping[str, Any]) -> None:
    for name, value in (event.get("pathParameters") or {}).items():
        _check_text(f"path.{name}", str(value), MAX_PARAMETER_CHARS)
    raw_query = event.get("rawQueryString") or ""
    for pair in raw_query.split("&") if raw_query else ():
        raw_name, _, raw_value = pair.partition("=")
        name = _utf8(_percent_decoded(raw_name), "query")
        field = f"query.{_UNSTORABLE.sub('?', name)}"
        _check_text(field, name, MAX_PARAMETER_CHARS)
        _check_text(field, _utf8(_percent_decoded(raw_value), field), MAX_PARAMETER_CHARS)
    for name, value in (event.get("queryStringParameters") or {}).items():
        _check_text(f"query.{_UNSTORABLE.sub('?', str(name))}", str(value), MAX_PARAMETER_CHARS)


def _percent_decoded(raw: str) -> bytes:
    return unquote_to_bytes(raw.replace("+", " "))


def _check_text(field: str, value: str, max_chars: int) -> None:
    if len(value) > max_chars:
        raise _invalid(field, f"is longer than {max_chars} characters")
    found = _UNSTORABLE.search(value)
    if found is not None:
        what = "a NUL character" if found.group() == "\x00" else "an unpaired surrogate"
        raise _invalid(field, f"contains {what}")


def _check_media_type(content_type: str | None) -> None:
    media_type, *params = (content_type or "").split(";")
    if media_type.strip().lower() != JSON_MEDIA_TYPE:
        raise UnsupportedMediaType(f"A request body must be {JSON_MEDIA_TYPE}.")
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            raise UnsupportedMediaType(f"A request body must be {JSON_MEDIA_TYPE} in UTF-8.")


def _body_bytes(event: Mapping[str, Any]) -> bytes:
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid("body", "is not valid base64") from exc


def _utf8(raw: bytes, field: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid(field, f"is not valid UTF-8 (byte {exc.start})") from exc


class _Refused(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _no_constant(name: str) -> float:
    raise _Refused(f"holds {name}, which is not a JSON number")


def _invalid(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"{field}: {message}", errors=[{"field": field, "message": message}])
