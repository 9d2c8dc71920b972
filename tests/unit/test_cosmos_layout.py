"""The cosmos layout: the same graph always lands in the same places, and a graph over the bound
keeps its best-linked nodes (pure: no stack)."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from dotline.ports.graph import GraphEdge, GraphNode
from dotline.services.graph import cosmos_layout


def layout_graph(count: int, user_id: uuid.UUID) -> tuple[list[GraphNode], list[GraphEdge]]:
    nodes = [
        GraphNode(node_id=uuid.UUID(int=k + 1), user_id=user_id, label="Concept")
        for k in range(count)
    ]
    edges = [
        GraphEdge(
            user_id=user_id, source_id=nodes[k].node_id, target_id=nodes[k // 2].node_id,
            type="RELATED_TO",
        )
        for k in range(1, count)
    ]  # fmt: skip
    return nodes, edges


def test_the_same_graph_always_gets_the_same_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cosmos_layout, "CORE_NODES", 60)  # the force layout and the placement
    nodes, edges = layout_graph(400, uuid.uuid4())

    first = cosmos_layout.lay_out(nodes, edges)
    again = cosmos_layout.lay_out(list(reversed(nodes)), list(reversed(edges)))

    assert first.positions == again.positions
    assert len(first.positions) == 400
    assert len(set(first.positions.values())) == 400  # no two nodes on one spot


def test_a_graph_over_the_bound_keeps_its_best_linked_nodes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cosmos_layout, "MAX_NODES", 50)
    monkeypatch.setattr(cosmos_layout, "CORE_NODES", 10)
    nodes, edges = layout_graph(120, uuid.uuid4())
    loners = [
        GraphNode(node_id=uuid.uuid4(), user_id=nodes[0].user_id, label="Tag") for _ in range(5)
    ]

    laid = cosmos_layout.lay_out(nodes + loners, edges)

    assert (len(laid.positions), laid.total_nodes, laid.truncated) == (50, 125, True)
    degree = Counter([e.source_id for e in edges] + [e.target_id for e in edges])
    left_out = {n.node_id for n in nodes} - set(laid.positions)
    assert min(degree[n] for n in laid.positions) >= max(degree[n] for n in left_out)
    assert not set(laid.positions) & {n.node_id for n in loners}
    assert all(e.source_id in laid.positions and e.target_id in laid.positions for e in laid.edges)
