"""The vector port: semantic search over a user's knowledge items (the seeds' UserKnowledgeItem)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from pydantic import BaseModel, Field

ATTRIBUTE_DEPTH = 3
MAX_ATTRIBUTE_CHARS = 200


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
    # What search filters read of a memory (None / empty for other items).
    memory_type: str | None = None
    app_id: UUID | None = None
    source_conversation_id: UUID | None = None
    occurred_at: datetime | None = None
    attribute_pairs: list[str] = Field(
        default_factory=list, description="the memory's scalar attributes, see attribute_pairs"
    )
    # The entity's card's evolution state as the card pipeline last kept it (set_evolution_states).
    evolution_state: str | None = None


class VectorFilter(BaseModel):
    """Optional restrictions on a search (all given ones must hold)."""

    source_entity_types: list[str] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    min_importance: float | None = None
    max_importance: float | None = None
    # Memory fields: an item without them (not a memory) never passes a filter on them.
    memory_types: list[str] | None = None
    tags_any: list[str] | None = None
    tags_all: list[str] | None = None
    app_id: UUID | None = None
    source_conversation_id: UUID | None = None
    occurred_after: datetime | None = None
    occurred_before: datetime | None = None
    attribute_pairs: list[str] | None = Field(
        default=None, description="pairs (attribute_pair) the item must all have"
    )
    evolution_states: list[str] | None = Field(
        default=None, description="card evolution states, one of which the item must carry"
    )


def attribute_pair(path: str, value: str) -> str:
    """How an item holds one attribute: its dotted path and its value as text."""
    return f"{path}={value}"


def attribute_pairs(attributes: Mapping[str, Any], prefix: str = "", depth: int = 0) -> list[str]:
    """The scalar attributes of a memory as pairs (nested objects by dotted path, at most
    ATTRIBUTE_DEPTH deep; lists and long values are left out), valued as Postgres's `#>>`
    renders them, so a vector filter matches what the SQL filter matches."""
    pairs = []
    for key, value in attributes.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and depth + 1 < ATTRIBUTE_DEPTH:
            pairs += attribute_pairs(value, f"{path}.", depth + 1)
        elif isinstance(value, bool):
            pairs.append(attribute_pair(path, "true" if value else "false"))
        elif isinstance(value, int | float | str) and len(str(value)) <= MAX_ATTRIBUTE_CHARS:
            pairs.append(attribute_pair(path, str(value)))
    return sorted(pairs)


class VectorHit(BaseModel):
    """A search result: the item (without its vector) and its similarity."""

    item_id: UUID
    source_entity_type: str
    source_entity_id: UUID
    title: str | None
    text: str
    importance: float | None
    created_at: datetime
    evolution_state: str | None = None
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

    def set_evolution_states(
        self, user_id: UUID, source_entity_type: str, states: Mapping[UUID, str | None]
    ) -> int:
        """Set the evolution state the items of those source entities carry (the card
        pipeline), leaving the rest alone; missing ones are skipped. Returns how many changed."""

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
