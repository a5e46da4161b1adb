"""Mini Foundry's rules: running semantic queries (cached by the tenant's data version), the metric
catalogue and custom metrics, dashboards and their data, templates."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any, get_args

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.foundry import engine, repository, semantic
from binelek.foundry.engine import Context, QueryInvalid, ResolvedMetric, ResolvedRange
from binelek.foundry.models import CustomMetric, Dashboard, Widget
from binelek.foundry.schemas import (
    CustomMetricIn,
    DashboardCreate,
    DashboardDataOut,
    DashboardIn,
    DashboardOut,
    DashboardSummaryOut,
    DimensionOut,
    DrillDownIn,
    DrillDownOut,
    Filter,
    MetricCatalogOut,
    MetricOut,
    QueryResult,
    SemanticQuery,
    TemplateOut,
    TimePreset,
    TimeRange,
    WidgetDataOut,
    WidgetOut,
)
from binelek.foundry.templates import TEMPLATES
from binelek.kit import dataversion
from binelek.kit.cache import JsonCache
from binelek.kit.db import utcnow
from binelek.kit.errors import ProblemError, ValidationFailed

DEFAULT_TIMEZONE = "UTC"
PRESETS = list(get_args(TimePreset))
CACHE_VERSION = "1"
CURRENCY_MEMO = "\x00currency"


async def tenant_timezone(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    settings = await repository.tenant_settings(session, tenant_id)
    return _zone_or_utc(settings.get("timezone"))


def _zone_or_utc(zone_name: object) -> str:
    if isinstance(zone_name, str):
        try:
            engine.zone(zone_name)
            return zone_name
        except Exception:  # an unknown zone stored earlier: fall back rather than fail every query
            return DEFAULT_TIMEZONE
    return DEFAULT_TIMEZONE


def _dialect(session: AsyncSession) -> str:
    bind = session.get_bind()
    return bind.dialect.name


# --- custom metrics --------------------------------------------------------------------------------


def _custom_resolved(metric: CustomMetric) -> ResolvedMetric:
    variables = [name for name in engine.formula_names(metric.formula) if name != engine.MONTHS_VARIABLE]
    entities = [semantic.MEASURES[name].entity for name in variables if name in semantic.MEASURES]
    return ResolvedMetric(
        name=metric.name,
        label=metric.label,
        format=metric.format,
        formula=metric.formula,
        snapshot=False,
        filters=tuple(Filter.model_validate(item) for item in metric.filters),
        entity=entities[0] if entities else "orders",
    )


async def custom_metrics(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, ResolvedMetric]:
    return {
        metric.name: _custom_resolved(metric)
        for metric in await repository.custom_metrics(session, tenant_id)
    }


def validate_custom_metric(body: CustomMetricIn) -> None:
    """A formula over base measures only (never another metric: no cycles), every filter on a
    dimension every measure's entity has."""
    if body.name in semantic.METRICS:
        raise ValidationFailed(f"{body.name!r} is a built-in metric; choose another name.")
    try:
        variables = engine.formula_names(body.formula)
    except QueryInvalid as error:
        raise ValidationFailed(error.detail) from None
    measures = [name for name in variables if name != engine.MONTHS_VARIABLE]
    if not measures:
        raise ValidationFailed("The formula must use at least one measure.")
    unknown = [name for name in measures if name not in semantic.MEASURES]
    if unknown:
        raise ValidationFailed(
            f"Unknown measure(s): {', '.join(unknown)}. Measures: {', '.join(sorted(semantic.MEASURES))}."
        )
    for filter_ in body.filters:
        if filter_.dimension not in semantic.DIMENSIONS:
            raise ValidationFailed(f"Unknown filter dimension {filter_.dimension!r}.")
        for name in measures:
            entity = semantic.MEASURES[name].entity
            if filter_.dimension not in semantic.entity_dimensions(entity):
                raise ValidationFailed(f"The measure {name!r} can't be filtered by {filter_.dimension!r}.")


async def create_custom_metric(
    session: AsyncSession, tenant_id: uuid.UUID, body: CustomMetricIn, created_by: uuid.UUID | None
) -> CustomMetric:
    validate_custom_metric(body)
    existing = {metric.name for metric in await repository.custom_metrics(session, tenant_id)}
    if body.name in existing:
        raise ProblemError(f"A custom metric named {body.name!r} exists.", status=409, code="METRIC_EXISTS")
    metric = CustomMetric(
        tenant_id=tenant_id,
        name=body.name,
        label=body.label,
        description=body.description,
        formula=body.formula,
        filters=[item.model_dump() for item in body.filters],
        format=body.format,
        created_by=created_by,
    )
    session.add(metric)
    await session.flush()
    return metric


async def delete_custom_metric(session: AsyncSession, tenant_id: uuid.UUID, metric_id: uuid.UUID) -> None:
    metric = await repository.custom_metric(session, tenant_id, metric_id)
    await session.delete(metric)
    await session.flush()


def _metric_dimensions(formula: str) -> list[str]:
    entities = {
        semantic.MEASURES[name].entity for name in engine.formula_names(formula) if name in semantic.MEASURES
    }
    shared: set[str] | None = None
    for entity in entities:
        names = set(semantic.entity_dimensions(entity))
        shared = names if shared is None else shared & names
    return [name for name in semantic.DIMENSIONS if shared and name in shared]


async def catalog(session: AsyncSession, tenant_id: uuid.UUID) -> MetricCatalogOut:
    metrics = [
        MetricOut(
            name=metric.name,
            label=metric.label,
            description=metric.description,
            format=metric.format,
            entity=metric.entity,
            dimensions=_metric_dimensions(metric.formula),
            snapshot=metric.snapshot,
            higher_is_better=metric.higher_is_better,
            formula=metric.formula,
        )
        for metric in semantic.METRICS.values()
    ]
    for custom in await repository.custom_metrics(session, tenant_id):
        resolved = _custom_resolved(custom)
        metrics.append(
            MetricOut(
                id=custom.id,
                name=custom.name,
                label=custom.label,
                description=custom.description or "",
                format=custom.format,
                entity=resolved.entity,
                dimensions=_metric_dimensions(custom.formula),
                custom=True,
                formula=custom.formula,
            )
        )
    dimensions = [
        DimensionOut(name=dimension.name, label=dimension.label, type=dimension.type)
        for dimension in semantic.DIMENSIONS.values()
    ]
    return MetricCatalogOut(metrics=metrics, dimensions=dimensions, presets=PRESETS)


# --- queries -------------------------------------------------------------------------------------


def _cache_key(
    tenant_id: uuid.UUID, version: int, query: SemanticQuery, period: ResolvedRange, ctx: Context
) -> str:
    # The resolved dates, not the preset: "last 30 days" means other days tomorrow. Snapshot metrics
    # (overdue as of now) depend on the day too.
    material = json.dumps(
        {
            "q": query.model_dump(mode="json", exclude={"time_range"}),
            "range": period.out.model_dump(mode="json"),
            "tz": ctx.timezone,
            "today": ctx.now.astimezone(engine.zone(ctx.timezone)).date().isoformat(),
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(material.encode()).hexdigest()[:32]
    return f"foundry:{CACHE_VERSION}:{tenant_id}:{version}:{digest}"


async def run_query(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    query: SemanticQuery,
    *,
    now: datetime | None = None,
    timezone: str | None = None,
    use_cache: bool = True,
    cache: JsonCache | None = None,
    custom: dict[str, engine.ResolvedMetric] | None = None,
    version: int | None = None,
    memo: dict[str, list[Any]] | None = None,
) -> QueryResult:
    ctx = Context(
        dialect=_dialect(session),
        timezone=timezone or await tenant_timezone(session, tenant_id),
        tenant_id=tenant_id,
        now=now or datetime.now(UTC),
        memo={} if memo is None else memo,
    )
    period = engine.resolve_range(query.time_range, ctx.timezone, ctx.now)
    key: str | None = None
    if use_cache and cache is not None:
        if version is None:
            version = (await dataversion.current(session, tenant_id))[0]
        key = _cache_key(tenant_id, version, query, period, ctx)
        hit = await cache.get(key)
        if hit is not None:
            return QueryResult.model_validate(hit)
    if custom is None:
        custom = await custom_metrics(session, tenant_id)
    result = await _execute(session, query, custom, period, ctx)
    if key is not None and cache is not None:
        await cache.set(key, result.model_dump(mode="json"))
    return result


async def _execute(
    session: AsyncSession,
    query: SemanticQuery,
    custom: dict[str, ResolvedMetric],
    period: ResolvedRange,
    ctx: Context,
) -> QueryResult:
    plan = engine.plan_query(query, custom)
    computed = await engine.compute(session, plan, query.dimensions, query.filters, period, ctx)
    engine.fill_time_buckets(computed, query.dimensions, plan, period)
    rows = engine.ordered_rows(computed, query, plan)
    truncated = len(rows) > query.limit
    rows = [_rounded_row(row, len(query.dimensions)) for row in rows[: query.limit]]
    sql = list(computed.sql)
    if query.dimensions:
        totals_computed = await engine.compute_totals(session, plan, computed, query.filters, period, ctx)
        totals = _totals(totals_computed, plan)
    else:
        totals = _totals(computed, plan)
    comparison = None
    if query.compare is not None and not all(metric.snapshot for metric in plan.metrics):
        previous = engine.shifted(period, query.compare, ctx.timezone)
        if previous is not None:
            previous_computed = await engine.compute(
                session, plan, query.dimensions, query.filters, previous, ctx
            )
            engine.fill_time_buckets(previous_computed, query.dimensions, plan, previous)
            previous_rows = engine.ordered_rows(previous_computed, query, plan)[: query.limit]
            if query.dimensions:
                previous_totals = _totals(
                    await engine.compute_totals(
                        session, plan, previous_computed, query.filters, previous, ctx
                    ),
                    plan,
                )
            else:
                previous_totals = _totals(previous_computed, plan)
            comparison = engine.comparison_out(
                query.compare,
                previous,
                [_rounded_row(row, len(query.dimensions)) for row in previous_rows],
                previous_totals,
            )
    return QueryResult(
        columns=engine.columns_of(query, plan),
        rows=rows,
        totals=totals,
        range=period.out,
        comparison=comparison,
        currency=await _currency(session, ctx),
        truncated=truncated,
        sql=sql,
        notes=plan.notes,
    )


def _totals(computed: engine.Computed, plan: engine.Plan) -> dict[str, float | None]:
    values = computed.rows.get((), {})
    return {metric.name: engine.rounded(values.get(metric.name)) for metric in plan.metrics}


def _rounded_row(row: list[Any], dimension_count: int) -> list[Any]:
    return [*row[:dimension_count], *(engine.rounded(value) for value in row[dimension_count:])]


async def _currency(session: AsyncSession, ctx: Context) -> str | None:
    """The tenant's currency: its catalogue's, else its latest order's (both cheap, indexed reads)."""
    remembered = ctx.memo.get(CURRENCY_MEMO)
    if remembered is not None:
        return remembered[0] if remembered else None
    currency = await repository.main_currency(session, ctx.tenant_id)
    ctx.memo[CURRENCY_MEMO] = [currency] if currency else []
    return currency


async def drill_down(
    session: AsyncSession, tenant_id: uuid.UUID, request: DrillDownIn, *, now: datetime | None = None
) -> DrillDownOut:
    ctx = Context(
        _dialect(session), await tenant_timezone(session, tenant_id), tenant_id, now or datetime.now(UTC)
    )
    custom = await custom_metrics(session, tenant_id)
    item_level = semantic.is_item_level([f.dimension for f in request.filters])
    metric = engine.resolve_metric(request.metric, custom, item_level)
    return await engine.drill_down(session, request, metric, ctx)


# --- dashboards ----------------------------------------------------------------------------------


def _widget_out(widget: Widget) -> WidgetOut:
    return WidgetOut.model_validate(
        {
            "id": widget.id,
            "title": widget.title,
            "type": widget.type,
            "query": widget.query,
            "layout": widget.layout,
            "options": widget.options,
        }
    )


def dashboard_out(dashboard: Dashboard) -> DashboardOut:
    return DashboardOut(
        id=dashboard.id,
        name=dashboard.name,
        description=dashboard.description,
        date_range=TimeRange.model_validate(dashboard.date_range or {"preset": "last_30_days"}),
        filters=[Filter.model_validate(item) for item in dashboard.filters],
        compare=dashboard.compare,
        is_default=dashboard.is_default,
        template=dashboard.template,
        widgets=[_widget_out(widget) for widget in dashboard.widgets],
        created_at=dashboard.created_at,
        updated_at=dashboard.updated_at,
    )


async def list_dashboards(session: AsyncSession, tenant_id: uuid.UUID) -> list[DashboardSummaryOut]:
    return [
        DashboardSummaryOut(
            id=dashboard.id,
            name=dashboard.name,
            description=dashboard.description,
            is_default=dashboard.is_default,
            template=dashboard.template,
            widget_count=count,
            updated_at=dashboard.updated_at,
        )
        for dashboard, count in await repository.dashboards(session, tenant_id)
    ]


async def get_dashboard(session: AsyncSession, tenant_id: uuid.UUID, dashboard_id: uuid.UUID) -> DashboardOut:
    return dashboard_out(await repository.dashboard(session, tenant_id, dashboard_id))


async def _check_widgets(session: AsyncSession, tenant_id: uuid.UUID, body: DashboardIn) -> None:
    """Every widget's query must plan (known metrics, dimensions it can be broken down by), so a saved
    dashboard never holds a widget that can only fail."""
    custom = await custom_metrics(session, tenant_id)
    for index, widget in enumerate(body.widgets):
        query = SemanticQuery(
            metrics=widget.query.metrics,
            dimensions=widget.query.dimensions,
            filters=[*body.filters, *widget.query.filters],
        )
        try:
            engine.plan_query(query, custom)
        except QueryInvalid as error:
            raise ValidationFailed(
                f"Widget {index + 1} ({widget.title}): {error.detail}",
                errors=[
                    {"loc": ["body", "widgets", index, "query"], "msg": error.detail, "type": "query_invalid"}
                ],
            ) from None


def _apply(dashboard: Dashboard, body: DashboardIn) -> None:
    dashboard.name = body.name
    dashboard.description = body.description
    dashboard.date_range = body.date_range.model_dump(mode="json", exclude_none=True)
    dashboard.filters = [item.model_dump(mode="json") for item in body.filters]
    dashboard.compare = body.compare
    dashboard.is_default = body.is_default


def _widgets_from(body: DashboardIn, tenant_id: uuid.UUID, dashboard_id: uuid.UUID) -> list[Widget]:
    return [
        Widget(
            id=item.id or uuid.uuid4(),
            tenant_id=tenant_id,
            dashboard_id=dashboard_id,
            title=item.title,
            type=item.type,
            query=item.query.model_dump(mode="json", exclude_none=True),
            layout=item.layout.model_dump(),
            options=item.options,
            position=index,
        )
        for index, item in enumerate(body.widgets)
    ]


async def create_dashboard(
    session: AsyncSession, tenant_id: uuid.UUID, body: DashboardCreate, created_by: uuid.UUID | None
) -> DashboardOut:
    if body.template is not None:
        template = TEMPLATES.get(body.template)
        if template is None:
            raise ValidationFailed(f"Unknown template {body.template!r}. Templates: {', '.join(TEMPLATES)}.")
        if not body.widgets:
            body = body.model_copy(update={"widgets": list(template.widgets)})
    await _check_widgets(session, tenant_id, body)
    dashboard = Dashboard(tenant_id=tenant_id, template=body.template, created_by=created_by, id=uuid.uuid4())
    _apply(dashboard, body)
    if body.is_default:
        await repository.clear_default(session, tenant_id, None)
    session.add(dashboard)
    await session.flush()
    for widget in _widgets_from(body, tenant_id, dashboard.id):
        widget.id = uuid.uuid4()  # a new dashboard never takes over another's widget ids
        session.add(widget)
    await session.flush()
    return await _reloaded(session, dashboard)


async def _reloaded(session: AsyncSession, dashboard: Dashboard) -> DashboardOut:
    """The dashboard as stored, its widgets read again after they were replaced."""
    await session.refresh(dashboard, attribute_names=["widgets", "updated_at", "created_at"])
    return dashboard_out(dashboard)


async def update_dashboard(
    session: AsyncSession, tenant_id: uuid.UUID, dashboard_id: uuid.UUID, body: DashboardIn
) -> DashboardOut:
    dashboard = await repository.dashboard(session, tenant_id, dashboard_id)
    await _check_widgets(session, tenant_id, body)
    _apply(dashboard, body)
    dashboard.updated_at = utcnow()
    if body.is_default:
        await repository.clear_default(session, tenant_id, dashboard.id)
    existing = {widget.id for widget in dashboard.widgets}
    replacement = _widgets_from(body, tenant_id, dashboard.id)
    for widget in replacement:
        if widget.id not in existing and any(item.id == widget.id for item in body.widgets):
            widget.id = uuid.uuid4()  # an id from elsewhere: never move another dashboard's widget
    dashboard.widgets.clear()
    await session.flush()
    for widget in replacement:
        session.add(widget)
    await session.flush()
    return await _reloaded(session, dashboard)


async def delete_dashboard(session: AsyncSession, tenant_id: uuid.UUID, dashboard_id: uuid.UUID) -> None:
    dashboard = await repository.dashboard(session, tenant_id, dashboard_id)
    await session.delete(dashboard)
    await session.flush()


def templates() -> list[TemplateOut]:
    return [
        TemplateOut(
            name=template.name,
            title=template.title,
            description=template.description,
            widget_count=len(template.widgets),
        )
        for template in TEMPLATES.values()
    ]


async def install_templates(
    session: AsyncSession, tenant_id: uuid.UUID, created_by: uuid.UUID | None
) -> None:
    """Add every template the tenant does not have yet; Sales Overview is the default."""
    names = await repository.dashboard_names(session, tenant_id)
    for template in TEMPLATES.values():
        if template.title in names:
            continue
        body = DashboardCreate(
            name=template.title,
            description=template.description,
            date_range=template.date_range,
            is_default=template.name == "sales_overview",
            template=template.name,
        )
        await create_dashboard(session, tenant_id, body, created_by)


def period_override(preset: str | None, start: date | None, end: date | None) -> TimeRange | None:
    """The period a request asks for instead of a dashboard's own, if it asks for one."""
    if preset is None and start is None and end is None:
        return None
    try:
        if preset is not None:
            return TimeRange(preset=preset)
        return TimeRange(start=start, end=end)
    except ValueError as error:
        raise ValidationFailed(f"The period is not valid: {error}") from None


_FILTER_LIST = TypeAdapter(list[Filter])


def parse_filters(raw: str | None) -> list[Filter] | None:
    """A request's filters (a JSON list), or None when it gives none."""
    if raw is None:
        return None
    try:
        return _FILTER_LIST.validate_json(raw)
    except ValidationError as error:
        raise ValidationFailed(f"The filters are not valid: {error.errors()[0]['msg']}.") from None


def widget_query(
    widget: WidgetOut,
    dashboard: DashboardOut,
    range_override: TimeRange | None,
    compare: str | None,
    filters_override: list[Filter] | None = None,
) -> SemanticQuery:
    """A widget's query with the dashboard's period, filters and comparison (or the viewer's)."""
    dashboard_filters = dashboard.filters if filters_override is None else filters_override
    time_range = widget.query.time_range or range_override or dashboard.date_range
    # KPIs and lines show the previous period; bars and the rest do not draw it.
    wants_compare = widget.type in ("kpi", "line") and not widget.query.time_range
    return SemanticQuery(
        metrics=widget.query.metrics,
        dimensions=widget.query.dimensions,
        filters=[*dashboard_filters, *widget.query.filters],
        time_range=time_range,
        compare=compare if wants_compare else None,
        order_by=widget.query.order_by,
        limit=widget.query.limit,
    )


async def dashboard_data(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    dashboard_id: uuid.UUID,
    *,
    now: datetime | None = None,
    range_override: TimeRange | None = None,
    compare_override: str | None = None,
    filters_override: list[Filter] | None = None,
    cache: JsonCache | None = None,
) -> DashboardDataOut:
    """Every widget's data in one call (see `dashboard_data_json`)."""
    data = await dashboard_data_json(
        session,
        tenant_id,
        dashboard_id,
        now=now,
        range_override=range_override,
        compare_override=compare_override,
        filters_override=filters_override,
        cache=cache,
    )
    return DashboardDataOut.model_validate(data)


async def dashboard_data_json(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    dashboard_id: uuid.UUID,
    *,
    now: datetime | None = None,
    range_override: TimeRange | None = None,
    compare_override: str | None = None,
    filters_override: list[Filter] | None = None,
    cache: JsonCache | None = None,
) -> dict[str, Any]:
    """Every widget's data, as JSON. A widget that fails carries its own problem; the rest still
    render. While the tenant's data version and the dashboard are unchanged the answer comes from the
    cache after one small query, without loading the widgets."""
    now = now or datetime.now(UTC)
    header = await repository.dashboard_header(session, tenant_id, dashboard_id)
    timezone = _zone_or_utc(header.timezone)
    compare = compare_override if compare_override is not None else header.compare
    if compare == "none":
        compare = None
    saved_range = TimeRange.model_validate(header.date_range or {"preset": "last_30_days"})
    period = engine.resolve_range(range_override or saved_range, timezone, now)
    whole_key = None
    if cache is not None:
        whole_key = _dashboard_key(
            tenant_id, dashboard_id, header.updated_at, header.version, period, compare, timezone, now
        )
        if filters_override is not None:
            whole_key += ":" + hashlib.sha256(engine.filters_key(filters_override).encode()).hexdigest()[:16]
        hit = await cache.get(whole_key)
        if hit is not None:
            return dict(hit)
    dashboard = await get_dashboard(session, tenant_id, dashboard_id)
    custom = await custom_metrics(session, tenant_id)
    memo: dict[str, list[Any]] = {}
    widgets: list[WidgetDataOut] = []
    for widget in dashboard.widgets:
        query = widget_query(widget, dashboard, range_override, compare, filters_override)
        try:
            result = await run_query(
                session,
                tenant_id,
                query,
                now=now,
                timezone=timezone,
                cache=cache,
                custom=custom,
                version=header.version,
                memo=memo,
            )
            widgets.append(WidgetDataOut(widget_id=widget.id, result=result))
        except ProblemError as error:
            widgets.append(
                WidgetDataOut(
                    widget_id=widget.id,
                    result=None,
                    error={"status": error.status, "code": error.code, "detail": error.detail},
                )
            )
    data = DashboardDataOut(
        dashboard_id=dashboard.id,
        range=period.out,
        widgets=widgets,
        data_version=header.version,
        computed_at=utcnow(),
    ).model_dump(mode="json")
    if cache is not None and whole_key is not None:
        await cache.set(whole_key, data)
    return data


def _dashboard_key(
    tenant_id: uuid.UUID,
    dashboard_id: uuid.UUID,
    updated_at: datetime,
    version: int,
    period: ResolvedRange,
    compare: str | None,
    timezone: str,
    now: datetime,
) -> str:
    material = json.dumps(
        {
            "d": str(dashboard_id),
            "u": updated_at.isoformat(),
            "r": period.out.model_dump(mode="json"),
            "c": compare,
            "tz": timezone,
            "today": now.astimezone(engine.zone(timezone)).date().isoformat(),
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(material.encode()).hexdigest()[:32]
    return f"foundry:{CACHE_VERSION}:dash:{tenant_id}:{version}:{digest}"
