"""What the AI agent may do in Mini Foundry: answer questions about the business's numbers, list
dashboards, explain an insight, and add a widget to a dashboard (a change: confirmed first)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic.config import JsonDict

from binelek.foundry import insights, nlq, semantic, service
from binelek.foundry.schemas import DashboardIn, QuestionOut, WidgetIn, WidgetLayout, WidgetQuery
from binelek.kit.errors import ResourceNotFound
from binelek.kit.tools import Source, ToolContext, ToolResult, tool

ChartType = Literal["kpi", "line", "bar", "stacked_bar", "pie", "table", "map"]
ROWS_SHOWN = 20
WIDGET_HEIGHT = 8
GRID_COLUMNS = 12


class QuestionArgs(BaseModel):
    question: str = Field(
        min_length=1,
        max_length=500,
        description="The question about the business's numbers, in plain words.",
        json_schema_extra={"x-verbatim": True},
    )


@tool(
    "query_metrics",
    "Answer a question about the business's own numbers (revenue, orders, customers, refunds, margin,"
    " invoices, pipeline, stock) for a period, broken down or filtered; says how it was computed.",
    permission="foundry:read",
    examples=(
        "what was revenue last month",
        "how many orders did we get this week",
        "revenue by category last quarter",
        "top 5 products by revenue this year",
        "average order value in 2025",
        "how much did we refund in the last 90 days",
        "sales per month this year",
        "which channel brings the most revenue",
        "compare orders this month with last month",
        "how many new customers in October",
        "what is our gross margin by category",
        "how much do customers owe us",
        "what is our win rate this year",
        "revenue from wholesale in March",
    ),
)
async def query_metrics(context: ToolContext, args: QuestionArgs) -> ToolResult:
    tenant_id = context.principal.tenant_id
    timezone = await service.tenant_timezone(context.session, tenant_id)
    answered = await nlq.answer(
        context.session, tenant_id, args.question, now=datetime.now(UTC), timezone=timezone
    )
    if not isinstance(answered, QuestionOut):
        examples = nlq.suggestions(args.question)
        return ToolResult(
            summary=f"{nlq.CANT_ANSWER} {answered.reason}",
            data={"understood": False, "suggestions": examples},
        )
    return ToolResult(
        summary=answered.answer,
        data={
            "interpretation": answered.interpretation,
            "columns": [column.name for column in answered.columns],
            "rows": answered.rows[:ROWS_SHOWN],
            "more_rows": max(0, len(answered.rows) - ROWS_SHOWN),
        },
        sources=[
            Source(
                kind="question",
                id=args.question[:64],
                title=answered.interpretation[:120],
                url="/foundry/ask",
            )
        ],
    )


class NoArgs(BaseModel):
    pass


@tool(
    "list_dashboards",
    "List the organization's Mini Foundry dashboards.",
    permission="foundry:read",
    examples=(
        "list my dashboards",
        "which dashboards do we have",
        "show the dashboards",
        "open the sales dashboard",
        "what reports are on mini foundry",
    ),
)
async def list_dashboards(context: ToolContext, args: NoArgs) -> ToolResult:
    dashboards = await service.list_dashboards(context.session, context.principal.tenant_id)
    rows = [
        {"name": item.name, "widgets": item.widget_count, "default": item.is_default, "id": str(item.id)}
        for item in dashboards
    ]
    return ToolResult(
        summary=f"{len(rows)} dashboard{'s' if len(rows) != 1 else ''}.",
        data=rows,
        sources=[
            Source(kind="dashboard", id=str(item.id), title=item.name, url=f"/foundry/dashboards/{item.id}")
            for item in dashboards
        ],
    )


InsightKind = Literal["anomaly", "trend", "top_mover", "segment", "forecast"]
INSIGHT_SYNONYMS: JsonDict = {
    "anomaly": ["unusual", "anomaly", "spike", "outlier", "strange day"],
    "trend": ["trend", "trending", "growth", "slowing down"],
    "top_mover": ["top mover", "movers", "biggest change", "best sellers rising"],
    "segment": ["segment", "at risk customers", "champions", "loyal customers", "hibernating"],
    "forecast": ["forecast", "prediction", "next month's revenue"],
}


class ExplainArgs(BaseModel):
    kind: InsightKind | None = Field(
        default=None,
        description="Which kind of finding; the most important one when empty.",
        json_schema_extra={"x-synonyms": INSIGHT_SYNONYMS},
    )


@tool(
    "explain_insight",
    "Explain one of the automatic insights (an anomaly, a trend, a top mover, a customer segment):"
    " how it was found and the numbers behind it.",
    permission="foundry:read",
    examples=(
        "explain the latest insight",
        "explain the anomaly insight",
        "what are the insights today",
        "explain the trend insight",
        "explain the at risk customers segment insight",
        "why is there an anomaly in the insights",
    ),
)
async def explain_insight(context: ToolContext, args: ExplainArgs) -> ToolResult:
    tenant_id = context.principal.tenant_id
    feed = await insights.list_insights(context.session, tenant_id, limit=50)
    if not feed.insights:
        return ToolResult(summary="There are no insights yet: there is not enough data to compare.")
    matching = [item for item in feed.insights if args.kind is None or item.kind == args.kind]
    if not matching:
        return ToolResult(
            summary=f"There is no current {args.kind.replace('_', ' ') if args.kind else ''} insight."
        )
    chosen = matching[0]  # the feed is sorted by how much each finding matters
    explanation = await insights.explain(context.session, tenant_id, chosen.id)
    return ToolResult(
        summary=f"{chosen.sentence} {explanation.method}",
        data={"title": chosen.title, "method": explanation.method, "details": explanation.details},
        sources=[Source(kind="insight", id=str(chosen.id), title=chosen.title, url="/foundry/insights")],
    )


METRIC_SYNONYMS: JsonDict = {name: [m.label.lower(), *m.synonyms] for name, m in semantic.METRICS.items()}
DIMENSION_SYNONYMS: JsonDict = {
    name: [d.label.lower(), *d.synonyms] for name, d in semantic.DIMENSIONS.items()
}


class AddWidgetArgs(BaseModel):
    metric: str = Field(
        description="The metric to chart.",
        json_schema_extra={"enum": list(semantic.METRICS), "x-synonyms": METRIC_SYNONYMS},
    )
    breakdown: str | None = Field(
        default=None,
        description="Optional breakdown.",
        json_schema_extra={"enum": list(semantic.DIMENSIONS), "x-synonyms": DIMENSION_SYNONYMS},
    )
    chart: ChartType | None = Field(
        default=None, description="Chart type; chosen from the breakdown when empty."
    )

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if value not in semantic.METRICS:
            raise ValueError(f"unknown metric {value!r}")
        return value

    @field_validator("breakdown")
    @classmethod
    def _known_breakdown(cls, value: str | None) -> str | None:
        if value is not None and value not in semantic.DIMENSIONS:
            raise ValueError(f"unknown breakdown {value!r}")
        return value


@tool(
    "add_widget",
    "Add a chart or number to a Mini Foundry dashboard.",
    permission="foundry:write",
    writes=True,
    examples=(
        "add a revenue by category chart to the dashboard",
        "add a widget with refunds by month",
        "put a KPI widget for new customers on my dashboard",
        "add a map chart of revenue by country to the dashboard",
        "add an orders by channel pie chart widget",
    ),
)
async def add_widget(context: ToolContext, args: AddWidgetArgs) -> ToolResult:
    tenant_id = context.principal.tenant_id
    metric, breakdown = args.metric, args.breakdown
    dashboards = await service.list_dashboards(context.session, tenant_id)
    if not dashboards:
        raise ResourceNotFound("There is no dashboard yet: create one from a template first.")
    target = dashboards[0]  # the default dashboard comes first
    dashboard = await service.get_dashboard(context.session, tenant_id, target.id)
    chart = args.chart or _chart_for(breakdown)
    label = semantic.METRICS[metric].label
    title = f"{label} by {semantic.DIMENSIONS[breakdown].label.lower()}" if breakdown else label
    bottom = max((w.layout.y + w.layout.h for w in dashboard.widgets), default=0)
    widget = WidgetIn(
        title=title,
        type=chart,
        query=WidgetQuery(metrics=[metric], dimensions=[breakdown] if breakdown else []),
        layout=WidgetLayout(
            x=0, y=bottom, w=GRID_COLUMNS if chart in ("line", "map", "stacked_bar") else 6, h=WIDGET_HEIGHT
        ),
    )
    body = DashboardIn(
        name=dashboard.name,
        description=dashboard.description,
        date_range=dashboard.date_range,
        filters=dashboard.filters,
        compare=dashboard.compare,
        is_default=dashboard.is_default,
        widgets=[WidgetIn.model_validate(w.model_dump()) for w in dashboard.widgets] + [widget],
    )
    saved = await service.update_dashboard(context.session, tenant_id, dashboard.id, body)
    return ToolResult(
        summary=f"Added “{title}” to {saved.name}.",
        data={"dashboard_id": str(saved.id), "widget": title},
        sources=[
            Source(
                kind="dashboard", id=str(saved.id), title=saved.name, url=f"/foundry/dashboards/{saved.id}"
            )
        ],
    )


def _chart_for(breakdown: str | None) -> ChartType:
    if breakdown is None:
        return "kpi"
    if breakdown.startswith("date."):
        return "line"
    if breakdown == "country":
        return "map"
    return "bar"
