"""The question table for Mini Foundry's local question engine: questions an owner of the demo
business (Northwind Coffee Roasters) would ask, each with its expected answer computed by
hand-written SQL straight against the business tables, independently of the semantic engine.
Shared by bench/nlq.py (all of them, demo at scale 1.0) and tests/test_foundry_nlq.py (the `smoke`
subset, demo at scale 0.02).

Conventions:
- The demo is generated up to `TODAY` (Friday 20 November 2026) and asked at `NOW`, in the tenant's
  time zone `TIMEZONE`. Periods are local dates, both inclusive; the evaluator turns them into UTC
  instants (`:start` inclusive, `:end` exclusive) for timestamp columns, and passes them as dates
  (`:first`, `:last`) for date columns (a deal's close date). `:now` is `NOW`, `:tenant` the tenant.
- A query that buckets by local time returns the UTC timestamp as `ts` in its first column; the
  evaluator buckets it in Python (`bucket="month"`, …): SQLite has no time zones.
- Metric definitions are those in binelek.foundry.semantic (module docstring and each metric's
  description): an order counts unless cancelled; revenue is order totals, and product sales (line
  totals) when broken down or filtered by product or category; refunds are refund rows plus refunded
  payment rows of orders with no refund row; "last N days" are the N days before today; "this
  year/month/quarter" run to today.

Comparison rules: `value` (one number), `rows` (rows as a set, keyed by their dimension values;
an empty bucket counts as zero), `top` (the first `limit` rows in order, ties allowed to swap),
`compare` (the number for the period asked and for the compared one), `none` (must not be
understood). Money within 0.01, counts exactly, rates within 1e-6.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Uuid, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.foundry.schemas import QuestionOut
from binelek.kit.db import UTCDateTime

TIMEZONE = "America/Los_Angeles"
TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=ZoneInfo(TIMEZONE))
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

Rule = Literal["value", "rows", "top", "compare", "none"]
Kind = Literal["money", "count", "rate"]
Bucket = Literal["day", "week", "month", "quarter", "year", "weekday", "hour"]
Period = tuple[date, date]
TOLERANCE = {"money": 0.01, "count": 1e-9, "rate": 1e-6}


def _days(first: str, last: str) -> Period:
    return date.fromisoformat(first), date.fromisoformat(last)


# The periods the questions name, worked out by hand for TODAY = Fri 2026-11-20.
YESTERDAY = _days("2026-11-19", "2026-11-19")
LAST_WEEK = _days("2026-11-09", "2026-11-15")  # Monday to Sunday
THIS_MONTH = _days("2026-11-01", "2026-11-20")
LAST_MONTH = _days("2026-10-01", "2026-10-31")
SEPTEMBER = _days("2026-09-01", "2026-09-30")
THIS_QUARTER = _days("2026-10-01", "2026-11-20")
Q1 = _days("2026-01-01", "2026-03-31")
Q2 = _days("2026-04-01", "2026-06-30")
Q3 = _days("2026-07-01", "2026-09-30")
THIS_YEAR = _days("2026-01-01", "2026-11-20")
LAST_YEAR = _days("2025-01-01", "2025-12-31")
LAST_7_DAYS = _days("2026-11-13", "2026-11-19")
LAST_30_DAYS = _days("2026-10-21", "2026-11-19")
LAST_90_DAYS = _days("2026-08-22", "2026-11-19")
LAST_12_MONTHS = _days("2025-11-01", "2026-10-31")
MARCH = _days("2026-03-01", "2026-03-31")
JANUARY = _days("2026-01-01", "2026-01-31")
JULY = _days("2026-07-01", "2026-07-31")
OCTOBER_2025 = _days("2025-10-01", "2025-10-31")
MARCH_2025 = _days("2025-03-01", "2025-03-31")


@dataclass(frozen=True)
class Question:
    text: str
    rule: Rule
    sql: str = ""
    kind: Kind = "money"
    period: Period | None = None  # None: all time (or a balance as of now)
    other: Period | None = None  # the compared period (rule "compare")
    bucket: Bucket | None = None
    distinct: bool = False  # bucketed rows are (ts, key): count distinct keys per bucket
    ratio: bool = False  # bucketed rows are (ts, numerator, denominator): their sums divided
    limit: int = 0  # rule "top"
    ascending: bool = False
    smoke: bool = False  # also in the regression test (demo at scale 0.02)


def value(
    text: str, sql: str, period: Period | None = None, kind: Kind = "money", smoke: bool = False
) -> Question:
    return Question(text, "value", sql, kind, period, smoke=smoke)


def rows(
    text: str,
    sql: str,
    period: Period | None = None,
    kind: Kind = "money",
    bucket: Bucket | None = None,
    distinct: bool = False,
    ratio: bool = False,
    smoke: bool = False,
) -> Question:
    return Question(
        text, "rows", sql, kind, period, bucket=bucket, distinct=distinct, ratio=ratio, smoke=smoke
    )


def top(
    text: str,
    sql: str,
    limit: int,
    period: Period | None = None,
    kind: Kind = "money",
    ascending: bool = False,
    bucket: Bucket | None = None,
    smoke: bool = False,
) -> Question:
    return Question(
        text, "top", sql, kind, period, bucket=bucket, limit=limit, ascending=ascending, smoke=smoke
    )


def compare(
    text: str, sql: str, period: Period, other: Period, kind: Kind = "money", smoke: bool = False
) -> Question:
    return Question(text, "compare", sql, kind, period, other, smoke=smoke)


def none(text: str, smoke: bool = False) -> Question:
    return Question(text, "none", smoke=smoke)


# --- SQL fragments (dialect-neutral) --------------------------------------------------------------

ORDERS = "FROM orders o WHERE o.tenant_id = :tenant AND o.status <> 'cancelled'"
ORDERS_IN = ORDERS + " AND o.placed_at >= :start AND o.placed_at < :end"
ORDERS_C = (
    "FROM orders o LEFT JOIN customers c ON c.id = o.customer_id AND c.tenant_id = :tenant "
    "WHERE o.tenant_id = :tenant AND o.status <> 'cancelled'"
)
ORDERS_C_IN = ORDERS_C + " AND o.placed_at >= :start AND o.placed_at < :end"
ITEMS = (
    "FROM order_items i JOIN orders o ON o.id = i.order_id AND o.tenant_id = :tenant "
    "LEFT JOIN products p ON p.id = i.product_id AND p.tenant_id = :tenant "
    "WHERE i.tenant_id = :tenant AND o.status <> 'cancelled'"
)
ITEMS_IN = ITEMS + " AND o.placed_at >= :start AND o.placed_at < :end"
REFUNDS = (
    "FROM (SELECT r.amount AS amount, r.refunded_at AS ts, r.order_id AS order_id FROM refunds r "
    "WHERE r.tenant_id = :tenant "
    "UNION ALL SELECT pay.amount, pay.paid_at, pay.order_id FROM payments pay "
    "WHERE pay.tenant_id = :tenant AND pay.status = 'refunded' AND NOT EXISTS "
    "(SELECT 1 FROM refunds r2 WHERE r2.tenant_id = :tenant AND r2.order_id = pay.order_id)) rf"
)
REFUNDS_IN = REFUNDS + " WHERE rf.ts >= :start AND rf.ts < :end"
CUSTOMER_CREATED = "COALESCE(c.source_created_at, c.created_at)"
NEW_CUSTOMERS_IN = (
    f"FROM customers c WHERE c.tenant_id = :tenant AND {CUSTOMER_CREATED} >= :start "
    f"AND {CUSTOMER_CREATED} < :end"
)
UNPAID = "i.status IN ('open', 'overdue') AND i.balance > 0"
OVERDUE = f"{UNPAID} AND (i.status = 'overdue' OR (i.due_at IS NOT NULL AND i.due_at < :now))"
INVOICES = "FROM invoices i WHERE i.tenant_id = :tenant AND i.status <> 'void'"
WON = "LOWER(d.stage) LIKE '%won%'"
LOST = "LOWER(d.stage) LIKE '%lost%'"
OPEN_DEAL = f"NOT ({WON}) AND NOT ({LOST})"
DEALS_CLOSED_IN = (
    "FROM deals d WHERE d.tenant_id = :tenant AND d.close_date >= :first AND d.close_date <= :last"
)
PAYMENTS_IN = (
    "FROM payments pay WHERE pay.tenant_id = :tenant AND pay.status = 'succeeded' "
    "AND pay.paid_at >= :start AND pay.paid_at < :end"
)
REVENUE = f"SELECT SUM(o.total) {ORDERS_IN}"
ORDER_COUNT = f"SELECT COUNT(*) {ORDERS_IN}"
GROSS_MARGIN = (
    "SUM(CASE WHEN p.cost IS NOT NULL THEN i.line_total - i.quantity * p.cost END) * 1.0 "
    "/ SUM(CASE WHEN p.cost IS NOT NULL THEN i.line_total END)"
)
# Customers with an order in the period placed after an earlier, not cancelled order of theirs: an
# order is a repeat when it comes after the customer's first not cancelled order.
RETURNING = (
    "SELECT COUNT(DISTINCT CASE WHEN o.placed_at > f.first_at THEN o.customer_id END) * 1.0 "
    "/ COUNT(DISTINCT o.customer_id) FROM orders o LEFT JOIN (SELECT e.customer_id AS customer_id, "
    "MIN(e.placed_at) AS first_at FROM orders e WHERE e.tenant_id = :tenant AND e.status <> 'cancelled' "
    "GROUP BY e.customer_id) f ON f.customer_id = o.customer_id "
    "WHERE o.tenant_id = :tenant AND o.status <> 'cancelled' AND o.placed_at >= :start AND o.placed_at < :end"
)
HOODIES = "p.name LIKE 'Pullover Hoodie%'"

QUESTIONS: list[Question] = [
    # --- totals ---------------------------------------------------------------------------------
    value("What was revenue last month?", REVENUE, LAST_MONTH, smoke=True),
    value("How much did we make in 2025?", REVENUE, LAST_YEAR),
    value("Total sales this year", REVENUE, THIS_YEAR),
    value("Revenue yesterday", REVENUE, YESTERDAY),
    value("What were sales last week?", REVENUE, LAST_WEEK),
    value("revenue in Q3", REVENUE, Q3),
    value("How much revenue did we have in March 2025?", REVENUE, MARCH_2025),
    value("Sales between March and May", REVENUE, _days("2026-03-01", "2026-05-31"), smoke=True),
    value("Revenue year to date", REVENUE, THIS_YEAR),
    value("How much have we sold this year so far?", REVENUE, THIS_YEAR),
    value("revenue over the last 30 days", REVENUE, LAST_30_DAYS),
    value("Sales since June", REVENUE, _days("2026-06-01", "2026-11-20")),
    value("What's our total revenue?", f"SELECT SUM(o.total) {ORDERS}"),
    value("revenue this quarter", REVENUE, THIS_QUARTER),
    value("Revenue in the last 12 months", REVENUE, LAST_12_MONTHS),
    value("revenue in the first quarter of 2026", REVENUE, Q1),
    value("How much money did we bring in during October 2025?", REVENUE, OCTOBER_2025),
    value("sales on 28 November 2025", REVENUE, _days("2025-11-28", "2025-11-28")),
    # --- counts ---------------------------------------------------------------------------------
    value("How many orders in 2025?", ORDER_COUNT, LAST_YEAR, "count", smoke=True),
    value("number of orders last month", ORDER_COUNT, LAST_MONTH, "count"),
    value("How many orders did we get yesterday?", ORDER_COUNT, YESTERDAY, "count"),
    value("Orders this month", ORDER_COUNT, THIS_MONTH, "count"),
    value("How many orders in the past 7 days?", ORDER_COUNT, LAST_7_DAYS, "count"),
    value("How many units did we sell last quarter?", f"SELECT SUM(i.quantity) {ITEMS_IN}", Q3, "count"),
    value(
        "How many customers ordered last month?",
        f"SELECT COUNT(DISTINCT o.customer_id) {ORDERS_IN}",
        LAST_MONTH,
        "count",
    ),
    value("New customers this year", f"SELECT COUNT(*) {NEW_CUSTOMERS_IN}", THIS_YEAR, "count"),
    value(
        "How many new customers did we get in October?",
        f"SELECT COUNT(*) {NEW_CUSTOMERS_IN}",
        LAST_MONTH,
        "count",
    ),
    # --- averages -------------------------------------------------------------------------------
    value(
        "Average order value this year",
        f"SELECT SUM(o.total) * 1.0 / COUNT(*) {ORDERS_IN}",
        THIS_YEAR,
        smoke=True,
    ),
    value("What's the AOV last month?", f"SELECT SUM(o.total) * 1.0 / COUNT(*) {ORDERS_IN}", LAST_MONTH),
    value("average basket size in 2025", f"SELECT SUM(o.total) * 1.0 / COUNT(*) {ORDERS_IN}", LAST_YEAR),
    value(
        "average order value for web orders",
        f"SELECT SUM(o.total) * 1.0 / COUNT(*) {ORDERS} AND o.channel = 'web'",
    ),
    value(
        "average order value in Canada last year",
        f"SELECT SUM(o.total) * 1.0 / COUNT(*) {ORDERS_C_IN} AND c.country = 'CA'",
        LAST_YEAR,
    ),
    # --- breakdowns -----------------------------------------------------------------------------
    rows(
        "Revenue by category last quarter",
        f"SELECT p.category, SUM(i.line_total) {ITEMS_IN} GROUP BY p.category",
        Q3,
        smoke=True,
    ),
    rows(
        "Sales per month in 2025",
        f"SELECT o.placed_at AS ts, o.total {ORDERS_IN}",
        LAST_YEAR,
        bucket="month",
        smoke=True,
    ),
    rows(
        "Orders by channel this year",
        f"SELECT o.channel, COUNT(*) {ORDERS_IN} GROUP BY o.channel",
        THIS_YEAR,
        "count",
    ),
    rows(
        "Revenue by country last year",
        f"SELECT c.country, SUM(o.total) {ORDERS_C_IN} GROUP BY c.country",
        LAST_YEAR,
    ),
    rows(
        "Units sold by category in 2025",
        f"SELECT p.category, SUM(i.quantity) {ITEMS_IN} GROUP BY p.category",
        LAST_YEAR,
        "count",
    ),
    rows(
        "New customers per month this year",
        f"SELECT {CUSTOMER_CREATED} AS ts, 1 {NEW_CUSTOMERS_IN}",
        THIS_YEAR,
        "count",
        bucket="month",
    ),
    rows(
        "Revenue by day last week", f"SELECT o.placed_at AS ts, o.total {ORDERS_IN}", LAST_WEEK, bucket="day"
    ),
    rows(
        "Orders by day of the week", f"SELECT o.placed_at AS ts, 1 {ORDERS}", None, "count", bucket="weekday"
    ),
    rows("Revenue by hour of the day", f"SELECT o.placed_at AS ts, o.total {ORDERS}", None, bucket="hour"),
    rows(
        "Refunds by month this year", f"SELECT rf.ts AS ts, rf.amount {REFUNDS_IN}", THIS_YEAR, bucket="month"
    ),
    rows(
        "Gross margin by category",
        f"SELECT p.category, {GROSS_MARGIN} {ITEMS} GROUP BY p.category",
        None,
        "rate",
        smoke=True,
    ),
    rows(
        "Revenue split by channel last month",
        f"SELECT o.channel, SUM(o.total) {ORDERS_IN} GROUP BY o.channel",
        LAST_MONTH,
    ),
    rows("Orders by status", f"SELECT o.status, COUNT(*) {ORDERS} GROUP BY o.status", None, "count"),
    rows(
        "Invoiced by month in 2025",
        f"SELECT i.issued_at AS ts, i.total {INVOICES} AND i.issued_at >= :start AND i.issued_at < :end",
        LAST_YEAR,
        bucket="month",
    ),
    rows(
        "Open deals by stage",
        f"SELECT d.stage, COUNT(*) FROM deals d WHERE d.tenant_id = :tenant AND {OPEN_DEAL} GROUP BY d.stage",
        None,
        "count",
    ),
    rows(
        "Pipeline value by stage",
        f"SELECT d.stage, SUM(d.amount) FROM deals d WHERE d.tenant_id = :tenant AND {OPEN_DEAL} "
        "GROUP BY d.stage",
    ),
    rows(
        "Payments received by method last month",
        f"SELECT pay.method, SUM(pay.amount) {PAYMENTS_IN} GROUP BY pay.method",
        LAST_MONTH,
    ),
    rows(
        "Revenue by city this year",
        f"SELECT c.city, SUM(o.total) {ORDERS_C_IN} GROUP BY c.city",
        THIS_YEAR,
    ),
    rows(
        "Weekly orders last month",
        f"SELECT o.placed_at AS ts, 1 {ORDERS_IN}",
        LAST_MONTH,
        "count",
        bucket="week",
    ),
    rows(
        "Quarterly revenue in 2025",
        f"SELECT o.placed_at AS ts, o.total {ORDERS_IN}",
        LAST_YEAR,
        bucket="quarter",
    ),
    rows(
        "Units sold by product in the cold brew category this year",
        f"SELECT p.name, SUM(i.quantity) {ITEMS_IN} AND p.category = 'cold brew' GROUP BY p.name",
        THIS_YEAR,
        "count",
    ),
    rows(
        "Discounts by channel this year",
        f"SELECT o.channel, SUM(o.discount) {ORDERS_IN} GROUP BY o.channel",
        THIS_YEAR,
    ),
    rows(
        "Average order value by channel",
        f"SELECT o.channel, SUM(o.total) * 1.0 / COUNT(*) {ORDERS} GROUP BY o.channel",
    ),
    rows(
        "customers by country",
        f"SELECT c.country, COUNT(DISTINCT o.customer_id) {ORDERS_C} GROUP BY c.country",
        None,
        "count",
    ),
    rows(
        "revenue by channel and month this year",
        f"SELECT o.placed_at AS ts, o.channel, o.total {ORDERS_IN}",
        THIS_YEAR,
        bucket="month",
    ),
    rows(
        "market revenue by month this year",
        f"SELECT o.placed_at AS ts, o.total {ORDERS_IN} AND o.channel = 'market'",
        THIS_YEAR,
        bucket="month",
    ),
    rows(
        "Wholesale revenue by customer in 2025",
        f"SELECT c.name, SUM(o.total) {ORDERS_C_IN} AND o.channel = 'wholesale' GROUP BY c.name",
        LAST_YEAR,
    ),
    # --- top and bottom -------------------------------------------------------------------------
    top(
        "Top 5 products by revenue this year",
        f"SELECT p.name, SUM(i.line_total) {ITEMS_IN} GROUP BY p.name",
        5,
        THIS_YEAR,
        smoke=True,
    ),
    top(
        "Worst 3 categories by units sold",
        f"SELECT p.category, SUM(i.quantity) {ITEMS} GROUP BY p.category",
        3,
        None,
        "count",
        ascending=True,
        smoke=True,
    ),
    top(
        "Top 10 customers by revenue in 2025",
        f"SELECT c.name, SUM(o.total) {ORDERS_C_IN} GROUP BY c.name",
        10,
        LAST_YEAR,
    ),
    top(
        "Which channel brings the most revenue?",
        f"SELECT o.channel, SUM(o.total) {ORDERS} GROUP BY o.channel",
        1,
        smoke=True,
    ),
    top(
        "What's our busiest day of the week?",
        f"SELECT o.placed_at AS ts, 1 {ORDERS}",
        1,
        None,
        "count",
        bucket="weekday",
        smoke=True,
    ),
    top(
        "best selling product last month",
        f"SELECT p.name, SUM(i.quantity) {ITEMS_IN} GROUP BY p.name",
        1,
        LAST_MONTH,
        "count",
    ),
    top("Top 3 cities by orders", f"SELECT c.city, COUNT(*) {ORDERS_C} GROUP BY c.city", 3, None, "count"),
    top(
        "least popular category this year",
        f"SELECT p.category, SUM(i.quantity) {ITEMS_IN} GROUP BY p.category",
        1,
        THIS_YEAR,
        "count",
        ascending=True,
    ),
    top(
        "Bottom 5 products by revenue in 2025",
        f"SELECT p.name, SUM(i.line_total) {ITEMS_IN} GROUP BY p.name",
        5,
        LAST_YEAR,
        ascending=True,
    ),
    top(
        "Which country has the most customers?",
        f"SELECT c.country, COUNT(DISTINCT o.customer_id) {ORDERS_C} GROUP BY c.country",
        1,
        None,
        "count",
    ),
    top(
        "What was our best month for revenue in 2025?",
        f"SELECT o.placed_at AS ts, o.total {ORDERS_IN}",
        1,
        LAST_YEAR,
        bucket="month",
    ),
    top(
        "Which month had the most orders this year?",
        f"SELECT o.placed_at AS ts, 1 {ORDERS_IN}",
        1,
        THIS_YEAR,
        "count",
        bucket="month",
    ),
    top(
        "top 5 wholesale customers by revenue",
        f"SELECT c.name, SUM(o.total) {ORDERS_C} AND o.channel = 'wholesale' GROUP BY c.name",
        5,
    ),
    top(
        "top 3 products by units sold in the merchandise category",
        f"SELECT p.name, SUM(i.quantity) {ITEMS} AND p.category = 'merchandise' GROUP BY p.name",
        3,
        None,
        "count",
    ),
    top(
        "Who are our top 5 customers this year?",
        f"SELECT c.name, SUM(o.total) {ORDERS_C_IN} GROUP BY c.name",
        5,
        THIS_YEAR,
    ),
    top(
        "Which city brought in the most revenue last year?",
        f"SELECT c.city, SUM(o.total) {ORDERS_C_IN} GROUP BY c.city",
        1,
        LAST_YEAR,
    ),
    top(
        "slowest month of 2025",
        f"SELECT o.placed_at AS ts, 1 {ORDERS_IN}",
        1,
        LAST_YEAR,
        "count",
        ascending=True,
        bucket="month",
    ),
    # --- trends ---------------------------------------------------------------------------------
    rows(
        "Revenue trend this year",
        f"SELECT o.placed_at AS ts, o.total {ORDERS_IN}",
        THIS_YEAR,
        bucket="month",
        smoke=True,
    ),
    rows(
        "How are orders trending over the last 90 days?",
        f"SELECT o.placed_at AS ts, 1 {ORDERS_IN}",
        LAST_90_DAYS,
        "count",
        bucket="week",
    ),
    rows(
        "new customers over time",
        f"SELECT {CUSTOMER_CREATED} AS ts, 1 FROM customers c WHERE c.tenant_id = :tenant",
        None,
        "count",
        bucket="month",
    ),
    rows(
        "Show me the refund trend for 2025",
        f"SELECT rf.ts AS ts, rf.amount {REFUNDS_IN}",
        LAST_YEAR,
        bucket="month",
    ),
    # --- comparisons ----------------------------------------------------------------------------
    compare("Compare revenue this month vs last month", REVENUE, THIS_MONTH, LAST_MONTH, smoke=True),
    compare("How did orders in Q3 compare to Q2?", ORDER_COUNT, Q3, Q2, "count", smoke=True),
    compare("Revenue this year vs last year", REVENUE, THIS_YEAR, LAST_YEAR),
    compare("Revenue growth last month", REVENUE, LAST_MONTH, SEPTEMBER),
    compare("Orders in October 2026 vs October 2025", ORDER_COUNT, LAST_MONTH, OCTOBER_2025, "count"),
    compare("revenue in March compared to January", REVENUE, MARCH, JANUARY),
    compare(
        "How did new customers change last month?",
        f"SELECT COUNT(*) {NEW_CUSTOMERS_IN}",
        LAST_MONTH,
        SEPTEMBER,
        "count",
    ),
    compare(
        "units sold this quarter vs the same quarter last year",
        f"SELECT SUM(i.quantity) {ITEMS_IN}",
        THIS_QUARTER,
        _days("2025-10-01", "2025-11-20"),
        "count",
    ),
    # --- filters --------------------------------------------------------------------------------
    value("Revenue from wholesale in March", f"{REVENUE} AND o.channel = 'wholesale'", MARCH, smoke=True),
    value(
        "Orders from Germany last year",
        f"SELECT COUNT(*) {ORDERS_C_IN} AND c.country = 'DE'",
        LAST_YEAR,
        "count",
        smoke=True,
    ),
    value(
        "How much did Sawtooth Bistro spend in 2025?",
        f"SELECT SUM(o.total) {ORDERS_C_IN} AND c.name = 'Sawtooth Bistro'",
        LAST_YEAR,
    ),
    value("web sales last month", f"{REVENUE} AND o.channel = 'web'", LAST_MONTH),
    value(
        "subscription orders this year", f"{ORDER_COUNT} AND o.channel = 'subscription'", THIS_YEAR, "count"
    ),
    value(
        "Revenue from Canada in 2025", f"SELECT SUM(o.total) {ORDERS_C_IN} AND c.country = 'CA'", LAST_YEAR
    ),
    value(
        "Orders from Portland last month",
        f"SELECT COUNT(*) {ORDERS_C_IN} AND c.city = 'Portland'",
        LAST_MONTH,
        "count",
    ),
    value(
        "Cold brew sales in July", f"SELECT SUM(i.line_total) {ITEMS_IN} AND p.category = 'cold brew'", JULY
    ),
    value(
        "How many units of decaf did we sell this year?",
        f"SELECT SUM(i.quantity) {ITEMS_IN} AND p.category = 'decaf'",
        THIS_YEAR,
        "count",
    ),
    value(
        "Revenue from equipment in 2025",
        f"SELECT SUM(i.line_total) {ITEMS_IN} AND p.category = 'equipment'",
        LAST_YEAR,
    ),
    value(
        "Sales of Yirgacheffe this year",
        f"SELECT SUM(i.line_total) {ITEMS_IN} AND p.name LIKE '%Yirgacheffe%'",
        THIS_YEAR,
    ),
    value(
        "How many hoodies did we sell in 2025?",
        f"SELECT SUM(i.quantity) {ITEMS_IN} AND {HOODIES}",
        LAST_YEAR,
        "count",
        smoke=True,
    ),
    value("Refunded orders last month", f"{ORDER_COUNT} AND o.status = 'refunded'", LAST_MONTH, "count"),
    value(
        "international orders this year",
        f"SELECT COUNT(*) {ORDERS_C_IN} AND (c.country IS NULL OR c.country <> 'US')",
        THIS_YEAR,
        "count",
    ),
    value(
        "revenue from customers in Seattle this year",
        f"SELECT SUM(o.total) {ORDERS_C_IN} AND c.city = 'Seattle'",
        THIS_YEAR,
    ),
    value("Orders from the UK in Q2", f"SELECT COUNT(*) {ORDERS_C_IN} AND c.country = 'GB'", Q2, "count"),
    value(
        "single-origin beans revenue last quarter",
        f"SELECT SUM(i.line_total) {ITEMS_IN} AND p.category = 'single-origin beans'",
        Q3,
    ),
    value(
        "How many bags of Harbor Street Espresso did we sell last month?",
        f"SELECT SUM(i.quantity) {ITEMS_IN} AND p.name LIKE 'Harbor Street Espresso%'",
        LAST_MONTH,
        "count",
    ),
    value(
        "revenue from web orders outside the US last year",
        f"SELECT SUM(o.total) {ORDERS_C_IN} AND o.channel = 'web' "
        "AND (c.country IS NULL OR c.country <> 'US')",
        LAST_YEAR,
    ),
    value(
        "discounts given on web orders this year",
        f"SELECT SUM(o.discount) {ORDERS_IN} AND o.channel = 'web'",
        THIS_YEAR,
    ),
    value(
        "refunds on web orders this year",
        "SELECT SUM(rf.amount) "
        + REFUNDS_IN.replace(
            " rf WHERE", " rf JOIN orders o ON o.id = rf.order_id AND o.tenant_id = :tenant WHERE"
        )
        + " AND o.channel = 'web'",
        THIS_YEAR,
    ),
    value(
        "gross margin for equipment this year",
        f"SELECT {GROSS_MARGIN} {ITEMS_IN} AND p.category = 'equipment'",
        THIS_YEAR,
        "rate",
    ),
    value(
        "payments by card last month",
        f"SELECT SUM(pay.amount) {PAYMENTS_IN} AND pay.method = 'card'",
        LAST_MONTH,
    ),
    value(
        "How many customers do we have in Canada?",
        f"SELECT COUNT(DISTINCT o.customer_id) {ORDERS_C} AND c.country = 'CA'",
        None,
        "count",
    ),
    # --- refunds, margins, invoices, deals, payments ----------------------------------------------
    value("Refunds in the last 90 days", f"SELECT SUM(rf.amount) {REFUNDS_IN}", LAST_90_DAYS, smoke=True),
    value(
        "Refund rate this year",
        f"SELECT (SELECT SUM(rf.amount) {REFUNDS_IN}) * 1.0 / (SELECT SUM(o.total) {ORDERS_IN})",
        THIS_YEAR,
        "rate",
    ),
    value(
        "gross profit last month",
        f"SELECT SUM(CASE WHEN p.cost IS NOT NULL THEN i.line_total - i.quantity * p.cost END) {ITEMS_IN}",
        LAST_MONTH,
    ),
    value("What's our gross margin in 2025?", f"SELECT {GROSS_MARGIN} {ITEMS_IN}", LAST_YEAR, "rate"),
    value("outstanding invoices", f"SELECT SUM(i.balance) {INVOICES} AND {UNPAID}", smoke=True),
    value("How much do customers owe us?", f"SELECT SUM(i.balance) {INVOICES} AND {UNPAID}"),
    value(
        "How many overdue invoices do we have?", f"SELECT COUNT(*) {INVOICES} AND {OVERDUE}", None, "count"
    ),
    value("overdue balance", f"SELECT SUM(i.balance) {INVOICES} AND {OVERDUE}"),
    value(
        "Win rate this year",
        f"SELECT SUM(CASE WHEN {WON} THEN 1 ELSE 0 END) * 1.0 "
        f"/ SUM(CASE WHEN {WON} OR {LOST} THEN 1 ELSE 0 END) " + DEALS_CLOSED_IN,
        THIS_YEAR,
        "rate",
        smoke=True,
    ),
    value(
        "How many deals did we win last year?",
        f"SELECT COUNT(*) {DEALS_CLOSED_IN} AND {WON}",
        LAST_YEAR,
        "count",
    ),
    value("pipeline value", f"SELECT SUM(d.amount) FROM deals d WHERE d.tenant_id = :tenant AND {OPEN_DEAL}"),
    value(
        "How many open deals?",
        f"SELECT COUNT(*) FROM deals d WHERE d.tenant_id = :tenant AND {OPEN_DEAL}",
        None,
        "count",
    ),
    value("won deal value in 2025", f"SELECT SUM(d.amount) {DEALS_CLOSED_IN} AND {WON}", LAST_YEAR),
    value(
        "invoiced last month",
        f"SELECT SUM(i.total) {INVOICES} AND i.issued_at >= :start AND i.issued_at < :end",
        LAST_MONTH,
    ),
    value("payments received this month", f"SELECT SUM(pay.amount) {PAYMENTS_IN}", THIS_MONTH),
    value("payment fees last year", f"SELECT SUM(pay.fee) {PAYMENTS_IN}", LAST_YEAR),
    value("discounts given this year", f"SELECT SUM(o.discount) {ORDERS_IN}", THIS_YEAR),
    value("tax collected in 2025", f"SELECT SUM(o.tax) {ORDERS_IN}", LAST_YEAR),
    value("shipping charged last quarter", f"SELECT SUM(o.shipping) {ORDERS_IN}", Q3),
    # A calendar month's recurring revenue is that month's subscription revenue.
    value("MRR last month", f"SELECT SUM(o.total) {ORDERS_IN} AND o.channel = 'subscription'", LAST_MONTH),
    value("returning customer rate this year", RETURNING, THIS_YEAR, "rate"),
    value(
        "net revenue last month",
        f"SELECT (SELECT SUM(o.total) {ORDERS_IN}) - (SELECT COALESCE(SUM(rf.amount), 0) {REFUNDS_IN})",
        LAST_MONTH,
    ),
    # --- held out: written after the engine was tuned on the questions above, kept as first run --
    value("how much did we sell in september", REVENUE, SEPTEMBER),
    value("what did we make yesterday", REVENUE, YESTERDAY),
    value("total number of orders in 2026", ORDER_COUNT, _days("2026-01-01", "2026-12-31"), "count"),
    rows(
        "sales by product category for 2025",
        f"SELECT p.category, SUM(i.line_total) {ITEMS_IN} GROUP BY p.category",
        LAST_YEAR,
    ),
    rows(
        "give me revenue per week for the last 4 weeks",
        f"SELECT o.placed_at AS ts, o.total {ORDERS_IN}",
        _days("2026-10-23", "2026-11-19"),
        bucket="week",
    ),
    top(
        "which products sold best in October?",
        f"SELECT p.name, SUM(i.quantity) {ITEMS_IN} GROUP BY p.name",
        5,
        LAST_MONTH,
        "count",
    ),
    value("what's the average order in 2025", f"SELECT SUM(o.total) * 1.0 / COUNT(*) {ORDERS_IN}", LAST_YEAR),
    rows(
        "monthly revenue for the last 12 months",
        f"SELECT o.placed_at AS ts, o.total {ORDERS_IN}",
        LAST_12_MONTHS,
        bucket="month",
    ),
    rows(
        "number of new customers by country this year",
        f"SELECT c.country, COUNT(*) {NEW_CUSTOMERS_IN} GROUP BY c.country",
        THIS_YEAR,
        "count",
    ),
    value("revenue from the market stall this year", f"{REVENUE} AND o.channel = 'market'", THIS_YEAR),
    value("online sales this month", f"{REVENUE} AND o.channel = 'web'", THIS_MONTH),
    value(
        "how many orders came from Canada this year",
        f"SELECT COUNT(*) {ORDERS_C_IN} AND c.country = 'CA'",
        THIS_YEAR,
        "count",
    ),
    rows(
        "revenue by sales channel in Q2",
        f"SELECT o.channel, SUM(o.total) {ORDERS_IN} GROUP BY o.channel",
        Q2,
    ),
    top(
        "top 3 cafés by revenue last year",
        f"SELECT c.name, SUM(o.total) {ORDERS_C_IN} GROUP BY c.name",
        3,
        LAST_YEAR,
    ),
    rows(
        "avg order value by month this year",
        f"SELECT o.placed_at AS ts, o.total, 1 {ORDERS_IN}",
        THIS_YEAR,
        bucket="month",
        ratio=True,
    ),
    rows(
        "gross profit by category last year",
        f"SELECT p.category, SUM(CASE WHEN p.cost IS NOT NULL THEN i.line_total - i.quantity * p.cost END) "
        f"{ITEMS_IN} GROUP BY p.category",
        LAST_YEAR,
    ),
    value("what were our refunds in October", f"SELECT SUM(rf.amount) {REFUNDS_IN}", LAST_MONTH),
    value("how much tax did we collect last year", f"SELECT SUM(o.tax) {ORDERS_IN}", LAST_YEAR),
    rows(
        "the number of units sold per category last month",
        f"SELECT p.category, SUM(i.quantity) {ITEMS_IN} GROUP BY p.category",
        LAST_MONTH,
        "count",
    ),
    rows(
        "show revenue by weekday for last quarter",
        f"SELECT o.placed_at AS ts, o.total {ORDERS_IN}",
        Q3,
        bucket="weekday",
    ),
    top(
        "what hour do we get the most orders",
        f"SELECT o.placed_at AS ts, 1 {ORDERS}",
        1,
        None,
        "count",
        bucket="hour",
    ),
    top(
        "biggest customer last year",
        f"SELECT c.name, SUM(o.total) {ORDERS_C_IN} GROUP BY c.name",
        1,
        LAST_YEAR,
    ),
    value(
        "revenue in Seattle last month",
        f"SELECT SUM(o.total) {ORDERS_C_IN} AND c.city = 'Seattle'",
        LAST_MONTH,
    ),
    value("orders over the past 30 days", ORDER_COUNT, LAST_30_DAYS, "count"),
    value("revenue during the last quarter", REVENUE, Q3),
    compare("compare orders this year with last year", ORDER_COUNT, THIS_YEAR, LAST_YEAR, "count"),
    value("what's the total amount overdue", f"SELECT SUM(i.balance) {INVOICES} AND {OVERDUE}"),
    rows(
        "sales of equipment by month in 2025",
        f"SELECT o.placed_at AS ts, i.line_total {ITEMS_IN} AND p.category = 'equipment'",
        LAST_YEAR,
        bucket="month",
    ),
    top(
        "which category made the most money last quarter",
        f"SELECT p.category, SUM(i.line_total) {ITEMS_IN} GROUP BY p.category",
        1,
        Q3,
    ),
    value(
        "number of customers from the UK",
        f"SELECT COUNT(DISTINCT o.customer_id) {ORDERS_C} AND c.country = 'GB'",
        None,
        "count",
    ),
    compare(
        "decaf revenue this year vs last year",
        f"SELECT SUM(i.line_total) {ITEMS_IN} AND p.category = 'decaf'",
        THIS_YEAR,
        LAST_YEAR,
    ),
    value(
        "What was the AOV for wholesale orders in 2025?",
        f"SELECT SUM(o.total) * 1.0 / COUNT(*) {ORDERS_IN} AND o.channel = 'wholesale'",
        LAST_YEAR,
    ),
    value("how much did we discount last month", f"SELECT SUM(o.discount) {ORDERS_IN}", LAST_MONTH),
    rows(
        "weekly revenue this quarter",
        f"SELECT o.placed_at AS ts, o.total {ORDERS_IN}",
        THIS_QUARTER,
        bucket="week",
    ),
    rows(
        "revenue per day this week",
        f"SELECT o.placed_at AS ts, o.total {ORDERS_IN}",
        _days("2026-11-16", "2026-11-20"),
        bucket="day",
    ),
    # --- held out, second batch: terse and casual phrasings, kept as first run ---------------------
    value("rev last month", REVENUE, LAST_MONTH),
    value("how many orders did we do last week", ORDER_COUNT, LAST_WEEK, "count"),
    value("whats our aov", f"SELECT SUM(o.total) * 1.0 / COUNT(*) {ORDERS}"),
    rows("sales by month", f"SELECT o.placed_at AS ts, o.total {ORDERS}", None, bucket="month"),
    top(
        "top sellers this month",
        f"SELECT p.name, SUM(i.quantity) {ITEMS_IN} GROUP BY p.name",
        5,
        THIS_MONTH,
        "count",
    ),
    top(
        "which customers spent the most last year",
        f"SELECT c.name, SUM(o.total) {ORDERS_C_IN} GROUP BY c.name",
        5,
        LAST_YEAR,
    ),
    value("revenue for Q4 2025", REVENUE, _days("2025-10-01", "2025-12-31")),
    value("Revenue, last 7 days", REVENUE, LAST_7_DAYS),
    value(
        "how much cold brew did we sell in August",
        f"SELECT SUM(i.line_total) {ITEMS_IN} AND p.category = 'cold brew'",
        _days("2026-08-01", "2026-08-31"),
    ),
    rows(
        "avg order value per channel last year",
        f"SELECT o.channel, SUM(o.total) * 1.0 / COUNT(*) {ORDERS_IN} GROUP BY o.channel",
        LAST_YEAR,
    ),
    rows(
        "orders per day last week",
        f"SELECT o.placed_at AS ts, 1 {ORDERS_IN}",
        LAST_WEEK,
        "count",
        bucket="day",
    ),
    value(
        "customers in Germany",
        f"SELECT COUNT(DISTINCT o.customer_id) {ORDERS_C} AND c.country = 'DE'",
        None,
        "count",
    ),
    rows(
        "what's the revenue split between web and wholesale this year",
        f"SELECT o.channel, SUM(o.total) {ORDERS_IN} AND o.channel IN ('web', 'wholesale') "
        "GROUP BY o.channel",
        THIS_YEAR,
    ),
    value("How much did we refund in 2025?", f"SELECT SUM(rf.amount) {REFUNDS_IN}", LAST_YEAR),
    top("best day last month", f"SELECT o.placed_at AS ts, o.total {ORDERS_IN}", 1, LAST_MONTH, bucket="day"),
    value("total units sold ytd", f"SELECT SUM(i.quantity) {ITEMS_IN}", THIS_YEAR, "count"),
    value("gross margin last quarter", f"SELECT {GROSS_MARGIN} {ITEMS_IN}", Q3, "rate"),
    value(
        "how many new customers came from Canada last year",
        f"SELECT COUNT(*) {NEW_CUSTOMERS_IN} AND c.country = 'CA'",
        LAST_YEAR,
        "count",
    ),
    value(
        "Portland revenue in 2025", f"SELECT SUM(o.total) {ORDERS_C_IN} AND c.city = 'Portland'", LAST_YEAR
    ),
    value("What were total discounts in Q2?", f"SELECT SUM(o.discount) {ORDERS_IN}", Q2),
    rows(
        "orders by country in Q3", f"SELECT c.country, COUNT(*) {ORDERS_C_IN} GROUP BY c.country", Q3, "count"
    ),
    none("revenue from repeat customers"),
    none("Which product category grew the most this year?"),
    # --- regressions found along the way ----------------------------------------------------------
    # "wholesale" is a channel and a deal pipeline: the two values must stay one filter (IN), not two.
    value(
        "revenue from web and wholesale last month",
        f"{REVENUE} AND o.channel IN ('web', 'wholesale')",
        LAST_MONTH,
        smoke=True,
    ),
    rows(
        "compare Portland and Seattle revenue this year",
        f"SELECT c.city, SUM(o.total) {ORDERS_C_IN} AND c.city IN ('Portland', 'Seattle') GROUP BY c.city",
        THIS_YEAR,
    ),
    top(
        "our bestsellers last year",
        f"SELECT p.name, SUM(i.quantity) {ITEMS_IN} GROUP BY p.name",
        5,
        LAST_YEAR,
        "count",
    ),
    # --- not answerable: an honest "I can't answer that yet" ------------------------------------
    none("What's the weather tomorrow?", smoke=True),
    none("How many employees do we have?"),
    none("What is the meaning of life?"),
    none("Which supplier is the cheapest?"),
    none("Revenue from unicorns last month", smoke=True),
    none("How many cancelled orders last month?"),
    none("Tell me a joke"),
    none("How many emails did we send last week?"),
    none("predict revenue for next year"),
]


# --- evaluation ----------------------------------------------------------------------------------


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(TIMEZONE))


def _bucket_of(moment: datetime, bucket: Bucket) -> Any:
    local = moment.astimezone(ZoneInfo(TIMEZONE))
    day = local.date()
    if bucket == "weekday":
        return WEEKDAYS[day.weekday()]
    if bucket == "hour":
        return local.hour
    if bucket == "week":
        day -= timedelta(days=day.weekday())
    elif bucket == "month":
        day = day.replace(day=1)
    elif bucket == "quarter":
        day = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    elif bucket == "year":
        day = date(day.year, 1, 1)
    return day.isoformat()


def _number(raw: Any) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, Decimal):
        return float(raw)
    return float(raw)


async def _run(
    session: AsyncSession, tenant_id: uuid.UUID, sql: str, period: Period | None
) -> list[Sequence[Any]]:
    statement = text(sql)
    params: dict[str, Any] = {"tenant": tenant_id, "now": NOW}
    types: dict[str, Any] = {
        "tenant": Uuid(),
        "now": UTCDateTime(),
        "start": UTCDateTime(),
        "end": UTCDateTime(),
    }
    types |= {"first": Date(), "last": Date()}
    if period is not None:
        params |= {
            "start": local_midnight(period[0]),
            "end": local_midnight(period[1] + timedelta(days=1)),
            "first": period[0],
            "last": period[1],
        }
    used = [name for name in types if f":{name}" in sql]
    statement = statement.bindparams(*(bindparam(name, type_=types[name]) for name in used))
    if " AS ts" in sql:
        statement = statement.columns(ts=UTCDateTime())  # type: ignore[assignment]
    result = await session.execute(statement, {name: params[name] for name in used})
    return [tuple(row) for row in result.all()]


Expected = float | None | dict[Any, float | None] | tuple[float | None, float | None]


async def expected(session: AsyncSession, tenant_id: uuid.UUID, question: Question) -> Expected:
    """The hand-written SQL's answer: a number, {key: number}, or (asked, compared)."""
    if question.rule == "none":
        return None
    if question.rule == "compare":
        assert question.period is not None and question.other is not None
        first = await _run(session, tenant_id, question.sql, question.period)
        second = await _run(session, tenant_id, question.sql, question.other)
        return _number(first[0][0]), _number(second[0][0])
    found = await _run(session, tenant_id, question.sql, question.period)
    if question.rule == "value":
        return _number(found[0][0]) if found else None
    if question.bucket is None:
        return {_key(row[:-1]): _number(row[-1]) for row in found}
    if question.ratio:
        return _bucketed_ratio(found, question.bucket)
    return _bucketed(found, question.bucket, question.distinct)


def _bucketed_ratio(found: list[Sequence[Any]], bucket: Bucket) -> dict[Any, float | None]:
    sums: dict[Any, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in found:
        key = _key([_bucket_of(row[0], bucket), *row[1:-2]])
        sums[key][0] += _number(row[-2]) or 0.0
        sums[key][1] += _number(row[-1]) or 0.0
    return {key: (top / bottom if bottom else None) for key, (top, bottom) in sums.items()}


def _key(values: Sequence[Any]) -> Any:
    """A row's dimension values as a key: the value itself, or for several an order-free set."""
    return values[0] if len(values) == 1 else frozenset(str(value) for value in values)


def _bucketed(found: list[Sequence[Any]], bucket: Bucket, distinct: bool) -> dict[Any, float | None]:
    sums: dict[Any, float] = defaultdict(float)
    keys: dict[Any, set[Any]] = defaultdict(set)
    for row in found:
        moment = row[0]
        assert isinstance(moment, datetime), moment
        key = _key([_bucket_of(moment, bucket), *row[1:-1]])
        if distinct:
            keys[key].add(row[-1])
        else:
            sums[key] += _number(row[-1]) or 0.0
    if distinct:
        return {key: float(len(values)) for key, values in keys.items()}
    return dict(sums)


@dataclass
class Verdict:
    correct: bool
    why: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def _close(a: float | None, b: float | None, kind: Kind) -> bool:
    if a is None or b is None:
        return (a or 0.0) == (b or 0.0) if kind != "rate" else a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return False
    return abs(a - b) <= TOLERANCE[kind] + 1e-9 * max(abs(a), abs(b))


def _metric_column(out: QuestionOut) -> int:
    assert out.semantic_query is not None
    name = out.semantic_query.metrics[0]
    return next(i for i, column in enumerate(out.columns) if column.name == name)


def _keyed_rows(out: QuestionOut) -> dict[Any, float | None]:
    """The answer's rows keyed by their dimension values, the first metric as the value."""
    assert out.semantic_query is not None
    dimensions = len(out.semantic_query.dimensions)
    index = _metric_column(out)
    keyed: dict[Any, float | None] = {}
    for row in out.rows:
        keyed[_key(row[:dimensions])] = _number(row[index])
    return keyed


def check(question: Question, out: QuestionOut, want: Expected) -> Verdict:
    """Whether the engine's answer is the expected one, and if not, why."""
    if question.rule == "none":
        if out.understood:
            return Verdict(False, f"answered a question it should not: {out.interpretation}")
        if not out.suggestions:
            return Verdict(False, "no suggestions")
        return Verdict(True)
    if not out.understood:
        return Verdict(False, f"not understood: {out.interpretation}")
    if question.rule == "value":
        got = _number(out.rows[0][_metric_column(out)]) if out.rows else None
        assert not isinstance(want, dict | tuple)
        return Verdict(_close(got, want, question.kind), f"got {got}, expected {want}")
    if question.rule == "compare":
        assert isinstance(want, tuple)
        if len(out.rows) != 2:
            return Verdict(False, f"no comparison: {out.rows}")
        index = _metric_column(out)
        pair = (_number(out.rows[0][index]), _number(out.rows[1][index]))
        ok = _close(pair[0], want[0], question.kind) and _close(pair[1], want[1], question.kind)
        return Verdict(ok, f"got {pair}, expected {want}")
    assert isinstance(want, dict)
    got_rows = _keyed_rows(out)
    if question.rule == "rows":
        return _same_rows(got_rows, want, question.kind)
    return _same_top(out, got_rows, want, question)


def _same_rows(got: dict[Any, float | None], want: dict[Any, float | None], kind: Kind) -> Verdict:
    wrong = [
        (key, got.get(key), want.get(key))
        for key in {*got, *want}
        if not _close(got.get(key), want.get(key), kind)
    ]
    if wrong:
        return Verdict(
            False,
            f"{len(wrong)} of {len(set(got) | set(want))} rows differ, e.g. {sorted(wrong, key=str)[:3]}",
        )
    return Verdict(True)


def _same_top(
    out: QuestionOut, got: dict[Any, float | None], want: dict[Any, float | None], question: Question
) -> Verdict:
    ranked = sorted(
        ((key, value) for key, value in want.items() if value is not None),
        key=lambda item: item[1] or 0.0,
        reverse=not question.ascending,
    )[: question.limit]
    if len(out.rows) != len(ranked):
        return Verdict(False, f"{len(out.rows)} rows, expected {len(ranked)}: {ranked}")
    index = _metric_column(out)
    for row, (_, value) in zip(out.rows, ranked, strict=True):
        if not _close(_number(row[index]), value, question.kind):
            return Verdict(False, f"got {[r[: index + 1] for r in out.rows]}, expected {ranked}")
    for key, figure in got.items():  # ties may swap places, but each name carries its own figure
        if not _close(figure, want.get(key), question.kind):
            return Verdict(False, f"{key}: got {figure}, expected {want.get(key)}")
    return Verdict(True)


def smoke_questions() -> list[Question]:
    return [question for question in QUESTIONS if question.smoke]
