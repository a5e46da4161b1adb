"""Mini Foundry's insights, customer segments and forecasts endpoints."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from binelek.audit import service as audit
from binelek.foundry import forecast, insights
from binelek.foundry.insights import (
    InsightExplanationOut,
    InsightKind,
    Segment,
    SegmentCustomerOut,
    SegmentsOut,
)
from binelek.foundry.schemas import ForecastOut, InsightOut, InsightsOut
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.errors import ValidationFailed
from binelek.kit.pagination import Page, Paging
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, get_state

router = APIRouter(prefix="/api/modules/mini-foundry", tags=["mini-foundry"])
Reader = Annotated[Principal, Depends(require("foundry:read"))]
Writer = Annotated[Principal, Depends(require("foundry:write"))]
State = Annotated[AppState, Depends(get_state)]
Meta = Annotated[RequestMeta, Depends(request_meta)]


@router.get("/insights", response_model=InsightsOut)
async def list_insights(
    principal: Reader,
    session: TenantSession,
    kind: InsightKind | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> InsightsOut:
    """The current findings, most important first (computed on first use, then daily and on new data)."""
    return await insights.list_insights(session, principal.tenant_id, kind=kind, limit=limit)


@router.post("/insights/refresh", response_model=InsightsOut)
async def refresh_insights(principal: Writer, session: TenantSession) -> InsightsOut:
    """Recompute the findings now."""
    await insights.refresh(session, principal.tenant_id)
    return await insights.list_insights(session, principal.tenant_id, compute_missing=False)


@router.get("/insights/{insight_id}/explanation", response_model=InsightExplanationOut)
async def explain_insight(
    insight_id: uuid.UUID, principal: Reader, session: TenantSession
) -> InsightExplanationOut:
    """How a finding was reached and the numbers behind it."""
    return await insights.explain(session, principal.tenant_id, insight_id)


@router.post("/insights/{insight_id}/dismiss", response_model=InsightOut)
async def dismiss_insight(
    insight_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> InsightOut:
    """Hide a finding; recomputing the same finding keeps it hidden."""
    dismissed = await insights.dismiss(session, principal.tenant_id, insight_id)
    audit.record_for(session, principal, "foundry.insight.dismissed", meta, insight=str(insight_id))
    return dismissed


@router.get("/segments", response_model=SegmentsOut)
async def customer_segments(principal: Reader, session: TenantSession) -> SegmentsOut:
    """Customers by RFM segment: how many, and their share of the last 12 months' revenue."""
    return await insights.segments(session, principal.tenant_id)


@router.get("/segments/{segment}/customers", response_model=Page[SegmentCustomerOut])
async def segment_customers(
    segment: Segment, principal: Reader, session: TenantSession, paging: Paging
) -> Page[SegmentCustomerOut]:
    """A segment's customers with their scores, the biggest spenders first."""
    return await insights.segment_customers(session, principal.tenant_id, segment, paging)


@router.get("/forecast", response_model=ForecastOut)
async def forecast_metric(
    principal: Reader,
    session: TenantSession,
    state: State,
    metric: forecast.ForecastMetric = "revenue",
    horizon: Annotated[int, Query(description="Days ahead: 30, 60 or 90.")] = 30,
) -> ForecastOut:
    """Daily revenue or orders for the next 30, 60 or 90 days, with an 80 % interval."""
    if horizon not in forecast.HORIZONS:
        message = "Input should be 30, 60 or 90"
        error = {"loc": ["query", "horizon"], "msg": message, "type": "value_error"}
        raise ValidationFailed(f"horizon: {message}", errors=[error])
    return await forecast.forecast_metric(session, principal.tenant_id, metric, horizon, cache=state.cache)
