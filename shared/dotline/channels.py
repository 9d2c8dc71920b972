"""The per-person realtime channels (`user:{uid}:<channel>`) and the one envelope every message on
them has: `{"kind", "id", "version", "data"}`.

Every publisher goes through `publish`, so a channel's name and the kinds it carries are read
here and nowhere else. A subscriber dispatches on `kind` (`<resource>.<what happened>`); `id` is
the resource's id, `version` the change's position in the outbox when it came from one, or the
change time in microseconds (the orb, the scene, and what Postgres broadcasts itself).

The same envelopes reach the person's devices through Supabase Realtime Broadcast on private
topics of the same names: `announce` sends those whose state lives in Redis; cards, challenges
and insights are sent by Postgres in the transaction of the change.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from dotline.errors import ServiceUnavailable
from dotline.ports.broadcasts import Broadcasts
from dotline.ports.cache import Cache

logger = logging.getLogger(__name__)


class Channel(StrEnum):
    """A person's channel, by the last segment of its name."""

    ORB_STATE = "orb_state"
    SCENE = "scene"
    CARDS = "cards"
    CHALLENGES = "challenges"
    INSIGHTS = "insights"


# The row changes the database mirror announces (`row.<op>`, `data.table` naming the table).
ROW_KINDS = frozenset({"row.inserted", "row.updated", "row.deleted"})

KINDS: dict[Channel, frozenset[str]] = {
    Channel.ORB_STATE: frozenset({"orb.updated"}),
    Channel.SCENE: frozenset({"scene.changed"}),
    Channel.CARDS: frozenset({"card.updated", "card.evolved"}) | ROW_KINDS,
    Channel.CHALLENGES: frozenset(
        {
            "challenge.new",
            "challenge.progress",
            "challenge.completed",
            "challenge.abandoned",
            "challenge.expired",
        }
    ),
    Channel.INSIGHTS: frozenset({"insight.created"}) | ROW_KINDS,
}


class Envelope(BaseModel):
    """One message on a person's channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(description="What happened, as `<resource>.<event>`")
    id: str | None = Field(default=None, description="The resource's id (null: the person's own)")
    version: int | None = Field(default=None, description="The change's outbox id, when it has one")
    data: dict[str, Any] = Field(default_factory=dict, description="The kind's payload")


def channel_name(user_id: UUID | str, channel: Channel) -> str:
    """The pub/sub name of one person's channel."""
    return f"user:{user_id}:{channel.value}"


def envelope(
    kind: str, id: UUID | str | None = None, version: int | None = None, **data: Any
) -> Envelope:
    """An envelope with `data` given as keywords (ids become strings)."""
    return Envelope(kind=kind, id=None if id is None else str(id), version=version, data=data)


def publish(cache: Cache, user_id: UUID | str, channel: Channel, message: Envelope) -> None:
    """Announce `message` on the person's channel; a kind the channel does not carry is a bug."""
    if message.kind not in KINDS[channel]:
        raise ValueError(f"{message.kind!r} is not a kind of the {channel.value} channel")
    cache.publish(channel_name(user_id, channel), message.model_dump(mode="json"))


def publish_committed(
    cache: Cache, user_id: UUID | str, channel: Channel, message: Envelope
) -> None:
    """`publish` after the change committed: a cache outage loses the message, not the change,
    and is logged, never raised."""
    try:
        publish(cache, user_id, channel, message)
    except ServiceUnavailable:
        logger.warning("%s not published: the cache is unreachable", message.kind)


def announce(
    cache: Cache, broadcasts: Broadcasts, user_id: UUID | str, channel: Channel, message: Envelope
) -> None:
    """Publish `message` on the Redis channel and broadcast it to the person's devices.

    For state that lives in Redis (the orb, the scene). What lives in Postgres is broadcast by
    Postgres in the transaction of the change (`realtime.send`, migration `realtime_broadcast`),
    so its publishers call `publish` only. A failed broadcast is logged by the port, never raised.
    """
    publish(cache, user_id, channel, message)
    broadcasts.send(channel_name(user_id, channel), message.model_dump(mode="json"))


def version_of(at: datetime) -> int:
    """An envelope version from a change time (microseconds since the epoch), as Postgres does."""
    return int(at.timestamp() * 1_000_000)


def row_kind(op: str) -> str:
    """The kind announcing a mirrored row change (`INSERT` → `row.inserted`)."""
    return {"INSERT": "row.inserted", "UPDATE": "row.updated", "DELETE": "row.deleted"}[op]
