"""The cosmos projection: the caller's graph laid out in 3D, computed once per version of the graph.

The graph is read through its port and fingerprinted (what the layout depends on: nodes, their
type and label, edges and weights, and the algorithm). A projection is looked up by that
fingerprint, in the cache first (`user:{uid}:graph:projection:{fingerprint}`), then among the
stored snapshots (`public.user_graph_projections`); only when neither has it is the layout
computed, stored and cached. So an unchanged graph is never laid out twice and a changed one
always is. Merged concepts are left out: they stand for their survivor.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from dotline import cache_keys
from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import ServiceUnavailable
from dotline.models.graph_views import GraphProjection, ProjectedEdge, ProjectedNode
from dotline.ports.cache import Cache
from dotline.ports.graph import GraphNode, GraphStore, Subgraph
from dotline.services import cosmos_layout
from dotline.services.graph_connections import ENTITY_TYPES
from dotline.services.graph_views import display_label

logger = logging.getLogger(__name__)

KEPT_SNAPSHOTS = 3  # per user; older snapshots are deleted when a new one is stored
MAX_CACHED_BYTES = 900_000  # Upstash refuses requests over 1 MB; bigger ones are read from Postgres

_STORED = """
select projection_id, created_at, projection_data, metadata from public.user_graph_projections
where status = 'completed' and metadata ->> 'fingerprint' = %(fingerprint)s
order by created_at desc limit 1
"""
_STORE = """
insert into public.user_graph_projections (user_id, status, projection_data, metadata)
values (%(user_id)s, 'completed', %(data)s, %(metadata)s)
returning projection_id, created_at
"""
_PRUNE = """
delete from public.user_graph_projections
where user_id = %(user_id)s and projection_id not in (
  select projection_id from public.user_graph_projections where user_id = %(user_id)s
  order by created_at desc limit %(kept)s
)
"""


def current_projection(
    db: Database, graph: GraphStore, cache: Cache, user: Principal
) -> GraphProjection:
    """The layout of the caller's graph as it is now: cached, stored, or computed once."""
    nodes, whole = _visible(graph.subgraph(user.user_id))
    fingerprint = graph_fingerprint(nodes, whole)
    key = cache_keys.graph_projection(user.user_id, fingerprint)
    cached = _cached(cache, key)
    if cached is not None:
        return cached
    with db.as_user(user) as tx:
        row = tx.execute(_STORED, {"fingerprint": fingerprint}).fetchone()
    projection = _from_row(row) if row else _compute(db, user.user_id, fingerprint, nodes, whole)
    _remember(cache, key, projection)
    return projection


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
    data = {
        "nodes": [
            ProjectedNode(
                node_id=node_id,
                type=ENTITY_TYPES[by_id[node_id].label],
                label=display_label(by_id[node_id]),
                x=x,
                y=y,
                z=z,
                size=layout.sizes[node_id],
            ).model_dump(mode="json")
            for node_id, (x, y, z) in layout.positions.items()
        ],
        "edges": [
            ProjectedEdge(
                source_id=e.source_id, target_id=e.target_id, type=e.type, weight=e.weight
            ).model_dump(mode="json")
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
    params = {"user_id": user_id, "data": Jsonb(data), "metadata": Jsonb(metadata)}
    with db.as_service() as tx:
        row = tx.execute(_STORE, params).fetchone()
        tx.execute(_PRUNE, {"user_id": user_id, "kept": KEPT_SNAPSHOTS})
    assert row is not None  # an insert returns its row
    logger.info("graph projection computed", extra={"user_id": str(user_id), **metadata})
    return _from_row({**row, "projection_data": data, "metadata": metadata})


def _from_row(row: dict[str, Any]) -> GraphProjection:
    meta = row["metadata"]
    return GraphProjection(
        projection_id=row["projection_id"],
        computed_at=row["created_at"],
        fingerprint=meta["fingerprint"],
        algorithm=meta["algorithm"],
        node_count=meta["node_count"],
        total_nodes=meta["total_nodes"],
        truncated=meta["truncated"],
        nodes=row["projection_data"]["nodes"],
        edges=row["projection_data"]["edges"],
    )


def _cached(cache: Cache, key: str) -> GraphProjection | None:
    try:
        value = cache.get_json(key)
    except ServiceUnavailable:
        logger.warning("graph projection cache unreachable; reading the stored projection")
        return None
    return None if value is None else GraphProjection.model_validate(value)


def _remember(cache: Cache, key: str, projection: GraphProjection) -> None:
    body = projection.model_dump(mode="json")
    if len(json.dumps(body, separators=(",", ":"))) > MAX_CACHED_BYTES:
        return  # too big for one cache request; the stored snapshot serves it
    try:
        cache.set_json(key, body, cache_keys.GRAPH_PROJECTION_TTL_S)
    except ServiceUnavailable:
        logger.warning("graph projection not cached: the cache is unreachable")
