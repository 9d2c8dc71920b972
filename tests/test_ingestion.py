"""Conversation ingestion against the real stack: a conversation held and ended through the gateway,
then the ingestion job (the service the scheduled function runs) over real Postgres, the embedded
graph and vector stores, and WordLlama. Every run is scoped to the test's own user or
conversation, so other people's conversations in the shared database are left alone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from dotline.bootstrap import Deps
from dotline.growth_rules import packaged_config
from dotline.models.db_events import DbEvent
from dotline.models.ingestion import IngestionRun
from dotline.services.cards.growth_mirror import PROPERTY_PREFIX, STATE_PROPERTY
from dotline.services.ingestion.ingestion import (
    IngestionPolicy,
    IngestionStores,
    ingest_conversations,
)
from dotline.services.mirroring.mirroring import apply_db_event
from dotline.settings import Settings

TRIP = [
    "I just got back from a weekend at Lake Bled with my sister Mira.",
    "We swam across the lake on my birthday. It was wonderful and I felt so proud.",
    "I live in Paris and I work as a nurse at St Anne's hospital.",
    "Mira thinks I should apply for the head nurse role, but night shifts make me anxious.",
    "Honestly I love coffee, I drink it every night shift.",
    "ok thanks",
    "Actually I moved to Berlin last month, so the commute is different now.",
    "I don't like coffee anymore, it makes me nervous.",
]
DEADLINE_S = 10.0


@pytest.fixture(scope="module")
def stores(settings: Settings) -> Iterator[IngestionStores]:
    deps = Deps(settings=settings)
    yield IngestionStores(deps.db, deps.language_model, deps.embedder, deps.graph, deps.vectors)
    deps.db.close()


def converse(api: httpx.Client, user: Any, turns: list[str], *, end: bool = True) -> UUID:
    """A conversation held through the gateway (each turn answered), then ended."""
    opened = api.post("/v1/conversations", json={}, headers=user.headers)
    assert opened.status_code == 201, opened.text
    conversation_id = opened.json()["conversation_id"]
    for text in turns:
        sent = api.post(
            f"/v1/conversations/{conversation_id}/messages",
            json={"content": text},
            headers=user.headers,
        )
        assert sent.status_code in (200, 201), sent.text
    if end:
        ended = api.post(f"/v1/conversations/{conversation_id}/end", headers=user.headers)
        assert ended.json()["status"] == "ended"
    return UUID(conversation_id)


def ingest(stores: IngestionStores, user: Any, **kwargs: Any) -> IngestionRun:
    return ingest_conversations(stores, packaged_config(), user_id=user.user_id, **kwargs)


def rows(pg: psycopg.Connection[Any], query: str, *params: Any) -> list[dict[str, Any]]:
    with pg.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


def memories_of(pg: psycopg.Connection[Any], conversation_id: UUID) -> list[dict[str, Any]]:
    return rows(
        pg,
        "select * from memories where source_conversation_id = %s order by creation_ts",
        conversation_id,
    )


def concepts_of(pg: psycopg.Connection[Any], user: Any) -> list[dict[str, Any]]:
    return rows(pg, "select * from concepts where user_id = %s order by name", user.user_id)


def edges_of(pg: psycopg.Connection[Any], user: Any) -> list[dict[str, Any]]:
    return rows(
        pg,
        "select source_id, target_id, type, weight, properties from graph.edges where user_id = %s "
        "order by type, source_id, target_id",
        user.user_id,
    )


def concept_named(concepts: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found = [c for c in concepts if c["name"].casefold() == name.casefold()]
    assert len(found) == 1, f"{name}: {[(c['name'], c['type']) for c in concepts]}"
    return found[0]


def snapshot(pg: psycopg.Connection[Any], user: Any) -> dict[str, Any]:
    """Everything ingestion writes for a person, to compare before and after a re-run."""
    uid = user.user_id
    return {
        "memories": rows(pg, "select * from memories where user_id = %s order by memory_id", uid),
        "concepts": rows(pg, "select * from concepts where user_id = %s order by concept_id", uid),
        "growth": rows(pg, "select * from growth_events where user_id = %s order by event_id", uid),
        "nodes": rows(pg, "select node_id, label, properties, version from graph.nodes where user_id = %s order by node_id", uid),
        "edges": edges_of(pg, user),
        "items": rows(pg, "select item_id, text, version from vectors.items where user_id = %s order by item_id", uid),
    }  # fmt: skip


def test_an_ended_conversation_becomes_memories_concepts_and_graph_links(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given a conversation held and ended through the API
    user = make_user()
    conversation_id = converse(api, user, TRIP)

    # when the ingestion job runs
    run = ingest(stores, user)

    # then it moved ended -> processed, with importance and a summary
    assert (run.claimed, run.processed, run.failed) == (1, 1, 0)
    read = api.get(f"/v1/conversations/{conversation_id}", headers=user.headers).json()
    assert read["status"] == "processed"
    assert read["importance_score"] is not None and read["context_summary"]
    # and every substantial turn of the person's is a memory with importance and sentiment
    memories = memories_of(pg, conversation_id)
    assert [m["content"] for m in memories] == [t for t in TRIP if t != "ok thanks"]
    assert all(0 < m["importance"] <= 1 and m["sentiment_score"] is not None for m in memories)
    listed = api.get("/v1/memories", headers=user.headers).json()["items"]
    assert {m["memory_id"] for m in listed} == {str(m["memory_id"]) for m in memories}
    # and the concepts are typed: people, places, organizations, feelings
    concepts = concepts_of(pg, user)
    mira, bled = concept_named(concepts, "Mira"), concept_named(concepts, "Lake Bled")
    assert (mira["type"], mira["attributes"]["relationship"]) == ("person", "sister")
    assert bled["type"] == "place"
    assert concept_named(concepts, "St Anne's hospital")["type"] == "organization"
    assert concept_named(concepts, "anxiety")["type"] == "emotion"
    assert memories[0]["people"] == [
        {"name": "Mira", "concept_id": str(mira["concept_id"]), "relationship": "sister"}
    ]
    # and the graph links them
    edges = edges_of(pg, user)
    by_type = {(e["type"], e["source_id"], e["target_id"]) for e in edges}
    first = memories[0]["memory_id"]
    assert {("EXPERIENCED", user.user_id, m["memory_id"]) for m in memories} <= by_type
    assert ("INVOLVES", first, mira["concept_id"]) in by_type
    assert ("HAPPENED_AT", first, bled["concept_id"]) in by_type
    assert any(t == "TAGGED_WITH" and s == first for t, s, _ in by_type)
    related = {
        frozenset((e["source_id"], e["target_id"])): e["weight"]
        for e in edges
        if e["type"] == "RELATED_TO"
    }
    assert related[frozenset((mira["concept_id"], bled["concept_id"]))] == 1.0
    # and the growth rule for a processed conversation is recorded once
    growth = rows(
        pg,
        "select dim_key, delta from growth_events where entity_id = %s order by dim_key",
        conversation_id,
    )
    assert [(g["dim_key"], g["delta"]) for g in growth] == [
        ("self_know", 0.05),
        ("world_know", 0.05),
    ]


def test_a_concept_said_again_in_another_case_or_as_a_near_synonym_is_not_duplicated(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given a concept the person already has, written in capitals
    user = make_user()
    pg.execute(
        "insert into concepts (user_id, name, type) values (%s, 'COFFEE', 'topic')", (user.user_id,)
    )
    converse(api, user, ["Night shifts at the hospital are long, coffee keeps me going."])
    ingest(stores, user)

    # when a later conversation says "coffee" and "night shift" again
    second = converse(api, user, ["Another night shift tonight, I brought my own coffee."])
    ingest(stores, user)

    # then neither became a second concept; the near-synonym is kept as an alias
    after = concepts_of(pg, user)
    coffee = concept_named(after, "coffee")
    shift = concept_named(after, "night shifts")
    assert coffee["name"] == "COFFEE"
    assert "night shift" not in {c["name"] for c in after}
    assert shift["attributes"]["aliases"] == ["night shift"]
    # and the later memory involves the concepts that were already there
    memory = memories_of(pg, second)[0]
    assert set(memory["attributes"]["concept_ids"]) == {
        str(coffee["concept_id"]),
        str(shift["concept_id"]),
    }
    involves = {
        e["target_id"]
        for e in edges_of(pg, user)
        if e["type"] == "INVOLVES" and e["source_id"] == memory["memory_id"]
    }
    assert involves == {coffee["concept_id"], shift["concept_id"]}


def test_a_contradiction_is_recorded_and_the_replaced_fact_stops_holding(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given a conversation in which the person moved and changed their mind about coffee
    user = make_user()
    conversation_id = converse(api, user, TRIP)

    # when it is ingested
    ingest(stores, user)

    # then the older statements are invalid from when the newer ones were said
    memories = {m["content"]: m for m in memories_of(pg, conversation_id)}
    paris, berlin = memories[TRIP[2]], memories[TRIP[6]]
    loves, dislikes = memories[TRIP[4]], memories[TRIP[7]]
    assert (paris["superseded_by"], paris["invalid_at"]) == (
        berlin["memory_id"],
        berlin["creation_ts"],
    )
    assert (loves["superseded_by"], loves["invalid_at"]) == (
        dislikes["memory_id"],
        dislikes["creation_ts"],
    )
    assert berlin["invalid_at"] is None and dislikes["invalid_at"] is None
    # and the newer ones say what they contradict, in attributes and in the graph
    assert berlin["attributes"]["contradicts"] == [
        {
            "memory_id": str(paris["memory_id"]),
            "predicate": "lives_in",
            "was": "paris",
            "now": "berlin",
        }
    ]
    contradicts = {
        (e["source_id"], e["target_id"]) for e in edges_of(pg, user) if e["type"] == "CONTRADICTS"
    }
    assert contradicts == {
        (berlin["memory_id"], paris["memory_id"]),
        (dislikes["memory_id"], loves["memory_id"]),
    }
    # and the API shows the person which memory replaced which
    shown = api.get(f"/v1/memories/{paris['memory_id']}", headers=user.headers).json()
    assert shown["superseded_by"] == str(berlin["memory_id"]) and shown["invalid_at"]
    # and the job ("I work as a nurse") nothing contradicted still holds
    assert memories[TRIP[2]]["attributes"]["facts"][1]["predicate"] == "works_as"


def test_ingesting_the_same_conversation_again_changes_nothing(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given an ingested conversation
    user = make_user()
    conversation_id = converse(api, user, TRIP)
    ingest(stores, user)
    before = snapshot(pg, user)

    # when it is ingested again by hand
    run = ingest_conversations(stores, packaged_config(), conversation_id=conversation_id)

    # then every row, node, edge and vector is as it was
    assert run.conversations[0].outcome == "processed"
    assert run.conversations[0].memories_created == 0
    assert snapshot(pg, user) == before
    status = rows(
        pg, "select status from conversations where conversation_id = %s", conversation_id
    )
    assert status == [{"status": "processed"}]


def test_another_persons_conversation_is_never_touched(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given two people who each ended a conversation naming the same sister
    alice, bob = make_user(), make_user()
    converse(api, alice, TRIP[:2])
    bobs = converse(api, bob, TRIP[:2])

    # when ingestion runs for Alice
    run = ingest(stores, alice)

    # then Bob's conversation, memories, concepts and graph are untouched
    assert run.processed == 1
    assert rows(pg, "select status from conversations where conversation_id = %s", bobs) == [
        {"status": "ended"}
    ]
    assert memories_of(pg, bobs) == [] and concepts_of(pg, bob) == [] and edges_of(pg, bob) == []
    # and Alice's graph only ever joins her own nodes
    foreign = rows(
        pg,
        "select count(*) as n from graph.edges e join graph.nodes n on n.node_id in (e.source_id, e.target_id) "
        "where e.user_id = %s and n.user_id <> e.user_id",
        alice.user_id,
    )
    assert foreign == [{"n": 0}]
    # and Bob cannot read what Alice's conversation yielded
    alices_memory = rows(
        pg, "select memory_id from memories where user_id = %s limit 1", alice.user_id
    )[0]
    assert (
        api.get(f"/v1/memories/{alices_memory['memory_id']}", headers=bob.headers).status_code
        == 404
    )


class FailingEmbedder:
    """The real embedder until told to fail: a backend outage in the middle of ingestion."""

    def __init__(self, real: Any) -> None:
        self.real, self.failing = real, True
        self.model_version, self.dimensions = real.model_version, real.dimensions

    def embed(self, texts: Any) -> list[list[float]]:
        if self.failing:
            raise ConnectionError("embedding endpoint unreachable")
        return list(self.real.embed(texts))


def test_a_failed_ingestion_is_recorded_retried_later_and_finished(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given a conversation whose ingestion fails midway (the embedder is down)
    user = make_user()
    conversation_id = converse(api, user, TRIP[:4])
    embedder = FailingEmbedder(stores.embedder)
    broken = IngestionStores(stores.db, stores.extractor, embedder, stores.graph, stores.vectors)
    failed = ingest(broken, user)
    assert failed.conversations[0].outcome == "failed"
    record = rows(
        pg,
        "select * from private.conversation_ingestions where conversation_id = %s",
        conversation_id,
    )[0]
    assert record["attempts"] == 1 and "embedding endpoint unreachable" in record["last_error"]
    assert rows(
        pg, "select status from conversations where conversation_id = %s", conversation_id
    ) == [{"status": "processing"}]

    # when a run comes before the backoff is over, then it leaves the conversation alone
    assert ingest(stores, user).claimed == 0

    # when the backoff is over and the embedder is back
    pg.execute(
        "update private.conversation_ingestions set lease_expires_at = now() where conversation_id = %s",
        (conversation_id,),
    )
    embedder.failing = False
    retried = ingest(broken, user)

    # then the next run finishes it
    assert [(c.outcome, c.attempt) for c in retried.conversations] == [("processed", 2)]
    assert len(memories_of(pg, conversation_id)) == 4
    record = rows(
        pg,
        "select * from private.conversation_ingestions where conversation_id = %s",
        conversation_id,
    )[0]
    assert record["last_error"] is None and record["finished_at"] is not None


def test_the_memories_are_searchable_before_their_enrichment_and_a_retry_completes_it_once(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given a conversation whose enrichment fails after the model answered (the embedder, which
    # concept resolution needs, is down)
    user = make_user()
    conversation_id = converse(api, user, TRIP[:4])
    embedder = FailingEmbedder(stores.embedder)
    broken = IngestionStores(stores.db, stores.extractor, embedder, stores.graph, stores.vectors)
    assert ingest(broken, user).conversations[0].outcome == "failed"

    # then the memories are already there, waiting for their concepts, and found by text
    first = memories_of(pg, conversation_id)
    assert len(first) == 4
    assert all(m["attributes"].get("enrichment_pending") for m in first)
    assert all(m["attributes"]["concept_ids"] == [] for m in first)
    assert concepts_of(pg, user) == []
    bled = next(m for m in first if m["content"] == TRIP[0])
    found = api.get("/v1/search", params={"q": "Lake Bled"}, headers=user.headers)
    assert found.status_code == 200, found.text
    assert str(bled["memory_id"]) in [hit["entity_id"] for hit in found.json()["items"]]

    # when the retry comes with the embedder back
    pg.execute(
        "update private.conversation_ingestions set lease_expires_at = now() where conversation_id = %s",
        (conversation_id,),
    )
    embedder.failing = False
    retried = ingest(broken, user).conversations

    # then it adds the concepts to the same memories, counted as one ingestion would count them
    assert [(c.outcome, c.memories, c.memories_created) for c in retried] == [("processed", 4, 4)]
    again = memories_of(pg, conversation_id)
    assert [m["memory_id"] for m in again] == [m["memory_id"] for m in first]
    assert not any("enrichment_pending" in m["attributes"] for m in again)
    mira = concept_named(concepts_of(pg, user), "Mira")
    assert str(mira["concept_id"]) in again[0]["attributes"]["concept_ids"]
    assert any(e["target_id"] == mira["concept_id"] for e in edges_of(pg, user))


def test_a_run_that_died_holding_a_conversation_is_taken_over_once_its_lease_runs_out(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given a run that claimed a conversation under a short lease and was killed
    user = make_user()
    conversation_id = converse(api, user, TRIP[:3])
    pg.execute(
        "select * from private.claim_conversations_for_ingestion(1, interval '1 second', %s)",
        (conversation_id,),
    )

    # when another run comes while the lease holds, then it takes nothing
    assert ingest(stores, user).claimed == 0

    # when the lease runs out
    deadline = time.monotonic() + DEADLINE_S
    run = ingest(stores, user)
    while run.claimed == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
        run = ingest(stores, user)

    # then the next run takes it over and finishes it
    assert [(c.outcome, c.attempt) for c in run.conversations] == [("processed", 2)]
    assert len(memories_of(pg, conversation_id)) == 3


def test_a_conversation_failing_every_time_is_given_up_after_the_last_attempt(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given an embedder that never comes back and a policy of two attempts, retried at once
    user = make_user()
    conversation_id = converse(api, user, TRIP[:2])
    broken = IngestionStores(
        stores.db, stores.extractor, FailingEmbedder(stores.embedder), stores.graph, stores.vectors
    )
    policy = IngestionPolicy(retry_base_s=0, max_attempts=2)

    # when ingestion keeps failing
    outcomes = [
        c.outcome for _ in range(3) for c in ingest(broken, user, policy=policy).conversations
    ]

    # then the second failure gives up, and no scheduled run claims it again
    assert outcomes == ["failed", "gave_up"]
    assert rows(
        pg,
        "select gave_up_at is not null as gave_up from private.conversation_ingestions where conversation_id = %s",
        conversation_id,
    ) == [{"gave_up": True}]
    # and a by-hand run still can
    by_hand = ingest_conversations(stores, packaged_config(), conversation_id=conversation_id)
    assert by_hand.conversations[0].outcome == "processed"


def test_an_ended_conversation_that_says_nothing_is_processed_without_memories_or_growth(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given a conversation of small talk only
    user = make_user()
    conversation_id = converse(api, user, ["hi", "ok thanks"])

    # when it is ingested
    run = ingest(stores, user)

    # then it is processed, with nothing to remember and nothing earned
    assert (run.processed, run.conversations[0].memories) == (1, 0)
    assert memories_of(pg, conversation_id) == []
    assert rows(pg, "select * from growth_events where entity_id = %s", conversation_id) == []
    read = api.get(f"/v1/conversations/{conversation_id}", headers=user.headers).json()
    assert (read["status"], read["importance_score"], read["context_summary"]) == (
        "processed",
        None,
        None,
    )


def without_growth(properties: dict[str, Any]) -> dict[str, Any]:
    """A node's properties less what the card pipeline adds (services/cards/growth_mirror.py)."""
    return {
        k: v
        for k, v in properties.items()
        if not k.startswith(PROPERTY_PREFIX) and k != STATE_PROPERTY
    }


def test_the_outbox_mirror_of_ingested_rows_agrees_with_what_ingestion_linked(
    api: httpx.Client,
    make_user: Any,
    stores: IngestionStores,
    pg: psycopg.Connection[Any],
    settings: Settings,
) -> None:
    # given an ingested conversation
    user = make_user()
    converse(api, user, TRIP)
    ingest(stores, user)
    before = snapshot(pg, user)

    # when the outbox delivers the rows it wrote (as the dispatcher would, in outbox order)
    deps = Deps(settings=settings)
    changes = rows(
        pg,
        "select outbox_id, payload from private.outbox where table_name in ('memories', 'concepts')"
        " and coalesce(payload->'record'->>'user_id', payload->'old_record'->>'user_id') = %s"
        " order by outbox_id",
        str(user.user_id),
    )
    for change in changes:
        event = DbEvent.model_validate({**change["payload"], "outbox_id": change["outbox_id"]})
        apply_db_event(
            event, db=deps.db, graph=deps.graph, vectors=deps.vectors,
            embedder=deps.embedder, cache=deps.cache,
        )  # fmt: skip
    deps.db.close()

    # then the mirror's newer versions took over the nodes and items, saying the same things
    after = snapshot(pg, user)
    mirrored = [n for n in after["nodes"] if n["label"] in ("MemoryUnit", "Concept")]
    assert mirrored and all(n["version"] > 0 for n in mirrored)
    assert [(n["node_id"], without_growth(n["properties"])) for n in after["nodes"]] == [
        (n["node_id"], n["properties"]) for n in before["nodes"]
    ]
    # (to which the card pipeline added each entity's growth)
    assert all("evolution_state" in n["properties"] for n in mirrored)
    assert [(i["item_id"], i["text"]) for i in after["items"]] == [
        (i["item_id"], i["text"]) for i in before["items"]
    ]
    # and every edge ingestion made is still there, with its weight
    assert after["edges"] == before["edges"]

    # and ingesting again afterwards changes nothing the mirror wrote
    conversation_id = before["memories"][0]["source_conversation_id"]
    ingest_conversations(stores, packaged_config(), conversation_id=conversation_id)
    assert snapshot(pg, user) == after


def test_something_said_is_found_by_search_worded_differently_once_ingested(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given an ingested conversation
    user = make_user()
    conversation_id = converse(api, user, TRIP)
    ingest(stores, user)
    swim = next(m for m in memories_of(pg, conversation_id) if m["content"] == TRIP[1])

    # when the person searches for it in other words
    found = api.get(
        "/v1/search",
        params={"q": "swimming through the lake for my birthday"},
        headers=user.headers,
    )

    # then the memory is among the first hits
    assert found.status_code == 200, found.text
    top = [hit["entity_id"] for hit in found.json()["items"][:5]]
    assert str(swim["memory_id"]) in top


def test_two_runs_at_once_share_the_work_and_never_ingest_a_conversation_twice(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given four ended conversations
    user = make_user()
    conversations = {converse(api, user, [turn]) for turn in TRIP[:4]}

    # when two ingestion runs (as two concurrent Lambda invocations) take them at once
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda _: ingest(stores, user), range(2)))

    # then each conversation was claimed exactly once, on its first attempt, and processed
    done = [c for run in runs for c in run.conversations]
    assert sorted(str(c.conversation_id) for c in done) == sorted(map(str, conversations))
    assert {(c.outcome, c.attempt) for c in done} == {("processed", 1)}
    statuses = rows(
        pg, "select distinct status from conversations where user_id = %s", user.user_id
    )
    assert statuses == [{"status": "processed"}]


class CountingExtractor:
    """The real extractor, counting its calls; `reword` makes it name every concept differently."""

    def __init__(self, real: Any, *, reword: bool = False) -> None:
        self.real, self.reword, self.calls = real, reword, 0

    def extract(self, turns: Any) -> Any:
        self.calls += 1
        extraction = self.real.extract(turns)
        if self.reword:
            for memory in extraction.memories:
                memory.concepts = [
                    c.model_copy(update={"name": f"{c.name} again"}) for c in memory.concepts
                ]
        return extraction


def test_a_retry_reuses_the_kept_extraction_instead_of_asking_the_model_again(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given a run that extracted a conversation and then failed (the embedder was down)
    user = make_user()
    conversation_id = converse(api, user, TRIP[:3])
    counting = CountingExtractor(stores.extractor)
    embedder = FailingEmbedder(stores.embedder)
    flaky = IngestionStores(stores.db, counting, embedder, stores.graph, stores.vectors)
    assert ingest(flaky, user, policy=IngestionPolicy(retry_base_s=0)).failed == 1

    # when the retry succeeds
    embedder.failing = False
    assert ingest(flaky, user).processed == 1

    # then the model was asked once, and what it said was kept
    assert counting.calls == 1
    kept = rows(
        pg,
        "select extraction->>'model' as model from private.conversation_ingestions"
        " where conversation_id = %s",
        conversation_id,
    )
    assert kept == [{"model": "dotline-rules-1"}]


def test_a_rerun_with_a_model_that_words_things_differently_changes_nothing(
    api: httpx.Client, make_user: Any, stores: IngestionStores, pg: psycopg.Connection[Any]
) -> None:
    # given an ingested conversation
    user = make_user()
    conversation_id = converse(api, user, TRIP)
    ingest(stores, user)
    before = snapshot(pg, user)

    # when it is re-run by hand with an extractor that would name every concept anew
    rewording = CountingExtractor(stores.extractor, reword=True)
    other = IngestionStores(stores.db, rewording, stores.embedder, stores.graph, stores.vectors)
    ingest_conversations(other, packaged_config(), conversation_id=conversation_id)

    # then the kept extraction was used: no new concept, no new edge
    assert rewording.calls == 0
    assert snapshot(pg, user) == before
