"""GET /v1/search's memory filters through the real gateway, Postgres, vector index and graph:
each filter narrows the hits of every channel (a memory only words find, one only its meaning
finds, one only the graph reaches), and bad filters are 422s."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from coaching_catalogue import add_app
from dotline.bootstrap import Deps
from dotline.ports.graph import GraphEdge, GraphNode
from dotline.services.mirroring.entities import entity_item

Columns = dict[str, Any]
COLD_START_S = 60


@dataclass(frozen=True)
class Case:
    """A filter: the query parameters, and the columns of a memory it keeps and one it drops."""

    params: dict[str, Any]
    kept: Callable[[psycopg.Connection[Any], Any], Columns]
    dropped: Columns = field(default_factory=dict)


def _conversation(pg: psycopg.Connection[Any], user: Any) -> uuid.UUID:
    row = pg.execute(
        "insert into conversations (user_id) values (%s) returning conversation_id", (user.user_id,)
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


CONVERSATION = uuid.uuid4()  # stands for the conversation the case's kept memory comes from
APP = uuid.uuid4()  # stands for the app the case's kept memory belongs to

CASES = {
    "tags_any": Case({"tags": ["hiking", "lake"]}, lambda pg, u: {"tags": ["lake"]},
                     {"tags": ["work"]}),
    "tags_all": Case({"tags": ["hiking", "lake"], "tags_match": "all"},
                     lambda pg, u: {"tags": ["hiking", "lake", "x"]}, {"tags": ["hiking"]}),
    "memory_type": Case({"memory_type": "milestone"}, lambda pg, u: {"memory_type": "milestone"}),
    "importance": Case({"importance_min": 0.5, "importance_max": 0.9},
                       lambda pg, u: {"importance": 0.8}, {"importance": 0.95}),
    "conversation": Case({"conversation_id": CONVERSATION},
                         lambda pg, u: {"source_conversation_id": _conversation(pg, u)}),
    "app": Case({"app_id": APP}, lambda pg, u: {"app_id": uuid.UUID(add_app(pg)[0]),
                                               "memory_type": "milestone"}),
    "occurred_at": Case(
        {"occurred_after": "2026-01-01T00:00:00Z", "occurred_before": "2026-07-01T00:00:00Z"},
        lambda pg, u: {"occurred_at": datetime(2026, 3, 1, tzinfo=UTC)},
        {"occurred_at": datetime(2025, 3, 1, tzinfo=UTC)},
    ),
    "metadata": Case(
        {"metadata": ["project:alpha", "client.tier:2"]},
        lambda pg, u: {"attributes": Jsonb({"project": "alpha", "client": {"tier": 2}})},
        {"attributes": Jsonb({"project": "alpha", "client": {"tier": 3}})},
    ),
}  # fmt: skip
CHANNELS = ("text", "vector", "graph")
# The app filter keeps that app's memories and knowledge only: no concept seeds the graph.
COMBINATIONS = [
    (name, channel) for name in CASES for channel in CHANNELS if (name, channel) != ("app", "graph")
]


@pytest.fixture
def api(gateway: str, make_user: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway, timeout=60) as client:
        _warm(client, make_user())
        yield client


def _warm(client: httpx.Client, user: Any) -> None:
    """Wait out the search function's cold start (its embedder loads on the first search; on a
    busy machine that can outlast the function's timeout once), so the tests time searches only."""
    deadline = time.monotonic() + COLD_START_S
    while True:
        response = search(client, user, q="warm")
        if response.status_code != 504 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            return


class World:
    """One person's memories, each reachable through one channel only."""

    QUERY: ClassVar[dict[str, str]] = {
        "text": "kettlebell",
        "vector": "a slow morning jog around the park",
        "graph": "Oksana",
    }

    def __init__(self, pg: psycopg.Connection[Any], ports: Deps, user: Any, channel: str) -> None:
        self.pg, self.ports, self.user, self.channel = pg, ports, user, channel
        self.concept: uuid.UUID | None = None
        if channel == "graph":
            row = pg.execute(
                "insert into concepts (user_id, name, type) values (%s, 'Oksana', 'person') "
                "returning concept_id",
                (user.user_id,),
            ).fetchone()
            assert row is not None
            self.concept = row[0]
            ports.graph.upsert_nodes(
                [GraphNode(node_id=row[0], user_id=user.user_id, label="Concept")]
            )

    def memory(self, columns: Columns) -> str:
        """A memory only this world's channel finds for its query."""
        content = {
            "text": "Kettlebell swings before breakfast",
            "vector": "Plumbus frobnicate quux",  # its vector is of the query's meaning
            "graph": "Cold water at dawn, we froze",
        }[self.channel]
        names = ["user_id", "title", "content", *columns]
        row = self.pg.execute(
            sql.SQL("insert into memories ({}) values ({}) returning to_jsonb(memories.*)").format(
                sql.SQL(", ").join(map(sql.Identifier, names)),
                sql.SQL(", ").join(sql.Placeholder() * len(names)),
            ),
            (self.user.user_id, "Note", content, *columns.values()),
        ).fetchone()
        assert row is not None
        memory = row[0]
        memory_id = uuid.UUID(memory["memory_id"])
        if self.channel == "vector":  # mirrored as the outbox delivery mirrors it
            vector = self.ports.embedder.embed([self.QUERY["vector"]])[0]
            model = self.ports.embedder.model_version
            self.ports.vectors.upsert([entity_item("memories", memory, vector, model, 1)])
        if self.concept is not None:
            self.ports.graph.upsert_nodes(
                [GraphNode(node_id=memory_id, user_id=self.user.user_id, label="MemoryUnit")]
            )
            self.ports.graph.upsert_edges([GraphEdge(
                user_id=self.user.user_id, source_id=memory_id, target_id=self.concept,
                type="INVOLVES",
            )])  # fmt: skip
        return str(memory_id)


def search(api: httpx.Client, user: Any, **params: Any) -> httpx.Response:
    return api.get("/v1/search", params=params, headers=user.headers)


def hits(api: httpx.Client, user: Any, **params: Any) -> dict[str, dict[str, Any]]:
    response = search(api, user, **params)
    assert response.status_code == 200, response.text
    return {hit["entity_id"]: hit for hit in response.json()["items"]}


@pytest.mark.parametrize(("name", "channel"), COMBINATIONS)
def test_each_filter_narrows_what_each_channel_finds(
    name: str, channel: str, api: httpx.Client, make_user: Any,
    pg: psycopg.Connection[Any], ports: Deps,
) -> None:  # fmt: skip
    # given two memories found only through one channel, one of them meeting the filter
    case = CASES[name]
    user = make_user()
    world = World(pg, ports, user, channel)
    kept_columns = case.kept(pg, user)
    kept = world.memory(kept_columns)
    dropped = world.memory(case.dropped)
    params = {**case.params, "q": World.QUERY[channel]}
    params = {k: _bound(v, kept_columns) for k, v in params.items()}

    # when searched without and with the filter
    unfiltered = hits(api, user, q=World.QUERY[channel])
    filtered = hits(api, user, **params)

    # then the channel alone found both, and the filter leaves only the one meeting it
    assert unfiltered[dropped]["why"]["channels"] == [channel]
    assert unfiltered[kept]["why"]["channels"] == [channel]
    assert kept in filtered
    assert dropped not in filtered
    assert all(hit["entity_type"] == "memory" for hit in filtered.values())


def _bound(value: Any, kept: Columns) -> Any:
    """The placeholder ids of CASES as the kept memory's real ones."""
    if value == CONVERSATION:
        return kept["source_conversation_id"]
    return kept["app_id"] if value == APP else value


def test_a_memory_filter_leaves_out_concepts_and_knowledge(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], ports: Deps
) -> None:
    user = make_user()
    world = World(pg, ports, user, "graph")
    tagged = world.memory({"tags": ["lake"]})

    everything = hits(api, user, q="Oksana")
    filtered = hits(api, user, q="Oksana", tags="lake")

    assert str(world.concept) in everything
    assert list(filtered) == [tagged]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"importance_min": 0.8, "importance_max": 0.2}, "query.importance_max"),
        ({"importance_min": 1.5}, "query.importance_min"),
        ({"occurred_after": "2026-05-01T00:00:00Z", "occurred_before": "2026-01-01T00:00:00Z"},
         "query.occurred_before"),
        ({"memory_type": "no_such_kind_of_memory"}, "query.memory_type"),
        ({"metadata": "project"}, "query.metadata"),
        ({"metadata": "bad key!:x"}, "query.metadata"),
        ({"metadata": "a.b.c.d:x"}, "query.metadata"),
        ({"metadata": ["p:1", "p:2"]}, "query.metadata"),
        ({"tags_match": "some"}, "query.tags_match"),
        ({"conversation_id": "not-a-uuid"}, "query.conversation_id"),
    ],
)  # fmt: skip
def test_bad_filters_are_a_422_naming_the_parameter(
    api: httpx.Client, make_user: Any, params: dict[str, Any], field: str
) -> None:
    response = search(api, make_user(), q="anything", **params)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == field


def test_a_memory_type_the_person_has_used_is_known(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], ports: Deps
) -> None:
    user = make_user()
    dream = World(pg, ports, user, "text").memory({"memory_type": "dream"})

    assert list(hits(api, user, q="kettlebell", memory_type="dream")) == [dream]


def test_the_filters_are_in_the_openapi_spec(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()

    parameters = {p["name"] for p in spec["paths"]["/v1/search"]["get"]["parameters"]}

    assert {
        "tags", "tags_match", "memory_type", "importance_min", "importance_max",
        "conversation_id", "occurred_after", "occurred_before", "metadata",
    } <= parameters  # fmt: skip
