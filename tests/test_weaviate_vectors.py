"""The Weaviate adapter without a server: collection config, object mapping, filters, object ids,
connection settings, and that nothing connects or imports the SDK before it is needed.
The full port contract runs in tests/contract/test_vectors_contract.py when WEAVIATE_URL is set."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from dotline.adapters import weaviate_knowledge_items as ukis
from dotline.adapters.weaviate_vectors import WeaviateVectors, connection_params
from dotline.errors import ServiceUnavailable
from dotline.ports.vectors import KnowledgeItem, VectorFilter
from dotline.settings import Settings
from python_probes import run_python

SEED_PROPERTIES = {  # the seed's UserKnowledgeItem (001, Part 3), `string` being field-tokenized text
    "externalId": ("uuid", None),
    "userId": ("text", "field"),
    "sourceEntityType": ("text", "field"),
    "sourceEntityId": ("uuid", None),
    "textContent": ("text", None),
    "title": ("text", "word"),
    "embeddingModelVersion": ("text", "field"),
    "createdAt": ("date", None),
    "importanceScore": ("number", None),
    "tags": ("text[]", "word"),
}
MEMORY_FILTER_PROPERTIES = {  # a memory's fields the search filters read
    "memoryType": ("text", "field"),
    "appId": ("text", "field"),
    "sourceConversationId": ("text", "field"),
    "occurredAt": ("date", None),
    "attributePairs": ("text[]", "field"),
    # and the card evolution state any item may carry (seed 000, Growth Model Integration 6)
    "evolutionState": ("text", "field"),
}


def an_item(**fields: Any) -> KnowledgeItem:
    values: dict[str, Any] = {
        "item_id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "source_entity_type": "memory_unit",
        "source_entity_id": uuid.uuid4(),
        "title": "Lake Bled",
        "text": "I swam across the lake",
        "tags": ["swimming", "family"],
        "importance": 0.8,
        "created_at": datetime(2026, 5, 1, 12, tzinfo=UTC),
        "model_version": "wordllama-l2_supercat-256@0.4.0.post1",
        "version": 4,
        "vector": [0.6, 0.8],
        **fields,
    }
    return KnowledgeItem(**values)


def test_the_collection_holds_the_seeds_properties_plus_version() -> None:
    config = ukis.collection_config()
    properties = {p.name: p._to_dict() for p in config["properties"]}

    for name, (data_type, tokenization) in SEED_PROPERTIES.items():
        assert properties[name]["dataType"] == [data_type], name
        assert properties[name].get("tokenization") == tokenization, name
    assert set(properties) == {*SEED_PROPERTIES, "version", *MEMORY_FILTER_PROPERTIES}
    for name, (data_type, tokenization) in MEMORY_FILTER_PROPERTIES.items():
        assert properties[name]["dataType"] == [data_type], name
        assert properties[name].get("tokenization") == tokenization, name
    assert properties["version"]["dataType"] == ["int"]
    assert config["name"] == "UserKnowledgeItem"


def test_the_collection_brings_its_own_cosine_vectors_with_a_tenant_per_user() -> None:
    config = ukis.collection_config()

    assert config["vector_config"]._to_dict() == {
        "vectorizer": {"none": {}},
        "vectorIndexType": "hnsw",
        "vectorIndexConfig": {"distance": "cosine"},
    }
    assert config["multi_tenancy_config"]._to_dict() == {
        "enabled": True,
        "autoTenantCreation": True,
        "autoTenantActivation": True,
    }


def test_an_item_maps_to_properties_and_back_unchanged() -> None:
    item = an_item()

    properties = ukis.to_properties(item)

    assert properties["externalId"] == item.item_id
    assert properties["userId"] == str(item.user_id)
    assert properties["textContent"] == item.text
    assert properties["importanceScore"] == 0.8
    assert ukis.to_item(properties, [0.6, 0.8]) == item


def test_a_hit_scores_cosine_distance_into_the_unit_range() -> None:
    properties = ukis.to_properties(an_item())

    assert ukis.to_hit(properties, 0.0).score == 1.0
    assert ukis.to_hit(properties, 1.0).score == 0.5
    assert ukis.to_hit(properties, 2.0).score == 0.0
    assert ukis.to_hit(properties, 2.000001).score == 0.0  # float noise stays in range
    assert ukis.to_hit(properties, 0.5).text == "I swam across the lake"
    grown = ukis.to_properties(an_item(evolution_state="sprout"))
    assert ukis.to_hit(grown, 0.5).evolution_state == "sprout"


def flat(filters: Any) -> list[tuple[str, str, Any]]:
    return [(f.target, f.operator.name, f.value) for f in filters.filters]


def test_a_search_filter_holds_every_given_restriction() -> None:
    after, before = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    where = VectorFilter(
        source_entity_types=["concept", "memory_unit"],
        created_after=after,
        created_before=before,
        min_importance=0.5,
    )

    built = ukis.search_filter(where)

    assert built is not None and built.operator.name == "AND"
    assert flat(built) == [
        ("sourceEntityType", "CONTAINS_ANY", ["concept", "memory_unit"]),
        ("createdAt", "GREATER_THAN", after),
        ("createdAt", "LESS_THAN", before),
        ("importanceScore", "GREATER_THAN_EQUAL", 0.5),
    ]
    assert ukis.search_filter(None) is None
    assert ukis.search_filter(VectorFilter()) is None


def test_a_search_filter_holds_every_memory_field_restriction() -> None:
    # given a filter on every memory field
    after, before = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    app_id, conversation_id = uuid.uuid4(), uuid.uuid4()
    where = VectorFilter(
        source_entity_types=["memory"], max_importance=0.9, memory_types=["milestone"],
        tags_any=["run"], tags_all=["run", "park"], app_id=app_id,
        source_conversation_id=conversation_id, occurred_after=after, occurred_before=before,
        attribute_pairs=["project=alpha", "client.tier=2"], evolution_states=["bloom", "seed"],
    )  # fmt: skip

    # when the Weaviate filter is built
    built = ukis.search_filter(where)

    # then every restriction is one condition of an AND
    assert built is not None and built.operator.name == "AND"
    assert flat(built) == [
        ("sourceEntityType", "CONTAINS_ANY", ["memory"]),
        ("importanceScore", "LESS_THAN_EQUAL", 0.9),
        ("memoryType", "CONTAINS_ANY", ["milestone"]),
        ("tags", "CONTAINS_ANY", ["run"]),
        ("tags", "CONTAINS_ALL", ["run", "park"]),
        ("appId", "EQUAL", str(app_id)),
        ("sourceConversationId", "EQUAL", str(conversation_id)),
        ("occurredAt", "GREATER_THAN", after),
        ("occurredAt", "LESS_THAN", before),
        ("attributePairs", "CONTAINS_ALL", ["project=alpha", "client.tier=2"]),
        ("evolutionState", "CONTAINS_ANY", ["bloom", "seed"]),
    ]


def test_a_memory_items_filter_fields_map_to_properties_and_back() -> None:
    item = an_item(
        memory_type="milestone", app_id=uuid.uuid4(), source_conversation_id=uuid.uuid4(),
        occurred_at=datetime(2026, 4, 30, 9, tzinfo=UTC), attribute_pairs=["project=alpha"],
        evolution_state="bloom",
    )  # fmt: skip

    properties = ukis.to_properties(item)

    assert properties["appId"] == str(item.app_id)
    assert properties["attributePairs"] == ["project=alpha"]
    assert properties["evolutionState"] == "bloom"
    assert ukis.to_item(properties, [0.6, 0.8]) == item


def test_source_and_stale_filters() -> None:
    source_id = uuid.uuid4()

    assert flat(ukis.source_filter("concept", source_id)) == [
        ("sourceEntityType", "EQUAL", "concept"),
        ("sourceEntityId", "EQUAL", source_id),
    ]
    stale = ukis.stale_filter("new@2")
    assert (stale.target, stale.operator.name, stale.value) == (
        "embeddingModelVersion",
        "NOT_EQUAL",
        "new@2",
    )


def test_object_ids_are_deterministic_per_item() -> None:
    item_id = uuid.uuid4()

    assert ukis.object_uuid(item_id) == ukis.object_uuid(uuid.UUID(str(item_id)))
    assert ukis.object_uuid(item_id) != ukis.object_uuid(uuid.uuid4())
    assert ukis.object_uuid(item_id).version == 5
    assert ukis.tenant(item_id) == str(item_id)


@pytest.mark.parametrize(
    ("url", "grpc_url", "expected"),
    [
        ("http://localhost:8080", None, ("localhost", 8080, False, "localhost", 50051, False)),
        ("https://w.example.com", None, ("w.example.com", 443, True, "w.example.com", 50051, True)),
        (
            "https://w.example.com",
            "grpc-w.example.com:443",
            ("w.example.com", 443, True, "grpc-w.example.com", 443, True),
        ),
        (
            "http://10.0.0.5:8080",
            "http://10.0.0.5:50052",
            ("10.0.0.5", 8080, False, "10.0.0.5", 50052, False),
        ),
    ],
)
def test_connection_params_come_from_the_urls(
    url: str, grpc_url: str | None, expected: tuple[Any, ...]
) -> None:
    params = connection_params(url, grpc_url)

    got = (
        params.http.host,
        params.http.port,
        params.http.secure,
        params.grpc.host,
        params.grpc.port,
        params.grpc.secure,
    )
    assert got == expected


def test_from_settings_builds_a_client_without_connecting() -> None:
    store = WeaviateVectors.from_settings(
        Settings(weaviate_url="http://127.0.0.1:9", weaviate_api_key="k")
    )

    assert store._client.is_connected() is False
    store.close()


def test_only_choosing_weaviate_imports_its_sdk() -> None:
    probe = (
        "import sys\n"
        "from dotline.bootstrap import Deps\n"
        "from dotline.settings import Settings\n"
        "Deps(Settings()).vectors\n"
        "assert 'weaviate' not in sys.modules, 'embedded default imported weaviate'\n"
        "Deps(Settings(weaviate_url='http://127.0.0.1:9')).vectors\n"
        "assert 'weaviate' in sys.modules\n"
    )

    done = run_python(probe)

    assert done.returncode == 0, done.stderr


# --- the adapter's own logic over a stand-in for the SDK's collection (no server) ---------------


class FakeTenantCollection:
    """What the adapter calls on `collection.with_tenant(...)`, over a dict of objects."""

    def __init__(self, objects: dict[uuid.UUID, dict[str, Any]], refuse: bool = False) -> None:
        self.objects, self.refuse = objects, refuse
        self.data, self.query = self, self

    def fetch_objects(self, filters: Any, limit: int, **_: Any) -> Any:
        wanted = {uuid.UUID(str(v)) for v in filters.value}  # the SDK keeps ids as strings
        found = [
            SimpleNamespace(uuid=u, properties=p) for u, p in self.objects.items() if u in wanted
        ]
        return SimpleNamespace(objects=found[:limit])

    def insert_many(self, objects: list[Any]) -> Any:
        if self.refuse:
            return SimpleNamespace(
                has_errors=True, errors={0: SimpleNamespace(message="bad vector")}
            )
        for o in objects:
            self.objects[o.uuid] = o.properties
        return SimpleNamespace(has_errors=False, errors={})


class FakeClient:
    def __init__(self, refuse: bool = False, properties: list[str] | None = None) -> None:
        self.tenants: dict[str, dict[uuid.UUID, dict[str, Any]]] = {}
        self.refuse = refuse
        self.collections = self
        self.properties = [p.name for p in ukis.properties()] if properties is None else properties
        self.config = self

    def get(self, name: str = "") -> Any:  # collections.get(name) and its config.get()
        return SimpleNamespace(
            config=self, properties=[SimpleNamespace(name=p) for p in self.properties]
        )

    def add_property(self, prop: Any) -> None:
        self.properties.append(prop.name)

    def is_connected(self) -> bool:
        return True

    def exists(self, name: str) -> bool:
        return True

    def use(self, name: str) -> Any:
        return SimpleNamespace(with_tenant=self.with_tenant)

    def with_tenant(self, name: str) -> FakeTenantCollection:
        return FakeTenantCollection(self.tenants.setdefault(name, {}), self.refuse)


def test_upsert_writes_newer_and_equal_versions_and_skips_older_ones() -> None:
    client = FakeClient()
    store = WeaviateVectors(client)  # type: ignore[arg-type]
    item = an_item(version=4)
    store.upsert([item])

    store.upsert([item.model_copy(update={"version": 3, "text": "older"})])
    stored = client.tenants[str(item.user_id)][ukis.object_uuid(item.item_id)]
    assert stored["textContent"] == item.text
    store.upsert([item.model_copy(update={"version": 4, "text": "same version"})])
    assert (
        client.tenants[str(item.user_id)][ukis.object_uuid(item.item_id)]["textContent"]
        == "same version"
    )


def test_upsert_routes_each_item_to_its_users_tenant() -> None:
    client = FakeClient()
    a, b = an_item(), an_item()

    WeaviateVectors(client).upsert([a, b])  # type: ignore[arg-type]

    assert set(client.tenants) == {str(a.user_id), str(b.user_id)}


def test_objects_the_batch_refuses_raise_service_unavailable() -> None:
    with pytest.raises(ServiceUnavailable, match="refused 1 of 1"):
        WeaviateVectors(FakeClient(refuse=True)).upsert([an_item()])  # type: ignore[arg-type]


def test_sdk_errors_become_service_unavailable() -> None:
    from weaviate.exceptions import WeaviateConnectionError

    class Down(FakeClient):
        def is_connected(self) -> bool:
            raise WeaviateConnectionError("down")

    with pytest.raises(ServiceUnavailable):
        WeaviateVectors(Down()).upsert([an_item()])  # type: ignore[arg-type]


def test_a_collection_made_before_the_memory_filter_properties_gets_them_once() -> None:
    # given a collection with the seed's properties only
    client = FakeClient(properties=[*SEED_PROPERTIES, "version"])
    store = WeaviateVectors(client)  # type: ignore[arg-type]

    # when the schema is applied twice
    store.apply_schema()
    store.apply_schema()

    # then the missing properties were added, each once
    assert client.properties == [*SEED_PROPERTIES, "version", *MEMORY_FILTER_PROPERTIES]
