"""The seeds' Weaviate class `UserKnowledgeItem` for weaviate-client v4: its collection config,
the mapping between the port's models and its objects, filters and object ids.

Pure functions over the SDK's config and filter types (nothing here talks to a server), so they
are unit-tested without Weaviate. The seed's `string` properties are `text` with `field`
tokenization (what `string` became); `version` is added for the port's version check.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from weaviate.classes.config import Configure, DataType, Property, Tokenization, VectorDistances
from weaviate.classes.query import Filter
from weaviate.collections.classes.filters import _Filters
from weaviate.util import generate_uuid5

from dotline.ports.vectors import KnowledgeItem, VectorFilter, VectorHit

COLLECTION = "UserKnowledgeItem"
DESCRIPTION = "A unified searchable item representing textual content from any source entity."


def collection_config() -> dict[str, Any]:
    """Keyword arguments for `client.collections.create`: bring-your-own cosine vectors, a tenant
    per user, created on first write."""
    return {
        "name": COLLECTION,
        "description": DESCRIPTION,
        "properties": _properties(),
        "vector_config": Configure.Vectors.self_provided(
            vector_index_config=Configure.VectorIndex.hnsw(distance_metric=VectorDistances.COSINE),
        ),
        "multi_tenancy_config": Configure.multi_tenancy(
            enabled=True, auto_tenant_creation=True, auto_tenant_activation=True
        ),
    }


def properties() -> list[Property]:
    """The collection's properties (apply_schema adds those an older collection lacks)."""
    return _properties()


def _properties() -> list[Property]:
    field, word = Tokenization.FIELD, Tokenization.WORD
    return [
        Property(name="externalId", data_type=DataType.UUID),
        Property(name="userId", data_type=DataType.TEXT, tokenization=field),
        Property(name="sourceEntityType", data_type=DataType.TEXT, tokenization=field),
        Property(name="sourceEntityId", data_type=DataType.UUID),
        Property(name="textContent", data_type=DataType.TEXT, index_filterable=False),
        Property(name="title", data_type=DataType.TEXT, tokenization=word),
        Property(name="embeddingModelVersion", data_type=DataType.TEXT, tokenization=field),
        Property(name="createdAt", data_type=DataType.DATE),
        Property(name="importanceScore", data_type=DataType.NUMBER),
        Property(name="tags", data_type=DataType.TEXT_ARRAY, tokenization=word),
        Property(name="version", data_type=DataType.INT),
        # A memory's fields for the search filters (absent on other items).
        Property(name="memoryType", data_type=DataType.TEXT, tokenization=field),
        Property(name="appId", data_type=DataType.TEXT, tokenization=field),
        Property(name="sourceConversationId", data_type=DataType.TEXT, tokenization=field),
        Property(name="occurredAt", data_type=DataType.DATE),
        Property(name="attributePairs", data_type=DataType.TEXT_ARRAY, tokenization=field),
        # The entity's card evolution state (seed 000, Growth Model Integration 6).
        Property(name="evolutionState", data_type=DataType.TEXT, tokenization=field),
    ]


def tenant(user_id: UUID) -> str:
    """The user's tenant name (a UUID fits Weaviate's [A-Za-z0-9_-]{1,64})."""
    return str(user_id)


def object_uuid(item_id: UUID) -> UUID:
    """The Weaviate object id of an item: a UUIDv5 of its item_id, the same on every write."""
    return UUID(generate_uuid5(str(item_id), COLLECTION))


def to_properties(item: KnowledgeItem) -> dict[str, Any]:
    """The object's properties for an item (the vector travels separately)."""
    return {
        "externalId": item.item_id,
        "userId": str(item.user_id),
        "sourceEntityType": item.source_entity_type,
        "sourceEntityId": item.source_entity_id,
        "textContent": item.text,
        "title": item.title,
        "embeddingModelVersion": item.model_version,
        "createdAt": item.created_at,
        "importanceScore": item.importance,
        "tags": item.tags,
        "version": item.version,
        "memoryType": item.memory_type,
        "appId": _text(item.app_id),
        "sourceConversationId": _text(item.source_conversation_id),
        "occurredAt": item.occurred_at,
        "attributePairs": item.attribute_pairs,
        "evolutionState": item.evolution_state,
    }


def _text(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def to_item(properties: dict[str, Any], vector: list[float]) -> KnowledgeItem:
    """The item an object holds."""
    return KnowledgeItem(
        item_id=properties["externalId"],
        user_id=properties["userId"],
        source_entity_type=properties["sourceEntityType"],
        source_entity_id=properties["sourceEntityId"],
        title=properties.get("title"),
        text=properties["textContent"],
        tags=properties.get("tags") or [],
        importance=properties.get("importanceScore"),
        created_at=properties["createdAt"],
        model_version=properties["embeddingModelVersion"],
        version=int(properties.get("version") or 0),
        vector=vector,
        memory_type=properties.get("memoryType"),
        app_id=properties.get("appId"),
        source_conversation_id=properties.get("sourceConversationId"),
        occurred_at=properties.get("occurredAt"),
        attribute_pairs=properties.get("attributePairs") or [],
        evolution_state=properties.get("evolutionState"),
    )


def to_hit(properties: dict[str, Any], distance: float | None) -> VectorHit:
    """A search hit from an object's properties and its cosine distance (in [0, 2])."""
    score = 0.0 if distance is None else 1.0 - distance / 2.0
    return VectorHit(
        item_id=properties["externalId"],
        source_entity_type=properties["sourceEntityType"],
        source_entity_id=properties["sourceEntityId"],
        title=properties.get("title"),
        text=properties["textContent"],
        importance=properties.get("importanceScore"),
        created_at=properties["createdAt"],
        evolution_state=properties.get("evolutionState"),
        score=min(1.0, max(0.0, score)),
    )


def search_filter(where: VectorFilter | None) -> _Filters | None:
    """The Weaviate filter for `where` (all given restrictions must hold), or None."""
    if where is None:
        return None
    parts: list[_Filters] = []
    if where.source_entity_types is not None:
        parts.append(Filter.by_property("sourceEntityType").contains_any(where.source_entity_types))
    if where.created_after is not None:
        parts.append(Filter.by_property("createdAt").greater_than(where.created_after))
    if where.created_before is not None:
        parts.append(Filter.by_property("createdAt").less_than(where.created_before))
    if where.min_importance is not None:
        parts.append(Filter.by_property("importanceScore").greater_or_equal(where.min_importance))
    parts += _memory_parts(where)
    return Filter.all_of(parts) if parts else None


def _memory_parts(where: VectorFilter) -> list[_Filters]:
    """The filter's memory part: an object lacking a property never passes a condition on it."""
    by = Filter.by_property
    parts: list[_Filters] = []
    if where.max_importance is not None:
        parts.append(by("importanceScore").less_or_equal(where.max_importance))
    if where.memory_types is not None:
        parts.append(by("memoryType").contains_any(where.memory_types))
    if where.tags_any is not None:
        parts.append(by("tags").contains_any(where.tags_any))
    if where.tags_all is not None:
        parts.append(by("tags").contains_all(where.tags_all))
    if where.app_id is not None:
        parts.append(by("appId").equal(str(where.app_id)))
    if where.source_conversation_id is not None:
        parts.append(by("sourceConversationId").equal(str(where.source_conversation_id)))
    if where.occurred_after is not None:
        parts.append(by("occurredAt").greater_than(where.occurred_after))
    if where.occurred_before is not None:
        parts.append(by("occurredAt").less_than(where.occurred_before))
    if where.attribute_pairs is not None:
        parts.append(by("attributePairs").contains_all(where.attribute_pairs))
    if where.evolution_states is not None:
        parts.append(by("evolutionState").contains_any(where.evolution_states))
    return parts


def source_filter(source_entity_type: str, source_entity_id: UUID) -> _Filters:
    """The objects standing for one source entity."""
    return Filter.all_of(
        [
            Filter.by_property("sourceEntityType").equal(source_entity_type),
            Filter.by_property("sourceEntityId").equal(source_entity_id),
        ]
    )


def sources_filter(source_entity_type: str, source_entity_ids: list[UUID]) -> _Filters:
    """The objects standing for any of those source entities (of one type)."""
    return Filter.all_of(
        [
            Filter.by_property("sourceEntityType").equal(source_entity_type),
            Filter.by_property("sourceEntityId").contains_any(source_entity_ids),
        ]
    )


def stale_filter(model_version: str) -> _Filters:
    """Objects embedded with another model version than `model_version`."""
    return Filter.by_property("embeddingModelVersion").not_equal(model_version)
