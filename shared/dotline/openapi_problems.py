"""The problem responses every operation documents, added once to each function's OpenAPI spec.

Powertools documents a route's success and a 422 in its own shape; what the resolver really
answers on failure is an RFC 9457 problem (`application/problem+json`), with these statuses:
every operation may be 401 (every route authenticates its caller, by token or by signature),
404 (no such item), 422 (a value refused), 429 (rate limited) and 503 (a backend unreachable);
one that needs a token also 403; one that takes a cursor 400 (a cursor
the API did not hand out); one that takes a body 409, 413 and 415.
"""

from __future__ import annotations

from typing import Any

from dotline.problems import PROBLEM_CONTENT_TYPE

PROBLEM_SCHEMA = "Problem"
_REF = {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA}"}
# Powertools' own 422 shape, which no response of ours takes.
_UNUSED_SCHEMAS = ("HTTPValidationError", "ValidationError")
_BODY_METHODS = frozenset({"post", "put", "patch", "delete"})

DESCRIPTIONS = {
    400: "A cursor (or other opaque value) the API did not hand out",
    401: "No valid access token (or the account is erased)",
    403: "The caller may not do this",
    404: "No such item for this caller",
    409: "The request clashes with the current state (or replays a delivery)",
    413: "The body is too large",
    415: "The body is not JSON in UTF-8",
    422: "A value is not acceptable; `errors` names each field",
    429: "Too many requests; see Retry-After",
    503: "A backend is unreachable; retrying later may succeed",
}

_PROBLEM: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem document",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}


def document_problems(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` with each operation's problem responses and the Problem schema (changed in place)."""
    for item in (spec.get("paths") or {}).values():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                _document(method, operation)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in _UNUSED_SCHEMAS:
        schemas.pop(name, None)
    schemas[PROBLEM_SCHEMA] = _PROBLEM
    return spec


def _document(method: str, operation: dict[str, Any]) -> None:
    statuses = {401, 404, 422, 429, 503}
    if operation.get("security"):
        statuses.add(403)
    if method in _BODY_METHODS:
        statuses |= {409, 413, 415}
    if any(str(p.get("name")).endswith("cursor") for p in operation.get("parameters") or []):
        statuses.add(400)
    responses = operation["responses"]
    for status in sorted(statuses):
        responses[str(status)] = {
            "description": DESCRIPTIONS[status],
            "content": {PROBLEM_CONTENT_TYPE: {"schema": _REF}},
        }
