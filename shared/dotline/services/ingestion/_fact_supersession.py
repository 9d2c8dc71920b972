"""Facts a newer statement contradicts: which memory stops holding, from when, and because of which.

A fact is keyed by what a contradicting one shares with it (ExtractedFact.key: the predicate for
single-valued ones like `lives_in`, predicate and value for `likes`). When two memories state
facts of one key with a different value or polarity, the earlier-said memory is superseded by
the later one from the moment the later one was said. Facts are compared in the order they were
said, whichever conversation was ingested first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter

from dotline.db import Transaction
from dotline.ports.language_model import ExtractedFact

_FACTS = TypeAdapter(list[ExtractedFact])

# The person's memories that still hold and state facts, but for those being ingested now.
_STANDING = """
select memory_id, creation_ts, attributes -> 'facts' as facts
from public.memories
where user_id = %(user_id)s and invalid_at is null and attributes ? 'facts'
  and not (memory_id = any(%(exclude)s::uuid[]))
"""
_SUPERSEDE = """
update public.memories
set invalid_at = %(at)s, superseded_by = %(newer)s
where user_id = %(user_id)s and memory_id = %(older)s and invalid_at is null
"""


@dataclass(frozen=True)
class StatedFact:
    """A fact as one memory states it, and when it was said."""

    memory_id: UUID
    said_at: datetime
    fact: ExtractedFact


@dataclass(frozen=True)
class Supersession:
    """`older` stops holding at `at`, when `newer` said otherwise."""

    older: UUID
    newer: UUID
    at: datetime
    predicate: str
    was: str
    now: str

    def record(self) -> dict[str, Any]:
        """How the newer memory's attributes.contradicts lists it."""
        return {
            "memory_id": str(self.older),
            "predicate": self.predicate,
            "was": self.was,
            "now": self.now,
        }


def standing_facts(tx: Transaction, user_id: UUID, exclude: Sequence[UUID]) -> list[StatedFact]:
    """Facts of the person's memories that still hold (but those in `exclude`)."""
    rows = tx.execute(_STANDING, {"user_id": user_id, "exclude": list(exclude)}).fetchall()
    return [
        StatedFact(row["memory_id"], row["creation_ts"], fact)
        for row in rows
        for fact in _FACTS.validate_python(row["facts"] or [])
    ]


def find_supersessions(
    standing: Sequence[StatedFact], incoming: Sequence[StatedFact]
) -> list[Supersession]:
    """Each contradiction among the facts, in the order the newer ones were said."""
    current: dict[str, StatedFact] = {}
    for stated in sorted(standing, key=lambda s: (s.said_at, str(s.memory_id))):
        current[stated.fact.key] = stated
    found: list[Supersession] = []
    for stated in sorted(incoming, key=lambda s: (s.said_at, str(s.memory_id))):
        key = stated.fact.key
        before = current.get(key)
        if (
            before is None
            or before.memory_id == stated.memory_id
            or _same(before.fact, stated.fact)
        ):
            if before is None or before.said_at <= stated.said_at:
                current[key] = stated
            continue
        older, newer = (before, stated) if before.said_at <= stated.said_at else (stated, before)
        found.append(
            Supersession(
                older.memory_id,
                newer.memory_id,
                newer.said_at,
                key,
                _said(older.fact),
                _said(newer.fact),
            )
        )
        current[key] = newer
    return found


def supersede(tx: Transaction, user_id: UUID, supersessions: Sequence[Supersession]) -> int:
    """Mark each older memory invalid from the newer one's time; returns how many changed."""
    changed = 0
    for s in supersessions:
        params = {"user_id": user_id, "older": s.older, "newer": s.newer, "at": s.at}
        changed += tx.execute(_SUPERSEDE, params).rowcount
    return changed


def _same(a: ExtractedFact, b: ExtractedFact) -> bool:
    return (a.value.casefold(), a.polarity) == (b.value.casefold(), b.polarity)


def _said(fact: ExtractedFact) -> str:
    return fact.value if fact.polarity else f"not {fact.value}"
