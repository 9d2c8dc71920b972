"""GET /v1/search's growth filters (seed 000, Growth Model Integration 6) through the real gateway,
webhook, Postgres, embedded vector index and graph: memories made through the API, their growth
delivered as the dispatcher would, then searched by the evolution state of their cards and the
dimensions they grew in, on the text and the vector channel; unknown states and dimensions are
422s."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from dotline.bootstrap import Deps
from dotline.ports.graph import GraphEdge
from dotline.settings import Settings
from user_outbox import deliver_outbox

# A query each channel finds both memories by: their words, only their meaning, or a concept
# they are linked to in the graph.
# The graph's query is a name whose embedding points away from both memories (cosine below 0,
# the vector channel's floor), so only the graph finds them by it.
QUERIES = {"text": "kettlebell", "vector": "heavy weight workout", "graph": "Thandiwe"}
BLOOMING = "Kettlebell swings before breakfast"
SPROUTING = "Kettlebell swings after supper"


@pytest.fixture
def slow_client(stack_url: str) -> Iterator[httpx.Client]:
    """The stack's gateway with room for the search function's cold start."""
    with httpx.Client(base_url=stack_url, timeout=60) as http:
        yield http


def grow_memory(
    pg: psycopg.Connection[Any], user_id: uuid.UUID, memory: str, dims: list[str]
) -> None:
    """Growth events for a memory, as the server's ledger writes them."""
    pg.execute(
        "insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source)"
        " select %s, %s, 'memory', d, 0.1, 'test' from unnest(%s::text[]) d",
        (user_id, memory, dims),
    )


@pytest.fixture
def garden(
    slow_client: httpx.Client, stack_url: str, make_user: Any, pg: psycopg.Connection[Any],
    settings: Settings, ports: Deps,
) -> tuple[Any, str, str]:  # fmt: skip
    """A person with a memory whose card blooms (three dimensions grew) and one whose card
    sprouts (only the self_know its creation earned), delivered, both linked in the graph to
    the concept Thandiwe: (user, bloom, sprout)."""
    user = make_user()
    row = pg.execute(
        "insert into concepts (user_id, name, type) values (%s, 'Thandiwe', 'person') "
        "returning concept_id",
        (user.user_id,),
    ).fetchone()
    assert row is not None
    made = [
        slow_client.post(
            "/v1/memories", json={"title": "Gym", "content": content}, headers=user.headers
        )
        for content in (BLOOMING, SPROUTING)
    ]
    assert all(m.status_code == 201 for m in made), [m.text for m in made]
    bloom, sprout = (m.json()["memory_id"] for m in made)
    grow_memory(pg, user.user_id, bloom, ["world_act", "self_show"])
    deliver_outbox(pg, stack_url, settings, user.user_id)
    ports.graph.upsert_edges([
        GraphEdge(user_id=user.user_id, source_id=uuid.UUID(m), target_id=row[0], type="INVOLVES")
        for m in (bloom, sprout)
    ])  # fmt: skip
    return user, bloom, sprout


def hits(client: httpx.Client, user: Any, **params: Any) -> dict[str, dict[str, Any]]:
    response = client.get("/v1/search", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return {hit["entity_id"]: hit for hit in response.json()["items"]}


def card_states(client: httpx.Client, user: Any) -> dict[str, str]:
    cards = client.get("/v1/cards", headers=user.headers).json()["items"]
    return {card["source_entity_id"]: card["evolution_state"] for card in cards}


@pytest.mark.parametrize("channel", ["text", "vector", "graph"])
def test_an_evolution_state_keeps_only_the_hits_whose_card_is_in_it(
    channel: str, slow_client: httpx.Client, garden: tuple[Any, str, str]
) -> None:
    # given a blooming and a sprouting memory that the channel alone finds
    user, bloom, sprout = garden
    query = QUERIES[channel]
    # when searched without a state, by each state, and by two states
    everything = hits(slow_client, user, q=query)
    blooms = hits(slow_client, user, q=query, evolution_state="bloom")
    sprouts = hits(slow_client, user, q=query, evolution_state="sprout")
    seeds_or_blooms = hits(slow_client, user, q=query, evolution_state=["seed", "bloom"])
    # then the channel found both, and each state keeps only the memory whose card is in it
    assert card_states(slow_client, user)[bloom] == "bloom"
    assert card_states(slow_client, user)[sprout] == "sprout"
    assert channel in everything[bloom]["why"]["channels"]
    assert channel in everything[sprout]["why"]["channels"]
    if channel != "text":
        assert everything[bloom]["why"]["channels"] == [channel]
    assert bloom in blooms and sprout not in blooms
    assert sprout in sprouts and bloom not in sprouts
    assert bloom in seeds_or_blooms and sprout not in seeds_or_blooms


@pytest.mark.parametrize("channel", ["text", "vector", "graph"])
def test_a_growth_dimension_keeps_only_the_hits_grown_in_it(
    channel: str, slow_client: httpx.Client, garden: tuple[Any, str, str]
) -> None:
    # given a memory grown in world_act and self_know, and one grown in self_know only
    user, grown, other = garden
    query = QUERIES[channel]
    # when searched by one dimension both grew in, one only the first grew in, and both
    both = hits(slow_client, user, q=query, growth_dimension="self_know")
    acted = hits(slow_client, user, q=query, growth_dimension="world_act")
    every = hits(slow_client, user, q=query, growth_dimension=["self_know", "world_act"])
    # then
    assert {grown, other} <= set(both)
    assert grown in acted and other not in acted
    assert grown in every and other not in every


def test_growth_filters_leave_out_what_has_no_card(
    slow_client: httpx.Client, garden: tuple[Any, str, str], pg: psycopg.Connection[Any]
) -> None:
    # given the memories' concepts and cards, and a memory whose card is gone
    user, bloom, sprout = garden
    pg.execute("delete from public.cards where source_entity_id = %s", (sprout,))
    # when searched by every state there is
    states = ["seed", "sprout", "bloom", "constellation", "supernova"]
    found = hits(slow_client, user, q="kettlebell", evolution_state=states)
    # then the memory without a card is no hit, and every hit has a card in one of them
    assert bloom in found and sprout not in found
    assert {hit["entity_type"] for hit in found.values()} <= {"memory", "concept", "artifact"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"evolution_state": "wilted"}, "query.evolution_state"),
        ({"evolution_state": ["bloom", "Not a state!"]}, "query.evolution_state"),
        ({"growth_dimension": "self_fly"}, "query.growth_dimension"),
    ],
)
def test_an_unknown_state_or_dimension_is_a_422_naming_the_parameter(
    slow_client: httpx.Client, make_user: Any, params: dict[str, Any], field: str
) -> None:
    response = slow_client.get(
        "/v1/search", params={"q": "anything", **params}, headers=make_user().headers
    )

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"].startswith(field)


def test_the_growth_filters_are_in_the_openapi_spec(slow_client: httpx.Client) -> None:
    spec = slow_client.get("/openapi.json").json()

    parameters = {p["name"] for p in spec["paths"]["/v1/search"]["get"]["parameters"]}

    assert {"evolution_state", "growth_dimension"} <= parameters


def test_a_state_finds_its_memory_beyond_the_text_channels_usual_cap(
    slow_client: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given an old blooming memory and, newer and saying the word more, 60 seedlings, all found
    # by words only (none is in the vector index)
    user = make_user()
    row = pg.execute(
        "insert into memories (user_id, title, content, created_at) values "
        "(%s, 'Gym', 'A kettlebell, among other things, at the old gym downtown', "
        "now() - interval '30 days') returning memory_id::text",
        (user.user_id,),
    ).fetchone()
    assert row is not None
    bloom = row[0]
    grow_memory(pg, user.user_id, bloom, ["self_know", "world_act", "self_show"])
    pg.execute(
        "insert into memories (user_id, title, content) select %s, 'Kettlebell', "
        "'Kettlebell kettlebell swings ' || n from generate_series(1, 60) n",
        (user.user_id,),
    )
    # when searched by words, with and without the state
    unfiltered = hits(slow_client, user, q="kettlebell", limit=50)
    blooms = hits(slow_client, user, q="kettlebell", evolution_state="bloom")
    # then the bloom is past the first 50 hits, and the state still finds it
    assert bloom not in unfiltered
    assert list(blooms) == [bloom]
    assert blooms[bloom]["why"]["channels"] == ["text"]
