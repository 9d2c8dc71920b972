"""What one conversation of the long-conversation benchmark is about: whose news, on which
topics (the two speakers share several, with different values), which facts change, which
relatives and traits; and the small talk around it all.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from dotline_local.longmem_lives import CHAIN, RELATIVES, TRAITS, UPDATES
from dotline_local.longmem_stories import (
    Line,
    Speaker,
    Story,
    chain_story,
    topic_story,
    trait_story,
    update_story,
)
from dotline_local.longmem_talk import BACKCHANNELS, EXCHANGES, RELATIVE_NAMES
from dotline_local.longmem_topics import TOPICS, Topic

# Per speaker (the person, the other): topics told once, topics told 2-3 times (with a list
# question), updated facts, relatives, traits. The other's topics are mostly the person's too.
SINGLE_TOPICS = (8, 5)
REPEATED_TOPICS = (2, 1)
SHARED_TOPICS = 3
UPDATED = (2, 1)
RELATIVES_TOLD = (2, 1)
TRAITS_SHOWN = (3, 2)
CHATTER_SHARE = 0.3  # of small-talk items: a remark on one of the conversation's topics


@dataclass(frozen=True)
class Placed:
    """Lines said together in one session: a story's episode, or small talk."""

    speaker: int  # who says the lines of role 0
    lines: list[Line]
    topic: str | None = None  # a story's topic (its speaker's own news); None: small talk


@dataclass(frozen=True)
class Plan:
    stories: list[Story]
    chatter: list[str]  # remarks on the conversation's topics that hold no fact


def plan_conversation(rng: random.Random, pair: tuple[Speaker, Speaker]) -> Plan:
    """Every story of the conversation, the person's and the other's."""
    topics = _topics(rng)
    decks = {t.key: rng.sample(t.values, len(t.values)) for t in TOPICS}
    stories: list[Story] = []
    for owner, (single, repeated) in enumerate(topics):
        for topic in single:
            stories.append(_told(rng, topic, [decks[topic.key].pop()], owner, pair, len(stories)))
        for topic in repeated:
            values = [decks[topic.key].pop() for _ in range(rng.randint(2, 3 - owner))]
            stories.append(_told(rng, topic, values, owner, pair, len(stories)))
    updates = [(u, rng.sample(u.olds, 2), rng.sample(u.news, 2)) for u in UPDATES]
    for owner, count in enumerate(UPDATED):
        for update, olds, news in rng.sample(updates, count):
            prefix = f"{owner}.{len(stories)}"
            old, new = olds[owner], news[owner]
            stories.append(update_story(rng, update, old, new, owner, pair[owner], prefix))
    total = sum(RELATIVES_TOLD)
    kin = zip(rng.sample(RELATIVES, total), rng.sample(RELATIVE_NAMES, total),
              rng.sample(CHAIN.news, total), strict=True)  # fmt: skip
    for owner, count in enumerate(RELATIVES_TOLD):
        for relation, rel, news_item in [next(kin) for _ in range(count)]:
            prefix = f"{owner}.{len(stories)}"
            stories.append(chain_story(rng, relation, rel, news_item, owner, pair[owner], prefix))
    traits = iter(rng.sample(TRAITS, sum(TRAITS_SHOWN)))
    for owner, count in enumerate(TRAITS_SHOWN):
        for trait in [next(traits) for _ in range(count)]:
            prefix = f"{owner}.{len(stories)}"
            stories.append(trait_story(rng, trait, owner, pair[owner], prefix))
    chatter = [c for single, repeated in topics for t in (*single, *repeated) for c in t.chatter]
    return Plan(stories, sorted(set(chatter)))


def _topics(rng: random.Random) -> list[tuple[list[Topic], list[Topic]]]:
    """(told once, told several times) for the person, then for the other."""
    repeatable = [t for t in TOPICS if t.list_question]
    person_repeated = rng.sample(repeatable, REPEATED_TOPICS[0])
    rest = [t for t in TOPICS if t not in person_repeated]
    person_single = rng.sample(rest, SINGLE_TOPICS[0])
    other_repeated = rng.sample(repeatable, REPEATED_TOPICS[1])
    shared = rng.sample([t for t in person_single if t not in other_repeated], SHARED_TOPICS)
    free = [t for t in rest if t not in person_single and t not in other_repeated]
    other_single = shared + rng.sample(free, SINGLE_TOPICS[1] - SHARED_TOPICS)
    return [(person_single, person_repeated), (other_single, other_repeated)]


def _told(
    rng: random.Random, topic: Topic, values: list[dict[str, str]], owner: int,
    pair: tuple[Speaker, Speaker], index: int,
) -> Story:  # fmt: skip
    return topic_story(rng, topic, values, owner, pair[owner], f"{owner}.{index}")


class SmallTalk:
    """Everyday exchanges and remarks, each used once before any comes round again."""

    def __init__(self, rng: random.Random, chatter: list[str]) -> None:
        self._rng = rng
        self._chatter = chatter
        self._exchanges: list[tuple[str, ...]] = []
        self._remarks: list[str] = []

    def fill(self, lines: int) -> list[Placed]:
        """Items of at least `lines` lines in all (none when `lines` <= 0)."""
        items: list[Placed] = []
        while sum(len(item.lines) for item in items) < lines:
            starter = self._rng.randrange(2)
            if self._chatter and self._rng.random() < CHATTER_SHARE:
                remark = [Line(0, self._next_remark()), Line(1, self._rng.choice(BACKCHANNELS))]
                items.append(Placed(starter, remark))
            else:
                exchange = self._next_exchange()
                items.append(Placed(starter, [Line(i % 2, t) for i, t in enumerate(exchange)]))
        return items

    def _next_exchange(self) -> tuple[str, ...]:
        if not self._exchanges:
            self._exchanges = self._rng.sample(EXCHANGES, len(EXCHANGES))
        return self._exchanges.pop()

    def _next_remark(self) -> str:
        if not self._remarks:
            self._remarks = self._rng.sample(self._chatter, len(self._chatter))
        return self._remarks.pop()
