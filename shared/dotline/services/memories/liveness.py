"""Which memory nodes a graph read may show: Postgres decides, at query time.

The graph store keeps an expired memory's node until pg_cron's expire-memories deletes the row
and the retention run removes the node. Every graph read path (node and concept neighbourhoods,
the cosmos projection) asks Postgres here, in one round trip, and leaves out the nodes of
memories that are expired, or purged and still queued for removal, with their edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database
from dotline.ports.graph import Subgraph

_HIDDEN = "select hidden, next_expiry, checked_at from private.hidden_memory_nodes(%(ids)s)"
# Whether a liveness answer given at checked_at no longer holds: an expiry it counted on has
# passed, or a memory changed since then is now expired (a PATCH of expires_at into the past).
_STALE = """
select coalesce(%(next_expiry)s::timestamptz <= now(), false) or exists (
  select 1 from public.memories
  where expires_at <= now() and updated_at > %(checked_at)s::timestamptz
) as stale
"""


@dataclass(frozen=True)
class Liveness:
    """What Postgres said of a graph read's memory nodes, and until when that holds."""

    hidden: frozenset[UUID]
    next_expiry: datetime | None  # the earliest expiry still ahead among the shown memories
    checked_at: datetime | None  # None: the read held no memory node, so nothing can expire


NOTHING_TO_HIDE = Liveness(frozenset(), None, None)


def memory_liveness(db: Database, user: Principal, subgraph: Subgraph) -> Liveness:
    """Which of the subgraph's memory nodes the caller must not be shown (one round trip; none
    when the subgraph holds no memory node)."""
    ids = [node.node_id for node in subgraph.nodes if node.label == "MemoryUnit"]
    if not ids:
        return NOTHING_TO_HIDE
    with db.as_user(user) as tx:
        row = tx.execute(_HIDDEN, {"ids": ids}).fetchone()
    assert row is not None  # the function always answers one row
    return Liveness(frozenset(row["hidden"]), row["next_expiry"], row["checked_at"])


def without_hidden(subgraph: Subgraph, hidden: frozenset[UUID]) -> Subgraph:
    """The subgraph without the hidden nodes and every edge touching one."""
    if not hidden:
        return subgraph
    return Subgraph(
        nodes=[n for n in subgraph.nodes if n.node_id not in hidden],
        edges=[
            e for e in subgraph.edges if e.source_id not in hidden and e.target_id not in hidden
        ],
    )


def live_subgraph(db: Database, user: Principal, subgraph: Subgraph) -> tuple[Subgraph, Liveness]:
    """The subgraph as the caller may see it, and the liveness answer it was cut by."""
    liveness = memory_liveness(db, user, subgraph)
    return without_hidden(subgraph, liveness.hidden), liveness


def still_holds(db: Database, user: Principal, liveness: Liveness) -> bool:
    """Whether an earlier liveness answer still holds now (one round trip unless it held no
    memory)."""
    if liveness.checked_at is None:
        return True
    params = {"next_expiry": liveness.next_expiry, "checked_at": liveness.checked_at}
    with db.as_user(user) as tx:
        row = tx.execute(_STALE, params).fetchone()
    return row is not None and row["stale"] is False
