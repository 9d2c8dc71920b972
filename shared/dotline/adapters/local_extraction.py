"""The deterministic extractor of the embedded default: memories from a conversation without a model.

One memory per substantial turn of the person's. It reads each turn by rule, with the lists in
`extraction_lexicon`: sentences; capitalised names (typed as person, place or organization by
the words around them: "my sister Mira", "in Lisbon", "St Anne's hospital"); relationship nouns
("my mom"); key phrases (RAKE: runs of content words between stop words, scored by degree over
frequency) as topics, activities (-ing) and tags; emotion words; a sentiment lexicon with
negation; self-statements as facts ("I live in Berlin"); and an importance heuristic. A
sentence-initial capitalised word counts as a name only when the conversation also writes it
capitalised mid-sentence. Same turns, same extraction.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from dotline.adapters import extraction_lexicon as lex
from dotline.ports.language_model import (
    MAX_CONCEPTS,
    MAX_EMOTIONS,
    MAX_FACTS,
    MAX_MEMORY_CHARS,
    MAX_NAME_CHARS,
    MAX_TAG_CHARS,
    ConceptType,
    ExtractedConcept,
    ExtractedFact,
    ExtractedMemory,
    Extraction,
    Turn,
)

EXTRACTOR_NAME = "dotline-rules-1"
MIN_CONTENT_WORDS = 2  # a turn with fewer (and no names or facts) is small talk: "ok, thanks!"
MAX_TITLE_CHARS = 80
MAX_KEY_PHRASES = 2  # topics per memory
MAX_TAGS = 4
MAX_NAME_WORDS = 4  # "Honestly I Am So Tired" in capitals is shouting, not a name
MAX_BARE_NAME_CHARS = MAX_NAME_CHARS // 2  # room for " hospital" and the like after it
MAX_PREDICATE_CHARS = 48
PRONOUN_VALUES = frozenset({"it", "that", "this", "them", "him", "her", "you", "to"})

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[A-Za-zÀ-ÿ][\w'-]*")
_NAME = re.compile(r"[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*")
_CURLY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def extract_conversation(turns: Sequence[Turn]) -> Extraction:
    """The memories of the person's turns, in turn order."""
    turns = [t.model_copy(update={"content": t.content.translate(_CURLY)}) for t in turns]
    known = _names_written_mid_sentence(t.content for t in turns if t.role == "user")
    memories = [m for t in turns if t.role == "user" for m in _memory(t, known)]
    return Extraction(model=EXTRACTOR_NAME, memories=memories)


def _memory(turn: Turn, known: set[str]) -> list[ExtractedMemory]:
    text = " ".join(turn.content.split())[:MAX_MEMORY_CHARS]
    words = [w.lower() for w in _WORD.findall(text)]
    content = [w for w in words if w not in lex.STOP_WORDS]
    sentences = [s for s in _SENTENCE.split(text) if s]
    names = _dedupe(c for s in sentences for c in _names(s, known))
    facts = [f for s in sentences for f in _facts(s)]
    if len(content) < MIN_CONTENT_WORDS and not names and not facts:
        return []
    people = _dedupe([*names, *_relations(words, names)])
    phrases = _key_phrases(sentences, {n.name.lower() for n in people})
    emotions = list(dict.fromkeys(lex.EMOTIONS[w] for w in words if w in lex.EMOTIONS))
    topics = [
        ExtractedConcept(name=p, type="activity" if p.split()[-1].endswith("ing") else "topic")
        for p in [p for p in phrases if len(p) <= MAX_NAME_CHARS][:MAX_KEY_PHRASES]
    ]
    feelings = [ExtractedConcept(name=e, type="emotion") for e in emotions]
    sentiment = _sentiment(words)
    concepts = _dedupe([*people, *topics, *feelings])
    return [
        ExtractedMemory(
            message_id=turn.message_id,
            title=_title(sentences, text),
            content=text,
            importance=_importance(words, concepts, sentiment),
            sentiment=sentiment,
            concepts=concepts[:MAX_CONCEPTS],
            emotions=emotions[:MAX_EMOTIONS],
            tags=[p for p in phrases if len(p) <= MAX_TAG_CHARS][:MAX_TAGS],
            facts=facts[:MAX_FACTS],
        )
    ]


def _names_written_mid_sentence(texts: Iterable[str]) -> set[str]:
    known: set[str] = set()
    for text in texts:
        for sentence in _SENTENCE.split(" ".join(text.split())):
            for match in _NAME.finditer(sentence):
                if match.start() > 0:
                    known.update(w.lower() for w in match.group().split())
    return known


def _names(sentence: str, known: set[str]) -> list[ExtractedConcept]:
    found = []
    for match in _NAME.finditer(sentence):
        tokens = match.group().split()
        if match.start() == 0 and tokens[0].lower() not in known:
            tokens = tokens[1:]  # "Honestly", "We": an ordinary word opening the sentence
        tokens = [t for t in tokens if t.lower() not in lex.WEEKDAYS_AND_MONTHS and t != "I"]
        while tokens and tokens[0].lower() in lex.STOP_WORDS:
            tokens = tokens[1:]
        if (
            not tokens
            or len(tokens) > MAX_NAME_WORDS
            or len(" ".join(tokens)) > MAX_BARE_NAME_CHARS
        ):
            continue
        before = sentence[: match.start()].lower().split()[-2:]
        after = sentence[match.end() :].lower().split()[:1]
        found.append(_typed(tokens, before, after))
    return found


def _typed(tokens: list[str], before: list[str], after: list[str]) -> ExtractedConcept:
    name = " ".join(t.title() if t.isupper() and len(t) > 1 else t for t in tokens)
    relation = lex.RELATIONSHIPS.get(before[-1]) if before else None
    kind: ConceptType = "person" if len(tokens) == 1 else "topic"
    if after and after[0].strip(",.;!?") in lex.ORGANIZATION_NOUNS:
        kind, name = "organization", f"{name} {after[0].strip(',.;!?')}"
    elif any(t.lower() in lex.PLACE_WORDS for t in tokens) or (
        before and before[-1] in lex.PLACE_PREPOSITIONS
    ):
        kind = "place"
    if relation:
        kind = "person"
    return ExtractedConcept(name=name, type=kind, relationship=relation)


def _relations(words: list[str], named: list[ExtractedConcept]) -> list[ExtractedConcept]:
    """People a turn names only by relationship ("my mom"), unless it also names them."""
    named_relations = {c.relationship for c in named}
    found = []
    for before, word in itertools.pairwise(words):
        relation = lex.RELATIONSHIPS.get(word)
        if before == "my" and relation and relation not in named_relations:
            found.append(ExtractedConcept(name=word.title(), type="person", relationship=relation))
    return found


def _key_phrases(sentences: list[str], exclude: set[str]) -> list[str]:
    """RAKE over the turn: candidate phrases of up to three content words, best first."""
    candidates: list[list[str]] = []
    for sentence in sentences:
        run: list[str] = []
        for raw in re.split(r"[\s]+", sentence):
            word = raw.lower().strip("\"'()[],.;:!?")
            broken = raw[-1:] in ",.;:!?" if raw else False
            if not _WORD.fullmatch(word or "-") or _breaks_phrase(word):
                run = _flush(run, candidates)
                continue
            run.append(word)
            if broken or len(run) == 3:
                run = _flush(run, candidates)
        _flush(run, candidates)
    frequency: Counter[str] = Counter()
    degree: Counter[str] = Counter()
    for phrase in candidates:
        for word in phrase:
            frequency[word] += 1
            degree[word] += len(phrase)
    scored = {
        " ".join(p): sum(degree[w] / frequency[w] for w in p)
        for p in candidates
        if " ".join(p) not in exclude and not set(p) & set(" ".join(exclude).split())
        and not all(w in lex.EMOTIONS or w in lex.RELATIONSHIPS for w in p)
    }  # fmt: skip
    return sorted(scored, key=lambda p: (-scored[p], p))


def _breaks_phrase(word: str) -> bool:
    """Stop words, short words and past tenses ("visited") end a key phrase."""
    return word in lex.STOP_WORDS or len(word) < 3 or (word.endswith("ed") and len(word) > 4)


def _flush(run: list[str], into: list[list[str]]) -> list[str]:
    if run:
        into.append(run)
    return []


def _sentiment(words: list[str]) -> float:
    score = 0
    for i, word in enumerate(words):
        sign = 1 if word in lex.POSITIVE else -1 if word in lex.NEGATIVE else 0
        if sign and any(w in lex.NEGATIONS for w in words[max(0, i - 3) : i]):
            sign = -sign
        score += sign
    hits = sum(1 for w in words if w in lex.POSITIVE or w in lex.NEGATIVE)
    return round(max(-1.0, min(1.0, score / (hits + 1))), 2)


def _importance(words: list[str], concepts: list[ExtractedConcept], sentiment: float) -> float:
    """0.3, more for what it names, how strongly it feels, milestones, and length."""
    named = sum(1 for c in concepts if c.type in ("person", "place", "organization"))
    value = 0.3 + min(0.3, 0.1 * named) + 0.2 * abs(sentiment)
    value += 0.2 if lex.MILESTONES.intersection(words) else 0.0
    value += min(0.1, len(words) / 400)
    return round(min(1.0, value), 2)


def _facts(sentence: str) -> list[ExtractedFact]:
    lowered = sentence.lower()
    facts = []
    for pattern, predicate, polarity in lex.FACTS:
        for match in pattern.finditer(lowered):
            value = lex.VALUE_TAIL.sub("", match.group("value").strip()).strip()
            if not value or value in PRONOUN_VALUES or len(value) > 60:
                continue
            name = predicate
            if predicate == "favourite":
                name = f"favourite_{match.group('what')}"
                if len(name) > MAX_PREDICATE_CHARS:
                    continue
            facts.append(ExtractedFact(predicate=name, value=value, polarity=polarity))
    return facts


def _title(sentences: list[str], text: str) -> str:
    """The first sentence that says something ("Hi!" does not), cut at a word."""
    sentence = next(
        (s for s in sentences if _says_something(s)), sentences[0] if sentences else text
    )
    title = sentence.strip().rstrip(".!?")
    if len(title) > MAX_TITLE_CHARS:
        title = title[: MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return title or "A moment"


def _says_something(sentence: str) -> bool:
    words = [w.lower() for w in _WORD.findall(sentence)]
    return sum(w not in lex.STOP_WORDS for w in words) >= MIN_CONTENT_WORDS


def _dedupe(concepts: Iterable[ExtractedConcept]) -> list[ExtractedConcept]:
    seen: dict[str, ExtractedConcept] = {}
    for concept in concepts:
        seen.setdefault(" ".join(concept.name.casefold().split()), concept)
    return list(seen.values())
