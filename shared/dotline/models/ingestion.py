"""What an ingestion run did: per conversation, and in total."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field


class ConversationIngested(BaseModel):
    """One claimed conversation: processed with what it yielded, or failed with why."""

    conversation_id: UUID
    attempt: int
    outcome: Literal["processed", "failed", "gave_up"]
    extractor: str | None = None
    memories: int = 0
    memories_created: int = 0
    concepts: int = 0
    concepts_created: int = 0
    memories_invalidated: int = 0
    memories_merged: int = Field(
        default=0, description="Statements made before: one more source of that memory, not a copy"
    )
    nodes: int = 0
    edges: int = 0
    vector_items: int = 0
    growth_events: int = 0
    error: str | None = None


class IngestionRun(BaseModel):
    """A run of the ingestion job."""

    claimed: int = 0
    processed: int = 0
    failed: int = 0
    conversations: list[ConversationIngested] = Field(default_factory=list)
