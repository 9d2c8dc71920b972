"""EventBridge schedule expressions: `rate(...)` and the common subset of `cron(...)`, in UTC.

rate(value unit): minute(s), hour(s), day(s). cron(minutes hours day-of-month month day-of-week
year) with `*`, `?`, numbers, ranges `a-b`, lists `a,b`, steps `*/n` and `a-b/n`, month and
weekday names (day-of-week 1-7 is SUN-SAT, as in EventBridge). `L`, `W` and `#` are not
supported: such an expression is refused with the reason, and the scheduler logs and skips it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_SEARCH = timedelta(days=366 * 5)  # a cron that never matches (Feb 30) gives up after this

_RATE = re.compile(r"^rate\((?P<value>\d+)\s+(?P<unit>minutes?|hours?|days?)\)$")
_CRON = re.compile(r"^cron\((?P<fields>[^)]*)\)$")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}
_MONTH_NAMES = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC"
_WEEKDAY_NAMES = "SUN MON TUE WED THU FRI SAT"
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES.split(), 1)}
_WEEKDAYS = {d: i for i, d in enumerate(_WEEKDAY_NAMES.split(), 1)}
# field: (lowest, highest, names)
_FIELDS = (
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _WEEKDAYS),
    ("year", 1970, 2199, {}),
)


class UnsupportedSchedule(ValueError):
    """An expression this scheduler cannot fire; the message says why."""


@dataclass(frozen=True)
class Rate:
    """Every `period`, counted from when the scheduler started (as from a rule's creation)."""

    period: timedelta

    def next_after(self, moment: datetime, started: datetime) -> datetime:
        periods = (moment - started) // self.period + 1
        return started + periods * self.period


@dataclass(frozen=True)
class Cron:
    """The allowed values of each field; a `*`/`?` day field matches any day."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None
    months: frozenset[int]
    weekdays: frozenset[int] | None
    years: frozenset[int]

    def next_after(self, moment: datetime, started: datetime) -> datetime:
        candidate = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = moment + MAX_SEARCH
        while candidate <= limit:
            if not (candidate.year in self.years and candidate.month in self.months):
                candidate = _first_of_next_month(candidate)
            elif not self._day_matches(candidate):
                candidate = candidate.replace(hour=0, minute=0) + timedelta(days=1)
            elif candidate.hour not in self.hours:
                candidate = candidate.replace(minute=0) + timedelta(hours=1)
            elif candidate.minute not in self.minutes:
                candidate += timedelta(minutes=1)
            else:
                return candidate
        raise UnsupportedSchedule("the cron expression never matches")

    def _day_matches(self, moment: datetime) -> bool:
        weekday = (moment.isoweekday() % 7) + 1  # EventBridge: SUN=1 ... SAT=7
        return (self.days is None or moment.day in self.days) and (
            self.weekdays is None or weekday in self.weekdays
        )


def parse(expression: str) -> Rate | Cron:
    """The schedule an expression describes; UnsupportedSchedule says why one cannot be fired."""
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate["value"]), rate["unit"].rstrip("s")
        if value < 1:
            raise UnsupportedSchedule(f"{expression}: a rate must be at least 1")
        return Rate(timedelta(seconds=value * _UNIT_S[unit]))
    cron = _CRON.match(text)
    if not cron:
        raise UnsupportedSchedule(f"{expression}: neither rate(...) nor cron(...)")
    fields = cron["fields"].split()
    if len(fields) != len(_FIELDS):
        raise UnsupportedSchedule(f"{expression}: cron needs 6 fields, got {len(fields)}")
    values = [
        _field(raw, *spec, expression=expression) for raw, spec in zip(fields, _FIELDS, strict=True)
    ]
    minutes, hours, days, months, weekdays, years = values
    return Cron(
        minutes=minutes or _all(0, 59), hours=hours or _all(0, 23), days=days,
        months=months or _all(1, 12), weekdays=weekdays, years=years or _all(1970, 2199),
    )  # fmt: skip


def _field(
    raw: str, name: str, low: int, high: int, names: dict[str, int], *, expression: str
) -> frozenset[int] | None:
    """The field's allowed values; None for `*` or `?` (anything)."""
    if raw in ("*", "?"):
        return None
    if any(mark in raw.upper() for mark in ("L", "W", "#")) and not _is_named(raw, names):
        raise UnsupportedSchedule(
            f"{expression}: {name} {raw!r} uses L, W or #, not supported locally"
        )
    allowed: set[int] = set()
    for part in raw.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, stop = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, stop = _value(first, names), _value(last, names)
        else:
            start = _value(base, names)
            stop = high if step_text else start
        if not (low <= start <= high and low <= stop <= high) or step < 1:
            raise UnsupportedSchedule(f"{expression}: {name} {raw!r} is out of range")
        allowed.update(range(start, stop + 1, step))
    return frozenset(allowed)


def _value(text: str, names: dict[str, int]) -> int:
    return names[text.upper()] if text.upper() in names else int(text)


def _is_named(raw: str, names: dict[str, int]) -> bool:
    tokens = re.split(r"[,/-]", raw.upper())
    return all(t in names or t.isdigit() for t in tokens)


def _all(low: int, high: int) -> frozenset[int]:
    return frozenset(range(low, high + 1))


def _first_of_next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(year=year, month=month, day=1, hour=0, minute=0)
