"""API shapes of Mini Foundry: semantic queries and their results, dashboards and widgets, custom
metrics, data sources, insights, questions, reports."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TimePreset = Literal[
    "today",
    "yesterday",
    "last_7_days",
    "last_30_days",
    "last_90_days",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
    "year_to_date",
    "last_12_months",
    "all_time",
]
Compare = Literal["previous_period", "previous_year"]
FilterOp = Literal["eq", "neq", "in", "not_in", "contains", "gt", "gte", "lt", "lte"]
ColumnType = Literal["time", "string", "integer", "number", "money", "percent"]
WidgetType = Literal["kpi", "line", "bar", "stacked_bar", "pie", "table", "map"]
MetricFormat = Literal["number", "integer", "money", "percent"]
Scalar = str | int | float | bool

MAX_METRICS = 10
MAX_DIMENSIONS = 3
DEFAULT_LIMIT = 500
MAX_LIMIT = 5000


class TimeRange(BaseModel):
    """A preset, or dates (both inclusive) in the tenant's time zone."""

    model_config = ConfigDict(extra="forbid")

    preset: TimePreset | None = None
    start: date | None = None
    end: date | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> TimeRange:
        if self.preset is None and (self.start is None or self.end is None):
            raise ValueError("give a preset, or both start and end")
        if self.preset is not None and (self.start is not None or self.end is not None):
            raise ValueError("give a preset or dates, not both")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError("end is before start")
        return self


class Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dimension: str = Field(max_length=64)
    op: FilterOp = "eq"
    values: list[Scalar] = Field(min_length=1, max_length=200)


class OrderBy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(max_length=64)  # a metric or dimension of the query
    direction: Literal["asc", "desc"] = "desc"


class SemanticQuery(BaseModel):
    """Metrics broken down by dimensions ("date.month", "category", …), filtered, over a period."""

    model_config = ConfigDict(extra="forbid")

    metrics: list[str] = Field(min_length=1, max_length=MAX_METRICS)
    dimensions: list[str] = Field(default_factory=list, max_length=MAX_DIMENSIONS)
    filters: list[Filter] = Field(default_factory=list, max_length=20)
    time_range: TimeRange | None = None  # None: all time
    compare: Compare | None = None
    order_by: list[OrderBy] = Field(default_factory=list, max_length=4)
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class ColumnOut(BaseModel):
    name: str
    label: str
    type: ColumnType
    kind: Literal["dimension", "metric"]


class RangeOut(BaseModel):
    start: date | None  # inclusive, tenant time zone; None for all time
    end: date | None  # inclusive


class ComparisonOut(BaseModel):
    kind: Compare
    range: RangeOut
    rows: list[list[Any]]  # same columns as the result
    totals: dict[str, float | None]


class QueryResult(BaseModel):
    columns: list[ColumnOut]
    rows: list[list[Any]]  # dates as ISO strings (the bucket's first day), numbers as numbers
    totals: dict[str, float | None]  # each metric over the whole period and filters
    range: RangeOut
    comparison: ComparisonOut | None = None
    currency: str | None = None
    truncated: bool = False  # more rows than `limit`
    sql: list[str] = Field(default_factory=list)  # what ran, with the tenant as a bound parameter
    notes: list[str] = Field(default_factory=list)  # e.g. "revenue by product is product sales"


class DrillDownIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str
    filters: list[Filter] = Field(default_factory=list, max_length=20)  # incl. the clicked dimension values
    time_range: TimeRange | None = None
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=100, ge=1, le=1000)


class DrillDownOut(BaseModel):
    entity: str  # orders, order_items, refunds, customers, invoices, deals, payments
    columns: list[ColumnOut]
    rows: list[list[Any]]
    total: int
    offset: int
    limit: int


class MetricOut(BaseModel):
    name: str
    label: str
    description: str
    format: MetricFormat
    entity: str
    dimensions: list[str]  # what it can be broken down and filtered by
    custom: bool = False
    snapshot: bool = False  # a balance as of now: the period does not apply
    higher_is_better: bool = True
    formula: str | None = None
    id: uuid.UUID | None = None  # custom metrics only


class DimensionOut(BaseModel):
    name: str
    label: str
    type: ColumnType


class MetricCatalogOut(BaseModel):
    metrics: list[MetricOut]
    dimensions: list[DimensionOut]
    presets: list[str]


class CustomMetricIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    formula: str = Field(min_length=1, max_length=1000)  # e.g. "(revenue - refunds) / orders"
    filters: list[Filter] = Field(default_factory=list, max_length=20)
    format: MetricFormat = "number"


LayoutValue = Annotated[int, Field(ge=0, le=1000)]


class WidgetLayout(BaseModel):
    model_config = ConfigDict(extra="forbid")

    x: LayoutValue
    y: LayoutValue
    w: Annotated[int, Field(ge=1, le=12)]
    h: Annotated[int, Field(ge=1, le=40)]


class WidgetQuery(BaseModel):
    """A widget's question; the dashboard supplies the period, its filters and the comparison."""

    model_config = ConfigDict(extra="forbid")

    metrics: list[str] = Field(min_length=1, max_length=MAX_METRICS)
    dimensions: list[str] = Field(default_factory=list, max_length=MAX_DIMENSIONS)
    filters: list[Filter] = Field(default_factory=list, max_length=20)
    order_by: list[OrderBy] = Field(default_factory=list, max_length=4)
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    time_range: TimeRange | None = None  # overrides the dashboard's period when set


class WidgetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = None  # keep an existing widget's id when saving a dashboard
    title: str = Field(min_length=1, max_length=200)
    type: WidgetType
    query: WidgetQuery
    layout: WidgetLayout
    options: dict[str, Any] = Field(default_factory=dict)


class WidgetOut(WidgetIn):
    id: uuid.UUID


class DashboardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    date_range: TimeRange = Field(default_factory=lambda: TimeRange(preset="last_30_days"))
    filters: list[Filter] = Field(default_factory=list, max_length=20)
    compare: Compare | None = "previous_period"
    is_default: bool = False
    widgets: list[WidgetIn] = Field(default_factory=list, max_length=50)


class DashboardCreate(DashboardIn):
    template: str | None = Field(default=None, max_length=50)  # start from a template's widgets


class DashboardSummaryOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    is_default: bool
    template: str | None
    widget_count: int
    updated_at: datetime


class DashboardOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    date_range: TimeRange
    filters: list[Filter]
    compare: Compare | None
    is_default: bool
    template: str | None
    widgets: list[WidgetOut]
    created_at: datetime
    updated_at: datetime


class WidgetDataOut(BaseModel):
    widget_id: uuid.UUID
    result: QueryResult | None
    error: dict[str, Any] | None = None  # a problem document when this widget alone failed


class DashboardDataOut(BaseModel):
    dashboard_id: uuid.UUID
    range: RangeOut
    widgets: list[WidgetDataOut]
    data_version: int
    computed_at: datetime


class TemplateOut(BaseModel):
    name: str
    title: str
    description: str
    widget_count: int


class QuestionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=1000)
    timezone: str | None = Field(default=None, max_length=64)

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return value


class ChartOut(BaseModel):
    type: WidgetType
    x: str | None = None
    y: list[str] = Field(default_factory=list)
    series: str | None = None


class AnswerColumn(BaseModel):
    name: str
    type: ColumnType


class QuestionOut(BaseModel):
    understood: bool
    interpretation: str
    sql: str | None
    columns: list[AnswerColumn]
    rows: list[list[Any]]
    chart: ChartOut | None
    answer: str
    semantic_query: SemanticQuery | None = None
    engine: str  # local, or the provider that answered
    suggestions: list[str] = Field(default_factory=list)  # questions it can answer, when it could not
    currency: str | None = None  # of the money columns


class InsightOut(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    sentence: str
    severity: str
    score: float
    numbers: dict[str, Any]
    chart: dict[str, Any]
    computed_at: datetime


class InsightsOut(BaseModel):
    insights: list[InsightOut]
    computed_at: datetime | None


class ForecastPoint(BaseModel):
    date: date
    value: float
    lower: float
    upper: float


class ForecastOut(BaseModel):
    metric: str
    horizon_days: int
    history: list[dict[str, Any]]  # [{date, value}]
    forecast: list[ForecastPoint]
    method: str
    interval: float  # e.g. 0.8 for an 80 % interval


class DataSourceOut(BaseModel):
    id: uuid.UUID | None  # None for the built-in connection sources
    kind: Literal["connection", "file_import", "database"]
    name: str
    type: str  # the provider (shopify, …), "file", or postgresql | mysql | sqlite
    status: str
    record_counts: dict[str, int]
    last_synced_at: datetime | None
    quality: dict[str, Any]  # {completeness: 0..1, duplicates: n, checked_columns: […]}
    detail: dict[str, Any] = Field(default_factory=dict)


class ExternalDatabaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=2000)  # postgresql://…, mysql://…, sqlite:///…


class ReportScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["daily_sales", "weekly_digest", "monthly_executive"]
    recipients: list[str] = Field(min_length=1, max_length=20)
    dashboard_id: uuid.UUID | None = None
    is_active: bool = True


class ReportScheduleOut(BaseModel):
    id: uuid.UUID
    kind: str
    recipients: list[str]
    dashboard_id: uuid.UUID | None
    is_active: bool
    next_run_at: datetime
    last_sent_at: datetime | None
    last_error: str | None


class ExternalColumnOut(BaseModel):
    name: str
    type: str  # the database's own type name (numeric(12,2), varchar(255), TEXT, …)
    nullable: bool


class ExternalTableOut(BaseModel):
    """A table or view of an external database, as its last introspection saw it."""

    schema_name: str | None  # PostgreSQL's schema; None for MySQL and SQLite
    name: str
    qualified_name: str  # what the preview endpoint takes: "orders", or "sales.orders" outside `public`
    type: Literal["table", "view"]
    row_estimate: int | None  # None when unknown (a view, or a table never counted)
    rows_exact: bool  # counted, rather than taken from the database's statistics or capped
    columns: list[ExternalColumnOut]


class ExternalTablePreviewOut(BaseModel):
    table: str
    columns: list[str]
    rows: list[list[Any]]  # JSON values: dates and times as ISO strings, decimals as numbers
    limit: int
    truncated: bool  # the table has more rows than `limit`
