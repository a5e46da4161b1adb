"""Exports: a query or a widget as CSV/XLSX, a dashboard as a PDF (and the page it is printed from)."""

from __future__ import annotations

import csv
import io
import re
import uuid
import xml.etree.ElementTree as ET
import zlib
from datetime import UTC, date, datetime

import httpx
import pytest
from openpyxl import load_workbook

from binelek.connectors.service import import_rows
from binelek.foundry import exports, service
from binelek.foundry.render import charts
from binelek.foundry.render.dashboard import PageContext
from tests.conftest import add_member, assert_problem, register

BASE = "/api/modules/mini-foundry"
JANUARY = {"start": "2026-01-05", "end": "2026-01-12"}


def _rows(text: str) -> list[dict[str, str]]:
    """Rows in the importer's canonical CSV columns."""
    return list(csv.DictReader(io.StringIO(text.strip())))


SHOP = {
    "products": _rows("""
sku,name,category,price,cost,currency
ESP-1,Espresso Blend,Coffee,18.00,7.00,USD
DEC-1,=Decaf Danger,Coffee,16.00,6.00,USD
MUG-1,Café Mug,Merch,12.00,4.00,USD
"""),
    "customers": _rows("""
email,name,country,city,created_at
ana@example.com,Ana,US,Portland,2025-12-01T10:00:00+00:00
ben@example.com,Ben,DE,Berlin,2026-01-05T08:00:00+00:00
"""),
    "orders": _rows("""
order_number,customer_email,placed_at,status,currency,total,channel
1001,ana@example.com,2026-01-05T10:00:00+00:00,paid,USD,36.00,web
1002,ben@example.com,2026-01-05T15:00:00+00:00,paid,USD,12.00,market
1003,ana@example.com,2026-01-12T09:00:00+00:00,paid,USD,16.00,web
1004,ben@example.com,2026-01-06T09:00:00+00:00,cancelled,USD,99.00,web
0999,ana@example.com,2025-12-30T09:00:00+00:00,paid,USD,20.00,web
"""),
    "order_items": _rows("""
order_number,sku,quantity,unit_price
1001,ESP-1,2,18.00
1002,MUG-1,1,12.00
1003,DEC-1,1,16.00
1004,ESP-1,5,18.00
0999,MUG-1,1,20.00
"""),
}


@pytest.fixture(scope="module")
async def shop(app, state):
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        owner = await register(http, company="Export Roasters")
    for entity, rows in SHOP.items():
        result = await import_rows(state.db, uuid.UUID(owner.tenant_id), entity, rows)
        assert not result.rows_failed, result.errors
    return owner


def _dashboard_body(**overrides):
    body = {
        "name": "Sales <Overview>",
        "description": "January at a glance",
        "date_range": JANUARY,
        "compare": "previous_period",
        "widgets": [
            {
                "title": "By channel",
                "type": "bar",
                "query": {"metrics": ["revenue"], "dimensions": ["channel"]},
                "layout": {"x": 6, "y": 0, "w": 6, "h": 4},
            },
            {
                "title": "Headline KPIs",
                "type": "kpi",
                "query": {"metrics": ["revenue", "orders"]},
                "layout": {"x": 0, "y": 0, "w": 6, "h": 2},
            },
            {
                "title": "Revenue by day",
                "type": "line",
                "query": {"metrics": ["revenue"], "dimensions": ["date.day"]},
                "layout": {"x": 0, "y": 4, "w": 8, "h": 4},
            },
            {
                "title": "Category share",
                "type": "pie",
                "query": {"metrics": ["revenue"], "dimensions": ["category"]},
                "layout": {"x": 8, "y": 4, "w": 4, "h": 4},
            },
            {
                "title": "Channel by day",
                "type": "stacked_bar",
                "query": {"metrics": ["revenue"], "dimensions": ["date.day", "channel"]},
                "layout": {"x": 0, "y": 8, "w": 6, "h": 4},
            },
            {
                "title": "Top products",
                "type": "table",
                "query": {"metrics": ["revenue", "units_sold"], "dimensions": ["product"]},
                "layout": {"x": 6, "y": 8, "w": 6, "h": 4},
            },
            {
                "title": "Where customers are",
                "type": "map",
                "query": {"metrics": ["revenue"], "dimensions": ["country"]},
                "layout": {"x": 0, "y": 12, "w": 12, "h": 3},
            },
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="module")
async def dashboard(app, shop):
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        created = await http.post(f"{BASE}/dashboards", json=_dashboard_body(), headers=shop.headers)
    assert created.status_code == 201, created.text
    return created.json()


def _csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _attachment_name(response: httpx.Response) -> str:
    match = re.fullmatch(r'attachment; filename="([^"]+)"', response.headers["content-disposition"])
    assert match, response.headers["content-disposition"]
    return match.group(1)


async def test_query_exports_as_csv_with_labelled_columns_and_two_decimal_money(client, shop):
    body = {"metrics": ["revenue", "orders"], "dimensions": ["date.day"], "time_range": JANUARY}
    response = await client.post(f"{BASE}/export", params={"format": "csv"}, json=body, headers=shop.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert re.fullmatch(r"revenue-and-orders-by-day-\d{4}-\d{2}-\d{2}\.csv", _attachment_name(response))
    rows = _csv_rows(response)
    assert rows[0] == ["Day", "Revenue (USD)", "Orders"]
    by_day = {row[0]: row[1:] for row in rows[1:]}
    assert by_day["2026-01-05"] == ["48.00", "2"]
    assert by_day["2026-01-12"] == ["16.00", "1"]
    assert by_day["2026-01-06"] == ["0.00", "0"]  # the cancelled order does not count
    assert len(rows) == 1 + 8


async def test_query_exports_as_xlsx_with_dates_and_number_formats(client, shop):
    body = {
        "metrics": ["revenue", "orders", "gross_margin"],
        "dimensions": ["date.month"],
        "time_range": {"start": "2026-01-01", "end": "2026-01-31"},
    }
    response = await client.post(f"{BASE}/export", params={"format": "xlsx"}, json=body, headers=shop.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == exports.MEDIA_TYPES["xlsx"]
    assert _attachment_name(response).endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]] == ["Month", "Revenue (USD)", "Orders", "Gross margin"]
    month, revenue, orders, margin = sheet[2]
    assert month.is_date and month.value.date() == date(2026, 1, 1) and month.number_format == "mmm yyyy"
    assert revenue.value == 64.0 and revenue.number_format == "#,##0.00"
    assert orders.value == 3 and orders.number_format == "#,##0"
    # (36 + 12 + 16 - (14 + 4 + 6)) / 64 = 0.625
    assert margin.value == pytest.approx(0.625) and margin.number_format == "0.0%"
    assert sheet.max_row == 2


async def test_text_that_looks_like_a_formula_stays_text(client, shop):
    body = {"metrics": ["revenue"], "dimensions": ["product"], "time_range": JANUARY}
    as_csv = await client.post(f"{BASE}/export", params={"format": "csv"}, json=body, headers=shop.headers)
    names = [row[0] for row in _csv_rows(as_csv)[1:]]
    assert "'=Decaf Danger" in names and "Café Mug" in names
    as_xlsx = await client.post(f"{BASE}/export", params={"format": "xlsx"}, json=body, headers=shop.headers)
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    cells = {row[0].value: row[0] for row in sheet.iter_rows(min_row=2)}
    assert cells["=Decaf Danger"].data_type == "s"


async def test_comparison_becomes_extra_columns_matched_on_dimension(client, shop):
    body = {
        "metrics": ["revenue"],
        "dimensions": ["channel"],
        "compare": "previous_period",
        "time_range": {"start": "2025-12-30", "end": "2026-01-05"},
    }
    response = await client.post(f"{BASE}/export", params={"format": "csv"}, json=body, headers=shop.headers)
    rows = _csv_rows(response)
    assert rows[0] == ["Channel", "Revenue (USD)", "Revenue (USD) (previous period)"]
    by_channel = {row[0]: row[1:] for row in rows[1:]}
    assert by_channel["web"] == ["56.00", ""]  # 36 + the 20 of 30 Dec; nothing the week before
    assert by_channel["market"] == ["12.00", ""]


async def test_export_rejects_bad_queries_and_formats(client, shop):
    bad_metric = await client.post(
        f"{BASE}/export", params={"format": "csv"}, json={"metrics": ["nope"]}, headers=shop.headers
    )
    assert bad_metric.status_code == 422
    bad_format = await client.post(
        f"{BASE}/export", params={"format": "pdf"}, json={"metrics": ["revenue"]}, headers=shop.headers
    )
    assert_problem(bad_format, 422, "VALIDATION_ERROR")
    anonymous = await client.post(f"{BASE}/export", params={"format": "csv"}, json={"metrics": ["revenue"]})
    assert anonymous.status_code == 401


async def test_widget_exports_with_the_dashboards_period_and_filters(client, shop, dashboard):
    widget = next(w for w in dashboard["widgets"] if w["title"] == "Top products")
    url = f"{BASE}/dashboards/{dashboard['id']}/widgets/{widget['id']}/export"
    response = await client.get(url, params={"format": "csv"}, headers=shop.headers)
    assert response.status_code == 200, response.text
    assert _attachment_name(response).startswith("sales-overview-top-products-")
    rows = _csv_rows(response)
    assert rows[0] == ["Product", "Revenue (USD)", "Units sold"]
    assert {row[0]: row[1:] for row in rows[1:]} == {
        "Espresso Blend": ["36.00", "2"],
        "'=Decaf Danger": ["16.00", "1"],
        "Café Mug": ["12.00", "1"],
    }
    # A dashboard filter applies to its widgets' exports.
    filtered = _dashboard_body(
        name="Web only", filters=[{"dimension": "channel", "op": "eq", "values": ["web"]}]
    )
    created = (await client.post(f"{BASE}/dashboards", json=filtered, headers=shop.headers)).json()
    web_widget = next(w for w in created["widgets"] if w["title"] == "Top products")
    web = await client.get(
        f"{BASE}/dashboards/{created['id']}/widgets/{web_widget['id']}/export",
        params={"format": "xlsx"},
        headers=shop.headers,
    )
    sheet = load_workbook(io.BytesIO(web.content)).active
    assert sorted(row[0].value for row in sheet.iter_rows(min_row=2)) == ["=Decaf Danger", "Espresso Blend"]
    # A period given in the request replaces the dashboard's.
    december = await client.get(
        url, params={"format": "csv", "start": "2025-12-01", "end": "2025-12-31"}, headers=shop.headers
    )
    assert [row[:2] for row in _csv_rows(december)[1:]] == [["Café Mug", "20.00"]]


async def test_widget_export_is_tenant_scoped_and_readable_by_viewers(client, shop, dashboard):
    widget = dashboard["widgets"][0]
    url = f"{BASE}/dashboards/{dashboard['id']}/widgets/{widget['id']}/export"
    viewer = await add_member(client, shop, "viewer")
    assert (await client.get(url, params={"format": "csv"}, headers=viewer.headers)).status_code == 200
    stranger = await register(client, company="Someone Else")
    assert_problem(
        await client.get(url, params={"format": "csv"}, headers=stranger.headers), 404, "RESOURCE_NOT_FOUND"
    )
    missing = f"{BASE}/dashboards/{dashboard['id']}/widgets/{uuid.uuid4()}/export"
    assert_problem(
        await client.get(missing, params={"format": "csv"}, headers=shop.headers), 404, "RESOURCE_NOT_FOUND"
    )
    pdf = await client.get(f"{BASE}/dashboards/{dashboard['id']}/export.pdf", headers=stranger.headers)
    assert_problem(pdf, 404, "RESOURCE_NOT_FOUND")


def _pdf_text_objects(pdf: bytes) -> bytes:
    """The PDF with its compressed streams (object streams included) inflated, to look for strings."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


async def test_dashboard_pdf_is_a4_landscape_with_every_widget(client, shop, dashboard):
    response = await client.get(f"{BASE}/dashboards/{dashboard['id']}/export.pdf", headers=shop.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert re.fullmatch(r"sales-overview-\d{4}-\d{2}-\d{2}\.pdf", _attachment_name(response))
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    inflated = _pdf_text_objects(pdf)
    assert re.search(rb"/MediaBox \[0 0 841\.8\d* 595\.2\d*\]", inflated)
    # Headings become the PDF's outline: the title, then the widgets in layout order.
    titles = re.findall(rb"/Title \(([^)]*)\)", inflated)
    assert titles[0] == b"Sales <Overview>"
    assert titles[1:8] == [
        b"Headline KPIs",
        b"By channel",
        b"Revenue by day",
        b"Category share",
        b"Channel by day",
        b"Top products",
        b"Where customers are",
    ]


async def test_dashboard_page_shows_period_filters_kpis_charts_and_tables(state, shop, dashboard):
    tenant_id = uuid.UUID(shop.tenant_id)
    dashboard_id = uuid.UUID(dashboard["id"])
    now = datetime(2026, 2, 1, 12, tzinfo=UTC)
    async with state.db.session(tenant_id) as session:
        shown = await service.get_dashboard(session, tenant_id, dashboard_id)
        data = await service.dashboard_data(session, tenant_id, dashboard_id, now=now)
    page = exports.dashboard_html(shown, data, PageContext("Export Roasters", "UTC", now))
    assert "<title>Sales &lt;Overview&gt;</title>" in page
    assert "Mon 5 Jan 2026 \u2013 Mon 12 Jan 2026" in page
    # KPI cards: revenue 64.00 against 20.00 the eight days before (+220 %), orders 3 against 1.
    assert "$64.00" in page and "+220.0% vs previous period" in page and "($20.00)" in page
    assert "+200.0% vs previous period" in page
    assert page.count("<svg") == 4  # bar, line, pie, stacked bar; the table and the map are tables
    assert "Espresso Blend" in page and "&#x27;=Decaf Danger" not in page and "=Decaf Danger" in page
    assert ">DE<" in page and ">US<" in page
    order = [page.index(title) for title in ("Headline KPIs", "By channel", "Revenue by day", "Top products")]
    assert order == sorted(order)


def test_charts_are_well_formed_svg_with_escaped_labels():
    series = [charts.Series("<b>web</b>", [1.0, None, 3.0]), charts.Series("market", [2.0, 2.5, None])]
    categories = ["1 Jan", "2 Jan", "<3 Jan>"]
    drawn = [
        charts.line_chart(categories, series, width=400, height=200, fmt=str),
        charts.bar_chart(categories, series, width=400, height=200, fmt=str),
        charts.bar_chart(categories, series, width=400, height=200, fmt=str, stacked=True),
        charts.pie_chart([("<script>", 3.0), ("b", 1.0), ("negative", -2.0)], width=400, height=200, fmt=str),
        charts.line_chart([], [], width=400, height=200, fmt=str),
    ]
    for svg in drawn:
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg")
        assert "<script>" not in svg and "<b>" not in svg
    assert drawn[0].count("<polyline") == 1 and drawn[0].count("<circle") >= 2  # gaps break the lines
    assert drawn[3].count("<path") == 2  # the negative slice is left out
    assert "No data" in drawn[4]


def test_nice_ticks_cover_the_values_and_zero():
    assert charts.nice_ticks(0, 95) == [0, 20, 40, 60, 80, 100]
    ticks = charts.nice_ticks(-30, 70)
    assert ticks[0] <= -30 and ticks[-1] >= 70 and 0 in ticks
    assert charts.nice_ticks(5, 5)[0] == 0
