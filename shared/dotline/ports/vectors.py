"""The vector port: semantic search over a user's knowledge items (the seeds' UserKnowledgeItem)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from pydantic import BaseModel, Field


class KnowledgeItem(BaseModel):
    """One searchable text of a user's, with the vector of it; `item_id` is deterministic."""

    item_id: UUID
    user_id: UUID
    source_entity_type: str
    source_entity_id: UUID
    title: str | None = None
    text: str
    tags: list[str] = Field(default_factory=list)
    importance: float | None = None
    created_at: datetime
    model_version: str
    vector: list[float]
    version: int = 0


class VectorFilter(BaseModel):
    """Optional restrictions on a search (all given ones must hold)."""

    source_entity_types: list[str] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    min_importance: float | None = None


class VectorHit(BaseModel):
    """A search result: the item (without its vector) and its similarity."""

    item_id: UUID
    source_entity_type: str
    source_entity_id: UUID
    title: str | None
    text: str
    importance: float | None
    created_at: datetime
    score: float = Field(description="cosine similarity mapped to [0, 1]; higher is closer")


class VectorStore(Protocol):
    """Stores vectors per user and finds the nearest; every call is scoped to one user."""

    def upsert(self, items: Sequence[KnowledgeItem]) -> None:
        """Create or replace items by item_id; a lower version than stored is ignored."""

    def delete(self, user_id: UUID, source_entity_type: str, source_entity_id: UUID) -> None:
        """Remove the item of that source entity; a missing one is not an error."""

    def delete_many(
        self, user_id: UUID, source_entity_type: str, source_entity_ids: Sequence[UUID]
    ) -> int:
        """Remove the items of those source entities (bulk retention); returns how many went."""

    def set_importance(
        self, user_id: UUID, source_entity_type: str, importance: Mapping[UUID, float]
    ) -> int:
        """Set the importance of the items of those source entities (decay), leaving text,
        vector and version alone; missing ones are skipped. Returns how many changed."""

    def search(
        self,
        user_id: UUID,
        vector: Sequence[float],
        limit: int = 10,
        where: VectorFilter | None = None,
    ) -> list[VectorHit]:
        """The user's items nearest to `vector`, best first; scores are in [0, 1]."""

    def stale(
        self, model_version: str, limit: int = 500, user_ids: Sequence[UUID] | None = None
    ) -> list[KnowledgeItem]:
        """Items embedded with another model version, for the re-embed job: of any user, or
        only of `user_ids` when given."""

    def erase_user(self, user_id: UUID) -> int:
        """Remove every item of the user; returns how many went."""
