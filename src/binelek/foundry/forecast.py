"""Forecasts of daily revenue and orders: additive Holt-Winters in numpy.

The model is ETS(A,Ad,A) — level, damped trend and a weekly season (m = 7), additive errors:

    forecast(t) = l(t-1) + phi·b(t-1) + s(t-m)
    e(t)        = y(t) - forecast(t)
    l(t)        = l(t-1) + phi·b(t-1) + alpha·e(t)
    b(t)        = phi·b(t-1) + beta·e(t)
    s(t)        = s(t-m) + gamma·e(t)

Parameters minimise the one-step squared error over a coarse grid, refined by a local search; every
candidate runs in the same numpy pass, so a fit over two years of days takes a few tens of
milliseconds. statsmodels would do the same with scipy and pandas behind it (~150 MB installed):
the model is small enough to own.

The trend is damped (phi ≤ 0.995, fitted): a run of good weeks should not be extrapolated into a
straight line for 90 days. Intervals are empirical: the fitted model forecasts from every past day,
and the 10th and 90th percentiles of its actual h-day-ahead errors are the 80 % band for horizon h
(skewed, as daily sales are). Backtested on the demo roaster's two years (origins every 14 days of
the second year), the band covered 79-88 % of held-out days (order counts, being whole numbers,
land on its ends more often); the textbook normal ETS band covered 84-98 %.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import NormalDist
from typing import Literal

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.foundry import engine, service
from binelek.foundry.schemas import MAX_LIMIT, ForecastOut, ForecastPoint, SemanticQuery, TimeRange
from binelek.kit import dataversion
from binelek.kit.cache import JsonCache
from binelek.kit.db import utcnow

Array = npt.NDArray[np.float64]
ForecastMetric = Literal["revenue", "orders"]
HORIZONS = (30, 60, 90)
SEASON = 7
INTERVAL = 0.8
HISTORY_DAYS = 730  # the fit's window: two years of days
HISTORY_SHOWN = 90  # days of actuals returned with the forecast, for the chart
MIN_HISTORY = 4 * SEASON  # fewer days than this: no forecast
METHOD = "holt_winters_additive"

# The starting grid. beta and gamma are fractions of their admissible range (beta < alpha,
# gamma < 1 - alpha).
ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7)
BETA_FRACTIONS = (0.0, 0.02, 0.1, 0.3)
GAMMA_FRACTIONS = (0.0, 0.05, 0.15, 0.4)
PHIS = (0.8, 0.9, 0.98)
REFINE_ROUNDS = 3


@dataclass(frozen=True, slots=True)
class Parameters:
    alpha: float
    beta: float
    gamma: float
    phi: float


@dataclass(frozen=True, slots=True)
class HoltWinters:
    """A fitted model: its parameters, its final state and its one-step fit."""

    parameters: Parameters
    level: float
    trend: float
    season: Array  # season[k] is the seasonal term of the k-th day after the last observation (mod m)
    fitted: Array  # one-step-ahead forecasts of the observations
    sse: float
    levels: Array  # level after each observation
    trends: Array
    seasons: Array  # (n, m): the seasonal terms of the next m days after each observation

    @property
    def residuals_std(self) -> float:
        return float(np.sqrt(self.sse / max(len(self.fitted) - 1, 1)))


@dataclass(frozen=True, slots=True)
class Prediction:
    mean: Array
    lower: Array
    upper: Array
    interval: float


def _initial_state(values: Array, season_length: int) -> tuple[float, float, Array]:
    """Level, trend and season before the first day, by least squares over the first weeks
    (intercept, slope and one term per weekday, the season summing to zero)."""
    span = min(len(values), 4 * season_length)
    days = np.arange(span, dtype=np.float64)
    design = np.zeros((span, 2 + season_length - 1))
    design[:, 0] = 1.0
    design[:, 1] = days
    for position in range(1, season_length):
        design[days.astype(int) % season_length == position, 1 + position] = 1.0
    coefficients, *_ = np.linalg.lstsq(design, values[:span], rcond=None)
    intercept, slope = float(coefficients[0]), float(coefficients[1])
    season = np.concatenate([[0.0], coefficients[2:]])
    intercept += float(season.mean())
    season = season - season.mean()
    return intercept - slope, slope, season


def _candidates(parameters: list[Parameters]) -> tuple[Array, Array, Array, Array]:
    return (
        np.array([p.alpha for p in parameters]),
        np.array([p.beta for p in parameters]),
        np.array([p.gamma for p in parameters]),
        np.array([p.phi for p in parameters]),
    )


def _sse(values: Array, season_length: int, parameters: list[Parameters]) -> Array:
    """One-step squared error of every candidate, run side by side."""
    alpha, beta, gamma, phi = _candidates(parameters)
    level0, trend0, season0 = _initial_state(values, season_length)
    count = len(parameters)
    level = np.full(count, level0)
    trend = np.full(count, trend0)
    season = np.tile(season0, (count, 1))
    sse = np.zeros(count)
    for t, observed in enumerate(values):
        index = t % season_length
        damped = phi * trend
        error = observed - (level + damped + season[:, index])
        sse += error * error
        level = level + damped + alpha * error
        trend = damped + beta * error
        season[:, index] += gamma * error
    return sse


def _admissible(alpha: float, beta_fraction: float, gamma_fraction: float, phi: float) -> Parameters:
    alpha = min(max(alpha, 0.001), 0.99)
    return Parameters(
        alpha=alpha,
        beta=alpha * min(max(beta_fraction, 0.0), 0.99),
        gamma=(1 - alpha) * min(max(gamma_fraction, 0.0), 0.99),
        phi=min(max(phi, 0.8), 0.995),
    )


def _fractions(parameters: Parameters) -> tuple[float, float, float, float]:
    return (
        parameters.alpha,
        parameters.beta / parameters.alpha,
        parameters.gamma / (1 - parameters.alpha),
        parameters.phi,
    )


def _around(value: float, step: float) -> tuple[float, float, float]:
    """A coordinate's neighbours for the local search; zero may step up to a small value."""
    if value == 0:
        return (0.0, 0.01 * step, 0.05 * step)
    return (value * (1 - step), value, value * (1 + step))


def _search(values: Array, season_length: int) -> Parameters:
    grid = [
        _admissible(alpha, beta, gamma, phi)
        for alpha in ALPHAS
        for beta in BETA_FRACTIONS
        for gamma in GAMMA_FRACTIONS
        for phi in PHIS
    ]
    best = grid[int(np.argmin(_sse(values, season_length, grid)))]
    step = 0.5
    for _ in range(REFINE_ROUNDS):
        # A local grid around the best point: each coordinate scaled down, kept, or scaled up.
        alpha, beta, gamma, phi = _fractions(best)
        local = [
            _admissible(alpha_option, beta_option, gamma_option, phi_option)
            for alpha_option in _around(alpha, step)
            for beta_option in _around(beta, step)
            for gamma_option in _around(gamma, step)
            for phi_option in (phi, phi + 0.02 * step, phi - 0.05 * step)
        ]
        local.append(best)
        best = local[int(np.argmin(_sse(values, season_length, local)))]
        step /= 2
    return best


def _run(values: Array, season_length: int, parameters: Parameters) -> HoltWinters:
    """One pass with chosen parameters, keeping every state (for the in-sample h-step errors)."""
    level, trend, season = _initial_state(values, season_length)
    season = season.copy()
    count = len(values)
    fitted = np.zeros(count)
    levels = np.zeros(count)
    trends = np.zeros(count)
    seasons = np.zeros((count, season_length))
    a, b, g, phi = parameters.alpha, parameters.beta, parameters.gamma, parameters.phi
    for t, observed in enumerate(values):
        index = t % season_length
        damped = phi * trend
        fitted[t] = level + damped + season[index]
        error = observed - fitted[t]
        level = level + damped + a * error
        trend = damped + b * error
        season[index] += g * error
        levels[t], trends[t] = level, trend
        seasons[t] = np.roll(season, -(t + 1) % season_length)
    residuals = values - fitted
    return HoltWinters(
        parameters=parameters,
        level=float(level),
        trend=float(trend),
        season=seasons[-1].copy(),
        fitted=fitted,
        sse=float(residuals @ residuals),
        levels=levels,
        trends=trends,
        seasons=seasons,
    )


def fit(values: npt.ArrayLike, season_length: int = SEASON) -> HoltWinters:
    """Fit additive Holt-Winters with a damped trend to a series of at least two seasons."""
    series = np.asarray(values, dtype=np.float64)
    if len(series) < 2 * season_length:
        raise ValueError(f"need at least {2 * season_length} observations, got {len(series)}")
    return _run(series, season_length, _search(series, season_length))


def _damped_sums(phi: float, horizon: int) -> Array:
    """phi + phi² + … + phi^h for h = 1..horizon."""
    return np.cumsum(phi ** np.arange(1, horizon + 1))


def point_forecast(model: HoltWinters, horizon: int) -> Array:
    steps = np.arange(horizon)
    season = model.season[steps % len(model.season)]
    return model.level + _damped_sums(model.parameters.phi, horizon) * model.trend + season


def _forecasts_from_every_origin(model: HoltWinters, horizon: int) -> Array:
    """(origins, horizon): the forecast made after each observation for the next `horizon` days."""
    season_length = model.seasons.shape[1]
    steps = np.arange(horizon)
    damped = _damped_sums(model.parameters.phi, horizon)
    return (
        model.levels[:, None]
        + model.trends[:, None] * damped[None, :]
        + model.seasons[:, steps % season_length]
    )


MIN_ERRORS = 2 * SEASON  # fewer h-step errors than this: extrapolate that horizon's band


def _warmup(model: HoltWinters, count: int) -> int:
    """Origins left out of the in-sample errors while the state settles."""
    return min(4 * int(model.seasons.shape[1]), count // 4)


def _ets_spread(model: HoltWinters, horizon: int) -> Array:
    """The textbook ETS(A,Ad,A) standard deviation of the h-step error, h = 1..horizon:
    sigma·sqrt(1 + sum of c_j² for j < h), c_j = alpha + beta·(phi + … + phi^j) + gamma·[j ≡ 0 mod m]."""
    p = model.parameters
    season_length = model.seasons.shape[1]
    steps = np.arange(1, horizon)
    c = p.alpha + p.beta * _damped_sums(p.phi, horizon - 1) + p.gamma * (steps % season_length == 0)
    spread: Array = model.residuals_std * np.sqrt(1 + np.concatenate([[0.0], np.cumsum(c * c)]))
    return spread


def error_band(
    model: HoltWinters, values: npt.ArrayLike, horizon: int, *, interval: float = INTERVAL
) -> tuple[Array, Array]:
    """What to add to the point forecast for the interval's lower and upper ends, h = 1..horizon.

    Empirical: the model, as fitted, forecasts from every past day, and the interval's quantiles of
    its actual h-day-ahead errors are the band (skewed, as daily sales are). The first weeks are
    left out while the state settles. A horizon with too few past errors takes the widest measured
    band grown by sqrt(h / h_measured); with none at all, the textbook normal band."""
    series = np.asarray(values, dtype=np.float64)
    count = len(series)
    warmup = _warmup(model, count)
    forecasts = _forecasts_from_every_origin(model, horizon)
    tail = (1 - interval) / 2
    lower = np.full(horizon, np.nan)
    upper = np.full(horizon, np.nan)
    for h in range(1, horizon + 1):
        origins = np.arange(warmup, count - h)
        if len(origins) < MIN_ERRORS:
            break
        errors = series[origins + h] - forecasts[origins, h - 1]
        lower[h - 1], upper[h - 1] = np.quantile(errors, [tail, 1 - tail])
    measured = int(np.count_nonzero(~np.isnan(lower)))
    if measured == 0:
        half_width = NormalDist().inv_cdf(1 - tail) * _ets_spread(model, horizon)
        return -half_width, half_width
    growth = np.sqrt(np.arange(measured + 1, horizon + 1) / measured)
    lower[measured:] = lower[measured - 1] * growth
    upper[measured:] = upper[measured - 1] * growth
    return np.minimum(lower, 0.0), np.maximum(upper, 0.0)


def total_band(
    model: HoltWinters, values: npt.ArrayLike, horizon: int, *, interval: float = INTERVAL
) -> tuple[float, float] | None:
    """What to add to the forecast's total over the next `horizon` days for the interval's ends, from
    the in-sample errors of past `horizon`-day totals (None when history is too short to tell).
    Summing the daily bands would overstate it: daily errors partly cancel out."""
    series = np.asarray(values, dtype=np.float64)
    count = len(series)
    origins = np.arange(_warmup(model, count), count - horizon)
    if len(origins) < MIN_ERRORS:
        return None
    forecasts = _forecasts_from_every_origin(model, horizon)[origins]
    actual = series[origins[:, None] + np.arange(1, horizon + 1)[None, :]]
    tail = (1 - interval) / 2
    lower, upper = np.quantile((actual - forecasts).sum(axis=1), [tail, 1 - tail])
    return min(float(lower), 0.0), max(float(upper), 0.0)


def predict(
    model: HoltWinters, values: npt.ArrayLike, horizon: int, *, interval: float = INTERVAL
) -> Prediction:
    mean = point_forecast(model, horizon)
    lower, upper = error_band(model, values, horizon, interval=interval)
    return Prediction(mean=mean, lower=mean + lower, upper=mean + upper, interval=interval)


# --- forecasts of the tenant's metrics ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetricForecast:
    """A metric's daily history (from its first non-zero day) and, with enough of it, the forecast."""

    metric: str
    horizon: int
    last_day: date  # the last complete day: the forecast starts the day after
    days: list[date]
    values: list[float]
    prediction: Prediction | None
    total: float | None  # the forecast's total over the horizon
    total_range: tuple[float, float] | None  # its interval

    def points(self) -> list[ForecastPoint]:
        if self.prediction is None:
            return []
        return [
            ForecastPoint(
                date=self.last_day + timedelta(days=step + 1),
                # Sales are never negative: the band stops at zero.
                value=round(max(float(self.prediction.mean[step]), 0.0), 2),
                lower=round(max(float(self.prediction.lower[step]), 0.0), 2),
                upper=round(max(float(self.prediction.upper[step]), 0.0), 2),
            )
            for step in range(self.horizon)
        ]


def _trim_leading_zeros(days: list[date], values: list[float]) -> tuple[list[date], list[float]]:
    """Days before the first sale are before the business (or its data) started, not zero-sale days."""
    for index, value in enumerate(values):
        if value != 0:
            return days[index:], values[index:]
    return [], []


async def daily_series(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    metric: str,
    first: date,
    last: date,
    *,
    timezone: str,
    now: datetime,
) -> tuple[list[date], list[float]]:
    """The metric per day from `first` to `last` (inclusive, tenant time zone), empty days as 0."""
    query = SemanticQuery(
        metrics=[metric],
        dimensions=["date.day"],
        time_range=TimeRange(start=first, end=last),
        limit=MAX_LIMIT,
    )
    result = await service.run_query(session, tenant_id, query, now=now, timezone=timezone, use_cache=False)
    by_day = {date.fromisoformat(str(row[0])[:10]): float(row[1] or 0.0) for row in result.rows}
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    return days, [by_day.get(day, 0.0) for day in days]


def last_complete_day(now: datetime, timezone: str) -> date:
    return now.astimezone(engine.zone(timezone)).date() - timedelta(days=1)


async def metric_forecast(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    metric: str,
    horizon: int,
    *,
    now: datetime,
    timezone: str,
) -> MetricForecast:
    last = last_complete_day(now, timezone)
    first = last - timedelta(days=HISTORY_DAYS - 1)
    days, values = await daily_series(session, tenant_id, metric, first, last, timezone=timezone, now=now)
    days, values = _trim_leading_zeros(days, values)
    if len(values) < MIN_HISTORY:
        return MetricForecast(metric, horizon, last, days, values, None, None, None)
    model = fit(values)
    prediction = predict(model, values, horizon)
    total = max(float(prediction.mean.sum()), 0.0)
    band = total_band(model, values, horizon)
    total_range = None if band is None else (max(total + band[0], 0.0), total + band[1])
    return MetricForecast(metric, horizon, last, days, values, prediction, total, total_range)


async def forecast_metric(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    metric: ForecastMetric,
    horizon: int,
    *,
    now: datetime | None = None,
    cache: JsonCache | None = None,
) -> ForecastOut:
    """The next `horizon` days of a daily metric after the last complete day, with an 80 % interval;
    cached per data version and day (the fit is the slow part)."""
    now = now or utcnow()
    timezone = await service.tenant_timezone(session, tenant_id)
    key = None
    if cache is not None:
        version, _ = await dataversion.current(session, tenant_id)
        day = last_complete_day(now, timezone)
        key = f"foundry:forecast:{tenant_id}:{version}:{metric}:{horizon}:{day.isoformat()}:{timezone}"
        hit = await cache.get(key)
        if hit is not None:
            return ForecastOut.model_validate(hit)
    result = await metric_forecast(session, tenant_id, metric, horizon, now=now, timezone=timezone)
    history = [
        {"date": day.isoformat(), "value": value}
        for day, value in zip(result.days[-HISTORY_SHOWN:], result.values[-HISTORY_SHOWN:], strict=True)
    ]
    out = ForecastOut(
        metric=metric,
        horizon_days=horizon,
        history=history,
        forecast=result.points(),
        method=METHOD if result.prediction is not None else "insufficient_history",
        interval=INTERVAL,
    )
    if key is not None and cache is not None:
        await cache.set(key, out.model_dump(mode="json"))
    return out
