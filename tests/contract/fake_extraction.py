"""An extraction answered the way an OpenAI-compatible model would, by the local rule extractor.

The fake server reads the numbered transcript `extraction_messages` sends, runs the embedded
extractor over it and answers its memories in the wire format (`turn` numbers, not ids), so the
OpenAI adapter can be checked to read back exactly what the local extractor found.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from dotline.adapters.local_extraction import extract_conversation
from dotline.ports.language_model import Turn

_LINE = re.compile(r"^\[(?P<n>\d+)\] (?P<role>system|user|assistant): (?P<content>.*)$")
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def is_extraction(body: dict[str, Any]) -> bool:
    """Whether a chat completion request asks for an extraction (JSON mode)."""
    return (body.get("response_format") or {}).get("type") == "json_object"


def wire_extraction(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON object a model would answer the request with."""
    transcript = body["messages"][-1]["content"].split("\n")
    turns: list[Turn] = []
    for line in transcript:
        match = _LINE.match(line)
        if match:
            n = int(match["n"])
            turns.append(
                Turn(
                    message_id=uuid.UUID(int=n + 1), role=match["role"],  # type: ignore[arg-type]
                    content=match["content"], created_at=_EPOCH + timedelta(seconds=n),
                )
            )  # fmt: skip
    extraction = extract_conversation(turns)
    memories = []
    for memory in extraction.memories:
        item = memory.model_dump(mode="json", exclude={"message_id"})
        memories.append({"turn": memory.message_id.int - 1, **item})
    return {"memories": memories}


def completion(body: dict[str, Any], content: str) -> dict[str, Any]:
    """A chat completion answering `content`, in OpenAI's response shape."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def answer_extraction(body: dict[str, Any]) -> dict[str, Any]:
    """The whole chat completion for an extraction request."""
    return completion(body, json.dumps(wire_extraction(body)))
