"""When the event a memory tells of happened: a date the text states ("last Saturday",
"two weeks ago", "on 3 May"), resolved against the moment it was said.

Pure functions of (text, said_at). English only; the first expression in the text wins; a text
stating no date happened when it was said. A resolved day keeps said_at's time of day and zone,
so the date stays the same in the zone it was said in.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2,
}  # fmt: skip
_DAYS_OF_UNIT = {"day": 1, "week": 7, "fortnight": 14}

_WEEKDAY = "(" + "|".join(_WEEKDAYS) + ")"
_MONTH = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_COUNT = r"(\d{1,3}|a couple of|" + "|".join(k for k in _NUMBERS if k != "a couple of") + ")"
_YEAR = r"(?:,?\s+(\d{4}))?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"

Resolve = Callable[[re.Match[str], date], date | None]


def occurred_at(text: str, said_at: datetime) -> datetime:
    """The moment the text's event happened: the first date it states, resolved against
    `said_at`; `said_at` itself when it states none."""
    day = stated_day(text, said_at.date())
    if day is None:
        return said_at
    return datetime.combine(day, said_at.timetz())


def stated_day(text: str, today: date) -> date | None:
    """The day of the first date the text states, resolved against `today`; None if none."""
    first: tuple[int, date] | None = None
    lowered = text.lower()
    for pattern, resolve in _RULES:
        for match in pattern.finditer(lowered):
            if first is not None and match.start() >= first[0]:
                break
            day = resolve(match, today)
            if day is not None:
                first = (match.start(), day)
                break
    return None if first is None else first[1]


def _days_back(days: int) -> Resolve:
    return lambda _match, today: today - timedelta(days=days)


def _ago(match: re.Match[str], today: date) -> date:
    count = _count(match.group(1))
    unit = match.group(2)
    if unit in _DAYS_OF_UNIT:
        return today - timedelta(days=count * _DAYS_OF_UNIT[unit])
    return _add_months(today, -count * (12 if unit == "year" else 1))


def _last_unit(match: re.Match[str], today: date) -> date:
    unit = match.group(1)
    if unit == "week":
        return today - timedelta(days=7)
    if unit == "weekend":
        return today - timedelta(days=(today.weekday() - 5) % 7 or 7)
    return _add_months(today, -12 if unit == "year" else -1)


def _past_weekday(match: re.Match[str], today: date) -> date:
    """The named weekday's latest day before today ("last Saturday", "on Saturday")."""
    wanted = _WEEKDAYS.index(match.group(1))
    return today - timedelta(days=(today.weekday() - wanted) % 7 or 7)


def _next_weekday(match: re.Match[str], today: date) -> date:
    wanted = _WEEKDAYS.index(match.group(1))
    return today + timedelta(days=(wanted - today.weekday()) % 7 or 7)


def _day_month(match: re.Match[str], today: date) -> date | None:
    return _calendar_day(today, match.group(3), match.group(2), match.group(1))


def _month_day(match: re.Match[str], today: date) -> date | None:
    return _calendar_day(today, match.group(3), match.group(1), match.group(2))


def _in_month(match: re.Match[str], today: date) -> date | None:
    return _calendar_day(today, match.group(2), match.group(1), "1")


def _iso(match: re.Match[str], _today: date) -> date | None:
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _calendar_day(today: date, year: str | None, month: str, day: str) -> date | None:
    """A date the text names; without a year, the latest one not after today."""
    try:
        named = date(int(year) if year else today.year, _MONTHS[month], int(day))
    except ValueError:
        return None
    if year is None and named > today:
        return _calendar_day(today, str(today.year - 1), month, day)
    return named


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _rule(pattern: str, resolve: Resolve) -> tuple[re.Pattern[str], Resolve]:
    return re.compile(r"\b" + pattern + r"\b"), resolve


_RULES = [
    _rule(r"(\d{4})-(\d{2})-(\d{2})", _iso),
    _rule(r"the day before yesterday", _days_back(2)),
    _rule(r"(?:yesterday|last night)", _days_back(1)),
    _rule(r"(?:today|tonight|this (?:morning|afternoon|evening))", _days_back(0)),
    _rule(r"tomorrow", _days_back(-1)),
    _rule(_COUNT + r" (day|week|fortnight|month|year)s? ago", _ago),
    _rule(r"(?:last|this past) " + _WEEKDAY, _past_weekday),
    _rule(r"next " + _WEEKDAY, _next_weekday),
    _rule(r"(?:last|this past) (weekend|week|month|year)", _last_unit),
    _rule(r"(?:on )?(?:the )?" + _DAY + r" (?:of )?" + _MONTH + _YEAR, _day_month),
    _rule(_MONTH + r" " + _DAY + _YEAR, _month_day),
    _rule(r"in " + _MONTH + _YEAR, _in_month),
    _rule(r"on " + _WEEKDAY, _past_weekday),
]
