"""The embeddings port on an OpenAI-compatible `/embeddings` endpoint, over httpx.

Inputs go in batches of BATCH_SIZE per request; each request is retried with capped exponential
backoff on 408/429/5xx and transport errors (a longer Retry-After wins). Every failure reaches
the caller as ServiceUnavailable.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from dotline.errors import ServiceUnavailable
from dotline.settings import Settings

BATCH_SIZE = 96
CONNECT_TIMEOUT_S = 3.0
MAX_ATTEMPTS = 4
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 8.0
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class OpenAIEmbedder:
    """Embeddings from a remote model; vectors re-normalised to unit length on arrival."""

    def __init__(
        self,
        client: httpx.Client,
        model: str,
        *,
        batch_size: int = BATCH_SIZE,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base_s: float = BACKOFF_BASE_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._model = model
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._backoff_base_s = backoff_base_s
        self._sleep = sleep
        self._dimensions: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIEmbedder:
        """A client for `embeddings_url` (e.g. https://api.openai.com/v1) with its API key."""
        if not settings.embeddings_url:
            raise ValueError("embeddings_url is not set")
        headers = {}
        if settings.embeddings_api_key is not None:
            headers["Authorization"] = f"Bearer {settings.embeddings_api_key.get_secret_value()}"
        client = httpx.Client(
            base_url=settings.embeddings_url.rstrip("/") + "/",
            headers=headers,
            timeout=httpx.Timeout(settings.http_timeout_s, connect=CONNECT_TIMEOUT_S),
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
        data = self._post_with_retries({"model": self._model, "input": batch})
        try:
            ordered = sorted(data["data"], key=lambda d: int(d["index"]))
            vectors = [_unit([float(x) for x in d["embedding"]]) for d in ordered]
        except (KeyError, TypeError, ValueError) as exc:
            raise ServiceUnavailable("The embeddings answer was malformed.") from exc
        if len(vectors) != len(batch) or len({len(v) for v in vectors}) != 1:
            raise ServiceUnavailable("The embeddings answer did not match the inputs.")
        self._dimensions = len(vectors[0])
        return vectors

    def _post_with_retries(self, body: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(1, self._max_attempts + 1):
            last = attempt == self._max_attempts
            try:
                response = self._client.post("embeddings", json=body)
            except httpx.TransportError as exc:  # timeouts included
                if last:
                    raise ServiceUnavailable("The embeddings endpoint is unreachable.") from exc
                self._sleep(self._backoff(attempt, None))
                continue
            if response.is_success:
                try:
                    data: dict[str, Any] = response.json()
                except ValueError as exc:
                    raise ServiceUnavailable("The embeddings answer was not JSON.") from exc
                return data
            if last or response.status_code not in RETRYABLE_STATUSES:
                raise ServiceUnavailable(
                    f"The embeddings endpoint answered {response.status_code}.",
                    upstream_status=response.status_code,
                )
            self._sleep(self._backoff(attempt, response.headers.get("retry-after")))
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        delay: float = min(BACKOFF_MAX_S, self._backoff_base_s * 2.0 ** (attempt - 1))
        try:
            asked = float(retry_after) if retry_after else 0.0
        except ValueError:
            asked = 0.0
        return min(BACKOFF_MAX_S, max(delay, asked))


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0 or not math.isfinite(norm):
        raise ValueError("a zero or non-finite embedding")
    return [x / norm for x in vector]
