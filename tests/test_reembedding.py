"""Re-embedding: items written by an old embedding model are rewritten with the current one."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from dotline import bootstrap
from dotline.adapters.postgres_vectors import PostgresVectors
from dotline.adapters.wordllama_embeddings import WordLlamaEmbedder
from dotline.db import Database
from dotline.ports.vectors import KnowledgeItem
from dotline.services.memories.reembedding import embedding_text, reembed_stale
from dotline.settings import Settings
from dotline_local.cli import main

TEXTS = {
    "Puppy": "I adopted a puppy",
    "Taxes": "quarterly tax filing",
    "Garden": "tomatoes ripened",
}


class OldEmbedder:
    """The 'previous model': 8 deterministic dimensions from a hash of the text."""

    model_version = "fake-hash-8@1"
    dimensions = 8

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = []
        for text in texts:
            raw = np.frombuffer(hashlib.sha256(text.encode()).digest()[:8], dtype=np.uint8)
            v = raw.astype(np.float64) + 1.0
            vectors.append([float(x) for x in v / np.linalg.norm(v)])
        return vectors


@pytest.fixture
def store(settings: Settings) -> Iterator[PostgresVectors]:
    db = Database(settings)
    yield PostgresVectors(db)
    db.close()


@pytest.fixture
def owner(make_user: Callable[..., Any], store: PostgresVectors) -> Iterator[uuid.UUID]:
    user_id: uuid.UUID = make_user().user_id
    yield user_id
    store.erase_user(user_id)


def write_with(store: PostgresVectors, embedder: Any, user_id: uuid.UUID) -> list[KnowledgeItem]:
    items = []
    for title, text in TEXTS.items():
        (vector,) = embedder.embed([embedding_text(title, text)])
        items.append(
            KnowledgeItem(
                item_id=uuid.uuid4(),
                user_id=user_id,
                source_entity_type="memory_unit",
                source_entity_id=uuid.uuid4(),
                title=title,
                text=text,
                created_at=datetime(2026, 2, 2, tzinfo=UTC),
                model_version=embedder.model_version,
                version=3,
                vector=vector,
            )
        )
    store.upsert(items)
    return items


def test_items_of_the_old_model_are_re_embedded_with_the_current_one(
    store: PostgresVectors, owner: uuid.UUID
) -> None:
    new = WordLlamaEmbedder()
    write_with(store, OldEmbedder(), owner)
    assert len(store.stale(new.model_version, 10, user_ids=[owner])) == 3

    rewritten = reembed_stale(store, new, batch=2)

    assert rewritten >= 3
    assert store.stale(new.model_version, 10, user_ids=[owner]) == []
    (query,) = new.embed(["my new dog"])
    hits = store.search(owner, query, limit=3)
    assert hits[0].title == "Puppy"
    assert len(hits) == 3  # every item now has the new model's 256 dimensions
    assert len(store.stale(OldEmbedder.model_version, 10, user_ids=[owner])) == 3


def test_a_newer_write_during_re_embedding_is_kept(
    store: PostgresVectors, owner: uuid.UUID
) -> None:
    new = WordLlamaEmbedder()
    (item, *_) = write_with(store, OldEmbedder(), owner)

    class RacingStore:
        """Lets the app write version 4 of the item right after the job read version 3."""

        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        def stale(self, model_version: str, limit: int = 500) -> list[KnowledgeItem]:
            found = store.stale(model_version, limit)
            if any(i.item_id == item.item_id for i in found):
                (vector,) = new.embed(["edited by the user"])
                store.upsert(
                    [
                        item.model_copy(
                            update={
                                "version": 4,
                                "text": "edited",
                                "vector": vector,
                                "model_version": new.model_version,
                            }
                        )
                    ]
                )
            return found

    reembed_stale(RacingStore(), new)  # type: ignore[arg-type]

    (query,) = new.embed(["edited by the user"])
    assert store.search(owner, query, limit=1)[0].text == "edited"


def test_the_cli_re_embeds_through_the_wired_stores(
    store: PostgresVectors, owner: uuid.UUID, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    new = WordLlamaEmbedder()
    write_with(store, OldEmbedder(), owner)
    deps = bootstrap.Deps(settings)
    deps.__dict__.update(vectors=store, embedder=new)  # what the cached properties would hold
    bootstrap.use(deps)
    try:
        code = main(["vectors", "reembed", "--batch", "50"])
    finally:
        bootstrap.use(None)

    assert code == 0
    assert f"with {new.model_version}" in capsys.readouterr().out
    assert store.stale(new.model_version, 10, user_ids=[owner]) == []
