"""Salience, communities and the graph's schema, end to end: conversations held and ended through
the gateway, ingested (the job's service), then the insight cycle; everything read back through
the API (/v1/concepts, /v1/communities, /v1/me, /v1/graph/path)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest

from dotline.bootstrap import Deps, InsightStores
from dotline.growth_rules import packaged_config
from dotline.services.ingestion.ingestion import IngestionStores, ingest_conversations
from dotline.services.insights import cycle as insight_cycle
from dotline.settings import Settings
from test_ingestion import TRIP, converse

WORK = [
    "My colleague Tomas and I shipped the robot arm demo at Kestrel Robotics today.",
    "Tomas wants the robot arm to learn to pour coffee before the Lisbon trade fair.",
    "I told Mira about the Lisbon trade fair; she will come to Lisbon with me.",
]


@pytest.fixture(scope="module")
def deps(settings: Settings) -> Iterator[Deps]:
    deps = Deps(settings=settings)
    yield deps
    deps.db.close()


def ingest(deps: Deps, user: Any) -> None:
    stores = IngestionStores(deps.db, deps.language_model, deps.embedder, deps.graph, deps.vectors)
    run = ingest_conversations(stores, packaged_config(), user_id=user.user_id)
    assert run.failed == 0 and run.processed >= 1


def run_cycle(deps: Deps, user: Any) -> None:
    stores = InsightStores(deps.db, deps.graph, deps.language_model, deps.cache, packaged_config())
    done = insight_cycle.run_cycle(user.user_id, stores, period=timedelta(days=7), force=True)
    assert done.status == "completed"


def all_concepts(client: httpx.Client, user: Any, **params: Any) -> list[dict[str, Any]]:
    page = client.get("/v1/concepts", params={"limit": 100, **params}, headers=user.headers)
    assert page.status_code == 200, page.text
    return list(page.json()["items"])


def named(concepts: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(c for c in concepts if c["name"].casefold() == name.casefold())


def test_ingested_concepts_have_salience_and_the_graph_schema_is_kept(
    client: httpx.Client, make_user: Any, deps: Deps
) -> None:
    # given a person who talked about a trip, and about Mira again at work
    user = make_user()
    converse(client, user, TRIP)
    converse(client, user, WORK)
    # when ingestion runs
    ingest(deps, user)
    # then every concept has a salience in [0, 1], the oft-named ranking above the once-named
    concepts = all_concepts(client, user, sort="salience")
    assert concepts and all(0 < c["salience"] <= 1 for c in concepts)
    assert named(concepts, "Mira")["salience"] > named(concepts, "St Anne's hospital")["salience"]
    assert [c["salience"] for c in concepts] == sorted(
        (c["salience"] for c in concepts), reverse=True
    )
    # and the profile names the labels and relationship types the graph now uses
    me = client.get("/v1/me", headers=user.headers).json()
    schema = me["knowledge_graph_schema"]
    assert {"User", "MemoryUnit", "Concept", "Tag"} <= set(schema["labels"])
    assert {"EXPERIENCED", "INVOLVES", "HAPPENED_AT", "RELATED_TO"} <= set(schema["relationships"])
    assert "Community" not in schema["labels"]


def test_the_insight_cycle_persists_communities_that_keep_their_ids_and_are_listed(
    client: httpx.Client, make_user: Any, deps: Deps, pg: psycopg.Connection[Any]
) -> None:
    # given an ingested person
    user = make_user()
    converse(client, user, TRIP)
    converse(client, user, WORK)
    ingest(deps, user)
    concepts_before = len(all_concepts(client, user))
    # when their insight cycle runs, then runs again on the same graph
    run_cycle(deps, user)
    first = client.get("/v1/communities", headers=user.headers).json()["items"]
    run_cycle(deps, user)
    again = client.get("/v1/communities", headers=user.headers).json()["items"]
    # then communities are listed with their concepts, the same ones under the same ids
    assert first and all(c["concept_count"] >= 2 and c["top_concepts"] for c in first)
    assert sorted((c["community_id"], c["concept_count"]) for c in again) == sorted(
        (c["community_id"], c["concept_count"]) for c in first
    )
    for community in first:
        members = all_concepts(client, user, community_id=community["community_id"])
        assert len(members) == community["concept_count"]
        assert set(community["top_concepts"]) <= {m["name"] for m in members}
    # and a page at a time, like every list
    page = client.get("/v1/communities", params={"limit": 1}, headers=user.headers).json()
    assert len(page["items"]) == 1 and (page["next_cursor"] is not None) == (len(first) > 1)
    # and the graph holds each community, owned by the person, its concepts PART_OF it
    edges = pg.execute(
        "select type, count(*) from graph.edges where user_id = %s and type in ('PART_OF', 'OWNS')"
        " group by type order by type",
        (user.user_id,),
    ).fetchall()
    assert dict(edges) == {"OWNS": len(first), "PART_OF": sum(c["concept_count"] for c in first)}
    # and the profile counts the concepts gained in the cycle and names the new graph parts
    me = client.get("/v1/me", headers=user.headers).json()
    assert me["concepts_created_in_cycle"] == 0  # the second cycle gained none
    assert {"Community"} <= set(me["knowledge_graph_schema"]["labels"])
    assert {"OWNS", "PART_OF"} <= set(me["knowledge_graph_schema"]["relationships"])
    assert concepts_before > 0


def test_the_cycle_counts_the_concepts_created_since_the_last_one(
    client: httpx.Client, make_user: Any, deps: Deps
) -> None:
    # given an ingested person whose first cycle has not run
    user = make_user()
    converse(client, user, TRIP)
    ingest(deps, user)
    gained = len(all_concepts(client, user))
    # when it runs
    run_cycle(deps, user)
    # then
    me = client.get("/v1/me", headers=user.headers).json()
    assert gained > 0 and me["concepts_created_in_cycle"] == gained


def test_communities_are_their_owners_alone(
    client: httpx.Client, make_user: Any, deps: Deps
) -> None:
    # given a person with communities, and someone else
    owner, stranger = make_user(), make_user()
    converse(client, owner, TRIP)
    ingest(deps, owner)
    run_cycle(deps, owner)
    mine = client.get("/v1/communities", headers=owner.headers).json()["items"]
    # when the stranger and an anonymous caller ask
    theirs = client.get("/v1/communities", headers=stranger.headers)
    members = all_concepts(client, stranger, community_id=mine[0]["community_id"])
    anonymous = client.get("/v1/communities")
    # then
    assert mine and theirs.status_code == 200 and theirs.json()["items"] == []
    assert members == []
    assert anonymous.status_code == 401
    assert (
        client.get("/v1/communities", params={"limit": 0}, headers=owner.headers).status_code == 422
    )
    bad_cursor = client.get("/v1/communities", params={"cursor": "nope"}, headers=owner.headers)
    assert bad_cursor.status_code == 400


def test_a_path_links_two_concepts_and_refuses_foreign_unknown_or_bad_ids(
    client: httpx.Client, make_user: Any, deps: Deps
) -> None:
    # given an ingested person, and someone else's node
    user, other = make_user(), make_user()
    converse(client, user, TRIP)
    ingest(deps, user)
    converse(client, other, WORK)
    ingest(deps, other)
    concepts = all_concepts(client, user)
    mira, nurse = named(concepts, "Mira"), named(concepts, "St Anne's hospital")
    foreign = all_concepts(client, other)[0]["concept_id"]
    path = "/v1/graph/path"
    # when a path is asked between two of their concepts
    found = client.get(path, params={"from": mira["concept_id"], "to": nurse["concept_id"]},
                       headers=user.headers)  # fmt: skip
    # then it runs from one to the other over real links
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["nodes"][0]["node_id"] == mira["concept_id"]
    assert body["nodes"][-1]["node_id"] == nurse["concept_id"]
    assert body["hops"] == len(body["nodes"]) - 1 >= 1
    # and one hop is too short for a path that needs more
    if body["hops"] > 1:
        short = client.get(path, params={"from": mira["concept_id"], "to": nurse["concept_id"],
                                         "max_depth": 1}, headers=user.headers).json()  # fmt: skip
        assert (short["nodes"], short["hops"]) == ([], None)

    # and another person's node, an unknown one, a bad id or depth are refused
    def status(**params: Any) -> int:
        return client.get(path, params=params, headers=user.headers).status_code

    assert status(**{"from": mira["concept_id"], "to": foreign}) == 404
    assert status(**{"from": str(uuid.uuid4()), "to": mira["concept_id"]}) == 404
    assert status(**{"from": "not-a-uuid", "to": mira["concept_id"]}) == 422
    assert status(**{"from": mira["concept_id"]}) == 422
    assert status(**{"from": mira["concept_id"], "to": nurse["concept_id"], "max_depth": 7}) == 422
    assert (
        client.get(path, params={"from": mira["concept_id"], "to": nurse["concept_id"]}).status_code
        == 401
    )
