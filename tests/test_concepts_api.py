"""/v1/concepts through the real gateway, Postgres (row-level security, the merge function) and
the embedded graph store."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest

from dotline.adapters.postgres_graph import PostgresGraph
from dotline.db import Database
from dotline.ports.graph import GraphEdge, GraphNode, RelationshipType
from dotline.settings import Settings


@pytest.fixture
def graph(settings: Settings) -> Iterator[PostgresGraph]:
    db = Database(settings)
    yield PostgresGraph(db)
    db.close()


@pytest.fixture
def concept(pg: psycopg.Connection[Any]) -> Callable[..., uuid.UUID]:
    """Insert a concept as ingestion would (the server), returning its id."""

    def make(user: Any, name: str, type: str = "person", **columns: Any) -> uuid.UUID:
        values = {"user_id": user.user_id, "name": name, "type": type, **columns}
        names = ", ".join(values)
        marks = ", ".join(["%s"] * len(values))
        row = pg.execute(
            f"insert into public.concepts ({names}) values ({marks}) returning concept_id",  # noqa: S608
            [psycopg.types.json.Jsonb(v) if isinstance(v, dict) else v for v in values.values()],
        ).fetchone()
        assert row is not None
        return uuid.UUID(str(row[0]))

    return make


def node(user: Any, node_id: uuid.UUID, label: Any = "Concept", **props: Any) -> GraphNode:
    return GraphNode(node_id=node_id, user_id=user.user_id, label=label, properties=props)


def edge(
    user: Any, a: uuid.UUID, b: uuid.UUID, type: RelationshipType = "RELATED_TO", weight: float = 1
) -> GraphEdge:
    return GraphEdge(user_id=user.user_id, source_id=a, target_id=b, type=type, weight=weight)


def edges_of(graph: PostgresGraph, user: Any) -> set[tuple[uuid.UUID, uuid.UUID, str, float]]:
    return {
        (e.source_id, e.target_id, e.type, e.weight) for e in graph.subgraph(user.user_id).edges
    }


def names(page: dict[str, Any]) -> list[str]:
    return [item["name"] for item in page["items"]]


def get(api: httpx.Client, user: Any, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- list, read, change -------------------------------------------------------------------------


def test_list_pages_by_name_and_shows_only_the_callers_concepts(
    api: httpx.Client, make_user: Any, concept: Any
) -> None:
    user, other = make_user(), make_user()
    for name in ("carol", "Bob", "alice"):
        concept(user, name)
    concept(other, "Mallory")

    first = get(api, user, "/v1/concepts", sort="name", limit=2)
    second = get(api, user, "/v1/concepts", sort="name", limit=2, cursor=first["next_cursor"])

    assert names(first) == ["alice", "Bob"]
    assert names(second) == ["carol"]
    assert second["next_cursor"] is None


def test_list_filters_by_type_prefix_text_status_and_community(
    api: httpx.Client, make_user: Any, concept: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    community = pg.execute(
        "insert into public.communities (user_id, name) values (%s, 'Family') returning community_id",
        (user.user_id,),
    ).fetchone()
    assert community is not None
    ann = concept(user, "Ann", community_id=community[0])
    concept(user, "Annecy", "place", description="A lake town")
    concept(user, "100%_done", "goal")
    concept(user, "Old job", "theme", status="archived")
    concept(user, "Annie", status="merged", merged_into_concept_id=ann)

    assert sorted(names(get(api, user, "/v1/concepts"))) == [
        "100%_done",
        "Ann",
        "Annecy",
        "Old job",
    ]
    assert names(get(api, user, "/v1/concepts", type="place")) == ["Annecy"]
    assert names(get(api, user, "/v1/concepts", name_prefix="ann", sort="name")) == [
        "Ann",
        "Annecy",
    ]
    assert names(get(api, user, "/v1/concepts", name_prefix="100%_")) == ["100%_done"]
    assert names(get(api, user, "/v1/concepts", name_prefix="1%")) == []
    assert names(get(api, user, "/v1/concepts", q="LAKE")) == ["Annecy"]
    assert names(get(api, user, "/v1/concepts", status="archived")) == ["Old job"]
    assert names(get(api, user, "/v1/concepts", status="merged")) == ["Annie"]
    assert names(get(api, user, "/v1/concepts", community_id=str(community[0]))) == ["Ann"]


def test_list_by_salience_puts_unscored_last_across_pages(
    api: httpx.Client, make_user: Any, concept: Any
) -> None:
    user = make_user()
    concept(user, "low", salience=0.1)
    concept(user, "none")
    concept(user, "high", salience=0.9)

    first = get(api, user, "/v1/concepts", sort="salience", limit=1)
    rest = get(api, user, "/v1/concepts", sort="salience", limit=5, cursor=first["next_cursor"])

    assert names(first) + names(rest) == ["high", "low", "none"]


def test_another_users_concept_is_404_not_403(
    api: httpx.Client, make_user: Any, concept: Any
) -> None:
    owner, stranger = make_user(), make_user()
    theirs = concept(owner, "Secret")

    read = api.get(f"/v1/concepts/{theirs}", headers=stranger.headers)
    change = api.patch(f"/v1/concepts/{theirs}", json={"name": "x"}, headers=stranger.headers)
    hood = api.get(f"/v1/concepts/{theirs}/neighbourhood", headers=stranger.headers)

    assert [read.status_code, change.status_code, hood.status_code] == [404, 404, 404]
    assert get(api, owner, f"/v1/concepts/{theirs}")["name"] == "Secret"


def test_patch_renames_describes_and_archives(
    api: httpx.Client, make_user: Any, concept: Any
) -> None:
    user = make_user()
    ann = concept(user, "Ann", description="old")

    response = api.patch(
        f"/v1/concepts/{ann}",
        json={"name": "  Ann Lee ", "description": None, "status": "archived"},
        headers=user.headers,
    )

    assert response.status_code == 200, response.text
    stored = get(api, user, f"/v1/concepts/{ann}")
    assert (stored["name"], stored["description"], stored["status"]) == (
        "Ann Lee",
        None,
        "archived",
    )


def test_rename_onto_an_existing_name_and_type_is_a_clear_409(
    api: httpx.Client, make_user: Any, concept: Any
) -> None:
    user = make_user()
    ann, annie = concept(user, "Ann"), concept(user, "Annie")

    clash = api.patch(f"/v1/concepts/{annie}", json={"name": "Ann"}, headers=user.headers)
    other_type = api.patch(
        f"/v1/concepts/{annie}", json={"name": "Ann", "type": "place"}, headers=user.headers
    )

    assert clash.status_code == 409, clash.text
    assert clash.json()["existing_concept_id"] == str(ann)
    assert "merge" in clash.json()["detail"]
    assert other_type.status_code == 200, other_type.text


def test_a_merged_concept_cannot_be_changed(
    api: httpx.Client, make_user: Any, concept: Any
) -> None:
    user = make_user()
    ann = concept(user, "Ann")
    annie = concept(user, "Annie", status="merged", merged_into_concept_id=ann)

    response = api.patch(f"/v1/concepts/{annie}", json={"name": "Annie B"}, headers=user.headers)

    assert response.status_code == 409, response.text
    assert response.json()["merged_into_concept_id"] == str(ann)


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", "/v1/concepts/{id}", {}, "body"),
        ("PATCH", "/v1/concepts/{id}", {"status": "merged"}, "status"),
        ("PATCH", "/v1/concepts/{id}", {"name": None}, "body"),
        ("PATCH", "/v1/concepts/{id}", {"name": " "}, "name"),
        ("PATCH", "/v1/concepts/{id}", {"type": "x" * 65}, "type"),
        ("PATCH", "/v1/concepts/{id}", {"salience": 0.5}, "salience"),
        ("PATCH", "/v1/concepts/nope", {"name": "x"}, "path.concept_id"),
        ("GET", "/v1/concepts/nope", None, "path.concept_id"),
        ("GET", "/v1/concepts?limit=0", None, "query.limit"),
        ("GET", "/v1/concepts?sort=random", None, "query.sort"),
        ("GET", "/v1/concepts?status=deleted", None, "query.status"),
        ("GET", "/v1/concepts?community_id=x", None, "query.community_id"),
        ("GET", "/v1/concepts/{id}/neighbourhood?depth=4", None, "query.depth"),
        ("GET", "/v1/concepts/{id}/neighbourhood?limit=0", None, "query.limit"),
        ("POST", "/v1/concepts/{id}/merge", {}, "into"),
        ("POST", "/v1/concepts/{id}/merge", {"into": "x"}, "into"),
        ("POST", "/v1/concepts/{id}/merge", {"into": "{id}"}, "into"),
        ("POST", "/v1/concepts/{id}/merge", {"into": "{id}", "force": True}, "force"),
        ("POST", "/v1/concepts/nope/merge", {"into": "{id}"}, "path.concept_id"),
    ],
)
def test_invalid_request_is_422_naming_the_field(
    api: httpx.Client, make_user: Any, concept: Any, method: str, path: str, body: Any, field: str
) -> None:
    user = make_user()
    ann = str(concept(user, "Ann"))
    path = path.replace("{id}", ann)
    if isinstance(body, dict):
        body = {k: v.replace("{id}", ann) if isinstance(v, str) else v for k, v in body.items()}

    response = api.request(method, path, json=body, headers=user.headers)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


def test_a_cursor_of_another_sort_is_refused(
    api: httpx.Client, make_user: Any, concept: Any
) -> None:
    user = make_user()
    concept(user, "a")
    concept(user, "b")
    by_name = get(api, user, "/v1/concepts", sort="name", limit=1)

    response = api.get(
        "/v1/concepts", params={"cursor": by_name["next_cursor"]}, headers=user.headers
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.cursor"


def test_routes_are_in_the_openapi_spec(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]

    assert "get" in paths["/v1/concepts"]
    assert {"get", "patch"} <= set(paths["/v1/concepts/{concept_id}"])
    assert "post" in paths["/v1/concepts/{concept_id}/merge"]
    assert "get" in paths["/v1/concepts/{concept_id}/neighbourhood"]


# --- merge ---------------------------------------------------------------------------------------


def test_merge_repoints_references_and_edges_and_marks_the_source(
    api: httpx.Client,
    make_user: Any,
    concept: Any,
    graph: PostgresGraph,
    pg: psycopg.Connection[Any],
) -> None:
    user = make_user()
    annie, ann, paris = (
        concept(user, "Annie"),
        concept(user, "Ann"),
        concept(user, "Paris", "place"),
    )
    memory = uuid.uuid4()
    graph.upsert_nodes([node(user, annie), node(user, ann), node(user, paris)])
    graph.upsert_nodes([node(user, memory, "MemoryUnit", title="Picnic")])
    graph.upsert_edges(
        [
            edge(user, memory, annie, "INVOLVES"),
            edge(user, annie, paris, weight=0.9),
            edge(user, ann, paris, weight=0.4),  # the survivor has it too: kept once
            edge(user, annie, ann, "SUPPORTS"),  # between the two: would be a loop
        ]
    )
    pg.execute(
        "insert into public.annotations (user_id, target_id, target_type, annotation_type,"
        " text_content) values (%s, %s, 'concept', 'note', 'call her')",
        (user.user_id, annie),
    )
    pg.execute(
        "insert into public.derived_artifacts (user_id, artifact_type, title, source_concept_id)"
        " values (%s, 'insight_summary', 'Sisters', %s)",
        (user.user_id, annie),
    )

    response = api.post(
        f"/v1/concepts/{annie}/merge", json={"into": str(ann)}, headers=user.headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["merged"]["status"], body["merged"]["merged_into_concept_id"]) == (
        "merged",
        str(ann),
    )
    assert body["already_merged"] is False
    assert body["references"]["annotations"] == 1
    assert body["references"]["derived_artifacts"] == 1
    assert body["graph"] == {"edges_moved": 1, "edges_collapsed": 1, "edges_dropped": 1}
    assert edges_of(graph, user) == {
        (memory, ann, "INVOLVES", 1.0),
        (ann, paris, "RELATED_TO", 0.9),
    }
    moved = pg.execute(
        "select (select count(*) from public.annotations where target_id = %(ann)s),"
        " (select count(*) from public.derived_artifacts where source_concept_id = %(ann)s)",
        {"ann": ann},
    ).fetchone()
    assert moved == (1, 1)
    graph.erase_user(user.user_id)


def test_repeating_a_merge_is_idempotent_and_finishes_the_graph(
    api: httpx.Client, make_user: Any, concept: Any, graph: PostgresGraph
) -> None:
    user = make_user()
    annie, ann, memory = concept(user, "Annie"), concept(user, "Ann"), uuid.uuid4()
    graph.upsert_nodes([node(user, annie), node(user, ann), node(user, memory, "MemoryUnit")])
    first = api.post(f"/v1/concepts/{annie}/merge", json={"into": str(ann)}, headers=user.headers)
    assert first.status_code == 200, first.text
    graph.upsert_edges([edge(user, memory, annie, "INVOLVES")])  # left behind by a failed re-point

    again = api.post(f"/v1/concepts/{annie}/merge", json={"into": str(ann)}, headers=user.headers)

    assert again.status_code == 200, again.text
    assert again.json()["already_merged"] is True
    assert again.json()["references"] == {}
    assert again.json()["graph"]["edges_moved"] == 1
    assert edges_of(graph, user) == {(memory, ann, "INVOLVES", 1.0)}
    graph.erase_user(user.user_id)


def test_merge_refusals_name_what_is_wrong(api: httpx.Client, make_user: Any, concept: Any) -> None:
    user, other = make_user(), make_user()
    ann, annie, bea = concept(user, "Ann"), concept(user, "Annie"), concept(user, "Bea")
    gone = concept(user, "Anne", status="merged", merged_into_concept_id=ann)
    theirs = concept(other, "Carl")

    def merge(source: uuid.UUID, into: uuid.UUID, who: Any = user) -> httpx.Response:
        return api.post(
            f"/v1/concepts/{source}/merge", json={"into": str(into)}, headers=who.headers
        )

    into_theirs, from_theirs = merge(annie, theirs), merge(theirs, annie)
    into_merged, merged_elsewhere = merge(annie, gone), merge(gone, bea)
    unknown = merge(annie, uuid.uuid4())

    assert [into_theirs.status_code, from_theirs.status_code, unknown.status_code] == [404] * 3
    assert into_merged.status_code == 409
    assert into_merged.json()["merged_into_concept_id"] == str(ann)
    assert merged_elsewhere.status_code == 409
    assert get(api, user, f"/v1/concepts/{annie}")["status"] == "active"
    assert get(api, other, f"/v1/concepts/{theirs}")["status"] == "active"


# --- neighbourhood -------------------------------------------------------------------------------


def test_concept_neighbourhood_walks_the_graph_to_the_depth_asked(
    api: httpx.Client, make_user: Any, concept: Any, graph: PostgresGraph
) -> None:
    user = make_user()
    ann, paris, france = concept(user, "Ann"), concept(user, "Paris"), concept(user, "France")
    graph.upsert_nodes([node(user, c, name=n) for c, n in ((ann, "Ann"), (paris, "Paris"))])
    graph.upsert_nodes([node(user, france, name="France")])
    graph.upsert_edges([edge(user, ann, paris), edge(user, france, paris, "PART_OF")])

    near = get(api, user, f"/v1/concepts/{ann}/neighbourhood")
    far = get(api, user, f"/v1/concepts/{ann}/neighbourhood", depth=2)
    capped = get(api, user, f"/v1/concepts/{ann}/neighbourhood", depth=2, limit=2)

    assert [n["label"] for n in near["nodes"]] == ["Ann", "Paris"]
    assert {n["type"] for n in near["nodes"]} == {"concept"}
    assert {n["label"] for n in far["nodes"]} == {"Ann", "Paris", "France"}
    assert len(far["edges"]) == 2
    assert (len(capped["nodes"]), capped["truncated"], len(capped["edges"])) == (2, True, 1)
    assert far["truncated"] is False
    graph.erase_user(user.user_id)


def test_a_merged_concepts_neighbourhood_is_its_survivors(
    api: httpx.Client, make_user: Any, concept: Any, graph: PostgresGraph
) -> None:
    user = make_user()
    ann, paris = concept(user, "Ann"), concept(user, "Paris")
    annie = concept(user, "Annie", status="merged", merged_into_concept_id=ann)
    graph.upsert_nodes([node(user, ann, name="Ann"), node(user, paris, name="Paris")])
    graph.upsert_edges([edge(user, ann, paris)])

    hood = get(api, user, f"/v1/concepts/{annie}/neighbourhood")

    assert hood["center_id"] == str(ann)
    assert {n["label"] for n in hood["nodes"]} == {"Ann", "Paris"}
    graph.erase_user(user.user_id)


def test_merge_before_the_survivor_reached_the_graph_still_moves_the_edges(
    api: httpx.Client, make_user: Any, concept: Any, graph: PostgresGraph
) -> None:
    user = make_user()
    annie, ann, memory = concept(user, "Annie"), concept(user, "Ann"), uuid.uuid4()
    graph.upsert_nodes([node(user, annie), node(user, memory, "MemoryUnit")])  # no Ann node yet
    graph.upsert_edges([edge(user, memory, annie, "INVOLVES")])

    response = api.post(
        f"/v1/concepts/{annie}/merge", json={"into": str(ann)}, headers=user.headers
    )

    assert response.status_code == 200, response.text
    assert edges_of(graph, user) == {(memory, ann, "INVOLVES", 1.0)}
    survivor = graph.neighbourhood(user.user_id, ann, 0, 1).nodes
    assert [(n.label, n.properties["name"]) for n in survivor] == [("Concept", "Ann")]
    graph.erase_user(user.user_id)


def test_opposite_merges_of_one_pair_never_both_succeed(
    api: httpx.Client, make_user: Any, concept: Any
) -> None:
    user = make_user()
    ann, annie = concept(user, "Ann"), concept(user, "Annie")

    def merge(pair: tuple[uuid.UUID, uuid.UUID]) -> int:
        source, into = pair
        response = api.post(
            f"/v1/concepts/{source}/merge", json={"into": str(into)}, headers=user.headers
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = sorted(pool.map(merge, [(ann, annie), (annie, ann)]))

    assert codes == [200, 409]
    statuses = sorted(get(api, user, f"/v1/concepts/{c}")["status"] for c in (ann, annie))
    assert statuses == ["active", "merged"]
