"""GET /v1/search through the real gateway: memories written to Postgres, their vectors and graph
links written through the ports (as the outbox delivery would), then searched as their owner."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from coaching_catalogue import add_app, add_knowledge_base
from conftest import free_port
from dotline.bootstrap import Deps
from dotline.ports.graph import GraphEdge, GraphNode
from dotline.ports.vectors import KnowledgeItem
from dotline.services.mirroring.entities import item_id

BICYCLE = "My sister gave me a red bicycle for my birthday"
DISTRACTORS = [
    "The quarterly budget meeting ran late again",
    "I cooked pasta with basil and garlic for dinner",
    "Our flight to Lisbon was delayed by the storm",
]


@pytest.fixture
def remember(pg: psycopg.Connection[Any], ports: Deps) -> Any:
    """Store a memory (the trigger indexes its words) and write its vector through the port."""

    def store(user: Any, content: str, *, title: str = "Note", **columns: Any) -> str:
        names = ["user_id", "title", "content", *columns]
        query = sql.SQL("insert into memories ({}) values ({}) returning memory_id, created_at")
        row = pg.execute(
            query.format(
                sql.SQL(", ").join(map(sql.Identifier, names)),
                sql.SQL(", ").join(sql.Placeholder() * len(names)),
            ),
            (user.user_id, title, content, *columns.values()),
        ).fetchone()
        assert row is not None
        index(user, "memory", row[0], f"{title}\n\n{content}", row[1], owner_table="memories")
        return str(row[0])

    def index(
        user: Any, kind: str, entity_id: Any, text: str, created: datetime, owner_table: str
    ) -> None:
        ports.vectors.upsert(
            [
                KnowledgeItem(
                    item_id=item_id(owner_table, str(entity_id)), user_id=user.user_id,
                    source_entity_type=kind, source_entity_id=entity_id, text=text,
                    created_at=created, model_version=ports.embedder.model_version,
                    vector=ports.embedder.embed([text])[0],
                )
            ]
        )  # fmt: skip

    store.index = index  # type: ignore[attr-defined]
    return store


def search(api: httpx.Client, user: Any, **params: Any) -> httpx.Response:
    return api.get("/v1/search", params=params, headers=user.headers)


def hits(api: httpx.Client, user: Any, **params: Any) -> list[dict[str, Any]]:
    response = search(api, user, **params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["entity_id"] for item in items]


def test_a_differently_worded_question_finds_the_memory_by_meaning(
    api: httpx.Client, make_user: Any, remember: Any
) -> None:
    user = make_user()
    bicycle = remember(user, BICYCLE, title="Birthday")
    for text in DISTRACTORS:
        remember(user, text, title="Diary")

    found = hits(api, user, q="bike present from my sibling")

    assert found[0]["entity_id"] == bicycle
    assert found[0]["why"]["channels"] == ["vector"]
    assert found[0]["why"]["vector_similarity"] > 0.5
    assert found[0]["snippet"] == BICYCLE


def test_an_exact_rare_word_finds_the_memory_through_full_text(
    api: httpx.Client, make_user: Any, remember: Any
) -> None:
    user = make_user()
    rare = remember(user, "We finally visited the Quetzalcoatl pyramid at Cholula", title="Trip")
    for text in DISTRACTORS:
        remember(user, text, title="Diary")

    found = hits(api, user, q="Quetzalcoatl")

    assert found[0]["entity_id"] == rare
    assert "text" in found[0]["why"]["channels"]
    assert found[0]["why"]["matched_terms"] == ["quetzalcoatl"]
    assert found[0]["why"]["text_rank"] > 0


def test_another_users_items_never_appear_even_when_an_index_points_at_them(
    api: httpx.Client, make_user: Any, remember: Any
) -> None:
    user, stranger = make_user(), make_user()
    mine = remember(user, "Zorblax the cat knocked my mug off the desk")
    theirs = remember(stranger, "Zorblax the cat knocked my mug off the desk")
    # A mirror gone wrong: the stranger's memory filed in the user's vector index.
    remember.index(user, "memory", uuid.UUID(theirs), "Zorblax", datetime.now(UTC), "bogus")

    found = hits(api, user, q="Zorblax cat")

    assert ids(found) == [mine]
    assert ids(hits(api, stranger, q="Zorblax cat")) == [theirs]


def test_expired_memories_never_appear(api: httpx.Client, make_user: Any, remember: Any) -> None:
    user = make_user()
    past = datetime.now(UTC) - timedelta(days=10)
    expired = remember(
        user, "The Glimmerwick lantern festival", created_at=past, expires_at=past + timedelta(1)
    )
    live = remember(user, "The Glimmerwick lantern festival, again this year")

    assert ids(hits(api, user, q="Glimmerwick lantern festival")) == [live]
    assert expired not in ids(hits(api, user, q="festival of lanterns"))


def test_a_decayed_memory_ranks_below_an_otherwise_equal_fresh_one(
    api: httpx.Client, make_user: Any, remember: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    decayed = remember(user, "Sunday pancakes with blueberries at grandma's")
    fresh = remember(user, "Sunday pancakes with blueberries at grandma's")
    pg.execute("update memories set importance = 0.10 where memory_id = %s", (decayed,))

    found = hits(api, user, q="blueberry pancakes")

    assert ids(found) == [fresh, decayed]
    assert found[0]["why"]["channels"] == found[1]["why"]["channels"] == ["vector", "text"]
    assert found[0]["score"] > found[1]["score"]
    assert found[1]["importance"] == pytest.approx(0.1)


def test_a_memory_linked_to_a_top_hit_is_found_through_the_graph(
    api: httpx.Client, make_user: Any, remember: Any, pg: psycopg.Connection[Any], ports: Deps
) -> None:
    user = make_user()
    concept = pg.execute(
        "insert into concepts (user_id, name, type, description) "
        "values (%s, 'Oksana', 'person', 'my climbing partner') returning concept_id",
        (user.user_id,),
    ).fetchone()
    assert concept is not None
    lake = remember(user, "We swam across the lake at dawn and froze")
    ports.graph.upsert_nodes(
        [
            GraphNode(node_id=concept[0], user_id=user.user_id, label="Concept"),
            GraphNode(node_id=uuid.UUID(lake), user_id=user.user_id, label="MemoryUnit"),
        ]
    )
    ports.graph.upsert_edges(
        [GraphEdge(user_id=user.user_id, source_id=uuid.UUID(lake), target_id=concept[0],
                   type="INVOLVES")]
    )  # fmt: skip

    found = {hit["entity_id"]: hit for hit in hits(api, user, q="Oksana")}

    assert found[str(concept[0])]["why"]["channels"] == ["text"]
    linked = found[lake]["why"]
    assert "graph" in linked["channels"]
    assert linked["graph_links"] == [
        {
            "from_entity_type": "concept",
            "from_entity_id": str(concept[0]),
            "relationship": "INVOLVES",
        }
    ]


def test_filters_keep_only_the_types_app_and_dates_asked_for(
    api: httpx.Client, make_user: Any, remember: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    app_id, _ = add_app(pg)
    old = remember(
        user, "Kettlebell swings at the park", created_at=datetime(2025, 1, 5, tzinfo=UTC)
    )
    coached = remember(user, "Kettlebell swings twice a week", app_id=app_id,
                       memory_type="user_preference")  # fmt: skip
    concept = pg.execute(
        "insert into concepts (user_id, name, type) values (%s, 'Kettlebell', 'activity') "
        "returning concept_id",
        (user.user_id,),
    ).fetchone()
    assert concept is not None

    everything = set(ids(hits(api, user, q="kettlebell swings")))
    concepts = ids(hits(api, user, q="kettlebell swings", types="concept"))
    in_app = ids(hits(api, user, q="kettlebell swings", app_id=app_id))
    before = ids(hits(api, user, q="kettlebell swings", created_before="2026-01-01T00:00:00Z"))
    after = ids(hits(api, user, q="kettlebell swings", created_after="2026-01-01T00:00:00Z"))

    assert everything == {old, coached, str(concept[0])}
    assert concepts == [str(concept[0])]
    assert in_app == [coached]
    assert before == [old]
    assert set(after) == {coached, str(concept[0])}


def test_knowledge_of_the_users_apps_is_searched_and_other_apps_are_not(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    mine, _ = add_app(pg)
    other, _ = add_app(pg)
    [entry] = add_knowledge_base(pg, mine, [("Deadlift form", "Keep the barbell close")])
    add_knowledge_base(pg, other, [("Deadlift tempo", "Lower the barbell slowly")])
    started = api.post("/v1/conversations", json={"app_id": mine}, headers=user.headers)
    assert started.status_code == 201, started.text

    found = hits(api, user, q="deadlift barbell", types="knowledge")

    assert ids(found) == [entry]
    assert found[0]["app_id"] == mine
    assert found[0]["why"]["matched_terms"] == ["deadlift", "barbell"]


def test_knowledge_a_page_shows_is_counted_once_and_what_it_left_off_is_not(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    mine, _ = add_app(pg)
    entries = add_knowledge_base(
        pg,
        mine,
        [("Kettlebell swing", "Kettlebell swing: hinge at the hips"), ("Kettlebell grip", "Chalk")],
    )
    started = api.post("/v1/conversations", json={"app_id": mine}, headers=user.headers)
    assert started.status_code == 201, started.text

    [shown] = ids(hits(api, user, q="kettlebell swing", types="knowledge", limit=1))
    counted_once = _access_counts(pg, entries)
    hits(api, user, q="kettlebell swing", types="knowledge", limit=1)

    (left_off,) = set(entries) - {shown}
    assert counted_once == {shown: 1, left_off: 0}  # weighed by the search, not shown
    assert _access_counts(pg, entries) == {shown: 2, left_off: 0}


def _access_counts(pg: psycopg.Connection[Any], entry_ids: list[str]) -> dict[str, int]:
    rows = pg.execute(
        "select knowledge_entry_id::text, access_count from knowledge_entries"
        " where knowledge_entry_id = any(%s::uuid[])",
        (entry_ids,),
    ).fetchall()
    return {entry: count for entry, count in rows}


def test_pages_follow_the_cursor_without_overlap_and_a_cursor_is_bound_to_its_search(
    api: httpx.Client, make_user: Any, remember: Any
) -> None:
    user = make_user()
    made = {remember(user, f"Marimba practice session number {n}") for n in range(5)}

    first = search(api, user, q="marimba practice", limit=3).json()
    second = search(api, user, q="marimba practice", limit=3, cursor=first["next_cursor"]).json()
    other = search(api, user, q="something else", cursor=first["next_cursor"])

    assert len(first["items"]) == 3 and len(second["items"]) == 2
    assert set(ids(first["items"]) + ids(second["items"])) == made
    assert second["next_cursor"] is None
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "query.cursor"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "query.q"),
        ({"q": "   "}, "query.q"),
        ({"q": "x" * 501}, "query.q"),
        ({"q": "tea", "limit": 0}, "query.limit"),
        ({"q": "tea", "limit": 51}, "query.limit"),
        ({"q": "tea", "types": "photos"}, "query.types.0"),
        ({"q": "tea", "app_id": "not-a-uuid"}, "query.app_id"),
        ({"q": "tea", "created_after": "2026-01-01T00:00:00"}, "query.created_after"),
        ({"q": "tea", "include_superseded": "maybe"}, "query.include_superseded"),
        (
            {
                "q": "tea",
                "created_after": "2026-02-01T00:00:00Z",
                "created_before": "2026-01-01T00:00:00Z",
            },
            "query.created_before",
        ),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    api: httpx.Client, make_user: Any, params: dict[str, Any], field: str
) -> None:
    response = search(api, make_user(), **params)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == field


def test_an_anonymous_search_is_a_401(api: httpx.Client) -> None:
    response = api.get("/v1/search", params={"q": "anything"})

    assert response.status_code == 401
    assert response.json()["type"].endswith("unauthenticated")


def test_an_embedding_endpoint_that_is_down_degrades_the_search_to_the_other_channels(
    start_gateway: Any, make_user: Any, remember: Any
) -> None:
    user = make_user()
    rare = remember(user, "Lunch at the Xochimilco canals with the whole team")
    unreachable = start_gateway({"EMBEDDINGS_URL": f"http://127.0.0.1:{free_port()}/v1"})

    with httpx.Client(base_url=unreachable, timeout=30) as client:
        # Load the function first (a blank query is refused before any embedding): on a busy
        # machine its cold start plus the embedder's retries could pass the 10 s function timeout.
        warm = client.get("/v1/search", params={"q": " "}, headers=user.headers)
        assert warm.status_code == 422, warm.text
        response = client.get("/v1/search", params={"q": "xochimilco"}, headers=user.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["unavailable_channels"] == ["vector"]
    assert ids(body["items"]) == [rare]
    assert body["items"][0]["why"]["channels"] == ["text"]


def test_the_route_is_in_the_openapi_spec_with_its_filters(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()

    parameters = {p["name"] for p in spec["paths"]["/v1/search"]["get"]["parameters"]}

    assert {
        "q",
        "types",
        "app_id",
        "created_after",
        "created_before",
        "limit",
        "cursor",
        "include_superseded",
    } <= parameters


def test_a_superseded_memory_ranks_below_the_memory_that_replaced_it_and_says_so(
    api: httpx.Client, make_user: Any, remember: Any, pg: psycopg.Connection[Any]
) -> None:
    # Given an old fact that matches the query better than the newer one that replaced it
    user = make_user()
    old = remember(user, "My home is a small flat by the canal in Paris", title="Home")
    new = remember(user, "My home is now a small flat by the river in Berlin", title="Home")
    before = hits(api, user, q="my flat by the canal in Paris")
    replaced_at = datetime.now(UTC) - timedelta(minutes=1)
    pg.execute(
        "update memories set invalid_at = %s, superseded_by = %s where memory_id = %s",
        (replaced_at, new, old),
    )

    # When the same search runs again, and once more leaving superseded memories out
    after = hits(api, user, q="my flat by the canal in Paris")
    current_only = hits(api, user, q="my flat by the canal in Paris", include_superseded="false")

    # Then the old fact now comes after its successor, saying what replaced it and since when
    assert ids(before) == [old, new]
    assert ids(after) == [new, old]
    assert after[1]["score"] < after[0]["score"]
    assert after[1]["why"]["superseded_by"] == new
    assert datetime.fromisoformat(after[1]["why"]["superseded_at"]) == replaced_at
    assert after[0]["why"]["superseded_by"] is None
    assert ids(current_only) == [new]


def test_a_memory_replaced_only_from_a_future_moment_still_holds(
    api: httpx.Client, make_user: Any, remember: Any, pg: psycopg.Connection[Any]
) -> None:
    # Given a memory whose invalid_at has not come yet
    user = make_user()
    holds = remember(user, "Tuesday violin lessons with Mrs Okafor", title="Lessons")
    later = remember(user, "Violin lessons move to Thursdays", title="Lessons")
    pg.execute(
        "update memories set invalid_at = now() + interval '1 day', superseded_by = %s "
        "where memory_id = %s",
        (later, holds),
    )

    # When it is searched for, leaving superseded memories out
    found = hits(api, user, q="Tuesday violin lessons", include_superseded="false")

    # Then it is still there, unmarked
    assert holds in ids(found)
    assert next(h for h in found if h["entity_id"] == holds)["why"]["superseded_by"] is None
