"""The cached views a row change makes stale, dropped in one round trip: the person's daily stats
and recent cards (owned here), the graph viewport (`orb`) and the changed cards' growth
(`cards.growth_cache`). The mirror and the bulk removals both forget through `forget_after`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from dotline import cache_keys
from dotline.ports.cache import Cache
from dotline.services import orb
from dotline.services.cards import growth_cache

# Tables whose rows feed the graph view: a change there makes the cached viewport stale.
GRAPH_TABLES = frozenset({"memories", "concepts", "derived_artifacts"})


def stale_after(user_id: UUID | str, table: str, card_ids: Iterable[UUID | str] = ()) -> set[str]:
    """The keys a change of the person's `table` row makes stale; `card_ids`: the cards it moved."""
    stale = {cache_keys.daily_stats(user_id), *growth_cache.keys(card_ids)}
    if table in GRAPH_TABLES:
        stale.add(orb.viewport_key(user_id))
    if table == "cards":
        stale.add(cache_keys.recent_cards(user_id))
    return stale


def forget_after(cache: Cache, stale: Iterable[str]) -> None:
    """Drop the keys `stale_after` named, in one round trip."""
    keys = sorted(set(stale))
    if keys:
        cache.delete(keys)


def exported(cache: Cache, user_id: UUID) -> dict[str, Any]:
    """The person's daily stats and recent cards as cached, by key (absent ones left out)."""
    keys = [cache_keys.recent_cards(user_id), cache_keys.daily_stats(user_id)]
    state = {key: cache.get_json(key) for key in keys}
    return {key: value for key, value in state.items() if value is not None}
