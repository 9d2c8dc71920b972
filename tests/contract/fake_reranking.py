"""A reranking answered the way an OpenAI-compatible model would, by the local engine: the fake
server reads the question and passages from the request, scores them locally and answers the
ranking as JSON (passages scoring nothing left out, as a model leaves out what does not help)."""

from __future__ import annotations

import json
from typing import Any

from contract.fake_extraction import completion
from dotline.adapters.local_language_model import LocalLanguageModel
from dotline.adapters.openai_reranking import INSTRUCTIONS
from dotline.ports.language_model import RerankPassage


def is_rerank(body: dict[str, Any]) -> bool:
    """Whether a chat completion request asks for a reranking."""
    return bool(body.get("messages")) and body["messages"][0].get("content") == INSTRUCTIONS


def asked(body: dict[str, Any]) -> tuple[str, list[RerankPassage]]:
    """The question and the passages a reranking request carries."""
    shown = json.loads(body["messages"][-1]["content"])
    passages = [
        RerankPassage(text=p["text"], follower=p.get("then", "")) for p in shown["passages"]
    ]
    return shown["question"], passages


def answer_rerank(body: dict[str, Any]) -> dict[str, Any]:
    """The whole chat completion for a reranking request."""
    question, passages = asked(body)
    scores = LocalLanguageModel().rerank(question, passages)
    order = sorted(
        (n for n, s in enumerate(scores, start=1) if s > 0), key=lambda n: -scores[n - 1]
    )
    return completion(body, json.dumps({"ranking": order}))
