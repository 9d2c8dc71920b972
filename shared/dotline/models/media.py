"""Media items as the API shows them, what a person declares to upload one, and its upload URL."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from dotline.media_types import ACCEPTED, MediaKind
from dotline.ports.objects import PresignedUpload

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # 50 MiB: photos, voice notes and documents, not video
MAX_METADATA_KEYS = 50

Filename = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Sha256 = Annotated[str, StringConstraints(to_lower=True, pattern=r"^[0-9a-f]{64}$")]


class MediaStatus(StrEnum):
    """Where an item is: waiting for its object, or settled by the S3-event function."""

    pending = "pending"
    processing = "processing"
    ready = "ready"
    duplicate = "duplicate"
    failed = "failed"


class MediaItem(BaseModel):
    """One of the caller's media items; download_url (short-lived) once its bytes are ready."""

    media_id: UUID
    user_id: UUID
    memory_id: UUID | None
    type: MediaKind
    filename: str | None
    mime_type: str | None = Field(description="The content type declared at upload")
    declared_size_bytes: int | None
    declared_sha256: str | None
    processing_status: MediaStatus
    size_bytes: int | None = Field(description="The stored object's size, once processed")
    sha256: str | None = Field(description="The stored object's SHA-256 (hex), once ready")
    detected_mime_type: str | None = Field(description="The type its leading bytes show")
    failure_reason: str | None
    duplicate_of_media_id: UUID | None = Field(
        description="Your earlier item with the same bytes (status duplicate)"
    )
    metadata: dict[str, Any]
    created_at: datetime
    processed_at: datetime | None
    download_url: str | None = None


class MediaPage(BaseModel):
    """A page of media items, newest first; pass next_cursor back as `cursor` (null: no more)."""

    items: list[MediaItem]
    next_cursor: str | None


class MediaUploadRequest(BaseModel):
    """An upload to prepare: the file's name, type and exact size (the URL is signed for them)."""

    model_config = ConfigDict(extra="forbid")

    filename: Filename
    content_type: str = Field(
        json_schema_extra={"enum": list(ACCEPTED)}, description="One of the accepted types"
    )
    size_bytes: int = Field(ge=1, le=MAX_UPLOAD_BYTES, description="The exact size in bytes")
    sha256: Sha256 | None = Field(
        default=None, description="The file's SHA-256 (hex); an object that differs fails"
    )
    memory_id: UUID | None = Field(default=None, description="Attach it to one of your memories")
    metadata: dict[str, Any] = Field(default_factory=dict, max_length=MAX_METADATA_KEYS)

    @field_validator("content_type")
    @classmethod
    def _accepted(cls, value: str) -> str:
        normalised = value.strip().lower()
        if normalised not in ACCEPTED:
            raise ValueError(f"must be one of {sorted(ACCEPTED)}")
        return normalised


class MediaUpload(BaseModel):
    """The item (pending until its object arrives) and where to PUT the bytes (null once the
    item has left pending, e.g. on a replayed create)."""

    media: MediaItem
    upload: PresignedUpload | None


class StoredObjectOutcome(BaseModel):
    """What the S3-event function did with one object: settled its item now, found it settled
    already (unchanged), found none (ignored, or removed as an orphan), or found it gone."""

    key: str
    media_id: UUID | None = None
    status: MediaStatus | None = None
    duplicate_of_media_id: UUID | None = None
    outcome: Literal["settled", "unchanged", "ignored", "removed", "missing"]
