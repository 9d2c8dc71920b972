"""Reranking on an OpenAI-compatible `/chat/completions` endpoint: the request (JSON mode, the
numbered passages as the user turn) and the reading of its ranking into one relevance a passage."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from dotline.errors import ServiceUnavailable
from dotline.ports.language_model import RerankPassage

MAX_TOKENS = 300
PASSAGE_CHARS = 600  # of a passage (and of the turn after it) shown to the model
INSTRUCTIONS = """You rank passages from one person's memories by how well they answer a question.
The user message is JSON: {"question": ..., "passages": [{"n": number, "text": ..., "then": the
turn said right after it, if known}]}. A passage answers when it (or the turn after it) states
what the question asks. Answer with one JSON object: {"ranking": [the n of every passage that
helps answer, most useful first]}."""


def rerank_request(model: str, query: str, passages: Sequence[RerankPassage]) -> dict[str, Any]:
    """The chat completion body asking for the passages' ranking as a JSON object."""
    shown = [
        {"n": n, "text": p.text[:PASSAGE_CHARS]}
        | ({"then": p.follower[:PASSAGE_CHARS]} if p.follower else {})
        for n, p in enumerate(passages, start=1)
    ]
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": json.dumps({"question": query, "passages": shown})},
        ],
        "max_tokens": MAX_TOKENS,
        "temperature": 0.0,
        "response_format": {"type": "json_object"},
    }


def read_ranking(data: dict[str, Any], count: int) -> list[float]:
    """One relevance a passage from the model's ranking: 1 for its first, falling evenly; 0 for
    a passage it left out. ServiceUnavailable when the answer is not a ranking."""
    try:
        ranking = json.loads(data["choices"][0]["message"]["content"] or "")["ranking"]
        if not isinstance(ranking, list):
            raise TypeError("the ranking is not a list")
        numbers = [int(n) for n in ranking if not isinstance(n, bool)]
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise ServiceUnavailable("The language model's ranking was malformed.") from exc
    listed = list(dict.fromkeys(n for n in numbers if 1 <= n <= count))
    if not listed and count:
        raise ServiceUnavailable("The language model ranked none of the passages.")
    relevance = [0.0] * count
    for place, n in enumerate(listed):
        relevance[n - 1] = 1.0 - place / count
    return relevance
