"""How numbers, changes and dates read in exported documents and e-mails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

Tone = Literal["up", "down", "flat", "none"]

CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
}
# Currencies without minor units: amounts print without decimals.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG"})
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DASH = "\u2013"  # an en dash: a missing value, or between two dates
EMPTY = DASH


def as_number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def money(value: float, currency: str | None) -> str:
    decimals = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    amount = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency or "")
    if symbol is not None:
        return f"{sign}{symbol}{amount}"
    return f"{sign}{amount} {currency}" if currency else f"{sign}{amount}"


def format_value(value: Any, column_type: str, currency: str | None = None) -> str:
    """A cell or KPI value as a person reads it."""
    if value is None:
        return EMPTY
    if column_type == "time":
        return str(value)[:10]
    if column_type == "string":
        return str(value)
    number = as_number(value)
    if number is None:
        return str(value)
    if column_type == "money":
        return money(number, currency)
    if column_type == "percent":
        return f"{number * 100:.1f}%"
    if column_type == "integer":
        return f"{round(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".") if number % 1 else f"{number:,.0f}"


def compact(value: float, column_type: str, currency: str | None = None) -> str:
    """A short axis label: $12k, 1.2M, 35%."""
    if column_type == "percent":
        return f"{value * 100:.0f}%"
    magnitude = abs(value)
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= threshold:
            text = f"{value / threshold:.1f}".rstrip("0").rstrip(".") + suffix
            break
    else:
        text = f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"
    if column_type == "money":
        symbol = CURRENCY_SYMBOLS.get(currency or "", "")
        return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
    return text


@dataclass(frozen=True, slots=True)
class Change:
    text: str  # "+12.5%", "-1.2 pts", "new", or EMPTY
    tone: Tone  # up/down in value; whether that is good depends on the metric
    ratio: float | None  # (current - previous) / |previous|; None when undefined


def change(current: float | None, previous: float | None, column_type: str) -> Change:
    """Current against previous: relative for amounts and counts, in points for percentages."""
    if current is None or previous is None:
        return Change(EMPTY, "none", None)
    difference = current - previous
    if column_type == "percent":
        points = difference * 100
        tone: Tone = "up" if points > 0.05 else "down" if points < -0.05 else "flat"
        return Change(f"{points:+.1f} pts", tone, None)
    if previous == 0:
        return Change("new" if current > 0 else EMPTY, "up" if current > 0 else "none", None)
    ratio = difference / abs(previous)
    tone = "up" if ratio > 0.0005 else "down" if ratio < -0.0005 else "flat"
    return Change(f"{ratio * 100:+.1f}%", tone, ratio)


def is_good(tone: Tone, higher_is_better: bool) -> bool | None:
    if tone in ("flat", "none"):
        return None
    return (tone == "up") == higher_is_better


def parse_day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def time_label(value: Any, grain: str) -> str:
    """A time bucket (its first day) named for its grain: 12 Jan, Jan 2026, Q1 2026, 2026."""
    day = parse_day(value)
    if day is None:
        return str(value)
    if grain == "year":
        return str(day.year)
    if grain == "quarter":
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    if grain == "month":
        return f"{MONTHS[day.month - 1]} {day.year}"
    return f"{day.day} {MONTHS[day.month - 1]}"


def long_date(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def period_label(start: date | None, end: date | None) -> str:
    if start is None and end is None:
        return "All time"
    if start is None:
        return f"Until {long_date(end)}" if end else "All time"
    if end is None or start == end:
        return long_date(start)
    return f"{long_date(start)} {DASH} {long_date(end)}"


def grain_of(dimension: str) -> str:
    return dimension.partition(".")[2] if dimension.startswith("date.") else ""
