"""The language model port on an OpenAI-compatible `/chat/completions` endpoint, over httpx."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from dotline.errors import ServiceUnavailable
from dotline.ports.language_model import ChatMessage, Completion
from dotline.settings import Settings

CONNECT_TIMEOUT_S = 3.0
MAX_ATTEMPTS = 3
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 4.0
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class OpenAILanguageModel:
    """Chat completions with bounded timeouts and a few retries on 429, 5xx and transport errors."""

    def __init__(
        self,
        client: httpx.Client,
        model: str,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base_s: float = BACKOFF_BASE_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._model = model
        self._max_attempts = max_attempts
        self._backoff_base_s = backoff_base_s
        self._sleep = sleep

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAILanguageModel:
        """A client for `llm_url` (e.g. https://api.openai.com/v1) with `llm_api_key`."""
        if not settings.llm_url:
            raise ValueError("llm_url is not set")
        headers = {}
        if settings.llm_api_key is not None:
            headers["Authorization"] = f"Bearer {settings.llm_api_key.get_secret_value()}"
        client = httpx.Client(
            base_url=settings.llm_url,
            headers=headers,
            timeout=httpx.Timeout(settings.http_timeout_s, connect=CONNECT_TIMEOUT_S),
        )
        return cls(client, settings.llm_model)

    def complete(
        self, messages: Sequence[ChatMessage], *, max_tokens: int = 512, temperature: float = 0.3
    ) -> Completion:
        """The next assistant turn for `messages`; ServiceUnavailable when the endpoint fails."""
        body = {
            "model": self._model,
            "messages": [m.model_dump() for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        started = time.perf_counter()
        data = self._post_with_retries(body)
        latency_ms = (time.perf_counter() - started) * 1000
        try:
            usage = data.get("usage") or {}
            return Completion(
                text=data["choices"][0]["message"]["content"] or "",
                model=str(data.get("model") or self._model),
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
                latency_ms=latency_ms,
            )
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise ServiceUnavailable("The language model's answer was malformed.") from exc

    def _post_with_retries(self, body: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(1, self._max_attempts + 1):
            last = attempt == self._max_attempts
            try:
                response = self._client.post("chat/completions", json=body)
            except httpx.TransportError as exc:
                if last:
                    raise ServiceUnavailable("The language model is unreachable.") from exc
                self._sleep(self._backoff(attempt, None))
                continue
            if response.is_success:
                try:
                    data: dict[str, Any] = response.json()
                except ValueError as exc:
                    raise ServiceUnavailable("The language model's answer was not JSON.") from exc
                return data
            if last or response.status_code not in RETRYABLE_STATUSES:
                raise ServiceUnavailable(
                    f"The language model answered {response.status_code}.",
                    upstream_status=response.status_code,
                )
            self._sleep(self._backoff(attempt, response.headers.get("retry-after")))
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        # Exponential, capped; a server's Retry-After (seconds) wins when it asks for longer.
        delay: float = min(BACKOFF_MAX_S, self._backoff_base_s * 2.0 ** (attempt - 1))
        try:
            asked = float(retry_after) if retry_after else 0.0
        except ValueError:
            asked = 0.0
        return min(BACKOFF_MAX_S, max(delay, asked))
