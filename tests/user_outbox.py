"""Deliver one user's outbox rows to a gateway's webhook, as the dispatcher would, and listen on
that user's Redis channels. Tests drive only their own user's rows: the outbox is shared with
every other test running against the same database."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import psycopg
import redis

from dotline.services import outbox
from dotline.settings import Settings
from dotline.webhooks import WebhookEndpoint

WEBHOOK_PATH = "/v1/internal/db-events"
MESSAGE_DEADLINE_S = 5.0
QUIET_S = 0.5

_USERS_ROWS = """
select outbox_id, payload from private.outbox
where coalesce(payload -> 'record' ->> 'user_id', payload -> 'old_record' ->> 'user_id') = %s
  and (%s or status = 'pending')
order by outbox_id
"""


def deliver_outbox(
    pg: psycopg.Connection[Any],
    gateway: str,
    settings: Settings,
    user_id: uuid.UUID,
    *,
    again: bool = False,
    rounds: int = 5,
) -> int:
    """Post the user's pending rows (with `again`, every row, a redelivery) to the gateway's
    webhook, oldest first; repeat while deliveries wrote new rows. Returns how many were posted."""
    endpoint = WebhookEndpoint(
        gateway + WEBHOOK_PATH, settings.webhook_secret.get_secret_value(), 10.0
    )
    posted, seen = 0, set()
    try:
        for _ in range(rounds):
            rows = pg.execute(_USERS_ROWS, (str(user_id), again)).fetchall()
            fresh = [(i, p) for i, p in rows if i not in seen]
            if not fresh:
                break
            for outbox_id, payload in fresh:
                seen.add(outbox_id)
                attempt = outbox.deliver(
                    {"outbox_id": outbox_id, "payload": payload}, endpoint.post
                )
                assert attempt.delivered, attempt.error
                posted += 1
    finally:
        endpoint.close()
    return posted


class Channel:
    """A subscription to one Redis channel, subscribed before anything is published on it."""

    def __init__(self, rds: redis.Redis, name: str) -> None:
        self._pubsub = rds.pubsub()
        self._pubsub.subscribe(name)
        deadline = time.monotonic() + MESSAGE_DEADLINE_S
        while time.monotonic() < deadline:
            message = self._pubsub.get_message(timeout=0.2)
            if message is not None and message["type"] == "subscribe":
                return
        raise AssertionError(f"could not subscribe to {name}")

    def drain(self) -> list[dict[str, Any]]:
        """Every message published so far, waiting until the channel has been quiet a moment."""
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + MESSAGE_DEADLINE_S
        quiet_since = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - quiet_since < QUIET_S:
            message = self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if message is not None and message["type"] == "message":
                received.append(json.loads(message["data"]))
                quiet_since = time.monotonic()
        return received

    def close(self) -> None:
        self._pubsub.close()
