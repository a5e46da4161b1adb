"""The SQL side of the semantic layer: for each entity, its tables and joins (each table with its own
tenant predicate), its time column, the columns measures aggregate, the named conditions measures use,
and how each dimension is computed — for both SQLite and PostgreSQL.

Every table in an entity's FROM carries `tenant_id = :tenant_id` (in the WHERE for the driving table,
in the ON clause for joined ones, inside each branch of a union), so no query the engine builds can
reach another tenant's rows, whatever the filters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.expression import FromClause, Join
from sqlalchemy.sql.util import find_tables

from binelek.connectors import models as business
from binelek.foundry import semantic

TENANT = "tenant_id"
ColumnExpr = ColumnElement[Any]


@dataclass(frozen=True, slots=True)
class Clock:
    """What "now" means for conditions such as "overdue"; bound as parameters."""

    now: BindParameter[Any]
    today: BindParameter[Any]


@dataclass(slots=True)
class Entity:
    name: str
    source: FromClause
    where: list[ColumnExpr]  # tenant predicate of the driving table and the base filter
    time: ColumnExpr  # a UTC timestamp, or a local date when `time_is_date`
    columns: dict[str, ColumnExpr]
    conditions: dict[str, ColumnExpr]
    dimensions: dict[str, ColumnExpr]  # non-time dimensions
    time_is_date: bool = False
    drill_columns: list[tuple[str, ColumnExpr, str]] = field(default_factory=list)  # name, expr, type


def _tenant(table: Any, tenant: BindParameter[Any]) -> ColumnExpr:
    return table.c.tenant_id == tenant  # type: ignore[no-any-return]


def _customer_dimensions(customers: Any) -> dict[str, ColumnExpr]:
    return {"customer": customers.c.name, "country": customers.c.country, "city": customers.c.city}


def _orders(tenant: BindParameter[Any], clock: Clock) -> Entity:
    orders = business.Order.__table__.alias("o")
    customers = business.Customer.__table__.alias("c")
    earlier = business.Order.__table__.alias("o_before")
    source = orders.outerjoin(
        customers, and_(customers.c.id == orders.c.customer_id, _tenant(customers, tenant))
    )
    returning = exists().where(
        _tenant(earlier, tenant),
        earlier.c.customer_id == orders.c.customer_id,
        earlier.c.placed_at < orders.c.placed_at,
        earlier.c.status != "cancelled",
    )
    return Entity(
        name="orders",
        source=source,
        where=[_tenant(orders, tenant), orders.c.status != "cancelled"],
        time=orders.c.placed_at,
        columns={
            "total": orders.c.total,
            "discount": orders.c.discount,
            "tax": orders.c.tax,
            "shipping": orders.c.shipping,
            "customer_id": orders.c.customer_id,
        },
        conditions={
            "returning": and_(orders.c.customer_id.is_not(None), returning),
            "subscription": orders.c.channel == "subscription",
        },
        dimensions={
            "channel": orders.c.channel,
            "status": orders.c.status,
            "currency": orders.c.currency,
            **_customer_dimensions(customers),
        },
        drill_columns=[
            ("order_number", orders.c.order_number, "string"),
            ("placed_at", orders.c.placed_at, "time"),
            ("customer", customers.c.name, "string"),
            ("channel", orders.c.channel, "string"),
            ("status", orders.c.status, "string"),
            ("currency", orders.c.currency, "string"),
            ("subtotal", orders.c.subtotal, "money"),
            ("discount", orders.c.discount, "money"),
            ("tax", orders.c.tax, "money"),
            ("shipping", orders.c.shipping, "money"),
            ("total", orders.c.total, "money"),
        ],
    )


def _order_items(tenant: BindParameter[Any], clock: Clock) -> Entity:
    items = business.OrderItem.__table__.alias("oi")
    orders = business.Order.__table__.alias("o")
    products = business.Product.__table__.alias("p")
    customers = business.Customer.__table__.alias("c")
    source = (
        items.join(orders, and_(orders.c.id == items.c.order_id, _tenant(orders, tenant)))
        .outerjoin(products, and_(products.c.id == items.c.product_id, _tenant(products, tenant)))
        .outerjoin(customers, and_(customers.c.id == orders.c.customer_id, _tenant(customers, tenant)))
    )
    return Entity(
        name="order_items",
        source=source,
        where=[_tenant(items, tenant), orders.c.status != "cancelled"],
        time=orders.c.placed_at,
        columns={
            "line_total": items.c.line_total,
            "quantity": items.c.quantity,
            "order_id": items.c.order_id,
            "line_cost": items.c.quantity * products.c.cost,
        },
        conditions={"costed": products.c.cost.is_not(None)},
        dimensions={
            "product": func.coalesce(products.c.name, items.c.sku),
            "category": products.c.category,
            "sku": items.c.sku,
            "channel": orders.c.channel,
            "status": orders.c.status,
            "currency": orders.c.currency,
            **_customer_dimensions(customers),
        },
        drill_columns=[
            ("order_number", orders.c.order_number, "string"),
            ("placed_at", orders.c.placed_at, "time"),
            ("product", func.coalesce(products.c.name, items.c.sku), "string"),
            ("sku", items.c.sku, "string"),
            ("category", products.c.category, "string"),
            ("quantity", items.c.quantity, "integer"),
            ("unit_price", items.c.unit_price, "money"),
            ("line_total", items.c.line_total, "money"),
            ("customer", customers.c.name, "string"),
            ("channel", orders.c.channel, "string"),
        ],
    )


def _refunds(tenant: BindParameter[Any], clock: Clock) -> Entity:
    refunds = business.Refund.__table__
    payments = business.Payment.__table__
    reported = business.Refund.__table__.alias("r_reported")
    own = select(
        refunds.c.id,
        refunds.c.tenant_id,
        refunds.c.order_id,
        refunds.c.amount,
        refunds.c.currency,
        refunds.c.refunded_at.label("refunded_at"),
        refunds.c.reason,
    ).where(_tenant(refunds, tenant))
    # A refunded payment row is a refund when its source reported no separate refund for the order.
    from_payments = select(
        payments.c.id,
        payments.c.tenant_id,
        payments.c.order_id,
        payments.c.amount,
        payments.c.currency,
        payments.c.paid_at.label("refunded_at"),
        literal(None, String()).label("reason"),
    ).where(
        _tenant(payments, tenant),
        payments.c.status == "refunded",
        not_(exists().where(_tenant(reported, tenant), reported.c.order_id == payments.c.order_id)),
    )
    refund_rows = union_all(own, from_payments).subquery("rf")
    orders = business.Order.__table__.alias("o")
    customers = business.Customer.__table__.alias("c")
    source = refund_rows.outerjoin(
        orders, and_(orders.c.id == refund_rows.c.order_id, _tenant(orders, tenant))
    ).outerjoin(customers, and_(customers.c.id == orders.c.customer_id, _tenant(customers, tenant)))
    return Entity(
        name="refunds",
        source=source,
        where=[],  # each branch of the union carries the tenant predicate
        time=refund_rows.c.refunded_at,
        columns={"amount": refund_rows.c.amount},
        conditions={},
        dimensions={
            "channel": orders.c.channel,
            "currency": refund_rows.c.currency,
            **_customer_dimensions(customers),
        },
        drill_columns=[
            ("refunded_at", refund_rows.c.refunded_at, "time"),
            ("order_number", orders.c.order_number, "string"),
            ("customer", customers.c.name, "string"),
            ("amount", refund_rows.c.amount, "money"),
            ("currency", refund_rows.c.currency, "string"),
            ("reason", refund_rows.c.reason, "string"),
        ],
    )


def _customers(tenant: BindParameter[Any], clock: Clock) -> Entity:
    customers = business.Customer.__table__.alias("c")
    return Entity(
        name="customers",
        source=customers,
        where=[_tenant(customers, tenant)],
        time=func.coalesce(customers.c.source_created_at, customers.c.created_at),
        columns={},
        conditions={},
        dimensions=_customer_dimensions(customers),
        drill_columns=[
            ("name", customers.c.name, "string"),
            ("email", customers.c.email, "string"),
            ("country", customers.c.country, "string"),
            ("city", customers.c.city, "string"),
            ("created_at", func.coalesce(customers.c.source_created_at, customers.c.created_at), "time"),
        ],
    )


def _invoices(tenant: BindParameter[Any], clock: Clock) -> Entity:
    invoices = business.Invoice.__table__.alias("i")
    customers = business.Customer.__table__.alias("c")
    source = invoices.outerjoin(
        customers, and_(customers.c.id == invoices.c.customer_id, _tenant(customers, tenant))
    )
    unpaid = and_(invoices.c.status.in_(("open", "overdue")), invoices.c.balance > 0)
    overdue = and_(
        unpaid,
        or_(
            invoices.c.status == "overdue",
            and_(invoices.c.due_at.is_not(None), invoices.c.due_at < clock.now),
        ),
    )
    return Entity(
        name="invoices",
        source=source,
        where=[_tenant(invoices, tenant), invoices.c.status != "void"],
        time=invoices.c.issued_at,
        columns={"total": invoices.c.total, "balance": invoices.c.balance},
        conditions={"unpaid": unpaid, "overdue": overdue},
        dimensions={
            "status": invoices.c.status,
            "currency": invoices.c.currency,
            **_customer_dimensions(customers),
        },
        drill_columns=[
            ("invoice_number", invoices.c.invoice_number, "string"),
            ("customer", customers.c.name, "string"),
            ("issued_at", invoices.c.issued_at, "time"),
            ("due_at", invoices.c.due_at, "time"),
            ("status", invoices.c.status, "string"),
            ("total", invoices.c.total, "money"),
            ("balance", invoices.c.balance, "money"),
        ],
    )


def _deals(tenant: BindParameter[Any], clock: Clock) -> Entity:
    deals = business.Deal.__table__.alias("d")
    stage = func.lower(deals.c.stage)
    won = stage.contains("won")
    lost = stage.contains("lost")
    return Entity(
        name="deals",
        source=deals,
        where=[_tenant(deals, tenant)],
        time=deals.c.close_date,
        time_is_date=True,
        columns={"amount": deals.c.amount},
        conditions={"won": won, "lost": lost, "open": and_(not_(won), not_(lost))},
        dimensions={
            "deal_stage": deals.c.stage,
            "pipeline": deals.c.pipeline,
            "deal_owner": deals.c.owner_email,
            "currency": deals.c.currency,
        },
        drill_columns=[
            ("name", deals.c.name, "string"),
            ("pipeline", deals.c.pipeline, "string"),
            ("stage", deals.c.stage, "string"),
            ("amount", deals.c.amount, "money"),
            ("close_date", deals.c.close_date, "date"),
            ("owner", deals.c.owner_email, "string"),
        ],
    )


def _payments(tenant: BindParameter[Any], clock: Clock) -> Entity:
    payments = business.Payment.__table__.alias("pay")
    return Entity(
        name="payments",
        source=payments,
        where=[_tenant(payments, tenant)],
        time=payments.c.paid_at,
        columns={"amount": payments.c.amount, "fee": payments.c.fee},
        conditions={"succeeded": payments.c.status == "succeeded"},
        dimensions={
            "payment_method": payments.c.method,
            "status": payments.c.status,
            "currency": payments.c.currency,
        },
        drill_columns=[
            ("paid_at", payments.c.paid_at, "time"),
            ("status", payments.c.status, "string"),
            ("method", payments.c.method, "string"),
            ("amount", payments.c.amount, "money"),
            ("fee", payments.c.fee, "money"),
            ("currency", payments.c.currency, "string"),
        ],
    )


def _products(tenant: BindParameter[Any], clock: Clock) -> Entity:
    products = business.Product.__table__.alias("p")
    return Entity(
        name="products",
        source=products,
        where=[_tenant(products, tenant)],
        time=products.c.created_at,
        columns={"inventory": products.c.inventory, "stock_value": products.c.inventory * products.c.cost},
        conditions={
            "low_stock": and_(products.c.inventory >= 1, products.c.inventory <= semantic.LOW_STOCK_UNITS),
            "out_of_stock": products.c.inventory <= 0,
        },
        dimensions={"product": products.c.name, "category": products.c.category, "sku": products.c.sku},
        drill_columns=[
            ("sku", products.c.sku, "string"),
            ("name", products.c.name, "string"),
            ("category", products.c.category, "string"),
            ("price", products.c.price, "money"),
            ("cost", products.c.cost, "money"),
            ("inventory", products.c.inventory, "integer"),
        ],
    )


BUILDERS: dict[str, Callable[[BindParameter[Any], Clock], Entity]] = {
    "orders": _orders,
    "order_items": _order_items,
    "refunds": _refunds,
    "customers": _customers,
    "invoices": _invoices,
    "deals": _deals,
    "payments": _payments,
    "products": _products,
}


def build(name: str, tenant: BindParameter[Any], clock: Clock) -> Entity:
    return BUILDERS[name](tenant, clock)


# --- time buckets --------------------------------------------------------------------------------

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def local_time(column: ColumnExpr, dialect: str, timezone: str, is_date: bool) -> ColumnExpr:
    """The column as a local wall-clock timestamp in the tenant's time zone."""
    if is_date or timezone == "UTC":
        return column
    if dialect == "postgresql":
        return func.timezone(timezone, column)
    return func.bk_local(column, timezone)  # registered on every SQLite connection (kit.db)


def time_bucket(column: ColumnExpr, grain: str, dialect: str, timezone: str, is_date: bool) -> ColumnExpr:
    """The first day of the bucket holding each row, as a date (SQLite: an ISO date string)."""
    local = local_time(column, dialect, timezone, is_date)
    if dialect == "postgresql":
        return cast(func.date_trunc(grain, local), Date)
    if grain == "day":
        return func.date(local)
    if grain == "week":
        return func.date(local, "weekday 0", "-6 days")  # ISO weeks start on Monday
    if grain == "month":
        return func.strftime("%Y-%m-01", local)
    if grain == "year":
        return func.strftime("%Y-01-01", local)
    month = cast(func.strftime("%m", local), Integer)
    return func.printf("%s-%02d-01", func.strftime("%Y", local), (month - 1) // 3 * 3 + 1)


def weekday_number(column: ColumnExpr, dialect: str, timezone: str, is_date: bool) -> ColumnExpr:
    """ISO day of the week, 1 (Monday) to 7 (Sunday)."""
    local = local_time(column, dialect, timezone, is_date)
    if dialect == "postgresql":
        return cast(func.extract("isodow", local), Integer)
    return (cast(func.strftime("%w", local), Integer) + 6) % 7 + 1


def hour_of_day(column: ColumnExpr, dialect: str, timezone: str) -> ColumnExpr:
    local = local_time(column, dialect, timezone, False)
    if dialect == "postgresql":
        return cast(func.extract("hour", local), Integer)
    return cast(func.strftime("%H", local), Integer)


def tables_in(*clauses: Any) -> set[Any]:
    found: set[Any] = set()
    for clause in clauses:
        found.update(find_tables(clause, check_columns=True, include_aliases=True))
    return found


def pruned(source: FromClause, used: set[Any]) -> FromClause:
    """The FROM without the outer joins nothing uses. Every outer join here is to a row by its primary
    key, so dropping an unused one never changes which rows or how many."""
    if not isinstance(source, Join):
        return source
    if source.isouter and not (tables_in(source.right) & used):
        return pruned(source.left, used)
    needed = used | tables_in(source.onclause)
    return Join(pruned(source.left, needed), source.right, source.onclause, isouter=source.isouter)


def then(condition: ColumnExpr | None, value: ColumnExpr) -> ColumnExpr:
    return value if condition is None else case((condition, value))
