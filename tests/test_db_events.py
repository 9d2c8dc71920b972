"""The database webhook: signatures, and each change mirrored once into graph, vectors and cache.

The mirroring tests run the service in-process against in-memory fakes of the stores (defined
here) and the real ledger in Postgres; the signature tests go through a real gateway.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest

from dotline.bootstrap import Deps
from dotline.models.db_events import DbEvent
from dotline.ports.graph import GraphEdge, GraphNode, Subgraph
from dotline.ports.vectors import KnowledgeItem
from dotline.services.mirroring import mirroring
from dotline.services.mirroring.entities import item_id
from dotline.settings import Settings
from dotline.webhooks import signature, signed_headers, verify

WEBHOOK = "/v1/internal/db-events"


class FakeGraph:
    """Nodes and edges in dicts, with the port's version rule."""

    def __init__(self) -> None:
        self.nodes: dict[UUID, GraphNode] = {}
        self.edges: dict[tuple[UUID, UUID, str], GraphEdge] = {}

    def upsert_nodes(self, nodes: Sequence[GraphNode]) -> None:
        for node in nodes:
            stored = self.nodes.get(node.node_id)
            if stored is None or node.version >= stored.version:
                self.nodes[node.node_id] = node

    def upsert_edges(self, edges: Sequence[GraphEdge]) -> None:
        for edge in edges:
            if edge.source_id in self.nodes and edge.target_id in self.nodes:
                self.edges[(edge.source_id, edge.target_id, edge.type)] = edge

    def delete_node(self, user_id: UUID, node_id: UUID) -> None:
        self.nodes.pop(node_id, None)
        self.edges = {k: e for k, e in self.edges.items() if node_id not in k[:2]}

    def neighbourhood(self, user_id: UUID, node_id: UUID, depth: int, limit: int = 200) -> Subgraph:
        if node_id not in self.nodes:
            return Subgraph()
        edges = [e for k, e in self.edges.items() if node_id in k[:2]]
        ids = {node_id} | {e.source_id for e in edges} | {e.target_id for e in edges}
        return Subgraph(nodes=[self.nodes[i] for i in ids], edges=edges)


class FakeVectors:
    """Items in a dict, with the port's version rule."""

    def __init__(self) -> None:
        self.items: dict[UUID, KnowledgeItem] = {}

    def upsert(self, items: Sequence[KnowledgeItem]) -> None:
        for item in items:
            stored = self.items.get(item.item_id)
            if stored is None or item.version >= stored.version:
                self.items[item.item_id] = item

    def delete(self, user_id: UUID, source_entity_type: str, source_entity_id: UUID) -> None:
        self.items = {
            k: i
            for k, i in self.items.items()
            if (i.source_entity_type, i.source_entity_id) != (source_entity_type, source_entity_id)
        }

    def set_evolution_states(
        self, user_id: UUID, source_entity_type: str, states: Mapping[UUID, str | None]
    ) -> int:
        changed = 0
        for key, item in self.items.items():
            if item.source_entity_type == source_entity_type and item.source_entity_id in states:
                state = states[item.source_entity_id]
                self.items[key] = item.model_copy(update={"evolution_state": state})
                changed += 1
        return changed


class FakeEmbedder:
    model_version = "fake-1"
    dimensions = 2

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [[1.0, 0.0] for _ in texts]


class FakeCache:
    def __init__(self) -> None:
        self.deleted: list[str] = []
        self.published: list[tuple[str, dict[str, Any]]] = []

    def delete(self, keys: Sequence[str]) -> int:
        self.deleted += keys
        return 0

    def get_json(self, key: str) -> Any | None:
        return None

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        self.published.append((channel, message))


@pytest.fixture
def stores(settings: Settings) -> dict[str, Any]:
    deps = Deps(settings)
    return {
        "db": deps.db,
        "graph": FakeGraph(),
        "vectors": FakeVectors(),
        "embedder": FakeEmbedder(),
        "cache": FakeCache(),
    }


def memory_event(
    kind: str, memory_id: UUID, user_id: UUID, outbox_id: int, **fields: Any
) -> DbEvent:
    row = {
        "memory_id": str(memory_id),
        "user_id": str(user_id),
        "title": "Lisbon",
        "content": "Trams up the hill",
        "importance": 0.5,
        "tags": ["travel"],
        "created_at": datetime.now(UTC).isoformat(),
        **fields,
    }
    record, old = (None, row) if kind == "DELETE" else (row, None if kind == "INSERT" else row)
    return DbEvent.model_validate(
        {"type": kind, "table": "memories", "schema": "public", "record": record,
         "old_record": old, "outbox_id": outbox_id}
    )  # fmt: skip


def test_a_memory_insert_becomes_a_node_and_an_item(stores: dict[str, Any]) -> None:
    memory_id, user_id = uuid.uuid4(), uuid.uuid4()

    outcome = mirroring.apply_db_event(memory_event("INSERT", memory_id, user_id, 10), **stores)

    assert outcome.applied
    node = stores["graph"].nodes[memory_id]
    assert (node.label, node.properties["title"], node.version) == ("MemoryUnit", "Lisbon", 10)
    item = stores["vectors"].items[item_id("memories", str(memory_id))]
    assert (item.text, item.tags, item.importance) == (
        "Lisbon\n\nTrams up the hill",
        ["travel"],
        0.5,
    )
    assert f"user:{user_id}:graph:viewport" in stores["cache"].deleted


def test_an_update_moves_the_node_and_the_item(stores: dict[str, Any]) -> None:
    memory_id, user_id = uuid.uuid4(), uuid.uuid4()
    mirroring.apply_db_event(memory_event("INSERT", memory_id, user_id, 10), **stores)

    mirroring.apply_db_event(
        memory_event("UPDATE", memory_id, user_id, 11, title="Porto"), **stores
    )

    assert stores["graph"].nodes[memory_id].properties["title"] == "Porto"
    assert stores["vectors"].items[item_id("memories", str(memory_id))].title == "Porto"


def test_a_delete_removes_it_everywhere(stores: dict[str, Any]) -> None:
    memory_id, user_id = uuid.uuid4(), uuid.uuid4()
    mirroring.apply_db_event(memory_event("INSERT", memory_id, user_id, 10), **stores)

    mirroring.apply_db_event(memory_event("DELETE", memory_id, user_id, 12), **stores)

    assert memory_id not in stores["graph"].nodes
    assert stores["vectors"].items == {}


def test_redelivery_of_the_same_event_changes_nothing(stores: dict[str, Any]) -> None:
    memory_id, user_id = uuid.uuid4(), uuid.uuid4()
    event = memory_event("INSERT", memory_id, user_id, 10)
    mirroring.apply_db_event(event, **stores)
    stores["cache"].published.clear()
    stores["cache"].deleted.clear()
    stores["graph"].nodes[memory_id] = (
        stores["graph"].nodes[memory_id].model_copy(update={"properties": {"marker": "untouched"}})
    )

    outcome = mirroring.apply_db_event(event, **stores)

    assert not outcome.applied
    assert stores["graph"].nodes[memory_id].properties == {"marker": "untouched"}
    assert stores["cache"].deleted == []


def test_an_older_event_never_overwrites_a_newer_state(stores: dict[str, Any]) -> None:
    memory_id, user_id = uuid.uuid4(), uuid.uuid4()
    mirroring.apply_db_event(memory_event("UPDATE", memory_id, user_id, 20, title="New"), **stores)

    outcome = mirroring.apply_db_event(
        memory_event("UPDATE", memory_id, user_id, 19, title="Old"), **stores
    )

    assert not outcome.applied
    assert stores["graph"].nodes[memory_id].properties["title"] == "New"


def test_a_late_insert_cannot_bring_back_a_deleted_memory(stores: dict[str, Any]) -> None:
    memory_id, user_id = uuid.uuid4(), uuid.uuid4()
    mirroring.apply_db_event(memory_event("DELETE", memory_id, user_id, 31), **stores)

    mirroring.apply_db_event(memory_event("INSERT", memory_id, user_id, 30), **stores)

    assert memory_id not in stores["graph"].nodes
    assert stores["vectors"].items == {}


def test_a_concept_links_to_the_concepts_its_record_names(stores: dict[str, Any]) -> None:
    user_id, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def concept(concept_id: UUID, outbox_id: int, related: list[str]) -> DbEvent:
        row = {"concept_id": str(concept_id), "user_id": str(user_id), "name": f"c{outbox_id}",
               "type": "theme", "attributes": {"related_concept_ids": related},
               "created_at": datetime.now(UTC).isoformat()}  # fmt: skip
        return DbEvent.model_validate(
            {"type": "INSERT", "table": "concepts", "schema": "public", "record": row,
             "old_record": None, "outbox_id": outbox_id}
        )  # fmt: skip

    mirroring.apply_db_event(concept(first, 40, []), **stores)
    mirroring.apply_db_event(concept(second, 41, [str(first)]), **stores)

    assert (second, first, "RELATED_TO") in stores["graph"].edges
    assert stores["vectors"].items[item_id("concepts", str(second))].source_entity_type == "concept"


def test_a_card_change_invalidates_and_publishes_on_the_owners_channel(
    stores: dict[str, Any],
) -> None:
    card_id, user_id = uuid.uuid4(), uuid.uuid4()
    event = DbEvent.model_validate(
        {"type": "UPDATE", "table": "cards", "schema": "public", "outbox_id": 50,
         "record": {"card_id": str(card_id), "user_id": str(user_id)}, "old_record": None}
    )  # fmt: skip

    mirroring.apply_db_event(event, **stores)

    assert f"card:{card_id}:growth" in stores["cache"].deleted
    channel, message = stores["cache"].published[0]
    assert channel == f"user:{user_id}:cards"
    assert message["kind"] == "row.updated" and message["id"] == str(card_id)
    assert message["version"] == 50 and message["data"] == {"table": "cards"}


# Signatures ---------------------------------------------------------------------------------


def test_a_signature_made_with_the_secret_verifies() -> None:
    body = b'{"a":1}'
    verify("s3cret", signed_headers("s3cret", body), body)


@pytest.mark.parametrize(
    "case", ["missing", "wrong secret", "tampered body", "stale", "from the future", "bad bearer"]
)
def test_a_bad_signature_is_refused(case: str) -> None:
    from dotline.errors import Unauthenticated

    body, now = b'{"a":1}', time.time()
    headers = {
        "missing": {},
        "wrong secret": signed_headers("other", body),
        "tampered body": signed_headers("s3cret", b'{"a":2}'),
        "stale": signed_headers("s3cret", body, now_s=now - 301),
        "from the future": signed_headers("s3cret", body, now_s=now + 301),
        "bad bearer": {"Authorization": "Bearer nope"},
    }[case]
    with pytest.raises(Unauthenticated):
        verify("s3cret", headers, body, now_s=now)


def test_supabase_webhooks_authenticate_with_the_secret_as_bearer() -> None:
    verify("s3cret", {"authorization": "Bearer s3cret"}, b"{}")


@pytest.mark.parametrize("case", ["missing", "bad", "stale"])
def test_the_webhook_answers_401_and_applies_nothing_without_a_good_signature(
    case: str, api: httpx.Client, settings: Settings, pg: psycopg.Connection[Any]
) -> None:
    memory_id = uuid.uuid4()
    body = (
        memory_event("INSERT", memory_id, uuid.uuid4(), 1).model_dump_json(by_alias=True).encode()
    )
    secret = settings.webhook_secret.get_secret_value()
    stamp = str(int(time.time()) - (400 if case == "stale" else 0))
    headers = {
        "missing": {},
        "bad": {"X-Dotline-Timestamp": stamp, "X-Dotline-Signature": "v1=" + "0" * 64},
        "stale": {
            "X-Dotline-Timestamp": stamp,
            "X-Dotline-Signature": signature(secret, stamp, body),
        },
    }[case]

    response = api.post(
        WEBHOOK, content=body, headers={"content-type": "application/json", **headers}
    )

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert json.loads(response.text)["status"] == 401
    applied = pg.execute(
        "select count(*) from private.mirrored_rows where row_key = %s", (str(memory_id),)
    ).fetchone()
    assert applied == (0,)


def test_a_signed_event_for_an_unknown_table_is_a_422(
    api: httpx.Client, settings: Settings
) -> None:
    body = json.dumps({"type": "INSERT", "table": "nope", "schema": "public", "record": {},
                       "old_record": None}).encode()  # fmt: skip

    response = api.post(
        WEBHOOK,
        content=body,
        headers=signed_headers(settings.webhook_secret.get_secret_value(), body),
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "table"


def test_concurrent_deliveries_are_each_answered_for_their_own_event(
    gateway: str, settings: Settings
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    secret = settings.webhook_secret.get_secret_value()

    def deliver(n: int) -> tuple[str, str, int]:
        key = str(uuid.uuid4())
        body = json.dumps({"type": "INSERT", "table": "knowledge_entries", "schema": "public",
                           "record": {"knowledge_entry_id": key, "title": "T", "content": "C",
                                      "created_at": "2026-01-01T00:00:00+00:00"},
                           "old_record": None,
                           "outbox_id": n}).encode()  # fmt: skip
        response = httpx.post(
            gateway + WEBHOOK, content=body, headers=signed_headers(secret, body), timeout=30
        )
        return key, response.json().get("row_key", ""), response.status_code

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(deliver, range(64)))

    assert [(sent, 200) for sent, _, _ in answers] == [(got, s) for _, got, s in answers]


def test_a_delete_recorded_while_an_older_change_is_in_flight_still_wins(
    stores: dict[str, Any],
) -> None:
    # given an insert whose delivery passes the ledger check, then stalls while the row's delete
    # is delivered and applied in full (a killed dispatcher's request still running)
    memory_id, user_id = uuid.uuid4(), uuid.uuid4()
    graph = stores["graph"]
    delete = memory_event("DELETE", memory_id, user_id, 61)
    original_upsert = graph.upsert_nodes

    def upsert_after_the_delete(nodes: Sequence[GraphNode]) -> None:
        graph.upsert_nodes = original_upsert
        mirroring.apply_db_event(delete, **stores)
        original_upsert(nodes)

    graph.upsert_nodes = upsert_after_the_delete

    # when the stalled insert finishes after the delete
    outcome = mirroring.apply_db_event(memory_event("INSERT", memory_id, user_id, 60), **stores)

    # then nothing of the memory is left anywhere
    assert not outcome.applied
    assert memory_id not in graph.nodes
    assert stores["vectors"].items == {}
