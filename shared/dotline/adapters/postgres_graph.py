"""The embedded graph store: nodes and edges in Postgres's `graph` schema, walked with recursive SQL.

The schema is not exposed to clients, so this adapter works as `service_role`; every statement
names the user, which is the isolation. Traversals are SQL functions in the graph store
migration.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from dotline.db import Database
from dotline.ports.graph import (
    GraphEdge,
    GraphNode,
    RelationshipType,
    Subgraph,
    check_neighbourhood,
    check_neighbours,
    check_path_depth,
)

# One statement per UPSERT_CHUNK rows, not per row: each statement moves the users' graph
# versions (a trigger), and many in one transaction pile up versions of the same row that each
# later update walks. Rows arrive deduplicated and in key order (bound as arrays).
UPSERT_CHUNK = 2000
UPSERT_NODES = """
insert into graph.nodes as stored (node_id, user_id, label, extra_labels, properties, version)
select n.node_id, n.user_id, n.label, n.extra_labels::text[], n.properties::jsonb, n.version
from unnest(%(node_ids)s::uuid[], %(user_ids)s::uuid[], %(labels)s::text[],
            %(extra_labels)s::text[], %(properties)s::text[], %(versions)s::bigint[])
  as n (node_id, user_id, label, extra_labels, properties, version)
on conflict (node_id) do update
set label = excluded.label, extra_labels = excluded.extra_labels,
    properties = excluded.properties, version = excluded.version, updated_at = now()
where stored.user_id = excluded.user_id and excluded.version >= stored.version
"""

# Both ends must be the user's nodes; an edge to a missing (or another user's) node is skipped.
# Each end is one index probe: a lateral subquery with a limit is never planned as a join, so a
# chunk never scans the users' nodes, however stale the statistics (in one bulk transaction they
# are those of before it: a hash join over every node per chunk, O(n^2) in the load).
UPSERT_EDGES = """
insert into graph.edges as stored (user_id, source_id, target_id, type, weight, properties, version)
select e.user_id, e.source_id, e.target_id, e.type, e.weight, e.properties::jsonb, e.version
from unnest(%(user_ids)s::uuid[], %(source_ids)s::uuid[], %(target_ids)s::uuid[],
            %(types)s::text[], %(weights)s::float8[], %(properties)s::text[], %(versions)s::bigint[])
  with ordinality as e (user_id, source_id, target_id, type, weight, properties, version, n)
cross join lateral (
  select from graph.nodes n where n.user_id = e.user_id and n.node_id = e.source_id limit 1
) as source
cross join lateral (
  select from graph.nodes n where n.user_id = e.user_id and n.node_id = e.target_id limit 1
) as target
order by e.n
on conflict (user_id, source_id, target_id, type) do update
set weight = excluded.weight, properties = excluded.properties, version = excluded.version,
    updated_at = now()
where excluded.version >= stored.version
"""

DELETE_NODE = "delete from graph.nodes where user_id = %(user_id)s and node_id = %(node_id)s"
DELETE_NODES = "delete from graph.nodes where user_id = %(user_id)s and node_id = any(%(node_ids)s)"
DELETE_EDGE = """
delete from graph.edges
where user_id = %(user_id)s and source_id = %(source_id)s and target_id = %(target_id)s
  and type = %(type)s
"""

# The walk's ids as one array, then an index lookup per id (a join on the function's result
# would be planned as a scan of every node, the function's row count being unknown).
NEIGHBOURHOOD_NODES = """
with hood as materialized (
  select array_agg(node_id order by distance, node_id) as ids
  from graph.neighbourhood(%(user_id)s, %(node_id)s, %(depth)s, %(limit)s)
)
select node_id, user_id, label, extra_labels, properties, version
from hood, graph.nodes
where graph.nodes.user_id = %(user_id)s and graph.nodes.node_id = any(hood.ids)
order by array_position(hood.ids, graph.nodes.node_id)
"""
EDGES_AMONG = """
select user_id, source_id, target_id, type, weight, properties, version from graph.edges
where user_id = %(user_id)s and source_id = any(%(node_ids)s) and target_id = any(%(node_ids)s)
order by source_id, target_id, type
"""
# One hop from each seed (graph.neighbours_of: a function, so its plan is cached per
# connection).
NEIGHBOURS = """
select source_id, target_id, type, weight, properties, version,
       node_id, label, node_extra_labels, node_properties, node_version
from graph.neighbours_of(%(user_id)s, %(node_ids)s::uuid[], %(limit)s)
"""
SHORTEST_PATH = """
select node_id, user_id, label, extra_labels, properties, version
from unnest(graph.shortest_path(%(user_id)s, %(source_id)s, %(target_id)s, %(max_depth)s))
  with ordinality as step (node_id, position)
join graph.nodes using (node_id)
where graph.nodes.user_id = %(user_id)s
order by step.position
"""
# Two index probes per node (edges out, edges in: an edge never joins a node to itself), so the
# cost follows the nodes asked about, not the size of the person's graph.
CONNECTION_COUNTS = """
select wanted.node_id,
  ((select count(*) from graph.edges e where e.user_id = %(user_id)s and e.source_id = wanted.node_id)
   + (select count(*) from graph.edges e where e.user_id = %(user_id)s and e.target_id = wanted.node_id)
  )::integer as connections
from unnest(%(node_ids)s::uuid[]) as wanted (node_id)
"""
USER_NODES = """
select node_id, user_id, label, extra_labels, properties, version from graph.nodes where user_id = %(user_id)s
order by node_id
"""
USER_EDGES = """
select user_id, source_id, target_id, type, weight, properties, version from graph.edges where user_id = %(user_id)s
order by source_id, target_id, type
"""
# Bumped by triggers on every write (graph.user_versions); 0: never written.
GRAPH_VERSION = "select version from graph.user_versions where user_id = %(user_id)s"
# Edges first: deleting them directly is cheaper than one cascade per node.
ERASE_EDGES = "delete from graph.edges where user_id = %(user_id)s"
ERASE_NODES = "delete from graph.nodes where user_id = %(user_id)s"


Written = TypeVar("Written", GraphNode, GraphEdge)


class PostgresGraph:
    """The graph port on Postgres tables (the default when no Neo4j is configured)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def upsert_nodes(self, nodes: Sequence[GraphNode]) -> None:
        """Create or update nodes by node_id; a lower version than stored is ignored."""
        if not nodes:
            return
        kept = _last_of_highest_version(nodes, lambda n: n.node_id)
        self._in_chunks(UPSERT_NODES, kept, lambda chunk: {
            "node_ids": [n.node_id for n in chunk],
            "user_ids": [n.user_id for n in chunk],
            "labels": [n.label for n in chunk],
            # text[] literals: unnest cannot take an array of arrays of varying length
            "extra_labels": ["{" + ",".join(n.extra_labels) + "}" for n in chunk],
            "properties": [json.dumps(n.properties) for n in chunk],
            "versions": [n.version for n in chunk],
        })  # fmt: skip

    def upsert_edges(self, edges: Sequence[GraphEdge]) -> None:
        """Create or update edges keyed by (source, target, type); lower versions ignored."""
        if not edges:
            return
        kept = _last_of_highest_version(
            edges, lambda e: (e.user_id, e.source_id, e.target_id, e.type)
        )
        self._in_chunks(UPSERT_EDGES, kept, lambda chunk: {
            "user_ids": [e.user_id for e in chunk],
            "source_ids": [e.source_id for e in chunk],
            "target_ids": [e.target_id for e in chunk],
            "types": [e.type for e in chunk],
            "weights": [e.weight for e in chunk],
            "properties": [json.dumps(e.properties) for e in chunk],
            "versions": [e.version for e in chunk],
        })  # fmt: skip

    def _in_chunks(
        self,
        statement: str,
        kept: list[Written],
        params_of: Callable[[list[Written]], dict[str, Any]],
    ) -> None:
        """Run the upsert for UPSERT_CHUNK of `kept` at a time, all in one transaction."""
        with self._db.as_service() as tx:
            for start in range(0, len(kept), UPSERT_CHUNK):
                tx.execute(statement, params_of(kept[start : start + UPSERT_CHUNK]))

    def delete_node(self, user_id: UUID, node_id: UUID) -> None:
        """Remove a node and every edge touching it (the edges' foreign keys cascade)."""
        with self._db.as_service() as tx:
            tx.execute(DELETE_NODE, {"user_id": user_id, "node_id": node_id})

    def delete_nodes(self, user_id: UUID, node_ids: Sequence[UUID]) -> int:
        """Remove the nodes and every edge touching them (the edges' foreign keys cascade)."""
        if not node_ids:
            return 0
        with self._db.as_service() as tx:
            tx.execute(DELETE_NODES, {"user_id": user_id, "node_ids": sorted(set(node_ids))})
            return tx.rowcount

    def delete_edge(
        self, user_id: UUID, source_id: UUID, target_id: UUID, type: RelationshipType
    ) -> None:
        """Remove one edge; a missing edge is not an error."""
        params = {"user_id": user_id, "source_id": source_id, "target_id": target_id, "type": type}
        with self._db.as_service() as tx:
            tx.execute(DELETE_EDGE, params)

    def neighbourhood(self, user_id: UUID, node_id: UUID, depth: int, limit: int = 200) -> Subgraph:
        """The node and everything within `depth` hops (either direction), nearest first."""
        check_neighbourhood(depth, limit)
        params = {"user_id": user_id, "node_id": node_id, "depth": depth, "limit": limit}
        with self._db.as_service() as tx:
            nodes = [_node(row) for row in tx.execute(NEIGHBOURHOOD_NODES, params)]
            ids = [node.node_id for node in nodes]
            edges = [_edge(row) for row in tx.execute(EDGES_AMONG, {**params, "node_ids": ids})]
        return Subgraph(nodes=nodes, edges=edges)

    def neighbours(self, user_id: UUID, node_ids: Sequence[UUID], limit_per_node: int) -> Subgraph:
        """Each node's direct neighbours, at most `limit_per_node` each, heaviest edge first."""
        check_neighbours(node_ids, limit_per_node)
        if not node_ids:
            return Subgraph()
        params = {"user_id": user_id, "node_ids": list(node_ids), "limit": limit_per_node}
        rows = self._db.fetch_as_service(NEIGHBOURS, params, read_only=True)
        nodes: dict[UUID, GraphNode] = {}
        edges: dict[tuple[UUID, UUID, str], GraphEdge] = {}
        for row in rows:
            nodes.setdefault(row["node_id"], _node({
                "node_id": row["node_id"], "user_id": user_id, "label": row["label"],
                "extra_labels": row["node_extra_labels"],
                "properties": row["node_properties"], "version": row["node_version"],
            }))  # fmt: skip
            edges.setdefault(
                (row["source_id"], row["target_id"], row["type"]),
                _edge({**row, "user_id": user_id}),
            )
        return Subgraph(nodes=list(nodes.values()), edges=list(edges.values()))

    def shortest_path(
        self, user_id: UUID, source_id: UUID, target_id: UUID, max_depth: int = 6
    ) -> list[GraphNode] | None:
        """The nodes of a shortest path from source to target, or None when unreachable."""
        check_path_depth(max_depth)
        params = {
            "user_id": user_id,
            "source_id": source_id,
            "target_id": target_id,
            "max_depth": max_depth,
        }
        with self._db.as_service() as tx:
            path = [_node(row) for row in tx.execute(SHORTEST_PATH, params)]
        return path or None

    def connection_counts(self, user_id: UUID, node_ids: Sequence[UUID]) -> dict[UUID, int]:
        """How many edges touch each given node (absent nodes count 0)."""
        if not node_ids:
            return {}
        params = {"user_id": user_id, "node_ids": list(dict.fromkeys(node_ids))}
        with self._db.as_service() as tx:
            rows = tx.execute(CONNECTION_COUNTS, params).fetchall()
        return {row["node_id"]: row["connections"] for row in rows}

    def subgraph(self, user_id: UUID) -> Subgraph:
        """The user's whole graph, for analytics."""
        params = {"user_id": user_id}
        with self._db.as_service() as tx:
            nodes = [_node(row) for row in tx.execute(USER_NODES, params)]
            edges = [_edge(row) for row in tx.execute(USER_EDGES, params)]
        return Subgraph(nodes=nodes, edges=edges)

    def erase_user(self, user_id: UUID) -> int:
        """Remove every node and edge of the user; returns how many nodes went."""
        params = {"user_id": user_id}
        with self._db.as_service() as tx:
            tx.execute(ERASE_EDGES, params)
            tx.execute(ERASE_NODES, params)
            return tx.rowcount

    def graph_version(self, user_id: UUID) -> int | None:
        """The user's graph version, kept by triggers on both tables (0 before any write)."""
        with self._db.as_service() as tx:
            row = tx.execute(GRAPH_VERSION, {"user_id": user_id}).fetchone()
        return int(row["version"]) if row else 0


def _node(row: dict[str, Any]) -> GraphNode:
    return GraphNode.model_validate(row)


def _edge(row: dict[str, Any]) -> GraphEdge:
    return GraphEdge.model_validate(row)


def _last_of_highest_version(
    writes: Sequence[Written], key: Callable[[Written], Hashable]
) -> list[Written]:
    """One write per key, in key order, as writing them one by one would leave it: the last of
    those with the highest version (one statement may not touch a row twice)."""
    kept: dict[Hashable, Written] = {}
    for write in writes:
        held = kept.get(key(write))
        if held is None or write.version >= held.version:
            kept[key(write)] = write
    return [kept[k] for k in sorted(kept, key=str)]
