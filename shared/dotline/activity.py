"""When a person was last active: `profiles.last_active_at`, marked by any authenticated request.

A Redis gate (`SET NX EX`, `cache_keys.activity_gate`) opens at most once a minute per person,
and only then is the profile written: reads cost one cache round trip, never a database write.
Marking is a side effect: any failure is logged and never fails the request.
"""

from __future__ import annotations

import logging
from uuid import UUID

from dotline import cache_keys
from dotline.bootstrap import deps

logger = logging.getLogger(__name__)

_MARK = "update public.profiles set last_active_at = now() where user_id = %(user_id)s"


def mark(user_id: UUID) -> bool:
    """Record that `user_id` is active now, unless it was recorded within the last minute;
    True when this call opened the gate."""
    opened = False
    try:
        d = deps()
        opened = d.cache.add_json(cache_keys.activity_gate(user_id), True, cache_keys.MINUTE_S)
        if opened:
            d.db.fetch_as_service(_MARK, {"user_id": user_id})
    except Exception:  # best effort: the request has its answer
        logger.warning("could not mark the caller active", exc_info=True)
    return opened


def unmark(user_id: UUID) -> None:
    """Drop the gate a refused request opened (its write was rolled back with it)."""
    try:
        deps().cache.delete([cache_keys.activity_gate(user_id)])
    except Exception:  # best effort, and the gate expires within the minute anyway
        logger.warning("could not drop the activity gate", exc_info=True)
