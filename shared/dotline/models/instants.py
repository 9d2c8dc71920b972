"""Moments a request may carry: with a time zone, and storable (by Python and by Postgres)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime


def _storable(value: datetime) -> datetime:
    """The moment itself, unless it falls outside years 1 to 9999 once in UTC (a date such as
    9999-12-31T23:59:59-14:00 is year 10000 there), which nothing downstream can hold."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the range of dates that can be stored") from None
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_storable)]
