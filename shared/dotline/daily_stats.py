"""A person's counts for the current UTC day: `user:{uid}:stats:daily`, a Redis hash.

Written by the paths that see the activity: every authenticated request (`requests`, in the
rate-limit round trip: `dotline.rate_limiting`) and each stored batch of behaviour events
(`events.<action_type>`). Read by `GET /v1/me/stats/daily`. The hash expires at the next UTC
midnight (so within `cache_keys.DAILY_STATS_TTL_S`): it only ever holds today's counts, and a
lost hash only loses today's tally, never data. Erasure drops it with every `user:{uid}:*` key.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from dotline import cache_keys
from dotline.errors import ServiceUnavailable
from dotline.models.profiles import DailyStats
from dotline.ports.cache import Cache, Tally

logger = logging.getLogger(__name__)

REQUESTS = "requests"
EVENTS_PREFIX = "events."


def today() -> date:
    """The UTC day the counts belong to."""
    return datetime.now(UTC).date()


def _expire_at_s(day: date) -> int:
    return int(datetime.combine(day + timedelta(days=1), time(), UTC).timestamp())


def request_tally(user_id: UUID) -> Tally:
    """One request by the person, for the rate-limit round trip to add."""
    key = cache_keys.daily_stats(user_id)
    return Tally(key=key, counts={REQUESTS: 1}, expire_at_s=_expire_at_s(today()))


def count_events(cache: Cache, user_id: UUID, action_types: Iterable[str]) -> None:
    """Add stored behaviour events, by action type, to the person's day (a lost tally loses
    only today's count: logged, never raised)."""
    counts = Counter(f"{EVENTS_PREFIX}{action}" for action in action_types)
    if not counts:
        return
    key = cache_keys.daily_stats(user_id)
    try:
        cache.tally(Tally(key=key, counts=dict(counts), expire_at_s=_expire_at_s(today())))
    except ServiceUnavailable:
        logger.warning("behaviour events not counted in the day: the cache is unreachable")


def read(cache: Cache, user_id: UUID) -> DailyStats:
    """The person's counts so far today (zeros when nothing was counted)."""
    counts = cache.tallies(cache_keys.daily_stats(user_id))
    events = {
        name.removeprefix(EVENTS_PREFIX): n
        for name, n in counts.items()
        if name.startswith(EVENTS_PREFIX)
    }
    return DailyStats(day=today(), requests=counts.get(REQUESTS, 0), events=events)


def exported(cache: Cache, user_id: UUID) -> dict[str, Any]:
    """The person's day as cached, by key (left out when nothing was counted)."""
    key = cache_keys.daily_stats(user_id)
    counts = cache.tallies(key)
    return {key: counts} if counts else {}
