"""Mirror each graph node's connection counts into public.graph_connection_stats.

The pipeline recounts the nodes a change touches (refresh_connection_stats); sync_connection_stats
rewrites a whole user's counts (a nightly repair, as V7 runs it).

Card evolution (api.card_evolution) reads connection counts from Postgres, wherever the graph
lives (V7's nightly `neo4j_connection_stats` export). Entity types use the cards' vocabulary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from uuid import UUID

from dotline.db import Database, jsonb
from dotline.ports.graph import MAX_NEIGHBOURHOOD_LIMIT, GraphStore, NodeLabel

ENTITY_TYPES: dict[NodeLabel, str] = {
    "MemoryUnit": "memory",
    "Concept": "concept",
    "DerivedArtifact": "artifact",
    "Community": "community",
    "Tag": "tag",
    "Person": "person",
    "Location": "location",
    "User": "user",
}

# Replace the user's rows in one transaction: readers see the old counts or the new, never a mix.
_FORGET = "delete from public.graph_connection_stats where user_id = %(user_id)s"
_RECORD = """
insert into public.graph_connection_stats
  (user_id, entity_type, entity_id, connection_count, connections_by_type, synced_at)
select %(user_id)s, entity_type, entity_id, connection_count, connections_by_type, now()
from jsonb_to_recordset(%(rows)s)
  as row (entity_type text, entity_id uuid, connection_count integer, connections_by_type jsonb)
"""


def sync_connection_stats(user_id: UUID, *, graph: GraphStore, db: Database) -> int:
    """Rewrite the user's connection stats from their graph; returns how many nodes were counted."""
    whole = graph.subgraph(user_id)
    by_type: dict[UUID, Counter[str]] = {node.node_id: Counter() for node in whole.nodes}
    for edge in whole.edges:
        by_type[edge.source_id][edge.type] += 1
        by_type[edge.target_id][edge.type] += 1
    rows = [
        {
            "entity_type": ENTITY_TYPES[node.label],
            "entity_id": str(node.node_id),
            "connection_count": sum(by_type[node.node_id].values()),
            "connections_by_type": dict(by_type[node.node_id]),
        }
        for node in whole.nodes
    ]
    with db.as_service() as tx:
        tx.execute(_FORGET, {"user_id": user_id})
        tx.execute(_RECORD, {"user_id": user_id, "rows": jsonb(rows)})
    return len(rows)


_UPSERT = """
insert into public.graph_connection_stats as s
  (user_id, entity_type, entity_id, connection_count, connections_by_type, synced_at)
select %(user_id)s, entity_type, entity_id, connection_count, connections_by_type, now()
from jsonb_to_recordset(%(rows)s)
  as row (entity_type text, entity_id uuid, connection_count integer, connections_by_type jsonb)
where exists (select 1 from auth.users u where u.id = %(user_id)s)  -- a late change of an erased user
on conflict on constraint graph_connection_stats_pkey do update
  set connection_count = excluded.connection_count,
      connections_by_type = excluded.connections_by_type, synced_at = now()
"""
_FORGET_NODES = (
    "delete from public.graph_connection_stats"
    " where user_id = %(user_id)s and entity_id = any(%(ids)s::uuid[])"
)


def neighbours(user_id: UUID, node_id: UUID, *, graph: GraphStore) -> set[UUID]:
    """The nodes one hop from node_id (either direction); empty when it is not stored."""
    around = graph.neighbourhood(user_id, node_id, depth=1, limit=MAX_NEIGHBOURHOOD_LIMIT)
    return {node.node_id for node in around.nodes if node.node_id != node_id}


def refresh_connection_stats(
    user_id: UUID, node_ids: Iterable[UUID], *, graph: GraphStore, db: Database
) -> dict[UUID, str]:
    """Recount the given nodes' connections from the graph; nodes gone lose their row.

    Returns the entity type of each node still stored, keyed by node id.
    """
    rows, gone, kinds = [], [], {}
    for node_id in set(node_ids):
        around = graph.neighbourhood(user_id, node_id, depth=1, limit=MAX_NEIGHBOURHOOD_LIMIT)
        node = next((n for n in around.nodes if n.node_id == node_id), None)
        if node is None:
            gone.append(node_id)
            continue
        counts = Counter(e.type for e in around.edges if node_id in (e.source_id, e.target_id))
        kinds[node_id] = ENTITY_TYPES[node.label]
        rows.append(
            {
                "entity_type": kinds[node_id],
                "entity_id": str(node_id),
                "connection_count": sum(counts.values()),
                "connections_by_type": dict(counts),
            }
        )
    with db.as_service() as tx:
        if gone:
            tx.execute(_FORGET_NODES, {"user_id": user_id, "ids": gone})
        if rows:
            tx.execute(_UPSERT, {"user_id": user_id, "rows": jsonb(rows)})
    return kinds
