"""Logging the caller's behaviour events in idempotent batches, and summarising them.

Everything runs as the caller, so row-level security is the guard: the events' insert policy
admits only the caller's own rows, and the summary reads only theirs.
"""

from __future__ import annotations

from dotline import daily_stats
from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import Conflict
from dotline.models.behaviour_events import (
    ActionSummary,
    BatchReceipt,
    BehaviourSummary,
    Engagement,
)
from dotline.models.event_upload import EventUpload
from dotline.ports.cache import Cache

# One statement claims the batch id and inserts every event as the caller, under row-level
# security (not COPY: Postgres refuses COPY FROM into a table whose RLS applies to the caller).
# The events travel as one JSON document that Postgres unpacks, so the cost per event stays on
# the server's C paths; it also hashes them, to tell a replay from a reused id.
_RECORD_BATCH = (
    "select batch_event_count, batch_received_at, replayed, conflicting"
    " from private.record_event_batch(%(batch_id)s, %(document)s::jsonb -> 'events')"
)

_ACTIONS = (
    "select event_type as action_type, action_count, avg_duration as avg_duration_seconds,"
    " unique_items from api.behaviour_summary(%(user_id)s, %(days)s)"
)

_ENGAGEMENT = (
    "select total_actions, unique_items, avg_session_duration, active_days, last_activity"
    " from public.user_engagement_summary where user_id = %(user_id)s"
)


def record_batch(db: Database, cache: Cache, user: Principal, upload: EventUpload) -> BatchReceipt:
    """Store every event of the batch or none, and count the stored ones in the person's day
    (`dotline.daily_stats`); a batch id seen before stores nothing and returns the first receipt
    (Conflict if the same id came with different events)."""
    # One round trip, begin to commit. A replay (also the resend after a dropped connection)
    # stores nothing, so the statement is safe to send twice.
    params = {"batch_id": upload.batch_id, "document": upload.document}
    (claim,) = db.fetch_as_user(user, _RECORD_BATCH, params)  # one row, new or replayed
    if claim["conflicting"]:
        raise Conflict(
            "This batch_id was already used for different events; use a new batch_id.",
            batch_id=str(upload.batch_id),
        )
    if not claim["replayed"]:
        daily_stats.count_events(cache, user.user_id, upload.action_types)
    return BatchReceipt(
        batch_id=upload.batch_id,
        accepted=claim["batch_event_count"],
        received_at=claim["batch_received_at"],
        replayed=claim["replayed"],
    )


def summarize(db: Database, user: Principal, days: int) -> BehaviourSummary:
    """The caller's actions per type over the last `days` days and their 90-day engagement."""
    params = {"user_id": user.user_id, "days": days}
    with db.as_user(user) as tx:
        actions = tx.execute(_ACTIONS, params).fetchall()
        engagement = tx.execute(_ENGAGEMENT, params).fetchone()
    return BehaviourSummary(
        days=days,
        actions=[ActionSummary.model_validate(row) for row in actions],
        engagement=Engagement.model_validate(engagement) if engagement else None,
    )
