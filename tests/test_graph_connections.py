"""Syncing graph connection counts into public.graph_connection_stats (read by card evolution)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from dotline.adapters.postgres_graph import PostgresGraph
from dotline.db import Database
from dotline.ports.graph import GraphEdge, GraphNode
from dotline.services.graph.connections import sync_connection_stats
from dotline.settings import Settings


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    yield database
    database.close()


def stats(pg: psycopg.Connection[Any], user_id: uuid.UUID) -> dict[tuple[str, uuid.UUID], Any]:
    rows = pg.execute(
        "select entity_type, entity_id, connection_count, connections_by_type"
        " from public.graph_connection_stats where user_id = %s",
        (user_id,),
    ).fetchall()
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def test_sync_writes_each_nodes_counts_and_forgets_removed_nodes(
    db: Database, pg: psycopg.Connection[Any], make_user: Any
) -> None:
    user = make_user().user_id
    graph = PostgresGraph(db)
    memory, concept, gone = (
        GraphNode(node_id=uuid.uuid4(), user_id=user, label=label)
        for label in ("MemoryUnit", "Concept", "Concept")
    )
    graph.upsert_nodes([memory, concept, gone])
    graph.upsert_edges(
        [
            GraphEdge(user_id=user, source_id=memory.node_id, target_id=concept.node_id, type=t)
            for t in ("RELATED_TO", "SUPPORTS")
        ]
        + [
            GraphEdge(
                user_id=user, source_id=gone.node_id, target_id=concept.node_id, type="PART_OF"
            )
        ]
    )
    sync_connection_stats(user, graph=graph, db=db)

    graph.delete_node(user, gone.node_id)
    counted = sync_connection_stats(user, graph=graph, db=db)

    assert counted == 2
    assert stats(pg, user) == {
        ("memory", memory.node_id): (2, {"RELATED_TO": 1, "SUPPORTS": 1}),
        ("concept", concept.node_id): (2, {"RELATED_TO": 1, "SUPPORTS": 1}),
    }
    graph.erase_user(user)
