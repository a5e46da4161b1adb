"""Mini Foundry's files and e-mails: dashboard PDFs, query and widget exports (CSV, XLSX), and the
scheduled report e-mails."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from binelek.audit import service as audit
from binelek.foundry import engine, exports, reports, service
from binelek.foundry.render.dashboard import PageContext
from binelek.foundry.router import ViewerFilters
from binelek.foundry.schemas import ReportScheduleIn, ReportScheduleOut, SemanticQuery, TimePreset
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.errors import PROBLEM_MEDIA_TYPE, Problem, ResourceNotFound
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, get_state

router = APIRouter(prefix="/api/modules/mini-foundry", tags=["mini-foundry"])
Reader = Annotated[Principal, Depends(require("foundry:read"))]
Writer = Annotated[Principal, Depends(require("foundry:write"))]
State = Annotated[AppState, Depends(get_state)]
Meta = Annotated[RequestMeta, Depends(request_meta)]
FormatParam = Annotated[Literal["csv", "xlsx"], Query(alias="format", description="csv or xlsx")]
CompareParam = Literal["previous_period", "previous_year", "none"]


def _file_doc(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
            "description": description,
        }
    }


def _problem_doc(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_MEDIA_TYPE: {}}}


SPREADSHEET_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The rows as a CSV (UTF-8) or XLSX file",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            exports.MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def _file_response(content: bytes, media_type: str, name: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": exports.content_disposition(name), "Cache-Control": "no-store"},
    )


def _local_today(timezone: str) -> date:
    return datetime.now(UTC).astimezone(engine.zone(timezone)).date()


@router.get(
    "/dashboards/{dashboard_id}/export.pdf",
    response_class=Response,
    responses=_file_doc("application/pdf", "The dashboard as an A4 landscape PDF"),
)
async def export_dashboard_pdf(
    dashboard_id: uuid.UUID,
    principal: Reader,
    session: TenantSession,
    state: State,
    preset: TimePreset | None = None,
    start: date | None = None,
    end: date | None = None,
    compare: CompareParam | None = None,
    filters: ViewerFilters = None,
) -> Response:
    """The dashboard as printed: its period and filters (or the viewer's, given here), every widget."""
    tenant_id = principal.tenant_id
    dashboard = await service.get_dashboard(session, tenant_id, dashboard_id)
    viewer_filters = service.parse_filters(filters)
    if viewer_filters is not None:
        dashboard = dashboard.model_copy(update={"filters": viewer_filters})
    data = await service.dashboard_data(
        session,
        tenant_id,
        dashboard_id,
        range_override=service.period_override(preset, start, end),
        compare_override=compare,
        filters_override=viewer_filters,
        cache=state.cache,
    )
    timezone = await service.tenant_timezone(session, tenant_id)
    context = PageContext(
        principal.tenant_name, timezone, datetime.now(UTC).astimezone(engine.zone(timezone))
    )
    pdf = await exports.render_dashboard_pdf(dashboard, data, context)
    name = exports.filename(dashboard.name, "pdf", day=_local_today(timezone))
    return _file_response(pdf, exports.MEDIA_TYPES["pdf"], name)


@router.post("/export", response_class=Response, responses=SPREADSHEET_DOC)
async def export_query(
    body: SemanticQuery, principal: Reader, session: TenantSession, state: State, export_format: FormatParam
) -> Response:
    """A semantic query's rows as a file, columns labelled."""
    result = await service.run_query(session, principal.tenant_id, body, cache=state.cache)
    title = exports.query_title(result)
    timezone = await service.tenant_timezone(session, principal.tenant_id)
    content = exports.render_query(result, export_format, title=title)
    name = exports.filename(title, export_format, day=_local_today(timezone))
    return _file_response(content, exports.MEDIA_TYPES[export_format], name)


@router.get(
    "/dashboards/{dashboard_id}/widgets/{widget_id}/export",
    response_class=Response,
    responses=SPREADSHEET_DOC,
)
async def export_widget(
    dashboard_id: uuid.UUID,
    widget_id: uuid.UUID,
    principal: Reader,
    session: TenantSession,
    state: State,
    export_format: FormatParam,
    preset: TimePreset | None = None,
    start: date | None = None,
    end: date | None = None,
    compare: CompareParam | None = None,
    filters: ViewerFilters = None,
) -> Response:
    """One widget's data with the dashboard's period and filters (or the viewer's, given here)."""
    tenant_id = principal.tenant_id
    dashboard = await service.get_dashboard(session, tenant_id, dashboard_id)
    widget = next((item for item in dashboard.widgets if item.id == widget_id), None)
    if widget is None:
        raise ResourceNotFound("No such widget on this dashboard.")
    chosen = compare if compare is not None else dashboard.compare
    query = service.widget_query(
        widget,
        dashboard,
        service.period_override(preset, start, end),
        None if chosen == "none" else chosen,
        service.parse_filters(filters),
    )
    result = await service.run_query(session, tenant_id, query, cache=state.cache)
    timezone = await service.tenant_timezone(session, tenant_id)
    content = exports.render_query(result, export_format, title=widget.title)
    name = exports.filename(f"{dashboard.name} {widget.title}", export_format, day=_local_today(timezone))
    return _file_response(content, exports.MEDIA_TYPES[export_format], name)


@router.get("/reports", response_model=list[ReportScheduleOut])
async def list_reports(principal: Reader, session: TenantSession) -> list[ReportScheduleOut]:
    """The organization's scheduled report e-mails."""
    return [reports.schedule_out(item) for item in await reports.list_schedules(session, principal.tenant_id)]


@router.post("/reports", response_model=ReportScheduleOut, status_code=status.HTTP_201_CREATED)
async def create_report(
    body: ReportScheduleIn, principal: Writer, session: TenantSession, meta: Meta
) -> ReportScheduleOut:
    """Schedule a report e-mail. Members may send to members; only admins to other addresses."""
    return reports.schedule_out(await reports.create_schedule(session, principal, body, meta))


@router.patch("/reports/{report_id}", response_model=ReportScheduleOut)
async def update_report(
    report_id: uuid.UUID,
    body: reports.ReportSchedulePatch,
    principal: Writer,
    session: TenantSession,
    meta: Meta,
) -> ReportScheduleOut:
    return reports.schedule_out(await reports.update_schedule(session, principal, report_id, body, meta))


@router.delete("/reports/{report_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_report(
    report_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> Response:
    await reports.delete_schedule(session, principal, report_id, meta)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/reports/{report_id}/send",
    response_model=ReportScheduleOut,
    responses={
        409: _problem_doc("E-mail (SMTP) is not set up on this server"),
        502: _problem_doc("The mail server refused the report for every recipient"),
    },
)
async def send_report(
    report_id: uuid.UUID, principal: Writer, session: TenantSession, state: State, meta: Meta
) -> ReportScheduleOut:
    """Send the report now; its schedule is unchanged. Partial failures show in `last_error`."""
    schedule = await reports.send_now(state.db, state.settings, principal.tenant_id, report_id)
    audit.record_for(session, principal, "foundry.report.sent", meta, report_id=str(report_id))
    return reports.schedule_out(schedule)
