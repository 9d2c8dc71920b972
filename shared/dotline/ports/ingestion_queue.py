"""The ingestion queue port: asks for a conversation's ingestion now (SQS; moto's locally)."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class IngestionQueue(Protocol):
    """Where an ended conversation is announced; the ingestion function consumes it.

    Delivery is at least once: a request sent twice is claimed once (the ingestion claim and its
    lease), so a sender may repeat one freely. A failure reaches the caller as ServiceUnavailable.
    """

    def request(self, conversation_id: UUID, user_id: UUID) -> None:
        """Queue the ingestion of one ended conversation."""
