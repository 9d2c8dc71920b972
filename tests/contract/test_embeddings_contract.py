"""The embeddings port's contract: WordLlama in-process, the OpenAI-compatible adapter against a
local fake server speaking the same protocol, and a real endpoint when EMBEDDINGS_URL is set.
Then the remote adapter's own behaviour: batching, retries, Retry-After, timeouts, order."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import pytest
from fake_openai_server import FakeEndpoint, serving

from dotline.adapters.openai_embeddings import OpenAIEmbedder
from dotline.adapters.wordllama_embeddings import WordLlamaEmbedder
from dotline.errors import ServiceUnavailable
from dotline.ports.embeddings import Embedder
from dotline.settings import Settings
from python_probes import run_python

FAKE_KEY = "fake-embeddings-key"
WORDLLAMA = WordLlamaEmbedder()

# --- a local server speaking OpenAI's embeddings protocol ----------------------------------------


def embed_like_openai(body: dict[str, Any]) -> dict[str, Any]:
    """WordLlama vectors, scaled off unit length and in reverse order: the client must fix both."""
    vectors = np.asarray(WORDLLAMA.embed(body["input"])) * 3.0
    data = [
        {"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)
    ]
    return {"object": "list", "data": data[::-1], "model": body["model"]}


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeEndpoint]:
    with serving(FakeEndpoint("/v1/embeddings", FAKE_KEY, embed_like_openai)) as fake:
        yield fake


@pytest.fixture
def fake(fake_server: FakeEndpoint) -> FakeEndpoint:
    fake_server.script.clear()
    fake_server.requests.clear()
    return fake_server


@dataclass
class Sleeps:
    delays: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def remote(fake: FakeEndpoint, timeout_s: float = 5.0, **options: Any) -> OpenAIEmbedder:
    settings = Settings(
        embeddings_url=fake.url,
        embeddings_api_key=FAKE_KEY,
        embeddings_model="fake-embedding-1",
        http_timeout_s=timeout_s,
    )
    embedder = OpenAIEmbedder.from_settings(settings)
    if not options:
        return embedder
    return OpenAIEmbedder(embedder._client, "fake-embedding-1", **options)


# --- the contract, for every adapter -------------------------------------------------------------


@pytest.fixture(params=["wordllama", "openai-fake", "openai-real"])
def embedder(request: pytest.FixtureRequest, fake_server: FakeEndpoint) -> Embedder:
    if request.param == "wordllama":
        return WORDLLAMA
    if request.param == "openai-fake":
        fake_server.script.clear()
        return remote(fake_server)
    if not os.environ.get("EMBEDDINGS_URL"):
        pytest.skip("EMBEDDINGS_URL not set: no real embeddings endpoint to test against")
    return OpenAIEmbedder.from_settings(Settings())


def cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b))


def test_vectors_have_unit_length_and_the_stated_dimensions(embedder: Embedder) -> None:
    vectors = embedder.embed(["I adopted a puppy", "quarterly tax filing", "a"])

    assert len(vectors) == 3
    assert {len(v) for v in vectors} == {embedder.dimensions}
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_the_same_text_gets_the_same_vector_alone_or_in_a_batch(embedder: Embedder) -> None:
    alone = embedder.embed(["my new dog"])[0]
    batched = embedder.embed(["something else entirely, and longer", "my new dog"])[1]

    assert np.allclose(alone, batched, atol=1e-5)


def test_related_texts_score_higher_than_unrelated_ones(embedder: Embedder) -> None:
    puppy, dog, taxes = embedder.embed(["I adopted a puppy", "my new dog", "quarterly tax filing"])

    assert cosine(puppy, dog) > cosine(puppy, taxes) + 0.1


def test_no_texts_make_no_vectors(embedder: Embedder) -> None:
    assert embedder.embed([]) == []


def test_model_version_names_the_model(embedder: Embedder) -> None:
    assert embedder.model_version and embedder.model_version == embedder.model_version.strip()


# --- WordLlama specifics -------------------------------------------------------------------------


def test_wordllama_names_its_config_dimensions_and_package_version() -> None:
    from importlib.metadata import version

    assert WORDLLAMA.model_version == f"wordllama-l2_supercat-256@{version('wordllama')}"
    assert WORDLLAMA.dimensions == 256


def test_wordllama_gives_an_empty_text_a_unit_vector() -> None:
    (vector,) = WORDLLAMA.embed([""])

    assert np.isclose(np.linalg.norm(vector), 1.0)


def test_wordllama_loads_from_its_wheel_with_no_network(tmp_path: Any) -> None:
    probe = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from dotline.adapters.wordllama_embeddings import WordLlamaEmbedder\n"
        "print(len(WordLlamaEmbedder().embed(['offline'])[0]))\n"
    )
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path),
    }

    done = run_python(probe, env)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "256"
    assert list(tmp_path.iterdir()) == []  # nothing cached under the home directory


# wordllama calls logging.basicConfig(level=INFO) on import: in a process without a root handler of
# its own every library's INFO line went to stderr, and ours twice. The local gateway's containers
# are threads, so several can load their model at once, one arriving while another's import is
# under way (it takes most of a second).
ONE_LOAD = "WordLlamaEmbedder().embed(['quiet'])\n"
LOADS_AT_ONCE = (
    "import threading, time\n"
    "def load(delay):\n"
    "    time.sleep(delay)\n"
    "    WordLlamaEmbedder().embed(['at once'])\n"
    "threads = [threading.Thread(target=load, args=(n * 0.05,)) for n in range(12)]\n"
    "[t.start() for t in threads]\n"
    "[t.join() for t in threads]\n"
)


@pytest.mark.parametrize("loading", [ONE_LOAD, LOADS_AT_ONCE], ids=["one load", "loads at once"])
def test_loading_wordllama_leaves_the_root_logger_as_it_was(loading: str) -> None:
    probe = (
        "import logging\n"
        "from dotline.adapters.wordllama_embeddings import WordLlamaEmbedder\n"
        + loading
        + "root = logging.getLogger()\n"
        "print(len(root.handlers), logging.getLevelName(root.level))\n"
    )

    done = run_python(probe)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "WARNING"]


# --- the OpenAI-compatible adapter's behaviour ---------------------------------------------------


def test_inputs_are_sent_in_batches_and_come_back_in_order(fake: FakeEndpoint) -> None:
    texts = [f"text number {i}" for i in range(150)]

    vectors = remote(fake, batch_size=64).embed(texts)

    assert [len(r["input"]) for r in fake.requests] == [64, 64, 22]
    assert np.allclose(vectors, WORDLLAMA.embed(texts), atol=1e-5)


def test_the_default_batch_is_96_inputs(fake: FakeEndpoint) -> None:
    remote(fake).embed(["x"] * 100)

    assert [len(r["input"]) for r in fake.requests] == [96, 4]
    assert fake.requests[0]["model"] == "fake-embedding-1"


def test_a_500_is_retried_and_then_succeeds(fake: FakeEndpoint) -> None:
    fake.script.append((500, {}))
    sleeps = Sleeps()

    vectors = remote(fake, sleep=sleeps, backoff_base_s=0.01).embed(["hello"])

    assert len(fake.requests) == 2
    assert sleeps.delays == [0.01]
    assert np.allclose(vectors, WORDLLAMA.embed(["hello"]), atol=1e-5)


def test_a_429_waits_as_long_as_retry_after_asks(fake: FakeEndpoint) -> None:
    fake.script.append((429, {"Retry-After": "2"}))
    sleeps = Sleeps()

    remote(fake, sleep=sleeps, backoff_base_s=0.01).embed(["hello"])

    assert sleeps.delays == [2.0]
    assert len(fake.requests) == 2


def test_a_timeout_becomes_service_unavailable_after_the_last_attempt(fake: FakeEndpoint) -> None:
    fake.script.extend([("stall", {"seconds": "1"})] * 2)
    embedder = remote(fake, timeout_s=0.2, max_attempts=2, sleep=Sleeps())

    with pytest.raises(ServiceUnavailable):
        embedder.embed(["hello"])
    assert len(fake.requests) == 2


def test_persistent_5xx_becomes_service_unavailable(fake: FakeEndpoint) -> None:
    fake.script.extend([(503, {})] * 3)

    with pytest.raises(ServiceUnavailable) as raised:
        remote(fake, max_attempts=3, sleep=Sleeps()).embed(["hello"])
    assert raised.value.extensions["upstream_status"] == 503


def test_a_client_error_is_not_retried(fake: FakeEndpoint) -> None:
    fake.script.append((400, {}))

    with pytest.raises(ServiceUnavailable):
        remote(fake, sleep=Sleeps()).embed(["hello"])
    assert len(fake.requests) == 1


def test_an_unreachable_endpoint_becomes_service_unavailable() -> None:
    client = httpx.Client(base_url="http://127.0.0.1:9/v1/", timeout=0.5)
    embedder = OpenAIEmbedder(client, "m", max_attempts=2, sleep=Sleeps())

    with pytest.raises(ServiceUnavailable):
        embedder.embed(["hello"])


def test_dimensions_are_learnt_from_the_endpoint(fake: FakeEndpoint) -> None:
    assert remote(fake).dimensions == 256
