"""Mini Foundry's metrics and dashboards endpoints: thin, typed, tenant-scoped."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import JSONResponse

from binelek.audit import service as audit
from binelek.foundry import service
from binelek.foundry.schemas import (
    CustomMetricIn,
    DashboardCreate,
    DashboardDataOut,
    DashboardIn,
    DashboardOut,
    DashboardSummaryOut,
    DrillDownIn,
    DrillDownOut,
    MetricCatalogOut,
    MetricOut,
    QueryResult,
    SemanticQuery,
    TemplateOut,
    TimePreset,
)
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, get_state

router = APIRouter(prefix="/api/modules/mini-foundry", tags=["mini-foundry"])
Reader = Annotated[Principal, Depends(require("foundry:read"))]
Writer = Annotated[Principal, Depends(require("foundry:write"))]
State = Annotated[AppState, Depends(get_state)]
Meta = Annotated[RequestMeta, Depends(request_meta)]
ViewerFilters = Annotated[
    str | None,
    Query(
        max_length=10_000,
        description="The viewer's filters instead of the saved ones: a JSON list of "
        '{"dimension", "op", "values"}.',
    ),
]


@router.get("/metrics", response_model=MetricCatalogOut)
async def list_metrics(principal: Reader, session: TenantSession) -> MetricCatalogOut:
    return await service.catalog(session, principal.tenant_id)


@router.post("/metrics/custom", response_model=MetricOut, status_code=status.HTTP_201_CREATED)
async def create_custom_metric(
    body: CustomMetricIn, principal: Writer, session: TenantSession, meta: Meta
) -> MetricOut:
    metric = await service.create_custom_metric(session, principal.tenant_id, body, principal.user_id)
    audit.record_for(session, principal, "foundry.metric.created", meta, metric=metric.name)
    catalog = await service.catalog(session, principal.tenant_id)
    return next(item for item in catalog.metrics if item.custom and item.name == metric.name)


@router.delete("/metrics/custom/{metric_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_custom_metric(
    metric_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> Response:
    await service.delete_custom_metric(session, principal.tenant_id, metric_id)
    audit.record_for(session, principal, "foundry.metric.deleted", meta, metric_id=str(metric_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/metrics/query", response_model=QueryResult)
async def query_metrics(
    body: SemanticQuery, principal: Reader, session: TenantSession, state: State
) -> QueryResult:
    return await service.run_query(session, principal.tenant_id, body, cache=state.cache)


@router.post("/metrics/drill-down", response_model=DrillDownOut)
async def drill_down(body: DrillDownIn, principal: Reader, session: TenantSession) -> DrillDownOut:
    return await service.drill_down(session, principal.tenant_id, body)


@router.get("/dashboards", response_model=list[DashboardSummaryOut])
async def list_dashboards(principal: Reader, session: TenantSession) -> list[DashboardSummaryOut]:
    return await service.list_dashboards(session, principal.tenant_id)


@router.get("/dashboards/templates", response_model=list[TemplateOut])
async def list_templates(principal: Reader) -> list[TemplateOut]:
    return service.templates()


@router.post("/dashboards", response_model=DashboardOut, status_code=status.HTTP_201_CREATED)
async def create_dashboard(
    body: DashboardCreate, principal: Writer, session: TenantSession, meta: Meta
) -> DashboardOut:
    dashboard = await service.create_dashboard(session, principal.tenant_id, body, principal.user_id)
    audit.record_for(session, principal, "foundry.dashboard.created", meta, dashboard_id=str(dashboard.id))
    return dashboard


@router.get("/dashboards/{dashboard_id}", response_model=DashboardOut)
async def get_dashboard(dashboard_id: uuid.UUID, principal: Reader, session: TenantSession) -> DashboardOut:
    return await service.get_dashboard(session, principal.tenant_id, dashboard_id)


@router.put("/dashboards/{dashboard_id}", response_model=DashboardOut)
async def update_dashboard(
    dashboard_id: uuid.UUID, body: DashboardIn, principal: Writer, session: TenantSession, meta: Meta
) -> DashboardOut:
    dashboard = await service.update_dashboard(session, principal.tenant_id, dashboard_id, body)
    audit.record_for(session, principal, "foundry.dashboard.updated", meta, dashboard_id=str(dashboard_id))
    return dashboard


@router.delete("/dashboards/{dashboard_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_dashboard(
    dashboard_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> Response:
    await service.delete_dashboard(session, principal.tenant_id, dashboard_id)
    audit.record_for(session, principal, "foundry.dashboard.deleted", meta, dashboard_id=str(dashboard_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/dashboards/{dashboard_id}/data", response_model=DashboardDataOut)
async def dashboard_data(
    dashboard_id: uuid.UUID,
    principal: Reader,
    session: TenantSession,
    state: State,
    preset: TimePreset | None = None,
    start: date | None = None,
    end: date | None = None,
    compare: Annotated[Literal["previous_period", "previous_year", "none"] | None, Query()] = None,
    filters: ViewerFilters = None,
) -> JSONResponse:
    """Every widget's data with the dashboard's period and filters, or the period given here."""
    override = service.period_override(preset, start, end)
    data = await service.dashboard_data_json(
        session,
        principal.tenant_id,
        dashboard_id,
        range_override=override,
        compare_override=compare,
        filters_override=service.parse_filters(filters),
        cache=state.cache,
    )
    # Already JSON (often straight from the cache): answered as is, without validating it again.
    return JSONResponse(data)
