"""The graph port on Neo4j: batched MERGEs, version checks in Cypher, flat properties.

Properties are stored flat (see neo4j_properties); the statements live in neo4j_graph_statements.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import groupby
from typing import Any, cast
from uuid import UUID

import neo4j
from neo4j import exceptions as neo4j_errors

from dotline.adapters import neo4j_graph_statements as cypher
from dotline.adapters.neo4j_properties import flatten, unflatten
from dotline.errors import DotlineError, ServiceUnavailable
from dotline.ports.graph import (
    GraphEdge,
    GraphNode,
    NodeLabel,
    RelationshipType,
    Subgraph,
    check_neighbourhood,
    check_neighbours,
    check_path_depth,
)
from dotline.settings import Settings

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
QUERY_TIMEOUT_S = 10.0
RETRY_BUDGET_S = 3.0  # managed transactions retry transient failures; a request can't wait 30 s
MAX_POOL_SIZE = 4  # one Lambda container serves one request at a time
LIVENESS_CHECK_S = 30.0  # a frozen container's idle connections may have been dropped

READ, WRITE = neo4j.RoutingControl.READ, neo4j.RoutingControl.WRITE
Records = list[neo4j.Record]


class Neo4jGraph:
    """Each user's graph in Neo4j; one driver per container, connecting on first use."""

    def __init__(self, driver: neo4j.Driver, database: str | None = None) -> None:
        self._driver = driver
        self._database = database

    @classmethod
    def from_settings(cls, settings: Settings) -> Neo4jGraph:
        """A driver for NEO4J_URI (creating it opens no connection)."""
        if not settings.neo4j_uri:
            raise ValueError("NEO4J_URI is not set")
        password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else ""
        driver = neo4j.GraphDatabase.driver(
            settings.neo4j_uri,
            auth=(settings.neo4j_user, password),
            connection_timeout=CONNECT_TIMEOUT_S,
            max_connection_pool_size=MAX_POOL_SIZE,
            liveness_check_timeout=LIVENESS_CHECK_S,
            max_transaction_retry_time=RETRY_BUDGET_S,
        )
        return cls(driver, settings.neo4j_database)

    def apply_schema(self) -> None:
        """Create the constraints and indexes (idempotent; `dotline graph bootstrap`)."""
        for statement in cypher.schema_statements():
            self._run(statement, {}, WRITE)

    def close(self) -> None:
        """Close the driver's connections."""
        self._driver.close()

    def upsert_nodes(self, nodes: Sequence[GraphNode]) -> None:
        """Create or update nodes by node_id; a lower version than stored is ignored."""
        for label, group in groupby(sorted(nodes, key=lambda n: n.label), key=lambda n: n.label):
            rows = [_node_row(node) for node in group]
            self._run(cypher.upsert_nodes(cast(NodeLabel, label)), {"rows": rows}, WRITE)

    def upsert_edges(self, edges: Sequence[GraphEdge]) -> None:
        """Create or update edges keyed by (source, target, type); lower versions ignored."""
        for type, group in groupby(sorted(edges, key=lambda e: e.type), key=lambda e: e.type):
            rows = [_edge_row(edge) for edge in group]
            self._run(cypher.upsert_edges(cast(RelationshipType, type)), {"rows": rows}, WRITE)

    def delete_node(self, user_id: UUID, node_id: UUID) -> None:
        """Remove a node and every edge touching it; a missing node is not an error."""
        self._run(cypher.DELETE_NODE, {"userId": str(user_id), "nodeId": str(node_id)}, WRITE)

    def delete_nodes(self, user_id: UUID, node_ids: Sequence[UUID]) -> int:
        """Remove the nodes and every edge touching them; missing ones are fine."""
        if not node_ids:
            return 0
        params = {"userId": str(user_id), "nodeIds": sorted({str(n) for n in node_ids})}
        return int(self._run(cypher.DELETE_NODES, params, WRITE)[0]["deleted"])

    def delete_edge(
        self, user_id: UUID, source_id: UUID, target_id: UUID, type: RelationshipType
    ) -> None:
        """Remove one edge; a missing edge is not an error."""
        params = {"userId": str(user_id), "sourceId": str(source_id), "targetId": str(target_id)}
        self._run(cypher.delete_edge(type), params, WRITE)

    def neighbourhood(self, user_id: UUID, node_id: UUID, depth: int, limit: int = 200) -> Subgraph:
        """The node and everything within `depth` hops (either direction), nearest first."""
        check_neighbourhood(depth, limit)
        user = str(user_id)
        seen = [str(node_id)]
        frontier = seen
        for _ in range(depth):
            if not frontier or len(seen) >= limit:
                break
            params = {
                "userId": user,
                "frontier": frontier,
                "seen": seen,
                "remaining": limit - len(seen),
            }
            frontier = [r["id"] for r in self._run(cypher.NEXT_HOP, params, READ)]
            seen = seen + frontier
        return self._among(user, seen)

    def neighbours(self, user_id: UUID, node_ids: Sequence[UUID], limit_per_node: int) -> Subgraph:
        """Each node's direct neighbours, at most `limit_per_node` each, heaviest edge first."""
        check_neighbours(node_ids, limit_per_node)
        if not node_ids:
            return Subgraph()
        seeds = [str(n) for n in dict.fromkeys(node_ids)]
        params = {"userId": str(user_id), "nodeIds": seeds, "limit": limit_per_node}
        nodes: dict[UUID, GraphNode] = {}
        edges: dict[tuple[UUID, UUID, str], GraphEdge] = {}
        for record in self._run(cypher.NEIGHBOURS, params, READ):
            node = _node(record["properties"], record["labels"])
            nodes.setdefault(node.node_id, node)
            edge = _edge(record, user_id, properties="relProperties")
            edges.setdefault(_edge_key(edge), edge)
        return Subgraph(nodes=list(nodes.values()), edges=list(edges.values()))

    def shortest_path(
        self, user_id: UUID, source_id: UUID, target_id: UUID, max_depth: int = 6
    ) -> list[GraphNode] | None:
        """The nodes of a shortest path from source to target, or None when unreachable."""
        check_path_depth(max_depth)
        if source_id == target_id:
            return self._among(str(user_id), [str(source_id)]).nodes or None
        params = {"userId": str(user_id), "sourceId": str(source_id), "targetId": str(target_id)}
        records = self._run(cypher.shortest_path(max_depth), params, READ)
        if not records:
            return None
        record = records[0]
        return [_node(p, ls) for p, ls in zip(record["properties"], record["labels"], strict=True)]

    def connection_counts(self, user_id: UUID, node_ids: Sequence[UUID]) -> dict[UUID, int]:
        """How many edges touch each given node (absent nodes count 0)."""
        if not node_ids:
            return {}
        params = {"userId": str(user_id), "nodeIds": [str(n) for n in dict.fromkeys(node_ids)]}
        records = self._run(cypher.CONNECTION_COUNTS, params, READ)
        return {UUID(r["nodeId"]): int(r["connections"]) for r in records}

    def subgraph(self, user_id: UUID) -> Subgraph:
        """The user's whole graph, for analytics."""
        params = {"userId": str(user_id)}
        nodes = [
            _node(r["properties"], r["labels"]) for r in self._run(cypher.USER_NODES, params, READ)
        ]
        edges = [_edge(r, user_id) for r in self._run(cypher.USER_EDGES, params, READ)]
        return Subgraph(nodes=nodes, edges=sorted(edges, key=_edge_key))

    def erase_user(self, user_id: UUID) -> int:
        """Remove every node and edge of the user, in batches; returns how many nodes went."""
        params = {"userId": str(user_id), "batchSize": cypher.ERASE_BATCH_NODES}
        erased = 0
        while True:
            batch = int(self._run(cypher.ERASE_BATCH, params, WRITE)[0]["erased"])
            erased += batch
            if batch < cypher.ERASE_BATCH_NODES:
                return erased

    def graph_version(self, user_id: UUID) -> int | None:
        """None: Neo4j keeps no per-user version, so callers read the graph to tell a change."""
        return None

    def _among(self, user: str, ids: list[str]) -> Subgraph:
        """The given nodes, in the given order, and the edges among them."""
        params = {"userId": user, "ids": ids}
        found = {
            node.node_id: node
            for node in (
                _node(r["properties"], r["labels"])
                for r in self._run(cypher.NODES_AMONG, params, READ)
            )
        }
        nodes = [found[UUID(i)] for i in ids if UUID(i) in found]
        if not nodes:
            return Subgraph()
        edges = [_edge(r, UUID(user)) for r in self._run(cypher.EDGES_AMONG, params, READ)]
        return Subgraph(nodes=nodes, edges=sorted(edges, key=_edge_key))

    def _run(
        self, statement: str, params: dict[str, Any], routing: neo4j.RoutingControl
    ) -> Records:
        query = neo4j.Query(statement, timeout=QUERY_TIMEOUT_S)
        try:
            result = self._driver.execute_query(
                query, params, routing_=routing, database_=self._database
            )
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as exc:
            raise ServiceUnavailable("The graph store is unreachable.") from exc
        except (neo4j_errors.TransientError, neo4j_errors.ConnectionAcquisitionTimeoutError) as exc:
            raise ServiceUnavailable("The graph store is busy; try again.") from exc
        except neo4j_errors.AuthError as exc:
            logger.error("the graph store refused our credentials")
            raise ServiceUnavailable("The graph store is unavailable.") from exc
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as exc:
            logger.error("graph store error %s", type(exc).__name__)
            raise DotlineError("The graph request could not be completed.") from exc
        records: Records = result.records
        return records


def _node_row(node: GraphNode) -> dict[str, Any]:
    ids = {"id": str(node.node_id), "userId": str(node.user_id)}
    return {
        **ids,
        "version": node.version,
        "extraLabels": list(node.extra_labels),
        "properties": flatten(node.properties, **ids, version=node.version),
    }


def _edge_row(edge: GraphEdge) -> dict[str, Any]:
    return {
        "userId": str(edge.user_id),
        "sourceId": str(edge.source_id),
        "targetId": str(edge.target_id),
        "version": edge.version,
        "properties": flatten(edge.properties, weight=edge.weight, version=edge.version),
    }


def _node(stored: dict[str, Any], labels: list[str]) -> GraphNode:
    # The node's own label is the first of the port's it carries that is not a secondary one
    # (a person is a Concept first); a node carrying only a secondary label is that label.
    own = [label for label in cypher.LABELS if label in labels]
    label = next((x for x in own if x not in cypher.SECONDARY_LABELS), own[0])
    return GraphNode(
        node_id=UUID(stored["id"]),
        user_id=UUID(stored["userId"]),
        label=label,
        extra_labels=[x for x in cypher.SECONDARY_LABELS if x in labels and x != label],
        properties=unflatten(stored, "id", "userId", "version"),
        version=stored.get("version", 0),
    )


def _edge(record: neo4j.Record, user_id: UUID, properties: str = "properties") -> GraphEdge:
    stored: dict[str, Any] = record[properties]
    return GraphEdge(
        user_id=user_id,
        source_id=UUID(record["sourceId"]),
        target_id=UUID(record["targetId"]),
        type=record["type"],
        weight=stored.get("weight", 1.0),
        properties=unflatten(stored, "weight", "version"),
        version=stored.get("version", 0),
    )


def _edge_key(edge: GraphEdge) -> tuple[UUID, UUID, str]:
    return (edge.source_id, edge.target_id, edge.type)
