"""The mark erasure leaves on a person, so their tokens are refused from the moment it starts.

`private.erasures` in Postgres is the truth: it holds a row from the first erasure attempt on.
A Redis key per person mirrors it (`cache_keys.erasure_tombstone`), so every request checks it in
the round trip it already makes for its rate limits (`dotline.rate_limiting`). While Redis cannot
answer, the check asks Postgres instead, and keeps each answer for `RECHECK_S`.
"""

from __future__ import annotations

import threading
import time
from uuid import UUID

from dotline import cache_keys
from dotline.db import Database
from dotline.ports.cache import Cache

RECHECK_S = 30.0
ANSWERS_KEPT = 10_000
_ASKED = "select exists (select 1 from private.erasures where user_id = %(user_id)s) as erased"

_answers: dict[UUID, tuple[float, bool]] = {}
_answers_lock = threading.Lock()


def key(user_id: UUID) -> str:
    """The tombstone's key, for the rate-limit round trip that reads it with the counters."""
    return cache_keys.erasure_tombstone(user_id)


def mark(cache: Cache, user_id: UUID) -> None:
    """Set (or renew) the person's tombstone in Redis."""
    cache.set_json(cache_keys.erasure_tombstone(user_id), True, cache_keys.ERASURE_TOMBSTONE_TTL_S)


def erased_in_postgres(db: Database, user_id: UUID) -> bool:
    """Whether erasure of the person has started, by Postgres (an answer kept `RECHECK_S`)."""
    now = time.monotonic()
    with _answers_lock:
        kept = _answers.get(user_id)
    if kept is not None and now < kept[0]:
        return kept[1]
    rows = db.fetch_as_service(_ASKED, {"user_id": user_id}, read_only=True)
    erased = bool(rows and rows[0]["erased"])
    with _answers_lock:
        if len(_answers) >= ANSWERS_KEPT:
            _answers.clear()
        _answers[user_id] = (now + RECHECK_S, erased)
    return erased
