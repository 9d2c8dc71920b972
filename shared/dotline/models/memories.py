"""Memories as the API shows them, what a person may write into one, and how a list is asked for."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from dotline.models.instants import Instant

MAX_CONTENT_CHARS = 20_000
MAX_TAGS = 50
MAX_LIST_ITEMS = 100
COACHING_MEMORY_TYPES = frozenset(
    {"conversation_context", "user_preference", "milestone", "insight"}
)

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Content = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CONTENT_CHARS)
]
Kind = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Url = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]
JsonObjects = Annotated[list[dict[str, Any]], Field(max_length=MAX_LIST_ITEMS)]


class MemorySort(StrEnum):
    """Orderings a memory list offers."""

    recent = "recent"
    importance = "importance"


class Evidence(BaseModel):
    """How often the person said what a memory says: a memory written by hand is its own one."""

    count: int = Field(description="Statements (sources) this memory stands for; at least 1")
    first_seen_at: datetime
    last_seen_at: datetime = Field(description="When the newest of its statements was said")


class Memory(BaseModel):
    """One of the caller's memories."""

    memory_id: UUID
    user_id: UUID
    app_id: UUID | None
    source_conversation_id: UUID | None
    memory_type: str
    title: str | None
    content: str
    importance: float
    sentiment_score: float | None
    creation_ts: datetime
    occurred_at: datetime | None
    location: dict[str, Any] | None
    people: list[dict[str, Any]]
    emotions: list[dict[str, Any]]
    media_urls: list[str]
    attributes: dict[str, Any]
    tags: list[str]
    access_count: int
    last_accessed_at: datetime | None
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    invalid_at: datetime | None = Field(
        default=None, description="When a newer memory (superseded_by) replaced what this says"
    )
    superseded_by: UUID | None = Field(
        default=None, description="The newer memory that contradicts this one"
    )
    evidence: Evidence = Field(description="The statements it stands for (GET .../sources)")


class MemoryPage(BaseModel):
    """A page of memories; pass next_cursor back as `cursor` for the next (null: no more)."""

    items: list[Memory]
    next_cursor: str | None


class _MemoryFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    app_id: UUID | None = Field(
        default=None, description="The coaching app; null for the companion"
    )
    source_conversation_id: UUID | None = None
    creation_ts: Instant | None = Field(
        default=None, description="When it was authored at its source"
    )
    occurred_at: Instant | None = Field(
        default=None,
        description="When the event happened; left out of a new memory: the date its content "
        'states ("last Saturday"), resolved against creation_ts (or now) on the calendar of the '
        "caller's profile time zone, else creation_ts",
    )
    location: dict[str, Any] | None = None
    people: JsonObjects | None = None
    emotions: JsonObjects | None = None
    media_urls: Annotated[list[Url], Field(max_length=MAX_LIST_ITEMS)] | None = None
    attributes: dict[str, Any] | None = None
    tags: Tags | None = None
    expires_at: Instant | None = Field(default=None, description="When it stops existing")


class MemoryCreate(_MemoryFields):
    """A new memory. A companion memory (no app_id) needs a title; a coaching one (app_id set)
    has one of the coaching memory types."""

    memory_type: Kind = Field(default="memory", validate_default=True)
    title: Title | None = Field(default=None, validate_default=True)
    content: Content

    @field_validator("memory_type")
    @classmethod
    def _coaching_type(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("app_id") is not None and value not in COACHING_MEMORY_TYPES:
            raise ValueError(f"must be one of {sorted(COACHING_MEMORY_TYPES)} for a coaching app")
        return value

    @field_validator("title")
    @classmethod
    def _title_outside_coaching(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("app_id") is None and "app_id" in info.data:
            raise ValueError("is required for a memory outside a coaching app")
        return value


class MemoryUpdate(_MemoryFields):
    """Fields to change; send only those (title, app_id and the optional ones accept null)."""

    memory_type: Kind | None = None
    title: Title | None = None
    content: Content | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> MemoryUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        for name in self.model_fields_set & _NOT_NULL:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


_NOT_NULL = frozenset(
    {
        "memory_type",
        "content",
        "creation_ts",
        "people",
        "emotions",
        "media_urls",
        "attributes",
        "tags",
    }
)


class MemoryChange(BaseModel):
    """A memory's previous state, kept when it was changed or deleted."""

    memory_history_id: int
    memory_id: UUID
    operation: str = Field(
        description="UPDATE or DELETE (old_values: the memory before), MERGE or UNMERGE "
        "(old_values: the statement merged in or split out, into `split_into`)"
    )
    old_values: dict[str, Any]
    changed_columns: list[str]
    changed_by: UUID | None
    changed_at: datetime


class MemoryHistoryPage(BaseModel):
    """A page of a memory's history, newest first."""

    items: list[MemoryChange]
    next_cursor: str | None


class MemorySource(BaseModel):
    """A statement a memory stands for: the turn it was said in, and when it was merged in."""

    memory_source_id: int
    memory_id: UUID
    conversation_id: UUID | None
    message_id: UUID
    said_at: datetime
    title: str | None
    content: str
    merged_at: datetime | None = Field(
        description="When it joined an existing memory; null for the one it was written from"
    )


class MemorySourcePage(BaseModel):
    """A page of a memory's sources, oldest said first."""

    items: list[MemorySource]
    next_cursor: str | None


class MemoryUnmerge(BaseModel):
    """Which merged statement to split back out into a memory of its own."""

    model_config = ConfigDict(extra="forbid")

    source_id: int = Field(ge=1, description="memory_source_id of one of the memory's sources")
