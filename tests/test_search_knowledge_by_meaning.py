"""GET /v1/search's knowledge by meaning through the real gateway, Postgres and embedded vector
index: coaching knowledge embedded into the catalogue's tenant (as the outbox delivery embeds it)
is found by a question sharing no word with it, only in the caller's apps, and fused with the
words when they match too."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest

from coaching_catalogue import add_app, add_knowledge_base
from dotline.adapters.wordllama_embeddings import WordLlamaEmbedder
from dotline.bootstrap import Deps
from dotline.services.mirroring.knowledge_entries import CATALOGUE_TENANT, ITEM_TYPE, entry_item

HYDRATION = ("Hydration", "Drink water and electrolytes before a marathon.")
PARAPHRASE = "thirsty"  # no word of the entry's


@pytest.fixture
def embed_entries(pg: psycopg.Connection[Any], ports: Deps) -> Iterator[Any]:
    """Embed entries into the catalogue's tenant; each is removed from it after the test (the
    tenant is shared by every test: left there, copies would crowd its nearest)."""
    embedded: list[str] = []

    def embed(*entry_ids: str) -> None:
        for entry_id in entry_ids:
            row = pg.execute(
                "select to_jsonb(e.*) from knowledge_entries e where knowledge_entry_id = %s",
                (entry_id,),
            ).fetchone()
            assert row is not None
            ports.vectors.upsert([entry_item(row[0], ports.embedder, 1)])
            embedded.append(entry_id)

    yield embed
    ports.vectors.delete_many(CATALOGUE_TENANT, ITEM_TYPE, [UUID(e) for e in embedded])


@pytest.fixture
def slow_api(gateway: str) -> Iterator[httpx.Client]:
    """The gateway with room for the search function's cold start."""
    with httpx.Client(base_url=gateway, timeout=60) as client:
        yield client


def join(api: httpx.Client, user: Any, app_id: str) -> None:
    started = api.post("/v1/conversations", json={"app_id": app_id}, headers=user.headers)
    assert started.status_code == 201, started.text


def hits(api: httpx.Client, user: Any, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/v1/search", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_a_question_with_no_word_of_the_entry_finds_it_by_meaning(
    slow_api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], embed_entries: Any
) -> None:
    # given an entry of the caller's app, embedded, and an unrelated one
    user = make_user()
    mine, _ = add_app(pg)
    entry, budget = add_knowledge_base(
        pg, mine, [HYDRATION, ("Budgeting", "Track monthly expenses in a spreadsheet.")]
    )
    embed_entries(entry, budget)
    join(slow_api, user, mine)
    # when the question shares no word with it, with and without the type
    found = hits(slow_api, user, q=PARAPHRASE)
    knowledge = hits(slow_api, user, q=PARAPHRASE, types="knowledge")
    # then it comes first, found by its meaning alone
    assert found[0]["entity_id"] == entry
    assert (found[0]["entity_type"], found[0]["app_id"]) == ("knowledge", mine)
    assert found[0]["why"]["channels"] == ["vector"]
    assert found[0]["why"]["vector_similarity"] > 0.55
    assert found[0]["why"]["matched_terms"] == []
    assert knowledge[0]["entity_id"] == entry


def test_knowledge_of_an_app_the_caller_is_not_in_never_comes_back_by_meaning(
    slow_api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], embed_entries: Any
) -> None:
    # given the same entry in an app the caller is in and in one they are not, both embedded
    user, outsider = make_user(), make_user()
    mine, _ = add_app(pg)
    theirs, _ = add_app(pg)
    [entry] = add_knowledge_base(pg, mine, [HYDRATION])
    [foreign] = add_knowledge_base(pg, theirs, [HYDRATION])
    embed_entries(entry, foreign)
    join(slow_api, user, mine)
    # when the caller, and a person in no app, search by meaning
    found = [hit["entity_id"] for hit in hits(slow_api, user, q=PARAPHRASE, types="knowledge")]
    in_theirs = hits(slow_api, user, q=PARAPHRASE, app_id=theirs)
    outside = hits(slow_api, outsider, q=PARAPHRASE)
    # then only the caller's app's entry comes back
    assert found == [entry]
    assert in_theirs == []
    assert outside == []


def test_an_entry_found_by_words_and_meaning_is_one_hit_of_both_channels(
    slow_api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], embed_entries: Any
) -> None:
    user = make_user()
    mine, _ = add_app(pg)
    [entry] = add_knowledge_base(pg, mine, [HYDRATION])
    embed_entries(entry)
    join(slow_api, user, mine)

    found = hits(slow_api, user, q="marathon hydration", types="knowledge")

    assert [hit["entity_id"] for hit in found] == [entry]
    assert found[0]["why"]["channels"] == ["vector", "text"]
    assert found[0]["why"]["matched_terms"] == ["marathon", "hydration"]


def test_a_memory_filter_leaves_knowledge_out_of_the_meaning_channel_too(
    slow_api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], embed_entries: Any
) -> None:
    user = make_user()
    mine, _ = add_app(pg)
    [entry] = add_knowledge_base(pg, mine, [HYDRATION])
    embed_entries(entry)
    join(slow_api, user, mine)

    assert [hit["entity_id"] for hit in hits(slow_api, user, q=PARAPHRASE)] == [entry]
    assert hits(slow_api, user, q=PARAPHRASE, tags="running") == []
    assert hits(slow_api, user, q=PARAPHRASE, evolution_state="seed") == []


class CountingEmbeddings:
    """An OpenAI-compatible embeddings endpoint (WordLlama behind it) that counts the texts it
    is asked to embed."""

    def __init__(self) -> None:
        embedder = WordLlamaEmbedder()
        texts: list[str] = []
        self.texts = texts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                asked = json.loads(self.rfile.read(int(self.headers["content-length"])))["input"]
                asked = [asked] if isinstance(asked, str) else asked
                texts.extend(asked)
                data = [
                    {"object": "embedding", "index": i, "embedding": vector}
                    for i, vector in enumerate(embedder.embed(asked))
                ]
                body = json.dumps({"object": "list", "data": data, "model": "m"}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def counting_embeddings() -> Iterator[CountingEmbeddings]:
    endpoint = CountingEmbeddings()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()


def test_the_query_is_embedded_once_for_memories_and_knowledge(
    start_gateway: Any, make_user: Any, counting_embeddings: CountingEmbeddings
) -> None:
    # given a search function embedding through an endpoint
    user = make_user()
    gateway = start_gateway({"EMBEDDINGS_URL": counting_embeddings.url})
    with httpx.Client(base_url=gateway, timeout=60) as client:
        warm = client.get("/v1/search", params={"q": "warm up"}, headers=user.headers)
        assert warm.status_code == 200, warm.text
        before = len(counting_embeddings.texts)
        # when one search looks through memories and knowledge by meaning
        response = client.get("/v1/search", params={"q": PARAPHRASE}, headers=user.headers)
    # then the endpoint was asked for the query's vector once
    assert response.status_code == 200, response.text
    assert counting_embeddings.texts[before:] == [PARAPHRASE]
