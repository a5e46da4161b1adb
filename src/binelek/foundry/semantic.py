"""The semantic layer, declared in one place: what each metric means and what it can be broken down by.

A *measure* is one SQL aggregate over an *entity* (a fact table with its joins, a time column and a
base filter such as "not cancelled"). A *metric* is a formula over measures ("revenue / orders"):
the engine computes the measures entity by entity, grouped by the requested dimensions, and
evaluates the formula on each row, so a derived metric never needs SQL of its own and a tenant's
custom metric is just one more formula.

Definitions (what an owner reads in the metric list):
- An order counts unless it was cancelled; revenue is order totals (after discounts, with tax and
  shipping), by the order's placement time.
- Broken down or filtered by product, category or SKU, revenue is *product sales* (line totals)
  and orders counts the orders containing that product: an order-level total cannot be split.
- Refunds are the refunds a source reports; a refunded payment row counts as a refund when its
  source reported no separate refund for that order (file imports record refunds that way).
- Balances (outstanding, overdue, pipeline) are as of now: the period does not apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

EntityName = Literal[
    "orders", "order_items", "refunds", "customers", "invoices", "deals", "payments", "products"
]
Format = Literal["number", "integer", "money", "percent"]
DimensionType = Literal["time", "string", "integer"]

LOW_STOCK_UNITS = 10
TIME_GRAINS = ("day", "week", "month", "quarter", "year")
ITEM_LEVEL_DIMENSIONS = frozenset({"product", "category", "sku"})


@dataclass(frozen=True, slots=True)
class Measure:
    name: str
    entity: EntityName
    # aggregate: sum | count | count_distinct | avg; `column` names an entity column (see engine.COLUMNS)
    aggregate: Literal["sum", "count", "count_distinct"]
    column: str | None = None
    where: str | None = None  # a named condition of the entity (engine.CONDITIONS)

    @property
    def cheap(self) -> bool:
        """Costs little beside the scan a statement does anyway (not a distinct count)."""
        return self.aggregate != "count_distinct"


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    label: str
    description: str
    format: Format
    formula: str  # over measure names (and `months`, the period's length in months)
    entity: EntityName  # where its rows live: what drill-down lists
    snapshot: bool = False
    higher_is_better: bool = True
    # The formula to use when a product-level dimension or filter is present (see module docstring).
    item_formula: str | None = None
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str
    label: str
    type: DimensionType
    synonyms: tuple[str, ...] = ()
    values_from: str | None = None  # entity column whose distinct values a question may name
    entities: frozenset[str] = field(default_factory=frozenset)


MEASURES: dict[str, Measure] = {
    measure.name: measure
    for measure in (
        Measure("order_total", "orders", "sum", "total"),
        Measure("order_count", "orders", "count"),
        Measure("discount_total", "orders", "sum", "discount"),
        Measure("tax_total", "orders", "sum", "tax"),
        Measure("shipping_total", "orders", "sum", "shipping"),
        Measure("ordering_customers", "orders", "count_distinct", "customer_id"),
        Measure("returning_customers", "orders", "count_distinct", "customer_id", where="returning"),
        Measure("subscription_total", "orders", "sum", "total", where="subscription"),
        Measure("line_total", "order_items", "sum", "line_total"),
        Measure("units", "order_items", "sum", "quantity"),
        Measure("item_orders", "order_items", "count_distinct", "order_id"),
        Measure("cost_of_goods", "order_items", "sum", "line_cost"),
        Measure("costed_line_total", "order_items", "sum", "line_total", where="costed"),
        Measure("refund_total", "refunds", "sum", "amount"),
        Measure("refund_count", "refunds", "count"),
        Measure("new_customer_count", "customers", "count"),
        Measure("invoiced_total", "invoices", "sum", "total"),
        Measure("outstanding_balance", "invoices", "sum", "balance", where="unpaid"),
        Measure("overdue_balance", "invoices", "sum", "balance", where="overdue"),
        Measure("overdue_count", "invoices", "count", where="overdue"),
        Measure("open_deal_amount", "deals", "sum", "amount", where="open"),
        Measure("open_deal_count", "deals", "count", where="open"),
        Measure("won_deal_count", "deals", "count", where="won"),
        Measure("lost_deal_count", "deals", "count", where="lost"),
        Measure("won_deal_amount", "deals", "sum", "amount", where="won"),
        Measure("payments_received", "payments", "sum", "amount", where="succeeded"),
        Measure("payment_fees", "payments", "sum", "fee", where="succeeded"),
        Measure("stock_units", "products", "sum", "inventory"),
        Measure("stock_value", "products", "sum", "stock_value"),
        Measure("product_count", "products", "count"),
        Measure("low_stock_count", "products", "count", where="low_stock"),
        Measure("out_of_stock_count", "products", "count", where="out_of_stock"),
    )
}

METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in (
        Metric(
            "revenue",
            "Revenue",
            "Order totals (after discounts, with tax and shipping) of orders that were not cancelled. "
            "By product or category: product sales (line totals).",
            "money",
            "order_total",
            "orders",
            item_formula="line_total",
            synonyms=("sales", "turnover", "gross sales", "takings", "income", "made", "earned"),
        ),
        Metric(
            "net_revenue",
            "Net revenue",
            "Revenue minus refunds.",
            "money",
            "order_total - refund_total",
            "orders",
            synonyms=("net sales", "revenue after refunds", "net income"),
        ),
        Metric(
            "orders",
            "Orders",
            "Orders that were not cancelled. By product or category: orders containing it.",
            "integer",
            "order_count",
            "orders",
            item_formula="item_orders",
            synonyms=("order count", "number of orders", "purchases", "transactions"),
        ),
        Metric(
            "average_order_value",
            "Average order value",
            "Revenue divided by orders.",
            "money",
            "order_total / order_count",
            "orders",
            item_formula="line_total / item_orders",
            synonyms=("aov", "average order", "average basket", "basket size", "average sale"),
        ),
        Metric(
            "units_sold",
            "Units sold",
            "Quantities on the lines of orders that were not cancelled.",
            "integer",
            "units",
            "order_items",
            synonyms=("units", "items sold", "quantity sold", "bags sold", "pieces sold"),
        ),
        Metric(
            "product_sales",
            "Product sales",
            "Line totals of orders that were not cancelled (before order discounts, tax and shipping).",
            "money",
            "line_total",
            "order_items",
            synonyms=("item sales", "line sales"),
        ),
        Metric(
            "discounts",
            "Discounts",
            "Order discounts given.",
            "money",
            "discount_total",
            "orders",
            higher_is_better=False,
            synonyms=("discount", "discounts given", "promotions"),
        ),
        Metric("tax", "Tax collected", "Tax on orders.", "money", "tax_total", "orders", synonyms=("taxes",)),
        Metric(
            "shipping",
            "Shipping charged",
            "Shipping charged on orders.",
            "money",
            "shipping_total",
            "orders",
            synonyms=("delivery charges", "shipping fees"),
        ),
        Metric(
            "customers",
            "Customers who ordered",
            "Distinct customers with at least one order in the period.",
            "integer",
            "ordering_customers",
            "orders",
            synonyms=("buyers", "active customers", "ordering customers", "shoppers"),
        ),
        Metric(
            "new_customers",
            "New customers",
            "Customers first seen in the period (when the source created them).",
            "integer",
            "new_customer_count",
            "customers",
            synonyms=("new buyers", "customer acquisition", "signups", "new clients", "acquired customers"),
        ),
        Metric(
            "returning_customer_rate",
            "Returning-customer rate",
            "Share of the customers who ordered in the period who had ordered before.",
            "percent",
            "returning_customers / ordering_customers",
            "orders",
            synonyms=("repeat rate", "repeat customer rate", "retention", "returning customers"),
        ),
        Metric(
            "refunds",
            "Refunds",
            "Money returned to customers, by when it was returned.",
            "money",
            "refund_total",
            "refunds",
            higher_is_better=False,
            synonyms=("refunded", "money back", "returns", "refund amount"),
        ),
        Metric(
            "refunds_issued",
            "Refunds issued",
            "How many refunds were given, by when the money was returned.",
            "integer",
            "refund_count",
            "refunds",
            higher_is_better=False,
            synonyms=("number of refunds", "refund count", "how many refunds"),
        ),
        Metric(
            "refund_rate",
            "Refund rate",
            "Refunds as a share of revenue.",
            "percent",
            "refund_total / order_total",
            "refunds",
            higher_is_better=False,
            synonyms=("return rate", "refund ratio"),
        ),
        Metric(
            "gross_profit",
            "Gross profit",
            "Product sales minus the products' cost, on lines whose product has a cost.",
            "money",
            "costed_line_total - cost_of_goods",
            "order_items",
            synonyms=("profit", "gross margin dollars", "margin amount"),
        ),
        Metric(
            "gross_margin",
            "Gross margin",
            "Gross profit as a share of product sales, on lines whose product has a cost.",
            "percent",
            "(costed_line_total - cost_of_goods) / costed_line_total",
            "order_items",
            synonyms=("margin", "profit margin", "markup"),
        ),
        Metric(
            "invoiced",
            "Invoiced",
            "Invoice totals by issue date.",
            "money",
            "invoiced_total",
            "invoices",
            synonyms=("billed", "invoice total", "invoices issued"),
        ),
        Metric(
            "outstanding_balance",
            "Outstanding invoice balance",
            "What customers still owe on open and overdue invoices, as of now.",
            "money",
            "outstanding_balance",
            "invoices",
            snapshot=True,
            higher_is_better=False,
            synonyms=("outstanding", "receivables", "accounts receivable", "owed", "unpaid invoices", "owe"),
        ),
        Metric(
            "overdue_balance",
            "Overdue invoice balance",
            "What customers owe on invoices past their due date, as of now.",
            "money",
            "overdue_balance",
            "invoices",
            snapshot=True,
            higher_is_better=False,
            synonyms=("overdue", "late invoices", "past due", "overdue invoices"),
        ),
        Metric(
            "overdue_invoices",
            "Overdue invoices",
            "Invoices past their due date with money still owed, as of now.",
            "integer",
            "overdue_count",
            "invoices",
            snapshot=True,
            higher_is_better=False,
            synonyms=("number of overdue invoices", "late invoice count"),
        ),
        Metric(
            "mrr",
            "Monthly recurring revenue",
            "Subscription orders' revenue per month over the period.",
            "money",
            "subscription_total / months",
            "orders",
            synonyms=("monthly recurring revenue", "recurring revenue", "subscription revenue"),
        ),
        Metric(
            "pipeline_value",
            "Pipeline value",
            "Amounts of open deals (neither won nor lost), as of now.",
            "money",
            "open_deal_amount",
            "deals",
            snapshot=True,
            synonyms=("pipeline", "open deals value", "deal pipeline", "sales pipeline"),
        ),
        Metric(
            "open_deals",
            "Open deals",
            "Deals neither won nor lost, as of now.",
            "integer",
            "open_deal_count",
            "deals",
            snapshot=True,
            synonyms=("deals in progress", "open opportunities"),
        ),
        Metric(
            "won_deals",
            "Deals won",
            "Deals won, by close date.",
            "integer",
            "won_deal_count",
            "deals",
            synonyms=("closed won", "wins", "deals closed"),
        ),
        Metric(
            "won_value",
            "Won deal value",
            "Amounts of deals won, by close date.",
            "money",
            "won_deal_amount",
            "deals",
            synonyms=("won revenue", "closed won value", "bookings"),
        ),
        Metric(
            "win_rate",
            "Win rate",
            "Deals won as a share of deals closed (won or lost), by close date.",
            "percent",
            "won_deal_count / (won_deal_count + lost_deal_count)",
            "deals",
            synonyms=("close rate", "conversion rate", "deal win rate", "success rate"),
        ),
        Metric(
            "payments_received",
            "Payments received",
            "Successful payments, by payment date.",
            "money",
            "payments_received",
            "payments",
            synonyms=("cash received", "collected", "payments"),
        ),
        Metric(
            "payment_fees",
            "Payment fees",
            "Processor fees on successful payments.",
            "money",
            "payment_fees",
            "payments",
            higher_is_better=False,
            synonyms=("processing fees", "fees", "stripe fees"),
        ),
        Metric(
            "inventory_units",
            "Units in stock",
            "Inventory on hand across products, as of the last sync.",
            "integer",
            "stock_units",
            "products",
            snapshot=True,
            synonyms=("inventory", "stock", "units in stock", "stock level"),
        ),
        Metric(
            "inventory_value",
            "Inventory value",
            "Units in stock times the products' cost, as of the last sync.",
            "money",
            "stock_value",
            "products",
            snapshot=True,
            synonyms=("stock value", "value of inventory"),
        ),
        Metric(
            "products_count",
            "Products",
            "Products in the catalogue.",
            "integer",
            "product_count",
            "products",
            snapshot=True,
            synonyms=("number of products", "catalogue size", "skus"),
        ),
        Metric(
            "low_stock_products",
            f"Products low on stock (1 to {LOW_STOCK_UNITS} units)",
            f"Products with between 1 and {LOW_STOCK_UNITS} units in stock.",
            "integer",
            "low_stock_count",
            "products",
            snapshot=True,
            higher_is_better=False,
            synonyms=("low stock", "running low", "low inventory"),
        ),
        Metric(
            "out_of_stock_products",
            "Products out of stock",
            "Products with no units in stock.",
            "integer",
            "out_of_stock_count",
            "products",
            snapshot=True,
            higher_is_better=False,
            synonyms=("out of stock", "sold out", "stockouts"),
        ),
    )
}

_ORDER_SIDE = frozenset({"orders", "order_items", "refunds"})
_CUSTOMER_SIDE = frozenset({"orders", "order_items", "refunds", "customers", "invoices"})
_TIMED = frozenset({"orders", "order_items", "refunds", "customers", "invoices", "deals", "payments"})

DIMENSIONS: dict[str, Dimension] = {
    dimension.name: dimension
    for dimension in (
        *(
            Dimension(f"date.{grain}", f"{grain.capitalize()}", "time", entities=_TIMED)
            for grain in TIME_GRAINS
        ),
        Dimension("weekday", "Day of the week", "string", ("day of week", "weekday"), entities=_TIMED),
        Dimension(
            "hour", "Hour of the day", "integer", ("hour", "time of day"), entities=frozenset({"orders"})
        ),
        Dimension(
            "product",
            "Product",
            "string",
            ("product", "item", "products"),
            "products.name",
            frozenset({"order_items", "products"}),
        ),
        Dimension(
            "category",
            "Category",
            "string",
            ("category", "product category", "categories", "type"),
            "products.category",
            frozenset({"order_items", "products"}),
        ),
        Dimension("sku", "SKU", "string", ("sku",), "products.sku", frozenset({"order_items", "products"})),
        Dimension(
            "customer",
            "Customer",
            "string",
            ("customer", "client", "buyer", "customers", "clients"),
            "customers.name",
            _CUSTOMER_SIDE,
        ),
        Dimension(
            "channel",
            "Channel",
            "string",
            ("channel", "sales channel", "source"),
            "orders.channel",
            _ORDER_SIDE,
        ),
        Dimension(
            "country", "Country", "string", ("country", "countries"), "customers.country", _CUSTOMER_SIDE
        ),
        Dimension("city", "City", "string", ("city", "cities", "town"), "customers.city", _CUSTOMER_SIDE),
        Dimension(
            "status",
            "Status",
            "string",
            ("status", "state"),
            "orders.status",
            frozenset({"orders", "order_items", "invoices", "payments"}),
        ),
        Dimension(
            "deal_stage",
            "Deal stage",
            "string",
            ("stage", "deal stage", "pipeline stage"),
            "deals.stage",
            frozenset({"deals"}),
        ),
        Dimension("pipeline", "Pipeline", "string", ("pipeline",), "deals.pipeline", frozenset({"deals"})),
        Dimension(
            "deal_owner",
            "Deal owner",
            "string",
            ("owner", "sales rep", "rep"),
            "deals.owner_email",
            frozenset({"deals"}),
        ),
        Dimension(
            "payment_method",
            "Payment method",
            "string",
            ("payment method", "method"),
            "payments.method",
            frozenset({"payments"}),
        ),
        Dimension(
            "currency",
            "Currency",
            "string",
            ("currency",),
            "orders.currency",
            frozenset({"orders", "order_items", "refunds", "invoices", "deals", "payments"}),
        ),
    )
}


def is_item_level(names: list[str]) -> bool:
    return any(name in ITEM_LEVEL_DIMENSIONS for name in names)


def entity_dimensions(entity: str) -> list[str]:
    return [name for name, dimension in DIMENSIONS.items() if entity in dimension.entities]
