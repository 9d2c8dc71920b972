"""Coaching knowledge as a search returns it."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field


class KnowledgeHit(BaseModel):
    """One knowledge entry that matched, with its full-text rank."""

    knowledge_entry_id: UUID
    knowledge_base_id: UUID
    knowledge_base_slug: str
    title: str
    content: str
    category: str | None
    tags: list[str]
    relevance: float = Field(description="ts_rank: title words weigh more than content, then tags")


class KnowledgeResults(BaseModel):
    """The app searched and its best-matching entries, best first."""

    app_id: UUID
    app_slug: str
    items: list[KnowledgeHit]
