"""The insight cycle's compile phase: a person's activity since their last cycle and the shape of
their knowledge graph (communities by Louvain, central concepts by PageRank and betweenness,
computed with networkx over the subgraph the graph port returns)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from dotline.db import Database
from dotline.growth_rules import GrowthConfig
from dotline.ports.graph import GraphStore, Subgraph
from dotline.ports.insight_synthesis import (
    CentralConcept,
    ConceptCommunity,
    DimensionMove,
    InsightBrief,
)

if TYPE_CHECKING:
    import networkx as nx

CENTRAL_CONCEPTS = 5
COMMUNITIES = 5
NAMES_PER_COMMUNITY = 5
MAX_ANALYSED_NODES = 2_000  # the best-linked ones: keeps a cycle to seconds on a large graph
EXACT_BETWEENNESS_MAX_NODES = 300  # above this, betweenness is estimated from a sample
BETWEENNESS_SAMPLE = 64  # source nodes; enough to rank the few bridges a summary names
DAMPING = 0.85
PAGERANK_MAX_ITERATIONS = 100
PAGERANK_TOLERANCE = 1e-6
SEED = 7  # Louvain and sampled betweenness are randomised: a fixed seed keeps cycles reproducible
MAX_PERSISTED_COMMUNITIES = 100  # the largest; a smaller one is noise at the scale of a life
MIN_COMMUNITY_CONCEPTS = 2
NAMES_IN_COMMUNITY_NAME = 3
UNANALYSED_LABELS = frozenset({"User", "Community"})  # the owner, and the cycle's own output


@dataclass
class ConceptGroup:
    """A community as it is persisted: a name from its most central concepts, and its concepts."""

    name: str
    concept_ids: list[str]


@dataclass
class GraphShape:
    """What the graph analysis found: for the brief, and the communities to persist."""

    central: list[CentralConcept] = field(default_factory=list)
    communities: list[ConceptCommunity] = field(default_factory=list)
    groups: list[ConceptGroup] = field(default_factory=list)
    concept_ids: list[UUID] = field(default_factory=list)  # every concept node, linked or not


def compile_brief(
    user_id: UUID, since: datetime, *, db: Database, graph: GraphStore, config: GrowthConfig
) -> tuple[InsightBrief, GraphShape]:
    """Everything the synthesis may draw on for the cycle that began after `since`, and the
    graph's shape it was drawn from."""
    with db.as_service() as tx:
        tx.execute(
            "select private.insight_activity(%(user_id)s, %(since)s) as activity",
            {"user_id": user_id, "since": since},
        )
        activity: dict[str, Any] = (tx.fetchone() or {})["activity"]
    subgraph = graph.subgraph(user_id)
    shape = analyse_graph(subgraph)
    shape.concept_ids = [n.node_id for n in subgraph.nodes if n.label == "Concept"]
    growth = [
        DimensionMove(
            dim_key=row["dim_key"],
            label=config.describe(row["dim_key"]).label,
            cycle_delta=round(float(row["cycle_delta"]), 4),
            total=round(float(row["total"]), 4),
        )
        for row in activity["growth"]
        if any(dim.key == row["dim_key"] for dim in config.dimensions)
    ]
    brief = InsightBrief(
        conversations=activity["conversations"],
        messages=activity["messages"],
        conversation_titles=activity["conversation_titles"],
        memories=activity["memories"],
        growth=growth,
        central_concepts=shape.central,
        communities=shape.communities,
    )
    return brief, shape


def analyse_graph(subgraph: Subgraph) -> GraphShape:
    """The most central named nodes (concepts first), the largest linked communities, and the
    communities of concepts to persist."""
    import networkx as nx  # only the insight cycle needs it

    g = _best_linked(_as_networkx(subgraph), MAX_ANALYSED_NODES)
    if g.number_of_edges() == 0:
        return GraphShape()
    pagerank = _pagerank(g)
    betweenness = _betweenness(g)
    # Centrality is how linked a node is (PageRank, scaled to the top node) plus how much it
    # bridges (normalised betweenness): hubs and the concepts joining two parts of a life rank high.
    top = max(pagerank.values())
    ranked = sorted(g.nodes, key=lambda n: (-(pagerank[n] / top + betweenness[n]), n))
    concepts = [n for n in ranked if g.nodes[n]["label"] == "Concept"] or ranked
    central = [
        CentralConcept(
            node_id=n,
            name=g.nodes[n]["name"],
            pagerank=round(pagerank[n], 6),
            betweenness=round(betweenness[n], 6),
        )
        for n in concepts
        if g.degree(n) > 0
    ][:CENTRAL_CONCEPTS]
    groups = nx.community.louvain_communities(g, weight="weight", seed=SEED)
    linked = sorted((sorted(c) for c in groups if len(c) > 1), key=lambda c: (-len(c), c[0]))
    communities = [
        ConceptCommunity(
            names=[g.nodes[n]["name"] for n in sorted(c, key=lambda n: (-pagerank[n], n))][
                :NAMES_PER_COMMUNITY
            ],
            size=len(c),
        )
        for c in linked[:COMMUNITIES]
    ]
    return GraphShape(central, communities, _concept_groups(g, linked, pagerank))


def _concept_groups(
    g: nx.Graph, linked: list[list[str]], pagerank: dict[str, float]
) -> list[ConceptGroup]:
    """The communities holding enough concepts, named by their most central concepts."""
    groups = []
    for members in linked:
        concepts = sorted(
            (n for n in members if g.nodes[n]["label"] == "Concept"),
            key=lambda n: (-pagerank[n], n),
        )
        if len(concepts) >= MIN_COMMUNITY_CONCEPTS:
            name = ", ".join(g.nodes[n]["name"] for n in concepts[:NAMES_IN_COMMUNITY_NAME])
            groups.append(ConceptGroup(name=name, concept_ids=concepts))
    return groups[:MAX_PERSISTED_COMMUNITIES]


def _as_networkx(subgraph: Subgraph) -> nx.Graph:
    import networkx as nx

    g = nx.Graph()
    named = {
        n.node_id: n
        for n in subgraph.nodes
        if n.label not in UNANALYSED_LABELS and _name(n.properties)
    }
    for node_id in sorted(named, key=str):
        node = named[node_id]
        g.add_node(str(node_id), label=node.label, name=_name(node.properties))
    for edge in sorted(subgraph.edges, key=lambda e: (str(e.source_id), str(e.target_id), e.type)):
        if edge.source_id in named and edge.target_id in named:
            a, b = str(edge.source_id), str(edge.target_id)
            weight = g.edges[a, b]["weight"] + edge.weight if g.has_edge(a, b) else edge.weight
            g.add_edge(a, b, weight=weight)
    return g


def _best_linked(g: nx.Graph, most: int) -> nx.Graph:
    """The subgraph of the `most` nodes with the most links (ties by id), or g when smaller."""
    if g.number_of_nodes() <= most:
        return g
    keep = sorted(g.nodes, key=lambda n: (-g.degree(n, weight="weight"), n))[:most]
    return g.subgraph(keep).copy()


def _pagerank(g: nx.Graph) -> dict[str, float]:
    """PageRank by power iteration over the weighted edges (networkx's own needs scipy)."""
    import numpy as np

    nodes = list(g.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    ends = [(index[a], index[b], float(w)) for a, b, w in g.edges(data="weight")]
    sources = np.array([a for a, b, _ in ends] + [b for a, b, _ in ends], dtype=np.int64)
    targets = np.array([b for a, b, _ in ends] + [a for a, b, _ in ends], dtype=np.int64)
    weights = np.array([w for *_, w in ends] * 2)
    strength = np.bincount(sources, weights=weights, minlength=len(nodes))
    rank = np.full(len(nodes), 1.0 / len(nodes))
    for _ in range(PAGERANK_MAX_ITERATIONS):
        flow = np.bincount(
            targets, weights=rank[sources] * weights / strength[sources], minlength=len(nodes)
        )
        dangling = rank[strength == 0].sum()
        new = (1 - DAMPING) / len(nodes) + DAMPING * (flow + dangling / len(nodes))
        done = np.abs(new - rank).sum() < PAGERANK_TOLERANCE * len(nodes)
        rank = new
        if done:
            break
    return {n: float(rank[index[n]]) for n in nodes}


def _betweenness(g: nx.Graph) -> dict[str, float]:
    import networkx as nx

    if g.number_of_nodes() <= EXACT_BETWEENNESS_MAX_NODES:
        return dict(nx.betweenness_centrality(g))
    return dict(nx.betweenness_centrality(g, k=BETWEENNESS_SAMPLE, seed=SEED))


def _name(properties: dict[str, Any]) -> str:
    value = properties.get("name") or properties.get("title") or ""
    return str(value).strip()[:120]
