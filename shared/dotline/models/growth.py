"""Growth as the API shows it: the per-dimension summary, the event stream, a card's dimensions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel

from dotline.growth_rules import DimKey

EntityType = Literal["memory", "concept", "artifact", "card", "challenge", "prompt", "conversation"]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class DimensionSummary(BaseModel):
    """One dimension of the caller's growth: total score, entities grown, last activity."""

    dim_key: str
    label: str
    description: str
    color: str
    total_score: float
    entity_count: int
    last_activity: datetime | None


class GrowthSummary(BaseModel):
    """The caller's growth along every configured dimension."""

    config_version: int
    dimensions: list[DimensionSummary]


class GrowthEvent(BaseModel):
    """One step of growth of one entity along one dimension."""

    event_id: UUID
    entity_type: str
    entity_id: UUID
    dim_key: str
    delta: float
    source: str
    details: dict[str, Any]
    created_at: datetime


class GrowthEventPage(BaseModel):
    """A page of the event stream, newest first; pass next_cursor to read on (null: the end)."""

    items: list[GrowthEvent]
    next_cursor: str | None


class EventFilter(BaseModel):
    """Which events to list: all of them when nothing is set."""

    dim_key: DimKey | None = None
    entity_type: EntityType | None = None
    source: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


class CardDimension(BaseModel):
    """A card's score along one dimension and what last moved it."""

    dim_key: str
    label: str
    description: str
    color: str
    score: float
    event_count: int
    last_source: str
    last_activity: datetime


class CardDimensions(BaseModel):
    """A card's growth per dimension and the evolution state it earns."""

    card_id: UUID
    source_entity_type: str
    source_entity_id: UUID
    evolution_state: str
    connection_count: int
    dimension_count: int
    config_version: int
    dimensions: list[CardDimension]
