"""The insight cycle's graph analysis over a subgraph: central concepts and communities."""

from __future__ import annotations

import uuid

import networkx as nx
from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python

from dotline.ports.graph import GraphEdge, GraphNode, Subgraph
from dotline.services.insights._compiler import _as_networkx, _best_linked, _pagerank, analyse_graph

USER = uuid.uuid4()


def node(name: str, label: str = "Concept") -> GraphNode:
    return GraphNode(node_id=uuid.uuid4(), user_id=USER, label=label, properties={"name": name})  # type: ignore[arg-type]


def edge(a: GraphNode, b: GraphNode) -> GraphEdge:
    return GraphEdge(user_id=USER, source_id=a.node_id, target_id=b.node_id, type="RELATED_TO")


def two_clusters_and_a_bridge() -> Subgraph:
    """Swimming and Cooking each anchor a triangle; Mira bridges the two."""
    swim, lake, sea = node("Swimming"), node("Lake"), node("Sea")
    cook, bread, soup = node("Cooking"), node("Bread"), node("Soup")
    mira = node("Mira")
    edges = [edge(swim, lake), edge(swim, sea), edge(lake, sea),
             edge(cook, bread), edge(cook, soup), edge(bread, soup),
             edge(mira, swim), edge(mira, cook)]  # fmt: skip
    return Subgraph(nodes=[swim, lake, sea, cook, bread, soup, mira], edges=edges)


def test_the_bridge_and_the_hubs_are_central_and_the_clusters_are_communities() -> None:
    shape = analyse_graph(two_clusters_and_a_bridge())
    central, communities = shape.central, shape.communities

    assert {c.name for c in central[:2]} == {"Swimming", "Cooking"}  # the best-linked hubs
    assert central[2].name == "Mira"  # fewer links, but on every path between the two
    assert max(central, key=lambda c: c.betweenness).name == "Mira"
    members = [set(c.names) for c in communities]
    assert len(members) == 2
    assert any({"Swimming", "Lake", "Sea"} <= m for m in members)
    assert any({"Cooking", "Bread", "Soup"} <= m for m in members)
    assert sum(c.size for c in communities) == 7


def test_pagerank_agrees_with_networkx_reference_implementation() -> None:
    g = _as_networkx(two_clusters_and_a_bridge())

    ours, reference = _pagerank(g), _pagerank_python(g)

    assert max(abs(ours[n] - reference[n]) for n in g) < 1e-6
    assert abs(sum(ours.values()) - 1) < 1e-9


def test_a_graph_without_edges_has_nothing_central() -> None:
    shape = analyse_graph(Subgraph(nodes=[node("Alone")]))
    assert (shape.central, shape.communities, shape.groups) == ([], [], [])


def test_the_same_graph_gives_the_same_analysis() -> None:
    graph = two_clusters_and_a_bridge()

    assert analyse_graph(graph) == analyse_graph(graph)
    assert nx.__version__  # the real library, not a stand-in


def test_the_persisted_groups_hold_concepts_named_by_their_central_ones() -> None:
    # given the two clusters, a memory in one, and the last cycle's community node over all
    graph = two_clusters_and_a_bridge()
    swim, *_ = graph.nodes
    memory = node("Swam at dawn", "MemoryUnit")
    earlier = node("Everything", "Community")
    graph.nodes += [memory, earlier]
    graph.edges += [edge(memory, swim), *(edge(n, earlier) for n in graph.nodes[:7])]
    # when analysed
    groups = analyse_graph(graph).groups
    # then each group lists its concepts only (the old community node is not analysed)
    concepts = {str(n.node_id): n.properties["name"] for n in graph.nodes if n.label == "Concept"}
    assert len(groups) == 2
    assert all(set(g.concept_ids) <= set(concepts) for g in groups)
    assert sorted(g.name.split(", ")[0] for g in groups) == ["Cooking", "Swimming"]
    assert str(earlier.node_id) not in {i for g in groups for i in g.concept_ids}


def test_a_large_graph_is_analysed_on_its_best_linked_nodes() -> None:
    # given a hub with twelve leaves, and one more pair linked only to each other
    hub, *leaves = (node(f"n{i}") for i in range(13))
    a, b = node("a"), node("b")
    graph = Subgraph(
        nodes=[hub, *leaves, a, b], edges=[*(edge(hub, leaf) for leaf in leaves), edge(a, b)]
    )
    # when only the three best-linked may be kept
    kept = _best_linked(_as_networkx(graph), 3)
    # then the hub stays, the isolated pair does not outrank it
    assert kept.number_of_nodes() == 3
    assert str(hub.node_id) in kept
