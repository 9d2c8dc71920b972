"""The embeddings port on an OpenAI-compatible `/embeddings` endpoint, over httpx.

Inputs go in batches of BATCH_SIZE per request; each request is retried with capped exponential
backoff on 408/429/5xx and transport errors (a longer Retry-After wins). Every failure reaches
the caller as ServiceUnavailable.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import httpx

from dotline.adapters.openai_compatible import BACKOFF_BASE_S, ModelEndpoint, bounded_client
from dotline.errors import ServiceUnavailable
from dotline.settings import Settings

BATCH_SIZE = 96
MAX_ATTEMPTS = 4


class OpenAIEmbedder(ModelEndpoint):
    """Embeddings from a remote model; vectors re-normalised to unit length on arrival."""

    MAX_ATTEMPTS = MAX_ATTEMPTS
    BACKOFF_MAX_S = 8.0

    def __init__(
        self,
        client: httpx.Client,
        model: str,
        *,
        batch_size: int = BATCH_SIZE,
        max_attempts: int | None = None,
        backoff_base_s: float = BACKOFF_BASE_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            client, model, max_attempts=max_attempts, backoff_base_s=backoff_base_s, sleep=sleep
        )
        self._batch_size = batch_size
        self._dimensions: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIEmbedder:
        """A client for `embeddings_url` (e.g. https://api.openai.com/v1) with its API key."""
        if not settings.embeddings_url:
            raise ValueError("embeddings_url is not set")
        client = bounded_client(
            settings.embeddings_url, settings.embeddings_api_key, settings.http_timeout_s
        )
        return cls(client, settings.embeddings_model)

    @property
    def model_version(self) -> str:
        """Names the model and its revision; stored beside every vector."""
        return f"openai-compatible:{self._model}"

    @property
    def dimensions(self) -> int:
        """The length of every vector this embedder returns (asks the endpoint once)."""
        if self._dimensions is None:
            self.embed(["dimensions probe"])
        assert self._dimensions is not None
        return self._dimensions

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One L2-normalised vector per text, in order; ServiceUnavailable when the endpoint fails."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            vectors.extend(self._embed_batch(batch))
        return vectors

    def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        data = self._retrying.post(
            self._client,
            "embeddings",
            {"model": self._model, "input": batch},
            what="The embeddings endpoint",
        )
        try:
            ordered = sorted(data["data"], key=lambda d: int(d["index"]))
            vectors = [_unit([float(x) for x in d["embedding"]]) for d in ordered]
        except (KeyError, TypeError, ValueError) as exc:
            raise ServiceUnavailable("The embeddings answer was malformed.") from exc
        if len(vectors) != len(batch) or len({len(v) for v in vectors}) != 1:
            raise ServiceUnavailable("The embeddings answer did not match the inputs.")
        self._dimensions = len(vectors[0])
        return vectors


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0 or not math.isfinite(norm):
        raise ValueError("a zero or non-finite embedding")
    return [x / norm for x in vector]
