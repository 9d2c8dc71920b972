"""The broadcast port: a message to a person's devices on a private Realtime topic.

For live state that has no row in Postgres (the orb state and the scene are in Redis): what lives
in Postgres is broadcast from Postgres, in the transaction of the change (`realtime.send`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Broadcasts(Protocol):
    """Sends channel envelopes (`{"kind", "id", "version", "data"}`) to private topics."""

    def send(self, topic: str, envelope: Mapping[str, Any]) -> bool:
        """Broadcast the envelope on the topic, its `kind` as the event; False when it did not go
        out (logged, never raised: the change it announces has already happened)."""
        ...
