"""A card's cached evolution (`card:{id}:growth`, 1 hour) and the announcements of its changes on
the owner's `user:{uid}:cards` channel. The database stays the truth: a cache outage is logged."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from dotline import cache_keys, channels
from dotline.channels import Channel
from dotline.errors import ServiceUnavailable
from dotline.models.cards import Card
from dotline.ports.cache import Cache

logger = logging.getLogger(__name__)

GROWTH_FIELDS = ("evolution_state", "connection_count", "dimension_count")


def cached(cache: Cache, user_id: UUID, card_id: UUID) -> dict[str, Any] | None:
    """The cached growth of the caller's card, or None when absent, foreign or the cache is down."""
    try:
        value = cache.get_json(cache_keys.card_growth(card_id))
    except ServiceUnavailable:
        return None
    if not isinstance(value, dict) or value.get("user_id") != str(user_id):
        return None
    if not all(field in value for field in GROWTH_FIELDS):
        return None
    return {field: value[field] for field in GROWTH_FIELDS}


def remember(cache: Cache, user_id: UUID, cards: list[Card]) -> None:
    """Cache each card's growth for an hour."""
    states = {
        cache_keys.card_growth(card.card_id): {
            "user_id": str(user_id),
            **card.model_dump(mode="json", include=set(GROWTH_FIELDS)),
        }
        for card in cards
    }
    try:
        cache.set_many_json(states, cache_keys.CARD_GROWTH_TTL_S)  # one round trip a page
    except ServiceUnavailable:
        logger.warning("card growth not cached: the cache is unreachable")


def keys(card_ids: Iterable[UUID | str]) -> list[str]:
    """The cached growth's keys of these cards, for a caller dropping several views at once."""
    return [cache_keys.card_growth(card_id) for card_id in card_ids]


def forget(cache: Cache, card_ids: Iterable[UUID | str]) -> int:
    """Drop these cards' cached growth (their evolution is about to change); how many were held."""
    stale = keys(card_ids)
    return cache.delete(stale) if stale else 0


def announce(cache: Cache, user_id: UUID, card: Card) -> None:
    """Replace the cached growth and tell the person's devices (after the change committed)."""
    try:
        forget(cache, [card.card_id])
    except ServiceUnavailable:
        logger.warning("card growth not invalidated: the cache is unreachable")
    remember(cache, user_id, [card])
    message = channels.envelope(
        "card.updated",
        card.card_id,
        status=card.status,
        is_favorited=card.is_favorited,
        evolution_state=card.evolution_state,
    )
    channels.publish_committed(cache, user_id, Channel.CARDS, message)
