"""Questions in plain language, answered by the semantic engine with no language model.

A question is read in passes, each taking the characters it understands so the next one sees less:
1. periods (the AI layer's date parser, plus presets: "last month", "Q3", "between March and May",
   "this year so far"), and whether two periods are compared;
2. phrases: metrics and their synonyms, breakdowns ("by category", "per month", "top 5 products",
   "which channel"), and values the tenant's data holds (channels, categories, countries, cities,
   statuses, deal stages, payment methods);
3. the words left: matched to customers, categories and products by name (exactly, with small
   typos, or by a distinctive word: "hoodies" is every size of the hoodie), and what still has no
   match to a category by meaning with the offline embeddings ("apparel" is merchandise).
A word none of the passes explains makes the question not understood: answering "revenue" for
"revenue from unicorns" would be a made-up figure. Such questions go to the language model when the
tenant configured one, and otherwise get "I can't answer that yet" with questions it can answer.

The result becomes one sentence with the key number ("Revenue last month (Oct 1-31, 2026) was
$48,212.40, up 6.1 % from September."), an interpretation of what was computed, and a chart type.
Accuracy and latency over owner-phrased questions: bench/nlq.py (table in tests/foundry_questions.py).
"""

from __future__ import annotations

import difflib
import re
import threading
import time as clock
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import structlog
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.ai.embeddings import get_embedder
from binelek.ai.local import slots
from binelek.ai.local.words import RIGHT_QUOTE, STOPWORDS, word_set
from binelek.connectors.models import Customer, Deal, Invoice, Order, Payment, Product
from binelek.foundry import engine, llm, semantic, service, sqlguard
from binelek.foundry.engine import QueryInvalid
from binelek.foundry.models import CustomMetric
from binelek.foundry.schemas import (
    AnswerColumn,
    ChartOut,
    ColumnType,
    Compare,
    Filter,
    OrderBy,
    QueryResult,
    QuestionIn,
    QuestionOut,
    RangeOut,
    Scalar,
    SemanticQuery,
    TimePreset,
    TimeRange,
)
from binelek.kit import dataversion
from binelek.kit.auth import Principal
from binelek.kit.cache import JsonCache
from binelek.kit.errors import ProblemError, ValidationFailed
from binelek.kit.state import AppState

log = structlog.get_logger(__name__)

Span = tuple[int, int]
Vector = NDArray[np.float32]

VOCABULARY_TTL_SECONDS = 300.0
VOCABULARY_CACHE_SIZE = 256  # tenants whose vocabulary a process keeps
MAX_NAMES = 20_000  # distinct values read per dimension; more are left to the model
MAX_PRODUCTS_PER_WORD = 12  # a word naming more products than this is not a way to pick products
DEFAULT_TOP = 5
PIE_MAX_SLICES = 8
SUGGESTIONS = 4
CANT_ANSWER = "I can't answer that yet."
# Cosine similarity of MiniLM embeddings above which an unknown phrase is taken to mean a category,
# and by how much it must beat the next one (on the demo catalogue: "apparel" → merchandise 0.68,
# "iced coffee" → cold brew 0.70, "accessories" → equipment 0.71; "coffee gear" 0.55 is refused).
SEMANTIC_NAME_THRESHOLD = 0.62
SEMANTIC_MARGIN = 0.05


# ------------------------------------------------------------------------------------------ words

# Words that ask, frame or connect without changing what is computed.
FILLER = (
    word_set(
        """what whats what's how many much was were is are did do does has have had we our us i me my you
    your the a an of for in on at by to from with and or vs versus against than compared compare
    compares comparing comparison show tell give list get got see find display chart graph plot table
    total totals overall sum amount number count value values figure figures numbers stats statistics
    make made makes making earn earned generate generated bring brings brought take took took do done
    sell sold selling sale buy bought spend spent spending pay paid come came
    all whole entire company business shop store shops stores roastery overall
    trend trends trending over time change changed changes growth grow grew grown doing perform performed
    performing performance going look looking looked like break broken down breakdown split share
    shares mix proportion proportions percentage percent distribution each every per across
    please can could would will me let lets let's so far date up there any some which who whom whose
    when where why it its it's this that these those be been being am than then also just only
    give me hey hi ok okay thanks report summary quick currently current now right today's
    money dollars cash bucks much more less most least best worst top bottom highest lowest
    biggest largest smallest leading busiest slowest popular selling seller sellers performing
    did does doing done ever far yet still kind sort type types versus period periods range during
    between among
    order ordered ordering orders placed purchase purchased purchases via through thru collect collected
    collecting receive received receiving charge charged charging issue issued record recorded saw
    customers customer clients client buyers buyer people person folks ones one two three four five
    six seven eight nine ten twenty items item products product things stuff
    """
    )
    | STOPWORDS
)

_COMPARE_CUE = re.compile(
    r"\b(?:compare[sd]?|comparing|comparison|vs\.?|versus|against|relative\s+to|than|growth|grow|grew"
    r"|grown|change[sd]?|up\s+or\s+down|increase[sd]?|decrease[sd]?|difference|yoy|year[\s-]over[\s-]year"
    r"|mom|month[\s-]over[\s-]month|how\s+did\s+.+\s+do)\b",
    re.IGNORECASE,
)
_PREVIOUS_YEAR_CUE = re.compile(
    r"\b(?:same\s+(?:day|week|month|quarter|period|time)\s+(?:last|a|the\s+previous|previous|of\s+last)\s+year"
    r"(?:\s+(?:ago|earlier|before))?"
    r"|(?:a\s+)?year\s+(?:ago|earlier|before)|yoy|year[\s-]over[\s-]year)\b",
    re.IGNORECASE,
)
_PERIOD_BEFORE = re.compile(
    r"\b(?:the\s+)?(?:(?:previous|prior|preceding)\s+(?:day|week|month|quarter|year|period)"
    r"|(?:day|week|month|quarter|year|period)\s+before)\b",
    re.IGNORECASE,
)
_TREND_CUE = re.compile(
    r"\b(?:trend(?:s|ing|ed)?|over\s+time|trajectory|evolution|evolve[sd]?|history)\b", re.I
)
_PIE_CUE = re.compile(
    r"\b(?:share|split|breakdown|broken\s+down|mix|proportions?|percentages?|distribution)\b", re.I
)
_SO_FAR = re.compile(r"\b(?:so\s+far|to\s+date)\b", re.IGNORECASE)
_BARE_YEAR = re.compile(r"(?<![\w$€£.,/-])(?:fy\s?)?((?:19|20)\d{2})(?![\w.,/-]*\d)(?!\s*%)", re.IGNORECASE)

_RANK_DESC = r"top|best|highest|biggest|largest|leading|most|greatest|busiest|strongest"
_RANK_ASC = r"bottom|worst|lowest|smallest|least|fewest|weakest|slowest|quietest"
# Before a noun, these rank things ("top 5 products"); "most" and "least" measure an amount
# ("the most customers") unless an adjective follows them ("the most popular products").
_RANK_THINGS = r"top|best|highest|biggest|largest|leading|busiest|strongest|bottom|worst|lowest|smallest"
_RANK_THINGS += r"|weakest|slowest|quietest"
_RANK = re.compile(
    r"\b(?:(?P<desc>" + _RANK_DESC + r")|(?P<asc>" + _RANK_ASC + r"))"
    r"(?:[\s-]+(?P<n>\d+|" + slots._COUNT_WORDS + r"))?(?:\b|(?=sellers?\b))",
    re.IGNORECASE,
)
# "bestsellers", "top sellers": the products that sell most, without naming products.
_SELLERS = re.compile(r"\b(?:best|top|worst)?[\s-]?sellers?\b", re.IGNORECASE)
# Ranking things by how they changed ("which category grew the most") is not a query the engine runs.
_GROWTH = re.compile(
    r"\b(?:grew|grow(?:s|ing|n)?|growth|increased?|declined?|dropped|fell|fallen|improved?)\b", re.IGNORECASE
)
# Words that make the dimension after them a breakdown: "by category", "top 5 products".
_BREAKDOWN_BEFORE = re.compile(
    r"(?:\b(?:by|per|each|every|across|among|between)\s+(?:the\s+)?(?:different\s+)?"
    r"|\b(?:which|what|whose)\s+(?:(?:is|was|are|were)\s+)?(?:the\s+|our\s+|my\s+)?(?:\w+\s+)?"
    r"|\b(?:" + _RANK_THINGS + r")(?:[\s-]+(?:\d+|" + slots._COUNT_WORDS + r"))?"
    r"(?:\s+(?:selling|performing|earning|grossing|paying|spending|ordering))?\s+(?:\w+\s+)?"
    r"|\b(?:most|least)\s+(?!(?:revenue|sales|orders|customers|units)\b)\w+\s+"
    r"|\bby\s+(?:the\s+)?\w+(?:\s+\w+)?\s+and\s+"
    r"|\b(?:best|top|worst)[\s-]selling\s+)$",
    re.IGNORECASE,
)
_GRAIN_WORDS: dict[str, tuple[str, ...]] = {
    "date.day": ("daily", "day by day", "per day", "by day", "each day", "every day", "by date", "per date"),
    "date.week": ("weekly", "week by week", "per week", "by week", "each week", "every week"),
    "date.month": ("monthly", "month by month", "per month", "by month", "each month", "every month"),
    "date.quarter": ("quarterly", "quarter by quarter", "per quarter", "by quarter", "each quarter"),
    "date.year": ("yearly", "annually", "year by year", "per year", "by year", "each year", "annual"),
    "weekday": ("day of the week", "day of week", "days of the week", "weekday", "weekdays", "busiest day"),
    "hour": ("hour of the day", "time of day", "by hour", "per hour", "hourly", "what time", "busiest hour"),
}
# A time noun after a breakdown word: "which month", "best quarter".
_GRAIN_NOUNS = {"day": "date.day", "week": "date.week", "month": "date.month", "quarter": "date.quarter"}
_GRAIN_NOUNS |= {"year": "date.year", "hour": "hour", "days": "date.day", "weeks": "date.week"}
_GRAIN_NOUNS |= {"months": "date.month", "quarters": "date.quarter", "years": "date.year"}

# Phrases that name a metric beyond its label and synonyms in semantic.py.
EXTRA_METRIC_PHRASES: dict[str, tuple[str, ...]] = {
    "revenue": (
        "rev",
        "how much money",
        "how much did we make",
        "how much did we sell",
        "money",
        "spend",
        "spent",
        "revenues",
        "gross revenue",
        "top line",
        "sold for",
        "bring in",
        "brings in",
        "brought in",
        "brings the most",
        "generated",
        "generate",
    ),
    "orders": ("how many orders", "orders placed", "order volume", "sales count", "busiest"),
    "units_sold": (
        "best selling",
        "best-selling",
        "bestselling",
        "top selling",
        "top-selling",
        "worst selling",
        "most popular",
        "least popular",
        "how many units",
        "units",
        "volume sold",
        "how many did we sell",
        "sold the most",
        "how many bags",
        "bags",
        "bags of",
    ),
    "average_order_value": (
        "average order value",
        "average order size",
        "avg order value",
        "average spend per order",
        "average ticket",
        "average basket size",
    ),
    "customers": (
        "customers who ordered",
        "customers who bought",
        "active customers",
        "how many customers",
        "unique customers",
        "number of customers",
    ),
    "new_customers": ("new customers", "new signups", "first-time customers", "first time customers"),
    "refunds": ("refunds", "refund", "refunded", "money refunded", "how much did we refund"),
    "gross_margin": ("gross margin", "margin %", "margin percentage"),
    "gross_profit": ("gross profit", "profit"),
    "outstanding_balance": (
        "outstanding invoices",
        "outstanding balance",
        "open invoices",
        "unpaid invoices",
        "how much do customers owe",
        "owe us",
        "accounts receivable",
    ),
    "overdue_invoices": ("how many overdue invoices", "how many invoices are overdue", "number of overdue"),
    "overdue_balance": ("overdue balance", "overdue amount", "how much is overdue"),
    "pipeline_value": ("pipeline value", "value of the pipeline", "value of open deals"),
    "open_deals": ("open deals", "how many open deals", "deals in the pipeline", "active deals"),
    "won_deals": ("deals won", "won deals", "how many deals did we win", "deals did we win", "wins"),
    "won_value": ("won deal value", "value of deals won", "value of won deals"),
    "win_rate": ("win rate", "close rate", "win ratio", "deal win rate"),
    "invoiced": ("invoiced", "invoiced amount", "amount invoiced", "invoices issued", "billed"),
    "payments_received": ("payments received", "cash collected", "payments collected"),
    "payment_fees": ("payment fees", "card fees", "processing fees", "transaction fees"),
    "discounts": ("discounts given", "discounts", "discount", "how much discount"),
    "tax": ("tax collected", "sales tax", "taxes", "tax"),
    "shipping": ("shipping charged", "shipping", "delivery fees"),
    "mrr": ("mrr", "monthly recurring revenue", "recurring revenue", "subscription revenue"),
    "net_revenue": ("net revenue", "revenue after refunds", "net sales"),
    "returning_customer_rate": (
        "returning customer rate",
        "repeat customer rate",
        "repeat purchase rate",
        "returning-customer rate",
        "repeat rate",
    ),
    "refund_rate": ("refund rate", "return rate", "refund ratio"),
    "product_sales": ("product sales", "line sales", "item sales"),
}
# Metrics that name what a breakdown ranks when the question names no metric.
_RANKING_DEFAULT = "revenue"
# A status word that is also a metric synonym ("refunded") is a status before its noun.
_STATUS_NOUNS = r"(?=\s+(?:orders?|invoices?|payments?|sales?|purchases?)\b)"

COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "US": ("united states", "united states of america", "usa", "u.s.", "u.s.a.", "america", "the states"),
    "CA": ("canada",),
    "GB": ("united kingdom", "uk", "u.k.", "britain", "great britain", "england", "scotland", "wales"),
    "DE": ("germany",),
    "FR": ("france",),
    "NL": ("netherlands", "the netherlands", "holland"),
    "IE": ("ireland",),
    "DK": ("denmark",),
    "SE": ("sweden",),
    "NO": ("norway",),
    "FI": ("finland",),
    "ES": ("spain",),
    "PT": ("portugal",),
    "IT": ("italy",),
    "CH": ("switzerland",),
    "AT": ("austria",),
    "BE": ("belgium",),
    "PL": ("poland",),
    "CZ": ("czechia", "czech republic"),
    "AU": ("australia",),
    "NZ": ("new zealand",),
    "JP": ("japan",),
    "KR": ("south korea", "korea"),
    "CN": ("china",),
    "IN": ("india",),
    "SG": ("singapore",),
    "MX": ("mexico",),
    "BR": ("brazil",),
    "AR": ("argentina",),
    "ZA": ("south africa",),
    "AE": ("united arab emirates", "uae"),
}
_INTERNATIONAL = re.compile(
    r"\b(?:international(?:ly)?|abroad|overseas|foreign|outside\s+(?:the\s+)?(?P<home>\w[\w.]*))\b",
    re.IGNORECASE,
)
CHANNEL_SYNONYMS: dict[str, tuple[str, ...]] = {
    "web": ("online", "website", "web shop", "webshop", "web store", "e-commerce", "ecommerce", "site"),
    "wholesale": ("b2b",),
    "market": ("farmers market", "farmers' market", "market stall", "in person"),
    "subscription": ("subscriptions", "subscribers"),
    "pos": ("in store", "in-store", "point of sale", "retail store"),
}
# Dimensions whose values are everyday words ("check", "open", "lead"): only taken when the question
# speaks about that thing.
_GATED_DIMENSIONS: dict[str, re.Pattern[str]] = {
    "deal_stage": re.compile(r"\b(?:deals?|stages?|pipeline|opportunit(?:y|ies))\b", re.IGNORECASE),
    "payment_method": re.compile(r"\b(?:paid|pay|payments?|methods?)\b", re.IGNORECASE),
    "deal_owner": re.compile(r"\b(?:owners?|reps?|owned)\b", re.IGNORECASE),
}


# ------------------------------------------------------------------------------------- vocabulary


def normalize(text: str) -> str:
    """Lower case, accents off, "&" as "and", punctuation as spaces: how names are compared."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    plain = plain.replace("&", " and ").replace("'", "").replace(RIGHT_QUOTE, "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def _forms(word: str) -> set[str]:
    """A word and the singulars it may be the plural of ("hoodies": hoodie, hoody)."""
    forms = {word}
    if len(word) > 4 and word.endswith("ies"):
        forms |= {word[:-3] + "y", word[:-1]}
    if len(word) > 3 and word.endswith("es"):
        forms |= {word[:-2], word[:-1]}
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        forms.add(word[:-1])
    return forms


def _singular(word: str) -> str:
    for suffix, replacement in (("ies", "y"), ("ves", "f"), ("ses", "s"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + replacement
    return word


@dataclass
class Vocabulary:
    """What a tenant's data can be asked about: each dimension's values, and indexes over names."""

    values: dict[str, list[str]]  # dimension → distinct values
    home_country: str | None
    custom_metrics: dict[str, tuple[str, str]]  # name → (label, format)
    custom: dict[str, engine.ResolvedMetric]
    first_order_at: datetime | None
    product_words: dict[str, list[str]] = field(default_factory=dict)  # singular word → products
    customer_names: dict[str, list[str]] = field(default_factory=dict)  # normalized name → names
    customer_prefixes: dict[str, list[str]] = field(default_factory=dict)  # first two words → names
    _name_vectors: tuple[list[tuple[str, str]], Vector] | None = None
    _value_patterns: list[tuple[str, str, re.Pattern[str], int]] | None = None

    def value_patterns(self) -> list[tuple[str, str, re.Pattern[str], int]]:
        if self._value_patterns is None:
            self._value_patterns = _value_phrases(self)
        return self._value_patterns

    def __post_init__(self) -> None:
        for name in self.values.get("product", []):
            for word in set(normalize(name).split()):
                if len(word) >= 3 and not word.isdigit() and word not in FILLER:
                    for form in _forms(word):
                        self.product_words.setdefault(form, []).append(name)
        for name in self.values.get("customer", []):
            key = normalize(name)
            if not key:
                continue
            self.customer_names.setdefault(key, []).append(name)
            words = key.split()
            if len(words) >= 3:
                self.customer_prefixes.setdefault(" ".join(words[:2]), []).append(name)

    def name_vectors(self) -> tuple[list[tuple[str, str]], Vector]:
        """Categories with their embeddings, computed once per vocabulary. Products are left out:
        most come in sizes, and a meaning match picks one of them ("t-shirts" → one size)."""
        if self._name_vectors is None:
            labels = [("category", value) for value in self.values.get("category", [])]
            vectors = get_embedder().embed([value for _, value in labels])
            self._name_vectors = (labels, vectors)
        return self._name_vectors


_VOCABULARY_CACHE: dict[uuid.UUID, tuple[float, tuple[Any, ...], Vocabulary]] = {}
_VOCABULARY_LOCK = threading.Lock()

_VALUE_SOURCES: dict[str, Any] = {
    "channel": Order.channel,
    "status": Order.status,
    "city": Customer.city,
    "deal_stage": Deal.stage,
    "pipeline": Deal.pipeline,
    "deal_owner": Deal.owner_email,
    "payment_method": Payment.method,
}


async def vocabulary(session: AsyncSession, tenant_id: uuid.UUID) -> Vocabulary:
    """The tenant's vocabulary, read again when its business data or custom metrics changed, and
    after a while in any case (a product renamed by hand bumps nothing)."""
    version = await _vocabulary_version(session, tenant_id)
    with _VOCABULARY_LOCK:
        cached = _VOCABULARY_CACHE.get(tenant_id)
    if cached is not None and cached[1] == version and clock.monotonic() - cached[0] < VOCABULARY_TTL_SECONDS:
        return cached[2]
    loaded = await _load_vocabulary(session, tenant_id)
    with _VOCABULARY_LOCK:
        if len(_VOCABULARY_CACHE) >= VOCABULARY_CACHE_SIZE:  # the one loaded longest ago goes
            del _VOCABULARY_CACHE[min(_VOCABULARY_CACHE, key=lambda key: _VOCABULARY_CACHE[key][0])]
        _VOCABULARY_CACHE[tenant_id] = (clock.monotonic(), version, loaded)
    return loaded


async def _vocabulary_version(session: AsyncSession, tenant_id: uuid.UUID) -> tuple[Any, ...]:
    data_version = (await dataversion.current(session, tenant_id))[0]
    metrics = (
        await session.execute(
            select(func.count(), func.max(CustomMetric.updated_at)).where(CustomMetric.tenant_id == tenant_id)
        )
    ).one()
    return (data_version, *metrics)


async def _distinct(
    session: AsyncSession, column: Any, tenant_column: Any, tenant_id: uuid.UUID
) -> list[str]:
    statement = (
        select(column).where(tenant_column == tenant_id, column.is_not(None)).distinct().limit(MAX_NAMES)
    )
    return sorted(str(value) for value in (await session.execute(statement)).scalars().all() if value)


async def _load_vocabulary(session: AsyncSession, tenant_id: uuid.UUID) -> Vocabulary:
    values: dict[str, list[str]] = {}
    for dimension, column in _VALUE_SOURCES.items():
        values[dimension] = await _distinct(session, column, column.class_.tenant_id, tenant_id)
    statuses = set(values["status"])
    for column in (Invoice.status, Payment.status):
        statuses.update(await _distinct(session, column, column.class_.tenant_id, tenant_id))
    values["status"] = sorted(statuses)
    products = (
        await session.execute(
            select(Product.name, Product.category).where(Product.tenant_id == tenant_id).limit(MAX_NAMES)
        )
    ).all()
    values["product"] = sorted({name for name, _ in products if name})
    values["category"] = sorted({category for _, category in products if category})
    values["customer"] = await _distinct(session, Customer.name, Customer.tenant_id, tenant_id)
    countries = (
        await session.execute(
            select(Customer.country, func.count())
            .where(Customer.tenant_id == tenant_id, Customer.country.is_not(None))
            .group_by(Customer.country)
            .order_by(func.count().desc())
        )
    ).all()
    values["country"] = [str(country) for country, _ in countries if country]
    custom = await service.custom_metrics(session, tenant_id)
    first_order_at = (
        await session.execute(select(func.min(Order.placed_at)).where(Order.tenant_id == tenant_id))
    ).scalar_one_or_none()
    return Vocabulary(
        values=values,
        home_country=values["country"][0] if values["country"] else None,
        custom_metrics={name: (metric.label, metric.format) for name, metric in custom.items()},
        custom=custom,
        first_order_at=first_order_at,
    )


def forget_vocabulary(tenant_id: uuid.UUID | None = None) -> None:
    """Drop cached vocabularies (tests that load data into a tenant they already asked about)."""
    with _VOCABULARY_LOCK:
        if tenant_id is None:
            _VOCABULARY_CACHE.clear()
        else:
            _VOCABULARY_CACHE.pop(tenant_id, None)


# ---------------------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    time_range: TimeRange
    words: str  # as the question put it: "last month", "in Q3"
    span: Span


_PRESET_PHRASES: dict[str, TimePreset] = {
    "today": "today",
    "yesterday": "yesterday",
    "this week": "this_week",
    "current week": "this_week",
    "last week": "last_week",
    "previous week": "last_week",
    "prior week": "last_week",
    "this month": "this_month",
    "current month": "this_month",
    "last month": "last_month",
    "previous month": "last_month",
    "prior month": "last_month",
    "this quarter": "this_quarter",
    "current quarter": "this_quarter",
    "last quarter": "last_quarter",
    "previous quarter": "last_quarter",
    "prior quarter": "last_quarter",
    "this year": "this_year",
    "current year": "this_year",
    "last year": "last_year",
    "previous year": "last_year",
    "prior year": "last_year",
    "year to date": "year_to_date",
    "year-to-date": "year_to_date",
    "ytd": "year_to_date",
    "so far this year": "year_to_date",
    "past week": "last_7_days",
    "past month": "last_30_days",
    "past year": "last_12_months",
}
_ROLLING = re.compile(
    r"^(?:the\s+)?(?:last|past|previous|prior)\s+(?P<n>\d+|[a-z]+)\s+(?P<unit>days?|weeks?|months?)$", re.I
)
_ROLLING_PRESETS: dict[tuple[int, str], TimePreset] = {
    (7, "day"): "last_7_days",
    (30, "day"): "last_30_days",
    (90, "day"): "last_90_days",
    (1, "week"): "last_7_days",
    (12, "month"): "last_12_months",
}
_NEUTRAL_LEAD = re.compile(r"^(?:(?:in|on|at|during|for|over|of|the)\s+)+", re.IGNORECASE)


def _period_words(text: str) -> str:
    return " ".join(text.split())


def _as_preset(words: str) -> TimePreset | None:
    key = " ".join(_NEUTRAL_LEAD.sub("", words.lower()).split())
    return _PRESET_PHRASES.get(key)


def _rolling(words: str, today: date) -> TimeRange | None:
    """ "the last 45 days": the 45 days before today, as the engine's rolling presets count them."""
    m = _ROLLING.match(re.sub(r"^(?:in|over|for|during)\s+", "", words.strip(), flags=re.I))
    if m is None:
        return None
    try:
        amount = slots.number_value(m["n"])
    except KeyError:
        return None
    unit = m["unit"].lower().rstrip("s")
    preset = _ROLLING_PRESETS.get((amount, unit))
    if preset is not None:
        return TimeRange(preset=preset)
    if unit == "month":
        first = slots.add_months(today.replace(day=1), -amount)
        return TimeRange(start=first, end=today.replace(day=1) - timedelta(days=1))
    days = amount * (7 if unit == "week" else 1)
    return TimeRange(start=today - timedelta(days=days), end=today - timedelta(days=1))


def _dates_of(match: slots.DateMatch, today: date) -> tuple[date, date]:
    """A date match as local dates, both inclusive (an end at midnight belongs to the day before)."""
    first = match.start.date()
    end = match.end
    last = (
        end.date() - timedelta(days=1)
        if end.time() == datetime.min.time() and end > match.start
        else end.date()
    )
    return first, max(first, last)


def find_periods(text: str, *, now: datetime, timezone: str, exclude: Sequence[Span] = ()) -> list[Period]:
    """Every period in the question, as the engine's presets where one fits, else as dates."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    matches = slots.parse_dates(text, now=now, timezone=timezone, prefer="past", exclude=exclude)
    periods: list[Period] = []
    index = 0
    while index < len(matches):
        match = matches[index]
        words = _period_words(text[match.span[0] : match.span[1]])
        following = matches[index + 1] if index + 1 < len(matches) else None
        if match.relation == "start" and following is not None and following.relation == "end":
            first, _ = _dates_of(match, today)
            _, last = _dates_of(following, today)
            span = (match.span[0], following.span[1])
            periods.append(
                Period(
                    TimeRange(start=first, end=max(first, last)), _period_words(text[span[0] : span[1]]), span
                )
            )
            index += 2
            continue
        periods.append(Period(_time_range(match, words, today), words, match.span))
        index += 1
    taken = [*exclude, *(p.span for p in periods)]
    for m in _BARE_YEAR.finditer(text):
        span = (m.start(), m.end())
        if not slots.overlaps(span, taken):
            year = int(m[1])
            periods.append(Period(TimeRange(start=date(year, 1, 1), end=date(year, 12, 31)), m[0], span))
    return sorted(periods, key=lambda p: p.span)


def _time_range(match: slots.DateMatch, words: str, today: date) -> TimeRange:
    preset = _as_preset(words)
    if preset is not None:
        return TimeRange(preset=preset)
    rolling = _rolling(words, today)
    if rolling is not None:
        return rolling
    first, last = _dates_of(match, today)
    if match.relation == "start":  # "since June": up to today
        return TimeRange(start=first, end=max(first, today))
    if match.relation == "end":  # "until March": everything before
        return TimeRange(start=date(1970, 1, 1), end=last)
    if match.grain == "span" and match.end.date() >= today:  # "the past 3 weeks": up to yesterday
        return TimeRange(start=first, end=max(first, today - timedelta(days=1)))
    return TimeRange(start=first, end=last)


# ----------------------------------------------------------------------------------------- phrases


Kind = Literal["metric", "dimension", "value", "grain"]


@dataclass(frozen=True)
class Term:
    kind: Kind
    value: str  # metric name, dimension name, or "dimension=value"
    span: Span
    priority: int = 0
    cued: bool = False  # a dimension with a breakdown word before it


def _phrase_regex(phrase: str, *, case_sensitive: bool = False) -> re.Pattern[str]:
    pattern = slots.phrase_pattern(phrase)
    return re.compile(pattern.pattern) if case_sensitive else pattern


def _metric_phrases(vocab: Vocabulary) -> dict[str, list[str]]:
    phrases: dict[str, list[str]] = {}
    for name, metric in semantic.METRICS.items():
        phrases[name] = [
            metric.label,
            name.replace("_", " "),
            *metric.synonyms,
            *EXTRA_METRIC_PHRASES.get(name, ()),
        ]
    for name, (label, _) in vocab.custom_metrics.items():
        phrases[name] = [label, name.replace("_", " ")]
    return phrases


def _dimension_phrases() -> dict[str, list[str]]:
    phrases: dict[str, list[str]] = {}
    for name, dimension in semantic.DIMENSIONS.items():
        if dimension.type == "time" or name in ("weekday", "hour"):
            continue
        phrases[name] = [dimension.label, name.replace("_", " "), *dimension.synonyms]
    phrases["customer"] = [
        *phrases.get("customer", []),
        "cafe",
        "cafes",
        "café",
        "cafés",
        "account",
        "accounts",
    ]
    phrases["channel"] = [*phrases.get("channel", []), "sales channels", "channels"]
    phrases["category"] = [
        *phrases.get("category", []),
        "product categories",
        "product lines",
        "product line",
    ]
    phrases["product"] = [*phrases.get("product", []), "items"]
    return phrases


def _value_phrases(vocab: Vocabulary) -> list[tuple[str, str, re.Pattern[str], int]]:
    """(dimension, value, pattern, priority) for the values a question may name."""
    found: list[tuple[str, str, re.Pattern[str], int]] = []

    def add(
        dimension: str, value: str, phrase: str, *, priority: int = 0, case_sensitive: bool = False
    ) -> None:
        if phrase.strip():
            found.append((dimension, value, _phrase_regex(phrase, case_sensitive=case_sensitive), priority))

    for value in vocab.values.get("channel", []):
        add("channel", value, value.replace("_", " "))
        for synonym in CHANNEL_SYNONYMS.get(value.lower(), ()):
            add("channel", value, synonym)
    for value in vocab.values.get("category", []):
        add("category", value, value, priority=1)
        if "-" in value:
            add("category", value, value.replace("-", " "), priority=1)
    for value in _country_values(vocab):
        code = value.upper() if len(value) == 2 else None
        if code is not None:
            add("country", value, value, case_sensitive=True)
            for name in COUNTRY_NAMES.get(code, ()):
                add("country", value, name, case_sensitive=len(name) <= 3)
        else:
            add("country", value, value)
    for value in vocab.values.get("city", []):
        add("city", value, value, case_sensitive=len(value.split()) == 1)
        if "," in value:
            add("city", value, value.split(",")[0] + " " + value.split(",")[1], case_sensitive=False)
    for value in vocab.values.get("status", []):
        words = value.replace("_", " ")
        found.append(("status", value, re.compile(r"(?<![\w-])" + re.escape(words) + _STATUS_NOUNS, re.I), 3))
        found.append(("status", value, re.compile(r"(?<=status\s)" + re.escape(words) + r"\b", re.I), 3))
    for dimension in ("deal_stage", "pipeline", "payment_method", "deal_owner"):
        for value in vocab.values.get(dimension, []):
            add(dimension, value, value.replace("_", " "), priority=1)
            if dimension == "deal_owner" and "@" in value:
                add(dimension, value, value.split("@")[0].replace(".", " "), priority=1)
    return found


def _country_values(vocab: Vocabulary) -> list[str]:
    """The tenant's countries, and the well-known ones it has no customers in yet ("orders from
    Germany" is zero, not a question it can't read), written as the tenant writes them (ISO codes
    unless its data holds names)."""
    known = vocab.values.get("country", [])
    if any(len(value) > 2 for value in known):
        return known
    return [*known, *(code for code in COUNTRY_NAMES if code not in known)]


def _find_terms(text: str, vocab: Vocabulary, taken: Sequence[Span]) -> list[Term]:
    candidates: list[Term] = []
    for name, phrases in _metric_phrases(vocab).items():
        for phrase in phrases:
            for m in slots.phrase_pattern(phrase).finditer(text):
                candidates.append(Term("metric", name, (m.start(), m.end())))
    for name, phrases in _dimension_phrases().items():
        for phrase in phrases:
            for m in slots.phrase_pattern(phrase).finditer(text):
                cued = bool(_BREAKDOWN_BEFORE.search(text[: m.start()]))
                candidates.append(Term("dimension", name, (m.start(), m.end()), 2 if cued else -1, cued))
    for name, grain_phrases in _GRAIN_WORDS.items():
        for phrase in grain_phrases:
            for m in slots.phrase_pattern(phrase).finditer(text):
                candidates.append(Term("grain", name, (m.start(), m.end()), 2, True))
    for m in _SELLERS.finditer(text):
        candidates.append(Term("dimension", "product", (m.start(), m.end()), 2, True))
    for m in re.finditer(r"\b(" + "|".join(_GRAIN_NOUNS) + r")\b", text, re.IGNORECASE):
        if _BREAKDOWN_BEFORE.search(text[: m.start()]):
            candidates.append(Term("grain", _GRAIN_NOUNS[m[1].lower()], (m.start(), m.end()), 1, True))
    for dimension, value, pattern, priority in vocab.value_patterns():
        gate = _GATED_DIMENSIONS.get(dimension)
        if gate is not None and not gate.search(text):
            continue
        for m in pattern.finditer(text):
            candidates.append(Term("value", f"{dimension}={value}", (m.start(), m.end()), priority))
    return _resolve_overlaps(candidates, taken)


def _resolve_overlaps(candidates: list[Term], taken: Sequence[Span]) -> list[Term]:
    """Longest first; on equal length a breakdown word before a dimension, then the kind's priority."""
    order = {"grain": 0, "dimension": 1, "value": 2, "metric": 3}
    candidates.sort(key=lambda t: (-(t.span[1] - t.span[0]), -t.priority, order[t.kind], t.span[0]))
    chosen: list[Term] = []
    for term in candidates:
        if slots.overlaps(term.span, taken) or slots.overlaps(term.span, [c.span for c in chosen]):
            # The same words as a chosen value may also name a value of another dimension.
            same = [c for c in chosen if c.span == term.span and c.kind == term.kind == "value"]
            if same and not slots.overlaps(term.span, taken):
                chosen.append(term)
            continue
        chosen.append(term)
    return sorted(chosen, key=lambda t: t.span)


# ------------------------------------------------------------------------------------ name matching


@dataclass(frozen=True)
class NameMatch:
    dimension: str  # product, category or customer
    values: tuple[str, ...]
    span: Span


_WORD_SPANS = re.compile(r"[^\W_][\w'" + RIGHT_QUOTE + r"&.-]*", re.UNICODE)


def _word_spans(text: str, taken: Sequence[Span]) -> list[tuple[str, Span]]:
    return [
        (m[0].strip(".'-" + RIGHT_QUOTE), (m.start(), m.end()))
        for m in _WORD_SPANS.finditer(text)
        if not slots.overlaps((m.start(), m.end()), taken)
    ]


def _runs(words: list[tuple[str, Span]], text: str) -> list[list[tuple[str, Span]]]:
    """Consecutive unexplained words (nothing but spaces and punctuation between them)."""
    runs: list[list[tuple[str, Span]]] = []
    for word in words:
        if runs and not re.search(r"[^\s,'" + RIGHT_QUOTE + "-]", text[runs[-1][-1][1][1] : word[1][0]]):
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def match_names(text: str, vocab: Vocabulary, taken: Sequence[Span]) -> list[NameMatch]:
    """Customers, categories and products named by the words no other pass explained."""
    words = [(w, s) for w, s in _word_spans(text, taken) if w]
    found: list[NameMatch] = []
    for run in _runs(words, text):
        found.extend(_names_in_run(run, vocab))
    return found


def _names_in_run(run: list[tuple[str, Span]], vocab: Vocabulary) -> list[NameMatch]:
    found: list[NameMatch] = []
    index = 0
    while index < len(run):
        match = _longest_name_at(run, index, vocab)
        if match is None:
            index += 1
            continue
        found.append(match[0])
        index = match[1]
    return found


def _longest_name_at(
    run: list[tuple[str, Span]], index: int, vocab: Vocabulary
) -> tuple[NameMatch, int] | None:
    for stop in range(min(len(run), index + 7), index, -1):
        chunk = run[index:stop]
        typed = " ".join(word for word, _ in chunk)
        span = (chunk[0][1][0], chunk[-1][1][1])
        key = normalize(typed)
        if not key or all(word in FILLER for word in key.split()):
            continue
        customers = _customers_named(key, typed, vocab)
        if customers:
            return NameMatch("customer", tuple(customers), span), stop
        category = _category_named(key, vocab)
        if category:
            return NameMatch("category", (category,), span), stop
        products = _products_named(key, vocab)
        if products:
            return NameMatch("product", tuple(products), span), stop
    return None


def _customers_named(key: str, typed: str, vocab: Vocabulary) -> list[str]:
    exact = vocab.customer_names.get(key) or vocab.customer_names.get(key.removesuffix(" s"))
    if exact:
        return sorted(set(exact))
    words = key.split()
    if len(words) < 2:
        return []
    if len(words) == 2:
        by_prefix = vocab.customer_prefixes.get(key, [])
        if 0 < len(set(by_prefix)) <= 3:
            return sorted(set(by_prefix))
    if not typed[:1].isupper() or len(key) < 8:
        return []
    # Small typos in a full name: only names sharing the first word's first letters are compared.
    candidates = [name for name in vocab.customer_names if name[:3] == key[:3]]
    close = difflib.get_close_matches(key, candidates, n=2, cutoff=0.88)
    if len(close) == 1:
        return sorted(set(vocab.customer_names[close[0]]))
    return []


def _category_named(key: str, vocab: Vocabulary) -> str | None:
    categories = vocab.values.get("category", [])
    normalized = {normalize(c): c for c in categories}
    singular = " ".join(_singular(w) for w in key.split())
    for candidate, category in normalized.items():
        plain = " ".join(_singular(w) for w in candidate.split())
        if singular == plain:
            return category
    if " " not in key and len(key) >= 4:
        # One word of one category only ("merch" for merchandise, "beans" for single-origin beans).
        hits = [c for n, c in normalized.items() if any(w.startswith(_singular(key)) for w in n.split())]
        if len(hits) == 1:
            return hits[0]
    return None


def _products_named(key: str, vocab: Vocabulary) -> list[str]:
    words = [word for word in key.split() if word not in FILLER and len(word) >= 3]
    if not words:
        return []
    sets: list[set[str]] = []
    for word in words:
        products = {name for form in _forms(word) for name in vocab.product_words.get(form, ())}
        if not products and len(word) >= 5:
            close = difflib.get_close_matches(word, list(vocab.product_words), n=1, cutoff=0.85)
            products = set(vocab.product_words[close[0]]) if close else set()
        if not products:
            return []
        sets.append(products)
    matched = set.intersection(*sets)
    if not matched or len(matched) > MAX_PRODUCTS_PER_WORD:
        return []
    return sorted(matched)


def semantic_names(phrase: str, vocab: Vocabulary) -> NameMatch | None:
    """A phrase no name contains, matched to a category by meaning ("apparel" → merchandise)."""
    labels, vectors = vocab.name_vectors()
    if not labels:
        return None
    query = get_embedder().embed([phrase])[0]
    scores = vectors @ query
    order = np.argsort(-scores)
    best = int(order[0])
    runner_up = float(scores[int(order[1])]) if len(order) > 1 else 0.0
    if float(scores[best]) < SEMANTIC_NAME_THRESHOLD or float(scores[best]) - runner_up < SEMANTIC_MARGIN:
        return None
    dimension, value = labels[best]
    return NameMatch(dimension, (value,), (0, 0))


# ------------------------------------------------------------------------------------------- parse


@dataclass
class Parsed:
    """What a question asks: the query to run, how to show it, and the words behind each part."""

    query: SemanticQuery
    chart: ChartOut
    period: Period | None
    other_period: Period | None = None  # an explicit second period compared with `period`
    compare_asked: bool = False
    top: int | None = None
    ranked_dimension: str | None = None


@dataclass
class NotUnderstood:
    reason: str
    unknown: list[str] = field(default_factory=list)


def parse(question: str, vocab: Vocabulary, *, now: datetime, timezone: str) -> Parsed | NotUnderstood:
    text = " ".join(question.replace(RIGHT_QUOTE, "'").split()).rstrip("?!. ")
    taken: list[Span] = []
    same_last_year = _PREVIOUS_YEAR_CUE.search(text)
    if same_last_year:
        taken.append((same_last_year.start(), same_last_year.end()))
    # "… compared to the month before": the period before the one asked about, not last month.
    period_before = _PERIOD_BEFORE.search(text) if _COMPARE_CUE.search(text) else None
    if period_before and not slots.overlaps((period_before.start(), period_before.end()), taken):
        taken.append((period_before.start(), period_before.end()))
    else:
        period_before = None
    periods = find_periods(text, now=now, timezone=timezone, exclude=taken)
    taken.extend(p.span for p in periods)
    so_far = [
        (m.start(), m.end())
        for m in _SO_FAR.finditer(text)
        if not slots.overlaps((m.start(), m.end()), taken)
    ]
    taken.extend(so_far)
    international = _international(text, taken, vocab)
    if international is not None:
        taken.append(international[1])
    terms = _find_terms(text, vocab, taken)
    taken.extend(t.span for t in terms)
    ranks = [m for m in _RANK.finditer(text)]
    taken.extend((m.start(), m.end()) for m in ranks if not slots.overlaps((m.start(), m.end()), taken))
    names = match_names(text, vocab, taken)
    taken.extend(n.span for n in names)
    unknown = _unexplained(text, taken)
    if unknown:
        guessed = semantic_names(" ".join(unknown), vocab) if _worth_embedding(unknown) else None
        if guessed is None:
            return NotUnderstood(f"I don't know what {_quoted(unknown)} means here.", unknown)
        names.append(guessed)
    compared: Compare | None = (
        "previous_year" if same_last_year else "previous_period" if period_before else None
    )
    return _assemble(text, terms, names, periods, ranks, international, compared, vocab, now, timezone)


def _worth_embedding(unknown: list[str]) -> bool:
    return 0 < len(unknown) <= 3 and all(len(word) >= 3 for word in unknown)


def _quoted(words: list[str]) -> str:
    return "“" + " ".join(words) + "”"


def _international(text: str, taken: Sequence[Span], vocab: Vocabulary) -> tuple[str, Span] | None:
    """ "international orders", "outside the US": every country but the tenant's home country."""
    if vocab.home_country is None:
        return None
    for m in _INTERNATIONAL.finditer(text):
        span = (m.start(), m.end())
        if slots.overlaps(span, taken):
            continue
        home = m["home"]
        if home is not None:
            code = _country_code(home, vocab)
            if code is None:
                continue
            return code, span
        return vocab.home_country, span
    return None


def _country_code(word: str, vocab: Vocabulary) -> str | None:
    key = word.strip(".").lower()
    for value in _country_values(vocab):
        names = {value.lower(), *COUNTRY_NAMES.get(value.upper(), ())}
        if key in names or key.replace(".", "") in {n.replace(".", "") for n in names}:
            return value
    return None


def _unexplained(text: str, taken: Sequence[Span]) -> list[str]:
    leftover = [word for word, _ in _word_spans(text, taken)]
    unknown: list[str] = []
    for word in leftover:
        plain = word.lower().strip(".'" + RIGHT_QUOTE)
        if not plain or plain in FILLER or plain.isdigit() or _singular(plain) in FILLER:
            continue
        if plain.endswith("'s") and plain[:-2] in FILLER:
            continue
        unknown.append(word)
    return unknown


def _assemble(
    text: str,
    terms: list[Term],
    names: list[NameMatch],
    periods: list[Period],
    ranks: list[re.Match[str]],
    international: tuple[str, Span] | None,
    compared: Compare | None,
    vocab: Vocabulary,
    now: datetime,
    timezone: str,
) -> Parsed | NotUnderstood:
    dimensions: list[str] = []
    for term in terms:
        name = term.value
        breakdown = term.kind == "grain" or (term.kind == "dimension" and term.cued)
        if breakdown and name not in dimensions:
            dimensions.append(name)
    metrics = list(
        dict.fromkeys(t.value for t in terms if t.kind == "metric" and not _noun_only(t, terms, text))
    )
    filters, alternatives = _filters(terms, names, international)
    item_level = semantic.is_item_level([*dimensions, *(f.dimension for f in filters)])
    if not metrics:
        default = _default_metric(text, dimensions, item_level)
        if default is None:
            return NotUnderstood("I couldn't tell which number you want (revenue, orders, customers, …).")
        metrics = [default]
    filters = _filters_for(metrics, filters, alternatives, vocab)
    split = _split_by_values(text, filters, dimensions)
    if split is not None:
        dimensions.append(split)
    problem = _unsupported(metrics, dimensions, filters, vocab)
    if problem is not None:
        return NotUnderstood(problem)
    # "web vs wholesale" compares values, not periods, unless two periods are named.
    compare_asked = bool(_COMPARE_CUE.search(text)) and (split is None or len(periods) >= 2)
    compare_asked = compare_asked or compared is not None
    period, other = _main_periods(periods, compare_asked, now, timezone)
    if len(periods) > 2:
        return NotUnderstood("I can compare two periods at a time.")
    trend = bool(_TREND_CUE.search(text))
    if trend and not any(d.startswith("date.") for d in dimensions):
        dimensions.insert(0, _trend_grain(period, now, timezone))
    if len(dimensions) > 3:
        return NotUnderstood("I can break a number down by at most three things at once.")
    # Time goes along the x axis: "by channel and month" is months, one series per channel.
    dimensions.sort(key=lambda name: 0 if name.startswith("date.") else 1)
    rank = _ranking(text, ranks, terms, dimensions)
    if rank is not None and _GROWTH.search(text):
        return NotUnderstood("I can't rank things by how much they grew or fell yet.")
    query = SemanticQuery(
        metrics=metrics,
        dimensions=dimensions,
        filters=filters,
        time_range=period.time_range if period is not None else None,
    )
    parsed = Parsed(query=query, chart=ChartOut(type="kpi"), period=period, compare_asked=compare_asked)
    if rank is not None:
        direction, count, dimension = rank
        query.order_by = [OrderBy(field=metrics[0], direction=direction)]
        query.limit = count
        parsed.top, parsed.ranked_dimension = count, dimension
    if compare_asked and not any(semantic.METRICS.get(m, _NOT_SNAPSHOT).snapshot for m in metrics):
        _set_comparison(parsed, other, compared, timezone, now)
    parsed.chart = _chart(parsed, text)
    return parsed


_NOT_SNAPSHOT = semantic.Metric("", "", "", "number", "", "orders")
_SPLIT_CUE = re.compile(r"\b(?:vs\.?|versus|against|compared?|comparing|between)\b", re.IGNORECASE)


def _split_by_values(text: str, filters: list[Filter], dimensions: list[str]) -> str | None:
    """ "the revenue split between web and wholesale": two values of one dimension, compared or
    split, are a breakdown by that dimension (still filtered to them)."""
    if not (_PIE_CUE.search(text) or _SPLIT_CUE.search(text)):
        return None
    for filter_ in filters:
        if filter_.op in ("eq", "in") and len(filter_.values) > 1 and filter_.dimension not in dimensions:
            return filter_.dimension
    return None


_NOUN_BEFORE = re.compile(r"\b(?:for|on|of|from|in|per|by|with)\s+(?:the\s+|our\s+|all\s+)?$", re.IGNORECASE)


def _noun_only(term: Term, terms: list[Term], text: str) -> bool:
    """ "average order value for web orders": the second "orders" names what is measured, not a
    second metric, when another metric is asked for."""
    if term.value != "orders" or not any(t.kind == "metric" and t.value != "orders" for t in terms):
        return False
    before = text[: term.span[0]]
    after_value = any(t.kind == "value" and not text[t.span[1] : term.span[0]].strip() for t in terms)
    return after_value or bool(_NOUN_BEFORE.search(before))


Alternatives = dict[str, list[str]]  # "channel=wholesale" → ["pipeline=Wholesale"]: same words


def _filters(
    terms: list[Term], names: list[NameMatch], international: tuple[str, Span] | None
) -> tuple[list[Filter], Alternatives]:
    chosen: dict[str, list[str]] = {}
    alternatives: dict[str, list[str]] = {}
    by_span: dict[Span, list[Term]] = {}
    for term in terms:
        if term.kind == "value":
            by_span.setdefault(term.span, []).append(term)
    for same_words in by_span.values():
        dimension, value = same_words[0].value.split("=", 1)
        chosen.setdefault(dimension, [])
        if value not in chosen[dimension]:
            chosen[dimension].append(value)
        for other in same_words[1:]:
            other_dimension, other_value = other.value.split("=", 1)
            alternatives.setdefault(f"{dimension}={value}", []).append(f"{other_dimension}={other_value}")
    for name in names:
        values = chosen.setdefault(name.dimension, [])
        values.extend(v for v in name.values if v not in values)
    filters = [
        Filter(dimension=dimension, op="in" if len(values) > 1 else "eq", values=list(values))
        for dimension, values in chosen.items()
    ]
    if international is not None:
        filters.append(Filter(dimension="country", op="neq", values=[international[0]]))
    return filters, alternatives


def _metric_dimensions(metric: str, vocab: Vocabulary, item_level: bool) -> set[str]:
    builtin = semantic.METRICS.get(metric)
    if builtin is not None:
        formula = builtin.item_formula if item_level and builtin.item_formula else builtin.formula
    elif metric in vocab.custom:
        formula = vocab.custom[metric].formula
    else:
        return set()
    shared: set[str] | None = None
    for name in engine.formula_names(formula):
        measure = semantic.MEASURES.get(name)
        if measure is None:
            continue
        available = set(semantic.entity_dimensions(measure.entity))
        shared = available if shared is None else shared & available
    return shared or set()


def _filters_for(
    metrics: list[str], filters: list[Filter], alternatives: Alternatives, vocab: Vocabulary
) -> list[Filter]:
    """Each value where the metric has it: words that name two things ("Wholesale", a channel and a
    pipeline) mean the one the metric can be filtered by; values of one dimension are one filter."""
    item_level = semantic.is_item_level([f.dimension for f in filters])
    available = set.intersection(*(_metric_dimensions(m, vocab, item_level) for m in metrics))
    values: dict[str, list[Scalar]] = {}
    others: list[Filter] = []
    for filter_ in filters:
        if filter_.op not in ("eq", "in"):
            others.append(filter_)
            continue
        for value in filter_.values:
            dimension, chosen = filter_.dimension, value
            if dimension not in available:
                for alternative in alternatives.get(f"{dimension}={value}", []):
                    other_dimension, other_value = alternative.split("=", 1)
                    if other_dimension in available:
                        dimension, chosen = other_dimension, other_value
                        break
            listed = values.setdefault(dimension, [])
            if chosen not in listed:
                listed.append(chosen)
    merged = [
        Filter(dimension=dimension, op="in" if len(listed) > 1 else "eq", values=listed)
        for dimension, listed in values.items()
    ]
    return [*merged, *others]


def _default_metric(text: str, dimensions: list[str], item_level: bool) -> str | None:
    lowered = text.lower()
    if re.search(r"\bhow\s+much\b", lowered):  # an amount of money: "how much cold brew did we sell"
        return "revenue"
    if re.search(r"\b(?:sell|sold|selling|popular|sellers?|bestsellers?)\b", lowered):
        return "units_sold" if item_level or "how many" in lowered else "revenue"
    if re.search(r"\b(?:busiest|slowest|quietest)\b", lowered):
        return "orders"
    if re.search(
        r"\b(?:spend|spent|spends|bought|buy|buys|pay|paid|make|made|earn|earned|gross|grossed)\b", lowered
    ):
        return "revenue"
    if dimensions or re.search(r"\b(?:top|best|worst|bottom|most|least)\b", lowered):
        return _RANKING_DEFAULT
    return None


def _unsupported(
    metrics: list[str], dimensions: list[str], filters: list[Filter], vocab: Vocabulary
) -> str | None:
    item_level = semantic.is_item_level([*dimensions, *(f.dimension for f in filters)])
    for metric in metrics:
        if metric not in semantic.METRICS and metric not in vocab.custom:
            return f"I don't know the metric {metric!r}."
        available = _metric_dimensions(metric, vocab, item_level)
        label = _metric_label(metric, vocab)
        for dimension in dimensions:
            if dimension not in available:
                what = semantic.DIMENSIONS[dimension].label.lower()
                return f"{label} can't be broken down by {what} yet."
        for filter_ in filters:
            if filter_.dimension not in available:
                what = semantic.DIMENSIONS[filter_.dimension].label.lower()
                return f"{label} can't be filtered by {what} yet."
            sales = metric in semantic.METRICS and semantic.METRICS[metric].entity in (
                "orders",
                "order_items",
            )
            if filter_.dimension == "status" and sales and "cancelled" in filter_.values:
                return "Cancelled orders are left out of every sales metric, so I can't count them here."
    return None


def _main_periods(
    periods: list[Period], compare: bool, now: datetime, timezone: str
) -> tuple[Period | None, Period | None]:
    if not periods:
        return None, None
    if len(periods) == 1:
        return periods[0], None
    if not compare:  # "in March and April": both
        first, last = periods[0], periods[-1]
        joined = _span_range(first.time_range, last.time_range, now, timezone)
        return Period(joined, f"{first.words} and {last.words}", first.span), None
    # The later period is the one asked about; the earlier one the reference.
    ordered = sorted(
        periods[:2], key=lambda p: engine.resolve_range(p.time_range, timezone, now).out.start or date.min
    )
    return ordered[1], ordered[0]


def _span_range(first: TimeRange, last: TimeRange, now: datetime, timezone: str) -> TimeRange:
    a = engine.resolve_range(first, timezone, now).out
    b = engine.resolve_range(last, timezone, now).out
    starts = [d for d in (a.start, b.start) if d is not None]
    ends = [d for d in (a.end, b.end) if d is not None]
    if not starts or not ends:
        return first
    return TimeRange(start=min(starts), end=max(ends))


def _trend_grain(period: Period | None, now: datetime, timezone: str) -> str:
    if period is None:
        return "date.month"
    out = engine.resolve_range(period.time_range, timezone, now).out
    if out.start is None or out.end is None:
        return "date.month"
    days = (out.end - out.start).days + 1
    if days <= 31:
        return "date.day"
    if days <= 120:
        return "date.week"
    if days <= 3 * 366:
        return "date.month"
    return "date.quarter"


def _ranking(
    text: str, ranks: list[re.Match[str]], terms: list[Term], dimensions: list[str]
) -> tuple[Literal["asc", "desc"], int, str] | None:
    """ "top 5 products", "worst 3 categories", "which channel … the most": order and limit."""
    if not dimensions or not ranks:
        return None
    target = next((d for d in dimensions if not d.startswith("date.")), dimensions[0])
    target_term = next((t for t in terms if t.value == target and t.kind in ("dimension", "grain")), None)
    plural = target_term is not None and _plural(text[target_term.span[0] : target_term.span[1]])
    first = ranks[0]
    direction: Literal["asc", "desc"] = "asc" if first["asc"] else "desc"
    if first["n"]:
        return direction, slots.number_value(first["n"]), target
    # "top products" is a few of them; "the best product", "which channel … the most" one.
    return direction, DEFAULT_TOP if plural else 1, target


def _plural(words: str) -> bool:
    last = words.lower().split()[-1] if words.split() else ""
    return last.endswith("s") and not last.endswith("ss") and last not in ("sales", "status")


# A year so far compares with the same dates a year before, not with the 300-odd days before it.
_SEASONAL_TO_DATE = frozenset({"this_quarter", "this_year", "year_to_date"})


def comparison_kind(time_range: TimeRange, asked: Compare | None = None) -> Compare:
    if asked is not None:
        return asked
    return "previous_year" if time_range.preset in _SEASONAL_TO_DATE else "previous_period"


def _set_comparison(
    parsed: Parsed, other: Period | None, asked: Compare | None, timezone: str, now: datetime
) -> None:
    if parsed.period is None:
        return
    main = engine.resolve_range(parsed.period.time_range, timezone, now)
    if other is None:
        parsed.query.compare = comparison_kind(parsed.period.time_range, asked)
        return
    wanted = engine.resolve_range(other.time_range, timezone, now).out
    kind: Compare
    for kind in ("previous_period", "previous_year"):
        shifted = engine.shifted(main, kind, timezone)
        if shifted is not None and shifted.out == wanted:
            parsed.query.compare = kind
            parsed.other_period = other
            return
    parsed.other_period = other  # not a shift of the main period: two queries


def _chart(parsed: Parsed, text: str) -> ChartOut:
    query = parsed.query
    dimensions = query.dimensions
    if not dimensions:
        if parsed.other_period is not None or query.compare is not None:
            return ChartOut(type="bar", x="period", y=list(query.metrics))
        return ChartOut(type="kpi", y=list(query.metrics))
    first = dimensions[0]
    series = dimensions[1] if len(dimensions) > 1 else None
    if first.startswith("date.") or (first in ("hour",) and not parsed.top):
        return ChartOut(type="line", x=first, y=list(query.metrics), series=series)
    if first == "country" and not parsed.top:
        return ChartOut(type="map", x=first, y=list(query.metrics))
    if parsed.top and len(query.metrics) > 1:
        return ChartOut(type="table", x=first, y=list(query.metrics))
    if _PIE_CUE.search(text) and len(query.metrics) == 1 and series is None:
        return ChartOut(type="pie", x=first, y=list(query.metrics))
    return ChartOut(type="stacked_bar" if series else "bar", x=first, y=list(query.metrics), series=series)


# ------------------------------------------------------------------------------------------ answers

EN_DASH = "\u2013"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$"}
_SHORT_DEFINITIONS = {
    "revenue": "order totals, not cancelled",
    "net_revenue": "revenue minus refunds",
    "orders": "not cancelled",
    "average_order_value": "revenue divided by orders",
    "units_sold": "quantities on order lines, not cancelled",
    "product_sales": "line totals, not cancelled",
    "customers": "distinct customers who ordered",
    "new_customers": "customers first seen in the period",
    "refunds": "money returned, by refund date",
    "refund_rate": "refunds divided by revenue",
    "gross_profit": "product sales minus cost, costed lines",
    "gross_margin": "gross profit divided by product sales, costed lines",
    "outstanding_balance": "open and overdue invoices, as of now",
    "overdue_balance": "invoices past due, as of now",
    "overdue_invoices": "past due with money owed, as of now",
    "pipeline_value": "open deals, as of now",
    "open_deals": "neither won nor lost, as of now",
    "win_rate": "won out of won and lost, by close date",
    "mrr": "subscription revenue per month",
    "returning_customer_rate": "share of ordering customers who had ordered before",
}


def format_value(value: float | None, fmt: str, currency: str | None) -> str:
    if value is None:
        return "n/a"
    if fmt == "money":
        code = (currency or "USD").upper()
        amount = f"{abs(value):,.2f}"
        sign = "-" if value < 0 else ""
        symbol = _SYMBOLS.get(code)
        return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {code}"
    if fmt == "percent":
        return f"{value * 100:.1f} %"
    if fmt == "integer":
        return f"{round(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


def dates_label(out: RangeOut) -> str:
    """ "Oct 1-31, 2026", "Jul 1 - Sep 30, 2026", "Nov 19, 2026", with en dashes."""
    start, end = out.start, out.end
    if start is None or end is None:
        return "all time"
    if start == end:
        return f"{_MONTHS[start.month - 1]} {start.day}, {start.year}"
    if start.year == end.year and start.month == end.month:
        return f"{_MONTHS[start.month - 1]} {start.day}{EN_DASH}{end.day}, {start.year}"
    if start.year == end.year:
        last = f"{_MONTHS[end.month - 1]} {end.day}, {end.year}"
        return f"{_MONTHS[start.month - 1]} {start.day} {EN_DASH} {last}"
    first = f"{_MONTHS[start.month - 1]} {start.day}, {start.year}"
    return f"{first} {EN_DASH} {_MONTHS[end.month - 1]} {end.day}, {end.year}"


def _long_date(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _period_name(out: RangeOut, today: date | None = None) -> str:
    """A name for a range: "September", "Q2 2026", "2025", else its dates."""
    start, end = out.start, out.end
    if start is None or end is None:
        return "all time"
    whole_months = start.day == 1 and (end + timedelta(days=1)).day == 1
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if whole_months and months == 1:
        same_year = today is not None and today.year == start.year
        return _MONTH_NAMES[start.month - 1] + ("" if same_year else f" {start.year}")
    if whole_months and months == 3 and start.month in (1, 4, 7, 10):
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if whole_months and months == 12 and start.month == 1:
        return str(start.year)
    if whole_months:
        return f"{_MONTHS[start.month - 1]} {start.year} {EN_DASH} {_MONTHS[end.month - 1]} {end.year}"
    return dates_label(out)


def _metric_label(metric: str, vocab: Vocabulary | None) -> str:
    builtin = semantic.METRICS.get(metric)
    if builtin is not None:
        return builtin.label
    if vocab is not None and metric in vocab.custom_metrics:
        return vocab.custom_metrics[metric][0]
    return metric.replace("_", " ").capitalize()


def _metric_format(metric: str, result: QueryResult) -> str:
    column = next((c for c in result.columns if c.name == metric), None)
    return column.type if column is not None else "number"


def _verb(label: str, *, now: bool = False) -> str:
    words = label.lower().split()

    def plural(word: str) -> bool:
        return word.endswith("s") and not word.endswith("ss") and word not in ("sales", "gross", "status")

    many = bool(words) and (plural(words[0]) or plural(words[-1]))
    if now:
        return "are" if many else "is"
    return "were" if many else "was"


_COUNTRIES_WITH_THE = frozenset({"US", "GB", "NL", "AE", "CZ"})


def country_name(value: str) -> str:
    names = COUNTRY_NAMES.get(value.upper()) if len(value) == 2 else None
    if not names:
        return value
    name = " ".join(word.capitalize() for word in names[0].split())
    return f"the {name}" if value.upper() in _COUNTRIES_WITH_THE else name


def _listed(values: Sequence[Any], dimension: str) -> str:
    shown = [country_name(str(v)) if dimension == "country" else str(v) for v in values[:4]]
    text = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    return text + (f" (and {len(values) - 4} more)" if len(values) > 4 else "")


# How a filter on each dimension reads in an interpretation ("for products in beans").
_FILTER_PHRASES = {
    "product": "for {values}",
    "category": "for products in {values}",
    "customer": "from {values}",
    "channel": "from the {values} channel{plural}",
    "status": "with status {values}",
    "deal_stage": "for deals at stage {values}",
    "pipeline": "in the {values} pipeline",
    "payment_method": "paid by {values}",
    "deal_owner": "owned by {values}",
}


def _filter_words(filters: Sequence[Filter]) -> str:
    parts: list[str] = []
    for filter_ in filters:
        values = _listed(filter_.values, filter_.dimension)
        negated = filter_.op in ("neq", "not_in")
        dimension = filter_.dimension
        label = semantic.DIMENSIONS[dimension].label.lower()
        if dimension in ("country", "city"):
            parts.append(f"from customers {'outside' if negated else 'in'} {values}")
        elif negated:
            parts.append(f"where the {label} is not {values}")
        else:
            phrase = _FILTER_PHRASES.get(dimension, "where the {label} is {values}")
            plural = "s" if len(filter_.values) > 1 else ""
            parts.append(phrase.format(values=values, label=label, plural=plural))
    return " ".join(parts)


# By product or category an order-level total cannot be split (semantic.py): what is computed instead.
_ITEM_DEFINITIONS = {
    "revenue": "product sales: line totals, not cancelled",
    "orders": "orders containing them, not cancelled",
    "average_order_value": "product sales divided by the orders containing them",
}


def interpretation(
    parsed: Parsed, result: QueryResult, vocab: Vocabulary | None, other: QueryResult | None = None
) -> str:
    """What was computed, in words: metric (definition), breakdown, filters, period."""
    query = parsed.query
    item_level = semantic.is_item_level([*query.dimensions, *(f.dimension for f in query.filters)])
    metric_parts = []
    for metric in query.metrics:
        definition = _SHORT_DEFINITIONS.get(metric)
        if item_level and metric in _ITEM_DEFINITIONS:
            definition = _ITEM_DEFINITIONS[metric]
        if vocab is not None and metric in vocab.custom:
            definition = vocab.custom[metric].formula
        label = _metric_label(metric, vocab)
        metric_parts.append(f"{label} ({definition})" if definition else label)
    parts = [" and ".join(metric_parts)]
    if parsed.top and parsed.ranked_dimension:
        direction = "top" if query.order_by and query.order_by[0].direction == "desc" else "bottom"
        noun = _dimension_noun(parsed.ranked_dimension, parsed.top)
        parts.append(f"{direction} {parsed.top} {noun}" if parsed.top > 1 else f"the {direction} {noun}")
    elif query.dimensions:
        parts.append("by " + " and ".join(_dimension_noun(d, 1) for d in query.dimensions))
    filters = _filter_words(query.filters)
    if filters:
        parts.append(filters)
    snapshot = all(semantic.METRICS.get(m, _NOT_SNAPSHOT).snapshot for m in query.metrics)
    if snapshot:
        parts.append("as of now")
    else:
        parts.append(_range_words(result.range))
        if other is not None:
            parts.append(f"compared with {_range_words(other.range, compared=True)}")
        elif result.comparison is not None and parsed.compare_asked:
            parts.append(f"compared with {_range_words(result.comparison.range, compared=True)}")
    sentence = ", ".join(parts)
    # The engine's own remarks ("By product or category, revenue is product sales") follow.
    return " ".join([sentence[0].upper() + sentence[1:] + ".", *result.notes])


def _range_words(out: RangeOut, *, compared: bool = False) -> str:
    if out.start is None or out.end is None:
        return "all time" if compared else "over all time"
    if out.start == out.end:
        return _long_date(out.start) if compared else f"on {_long_date(out.start)}"
    return f"{'' if compared else 'from '}{_long_date(out.start)} to {_long_date(out.end)}"


def _dimension_noun(dimension: str, count: int) -> str:
    nouns = {
        "date.day": "day",
        "date.week": "week",
        "date.month": "month",
        "date.quarter": "quarter",
        "date.year": "year",
        "weekday": "day of the week",
        "hour": "hour of the day",
        "category": "category",
        "country": "country",
        "city": "city",
    }
    noun = nouns.get(dimension) or semantic.DIMENSIONS[dimension].label.lower()
    if count > 1:
        if noun.endswith("y") and not noun.endswith("ay"):
            return noun[:-1] + "ies"
        return noun if noun.endswith("s") else noun + "s"
    return noun


def answer_sentence(
    parsed: Parsed,
    result: QueryResult,
    vocab: Vocabulary | None,
    *,
    now: datetime,
    timezone: str,
    other: QueryResult | None = None,
) -> str:
    """One sentence with the key number."""
    query = parsed.query
    metric = query.metrics[0]
    label = _metric_label(metric, vocab)
    fmt = _metric_format(metric, result)
    currency = result.currency
    today = now.astimezone(ZoneInfo(timezone)).date()
    snapshot = semantic.METRICS.get(metric, _NOT_SNAPSHOT).snapshot
    when = "as of now" if snapshot else _when(parsed.period, result.range)
    filters = _filter_words(query.filters)
    subject = " ".join(part for part in (label, filters) if part)
    total = result.totals.get(metric)
    if not query.dimensions:
        value = format_value(total, fmt, currency)
        sentence = f"{subject} {when} {_verb(label, now=snapshot)} {value}"
        previous_value, previous_range = _previous(result, other, metric)
        if previous_range is not None:
            sentence += _change(
                total,
                previous_value,
                fmt,
                currency,
                previous_range,
                today,
                other is not None or parsed.compare_asked,
            )
        return sentence + "."
    if not result.rows:
        return f"There is no {label.lower()} {when}{' ' + filters if filters else ''}."
    sentence = _breakdown_sentence(parsed, result, label, fmt, when, subject)
    previous_value, previous_range = _previous(result, other, metric)
    if previous_range is not None and (other is not None or parsed.compare_asked) and not parsed.top:
        overall = _change(total, previous_value, fmt, currency, previous_range, today, True)
        if overall and " totalled " in sentence:
            sentence = sentence[:-1] + f";{overall.removeprefix(',')}."
        elif overall:
            sentence = sentence[:-1] + f"; in total {format_value(total, fmt, currency)}{overall}."
    return sentence


def _breakdown_sentence(
    parsed: Parsed, result: QueryResult, label: str, fmt: str, when: str, subject: str
) -> str:
    query = parsed.query
    metric = query.metrics[0]
    currency = result.currency
    total = result.totals.get(metric)
    dimension = query.dimensions[0]
    index = len(query.dimensions) + query.metrics.index(metric)
    rows = [row for row in result.rows if row[index] is not None]
    if not rows:
        return f"There is no {label.lower()} {when}."
    if parsed.top:
        return _ranking_sentence(parsed, when, rows, index, fmt, currency, label)
    categorical = [d for d in query.dimensions if not d.startswith("date.")]
    if not categorical:
        return _time_series_sentence(subject, when, rows, index, dimension, fmt, currency, total, label)
    # Several dimensions: the leader of the first non-time one, its cells added up where that adds.
    dimension = categorical[0]
    position = query.dimensions.index(dimension)
    additive = fmt in ("money", "integer", "number")
    if len(query.dimensions) > 1 and not additive:
        nouns = " and ".join(_dimension_noun(d, 1) for d in query.dimensions)
        return f"{subject} {when}: see the table by {nouns}."
    sums: dict[Any, float] = {}
    for row in rows:
        sums[row[position]] = sums.get(row[position], 0.0) + float(row[index])
    best_key, best_value = max(sums.items(), key=lambda item: item[1])
    share = ""
    if fmt in ("money", "integer") and total:
        share = f" ({best_value / total * 100:.1f} % of {format_value(total, fmt, currency)})"
    noun = _dimension_noun(dimension, 1)
    lead = subject[0].lower() + subject[1:] if subject else subject
    return (
        f"By {noun}, {lead} {when}: {_name(best_key, dimension)} led with "
        f"{format_value(best_value, fmt, currency)}{share}."
    )


def _name(value: Any, dimension: str) -> str:
    if value is None:
        return "(none)"
    if dimension.startswith("date."):
        day = date.fromisoformat(str(value)[:10])
        grain = dimension.split(".", 1)[1]
        if grain == "month":
            return f"{_MONTH_NAMES[day.month - 1]} {day.year}"
        if grain == "quarter":
            return f"Q{(day.month - 1) // 3 + 1} {day.year}"
        if grain == "year":
            return str(day.year)
        if grain == "week":
            return f"the week of {_MONTHS[day.month - 1]} {day.day}, {day.year}"
        return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"
    if dimension == "hour":
        return f"{int(value):02d}:00"
    if dimension == "country":
        return country_name(str(value))
    return str(value)


def _time_series_sentence(
    subject: str,
    when: str,
    rows: list[list[Any]],
    index: int,
    dimension: str,
    fmt: str,
    currency: str | None,
    total: float | None,
    label: str,
) -> str:
    best = max(rows, key=lambda row: row[index])
    grain = dimension.split(".", 1)[1]
    head = f"{subject} {when}"
    if fmt in ("money", "integer", "number") and total is not None:
        head += f" totalled {format_value(total, fmt, currency)}"
    elif total is not None:
        head += f" {_verb(label)} {format_value(total, fmt, currency)} overall"
    peak = format_value(best[index], fmt, currency)
    return f"{head}; the highest {grain} was {_name(best[0], dimension)} with {peak}."


def _ranking_sentence(
    parsed: Parsed, when: str, rows: list[list[Any]], index: int, fmt: str, currency: str | None, label: str
) -> str:
    dimension = parsed.ranked_dimension or parsed.query.dimensions[0]
    position = parsed.query.dimensions.index(dimension) if dimension in parsed.query.dimensions else 0
    ascending = bool(parsed.query.order_by and parsed.query.order_by[0].direction == "asc")
    first = rows[0]
    noun = _dimension_noun(dimension, 1)
    if fmt == "integer":
        adjective = "fewest" if ascending else "most"
    else:
        adjective = "lowest" if ascending else "highest"
    filters = _filter_words(parsed.query.filters)
    what = f"{label[0].lower() + label[1:]}{' ' + filters if filters else ''}"
    lead = (
        f"The {noun} with the {adjective} {what} {when} was {_name(first[position], dimension)} "
        f"({format_value(first[index], fmt, currency)})"
    )
    if len(rows) > 1:
        others = ", ".join(
            f"{_name(row[position], dimension)} ({format_value(row[index], fmt, currency)})"
            for row in rows[1:5]
        )
        lead += f", then {others}"
    return lead + "."


def _when(period: Period | None, out: RangeOut) -> str:
    if out.start is None or out.end is None:
        return "over all time"
    words = period.words if period is not None else ""
    words = re.sub(r"^(?:for|over|during|the)\s+", "", words, flags=re.IGNORECASE)
    label = dates_label(out)
    if not words:
        return f"from {label}"
    if re.match(r"^(?:in|on|since|from|between|before|until|after)\b", words, re.IGNORECASE):
        return f"{words} ({label})"
    if re.match(r"^\d{4}$|^fy", words, re.IGNORECASE):
        return f"in {words} ({label})"
    if re.match(r"^(?:q[1-4]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", words, re.IGNORECASE):
        return f"in {words} ({label})"
    return f"{words} ({label})"


def _previous(
    result: QueryResult, other: QueryResult | None, metric: str
) -> tuple[float | None, RangeOut | None]:
    if other is not None:
        return other.totals.get(metric), other.range
    if result.comparison is not None:
        return result.comparison.totals.get(metric), result.comparison.range
    return None, None


def _change(
    value: float | None,
    previous: float | None,
    fmt: str,
    currency: str | None,
    previous_range: RangeOut,
    today: date,
    show_previous_value: bool,
) -> str:
    name = _period_name(previous_range, today)
    reference = f"{format_value(previous, fmt, currency)} in {name}" if show_previous_value else name
    if value is None or previous is None:
        return ""
    if fmt == "percent":
        points = (value - previous) * 100
        if abs(points) < 0.05:
            return f", the same as {reference}"
        return f", {'up' if points > 0 else 'down'} {abs(points):.1f} points from {reference}"
    if previous == 0:
        return f", against {reference}" if show_previous_value else ""
    change = (value - previous) / abs(previous) * 100
    if abs(change) < 0.05:
        return f", unchanged from {reference}"
    return f", {'up' if change > 0 else 'down'} {abs(change):.1f} % from {reference}"


# -------------------------------------------------------------------------------------- suggestions

EXAMPLE_QUESTIONS = (
    "What was revenue last month?",
    "How many orders did we get in 2025?",
    "Average order value this year",
    "Revenue by category last quarter",
    "Sales per month this year",
    "Top 5 products by revenue this year",
    "Worst 3 categories by units sold",
    "Revenue trend this year",
    "Compare revenue this month vs last month",
    "How did orders in Q3 compare to Q2?",
    "Revenue from wholesale in March",
    "Orders from Canada last year",
    "Top 10 customers by revenue",
    "Refunds in the last 90 days",
    "Gross margin by category",
    "How much do customers owe us?",
    "How many overdue invoices do we have?",
    "Win rate this year",
    "Pipeline value by deal stage",
    "New customers per month",
    "Which channel brings the most revenue?",
    "What is our busiest day of the week?",
    "Refund rate this year",
    "Payments received last month",
    "Units sold by category this year",
    "Revenue by country this year",
    "What's our best-selling product?",
    "Net revenue last quarter",
    "How many customers ordered this month?",
    "Inventory value",
)
_EXAMPLE_VECTORS: Vector | None = None
_EXAMPLES_LOCK = threading.Lock()


def suggestions(question: str, count: int = SUGGESTIONS) -> list[str]:
    """The example questions closest in meaning to what was asked."""
    global _EXAMPLE_VECTORS
    embedder = get_embedder()
    with _EXAMPLES_LOCK:
        if _EXAMPLE_VECTORS is None:
            _EXAMPLE_VECTORS = embedder.embed(list(EXAMPLE_QUESTIONS))
        vectors = _EXAMPLE_VECTORS
    scores = vectors @ embedder.embed([question])[0]
    return [EXAMPLE_QUESTIONS[int(i)] for i in np.argsort(-scores)[:count]]


# -------------------------------------------------------------------------------------------- asking


def _answer_columns(result: QueryResult) -> list[AnswerColumn]:
    return [AnswerColumn(name=c.name, type=c.type) for c in result.columns]


def _two_period_rows(
    parsed: Parsed, result: QueryResult, previous_period: PreviousPeriod, today: date
) -> tuple[list[AnswerColumn], list[list[Any]]]:
    previous, previous_totals = previous_period.range, previous_period.totals
    columns = [AnswerColumn(name="period", type="string"), *_answer_columns(result)]
    current_label = _period_name(result.range, today)
    previous_label = _period_name(previous, today)
    if current_label == previous_label:
        current_label, previous_label = dates_label(result.range), dates_label(previous)
    rows = [
        [current_label, *(result.totals.get(m) for m in parsed.query.metrics)],
        [previous_label, *(previous_totals.get(m) for m in parsed.query.metrics)],
    ]
    return columns, rows


async def answer(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    question: str,
    *,
    now: datetime,
    timezone: str,
    cache: JsonCache | None = None,
) -> QuestionOut | NotUnderstood:
    """The local engine's answer, or why it could not answer. With `cache`, results are kept by
    the tenant's data version (the question asked again, or by a colleague, costs no query)."""
    vocab = await vocabulary(session, tenant_id)
    parsed = parse(question, vocab, now=now, timezone=timezone)
    if isinstance(parsed, NotUnderstood):
        return parsed
    query = parsed.query
    if _wants_context(parsed, vocab, now=now, timezone=timezone):
        # A single number reads better next to the period before ("up 6.1 % from September").
        assert query.time_range is not None
        query = query.model_copy(update={"compare": comparison_kind(query.time_range)})
    try:
        result = await service.run_query(
            session, tenant_id, query, now=now, timezone=timezone, cache=cache, custom=vocab.custom
        )
        other: QueryResult | None = None
        if parsed.other_period is not None and query.compare is None:
            second = query.model_copy(update={"time_range": parsed.other_period.time_range})
            other = await service.run_query(
                session, tenant_id, second, now=now, timezone=timezone, cache=cache, custom=vocab.custom
            )
    except QueryInvalid as error:
        return NotUnderstood(error.detail)
    today = now.astimezone(ZoneInfo(timezone)).date()
    columns, rows = _answer_columns(result), result.rows
    previous = _previous_period(result, other) if parsed.compare_asked or other is not None else None
    if previous is not None and not parsed.query.dimensions:
        columns, rows = _two_period_rows(parsed, result, previous, today)
    elif previous is not None and len(parsed.query.metrics) == 1:
        columns, rows = _with_previous_column(parsed, result, previous)
    return QuestionOut(
        understood=True,
        interpretation=interpretation(parsed, result, vocab, other),
        sql=";\n".join([*result.sql, *(other.sql if other is not None else [])]) or None,
        columns=columns,
        rows=rows,
        chart=_fit_chart(parsed.chart, columns, rows),
        answer=answer_sentence(parsed, result, vocab, now=now, timezone=timezone, other=other),
        semantic_query=parsed.query,
        engine="local",
        currency=result.currency,
    )


@dataclass(frozen=True)
class PreviousPeriod:
    range: RangeOut
    totals: dict[str, float | None]
    rows: list[list[Any]]


def _previous_period(result: QueryResult, other: QueryResult | None) -> PreviousPeriod | None:
    if other is not None:
        return PreviousPeriod(other.range, other.totals, other.rows)
    if result.comparison is not None:
        return PreviousPeriod(result.comparison.range, result.comparison.totals, result.comparison.rows)
    return None


PREVIOUS_SUFFIX = "_previous"


def _with_previous_column(
    parsed: Parsed, result: QueryResult, previous: PreviousPeriod
) -> tuple[list[AnswerColumn], list[list[Any]]]:
    """A breakdown next to the compared period's: matched by name ("web"), or for time buckets by
    position (this year's March next to last year's)."""
    dimensions = parsed.query.dimensions
    count = len(dimensions)
    metric_column = result.columns[count]
    columns = [
        *_answer_columns(result),
        AnswerColumn(name=metric_column.name + PREVIOUS_SUFFIX, type=metric_column.type),
    ]
    if any(d.startswith("date.") for d in dimensions):
        if count > 1:
            return _answer_columns(result), result.rows
        earlier = [row[count] for row in previous.rows]
        padded = earlier + [None] * (len(result.rows) - len(earlier))
        return columns, [[*row, padded[index]] for index, row in enumerate(result.rows)]
    by_key = {tuple(row[:count]): row[count] for row in previous.rows}
    return columns, [[*row, by_key.get(tuple(row[:count]))] for row in result.rows]


def _fit_chart(chart: ChartOut, columns: list[AnswerColumn], rows: list[list[Any]]) -> ChartOut:
    """The chart for the rows the answer has: a pie of many slices is a bar, a previous period a
    second series."""
    kind = "bar" if chart.type == "pie" and len(rows) > PIE_MAX_SLICES else chart.type
    extra = [c.name for c in columns if c.name.endswith(PREVIOUS_SUFFIX) and c.name not in chart.y]
    y = [*chart.y, *extra] if kind in ("bar", "line", "table") else chart.y
    return chart.model_copy(update={"type": kind, "y": y})


def _wants_context(parsed: Parsed, vocab: Vocabulary, *, now: datetime, timezone: str) -> bool:
    """Whether a single number gets its previous period too: not when that period is before the
    tenant's first order (a jump from nothing is no news)."""
    query = parsed.query
    if query.dimensions or query.compare is not None or parsed.other_period is not None:
        return False
    if parsed.period is None or query.time_range is None:
        return False
    if any(semantic.METRICS.get(m, _NOT_SNAPSHOT).snapshot for m in query.metrics):
        return False
    if query.time_range.preset == "all_time" or vocab.first_order_at is None:
        return False
    period = engine.resolve_range(query.time_range, timezone, now)
    previous = engine.shifted(period, comparison_kind(query.time_range), timezone)
    return previous is not None and previous.start is not None and previous.start >= vocab.first_order_at


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            f"{name!r} is not a time zone (IANA name, e.g. Europe/Paris).", field="timezone"
        ) from None
    return name


async def ask(
    state: AppState,
    session: AsyncSession,
    principal: Principal,
    body: QuestionIn,
    *,
    now: datetime | None = None,
    use_cache: bool = True,
) -> QuestionOut:
    """POST /query: the local engine first; what it can't answer goes to the tenant's model, if any."""
    now = now or datetime.now(UTC)
    tenant_id = principal.tenant_id
    timezone = (
        check_timezone(body.timezone) if body.timezone else await service.tenant_timezone(session, tenant_id)
    )
    cache = state.cache if use_cache else None
    local = await answer(session, tenant_id, body.query, now=now, timezone=timezone, cache=cache)
    if isinstance(local, QuestionOut):
        return local
    reason = local.reason
    try:
        reply = await llm.ask_model(
            state,
            session,
            principal,
            body.query,
            catalog=await service.catalog(session, tenant_id),
            timezone=timezone,
            now=now,
        )
        if reply is not None:
            from_model = await _model_answer(
                session, tenant_id, body.query, reply, now=now, timezone=timezone
            )
            if from_model is not None:
                return from_model
            reason = reply.cannot_answer or reason
    except ProblemError as error:
        # The model is a fallback: its failure leaves the honest local answer, with what went wrong.
        log.info("nlq_model_failed", code=error.code, detail=error.detail)
        reason = f"{reason} The language model could not answer either: {error.detail}"
    return QuestionOut(
        understood=False,
        interpretation=reason,
        sql=None,
        columns=[],
        rows=[],
        chart=None,
        answer=CANT_ANSWER,
        engine="local",
        suggestions=suggestions(body.query),
    )


async def _model_answer(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    question: str,
    reply: llm.ModelAnswer,
    *,
    now: datetime,
    timezone: str,
) -> QuestionOut | None:
    """The model's semantic query run by the engine, or its guarded SQL run read-only."""
    if reply.semantic_query is not None:
        query = reply.semantic_query
        result = await service.run_query(session, tenant_id, query, now=now, timezone=timezone)
        parsed = Parsed(query=query, chart=ChartOut(type="kpi"), period=None)
        parsed.chart = _chart(parsed, question)
        return QuestionOut(
            understood=True,
            interpretation=reply.interpretation or interpretation(parsed, result, None),
            sql=";\n".join(result.sql) or None,
            columns=_answer_columns(result),
            rows=result.rows,
            chart=parsed.chart,
            answer=answer_sentence(parsed, result, None, now=now, timezone=timezone),
            semantic_query=query,
            engine=reply.provider,
            currency=result.currency,
        )
    if reply.guarded is None:
        return None
    names, rows = await sqlguard.execute_guarded(session, reply.guarded)
    return _sql_answer(question, reply, names, rows)


def _sql_answer(
    question: str, reply: llm.ModelAnswer, names: list[str], rows: list[list[Any]]
) -> QuestionOut:
    """Rows of the model's SQL: the types read from the values, a sentence only for a single value."""
    assert reply.guarded is not None
    columns = [AnswerColumn(name=name, type=_column_type(rows, index)) for index, name in enumerate(names)]
    if len(rows) == 1 and len(names) == 1:
        sentence = f"The answer is {rows[0][0]}."
        chart = ChartOut(type="kpi", y=list(names))
    else:
        sentence = f"{len(rows)} row{'' if len(rows) == 1 else 's'} answer the question; see the table."
        chart = ChartOut(type="table", x=names[0] if names else None, y=list(names[1:]))
    return QuestionOut(
        understood=True,
        interpretation=reply.interpretation or f"A read-only query the model wrote for: {question}",
        sql=reply.guarded.sql,
        columns=columns,
        rows=rows,
        chart=chart,
        answer=sentence,
        engine=reply.provider,
    )


def _column_type(rows: list[list[Any]], index: int) -> ColumnType:
    values = [row[index] for row in rows if row[index] is not None]
    if values and all(isinstance(v, bool | int) for v in values):
        return "integer"
    if values and all(isinstance(v, int | float) for v in values):
        return "number"
    return "string"
