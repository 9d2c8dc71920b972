"""What the graph and the vector index hold of a row: its node, its edges, its knowledge item.

Every write carries the change's version, so the stores ignore one older than what they hold;
ids are deterministic (a node is the row's own id, an item uuid5 of table and key), so a repeat
overwrites rather than adds.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from dotline.models.db_events import KEY_COLUMNS, DbEvent
from dotline.ports.embeddings import Embedder
from dotline.ports.graph import (
    GraphEdge,
    GraphNode,
    GraphStore,
    NodeLabel,
    RelationshipType,
    SecondaryLabel,
)
from dotline.ports.vectors import KnowledgeItem, VectorStore, attribute_pairs

ITEM_NAMESPACE = uuid.UUID("5b0f6a52-7d1e-4c36-9a43-2f0b8c1d9e70")

# table -> (node label, source_entity_type of its knowledge item; None: no item)
ENTITIES: dict[str, tuple[NodeLabel, str | None]] = {
    "memories": ("MemoryUnit", "memory"),
    "concepts": ("Concept", "concept"),
    "derived_artifacts": ("DerivedArtifact", "artifact"),
    "profiles": ("User", None),
}

# Record columns copied onto the node (JSON values as the webhook carries them).
_NODE_PROPERTIES: dict[str, tuple[str, ...]] = {
    "memories": ("title", "memory_type", "importance", "tags", "created_at", "occurred_at"),
    "concepts": ("name", "type", "description", "status", "salience", "created_at"),
    "derived_artifacts": ("title", "artifact_type", "description", "created_at"),
    "profiles": ("display_name", "timezone", "language_preference", "created_at"),
}


# A concept of these types is also labelled so (seed 000's Person and Location nodes), and carries
# the seed's properties of that label from its attributes when the pipeline knows them.
CONCEPT_LABELS: dict[str, SecondaryLabel] = {"person": "Person", "place": "Location"}
_SECONDARY_PROPERTIES: dict[SecondaryLabel, tuple[str, ...]] = {
    "Person": ("relationship",),
    "Location": ("coordinates",),
}


def item_id(table: str, row_key: str) -> UUID:
    """The knowledge item's id for a source row: the same on every delivery."""
    return uuid.uuid5(ITEM_NAMESPACE, f"{table}:{row_key}")


def mirror_entity(
    event: DbEvent, *, graph: GraphStore, vectors: VectorStore, embedder: Embedder
) -> tuple[GraphNode, list[GraphEdge]] | None:
    """Upsert (or, for a delete, remove) the row's node, the edges it names and its knowledge
    item; returns the node and edges written (None for a delete)."""
    _, item_type = ENTITIES[event.table]
    row = event.row
    if event.type == "DELETE":
        remove_entity(event, graph=graph, vectors=vectors)
        return None
    node = entity_node(event.table, row, event.version)
    graph.upsert_nodes([node])
    edges = entity_edges(event.table, row, event.version)
    graph.upsert_edges(edges)
    if item_type is not None:
        text, _ = entity_text(event.table, row)
        vector = embedder.embed([text])[0]
        vectors.upsert(
            [entity_item(event.table, row, vector, embedder.model_version, event.version)]
        )
    return node, edges


def entity_node(table: str, row: dict[str, Any], version: int) -> GraphNode:
    """The node of a row (as the webhook carries it, i.e. `to_jsonb` of the row)."""
    label, _ = ENTITIES[table]
    key = str(row[KEY_COLUMNS[table]])
    properties = {k: row.get(k) for k in _NODE_PROPERTIES[table]}
    extra = CONCEPT_LABELS.get(str(row.get("type"))) if table == "concepts" else None
    if extra is not None:
        attributes = row.get("attributes") or {}
        known = {k: attributes[k] for k in _SECONDARY_PROPERTIES[extra] if attributes.get(k)}
        properties.update(known)
    return GraphNode(
        node_id=UUID(key),
        user_id=UUID(str(row["user_id"])),
        label=label,
        extra_labels=[extra] if extra else [],
        properties=properties,
        version=version,
    )


def entity_item(
    table: str, row: dict[str, Any], vector: list[float], model_version: str, version: int
) -> KnowledgeItem:
    """The knowledge item of a row with its text's vector (see entity_text)."""
    _, item_type = ENTITIES[table]
    if item_type is None:
        raise ValueError(f"{table} rows have no knowledge item")
    key = str(row[KEY_COLUMNS[table]])
    text, title = entity_text(table, row)
    return KnowledgeItem(
        item_id=item_id(table, key),
        user_id=UUID(str(row["user_id"])),
        source_entity_type=item_type,
        source_entity_id=UUID(key),
        title=title,
        text=text,
        tags=list(row.get("tags") or []),
        importance=_importance(row),
        created_at=datetime.fromisoformat(str(row["created_at"])),
        model_version=model_version,
        vector=vector,
        version=version,
        **(_memory_facets(row) if table == "memories" else {}),
    )


def _memory_facets(row: dict[str, Any]) -> dict[str, Any]:
    """What the search filters read of a memory, mirrored so the vector channel filters too."""
    occurred = row.get("occurred_at")
    return {
        "memory_type": row.get("memory_type"),
        "app_id": row.get("app_id"),
        "source_conversation_id": row.get("source_conversation_id"),
        "occurred_at": None if occurred is None else datetime.fromisoformat(str(occurred)),
        "attribute_pairs": attribute_pairs(row.get("attributes") or {}),
    }


def remove_entity(event: DbEvent, *, graph: GraphStore, vectors: VectorStore) -> None:
    """Remove the row's knowledge item and node (and its edges); nothing there is fine."""
    _, item_type = ENTITIES[event.table]
    user_id = UUID(str(event.row["user_id"]))
    node_id = UUID(event.row_key)
    if item_type is not None:
        vectors.delete(user_id, item_type, node_id)
    graph.delete_node(user_id, node_id)


def entity_edges(table: str, row: dict[str, Any], version: int) -> list[GraphEdge]:
    """The edges a row itself names (an edge to a node not stored is skipped by the store):

    - Concept -RELATED_TO-> Concept: attributes.related_concept_ids;
    - User -CREATED-> MemoryUnit: a memory written directly (through the API, by the person or
      their coaching app), not extracted from a conversation;
    - DerivedArtifact -HIGHLIGHTS-> Concept: an insight summary's source concepts (its subject);
    - DerivedArtifact -REFERENCES-> entity: any other artifact's source entities;
    - DerivedArtifact -SUPPORTS-> DerivedArtifact: attributes.supports_artifact_id (a cycle
      report, the evidence of its cycle's insight summary).
    """
    user_id = UUID(str(row["user_id"]))
    node_id = UUID(str(row[KEY_COLUMNS[table]]))
    if table == "concepts":
        return related_edges(row, user_id, node_id, version)
    if table == "memories" and row.get("source_conversation_id") is None:
        return [GraphEdge(user_id=user_id, source_id=user_id, target_id=node_id, type="CREATED",
                          version=version)]  # fmt: skip
    if table == "derived_artifacts":
        return _artifact_edges(row, user_id, node_id, version)
    return []


# source_entities types that are graph nodes (cards' source_entity_type names)
_SOURCE_NODE_TYPES = frozenset({"memory", "concept", "artifact"})


def _artifact_edges(
    row: dict[str, Any], user_id: UUID, node_id: UUID, version: int
) -> list[GraphEdge]:
    highlights = row.get("artifact_type") == "insight_summary"
    targets: dict[UUID, RelationshipType] = {}
    for source in row.get("source_entities") or []:
        target = _uuid(source.get("id"))
        if source.get("type") in _SOURCE_NODE_TYPES and target is not None:
            about = highlights and source.get("type") == "concept"
            targets[target] = "HIGHLIGHTS" if about else "REFERENCES"
    for column in ("source_memory_unit_id", "source_concept_id"):
        target = _uuid(row.get(column))
        if target is not None:
            targets.setdefault(target, "REFERENCES")
    supported = _uuid((row.get("attributes") or {}).get("supports_artifact_id"))
    if supported is not None:
        targets[supported] = "SUPPORTS"
    return [
        GraphEdge(user_id=user_id, source_id=node_id, target_id=target, type=type_,
                  version=version)
        for target, type_ in sorted(targets.items(), key=str)
        if target != node_id
    ]  # fmt: skip


def _uuid(value: Any) -> UUID | None:
    try:
        return None if value is None else UUID(str(value))
    except ValueError:
        return None


def related_edges(
    row: dict[str, Any], user_id: UUID, node_id: UUID, version: int
) -> list[GraphEdge]:
    """RELATED_TO edges to the concepts listed in attributes.related_concept_ids (if any)."""
    related = (row.get("attributes") or {}).get("related_concept_ids") or []
    return [
        GraphEdge(
            user_id=user_id, source_id=node_id, target_id=UUID(str(target)),
            type="RELATED_TO", version=version,
        )
        for target in related
        if str(target) != str(node_id)
    ]  # fmt: skip


def entity_text(table: str, row: dict[str, Any]) -> tuple[str, str | None]:
    """The searchable text and title of a row."""
    if table == "memories":
        title = row.get("title")
        return "\n\n".join(p for p in (title, row.get("content")) if p), title
    if table == "concepts":
        name = str(row["name"])
        return "\n\n".join(p for p in (name, row.get("description")) if p), name
    title = str(row["title"])
    parts = (title, row.get("description"), row.get("content_narrative"))
    return "\n\n".join(p for p in parts if p), title


def _importance(row: dict[str, Any]) -> float | None:
    value = row.get("importance", row.get("salience"))
    return None if value is None else float(value)
