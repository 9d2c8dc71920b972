"""When a person was last active: `profiles.last_active_at`, marked by any authenticated request.

A Redis gate (`SET NX EX`, `cache_keys.activity_gate`) opens at most once a minute per person,
and only then is the profile written: reads cost no database write. The gate is set in the
request's rate-limit round trip (`dotline.rate_limiting`), so marking costs no Redis call of its
own. Marking is a side effect: any failure is logged and never fails the request.
"""

from __future__ import annotations

import logging
from uuid import UUID

from dotline import cache_keys
from dotline.bootstrap import deps
from dotline.ports.cache import Gate

logger = logging.getLogger(__name__)

_MARK = "update public.profiles set last_active_at = now() where user_id = %(user_id)s"


def gate(user_id: UUID) -> Gate:
    """The person's once-a-minute gate, for the rate-limit round trip to try to open."""
    return Gate(key=cache_keys.activity_gate(user_id), ttl_s=cache_keys.MINUTE_S)


def mark(user_id: UUID) -> None:
    """Record that `user_id` is active now (their request just opened the gate)."""
    try:
        deps().db.fetch_as_service(_MARK, {"user_id": user_id})
    except Exception:  # best effort: the request has its answer
        logger.warning("could not mark the caller active", exc_info=True)
