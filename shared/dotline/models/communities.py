"""Concept communities as the API shows them (found by the insight cycle's graph analysis)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

TOP_CONCEPTS = 5  # names shown per community; the rest through /v1/concepts?community_id=


class Community(BaseModel):
    """A group of closely linked concepts; its id carries over while the community continues."""

    community_id: UUID
    name: str = Field(description="Named after its most central concepts")
    description: str | None = None
    concept_count: int = Field(description="How many of your concepts it holds")
    top_concepts: list[str] = Field(description=f"Up to {TOP_CONCEPTS} names, most salient first")
    created_at: datetime
    last_analyzed_ts: datetime | None = None


class CommunityPage(BaseModel):
    """A page of communities; pass next_cursor back as `cursor` for the next (null: no more)."""

    items: list[Community]
    next_cursor: str | None
