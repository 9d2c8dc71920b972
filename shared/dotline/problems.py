"""RFC 9457 problem details: the one shape every error response takes."""

from __future__ import annotations

import json
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://dotline.dev/problems/"


def problem_body(
    status: int, slug: str, title: str, detail: str, instance: str | None = None, **extensions: Any
) -> dict[str, Any]:
    """A problem document with a stable `type` URI for `slug`."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return body


def problem_json(body: dict[str, Any]) -> str:
    """Serialise a problem document (values the JSON encoder does not know become strings)."""
    return json.dumps(body, default=str, separators=(",", ":"))
