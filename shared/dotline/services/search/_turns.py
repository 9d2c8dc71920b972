"""How search ranks the turns of a conversation: how much a turn says, whose turn it is,
whether it only asks, and the reply after an asking turn. Pure functions over plain values
(the context they read comes from `_context`), so they can be read and tested apart from the
stores.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FULL_SAY = 8  # distinct meaningful words from which a turn counts as saying something in full
SHORT_FLOOR = 0.4  # what a turn that says nothing keeps of its score ("Which one?")
OTHER_SPEAKER_WEIGHT = 0.4  # a turn of someone else than the person the query names
REPLY_SHARE = 1.0  # what the reply after an asking hit earns of the hit's score: all of it
ASKING_WEIGHT = 0.5  # what an asking turn with a reply after it keeps of its score
FOLLOW_SHARE = 0.3  # what the turn after any other hit earns
_WORD = re.compile(r"[^\W\d_]+")


def informativeness(said: int | None) -> float:
    """What share of its score a memory keeps for how much it says: SHORT_FLOOR for nothing,
    rising linearly to 1 at FULL_SAY distinct meaningful words (None: unknown, keeps all)."""
    if said is None:
        return 1.0
    return SHORT_FLOOR + (1.0 - SHORT_FLOOR) * min(max(said, 0), FULL_SAY) / FULL_SAY


def named_people(query: str, people: Iterable[str]) -> set[str]:
    """The people (lower-cased names) the query names: every word of the name is in it, or
    the first one is ("Mei" names "mei lin")."""
    words = {w.lower() for w in _WORD.findall(query)}
    named = set()
    for person in people:
        parts = _WORD.findall(person.lower())
        if parts and (parts[0] in words or all(p in words for p in parts)):
            named.add(person.lower())
    return named


def speaker_weight(speakers: Iterable[str], named: set[str]) -> float:
    """OTHER_SPEAKER_WEIGHT for a memory of other people only when the query names someone;
    1 when it names nobody, the memory names no one, or one of its people is named."""
    own = {s.lower() for s in speakers}
    if not named or not own or own & named:
        return 1.0
    return OTHER_SPEAKER_WEIGHT


def asks(text: str) -> bool:
    """Whether a turn asks something (its last sentence is a question)."""
    return text.rstrip().endswith("?")


def asking_weight(text: str, replied: bool) -> float:
    """ASKING_WEIGHT for a turn that asks something and has a reply after it: the question
    shares the query's words, the answer is in the reply (which earns REPLY_SHARE of the
    question's score); 1 for any other turn."""
    return ASKING_WEIGHT if replied and asks(text) else 1.0


def follow_credit(hit_score: float, hit_text: str) -> float:
    """What the memory right after a hit (the same source, next in time) earns from it: the
    reply to an asking turn most, the next turn of any other hit less."""
    return hit_score * (REPLY_SHARE if asks(hit_text) else FOLLOW_SHARE)
