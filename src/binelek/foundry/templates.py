"""The four starting dashboards. A template is only a list of widgets: a tenant's copy is theirs to
change, and a later version of a template never rewrites it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from binelek.foundry.schemas import OrderBy, TimeRange, WidgetIn, WidgetLayout, WidgetQuery


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    title: str
    description: str
    widgets: tuple[WidgetIn, ...]
    date_range: TimeRange = field(default_factory=lambda: TimeRange(preset="last_30_days"))


def _widget(
    title: str,
    type_: str,
    metrics: list[str],
    layout: tuple[int, int, int, int],
    dimensions: list[str] | None = None,
    *,
    order_by: str | None = None,
    ascending: bool = False,
    limit: int = 500,
    time_range: str | None = None,
    options: dict[str, Any] | None = None,
) -> WidgetIn:
    x, y, w, h = layout
    return WidgetIn(
        title=title,
        type=type_,
        query=WidgetQuery(
            metrics=metrics,
            dimensions=dimensions or [],
            order_by=[OrderBy(field=order_by, direction="asc" if ascending else "desc")] if order_by else [],
            limit=limit,
            time_range=TimeRange(preset=time_range) if time_range else None,
        ),
        layout=WidgetLayout(x=x, y=y, w=w, h=h),
        options=options or {},
    )


def _kpi(title: str, metric: str, x: int, y: int = 0, sparkline: bool = True) -> WidgetIn:
    return _widget(
        title,
        "kpi",
        [metric],
        (x, y, 3, 3),
        ["date.day"] if sparkline else [],
        options={"sparkline": sparkline},
    )


SALES_OVERVIEW = Template(
    "sales_overview",
    "Sales Overview",
    "Revenue, orders and basket size, where they come from and what sells.",
    (
        _kpi("Revenue", "revenue", 0),
        _kpi("Orders", "orders", 3),
        _kpi("Average order value", "average_order_value", 6),
        _kpi("Net revenue", "net_revenue", 9),
        _widget("Revenue by day", "line", ["revenue"], (0, 3, 8, 8), ["date.day"]),
        _widget("Revenue by channel", "pie", ["revenue"], (8, 3, 4, 8), ["channel"]),
        _widget("Revenue by category", "bar", ["revenue"], (0, 11, 6, 8), ["category"]),
        _widget(
            "Top products",
            "table",
            ["revenue", "units_sold"],
            (6, 11, 6, 8),
            ["product"],
            order_by="revenue",
            limit=10,
        ),
        _widget("Revenue by country", "map", ["revenue"], (0, 19, 12, 9), ["country"]),
    ),
)

CUSTOMER_ANALYTICS = Template(
    "customer_analytics",
    "Customer Analytics",
    "Who buys, who comes back, and where they are.",
    (
        _kpi("New customers", "new_customers", 0),
        _kpi("Customers who ordered", "customers", 3),
        _kpi("Returning-customer rate", "returning_customer_rate", 6, sparkline=False),
        _kpi("Average order value", "average_order_value", 9),
        _widget(
            "New customers by week",
            "bar",
            ["new_customers"],
            (0, 3, 6, 8),
            ["date.week"],
            time_range="last_90_days",
        ),
        _widget(
            "Top customers",
            "table",
            ["revenue", "orders"],
            (6, 3, 6, 8),
            ["customer"],
            order_by="revenue",
            limit=10,
        ),
        _widget("Customers by country", "map", ["customers"], (0, 11, 8, 9), ["country"]),
        _widget("Revenue by city", "bar", ["revenue"], (8, 11, 4, 9), ["city"], order_by="revenue", limit=10),
    ),
)

INVENTORY_STATUS = Template(
    "inventory_status",
    "Inventory Status",
    "What is in stock, what it is worth, and what is running low.",
    (
        _kpi("Units in stock", "inventory_units", 0, sparkline=False),
        _kpi("Inventory value", "inventory_value", 3, sparkline=False),
        _kpi("Low on stock", "low_stock_products", 6, sparkline=False),
        _kpi("Out of stock", "out_of_stock_products", 9, sparkline=False),
        _widget("Inventory value by category", "bar", ["inventory_value"], (0, 3, 6, 8), ["category"]),
        _widget(
            "Lowest stock, with units sold",
            "table",
            ["inventory_units", "units_sold"],
            (6, 3, 6, 8),
            ["product"],
            order_by="inventory_units",
            ascending=True,
            limit=15,
        ),
        _widget(
            "Units sold by category",
            "stacked_bar",
            ["units_sold"],
            (0, 11, 12, 8),
            ["date.week", "category"],
            time_range="last_90_days",
        ),
    ),
)

FINANCIAL_HEALTH = Template(
    "financial_health",
    "Financial Health",
    "Net revenue, margin, what customers owe, and the sales pipeline.",
    (
        _kpi("Net revenue", "net_revenue", 0),
        _kpi("Gross margin", "gross_margin", 3, sparkline=False),
        _kpi("Outstanding balance", "outstanding_balance", 6, sparkline=False),
        _kpi("Overdue balance", "overdue_balance", 9, sparkline=False),
        _widget(
            "Revenue and refunds by month",
            "line",
            ["revenue", "refunds"],
            (0, 3, 8, 8),
            ["date.month"],
            time_range="last_12_months",
        ),
        _widget("Outstanding by status", "pie", ["outstanding_balance"], (8, 3, 4, 8), ["status"]),
        _widget(
            "Revenue by month and channel",
            "stacked_bar",
            ["revenue"],
            (0, 11, 8, 8),
            ["date.month", "channel"],
            time_range="last_12_months",
        ),
        _widget(
            "Who owes the most",
            "table",
            ["outstanding_balance", "overdue_balance"],
            (8, 11, 4, 8),
            ["customer"],
            order_by="outstanding_balance",
            limit=10,
        ),
        _kpi("Pipeline value", "pipeline_value", 0, 19, sparkline=False),
        _kpi("Win rate", "win_rate", 3, 19, sparkline=False),
        _kpi("Payments received", "payments_received", 6, 19),
        _kpi("Payment fees", "payment_fees", 9, 19),
    ),
)

TEMPLATES: dict[str, Template] = {
    template.name: template
    for template in (SALES_OVERVIEW, CUSTOMER_ANALYTICS, INVENTORY_STATUS, FINANCIAL_HEALTH)
}
