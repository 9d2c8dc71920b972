"""Behaviour events as clients upload them in batches, and the behaviour summary read back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import to_json

from dotline.errors import PayloadTooLarge
from dotline.models.instants import Instant

MAX_EVENTS_PER_BATCH = 1000
MAX_DURATION_SECONDS = 86_400
MAX_JSON_OBJECT_BYTES = 4096  # context and metadata each, as compact JSON
MAX_PAST_S = 30 * 86_400  # occurred_at: a device offline for a month still uploads
MAX_FUTURE_S = 5 * 60  # occurred_at: device clocks drift
MIN_SUMMARY_DAYS = 1
MAX_SUMMARY_DAYS = 365

# Lower-case snake_case verbs and nouns, open-ended like the seeds' ("view, edit, search,
# create, etc."): new client features log new kinds without a release of the API.
Kind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class BehaviourEventIn(BaseModel):
    """One thing a person did in the app. The server stamps who and when it was stored."""

    model_config = ConfigDict(extra="forbid")

    action_type: Kind = Field(description="e.g. view, edit, search, create, share, dismiss")
    item_id: UUID | None = Field(default=None, description="The item acted on, if any")
    item_type: Kind | None = Field(default=None, description="e.g. memory, card, article, note")
    duration_seconds: int | None = Field(default=None, ge=0, le=MAX_DURATION_SECONDS, strict=True)
    context: dict[str, Any] = Field(
        default_factory=dict, description="Circumstances: source screen, search query, ..."
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="Device, client version, ..."
    )
    session_id: UUID | None = None
    occurred_at: Instant | None = Field(
        default=None, description="When it happened on the device: within the last 30 days"
    )

    @field_validator("context", "metadata")
    @classmethod
    def _small_object(cls, value: dict[str, Any]) -> dict[str, Any]:
        size = len(to_json(value))  # compact UTF-8, as it is stored
        if size > MAX_JSON_OBJECT_BYTES:
            raise ValueError(f"must be at most {MAX_JSON_OBJECT_BYTES} bytes as JSON, got {size}")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _recent(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return value
        at_s, now_s = value.timestamp(), time.time()  # floats: cheap for 1,000 events
        if at_s < now_s - MAX_PAST_S:
            raise ValueError("must be within the last 30 days")
        if at_s > now_s + MAX_FUTURE_S:
            raise ValueError("must not be more than 5 minutes in the future")
        return value


class EventBatch(BaseModel):
    """Up to 1,000 events stored together or not at all; batch_id makes a retry harmless."""

    model_config = ConfigDict(extra="forbid")

    batch_id: UUID = Field(description="Chosen by the client; resend the same id to retry")
    events: list[BehaviourEventIn] = Field(min_length=1, max_length=MAX_EVENTS_PER_BATCH)

    @model_validator(mode="before")
    @classmethod
    def _not_too_many(cls, data: Any) -> Any:
        # Counted before any event is validated: too many is a 413, however good each event is.
        # PayloadTooLarge is no ValueError, so pydantic lets it through to the resolver.
        events = data.get("events") if isinstance(data, dict) else None
        if isinstance(events, list) and len(events) > MAX_EVENTS_PER_BATCH:
            raise PayloadTooLarge(
                f"A batch holds at most {MAX_EVENTS_PER_BATCH} events; this one has "
                f"{len(events)}. Split it.",
                max_events=MAX_EVENTS_PER_BATCH,
            )
        return data

    def __repr_args__(self) -> Iterator[tuple[str | None, object]]:
        # Short: Powertools formats route arguments into a debug message on every request, and
        # the full repr of 1,000 events costs more than storing them.
        yield "batch_id", self.batch_id
        yield "events", f"<{len(self.events)} events>"


class BatchReceipt(BaseModel):
    """What the server did with a batch (a replay returns the first receipt, replayed true)."""

    batch_id: UUID
    accepted: int
    received_at: datetime
    replayed: bool


class ActionSummary(BaseModel):
    """One action type over the window: how often, how long on average, on how many items."""

    action_type: str
    action_count: int
    avg_duration_seconds: float | None
    unique_items: int


class Engagement(BaseModel):
    """The last 90 days at a glance (the seed's engagement summary)."""

    total_actions: int
    unique_items: int
    avg_session_duration: float | None
    active_days: int
    last_activity: datetime


class BehaviourSummary(BaseModel):
    """The caller's behaviour per action type over `days`, and their 90-day engagement."""

    days: int
    actions: list[ActionSummary]
    engagement: Engagement | None = Field(description="Null when nothing was logged in 90 days")
