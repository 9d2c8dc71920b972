"""A deterministic long-conversation corpus for the retrieval benchmark (bench/bench_longmem.py).

Each conversation is two named people chatting in sessions spread over months: greetings, small
talk and news. The first speaker is the person whose memory holds the conversation, the other a
friend, cousin or colleague; both tell news about themselves, often on the same topics (both
adopt a pet, both move house), the news often comes in the turn right after the other's
question, carries relative times ("last Saturday") that only the session's date resolves, and
some of it is replaced later (a move, a new job). Questions come in four kinds, each naming the
turns that hold its answer: single (one turn), multi_hop (turns in two or more sessions),
temporal ("when did ...", "what did ... do after ..."), open (a trait shown over several turns).

Two splits, from different seeds and disjoint names: `tune` (for tuning the ranking) and
`report` (for the figures). The same split and size always build the same corpus.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from dotline_local.longmem_plan import Placed, SmallTalk, plan_conversation
from dotline_local.longmem_stories import KINDS, Line, Speaker, Story
from dotline_local.longmem_talk import (
    BONDS,
    CLOSING_REPLIES,
    CLOSINGS,
    GREETING_REPLIES,
    GREETINGS,
    NAMES,
    resolve,
)

SPLITS = {"report": 2020, "tune": 1717}  # split -> seed
CONVERSATIONS = 12
SESSIONS = 20
FIRST_DAY = date(2024, 1, 8)

__all__ = ["KINDS", "SPLITS", "Conversation", "Corpus", "Question", "Turn", "build_corpus"]


@dataclass(frozen=True)
class Turn:
    turn_id: str  # "{conversation_id}:s{session}:t{turn}"
    session: int
    speaker: str
    text: str
    at: datetime  # when it was said
    event_date: date | None  # the day a relative time in the text names
    about: tuple[tuple[str, str], ...]  # (topic, whose news) of the stories it tells


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    person: str  # whose memory holds it
    other: str
    bond: str
    session_starts: tuple[datetime, ...]
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Question:
    question_id: str
    conversation_id: str
    kind: str  # one of KINDS
    about: str  # the speaker it asks about
    topic: str  # of the story it asks about
    text: str
    evidence: tuple[str, ...]  # turn ids


@dataclass(frozen=True)
class Corpus:
    split: str
    conversations: tuple[Conversation, ...]
    questions: tuple[Question, ...]


def build_corpus(split: str = "report", conversations: int = CONVERSATIONS) -> Corpus:
    """The split's first `conversations` conversations and their questions."""
    rng = random.Random(SPLITS[split])
    people = [Speaker(name, pronoun) for name, pronoun in NAMES[split]]
    rng.shuffle(people)
    if conversations * 2 > len(people):
        raise ValueError(f"at most {len(people) // 2} conversations in a split")
    built: list[Conversation] = []
    questions: list[Question] = []
    for n in range(conversations):
        pair = (people[2 * n], people[2 * n + 1])
        conversation, asked = _conversation(random.Random(rng.random()), f"{split}-{n + 1}", pair)
        built.append(conversation)
        questions += asked
    return Corpus(split, tuple(built), tuple(questions))


def _conversation(
    rng: random.Random, conversation_id: str, pair: tuple[Speaker, Speaker]
) -> tuple[Conversation, list[Question]]:
    plan = plan_conversation(rng, pair)
    day = FIRST_DAY + timedelta(days=rng.randrange(120))
    starts: list[datetime] = []
    for _ in range(SESSIONS):
        minute = rng.randrange(17 * 60, 22 * 60)
        starts.append(
            datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute)
        )
        day += timedelta(days=rng.randint(4, 15))
    sessions = _schedule(rng, plan.stories, SmallTalk(rng, plan.chatter))
    names = (pair[0].name, pair[1].name)
    turns: list[Turn] = []
    marks: dict[str, str] = {}
    for s, lines in enumerate(sessions):
        turns += _render(rng, conversation_id, s + 1, starts[s], lines, names, marks)
    questions = [
        Question(f"{conversation_id}:q{i + 1:03d}", conversation_id, planned.kind,
                 names[story.owner], story.topic, planned.text,
                 tuple(dict.fromkeys(marks[m] for m in planned.marks)))
        for i, (story, planned) in enumerate((st, p) for st in plan.stories for p in st.questions)
    ]  # fmt: skip
    bond = rng.choice(BONDS)
    return Conversation(conversation_id, *names, bond, tuple(starts), tuple(turns)), questions


def _schedule(rng: random.Random, stories: list[Story], talk: SmallTalk) -> list[list[Placed]]:
    """Each story's episodes in sessions of their own, in order and `gap` apart; one-episode
    stories in the least busy of three sessions; then small talk around them."""
    busy: list[list[Placed]] = [[] for _ in range(SESSIONS)]
    for story in stories:
        count = len(story.episodes)
        while True:
            picked = sorted(rng.sample(range(SESSIONS), count if count > 1 else 3))
            if count == 1:
                picked = [min(picked, key=lambda s: (len(busy[s]), s))]
            if all(b - a >= story.gap for a, b in pairwise(picked)):
                break
        for session, episode in zip(picked, story.episodes, strict=True):
            busy[session].append(Placed(story.owner, episode, story.topic))
    sessions = []
    for placed in busy:
        items = placed + talk.fill(rng.randint(13, 19) - _length(placed))
        rng.shuffle(items)
        starter = rng.randrange(2)
        opening = Placed(
            starter, [Line(0, rng.choice(GREETINGS)), Line(1, rng.choice(GREETING_REPLIES))]
        )
        closer = rng.randrange(2)
        closing = Placed(
            closer, [Line(0, rng.choice(CLOSINGS)), Line(1, rng.choice(CLOSING_REPLIES))]
        )
        sessions.append([opening, *items, closing])
    return sessions


def _length(placed: list[Placed]) -> int:
    return sum(len(item.lines) for item in placed)


@dataclass
class _Said:
    """A turn being put together: the lines one speaker says in a row."""

    speaker: int
    texts: list[str]
    event_date: date | None = None
    marks: list[str] = field(default_factory=list)
    about: list[tuple[str, str]] = field(default_factory=list)


def _render(
    rng: random.Random, conversation_id: str, session: int, start: datetime,
    placed: list[Placed], names: tuple[str, str], marks: dict[str, str],
) -> list[Turn]:  # fmt: skip
    """The session's turns (lines by the same speaker in a row make one); `marks` learns which
    turn holds each evidence mark."""
    said: list[_Said] = []
    for item in placed:
        for line in item.lines:
            speaker = item.speaker if line.role == 0 else 1 - item.speaker
            text = line.text.format(to=names[1 - speaker])
            if not said or said[-1].speaker != speaker:
                said.append(_Said(speaker, []))
            said[-1].texts.append(text[:1].upper() + text[1:])
            if line.when and said[-1].event_date is None:
                said[-1].event_date = resolve(line.when, start.date())
            if line.mark:
                said[-1].marks.append(line.mark)
            if item.topic and (item.topic, names[item.speaker]) not in said[-1].about:
                said[-1].about.append((item.topic, names[item.speaker]))
    turns = []
    at = start
    for t, turn in enumerate(said):
        turn_id = f"{conversation_id}:s{session:02d}:t{t + 1:02d}"
        text = " ".join(turn.texts)
        about = tuple(turn.about)
        turns.append(Turn(turn_id, session, names[turn.speaker], text, at, turn.event_date, about))
        marks.update(dict.fromkeys(turn.marks, turn_id))
        at += timedelta(seconds=rng.randint(20, 240))
    return turns
