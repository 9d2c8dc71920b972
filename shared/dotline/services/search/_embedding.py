"""The query's embedding, computed once per search: the vector channel and the knowledge channel
both embed the query, and a remote embedding endpoint should see one request for it."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from dotline.errors import ServiceUnavailable
from dotline.ports.embeddings import Embedder


class OncePerText:
    """An Embedder for one search that embeds each distinct text once; a thread asking for a
    text another thread is embedding waits for that result, or for its failure (an endpoint
    that is down is waited for once per search, not once per channel)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._lock = threading.Lock()
        self._vectors: dict[str, list[float]] = {}
        self._failed: ServiceUnavailable | None = None

    @property
    def model_version(self) -> str:
        """Names the model and its revision; stored beside every vector."""
        return self._embedder.model_version

    @property
    def dimensions(self) -> int:
        """The length of every vector this embedder returns."""
        return self._embedder.dimensions

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One L2-normalised vector per text, in order."""
        with self._lock:
            missing = [text for text in dict.fromkeys(texts) if text not in self._vectors]
            if missing and self._failed is not None:
                raise self._failed
            if missing:
                try:
                    vectors = self._embedder.embed(missing)
                except ServiceUnavailable as exc:
                    self._failed = exc
                    raise
                self._vectors.update(zip(missing, vectors, strict=True))
            return [self._vectors[text] for text in texts]
