"""How the local engine answers like a companion, by rule: acknowledge, link, cite, ask one thing.

A reply is composed from what the prompt holds and nothing else (no invented facts):

0. On a conversation's first turn, say in one line what the last insight cycle left for it (the
   context package's themes, else its summary), when the prompt holds that note.
1. Acknowledge the person's last turn in their own words: the sentence that names the most (the
   people, places and feelings the extractor finds, a fact they state) said back with the
   pronouns turned ("I just moved" -> "you just moved"), after an opener for how it feels
   (a milestone, a good or a hard moment). A question is not said back: it is answered from the
   retrieved snippets, or met with a plain "I won't guess".
2. Link it to an earlier turn of this conversation when one is relevant: the same name again,
   "here"/"there" after a place was named, or a shared topic ("you mentioned Lisbon earlier").
3. Cite the retrieved memories and knowledge that share enough (idf-weighted) words with the
   turn, each under its label, in quotes.
4. Ask exactly one follow-up, about the feeling, person, place or topic just named, in the
   personality variant's tone (`Tone: warm|collaborative|professional|casual`, warm by default).

Same prompt, same reply: choices among phrasings hash the turn's text (crc32), never chance.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from dotline.adapters import extraction_lexicon as lex
from dotline.adapters.local_extraction import extract_conversation
from dotline.ports.language_model import CONTEXT_NOTE_PREFIX, ChatMessage, ExtractedMemory, Turn

TONES = ("warm", "collaborative", "professional", "casual")
MAX_REFLECTION_CHARS = 160
MAX_QUOTE_CHARS = 240
MAX_READ_CHARS = 2_000  # of each turn: a reply reads ten turns, and 8,000 characters each is slow
MAX_CITED_FOR_QUESTION = 3
MAX_CITED_FOR_STATEMENT = 2
NAMED_TYPES = ("person", "place", "organization")

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_TOKEN = re.compile(r"[A-Za-zÀ-ÿ0-9][\w'-]*|[^\w\s]")
_WORD = re.compile(r"[A-Za-zÀ-ÿ][\w'-]*")
_TONE = re.compile(r"^\s*tone\s*:\s*(?P<tone>[a-z]+)", re.IGNORECASE | re.MULTILINE)
_CURLY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})

# The person's words as the companion says them back.
_REFLECT = {
    "i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself",
    "i'm": "you're", "i've": "you've", "i'll": "you'll", "i'd": "you'd", "im": "you're",
    "we": "you", "us": "you", "our": "your", "ours": "yours", "ourselves": "yourselves",
    "we're": "you're", "we've": "you've", "we'll": "you'll", "we'd": "you'd",
    "you": "me", "your": "my", "yours": "mine", "yourself": "myself",
    "you're": "I'm", "you've": "I've", "you'll": "I'll", "you'd": "I'd",
}  # fmt: skip
_AFTER_I = {"am": "are", "was": "were"}  # "I was" -> "you were"
_AFTER_YOU = {"are": "am", "were": "was"}  # "you are" -> "I am"
_YOU_AS_SUBJECT = frozenset(
    {"are", "were", "have", "had", "do", "did", "can", "could", "will", "would", "should",
     "said", "know", "think", "told", "seem", "always", "never"}
)  # fmt: skip
_THANKS = re.compile(r"^\s*(?:thank you|thanks)\b[^,;.!?]*[,;.!]\s*", re.IGNORECASE)
_GREETINGS = frozenset({"hi", "hello", "hey", "hiya", "morning", "evening"})
_DECIDING = re.compile(
    r"^(?:should|shall|could|would|can|must) (?:i|we)\b|^do you think\b|^is it (?:worth|better)\b",
    re.IGNORECASE,
)
# "there" names a place unless it opens an existential ("there is", "there's been").
_EXISTENTIAL = frozenset(
    {"is", "are", "was", "were", "'s", "be", "been", "will", "would", "might", "may", "must",
     "should", "has", "have", "had", "seems", "seem", "used", "isn't", "aren't", "wasn't"}
)  # fmt: skip
_DETERMINERS = {
    "a": "a", "an": "an", "the": "the", "my": "your", "our": "your", "this": "this",
    "that": "that", "his": "his", "her": "her", "their": "their",
}  # fmt: skip


@dataclass(frozen=True)
class Cited:
    """A retrieved snippet chosen for the reply."""

    label: str
    kind: str  # "memory" or "knowledge"
    text: str


@dataclass
class TurnReading:
    """What one of the person's turns says, as the extractor and the lexicon read it."""

    text: str
    memory: ExtractedMemory | None
    names: list[tuple[str, str]] = field(default_factory=list)  # (name, type), in order
    feeling: str | None = None  # the person's own emotion word
    phrases: list[str] = field(default_factory=list)  # topic phrases, best first

    @property
    def sentiment(self) -> float:
        return self.memory.sentiment if self.memory else 0.0


def tone_of(messages: Sequence[ChatMessage]) -> str:
    """The personality variant's tone from the persona (`Tone: ...`), warm when none is known."""
    for message in messages:
        if message.role == "system" and (found := _TONE.search(message.content)):
            tone = found.group("tone").lower()
            if tone in TONES:
                return tone
    return "warm"


def read_turns(texts: Sequence[str]) -> list[TurnReading]:
    """Each of the person's turns read by the extractor (names known across the conversation)."""
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    turns = [
        Turn(
            message_id=UUID(int=i + 1),
            role="user",
            content=t[:MAX_READ_CHARS].translate(_CURLY),
            created_at=epoch,
        )
        for i, t in enumerate(texts)
    ]
    by_turn = {m.message_id: m for m in extract_conversation(turns).memories}
    readings = []
    for turn in turns:
        memory = by_turn.get(turn.message_id)
        concepts = memory.concepts if memory else []
        readings.append(
            TurnReading(
                text=" ".join(turn.content.split()),
                memory=memory,
                names=[(c.name, c.type) for c in concepts if c.type in NAMED_TYPES],
                feeling=_feeling_word(turn.content),
                phrases=[
                    c.name
                    for c in concepts
                    if c.type in ("topic", "activity") and not _evaluative(c.name)
                ],
            )
        )
    return readings


def compose_reply(
    messages: Sequence[ChatMessage],
    cite: Callable[[str, int], list[Cited]],
    *,
    retrieved: bool = True,
) -> str:
    """The reply to the last user turn of `messages`; `cite(text, limit)` picks the snippets
    worth quoting, `retrieved` says whether the prompt held any at all."""
    tone = tone_of(messages)
    said = [m.content for m in messages if m.role == "user"]
    if not said or not said[-1].strip():
        return _QUESTIONS[tone]["open"][0]
    readings = read_turns(said)
    now, earlier = readings[-1], readings[:-1]
    replied = " ".join(m.content for m in messages if m.role == "assistant")
    seed = zlib.crc32(now.text.encode())
    question = _asks(now.text)
    parts: list[str | None] = [_GREETING[tone]] if _greets(now.text) else []
    if not earlier:  # a conversation's first turn: what the last insight cycle noted
        parts.append(_since_last_time(messages))
    links, linked = _link_back(now, earlier)
    # Each wording once a conversation: the same link made again is said another way, or not.
    link = next((line for line in links if line not in replied), None)
    if question:
        cited = cite(now.text, MAX_CITED_FOR_QUESTION)
        parts += [_answer(now, cited, retrieved), link]
    else:
        cited = cite(now.text, MAX_CITED_FOR_STATEMENT)
        parts += [_acknowledge(now, tone), link]
        parts += [_quote(c, lead="You once told me" if c.kind == "memory" else None) for c in cited]
    asked = (
        ("answered" if cited else "decide" if _deciding(now.text) else "asked")
        if question
        else None
    )
    parts.append(_follow_up(now, linked, tone, asked, seed, replied))
    return " ".join(p for p in parts if p)


# --- acknowledging ---------------------------------------------------------------------------


def _since_last_time(messages: Sequence[ChatMessage]) -> str | None:
    """One line on the context package's themes (else its summary), when the prompt holds one."""
    for message in messages:
        if message.role == "system" and message.content.startswith(CONTEXT_NOTE_PREFIX):
            note = message.content.removeprefix(CONTEXT_NOTE_PREFIX).strip()
            summary, _, themes = note.partition(" Themes: ")
            if themes.strip(" ."):
                return f"Since we last talked, {themes.strip(' .')} kept coming up for you."
            return f'Looking back on our last talks: "{_shorten(summary)}"' if summary else None
    return None


def _acknowledge(now: TurnReading, tone: str) -> str:
    sentence = _best_sentence(now)
    if sentence is None:
        return _LISTENING[tone]
    reflected = _shorten(reflect(sentence))
    opener = _opener(now, tone)
    if "{}" in opener:
        said = opener.format(reflected)
    else:
        said = f"{opener}: {reflected}." if opener else f"So {reflected}."
    missing = [_named(n) for n, _ in now.names if n.casefold() not in sentence.casefold()]
    if missing:
        said += f" And you mentioned {_and(missing)}."
    if now.feeling and now.feeling.casefold() not in sentence.casefold():
        said += f" It sounds like you're feeling {now.feeling}."
    return said


def _best_sentence(now: TurnReading) -> str | None:
    """The statement naming the most (names, feeling, a stated fact), the first among equals."""
    best: tuple[int, str] | None = None
    for sentence in _SENTENCE.split(now.text):
        core = _THANKS.sub("", sentence.strip())
        if core.endswith("?") or _content_words(core) < 1 or len(_WORD.findall(core)) < 2:
            continue
        lowered = core.casefold()
        weight = sum(n.casefold() in lowered for n, _ in now.names)
        weight += bool(now.feeling and now.feeling.casefold() in lowered)
        weight += bool(now.memory and any(f.value in lowered for f in now.memory.facts))
        if best is None or weight > best[0]:
            best = (weight, core)
    return best[1] if best else None


def reflect(sentence: str) -> str:
    """The sentence as the companion says it back: pronouns turned, first letter lowered
    unless it is a name, the closing punctuation dropped."""
    tokens = _TOKEN.findall(sentence.translate(_CURLY).strip())
    while tokens and not tokens[0][0].isalnum():
        tokens = tokens[1:]
    while tokens and tokens[-1] in {".", "!", "?", ",", ";", ":"}:
        tokens = tokens[:-1]
    out: list[str] = []
    previous = ""
    for i, token in enumerate(tokens):
        lowered = token.lower()
        following = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
        if lowered == "you" and (i == 0 or following in _YOU_AS_SUBJECT):
            word = "I"
        elif previous == "you" and lowered in _AFTER_YOU:
            word = _AFTER_YOU[lowered]
        elif lowered in _REFLECT:
            word = _REFLECT[lowered]
        elif previous == "i" and lowered in _AFTER_I:
            word = _AFTER_I[lowered]
        elif i == 0 and token[:1].isupper() and not _is_name_like(token):
            word = lowered
        else:
            word = token
        out.append(word)
        previous = lowered
    return _join(out)


def _opener(now: TurnReading, tone: str) -> str:
    words = {w.lower() for w in _WORD.findall(now.text)}
    if _LOSSES & words:
        return _OPENERS[tone]["loss"]
    if _STEPS & words and now.sentiment >= 0:
        return _OPENERS[tone]["step"]
    if _DAYS & words and now.sentiment >= 0:
        return _OPENERS[tone]["day"]
    if now.feeling and lex.EMOTIONS[now.feeling.lower()] in _HARD:
        return _OPENERS[tone]["feeling"]
    if now.sentiment <= -0.2:
        return _OPENERS[tone]["hard"]
    if now.sentiment >= 0.2:
        return _OPENERS[tone]["good"]
    return ""


# --- answering a question ----------------------------------------------------------------------


def _answer(now: TurnReading, cited: list[Cited], retrieved: bool) -> str:
    if cited:
        return " ".join(_quote(c) for c in cited)
    subject = _subject(now)
    if not retrieved:
        about = f"about {subject}" if subject else "that answer this"
        return f"I have no memories or notes {about}, so I won't guess."
    about = f"is about {subject}" if subject else "answers this"
    return f"Nothing in your memories or my notes {about}, so I won't guess."


def _subject(now: TurnReading) -> str | None:
    """What the question is about, in the person's words ("your favourite pizza topping")."""
    for name, _ in now.names:
        return _named(name)
    for phrase in now.phrases:
        return with_determiner(now.text, phrase)
    return None


# --- linking to earlier turns ------------------------------------------------------------------


def _link_back(now: TurnReading, earlier: list[TurnReading]) -> tuple[list[str], str | None]:
    """Wordings of one sentence tying this turn to an earlier one, and the name or phrase it
    ties on."""
    if not earlier:
        return [], None
    named_now = {n.casefold() for n, _ in now.names}
    for turn in reversed(earlier):
        for name, _ in turn.names:
            if name.casefold() in named_now:
                shown = _named(name)
                return [
                    f"{shown[:1].upper()}{shown[1:]} came up earlier too.",
                    f"You mentioned {shown} earlier as well.",
                ], shown
    words_now = _place_deixis(now.text)
    if words_now and not any(t == "place" for _, t in now.names):
        for turn in reversed(earlier):
            places = [n for n, t in turn.names if t == "place"]
            if places:
                deictic = "here" if "here" in words_now else "there"
                return [
                    f"By {deictic}, I take it you mean {places[0]}, which you mentioned earlier.",
                    f"I take it you're still in {places[0]}, which you mentioned earlier."
                    if deictic == "here"
                    else f"I take it that's {places[0]}, which you mentioned earlier.",
                ], places[0]
    stems_now = _stems(now.text)
    for turn in reversed(earlier):
        for phrase in turn.phrases:
            if _stems(phrase) & stems_now:
                shown = with_determiner(turn.text, phrase, referring=True)
                return [
                    f"That ties in with what you said earlier about {shown}.",
                    f"That connects to {shown} you mentioned earlier.",
                ], shown
    return [], None


# --- the one question --------------------------------------------------------------------------


def _follow_up(
    now: TurnReading, linked: str | None, tone: str, asked: str | None, seed: int, replied: str
) -> str:
    """One question: after a question of theirs, by whether it was answered or is a decision;
    else about the feeling, the hard moment, the person, place or topic they just named."""
    asks = _QUESTIONS[tone]
    people = [n for n, t in now.names if t == "person"]
    places = [n for n, t in now.names if t == "place"]
    people = [_named(p) for p in people]
    if asked:
        kind, subject = asked, ""
    elif now.feeling:
        kind, subject = "feeling", now.feeling
    elif now.sentiment <= -0.2 or _LOSSES & {w.lower() for w in _WORD.findall(now.text)}:
        kind, subject = "hard", ""
    elif people:
        kind, subject = "person", people[0]
    elif places:
        kind, subject = "place", places[0]
    elif now.phrases:
        kind, subject = "topic", with_determiner(now.text, now.phrases[0])
    elif linked:
        kind, subject = "topic", linked
    else:
        kind, subject = "open", ""
    choices = [c.format(subject) for c in asks[kind]]
    fresh = [c for c in choices if c not in replied] or choices  # not the same question twice
    return fresh[seed % len(fresh)]


# --- small helpers -----------------------------------------------------------------------------


def with_determiner(text: str, phrase: str, *, referring: bool = False) -> str:
    """The phrase with the determiner the person put before it, said back ("my job" -> "your
    job"); `referring` makes "a"/"an" into "the" (it was already mentioned)."""
    match = re.search(rf"(\w+)\s+{re.escape(phrase)}\b", text, re.IGNORECASE)
    before = match.group(1).lower() if match else ""
    determiner = _DETERMINERS.get(before)
    if determiner is None:
        return phrase
    if referring and determiner in ("a", "an"):
        determiner = "the"
    return f"{determiner} {phrase}"


def _quote(cited: Cited, lead: str | None = None) -> str:
    text = cited.text.strip().rstrip(".").replace("?", ".")
    if len(text) > MAX_QUOTE_CHARS:
        text = text[: MAX_QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    lead = lead or ("You told me" if cited.kind == "memory" else "My notes say")
    return f'{lead}: "{text}" [{cited.label}].'


def _asks(text: str) -> bool:
    """Whether the turn's last substantial sentence is a question."""
    sentences = [s.strip() for s in _SENTENCE.split(text) if _WORD.search(s)]
    return bool(sentences) and sentences[-1].endswith("?")


def _place_deixis(text: str) -> set[str]:
    """ "here", and "there" where it points at a place ("I live there", not "there is")."""
    words = [w.lower() for w in _WORD.findall(text.translate(_CURLY))]
    found = {"here"} & set(words)
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        if word == "there" and following not in _EXISTENTIAL and not following.startswith("'"):
            found.add("there")
    return found


def _deciding(text: str) -> bool:
    """Whether the turn's question asks for a decision ("Should I ...?", "Do you think ...?")."""
    asked = [s.strip() for s in _SENTENCE.split(text) if s.strip().endswith("?")]
    return bool(asked) and bool(_DECIDING.search(asked[-1]))


def _greets(text: str) -> bool:
    first = _WORD.findall(text[:20].lower())
    return bool(first) and first[0] in _GREETINGS


def _feeling_word(text: str) -> str | None:
    words: list[str] = _WORD.findall(text.translate(_CURLY))
    for i, word in enumerate(words):
        if word.lower() in lex.EMOTIONS and not any(
            w.lower() in lex.NEGATIONS for w in words[max(0, i - 3) : i]
        ):
            return word.lower()
    return None


def _named(name: str) -> str:
    """A person as the companion names them: "Mira", or "your mom" for one named by relation."""
    return f"your {name.lower()}" if name.lower() in lex.RELATIONSHIPS else name


def _evaluative(phrase: str) -> bool:
    """ "better", "so happy": how something felt, not what it was about."""
    return all(w in _EVALUATIONS for w in phrase.lower().split())


def _content_words(text: str) -> int:
    return sum(w.lower() not in lex.STOP_WORDS for w in _WORD.findall(text))


def _stems(text: str) -> set[str]:
    return {
        w[:5]
        for w in (x.lower() for x in _WORD.findall(text))
        if len(w) >= 4 and w not in lex.STOP_WORDS
    }


def _is_name_like(word: str) -> bool:
    return word[:1].isupper() and (word == "I" or word.lower() not in lex.STOP_WORDS)


def _shorten(text: str) -> str:
    if len(text) <= MAX_REFLECTION_CHARS:
        return text
    cut = text[:MAX_REFLECTION_CHARS]
    for mark in (", ", "; ", " but ", " and "):
        at = cut.rfind(mark)
        if at > MAX_REFLECTION_CHARS // 2:
            return cut[:at]
    return cut.rsplit(" ", 1)[0] + "…"


def _join(tokens: list[str]) -> str:
    text = ""
    for token in tokens:
        if text and (token[0].isalnum() or token[0] in "\"'(“"):
            text += " "
        text += token
    return text


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


_HARD = frozenset(
    {"sadness", "anger", "frustration", "anxiety", "stress", "fear", "loneliness", "exhaustion",
     "shame", "guilt", "jealousy", "confusion"}
)  # fmt: skip

_EVALUATIONS = lex.POSITIVE | lex.NEGATIVE | frozenset(lex.EMOTIONS)
_GREETING = {"warm": "Hi!", "collaborative": "Hi!", "professional": "Hello.", "casual": "Hey!"}
_LISTENING = {
    "warm": "I'm here and listening.",
    "collaborative": "I'm with you.",
    "professional": "Understood.",
    "casual": "Got it.",
}
# Milestones by what they usually are: a step taken, a day marked, a loss.
_STEPS = frozenset(
    {"moved", "married", "engaged", "graduated", "promoted", "promotion", "hired", "retired",
     "pregnant", "quit"}
)  # fmt: skip
_DAYS = frozenset({"birthday", "anniversary", "wedding", "graduation"})
_LOSSES = frozenset({"died", "passed", "funeral", "diagnosed", "fired", "divorce"})
# How a reply opens, by what the turn tells: a step taken, a day marked, a loss, a hard feeling, a
# hard moment, good news. "{}" is where the turn said back goes; otherwise it follows a colon.
_OPENERS = {
    "warm": {"step": "That's a big step", "day": "What a day to remember",
             "loss": "I'm so sorry to hear {}.", "feeling": "That's understandable",
             "hard": "That sounds hard", "good": "That's lovely to hear"},
    "collaborative": {"step": "That's a big step, and we can take it together",
                      "day": "That sounds like a day worth marking",
                      "loss": "I'm sorry to hear {}; thank you for telling me.",
                      "feeling": "Thank you for sharing that",
                      "hard": "That sounds hard, and we can look at it together",
                      "good": "Good to hear"},
    "professional": {"step": "That is a significant change", "day": "A notable day",
                     "loss": "I'm sorry to hear {}.", "feeling": "That is understandable",
                     "hard": "That sounds difficult", "good": "Good to hear"},
    "casual": {"step": "Wow, big move", "day": "What a day", "loss": "Oh no, sorry to hear {}.",
               "feeling": "Totally get it", "hard": "Oof, that's rough", "good": "Nice"},
}  # fmt: skip
_QUESTIONS: dict[str, dict[str, list[str]]] = {
    "warm": {
        "feeling": ["What's making you feel {}?", "When do you notice feeling {} the most?"],
        "person": ["What is {} like?", "How are things with {} these days?"],
        "place": ["What has {} been like for you so far?", "How are you finding {}?"],
        "topic": ["What matters most to you about {}?", "How do you feel about {}?"],
        "answered": ["Does that help with what you were wondering?", "Is that what you needed?"],
        "decide": ["What would help you decide?", "What does your gut say so far?"],
        "asked": ["What made you think of it today?", "What brought that to mind?"],
        "hard": ["How are you holding up?", "What would help most right now?"],
        "open": ["What's on your mind today?", "How are you feeling right now?"],
    },
    "collaborative": {
        "feeling": ["Shall we look at what's making you feel {}?"],
        "person": ["What would you like to explore about {} together?"],
        "place": ["What would you like to figure out together about {}?"],
        "topic": ["Where would you like us to start with {}?"],
        "answered": ["Shall we build on that together?"],
        "decide": ["What have you already considered, so we can weigh it together?"],
        "asked": ["What would you like us to do with that?"],
        "hard": ["What kind of support would help right now?"],
        "open": ["Where would you like to start?"],
    },
    "professional": {
        "feeling": ["What do you think is causing you to feel {}?"],
        "person": ["What role does {} play in this?"],
        "place": ["What are your priorities for {}?"],
        "topic": ["What outcome would you like from {}?"],
        "answered": ["Does that answer your question?"],
        "decide": ["Which criteria matter most to you here?"],
        "asked": ["What prompted the question?"],
        "hard": ["What support would be most useful right now?"],
        "open": ["What would be most useful to focus on next?"],
    },
    "casual": {
        "feeling": ["What's got you feeling {}?"],
        "person": ["So what's {} like?"],
        "place": ["How's {} treating you so far?"],
        "topic": ["How's {} going?"],
        "answered": ["Does that help?"],
        "decide": ["What's your gut telling you?"],
        "asked": ["What got you thinking about that?"],
        "hard": ["How are you holding up?"],
        "open": ["What's up?"],
    },
}
