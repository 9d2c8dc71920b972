"""The vector port on Weaviate (weaviate-client v4): collection UserKnowledgeItem, a tenant per user.

`import weaviate` costs ~1.6-2 s of cold start on the dev machine (gRPC, protobuf, the SDK's
models), so bootstrap imports this module only when WEAVIATE_URL is set, and the client connects
on first use with `skip_init_checks=True` (no meta/health round trips at start-up). The
collection is created, if missing, on first use too. Weaviate has no conditional writes, so the
version check reads stored versions before the batch write: a concurrent writer can slip between
the two (last writer wins there). `stale` visits every tenant: one listing plus one query per
tenant holding stale objects, so O(users) round trips per call; run it from a job, never inline.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse
from uuid import UUID

import weaviate
from weaviate.classes.init import AdditionalConfig, Auth, Timeout
from weaviate.classes.query import Filter, MetadataQuery
from weaviate.collections import Collection
from weaviate.collections.classes.data import DataObject
from weaviate.connect import ConnectionParams
from weaviate.exceptions import WeaviateBaseError

from dotline.adapters import weaviate_knowledge_items as ukis
from dotline.errors import ServiceUnavailable
from dotline.ports.vectors import KnowledgeItem, VectorFilter, VectorHit
from dotline.settings import Settings

DEFAULT_GRPC_PORT = 50051


class WeaviateVectors:
    """Knowledge items in Weaviate with bring-your-own vectors; every call names one tenant."""

    def __init__(self, client: weaviate.WeaviateClient) -> None:
        self._client = client
        self._ready = False
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> WeaviateVectors:
        """A client for `weaviate_url` (+ `weaviate_grpc_url`), not yet connected."""
        if not settings.weaviate_url:
            raise ValueError("weaviate_url is not set")
        auth = None
        if settings.weaviate_api_key is not None:
            auth = Auth.api_key(settings.weaviate_api_key.get_secret_value())
        timeout_s = int(max(1, settings.http_timeout_s))
        client = weaviate.WeaviateClient(
            connection_params=connection_params(settings.weaviate_url, settings.weaviate_grpc_url),
            auth_client_secret=auth,
            additional_config=AdditionalConfig(
                timeout=Timeout(init=timeout_s, query=timeout_s, insert=timeout_s * 3)
            ),
            skip_init_checks=True,
        )
        return cls(client)

    def apply_schema(self) -> None:
        """Create the collection if it is missing, or add the properties it lacks (idempotent)."""
        with _translated():
            if not self._client.is_connected():
                self._client.connect()
            if not self._client.collections.exists(ukis.COLLECTION):
                self._client.collections.create(**ukis.collection_config())
                return
            config = self._client.collections.get(ukis.COLLECTION).config
            have = {p.name for p in config.get().properties}
            for prop in ukis.properties():
                if prop.name not in have:  # a collection made before this property existed
                    config.add_property(prop)

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()

    def upsert(self, items: Sequence[KnowledgeItem]) -> None:
        """Create or replace items by item_id; a lower version than stored is ignored."""
        by_user: dict[UUID, list[KnowledgeItem]] = {}
        for item in items:
            by_user.setdefault(item.user_id, []).append(item)
        with _translated():
            for user_id, user_items in by_user.items():
                self._upsert_tenant(self._tenant(user_id), user_items)

    def delete(self, user_id: UUID, source_entity_type: str, source_entity_id: UUID) -> None:
        """Remove the item of that source entity; a missing one is not an error."""
        with _translated():
            if not self._has_tenant(user_id):
                return
            where = ukis.source_filter(source_entity_type, source_entity_id)
            self._tenant(user_id).data.delete_many(where=where)

    def delete_many(
        self, user_id: UUID, source_entity_type: str, source_entity_ids: Sequence[UUID]
    ) -> int:
        """Remove the items of those source entities; returns how many went."""
        if not source_entity_ids:
            return 0
        with _translated():
            if not self._has_tenant(user_id):
                return 0
            where = ukis.sources_filter(source_entity_type, sorted(set(source_entity_ids)))
            result = self._tenant(user_id).data.delete_many(where=where)
        return int(result.successful)

    def set_importance(
        self, user_id: UUID, source_entity_type: str, importance: Mapping[UUID, float]
    ) -> int:
        """Set the items' importance, leaving text, vector and version alone; returns how many."""
        values = {entity_id: float(value) for entity_id, value in importance.items()}
        return self._set_property(user_id, source_entity_type, "importanceScore", values)

    def set_evolution_states(
        self, user_id: UUID, source_entity_type: str, states: Mapping[UUID, str | None]
    ) -> int:
        """Set the evolution state the items carry, leaving the rest alone; returns how many."""
        return self._set_property(user_id, source_entity_type, "evolutionState", states)

    def _set_property(
        self, user_id: UUID, source_entity_type: str, name: str, values: Mapping[UUID, Any]
    ) -> int:
        """Set one property of each entity's item to its value; returns how many were found."""
        if not values:
            return 0
        with _translated():
            if not self._has_tenant(user_id):
                return 0
            tenant = self._tenant(user_id)
            where = ukis.sources_filter(source_entity_type, sorted(values))
            found = tenant.query.fetch_objects(
                filters=where, limit=len(values), return_properties=["sourceEntityId"]
            )
            for o in found.objects:
                value = values[UUID(str(o.properties["sourceEntityId"]))]
                tenant.data.update(uuid=o.uuid, properties={name: value})
        return len(found.objects)

    def search(
        self,
        user_id: UUID,
        vector: Sequence[float],
        limit: int = 10,
        where: VectorFilter | None = None,
    ) -> list[VectorHit]:
        """The user's items nearest to `vector`, best first; scores are in [0, 1]."""
        if limit <= 0 or (where is not None and where.source_entity_types == []):
            return []
        with _translated():
            try:
                found = self._tenant(user_id).query.near_vector(
                    near_vector=list(vector),
                    limit=limit,
                    filters=ukis.search_filter(where),
                    return_metadata=MetadataQuery(distance=True),
                )
            except WeaviateBaseError:
                # A user who never wrote has no tenant; asked only on failure, off the hot path.
                if not self._has_tenant(user_id):
                    return []
                raise
        return [ukis.to_hit(dict(o.properties), o.metadata.distance) for o in found.objects]

    def stale(
        self, model_version: str, limit: int = 500, user_ids: Sequence[UUID] | None = None
    ) -> list[KnowledgeItem]:
        """Items embedded with another model version, for the re-embed job: of any user, or
        only of `user_ids` when given (their tenants)."""
        stale: list[KnowledgeItem] = []
        with _translated():
            tenants = self._collection().tenants.get()
            names = tenants if user_ids is None else [ukis.tenant(u) for u in user_ids]
            for name in (n for n in names if n in tenants):
                if len(stale) >= limit:
                    break
                found = (
                    self._collection()
                    .with_tenant(name)
                    .query.fetch_objects(
                        filters=ukis.stale_filter(model_version),
                        limit=limit - len(stale),
                        include_vector=True,
                    )
                )
                stale.extend(
                    ukis.to_item(dict(o.properties), _vector(o.vector)) for o in found.objects
                )
        return stale

    def erase_user(self, user_id: UUID) -> int:
        """Remove every item of the user (their tenant); returns how many went."""
        with _translated():
            if not self._has_tenant(user_id):
                return 0
            counted = self._tenant(user_id).aggregate.over_all(total_count=True).total_count
            self._collection().tenants.remove([ukis.tenant(user_id)])
        return int(counted or 0)

    def _upsert_tenant(self, tenant: Collection[Any, Any], items: list[KnowledgeItem]) -> None:
        stored = self._stored_versions(tenant, items)
        fresh = [i for i in items if i.version >= stored.get(ukis.object_uuid(i.item_id), -1)]
        if not fresh:
            return
        result = tenant.data.insert_many(
            [
                DataObject(
                    properties=ukis.to_properties(i),
                    uuid=ukis.object_uuid(i.item_id),
                    vector=list(i.vector),
                )
                for i in fresh
            ]
        )
        if result.has_errors:
            first = next(iter(result.errors.values()))
            raise ServiceUnavailable(
                f"Weaviate refused {len(result.errors)} of {len(fresh)} objects: {first.message}"
            )

    def _stored_versions(
        self, tenant: Collection[Any, Any], items: list[KnowledgeItem]
    ) -> dict[UUID, int]:
        ids = [ukis.object_uuid(i.item_id) for i in items]
        found = tenant.query.fetch_objects(
            filters=Filter.by_id().contains_any(ids), limit=len(ids), return_properties=["version"]
        )
        return {UUID(str(o.uuid)): int(o.properties.get("version") or 0) for o in found.objects}

    def _has_tenant(self, user_id: UUID) -> bool:
        return bool(self._collection().tenants.exists(ukis.tenant(user_id)))

    def _tenant(self, user_id: UUID) -> Collection[Any, Any]:
        return self._collection().with_tenant(ukis.tenant(user_id))

    def _collection(self) -> Collection[Any, Any]:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self.apply_schema()
                    self._ready = True
        return self._client.collections.use(ukis.COLLECTION)


def connection_params(url: str, grpc_url: str | None) -> ConnectionParams:
    """HTTP from `url`; gRPC from `grpc_url` (host[:port] or a URL), else `url`'s host on 50051."""
    http = urlparse(url)
    grpc = urlparse(grpc_url if grpc_url and "//" in grpc_url else f"//{grpc_url or http.hostname}")
    secure = http.scheme == "https"
    return ConnectionParams.from_params(
        http_host=http.hostname or "localhost",
        http_port=http.port or (443 if secure else 80),
        http_secure=secure,
        grpc_host=grpc.hostname or http.hostname or "localhost",
        grpc_port=grpc.port or DEFAULT_GRPC_PORT,
        grpc_secure=grpc.scheme == "https" or (secure and grpc.scheme == ""),
    )


def _vector(vector: Any) -> list[float]:
    """The default vector of an object (the SDK returns named vectors as a dict)."""
    value = vector.get("default") if isinstance(vector, dict) else vector
    return [float(x) for x in value or []]


@contextmanager
def _translated() -> Iterator[None]:
    """SDK errors become ServiceUnavailable at this edge."""
    try:
        yield
    except WeaviateBaseError as exc:
        raise ServiceUnavailable("The vector store failed to answer.") from exc
