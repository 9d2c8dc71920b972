"""Time in a query: the window a question's time expression names ("last summer", "in May 2023",
"two weeks ago", "after March"), and whether it asks when something happened.

Pure functions of (query, today). A memory whose `occurred_at` falls in the window, or that
states a date when the query asks "when", keeps more of its score (`time_weight`): a soft boost,
never a filter (the `occurred_after/before` filters are the hard ones).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dotline.services.memories.occurrence import stated_day

IN_WINDOW_BOOST = 1.0  # extra share of its score for a memory that happened in the query's window
STATES_TIME_BOOST = 0.5  # extra share, for a "when" question, for a memory that states a date
_TOLERANCE_DAYS = {"day": 1, "week": 3, "fortnight": 4, "month": 10, "year": 60}
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # first month
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTH = "(" + "|".join(_MONTHS) + ")"
_SEASON = "(" + "|".join(_SEASONS) + ")"
_ASKS_WHEN = re.compile(r"^\s*when\b|\b(?:what|which) (?:date|day|month|year)\b|\bhow long ago\b")
_BOUND = re.compile(r"\b(before|after|since|until)\s+(.*)$")
_IN_YEAR = re.compile(r"\b(?:in|during) (\d{4})\b")
_IN_MONTH = re.compile(r"\b(?:in|during) " + _MONTH + r"(?:,? (\d{4}))?\b")
_SEASON_OF = re.compile(
    r"\b(?:(last|this|in|during)(?: the)? )?" + _SEASON + r"(?: (?:of )?(\d{4}))?\b"
)
_AGO = re.compile(
    r"\b(?:\d{1,3}|an?|one|two|three|four|five|six|a couple of) (day|week|fortnight|month|year)s? ago\b"
)
_LAST_UNIT = re.compile(r"\b(?:last|this past) (week|month|year)\b")


@dataclass(frozen=True)
class Window:
    """The days a query's time expression covers, both ends included (None: open)."""

    start: date | None
    end: date | None

    def holds(self, moment: datetime) -> bool:
        """Whether `moment`'s day is in the window."""
        day = moment.date()
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


def asks_when(query: str) -> bool:
    """Whether the query asks when something happened ("When did ...", "What date ...")."""
    return _ASKS_WHEN.search(query.lower()) is not None


def query_window(query: str, today: date) -> Window | None:
    """The window the query's first time expression names, relative to `today`; None if none.
    "before X" / "after X" open the window on one side of X's window."""
    lowered = query.lower()
    bound = _BOUND.search(lowered)
    if bound is not None:
        named = _window("in " + bound.group(2), today)  # "after May" reads as "in May"
        if named is not None:
            if bound.group(1) in ("before", "until"):
                return Window(None, named.start - timedelta(days=1) if named.start else None)
            return Window(named.end + timedelta(days=1) if named.end else None, None)
        lowered = lowered[: bound.start()]
    return _window(lowered, today)


def time_weight(
    window: Window | None, asks: bool, occurred_at: datetime | None, text: str
) -> float:
    """What a memory's score is multiplied by for when it happened (1: no boost)."""
    weight = 1.0
    if window is not None and occurred_at is not None and window.holds(occurred_at):
        weight += IN_WINDOW_BOOST
    if asks and occurred_at is not None and stated_day(text, occurred_at.date()) is not None:
        weight += STATES_TIME_BOOST
    return weight


def _window(text: str, today: date) -> Window | None:
    """The window of the first expression found, tried from the most specific kind."""
    if (match := _AGO.search(text)) is not None:
        return _around(stated_day(match.group(0), today), _TOLERANCE_DAYS[match.group(1)])
    if (match := _LAST_UNIT.search(text)) is not None:
        return _previous(match.group(1), today)
    if (match := _IN_MONTH.search(text)) is not None:
        month = _MONTHS[match.group(1)]
        year = int(match.group(2)) if match.group(2) else _latest_year(month, today)
        return Window(date(year, month, 1), _month_end(year, month))
    if (match := _IN_YEAR.search(text)) is not None:
        year = int(match.group(1))
        return Window(date(year, 1, 1), date(year, 12, 31))
    if (match := _SEASON_OF.search(text)) is not None and (match.group(1) or match.group(3)):
        return _season(match.group(2), match.group(3), match.group(1), today)
    day = stated_day(text, today)  # yesterday, last Saturday, on 3 May, 2024-05-03, ...
    return _around(day, 0)


def _around(day: date | None, tolerance_days: int) -> Window | None:
    if day is None:
        return None
    return Window(day - timedelta(days=tolerance_days), day + timedelta(days=tolerance_days))


def _previous(unit: str, today: date) -> Window:
    if unit == "week":
        return Window(
            today - timedelta(days=today.weekday() + 7), today - timedelta(days=today.weekday() + 1)
        )
    if unit == "month":
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        return Window(date(year, month, 1), _month_end(year, month))
    return Window(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))


def _season(name: str, year: str | None, which: str | None, today: date) -> Window:
    """A season's three months: of the year named, else the latest one begun before today
    ("last summer" in May is last year's; "this summer" is this year's)."""
    first = _SEASONS[name]
    if year is not None:
        start_year = int(year)
    else:
        start_year = today.year if date(today.year, first, 1) <= today else today.year - 1
        if which == "last" and _season_end(start_year, first) >= today:
            start_year -= 1
    end = _season_end(start_year, first)
    return Window(date(start_year, first, 1), end)


def _season_end(year: int, first: int) -> date:
    last = first + 2
    return _month_end(year + (last - 1) // 12, (last - 1) % 12 + 1)


def _latest_year(month: int, today: date) -> int:
    return today.year if month <= today.month else today.year - 1


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])
