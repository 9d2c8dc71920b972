"""An uploaded batch of behaviour events, validated on a fast path with a precise one behind it.

EventBatch (in behaviour_events) is the rule and names every error. Validating 1,000 events
through it costs a stdlib JSON parse plus three Python validator calls per event; most batches
are valid, so they are first checked in pydantic's Rust path against a stricter shape: only
values Postgres reads back exactly as EventBatch would (canonical UUIDs, RFC 3339 times with an
offset), then one loop for the two limits a schema cannot state (JSON sizes, the time window).
A batch the fast path accepts is handed to Postgres as the client sent it, unserialised again;
anything else goes through EventBatch, which raises the 413 or the 422 naming the first bad event.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Required
from uuid import UUID

from pydantic import ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError, with_config
from pydantic_core import to_json
from typing_extensions import TypedDict  # pydantic refuses typing's before Python 3.12

from dotline.errors import invalid_body
from dotline.models.behaviour_events import (
    MAX_DURATION_SECONDS,
    MAX_EVENTS_PER_BATCH,
    MAX_FUTURE_S,
    MAX_JSON_OBJECT_BYTES,
    MAX_PAST_S,
    EventBatch,
    Kind,
)

_UUID_TEXT = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_RFC3339 = (  # what Postgres's timestamptz reads as EventBatch's AwareDatetime does
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})$"
)
# pydantic reads NaN and Infinity, which are not JSON and which Postgres refuses: a body that may
# hold one (or just the word, in a string) takes the precise path, whose dump writes them as null.
_NON_JSON_NUMBER = re.compile(r"NaN|Infinity")
UuidText = Annotated[str, StringConstraints(pattern=_UUID_TEXT)]
Rfc3339 = Annotated[str, StringConstraints(pattern=_RFC3339)]


@with_config(ConfigDict(extra="forbid"))
class _EventShape(TypedDict, total=False):
    action_type: Required[Kind]
    item_id: UuidText | None
    item_type: Kind | None
    duration_seconds: Annotated[int, Field(strict=True, ge=0, le=MAX_DURATION_SECONDS)] | None
    context: dict[str, Any]
    metadata: dict[str, Any]
    session_id: UuidText | None
    occurred_at: Rfc3339 | None


@with_config(ConfigDict(extra="forbid"))
class _BatchShape(TypedDict):
    batch_id: UUID
    events: Annotated[list[_EventShape], Field(min_length=1, max_length=MAX_EVENTS_PER_BATCH)]


_BATCH_SHAPE = TypeAdapter(_BatchShape)


def _request_body_schema() -> dict[str, Any]:
    """EventBatch's JSON schema with its one definition inlined (an OpenAPI operation cannot
    reach the schema's own $defs), for the route's documented request body."""
    schema = EventBatch.model_json_schema()
    definitions = schema.pop("$defs")
    schema["properties"]["events"]["items"] = definitions["BehaviourEventIn"]
    return {"required": True, "content": {"application/json": {"schema": schema}}}


EVENT_BATCH_BODY = _request_body_schema()


@dataclass(frozen=True)
class EventUpload:
    """A valid batch: its id, its size, and a JSON document whose `events` Postgres stores (the
    client's own body from the fast path, else EventBatch's canonical form)."""

    batch_id: UUID
    event_count: int
    document: str
    action_types: tuple[str, ...] = ()  # each event's, in order

    @classmethod
    def from_json(cls, body: str | None) -> EventUpload:
        """Validate a request body: PayloadTooLarge over 1,000 events, else InvalidRequest naming
        the first bad field (`events.17.duration_seconds`) as the resolver's 422 does."""
        if body and not _NON_JSON_NUMBER.search(body):
            try:
                shape = _BATCH_SHAPE.validate_json(body)
            except ValidationError:
                shape = None
            if shape is not None and _within_limits(shape["events"]):
                actions = tuple(event["action_type"] for event in shape["events"])
                return cls(shape["batch_id"], len(shape["events"]), body, actions)
        try:
            batch = EventBatch.model_validate_json(body or "")
        except ValidationError as exc:
            raise invalid_body(exc) from None
        actions = tuple(str(event.action_type) for event in batch.events)
        return cls(batch.batch_id, len(batch.events), batch.model_dump_json(), actions)


def _within_limits(events: list[_EventShape]) -> bool:
    """EventBatch's two validators, as one loop: small JSON objects, occurred_at in the window."""
    now_s = time.time()
    earliest_s, latest_s = now_s - MAX_PAST_S, now_s + MAX_FUTURE_S
    for event in events:
        for key in ("context", "metadata"):
            value = event.get(key)
            if value and len(to_json(value)) > MAX_JSON_OBJECT_BYTES:
                return False
        at = event.get("occurred_at")
        if at is not None:
            try:
                at_s = datetime.fromisoformat(at).timestamp()
            except ValueError:  # e.g. a 30th of February: EventBatch says what is wrong
                return False
            if not earliest_s <= at_s <= latest_s:
                return False
    return True
