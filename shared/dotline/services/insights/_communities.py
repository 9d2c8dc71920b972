"""The insight cycle's communities: the Louvain groups of concepts persisted in
`public.communities` (`private.replace_communities` keeps the id of each one that continues,
and sets `concepts.community_id`), and mirrored in the graph as Community nodes that the person
OWNS and their concepts are PART_OF."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from dotline.db import Database, jsonb
from dotline.ports.graph import GraphEdge, GraphNode, GraphStore
from dotline.services.insights._compiler import ConceptGroup

_MEMBERS = """
select concept_id, community_id from public.concepts
where user_id = %(user_id)s and community_id is not null
"""
_REPLACE = "select * from private.replace_communities(%(user_id)s, %(groups)s, %(at)s)"


def persist_communities(
    db: Database, graph: GraphStore, user_id: UUID, groups: list[ConceptGroup], at: datetime
) -> list[UUID]:
    """Replace the person's communities with `groups` in Postgres, then in the graph; returns the
    communities' ids, largest first."""
    payload = [{"name": g.name, "concept_ids": g.concept_ids} for g in groups]
    with db.as_service() as tx:
        before = {
            r["concept_id"]: r["community_id"] for r in tx.execute(_MEMBERS, {"user_id": user_id})
        }
        kept = [
            dict(r)
            for r in tx.execute(_REPLACE, {"user_id": user_id, "groups": jsonb(payload), "at": at})
        ]
    _mirror(graph, user_id, before, kept, version=int(at.timestamp() * 1000))
    return [r["community_id"] for r in kept]


def community_node(
    user_id: UUID, community_id: UUID, name: str, size: int, version: int
) -> GraphNode:
    """A community's node: its name and how many concepts it holds."""
    return GraphNode(
        node_id=community_id, user_id=user_id, label="Community", version=version,
        properties={"name": name, "size": size},
    )  # fmt: skip


def _mirror(
    graph: GraphStore,
    user_id: UUID,
    before: dict[UUID, UUID],
    kept: list[dict[str, Any]],
    *,
    version: int,
) -> None:
    """Drop the communities that ended and the memberships that moved, then write the rest."""
    after = {concept: r["community_id"] for r in kept for concept in r["concept_ids"]}
    ended = set(before.values()) - {r["community_id"] for r in kept}
    if ended:
        graph.delete_nodes(user_id, sorted(ended, key=str))
    for concept, community in sorted(before.items(), key=str):
        if community not in ended and after.get(concept) != community:
            graph.delete_edge(user_id, concept, community, "PART_OF")
    graph.upsert_nodes(
        [community_node(user_id, r["community_id"], r["name"], len(r["concept_ids"]), version)
         for r in kept]
    )  # fmt: skip
    edges = [
        GraphEdge(user_id=user_id, source_id=user_id, target_id=r["community_id"], type="OWNS",
                  version=version)
        for r in kept
    ]  # fmt: skip
    edges += [
        GraphEdge(user_id=user_id, source_id=concept, target_id=community, type="PART_OF",
                  version=version)
        for concept, community in sorted(after.items(), key=str)
    ]  # fmt: skip
    graph.upsert_edges(edges)
