"""The language model port on an OpenAI-compatible `/chat/completions` endpoint, over httpx."""

from __future__ import annotations

import time
from collections.abc import Sequence

from dotline.adapters.openai_compatible import ModelEndpoint, Retrying, bounded_client
from dotline.adapters.openai_extraction import (
    EXTRACTION_MAX_TOKENS,
    extraction_messages,
    read_extraction,
)
from dotline.adapters.openai_insight_synthesis import insight_request, read_insight_answer
from dotline.adapters.openai_reranking import read_ranking, rerank_request
from dotline.errors import ServiceUnavailable
from dotline.ports.insight_synthesis import InsightBrief, InsightSynthesis
from dotline.ports.language_model import (
    ChatMessage,
    Completion,
    Extraction,
    RerankPassage,
    Turn,
)
from dotline.settings import Settings

MAX_ATTEMPTS = 3


class OpenAILanguageModel(ModelEndpoint):
    """Chat completions with bounded timeouts and a few retries on 429, 5xx and transport errors."""

    MAX_ATTEMPTS = MAX_ATTEMPTS
    BACKOFF_MAX_S = 4.0

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAILanguageModel:
        """A client for `llm_url` (e.g. https://api.openai.com/v1) with `llm_api_key`."""
        if not settings.llm_url:
            raise ValueError("llm_url is not set")
        client = bounded_client(settings.llm_url, settings.llm_api_key, settings.http_timeout_s)
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
        data = self._retrying.post(
            self._client, "chat/completions", body, what="The language model"
        )
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

    def extract(self, turns: Sequence[Turn]) -> Extraction:
        """Memories from the person's turns as JSON (validated); ServiceUnavailable on failure."""
        body = {
            "model": self._model,
            "messages": extraction_messages(turns),
            "max_tokens": EXTRACTION_MAX_TOKENS,
            "temperature": 0.0,
            "response_format": {"type": "json_object"},
        }
        data = self._retrying.post(
            self._client, "chat/completions", body, what="The language model"
        )
        return read_extraction(data, turns, self._model)

    def synthesize_insights(self, brief: InsightBrief) -> InsightSynthesis:
        """The model's summary and prompts for a brief (JSON mode); ServiceUnavailable on failure."""
        data = self._retrying.post(
            self._client, "chat/completions", insight_request(self._model, brief),
            what="The language model",
        )  # fmt: skip
        return read_insight_answer(data, self._model)

    def rerank(self, query: str, passages: Sequence[RerankPassage]) -> list[float]:
        """The model's ranking of the passages (JSON mode), asked once: a search waiting on it
        would rather keep its own order than retry. ServiceUnavailable on failure."""
        once = Retrying(1, self._retrying.backoff_base_s, 0.0, self._retrying.sleep)
        data = once.post(
            self._client, "chat/completions", rerank_request(self._model, query, passages),
            what="The language model",
        )  # fmt: skip
        return read_ranking(data, len(passages))
