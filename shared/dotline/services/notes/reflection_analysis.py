"""What the server derives from a reflection's text: its sentiment and its insights.

The extractor of the language model port reads the reflection as one turn of the person's: JSON
from the model when `LLM_URL` is set, the local rules otherwise (a sentiment lexicon, names,
places, feelings, key phrases, stated facts), so the same text always gives the same analysis
locally. Insights are the people, places, feelings, themes and facts it finds, one object each.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dotline.ports.language_model import Extraction, Extractor, Turn

MAX_INSIGHTS = 20
# A reflection's turn id: derived from the text, so a deterministic extractor answers the same.
_TURN_NAMESPACE = uuid.UUID("9b1f0e4e-7c55-4b8e-9d0a-3f2a6c1d8e21")


@dataclass(frozen=True)
class Analysis:
    """Sentiment in [-1, 1] (null when nothing was found to weigh) and insight objects."""

    sentiment: float | None
    insights: list[dict[str, Any]] = field(default_factory=list)


def analyse(extractor: Extractor, content: str) -> Analysis:
    """The sentiment and insights of a reflection's text."""
    turn = Turn(
        message_id=uuid.uuid5(_TURN_NAMESPACE, content),
        role="user",
        content=content,
        created_at=datetime.now(UTC),
    )
    return from_extraction(extractor.extract([turn]))


def from_extraction(extraction: Extraction) -> Analysis:
    """Sentiment: the mean of the memories' weighted by their length; insights, deduplicated."""
    memories = extraction.memories
    if not memories:
        return Analysis(sentiment=None)
    weights = [max(len(m.content), 1) for m in memories]
    sentiment = sum(m.sentiment * w for m, w in zip(memories, weights, strict=True)) / sum(weights)
    insights: dict[tuple[str, str], dict[str, Any]] = {}
    for memory in memories:
        for concept in memory.concepts:
            found = {"kind": concept.type, "name": concept.name}
            if concept.relationship:
                found["relationship"] = concept.relationship
            insights.setdefault((concept.type, concept.name.casefold()), found)
        for emotion in memory.emotions:
            insights.setdefault(
                ("emotion", emotion.casefold()), {"kind": "emotion", "name": emotion}
            )
        named = {name for _, name in insights}
        for tag in memory.tags:  # a theme that is not already a named concept
            if tag.casefold() not in named:
                insights.setdefault(("theme", tag.casefold()), {"kind": "theme", "name": tag})
        for fact in memory.facts:
            insights.setdefault(
                ("fact", fact.key),
                {"kind": "fact", "predicate": fact.predicate, "value": fact.value,
                 "polarity": fact.polarity},
            )  # fmt: skip
    return Analysis(
        sentiment=round(max(-1.0, min(1.0, sentiment)), 4),
        insights=list(insights.values())[:MAX_INSIGHTS],
    )
