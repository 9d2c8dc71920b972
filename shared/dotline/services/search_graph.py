"""Graph expansion for search: the depth-1 neighbours of the top fused hits join the candidates,
each credited a discounted share of the hit that links to it and told which hit that was."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from dotline.errors import ServiceUnavailable
from dotline.models.search import GraphLink, SearchType
from dotline.ports.graph import GraphEdge, GraphStore
from dotline.services.search_ranking import graph_credit

logger = logging.getLogger(__name__)

GRAPH_SEEDS = 5  # top fused hits whose neighbours join the candidates
GRAPH_NEIGHBOURS = 20  # per seed
INDEXED_TYPES = ("memory", "concept", "artifact")  # what the vector index and the graph hold
_LABEL_TYPES = {"MemoryUnit": "memory", "Concept": "concept", "DerivedArtifact": "artifact"}

Key = tuple[str, UUID]


@dataclass
class Candidate:
    """One entity some channel found, with what each channel saw of it."""

    row: dict[str, Any]
    vector_similarity: float | None = None
    graph_score: float = 0.0
    graph_links: list[GraphLink] = field(default_factory=list)


def expand_through_graph(
    user_id: UUID,
    pool: dict[Key, Candidate],
    fused: dict[Key, float],
    graph: GraphStore,
    unavailable: list[Any],
) -> list[UUID]:
    """Credit the neighbours of the top fused hits; returns neighbour ids not yet in the pool."""
    seeds = sorted(
        (key for key in fused if key[0] in INDEXED_TYPES), key=lambda k: (-fused[k], str(k[1]))
    )[:GRAPH_SEEDS]
    new_ids: list[UUID] = []
    for seed_type, seed_id in seeds:
        try:
            hood = graph.neighbourhood(user_id, seed_id, depth=1, limit=GRAPH_NEIGHBOURS + 1)
        except ServiceUnavailable as exc:
            logger.warning("search without the graph channel", extra={"error": exc.detail})
            unavailable.append("graph")
            break
        edges: dict[UUID, GraphEdge] = {}
        for edge in hood.edges:
            if seed_id in (edge.source_id, edge.target_id):
                other = edge.target_id if edge.source_id == seed_id else edge.source_id
                edges.setdefault(other, edge)
        for node in hood.nodes:
            kind = _LABEL_TYPES.get(node.label)
            link_edge = edges.get(node.node_id)
            if kind is None or link_edge is None:
                continue
            key = (kind, node.node_id)
            candidate = pool.get(key)
            if candidate is None:
                # Filled by the re-read, or left empty (and dropped) when the row is not the
                # caller's, not live, or filtered out.
                candidate = pool[key] = Candidate(row={})
                new_ids.append(node.node_id)
            candidate.graph_score += graph_credit(fused[(seed_type, seed_id)], link_edge.weight)
            link = GraphLink(
                from_entity_type=SearchType(seed_type),
                from_entity_id=seed_id,
                relationship=link_edge.type,
            )
            candidate.graph_links.append(link)
    return new_ids
