"""Annotations: notes and media a person pins to any node of their graph, addressed by id and type."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from dotline.models.memories import Content, Kind, Url

# Target types whose ids are checked: the target must be the caller's own.
CHECKED_TARGET_TYPES = ("memory", "concept", "conversation")


class Annotation(BaseModel):
    """One of the caller's annotations."""

    annotation_id: UUID
    user_id: UUID
    target_id: UUID
    target_type: str
    annotation_type: str
    text_content: str | None
    media_url: str | None
    source: str
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class AnnotationPage(BaseModel):
    """A page of annotations, newest first; pass next_cursor back as `cursor` (null: no more)."""

    items: list[Annotation]
    next_cursor: str | None


class AnnotationCreate(BaseModel):
    """A new annotation: text, a media URL, or both."""

    model_config = ConfigDict(extra="forbid")

    target_id: UUID
    target_type: Kind = Field(
        description=f"{', '.join(CHECKED_TARGET_TYPES)} (checked to be yours) or another node type"
    )
    annotation_type: Kind = Field(description="e.g. note, highlight, question")
    media_url: Url | None = None
    text_content: Content | None = Field(default=None, validate_default=True)
    metadata: dict[str, Any] = Field(default_factory=dict, max_length=100)

    @field_validator("text_content")
    @classmethod
    def _says_something(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("media_url") is None and "media_url" in info.data:
            raise ValueError("is required when there is no media_url")
        return value


class AnnotationUpdate(BaseModel):
    """Fields to change; send only those (text_content or media_url may be null if the other stays)."""

    model_config = ConfigDict(extra="forbid")

    annotation_type: Kind | None = None
    text_content: Content | None = None
    media_url: Url | None = None
    metadata: dict[str, Any] | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _something_to_change(self) -> AnnotationUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        for name in self.model_fields_set & {"annotation_type", "metadata"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self
