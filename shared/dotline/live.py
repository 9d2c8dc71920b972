"""Live updates to a person's devices: Supabase Realtime Broadcast on private topics.

Topics are `user:{uid}:{channel}`, channel one of `orb_state`, `cards`, `challenges`,
`insights`, `scene`; every message is one envelope `{"kind", "id", "version", "data"}`. Cards,
challenges and insights live in Postgres and are broadcast there, in the transaction of the
change (migration `realtime_broadcast`). The orb state and the scene live in Redis: their
handlers hand their envelope to `send`, which goes through the broadcast port (Realtime's REST
API). The Redis channels of the same names stay for server-side consumers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from dotline.ports.broadcasts import Broadcasts

CHANNELS = ("orb_state", "cards", "challenges", "insights", "scene")


def topic(user_id: UUID, channel: str) -> str:
    """The private topic of one of the person's channels."""
    if channel not in CHANNELS:
        raise ValueError(f"no live channel {channel!r}")
    return f"user:{user_id}:{channel}"


def send(broadcasts: Broadcasts, user_id: UUID, channel: str, envelope: Mapping[str, Any]) -> bool:
    """Broadcast an already-built envelope on the person's channel (False, logged, if it failed)."""
    return broadcasts.send(topic(user_id, channel), envelope)


def version_of(at: datetime) -> int:
    """An envelope version from a change time (microseconds since the epoch), as Postgres does."""
    return int(at.timestamp() * 1_000_000)
