"""GET /v1/search with a language model configured (LLM_URL, an OpenAI-compatible fake on
localhost): the model's ranking reorders the head of the fused ranking, in one call; when the
model fails or is late the search still answers, in the fused order, naming "rerank" among the
unavailable channels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from contract.fake_extraction import completion
from contract.fake_openai_server import FakeEndpoint, serving
from contract.fake_reranking import asked
from dotline.services.search._rerank import RERANK_TIMEOUT_S
from test_search_api import hits, ids, remember  # noqa: F401  (fixtures)

FAKE_KEY = "fake-rerank-key"
MARK = "Zinnia"  # the fake model ranks the passages naming her first, and only them


def rank_the_marked(body: dict[str, Any]) -> dict[str, Any]:
    _question, passages = asked(body)
    marked = [n for n, p in enumerate(passages, start=1) if MARK in p.text + p.follower]
    return completion(body, json.dumps({"ranking": marked}))


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeEndpoint]:
    with serving(FakeEndpoint("/v1/chat/completions", FAKE_KEY, rank_the_marked)) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def llm_api(start_gateway: Any, fake: FakeEndpoint) -> Iterator[httpx.Client]:
    url = start_gateway({"LLM_URL": fake.url, "LLM_API_KEY": FAKE_KEY, "LLM_MODEL": "fake-4"})
    with httpx.Client(base_url=url, timeout=30) as client:
        yield client


@pytest.fixture
def kittens(
    make_user: Any, request: pytest.FixtureRequest, fake: FakeEndpoint
) -> tuple[Any, str, str]:
    """A person with two kitten memories: the better text match, and the one naming Zinnia."""
    store = request.getfixturevalue("remember")
    fake.script.clear()
    fake.requests.clear()
    user = make_user()
    best = store(user, "We adopted a kitten, the sweetest kitten at the adoption day")
    named = store(user, "Zinnia the kitten sleeps on my feet since the adoption")
    store(user, "The quarterly budget meeting ran late again")
    return user, best, named


def test_the_models_ranking_reorders_the_fused_head(
    api: httpx.Client, llm_api: httpx.Client, kittens: tuple[Any, str, str], fake: FakeEndpoint
) -> None:
    # Given the fused order (no model configured) puts the better text match first
    user, best, named = kittens
    assert ids(hits(api, user, q="kitten adoption"))[:2] == [best, named]

    # When the same search runs with a language model configured
    response = llm_api.get("/v1/search", params={"q": "kitten adoption"}, headers=user.headers)

    # Then the model's pick comes first, from one call carrying the question and the candidates
    assert response.status_code == 200, response.text
    assert ids(response.json()["items"])[:2] == [named, best]
    assert response.json()["unavailable_channels"] == []
    (call,) = fake.requests
    question, passages = asked(call)
    assert question == "kitten adoption"
    assert {p.text for p in passages} >= {
        "We adopted a kitten, the sweetest kitten at the adoption day",
        "Zinnia the kitten sleeps on my feet since the adoption",
    }


@pytest.mark.parametrize(
    "failure", [(503, {}), ("stall", {"seconds": str(RERANK_TIMEOUT_S + 1.5)}), ("drop", {})]
)
def test_a_failing_model_leaves_the_fused_order_and_names_the_stage(
    api: httpx.Client,
    llm_api: httpx.Client,
    kittens: tuple[Any, str, str],
    fake: FakeEndpoint,
    failure: tuple[Any, dict[str, str]],
) -> None:
    # Given a model that fails (an error, no answer in time, a dropped connection)
    user, _best, _named = kittens
    fused = ids(hits(api, user, q="kitten adoption"))
    fake.script.append(failure)

    # When the search runs
    response = llm_api.get("/v1/search", params={"q": "kitten adoption"}, headers=user.headers)

    # Then it answers in the fused order and says the rerank stage was unavailable
    assert response.status_code == 200, response.text
    assert ids(response.json()["items"]) == fused
    assert response.json()["unavailable_channels"] == ["rerank"]
