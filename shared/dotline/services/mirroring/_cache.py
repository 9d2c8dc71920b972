"""What a change drops from the cache and announces on the owner's realtime channels."""

from __future__ import annotations

from dotline import cache_keys, channels
from dotline.channels import Channel
from dotline.models.db_events import DbEvent
from dotline.ports.cache import Cache

# Tables whose rows feed the graph view: a change there makes the cached viewport stale.
_GRAPH_TABLES = frozenset({"memories", "concepts", "derived_artifacts"})


def refresh_cache(event: DbEvent, *, cache: Cache) -> None:
    """Invalidate the keys the change makes stale and publish it where the apps listen."""
    row = event.row
    user_id = row.get("user_id")
    if user_id is None:
        # knowledge_entries belong to a catalogue, not a person; no cache holds them yet.
        return
    stale = [cache_keys.daily_stats(user_id)]
    if event.table in _GRAPH_TABLES:
        stale.append(cache_keys.graph_viewport(user_id))
    if event.table == "cards":
        stale += [cache_keys.card_growth(event.row_key), cache_keys.recent_cards(user_id)]
    if event.table == "growth_events" and row.get("entity_type") == "card":
        stale.append(cache_keys.card_growth(row["entity_id"]))
    cache.delete(stale)
    channel = _channel(event)
    if channel is not None:
        channels.publish(cache, user_id, channel, _message(event))


def _channel(event: DbEvent) -> Channel | None:
    if event.table == "cards":
        return Channel.CARDS
    if event.table == "growth_events" and event.row.get("entity_type") == "card":
        return Channel.CARDS
    if event.table == "derived_artifacts":
        return Channel.INSIGHTS
    return None


def _message(event: DbEvent) -> channels.Envelope:
    return channels.envelope(
        channels.row_kind(event.type), event.row_key, event.version, table=event.table
    )
