"""The cosmos projection: the caller's graph laid out in 3D, computed once per version of the graph.

What the layout depends on (nodes, their type and label, edges and weights, the algorithm) is
fingerprinted, and a projection is found by fingerprint in the cache or among the stored
snapshots (`_snapshots`); only when neither has it is the layout computed and kept. So an
unchanged graph is never laid out twice and a changed one always is. Where the graph store keeps
a version per user (the embedded one does), the fingerprint seen at that version is remembered,
and an unchanged graph is not even read. Merged concepts are left out: they stand for their
survivor. So are memories Postgres no longer holds live (`memories.liveness`): the fingerprint is
of the live graph, and a remembered one is used only while its liveness answer still holds (no
expiry it counted on has passed, no memory changed since has expired), one cheap query.
"""

from __future__ import annotations

import hashlib
import logging
import time
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database
from dotline.models.graph_views import GraphProjection
from dotline.ports.cache import Cache
from dotline.ports.graph import GraphNode, GraphStore, Subgraph
from dotline.services.graph import _snapshots, cosmos_layout
from dotline.services.graph.connections import ENTITY_TYPES
from dotline.services.graph.views import display_label
from dotline.services.memories import liveness as memory_liveness

logger = logging.getLogger(__name__)


def current_projection(
    db: Database, graph: GraphStore, cache: Cache, user: Principal
) -> GraphProjection:
    """The layout of the caller's graph as it is now: cached, stored, or computed once."""
    _, projection = projection_unless_held(db, graph, cache, user, None)
    assert projection is not None  # nothing is held, so something is answered
    return projection


def projection_unless_held(
    db: Database, graph: GraphStore, cache: Cache, user: Principal, if_none_match: str | None
) -> tuple[str, GraphProjection | None]:
    """(fingerprint, projection) of the caller's graph now; the projection is None when the
    client already holds this fingerprint (`if_none_match`, an HTTP If-None-Match value)."""
    held = entity_tags(if_none_match)
    version = graph.graph_version(user.user_id)  # before the read: a later write moves it on
    if version is not None:
        known = _snapshots.fingerprint_at(cache, user.user_id, version)
        if known is not None and memory_liveness.still_holds(db, user, known[1]):
            if _holds(held, known[0]):
                return known[0], None
            found = _snapshots.find(db, cache, user, known[0])
            if found is not None:
                return known[0], found
    live, liveness = memory_liveness.live_subgraph(db, user, graph.subgraph(user.user_id))
    nodes, whole = _visible(live)
    fingerprint = graph_fingerprint(nodes, whole)
    if version is not None:
        _snapshots.record_fingerprint(cache, user.user_id, version, fingerprint, liveness)
    if _holds(held, fingerprint):
        return fingerprint, None
    projection = _snapshots.find(db, cache, user, fingerprint)
    if projection is None:
        projection = _compute(db, user.user_id, fingerprint, nodes, whole)
        _snapshots.remember(cache, user.user_id, projection)
    return fingerprint, projection


def entity_tags(if_none_match: str | None) -> frozenset[str]:
    """The entity tags an If-None-Match header lists, weak or strong, without quotes."""
    if not if_none_match:
        return frozenset()
    tags = (tag.strip().removeprefix("W/").strip('"') for tag in if_none_match.split(","))
    return frozenset(tag for tag in tags if tag)


def _holds(held: frozenset[str], fingerprint: str) -> bool:
    return fingerprint in held or "*" in held


def graph_fingerprint(nodes: list[GraphNode], whole: Subgraph) -> str:
    """A digest of everything the layout and its labels depend on (order-independent)."""
    digest = hashlib.sha256(cosmos_layout.ALGORITHM.encode())
    for node in sorted(nodes, key=lambda n: n.node_id):
        digest.update(f"n|{node.node_id}|{node.label}|{display_label(node) or ''}\n".encode())
    for edge in sorted(whole.edges, key=lambda e: (e.source_id, e.target_id, e.type)):
        digest.update(f"e|{edge.source_id}|{edge.target_id}|{edge.type}|{edge.weight!r}\n".encode())
    return digest.hexdigest()[:32]


def _visible(whole: Subgraph) -> tuple[list[GraphNode], Subgraph]:
    """The nodes the cosmos shows (no merged concepts) and the edges among them."""
    hidden = {
        n.node_id
        for n in whole.nodes
        if n.label == "Concept" and n.properties.get("status") == "merged"
    }
    nodes = [n for n in whole.nodes if n.node_id not in hidden]
    edges = [e for e in whole.edges if e.source_id not in hidden and e.target_id not in hidden]
    return nodes, Subgraph(nodes=nodes, edges=edges)


def _compute(
    db: Database, user_id: UUID, fingerprint: str, nodes: list[GraphNode], whole: Subgraph
) -> GraphProjection:
    started = time.perf_counter()
    layout = cosmos_layout.lay_out(nodes, whole.edges)
    layout_ms = round((time.perf_counter() - started) * 1000, 1)
    by_id = {node.node_id: node for node in nodes}
    data = {  # JSON-ready as stored; GraphProjection validates it when read back
        "nodes": [
            {
                "node_id": str(node_id),
                "type": ENTITY_TYPES[by_id[node_id].label],
                "label": display_label(by_id[node_id]),
                "x": x,
                "y": y,
                "z": z,
                "size": layout.sizes[node_id],
            }
            for node_id, (x, y, z) in layout.positions.items()
        ],
        "edges": [
            {
                "source_id": str(e.source_id),
                "target_id": str(e.target_id),
                "type": e.type,
                "weight": e.weight,
            }
            for e in layout.edges
        ],
    }
    metadata = {
        "fingerprint": fingerprint,
        "algorithm": cosmos_layout.ALGORITHM,
        "node_count": len(layout.positions),
        "edge_count": len(layout.edges),
        "total_nodes": layout.total_nodes,
        "truncated": layout.truncated,
        "layout_ms": layout_ms,
    }
    projection = _snapshots.store(db, user_id, data, metadata)
    logger.info("graph projection computed", extra={"user_id": str(user_id), **metadata})
    return projection
