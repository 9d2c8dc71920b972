"""/v1/graph through the real gateway, the embedded graph store, Postgres and Redis (REST face):
neighbourhoods of any node, and the cosmos projection computed once per version of the graph."""

from __future__ import annotations

import fnmatch
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest
import redis

from dotline import cache_keys
from dotline.adapters.postgres_graph import PostgresGraph
from dotline.db import Database
from dotline.ports.graph import GraphEdge, GraphNode, NodeLabel, RelationshipType
from dotline.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def stack_url(start_gateway: Callable[..., str], redis_rest: str) -> str:
    return start_gateway({"UPSTASH_REDIS_REST_URL": redis_rest})


@pytest.fixture
def client(stack_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack_url, timeout=30) as http:
        yield http


@pytest.fixture
def rds() -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(REDIS_URL)
    yield conn
    conn.close()


@pytest.fixture
def graph(settings: Settings) -> Iterator[PostgresGraph]:
    db = Database(settings)
    yield PostgresGraph(db)
    db.close()


@pytest.fixture
def person(make_user: Callable[..., Any], graph: PostgresGraph) -> Iterator[Callable[[], Any]]:
    """Fresh users whose graphs are erased afterwards."""
    made: list[Any] = []

    def make() -> Any:
        made.append(make_user())
        return made[-1]

    yield make
    for user in made:
        graph.erase_user(user.user_id)


def add_nodes(
    graph: PostgresGraph, user: Any, count: int, label: NodeLabel = "Concept", **props: Any
) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    graph.upsert_nodes(
        [
            GraphNode(
                node_id=i,
                user_id=user.user_id,
                label=label,
                properties={**named(label, k), **props},
            )
            for k, i in enumerate(ids)
        ]
    )
    return ids


def named(label: NodeLabel, k: int) -> dict[str, str]:
    return {"name": f"n{k}"} if label == "Concept" else {}


def link(
    graph: PostgresGraph, user: Any, pairs: list[tuple[uuid.UUID, uuid.UUID]],
    type: RelationshipType = "RELATED_TO",
) -> None:  # fmt: skip
    graph.upsert_edges(
        [GraphEdge(user_id=user.user_id, source_id=a, target_id=b, type=type) for a, b in pairs]
    )


def projection(client: httpx.Client, user: Any) -> dict[str, Any]:
    response = client.get("/v1/graph/projection", headers=user.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def stored_projections(pg: psycopg.Connection[Any], user: Any) -> int:
    row = pg.execute(
        "select count(*) from public.user_graph_projections where user_id = %s", (user.user_id,)
    ).fetchone()
    assert row is not None
    return int(row[0])


# --- neighbourhood -------------------------------------------------------------------------------


def test_neighbourhood_of_any_entity_walks_to_the_depth_asked(
    client: httpx.Client, person: Any, graph: PostgresGraph
) -> None:
    user = person()
    memory = add_nodes(graph, user, 1, "MemoryUnit", title="Picnic")[0]
    ann, paris = add_nodes(graph, user, 2)
    link(graph, user, [(memory, ann)], "INVOLVES")
    link(graph, user, [(ann, paris)])

    near = client.get(f"/v1/graph/nodes/{memory}/neighbourhood", headers=user.headers)
    far = client.get(
        f"/v1/graph/nodes/{memory}/neighbourhood", params={"depth": 2}, headers=user.headers
    )

    assert near.status_code == 200, near.text
    assert [(n["type"], n["label"]) for n in near.json()["nodes"]] == [
        ("memory", "Picnic"), ("concept", "n0"),
    ]  # fmt: skip
    assert near.json()["edges"] == [
        {"source_id": str(memory), "target_id": str(ann), "type": "INVOLVES", "weight": 1.0}
    ]
    assert {n["node_id"] for n in far.json()["nodes"]} == {str(memory), str(ann), str(paris)}


def test_another_users_node_is_404_and_never_in_a_neighbourhood(
    client: httpx.Client, person: Any, graph: PostgresGraph
) -> None:
    user, stranger = person(), person()
    mine = add_nodes(graph, user, 2)
    theirs = add_nodes(graph, stranger, 1)
    link(graph, user, [(mine[0], mine[1])])
    link(graph, user, [(mine[0], theirs[0])])  # refused by the store: ends of two users

    foreign = client.get(f"/v1/graph/nodes/{theirs[0]}/neighbourhood", headers=user.headers)
    unknown = client.get(f"/v1/graph/nodes/{uuid.uuid4()}/neighbourhood", headers=user.headers)
    own = client.get(f"/v1/graph/nodes/{mine[0]}/neighbourhood", headers=user.headers)

    assert (foreign.status_code, unknown.status_code) == (404, 404)
    assert {n["node_id"] for n in own.json()["nodes"]} == {str(n) for n in mine}


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/graph/nodes/nope/neighbourhood", "path.node_id"),
        ("/v1/graph/nodes/{id}/neighbourhood?depth=-1", "query.depth"),
        ("/v1/graph/nodes/{id}/neighbourhood?depth=4", "query.depth"),
        ("/v1/graph/nodes/{id}/neighbourhood?depth=two", "query.depth"),
        ("/v1/graph/nodes/{id}/neighbourhood?limit=0", "query.limit"),
        ("/v1/graph/nodes/{id}/neighbourhood?limit=501", "query.limit"),
    ],
)
def test_invalid_neighbourhood_request_is_422_naming_the_field(
    client: httpx.Client, person: Any, path: str, field: str
) -> None:
    user = person()

    response = client.get(path.replace("{id}", str(uuid.uuid4())), headers=user.headers)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


# --- projection ----------------------------------------------------------------------------------


def test_projection_places_every_node_in_bounds_and_only_the_callers(
    client: httpx.Client, person: Any, graph: PostgresGraph
) -> None:
    user, stranger = person(), person()
    hub, *spokes = add_nodes(graph, user, 6)
    link(graph, user, [(hub, s) for s in spokes])
    add_nodes(graph, stranger, 3)

    body = projection(client, user)

    placed = {n["node_id"]: n for n in body["nodes"]}
    assert set(placed) == {str(n) for n in (hub, *spokes)}
    assert (body["node_count"], body["total_nodes"], body["truncated"]) == (6, 6, False)
    assert len(body["edges"]) == 5
    assert all(-100 <= n[axis] <= 100 for n in body["nodes"] for axis in "xyz")
    assert placed[str(hub)]["size"] > placed[str(spokes[0])]["size"] >= 1
    assert {n["type"] for n in body["nodes"]} == {"concept"}


def test_projection_is_computed_once_then_served_until_the_graph_changes(
    client: httpx.Client, person: Any, graph: PostgresGraph, pg: psycopg.Connection[Any], rds: Any
) -> None:
    user = person()
    a, b = add_nodes(graph, user, 2)
    link(graph, user, [(a, b)])

    first = projection(client, user)
    cached = projection(client, user)
    rds.delete(cache_keys.graph_projection(user.user_id, first["fingerprint"]))
    stored = projection(client, user)
    c = add_nodes(graph, user, 1)[0]
    link(graph, user, [(b, c)])
    changed = projection(client, user)

    assert (cached["projection_id"], cached["computed_at"]) == (
        first["projection_id"], first["computed_at"],
    )  # fmt: skip
    assert stored["projection_id"] == first["projection_id"]  # from Postgres, not recomputed
    assert changed["projection_id"] != first["projection_id"]
    assert changed["fingerprint"] != first["fingerprint"]
    assert changed["computed_at"] > first["computed_at"]
    assert str(c) in {n["node_id"] for n in changed["nodes"]}
    assert stored_projections(pg, user) == 2
    assert rds.exists(cache_keys.graph_projection(user.user_id, changed["fingerprint"]))


def test_a_rewrite_that_changes_nothing_shown_is_not_recomputed(
    client: httpx.Client, person: Any, graph: PostgresGraph, rds: Any
) -> None:
    user = person()
    a, b = add_nodes(graph, user, 2)
    link(graph, user, [(a, b)])
    first = projection(client, user)
    pointer = json.loads(rds.get(cache_keys.graph_projection_current(user.user_id)))

    graph.upsert_nodes(  # a redelivered change: newer version, same content
        [
            GraphNode(
                node_id=a,
                user_id=user.user_id,
                label="Concept",
                properties={"name": "n0"},
                version=5,
            )
        ]
    )
    again = projection(client, user)

    moved_on = json.loads(rds.get(cache_keys.graph_projection_current(user.user_id)))
    assert pointer["fingerprint"] == moved_on["fingerprint"] == first["fingerprint"]
    assert moved_on["version"] == graph.graph_version(user.user_id) != pointer["version"]
    assert again["projection_id"] == first["projection_id"]


def test_a_changed_edge_weight_or_label_is_a_changed_graph(
    client: httpx.Client, person: Any, graph: PostgresGraph
) -> None:
    user = person()
    a, b = add_nodes(graph, user, 2)
    link(graph, user, [(a, b)])
    first = projection(client, user)

    graph.upsert_edges(
        [GraphEdge(user_id=user.user_id, source_id=a, target_id=b, type="RELATED_TO", weight=3)]
    )
    reweighted = projection(client, user)
    graph.upsert_nodes(
        [GraphNode(node_id=a, user_id=user.user_id, label="Concept", properties={"name": "Ann"})]
    )
    renamed = projection(client, user)

    assert len({first["projection_id"], reweighted["projection_id"], renamed["projection_id"]}) == 3
    assert {n["label"] for n in renamed["nodes"]} == {"Ann", "n1"}


def test_a_client_holding_the_current_layout_gets_a_304(
    client: httpx.Client, person: Any, graph: PostgresGraph
) -> None:
    user = person()
    a, b = add_nodes(graph, user, 2)
    link(graph, user, [(a, b)])
    first = client.get("/v1/graph/projection", headers=user.headers)
    etag = first.headers["etag"]

    held = client.get("/v1/graph/projection", headers={**user.headers, "If-None-Match": etag})
    link(graph, user, [(b, a)], "SUPPORTS")
    stale = client.get("/v1/graph/projection", headers={**user.headers, "If-None-Match": etag})

    assert etag == f'W/"{first.json()["fingerprint"]}"'
    assert (held.status_code, held.content, held.headers["etag"]) == (304, b"", etag)
    assert stale.status_code == 200, stale.text
    assert stale.headers["etag"] == f'W/"{stale.json()["fingerprint"]}"' != etag


def test_merged_concepts_are_left_out_of_the_projection(
    client: httpx.Client, person: Any, graph: PostgresGraph
) -> None:
    user = person()
    kept = add_nodes(graph, user, 2)
    merged = add_nodes(graph, user, 1, status="merged")[0]
    link(graph, user, [(kept[0], kept[1]), (merged, kept[0])])

    body = projection(client, user)

    assert {n["node_id"] for n in body["nodes"]} == {str(n) for n in kept}
    assert [(e["source_id"], e["target_id"]) for e in body["edges"]] == [
        (str(kept[0]), str(kept[1]))
    ]


def test_an_empty_graph_projects_to_nothing(client: httpx.Client, person: Any) -> None:
    body = projection(client, person())

    assert (body["nodes"], body["edges"], body["node_count"]) == ([], [], 0)


def test_projection_route_is_in_the_openapi_spec_beside_the_orbs_viewport(
    client: httpx.Client,
) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert "get" in paths["/v1/graph/projection"]
    assert "get" in paths["/v1/graph/nodes/{node_id}/neighbourhood"]
    assert {"get", "put"} <= set(paths["/v1/graph/viewport"])


def test_erasure_covers_every_cached_projection_of_the_user() -> None:
    user, other = uuid.uuid4(), uuid.uuid4()
    patterns = cache_keys.user_key_patterns(user)

    def covered(key: str) -> bool:
        return any(fnmatch.fnmatchcase(key, p) for p in patterns)

    assert covered(cache_keys.graph_projection(user, "ab12"))
    assert not covered(cache_keys.graph_projection(other, "ab12"))


def test_one_upsert_call_is_one_write_whatever_its_size(
    graph: PostgresGraph, person: Callable[[], Any]
) -> None:
    # given a user's node written twice in one call (an older and a newer version), nodes to link,
    # and an edge to a node the user does not have
    user = person()
    hub, twice, missing = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    before = graph.graph_version(user.user_id)
    graph.upsert_nodes(
        [
            GraphNode(node_id=twice, user_id=user.user_id, label="Concept", properties={"n": 2}, version=2),
            GraphNode(node_id=twice, user_id=user.user_id, label="Concept", properties={"n": 1}, version=1),
            GraphNode(node_id=hub, user_id=user.user_id, label="Concept", version=1),
        ]
    )  # fmt: skip
    after_nodes = graph.graph_version(user.user_id)

    # when 300 memories are linked in one call, beside the edge to nowhere
    memories = [uuid.uuid4() for _ in range(300)]
    graph.upsert_nodes(
        [
            GraphNode(node_id=m, user_id=user.user_id, label="MemoryUnit", version=1)
            for m in memories
        ]
    )
    edges = [
        GraphEdge(user_id=user.user_id, source_id=m, target_id=hub, type="INVOLVES", version=1)
        for m in memories
    ]
    graph.upsert_edges(
        [
            *edges,
            GraphEdge(user_id=user.user_id, source_id=hub, target_id=missing, type="RELATED_TO"),
        ]
    )

    # then the newest version of the twice-written node holds, every edge to a node the user
    # has is there, the one to nowhere is skipped, and each call moved the graph version
    stored = graph.subgraph(user.user_id)
    assert {n.node_id: n.properties for n in stored.nodes}[twice] == {"n": 2}
    assert {(e.source_id, e.target_id) for e in stored.edges} == {(m, hub) for m in memories}
    assert before != after_nodes != graph.graph_version(user.user_id)
