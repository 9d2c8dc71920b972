"""Graph expansion for search: the depth-1 neighbours of the top hits join the candidates, each
credited a discounted share of the hit that links to it and told which hit that was."""

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
    seeds: list[Key],
    graph: GraphStore,
    unavailable: list[Any],
) -> None:
    """Credit the seeds' neighbours, adding those not yet in the pool (with no row: the caller
    re-reads them). A neighbour earns its best link's credit (a hub linked to many top hits is
    not summed to the top); every link is listed."""
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
                candidate = pool[key] = Candidate(row={})
            credit = graph_credit(fused.get((seed_type, seed_id), 0.0), link_edge.weight)
            candidate.graph_score = max(candidate.graph_score, credit)
            link = GraphLink(
                from_entity_type=SearchType(seed_type),
                from_entity_id=seed_id,
                relationship=link_edge.type,
            )
            candidate.graph_links.append(link)
