"""Insights: a planted spike in the demo roaster's history is found and explained; findings are
stored once per fingerprint and stay dismissed; RFM segments match a hand computation; the scheduled
pass picks the tenants whose findings are stale; permissions and isolation."""

from __future__ import annotations

import statistics
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from dbos import DBOS
from fastapi import FastAPI
from sqlalchemy import func, select

from binelek.connectors import service as connectors
from binelek.demo import load_business_data
from binelek.foundry import insights, jobs, service
from binelek.foundry.insights import CustomerRfm, quintile_scores, seasonal_deviation, segment_of
from binelek.foundry.models import Insight
from binelek.foundry.schemas import SemanticQuery, TimeRange
from binelek.kit import dataversion
from binelek.kit.state import AppState
from tests.conftest import Account, add_member, assert_problem, register

BASE = "/api/modules/mini-foundry"
TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SPIKE_DAY = TODAY - timedelta(days=1)  # the last complete day: Tuesday, 24 Nov 2026
SPIKE_FACTOR = 5


async def _orders_on(state: AppState, tenant_id: uuid.UUID, days: list[date]) -> list[float]:
    async with state.db.session(tenant_id) as session:
        query = SemanticQuery(
            metrics=["orders"], dimensions=["date.day"], time_range=TimeRange(start=min(days), end=max(days))
        )
        result = await service.run_query(session, tenant_id, query, now=NOW, use_cache=False)
    by_day = {row[0]: row[1] for row in result.rows}
    return [float(by_day.get(day.isoformat()) or 0) for day in days]


def _spike_order(number: int, moment: datetime) -> dict[str, str]:
    return {
        "order_number": f"SPIKE-{number}",
        "customer_email": "",
        "placed_at": moment.isoformat(),
        "status": "paid",
        "currency": "USD",
        "subtotal": "45.00",
        "discount": "0.00",
        "tax": "0.00",
        "shipping": "5.00",
        "total": "50.00",
        "channel": "web",
    }


@pytest.fixture(scope="module")
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="module")
async def roaster(http: httpx.AsyncClient, state: AppState) -> dict[str, Any]:
    """The demo roaster at scale 0.02 up to 24 Nov, with that day's orders planted at 5x a typical
    Tuesday's."""
    account = await register(http, "Insight Roasters")
    tenant_id = uuid.UUID(account.tenant_id)
    await load_business_data(state.db, tenant_id, scale=0.02, today=TODAY)
    baseline_days = [SPIKE_DAY - timedelta(days=7 * week) for week in range(1, 9)]
    typical = statistics.median(await _orders_on(state, tenant_id, baseline_days))
    [already] = await _orders_on(state, tenant_id, [SPIKE_DAY])
    target = SPIKE_FACTOR * max(typical, 1.0)
    planted = int(target - already)
    moment = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    rows = [_spike_order(number, moment + timedelta(minutes=number)) for number in range(planted)]
    result = await connectors.import_rows(state.db, tenant_id, "orders", rows)
    assert result.rows_failed == 0, result.errors
    return {"account": account, "tenant_id": tenant_id, "typical": typical, "spike": already + planted}


async def _findings(state: AppState, tenant_id: uuid.UUID, now: datetime = NOW) -> list[insights.Finding]:
    async with state.db.session(tenant_id) as session:
        return await insights.compute_findings(session, tenant_id, now=now)


# --- the statistics, on their own ------------------------------------------------------------------


def test_seasonal_deviation_flags_a_fivefold_day_and_not_ordinary_noise() -> None:
    baseline = [20.0, 24.0, 18.0, 22.0, 25.0, 19.0, 21.0, 23.0]
    ordinary = seasonal_deviation(27.0, baseline, absolute_floor=3, count_like=True)
    spike = seasonal_deviation(5 * 21.5, baseline, absolute_floor=3, count_like=True)
    drop = seasonal_deviation(4.0, baseline, absolute_floor=3, count_like=True)
    assert ordinary is not None and abs(ordinary.z) < 3
    assert spike is not None and spike.z > 3 and spike.typical == 21.5
    assert drop is not None and drop.z < -3
    # Too little history gives no verdict.
    assert seasonal_deviation(100.0, baseline[:3], absolute_floor=3, count_like=True) is None


def test_a_flat_baseline_needs_a_material_move() -> None:
    """With every past Tuesday identical the MAD is 0; the floor keeps a tiny move from being news."""
    flat = [100.0] * 8
    small = seasonal_deviation(110.0, flat, absolute_floor=0, count_like=False)
    large = seasonal_deviation(170.0, flat, absolute_floor=0, count_like=False)
    assert small is not None and abs(small.z) < 3  # 10 %: under the 20 % floor
    assert large is not None and large.z >= 3
    # Refunds on a shop that never refunds: a refund under the money floor is not an anomaly.
    zeros = [0.0] * 8
    petty = seasonal_deviation(5.0, zeros, absolute_floor=30.0, count_like=False)
    assert petty is not None and abs(petty.z) < 3


def test_quintile_scores_use_nearest_rank_cut_points_and_keep_ties_together() -> None:
    assert quintile_scores([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_scores([1, 1, 1, 1, 2, 3, 4, 5, 5, 6]) == [1, 1, 1, 1, 3, 3, 4, 4, 4, 5]
    assert quintile_scores([]) == []


def test_the_rfm_grid_covers_every_cell() -> None:
    grid = {(r, fm): segment_of(r, fm) for r in range(1, 6) for fm in range(1, 6)}
    assert grid[(5, 5)] == grid[(5, 4)] == "champions"
    assert grid[(5, 1)] == "new"
    assert grid[(4, 4)] == grid[(3, 5)] == "loyal"
    assert grid[(1, 5)] == grid[(2, 5)] == "cant_lose"
    assert grid[(1, 3)] == grid[(2, 4)] == "at_risk"
    assert grid[(2, 1)] == "hibernating" and grid[(1, 2)] == "lost"
    assert set(grid.values()) == set(insights.SEGMENTS)


# --- the demo roaster -----------------------------------------------------------------------------


async def test_planted_order_spike_is_found_with_its_numbers_and_chart(
    roaster: dict[str, Any], state: AppState
) -> None:
    findings = await _findings(state, roaster["tenant_id"])
    by_fingerprint = {finding.fingerprint: finding for finding in findings}
    spike = by_fingerprint[f"anomaly:orders:day:{SPIKE_DAY.isoformat()}"]
    assert spike.kind == "anomaly" and spike.severity == "positive"
    assert spike.numbers["value"] == roaster["spike"]
    assert spike.numbers["typical"] == roaster["typical"]
    assert spike.numbers["z_score"] >= 3
    assert len(spike.numbers["baseline"]) == 8
    assert spike.sentence.startswith(f"Orders on Tuesday, 24 Nov were {int(roaster['spike'])},")
    assert "above a typical Tuesday" in spike.sentence
    assert spike.title == "Orders spiked on Tuesday"
    # The link to the chart: the orders per day of the last 8 weeks, the day highlighted.
    chart = spike.chart
    assert chart["type"] == "line" and chart["highlight"]["date"] == "2026-11-24"
    query = SemanticQuery.model_validate(chart["query"])
    assert query.metrics == ["orders"] and query.dimensions == ["date.day"]
    assert query.time_range is not None and query.time_range.end == SPIKE_DAY
    # A spike of the last day outranks the routine findings.
    assert max(findings, key=lambda finding: finding.score) is spike


async def test_every_kind_of_finding_on_the_demo_roaster(roaster: dict[str, Any], state: AppState) -> None:
    findings = await _findings(state, roaster["tenant_id"])
    kinds = {finding.kind for finding in findings}
    assert {"anomaly", "top_mover", "segment", "forecast"} <= kinds
    movers = [finding for finding in findings if finding.kind == "top_mover"]
    for dimension in ("product", "customer", "channel"):
        ups = [m for m in movers if m.numbers["dimension"] == dimension and m.numbers["delta"] > 0]
        downs = [m for m in movers if m.numbers["dimension"] == dimension and m.numbers["delta"] < 0]
        assert len(ups) <= 3 and len(downs) <= 3
        assert ups or downs, dimension
    for finding in findings:
        assert finding.severity in ("positive", "warning", "info")
        assert finding.sentence.endswith(".") and len(finding.fingerprint) <= 128
        assert finding.chart["type"] in ("line", "bar", "table")
        SemanticQuery.model_validate(finding.chart["query"])
    forecast = next(finding for finding in findings if finding.kind == "forecast")
    assert forecast.numbers["lower"] <= forecast.numbers["value"] <= forecast.numbers["upper"]


async def test_movers_match_the_revenue_by_channel(roaster: dict[str, Any], state: AppState) -> None:
    tenant_id = roaster["tenant_id"]
    findings = await _findings(state, tenant_id)
    channel_moves = [f for f in findings if f.kind == "top_mover" and f.numbers["dimension"] == "channel"]
    async with state.db.session(tenant_id) as session:
        for period, key in (
            ((date(2026, 10, 26), SPIKE_DAY), "value"),
            ((date(2026, 9, 26), date(2026, 10, 25)), "previous"),
        ):
            query = SemanticQuery(
                metrics=["revenue"],
                dimensions=["channel"],
                time_range=TimeRange(start=period[0], end=period[1]),
            )
            result = await service.run_query(session, tenant_id, query, now=NOW, use_cache=False)
            revenue = {row[0]: row[1] for row in result.rows}
            for move in channel_moves:
                assert move.numbers[key] == pytest.approx(revenue.get(move.numbers["name"], 0.0), abs=0.01)


async def test_stored_once_per_fingerprint_and_dismissal_sticks(
    roaster: dict[str, Any], state: AppState, http: httpx.AsyncClient
) -> None:
    account: Account = roaster["account"]
    tenant_id = roaster["tenant_id"]
    async with state.db.session(tenant_id) as session:
        first = await insights.refresh(session, tenant_id, now=NOW)
    listed = (await http.get(f"{BASE}/insights", params={"limit": 200}, headers=account.headers)).json()
    assert len(listed["insights"]) == first and listed["computed_at"]
    scores = [item["score"] for item in listed["insights"]]
    assert scores == sorted(scores, reverse=True)
    spike = next(item for item in listed["insights"] if item["title"] == "Orders spiked on Tuesday")

    dismissed = await http.post(f"{BASE}/insights/{spike['id']}/dismiss", headers=account.headers)
    assert dismissed.status_code == 200, dismissed.text
    async with state.db.session(tenant_id) as session:
        assert await insights.refresh(session, tenant_id, now=NOW) == first
    again = (await http.get(f"{BASE}/insights", params={"limit": 200}, headers=account.headers)).json()
    assert spike["id"] not in {item["id"] for item in again["insights"]}
    assert len(again["insights"]) == first - 1
    async with state.db.session(tenant_id) as session:
        stored = await session.scalar(
            select(func.count()).select_from(Insight).where(Insight.tenant_id == tenant_id)
        )
    assert stored == first  # recomputing updated the same rows, the dismissed one included

    only_segments = await http.get(f"{BASE}/insights", params={"kind": "segment"}, headers=account.headers)
    assert {item["kind"] for item in only_segments.json()["insights"]} == {"segment"}
    assert (
        len(
            (await http.get(f"{BASE}/insights", params={"limit": 2}, headers=account.headers)).json()[
                "insights"
            ]
        )
        == 2
    )


async def test_explanation_of_an_insight(
    roaster: dict[str, Any], state: AppState, http: httpx.AsyncClient
) -> None:
    account: Account = roaster["account"]
    async with state.db.session(roaster["tenant_id"]) as session:
        await insights.refresh(session, roaster["tenant_id"], now=NOW)
    listed = (await http.get(f"{BASE}/insights", params={"limit": 200}, headers=account.headers)).json()
    for item in listed["insights"]:
        response = await http.get(f"{BASE}/insights/{item['id']}/explanation", headers=account.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["insight"]["id"] == item["id"] and body["method"] and body["details"]
    missing = await http.get(f"{BASE}/insights/{uuid.uuid4()}/explanation", headers=account.headers)
    assert_problem(missing, 404, "RESOURCE_NOT_FOUND")


async def test_refresh_endpoint_recomputes_and_drops_what_no_longer_holds(
    roaster: dict[str, Any], state: AppState, http: httpx.AsyncClient
) -> None:
    account: Account = roaster["account"]
    async with state.db.session(roaster["tenant_id"]) as session:
        await insights.refresh(session, roaster["tenant_id"], now=NOW)
    before = (await http.get(f"{BASE}/insights", params={"limit": 200}, headers=account.headers)).json()
    # Refreshing now (days after the planted spike) no longer finds the spike of 24 Nov.
    response = await http.post(f"{BASE}/insights/refresh", headers=account.headers)
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["computed_at"] > before["computed_at"]
    assert not any(item["kind"] == "anomaly" and "24 Nov" in item["sentence"] for item in after["insights"])


# --- segments on a hand-computed customer base ---------------------------------------------------

# (recency in days before the last complete day, orders, each order's total): see the test below.
HAND_CUSTOMERS = {
    "c1": (0, 6, 100),
    "c2": (5, 1, 30),
    "c3": (10, 5, 80),
    "c4": (30, 2, 50),
    "c5": (60, 3, 60),
    "c6": (90, 1, 20),
    "c7": (150, 4, 90),
    "c8": (200, 1, 40),
    "c9": (300, 5, 100),
    "c10": (400, 1, 10),
}
HAND_SEGMENTS = {
    # R: -recency cut at the 2nd/4th/6th/8th values (-300, -150, -60, -10); F: 1, 1, 3, 5;
    # M: 20, 40, 180, 400; FM = (F + M + 1) // 2.
    "c1": (5, 5, 5, "champions"),
    "c2": (5, 1, 2, "potential_loyalists"),
    "c3": (4, 4, 4, "loyal"),
    "c4": (4, 3, 3, "potential_loyalists"),
    "c5": (3, 3, 3, "need_attention"),
    "c6": (3, 1, 1, "about_to_sleep"),
    "c7": (2, 4, 4, "at_risk"),
    "c8": (2, 1, 2, "hibernating"),
    "c9": (1, 4, 5, "cant_lose"),
    "c10": (1, 1, 1, "lost"),
}


@pytest.fixture(scope="module")
async def hand_made(http: httpx.AsyncClient, state: AppState) -> dict[str, Any]:
    account = await register(http, "Hand Counted Goods")
    tenant_id = uuid.UUID(account.tenant_id)
    today = datetime.now(UTC).date()
    as_of = today - timedelta(days=1)
    customers = [
        {"email": f"{key}@example.com", "name": key.upper(), "country": "", "city": "", "created_at": ""}
        for key in HAND_CUSTOMERS
    ]
    orders = []
    for key, (recency, count, total) in HAND_CUSTOMERS.items():
        for number in range(count):
            placed = as_of - timedelta(days=recency + 7 * number)
            orders.append(_hand_order(f"{key}-{number}", key, placed, "fulfilled", total))
    # Neither a cancelled order nor one placed today counts.
    orders.append(_hand_order("c10-cancelled", "c10", as_of, "cancelled", 5000))
    orders.append(_hand_order("c6-today", "c6", today, "paid", 20))
    for entity, rows in (("customers", customers), ("orders", orders)):
        result = await connectors.import_rows(state.db, tenant_id, entity, rows)
        assert result.rows_failed == 0, result.errors
    return {"account": account, "tenant_id": tenant_id, "as_of": as_of}


def _hand_order(number: str, key: str, placed: date, status: str, total: int) -> dict[str, str]:
    moment = datetime(placed.year, placed.month, placed.day, 0, 30, tzinfo=UTC)
    return {
        "order_number": number,
        "customer_email": f"{key}@example.com",
        "placed_at": moment.isoformat(),
        "status": status,
        "currency": "USD",
        "subtotal": f"{total}.00",
        "discount": "0.00",
        "tax": "0.00",
        "shipping": "0.00",
        "total": f"{total}.00",
        "channel": "web",
    }


async def test_rfm_scores_and_segments_match_the_hand_computation(
    hand_made: dict[str, Any], state: AppState
) -> None:
    async with state.db.session(hand_made["tenant_id"]) as session:
        result = await insights.rfm(session, hand_made["tenant_id"])
    assert result.as_of == hand_made["as_of"]
    scored = {customer.name.lower(): customer for customer in result.customers}
    assert set(scored) == set(HAND_CUSTOMERS)
    for key, (r, f, m, segment) in HAND_SEGMENTS.items():
        customer: CustomerRfm = scored[key]
        recency, count, total = HAND_CUSTOMERS[key]
        assert (customer.recency_days, customer.orders, customer.lifetime_revenue) == (
            recency,
            count,
            count * total,
        )
        assert (customer.r, (customer.f + customer.m + 1) // 2, customer.segment) == (
            r,
            (f + m + 1) // 2,
            segment,
        ), key
        assert (customer.f, customer.m) == (f, m), key
    # The last 365 days' revenue leaves out c10's order of 400 days ago.
    assert scored["c10"].revenue == 0 and scored["c9"].revenue == 500


async def test_segments_endpoint_counts_shares_and_pages_customers(
    hand_made: dict[str, Any], http: httpx.AsyncClient
) -> None:
    account: Account = hand_made["account"]
    response = await http.get(f"{BASE}/segments", headers=account.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_customers"] == 10 and body["total_revenue"] == 2230.0 and body["currency"] == "USD"
    counts = {segment["segment"]: segment["customers"] for segment in body["segments"]}
    expected: dict[str, int] = dict.fromkeys(insights.SEGMENTS, 0)
    for _, _, _, segment in HAND_SEGMENTS.values():
        expected[segment] += 1
    assert counts == expected
    champions = next(segment for segment in body["segments"] if segment["segment"] == "champions")
    assert champions["revenue"] == 600.0 and champions["revenue_share"] == round(600 / 2230, 4)
    assert champions["customer_share"] == 0.1

    page = await http.get(
        f"{BASE}/segments/potential_loyalists/customers", params={"limit": 1}, headers=account.headers
    )
    assert page.status_code == 200, page.text
    assert page.json()["total"] == 2
    assert [item["name"] for item in page.json()["items"]] == ["C4"]  # the bigger spender first
    second = await http.get(
        f"{BASE}/segments/potential_loyalists/customers",
        params={"limit": 1, "offset": 1},
        headers=account.headers,
    )
    assert [item["name"] for item in second.json()["items"]] == ["C2"]
    unknown = await http.get(f"{BASE}/segments/royalty/customers", headers=account.headers)
    assert unknown.status_code == 422


async def test_segment_insights_speak_of_counts_and_shares(
    hand_made: dict[str, Any], state: AppState
) -> None:
    async with state.db.session(hand_made["tenant_id"]) as session:
        result = await insights.rfm(session, hand_made["tenant_id"])
    findings = {finding.fingerprint: finding for finding in insights.segment_findings(result)}
    assert set(findings) == {
        "segment:champions",
        "segment:loyal",
        "segment:potential_loyalists",
        "segment:at_risk",
        "segment:cant_lose",
    }
    champions = findings["segment:champions"]
    assert champions.sentence == (
        "1 champion — recent, frequent, big spenders — brings 27 % of the last 12 months' revenue ($600)."
    )
    assert champions.numbers["customers"] == 1 and champions.chart["segment"] == "champions"
    at_risk = findings["segment:at_risk"]
    assert at_risk.severity == "warning"
    assert at_risk.sentence == (
        "1 customer who used to buy often is at risk: on average they last ordered 150 days ago; "
        "they have spent $360 in all."
    )


# --- the scheduled pass ---------------------------------------------------------------------------


async def test_schedule_recomputes_tenants_whose_findings_are_stale(
    hand_made: dict[str, Any], state: AppState
) -> None:
    schedules = await DBOS.list_schedules_async()
    assert any(schedule["schedule_name"] == "foundry-insights" for schedule in schedules)
    tenant_id = hand_made["tenant_id"]
    now = datetime.now(UTC)
    async with state.db.session(tenant_id) as session:
        await session.execute(Insight.__table__.delete().where(Insight.tenant_id == tenant_id))
    assert tenant_id in await insights.tenants_due(state.db, now)  # never computed
    assert await jobs.refresh_tenant_insights(str(tenant_id), now.isoformat()) > 0
    assert tenant_id not in await insights.tenants_due(state.db, now)
    async with state.db.session(tenant_id) as session:
        await dataversion.bump(session, tenant_id)
    assert tenant_id in await insights.tenants_due(state.db, now)  # its data changed
    assert str(tenant_id) in await jobs.stale_insight_tenants(now.isoformat())
    await jobs.refresh_tenant_insights(str(tenant_id), now.isoformat())
    assert tenant_id not in await insights.tenants_due(state.db, now)
    assert tenant_id in await insights.tenants_due(state.db, now + timedelta(days=1))  # a new day


# --- access ---------------------------------------------------------------------------------------


async def test_empty_tenant_gets_an_empty_feed(client: httpx.AsyncClient) -> None:
    account = await register(client, "Empty Shelves")
    response = await client.get(f"{BASE}/insights", headers=account.headers)
    assert response.status_code == 200, response.text
    assert response.json()["insights"] == []
    segments = (await client.get(f"{BASE}/segments", headers=account.headers)).json()
    assert segments["total_customers"] == 0 and all(s["customers"] == 0 for s in segments["segments"])


async def test_viewers_read_members_change_and_tenants_stay_apart(
    client: httpx.AsyncClient, hand_made: dict[str, Any], state: AppState
) -> None:
    owner: Account = hand_made["account"]
    async with state.db.session(hand_made["tenant_id"]) as session:
        await insights.refresh(session, hand_made["tenant_id"])
    listed = (await client.get(f"{BASE}/insights", headers=owner.headers)).json()["insights"]
    viewer = await add_member(client, owner, "viewer")
    assert (await client.get(f"{BASE}/insights", headers=viewer.headers)).status_code == 200
    assert_problem(
        await client.post(f"{BASE}/insights/refresh", headers=viewer.headers), 403, "PERMISSION_DENIED"
    )
    assert_problem(
        await client.post(f"{BASE}/insights/{listed[0]['id']}/dismiss", headers=viewer.headers),
        403,
        "PERMISSION_DENIED",
    )
    member = await add_member(client, owner, "member")
    assert (await client.post(f"{BASE}/insights/refresh", headers=member.headers)).status_code == 200

    stranger = await register(client, "Other Roasters")
    listed = (await client.get(f"{BASE}/insights", headers=owner.headers)).json()["insights"]
    assert_problem(
        await client.post(f"{BASE}/insights/{listed[0]['id']}/dismiss", headers=stranger.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
    assert (await client.get(f"{BASE}/segments", headers=stranger.headers)).json()["total_customers"] == 0

    modules = ["ops-copilot"]
    updated = await client.put("/api/organization", json={"modules": modules}, headers=stranger.headers)
    assert updated.status_code == 200, updated.text
    assert_problem(await client.get(f"{BASE}/insights", headers=stranger.headers), 403, "MODULE_DISABLED")
