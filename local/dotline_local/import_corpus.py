"""A past conversation history to import: 20 sessions of 30 turns, a day apart, the person and
the assistant in turn, each turn a minute and some microseconds after the one before (so a lost
microsecond shows). One turn names a word said nowhere else, for a search to find. Used by
tests/test_imports_api.py and bench/bench_imports.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

SESSIONS, TURNS_PER_SESSION = 20, 30
PLACES = ["Lisbon", "Kyoto", "Oaxaca", "Tromso", "Hobart", "Tbilisi", "Valparaiso", "Zanzibar"]
PEOPLE = ["Mira", "Jonas", "Aiko", "Tomasz", "Leila"]
HOBBIES = ["pottery", "bouldering", "sourdough", "birdwatching", "cello", "kayaking"]
RARE = "Quokkafest"  # said once, in session 13, turn 8: the search must find it


def user_turn(session: int, turn: int) -> str:
    if (session, turn) == (13, 8):
        return f"I finally went to the {RARE} market in Perth and tasted durian ice cream."
    place = PLACES[(session + turn) % len(PLACES)]
    person = PEOPLE[(session * 3 + turn) % len(PEOPLE)]
    hobby = HOBBIES[(session + 2 * turn) % len(HOBBIES)]
    return (
        f"On trip {session} day {turn} I was in {place} with {person}, "
        f"and we spent the afternoon on {hobby}."
    )


def transcript(start: datetime | None = None) -> dict[str, Any]:
    """20 past sessions of 30 turns (the person and the assistant in turn), a day apart, each
    turn a minute and some microseconds after the one before."""
    start = start or datetime(2026, 5, 4, 8, 30, tzinfo=UTC)
    sessions = []
    for s in range(SESSIONS):
        began = start + timedelta(days=s)
        turns = []
        for t in range(TURNS_PER_SESSION):
            at = began + timedelta(minutes=t, microseconds=1_000 * s + t)
            if t % 2 == 0:
                turns.append({"role": "user", "speaker": "me", "text": user_turn(s, t),
                              "timestamp": at.isoformat()})  # fmt: skip
            else:
                turns.append({"role": "assistant", "speaker": "Coach", "timestamp": at.isoformat(),
                              "text": f"That sounds memorable; what stayed with you from day {t}?"})  # fmt: skip
        sessions.append({
            "title": f"Trip diary {s}", "external_id": f"chat-{s}",
            "started_at": began.isoformat(),
            "ended_at": (began + timedelta(minutes=TURNS_PER_SESSION)).isoformat(),
            "turns": turns,
        })  # fmt: skip
    return {"sessions": sessions}
