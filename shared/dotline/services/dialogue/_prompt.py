"""The prompt for one answer: who the coach is, what was retrieved, and the recent turns.

Retrieved knowledge and memories go in their own system message under `Knowledge:` and
`Memories:` headers, one bullet each led by a citation label (`- [K1] ...`), the layout the
local engine reads and a remote model follows. Personality and instruction lines never end in a
colon, so no engine mistakes them for a section of citable context.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from dotline.ports.language_model import ChatMessage
from dotline.ports.vectors import VectorHit
from dotline.services.dialogue._context import ChatContext

MAX_SNIPPET_CHARS = 1_200
INSTRUCTIONS = (
    "Answer the person's last message. Ground what you say in the knowledge and memories you "
    "are given and cite each one you use by its [label]; when none is relevant, say so rather "
    "than guess."
)
_CITATION = re.compile(r"\[([KM]\d{1,3})\]")


@dataclass(frozen=True)
class Source:
    """A knowledge entry or memory put in front of the model, under its citation label."""

    label: str
    kind: Literal["knowledge_entry", "memory"]
    source_id: UUID
    title: str | None

    def reference(self) -> dict[str, Any]:
        """As stored in messages.referenced_entities."""
        return {
            "type": self.kind,
            "id": str(self.source_id),
            "label": self.label,
            "title": self.title,
        }


@dataclass(frozen=True)
class Prompt:
    """The messages to send and the sources they carry."""

    messages: list[ChatMessage]
    sources: list[Source]


def build_prompt(context: ChatContext, memories: Sequence[VectorHit]) -> Prompt:
    """System messages (persona, then retrieved context) followed by the recent turns."""
    sources: list[Source] = []
    lines: list[str] = []
    if context.knowledge:
        lines.append("Knowledge:")
    for i, entry in enumerate(context.knowledge, start=1):
        source = Source(
            f"K{i}", "knowledge_entry", UUID(entry["knowledge_entry_id"]), entry["title"]
        )
        sources.append(source)
        lines.append(_bullet(source.label, f"{entry['title']}: {entry['content']}"))
    if memories:
        lines.append("Memories:")
    for i, hit in enumerate(memories, start=1):
        source = Source(f"M{i}", "memory", hit.source_entity_id, hit.title)
        sources.append(source)
        lines.append(_bullet(source.label, _memory_body(hit)))
    messages = [ChatMessage(role="system", content=_persona(context))]
    if lines:
        messages.append(ChatMessage(role="system", content="\n".join(lines)))
    messages += [
        ChatMessage(role=turn["role"], content=turn["content"])
        for turn in context.recent_messages
        if turn["role"] in ("user", "assistant")
    ]
    return Prompt(messages, sources)


def cited_sources(answer: str, sources: Sequence[Source]) -> list[Source]:
    """The sources the answer cites by label, in the prompt's order."""
    labels = set(_CITATION.findall(answer))
    return [s for s in sources if s.label in labels]


def _persona(context: ChatContext) -> str:
    if context.app is None:
        lines = ["You are dotline, a personal companion who remembers what matters to the person."]
    else:
        app = context.app
        lines = [f"You are {_one_line(app['display_name'])}, a {app['domain']} coach."]
    lines.append(INSTRUCTIONS)
    traits = (context.personality or {}).get("schema") or {}
    lines += [f"{_label(k)}: {_render(v)}" for k, v in traits.items() if _render(v)]
    if context.progress:
        lines.append(_progress(context.progress))
    return "\n".join(lines)


def _memory_body(hit: VectorHit) -> str:
    """What the memory says: the indexed text less the title heading it (mirrored_entities
    indexes "title\n\ncontent"), so a quote is the person's words, not "Title Title..."."""
    title, _, body = hit.text.partition("\n\n")
    return body if body.strip() and title == hit.title else hit.text


def _progress(progress: dict[str, Any]) -> str:
    parts = [
        f"{progress.get('total_conversations', 0)} conversations",
        f"{progress.get('total_messages', 0)} messages",
    ]
    if progress.get("current_focus_area"):
        parts.append(f"focus {_one_line(progress['current_focus_area'])}")
    if progress.get("milestones_reached"):
        parts.append(f"milestones {_render(progress['milestones_reached'])}")
    return "Their progress so far: " + ", ".join(parts) + "."


def _bullet(label: str, text: str) -> str:
    text = _one_line(text)
    if len(text) > MAX_SNIPPET_CHARS:
        text = text[: MAX_SNIPPET_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return f"- [{label}] {text}"


def _label(key: str) -> str:
    return _one_line(key.replace("_", " ")).capitalize()


def _render(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(_one_line(v) for v in value)
    if isinstance(value, str):
        return _one_line(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
