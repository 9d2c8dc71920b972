"""Conversations and their messages as the API shows them, and what a person may open one with."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import UUID4, BaseModel, ConfigDict, Field, StringConstraints

from dotline.models.memories import Title

# A principle's name as the person's app shows it: one line, trimmed, never blank.
IntimacyCodeReference = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\n\r]+$"),
]


class ConversationStatus(StrEnum):
    """Where a conversation is in its life."""

    active = "active"
    ended = "ended"
    processing = "processing"
    processed = "processed"
    closed = "closed"


class ConversationCreate(BaseModel):
    """A new conversation; a client-generated session_id makes re-sending it safe."""

    model_config = ConfigDict(extra="forbid")

    session_id: UUID4 | None = Field(
        default=None,
        description="Client-generated UUIDv4: a create re-sent with it finds the first",
    )
    app_id: UUID | None = Field(
        default=None, description="The coaching app; null for the companion"
    )
    title: Title | None = Field(
        default=None,
        description="Left out: titled from your first message once the first exchange is stored",
    )
    source_card_id: UUID | None = Field(
        default=None, description="The card (one of yours) this conversation was started from"
    )
    intimacy_code_reference: IntimacyCodeReference | None = Field(
        default=None,
        description="The Intimacy Code principle this conversation is about, kept as sent",
        examples=["Principle 3: Authentic Vulnerability"],
    )
    metadata: dict[str, Any] = Field(default_factory=dict, max_length=100)


class Conversation(BaseModel):
    """One of the caller's conversations."""

    conversation_id: UUID
    user_id: UUID
    app_id: UUID | None
    session_id: UUID | None
    title: str | None
    status: ConversationStatus
    importance_score: float | None
    context_summary: str | None
    source_card_id: UUID | None
    intimacy_code_reference: str | None
    message_count: int
    metadata: dict[str, Any]
    created_at: datetime
    started_at: datetime
    last_message_at: datetime | None
    ended_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime


class ConversationPage(BaseModel):
    """A page of conversations, newest first; pass next_cursor back as `cursor` (null: no more)."""

    items: list[Conversation]
    next_cursor: str | None


class Message(BaseModel):
    """One turn of a conversation."""

    message_id: UUID
    conversation_id: UUID
    role: str
    content: str
    model: str | None
    media_ids: list[UUID]
    referenced_entities: list[dict[str, Any]]
    metadata: dict[str, Any]
    created_at: datetime


class ConversationWithMessages(Conversation):
    """A conversation with a page of its messages, oldest first; pass next_messages_cursor back
    as `messages_cursor` for the later ones (null: no more)."""

    messages: list[Message]
    next_messages_cursor: str | None
