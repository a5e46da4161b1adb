"""The metrics layer on a small business whose every number is known by hand: definitions, time
zones, comparisons, drill-down, custom metrics, dashboards, cache invalidation, isolation, errors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from binelek.connectors import service as connectors
from binelek.foundry import service
from binelek.foundry.schemas import Filter, SemanticQuery, TimeRange
from binelek.kit.state import AppState
from tests.conftest import Account, add_member, assert_problem, register

NOW = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
BASE = "/api/modules/mini-foundry"

PRODUCTS = [
    {
        "sku": "BEAN-1",
        "name": "House Blend",
        "category": "blends",
        "price": "20.00",
        "cost": "8.00",
        "currency": "USD",
        "inventory": "5",
    },
    {
        "sku": "MUG-1",
        "name": "Enamel Mug",
        "category": "gear",
        "price": "15.00",
        "cost": "",
        "currency": "USD",
        "inventory": "0",
    },
]
CUSTOMERS = [
    {
        "email": "ana@example.com",
        "name": "Ana Lima",
        "country": "Portugal",
        "city": "Lisbon",
        "created_at": "2026-01-05T10:00:00-08:00",
    },
    {
        "email": "bo@example.com",
        "name": "Bo Berg",
        "country": "Sweden",
        "city": "Malmö",
        "created_at": "2026-02-03T10:00:00-08:00",
    },
]


def _order(number: str, email: str, placed: str, status: str, total: str, channel: str) -> dict[str, str]:
    return {
        "order_number": number,
        "customer_email": email,
        "placed_at": placed,
        "status": status,
        "currency": "USD",
        "subtotal": total,
        "discount": "0.00",
        "tax": "0.00",
        "shipping": "0.00",
        "total": total,
        "channel": channel,
    }


ORDERS = [
    # January (Pacific time): Ana's first order.
    _order("1001", "ana@example.com", "2026-01-10T09:00:00-08:00", "fulfilled", "40.00", "web"),
    # 31 Jan 23:30 in Portland is 1 Feb in UTC: it belongs to January for a Portland business.
    _order("1002", "bo@example.com", "2026-01-31T23:30:00-08:00", "fulfilled", "15.00", "market"),
    # February: Ana returns; a cancelled order never counts.
    _order("1003", "ana@example.com", "2026-02-14T12:00:00-08:00", "refunded", "60.00", "web"),
    _order("1004", "bo@example.com", "2026-02-20T12:00:00-08:00", "cancelled", "500.00", "web"),
    _order("1005", "bo@example.com", "2026-02-21T12:00:00-08:00", "paid", "35.00", "wholesale"),
]
ITEMS = [
    {"order_number": "1001", "sku": "BEAN-1", "quantity": "2", "unit_price": "20.00"},
    {"order_number": "1002", "sku": "MUG-1", "quantity": "1", "unit_price": "15.00"},
    {"order_number": "1003", "sku": "BEAN-1", "quantity": "3", "unit_price": "20.00"},
    {"order_number": "1004", "sku": "BEAN-1", "quantity": "25", "unit_price": "20.00"},
    {"order_number": "1005", "sku": "MUG-1", "quantity": "1", "unit_price": "15.00"},
    {"order_number": "1005", "sku": "BEAN-1", "quantity": "1", "unit_price": "20.00"},
]
PAYMENTS = [
    {
        "order_number": "1003",
        "amount": "60.00",
        "currency": "USD",
        "status": "succeeded",
        "method": "card",
        "paid_at": "2026-02-14T12:00:00-08:00",
    },
    {
        "order_number": "1003",
        "amount": "60.00",
        "currency": "USD",
        "status": "refunded",
        "method": "card",
        "paid_at": "2026-02-16T12:00:00-08:00",
    },
]
INVOICES = [
    {
        "invoice_number": "INV-1",
        "customer_email": "bo@example.com",
        "issued_at": "2026-02-21",
        "due_at": "2026-03-01",
        "total": "35.00",
        "balance": "35.00",
        "status": "open",
    },
    {
        "invoice_number": "INV-2",
        "customer_email": "ana@example.com",
        "issued_at": "2026-03-01",
        "due_at": "2026-03-31",
        "total": "80.00",
        "balance": "30.00",
        "status": "open",
    },
]
DEALS = [
    {
        "deal_name": "Café A",
        "company": "Café A",
        "contact_email": "",
        "pipeline": "Wholesale",
        "stage": "closed_won",
        "amount": "1000.00",
        "currency": "USD",
        "close_date": "2026-02-10",
        "owner_email": "",
        "created_at": "",
    },
    {
        "deal_name": "Café B",
        "company": "Café B",
        "contact_email": "",
        "pipeline": "Wholesale",
        "stage": "closed_lost",
        "amount": "500.00",
        "currency": "USD",
        "close_date": "2026-02-11",
        "owner_email": "",
        "created_at": "",
    },
    {
        "deal_name": "Café C",
        "company": "Café C",
        "contact_email": "",
        "pipeline": "Wholesale",
        "stage": "proposal",
        "amount": "700.00",
        "currency": "USD",
        "close_date": "2026-04-01",
        "owner_email": "",
        "created_at": "",
    },
]


async def _load(state: AppState, tenant_id: uuid.UUID, orders: list[dict[str, str]] | None = None) -> None:
    for entity, rows in (
        ("products", PRODUCTS),
        ("customers", CUSTOMERS),
        ("orders", orders or ORDERS),
        ("order_items", ITEMS),
        ("payments", PAYMENTS),
        ("invoices", INVOICES),
        ("deals", DEALS),
    ):
        result = await connectors.import_rows(state.db, tenant_id, entity, rows)
        assert result.rows_failed == 0, (entity, result.errors)


@pytest.fixture(scope="module")
async def shop(state: AppState, app: Any) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app, client=("10.9.8.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        owner = await register(client, company="Hand Count Coffee")
        member = await add_member(client, owner, "member")
        viewer = await add_member(client, owner, "viewer")
    async with state.db.session() as session:
        from binelek.identity.models import Tenant

        tenant = await session.get(Tenant, uuid.UUID(owner.tenant_id))
        assert tenant is not None
        tenant.settings = {**tenant.settings, "timezone": "America/Los_Angeles"}
    await _load(state, uuid.UUID(owner.tenant_id))
    return {"tenant": uuid.UUID(owner.tenant_id), "owner": owner, "member": member, "viewer": viewer}


async def _query(state: AppState, tenant_id: uuid.UUID, **fields: Any) -> Any:
    async with state.db.session(tenant_id) as session:
        return await service.run_query(session, tenant_id, SemanticQuery(**fields), now=NOW)


FEBRUARY = TimeRange(start="2026-02-01", end="2026-02-28")  # type: ignore[arg-type]
JANUARY = TimeRange(start="2026-01-01", end="2026-01-31")  # type: ignore[arg-type]


async def test_order_metrics_follow_their_definitions(state: AppState, shop: dict[str, Any]) -> None:
    tenant = shop["tenant"]
    result = await _query(
        state,
        tenant,
        metrics=[
            "revenue",
            "orders",
            "average_order_value",
            "refunds",
            "net_revenue",
            "refund_rate",
            "customers",
            "returning_customer_rate",
        ],
        time_range=FEBRUARY,
    )
    # 1003 (60) + 1005 (35); 1004 was cancelled. The refunded payment row is the refund.
    assert result.totals == {
        "revenue": 95.0,
        "orders": 2.0,
        "average_order_value": 47.5,
        "refunds": 60.0,
        "net_revenue": 35.0,
        "refund_rate": pytest.approx(60 / 95, abs=1e-6),
        "customers": 2.0,
        "returning_customer_rate": 1.0,  # both had ordered in January
    }
    assert result.currency == "USD"


async def test_months_are_the_tenants_local_months(state: AppState, shop: dict[str, Any]) -> None:
    result = await _query(
        state,
        shop["tenant"],
        metrics=["revenue", "orders"],
        dimensions=["date.month"],
        time_range=TimeRange(start="2026-01-01", end="2026-02-28"),  # type: ignore[arg-type]
    )
    # Order 1002 was placed on 31 January in Portland (1 February in UTC).
    assert result.rows == [["2026-01-01", 55.0, 2.0], ["2026-02-01", 95.0, 2.0]]
    assert [column.name for column in result.columns] == ["date.month", "revenue", "orders"]


async def test_product_breakdowns_use_line_totals(state: AppState, shop: dict[str, Any]) -> None:
    result = await _query(
        state,
        shop["tenant"],
        metrics=["revenue", "units_sold", "gross_margin"],
        dimensions=["category"],
        time_range=FEBRUARY,
    )
    rows = {row[0]: row[1:] for row in result.rows}
    # blends: 3x20 (1003) + 1x20 (1005); cost 8 a bag → margin (80 - 32) / 80. Gear has no cost.
    assert rows["blends"] == [80.0, 4.0, pytest.approx(0.6)]
    assert rows["gear"] == [15.0, 1.0, None]
    assert any("product sales" in note for note in result.notes)


async def test_comparison_with_the_previous_month(state: AppState, shop: dict[str, Any]) -> None:
    result = await _query(
        state, shop["tenant"], metrics=["revenue"], time_range=FEBRUARY, compare="previous_period"
    )
    assert result.comparison is not None
    assert result.comparison.range.start.isoformat() == "2026-01-01"
    assert result.comparison.range.end.isoformat() == "2026-01-31"
    assert result.comparison.totals == {"revenue": 55.0}


async def test_filters_and_snapshots(state: AppState, shop: dict[str, Any]) -> None:
    tenant = shop["tenant"]
    web = await _query(
        state, tenant, metrics=["revenue"], filters=[Filter(dimension="channel", values=["WEB"])]
    )
    assert web.totals == {"revenue": 100.0}  # case-insensitive; 1004 cancelled
    balances = await _query(
        state,
        tenant,
        metrics=["outstanding_balance", "overdue_balance", "overdue_invoices", "pipeline_value", "win_rate"],
        time_range=JANUARY,  # balances are as of now: the period does not apply
    )
    assert balances.totals == {
        "outstanding_balance": 65.0,
        "overdue_balance": 35.0,  # INV-1 was due on 1 March
        "overdue_invoices": 1.0,
        "pipeline_value": 700.0,
        "win_rate": None,  # nothing closed in January: no rate, not 0 %
    }
    february = await _query(state, tenant, metrics=["win_rate", "won_value"], time_range=FEBRUARY)
    assert february.totals == {"win_rate": 0.5, "won_value": 1000.0}


async def test_weekday_and_gaps(state: AppState, shop: dict[str, Any]) -> None:
    result = await _query(
        state,
        shop["tenant"],
        metrics=["orders"],
        dimensions=["date.day"],
        time_range=TimeRange(start="2026-02-13", end="2026-02-15"),  # type: ignore[arg-type]
    )
    assert result.rows == [["2026-02-13", 0.0], ["2026-02-14", 1.0], ["2026-02-15", 0.0]]
    weekdays = await _query(state, shop["tenant"], metrics=["orders"], dimensions=["weekday"])
    assert weekdays.rows[0][0] == "Saturday"  # 10 Jan, 31 Jan, 14 Feb and 21 Feb were Saturdays
    assert weekdays.rows[0][1] == 4.0


async def test_invalid_queries_are_problems(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    owner: Account = shop["owner"]
    unknown = await client.post(f"{BASE}/metrics/query", json={"metrics": ["vibes"]}, headers=owner.headers)
    assert_problem(unknown, 422, "QUERY_INVALID")
    impossible = await client.post(
        f"{BASE}/metrics/query",
        json={"metrics": ["new_customers"], "dimensions": ["category"]},
        headers=owner.headers,
    )
    problem = assert_problem(impossible, 422, "QUERY_INVALID")
    assert "can't be broken down by category" in problem["detail"]
    malformed = await client.post(
        f"{BASE}/metrics/query",
        json={"metrics": ["revenue"], "time_range": {"start": "2026-02-10", "end": "2026-02-01"}},
        headers=owner.headers,
    )
    assert malformed.status_code == 422


async def test_drill_down_lists_the_rows_behind_a_number(
    client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    owner: Account = shop["owner"]
    response = await client.post(
        f"{BASE}/metrics/drill-down",
        json={
            "metric": "revenue",
            "time_range": {"start": "2026-02-01", "end": "2026-02-28"},
            "filters": [{"dimension": "channel", "values": ["web"]}],
        },
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["entity"] == "orders"
    assert body["total"] == 1
    numbers = [row[0] for row in body["rows"]]
    assert numbers == ["1003"]
    overdue = await client.post(
        f"{BASE}/metrics/drill-down", json={"metric": "overdue_balance"}, headers=owner.headers
    )
    # As of the real today both invoices are past due; drill-down lists exactly the overdue ones.
    assert sorted(row[0] for row in overdue.json()["rows"]) == ["INV-1", "INV-2"]
    paid_too = await client.post(
        f"{BASE}/metrics/drill-down", json={"metric": "invoiced"}, headers=owner.headers
    )
    assert paid_too.json()["total"] == 2


async def test_custom_metrics(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    owner: Account = shop["owner"]
    body = {
        "name": "web_net_per_order",
        "label": "Web net revenue per order",
        "formula": "(order_total - refund_total) / order_count",
        "filters": [{"dimension": "channel", "values": ["web"]}],
        "format": "money",
    }
    created = await client.post(f"{BASE}/metrics/custom", json=body, headers=owner.headers)
    assert created.status_code == 201, created.text
    assert created.json()["custom"] is True
    again = await client.post(f"{BASE}/metrics/custom", json=body, headers=owner.headers)
    assert_problem(again, 409, "METRIC_EXISTS")
    result = await client.post(
        f"{BASE}/metrics/query",
        json={"metrics": ["web_net_per_order"], "time_range": {"start": "2026-02-01", "end": "2026-02-28"}},
        headers=owner.headers,
    )
    assert result.json()["totals"] == {"web_net_per_order": 0.0}  # (60 - 60) / 1
    for formula in ("__import__('os')", "revenue ** 2", "order_total +", "unknown_measure / 2"):
        bad = await client.post(
            f"{BASE}/metrics/custom",
            json={**body, "name": "bad_one", "formula": formula},
            headers=owner.headers,
        )
        assert_problem(bad, 422, "VALIDATION_ERROR")
    viewer_try = await client.post(
        f"{BASE}/metrics/custom", json={**body, "name": "viewer_one"}, headers=shop["viewer"].headers
    )
    assert_problem(viewer_try, 403, "PERMISSION_DENIED")
    catalog = (await client.get(f"{BASE}/metrics", headers=shop["viewer"].headers)).json()
    assert "web_net_per_order" in {metric["name"] for metric in catalog["metrics"]}
    removed = await client.delete(f"{BASE}/metrics/custom/{created.json()['id']}", headers=owner.headers)
    assert removed.status_code == 204


async def test_dashboards_from_templates(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    member: Account = shop["member"]
    templates = (await client.get(f"{BASE}/dashboards/templates", headers=member.headers)).json()
    assert {item["name"] for item in templates} == {
        "sales_overview",
        "customer_analytics",
        "inventory_status",
        "financial_health",
    }
    created = await client.post(
        f"{BASE}/dashboards",
        json={
            "name": "Sales",
            "template": "sales_overview",
            "is_default": True,
            "date_range": {"start": "2026-02-01", "end": "2026-02-28"},
        },
        headers=member.headers,
    )
    assert created.status_code == 201, created.text
    dashboard = created.json()
    assert len(dashboard["widgets"]) == 9
    data = await client.get(f"{BASE}/dashboards/{dashboard['id']}/data", headers=shop["viewer"].headers)
    assert data.status_code == 200, data.text
    widgets = {item["widget_id"]: item for item in data.json()["widgets"]}
    revenue_kpi = next(w for w in dashboard["widgets"] if w["title"] == "Revenue")
    assert widgets[revenue_kpi["id"]]["error"] is None
    assert widgets[revenue_kpi["id"]]["result"]["totals"] == {"revenue": 95.0}
    assert widgets[revenue_kpi["id"]]["result"]["comparison"]["totals"] == {"revenue": 55.0}
    overridden = await client.get(
        f"{BASE}/dashboards/{dashboard['id']}/data",
        params={"start": "2026-01-01", "end": "2026-01-31", "compare": "none"},
        headers=member.headers,
    )
    kpi = next(w for w in overridden.json()["widgets"] if w["widget_id"] == revenue_kpi["id"])
    assert kpi["result"]["totals"] == {"revenue": 55.0} and kpi["result"]["comparison"] is None

    moved = dict(dashboard)
    for key in ("id", "template", "created_at", "updated_at"):
        moved.pop(key)
    moved["widgets"] = [
        {**w, "layout": {**w["layout"], "y": w["layout"]["y"] + 2}} for w in dashboard["widgets"]
    ]
    moved["widgets"].pop()  # remove the map
    saved = await client.put(f"{BASE}/dashboards/{dashboard['id']}", json=moved, headers=member.headers)
    assert saved.status_code == 200, saved.text
    assert len(saved.json()["widgets"]) == 8
    assert saved.json()["widgets"][0]["id"] == dashboard["widgets"][0]["id"]
    assert saved.json()["widgets"][0]["layout"]["y"] == dashboard["widgets"][0]["layout"]["y"] + 2

    broken = {**moved, "widgets": [{**moved["widgets"][0], "query": {"metrics": ["nope"]}}]}
    rejected = await client.put(f"{BASE}/dashboards/{dashboard['id']}", json=broken, headers=member.headers)
    assert_problem(rejected, 422, "VALIDATION_ERROR")
    viewer_save = await client.put(
        f"{BASE}/dashboards/{dashboard['id']}", json=moved, headers=shop["viewer"].headers
    )
    assert_problem(viewer_save, 403, "PERMISSION_DENIED")
    listed = (await client.get(f"{BASE}/dashboards", headers=member.headers)).json()
    assert listed[0]["id"] == dashboard["id"] and listed[0]["is_default"] is True


async def test_cache_follows_the_data(
    client: httpx.AsyncClient, state: AppState, shop: dict[str, Any]
) -> None:
    owner = await register(client, company="Cache Check Coffee")
    await _load(state, uuid.UUID(owner.tenant_id))
    query = {"metrics": ["orders"], "time_range": {"preset": "all_time"}}
    first = await client.post(f"{BASE}/metrics/query", json=query, headers=owner.headers)
    assert first.json()["totals"] == {"orders": 4.0}
    extra = _order("2001", "ana@example.com", "2026-03-01T10:00:00-08:00", "paid", "10.00", "web")
    await connectors.import_rows(state.db, uuid.UUID(owner.tenant_id), "orders", [extra])
    second = await client.post(f"{BASE}/metrics/query", json=query, headers=owner.headers)
    assert second.json()["totals"] == {"orders": 5.0}


async def test_tenants_never_see_each_others_numbers(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    stranger = await register(client, company="Other Roasters")
    result = await client.post(
        f"{BASE}/metrics/query", json={"metrics": ["revenue", "orders"]}, headers=stranger.headers
    )
    assert result.json()["totals"] == {"revenue": 0.0, "orders": 0.0}
    theirs = (await client.get(f"{BASE}/dashboards", headers=shop["owner"].headers)).json()
    for dashboard in theirs:
        response = await client.get(f"{BASE}/dashboards/{dashboard['id']}", headers=stranger.headers)
        assert_problem(response, 404, "RESOURCE_NOT_FOUND")


async def test_viewer_filters_replace_the_saved_ones(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    owner: Account = shop["owner"]
    created = await client.post(
        f"{BASE}/dashboards",
        json={
            "name": "Channels",
            "date_range": {"start": "2026-02-01", "end": "2026-02-28"},
            "filters": [{"dimension": "channel", "values": ["web"]}],
            "widgets": [
                {
                    "title": "Revenue",
                    "type": "kpi",
                    "query": {"metrics": ["revenue"]},
                    "layout": {"x": 0, "y": 0, "w": 3, "h": 3},
                },
            ],
        },
        headers=owner.headers,
    )
    dashboard_id = created.json()["id"]
    saved = await client.get(f"{BASE}/dashboards/{dashboard_id}/data", headers=owner.headers)
    assert saved.json()["widgets"][0]["result"]["totals"] == {"revenue": 60.0}
    viewer_filters = '[{"dimension": "channel", "values": ["wholesale"]}]'
    viewed = await client.get(
        f"{BASE}/dashboards/{dashboard_id}/data", params={"filters": viewer_filters}, headers=owner.headers
    )
    assert viewed.json()["widgets"][0]["result"]["totals"] == {"revenue": 35.0}
    none = await client.get(
        f"{BASE}/dashboards/{dashboard_id}/data", params={"filters": "[]"}, headers=owner.headers
    )
    assert none.json()["widgets"][0]["result"]["totals"] == {"revenue": 95.0}
    bad = await client.get(
        f"{BASE}/dashboards/{dashboard_id}/data", params={"filters": "[{"}, headers=owner.headers
    )
    assert_problem(bad, 422, "VALIDATION_ERROR")


async def test_agent_tools(state: AppState, shop: dict[str, Any]) -> None:
    from binelek.foundry import tools
    from binelek.kit.request_meta import RequestMeta
    from binelek.kit.tools import ToolContext
    from tests.conftest import principal_of

    principal = await principal_of(state, shop["member"])
    async with state.db.session(shop["tenant"]) as session:
        context = ToolContext(principal=principal, session=session, state=state, meta=RequestMeta())
        answered = await tools.query_metrics(
            context, tools.QuestionArgs(question="how many orders in February 2026")
        )
        assert "2" in answered.summary and answered.data["rows"]
        unknown = await tools.query_metrics(
            context, tools.QuestionArgs(question="what is the meaning of life")
        )
        assert unknown.data["understood"] is False and unknown.data["suggestions"]
        listed = await tools.list_dashboards(context, tools.NoArgs())
        assert listed.data and listed.sources[0].url.startswith("/foundry/dashboards/")
        added = await tools.add_widget(context, tools.AddWidgetArgs(metric="refunds", breakdown="date.month"))
        assert "Refunds by month" in added.summary
    async with state.db.session(shop["tenant"]) as session:
        dashboard = await service.get_dashboard(
            session, shop["tenant"], uuid.UUID(added.data["dashboard_id"])
        )
        new = dashboard.widgets[-1]
        assert (new.type, new.query.metrics, new.query.dimensions) == ("line", ["refunds"], ["date.month"])
        assert new.layout.y >= max(w.layout.y + w.layout.h for w in dashboard.widgets[:-1])


async def test_widget_export_uses_the_viewer_filters(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    owner: Account = shop["owner"]
    created = await client.post(
        f"{BASE}/dashboards",
        json={
            "name": "Export filters",
            "date_range": {"start": "2026-02-01", "end": "2026-02-28"},
            "widgets": [
                {
                    "title": "By channel",
                    "type": "table",
                    "query": {"metrics": ["revenue"], "dimensions": ["channel"]},
                    "layout": {"x": 0, "y": 0, "w": 6, "h": 4},
                },
            ],
        },
        headers=owner.headers,
    )
    dashboard = created.json()
    path = f"{BASE}/dashboards/{dashboard['id']}/widgets/{dashboard['widgets'][0]['id']}/export"
    everything = await client.get(path, params={"format": "csv"}, headers=owner.headers)
    assert "web" in everything.text and "wholesale" in everything.text
    wholesale = await client.get(
        path,
        params={"format": "csv", "filters": '[{"dimension": "channel", "values": ["wholesale"]}]'},
        headers=owner.headers,
    )
    assert wholesale.status_code == 200, wholesale.text
    assert "wholesale" in wholesale.text and "web" not in wholesale.text
    pdf = await client.get(
        f"{BASE}/dashboards/{dashboard['id']}/export.pdf",
        params={"filters": '[{"dimension": "channel", "values": ["wholesale"]}]'},
        headers=owner.headers,
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
