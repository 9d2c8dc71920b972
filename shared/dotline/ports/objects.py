"""The object storage port: where uploaded media and large exports live (S3; moto locally)."""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel


class PresignedUpload(BaseModel):
    """A URL the client may PUT exactly one object to, with the headers it must send."""

    url: str
    method: str = "PUT"
    headers: dict[str, str]
    expires_at: datetime


class ObjectStore(Protocol):
    """Objects under keys in one bucket; URLs handed to clients are signed and short-lived.
    A storage failure reaches the caller as ServiceUnavailable."""

    def url_of(self, key: str) -> str:
        """The object's stable location, `s3://<bucket>/<key>` (what an S3 event names)."""

    def key_of(self, url: str) -> str | None:
        """The key inside a url_of() location, or None when it is not in this store's bucket."""

    def presign_upload(
        self, key: str, *, content_type: str, size_bytes: int, expires_s: int
    ) -> PresignedUpload:
        """A PUT URL signed for exactly this Content-Type and Content-Length; it never
        overwrites an object already stored under key (the bytes, once hashed, stay)."""

    def presign_download(self, key: str, *, filename: str | None, expires_s: int) -> str:
        """A GET URL for the object, served as an attachment named filename when given."""

    def read(self, key: str, *, chunk_bytes: int) -> Generator[bytes, None, None]:
        """The object's bytes in chunks of at most chunk_bytes, streamed; NotFound when it is gone."""

    def write(self, key: str, body: bytes, *, content_type: str) -> None:
        """Store body under key, encrypted at rest as the bucket is, replacing what was there."""

    def keys_under(self, prefix: str) -> list[str]:
        """Every key starting with prefix (all pages), in key order."""

    def delete(self, key: str) -> None:
        """Remove the object; removing one that is not there succeeds."""
