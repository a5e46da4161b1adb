"""The printable page of a dashboard: header, then each widget in layout order (top to bottom, left to
right) as KPI cards, an SVG chart or a table, sized by its grid width on an A4 landscape page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from binelek.foundry.render import charts
from binelek.foundry.render.formatting import (
    EMPTY,
    change,
    compact,
    format_value,
    grain_of,
    is_good,
    period_label,
    time_label,
)
from binelek.foundry.schemas import (
    ColumnOut,
    DashboardDataOut,
    DashboardOut,
    Filter,
    QueryResult,
    WidgetDataOut,
    WidgetOut,
)
from binelek.foundry.semantic import DIMENSIONS, METRICS

GRID_COLUMNS = 12
CONTENT_WIDTH_PX = 1030  # A4 landscape (297 mm) less two 12 mm margins, at 96 px per inch
CARD_CHROME_PX = 26  # card padding, border and gap
MAX_SERIES = 7  # more series than this fold into "Other"
MAX_SLICES = 7
MAX_TABLE_ROWS = 40
COMPARE_LABELS = {"previous_period": "vs previous period", "previous_year": "vs previous year"}
OPERATOR_WORDS = {
    "eq": "is",
    "neq": "is not",
    "in": "is",
    "not_in": "is not",
    "contains": "contains",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
}

STYLES = """
@page { size: A4 landscape; margin: 12mm;
  @bottom-left { content: string(dashboard-name); font-family: 'DejaVu Sans', sans-serif; font-size: 8pt;
    color: #64748b; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages);
    font-family: 'DejaVu Sans', sans-serif; font-size: 8pt; color: #64748b; } }
body { font-family: 'DejaVu Sans', sans-serif; font-size: 9pt; color: #0f172a; margin: 0; }
header { border-bottom: 1px solid #cbd5e1; margin-bottom: 8px; padding-bottom: 6px; }
h1 { font-size: 16pt; margin: 0 0 2px 0; string-set: dashboard-name content(); }
.meta { color: #475569; font-size: 8.5pt; }
.meta span { margin-right: 14px; }
.grid { font-size: 0; }
.card { display: inline-block; vertical-align: top; box-sizing: border-box; margin: 0 5px 10px 5px;
  padding: 8px 10px; border: 1px solid #e2e8f0; border-radius: 6px; font-size: 9pt;
  break-inside: avoid; }
.card h2 { font-size: 10pt; margin: 0 0 6px 0; color: #1e293b; }
.kpis { display: flex; flex-wrap: wrap; }
.kpi { margin-right: 22px; margin-bottom: 4px; }
.kpi .label { color: #64748b; font-size: 8pt; }
.kpi .value { font-size: 15pt; font-weight: bold; }
.kpi .change { font-size: 8pt; color: #64748b; }
.good { color: #047857; } .bad { color: #b91c1c; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-size: 8pt; color: #475569; border-bottom: 1px solid #cbd5e1; padding: 2px 4px; }
td { font-size: 8pt; border-bottom: 1px solid #f1f5f9; padding: 2px 4px; }
td.num, th.num { text-align: right; }
.note { color: #64748b; font-size: 7.5pt; margin-top: 3px; }
.problem { color: #b91c1c; }
"""


@dataclass(frozen=True, slots=True)
class PageContext:
    tenant_name: str
    timezone: str
    generated_at: datetime  # in the tenant's time zone


def dashboard_page(dashboard: DashboardOut, data: DashboardDataOut, context: PageContext) -> str:
    """The whole HTML document WeasyPrint prints."""
    results = {item.widget_id: item for item in data.widgets}
    cards = [
        widget_card(widget, results.get(widget.id))
        for widget in sorted(dashboard.widgets, key=lambda w: (w.layout.y, w.layout.x))
    ]
    body = "".join(cards) or '<p class="note">This dashboard has no widgets yet.</p>'
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(dashboard.name)}</title>"
        f'<meta name="author" content="{escape(context.tenant_name)}">'
        f'<meta name="generator" content="Binelek">'
        f"<style>{STYLES}</style></head><body>"
        f"{_header(dashboard, data, context)}"
        f'<div class="grid">{body}</div></body></html>'
    )


def _header(dashboard: DashboardOut, data: DashboardDataOut, context: PageContext) -> str:
    meta = [
        f"<span>{escape(context.tenant_name)}</span>",
        f"<span>Period: {escape(period_label(data.range.start, data.range.end))}</span>",
    ]
    # The comparison the widgets actually got (a request may override the dashboard's).
    compared = next(
        (item.result.comparison.kind for item in data.widgets if item.result and item.result.comparison), None
    )
    if compared:
        meta.append(f"<span>Compared {escape(COMPARE_LABELS.get(compared, compared))}</span>")
    if dashboard.filters:
        meta.append(f"<span>Filters: {escape(describe_filters(dashboard.filters))}</span>")
    generated = context.generated_at.strftime("%Y-%m-%d %H:%M")
    meta.append(f"<span>Generated {escape(generated)} ({escape(context.timezone)})</span>")
    description = f'<div class="meta">{escape(dashboard.description)}</div>' if dashboard.description else ""
    return (
        f"<header><h1>{escape(dashboard.name)}</h1>{description}"
        f'<div class="meta">{"".join(meta)}</div></header>'
    )


def describe_filters(filters: Sequence[Filter]) -> str:
    parts = []
    for item in filters:
        dimension = DIMENSIONS.get(item.dimension)
        label = dimension.label if dimension else item.dimension
        values = ", ".join(str(value) for value in item.values)
        parts.append(f"{label} {OPERATOR_WORDS.get(item.op, item.op)} {values}")
    return "; ".join(parts)


def card_width(widget: WidgetOut) -> int:
    return int(CONTENT_WIDTH_PX * widget.layout.w / GRID_COLUMNS) - CARD_CHROME_PX


def chart_height(widget: WidgetOut) -> int:
    return max(120, min(widget.layout.h * 45, 330))


def widget_card(widget: WidgetOut, data: WidgetDataOut | None) -> str:
    width = card_width(widget)
    content = widget_content(widget, data, width)
    return (
        f'<section class="card" style="width:{width + CARD_CHROME_PX - 10}px">'
        f"<h2>{escape(widget.title)}</h2>{content}</section>"
    )


def widget_content(widget: WidgetOut, data: WidgetDataOut | None, width: int) -> str:
    if data is not None and data.error is not None:
        detail = str(data.error.get("detail") or "This widget could not be computed.")
        return f'<p class="problem">{escape(detail)}</p>'
    if data is None or data.result is None:
        return '<p class="note">No data.</p>'
    result = data.result
    dimensions = [column for column in result.columns if column.kind == "dimension"]
    if widget.type == "kpi" or not dimensions:
        return kpi_cards(result, widget.title)
    if widget.type in ("table", "map"):
        return result_table(result)
    height = chart_height(widget)
    if widget.type == "pie":
        return pie_svg(result, width, height)
    return series_svg(result, width, height, stacked=widget.type == "stacked_bar", line=widget.type == "line")


def _metric_columns(result: QueryResult) -> list[ColumnOut]:
    return [column for column in result.columns if column.kind == "metric"]


def kpi_value(result: QueryResult, name: str) -> float | None:
    """A metric over the whole period: the totals, or the single row of an undimensioned query."""
    if name in result.totals:
        return result.totals[name]
    names = [column.name for column in result.columns]
    if len(result.rows) == 1 and name in names:
        value = result.rows[0][names.index(name)]
        return float(value) if isinstance(value, int | float) else None
    return None


def kpi_cards(result: QueryResult, title: str = "") -> str:
    cards = []
    metrics = _metric_columns(result)
    for column in metrics:
        current = kpi_value(result, column.name)
        value = format_value(current, column.type, result.currency)
        changed = ""
        if result.comparison is not None:
            previous = result.comparison.totals.get(column.name)
            delta = change(current, previous, column.type)
            metric = METRICS.get(column.name)
            good = is_good(delta.tone, metric.higher_is_better if metric else True)
            tone = "" if good is None else " good" if good else " bad"
            label = COMPARE_LABELS.get(result.comparison.kind, "vs comparison")
            changed = (
                f'<div class="change{tone}">{escape(delta.text)} {escape(label)} '
                f"({escape(format_value(previous, column.type, result.currency))})</div>"
            )
        # A card of one metric under a title that already names it needs no label of its own.
        label = "" if len(metrics) == 1 and column.label == title else escape(column.label)
        cards.append(
            f'<div class="kpi"><div class="label">{label}</div>'
            f'<div class="value">{escape(value)}</div>{changed}</div>'
        )
    return f'<div class="kpis">{"".join(cards)}</div>'


def cell_text(value: Any, column: ColumnOut, currency: str | None) -> str:
    if column.type == "time":
        return time_label(value, grain_of(column.name)) if value is not None else EMPTY
    return format_value(value, column.type, currency)


def result_table(result: QueryResult, max_rows: int = MAX_TABLE_ROWS) -> str:
    numeric = [column.kind == "metric" or column.type == "integer" for column in result.columns]
    head = "".join(
        f'<th class="{"num" if numeric[i] else ""}">{escape(column.label)}</th>'
        for i, column in enumerate(result.columns)
    )
    rows = []
    for row in result.rows[:max_rows]:
        cells = "".join(
            f'<td class="{"num" if numeric[i] else ""}">'
            f"{escape(cell_text(value, column, result.currency))}</td>"
            for i, (value, column) in enumerate(zip(row, result.columns, strict=False))
        )
        rows.append(f"<tr>{cells}</tr>")
    note = ""
    if len(result.rows) > max_rows:
        shown = min(max_rows, len(result.rows))
        note = f'<p class="note">The first {shown} rows; export the widget for all.</p>'
    if not result.rows:
        note = '<p class="note">No data for this period.</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"


@dataclass(frozen=True, slots=True)
class ChartData:
    categories: list[str]
    series: list[charts.Series]
    value_type: str


def chart_data(result: QueryResult) -> ChartData | None:
    """Categories along the first dimension; series from the second dimension (one metric) or from
    the metrics. Time categories read in date order whatever the query's sort."""
    columns = result.columns
    dimension_at = [i for i, column in enumerate(columns) if column.kind == "dimension"]
    metric_at = [i for i, column in enumerate(columns) if column.kind == "metric"]
    if not dimension_at or not metric_at:
        return None
    x_at = dimension_at[0]
    x_column = columns[x_at]
    rows = result.rows
    if x_column.type == "time":
        rows = sorted(rows, key=lambda row: str(row[x_at]))
    keys = list(dict.fromkeys(row[x_at] for row in rows))
    categories = [cell_text(key, x_column, result.currency) for key in keys]
    value_type = columns[metric_at[0]].type
    if len(dimension_at) > 1:
        series = _pivot(rows, keys, x_at, dimension_at[1], metric_at[0])
    else:
        series = [charts.Series(columns[m].label, _values_by_key(rows, keys, x_at, m)) for m in metric_at]
    return ChartData(categories, series, value_type)


def _values_by_key(rows: list[list[Any]], keys: list[Any], x_at: int, value_at: int) -> list[float | None]:
    by_key: dict[Any, float] = {}
    for row in rows:
        value = row[value_at]
        if isinstance(value, int | float):
            by_key[row[x_at]] = by_key.get(row[x_at], 0.0) + float(value)
    return [by_key.get(key) for key in keys]


def _pivot(
    rows: list[list[Any]], keys: list[Any], x_at: int, series_at: int, value_at: int
) -> list[charts.Series]:
    totals: dict[str, float] = {}
    cells: dict[tuple[Any, str], float] = {}
    for row in rows:
        value = row[value_at]
        if not isinstance(value, int | float):
            continue
        name = "(none)" if row[series_at] is None else str(row[series_at])
        totals[name] = totals.get(name, 0.0) + abs(float(value))
        cells[(row[x_at], name)] = cells.get((row[x_at], name), 0.0) + float(value)
    ranked = sorted(totals, key=lambda name: -totals[name])
    kept, folded = ranked[:MAX_SERIES], ranked[MAX_SERIES:]
    series = [charts.Series(name, [cells.get((key, name)) for key in keys]) for name in kept]
    if folded:
        other = [sum(cells.get((key, name), 0.0) for name in folded) for key in keys]
        series.append(charts.Series("Other", list(other)))
    return series


def series_svg(result: QueryResult, width: int, height: int, *, stacked: bool, line: bool) -> str:
    data = chart_data(result)
    if data is None:
        return charts.empty_chart(width, height)

    def fmt(value: float) -> str:
        return compact(value, data.value_type, result.currency)

    if line:
        return charts.line_chart(data.categories, data.series, width=width, height=height, fmt=fmt)
    return charts.bar_chart(
        data.categories, data.series, width=width, height=height, fmt=fmt, stacked=stacked
    )


def pie_svg(result: QueryResult, width: int, height: int) -> str:
    data = chart_data(result)
    if data is None or not data.series:
        return charts.empty_chart(width, height)
    pairs = [
        (label, value or 0.0) for label, value in zip(data.categories, data.series[0].values, strict=False)
    ]
    pairs.sort(key=lambda pair: -pair[1])
    slices = pairs[:MAX_SLICES]
    rest = sum(value for _, value in pairs[MAX_SLICES:] if value > 0)
    if rest > 0:
        slices.append(("Other", rest))

    def fmt(value: float) -> str:
        return format_value(value, data.value_type, result.currency)

    return charts.pie_chart(slices, width=width, height=height, fmt=fmt)
