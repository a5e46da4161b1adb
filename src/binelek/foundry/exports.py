"""Files made from Mini Foundry results: a query's rows as CSV or XLSX, a dashboard as a PDF.

Columns carry their labels (money ones name the currency); money is a number with two decimals,
percentages are fractions (0.25 is 25 %), dates are dates. A comparison period, when the query has
one and no time dimension, becomes extra columns matched on the dimension values. Text cells that a
spreadsheet would run as a formula are written as text.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from binelek.foundry.render.dashboard import COMPARE_LABELS, PageContext, dashboard_page
from binelek.foundry.render.formatting import parse_day
from binelek.foundry.schemas import ColumnOut, DashboardDataOut, DashboardOut, QueryResult

ExportFormat = Literal["csv", "xlsx"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
# Leading characters that make a spreadsheet treat a text cell as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_FORMATS = {
    "money": "#,##0.00",
    "number": "#,##0.00",
    "integer": "#,##0",
    "percent": "0.0%",
}
XLSX_DATE_FORMATS = {"year": "yyyy", "quarter": "yyyy-mm-dd", "month": "mmm yyyy"}
SHEET_TITLE_MAX = 31
# Printing is CPU-bound and holds a worker thread: a few at a time per process keeps the API responsive.
PDF_RENDERS_AT_ONCE = 2
_pdf_slots = asyncio.Semaphore(PDF_RENDERS_AT_ONCE)
MONEY_DECIMALS = 2
RATIO_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class Table:
    """A result flattened for a file: labelled columns and raw (unformatted) values."""

    columns: list[ColumnOut]
    labels: list[str]
    rows: list[list[Any]]


def result_table(result: QueryResult) -> Table:
    columns = list(result.columns)
    labels = [_label(column, result.currency) for column in columns]
    rows = [list(row) for row in result.rows]
    comparison = result.comparison
    has_time = any(column.type == "time" for column in columns)
    if comparison is None or has_time:
        return Table(columns, labels, rows)
    # Same columns in both periods: match rows on the dimension values, add the metrics alongside.
    dimension_at = [i for i, column in enumerate(columns) if column.kind == "dimension"]
    metric_at = [i for i, column in enumerate(columns) if column.kind == "metric"]
    previous = {tuple(row[i] for i in dimension_at): row for row in comparison.rows}
    suffix = COMPARE_LABELS.get(comparison.kind, "comparison").removeprefix("vs ")
    for i in metric_at:
        columns.append(columns[i].model_copy(update={"name": f"{columns[i].name}__{comparison.kind}"}))
        labels.append(f"{labels[i]} ({suffix})")
    for row in rows:
        matched = previous.get(tuple(row[i] for i in dimension_at))
        row.extend(matched[i] if matched is not None else None for i in metric_at)
    return Table(columns, labels, rows)


def _label(column: ColumnOut, currency: str | None) -> str:
    if column.type == "money" and currency:
        return f"{column.label} ({currency})"
    return column.label


def csv_value(value: Any, column: ColumnOut) -> str:
    if value is None:
        return ""
    if column.type == "time":
        day = parse_day(value)
        return day.isoformat() if day else str(value)
    if column.type == "money" and isinstance(value, int | float):
        return f"{value:.{MONEY_DECIMALS}f}"
    if column.type == "integer" and isinstance(value, int | float):
        return str(round(value))
    if column.type in ("percent", "number") and isinstance(value, float):
        return repr(round(value, RATIO_DECIMALS))
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_PREFIXES) else text


def to_csv(result: QueryResult) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read accents right; CRLF rows."""
    table = result_table(result)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.labels)
    for row in table.rows:
        writer.writerow([csv_value(value, column) for value, column in zip(row, table.columns, strict=False)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_value(value: Any, column: ColumnOut) -> Any:
    if value is None:
        return None
    if column.type == "time":
        return parse_day(value) or str(value)
    if column.type == "money" and isinstance(value, int | float):
        return round(float(value), MONEY_DECIMALS)
    if column.type == "integer" and isinstance(value, int | float):
        return round(value)
    if isinstance(value, bool | int | float):
        return value
    return str(value)


def _set_text_safely(cell: Cell, value: Any) -> None:
    cell.value = value
    if cell.data_type == "f":  # openpyxl reads "=…" as a formula; a value is never one
        cell.data_type = "s"


def to_xlsx(result: QueryResult, *, title: str) -> bytes:
    table = result_table(result)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title(title)
    sheet.append(table.labels)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    formats = [_xlsx_format(column) for column in table.columns]
    for row_index, row in enumerate(table.rows, start=2):
        for col_index, (value, column) in enumerate(zip(row, table.columns, strict=False), start=1):
            cell = sheet.cell(row=row_index, column=col_index)
            _set_text_safely(cell, _xlsx_value(value, column))
            if formats[col_index - 1] and value is not None:
                cell.number_format = formats[col_index - 1]
    _fit_columns(sheet, table)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_format(column: ColumnOut) -> str | None:
    if column.type == "time":
        grain = column.name.partition(".")[2]
        return XLSX_DATE_FORMATS.get(grain, "yyyy-mm-dd")
    return XLSX_FORMATS.get(column.type)


def _fit_columns(sheet: Any, table: Table) -> None:
    for index, label in enumerate(table.labels, start=1):
        longest = max([len(label), *(len(str(row[index - 1] or "")) for row in table.rows[:200])])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(longest + 2, 10), 60)


def sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title).strip() or "Data"
    return cleaned[:SHEET_TITLE_MAX]


def render_query(result: QueryResult, export_format: ExportFormat, *, title: str) -> bytes:
    return to_csv(result) if export_format == "csv" else to_xlsx(result, title=title)


def query_title(result: QueryResult) -> str:
    """ "Revenue and Orders by Month and Channel", from the result's column labels."""
    metrics = [column.label for column in result.columns if column.kind == "metric"]
    dimensions = [column.label for column in result.columns if column.kind == "dimension"]
    title = " and ".join(metrics[:3]) + (" …" if len(metrics) > 3 else "")
    if dimensions:
        title += " by " + " and ".join(dimensions)
    return title or "Query"


def filename(title: str, extension: str, *, day: date | None = None) -> str:
    """A safe ASCII file name: lower-case words joined by dashes, then the date when given."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80] or "export"
    suffix = f"-{day.isoformat()}" if day else ""
    return f"{slug}{suffix}.{extension}"


def content_disposition(name: str) -> str:
    return f'attachment; filename="{name}"'


def dashboard_html(dashboard: DashboardOut, data: DashboardDataOut, context: PageContext) -> str:
    return dashboard_page(dashboard, data, context)


def dashboard_pdf(dashboard: DashboardOut, data: DashboardDataOut, context: PageContext) -> bytes:
    """Blocking (layout takes tens to hundreds of milliseconds): call it from a worker thread."""
    # Everything is inline; a fetcher that may open nothing keeps stray URLs from reaching out.
    fetcher = URLFetcher(timeout=1, allowed_protocols=("data",))
    document = HTML(string=dashboard_html(dashboard, data, context), url_fetcher=fetcher)
    pdf: bytes = document.write_pdf()
    return pdf


async def render_dashboard_pdf(
    dashboard: DashboardOut, data: DashboardDataOut, context: PageContext
) -> bytes:
    """The PDF, printed in a worker thread, a bounded number at a time."""
    async with _pdf_slots:
        return await asyncio.to_thread(dashboard_pdf, dashboard, data, context)
