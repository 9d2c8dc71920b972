"""The language model port's contract: the local engine, the OpenAI-compatible adapter against a
local fake server speaking the same protocol, and a real endpoint when LLM_URL is set."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fake_extraction import answer_extraction, completion, is_extraction
from fake_insights import answer_insights, is_insight_synthesis
from fake_openai_server import FakeEndpoint, serving
from fake_reranking import answer_rerank, is_rerank
from pydantic import SecretStr

from dotline.adapters.local_language_model import LocalLanguageModel
from dotline.adapters.openai_language_model import MAX_ATTEMPTS, OpenAILanguageModel
from dotline.errors import ServiceUnavailable
from dotline.ports.insight_synthesis import (
    MAX_PROMPTS,
    CentralConcept,
    ConceptCommunity,
    DimensionMove,
    InsightBrief,
)
from dotline.ports.language_model import ChatMessage, LanguageModel, RerankPassage, Turn
from dotline.settings import Settings

FAKE_KEY = "fake-llm-key"

CONTEXT = """You are Dot, a warm companion. Answer only from the knowledge and memories below,
citing them; if none of them is relevant, say plainly that you don't know.

Knowledge:
- [kb-7] Regular swimming lowers resting heart rate over a few months.
- [kb-9] The Eiffel Tower is 330 metres tall.

Memories:
- [mem-1] On my 30th birthday I swam across Lake Bled with my sister Mira.
- [mem-2] I work night shifts as a nurse at St Anne's hospital.
"""


def prompt(question: str, context: str = CONTEXT) -> list[ChatMessage]:
    return [ChatMessage(role="system", content=context), ChatMessage(role="user", content=question)]


# --- a local server speaking OpenAI's chat completions protocol ----------------------------------


LOCAL_ENGINE = LocalLanguageModel()


def complete_like_openai(body: dict[str, Any]) -> dict[str, Any]:
    """A chat completion answered by the local engine, in OpenAI's response shape."""
    if is_insight_synthesis(body):
        return answer_insights(body)
    if is_rerank(body):
        return answer_rerank(body)
    if is_extraction(body):
        return answer_extraction(body)
    messages = [ChatMessage(**m) for m in body["messages"]]
    done = LOCAL_ENGINE.complete(messages, max_tokens=body.get("max_tokens", 512))
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": done.text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": done.prompt_tokens,
            "completion_tokens": done.completion_tokens,
            "total_tokens": done.prompt_tokens + done.completion_tokens,
        },
    }


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeEndpoint]:
    with serving(FakeEndpoint("/v1/chat/completions", FAKE_KEY, complete_like_openai)) as fake:
        yield fake


@pytest.fixture
def fake(fake_server: FakeEndpoint) -> FakeEndpoint:
    fake_server.script.clear()
    fake_server.requests.clear()
    return fake_server


def fake_settings(fake: FakeEndpoint, settings: Settings, **update: Any) -> Settings:
    return settings.model_copy(
        update={"llm_url": fake.url, "llm_api_key": SecretStr(FAKE_KEY), **update}
    )


# --- the contract, for every adapter -------------------------------------------------------------


@pytest.fixture(params=["local", "openai-fake", "openai-real"])
def model(request: pytest.FixtureRequest, settings: Settings) -> LanguageModel:
    if request.param == "local":
        return LocalLanguageModel()
    if request.param == "openai-fake":
        fake = request.getfixturevalue("fake")
        return OpenAILanguageModel.from_settings(fake_settings(fake, settings))
    if not settings.llm_url:
        pytest.skip("LLM_URL is not set: no real OpenAI-compatible endpoint to test")
    return OpenAILanguageModel.from_settings(settings)


def is_real(request: pytest.FixtureRequest) -> bool:
    return "openai-real" in request.node.callspec.id


def test_same_prompt_gives_the_same_answer(
    model: LanguageModel, request: pytest.FixtureRequest
) -> None:
    if is_real(request):
        pytest.skip("a remote model does not promise determinism")

    first = model.complete(prompt("What did I do on my birthday?"))
    second = model.complete(prompt("What did I do on my birthday?"))

    assert (first.text, first.prompt_tokens, first.completion_tokens) == (
        second.text,
        second.prompt_tokens,
        second.completion_tokens,
    )


def test_answer_uses_the_relevant_snippet_and_not_an_irrelevant_one(model: LanguageModel) -> None:
    answer = model.complete(prompt("What did I do on my birthday?")).text

    assert "Bled" in answer
    assert "Eiffel" not in answer
    assert "nurse" not in answer


def test_answer_cites_knowledge_for_a_knowledge_question(model: LanguageModel) -> None:
    answer = model.complete(prompt("Is swimming good for my heart?")).text

    assert "heart rate" in answer.lower()
    assert "Eiffel" not in answer


def test_says_plainly_when_nothing_relevant_was_retrieved(model: LanguageModel) -> None:
    answer = model.complete(prompt("What is my favourite pizza topping?")).text.lower()

    assert any(word in answer for word in ("nothing", "don't", "do not", "no ", "not "))
    assert "bled" not in answer and "eiffel" not in answer and "nurse" not in answer


def test_tokens_latency_and_model_are_filled(model: LanguageModel) -> None:
    completion = model.complete(prompt("Where do I work?"))

    assert completion.text
    assert completion.model
    assert completion.prompt_tokens > 0
    assert completion.completion_tokens > 0
    assert completion.latency_ms > 0


# --- the local engine ----------------------------------------------------------------------------


def test_local_engine_never_quotes_personality_text() -> None:
    answer = LocalLanguageModel().complete(prompt("Are you a warm companion?"))

    assert "You are Dot" not in answer.text
    assert answer.confidence == 0.0


def test_local_engine_confidence_grows_with_overlap() -> None:
    engine = LocalLanguageModel()

    strong = engine.complete(prompt("my birthday swim across Lake Bled with Mira"))
    weak = engine.complete(prompt("what about my sister and the weather?"))

    assert strong.confidence is not None and weak.confidence is not None
    assert strong.confidence > weak.confidence


def test_local_engine_says_so_when_nothing_was_retrieved_at_all() -> None:
    answer = LocalLanguageModel().complete(prompt("Where do I work?", context="You are Dot."))

    assert "no memories or notes" in answer.text
    assert answer.confidence == 0.0


def test_local_engine_respects_max_tokens() -> None:
    answer = LocalLanguageModel().complete(prompt("birthday swimming heart"), max_tokens=5)

    assert answer.completion_tokens <= 5


# --- the OpenAI-compatible adapter against the fake ----------------------------------------------


def adapter(fake: FakeEndpoint, settings: Settings, **kwargs: Any) -> OpenAILanguageModel:
    client = httpx.Client(
        base_url=fake.url,
        headers={"Authorization": f"Bearer {FAKE_KEY}"},
        timeout=httpx.Timeout(1.0, connect=1.0),
    )
    return OpenAILanguageModel(client, "fake-model", backoff_base_s=0.01, **kwargs)


def test_request_is_an_openai_chat_completion(fake: FakeEndpoint, settings: Settings) -> None:
    model = OpenAILanguageModel.from_settings(fake_settings(fake, settings, llm_model="m-1"))

    completion = model.complete(prompt("Where do I work?"), max_tokens=64, temperature=0.0)

    sent = fake.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["auth"] == f"Bearer {FAKE_KEY}"
    assert (sent["model"], sent["max_tokens"], sent["temperature"]) == ("m-1", 64, 0.0)
    assert sent["messages"][1] == {"role": "user", "content": "Where do I work?"}
    assert completion.model == "m-1"
    assert "nurse" in completion.text


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_retryable_status_is_retried_then_succeeds(
    fake: FakeEndpoint, settings: Settings, status: int
) -> None:
    fake.script.append((status, {}))

    completion = adapter(fake, settings).complete(prompt("Where do I work?"))

    assert len(fake.requests) == 2
    assert "nurse" in completion.text


def test_retry_after_is_honoured(fake: FakeEndpoint, settings: Settings) -> None:
    fake.script.append((429, {"Retry-After": "2"}))
    slept: list[float] = []

    adapter(fake, settings, sleep=slept.append).complete(prompt("Where do I work?"))

    assert slept == [2.0]


def test_dropped_connection_is_retried(fake: FakeEndpoint, settings: Settings) -> None:
    fake.script.append(("drop", {}))

    completion = adapter(fake, settings).complete(prompt("Where do I work?"))

    assert len(fake.requests) == 2
    assert completion.text


def test_gives_up_after_the_last_attempt(fake: FakeEndpoint, settings: Settings) -> None:
    fake.script.extend([(503, {})] * MAX_ATTEMPTS)

    with pytest.raises(ServiceUnavailable):
        adapter(fake, settings).complete(prompt("Where do I work?"))

    assert len(fake.requests) == MAX_ATTEMPTS


def test_client_error_is_not_retried(fake: FakeEndpoint, settings: Settings) -> None:
    fake.script.append((400, {}))

    with pytest.raises(ServiceUnavailable) as caught:
        adapter(fake, settings).complete(prompt("Where do I work?"))

    assert len(fake.requests) == 1
    assert caught.value.extensions["upstream_status"] == 400


def test_a_stalled_endpoint_fails_within_the_timeout(
    fake: FakeEndpoint, settings: Settings
) -> None:
    fake.script.extend([("stall", {"seconds": "3"})] * MAX_ATTEMPTS)
    started = time.monotonic()

    with pytest.raises(ServiceUnavailable):
        adapter(fake, settings).complete(prompt("Where do I work?"))

    assert time.monotonic() - started < MAX_ATTEMPTS * 1.0 + 1.5


def test_wrong_key_is_service_unavailable_and_the_key_is_not_echoed(
    fake: FakeEndpoint, settings: Settings
) -> None:
    model = OpenAILanguageModel.from_settings(
        fake_settings(fake, settings, llm_api_key=SecretStr("wrong-key"))
    )

    with pytest.raises(ServiceUnavailable) as caught:
        model.complete(prompt("Where do I work?"))

    assert "wrong-key" not in str(caught.value)
    assert len(fake.requests) == 1


# --- extraction, for every adapter ---------------------------------------------------------------

SCRIPT = [
    ("user", "I just got back from a weekend at Lake Bled with my sister Mira."),
    ("assistant", "That sounds lovely! What did you two do there, Anna?"),
    ("user", "We swam across the lake on my birthday and I felt so proud."),
    ("user", "ok thanks"),
    ("user", "I live in Paris and I don't like coffee anymore."),
]


def turns(script: list[tuple[str, str]] = SCRIPT) -> list[Turn]:
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    return [
        Turn(
            message_id=uuid.uuid4(),
            role=role,
            content=text,
            created_at=start + timedelta(minutes=i),
        )  # type: ignore[arg-type]
        for i, (role, text) in enumerate(script)
    ]


def test_extraction_draws_memories_from_the_persons_substantial_turns_only(
    model: LanguageModel,
) -> None:
    given = turns()

    extraction = model.extract(given)

    said_by_person = {t.message_id for t in given if t.role == "user"}
    assert extraction.memories, "the conversation says something worth remembering"
    assert {m.message_id for m in extraction.memories} <= said_by_person
    assert given[3].message_id not in {m.message_id for m in extraction.memories}  # small talk
    assert all(0 <= m.importance <= 1 and -1 <= m.sentiment <= 1 for m in extraction.memories)


def test_extraction_types_people_and_places_and_reads_facts(
    model: LanguageModel, request: pytest.FixtureRequest
) -> None:
    if is_real(request):
        pytest.skip("a remote model words its concepts its own way")
    given = turns()

    by_turn = {m.message_id: m for m in model.extract(given).memories}

    first = {(c.name, c.type, c.relationship) for c in by_turn[given[0].message_id].concepts}
    assert ("Mira", "person", "sister") in first
    assert ("Lake Bled", "place", None) in first
    facts = {(f.predicate, f.value, f.polarity) for f in by_turn[given[4].message_id].facts}
    assert facts == {("lives_in", "paris", True), ("likes", "coffee", False)}
    assert by_turn[given[2].message_id].sentiment > 0
    assert "Anna" not in {c.name for m in by_turn.values() for c in m.concepts}  # assistant's word


def test_same_turns_give_the_same_extraction(
    model: LanguageModel, request: pytest.FixtureRequest
) -> None:
    if is_real(request):
        pytest.skip("a remote model does not promise determinism")
    given = turns()

    assert model.extract(given) == model.extract(given)


def test_openai_adapter_reads_back_what_the_model_answered(
    fake: FakeEndpoint, settings: Settings
) -> None:
    given = turns()
    model = OpenAILanguageModel.from_settings(fake_settings(fake, settings, llm_model="m-2"))

    extraction = model.extract(given)

    sent = fake.requests[0]
    assert sent["response_format"] == {"type": "json_object"}
    assert sent["temperature"] == 0.0
    assert "[2] user: We swam across the lake" in sent["messages"][-1]["content"]
    assert extraction.model == "m-2"
    assert extraction.memories == LocalLanguageModel().extract(given).memories


def test_extraction_that_is_not_json_is_service_unavailable(
    fake: FakeEndpoint, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake, "answer", lambda body: completion(body, "Sure! Here are memories:"))

    with pytest.raises(ServiceUnavailable, match="extraction was malformed"):
        adapter(fake, settings).extract(turns())


def test_extracted_memories_breaking_the_schema_are_dropped_not_trusted(
    fake: FakeEndpoint, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = {
        "memories": [
            {"turn": 1, "title": "said by the assistant", "content": "x", "importance": 0.5, "sentiment": 0},
            {"turn": 2, "title": "too important", "content": "x", "importance": 7, "sentiment": 0},
            {"turn": 99, "title": "no such turn", "content": "x", "importance": 0.5, "sentiment": 0},
            {"turn": 0, "title": "Lake Bled", "content": "A weekend at Lake Bled",
             "importance": 0.6, "sentiment": 0.2, "concepts": [{"name": "Bled", "type": "place"}]},
        ]
    }  # fmt: skip
    monkeypatch.setattr(fake, "answer", lambda body: completion(body, json.dumps(answer)))
    given = turns()

    extraction = adapter(fake, settings).extract(given)

    assert [(m.message_id, m.title) for m in extraction.memories] == [
        (given[0].message_id, "Lake Bled")
    ]


# --- insight synthesis ----------------------------------------------------------------------------


def brief() -> InsightBrief:
    return InsightBrief(
        conversations=3,
        messages=14,
        conversation_titles=["Morning swim"],
        memories=["Lake Bled with Mira", "Night shift"],
        growth=[
            DimensionMove(dim_key="self_know", label="Know yourself", cycle_delta=0.3, total=1.2),
            DimensionMove(dim_key="world_act", label="Act in the world", cycle_delta=0, total=0.1),
        ],
        central_concepts=[
            CentralConcept(
                node_id=str(uuid.uuid4()), name="Swimming", pagerank=0.4, betweenness=0.6
            ),
            CentralConcept(node_id=str(uuid.uuid4()), name="Mira", pagerank=0.2, betweenness=0.1),
        ],
        communities=[ConceptCommunity(names=["Swimming", "Lake Bled", "Mira"], size=3)],
    )


def test_synthesis_of_the_same_brief_is_the_same(
    model: LanguageModel, request: pytest.FixtureRequest
) -> None:
    if is_real(request):
        pytest.skip("a remote model does not promise determinism")

    first, second = model.synthesize_insights(brief()), model.synthesize_insights(brief())

    assert first.model_dump(exclude={"model"}) == second.model_dump(exclude={"model"})


def test_synthesis_is_grounded_in_the_brief_and_offers_prompts(model: LanguageModel) -> None:
    synthesis = model.synthesize_insights(brief())

    assert synthesis.title and synthesis.summary
    assert 1 <= len(synthesis.prompts) <= MAX_PROMPTS
    assert "Swimming" in synthesis.summary + " ".join(synthesis.prompts)


def test_synthesis_of_a_quiet_cycle_still_offers_a_prompt(model: LanguageModel) -> None:
    synthesis = model.synthesize_insights(InsightBrief(conversations=0, messages=0))

    assert synthesis.summary
    assert len(synthesis.prompts) >= 1


def test_synthesis_that_is_not_json_is_service_unavailable(
    fake: FakeEndpoint, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake, "answer", lambda body: completion(body, "Here is your week!"))

    with pytest.raises(ServiceUnavailable, match="insight synthesis was malformed"):
        adapter(fake, settings).synthesize_insights(brief())


def test_a_synthesis_with_too_many_prompts_is_cut_to_the_limit(
    fake: FakeEndpoint, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = {"title": "Week", "summary": "You swam.", "prompts": [f"Q{n}?" for n in range(9)]}
    monkeypatch.setattr(fake, "answer", lambda body: completion(body, json.dumps(answer)))

    synthesis = adapter(fake, settings).synthesize_insights(brief())

    assert synthesis.prompts == [f"Q{n}?" for n in range(MAX_PROMPTS)]
    assert synthesis.model == "fake-model"


def test_local_extractor_stays_within_the_ports_bounds_on_a_long_shouted_turn() -> None:
    names = " ".join(f"I met Person{i} in Town{i}." for i in range(40))
    shouting = "I AM SO TIRED OF ALL OF THIS NONSENSE TODAY. " * 5
    facts = " ".join(f"My favourite {'x' * 60} is tea. I love tea{i}." for i in range(15))
    turn = Turn(
        message_id=uuid.uuid4(), role="user", content=(names + shouting + facts) * 40,
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
    )  # fmt: skip

    (memory,) = LocalLanguageModel().extract([turn]).memories

    assert len(memory.content) <= 20_000 and len(memory.concepts) <= 30
    assert not any("Tired" in c.name for c in memory.concepts)
    assert all(f.predicate == "likes" for f in memory.facts)


# --- reranking search candidates ------------------------------------------------------------------

PASSAGES = [
    RerankPassage(text="Mei: The quarterly budget meeting ran late again."),
    RerankPassage(text="Ayo: Did the shelter ring you back?", follower="Mei: We adopted a kitten!"),
    RerankPassage(text="Mei: We adopted a tabby kitten from the rescue shelter."),
]


def test_rerank_scores_the_passage_that_answers_above_the_others(model: LanguageModel) -> None:
    scores = model.rerank("Which kitten did Mei adopt from the shelter?", PASSAGES)

    assert len(scores) == len(PASSAGES)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[2] > scores[0]
    assert scores[1] > scores[0]  # its reply (the turn after it) tells the adoption


def test_local_rerank_counts_the_turn_after_a_passage_for_less_than_its_own_words() -> None:
    engine = LocalLanguageModel()

    own, told_after = engine.rerank("Which kitten did Mei adopt?", PASSAGES)[2:0:-1]

    assert own > told_after > 0


def test_local_rerank_is_the_same_for_the_same_input_and_zero_for_an_empty_query() -> None:
    engine = LocalLanguageModel()

    assert engine.rerank("kitten", PASSAGES) == engine.rerank("kitten", PASSAGES)
    assert engine.rerank("the of and", PASSAGES) == [0.0, 0.0, 0.0]


def test_openai_rerank_reads_the_models_ranking_best_first(
    fake: FakeEndpoint, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake, "answer", lambda body: completion(body, '{"ranking": [3, 1, 9]}'))

    scores = adapter(fake, settings).rerank("anything", PASSAGES)

    assert scores == pytest.approx([2 / 3, 0.0, 1.0])
    (sent,) = fake.requests
    assert (
        json.loads(sent["messages"][-1]["content"])["passages"][1]["then"] == PASSAGES[1].follower
    )


@pytest.mark.parametrize("content", ["Passage 3 is best.", '{"ranking": "3"}', '{"ranking": []}'])
def test_a_ranking_that_is_not_one_is_service_unavailable(
    fake: FakeEndpoint, settings: Settings, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    monkeypatch.setattr(fake, "answer", lambda body: completion(body, content))

    with pytest.raises(ServiceUnavailable):
        adapter(fake, settings).rerank("anything", PASSAGES)


def test_a_failing_rerank_is_not_retried(fake: FakeEndpoint, settings: Settings) -> None:
    fake.script.append((503, {}))

    with pytest.raises(ServiceUnavailable, match="503"):
        adapter(fake, settings).rerank("anything", PASSAGES)

    assert len(fake.requests) == 1
