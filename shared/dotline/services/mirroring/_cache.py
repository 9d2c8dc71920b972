"""What a change drops from the cache and announces on the owner's realtime channels."""

from __future__ import annotations

from dotline import channels
from dotline.channels import Channel
from dotline.models.db_events import DbEvent
from dotline.ports.cache import Cache
from dotline.services import stale_views


def refresh_cache(event: DbEvent, *, cache: Cache) -> None:
    """Invalidate the keys the change makes stale and publish it where the apps listen."""
    row = event.row
    user_id = row.get("user_id")
    if user_id is None:
        # knowledge_entries belong to a catalogue, not a person; no cache holds them yet.
        return
    cards = []
    if event.table == "cards":
        cards.append(event.row_key)
    if event.table == "growth_events" and row.get("entity_type") == "card":
        cards.append(row["entity_id"])
    stale_views.forget_after(cache, stale_views.stale_after(user_id, event.table, cards))
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
