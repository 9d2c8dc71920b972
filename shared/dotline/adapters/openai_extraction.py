"""Extraction through an OpenAI-compatible chat model: the JSON it is asked for and how it is read.

The transcript numbers the turns (`[3] user: ...`) and the model answers a JSON object whose
memories name their turn by that number (models copy small integers reliably, UUIDs less so).
The answer is validated against the port's models: an answer that is no JSON object with a
`memories` list is an error; a single memory that breaks the schema, or names a turn that is
not the person's, is dropped and logged; lists longer than the port keeps are cut.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from dotline.errors import ServiceUnavailable
from dotline.ports.language_model import (
    MAX_CONCEPTS,
    MAX_EMOTIONS,
    MAX_FACTS,
    MAX_TAGS,
    ExtractedMemory,
    Extraction,
    Turn,
)

logger = logging.getLogger(__name__)

# A model listing more than the port keeps is cut to size rather than dropped.
LIST_CAPS = {
    "concepts": MAX_CONCEPTS,
    "emotions": MAX_EMOTIONS,
    "tags": MAX_TAGS,
    "facts": MAX_FACTS,
}
MAX_TRANSCRIPT_CHARS = 60_000  # about 15k tokens: a long conversation, well inside the context
EXTRACTION_MAX_TOKENS = 4_000

INSTRUCTIONS = """You turn a conversation into memories for a personal memory companion.
Only the person's turns (role "user") become memories; the assistant's turns are context.
Answer with one JSON object and nothing else:
{"memories": [{"turn": <the [n] of the user turn>, "title": "<= 80 chars",
  "content": "what the person said, lightly cleaned", "importance": 0..1, "sentiment": -1..1,
  "concepts": [{"name": "...", "type": "person|place|organization|activity|topic|emotion|goal|value",
                "relationship": "sister|friend|... or null (people only)"}],
  "emotions": ["joy", ...], "tags": ["short lowercase phrases"],
  "facts": [{"predicate": "lives_in|works_at|works_as|age|relationship_status|likes|favourite_<thing>",
             "value": "lowercase value", "polarity": true}]}]}
Skip small talk. A fact with polarity false is denied ("I don't like coffee": likes, coffee, false).
Use the person's own names for people and places. Never invent what was not said."""


def extraction_messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """The chat messages asking for an extraction of `turns`."""
    lines = [f"[{n}] {t.role}: {' '.join(t.content.split())}" for n, t in enumerate(turns)]
    transcript = "\n".join(lines)[:MAX_TRANSCRIPT_CHARS]
    return [
        {"role": "system", "content": INSTRUCTIONS},
        {"role": "user", "content": f"Conversation:\n{transcript}"},
    ]


def read_extraction(data: dict[str, Any], turns: Sequence[Turn], model: str) -> Extraction:
    """The extraction in a chat completion's answer; ServiceUnavailable when it is not one."""
    try:
        text = data["choices"][0]["message"]["content"] or ""
        answer = json.loads(_strip_fence(text))
        items = answer["memories"]
        if not isinstance(items, list):
            raise TypeError("memories is not a list")
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ServiceUnavailable("The language model's extraction was malformed.") from exc
    memories = [m for m in (_memory(item, turns) for item in items) if m is not None]
    return Extraction(model=str(data.get("model") or model), memories=memories)


def _memory(item: Any, turns: Sequence[Turn]) -> ExtractedMemory | None:
    try:
        fields = dict(item)
        turn = fields.pop("turn")
        for key, cap in LIST_CAPS.items():
            if isinstance(fields.get(key), list):
                fields[key] = fields[key][:cap]
        if not isinstance(turn, int) or not 0 <= turn < len(turns) or turns[turn].role != "user":
            raise ValueError(f"turn {turn!r} is not one of the person's turns")
        return ExtractedMemory.model_validate({**fields, "message_id": turns[turn].message_id})
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        logger.warning("dropped a malformed extracted memory: %s", str(exc)[:300])
        return None


def _strip_fence(text: str) -> str:
    """Some models wrap JSON in a ```json fence even when asked not to."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        stripped = stripped.rsplit("```", 1)[0]
    return stripped
