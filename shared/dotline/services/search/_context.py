"""The context of memory hits, read in one call (`api.search_context`): when each happened, who
is in it, how much it says, and the memory after it in its source (a conversation's next turn),
which joins the candidates with a share of the hit's score (`_turns`)."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database
from dotline.services.search._graph import Candidate, Key

CONTEXT_HITS = 50  # the top memory hits whose context (and next turn) is read

_CONTEXT = """
select memory_id, occurred_at, speakers, said, next_memory_id, next_of
from api.search_context(%(ids)s::uuid[])
"""


@dataclass(frozen=True)
class TurnContext:
    """What the ranking knows of a memory beyond its scores."""

    occurred_at: datetime | None
    speakers: tuple[str, ...]
    said: int
    next_id: UUID | None


def read_context(
    db: Database, user: Principal, relevance: Mapping[Key, float]
) -> tuple[dict[UUID, TurnContext], dict[Key, Key]]:
    """The context of the top CONTEXT_HITS memories by relevance and of the memory after each,
    and which hit each next memory follows (the better hit when it follows two). Reads only:
    it runs beside the graph expansion."""
    memories = (key for key in relevance if key[0] == "memory")
    top = heapq.nsmallest(CONTEXT_HITS, memories, key=lambda k: (-relevance[k], k))
    if not top:
        return {}, {}
    rows = db.fetch_as_user(user, _CONTEXT, {"ids": [key[1] for key in top]}, read_only=True)
    context = {
        row["memory_id"]: TurnContext(
            row["occurred_at"], tuple(row["speakers"] or ()), row["said"], row["next_memory_id"]
        )
        for row in rows
    }
    followers: dict[Key, Key] = {}
    for key in top:  # best first
        hit = context.get(key[1])
        if hit is not None and hit.next_id is not None:
            followers.setdefault(("memory", hit.next_id), key)
    return context, followers


def join_followers(pool: dict[Key, Candidate], followers: Mapping[Key, Key]) -> None:
    """The memories after top hits join the pool told which hit they follow (the ranking credits
    them a share of it, `_turns.follow_credit`), with no row when new (the caller re-reads them)."""
    for key, hit in followers.items():
        if hit in pool:
            follower = pool.setdefault(key, Candidate(row={}))
            follower.follows = follower.follows or hit
