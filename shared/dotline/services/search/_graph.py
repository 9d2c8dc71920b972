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
from dotline.services.search._ranking import graph_credit

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
    follows: Key | None = None  # the hit this memory comes right after in its source


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
    if not seeds:
        return
    seed_types = {seed_id: seed_type for seed_type, seed_id in seeds}
    try:
        hood = graph.neighbours(user_id, list(seed_types), limit_per_node=GRAPH_NEIGHBOURS)
    except ServiceUnavailable as exc:
        logger.warning("search without the graph channel", extra={"error": exc.detail})
        unavailable.append("graph")
        return
    kinds = {node.node_id: _LABEL_TYPES.get(node.label) for node in hood.nodes}
    for edge in hood.edges:
        for seed_id, other in ((edge.source_id, edge.target_id), (edge.target_id, edge.source_id)):
            seed_type, kind = seed_types.get(seed_id), kinds.get(other)
            if seed_type is None or kind is None:
                continue
            _credit(pool, fused, (seed_type, seed_id), (kind, other), edge)


def _credit(
    pool: dict[Key, Candidate], fused: dict[Key, float], seed: Key, key: Key, edge: GraphEdge
) -> None:
    """The neighbour `key` earns its link from `seed` (its best link's credit; all are listed)."""
    candidate = pool.get(key)
    if candidate is None:
        candidate = pool[key] = Candidate(row={})
    credit = graph_credit(fused.get(seed, 0.0), edge.weight)
    candidate.graph_score = max(candidate.graph_score, credit)
    link = GraphLink(
        from_entity_type=SearchType(seed[0]), from_entity_id=seed[1], relationship=edge.type
    )
    candidate.graph_links.append(link)
