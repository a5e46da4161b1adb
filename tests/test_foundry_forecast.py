"""Forecasts: Holt-Winters recovers a known trend and weekly season, its 80 % interval covers about
80 % of held-out days, and the endpoint forecasts the demo roaster's revenue and orders."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI

from binelek.demo import load_business_data
from binelek.foundry import forecast, service
from binelek.foundry.schemas import SemanticQuery, TimeRange
from binelek.kit import dataversion
from binelek.kit.state import AppState
from tests.conftest import add_member, assert_problem, register

BASE = "/api/modules/mini-foundry"
TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SEASON = np.array([5.0, -3.0, -2.0, 0.0, 4.0, 10.0, -14.0])


def _synthetic(seed: int, days: int, slope: float = 0.2, noise: float = 5.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    return 100 + slope * t + SEASON[t % 7] + rng.normal(0, noise, days)


# --- the model on known series --------------------------------------------------------------------


def test_recovers_trend_and_weekly_season() -> None:
    history, future = 730, 90
    series = _synthetic(1, history + future)
    model = forecast.fit(series[:history])
    assert model.trend == pytest.approx(0.2, abs=0.05)
    p = model.parameters
    assert 0 < p.alpha < 1 and 0 <= p.beta < p.alpha and 0 <= p.gamma < 1 - p.alpha and 0.8 <= p.phi <= 0.995
    # The seasonal shape, up to a constant the level absorbs.
    t = np.arange(history, history + 7)
    fitted_shape = model.season - model.season.mean()
    assert np.corrcoef(fitted_shape, SEASON[t % 7])[0, 1] > 0.95
    # The point forecast tracks the noiseless truth over 90 days.
    truth = (
        100 + 0.2 * np.arange(history, history + future) + SEASON[np.arange(history, history + future) % 7]
    )
    assert np.mean(np.abs(forecast.point_forecast(model, future) - truth)) < 5.0


def test_interval_covers_about_80_percent_of_held_out_days() -> None:
    covered: list[float] = []
    for seed in range(20):
        series = _synthetic(100 + seed, 400 + 30, slope=0.05 * (seed % 5), noise=4.0 + seed % 3)
        history, held_out = series[:400], series[400:]
        model = forecast.fit(history)
        prediction = forecast.predict(model, history, 30)
        assert np.all(prediction.lower <= prediction.mean) and np.all(prediction.mean <= prediction.upper)
        covered.append(float(np.mean((held_out >= prediction.lower) & (held_out <= prediction.upper))))
    assert 0.72 <= float(np.mean(covered)) <= 0.88


def test_interval_widens_with_the_horizon_and_the_total_has_its_own_band() -> None:
    series = _synthetic(7, 500)
    model = forecast.fit(series)
    prediction = forecast.predict(model, series, 90)
    width = prediction.upper - prediction.lower
    assert width[-7:].mean() > width[:7].mean()
    band = forecast.total_band(model, series, 30)
    assert band is not None and band[0] < 0 < band[1]
    # The total's band is narrower than the sum of the daily bands: daily errors partly cancel out.
    assert band[1] - band[0] < float(width[:30].sum())


def test_short_series() -> None:
    with pytest.raises(ValueError, match="at least 14"):
        forecast.fit([1.0] * 13)
    series = _synthetic(3, 30)
    model = forecast.fit(series)
    prediction = forecast.predict(model, series, 90)  # longer than the history: the band is extrapolated
    assert np.all(np.isfinite(prediction.lower)) and np.all(np.isfinite(prediction.upper))
    assert forecast.total_band(model, series, 30) is None


# --- the demo roaster -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="module")
async def roaster(http: httpx.AsyncClient, state: AppState) -> dict[str, Any]:
    account = await register(http, "Forecast Roasters")
    tenant_id = uuid.UUID(account.tenant_id)
    await load_business_data(state.db, tenant_id, scale=0.02, today=TODAY)
    return {"account": account, "tenant_id": tenant_id}


async def test_forecast_of_demo_revenue_and_orders(roaster: dict[str, Any], state: AppState) -> None:
    tenant_id = roaster["tenant_id"]
    async with state.db.session(tenant_id) as session:
        revenue = await forecast.forecast_metric(session, tenant_id, "revenue", 90, now=NOW)
        orders = await forecast.forecast_metric(session, tenant_id, "orders", 30, now=NOW)
        query = SemanticQuery(
            metrics=["revenue"],
            dimensions=["date.day"],
            time_range=TimeRange(start=TODAY - timedelta(days=90), end=TODAY - timedelta(days=1)),
        )
        actual = await service.run_query(session, tenant_id, query, now=NOW, use_cache=False)
    assert revenue.method == "holt_winters_additive" and revenue.interval == 0.8
    assert [point.date for point in revenue.forecast] == [TODAY + timedelta(days=d) for d in range(90)]
    assert all(0 <= point.lower <= point.value <= point.upper for point in revenue.forecast)
    assert revenue.history == [{"date": row[0], "value": row[1]} for row in actual.rows]
    assert len(orders.forecast) == 30 and orders.history[-1]["date"] == "2026-11-24"
    # The demo roaster sells around a bag a day at this scale: the forecast is of that order.
    mean_orders = float(np.mean([point.value for point in orders.forecast]))
    recent_orders = float(np.mean([item["value"] for item in orders.history[-90:]]))
    assert 0.3 * recent_orders <= mean_orders <= 3 * recent_orders


async def test_held_out_month_of_demo_revenue_is_mostly_inside_the_band(
    roaster: dict[str, Any], state: AppState
) -> None:
    """Forecast from 25 Oct, with the data after it held out."""
    tenant_id = roaster["tenant_id"]
    origin = NOW - timedelta(days=31)
    async with state.db.session(tenant_id) as session:
        predicted = await forecast.forecast_metric(session, tenant_id, "revenue", 30, now=origin)
        later = await forecast.forecast_metric(session, tenant_id, "revenue", 30, now=NOW)
    actual = {item["date"]: item["value"] for item in later.history}
    inside = [point.lower <= actual[point.date.isoformat()] <= point.upper for point in predicted.forecast]
    assert 0.6 <= sum(inside) / len(inside) <= 1.0


async def test_endpoint_validates_and_caches_per_data_version(
    roaster: dict[str, Any], state: AppState, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = roaster["account"]
    fits: list[int] = []
    real_fit = forecast.fit

    def counting_fit(values: Any, season_length: int = forecast.SEASON) -> forecast.HoltWinters:
        fits.append(1)
        return real_fit(values, season_length)

    monkeypatch.setattr(forecast, "fit", counting_fit)
    params = {"metric": "orders", "horizon": 60}
    first = await http.get(f"{BASE}/forecast", params=params, headers=account.headers)
    assert first.status_code == 200, first.text
    assert first.json()["horizon_days"] == 60 and len(first.json()["forecast"]) == 60
    second = await http.get(f"{BASE}/forecast", params=params, headers=account.headers)
    assert second.json() == first.json() and len(fits) == 1
    async with state.db.session(roaster["tenant_id"]) as session:
        await dataversion.bump(session, roaster["tenant_id"])
    await http.get(f"{BASE}/forecast", params=params, headers=account.headers)
    assert len(fits) == 2

    default = await http.get(f"{BASE}/forecast", headers=account.headers)
    assert default.json()["metric"] == "revenue" and default.json()["horizon_days"] == 30
    bad_horizon = await http.get(f"{BASE}/forecast", params={"horizon": 45}, headers=account.headers)
    assert_problem(bad_horizon, 422, "VALIDATION_ERROR")
    bad_metric = await http.get(f"{BASE}/forecast", params={"metric": "profit"}, headers=account.headers)
    assert_problem(bad_metric, 422, "VALIDATION_ERROR")


async def test_viewer_reads_and_a_new_business_has_no_forecast_yet(
    client: httpx.AsyncClient, roaster: dict[str, Any]
) -> None:
    viewer = await add_member(client, roaster["account"], "viewer")
    assert (await client.get(f"{BASE}/forecast", headers=viewer.headers)).status_code == 200
    newcomer = await register(client, "Brand New Beans")
    response = await client.get(f"{BASE}/forecast", params={"horizon": 90}, headers=newcomer.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "insufficient_history" and body["forecast"] == [] and body["history"] == []
