"""What a handler returns, turned into an HTTP response by HTTP API payload 2.0 rules."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any


class MalformedLambdaResult(ValueError):
    """The handler returned something API Gateway could not turn into a response."""


@dataclass(frozen=True)
class HttpResponse:
    """Status, headers (repeats allowed, e.g. Set-Cookie) and the body bytes."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def http_response(result: Any) -> HttpResponse:
    """Convert a handler's result; raises MalformedLambdaResult where API Gateway answers 502."""
    try:
        # The runtime serialises the result to JSON before API Gateway sees it; do the same so a
        # result Lambda would reject (a set, a datetime) fails here too.
        payload = json.loads(json.dumps(result))
    except (TypeError, ValueError) as exc:
        raise MalformedLambdaResult(f"result is not JSON-serialisable: {exc}") from exc
    if not isinstance(payload, dict) or "statusCode" not in payload:
        # Payload 2.0: any other valid JSON is a 200 whose body is that JSON.
        body = json.dumps(payload).encode("utf-8")
        return HttpResponse(200, [("content-type", "application/json")], body)
    return _structured(payload)


def _structured(payload: dict[str, Any]) -> HttpResponse:
    status = payload["statusCode"]
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedLambdaResult(f"statusCode {status!r} is not an HTTP status")
    single = payload.get("headers") or {}
    headers = [(str(k).lower(), _header_value(v)) for k, v in single.items()]
    for name, values in (payload.get("multiValueHeaders") or {}).items():
        headers.extend((str(name).lower(), _header_value(v)) for v in values)
    headers.extend(("set-cookie", str(cookie)) for cookie in payload.get("cookies") or [])
    body = payload.get("body")
    if body is None:
        return HttpResponse(status, headers, b"")
    if not isinstance(body, str):
        raise MalformedLambdaResult("body must be a string")
    if payload.get("isBase64Encoded"):
        try:
            return HttpResponse(status, headers, base64.b64decode(body, validate=True))
        except binascii.Error as exc:
            raise MalformedLambdaResult("body is not valid base64") from exc
    return HttpResponse(status, headers, body.encode("utf-8"))


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
