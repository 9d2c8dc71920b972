"""Navigation paths for the apps: a shortest chain of links between two nodes of the caller's
graph, through the graph port's `shortest_path` (either adapter).

Both ends must be nodes of the caller's graph (another person's node is not found: 404, never
403). A path through a memory Postgres no longer holds live is not offered: the apps must not
show what was forgotten, so such a pair reads as unlinked.
"""

from __future__ import annotations

from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import NotFound
from dotline.models.graph_views import GraphPath
from dotline.ports.graph import GraphStore, Subgraph
from dotline.services.graph.views import neighbourhood_of, node_view
from dotline.services.memories.liveness import live_subgraph


def shortest_path(
    db: Database, graph: GraphStore, user: Principal, source: UUID, target: UUID, *, max_depth: int
) -> GraphPath:
    """The nodes of a shortest path from source to target within max_depth hops (none: empty);
    NotFound when either end is not a (live) node of the caller's graph."""
    for end, name in ((source, "from"), (target, "to")):
        if not neighbourhood_of(db, graph, user, end, depth=0, limit=1).nodes:
            raise NotFound(f"No such node in your graph: {name}={end}.")
    found = graph.shortest_path(user.user_id, source, target, max_depth) or []
    live, _ = live_subgraph(db, user, Subgraph(nodes=found))
    if len(live.nodes) < len(found):
        found = []
    return GraphPath(
        from_id=source,
        to_id=target,
        max_depth=max_depth,
        hops=len(found) - 1 if found else None,
        nodes=[node_view(node) for node in found],
    )
