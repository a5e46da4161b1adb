"""Insights: what changed in the business, each as a sentence with the numbers behind it and the chart
that shows it.

- Anomalies: a daily metric on the last complete day (and over the last 7 days) against a seasonal
  baseline — the same weekday (or the 7-day totals) of the previous 8 weeks — by a robust z-score:
  (value - median) / scale, where scale is 1.4826·MAD (counts: at least the Poisson sqrt(median)),
  never below a third of what counts as a material move (20 % of the median; 3 orders; a tenth of a
  typical day's revenue). |z| ≥ 3 is an anomaly.
- Trends: the last 4 weeks against the 4 before, when the change is at least 10 % and larger than
  the weeks' own noise (Welch's t ≥ 2 on the weekly totals).
- Top movers: the products, customers and channels whose revenue changed most between the last 30
  days and the 30 before, up and down, 3 of each.
- Customer segments (RFM): customers scored 1-5 on recency, frequency and monetary value by
  quintiles of all their orders, mapped to segments with the usual recency x frequency table.
- Forecast: the next 30 days of revenue (see forecast.py).

Findings are stored one row per fingerprint: recomputing updates the same finding (and keeps it
dismissed), findings that no longer hold are removed.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, cast

import numpy as np
import structlog
from pydantic import BaseModel
from sqlalchemy import Table, case, delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.connectors.models import Customer, Order
from binelek.foundry import engine, forecast, semantic, service
from binelek.foundry.models import Insight
from binelek.foundry.schemas import (
    MAX_LIMIT,
    Filter,
    InsightOut,
    InsightsOut,
    OrderBy,
    QueryResult,
    SemanticQuery,
    TimeRange,
)
from binelek.identity.models import Tenant
from binelek.kit import dataversion
from binelek.kit.db import Database, utcnow
from binelek.kit.errors import ResourceNotFound
from binelek.kit.pagination import Page, PageParams

log = structlog.get_logger(__name__)

InsightKind = Literal["anomaly", "trend", "top_mover", "segment", "forecast"]
Severity = Literal["positive", "warning", "info"]
MODULE = "mini-foundry"

# Anomalies
BASELINE_WEEKS = 8
MIN_BASELINE = 4  # fewer comparable days than this: no verdict
Z_THRESHOLD = 3.0
MAD_TO_SD = 1.4826  # MAD of a normal distribution x this = its standard deviation
MEAN_AD_TO_SD = 1.2533  # the same for the mean absolute deviation (used when the MAD is 0)
RELATIVE_FLOOR = 0.2  # a move smaller than 20 % of the typical value is never an anomaly
COUNT_FLOOR = {1: 3.0, 7: 5.0}  # …nor one of fewer than 3 orders in a day, 5 in a week
MONEY_FLOOR_DAYS = 0.1  # …nor a money move under a tenth of a typical day's revenue (per day)
ANOMALY_METRICS = ("revenue", "orders", "average_order_value", "new_customers", "refunds")
PLURAL_METRICS = frozenset({"orders", "new_customers", "refunds"})
METRIC_WEIGHT = {
    "revenue": 1.0,
    "orders": 0.95,
    "average_order_value": 0.8,
    "new_customers": 0.8,
    "refunds": 0.85,
}
# Trends
TREND_WEEKS = 4
TREND_METRICS = ("revenue", "orders", "average_order_value")
TREND_MIN_CHANGE = 0.10
TREND_MIN_T = 2.0
TREND_CHART_WEEKS = 12
# Movers
MOVER_DAYS = 30
MOVER_DIMENSIONS = ("product", "customer", "channel")
MOVERS_PER_SIDE = 3
MOVER_MIN_SHARE = 0.02  # a change under 2 % of the dimension's revenue is not a mover
# Segments
MIN_CUSTOMERS_FOR_SEGMENTS = 10
SEGMENT_REVENUE_DAYS = 365
SEGMENT_CHART_CUSTOMERS = 20
# Forecast
FORECAST_HORIZON = 30
FORECAST_MIN_DAYS = 8 * 7

DISMISSED_KEPT_DAYS = 90
UPDATED_ON_RECOMPUTE = ("kind", "title", "sentence", "severity", "score", "numbers", "chart", "computed_at")
INSIGHTS = cast(Table, Insight.__table__)
DAILY_WINDOW_DAYS = BASELINE_WEEKS * 7 + 7  # 8 prior weeks of 7-day blocks, and the latest block

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "JPY": "¥"}


# --- shapes ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    kind: InsightKind
    fingerprint: str
    title: str
    sentence: str
    severity: Severity
    score: float
    numbers: dict[str, Any]
    chart: dict[str, Any]


class SegmentOut(BaseModel):
    segment: str
    label: str
    description: str
    customers: int
    customer_share: float  # of the customers who ever ordered
    revenue: float  # their revenue over the last 365 days
    revenue_share: float
    lifetime_revenue: float
    average_recency_days: float | None
    average_orders: float | None


class SegmentsOut(BaseModel):
    as_of: date  # the last complete day the scores are computed at
    total_customers: int
    total_revenue: float  # last 365 days, customers with orders
    currency: str | None
    segments: list[SegmentOut]


class SegmentCustomerOut(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None
    segment: str
    recency_days: int
    last_order_at: datetime
    orders: int
    lifetime_revenue: float
    revenue: float  # last 365 days
    r: int
    f: int
    m: int


class InsightExplanationOut(BaseModel):
    insight: InsightOut
    method: str  # how the finding was computed, in plain words
    details: list[str]  # the numbers behind it, one line each


# --- formatting -----------------------------------------------------------------------------------


def format_money(amount: float, currency: str | None) -> str:
    decimals = 0 if abs(amount) >= 100 else 2
    text = f"{abs(amount):,.{decimals}f}"
    sign = "-" if amount < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency or "")
    if symbol:
        return f"{sign}{symbol}{text}"
    return f"{sign}{text} {currency}" if currency else f"{sign}{text}"


def format_value(metric: str, value: float, currency: str | None) -> str:
    kind = semantic.METRICS[metric].format
    if kind == "money":
        return format_money(value, currency)
    if kind == "integer":
        return f"{round(value):,}"
    if kind == "percent":
        return f"{value * 100:.1f} %"
    return f"{value:,.2f}"


def format_day(day: date) -> str:
    return f"{day:%A}, {day.day} {day:%b}"


def format_percent(ratio: float) -> str:
    percent = abs(ratio) * 100
    return f"{percent:.0f} %" if percent >= 10 else f"{percent:.1f} %"


def _label(metric: str) -> str:
    return semantic.METRICS[metric].label


def _chart(
    chart_type: str, query: SemanticQuery, highlight: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    chart: dict[str, Any] = {
        "type": chart_type,
        "query": query.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
    }
    if highlight:
        chart["highlight"] = highlight
    chart.update(extra)
    return chart


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _severity(metric: str, up: bool) -> Severity:
    good = up == semantic.METRICS[metric].higher_is_better
    return "positive" if good else "warning"


# --- the daily frame ------------------------------------------------------------------------------


@dataclass
class DailyFrame:
    """The anomaly metrics per day over the last 63 days, oldest first."""

    days: list[date]
    values: dict[str, list[float | None]]
    currency: str | None
    first_active: date | None  # the first day with orders or customers: earlier days are not "zero days"

    @property
    def last_day(self) -> date:
        return self.days[-1]

    def index(self, day: date) -> int:
        return (day - self.days[0]).days

    def value(self, metric: str, day: date) -> float | None:
        position = self.index(day)
        if position < 0 or position >= len(self.days):
            return None
        return self.values[metric][position]

    def active(self, first: date) -> bool:
        return self.first_active is not None and first >= self.first_active and first >= self.days[0]

    def total(self, metric: str, last: date, length: int) -> float | None:
        """The metric over `length` days ending `last`; a ratio is recomputed from its parts."""
        first = last - timedelta(days=length - 1)
        if not self.active(first):
            return None
        if metric == "average_order_value":
            revenue = self.total("revenue", last, length)
            orders = self.total("orders", last, length)
            return None if revenue is None or not orders else revenue / orders
        span = [self.value(metric, first + timedelta(days=offset)) for offset in range(length)]
        return float(sum(value or 0.0 for value in span))

    def typical_daily_revenue(self) -> float:
        if self.first_active is None:
            return 0.0
        revenue = [
            value or 0.0
            for day, value in zip(self.days, self.values["revenue"], strict=True)
            if day >= self.first_active
        ]
        median = float(np.median(revenue)) if revenue else 0.0
        return median if median > 0 else float(np.mean(revenue)) if revenue else 0.0


def _first_active(days: list[date], values: dict[str, list[float | None]]) -> date | None:
    for position, day in enumerate(days):
        if (values["orders"][position] or 0) > 0 or (values["new_customers"][position] or 0) > 0:
            return day
    return None


async def daily_frame(
    session: AsyncSession, tenant_id: uuid.UUID, last: date, *, timezone: str, now: datetime
) -> DailyFrame:
    first = last - timedelta(days=DAILY_WINDOW_DAYS - 1)
    query = SemanticQuery(
        metrics=list(ANOMALY_METRICS),
        dimensions=["date.day"],
        time_range=TimeRange(start=first, end=last),
        limit=MAX_LIMIT,
    )
    result = await service.run_query(session, tenant_id, query, now=now, timezone=timezone, use_cache=False)
    names = [column.name for column in result.columns]
    by_day = {date.fromisoformat(str(row[0])[:10]): row for row in result.rows}
    days = [first + timedelta(days=offset) for offset in range(DAILY_WINDOW_DAYS)]
    values: dict[str, list[float | None]] = {}
    for metric in ANOMALY_METRICS:
        position = names.index(metric)
        values[metric] = [
            None if by_day.get(day) is None or by_day[day][position] is None else float(by_day[day][position])
            for day in days
        ]
    return DailyFrame(days, values, result.currency, _first_active(days, values))


# --- anomalies ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Deviation:
    value: float
    typical: float  # the baseline's median
    scale: float
    z: float
    baseline: list[float]

    @property
    def change(self) -> float | None:
        return None if self.typical == 0 else (self.value - self.typical) / abs(self.typical)


def seasonal_deviation(
    value: float, baseline: Sequence[float], *, absolute_floor: float, count_like: bool
) -> Deviation | None:
    """How far `value` is from its baseline, in robust standard deviations (None without enough
    baseline). The scale never drops below a third of the smallest material move, so |z| ≥ 3
    always means a move that matters."""
    if len(baseline) < MIN_BASELINE:
        return None
    points = np.asarray(baseline, dtype=np.float64)
    median = float(np.median(points))
    mad = float(np.median(np.abs(points - median)))
    mean_ad = float(np.mean(np.abs(points - median)))
    material = max(RELATIVE_FLOOR * abs(median), absolute_floor)
    # Counts are at least Poisson-noisy: a day with 12 orders against a typical 9 is not news.
    poisson = math.sqrt(max(median, 0.0)) if count_like else 0.0
    scale = max(MAD_TO_SD * mad, MEAN_AD_TO_SD * mean_ad, material / Z_THRESHOLD, poisson)
    if scale <= 0:
        return None
    return Deviation(value, median, scale, (value - median) / scale, [float(v) for v in baseline])


def _absolute_floor(metric: str, frame: DailyFrame, length: int) -> float:
    if semantic.METRICS[metric].format == "integer":
        return COUNT_FLOOR[length]
    if metric == "average_order_value":
        return 0.0
    return MONEY_FLOOR_DAYS * frame.typical_daily_revenue() * length


def _window_deviation(frame: DailyFrame, metric: str, length: int) -> Deviation | None:
    last = frame.last_day
    value = frame.total(metric, last, length) if length > 1 else frame.value(metric, last)
    if value is None or not frame.active(last - timedelta(days=length - 1)):
        return None
    baseline: list[float] = []
    for week in range(1, BASELINE_WEEKS + 1):
        end = last - timedelta(days=7 * week)
        past = frame.total(metric, end, length) if length > 1 else frame.value(metric, end)
        if past is not None and frame.active(end - timedelta(days=length - 1)):
            baseline.append(past)
    count_like = semantic.METRICS[metric].format == "integer"
    return seasonal_deviation(
        value, baseline, absolute_floor=_absolute_floor(metric, frame, length), count_like=count_like
    )


def _anomaly_sentence(metric: str, deviation: Deviation, frame: DailyFrame, length: int) -> tuple[str, str]:
    last, currency = frame.last_day, frame.currency
    up = deviation.value > deviation.typical
    value = format_value(metric, deviation.value, currency)
    typical = format_value(metric, deviation.typical, currency)
    when = f"on {format_day(last)}" if length == 1 else f"over the 7 days to {format_day(last)}"
    usual = f"a typical {last:%A}" if length == 1 else "a typical week"
    change = deviation.change
    if change is None:
        comparison = f"against {typical} on {usual}"
    else:
        comparison = f"{format_percent(change)} {'above' if up else 'below'} {usual} ({typical})"
    verb = "were" if metric in PLURAL_METRICS else "was"
    sentence = f"{_label(metric)} {when} {verb} {value}, {comparison}."
    if length == 1:
        title = f"{_label(metric)} {'spiked' if up else 'dropped'} on {last:%A}"
    else:
        title = f"{_label(metric)} {'up' if up else 'down'} sharply this week"
    return title, sentence


def _anomaly_finding(metric: str, deviation: Deviation, frame: DailyFrame, length: int) -> Finding:
    last = frame.last_day
    up = deviation.value > deviation.typical
    title, sentence = _anomaly_sentence(metric, deviation, frame, length)
    window = "day" if length == 1 else "7_days"
    first = last - timedelta(days=BASELINE_WEEKS * 7 - 1)
    highlight = (
        {"date": last.isoformat(), "typical": round(deviation.typical, 2)}
        if length == 1
        else {"start": (last - timedelta(days=6)).isoformat(), "end": last.isoformat()}
    )
    query = SemanticQuery(
        metrics=[metric], dimensions=["date.day"], time_range=TimeRange(start=first, end=last)
    )
    weight = METRIC_WEIGHT[metric] * (1.0 if length == 1 else 0.9)
    return Finding(
        kind="anomaly",
        fingerprint=f"anomaly:{metric}:{window}:{last.isoformat()}",
        title=title,
        sentence=sentence,
        severity=_severity(metric, up),
        score=round((40 + 10 * min(abs(deviation.z), 6.0)) * weight, 2),
        numbers={
            "metric": metric,
            "window": window,
            "date": last.isoformat(),
            "value": round(deviation.value, 2),
            "typical": round(deviation.typical, 2),
            "change": None if deviation.change is None else round(deviation.change, 4),
            "z_score": round(deviation.z, 2),
            "scale": round(deviation.scale, 2),
            "baseline": [round(value, 2) for value in deviation.baseline],
            "baseline_weeks": BASELINE_WEEKS,
            "currency": frame.currency,
        },
        chart=_chart("line", query, highlight),
    )


def anomaly_findings(frame: DailyFrame) -> list[Finding]:
    findings: list[Finding] = []
    for metric in ANOMALY_METRICS:
        day = _window_deviation(frame, metric, 1)
        day_direction = None
        if day is not None and abs(day.z) >= Z_THRESHOLD:
            findings.append(_anomaly_finding(metric, day, frame, 1))
            day_direction = day.z > 0
        week = _window_deviation(frame, metric, 7)
        # A week that stands out only because of the day already reported says nothing new.
        if week is not None and abs(week.z) >= Z_THRESHOLD and day_direction != (week.z > 0):
            findings.append(_anomaly_finding(metric, week, frame, 7))
    return findings


# --- trends ---------------------------------------------------------------------------------------


def _weekly(frame: DailyFrame, metric: str) -> list[float] | None:
    """The metric in each of the last 8 seven-day blocks, oldest first (None if any is incomplete)."""
    blocks = []
    for week in range(2 * TREND_WEEKS - 1, -1, -1):
        value = frame.total(metric, frame.last_day - timedelta(days=7 * week), 7)
        if value is None:
            return None
        blocks.append(value)
    return blocks


def _slope(values: Sequence[float]) -> float:
    weeks = np.arange(len(values), dtype=np.float64)
    return float(np.polyfit(weeks, np.asarray(values, dtype=np.float64), 1)[0])


def _welch_t(recent: Sequence[float], earlier: Sequence[float]) -> float:
    spread = math.sqrt(np.var(recent, ddof=1) / len(recent) + np.var(earlier, ddof=1) / len(earlier))
    difference = float(np.mean(recent) - np.mean(earlier))
    if spread == 0:
        return math.inf if difference else 0.0
    return difference / spread


def trend_findings(frame: DailyFrame) -> list[Finding]:
    findings = []
    last = frame.last_day
    for metric in TREND_METRICS:
        weekly = _weekly(frame, metric)
        if weekly is None:
            continue
        earlier, recent = weekly[:TREND_WEEKS], weekly[TREND_WEEKS:]
        days = 7 * TREND_WEEKS
        now_total = frame.total(metric, last, days)
        before_total = frame.total(metric, last - timedelta(days=days), days)
        if now_total is None or before_total is None or before_total <= 0:
            continue
        change = now_total / before_total - 1
        t_value = _welch_t(recent, earlier)
        if abs(change) < TREND_MIN_CHANGE or abs(t_value) < TREND_MIN_T:
            continue
        findings.append(_trend_finding(metric, frame, change, now_total, before_total, weekly, t_value))
    return findings


def _trend_finding(
    metric: str,
    frame: DailyFrame,
    change: float,
    now_total: float,
    before_total: float,
    weekly: list[float],
    t_value: float,
) -> Finding:
    last, currency = frame.last_day, frame.currency
    up = change > 0
    start = last - timedelta(days=7 * TREND_WEEKS - 1)
    slope_before, slope_now = _slope(weekly[:TREND_WEEKS]), _slope(weekly[TREND_WEEKS:])
    sentence = (
        f"{_label(metric)} over the last 4 weeks ({start.day} {start:%b} to {last.day} {last:%b}) "
        f"{'were' if metric in PLURAL_METRICS else 'was'} "
        f"{format_value(metric, now_total, currency)}, {format_percent(change)} "
        f"{'more' if up else 'less'} than the 4 weeks before "
        f"({format_value(metric, before_total, currency)})."
    )
    typical_week = float(np.mean(weekly))
    turned = slope_before * slope_now < 0 and min(abs(slope_before), abs(slope_now)) >= 0.02 * typical_week
    if turned:
        sentence += (
            f" Week by week it was {'falling' if slope_before < 0 else 'rising'} before and is "
            f"{'rising' if slope_now > 0 else 'falling'} now."
        )
    query = SemanticQuery(
        metrics=[metric],
        dimensions=["date.week"],
        time_range=TimeRange(start=last - timedelta(days=7 * TREND_CHART_WEEKS - 1), end=last),
    )
    return Finding(
        kind="trend",
        fingerprint=f"trend:{metric}:{'up' if up else 'down'}:{start.isoformat()}",
        title=f"{_label(metric)} {'up' if up else 'down'} {format_percent(change)} over 4 weeks",
        sentence=sentence,
        severity=_severity(metric, up),
        score=round((30 + 100 * min(abs(change), 0.5)) * METRIC_WEIGHT[metric], 2),
        numbers={
            "metric": metric,
            "start": start.isoformat(),
            "end": last.isoformat(),
            "value": round(now_total, 2),
            "previous": round(before_total, 2),
            "change": round(change, 4),
            "weekly": [round(value, 2) for value in weekly],
            "slope_before": round(slope_before, 2),
            "slope_now": round(slope_now, 2),
            "t_value": None if math.isinf(t_value) else round(t_value, 2),
            "currency": currency,
        },
        chart=_chart("line", query, {"start": start.isoformat(), "end": last.isoformat()}),
    )


# --- top movers -----------------------------------------------------------------------------------


async def _revenue_by(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    dimension: str,
    first: date,
    last: date,
    *,
    timezone: str,
    now: datetime,
) -> QueryResult:
    query = SemanticQuery(
        metrics=["revenue"],
        dimensions=[dimension],
        time_range=TimeRange(start=first, end=last),
        limit=MAX_LIMIT,
    )
    return await service.run_query(session, tenant_id, query, now=now, timezone=timezone, use_cache=False)


def _by_name(result: QueryResult) -> dict[str, float]:
    return {str(row[0]): float(row[1] or 0.0) for row in result.rows if row[0] is not None}


@dataclass(frozen=True, slots=True)
class Move:
    dimension: str
    name: str
    current: float
    previous: float

    @property
    def delta(self) -> float:
        return self.current - self.previous


def top_moves(current: dict[str, float], previous: dict[str, float], dimension: str) -> list[Move]:
    """The largest absolute changes, up to 3 up and 3 down, ignoring changes under 2 % of the
    dimension's revenue."""
    base = max(sum(current.values()), sum(previous.values()))
    if base <= 0:
        return []
    moves = [
        Move(dimension, name, current.get(name, 0.0), previous.get(name, 0.0))
        for name in sorted(set(current) | set(previous))
    ]
    material = [move for move in moves if abs(move.delta) >= MOVER_MIN_SHARE * base]
    ups = sorted((m for m in material if m.delta > 0), key=lambda m: (-m.delta, m.name))
    downs = sorted((m for m in material if m.delta < 0), key=lambda m: (m.delta, m.name))
    return ups[:MOVERS_PER_SIDE] + downs[:MOVERS_PER_SIDE]


def _mover_subject(move: Move) -> str:
    if move.dimension == "product":
        return f"{move.name} sold"
    if move.dimension == "customer":
        return f"{move.name} spent"
    return f"The {move.name} channel brought"


MOVER_NOUNS = {"product": "sales", "customer": "spending", "channel": "revenue"}


def _mover_title(move: Move) -> str:
    noun = MOVER_NOUNS[move.dimension]
    if move.previous == 0:
        change = f"new {noun}"
    elif move.current == 0:
        change = f"no {noun} in 30 days"
    else:
        change = f"{noun} {'up' if move.delta > 0 else 'down'} {format_percent(move.delta / move.previous)}"
    subject = f"{move.name} channel" if move.dimension == "channel" else move.name
    return f"{subject[:1].upper()}{subject[1:]}: {change}"


def _mover_finding(move: Move, base: float, last: date, currency: str | None) -> Finding:
    up = move.delta > 0
    current = format_money(move.current, currency) if move.current else "nothing"
    previous = format_money(move.previous, currency)
    if move.previous == 0:
        change = "up from nothing the 30 days before"
    elif move.current == 0:
        change = f"after {previous} the 30 days before"
    else:
        ratio = move.delta / move.previous
        change = f"{format_percent(ratio)} {'more' if up else 'less'} than the 30 days before ({previous})"
    sentence = f"{_mover_subject(move)} {current} in the last 30 days, {change}."
    start = last - timedelta(days=MOVER_DAYS - 1)
    query = SemanticQuery(
        metrics=["revenue"],
        dimensions=["date.week"],
        filters=[Filter(dimension=move.dimension, op="eq", values=[move.name])],
        time_range=TimeRange(start=last - timedelta(days=2 * MOVER_DAYS - 1), end=last),
    )
    direction = "up" if up else "down"
    return Finding(
        kind="top_mover",
        fingerprint=f"top_mover:{move.dimension}:{direction}:{_digest(move.name)}",
        title=_mover_title(move),
        sentence=sentence,
        severity="positive" if up else "warning",
        score=round(20 + 100 * min(abs(move.delta) / base, 0.4), 2),
        numbers={
            "dimension": move.dimension,
            "name": move.name,
            "value": round(move.current, 2),
            "previous": round(move.previous, 2),
            "delta": round(move.delta, 2),
            "change": None if move.previous == 0 else round(move.delta / move.previous, 4),
            "share_of_change": round(abs(move.delta) / base, 4),
            "start": start.isoformat(),
            "end": last.isoformat(),
            "currency": currency,
        },
        chart=_chart("bar", query, {"start": start.isoformat(), "end": last.isoformat()}),
    )


async def mover_findings(
    session: AsyncSession, tenant_id: uuid.UUID, last: date, *, timezone: str, now: datetime
) -> list[Finding]:
    findings: list[Finding] = []
    start = last - timedelta(days=MOVER_DAYS - 1)
    for dimension in MOVER_DIMENSIONS:
        current_result = await _revenue_by(
            session, tenant_id, dimension, start, last, timezone=timezone, now=now
        )
        previous_result = await _revenue_by(
            session,
            tenant_id,
            dimension,
            start - timedelta(days=MOVER_DAYS),
            start - timedelta(days=1),
            timezone=timezone,
            now=now,
        )
        current, previous = _by_name(current_result), _by_name(previous_result)
        base = max(sum(current.values()), sum(previous.values()))
        currency = current_result.currency or previous_result.currency
        findings.extend(
            _mover_finding(move, base, last, currency) for move in top_moves(current, previous, dimension)
        )
    return findings


# --- RFM segments ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SegmentSpec:
    label: str
    description: str


SEGMENTS: dict[str, SegmentSpec] = {
    "champions": SegmentSpec("Champions", "Bought recently, buy often and spend the most."),
    "loyal": SegmentSpec("Loyal", "Buy often; not always the most recent."),
    "potential_loyalists": SegmentSpec("Potential loyalists", "Recent customers with a few orders."),
    "new": SegmentSpec("New", "Bought for the first time recently."),
    "promising": SegmentSpec("Promising", "Recent first-time buyers, a little while ago."),
    "need_attention": SegmentSpec("Need attention", "Average recency and frequency."),
    "about_to_sleep": SegmentSpec("About to sleep", "Few orders, and not lately."),
    "at_risk": SegmentSpec("At risk", "Used to buy often, but not for a long time."),
    "cant_lose": SegmentSpec("Can't lose them", "Among the most frequent buyers, gone quiet."),
    "hibernating": SegmentSpec("Hibernating", "Few orders, long ago."),
    "lost": SegmentSpec("Lost", "The fewest orders, the longest ago."),
}
Segment = Literal[
    "champions",
    "loyal",
    "potential_loyalists",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
]


def segment_of(recency: int, frequency_monetary: int) -> str:
    """The usual RFM grid: recency score (rows) by the frequency-monetary score (columns)."""
    r, fm = recency, frequency_monetary
    if r == 5:
        return "new" if fm == 1 else "potential_loyalists" if fm <= 3 else "champions"
    if r == 4:
        return "promising" if fm == 1 else "potential_loyalists" if fm <= 3 else "loyal"
    if r == 3:
        return "about_to_sleep" if fm <= 2 else "need_attention" if fm == 3 else "loyal"
    if fm == 5:
        return "cant_lose"
    if fm >= 3:
        return "at_risk"
    return "hibernating" if r == 2 else "lost"


def quintile_scores(values: Sequence[float]) -> list[int]:
    """1-5 by quintile: one point for each of the 20th/40th/60th/80th percentiles (nearest rank) the
    value is above. Equal values always score the same, so with many ties the buckets are uneven."""
    ordered = sorted(values)
    count = len(ordered)
    if count == 0:
        return []
    cuts = [ordered[math.ceil(k * count / 5) - 1] for k in range(1, 5)]
    return [1 + sum(value > cut for cut in cuts) for value in values]


@dataclass(frozen=True, slots=True)
class CustomerRfm:
    id: uuid.UUID
    name: str
    email: str | None
    last_order_at: datetime
    recency_days: int
    orders: int
    lifetime_revenue: float
    revenue: float  # last 365 days
    r: int = 0
    f: int = 0
    m: int = 0
    segment: str = ""


@dataclass
class RfmResult:
    as_of: date
    currency: str | None
    customers: list[CustomerRfm] = field(default_factory=list)

    def members(self, segment: str) -> list[CustomerRfm]:
        return [customer for customer in self.customers if customer.segment == segment]


def score_customers(customers: Sequence[CustomerRfm]) -> list[CustomerRfm]:
    """Scores and segments; the frequency-monetary score is the mean of F and M, rounded half up."""
    recency = quintile_scores([-customer.recency_days for customer in customers])
    frequency = quintile_scores([customer.orders for customer in customers])
    monetary = quintile_scores([customer.lifetime_revenue for customer in customers])
    scored = []
    for customer, r, f, m in zip(customers, recency, frequency, monetary, strict=True):
        fm = (f + m + 1) // 2
        scored.append(
            CustomerRfm(
                id=customer.id,
                name=customer.name,
                email=customer.email,
                last_order_at=customer.last_order_at,
                recency_days=customer.recency_days,
                orders=customer.orders,
                lifetime_revenue=customer.lifetime_revenue,
                revenue=customer.revenue,
                r=r,
                f=f,
                m=m,
                segment=segment_of(r, fm),
            )
        )
    return scored


async def rfm(
    session: AsyncSession, tenant_id: uuid.UUID, *, now: datetime | None = None, timezone: str | None = None
) -> RfmResult:
    """Every customer with an order (not cancelled) up to the last complete day, scored."""
    now = now or utcnow()
    timezone = timezone or await service.tenant_timezone(session, tenant_id)
    as_of = forecast.last_complete_day(now, timezone)
    end = engine.local_midnight(as_of + timedelta(days=1), timezone)
    year_start = engine.local_midnight(as_of - timedelta(days=SEGMENT_REVENUE_DAYS - 1), timezone)
    statement = (
        select(
            Order.customer_id,
            Customer.name,
            Customer.email,
            func.max(Order.placed_at),
            func.count(Order.id),
            func.sum(Order.total),
            func.sum(case((Order.placed_at >= year_start, Order.total), else_=0)),
        )
        .join(Customer, Customer.id == Order.customer_id)
        .where(
            Order.tenant_id == tenant_id,
            Customer.tenant_id == tenant_id,
            Order.status != "cancelled",
            Order.placed_at < end,
        )
        .group_by(Order.customer_id, Customer.name, Customer.email)
    )
    rows = (await session.execute(statement)).all()
    zone = engine.zone(timezone)
    customers = [
        CustomerRfm(
            id=row[0],
            name=row[1],
            email=row[2],
            last_order_at=_aware(row[3]),
            recency_days=(as_of - _aware(row[3]).astimezone(zone).date()).days,
            orders=int(row[4]),
            lifetime_revenue=float(row[5] or 0),
            revenue=float(row[6] or 0),
        )
        for row in rows
    ]
    currency = await _main_currency(session, tenant_id)
    return RfmResult(as_of=as_of, currency=currency, customers=score_customers(customers))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _main_currency(session: AsyncSession, tenant_id: uuid.UUID) -> str | None:
    statement = (
        select(Order.currency)
        .where(Order.tenant_id == tenant_id)
        .group_by(Order.currency)
        .order_by(func.count().desc(), Order.currency)
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


def segments_out(result: RfmResult) -> SegmentsOut:
    total_customers = len(result.customers)
    total_revenue = sum(customer.revenue for customer in result.customers)
    segments = []
    for name, spec in SEGMENTS.items():
        members = result.members(name)
        revenue = sum(member.revenue for member in members)
        segments.append(
            SegmentOut(
                segment=name,
                label=spec.label,
                description=spec.description,
                customers=len(members),
                customer_share=round(len(members) / total_customers, 4) if total_customers else 0.0,
                revenue=round(revenue, 2),
                revenue_share=round(revenue / total_revenue, 4) if total_revenue else 0.0,
                lifetime_revenue=round(sum(member.lifetime_revenue for member in members), 2),
                average_recency_days=(
                    round(float(np.mean([m.recency_days for m in members])), 1) if members else None
                ),
                average_orders=round(float(np.mean([m.orders for m in members])), 2) if members else None,
            )
        )
    return SegmentsOut(
        as_of=result.as_of,
        total_customers=total_customers,
        total_revenue=round(total_revenue, 2),
        currency=result.currency,
        segments=segments,
    )


async def segments(
    session: AsyncSession, tenant_id: uuid.UUID, *, now: datetime | None = None
) -> SegmentsOut:
    return segments_out(await rfm(session, tenant_id, now=now))


async def segment_customers(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    segment: str,
    paging: PageParams,
    *,
    now: datetime | None = None,
) -> Page[SegmentCustomerOut]:
    """A segment's customers, the biggest spenders first."""
    if segment not in SEGMENTS:
        raise ResourceNotFound(f"There is no segment {segment!r}.")
    members = sorted(
        (await rfm(session, tenant_id, now=now)).members(segment),
        key=lambda member: (-member.lifetime_revenue, member.name, str(member.id)),
    )
    page = members[paging.offset : paging.offset + paging.limit]
    items = [
        SegmentCustomerOut(
            id=member.id,
            name=member.name,
            email=member.email,
            segment=member.segment,
            recency_days=member.recency_days,
            last_order_at=member.last_order_at,
            orders=member.orders,
            lifetime_revenue=round(member.lifetime_revenue, 2),
            revenue=round(member.revenue, 2),
            r=member.r,
            f=member.f,
            m=member.m,
        )
        for member in page
    ]
    return Page(items=items, total=len(members), limit=paging.limit, offset=paging.offset)


def _segment_sentence(name: str, members: list[CustomerRfm], share: float, result: RfmResult) -> str:
    count = len(members)
    revenue = format_money(sum(member.revenue for member in members), result.currency)
    lifetime = format_money(sum(member.lifetime_revenue for member in members), result.currency)
    days = round(float(np.mean([member.recency_days for member in members])))
    plural = count != 1
    if name == "champions":
        noun = "champions" if plural else "champion"
        verb = "bring" if plural else "brings"
        return (
            f"{count} {noun} — recent, frequent, big spenders — {verb} {format_percent(share)} of the "
            f"last 12 months' revenue ({revenue})."
        )
    if name == "loyal":
        noun = "loyal customers" if plural else "loyal customer"
        return (
            f"{count} {noun} order often and brought {format_percent(share)} of the last 12 months' "
            f"revenue ({revenue})."
        )
    if name == "potential_loyalists":
        noun = "recent customers" if plural else "recent customer"
        return (
            f"{count} {noun} with a few orders could become loyal: they brought {revenue} "
            f"in the last 12 months."
        )
    if name == "new":
        noun = "new customers" if plural else "new customer"
        window = max(member.recency_days for member in members) + 1
        return f"{count} {noun}, with few orders so far, bought in the last {window} days."
    if name == "at_risk":
        noun = "customers who used to buy often are" if plural else "customer who used to buy often is"
        return (
            f"{count} {noun} at risk: on average they last ordered {days} days ago; they have spent "
            f"{lifetime} in all."
        )
    # cant_lose
    noun = "of your best customers have" if plural else "of your best customers has"
    return f"{count} {noun} not ordered for {days} days on average; they have spent {lifetime} in all."


SEGMENT_INSIGHTS: dict[str, tuple[Severity, float]] = {
    # segment: (severity, base score)
    "cant_lose": ("warning", 45.0),
    "at_risk": ("warning", 40.0),
    "champions": ("positive", 35.0),
    "loyal": ("positive", 25.0),
    "potential_loyalists": ("info", 20.0),
    "new": ("info", 20.0),
}


def segment_findings(result: RfmResult) -> list[Finding]:
    if len(result.customers) < MIN_CUSTOMERS_FOR_SEGMENTS:
        return []
    total_revenue = sum(customer.revenue for customer in result.customers)
    total_lifetime = sum(customer.lifetime_revenue for customer in result.customers)
    findings = []
    for name, (severity, base_score) in SEGMENT_INSIGHTS.items():
        members = result.members(name)
        if not members:
            continue
        revenue = sum(member.revenue for member in members)
        lifetime = sum(member.lifetime_revenue for member in members)
        share = revenue / total_revenue if total_revenue else 0.0
        lifetime_share = lifetime / total_lifetime if total_lifetime else 0.0
        top = sorted(members, key=lambda member: -member.lifetime_revenue)[:SEGMENT_CHART_CUSTOMERS]
        query = SemanticQuery(
            metrics=["revenue", "orders"],
            dimensions=["customer"],
            filters=[Filter(dimension="customer", op="in", values=sorted({member.name for member in top}))],
            order_by=[OrderBy(field="revenue", direction="desc")],
            limit=SEGMENT_CHART_CUSTOMERS,
        )
        findings.append(
            Finding(
                kind="segment",
                fingerprint=f"segment:{name}",
                title=f"{SEGMENTS[name].label}: {len(members)} customer{'s' if len(members) != 1 else ''}",
                sentence=_segment_sentence(name, members, share, result),
                severity=severity,
                score=round(base_score + 50 * max(share, lifetime_share), 2),
                numbers={
                    "segment": name,
                    "customers": len(members),
                    "customer_share": round(len(members) / len(result.customers), 4),
                    "revenue": round(revenue, 2),
                    "revenue_share": round(share, 4),
                    "lifetime_revenue": round(lifetime, 2),
                    "lifetime_share": round(lifetime_share, 4),
                    "average_recency_days": round(float(np.mean([m.recency_days for m in members])), 1),
                    "average_orders": round(float(np.mean([m.orders for m in members])), 2),
                    "as_of": result.as_of.isoformat(),
                    "currency": result.currency,
                },
                chart=_chart("table", query, segment=name),
            )
        )
    return findings


# --- forecast -------------------------------------------------------------------------------------


async def forecast_findings(
    session: AsyncSession, tenant_id: uuid.UUID, *, timezone: str, now: datetime, currency: str | None
) -> list[Finding]:
    result = await forecast.metric_forecast(
        session, tenant_id, "revenue", FORECAST_HORIZON, now=now, timezone=timezone
    )
    if result.total is None or len(result.values) < FORECAST_MIN_DAYS:
        return []
    last_30 = float(sum(result.values[-FORECAST_HORIZON:]))
    change = result.total / last_30 - 1 if last_30 > 0 else None
    sentence = f"Revenue for the next 30 days is forecast at {format_money(result.total, currency)}"
    if result.total_range is not None:
        low, high = result.total_range
        sentence += f" (80 % range {format_money(low, currency)} to {format_money(high, currency)})"
    if change is not None:
        sentence += (
            f", {format_percent(change)} {'more' if change >= 0 else 'less'} than the last 30 days "
            f"({format_money(last_30, currency)})"
        )
    query = SemanticQuery(
        metrics=["revenue"],
        dimensions=["date.day"],
        time_range=TimeRange(start=result.last_day - timedelta(days=89), end=result.last_day),
    )
    return [
        Finding(
            kind="forecast",
            fingerprint="forecast:revenue:30",
            title="Revenue forecast for the next 30 days",
            sentence=sentence + ".",
            severity="info",
            score=round(25 + 50 * min(abs(change or 0.0), 0.5), 2),
            numbers={
                "metric": "revenue",
                "horizon_days": FORECAST_HORIZON,
                "start": (result.last_day + timedelta(days=1)).isoformat(),
                "end": (result.last_day + timedelta(days=FORECAST_HORIZON)).isoformat(),
                "value": round(result.total, 2),
                "lower": None if result.total_range is None else round(result.total_range[0], 2),
                "upper": None if result.total_range is None else round(result.total_range[1], 2),
                "interval": forecast.INTERVAL,
                "previous": round(last_30, 2),
                "change": None if change is None else round(change, 4),
                "method": forecast.METHOD,
                "currency": currency,
            },
            chart=_chart("line", query, forecast={"metric": "revenue", "horizon": FORECAST_HORIZON}),
        )
    ]


# --- computing and storing ------------------------------------------------------------------------


async def compute_findings(
    session: AsyncSession, tenant_id: uuid.UUID, *, now: datetime | None = None
) -> list[Finding]:
    """Every current finding of the tenant, from its data up to the last complete day."""
    now = now or utcnow()
    timezone = await service.tenant_timezone(session, tenant_id)
    last = forecast.last_complete_day(now, timezone)
    frame = await daily_frame(session, tenant_id, last, timezone=timezone, now=now)
    findings: list[Finding] = []
    # With nothing sold in the last 9 weeks there is no baseline, no mover and nothing to forecast;
    # the customers' segments still say who used to buy.
    if frame.first_active is not None:
        findings.extend([*anomaly_findings(frame), *trend_findings(frame)])
        findings.extend(await mover_findings(session, tenant_id, last, timezone=timezone, now=now))
        findings.extend(
            await forecast_findings(session, tenant_id, timezone=timezone, now=now, currency=frame.currency)
        )
    findings.extend(segment_findings(await rfm(session, tenant_id, now=now, timezone=timezone)))
    # One row per fingerprint (an upsert may not touch a row twice): the strongest finding wins.
    strongest: dict[str, Finding] = {}
    for finding in sorted(findings, key=lambda finding: finding.score):
        strongest[finding.fingerprint] = finding
    return list(strongest.values())


def _upsert(
    session: AsyncSession, tenant_id: uuid.UUID, findings: list[Finding], computed_at: datetime
) -> Any:
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = INSIGHTS
    statement = insert(table).values(
        [
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "kind": finding.kind,
                "fingerprint": finding.fingerprint,
                "title": finding.title[:300],
                "sentence": finding.sentence[:1000],
                "severity": finding.severity,
                "score": finding.score,
                "numbers": finding.numbers,
                "chart": finding.chart,
                "computed_at": computed_at,
                "dismissed_at": None,
            }
            for finding in findings
        ]
    )
    # The same finding again: new numbers, same row — a dismissed finding stays dismissed.
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.c.tenant_id, table.c.fingerprint],
        set_={column: excluded[column] for column in UPDATED_ON_RECOMPUTE},
    )


async def refresh(session: AsyncSession, tenant_id: uuid.UUID, *, now: datetime | None = None) -> int:
    """Recompute the tenant's findings and store them; returns how many there are."""
    computed_at = utcnow()
    findings = await compute_findings(session, tenant_id, now=now)
    if findings:
        await session.execute(_upsert(session, tenant_id, findings, computed_at))
    table = INSIGHTS
    # Findings that no longer hold go; dismissed ones are kept a while so they stay dismissed.
    await session.execute(
        delete(table).where(
            table.c.tenant_id == tenant_id,
            table.c.computed_at < computed_at,
            table.c.dismissed_at.is_(None),
        )
    )
    await session.execute(
        delete(table).where(
            table.c.tenant_id == tenant_id,
            table.c.dismissed_at.is_not(None),
            table.c.computed_at < computed_at - timedelta(days=DISMISSED_KEPT_DAYS),
        )
    )
    log.info("insights_computed", tenant_id=str(tenant_id), findings=len(findings))
    return len(findings)


def insight_out(insight: Insight) -> InsightOut:
    return InsightOut(
        id=insight.id,
        kind=insight.kind,
        title=insight.title,
        sentence=insight.sentence,
        severity=insight.severity,
        score=insight.score,
        numbers=insight.numbers,
        chart=insight.chart,
        computed_at=insight.computed_at,
    )


async def _ever_computed(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    statement = select(Insight.id).where(Insight.tenant_id == tenant_id).limit(1)
    return (await session.execute(statement)).first() is not None


async def list_insights(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    kind: str | None = None,
    limit: int = 50,
    now: datetime | None = None,
    compute_missing: bool = True,
) -> InsightsOut:
    """The current findings, most important first; computed now if they never were."""
    if compute_missing and not await _ever_computed(session, tenant_id):
        await refresh(session, tenant_id, now=now)
    statement = select(Insight).where(Insight.tenant_id == tenant_id, Insight.dismissed_at.is_(None))
    if kind is not None:
        statement = statement.where(Insight.kind == kind)
    statement = statement.order_by(Insight.score.desc(), Insight.fingerprint).limit(limit)
    rows = (await session.execute(statement)).scalars().all()
    latest = (
        await session.execute(select(func.max(Insight.computed_at)).where(Insight.tenant_id == tenant_id))
    ).scalar_one_or_none()
    return InsightsOut(insights=[insight_out(row) for row in rows], computed_at=latest)


async def _insight(session: AsyncSession, tenant_id: uuid.UUID, insight_id: uuid.UUID) -> Insight:
    statement = select(Insight).where(Insight.tenant_id == tenant_id, Insight.id == insight_id)
    insight = (await session.execute(statement)).scalar_one_or_none()
    if insight is None:
        raise ResourceNotFound("The insight does not exist.")
    return insight


async def dismiss(session: AsyncSession, tenant_id: uuid.UUID, insight_id: uuid.UUID) -> InsightOut:
    insight = await _insight(session, tenant_id, insight_id)
    if insight.dismissed_at is None:
        insight.dismissed_at = utcnow()
    return insight_out(insight)


# --- explaining a finding -------------------------------------------------------------------------


def _explain_anomaly(numbers: dict[str, Any]) -> tuple[str, list[str]]:
    metric = str(numbers.get("metric", ""))
    label = _label(metric) if metric in semantic.METRICS else metric
    daily = numbers.get("window") == "day"
    method = (
        f"{label} {'on the day' if daily else 'over the last 7 days'} was compared with "
        f"{'the same weekday' if daily else 'the 7-day totals'} of the previous {BASELINE_WEEKS} weeks. "
        f"The typical value is their median; the distance from it is measured in robust standard "
        f"deviations (1.4826 x the median absolute deviation, and never less than a third of a "
        f"material move). A distance of {Z_THRESHOLD:g} or more is unusual."
    )
    details = [
        f"Value: {numbers.get('value')}",
        f"Typical (median of the baseline): {numbers.get('typical')}",
        f"Baseline, most recent first: {numbers.get('baseline')}",
        f"Robust z-score: {numbers.get('z_score')} (scale {numbers.get('scale')})",
    ]
    return method, details


def _explain_trend(numbers: dict[str, Any]) -> tuple[str, list[str]]:
    method = (
        "The last 4 weeks' total was compared with the 4 weeks before. A change counts as a trend when "
        f"it is at least {TREND_MIN_CHANGE:.0%} and the weekly totals differ by more than their own "
        f"week-to-week noise (Welch's t of {TREND_MIN_T:g} or more)."
    )
    details = [
        f"Last 4 weeks: {numbers.get('value')}; the 4 before: {numbers.get('previous')}",
        f"Weekly totals, oldest first: {numbers.get('weekly')}",
        f"Weekly slope before: {numbers.get('slope_before')}; now: {numbers.get('slope_now')}",
        f"t: {numbers.get('t_value')}",
    ]
    return method, details


def _explain_mover(numbers: dict[str, Any]) -> tuple[str, list[str]]:
    method = (
        f"Revenue by {numbers.get('dimension')} in the last {MOVER_DAYS} days was compared with the "
        f"{MOVER_DAYS} days before; the {MOVERS_PER_SIDE} largest rises and falls are reported when "
        f"they are at least {MOVER_MIN_SHARE:.0%} of that revenue. By product, revenue is product "
        "sales (line totals)."
    )
    details = [
        f"{numbers.get('name')}: {numbers.get('value')} against {numbers.get('previous')}",
        f"Change: {numbers.get('delta')} ({numbers.get('share_of_change')} of the dimension's revenue)",
    ]
    return method, details


def _explain_segment(numbers: dict[str, Any]) -> tuple[str, list[str]]:
    method = (
        "Every customer with an order is scored 1-5 on recency (days since the last order), frequency "
        "(orders) and monetary value (lifetime revenue) by quintiles over all customers. The segment "
        "comes from the recency score and the mean of the frequency and monetary scores, by the usual "
        "RFM table (champions: recency 5, frequency-monetary 4-5; at risk: recency 1-2, 3-4; …)."
    )
    details = [
        f"Customers: {numbers.get('customers')} ({numbers.get('customer_share')} of all)",
        f"Revenue in the last 12 months: {numbers.get('revenue')} ({numbers.get('revenue_share')} of all)",
        f"Lifetime revenue: {numbers.get('lifetime_revenue')}",
        f"Average days since the last order: {numbers.get('average_recency_days')}",
        f"Average orders: {numbers.get('average_orders')}",
    ]
    return method, details


def _explain_forecast(numbers: dict[str, Any]) -> tuple[str, list[str]]:
    method = (
        "Daily revenue of up to the last two years was fitted with additive Holt-Winters exponential "
        "smoothing (level, damped trend, weekly season). The 80 % range comes from the model's own "
        "past errors over 30-day totals."
    )
    details = [
        f"Forecast: {numbers.get('value')} ({numbers.get('lower')} to {numbers.get('upper')})",
        f"Last 30 days: {numbers.get('previous')}",
    ]
    return method, details


EXPLAINERS = {
    "anomaly": _explain_anomaly,
    "trend": _explain_trend,
    "top_mover": _explain_mover,
    "segment": _explain_segment,
    "forecast": _explain_forecast,
}


async def explain(
    session: AsyncSession, tenant_id: uuid.UUID, insight_id: uuid.UUID
) -> InsightExplanationOut:
    """How a finding was reached and the numbers behind it (for people and the assistant)."""
    insight = await _insight(session, tenant_id, insight_id)
    method, details = EXPLAINERS[insight.kind](insight.numbers)
    return InsightExplanationOut(insight=insight_out(insight), method=method, details=details)


# --- the scheduled pass ---------------------------------------------------------------------------


async def tenants_due(db: Database, now: datetime) -> list[uuid.UUID]:
    """Tenants with Mini Foundry and business data whose findings are stale: never computed, computed
    before the tenant's current day began, or before its data last changed (a system query)."""
    async with db.session() as session:
        tenants = (await session.execute(select(Tenant.id, Tenant.modules))).all()
        versions = select(dataversion.DataVersion.tenant_id, dataversion.DataVersion.changed_at)
        changed: dict[uuid.UUID, datetime] = {row[0]: row[1] for row in await session.execute(versions)}
        latest = select(Insight.tenant_id, func.max(Insight.computed_at)).group_by(Insight.tenant_id)
        computed: dict[uuid.UUID, datetime] = {row[0]: row[1] for row in await session.execute(latest)}
    due = []
    for tenant_id, modules in tenants:
        if MODULE not in (modules or []) or tenant_id not in changed:
            continue
        last = computed.get(tenant_id)
        if last is None or _aware(last) < _aware(changed[tenant_id]):
            due.append(tenant_id)
            continue
        async with db.session(tenant_id) as session:
            timezone = await service.tenant_timezone(session, tenant_id)
        if _aware(last) < engine.local_midnight(now.astimezone(engine.zone(timezone)).date(), timezone):
            due.append(tenant_id)
    return due


async def refresh_tenant(db: Database, tenant_id: uuid.UUID, *, now: datetime | None = None) -> int:
    async with db.session(tenant_id) as session:
        return await refresh(session, tenant_id, now=now)
