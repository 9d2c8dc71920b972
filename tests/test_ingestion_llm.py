"""Ingestion through the language model port when one is configured (LLM_URL): an OpenAI-compatible
fake server answering extractions in JSON, over the real stack. Both extractors must write the
same structures: the fake answers with what the rule extractor finds, so the two paths are
compared row for row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import SecretStr

from contract.fake_extraction import answer_extraction
from contract.fake_openai_server import FakeEndpoint, serving
from dotline.adapters.openai_language_model import MAX_ATTEMPTS, OpenAILanguageModel
from dotline.growth_rules import packaged_config
from dotline.services.ingestion.ingestion import IngestionStores, ingest_conversations
from dotline.settings import Settings
from test_ingestion import TRIP, concepts_of, converse, edges_of, memories_of, rows, stores

__all__ = ["stores"]  # the module-scoped fixture, shared with test_ingestion

FAKE_KEY = "fake-llm-key"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeEndpoint]:
    with serving(FakeEndpoint("/v1/chat/completions", FAKE_KEY, answer_extraction)) as endpoint:
        yield endpoint


@pytest.fixture
def llm_stores(fake: FakeEndpoint, stores: IngestionStores, settings: Settings) -> IngestionStores:
    fake.script.clear()
    fake.requests.clear()
    configured = settings.model_copy(
        update={"llm_url": fake.url, "llm_api_key": SecretStr(FAKE_KEY), "llm_model": "fake-4"}
    )
    model = OpenAILanguageModel.from_settings(configured)
    return IngestionStores(stores.db, model, stores.embedder, stores.graph, stores.vectors)


def shape(pg: psycopg.Connection[Any], user: Any, conversation_id: Any) -> dict[str, Any]:
    """What ingestion wrote for a person, without the ids that differ between people."""
    memories = memories_of(pg, conversation_id)
    names = {c["concept_id"]: (c["name"], c["type"]) for c in concepts_of(pg, user)}
    return {
        "memories": [
            (m["title"], m["content"], m["importance"], m["sentiment_score"], m["tags"],
             [p["name"] for p in m["people"]], m["invalid_at"] is not None)
            for m in memories
        ],
        "concepts": sorted(names.values()),
        "edges": sorted(_edge(e, names) for e in edges_of(pg, user)),
    }  # fmt: skip


def _edge(edge: dict[str, Any], names: dict[Any, Any]) -> tuple[Any, ...]:
    ends = (names.get(edge["source_id"], "memory/user"), names.get(edge["target_id"], "memory/tag"))
    if edge["type"] == "RELATED_TO":  # undirected: stored from the lower id, which differs
        ends = tuple(sorted(ends))
    return (edge["type"], *ends, edge["weight"])


def test_a_configured_model_yields_the_same_memories_concepts_and_edges_as_the_rules(
    api: httpx.Client,
    make_user: Any,
    stores: IngestionStores,
    llm_stores: IngestionStores,
    fake: FakeEndpoint,
    pg: psycopg.Connection[Any],
) -> None:
    # given the same conversation held by two people
    through_model, by_rule = make_user(), make_user()
    modelled = converse(api, through_model, TRIP)
    ruled = converse(api, by_rule, TRIP)

    # when one is ingested through the model endpoint and the other by the embedded rules
    run = ingest_conversations(llm_stores, packaged_config(), user_id=through_model.user_id)
    ingest_conversations(stores, packaged_config(), user_id=by_rule.user_id)

    # then the model was asked for JSON, and both wrote the same structures
    assert run.conversations[0].extractor == "fake-4"
    assert fake.requests[0]["response_format"] == {"type": "json_object"}
    assert shape(pg, through_model, modelled) == shape(pg, by_rule, ruled)
    record = rows(
        pg,
        "select extractor from private.conversation_ingestions where conversation_id = %s",
        modelled,
    )
    assert record == [{"extractor": "fake-4"}]


def test_an_unreachable_model_leaves_the_conversation_for_a_later_run(
    api: httpx.Client,
    make_user: Any,
    llm_stores: IngestionStores,
    fake: FakeEndpoint,
    pg: psycopg.Connection[Any],
) -> None:
    # given a model endpoint that answers 503 to every try
    user = make_user()
    conversation_id = converse(api, user, TRIP[:2])
    fake.script.extend([(503, {})] * MAX_ATTEMPTS)
    quick = OpenAILanguageModel(
        httpx.Client(base_url=fake.url, headers={"Authorization": f"Bearer {FAKE_KEY}"}),
        "fake-4",
        backoff_base_s=0.01,
    )
    down = IngestionStores(
        llm_stores.db, quick, llm_stores.embedder, llm_stores.graph, llm_stores.vectors
    )

    # when ingestion runs
    run = ingest_conversations(down, packaged_config(), user_id=user.user_id)

    # then nothing was written, and the failure waits for a retry
    assert run.conversations[0].outcome == "failed"
    assert "answered 503" in (run.conversations[0].error or "")
    assert memories_of(pg, conversation_id) == []
    status = rows(
        pg, "select status from conversations where conversation_id = %s", conversation_id
    )
    assert status == [{"status": "processing"}]
