"""Reading the caller's graph for the apps: the neighbourhood of any node of theirs.

The graph store is reached only through its port, and every call names the caller, so another
person's node is simply not found (404, never 403). Memories Postgres no longer holds live are
left out with their edges (`memories.liveness`), and so is what was reached only through them.
"""

from __future__ import annotations

from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import NotFound
from dotline.models.graph_views import GraphEdgeView, GraphNodeView, Neighbourhood
from dotline.ports.graph import GraphNode, GraphStore, Subgraph
from dotline.services.graph.connections import ENTITY_TYPES
from dotline.services.memories.liveness import live_subgraph

# The property that names a node for display, by label (first one present wins).
_LABEL_KEYS = ("name", "title", "display_name")


def node_neighbourhood(
    db: Database, graph: GraphStore, user: Principal, node_id: UUID, *, depth: int, limit: int
) -> Neighbourhood:
    """The node and what lies within `depth` hops of it; NotFound unless it is in the caller's
    graph (an expired memory is not)."""
    hood = neighbourhood_of(db, graph, user, node_id, depth=depth, limit=limit)
    if not hood.nodes:
        raise NotFound("No such node in your graph.")
    return hood


def neighbourhood_of(
    db: Database, graph: GraphStore, user: Principal, node_id: UUID, *, depth: int, limit: int
) -> Neighbourhood:
    """The neighbourhood as the API shows it (no nodes when the graph does not hold node_id,
    or holds it as a memory that is no longer live)."""
    found = graph.neighbourhood(user.user_id, node_id, depth, limit + 1)  # one more: was it cut?
    live, _ = live_subgraph(db, user, found)
    reached = _reachable(node_id, live, depth)
    kept = [node for node in live.nodes if node.node_id in reached][:limit]
    ids = {node.node_id for node in kept}
    edges = [e for e in live.edges if e.source_id in ids and e.target_id in ids]
    return Neighbourhood(
        center_id=node_id,
        depth=depth,
        nodes=[node_view(node) for node in kept],
        edges=edge_views(Subgraph(nodes=kept, edges=edges)),
        truncated=len(found.nodes) > limit,
    )


def _reachable(center: UUID, subgraph: Subgraph, depth: int) -> set[UUID]:
    """The nodes within depth hops of center over the subgraph's edges, either way (a node the
    walk reached only through a hidden memory is no longer in reach)."""
    if center not in {node.node_id for node in subgraph.nodes}:
        return set()
    adjacent: dict[UUID, set[UUID]] = {}
    for edge in subgraph.edges:
        adjacent.setdefault(edge.source_id, set()).add(edge.target_id)
        adjacent.setdefault(edge.target_id, set()).add(edge.source_id)
    reached, frontier = {center}, {center}
    for _ in range(depth):
        frontier = {n for node in frontier for n in adjacent.get(node, ())} - reached
        reached |= frontier
    return reached


def node_view(node: GraphNode) -> GraphNodeView:
    """A stored node as the API shows it."""
    return GraphNodeView(
        node_id=node.node_id,
        type=ENTITY_TYPES[node.label],
        label=display_label(node),
        labels=node.labels,
        properties=node.properties,
    )


def display_label(node: GraphNode) -> str | None:
    """The text an app shows for a node: its name, title or display name."""
    for key in _LABEL_KEYS:
        value = node.properties.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def edge_views(subgraph: Subgraph) -> list[GraphEdgeView]:
    """The subgraph's edges as the API shows them."""
    return [
        GraphEdgeView(
            source_id=edge.source_id, target_id=edge.target_id, type=edge.type, weight=edge.weight
        )
        for edge in subgraph.edges
    ]
