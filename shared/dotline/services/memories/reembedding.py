"""Re-embedding: bring every stored vector to the current embedding model, a batch at a time."""

from __future__ import annotations

from uuid import UUID

from dotline.ports.embeddings import Embedder
from dotline.ports.vectors import KnowledgeItem, VectorStore

DEFAULT_BATCH = 200


def embedding_text(title: str | None, text: str) -> str:
    """What an item's vector is made from: its title, then its text."""
    return f"{title}\n{text}" if title else text


def reembed_stale(vectors: VectorStore, embedder: Embedder, batch: int = DEFAULT_BATCH) -> int:
    """Re-embed items whose model_version is not the embedder's; returns how many were rewritten.

    Each item keeps its version, so a write that raced ahead with a newer version wins. An item
    handed back again after its rewrite (its upsert lost to an older-model writer) is left for the
    next run rather than looping.
    """
    done: set[UUID] = set()
    while True:
        items = [i for i in vectors.stale(embedder.model_version, batch) if i.item_id not in done]
        if not items:
            return len(done)
        vectors.upsert(_reembedded(items, embedder))
        done.update(i.item_id for i in items)


def _reembedded(items: list[KnowledgeItem], embedder: Embedder) -> list[KnowledgeItem]:
    new_vectors = embedder.embed([embedding_text(i.title, i.text) for i in items])
    return [
        i.model_copy(update={"vector": v, "model_version": embedder.model_version})
        for i, v in zip(items, new_vectors, strict=True)
    ]
