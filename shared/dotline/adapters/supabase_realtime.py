"""The broadcast port on Supabase Realtime's broadcast REST API.

`POST {SUPABASE_URL}/realtime/v1/api/broadcast` with the service-role key, one private message:
`{"messages": [{"topic", "event", "payload", "private": true}]}` (Realtime answers 202). Locally
the stack's Realtime face on 54321 takes the same request. Production refuses the local URL and
key (dotline.profile), so a deployment without its own project fails closed at cold start.

A broadcast announces a change that has already happened: a timeout, a refusal or an unreachable
Realtime is logged and reported as False, never raised into the request that made the change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from dotline.settings import Settings

logger = logging.getLogger(__name__)

BROADCAST_PATH = "/realtime/v1/api/broadcast"


class SupabaseRealtimeBroadcasts:
    """Private broadcasts through Realtime's REST API, one short-timeout HTTP client reused."""

    def __init__(self, url: str, service_key: str, *, timeout_s: float) -> None:
        self._endpoint = url.rstrip("/") + BROADCAST_PATH
        self._client = httpx.Client(
            timeout=timeout_s,
            headers={"apikey": service_key, "Authorization": f"Bearer {service_key}"},
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> SupabaseRealtimeBroadcasts:
        return cls(
            settings.supabase_url,
            settings.supabase_service_role_key.get_secret_value(),
            timeout_s=settings.realtime_timeout_s,
        )

    def send(self, topic: str, envelope: Mapping[str, Any]) -> bool:
        """Broadcast the envelope on the private topic; False (logged) when it did not go out."""
        message = {
            "topic": topic,
            "event": str(envelope["kind"]),
            "payload": dict(envelope),
            "private": True,
        }
        try:
            answer = self._client.post(self._endpoint, json={"messages": [message]})
        except httpx.HTTPError as exc:
            logger.warning("broadcast on %s not sent: %s", _channel(topic), type(exc).__name__)
            return False
        if answer.status_code >= httpx.codes.BAD_REQUEST:
            logger.warning(
                "broadcast on %s refused: Realtime answered %s", _channel(topic), answer.status_code
            )
            return False
        return True

    def close(self) -> None:
        self._client.close()


def _channel(topic: str) -> str:
    """The channel part of `user:{uid}:{channel}`: logs name the channel, not the person."""
    return topic.rsplit(":", 1)[-1]
