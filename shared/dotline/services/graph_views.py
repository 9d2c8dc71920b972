"""Reading the caller's graph for the apps: the neighbourhood of any node of theirs.

The graph store is reached only through its port, and every call names the caller, so another
person's node is simply not found (404, never 403).
"""

from __future__ import annotations

from uuid import UUID

from dotline.auth import Principal
from dotline.errors import NotFound
from dotline.models.graph_views import GraphEdgeView, GraphNodeView, Neighbourhood
from dotline.ports.graph import GraphNode, GraphStore, Subgraph
from dotline.services.graph_connections import ENTITY_TYPES

# The property that names a node for display, by label (first one present wins).
_LABEL_KEYS = ("name", "title", "display_name")


def node_neighbourhood(
    graph: GraphStore, user: Principal, node_id: UUID, *, depth: int, limit: int
) -> Neighbourhood:
    """The node and what lies within `depth` hops of it; NotFound unless it is in the caller's
    graph."""
    hood = neighbourhood_of(graph, user.user_id, node_id, depth=depth, limit=limit)
    if not hood.nodes:
        raise NotFound("No such node in your graph.")
    return hood


def neighbourhood_of(
    graph: GraphStore, user_id: UUID, node_id: UUID, *, depth: int, limit: int
) -> Neighbourhood:
    """The neighbourhood as the API shows it (no nodes when the graph does not hold node_id)."""
    found = graph.neighbourhood(user_id, node_id, depth, limit + 1)  # one more: was it cut?
    kept = found.nodes[:limit]
    ids = {node.node_id for node in kept}
    edges = [e for e in found.edges if e.source_id in ids and e.target_id in ids]
    return Neighbourhood(
        center_id=node_id,
        depth=depth,
        nodes=[node_view(node) for node in kept],
        edges=edge_views(Subgraph(nodes=kept, edges=edges)),
        truncated=len(found.nodes) > limit,
    )


def node_view(node: GraphNode) -> GraphNodeView:
    """A stored node as the API shows it."""
    return GraphNodeView(
        node_id=node.node_id,
        type=ENTITY_TYPES[node.label],
        label=display_label(node),
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
