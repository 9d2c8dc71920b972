"""The language model port: a chat completion grounded in what the caller hands it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from pydantic import BaseModel


class ChatMessage(BaseModel):
    """One turn of the prompt."""

    role: Literal["system", "user", "assistant"]
    content: str


class Completion(BaseModel):
    """What the model answered, and what it cost."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    confidence: float | None = None


class LanguageModel(Protocol):
    """Answers a conversation."""

    def complete(
        self, messages: Sequence[ChatMessage], *, max_tokens: int = 512, temperature: float = 0.3
    ) -> Completion:
        """The next assistant turn for `messages`."""
