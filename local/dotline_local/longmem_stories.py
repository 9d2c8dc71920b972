"""Stories of the long-conversation benchmark: what one speaker tells the other over one or more
sessions, and the questions it answers, with their evidence marked.

A story's lines speak as its owner (role 0) or the other speaker (role 1); an episode is the
lines told in one session, and a story of several episodes is told in that many sessions, in
order. A question names its evidence by the marks of the lines that hold it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from dotline_local.longmem_lives import CHAIN, HINT_PROMPTS, Trait, Update
from dotline_local.longmem_talk import PRONOUNS, RELATIVE_TIMES
from dotline_local.longmem_topics import Topic

ASKED_SHARE = 0.7  # news the other speaker asked for, the line before it; else told unprompted
WHEN_QUESTION_SHARE = 0.5  # stories with a relative time that also get a "when" question
KINDS = ("single", "multi_hop", "temporal", "open")
REACTIONS = ("Oh wow!", "Good for you!", "Sounds lovely.", "No way!", "Ha, brilliant.",
             "That's a lot.", "Fair enough!")  # fmt: skip


@dataclass(frozen=True)
class Speaker:
    name: str
    pronoun: str

    def slots(self) -> dict[str, str]:
        """The question's {name}, {poss}, {refl} ..."""
        return {"name": self.name, **PRONOUNS[self.pronoun]}


@dataclass(frozen=True)
class Line:
    role: int  # 0: the story's owner, 1: the other speaker
    text: str
    when: str | None = None  # the relative time the text says
    mark: str | None = None  # evidence for the story's questions


@dataclass(frozen=True)
class Planned:
    kind: str
    text: str
    marks: tuple[str, ...]


@dataclass
class Story:
    owner: int  # the speaker (0: the person, 1: the other)
    topic: str  # what it is about ("pet", "home", a trait ...): several stories may share one
    gap: int  # fewest sessions between two episodes
    episodes: list[list[Line]] = field(default_factory=list)
    questions: list[Planned] = field(default_factory=list)


def _line(role: int, template: str, slots: dict[str, str], mark: str | None = None) -> Line:
    when = slots.get("when") if "{when}" in template else None
    return Line(role, template.format(**slots), when, mark)


def topic_story(
    rng: random.Random, topic: Topic, values: list[dict[str, str]], owner: int, who: Speaker,
    prefix: str,
) -> Story:  # fmt: skip
    """One or more instances of a topic; several get a list question across their sessions."""
    story = Story(owner, topic.key, gap=1)
    for i, value in enumerate(values):
        slots = {**value, "when": rng.choice(list(RELATIVE_TIMES))}
        mark = f"{prefix}.{i}"
        if rng.random() < ASKED_SHARE:
            news = _line(0, rng.choice(topic.answers), slots, mark)
            lines = [Line(1, rng.choice(topic.asks)), news]
        else:
            lines = [_line(0, rng.choice(topic.says), slots, mark)]
        story.episodes.append([*lines, Line(1, rng.choice(topic.reacts))])
        asked = {**who.slots(), **value}
        # One of several instances is asked about by something of its own.
        forms = [f for f in topic.questions if len(values) == 1 or _names_one(f, value)]
        story.questions.append(Planned("single", rng.choice(forms).format(**asked), (mark,)))
        if topic.when_questions and rng.random() < WHEN_QUESTION_SHARE:
            text = rng.choice(topic.when_questions).format(**asked)
            story.questions.append(Planned("temporal", text, (mark,)))
    if len(values) > 1 and topic.list_question:
        marks = tuple(f"{prefix}.{i}" for i in range(len(values)))
        story.questions.append(
            Planned("multi_hop", topic.list_question.format(**who.slots()), marks)
        )
    return story


def update_story(
    rng: random.Random, update: Update, old: str, new: str, owner: int, who: Speaker, prefix: str
) -> Story:
    """A fact, then its replacement at least two sessions later."""
    slots = {"old": old, "new": new, "when": rng.choice(list(RELATIVE_TIMES))}
    first = _line(0, rng.choice(update.firsts), slots, f"{prefix}.0")
    later = _line(0, rng.choice(update.laters), slots, f"{prefix}.1")
    story = Story(owner, update.key, gap=3)
    story.episodes.append([Line(1, rng.choice(update.first_asks)), first, _react(rng)])
    story.episodes.append([Line(1, rng.choice(update.later_asks)), later, _react(rng)])
    asked = {**who.slots(), **slots}
    story.questions += [
        Planned("single", rng.choice(update.current_questions).format(**asked), (f"{prefix}.1",)),
        Planned("multi_hop", rng.choice(update.before_questions).format(**asked),
                (f"{prefix}.0", f"{prefix}.1")),
        Planned("temporal", rng.choice(update.when_questions).format(**asked), (f"{prefix}.1",)),
    ]  # fmt: skip
    return story


def chain_story(
    rng: random.Random, relation: tuple[str, str], rel: str, news: tuple[str, ...], owner: int,
    who: Speaker, prefix: str,
) -> Story:  # fmt: skip
    """A relative introduced by relation, then news about them by name alone."""
    pronouns = PRONOUNS[relation[1]]
    slots = {"relation": relation[0], "rel": rel, "obj": pronouns["obj"], "subj": pronouns["subj"]}
    story = Story(owner, "relative", gap=3)
    intro = _line(0, rng.choice(CHAIN.intros), slots, f"{prefix}.0")
    story.episodes.append([intro, _react(rng)])
    told = _line(0, news[0], slots, f"{prefix}.1")
    story.episodes.append([Line(1, "Any news from the family?"), told, _react(rng)])
    text = rng.choice(news[1:]).format(**{**slots, **who.slots()})
    story.questions.append(Planned("multi_hop", text, (f"{prefix}.0", f"{prefix}.1")))
    return story


def trait_story(rng: random.Random, trait: Trait, owner: int, who: Speaker, prefix: str) -> Story:
    """Three hints in three sessions, and an open question they answer together."""
    story = Story(owner, trait.key, gap=1)
    hints = rng.sample(trait.hints, 3)
    for i, hint in enumerate(hints):
        lines = [Line(0, hint, mark=f"{prefix}.{i}"), _react(rng)]
        if rng.random() < ASKED_SHARE:
            lines.insert(0, Line(1, rng.choice(HINT_PROMPTS)))
        story.episodes.append(lines)
    text = rng.choice(trait.questions).format(**who.slots())
    story.questions.append(Planned("open", text, tuple(f"{prefix}.{i}" for i in range(3))))
    return story


def _names_one(form: str, value: dict[str, str]) -> bool:
    """Whether a question form names something of this instance's own (its place, its title)."""
    return any(f"{{{slot}}}" in form for slot in value)


def _react(rng: random.Random) -> Line:
    return Line(1, rng.choice(REACTIONS))
