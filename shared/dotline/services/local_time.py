"""The person's own calendar: the days a person says or asks about ("yesterday", "last Saturday",
"on 3 May") are days where they live, in their profile's IANA time zone (UTC without a profile).

A moment is resolved on that calendar by converting it to the zone first: Sunday 20:00 UTC is
already Monday in Tokyo, so "last Saturday" said then is the Saturday before that Monday, and the
event keeps the Tokyo time of day (the Saturday's instant, not the Sunday's).
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotline.auth import Principal
from dotline.db import Database, Transaction

logger = logging.getLogger(__name__)

UTC_ZONE = ZoneInfo("UTC")
_ZONE = "select timezone from public.profiles where user_id = %(user_id)s"


def zone_in(tx: Transaction, user_id: UUID) -> ZoneInfo:
    """The person's time zone, read in an open transaction (theirs, or the service's)."""
    return _zone(tx.execute(_ZONE, {"user_id": user_id}).fetchone())


def zone_of(db: Database, user: Principal) -> ZoneInfo:
    """The caller's time zone, in a read of its own."""
    rows = db.fetch_as_user(user, _ZONE, {"user_id": user.user_id}, read_only=True)
    return _zone(rows[0] if rows else None)


def on_calendar(moment: datetime, zone: ZoneInfo) -> datetime:
    """The same instant on the person's clock (its date is their day); as it was where the
    clock cannot show it (a moment at the very end of year 9999 in a zone east of UTC)."""
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return moment


def _zone(row: dict[str, Any] | None) -> ZoneInfo:
    return _named(row["timezone"]) if row else UTC_ZONE


@lru_cache(maxsize=256)
def _named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # Postgres validated the name (profiles' check); this runtime's tzdata may lag behind.
        logger.warning("time zone unknown here; resolving dates in UTC", extra={"zone": name})
        return UTC_ZONE
