"""A challenge's cached state (`challenge:{id}:state`, 15 minutes) and the announcements of its
changes on the owner's `user:{uid}:challenges` channel. The database stays the truth: a cache
outage is logged, never failed on."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from dotline import cache_keys, channels
from dotline.channels import Channel
from dotline.errors import ServiceUnavailable
from dotline.models.challenges import Challenge
from dotline.ports.cache import Cache

logger = logging.getLogger(__name__)


def cached(cache: Cache, challenge_id: UUID) -> dict[str, Any] | None:
    """The cached state ({"user_id", "challenge"}), or None when absent or the cache is down."""
    try:
        value = cache.get_json(cache_keys.challenge_state(challenge_id))
    except ServiceUnavailable:
        return None
    return value if isinstance(value, dict) else None


def remember(cache: Cache, user_id: UUID, challenge: Challenge) -> None:
    """Cache the challenge's state; the database stays the truth, so a cache outage is logged."""
    state = {"user_id": str(user_id), "challenge": challenge.model_dump(mode="json")}
    key = cache_keys.challenge_state(challenge.user_challenge_id)
    try:
        cache.set_json(key, state, cache_keys.CHALLENGE_STATE_TTL_S)
    except ServiceUnavailable:
        logger.warning("challenge state not cached: the cache is unreachable")


def announce(cache: Cache, user_id: UUID, challenge: Challenge, action: str) -> None:
    """Refresh the cached state and tell the person's devices (after the change committed)."""
    remember(cache, user_id, challenge)
    message = channels.envelope(
        f"challenge.{action}",
        challenge.user_challenge_id,
        title=challenge.name,
        status=challenge.status,
    )
    channels.publish_committed(cache, user_id, Channel.CHALLENGES, message)
