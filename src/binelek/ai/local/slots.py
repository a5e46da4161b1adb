"""Deterministic slot parsers for the offline engine: each finds values in a user's text and says
which characters it used (`span`, a half-open `(start, end)` range), so the engine can remove what
it has understood and keep the rest as free text.

Dates are resolved against a given `now` in an IANA timezone and always come back as ranges: a day
is `[00:00, next day 00:00)`, "last week" is Monday to Monday (ISO weeks), "at 3pm" is the instant
itself (`start == end`). A range's `end` is exclusive. Where an expression does not say which way
in time it points ("on Friday", "March 5", "Q3"), `prefer` picks the nearest one in the past or in
the future; "since …" always looks back, "next …" always forwards, "last …" always back.
"""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from binelek.ai.local.words import RIGHT_QUOTE, word_set

Span = tuple[int, int]
Prefer = Literal["past", "future"]
# How a date relates to what the user asks for: the start of a range ("since", "from", "after"),
# its end ("until", "before", "to" after a "from"), or a deadline ("by", "due").
Relation = Literal["start", "end", "deadline"] | None
Bound = Literal["min", "max"] | None

FLAGS = re.IGNORECASE


def overlaps(span: Span, taken: Iterable[Span]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


# ---------------------------------------------------------------------------------------- numbers

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "couple": 2,
    "few": 3,
}
_COUNT_WORDS = "|".join(w for w in _NUMBER_WORDS if w not in ("a", "an", "couple", "few"))
NUM = r"(?:\d+|an?|" + _COUNT_WORDS + r"|(?:a\s+)?couple(?:\s+of)?|(?:a\s+)?few)"


def number_value(text: str) -> int:
    words = text.lower().split()
    if words and words[0].isdigit():
        return int(words[0])
    meaningful = [w for w in words if w not in ("a", "of")] or words
    return _NUMBER_WORDS[meaningful[0]]


# ------------------------------------------------------------------------------------------ dates

_MONTHS = {
    name: index
    for index in range(1, 13)
    for name in (calendar.month_name[index].lower(), calendar.month_abbr[index].lower())
}
_MONTHS["sept"] = 9
_MONTH_ANY = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")"
# A month name alone (no day, no year) must be spelled out and capitalised, or follow a
# preposition: "may", "march" and "mar" are everyday words.
_MONTH_ALONE = r"(?:January|February|March|April|June|July|August|September|October|November|December)"
_WEEKDAYS = {name.lower(): index for index, name in enumerate(calendar.day_name)}
_WEEKDAY_ABBR = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4}
_WEEKDAY = r"(?:" + "|".join(sorted([*_WEEKDAYS, *_WEEKDAY_ABBR], key=len, reverse=True)) + r")"
_UNIT = r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|quarters?|years?|yrs?)"
_ORDINAL = r"(?:st|nd|rd|th)?"
_QUARTER_WORDS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_PARTS_OF_DAY = {
    "morning": (6, 12),
    "afternoon": (12, 18),
    "evening": (18, 24),
    "night": (18, 24),
    "tonight": (18, 24),
}


@dataclass(frozen=True)
class DateMatch:
    """A date or time found in the text: `[start, end)` in the asked timezone; `start == end` for
    an instant ("at 3pm"). `relation` is what the words before it said it bounds."""

    start: datetime
    end: datetime
    has_time: bool
    grain: str  # time, day, week, month, quarter, year, or span (a rolling or to-date range)
    relation: Relation
    span: Span

    @property
    def point(self) -> datetime:
        """As a single instant (a due date): the start; a day without a time is its midnight."""
        return self.start


@dataclass(frozen=True)
class _Range:
    start: datetime
    end: datetime
    has_time: bool
    grain: str


class _Clock:
    """`now` in the asked timezone, and the calendar arithmetic the expressions need."""

    def __init__(self, now: datetime, timezone: str, prefer: Prefer) -> None:
        self.zone = ZoneInfo(timezone)
        aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        self.now = aware.astimezone(self.zone)
        self.today = self.now.date()
        self.prefer: Prefer = prefer

    def at(self, day: date, clock: time = time()) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.zone)

    def days(self, first: date, after_last: date, grain: str = "day") -> _Range:
        return _Range(self.at(first), self.at(after_last), False, grain)

    def day(self, day: date) -> _Range:
        return self.days(day, day + timedelta(days=1))

    def instant(self, moment: datetime) -> _Range:
        return _Range(moment, moment, True, "time")

    def elapsed(self, delta: timedelta) -> datetime:
        """`now` moved by an exact duration (DST-safe: computed in UTC)."""
        return (self.now.astimezone(UTC) + delta).astimezone(self.zone)

    def period(self, grain: str, day: date) -> _Range:
        """The week, month, quarter or year containing `day`."""
        if grain == "week":
            monday = day - timedelta(days=day.weekday())
            return self.days(monday, monday + timedelta(days=7), "week")
        if grain == "month":
            first = day.replace(day=1)
            return self.days(first, add_months(first, 1), "month")
        if grain == "quarter":
            first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            return self.days(first, add_months(first, 3), "quarter")
        first = date(day.year, 1, 1)
        return self.days(first, date(day.year + 1, 1, 1), "year")

    def shift(self, grain: str, day: date, steps: int) -> date:
        if grain == "week":
            return day + timedelta(weeks=steps)
        if grain == "quarter":
            return add_months(day, 3 * steps)
        if grain == "year":
            return add_months(day, 12 * steps)
        return add_months(day, steps)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _unit_of(word: str) -> str:
    word = word.lower()
    for unit, prefixes in (
        ("minute", ("min",)),
        ("hour", ("hour", "hr")),
        ("day", ("day",)),
        ("week", ("week", "wk")),
        ("month", ("month", "mo")),
        ("quarter", ("quarter",)),
        ("year", ("year", "yr")),
    ):
        if word.startswith(prefixes):
            return unit
    raise ValueError(word)


def _move(clock: _Clock, unit: str, amount: int) -> _Range:
    """`amount` units from now (negative: ago): an instant for minutes and hours, else the day."""
    if unit in ("minute", "hour"):
        return clock.instant(clock.elapsed(timedelta(**{f"{unit}s": amount})))
    if unit == "day":
        return clock.day(clock.today + timedelta(days=amount))
    if unit == "week":
        return clock.day(clock.today + timedelta(weeks=amount))
    months = {"month": 1, "quarter": 3, "year": 12}[unit] * amount
    return clock.day(add_months(clock.today, months))


def _duration(unit: str, amount: int, clock: _Clock, forwards: bool) -> datetime:
    """The instant `amount` units from now, exactly (rolling windows: "the last 24 hours")."""
    sign = 1 if forwards else -1
    if unit in ("minute", "hour", "day", "week"):
        return clock.elapsed(timedelta(**{f"{unit}s": sign * amount}))
    months = {"month": 1, "quarter": 3, "year": 12}[unit] * amount * sign
    return clock.at(add_months(clock.today, months), clock.now.timetz().replace(tzinfo=None))


def _nearest_day(clock: _Clock, candidate: Callable[[int], date | None], prefer: Prefer) -> date | None:
    """`candidate(year)` nearest today on the preferred side, today included ("March 5")."""
    offsets = (0, -1) if prefer == "past" else (0, 1)
    for offset in offsets:
        day = candidate(clock.today.year + offset)
        if day is not None and (day <= clock.today if prefer == "past" else day >= clock.today):
            return day
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _weekday(clock: _Clock, weekday: int, modifier: str, prefer: Prefer) -> date:
    """ "next Friday" is the first Friday after today, "last Friday" the one before; "this Friday"
    is this week's; a bare "Friday" the nearest on the preferred side (today included)."""
    today = clock.today
    ahead = (weekday - today.weekday()) % 7
    behind = (today.weekday() - weekday) % 7
    if modifier in ("next", "coming"):
        return today + timedelta(days=ahead or 7)
    if modifier in ("last", "past", "previous"):
        return today - timedelta(days=behind or 7)
    if modifier == "this":
        return today + timedelta(days=weekday - today.weekday())
    return today - timedelta(days=behind) if prefer == "past" else today + timedelta(days=ahead)


_Handler = Callable[[re.Match[str], _Clock, Prefer], _Range | None]


def _iso(m: re.Match[str], clock: _Clock, prefer: Prefer) -> _Range | None:
    day = _safe_date(int(m["y"]), int(m["mo"]), int(m["d"]))
    if day is None:
        return None
    if m["h"] is None:
        return clock.day(day)
    if int(m["h"]) > 23 or int(m["mi"]) > 59:
        return None
    return clock.instant(clock.at(day, time(int(m["h"]), int(m["mi"]), int(m["s"] or 0))))


def _day_month(m: re.Match[str], clock: _Clock, prefer: Prefer) -> _Range | None:
    month, day_number = _MONTHS[m["month"].lower()], int(m["d"])
    if m["y"]:
        day = _safe_date(int(m["y"]), month, day_number)
    else:
        day = _nearest_day(clock, lambda year: _safe_date(year, month, day_number), prefer)
    return clock.day(day) if day else None


def _month(m: re.Match[str], clock: _Clock, prefer: Prefer) -> _Range | None:
    """A whole month: "March 2025"; "last March"; a bare "March" nearest on the preferred side
    (the current month counts on both sides)."""
    month = _MONTHS[m["month"].lower()]
    groups = m.groupdict()
    if groups.get("y"):
        return clock.period("month", date(int(groups["y"]), month, 1))
    modifier = (groups.get("mod") or "").lower()
    year = clock.today.year
    if modifier == "this":
        pass
    elif modifier == "last" or (modifier != "next" and prefer == "past"):
        if month > clock.today.month or (modifier == "last" and month == clock.today.month):
            year -= 1
    elif month < clock.today.month or (modifier == "next" and month == clock.today.month):
        year += 1
    return clock.period("month", date(year, month, 1))


def _quarter(m: re.Match[str], clock: _Clock, prefer: Prefer) -> _Range | None:
    number = int(m["q"]) if m["q"] else _QUARTER_WORDS[m["qword"].lower()]
    year_text = m["y"] or m["y2"]
    if year_text:
        return clock.period("quarter", date(int(year_text), 3 * number - 2, 1))
    this_year = clock.period("quarter", date(clock.today.year, 3 * number - 2, 1))
    if prefer == "past" and this_year.start > clock.now:
        return clock.period("quarter", date(clock.today.year - 1, 3 * number - 2, 1))
    if prefer == "future" and this_year.end <= clock.now:
        return clock.period("quarter", date(clock.today.year + 1, 3 * number - 2, 1))
    return this_year


def _to_date(m: re.Match[str], clock: _Clock, prefer: Prefer) -> _Range | None:
    word = (m["grain"] or m["abbr"] or m["sofar"]).lower()
    grain = {"ytd": "year", "mtd": "month", "wtd": "week", "qtd": "quarter"}.get(word, word)
    return _Range(clock.period(grain, clock.today).start, clock.now, True, "span")


def _boundary(m: re.Match[str], clock: _Clock, prefer: Prefer) -> _Range | None:
    """Start or end of a period, as a day: "end of month" is its last day, "end of week" its
    Friday (the end of a working week), "end of day" today."""
    grain, modifier = m["grain"].lower(), (m["mod"] or "").lower()
    steps = {"next": 1, "last": -1, "previous": -1}.get(modifier, 0)
    if grain == "day":
        return clock.day(clock.today + timedelta(days=steps))
    period = clock.period(grain, clock.shift(grain, clock.today, steps))
    if m["edge"].lower() in ("start", "beginning"):
        return clock.day(period.start.date())
    if grain == "week":
        return clock.day(period.start.date() + timedelta(days=4))
    return clock.day(period.end.date() - timedelta(days=1))


def _weekend(clock: _Clock, modifier: str, prefer: Prefer) -> _Range:
    saturday = clock.today + timedelta(days=5 - clock.today.weekday())
    this_weekend_over = clock.today > saturday + timedelta(days=1)
    if modifier in ("last", "previous", "past", "prior") or (modifier == "the" and prefer == "past"):
        if saturday > clock.today:
            saturday -= timedelta(days=7)
    elif (modifier == "next" and clock.today.weekday() >= 5) or this_weekend_over:
        saturday += timedelta(days=7)
    return clock.days(saturday, saturday + timedelta(days=2), "weekend")


def _relative_period(m: re.Match[str], clock: _Clock, prefer: Prefer) -> _Range | None:
    """ "last week" is the previous calendar week; "the past week" the 7 days up to now."""
    modifier, grain = m["mod"].lower(), m["grain"].lower()
    if grain == "weekend":
        return _weekend(clock, modifier, prefer)
    if modifier == "the":
        return None
    if modifier == "past":
        return _Range(_duration(grain, 1, clock, forwards=False), clock.now, True, "span")
    steps = {"last": -1, "previous": -1, "prior": -1, "next": 1, "coming": 1}.get(modifier, 0)
    return clock.period(grain, clock.shift(grain, clock.today, steps))


def _rolling(m: re.Match[str], clock: _Clock, prefer: Prefer) -> _Range | None:
    """ "the last 3 days": from exactly that long ago until now; "the next 2 weeks": now onwards."""
    amount = number_value(m["n"]) if m["n"] else 1
    unit = _unit_of(m["unit"])
    if m["dir"].lower() in ("next", "coming", "following", "within"):
        return _Range(clock.now, _duration(unit, amount, clock, forwards=True), True, "span")
    return _Range(_duration(unit, amount, clock, forwards=False), clock.now, True, "span")


def _ago(m: re.Match[str], clock: _Clock, prefer: Prefer) -> _Range | None:
    return _move(clock, _unit_of(m["unit"]), -number_value(m["n"]))


def _ahead(m: re.Match[str], clock: _Clock, prefer: Prefer) -> _Range | None:
    return _move(clock, _unit_of(m["unit"] or m["unit2"]), number_value(m["n"] or m["n2"]))


def _part_range(clock: _Clock, day: date, part: str) -> _Range:
    first_hour, last_hour = _PARTS_OF_DAY[part]
    end = clock.at(day + timedelta(days=1)) if last_hour == 24 else clock.at(day, time(last_hour))
    return _Range(clock.at(day, time(first_hour)), end, True, "span")


def _day_word(m: re.Match[str], clock: _Clock, prefer: Prefer) -> _Range | None:
    word = " ".join(m["word"].lower().split())
    offsets = {"today": 0, "tonight": 0, "tomorrow": 1, "tmrw": 1, "yesterday": -1}
    offsets |= {"day before yesterday": -2, "day after tomorrow": 2}
    day = clock.today + timedelta(days=offsets[word])
    part = (m["part"] or ("tonight" if word == "tonight" else "")).lower()
    return _part_range(clock, day, part) if part else clock.day(day)


def _part_of_day(m: re.Match[str], clock: _Clock, prefer: Prefer) -> _Range | None:
    day = clock.today - timedelta(days=1) if m["mod"].lower() == "last" else clock.today
    return _part_range(clock, day, m["part"].lower())


def _weekday_match(m: re.Match[str], clock: _Clock, prefer: Prefer) -> _Range | None:
    word = m["day"].lower()
    weekday = _WEEKDAYS.get(word, _WEEKDAY_ABBR.get(word))
    if weekday is None:
        return None
    if m["week"]:
        steps = {"next": 1, "last": -1, "this": 0}[m["week"].lower()]
        monday = clock.today - timedelta(days=clock.today.weekday()) + timedelta(weeks=steps)
        return clock.day(monday + timedelta(days=weekday))
    return clock.day(_weekday(clock, weekday, (m["mod"] or "").lower(), prefer))


def _year(m: re.Match[str], clock: _Clock, prefer: Prefer) -> _Range | None:
    return clock.period("year", date(int(m["y"]), 1, 1))


@dataclass(frozen=True)
class _DatePattern:
    regex: re.Pattern[str]
    handler: _Handler
    # Only after a preposition ("in 2025", "since may"): alone these are numbers and words.
    needs_preposition: bool = False


def _p(pattern: str, handler: _Handler, needs_preposition: bool = False) -> _DatePattern:
    return _DatePattern(re.compile(pattern, FLAGS), handler, needs_preposition)


_IN_PAST_OR_NEXT = r"\b(?:the\s+)?"
# In priority order: an earlier pattern's match wins the characters it covers.
_DATE_PATTERNS: tuple[_DatePattern, ...] = (
    _p(
        r"\b(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})"
        r"(?:[T ](?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?)?\b",
        _iso,
    ),
    _p(
        r"\b(?P<d>\d{1,2})" + _ORDINAL + r"\s+(?:of\s+)?(?P<month>" + _MONTH_ANY + r")\b\.?"
        r"(?:,?\s+(?P<y>\d{4})\b)?",
        _day_month,
    ),
    _p(
        r"\b(?P<month>" + _MONTH_ANY + r")\.?\s+(?:the\s+)?(?P<d>\d{1,2})" + _ORDINAL + r"\b"
        r"(?!\s*(?::|am\b|pm\b|a\.m\.|p\.m\.|%))(?:,?\s+(?P<y>\d{4})\b)?",
        _day_month,
    ),
    _p(r"\b(?P<month>" + _MONTH_ANY + r")\.?,?\s+(?P<y>\d{4})\b", _month),
    _p(
        r"\b(?:(?P<y2>\d{4})\s+)?(?:q(?P<q>[1-4])|(?P<qword>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter)"
        r"\b(?:\s+(?:of\s+)?(?P<y>\d{4})\b)?",
        _quarter,
    ),
    _p(
        r"\b(?:(?P<grain>year|month|week|quarter)[\s-]to[\s-]date|(?P<abbr>ytd|mtd|wtd|qtd)"
        r"|so\s+far\s+this\s+(?P<sofar>year|month|week|quarter))\b",
        _to_date,
    ),
    _p(
        r"\b(?P<edge>end|start|beginning)\s+of\s+(?:the\s+)?(?:(?P<mod>this|next|last|current|previous)\s+)?"
        r"(?P<grain>day|week|month|quarter|year)\b",
        _boundary,
    ),
    _p(
        _IN_PAST_OR_NEXT + r"(?P<dir>last|past|previous|prior|next|coming|following)\s+(?P<n>" + NUM + r")\s+"
        r"(?P<unit>" + _UNIT + r")\b",
        _rolling,
    ),
    _p(_IN_PAST_OR_NEXT + r"(?P<dir>last|past)\s+(?P<n>)(?P<unit>minute|hour|24h)\b", _rolling),
    _p(r"\b(?P<dir>within)\s+(?:the\s+next\s+)?(?P<n>" + NUM + r")\s+(?P<unit>" + _UNIT + r")\b", _rolling),
    _p(r"\b(?P<day>" + _WEEKDAY + r")\b\.?,?\s+(?P<week>next|last|this)\s+week\b(?P<mod>)", _weekday_match),
    _p(
        r"\b(?:the\s+)?(?P<mod>last|past|previous|prior|this|current|next|coming|the)"
        r"\s+(?P<grain>week|month|quarter|year|weekend)\b",
        _relative_period,
    ),
    _p(r"\b(?P<n>" + NUM + r")\s+(?P<unit>" + _UNIT + r")\s+ago\b", _ago),
    _p(
        r"\b(?:in\s+(?P<n>" + NUM + r")\s+(?P<unit>" + _UNIT + r")(?:'s)?(?:\s+time)?"
        r"|(?P<n2>" + NUM + r")\s+(?P<unit2>" + _UNIT + r")\s+from\s+(?:now|today))\b",
        _ahead,
    ),
    _p(
        r"\b(?:the\s+)?(?P<word>day\s+before\s+yesterday|day\s+after\s+tomorrow|today|tonight|tomorrow|tmrw"
        r"|yesterday)(?:\s+(?P<part>morning|afternoon|evening|night))?\b",
        _day_word,
    ),
    _p(r"\b(?P<mod>this|last)\s+(?P<part>morning|afternoon|evening|night)\b", _part_of_day),
    _p(
        r"\b(?:(?P<mod>last|next|this|coming|past|previous)\s+)?(?P<day>" + _WEEKDAY + r")\b\.?(?P<week>)",
        _weekday_match,
    ),
    _p(r"\b(?P<mod>last|next|this)\s+(?P<month>" + _MONTH_ANY + r")\b", _month),
    # Alone, a month is a proper noun ("March", not "march the team"), or follows a preposition.
    _DatePattern(re.compile(r"\b(?P<month>" + _MONTH_ALONE + r")\b"), _month),
    _p(r"\b(?P<month>may|" + _MONTH_ANY + r")\b", _month, needs_preposition=True),
    _p(r"\b(?P<y>(?:19|20)\d{2})\b", _year, needs_preposition=True),
)

# Words before a date that say how it bounds the request. Kept in the date's span so the
# free text left over does not keep a dangling "since".
_START_WORDS = r"since|from|after|starting(?:\s+(?:from|on|at))?|beginning|as\s+of|between"
_END_WORDS = r"until|till|til|before|up\s+to|through|thru|ending|to|and"
_DEADLINE_WORDS = r"by|due(?:\s+(?:on|by|at))?|no\s+later\s+than"
_NEUTRAL_WORDS = r"on|in|at|during|for|over|of"
_PREPOSITION = re.compile(
    r"\b(?:(?P<start>"
    + _START_WORDS
    + r")|(?P<end>"
    + _END_WORDS
    + r")|(?P<deadline>"
    + _DEADLINE_WORDS
    + r")"
    r"|(?P<neutral>" + _NEUTRAL_WORDS + r"))\s+(?:the\s+)?$",
    FLAGS,
)


def _preposition(text: str, start: int) -> tuple[str | None, str, int]:
    """The preposition right before `start`: (kind, word, where it starts)."""
    found = _PREPOSITION.search(text, max(0, start - 24), start)
    if found is None:
        return None, "", start
    kind = next(name for name in ("start", "end", "deadline", "neutral") if found[name])
    return kind, found[kind].lower(), found.start()


# ------------------------------------------------------------------------------------------ times

_TIME_PATTERNS = (
    re.compile(
        r"\b(?:at\s+|@\s*)?(?P<h>1[0-2]|0?[1-9])(?::(?P<mi>[0-5]\d))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)(?!\w)",
        FLAGS,
    ),
    re.compile(r"\b(?:at\s+|@\s*)?(?P<h>[01]?\d|2[0-3])[:h](?P<mi>[0-5]\d)\b(?!\s*%)", FLAGS),
    re.compile(r"\b(?:at\s+)?(?P<word>noon|midday|midnight)\b", FLAGS),
    re.compile(r"\b(?:at\s+)?(?P<h>1[0-2]|0?[1-9])\s*o'?clock\b", FLAGS),
)


@dataclass(frozen=True)
class _TimeMatch:
    clock_time: time
    span: Span


def _time_of(m: re.Match[str]) -> time:
    groups = m.groupdict()
    if groups.get("word"):
        return time(0) if m["word"].lower() == "midnight" else time(12)
    hour, minute = int(m["h"]), int(groups.get("mi") or 0)
    meridiem = (groups.get("ampm") or "").lower().replace(".", "")
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    elif "ampm" in groups and not meridiem and "mi" not in groups and hour < 8:
        hour += 12  # "at 3 o'clock" in business hours is the afternoon
    return time(hour, minute)


def _find_times(text: str, taken: list[Span]) -> list[_TimeMatch]:
    found: list[_TimeMatch] = []
    for pattern in _TIME_PATTERNS:
        for m in pattern.finditer(text):
            span = (m.start(), m.end())
            if not overlaps(span, taken) and not overlaps(span, [t.span for t in found]):
                found.append(_TimeMatch(_time_of(m), span))
    return found


_JOIN_DATE_TIME = re.compile(r"^[\s,]*(?:at|@|on)?\s*$", FLAGS)


def _attach_time(text: str, ranges: list[tuple[Span, _Range]], moment: _TimeMatch, clock: _Clock) -> bool:
    """Put a time on the day written next to it ("next Tuesday at 3pm", "3pm tomorrow")."""
    for index, (span, found) in enumerate(ranges):
        between = (
            text[span[1] : moment.span[0]] if span[1] <= moment.span[0] else text[moment.span[1] : span[0]]
        )
        if found.grain == "day" and _JOIN_DATE_TIME.match(between):
            instant = clock.at(found.start.date(), moment.clock_time)
            joined = (min(span[0], moment.span[0]), max(span[1], moment.span[1]))
            ranges[index] = (joined, clock.instant(instant))
            return True
    return False


def _time_alone(moment: _TimeMatch, clock: _Clock, prefer: Prefer) -> _Range:
    """A time with no day: today's, or the nearest one on the preferred side."""
    instant = clock.at(clock.today, moment.clock_time)
    if prefer == "future" and instant < clock.now:
        instant = clock.at(clock.today + timedelta(days=1), moment.clock_time)
    elif prefer == "past" and instant > clock.now:
        instant = clock.at(clock.today - timedelta(days=1), moment.clock_time)
    return clock.instant(instant)


# -------------------------------------------------------------------------------- dates: assembly


def parse_dates(
    text: str,
    *,
    now: datetime,
    timezone: str = "UTC",
    prefer: Prefer = "future",
    exclude: Sequence[Span] = (),
) -> list[DateMatch]:
    """Every date, period and time in `text`, in reading order."""
    clock = _Clock(now, timezone, prefer)
    taken = list(exclude)
    found: list[tuple[Span, _Range, str | None]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.regex.finditer(text):
            span = (m.start(), m.end())
            if overlaps(span, taken):
                continue
            kind, word, _ = _preposition(text, m.start())
            if pattern.needs_preposition and kind is None:
                continue
            # "since" always looks back: "since Monday" is the Monday just gone.
            resolved = pattern.handler(m, clock, "past" if word == "since" else prefer)
            if resolved is not None:
                found.append((span, resolved, word))
                taken.append(span)
    ranges = [(span, resolved) for span, resolved, _ in found]
    for moment in _find_times(text, taken):
        if not _attach_time(text, ranges, moment, clock):
            ranges.append((moment.span, _time_alone(moment, clock, prefer)))
    ranges.sort(key=lambda item: item[0])
    return _with_relations(text, ranges)


def _with_relations(text: str, ranges: list[tuple[Span, _Range]]) -> list[DateMatch]:
    matches: list[DateMatch] = []
    for span, found in ranges:
        kind, word, where = _preposition(text, span[0])
        relation: Relation = None
        previous = matches[-1].relation if matches else None
        if kind == "start":
            relation = "start"
        elif kind == "deadline":
            relation = "deadline"
        elif kind == "end" and (word not in ("to", "and") or previous == "start"):
            relation = "end"
        # Neutral words ("in", "on") stay in the text: "logged in today" keeps its "logged in".
        keep_word = relation is not None
        start = where if keep_word else span[0]
        matches.append(
            DateMatch(found.start, found.end, found.has_time, found.grain, relation, (start, span[1]))
        )
    return matches


# ---------------------------------------------------------------------------------------- amounts

_SYMBOLS = {
    "us$": "USD",
    "$": "USD",
    "a$": "AUD",
    "au$": "AUD",
    "c$": "CAD",
    "ca$": "CAD",
    "nz$": "NZD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₩": "KRW",
    "r$": "BRL",
    "₺": "TRY",
    "₪": "ILS",
    "zł": "PLN",
}
_CODES = sorted(
    word_set(
        "USD EUR GBP JPY CHF CAD AUD NZD SEK NOK DKK PLN CZK HUF RON BGN INR CNY HKD SGD ZAR BRL MXN KRW TRY"
        " ILS AED SAR THB IDR MYR PHP VND UAH ISK"
    )
)
_CURRENCY_WORDS = {
    "dollars": "USD",
    "dollar": "USD",
    "bucks": "USD",
    "euros": "EUR",
    "euro": "EUR",
    "pounds": "GBP",
    "pound": "GBP",
    "quid": "GBP",
    "sterling": "GBP",
    "yen": "JPY",
    "francs": "CHF",
    "rupees": "INR",
}
_SCALES = {
    "k": 1_000,
    "thousand": 1_000,
    "grand": 1_000,
    "m": 1_000_000,
    "mm": 1_000_000,
    "million": 1_000_000,
    "bn": 1_000_000_000,
    "b": 1_000_000_000,
    "billion": 1_000_000_000,
}
_AMOUNT_NUMBER = r"(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
_SCALE = r"(?:(?P<scale>k|mm|m|bn|b)\b|\s?(?P<scale_word>thousand|million|billion|grand)\b)"
_SYMBOL = r"(?P<symbol>" + "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True)) + r")"
_CODE = r"(?P<code>" + "|".join(_CODES) + r")"
_CURRENCY_WORD = r"(?P<word>" + "|".join(_CURRENCY_WORDS) + r")"
_AMOUNT_PATTERNS = (
    re.compile(r"(?<![\w$])" + _SYMBOL + r"\s?" + _AMOUNT_NUMBER + _SCALE + r"?(?![\d.,]*\d)", FLAGS),
    re.compile(r"\b" + _CODE + r"\s?" + _AMOUNT_NUMBER + _SCALE + r"?(?![\d.,]*\d)", FLAGS),
    re.compile(
        r"(?<![\w.,])" + _AMOUNT_NUMBER + _SCALE + r"?\s?(?:" + _CODE + r"|" + _CURRENCY_WORD + r")\b", FLAGS
    ),
    re.compile(r"(?<![\w.,$])" + _AMOUNT_NUMBER + r"(?P<scale>k|m|bn)\b", FLAGS),
)
_BOUND_WORDS = re.compile(
    r"(?:(?P<min>over|above|more\s+than|greater\s+than|at\s+least|min(?:imum)?(?:\s+of)?|>=?|from|exceeding"
    r"|between)"
    r"|(?P<max>under|below|less\s+than|at\s+most|max(?:imum)?(?:\s+of)?|<=?|up\s+to|no\s+more\s+than|to))\s*$",
    FLAGS,
)


@dataclass(frozen=True)
class AmountMatch:
    value: Decimal
    currency: str | None  # ISO 4217, None when the text names none ("1.2k")
    bound: Bound  # "over $500" is a minimum, "under $500" a maximum
    span: Span


def parse_amounts(text: str, *, exclude: Sequence[Span] = ()) -> list[AmountMatch]:
    taken = list(exclude)
    found: list[AmountMatch] = []
    for pattern in _AMOUNT_PATTERNS:
        for m in pattern.finditer(text):
            span = (m.start(), m.end())
            if overlaps(span, taken):
                continue
            try:
                value = Decimal(m["n"].replace(",", ""))
            except InvalidOperation:
                continue
            groups = m.groupdict()
            scale = (groups.get("scale") or groups.get("scale_word") or "").lower()
            if scale:  # "1.2k" is 1200, not 1200.0
                value = _plain(value * _SCALES[scale])
            currency = _currency(groups)
            bound_match = _BOUND_WORDS.search(text, max(0, span[0] - 20), span[0])
            bound: Bound = None
            if bound_match:
                bound = "min" if bound_match["min"] else "max"
                span = (bound_match.start(), span[1])
            found.append(AmountMatch(value, currency, bound, span))
            taken.append(span)
    return _between(text, sorted(found, key=lambda a: a.span))


_AND = re.compile(r"\s*(and|to|-|\u2013)\s*", FLAGS)


def _between(text: str, found: list[AmountMatch]) -> list[AmountMatch]:
    """In "between $100 and $500" the amount after "and" is the maximum."""
    for index in range(1, len(found)):
        previous, current = found[index - 1], found[index]
        joined = _AND.fullmatch(text, previous.span[1], current.span[0])
        if previous.bound == "min" and current.bound is None and joined:
            found[index] = AmountMatch(
                current.value, current.currency, "max", (joined.start(1), current.span[1])
            )
    return found


def _plain(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _currency(groups: dict[str, str | None]) -> str | None:
    if groups.get("symbol"):
        return _SYMBOLS[(groups["symbol"] or "").lower()]
    if groups.get("code"):
        return (groups["code"] or "").upper()
    if groups.get("word"):
        return _CURRENCY_WORDS[(groups["word"] or "").lower()]
    return None


# --------------------------------------------------------------------------------------- integers

# Words that make a number a count of results ("top 5", "last 10", "show 20").
_COUNT_CUES = (
    r"top|last|first|latest|newest|oldest|recent|most\s+recent|show(?:\s+me)?|list|give\s+me|get|up\s+to"
)
_COUNT_CUES += r"|limit(?:\s+to)?|only|just|at\s+most|max(?:imum)?|return|fetch|find|the|me|for|any|see"
_COUNT_BEFORE = re.compile(r"(?:^|\b(?:" + _COUNT_CUES + r"))\s*$", FLAGS)
_INTEGER = re.compile(r"(?<![\w.,$€£#/-])(?P<n>\d+|" + _COUNT_WORDS + r")(?![\w.,:/%-]*\w)(?!\s*%)", FLAGS)
_NEXT_WORD = re.compile(r"\s+[a-z]", FLAGS)


@dataclass(frozen=True)
class IntegerMatch:
    value: int
    # A count the user asks for ("top 5", "10 results"), not a number inside a name ("order 1042").
    is_count: bool
    span: Span
    word_before: str


def parse_integers(text: str, *, exclude: Sequence[Span] = ()) -> list[IntegerMatch]:
    found: list[IntegerMatch] = []
    for m in _INTEGER.finditer(text):
        span = (m.start(), m.end())
        if overlaps(span, exclude):
            continue
        word = m["n"].lower()
        if not word.isdigit() and word not in _NUMBER_WORDS:
            continue
        before = text[: m.start()]
        cued = bool(_COUNT_BEFORE.search(before)) and bool(
            _NEXT_WORD.match(text, m.end()) or m.end() == len(text)
        )
        cued = cued or bool(re.search(r"\b(?:top|last|first|latest|limit|max)\s*$", before, FLAGS))
        previous = re.search(r"(\w+)\W*$", before)
        found.append(IntegerMatch(number_value(word), cued, span, previous[1].lower() if previous else ""))
    return found


# ----------------------------------------------------------------------------------------- e-mail

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?![\w-])", FLAGS)


@dataclass(frozen=True)
class EmailMatch:
    value: str
    span: Span


def parse_emails(text: str) -> list[EmailMatch]:
    return [EmailMatch(m[0], (m.start(), m.end())) for m in _EMAIL.finditer(text)]


# ------------------------------------------------------------------------------------------- URLs

# An http(s) address up to whitespace; a sentence's closing punctuation is not part of it.
_URL = re.compile(r"\bhttps?://[^\s<>\"']+", FLAGS)


def parse_urls(text: str) -> list[EmailMatch]:
    found = []
    for match in _URL.finditer(text):
        value = match[0].rstrip(".,;:!?)")
        found.append(EmailMatch(value, (match.start(), match.start() + len(value))))
    return found


# ----------------------------------------------------------------------------- enums and booleans


@dataclass(frozen=True)
class PhraseMatch:
    value: str
    span: Span


@lru_cache(maxsize=4096)
def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A phrase as a whole-word pattern: any run of spaces, hyphens or underscores between its
    words, any case, an optional plural ending."""
    words = [re.escape(word) for word in re.split(r"[\s_\-.]+", phrase.strip()) if word]
    plural = r"(?:s|es)?" if words and words[-1][-1:].isalpha() else ""
    return re.compile(r"(?<![\w-])" + r"[\s_\-.]*".join(words) + plural + r"(?![\w-])", FLAGS)


def match_phrases(
    text: str, phrases: Mapping[str, Sequence[str]], *, exclude: Sequence[Span] = ()
) -> list[PhraseMatch]:
    """Which values' phrases occur in `text`; on overlap the longest phrase wins."""
    candidates = [
        PhraseMatch(value, (m.start(), m.end()))
        for value, value_phrases in phrases.items()
        for phrase in value_phrases
        for m in phrase_pattern(phrase).finditer(text)
    ]
    candidates.sort(key=lambda c: (-(c.span[1] - c.span[0]), c.span[0]))
    chosen: list[PhraseMatch] = []
    for candidate in candidates:
        if not overlaps(candidate.span, [*exclude, *(c.span for c in chosen)]):
            chosen.append(candidate)
    return sorted(chosen, key=lambda c: c.span)


def enum_phrases(values: Sequence[str], synonyms: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Each value's phrases: its synonyms when it has some, else its own name read as words."""
    return {value: list(synonyms.get(value) or [value]) for value in values}


def match_enum(
    text: str, values: Sequence[str], synonyms: Mapping[str, Sequence[str]] | None = None
) -> list[PhraseMatch]:
    return match_phrases(text, enum_phrases(values, synonyms or {}))


_NEGATION_BEFORE = re.compile(
    r"\b(?:without|no|not|never|missing|lacks?|lacking|n't|haven't|hasn't|don't|doesn't|didn't|isn't|aren't"
    r"|disabled|off|turned\s+off|skipped|skipping|yet\s+to)\b|n't\b",
    FLAGS,
)
_NEGATION_AFTER = re.compile(
    r"^\W*(?:is\s+|are\s+)?(?:off|disabled|turned\s+off|not\s+(?:set|enabled|on))\b", FLAGS
)
_CLAUSE_BREAK = re.compile(r"[.;!?]|\b(?:but|and|or|who|which|that)\b", FLAGS)


@dataclass(frozen=True)
class BooleanMatch:
    value: bool
    span: Span


def match_boolean(
    text: str, cues: Mapping[str, Sequence[str]] | None = None, terms: Sequence[str] = ()
) -> BooleanMatch | None:
    """A yes/no slot. Cue phrases first ({"true": [...], "false": [...]}, longest wins); else a
    term ("MFA") said with a negation shortly before or after it ("without MFA", "MFA off")
    is false, said plainly it is true."""
    phrases = {key: list(value) for key, value in (cues or {}).items() if key in ("true", "false")}
    found = match_phrases(text, phrases)
    if found:
        longest = max(found, key=lambda c: c.span[1] - c.span[0])
        return BooleanMatch(longest.value == "true", longest.span)
    for term in match_phrases(text, {"term": list(terms)}):
        window_start = max(0, term.span[0] - 40)
        before = text[window_start : term.span[0]]
        breaks = list(_CLAUSE_BREAK.finditer(before))
        clause = before[breaks[-1].end() :] if breaks else before
        negated = bool(_NEGATION_BEFORE.search(clause)) or bool(_NEGATION_AFTER.match(text[term.span[1] :]))
        return BooleanMatch(not negated, term.span)
    return None


# ------------------------------------------------------------------------------------------ names

_WORD = re.compile(r"[^\W\d_][\w'" + RIGHT_QUOTE + r"-]*", re.UNICODE)
NAME_CUTOFF = 0.8  # difflib ratio: one typo in a 5+ letter name ("Jonh" for "John" is 0.75: too far)


@dataclass(frozen=True)
class NameMatch:
    name: str  # as written in the known list
    score: float  # 1.0 exact full name; first or last name alone, or with typos, less
    span: Span


def _similar(typed: str, known: str) -> float:
    typed, known = typed.lower().replace(RIGHT_QUOTE, "'").strip("'"), known.lower()
    if typed == known or typed.removesuffix("'s") == known:
        return 1.0
    if min(len(typed), len(known)) < 4:
        return 0.0
    return difflib.SequenceMatcher(None, typed, known).ratio()


def match_names(text: str, names: Sequence[str], *, exclude: Sequence[Span] = ()) -> list[NameMatch]:
    """Known names mentioned in `text`: the full name, a first or last name alone, any case,
    small typos. Each place in the text keeps its best name; a place two names fit equally well
    ("Alex" with two Alexes) keeps both, so the caller can ask which one."""
    words = [
        (m[0], (m.start(), m.end()))
        for m in _WORD.finditer(text)
        if not overlaps((m.start(), m.end()), exclude)
    ]
    candidates: list[NameMatch] = []
    for name in names:
        parts = name.split()
        if not parts:
            continue
        for index in range(len(words)):
            candidates.extend(_name_at(words, index, name, parts))
    return _best_per_place(candidates)


def _name_at(words: list[tuple[str, Span]], index: int, name: str, parts: list[str]) -> list[NameMatch]:
    """`name` starting at word `index`: in full (every part), or one part alone."""
    found: list[NameMatch] = []
    window = words[index : index + len(parts)]
    if len(parts) > 1 and len(window) == len(parts):
        scores = [_similar(typed, part) for (typed, _), part in zip(window, parts, strict=True)]
        if min(scores) >= NAME_CUTOFF:
            found.append(NameMatch(name, sum(scores) / len(scores), (window[0][1][0], window[-1][1][1])))
    typed, span = words[index]
    for position, part in enumerate(parts):
        score = _similar(typed, part)
        if score >= NAME_CUTOFF and (typed[:1].isupper() or score == 1.0):
            # A first name alone is the usual way to name a colleague; a last name alone is rarer.
            found.append(NameMatch(name, score * (0.9 if position == 0 else 0.85), span))
    return found


def _best_per_place(candidates: list[NameMatch]) -> list[NameMatch]:
    candidates.sort(key=lambda c: (-c.score, -(c.span[1] - c.span[0]), c.span[0]))
    chosen: list[NameMatch] = []
    for candidate in candidates:
        rivals = [c for c in chosen if overlaps(c.span, [candidate.span])]
        same_place = all(r.span == candidate.span and abs(r.score - candidate.score) < 1e-9 for r in rivals)
        if same_place and candidate.name not in {c.name for c in rivals}:
            chosen.append(candidate)
    return sorted(chosen, key=lambda c: (c.span, c.name))
