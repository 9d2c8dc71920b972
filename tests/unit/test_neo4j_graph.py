"""The Neo4j adapter without a server: what it sends (enumerated statements, flat parameters) and
how it reads properties back. The contract suite covers behaviour when NEO4J_URI is set.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import neo4j
import pytest

from dotline.adapters import neo4j_graph_statements as cypher
from dotline.adapters.neo4j_graph import Neo4jGraph
from dotline.errors import ServiceUnavailable
from dotline.ports.graph import GraphEdge, GraphNode

SCALARS = (str, bool, int, float)


@dataclass
class Result:
    records: list[dict[str, Any]]


@dataclass
class RecordingDriver:
    """Answers like a server holding only what was upserted; records every call."""

    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    node_rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail_with: Exception | None = None

    def execute_query(self, query: neo4j.Query, params: dict[str, Any], **_: Any) -> Result:
        if self.fail_with is not None:
            raise self.fail_with
        text = str(query.text)
        self.sent.append((text, params))
        if "MERGE (n:Node" in text:
            label = text.split("SET n = row.properties, n:")[1].split()[0]
            self.node_rows += [(label, row) for row in params["rows"]]
        if text == cypher.USER_NODES:
            return Result(
                [
                    {"properties": r["properties"], "labels": ["Node", *r["extraLabels"], label]}
                    for label, r in self.node_rows
                ]
            )
        if text == cypher.ERASE_BATCH:
            return Result([{"erased": 0}])
        return Result([])


def stored_value_is_flat(value: Any) -> bool:
    if isinstance(value, list):
        return len({type(v) for v in value}) == 1 and all(type(v) in SCALARS for v in value)
    return type(value) in SCALARS


def test_every_statement_sent_is_one_the_linter_checks() -> None:
    driver = RecordingDriver()
    graph = Neo4jGraph(driver, "neo4j")  # type: ignore[arg-type]
    user, a, b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    nodes = [
        GraphNode(node_id=n, user_id=user, label=label)
        for n, label in [(a, "Concept"), (b, "Person")]
    ]

    graph.apply_schema()
    graph.upsert_nodes(nodes)
    graph.upsert_edges([GraphEdge(user_id=user, source_id=a, target_id=b, type="INVOLVES")])
    graph.neighbourhood(user, a, depth=3)
    for depth in range(1, 7):
        graph.shortest_path(user, a, b, max_depth=depth)
    graph.shortest_path(user, a, a)
    graph.connection_counts(user, [a])
    graph.subgraph(user)
    graph.delete_edge(user, a, b, "INVOLVES")
    graph.delete_node(user, a)
    graph.erase_user(user)

    enumerated = set(cypher.statements())
    assert {text for text, _ in driver.sent} <= enumerated
    assert all(isinstance(v, str | int | list) for _, p in driver.sent for v in p.values())


def test_a_secondary_label_is_set_by_the_upsert_and_read_back_beside_the_nodes_own() -> None:
    # given a concept that is also a Person
    driver = RecordingDriver()
    graph = Neo4jGraph(driver)  # type: ignore[arg-type]
    user = uuid.uuid4()
    mira = GraphNode(node_id=uuid.uuid4(), user_id=user, label="Concept", extra_labels=["Person"])
    # when it is upserted and read back
    graph.upsert_nodes([mira])
    (text, params), *_ = driver.sent
    (read,) = graph.subgraph(user).nodes
    # then the statement sets the label the row lists, and the read tells own from secondary
    assert "SET n:Person" in text and params["rows"][0]["extraLabels"] == ["Person"]
    assert read.label == "Concept" and read.extra_labels == ["Person"]


def test_nested_and_null_properties_are_stored_flat_and_read_back() -> None:
    driver = RecordingDriver()
    graph = Neo4jGraph(driver)  # type: ignore[arg-type]
    user = uuid.uuid4()
    node = GraphNode(
        node_id=uuid.uuid4(),
        user_id=user,
        label="MemoryUnit",
        version=3,
        properties={
            "title": "a walk",
            "location": {"lat": 1.5, "lng": 2.0},
            "emotions": ["calm", "glad"],
            "mixed": [1, "a"],
            "nested": [[1, 2], [3]],
            "empty": [],
            "none": None,
            "huge": 2**70,
            "flag": True,
        },
    )

    graph.upsert_nodes([node])

    [(_, row)] = driver.node_rows
    assert all(stored_value_is_flat(v) for v in row["properties"].values())
    assert row["properties"]["jsonKeys"] == ["empty", "huge", "location", "mixed", "nested", "none"]
    assert graph.subgraph(user).nodes == [node]


def test_an_unreachable_server_is_service_unavailable() -> None:
    driver = RecordingDriver(fail_with=neo4j.exceptions.ServiceUnavailable("down"))
    graph = Neo4jGraph(driver)  # type: ignore[arg-type]

    with pytest.raises(ServiceUnavailable):
        graph.subgraph(uuid.uuid4())


def test_every_index_is_on_a_property_the_written_nodes_carry() -> None:
    # given one node of each indexed label, as the mirror and the insight cycle write them
    from dotline.adapters.neo4j_graph import _node_row
    from dotline.services.insights._communities import community_node
    from dotline.services.mirroring.entities import entity_node

    user, now = str(uuid.uuid4()), "2026-12-01T10:00:00+00:00"
    rows = {
        "memories": {"memory_id": str(uuid.uuid4()), "user_id": user, "title": "t",
                     "memory_type": "memory", "importance": 0.5, "tags": [], "created_at": now,
                     "occurred_at": now},
        "concepts": {"concept_id": str(uuid.uuid4()), "user_id": user, "name": "n",
                     "type": "topic", "description": None, "status": "active",
                     "salience": 0.5, "created_at": now},
        "derived_artifacts": {"artifact_id": str(uuid.uuid4()), "user_id": user, "title": "t",
                              "artifact_type": "insight_summary", "description": None,
                              "created_at": now},
    }  # fmt: skip
    nodes = [entity_node(table, row, 1) for table, row in rows.items()]
    nodes.append(community_node(uuid.UUID(user), uuid.uuid4(), "Swimming, Mira", 2, 1))
    carried: dict[str, set[str]] = {cypher.BASE_LABEL: {"id", "userId"}}
    for node in nodes:
        row = _node_row(node)
        carried[node.label] = {k for k, v in row["properties"].items() if v is not None}
    # when the schema's indexes are read, then each names a property its label's nodes carry
    missing = [(name, label, key) for name, label, key in cypher.INDEXES
               if key not in carried[label]]  # fmt: skip
    assert missing == []
    assert any(
        s.startswith("DROP INDEX memoryunit_creation_ts_idx") for s in cypher.schema_statements()
    )
