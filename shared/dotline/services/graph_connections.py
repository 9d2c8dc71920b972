"""Mirror each graph node's connection counts into public.graph_connection_stats.

Card evolution (api.card_evolution) reads connection counts from Postgres, wherever the graph
lives (V7's nightly `neo4j_connection_stats` export). Entity types use the cards' vocabulary.
"""

from __future__ import annotations

from collections import Counter
from uuid import UUID

from psycopg.types.json import Jsonb

from dotline.db import Database
from dotline.ports.graph import GraphStore, NodeLabel

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
        tx.execute(_RECORD, {"user_id": user_id, "rows": Jsonb(rows)})
    return len(rows)
