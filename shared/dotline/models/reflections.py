"""Reflections: a person's journal entries; sentiment and insights are derived by the server."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dotline.models.memories import Content, JsonObjects, Kind, Tags, Title


class Reflection(BaseModel):
    """One of the caller's reflections."""

    reflection_id: UUID
    user_id: UUID
    title: str | None
    content: str
    reflection_type: str
    related_entities: list[dict[str, Any]]
    sentiment: float | None
    insights: list[dict[str, Any]]
    tags: list[str]
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ReflectionPage(BaseModel):
    """A page of reflections, newest first; pass next_cursor back as `cursor` (null: no more)."""

    items: list[Reflection]
    next_cursor: str | None


class ReflectionCreate(BaseModel):
    """A new reflection."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    content: Content
    reflection_type: Kind = Field(description="e.g. daily, gratitude, goal")
    related_entities: JsonObjects = Field(default_factory=list)
    tags: Tags = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict, max_length=100)


class ReflectionUpdate(BaseModel):
    """Fields to change; send only those (title null clears it)."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    content: Content | None = None
    reflection_type: Kind | None = None
    related_entities: JsonObjects | None = None
    tags: Tags | None = None
    metadata: dict[str, Any] | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _something_to_change(self) -> ReflectionUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        for name in self.model_fields_set - {"title"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self
