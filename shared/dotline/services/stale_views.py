"""The cached views a row change makes stale, dropped in one round trip: the graph viewport
(`orb`) and the changed cards' growth (`cards.growth_cache`). The mirror and the bulk removals
both forget through `forget_after`. The day's counts (`dotline.daily_stats`) and the recently
viewed cards (`cards.recent`, ids re-read under row-level security) are not views of rows: a row
change leaves them standing."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from dotline.ports.cache import Cache
from dotline.services import orb
from dotline.services.cards import growth_cache

# Tables whose rows feed the graph view: a change there makes the cached viewport stale.
GRAPH_TABLES = frozenset({"memories", "concepts", "derived_artifacts"})


def stale_after(user_id: UUID | str, table: str, card_ids: Iterable[UUID | str] = ()) -> set[str]:
    """The keys a change of the person's `table` row makes stale; `card_ids`: the cards it moved."""
    stale = set(growth_cache.keys(card_ids))
    if table in GRAPH_TABLES:
        stale.add(orb.viewport_key(user_id))
    return stale


def forget_after(cache: Cache, stale: Iterable[str]) -> None:
    """Drop the keys `stale_after` named, in one round trip."""
    keys = sorted(set(stale))
    if keys:
        cache.delete(keys)
