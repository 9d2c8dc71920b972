"""Growth on the graph and in the vector index (seed 000, Growth Model Integration 5-6), through
the real gateway, webhook, Postgres graph and embedded vector store: once an entity's growth
events are delivered its node carries the six dimension scores and its card's evolution state
(GET /v1/graph/nodes/{id}/neighbourhood), and its knowledge item the state, which a vector
query selects by."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import psycopg
import pytest

from dotline.adapters.postgres_vectors import PostgresVectors
from dotline.db import Database
from dotline.ports.vectors import VectorFilter
from dotline.settings import Settings
from test_card_pipeline import add_concept, grow
from user_outbox import deliver_outbox

DIMS = ("self_know", "self_act", "self_show", "world_know", "world_act", "world_show")


@pytest.fixture
def vectors(settings: Settings) -> Iterator[PostgresVectors]:
    db = Database(settings)
    yield PostgresVectors(db)
    db.close()


def node_properties(client: httpx.Client, headers: dict[str, str], node: Any) -> dict[str, Any]:
    response = client.get(f"/v1/graph/nodes/{node}/neighbourhood", headers=headers)
    assert response.status_code == 200, response.text
    (found,) = [n for n in response.json()["nodes"] if n["node_id"] == str(node)]
    return dict(found["properties"])


def growth_of(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v for k, v in properties.items() if k.startswith("growth_") or k == "evolution_state"
    }


def stored_vector(pg: psycopg.Connection[Any], entity: Any) -> list[float]:
    row = pg.execute(
        "select vector from vectors.items where source_entity_id = %s", (entity,)
    ).fetchone()
    assert row is not None
    return [float(x) for x in np.frombuffer(bytes(row[0]), dtype="<f4")]


def test_a_delivered_memory_node_carries_its_dimensions_and_evolution_state(
    client: httpx.Client, stack_url: str, make_user: Any, pg: psycopg.Connection[Any],
    settings: Settings,
) -> None:  # fmt: skip
    # given a memory made through the API
    user = make_user()
    memory = client.post(
        "/v1/memories", json={"title": "Swim", "content": "Across the lake"}, headers=user.headers
    ).json()["memory_id"]
    # when its changes (and the growth they earn) are delivered, then delivered again
    deliver_outbox(pg, stack_url, settings, user.user_id)
    first = node_properties(client, user.headers, memory)
    deliver_outbox(pg, stack_url, settings, user.user_id, again=True)
    again = node_properties(client, user.headers, memory)
    # then the node keeps its columns and carries every dimension and its card's state
    assert first["title"] == "Swim"
    assert growth_of(first) == {
        **{f"growth_{d}": 0.0 for d in DIMS},
        "growth_self_know": 0.05,
        "evolution_state": "sprout",
    }
    assert again == first


def test_growth_moves_a_concept_node_and_its_state_is_searchable_in_the_vector_index(
    client: httpx.Client, stack_url: str, make_user: Any, pg: psycopg.Connection[Any],
    settings: Settings, vectors: PostgresVectors,
) -> None:  # fmt: skip
    # given a concept delivered as a sprout, and another still a seed
    user = make_user()
    hub = add_concept(pg, user.user_id, "swimming", [])
    seedling = add_concept(pg, user.user_id, "rowing", [])
    grow(pg, user.user_id, hub, ["self_know"])
    deliver_outbox(pg, stack_url, settings, user.user_id)
    before = growth_of(node_properties(client, user.headers, hub))
    # when two more dimensions grow (a bloom) and are delivered
    grow(pg, user.user_id, hub, ["world_act", "self_show", "self_show"])
    deliver_outbox(pg, stack_url, settings, user.user_id)
    after = growth_of(node_properties(client, user.headers, hub))
    query = stored_vector(pg, seedling)

    def found(*states: str) -> set[uuid.UUID]:
        where = VectorFilter(evolution_states=list(states))
        return {hit.source_entity_id for hit in vectors.search(user.user_id, query, 10, where)}

    # then the node holds the sums, and the index selects each concept by its state
    assert (before["growth_self_know"], before["evolution_state"]) == (0.1, "sprout")
    assert after == {
        **{f"growth_{d}": 0.0 for d in DIMS},
        "growth_self_know": 0.1,
        "growth_world_act": 0.1,
        "growth_self_show": 0.2,
        "evolution_state": "bloom",
    }
    assert found("bloom") == {hub}
    assert found("seed") == {seedling}
    assert found("sprout", "constellation") == set()
    hit = vectors.search(user.user_id, query, 10, VectorFilter(source_entity_types=["concept"]))
    assert {h.source_entity_id: h.evolution_state for h in hit} == {
        hub: "bloom",
        seedling: "seed",
    }
