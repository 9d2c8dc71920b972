"""Insight synthesis on an OpenAI-compatible `/chat/completions` endpoint: the request (JSON mode,
the brief as the user turn) and the reading of its answer into the port's result."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from dotline.errors import ServiceUnavailable
from dotline.ports.insight_synthesis import (
    MAX_PROMPTS,
    MAX_THEMES,
    InsightBrief,
    InsightSynthesis,
)

MAX_TOKENS = 800
TEMPERATURE = 0.4
INSTRUCTIONS = f"""You are the insight engine of a personal memory and growth companion.
The user message is a JSON brief of one person's activity since their last cycle: conversations,
memories, growth per dimension, the central concepts and communities of their knowledge graph.
Write only from the brief; invent no names, events or numbers. Answer with one JSON object:
{{"title": short title, "summary": 2-5 warm sentences addressed to the person ("you"),
"themes": up to 5 short themes, "prompts": up to {MAX_PROMPTS} open questions to ask them next}}."""


def insight_request(model: str, brief: InsightBrief) -> dict[str, Any]:
    """The chat completion body asking for a synthesis of `brief` as a JSON object."""
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": brief.model_dump_json()},
        ],
        "max_tokens": MAX_TOKENS,
        "temperature": TEMPERATURE,
        "response_format": {"type": "json_object"},
    }


def read_insight_answer(data: dict[str, Any], model: str) -> InsightSynthesis:
    """The synthesis in a chat completion; ServiceUnavailable when it is not one."""
    try:
        content = data["choices"][0]["message"]["content"] or ""
        answer = json.loads(content)
        for key, most in (("prompts", MAX_PROMPTS), ("themes", MAX_THEMES)):
            if isinstance(answer.get(key), list):
                answer[key] = answer[key][:most]  # a model that says too much is not wrong
        answer["model"] = str(data.get("model") or model)
        return InsightSynthesis.model_validate(answer)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError, ValidationError) as exc:
        raise ServiceUnavailable("The language model's insight synthesis was malformed.") from exc
