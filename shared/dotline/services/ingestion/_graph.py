"""What ingesting one conversation writes to the graph and the vector index.

Nodes and knowledge items are built exactly as the outbox mirror builds them
(`mirroring.entities.entity_node` / `entity_item`) but at version 0: the mirror's own delivery of the
same rows carries the outbox id as its version and wins, and ingestion re-run later changes
nothing the mirror wrote. Edges are ingestion's alone (the mirror writes RELATED_TO only for
`attributes.related_concept_ids`, which ingestion does not set):

  User -EXPERIENCED-> MemoryUnit    MemoryUnit -INVOLVES-> Concept (people, topics, feelings, ...)
  MemoryUnit -HAPPENED_AT-> Concept (places)    MemoryUnit -TAGGED_WITH-> Tag
  Concept -RELATED_TO-> Concept (weight: how many of the person's memories name both)
  MemoryUnit -CONTRADICTS-> MemoryUnit and MemoryUnit -EVOLVED_FROM-> MemoryUnit (the newer
    statement to the one it supersedes: it contradicts it, and the fact evolved from it)
  MemoryUnit -INSPIRED_BY-> the memory, concept or artifact of the card the conversation was
    started from
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from dotline.ports.embeddings import Embedder
from dotline.ports.graph import GraphEdge, GraphNode, GraphStore
from dotline.ports.vectors import VectorStore
from dotline.services.ingestion.writes import Written
from dotline.services.mirroring.entities import entity_item, entity_node, entity_text

INGESTION_VERSION = 0  # below every outbox id: the mirror's write of the same row wins
TAG_NAMESPACE = UUID("e4b2c7a9-1d3f-4a6e-8b5c-9f0a2d4e6c81")


def tag_node_id(user_id: UUID, tag: str) -> UUID:
    """A person's tag node: one per tag text."""
    return uuid.uuid5(TAG_NAMESPACE, f"{user_id}:{tag.casefold()}")


def write_graph(
    user_id: UUID, written: Written, graph: GraphStore
) -> tuple[list[GraphNode], list[GraphEdge]]:
    """Upsert the nodes, then the edges between them; returns what was written."""
    nodes = _nodes(user_id, written)
    edges = _edges(user_id, written)
    graph.upsert_nodes(nodes)
    graph.upsert_edges(edges)
    return nodes, edges


def write_vectors(written: Written, vectors: VectorStore, embedder: Embedder) -> int:
    """Knowledge items of the memories and of the concepts this run created; returns how many."""
    rows = [("memories", row) for row in written.memories]
    rows += [
        ("concepts", written.concepts[i]) for i in written.new_concept_ids if i in written.concepts
    ]
    if not rows:
        return 0
    embedded = embedder.embed([entity_text(table, row)[0] for table, row in rows])
    items = [
        entity_item(table, row, vector, embedder.model_version, INGESTION_VERSION)
        for (table, row), vector in zip(rows, embedded, strict=True)
    ]
    vectors.upsert(items)
    return len(items)


def _nodes(user_id: UUID, written: Written) -> list[GraphNode]:
    nodes = []
    if written.profile is not None:
        nodes.append(entity_node("profiles", written.profile, INGESTION_VERSION))
    nodes += [entity_node("memories", row, INGESTION_VERSION) for row in written.memories]
    nodes += [entity_node("concepts", row, INGESTION_VERSION) for row in written.concepts.values()]
    tags = sorted({tag for row in written.memories for tag in row.get("tags") or []})
    nodes += [
        GraphNode(
            node_id=tag_node_id(user_id, tag), user_id=user_id, label="Tag",
            properties={"name": tag, "type": "keyword"}, version=INGESTION_VERSION,
        )
        for tag in tags
    ]  # fmt: skip
    return nodes


def _edges(user_id: UUID, written: Written) -> list[GraphEdge]:
    edges: list[GraphEdge] = []

    def link(
        source: UUID, target: UUID, type_: Any, weight: float = 1.0, **properties: Any
    ) -> None:
        edges.append(
            GraphEdge(
                user_id=user_id, source_id=source, target_id=target, type=type_, weight=weight,
                properties=properties, version=INGESTION_VERSION,
            )
        )  # fmt: skip

    for row in written.memories:
        memory_id = UUID(row["memory_id"])
        link(user_id, memory_id, "EXPERIENCED")
        for concept_id in (row.get("attributes") or {}).get("concept_ids") or []:
            concept = written.concepts.get(UUID(concept_id)) or {}
            kind = "HAPPENED_AT" if concept.get("type") == "place" else "INVOLVES"
            link(memory_id, UUID(concept_id), kind)
        for tag in row.get("tags") or []:
            link(memory_id, tag_node_id(user_id, tag), "TAGGED_WITH")
    for (a, b), count in sorted(written.co_occurrences.items()):
        link(a, b, "RELATED_TO", float(count), co_occurrences=count)
    for s in written.supersessions:
        link(s.newer, s.older, "CONTRADICTS", predicate=s.predicate, was=s.was, now=s.now)
        link(s.newer, s.older, "EVOLVED_FROM", predicate=s.predicate)
    if written.inspired_by is not None:
        for row in written.memories:
            if UUID(row["memory_id"]) != written.inspired_by:
                link(UUID(row["memory_id"]), written.inspired_by, "INSPIRED_BY")
    return edges
