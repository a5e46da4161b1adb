"""Pricing analytics over plain data: where my price sits among competitors (position, rank, market
price index, opportunities and recommendations), how prices moved over time (daily series, moving
averages, volatility, change frequency, seasonality) and whether a new observation is a change worth
an event or an alert.

Pure functions, no database: the service loads observations and listings and hands them over. Money
is `Decimal` throughout; amounts are rounded to cents only where they are shown or returned, never
on the way. Prices in different currencies are never compared with each other (no exchange rates).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

Position = Literal["cheapest", "median", "most_expensive", "only_one", "no_data"]
OpportunityKind = Literal["above_market", "far_below_market", "undercut", "competitor_out_of_stock"]
ChangeKind = Literal["price.changed", "price.dropped", "availability.changed"]
Cheaper = Literal["me", "competitor", "same"]

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
HUNDRED = Decimal(100)
WEEKDAY_MIN_DAYS = 56  # 8 weeks: each weekday seen at least 8 times
MONTH_MIN_MONTHS = 13  # a full year plus one month, so one month of the year is seen twice
# Fixed English names: the `calendar` module's follow the process locale.
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
# Availability values (schema.org names or our snake_case ones, normalised) a buyer cannot order now.
UNAVAILABLE = frozenset({"outofstock", "soldout", "discontinued", "unavailable"})


# -- inputs -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Observation:
    """One check of one listing. `price` is None when extraction failed; `checked_at` is UTC."""

    listing_id: str
    competitor: str | None
    price: Decimal | None
    currency: str | None
    availability: str | None
    checked_at: datetime


@dataclass(frozen=True, slots=True)
class ListingPrice:
    """A competitor listing's latest known price, as pricing position compares it."""

    listing_id: str
    competitor: str | None
    price: Decimal
    currency: str
    checked_at: datetime
    in_stock: bool = True

    @property
    def label(self) -> str:
        return self.competitor or self.listing_id


def is_in_stock(availability: str | None) -> bool:
    """Whether a buyer can order now. Unknown availability counts as in stock: most pages that show
    a price without saying anything about stock do sell the product."""
    if availability is None:
        return True
    normalised = availability.rsplit("/", 1)[-1].replace("_", "").replace("-", "").replace(" ", "").lower()
    return normalised not in UNAVAILABLE


# -- pricing position ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompetitorComparison:
    listing_id: str
    competitor: str | None
    price: Decimal
    currency: str
    in_stock: bool
    comparable: bool  # same currency as mine; other currencies are listed, never compared
    difference_pct: Decimal | None  # (mine - theirs) / theirs * 100, one decimal; positive: I am dearer
    difference: Decimal | None  # mine - theirs, in cents
    cheaper: Cheaper | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "listing_id": self.listing_id,
            "competitor": self.competitor,
            "price": self.price,
            "currency": self.currency,
            "in_stock": self.in_stock,
            "comparable": self.comparable,
            "difference_pct": self.difference_pct,
            "difference": self.difference,
            "cheaper": self.cheaper,
        }


@dataclass(frozen=True, slots=True)
class Opportunity:
    kind: OpportunityKind
    detail: str
    amount: Decimal | None  # the gap in money (cents), or the competitor's price when out of stock
    currency: str | None = None
    competitor: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "detail": self.detail,
            "amount": self.amount,
            "currency": self.currency,
            "competitor": self.competitor,
        }


@dataclass(frozen=True, slots=True)
class PricingPosition:
    position: Position
    rank: int | None  # 1 = cheapest, ties share a rank; among mine and the in-stock comparable prices
    ranked: int  # how many prices the rank is out of (mine included); 0 without my price
    my_price: Decimal | None
    currency: str
    market_median: Decimal | None  # of in-stock competitors in my currency
    market_price_index: Decimal | None  # mine / median * 100, one decimal: 100 = at the median
    market_min: Decimal | None
    market_max: Decimal | None
    comparisons: list[CompetitorComparison] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "rank": self.rank,
            "ranked": self.ranked,
            "my_price": self.my_price,
            "currency": self.currency,
            "market_median": self.market_median,
            "market_price_index": self.market_price_index,
            "market_min": self.market_min,
            "market_max": self.market_max,
            "comparisons": [comparison.as_dict() for comparison in self.comparisons],
            "opportunities": [opportunity.as_dict() for opportunity in self.opportunities],
            "recommendations": list(self.recommendations),
            "notes": list(self.notes),
        }


def pricing_position(
    my_price: Decimal | None,
    my_currency: str,
    competitors: list[ListingPrice],
    *,
    above_market_pct: Decimal = Decimal("10"),
    below_market_pct: Decimal = Decimal("20"),
) -> PricingPosition:
    """Where `my_price` sits among the competitors' latest prices.

    Position and rank count only competitors that are in stock and priced in my currency: a buyer
    cannot choose an out-of-stock offer, and a price in another currency is not comparable without an
    exchange rate. "no_data": my price is unknown or no competitor is priced in my currency;
    "only_one": competitors exist in my currency but none is in stock, so I am the only seller.
    """
    currency = _currency_code(my_currency) or my_currency
    comparable = [c for c in competitors if _currency_code(c.currency) == currency]
    in_stock = sorted((c for c in comparable if c.in_stock), key=lambda c: c.price)
    median = _median([c.price for c in in_stock]) if in_stock else None
    out_of_stock = _out_of_stock_opportunities(currency, competitors)
    position: Position
    rank: int | None = None
    ratio: Decimal | None = None
    priced: list[Opportunity] = []
    advice: list[str] = []
    if my_price is None or not comparable:
        position = "no_data"
        advice = [
            "Set your own price to see your position."
            if my_price is None
            else f"No competitor price in {currency} yet."
        ]
    elif median is None:
        position, rank = "only_one", 1
        advice = _out_of_stock_advice(out_of_stock) or ["No competitor in stock to compare with."]
    else:
        rank = 1 + sum(1 for c in in_stock if c.price < my_price)
        most_expensive = my_price >= in_stock[-1].price
        position = "cheapest" if rank == 1 else "most_expensive" if most_expensive else "median"
        ratio = my_price / median * HUNDRED if median > 0 else None
        priced = _priced_opportunities(
            my_price, currency, median, ratio, in_stock, above_market_pct, below_market_pct
        )
        advice = _recommendations(my_price, currency, median, ratio, in_stock, priced)
        advice += _out_of_stock_advice(out_of_stock)
    return PricingPosition(
        position=position,
        rank=rank,
        ranked=0 if rank is None else len(in_stock) + 1,
        my_price=my_price,
        currency=currency,
        market_median=_money(median) if median is not None else None,
        market_price_index=_tenth(ratio) if ratio is not None else None,
        market_min=in_stock[0].price if in_stock else None,
        market_max=in_stock[-1].price if in_stock else None,
        comparisons=[
            _compare(my_price, c, comparable=_currency_code(c.currency) == currency) for c in competitors
        ],
        opportunities=priced + out_of_stock,
        recommendations=advice,
        notes=[
            f"{c.label} sells in {c.currency or 'an unknown currency'}: "
            f"not compared with your {currency} price."
            for c in competitors
            if _currency_code(c.currency) != currency
        ],
    )


def _compare(my_price: Decimal | None, competitor: ListingPrice, *, comparable: bool) -> CompetitorComparison:
    difference_pct = difference = None
    cheaper: Cheaper | None = None
    if comparable and my_price is not None:
        difference = _money(my_price - competitor.price)
        if competitor.price > 0:
            difference_pct = _tenth((my_price - competitor.price) / competitor.price * HUNDRED)
        cheaper = (
            "same" if my_price == competitor.price else "me" if my_price < competitor.price else "competitor"
        )
    return CompetitorComparison(
        listing_id=competitor.listing_id,
        competitor=competitor.competitor,
        price=competitor.price,
        currency=_currency_code(competitor.currency) or competitor.currency,
        in_stock=competitor.in_stock,
        comparable=comparable,
        difference_pct=difference_pct,
        difference=difference,
        cheaper=cheaper,
    )


def _priced_opportunities(
    my_price: Decimal,
    currency: str,
    median: Decimal,
    ratio: Decimal | None,
    in_stock: list[ListingPrice],
    above_market_pct: Decimal,
    below_market_pct: Decimal,
) -> list[Opportunity]:
    found: list[Opportunity] = []
    # Compared on the exact ratio, so 10.04% above is not rounded up into "above market" at 10%.
    if ratio is not None and ratio > HUNDRED + above_market_pct:
        found.append(
            Opportunity(
                "above_market",
                f"Your price is {_pct(ratio - HUNDRED)}% above the market median "
                f"of {_display(median, currency)}.",
                _money(my_price - median),
                currency,
            )
        )
    if ratio is not None and ratio < HUNDRED - below_market_pct:
        found.append(
            Opportunity(
                "far_below_market",
                f"Your price is {_pct(HUNDRED - ratio)}% below the market median "
                f"of {_display(median, currency)}.",
                _money(median - my_price),
                currency,
            )
        )
    for competitor in in_stock:
        if competitor.price < my_price:
            gap = my_price - competitor.price
            found.append(
                Opportunity(
                    "undercut",
                    f"{competitor.label} sells for {_display(competitor.price, currency)}, "
                    f"{_display(gap, currency)} below you.",
                    _money(gap),
                    currency,
                    competitor.label,
                )
            )
    return found


def _out_of_stock_opportunities(currency: str, competitors: list[ListingPrice]) -> list[Opportunity]:
    # Out of stock matters whatever the currency: that seller's buyers are looking elsewhere.
    return [
        Opportunity(
            "competitor_out_of_stock",
            f"{c.label} is out of stock (last price {_display(c.price, c.currency)}).",
            c.price,
            _currency_code(c.currency),
            c.label,
        )
        for c in competitors
        if not c.in_stock
    ]


def _out_of_stock_advice(opportunities: list[Opportunity]) -> list[str]:
    return [
        f"{o.competitor} is out of stock: hold your price."
        for o in opportunities
        if o.kind == "competitor_out_of_stock"
    ]


def _recommendations(
    my_price: Decimal,
    currency: str,
    median: Decimal,
    ratio: Decimal | None,
    in_stock: list[ListingPrice],
    opportunities: list[Opportunity],
) -> list[str]:
    kinds = {o.kind for o in opportunities}
    cheapest = in_stock[0]
    advice: list[str] = []
    if "above_market" in kinds and ratio is not None:
        advice.append(
            f"You are {_pct(ratio - HUNDRED)}% above the market. "
            f"Lower to {_display(median, currency)} to match the median."
        )
    if "undercut" in kinds and cheapest.price - CENT > 0:
        advice.append(
            f"{cheapest.label} is the cheapest at {_display(cheapest.price, currency)}: "
            f"lower to {_display(cheapest.price - CENT, currency)} to be the cheapest."
        )
    # Room to raise while staying the cheapest: a cent under the cheapest competitor, when that is a raise.
    headroom = cheapest.price - CENT if cheapest.price - CENT > my_price else None
    if "far_below_market" in kinds and ratio is not None:
        sentence = (
            f"You are {_pct(HUNDRED - ratio)}% below the market: "
            f"room to raise to {_display(median, currency)} (the median)"
        )
        if headroom is not None and headroom < median:
            sentence += f"; up to {_display(headroom, currency)} keeps you the cheapest"
        advice.append(sentence + ".")
    elif headroom is not None:
        advice.append(
            f"You are the cheapest, {_display(cheapest.price - my_price, currency)} below {cheapest.label}: "
            f"you can raise to {_display(headroom, currency)} and stay the cheapest."
        )
    return advice


# -- trends ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DailyPoint:
    day: date
    value: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "value": self.value}


@dataclass(frozen=True, slots=True)
class Seasonality:
    by_weekday: list[dict[str, Any]] | None  # [{"label": "Mon", "value": mean}], None without 8 weeks
    by_month: list[dict[str, Any]] | None  # [{"label": "Jan", "value": mean}], None without 13 months
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"by_weekday": self.by_weekday, "by_month": self.by_month, "notes": list(self.notes)}


@dataclass(frozen=True, slots=True)
class SeriesTrend:
    """Statistics of one daily price series (a listing's, or the market average)."""

    daily: list[DailyPoint]
    moving_averages: dict[int, list[DailyPoint]]  # window in days → points from the first full window
    volatility_pct: Decimal | None  # sample stdev of day-over-day % changes, 2 decimals
    minimum: DailyPoint | None  # first day the lowest price was seen
    maximum: DailyPoint | None
    seasonality: Seasonality

    def as_dict(self) -> dict[str, Any]:
        return {
            "daily": [point.as_dict() for point in self.daily],
            "moving_averages": {
                str(window): [point.as_dict() for point in points]
                for window, points in self.moving_averages.items()
            },
            "volatility_pct": self.volatility_pct,
            "min": self.minimum.as_dict() if self.minimum else None,
            "max": self.maximum.as_dict() if self.maximum else None,
            "seasonality": self.seasonality.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class ListingTrend:
    listing_id: str
    competitor: str | None
    currency: str | None
    series: SeriesTrend
    change_count: int  # price changes between consecutive observations (intra-day ones included)
    changes_per_30_days: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "listing_id": self.listing_id,
            "competitor": self.competitor,
            "currency": self.currency,
            "change_count": self.change_count,
            "changes_per_30_days": self.changes_per_30_days,
            **self.series.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class CompetitorActivity:
    competitor: str  # the competitor's name, or the listing id of a listing without one
    listings: int
    change_count: int
    changes_per_30_days: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "competitor": self.competitor,
            "listings": self.listings,
            "change_count": self.change_count,
            "changes_per_30_days": self.changes_per_30_days,
        }


@dataclass(frozen=True, slots=True)
class Trends:
    listings: list[ListingTrend]
    market: SeriesTrend | None  # mean of the listings' daily prices in `market_currency`
    market_currency: str | None
    competitors: list[CompetitorActivity]
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "listings": [listing.as_dict() for listing in self.listings],
            "market": self.market.as_dict() if self.market else None,
            "market_currency": self.market_currency,
            "competitors": [competitor.as_dict() for competitor in self.competitors],
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class _ListingHistory:
    listing_id: str
    competitor: str | None
    currency: str | None
    priced: list[Observation]  # in `currency`, oldest first
    daily: dict[date, Decimal]  # forward-filled from the first observed day to today

    @property
    def activity_key(self) -> str:
        return self.competitor or self.listing_id


def trends(observations: list[Observation], *, now: datetime, windows: Sequence[int] = (7, 30)) -> Trends:
    """Price trends per listing and for the market, from whatever span of observations is given.

    A listing's daily price is its last observed price of that UTC day, carried forward over days
    without an observation up to `now`. The market's daily price is the mean of the listings' daily
    prices (each listing counts from its first observation), in the currency most listings use.
    """
    today = _utc(now).date()
    notes: list[str] = []
    histories = [
        history
        for listing_observations in _by_listing(observations, _utc(now)).values()
        if (history := _history(listing_observations, today, notes)) is not None
    ]
    listings = [
        ListingTrend(
            listing_id=h.listing_id,
            competitor=h.competitor,
            currency=h.currency,
            series=_series_trend(h.daily, windows),
            change_count=_change_count(h.priced),
            changes_per_30_days=_per_30_days(_change_count(h.priced), len(h.daily)),
        )
        for h in histories
    ]
    market_currency, market_daily = _market_daily(histories, notes)
    return Trends(
        listings=listings,
        market=_series_trend(market_daily, windows) if market_daily else None,
        market_currency=market_currency,
        competitors=_competitor_activity(histories),
        notes=notes,
    )


def _by_listing(observations: Iterable[Observation], now: datetime) -> dict[str, list[Observation]]:
    grouped: dict[str, list[Observation]] = {}
    for observation in observations:
        # Failed extractions carry no price, and anything stamped after `now` is not history yet.
        if observation.price is not None and _utc(observation.checked_at) <= now:
            grouped.setdefault(observation.listing_id, []).append(observation)
    for listing_observations in grouped.values():
        listing_observations.sort(key=lambda o: _utc(o.checked_at))
    return grouped


def _history(observations: list[Observation], today: date, notes: list[str]) -> _ListingHistory | None:
    latest = observations[-1]
    currency = _currency_code(latest.currency)
    # A listing that switched currency is followed in its current one; older prices are not comparable.
    priced = [o for o in observations if _currency_code(o.currency) in (currency, None)]
    if len(priced) < len(observations):
        notes.append(
            f"{latest.competitor or latest.listing_id}: {len(observations) - len(priced)} observation(s) "
            f"in another currency than {currency} left out."
        )
    last_of_day: dict[date, Decimal] = {}
    for observation in priced:
        assert observation.price is not None
        last_of_day[_utc(observation.checked_at).date()] = observation.price
    return _ListingHistory(
        listing_id=latest.listing_id,
        competitor=latest.competitor,
        currency=currency,
        priced=priced,
        daily=_forward_fill(last_of_day, today),
    )


def _forward_fill(values: dict[date, Decimal], until: date) -> dict[date, Decimal]:
    filled: dict[date, Decimal] = {}
    day, carried = min(values), values[min(values)]
    while day <= until:
        carried = values.get(day, carried)
        filled[day] = carried
        day += timedelta(days=1)
    return filled


def _market_daily(
    histories: list[_ListingHistory], notes: list[str]
) -> tuple[str | None, dict[date, Decimal]]:
    by_currency: dict[str | None, list[_ListingHistory]] = {}
    for history in histories:
        by_currency.setdefault(history.currency, []).append(history)
    if not by_currency:
        return None, {}
    # The currency most listings use; ties go to the alphabetically first, so the choice is stable.
    currency = min(by_currency, key=lambda code: (-len(by_currency[code]), code or ""))
    left_out = len(histories) - len(by_currency[currency])
    if left_out:
        notes.append(
            f"{left_out} listing(s) in other currencies than {currency} left out of the market average."
        )
    prices_by_day: dict[date, list[Decimal]] = {}
    for history in by_currency[currency]:
        for day, price in history.daily.items():
            prices_by_day.setdefault(day, []).append(price)
    return currency, {day: _mean(prices) for day, prices in sorted(prices_by_day.items())}


def _series_trend(daily: dict[date, Decimal], windows: Sequence[int]) -> SeriesTrend:
    days = sorted(daily)
    values = [daily[day] for day in days]
    lowest = min(values)
    highest = max(values)
    return SeriesTrend(
        daily=[DailyPoint(day, _money(value)) for day, value in zip(days, values, strict=True)],
        moving_averages={window: _moving_average(days, values, window) for window in windows},
        volatility_pct=_volatility(values),
        minimum=DailyPoint(days[values.index(lowest)], _money(lowest)),
        maximum=DailyPoint(days[values.index(highest)], _money(highest)),
        seasonality=_seasonality(days, values),
    )


def _moving_average(days: list[date], values: list[Decimal], window: int) -> list[DailyPoint]:
    """Trailing simple moving average, defined from the first day with a full window."""
    points: list[DailyPoint] = []
    running = Decimal(0)
    for index, value in enumerate(values):
        running += value
        if index >= window:
            running -= values[index - window]
        if index >= window - 1:
            points.append(DailyPoint(days[index], _money(running / window)))
    return points


def _volatility(values: list[Decimal]) -> Decimal | None:
    changes = [
        (current - previous) / previous * HUNDRED
        for previous, current in itertools.pairwise(values)
        if previous != 0
    ]
    if len(changes) < 2:
        return None
    mean = _mean(changes)
    variance = sum(((change - mean) ** 2 for change in changes), Decimal(0)) / (len(changes) - 1)
    return _money(variance.sqrt())


def _seasonality(days: list[date], values: list[Decimal]) -> Seasonality:
    notes: list[str] = []
    by_weekday: list[dict[str, Any]] | None = None
    by_month: list[dict[str, Any]] | None = None
    if len(days) >= WEEKDAY_MIN_DAYS:
        by_weekday = _grouped_means(days, values, lambda day: day.weekday(), WEEKDAY_NAMES)
    else:
        notes.append(f"A weekday pattern needs at least 8 weeks of data; there are {len(days)} day(s).")
    months_seen = len({(day.year, day.month) for day in days})
    if months_seen >= MONTH_MIN_MONTHS:
        by_month = _grouped_means(days, values, lambda day: day.month - 1, MONTH_NAMES)
    else:
        notes.append(f"A monthly pattern needs at least 13 months of data; there are {months_seen}.")
    return Seasonality(by_weekday=by_weekday, by_month=by_month, notes=notes)


def _grouped_means(
    days: list[date], values: list[Decimal], group_of: Any, names: Sequence[str]
) -> list[dict[str, Any]]:
    groups: dict[int, list[Decimal]] = {}
    for day, value in zip(days, values, strict=True):
        groups.setdefault(group_of(day), []).append(value)
    return [{"label": names[group], "value": _money(_mean(groups[group]))} for group in sorted(groups)]


def _change_count(priced: list[Observation]) -> int:
    return sum(1 for previous, current in itertools.pairwise(priced) if previous.price != current.price)


def _per_30_days(changes: int, days: int) -> Decimal:
    return _tenth(Decimal(changes) * 30 / max(days, 1))


def _competitor_activity(histories: list[_ListingHistory]) -> list[CompetitorActivity]:
    grouped: dict[str, list[_ListingHistory]] = {}
    for history in histories:
        grouped.setdefault(history.activity_key, []).append(history)
    activity = []
    for competitor, group in sorted(grouped.items()):
        changes = sum(_change_count(history.priced) for history in group)
        # The competitor's span runs from its earliest observed listing: every listing is within it.
        span = max(len(history.daily) for history in group)
        activity.append(CompetitorActivity(competitor, len(group), changes, _per_30_days(changes, span)))
    return activity


# -- change detection -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    kind: ChangeKind
    listing_id: str
    competitor: str | None
    old_price: Decimal | None
    new_price: Decimal | None
    currency: str | None
    change: Decimal | None  # new - old; None across a currency change
    change_pct: Decimal | None  # (new - old) / old * 100, two decimals; None across a currency change
    old_availability: str | None
    new_availability: str | None
    alert: bool  # crosses the alert threshold (or there is none, so every change alerts)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "listing_id": self.listing_id,
            "competitor": self.competitor,
            "old_price": self.old_price,
            "new_price": self.new_price,
            "currency": self.currency,
            "change": self.change,
            "change_pct": self.change_pct,
            "old_availability": self.old_availability,
            "new_availability": self.new_availability,
            "alert": self.alert,
            "note": self.note,
        }


def detect_change(
    previous: Observation | None,
    current: Observation,
    *,
    threshold_pct: Decimal | None,
    threshold_abs: Decimal | None,
) -> list[ChangeEvent]:
    """Events for `current` against the last stored observation of the same listing.

    "price.changed" on any price change, plus "price.dropped" when it went down, plus
    "availability.changed". A side without a price (failed extraction) gives no price event, a side
    without availability no availability event, and the first observation gives none at all. Each
    event says whether it alerts: price events when the change meets the % or the absolute threshold
    (either is enough; with neither set every change alerts), availability events always.
    """
    if previous is None:
        return []
    events = _price_events(previous, current, threshold_pct, threshold_abs)
    old_availability, new_availability = (
        _availability(previous.availability),
        _availability(current.availability),
    )
    if old_availability is not None and new_availability is not None and old_availability != new_availability:
        events.append(
            _event(
                "availability.changed", previous, current, change=None, change_pct=None, alert=True,
                note=f"Availability changed from {previous.availability} to {current.availability}.",
            )
        )  # fmt: skip
    return events


def _price_events(
    previous: Observation, current: Observation, threshold_pct: Decimal | None, threshold_abs: Decimal | None
) -> list[ChangeEvent]:
    old, new = previous.price, current.price
    if old is None or new is None:
        return []
    old_currency, new_currency = _currency_code(previous.currency), _currency_code(current.currency)
    if old_currency is not None and new_currency is not None and old_currency != new_currency:
        # No exchange rate, so no amount or % to measure against the threshold: a currency switch is
        # notable in itself, so it always alerts.
        return [
            _event(
                "price.changed", previous, current, change=None, change_pct=None, alert=True,
                note=f"Currency changed from {old_currency} to {new_currency}: prices not compared.",
            )
        ]  # fmt: skip
    if old == new:
        return []
    change = new - old
    exact_pct = change / old * HUNDRED if old != 0 else None
    alert = _crosses(change, exact_pct, threshold_pct, threshold_abs)
    change_pct = _money(exact_pct) if exact_pct is not None else None
    events = [_event("price.changed", previous, current, change=change, change_pct=change_pct, alert=alert)]
    if change < 0:
        events.append(
            _event("price.dropped", previous, current, change=change, change_pct=change_pct, alert=alert)
        )
    return events


def _crosses(
    change: Decimal, change_pct: Decimal | None, threshold_pct: Decimal | None, threshold_abs: Decimal | None
) -> bool:
    if threshold_pct is None and threshold_abs is None:
        return True
    # Compared on exact values: a 9.996% change does not round its way over a 10% threshold.
    meets_pct = threshold_pct is not None and change_pct is not None and abs(change_pct) >= threshold_pct
    meets_abs = threshold_abs is not None and abs(change) >= threshold_abs
    return meets_pct or meets_abs


def _event(
    kind: ChangeKind,
    previous: Observation,
    current: Observation,
    *,
    change: Decimal | None,
    change_pct: Decimal | None,
    alert: bool,
    note: str = "",
) -> ChangeEvent:
    return ChangeEvent(
        kind=kind,
        listing_id=current.listing_id,
        competitor=current.competitor,
        old_price=previous.price,
        new_price=current.price,
        currency=_currency_code(current.currency),
        change=change,
        change_pct=change_pct,
        old_availability=previous.availability,
        new_availability=current.availability,
        alert=alert,
        note=note,
    )


def needs_heartbeat(last_stored: datetime | None, now: datetime) -> bool:
    """Whether an unchanged observation should still be stored: the first one of each UTC day, so the
    history shows the price was checked and held, whatever the check interval (no drift, unlike 24 h
    from the last one)."""
    if last_stored is None:
        return True
    return _utc(now).date() > _utc(last_stored).date()


# -- helpers ----------------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    # Naive datetimes come from SQLite, which drops the zone: they are UTC by convention.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _currency_code(currency: str | None) -> str | None:
    code = (currency or "").strip().upper()
    return code or None


def _availability(availability: str | None) -> str | None:
    normalised = (availability or "").strip().lower()
    return None if normalised in ("", "unknown") else normalised


def _median(sorted_values: list[Decimal]) -> Decimal:
    middle = len(sorted_values) // 2
    if len(sorted_values) % 2:
        return sorted_values[middle]
    return (sorted_values[middle - 1] + sorted_values[middle]) / 2


def _mean(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values)


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _tenth(amount: Decimal) -> Decimal:
    return amount.quantize(TENTH, rounding=ROUND_HALF_UP)


def _pct(amount: Decimal) -> str:
    """A percentage for a sentence: one decimal, without a trailing ".0" (25%, 12.5%)."""
    text = str(_tenth(amount))
    return text[:-2] if text.endswith(".0") else text


def _display(amount: Decimal, currency: str | None) -> str:
    code = _currency_code(currency)
    text = f"{_money(amount):,.2f}"
    if code in CURRENCY_SYMBOLS:
        return f"{CURRENCY_SYMBOLS[code]}{text}"
    return f"{text} {code}" if code else text
