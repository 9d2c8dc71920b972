"""Logging the caller's behaviour events in idempotent batches, and summarising them.

Everything runs as the caller, so row-level security is the guard: the events' insert policy
admits only the caller's own rows, and the summary reads only theirs.
"""

from __future__ import annotations

import hashlib

from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import Conflict
from dotline.models.behaviour_events import (
    ActionSummary,
    BatchReceipt,
    BehaviourSummary,
    Engagement,
    EventBatch,
)

_CLAIM_BATCH = (
    "select batch_event_count, batch_request_hash, batch_received_at, replayed"
    " from private.claim_event_batch(%(batch_id)s, %(event_count)s, %(request_hash)s)"
)

# One statement for the whole batch. Not COPY: Postgres refuses COPY FROM into a table whose
# row-level security applies to the caller, and RLS is the guard here. The batch travels as one
# JSON document that Postgres unpacks, so the cost per event stays on the server's C paths.
_INSERT_EVENTS = """
insert into public.behaviour_events (user_id, event_type, target_entity_id, target_entity_type,
                                     duration_seconds, context, metadata, session_id, occurred_at)
select %(user_id)s::uuid, e.action_type, e.item_id, e.item_type,
       e.duration_seconds, e.context, e.metadata, e.session_id, e.occurred_at
  from jsonb_to_recordset(%(batch)s::jsonb -> 'events') as e(
         action_type text, item_id uuid, item_type text, duration_seconds integer,
         context jsonb, metadata jsonb, session_id uuid, occurred_at timestamptz)
"""

_ACTIONS = (
    "select event_type as action_type, action_count, avg_duration as avg_duration_seconds,"
    " unique_items from api.behaviour_summary(%(user_id)s, %(days)s)"
)

_ENGAGEMENT = (
    "select total_actions, unique_items, avg_session_duration, active_days, last_activity"
    " from public.user_engagement_summary where user_id = %(user_id)s"
)


def record_batch(db: Database, user: Principal, batch: EventBatch) -> BatchReceipt:
    """Store every event of the batch or none; a batch id seen before stores nothing and returns
    the first receipt (Conflict if the same id came with different events)."""
    document = batch.model_dump_json()
    request_hash = hashlib.sha256(document.encode()).hexdigest()
    with db.as_user(user) as tx:
        tx.execute(
            _CLAIM_BATCH,
            {
                "batch_id": batch.batch_id,
                "event_count": len(batch.events),
                "request_hash": request_hash,
            },
        )
        claim = tx.fetchone()
        assert claim is not None  # the claim returns one row, new or replayed
        if not claim["replayed"]:
            tx.execute(_INSERT_EVENTS, {"user_id": user.user_id, "batch": document})
        elif claim["batch_request_hash"] != request_hash:
            raise Conflict(
                "This batch_id was already used for different events; use a new batch_id.",
                batch_id=str(batch.batch_id),
            )
    return BatchReceipt(
        batch_id=batch.batch_id,
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
