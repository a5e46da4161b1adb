"""Pricing position, trends and change detection: pure functions over plain data."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from binelek.marketplace.analytics import (
    ChangeEvent,
    DailyPoint,
    ListingPrice,
    Observation,
    Opportunity,
    Seasonality,
    detect_change,
    is_in_stock,
    needs_heartbeat,
    pricing_position,
    trends,
)

D = Decimal
T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def offer(name: str, price: str, *, currency: str = "USD", in_stock: bool = True) -> ListingPrice:
    return ListingPrice(f"listing-{name}", name, D(price), currency, T0, in_stock)


def observe(
    price: str | None,
    at: datetime,
    *,
    listing: str = "l1",
    competitor: str | None = "Shop A",
    currency: str | None = "USD",
    availability: str | None = "in_stock",
) -> Observation:
    return Observation(
        listing, competitor, D(price) if price is not None else None, currency, availability, at
    )


def kinds_of(items: Sequence[Opportunity | ChangeEvent]) -> list[str]:
    return [item.kind for item in items]


MARKET = [offer("Shop A", "18.00"), offer("Shop B", "20.00"), offer("Shop C", "22.00")]


# -- pricing position --------------------------------------------------------------------------------


def test_most_expensive_above_market_with_recommendation_to_match_median() -> None:
    result = pricing_position(D("25.00"), "USD", MARKET)

    assert (result.position, result.rank, result.ranked) == ("most_expensive", 4, 4)
    assert result.market_median == D("20.00")
    assert result.market_price_index == D("125.0")
    assert (result.market_min, result.market_max) == (D("18.00"), D("22.00"))
    above = next(o for o in result.opportunities if o.kind == "above_market")
    assert above.amount == D("5.00")
    assert above.detail == "Your price is 25% above the market median of $20.00."
    assert [o.competitor for o in result.opportunities if o.kind == "undercut"] == [
        "Shop A",
        "Shop B",
        "Shop C",
    ]
    assert [o.amount for o in result.opportunities if o.kind == "undercut"] == [
        D("7.00"),
        D("5.00"),
        D("3.00"),
    ]
    assert result.recommendations == [
        "You are 25% above the market. Lower to $20.00 to match the median.",
        "Shop A is the cheapest at $18.00: lower to $17.99 to be the cheapest.",
    ]


def test_per_competitor_difference_percent_and_who_is_cheaper() -> None:
    result = pricing_position(D("20.00"), "USD", [offer("A", "18.00"), offer("B", "20.00"), offer("C", "30")])

    by_name = {c.competitor: c for c in result.comparisons}
    # (mine - theirs) / theirs * 100, one decimal: 2/18 = 11.11..%, -10/30 = -33.33..%
    assert (by_name["A"].difference_pct, by_name["A"].difference, by_name["A"].cheaper) == (
        D("11.1"),
        D("2.00"),
        "competitor",
    )
    assert (by_name["B"].difference_pct, by_name["B"].cheaper) == (D("0.0"), "same")
    assert (by_name["C"].difference_pct, by_name["C"].difference, by_name["C"].cheaper) == (
        D("-33.3"),
        D("-10.00"),
        "me",
    )
    assert result.position == "median" and result.rank == 2


def test_cheapest_with_headroom_to_raise() -> None:
    result = pricing_position(D("17.00"), "USD", MARKET)

    assert (result.position, result.rank) == ("cheapest", 1)
    assert result.market_price_index == D("85.0")
    assert result.opportunities == []
    assert result.recommendations == [
        "You are the cheapest, $1.00 below Shop A: you can raise to $17.99 and stay the cheapest."
    ]


def test_far_below_market_suggests_room_to_raise() -> None:
    result = pricing_position(D("15.00"), "USD", MARKET)

    assert result.position == "cheapest"
    assert result.market_price_index == D("75.0")
    (below,) = result.opportunities
    assert (below.kind, below.amount) == ("far_below_market", D("5.00"))
    assert result.recommendations == [
        "You are 25% below the market: room to raise to $20.00 (the median); "
        "up to $17.99 keeps you the cheapest."
    ]


def test_thresholds_are_strict_and_configurable() -> None:
    at_ten_pct = pricing_position(D("22.00"), "USD", MARKET)  # exactly 10% above the $20 median
    assert "above_market" not in kinds_of(at_ten_pct.opportunities)
    assert at_ten_pct.position == "most_expensive"

    stricter = pricing_position(D("22.00"), "USD", MARKET, above_market_pct=D("5"))
    assert "above_market" in kinds_of(stricter.opportunities)

    looser = pricing_position(D("15.00"), "USD", MARKET, below_market_pct=D("30"))
    assert "far_below_market" not in kinds_of(looser.opportunities)


def test_ties_share_the_cheapest_rank() -> None:
    result = pricing_position(D("18.00"), "USD", MARKET)

    assert (result.position, result.rank) == ("cheapest", 1)
    assert result.recommendations == []  # no headroom: raising would lose the tie


def test_out_of_stock_competitor_is_left_out_of_the_market_and_advised_on() -> None:
    competitors = [*MARKET, offer("Shop D", "10.00", in_stock=False)]
    result = pricing_position(D("19.00"), "USD", competitors)

    assert result.market_median == D("20.00")  # Shop D not counted
    assert (result.rank, result.ranked, result.position) == (2, 4, "median")
    out = next(o for o in result.opportunities if o.kind == "competitor_out_of_stock")
    assert (out.competitor, out.amount, out.detail) == (
        "Shop D",
        D("10.00"),
        "Shop D is out of stock (last price $10.00).",
    )
    assert result.recommendations[-1] == "Shop D is out of stock: hold your price."
    assert next(c for c in result.comparisons if c.competitor == "Shop D").difference_pct == D("90.0")


def test_only_one_when_no_competitor_is_in_stock() -> None:
    result = pricing_position(D("19.00"), "USD", [offer("Shop B", "20.00", in_stock=False)])

    assert (result.position, result.rank, result.ranked) == ("only_one", 1, 1)
    assert result.market_price_index is None and result.market_median is None
    assert result.recommendations == ["Shop B is out of stock: hold your price."]
    assert kinds_of(result.opportunities) == ["competitor_out_of_stock"]


def test_no_data_without_my_price_or_comparable_competitors() -> None:
    without_mine = pricing_position(None, "USD", MARKET)
    assert (without_mine.position, without_mine.rank, without_mine.market_price_index) == (
        "no_data",
        None,
        None,
    )
    assert without_mine.market_median == D("20.00")
    assert without_mine.recommendations == ["Set your own price to see your position."]
    assert all(c.difference_pct is None for c in without_mine.comparisons)

    nobody = pricing_position(D("10"), "USD", [])
    assert nobody.position == "no_data"
    assert nobody.recommendations == ["No competitor price in USD yet."]


def test_other_currencies_are_noted_not_compared() -> None:
    competitors = [offer("Shop A", "18.00"), offer("Euro Shop", "5.00", currency="EUR")]
    result = pricing_position(D("20.00"), "usd", competitors)

    assert result.currency == "USD"
    assert result.market_median == D("18.00") and result.ranked == 2
    euro = next(c for c in result.comparisons if c.competitor == "Euro Shop")
    assert (euro.comparable, euro.difference_pct, euro.cheaper) == (False, None, None)
    assert result.notes == ["Euro Shop sells in EUR: not compared with your USD price."]

    only_euro = pricing_position(D("20.00"), "USD", [offer("Euro Shop", "5.00", currency="EUR")])
    assert only_euro.position == "no_data"


def test_amounts_are_exact_decimals_and_display_rounds_half_up() -> None:
    # Median of 10.01 and 10.02 is 10.015: kept exact for the index, shown as $10.02.
    result = pricing_position(
        D("12.50"), "GBP", [offer("A", "10.01", currency="GBP"), offer("B", "10.02", currency="GBP")]
    )

    assert result.market_median == D("10.02")
    assert result.market_price_index == D("124.8")  # 12.50 / 10.015 = 124.81..%
    assert result.recommendations[0] == "You are 24.8% above the market. Lower to £10.02 to match the median."
    chf = pricing_position(D("2000"), "CHF", [offer("A", "1000", currency="CHF")])
    assert (
        chf.recommendations[0] == "You are 100% above the market. Lower to 1,000.00 CHF to match the median."
    )


def test_as_dict_is_plain_data() -> None:
    data = pricing_position(D("25.00"), "USD", MARKET).as_dict()

    assert data["position"] == "most_expensive"
    assert data["opportunities"][0]["kind"] == "above_market"
    assert data["comparisons"][0]["difference_pct"] == D("38.9")


def test_is_in_stock_understands_schema_org_and_snake_case() -> None:
    assert is_in_stock(None) and is_in_stock("in_stock") and is_in_stock("https://schema.org/InStock")
    assert not is_in_stock("out_of_stock")
    assert not is_in_stock("https://schema.org/OutOfStock")
    assert not is_in_stock("SoldOut")


cents = st.integers(min_value=1, max_value=100_000).map(lambda n: D(n) / 100)


@settings(max_examples=200, deadline=None)
@given(
    my_price=cents,
    offers=st.lists(st.tuples(cents, st.booleans()), min_size=1, max_size=8),
)
def test_position_and_rank_invariants(my_price: Decimal, offers: list[tuple[Decimal, bool]]) -> None:
    competitors = [
        ListingPrice(f"l{i}", f"C{i}", price, "USD", T0, in_stock)
        for i, (price, in_stock) in enumerate(offers)
    ]
    in_stock = [price for price, available in offers if available]
    result = pricing_position(my_price, "USD", competitors)

    if not in_stock:
        assert (result.position, result.rank) == ("only_one", 1)
        return
    assert result.rank is not None and 1 <= result.rank <= result.ranked == len(in_stock) + 1
    assert (result.position == "cheapest") == (result.rank == 1) == (my_price <= min(in_stock))
    if result.position == "most_expensive":
        assert my_price >= max(in_stock)
    # The index is my price over the median, times 100, rounded to 0.1 (so 199.95 vs 200.05 reads 100.0).
    index = my_price / statistics.median(in_stock) * 100
    assert result.market_price_index is not None and abs(result.market_price_index - index) <= D("0.05")


@settings(max_examples=100, deadline=None)
@given(offers=st.lists(cents, min_size=1, max_size=8))
def test_price_at_the_median_has_index_100(offers: list[Decimal]) -> None:
    competitors = [ListingPrice(f"l{i}", f"C{i}", price, "USD", T0) for i, price in enumerate(offers)]
    median = statistics.median(offers)

    result = pricing_position(median, "USD", competitors)

    assert result.market_price_index == D("100.0")
    assert not {"above_market", "far_below_market"} & set(kinds_of(result.opportunities))


# -- trends ------------------------------------------------------------------------------------------


def day(n: int, hour: int = 12) -> datetime:
    return datetime(2024, 3, 1, hour, tzinfo=UTC) + timedelta(days=n)


def values(points: Sequence[DailyPoint]) -> list[Decimal]:
    return [point.value for point in points]


def test_small_series_moving_average_volatility_and_changes_by_hand() -> None:
    observations = [
        observe("10.00", day(0)),
        observe("10.50", day(1, 8)),
        observe("11.00", day(1, 20)),  # last of the day wins
        observe(None, day(2)),  # a failed extraction is no data
        observe("9.90", day(3)),
    ]
    result = trends(observations, now=day(4, 18), windows=(3,))

    (listing,) = result.listings
    series = listing.series
    assert [p.day for p in series.daily] == [date(2024, 3, 1) + timedelta(days=n) for n in range(5)]
    assert values(series.daily) == [
        D("10.00"),
        D("11.00"),
        D("11.00"),
        D("9.90"),
        D("9.90"),
    ]  # forward-filled
    # (10 + 11 + 11) / 3, (11 + 11 + 9.9) / 3, (11 + 9.9 + 9.9) / 3
    assert values(series.moving_averages[3]) == [D("10.67"), D("10.63"), D("10.27")]
    assert series.moving_averages[3][0].day == date(2024, 3, 3)
    # Daily changes +10%, 0%, -10%, 0%: mean 0, sample variance 200 / 3, stdev 8.1649..
    assert series.volatility_pct == D("8.16")
    assert series.minimum == DailyPoint(date(2024, 3, 4), D("9.90"))  # the first day at the lowest
    assert series.maximum == DailyPoint(date(2024, 3, 2), D("11.00"))
    # 10 → 10.50 → 11 → 9.90: three changes in five days
    assert listing.change_count == 3
    assert listing.changes_per_30_days == D("18.0")
    assert listing.currency == "USD"


def test_market_average_counts_each_listing_from_its_first_day() -> None:
    observations = [
        observe("10.00", day(0)),
        observe("12.00", day(2)),
        observe("20.00", day(1), listing="l2", competitor="Shop B"),
        observe("21.00", day(2), listing="l2", competitor="Shop B"),
    ]
    result = trends(observations, now=day(2), windows=(2,))

    assert result.market is not None and result.market_currency == "USD"
    assert values(result.market.daily) == [D("10.00"), D("15.00"), D("16.50")]
    assert values(result.market.moving_averages[2]) == [D("12.50"), D("15.75")]
    assert [a.competitor for a in result.competitors] == ["Shop A", "Shop B"]
    assert [a.change_count for a in result.competitors] == [1, 1]
    # Shop A: one change over 3 days; Shop B: one change over 2 days
    assert [a.changes_per_30_days for a in result.competitors] == [D("10.0"), D("15.0")]
    chart = result.as_dict()["market"]["daily"]
    assert chart[0] == {"date": "2024-03-01", "value": D("10.00")}


def test_competitor_activity_sums_its_listings() -> None:
    observations = [
        observe("10", day(0)),
        observe("11", day(1)),
        observe("12", day(2)),
        observe("5", day(0), listing="l2"),
        observe("6", day(1), listing="l2"),
        observe("7", day(0), listing="l3", competitor=None),
    ]
    result = trends(observations, now=day(2))

    activity = {a.competitor: a for a in result.competitors}
    assert (activity["Shop A"].listings, activity["Shop A"].change_count) == (2, 3)
    assert activity["Shop A"].changes_per_30_days == D("30.0")  # 3 changes over 3 days
    assert activity["l3"].change_count == 0  # a listing without a competitor is keyed by its id


def test_synthetic_120_day_series_with_weekly_pattern() -> None:
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)  # a Monday
    observations = [
        observe(str(100 + n % 7), start + timedelta(days=n)) for n in range(120)
    ]  # Monday 100, Tuesday 101, ... Sunday 106
    result = trends(observations, now=start + timedelta(days=119, hours=10))

    series = result.listings[0].series
    assert len(series.daily) == 120
    assert set(values(series.moving_averages[7])) == {D("103.00")}  # every 7-day window holds one week
    assert len(series.moving_averages[7]) == 114
    assert len(series.moving_averages[30]) == 91
    weekday = series.seasonality.by_weekday
    assert weekday is not None
    assert [(w["label"], w["value"]) for w in weekday] == [
        ("Mon", D("100.00")), ("Tue", D("101.00")), ("Wed", D("102.00")), ("Thu", D("103.00")),
        ("Fri", D("104.00")), ("Sat", D("105.00")), ("Sun", D("106.00")),
    ]  # fmt: skip
    assert series.seasonality.by_month is None
    assert series.seasonality.notes == ["A monthly pattern needs at least 13 months of data; there are 4."]
    assert series.minimum == DailyPoint(date(2024, 1, 1), D("100.00"))
    assert series.maximum == DailyPoint(date(2024, 1, 7), D("106.00"))
    assert series.volatility_pct is not None and series.volatility_pct > 0
    # The price differs every day: 119 changes over 120 days
    assert result.listings[0].change_count == 119
    assert result.listings[0].changes_per_30_days == D("29.8")
    assert result.market is not None and values(result.market.daily) == values(series.daily)


def test_seasonality_gating_by_weeks_and_months() -> None:
    def series_for(days: int) -> Seasonality:
        result = trends([observe("10", day(0))], now=day(days - 1))
        return result.listings[0].series.seasonality

    short = series_for(55)
    assert short.by_weekday is None
    assert "8 weeks" in short.notes[0]
    assert series_for(56).by_weekday is not None

    twelve_months = trends(
        [observe("10", datetime(2023, 1, 15, tzinfo=UTC))], now=datetime(2023, 12, 31, tzinfo=UTC)
    )
    assert twelve_months.listings[0].series.seasonality.by_month is None
    start = datetime(2023, 1, 15, tzinfo=UTC)
    thirteen = trends(
        [observe("10", start), observe("20", datetime(2023, 2, 1, tzinfo=UTC))],
        now=datetime(2024, 1, 2, tzinfo=UTC),
    )
    by_month = thirteen.listings[0].series.seasonality.by_month
    assert by_month is not None and len(by_month) == 12
    # January holds 15..31 Jan 2023 at 10 and 1..2 Jan 2024 at 20: (17 * 10 + 2 * 20) / 19
    assert by_month[0] == {"label": "Jan", "value": D("11.05")}
    assert by_month[1] == {"label": "Feb", "value": D("20.00")}


def test_currency_switch_and_mixed_market_are_noted() -> None:
    observations = [
        observe("10", day(0), currency="EUR"),
        observe("12", day(1)),
        observe("13", day(2)),
        observe("50", day(0), listing="l2", competitor="Shop B"),
        observe("9", day(0), listing="l3", competitor="Shop C", currency="GBP"),
    ]
    result = trends(observations, now=day(2))

    first = next(t for t in result.listings if t.listing_id == "l1")
    assert first.currency == "USD" and values(first.series.daily) == [D("12.00"), D("13.00")]
    assert result.market_currency == "USD"
    assert result.market is not None
    assert values(result.market.daily) == [D("50.00"), D("31.00"), D("31.50")]
    assert result.notes == [
        "Shop A: 1 observation(s) in another currency than USD left out.",
        "1 listing(s) in other currencies than USD left out of the market average.",
    ]


def test_observations_after_now_and_naive_datetimes() -> None:
    naive = datetime(2024, 3, 1, 12)
    observations = [observe("10", naive), observe("99", day(5))]
    result = trends(observations, now=day(1))

    assert values(result.listings[0].series.daily) == [D("10.00"), D("10.00")]
    assert result.listings[0].series.volatility_pct is None  # one day-over-day change: no spread yet
    assert result.listings[0].change_count == 0  # the future observation is not history


def test_empty_trends() -> None:
    result = trends([observe(None, day(0))], now=day(1))

    assert result.listings == [] and result.market is None and result.competitors == []


# -- change detection --------------------------------------------------------------------------------


def test_first_observation_and_unchanged_give_no_event() -> None:
    current = observe("10.00", day(1))
    assert detect_change(None, current, threshold_pct=None, threshold_abs=None) == []
    assert detect_change(observe("10.0", day(0)), current, threshold_pct=None, threshold_abs=None) == []


def test_rise_is_a_change_and_a_drop_is_also_a_drop() -> None:
    (rise,) = detect_change(
        observe("10.00", day(0)), observe("11.00", day(1)), threshold_pct=None, threshold_abs=None
    )
    assert (rise.kind, rise.change, rise.change_pct, rise.alert) == (
        "price.changed",
        D("1.00"),
        D("10.00"),
        True,
    )
    assert (rise.old_price, rise.new_price, rise.currency) == (D("10.00"), D("11.00"), "USD")

    drop = detect_change(
        observe("12.00", day(0)), observe("9.00", day(1)), threshold_pct=None, threshold_abs=None
    )
    assert kinds_of(drop) == ["price.changed", "price.dropped"]
    assert {(e.change, e.change_pct) for e in drop} == {(D("-3.00"), D("-25.00"))}


def test_thresholds_percent_or_absolute_either_met() -> None:
    before, after = observe("100.00", day(0)), observe("95.00", day(1))  # -5%, -$5

    def alerts(pct: str | None, absolute: str | None) -> list[bool]:
        events = detect_change(
            before,
            after,
            threshold_pct=D(pct) if pct else None,
            threshold_abs=D(absolute) if absolute else None,
        )
        return [e.alert for e in events]

    assert alerts("5", None) == [True, True]
    assert alerts("10", None) == [False, False]
    assert alerts(None, "5") == [True, True]
    assert alerts(None, "6") == [False, False]
    assert alerts("10", "5") == [True, True]  # the absolute one is met
    assert alerts("5", "50") == [True, True]  # the percent one is met
    assert alerts("10", "50") == [False, False]


def test_threshold_uses_the_exact_percentage() -> None:
    # 9.996% shows as 10.00 but does not reach a 10% threshold.
    (event,) = detect_change(
        observe("100.00", day(0)), observe("109.996", day(1)), threshold_pct=D("10"), threshold_abs=None
    )
    assert event.change_pct == D("10.00")
    assert event.alert is False


def test_failed_extraction_is_never_a_change() -> None:
    ok, failed = observe("10.00", day(0)), observe(None, day(1), availability=None)

    assert detect_change(ok, failed, threshold_pct=None, threshold_abs=None) == []
    assert detect_change(failed, observe("12.00", day(2)), threshold_pct=None, threshold_abs=None) == []


def test_currency_change_is_a_change_with_a_note_and_no_percentage() -> None:
    events = detect_change(
        observe("10.00", day(0)),
        observe("9.00", day(1), currency="EUR"),
        threshold_pct=D("50"),
        threshold_abs=None,
    )

    (event,) = events
    assert (event.kind, event.change, event.change_pct, event.alert) == ("price.changed", None, None, True)
    assert event.currency == "EUR"
    assert event.note == "Currency changed from USD to EUR: prices not compared."
    # An unknown currency on one side is not a switch.
    same = detect_change(
        observe("10", day(0), currency=None), observe("10", day(1)), threshold_pct=None, threshold_abs=None
    )
    assert same == []


def test_availability_change_always_alerts() -> None:
    events = detect_change(
        observe("10.00", day(0)),
        observe("10.00", day(1), availability="out_of_stock"),
        threshold_pct=D("50"),
        threshold_abs=None,
    )

    (event,) = events
    assert (event.kind, event.old_availability, event.new_availability, event.alert) == (
        "availability.changed",
        "in_stock",
        "out_of_stock",
        True,
    )
    both = detect_change(
        observe("10.00", day(0), availability="out_of_stock"),
        observe("8.00", day(1), availability="in_stock"),
        threshold_pct=D("50"),
        threshold_abs=None,
    )
    assert [(e.kind, e.alert) for e in both] == [
        ("price.changed", False),
        ("price.dropped", False),
        ("availability.changed", True),
    ]
    unknown = detect_change(
        observe("10.00", day(0)),
        observe("10.00", day(1), availability="unknown"),
        threshold_pct=None,
        threshold_abs=None,
    )
    assert unknown == []
    assert both[0].as_dict()["change_pct"] == D("-20.00")


def test_heartbeat_once_per_utc_day() -> None:
    stored = datetime(2024, 3, 1, 23, 30, tzinfo=UTC)

    assert needs_heartbeat(None, stored) is True
    assert needs_heartbeat(stored, stored + timedelta(minutes=20)) is False
    assert needs_heartbeat(stored, datetime(2024, 3, 2, 0, 5, tzinfo=UTC)) is True
    assert needs_heartbeat(stored, stored - timedelta(days=1)) is False  # a clock behind is not a new day
    assert (
        needs_heartbeat(datetime(2024, 3, 1, 8), datetime(2024, 3, 1, 20, tzinfo=UTC)) is False
    )  # naive is UTC
