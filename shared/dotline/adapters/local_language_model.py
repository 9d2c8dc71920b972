"""A deterministic language model that answers only from what it is handed: the conversation's
turns, the personality's tone and the knowledge and memories retrieved for it.

It reads the prompt the way a chat service writes it: system messages hold the personality and
the retrieved context, in sections introduced by a header line (`Knowledge:`, `Memories:`,
`## Retrieved knowledge`, ...). Under a knowledge or memory header each bullet or paragraph is a
snippet; a bullet may start with its own citation label (`- [mem-12] ...`). Personality and
instruction text is never quoted. The reply (`local_dialogue`) acknowledges the last user turn in
the person's words, links it to an earlier turn when one is relevant, cites the snippets that share
the most words with it (or says plainly that nothing relevant was retrieved when asked something)
and asks one follow-up in the personality's tone. Same input, same output.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dotline.adapters.local_dialogue import Cited, compose_reply
from dotline.adapters.local_extraction import extract_conversation
from dotline.adapters.local_insight_synthesis import synthesize
from dotline.ports.insight_synthesis import InsightBrief, InsightSynthesis
from dotline.ports.language_model import ChatMessage, Completion, Extraction, RerankPassage, Turn

MODEL_NAME = "dotline-local-1"
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4  # role and separators, as chat APIs count them
RELEVANCE_FLOOR = 0.2  # share of the question's (idf-weighted) words a snippet must contain
FOLLOWER_SHARE = 0.5  # what a query word found only in the turn after a passage counts for
GROUNDING_WORDS = ("knowledge", "memor", "context", "retriev", "fact", "note", "source")

_HEADER = re.compile(
    r"^\s*(?:#{1,6}\s*(?P<md>[^:#]{1,60}?)\s*:?|(?P<plain>[A-Za-z][^:]{0,60}?):)\s*$"
)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,3}[.)])\s+(?P<text>.+)$")
_LABEL = re.compile(r"^\[(?P<label>[^\]\n]{1,64})\]\s*(?P<text>.+)$")
_WORD = re.compile(r"[a-z0-9]+")
_STOP_TEXT = """a about after again all also am an and any are as at be been before being but by can could
    did do does doing done for from had has have having he her here hers him his how i if in
    into is it its just me more most my no nor not now of off on once only or other our out
    over own really same she should so some such than that the their them then there these
    they this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours yourself tell know think feel like remember
    say said get got make thing things anything something"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())


@dataclass(frozen=True)
class Snippet:
    """One retrieved knowledge entry or memory, as the prompt gave it."""

    label: str
    kind: str  # "memory" or "knowledge"
    text: str


class LocalLanguageModel:
    """Composes a short grounded answer by word overlap; needs no network and no weights."""

    def complete(
        self, messages: Sequence[ChatMessage], *, max_tokens: int = 512, temperature: float = 0.3
    ) -> Completion:
        """The next assistant turn for `messages` (temperature is ignored: always deterministic)."""
        started = time.perf_counter()
        snippets = [s for m in messages if m.role == "system" for s in read_snippets(m.content)]
        question = next((m.content for m in reversed(messages) if m.role == "user"), "")
        scored = _score(content_words(question), snippets)
        confidence = round(scored[0][0], 3) if scored else 0.0
        text = compose_reply(
            messages, lambda _text, limit: relevant(scored, limit), retrieved=bool(snippets)
        )
        text = _truncate(text, max_tokens * CHARS_PER_TOKEN)
        return Completion(
            text=text,
            model=MODEL_NAME,
            prompt_tokens=sum(estimate_tokens(m.content) + TOKENS_PER_MESSAGE for m in messages),
            completion_tokens=estimate_tokens(text),
            latency_ms=(time.perf_counter() - started) * 1000,
            confidence=confidence,
        )

    def extract(self, turns: Sequence[Turn]) -> Extraction:
        """Memories from the person's turns, by rule (see local_extraction); deterministic."""
        return extract_conversation(turns)

    def synthesize_insights(self, brief: InsightBrief) -> InsightSynthesis:
        """A summary and prompts composed from the brief (see local_insight_synthesis)."""
        return synthesize(brief)

    def rerank(self, query: str, passages: Sequence[RerankPassage]) -> list[float]:
        """The idf-weighted share of the query's words each passage holds, those only in the
        turn after it counting FOLLOWER_SHARE; no model, deterministic."""
        asked = content_words(query)
        own = [content_words(p.text) for p in passages]
        after = [content_words(p.follower) - words for p, words in zip(passages, own, strict=True)]
        if not asked or not passages:
            return [0.0] * len(passages)
        idf = _idf([o | a for o, a in zip(own, after, strict=True)])
        weight = {w: idf(w) for w in asked}
        total = sum(weight.values())
        return [
            (sum(weight[w] for w in asked & o) + FOLLOWER_SHARE * sum(weight[w] for w in asked & a))
            / total
            for o, a in zip(own, after, strict=True)
        ]


def read_snippets(system_text: str) -> list[Snippet]:
    """The citable snippets of one system message, in order (personality text is skipped)."""
    snippets: list[Snippet] = []
    kind: str | None = None
    paragraph: list[str] = []

    def flush() -> None:
        if kind and paragraph:
            snippets.append(_snippet(" ".join(paragraph), kind, len(snippets)))
        paragraph.clear()

    for line in system_text.splitlines():
        header = _HEADER.match(line)
        bullet = _BULLET.match(line)
        if header and not bullet:
            flush()
            kind = _section_kind(header.group("md") or header.group("plain") or "")
        elif bullet:
            flush()
            if kind:
                snippets.append(_snippet(bullet.group("text"), kind, len(snippets)))
        elif line.strip():
            paragraph.append(line.strip())
        else:
            flush()
    flush()
    return snippets


def relevant(scored: Sequence[tuple[float, Snippet]], limit: int) -> list[Cited]:
    """The best snippets worth citing: above the floor and at least half the best's score."""
    best = scored[0][0] if scored else 0.0
    floor = max(RELEVANCE_FLOOR, best / 2)
    return [Cited(s.label, s.kind, s.text) for score, s in scored if score >= floor][:limit]


def content_words(text: str) -> set[str]:
    """The text's words minus stop words, crudely stemmed so 'swimming' meets 'swim'."""
    return {_stem(w) for w in _WORD.findall(text.lower()) if len(w) > 1 and w not in _STOP_WORDS}


def estimate_tokens(text: str) -> int:
    """About four characters a token, as for English with common BPE vocabularies."""
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def _idf(documents: Sequence[set[str]]) -> Callable[[str], float]:
    """A word's inverse document frequency among `documents` (smoothed, always above 0)."""
    count = len(documents)

    def idf(word: str) -> float:
        return math.log(1 + (count + 1) / (sum(word in d for d in documents) + 1))

    return idf


def _score(asked: set[str], snippets: Sequence[Snippet]) -> list[tuple[float, Snippet]]:
    if not asked:
        return []
    words = [content_words(s.text) for s in snippets]
    idf = _idf(words)
    total = sum(idf(w) for w in asked)
    scored = [
        (sum(idf(w) for w in asked & ws) / total, s) for ws, s in zip(words, snippets, strict=True)
    ]
    # Stable sort: equal scores keep the prompt's order.
    return sorted((pair for pair in scored if pair[0] > 0), key=lambda pair: -pair[0])


def _snippet(text: str, kind: str, index: int) -> Snippet:
    labelled = _LABEL.match(text.strip())
    if labelled:
        return Snippet(labelled.group("label"), kind, labelled.group("text"))
    return Snippet(str(index + 1), kind, text.strip())


def _section_kind(header: str) -> str | None:
    name = header.lower()
    if not any(word in name for word in GROUNDING_WORDS):
        return None
    return "memory" if "memor" in name else "knowledge"


def _stem(word: str) -> str:
    for suffix in ("ing", "edly", "ed", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # swimm -> swim
    return word


def _truncate(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    return text[: max(0, max_chars - 1)].rsplit(" ", 1)[0] + "…"
