"""An insight synthesis answered the way an OpenAI-compatible model would, by the local engine:
the fake server reads the brief from the request, synthesizes it locally and answers the JSON."""

from __future__ import annotations

import json
from typing import Any

from fake_extraction import completion

from dotline.adapters.local_insight_synthesis import synthesize
from dotline.adapters.openai_insight_synthesis import INSTRUCTIONS
from dotline.ports.insight_synthesis import InsightBrief


def is_insight_synthesis(body: dict[str, Any]) -> bool:
    """Whether a chat completion request asks for an insight synthesis."""
    return bool(body.get("messages")) and body["messages"][0].get("content") == INSTRUCTIONS


def answer_insights(body: dict[str, Any]) -> dict[str, Any]:
    """The whole chat completion for an insight synthesis request."""
    brief = InsightBrief.model_validate_json(body["messages"][-1]["content"])
    answer = synthesize(brief).model_dump(exclude={"model"})
    return completion(body, json.dumps(answer))
