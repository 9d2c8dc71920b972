"""Coaching knowledge as a search returns it."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field


class KnowledgeHit(BaseModel):
    """One knowledge entry that matched, with its relevance and the channels that found it."""

    knowledge_entry_id: UUID
    knowledge_base_id: UUID
    knowledge_base_slug: str
    title: str
    content: str
    category: str | None
    tags: list[str]
    relevance: float = Field(
        description="Each channel's score over its best, summed: the words' ts_rank (title over "
        "content over tags) and the meaning's similarity"
    )
    channels: list[Literal["text", "vector"]] = Field(
        default_factory=list, description="Which searches found it: by its words, by its meaning"
    )


class KnowledgeResults(BaseModel):
    """The app searched and its best-matching entries, best first."""

    app_id: UUID
    app_slug: str
    items: list[KnowledgeHit]
