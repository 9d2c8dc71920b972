"""Backfill the growth ledger from existing concepts and memories (the V7 V4→V7 migration step).

Concepts with graph connections earn `concept_backfill` (V7: 0.1 on every dimension), memories
earn `memory_created`, both with source `migration`. Event ids are deterministic, so a second run
adds nothing; each user's profile is then recomputed from the ledger. One transaction per user,
users in id order: a run stopped by its time budget names the last user it finished
(`resume_after`), and a run given that id goes on from the next one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from uuid import UUID

from dotline.db import Database, Transaction
from dotline.growth_rules import GrowthConfig
from dotline.services.growth.ledger import GrowthAction, NewEvent, events_earned, insert_events

SOURCE = "migration"
CONCEPT_ACTION = "concept_backfill"
MEMORY_ACTION = "memory_created"
INSERT_CHUNK = 5000

_CONNECTED_CONCEPTS = (
    "select c.concept_id as entity_id from public.concepts c"
    " where c.user_id = %(user_id)s and c.status <> 'merged'"
    " and exists (select 1 from public.graph_connection_stats s"
    " where s.user_id = c.user_id and s.entity_type = 'concept'"
    " and s.entity_id = c.concept_id and s.connection_count > 0)"
    " order by c.concept_id"
)
_MEMORIES = (
    "select m.memory_id as entity_id from public.memories m"
    " where m.user_id = %(user_id)s order by m.memory_id"
)


@dataclass(frozen=True)
class BackfillResult:
    """What a backfill run did."""

    users: int
    events_added: int
    profiles_recomputed: int
    remaining: int = 0  # users left when the budget ran out
    resume_after: UUID | None = None  # the last user finished (or the `after` given)

    @property
    def complete(self) -> bool:
        """True when every user was done."""
        return self.remaining == 0


_USERS = (
    "select user_id from ("
    " select user_id from public.concepts where %(user_id)s::uuid is null or user_id = %(user_id)s"
    " union select user_id from public.memories"
    " where %(user_id)s::uuid is null or user_id = %(user_id)s) u"
    " where %(after)s::uuid is null or user_id > %(after)s order by 1"
)


def backfill_growth(
    db: Database,
    config: GrowthConfig,
    user_id: UUID | None = None,
    *,
    after: UUID | None = None,
    budget_s: float | None = None,
) -> BackfillResult:
    """Create the missing backfill events for every user (or one) whose id sorts after `after`
    and recompute their profiles, starting no user once `budget_s` has passed."""
    deadline = None if budget_s is None else time.monotonic() + budget_s
    with db.as_service() as tx:
        tx.execute(_USERS, {"user_id": user_id, "after": after})
        users = [UUID(str(row["user_id"])) for row in tx.fetchall()]
    added = recomputed = done = 0
    for user in users:
        if deadline is not None and time.monotonic() >= deadline:
            break
        done += 1
        with db.as_service() as tx:
            added += _backfill_user(tx, config, user)
            tx.execute(
                "select private.recompute_growth_profile(%(user_id)s) as n", {"user_id": user}
            )
            row = tx.fetchone()
            recomputed += int(row["n"]) if row else 0
    return BackfillResult(
        users=done,
        events_added=added,
        profiles_recomputed=recomputed,
        remaining=len(users) - done,
        resume_after=users[done - 1] if done else after,
    )


def _backfill_user(tx: Transaction, config: GrowthConfig, user_id: UUID) -> int:
    events: list[NewEvent] = []
    for query, entity_type, action in (
        (_CONNECTED_CONCEPTS, "concept", CONCEPT_ACTION),
        (_MEMORIES, "memory", MEMORY_ACTION),
    ):
        tx.execute(query, {"user_id": user_id})
        for row in tx.fetchall():
            done = GrowthAction(user_id, action, entity_type, UUID(str(row["entity_id"])), SOURCE)
            events += events_earned(config, done)
    return sum(
        len(insert_events(tx, events[start : start + INSERT_CHUNK]))
        for start in range(0, len(events), INSERT_CHUNK)
    )
