"""Expired memories vanish from the graph routes at once (query-time filter), through the real
gateway: node and concept neighbourhoods, and the cosmos projection, cached or not.

The graph store keeps an expired memory's node until the nightly purge; these tests leave it
there, as it is between the moment of expiry and the retention run.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from dotline.adapters.postgres_graph import PostgresGraph
from dotline.bootstrap import Deps
from dotline.db import Database
from dotline.ports.graph import GraphEdge, GraphNode
from dotline.settings import Settings
from lifecycle_data import add_memory, mirror


@pytest.fixture
def graph(settings: Settings) -> Iterator[PostgresGraph]:
    db = Database(settings)
    yield PostgresGraph(db)
    db.close()


def memory(
    pg: psycopg.Connection[Any], graph: PostgresGraph, user: Any, title: str, **cols: Any
) -> uuid.UUID:
    """A memory row in Postgres and its node in the graph (as the mirror writes it)."""
    memory_id = add_memory(pg, user.user_id, title, **cols)
    node = GraphNode(
        node_id=memory_id, user_id=user.user_id, label="MemoryUnit", properties={"title": title}
    )
    graph.upsert_nodes([node])
    return memory_id


def concept(pg: psycopg.Connection[Any], graph: PostgresGraph, user: Any, name: str) -> uuid.UUID:
    concept_id = uuid.uuid4()
    pg.execute(
        "insert into public.concepts (concept_id, user_id, name, type) values (%s, %s, %s, 'topic')",
        (concept_id, user.user_id, name),
    )
    node = GraphNode(
        node_id=concept_id, user_id=user.user_id, label="Concept", properties={"name": name}
    )
    graph.upsert_nodes([node])
    return concept_id


def link(graph: PostgresGraph, user: Any, *pairs: tuple[uuid.UUID, uuid.UUID]) -> None:
    graph.upsert_edges(
        [
            GraphEdge(user_id=user.user_id, source_id=a, target_id=b, type="INVOLVES")
            for a, b in pairs
        ]
    )


@pytest.fixture(scope="module")
def deps(settings: Settings) -> Iterator[Deps]:
    built = Deps(settings=settings)
    built.embedder.embed(["warm"])  # loaded once, so settling takes milliseconds, not seconds
    yield built
    built.db.close()


def settle(pg: psycopg.Connection[Any], deps: Deps, user: Any) -> None:
    """Apply the person's outbox changes now, as the webhook would, so no later delivery moves
    their graph while a test reads it."""
    mirror(pg, deps, user.user_id)


def node_ids(body: dict[str, Any]) -> set[str]:
    return {node["node_id"] for node in body["nodes"]}


def test_an_expired_memory_and_what_only_it_reached_leave_every_neighbourhood(
    pg: psycopg.Connection[Any], graph: PostgresGraph, make_user: Any, api: httpx.Client
) -> None:
    # given a concept linked to a live memory and to an expired one, which alone leads further
    user = make_user()
    hub, beyond = concept(pg, graph, user, "travel"), concept(pg, graph, user, "lisbon")
    live = memory(pg, graph, user, "Porto weekend")
    expired = memory(
        pg,
        graph,
        user,
        "Lisbon trip",
        age_days=1,
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    link(graph, user, (live, hub), (expired, hub), (expired, beyond))

    # when the neighbourhoods are read, two hops out
    by_concept = api.get(
        f"/v1/concepts/{hub}/neighbourhood", params={"depth": 2}, headers=user.headers
    )
    by_node = api.get(
        f"/v1/graph/nodes/{hub}/neighbourhood", params={"depth": 2}, headers=user.headers
    )
    of_expired = api.get(f"/v1/graph/nodes/{expired}/neighbourhood", headers=user.headers)
    of_live = api.get(f"/v1/graph/nodes/{live}/neighbourhood", headers=user.headers)

    # then the expired memory, its edges and what only it reached are gone; its own node is 404
    for response in (by_concept, by_node):
        assert response.status_code == 200, response.text
        assert node_ids(response.json()) == {str(hub), str(live)}
        assert all(
            str(expired) not in (e["source_id"], e["target_id"]) for e in response.json()["edges"]
        )
    assert of_expired.status_code == 404, of_expired.text
    assert of_live.status_code == 200, of_live.text
    assert node_ids(of_live.json()) == {str(live), str(hub)}


def test_a_purged_memory_still_in_the_graph_is_not_shown(
    pg: psycopg.Connection[Any], graph: PostgresGraph, make_user: Any, api: httpx.Client
) -> None:
    # given a memory deleted by the nightly purge whose node awaits the retention run
    user = make_user()
    hub = concept(pg, graph, user, "garden")
    purged = memory(
        pg,
        graph,
        user,
        "Grandma's roses",
        age_days=1,
        expires_at=datetime.now(UTC) - timedelta(hours=1),
    )
    link(graph, user, (purged, hub))
    with pg.transaction():
        pg.execute("set local dotline.deletes_to = 'removals'")
        pg.execute("delete from public.memories where memory_id = %s", (purged,))
    queued = pg.execute(
        "select count(*) from private.lifecycle_removals where row_key = %s", (str(purged),)
    ).fetchone()
    assert queued is not None and queued[0] == 1

    # when the concept's neighbourhood is read
    response = api.get(f"/v1/concepts/{hub}/neighbourhood", headers=user.headers)

    # then only the concept is there
    assert response.status_code == 200, response.text
    assert node_ids(response.json()) == {str(hub)}
    pg.execute("delete from private.lifecycle_removals where row_key = %s", (str(purged),))


def test_the_cached_projection_drops_a_memory_the_moment_it_expires(
    pg: psycopg.Connection[Any],
    graph: PostgresGraph,
    deps: Deps,
    make_user: Any,
    api: httpx.Client,
) -> None:
    # given a projection computed (and cached) while a memory is about to expire (the graph
    # function warmed up first, so the seconds left are not spent importing it)
    assert api.get("/v1/graph/projection", headers=make_user().headers).status_code == 200
    user = make_user()
    hub = concept(pg, graph, user, "work")
    staying = memory(pg, graph, user, "First day")
    leaving = memory(
        pg, graph, user, "Night shift", expires_at=datetime.now(UTC) + timedelta(hours=1)
    )
    link(graph, user, (staying, hub), (leaving, hub))
    settle(pg, deps, user)
    expires_at = datetime.now(UTC) + timedelta(seconds=4)
    pg.execute(
        "update public.memories set expires_at = %s where memory_id = %s", (expires_at, leaving)
    )
    settle(pg, deps, user)
    version = graph.graph_version(user.user_id)
    first = api.get("/v1/graph/projection", headers=user.headers)
    assert first.status_code == 200, first.text
    assert node_ids(first.json()) >= {str(hub), str(staying), str(leaving)}
    held = first.headers["ETag"]
    unchanged = api.get("/v1/graph/projection", headers={**user.headers, "If-None-Match": held})
    assert unchanged.status_code == 304

    # when the memory's expiry passes, with nothing written to the graph
    while datetime.now(UTC) < expires_at + timedelta(milliseconds=200):
        time.sleep(0.1)
    again = api.get("/v1/graph/projection", headers={**user.headers, "If-None-Match": held})

    # then the layout is computed anew without it, under another ETag
    assert graph.graph_version(user.user_id) == version  # the graph itself did not move
    assert again.status_code == 200, again.text
    assert node_ids(again.json()) == node_ids(first.json()) - {str(leaving)}
    assert all(str(leaving) not in (e["source_id"], e["target_id"]) for e in again.json()["edges"])
    assert again.headers["ETag"] != held
    assert again.json()["fingerprint"] != first.json()["fingerprint"]


def test_a_memory_changed_to_expired_leaves_the_cached_projection_at_once(
    pg: psycopg.Connection[Any],
    graph: PostgresGraph,
    deps: Deps,
    make_user: Any,
    api: httpx.Client,
) -> None:
    # given a cached projection of two live memories
    user = make_user()
    hub = concept(pg, graph, user, "music")
    kept, changed = memory(pg, graph, user, "Piano lesson"), memory(pg, graph, user, "Concert")
    link(graph, user, (kept, hub), (changed, hub))
    settle(pg, deps, user)
    first = api.get("/v1/graph/projection", headers=user.headers)
    assert node_ids(first.json()) >= {str(hub), str(kept), str(changed)}

    # when one is set to have expired already (as a PATCH of expires_at would), before the
    # change reaches the graph
    pg.execute(
        "update public.memories set expires_at = created_at + interval '1 ms' where memory_id = %s",
        (changed,),
    )
    again = api.get(
        "/v1/graph/projection", headers={**user.headers, "If-None-Match": first.headers["ETag"]}
    )

    # then the projection no longer shows it
    assert again.status_code == 200, again.text
    assert node_ids(again.json()) == node_ids(first.json()) - {str(changed)}
