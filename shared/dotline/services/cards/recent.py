"""The cards a person viewed lately: `user:{uid}:cards:recent`, a Redis list of card ids.

Reading one card (`GET /v1/cards/{id}`) puts it first (once: an earlier view moves up), keeps the
`KEPT` latest and renews the list's day (`cache_keys.RECENT_CARDS_TTL_S`): a list not touched for
24 hours is gone. `GET /v1/cards/recent` reads it and the cards themselves from Postgres under
row-level security, so a card deleted since is simply left out. Erasure drops it with every
`user:{uid}:*` key. This module is the key's only reader and writer.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from dotline import cache_keys
from dotline.errors import ServiceUnavailable
from dotline.ports.cache import Cache

logger = logging.getLogger(__name__)

KEPT = 20


def viewed(cache: Cache, user_id: UUID, card_id: UUID) -> None:
    """Put the card first among the person's recent views (a lost write loses one view only)."""
    try:
        cache.push_recent(
            cache_keys.recent_cards(user_id), str(card_id), KEPT, cache_keys.RECENT_CARDS_TTL_S
        )
    except ServiceUnavailable:
        logger.warning("card view not remembered: the cache is unreachable")


def card_ids(cache: Cache, user_id: UUID, limit: int = KEPT) -> list[UUID]:
    """The ids of the cards the person viewed lately, most recent first."""
    return [UUID(member) for member in cache.recent(cache_keys.recent_cards(user_id), limit)]


def exported(cache: Cache, user_id: UUID) -> dict[str, Any]:
    """The person's recently viewed card ids as cached, by key (left out when none)."""
    key = cache_keys.recent_cards(user_id)
    ids = cache.recent(key, KEPT)
    return {key: ids} if ids else {}
