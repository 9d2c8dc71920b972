"""Cards as the API shows them: the gallery, one card with its evolution, and a person's edits."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

CardStatus = Literal["active_canvas", "active_archive", "completed"]
SourceEntityType = Literal["memory", "concept", "artifact", "prompt"]


class Card(BaseModel):
    """A card with its evolution state as the configured rules compute it."""

    card_id: UUID
    card_type: str
    source_entity_type: str
    source_entity_id: UUID
    status: CardStatus
    is_favorited: bool
    display_data: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    evolution_state: str
    connection_count: int
    dimension_count: int
    initiated_conversation_count: int = Field(
        description="Conversations started from this card: list them with"
        " GET /v1/conversations?source_card_id="
    )


class CardPage(BaseModel):
    """One page of the gallery, newest first; pass next_cursor back for the next page."""

    items: list[Card]
    next_cursor: str | None


class RecentCards(BaseModel):
    """The cards you viewed in the last 24 hours, most recent first (at most 20)."""

    items: list[Card]


class CardFilter(BaseModel):
    """Gallery filters; None means any."""

    model_config = ConfigDict(extra="forbid")

    status: CardStatus | None = None
    card_type: str | None = None
    source_entity_type: SourceEntityType | None = None
    is_favorited: bool | None = None
    evolution_state: str | None = None


class CardUpdate(BaseModel):
    """What a person may change on a card: where it lives and whether it is a favourite."""

    model_config = ConfigDict(extra="forbid")

    status: CardStatus | None = None
    is_favorited: bool | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> CardUpdate:
        if self.status is None and self.is_favorited is None:
            raise ValueError("give status or is_favorited")
        return self
