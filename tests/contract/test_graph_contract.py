"""The graph port's contract, run against every adapter: Postgres always, Neo4j when NEO4J_URI is set."""

from __future__ import annotations

import itertools
import os
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any, get_args

import psycopg
import pytest

from dotline.db import Database
from dotline.errors import InvalidRequest
from dotline.ports.graph import (
    GraphEdge,
    GraphNode,
    GraphStore,
    NodeLabel,
    RelationshipType,
    SecondaryLabel,
)
from dotline.settings import Settings


@pytest.fixture(params=["postgres", "neo4j"])
def graph(request: pytest.FixtureRequest, settings: Settings) -> Iterator[GraphStore]:
    if request.param == "postgres":
        from dotline.adapters.postgres_graph import PostgresGraph

        db = Database(settings)
        yield PostgresGraph(db)
        db.close()
        return
    if not os.environ.get("NEO4J_URI"):
        pytest.skip("NEO4J_URI not set")
    from dotline.adapters.neo4j_graph import Neo4jGraph

    neo4j_graph = Neo4jGraph.from_settings(Settings())
    neo4j_graph.apply_schema()
    yield neo4j_graph
    neo4j_graph.close()


@pytest.fixture
def owner(make_user: Callable[..., Any], graph: GraphStore) -> Iterator[uuid.UUID]:
    user_id: uuid.UUID = make_user().user_id
    yield user_id
    graph.erase_user(user_id)


def node(
    user_id: uuid.UUID, label: NodeLabel = "Concept", version: int = 0, **props: Any
) -> GraphNode:
    return GraphNode(
        node_id=uuid.uuid4(), user_id=user_id, label=label, properties=props, version=version
    )


def edge(
    a: GraphNode, b: GraphNode, type: RelationshipType = "RELATED_TO", **fields: Any
) -> GraphEdge:
    return GraphEdge(
        user_id=a.user_id, source_id=a.node_id, target_id=b.node_id, type=type, **fields
    )


def chain(graph: GraphStore, user_id: uuid.UUID, length: int) -> list[GraphNode]:
    """Nodes n0 -> n1 -> ... joined by RELATED_TO, stored."""
    nodes = [node(user_id, name=f"n{i}") for i in range(length)]
    graph.upsert_nodes(nodes)
    graph.upsert_edges([edge(a, b) for a, b in itertools.pairwise(nodes)])
    return nodes


def ids(nodes: list[GraphNode]) -> set[uuid.UUID]:
    return {n.node_id for n in nodes}


def test_upserting_the_same_node_twice_stores_one(graph: GraphStore, owner: uuid.UUID) -> None:
    concept = node(
        owner, name="courage", nested={"a": [1, {"b": None}]}, tags=["x", "y"], empty=None
    )

    graph.upsert_nodes([concept])
    graph.upsert_nodes([concept])

    assert graph.subgraph(owner).nodes == [concept]


def test_an_older_version_changes_nothing_and_a_newer_one_wins(
    graph: GraphStore, owner: uuid.UUID
) -> None:
    current = node(owner, version=5, name="v5")
    graph.upsert_nodes([current])

    graph.upsert_nodes([current.model_copy(update={"version": 4, "properties": {"name": "v4"}})])
    after_older = graph.subgraph(owner).nodes
    newer = current.model_copy(update={"version": 6, "label": "Tag", "properties": {"name": "v6"}})
    graph.upsert_nodes([newer])

    assert after_older == [current]
    assert graph.subgraph(owner).nodes == [newer]


def test_edges_are_keyed_by_source_target_and_type_with_versions(
    graph: GraphStore, owner: uuid.UUID
) -> None:
    a, b = node(owner), node(owner)
    graph.upsert_nodes([a, b])
    first = edge(a, b, weight=0.5, version=2, properties={"why": "same trip"})

    graph.upsert_edges([first, edge(a, b, "SUPPORTS")])
    graph.upsert_edges([first.model_copy(update={"weight": 0.1, "version": 1})])
    graph.upsert_edges([first.model_copy(update={"weight": 0.9, "version": 3})])

    stored = {e.type: e for e in graph.subgraph(owner).edges}
    assert set(stored) == {"RELATED_TO", "SUPPORTS"}
    assert stored["RELATED_TO"].weight == 0.9
    assert stored["RELATED_TO"].version == 3
    assert stored["RELATED_TO"].properties == {"why": "same trip"}


def test_an_edge_to_a_missing_node_is_skipped(graph: GraphStore, owner: uuid.UUID) -> None:
    a = node(owner)
    graph.upsert_nodes([a])

    graph.upsert_edges([edge(a, node(owner))])

    assert graph.subgraph(owner).edges == []


def test_a_nodes_secondary_labels_are_kept_by_every_read_and_replaced_by_an_upsert(
    graph: GraphStore, owner: uuid.UUID
) -> None:
    # given a concept that is also a Person, one that is also a Location, linked to a memory
    mira = node(owner, name="Mira").model_copy(update={"extra_labels": ["Person"]})
    bled = node(owner, name="Lake Bled").model_copy(update={"extra_labels": ["Location"]})
    memory = node(owner, label="MemoryUnit", title="Swim")
    graph.upsert_nodes([mira, bled, memory])
    graph.upsert_edges([edge(memory, mira, "INVOLVES"), edge(memory, bled, "HAPPENED_AT")])
    # when the graph is read every way the port offers
    hood = graph.neighbourhood(owner, memory.node_id, 1)
    near = graph.neighbours(owner, [memory.node_id], 10)
    path = graph.shortest_path(owner, mira.node_id, bled.node_id) or []
    whole = graph.subgraph(owner)
    # then each read gives the concepts their own label and their secondary one
    for nodes in (hood.nodes, near.nodes, path, whole.nodes):
        labels = {n.node_id: n.labels for n in nodes}
        assert labels[mira.node_id] == ["Concept", "Person"]
        assert labels[bled.node_id] == ["Concept", "Location"]
    assert {n.node_id: n.labels for n in whole.nodes}[memory.node_id] == ["MemoryUnit"]
    # and a newer upsert without it takes the secondary label away
    graph.upsert_nodes([mira.model_copy(update={"extra_labels": [], "version": 1})])
    (again,) = [n for n in graph.subgraph(owner).nodes if n.node_id == mira.node_id]
    assert again.labels == ["Concept"]


def test_a_node_cannot_repeat_its_own_label_as_a_secondary_one(owner: uuid.UUID) -> None:
    with pytest.raises(ValueError, match="repeat"):
        GraphNode(node_id=uuid.uuid4(), user_id=owner, label="Person", extra_labels=["Person"])


@pytest.mark.parametrize("start", [0, 4])
def test_neighbourhood_walks_either_direction_to_the_given_depth(
    graph: GraphStore, owner: uuid.UUID, start: int
) -> None:
    nodes = chain(graph, owner, 5)  # n0 -> n1 -> n2 -> n3 -> n4
    step = 1 if start == 0 else -1

    one = graph.neighbourhood(owner, nodes[start].node_id, depth=1)
    two = graph.neighbourhood(owner, nodes[start].node_id, depth=2)

    assert ids(one.nodes) == {nodes[start].node_id, nodes[start + step].node_id}
    assert ids(two.nodes) == {nodes[start + i * step].node_id for i in range(3)}
    assert len(two.edges) == 2
    assert all({e.source_id, e.target_id} <= ids(two.nodes) for e in two.edges)
    assert graph.neighbourhood(owner, nodes[start].node_id, depth=0).nodes == [nodes[start]]


def test_neighbourhood_keeps_the_nearest_nodes_within_the_limit(
    graph: GraphStore, owner: uuid.UUID
) -> None:
    hub = node(owner, "MemoryUnit")
    spokes = [node(owner) for _ in range(5)]
    far = node(owner)
    graph.upsert_nodes([hub, *spokes, far])
    graph.upsert_edges([edge(hub, s) for s in spokes] + [edge(far, spokes[0])])

    hood = graph.neighbourhood(owner, hub.node_id, depth=2, limit=4)

    assert len(hood.nodes) == 4
    assert hood.nodes[0] == hub
    assert far.node_id not in ids(hood.nodes)
    assert all({e.source_id, e.target_id} <= ids(hood.nodes) for e in hood.edges)


def test_neighbours_reads_one_hop_of_several_nodes_in_either_direction(
    graph: GraphStore, owner: uuid.UUID
) -> None:
    nodes = chain(graph, owner, 5)  # n0 -> n1 -> n2 -> n3 -> n4
    seeds = [nodes[0].node_id, nodes[4].node_id, uuid.uuid4()]  # the last is nobody's

    hood = graph.neighbours(owner, seeds, limit_per_node=10)

    assert ids(hood.nodes) == {nodes[1].node_id, nodes[3].node_id}
    assert {(e.source_id, e.target_id) for e in hood.edges} == {
        (nodes[0].node_id, nodes[1].node_id),
        (nodes[3].node_id, nodes[4].node_id),
    }
    assert [n.properties for n in hood.nodes if n.node_id == nodes[1].node_id] == [{"name": "n1"}]
    assert graph.neighbours(owner, [], limit_per_node=10).nodes == []


def test_neighbours_keeps_the_heaviest_edges_of_each_node_within_the_limit(
    graph: GraphStore, owner: uuid.UUID
) -> None:
    hub, other_hub = node(owner, "MemoryUnit"), node(owner, "MemoryUnit")
    spokes = [node(owner) for _ in range(5)]
    graph.upsert_nodes([hub, other_hub, *spokes])
    graph.upsert_edges(
        [edge(hub, s, weight=(i + 1) / 10) for i, s in enumerate(spokes)]
        + [edge(spokes[0], other_hub, "SUPPORTS", weight=0.9)]
    )

    hood = graph.neighbours(owner, [hub.node_id, other_hub.node_id], limit_per_node=2)

    assert ids(hood.nodes) == {spokes[4].node_id, spokes[3].node_id, spokes[0].node_id}
    weights = sorted((e.source_id, e.target_id, e.weight) for e in hood.edges)
    assert weights == sorted(
        [
            (hub.node_id, spokes[4].node_id, 0.5),
            (hub.node_id, spokes[3].node_id, 0.4),
            (spokes[0].node_id, other_hub.node_id, 0.9),
        ]
    )


def test_neighbours_of_another_users_nodes_are_empty(
    graph: GraphStore, owner: uuid.UUID, make_user: Callable[..., Any]
) -> None:
    nodes = chain(graph, owner, 2)
    stranger: uuid.UUID = make_user().user_id

    assert graph.neighbours(stranger, [nodes[0].node_id], limit_per_node=5).nodes == []


def test_out_of_range_walks_are_refused(graph: GraphStore, owner: uuid.UUID) -> None:
    with pytest.raises(InvalidRequest):
        graph.neighbours(owner, [uuid.uuid4()], limit_per_node=0)
    with pytest.raises(InvalidRequest):
        graph.neighbours(owner, [uuid.uuid4() for _ in range(101)], limit_per_node=1)
    with pytest.raises(InvalidRequest):
        graph.neighbourhood(owner, uuid.uuid4(), depth=99)
    with pytest.raises(InvalidRequest):
        graph.shortest_path(owner, uuid.uuid4(), uuid.uuid4(), max_depth=0)


def test_shortest_path_takes_the_short_way_in_either_direction(
    graph: GraphStore, owner: uuid.UUID
) -> None:
    nodes = chain(graph, owner, 5)
    graph.upsert_edges([edge(nodes[4], nodes[1], "EVOLVED_FROM")])  # a shortcut, pointing back

    path = graph.shortest_path(owner, nodes[0].node_id, nodes[4].node_id)
    back = graph.shortest_path(owner, nodes[4].node_id, nodes[0].node_id)

    assert path == [nodes[0], nodes[1], nodes[4]]
    assert back == [nodes[4], nodes[1], nodes[0]]
    assert graph.shortest_path(owner, nodes[0].node_id, nodes[0].node_id) == [nodes[0]]


def test_shortest_path_is_none_when_unreachable_or_too_far(
    graph: GraphStore, owner: uuid.UUID
) -> None:
    nodes = chain(graph, owner, 4)
    island = node(owner)
    graph.upsert_nodes([island])

    assert graph.shortest_path(owner, nodes[0].node_id, island.node_id) is None
    assert graph.shortest_path(owner, nodes[0].node_id, nodes[3].node_id, max_depth=2) is None
    assert graph.shortest_path(owner, nodes[0].node_id, nodes[3].node_id, max_depth=3) == nodes
    assert graph.shortest_path(owner, nodes[0].node_id, uuid.uuid4()) is None


def test_connection_counts_cover_both_directions_and_absent_nodes(
    graph: GraphStore, owner: uuid.UUID
) -> None:
    a, b, c = node(owner), node(owner), node(owner)
    graph.upsert_nodes([a, b, c])
    graph.upsert_edges([edge(a, b), edge(b, a, "SUPPORTS"), edge(c, a)])
    absent = uuid.uuid4()

    counts = graph.connection_counts(owner, [a.node_id, b.node_id, c.node_id, absent, a.node_id])

    assert counts == {a.node_id: 3, b.node_id: 2, c.node_id: 1, absent: 0}


def test_deleting_a_node_removes_its_edges(graph: GraphStore, owner: uuid.UUID) -> None:
    a, b, c = chain(graph, owner, 3)

    graph.delete_node(owner, b.node_id)
    graph.delete_node(owner, b.node_id)  # missing: not an error

    whole = graph.subgraph(owner)
    assert ids(whole.nodes) == {a.node_id, c.node_id}
    assert whole.edges == []


def test_deleting_nodes_in_bulk_removes_them_and_their_edges_only(
    graph: GraphStore, owner: uuid.UUID
) -> None:
    a, b, c, d = chain(graph, owner, 4)

    gone = graph.delete_nodes(owner, [b.node_id, c.node_id, uuid.uuid4()])
    again = graph.delete_nodes(owner, [b.node_id, c.node_id])  # missing: not an error

    whole = graph.subgraph(owner)
    assert (gone, again) == (2, 0)
    assert ids(whole.nodes) == {a.node_id, d.node_id}
    assert whole.edges == []


def test_deleting_an_edge_removes_only_that_edge(graph: GraphStore, owner: uuid.UUID) -> None:
    a, b = node(owner), node(owner)
    graph.upsert_nodes([a, b])
    graph.upsert_edges([edge(a, b), edge(a, b, "SUPPORTS")])

    graph.delete_edge(owner, a.node_id, b.node_id, "RELATED_TO")
    graph.delete_edge(owner, a.node_id, b.node_id, "RELATED_TO")  # missing: not an error

    assert [e.type for e in graph.subgraph(owner).edges] == ["SUPPORTS"]


def test_another_user_sees_and_changes_nothing_of_a_users_graph(
    graph: GraphStore, owner: uuid.UUID, make_user: Callable[..., Any]
) -> None:
    a, b, c = chain(graph, owner, 3)
    intruder = make_user().user_id
    mine = node(intruder)
    graph.upsert_nodes([mine])

    hood = graph.neighbourhood(intruder, a.node_id, depth=2)
    path = graph.shortest_path(intruder, a.node_id, c.node_id)
    counts = graph.connection_counts(intruder, [b.node_id])
    graph.upsert_nodes([a.model_copy(update={"user_id": intruder, "version": 99})])
    graph.upsert_edges(
        [GraphEdge(user_id=intruder, source_id=mine.node_id, target_id=a.node_id, type="OWNS")]
    )
    graph.delete_node(intruder, b.node_id)
    graph.delete_edge(intruder, a.node_id, b.node_id, "RELATED_TO")

    assert hood.nodes == [] and hood.edges == []
    assert path is None
    assert counts == {b.node_id: 0}
    assert graph.subgraph(intruder).nodes == [mine]
    assert graph.subgraph(intruder).edges == []
    whole = graph.subgraph(owner)
    assert whole.nodes == sorted([a, b, c], key=lambda n: n.node_id)
    assert len(whole.edges) == 2
    graph.erase_user(intruder)


def test_erasing_a_user_removes_exactly_their_graph(
    graph: GraphStore, owner: uuid.UUID, make_user: Callable[..., Any]
) -> None:
    chain(graph, owner, 4)
    other = make_user().user_id
    kept = chain(graph, other, 3)

    erased = graph.erase_user(owner)

    assert erased == 4
    assert graph.subgraph(owner).nodes == []
    assert graph.subgraph(owner).edges == []
    survivors = graph.subgraph(other)
    assert ids(survivors.nodes) == ids(kept)
    assert len(survivors.edges) == 2
    assert graph.erase_user(owner) == 0
    graph.erase_user(other)


def test_graph_version_changes_with_every_kind_of_write_or_is_not_kept(
    graph: GraphStore, owner: uuid.UUID, make_user: Callable[..., Any]
) -> None:
    before = graph.graph_version(owner)
    if before is None:
        pytest.skip("this store keeps no graph version (callers read the graph instead)")
    other = make_user().user_id
    a, b = node(owner), node(owner)
    seen = [before]

    for write in (
        lambda: graph.upsert_nodes([a, b]),
        lambda: graph.upsert_edges([edge(a, b)]),
        lambda: graph.upsert_edges([edge(a, b, weight=2.0)]),
        lambda: graph.delete_edge(owner, a.node_id, b.node_id, "RELATED_TO"),
        lambda: graph.delete_node(owner, b.node_id),
        lambda: graph.erase_user(owner),
    ):
        write()
        seen.append(graph.graph_version(owner))
    unchanged = graph.graph_version(owner)
    graph.upsert_nodes([node(other)])

    assert len(set(seen)) == len(seen)  # every write gave a version never seen before
    assert graph.graph_version(owner) == unchanged  # another user's write is not ours
    graph.erase_user(other)


def test_postgres_checks_list_exactly_the_ports_labels_and_types(
    pg: psycopg.Connection[Any],
) -> None:
    def allowed(constraint: str) -> set[str]:
        row = pg.execute(
            "select pg_get_constraintdef(oid) from pg_constraint where conname = %s", (constraint,)
        ).fetchone()
        assert row is not None
        return set(re.findall(r"'(\w+)'", row[0]))

    assert allowed("nodes_label_known") == set(get_args(NodeLabel))
    assert allowed("nodes_extra_labels_known") == set(get_args(SecondaryLabel))
    assert allowed("edges_type_known") == set(get_args(RelationshipType))
