"""Media test helpers: unique image bytes, and the request, PUT and key steps of an upload."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from conftest import User

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff\xe0"


def png(size: int = 2048) -> bytes:
    """A PNG-signed blob of random bytes: unique content every call."""
    return PNG_SIGNATURE + secrets.token_bytes(size - len(PNG_SIGNATURE))


def jpeg(size: int = 2048) -> bytes:
    return JPEG_SIGNATURE + secrets.token_bytes(size - len(JPEG_SIGNATURE))


def key_of(upload: dict[str, Any]) -> str:
    """The object key inside a presigned path-style URL (http://host/bucket/key?...)."""
    path = httpx.URL(upload["url"]).path
    return path.split("/", 2)[2]


def request_upload(
    api: httpx.Client, user: User, content: bytes, **overrides: Any
) -> dict[str, Any]:
    """POST /v1/media for content (a PNG unless overridden); asserts the 201."""
    body = {"filename": "photo.png", "content_type": "image/png", "size_bytes": len(content)}
    response = api.post("/v1/media", json={**body, **overrides}, headers=user.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def put_bytes(created: dict[str, Any], content: bytes) -> None:
    """PUT content to the presigned URL with the headers it was signed for."""
    upload = created["upload"]
    response = httpx.put(upload["url"], content=content, headers=upload["headers"], timeout=10)
    assert response.status_code == 200, response.text


def media_path(created: dict[str, Any]) -> str:
    return f"/v1/media/{created['media']['media_id']}"
