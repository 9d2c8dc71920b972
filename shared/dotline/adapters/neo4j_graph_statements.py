"""Every Cypher statement the Neo4j graph adapter can send, enumerable so the test suite lints each.

Naming: every node carries the label `Node` besides its port label (and its secondary labels,
Person or Location), one uniform `id` (the port's node_id; V9.7's `muid`, `community_id` and
`User.userId` keys map onto it) and `userId`. The port addresses nodes by id alone (delete,
walk, path), so one uniqueness constraint on `Node.id` makes each lookup an index seek; the
seeds' per-label constraints and indexes are kept in `schema_statements()`, on `id` where the
seeds named their key otherwise. Labels and relationship types are interpolated only from the
port's Literal whitelists, never from input.
"""

from __future__ import annotations

from typing import get_args

from dotline.ports.graph import MAX_TRAVERSAL_DEPTH, NodeLabel, RelationshipType, SecondaryLabel

BASE_LABEL = "Node"
LABELS: tuple[NodeLabel, ...] = get_args(NodeLabel)
SECONDARY_LABELS: tuple[SecondaryLabel, ...] = get_args(SecondaryLabel)
TYPES: tuple[RelationshipType, ...] = get_args(RelationshipType)
ERASE_BATCH_NODES = 5_000  # nodes per transaction when erasing a user

_RETURN_NODE = "n {.*} AS properties, labels(n) AS labels"


def upsert_nodes(label: NodeLabel) -> str:
    """MERGE a batch of nodes of one label; an older version or another user's node is left alone.

    Every other label goes, then each secondary label the row lists (`row.extraLabels`) is set:
    labels cannot be parameters, so one FOREACH per whitelisted one.
    """
    others = ":".join(other for other in LABELS if other != label)
    extras = "".join(
        f"\nFOREACH (_ IN CASE WHEN '{extra}' IN row.extraLabels THEN [1] ELSE [] END |"
        f" SET n:{extra})"
        for extra in SECONDARY_LABELS
        if extra != label
    )
    return f"""
UNWIND $rows AS row
MERGE (n:{BASE_LABEL} {{id: row.id}})
ON CREATE SET n.userId = row.userId
WITH n, row
WHERE n.userId = row.userId AND (n.version IS NULL OR n.version <= row.version)
REMOVE n:{others}
SET n = row.properties, n:{label}{extras}
"""


def upsert_edges(type: RelationshipType) -> str:
    """MERGE a batch of edges of one type between the user's nodes; older versions are left alone."""
    return f"""
UNWIND $rows AS row
MATCH (source:{BASE_LABEL} {{id: row.sourceId, userId: row.userId}})
MATCH (target:{BASE_LABEL} {{id: row.targetId, userId: row.userId}})
MERGE (source)-[r:{type}]->(target)
WITH r, row
WHERE r.version IS NULL OR r.version <= row.version
SET r = row.properties
"""


def delete_edge(type: RelationshipType) -> str:
    """Delete one edge of one type."""
    return f"""
MATCH (:{BASE_LABEL} {{id: $sourceId, userId: $userId}})-[r:{type}]->(:{BASE_LABEL} {{id: $targetId, userId: $userId}})
DELETE r
"""


def shortest_path(max_depth: int) -> str:
    """One shortest path of at most `max_depth` hops, edges walked either way."""
    if not 1 <= max_depth <= MAX_TRAVERSAL_DEPTH:
        raise ValueError(f"max_depth {max_depth} is outside 1..{MAX_TRAVERSAL_DEPTH}")
    return f"""
MATCH (source:{BASE_LABEL} {{id: $sourceId, userId: $userId}})
MATCH (target:{BASE_LABEL} {{id: $targetId, userId: $userId}})
MATCH path = shortestPath((source)-[*..{max_depth}]-(target))
RETURN [n IN nodes(path) | n {{.*}}] AS properties, [n IN nodes(path) | labels(n)] AS labels
"""


DELETE_NODE = f"MATCH (n:{BASE_LABEL} {{id: $nodeId, userId: $userId}}) DETACH DELETE n"
DELETE_NODES = f"""
UNWIND $nodeIds AS nodeId
MATCH (n:{BASE_LABEL} {{id: nodeId, userId: $userId}})
DETACH DELETE n
RETURN count(*) AS deleted
"""

# One breadth-first step: the unseen neighbours of the frontier, either direction.
NEXT_HOP = f"""
UNWIND $frontier AS frontierId
MATCH (:{BASE_LABEL} {{id: frontierId, userId: $userId}})--(m:{BASE_LABEL})
WHERE m.userId = $userId AND NOT m.id IN $seen
RETURN DISTINCT m.id AS id
ORDER BY id
LIMIT $remaining
"""

# One hop from each seed, either direction: the strongest edge to each neighbour, then the
# heaviest $limit of those per seed (ties by neighbour id), with the neighbour.
NEIGHBOURS = f"""
UNWIND $nodeIds AS seedId
MATCH (s:{BASE_LABEL} {{id: seedId, userId: $userId}})-[r]-(m:{BASE_LABEL})
WHERE m.userId = $userId
WITH s, m, r ORDER BY coalesce(r.weight, 1.0) DESC, type(r)
WITH s, m, collect(r)[0] AS r
ORDER BY coalesce(r.weight, 1.0) DESC, m.id
WITH s, collect({{m: m, r: r}})[..$limit] AS links
UNWIND links AS link
WITH link.m AS m, link.r AS r
RETURN startNode(r).id AS sourceId, endNode(r).id AS targetId, type(r) AS type,
       r {{.*}} AS relProperties, m {{.*}} AS properties, labels(m) AS labels
"""

NODES_AMONG = f"""
MATCH (n:{BASE_LABEL})
WHERE n.id IN $ids AND n.userId = $userId
RETURN {_RETURN_NODE}
"""

EDGES_AMONG = f"""
MATCH (s:{BASE_LABEL})-[r]->(t:{BASE_LABEL})
WHERE s.id IN $ids AND s.userId = $userId AND t.id IN $ids
RETURN s.id AS sourceId, t.id AS targetId, type(r) AS type, r {{.*}} AS properties
"""

CONNECTION_COUNTS = f"""
UNWIND $nodeIds AS nodeId
OPTIONAL MATCH (:{BASE_LABEL} {{id: nodeId, userId: $userId}})-[r]-()
RETURN nodeId, count(r) AS connections
"""

USER_NODES = f"""
MATCH (n:{BASE_LABEL} {{userId: $userId}})
RETURN {_RETURN_NODE}
ORDER BY n.id
"""

USER_EDGES = f"""
MATCH (s:{BASE_LABEL} {{userId: $userId}})-[r]->(t:{BASE_LABEL})
RETURN s.id AS sourceId, t.id AS targetId, type(r) AS type, r {{.*}} AS properties
"""

ERASE_BATCH = f"""
MATCH (n:{BASE_LABEL} {{userId: $userId}})
WITH n LIMIT $batchSize
DETACH DELETE n
RETURN count(*) AS erased
"""


# (name, label, property): each property is one the nodes of that label carry (the mirror's
# `entities._NODE_PROPERTIES`, the adapter's own id and userId; tests/unit check it).
INDEXES: tuple[tuple[str, str, str], ...] = (
    ("node_userId_idx", BASE_LABEL, "userId"),
    ("memoryunit_userId_idx", "MemoryUnit", "userId"),
    ("concept_userId_idx", "Concept", "userId"),
    ("derivedartifact_userId_idx", "DerivedArtifact", "userId"),
    ("community_userId_idx", "Community", "userId"),
    ("memoryunit_created_at_idx", "MemoryUnit", "created_at"),  # V9.7 creation_ts
    ("memoryunit_occurred_at_idx", "MemoryUnit", "occurred_at"),  # V7
    ("memoryunit_memory_type_idx", "MemoryUnit", "memory_type"),  # V7
    ("concept_name_idx", "Concept", "name"),
    ("concept_type_idx", "Concept", "type"),
    ("concept_status_idx", "Concept", "status"),
    ("derivedartifact_artifact_type_idx", "DerivedArtifact", "artifact_type"),  # V7
)
# Indexes once created on a property no node carries.
RETIRED_INDEXES = ("memoryunit_creation_ts_idx",)


def schema_statements() -> list[str]:
    """Constraints and indexes (idempotent): the adapter's own, then the seeds' (V9.7, V7)."""
    unique = [
        ("node_id_unique", BASE_LABEL),
        ("user_id_unique", "User"),  # V9.7 user_userId_unique
        ("memoryunit_id_unique", "MemoryUnit"),  # V9.7 memoryunit_muid_unique
        ("concept_id_unique", "Concept"),
        ("derivedartifact_id_unique", "DerivedArtifact"),
        ("community_id_unique", "Community"),  # V9.7 community_community_id_unique
        ("tag_id_unique", "Tag"),  # V7 tag_id
    ]
    return [
        *(
            f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE"
            for name, label in unique
        ),
        *(
            f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{label}) ON (n.{key})"
            for name, label, key in INDEXES
        ),
        *(f"DROP INDEX {name} IF EXISTS" for name in RETIRED_INDEXES),
    ]


def statements() -> list[str]:
    """Every statement the adapter can send, each label, type and depth variant included."""
    return [
        *(upsert_nodes(label) for label in LABELS),
        *(upsert_edges(type) for type in TYPES),
        *(delete_edge(type) for type in TYPES),
        *(shortest_path(depth) for depth in range(1, MAX_TRAVERSAL_DEPTH + 1)),
        DELETE_NODE,
        DELETE_NODES,
        NEXT_HOP,
        NEIGHBOURS,
        NODES_AMONG,
        EDGES_AMONG,
        CONNECTION_COUNTS,
        USER_NODES,
        USER_EDGES,
        ERASE_BATCH,
        *schema_statements(),
    ]
