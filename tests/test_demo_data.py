"""The demo business's generated history: deterministic, consistent, and shaped like a real roaster's."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import date, datetime
from decimal import Decimal

import pytest
from dbos import DBOS
from sqlalchemy import func, select

from binelek.connectors.models import Customer, Deal, Invoice, Order, OrderItem, Payment, Product
from binelek.connectors.rows import ENTITY_COLUMNS
from binelek.demo import DEMO_PEOPLE, load_business_data
from binelek.demo_data import COLUMNS, ENTITIES, INVOICE_STATUSES, ORDER_STATUSES, DemoData, generate
from binelek.kit.outbox import OUTBOX_QUEUE
from binelek.kit.outbox_models import Event
from tests.conftest import register

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def full() -> DemoData:
    return generate(today=TODAY)


def _cents(value: str) -> int:
    amount = Decimal(value)
    assert amount == amount.quantize(Decimal("0.01")), value
    return int(amount * 100)


def test_same_seed_and_day_give_byte_identical_output() -> None:
    first = generate(7, today=TODAY, scale=0.05)
    second = generate(7, today=TODAY, scale=0.05)
    assert all(first.to_csv(entity) == second.to_csv(entity) for entity in ENTITIES)
    other_seed = generate(8, today=TODAY, scale=0.05)
    assert other_seed.to_csv("orders") != first.to_csv("orders")


def test_full_scale_is_fast_and_has_the_issue_volumes(full: DemoData) -> None:
    started = time.perf_counter()
    generate(today=TODAY)
    assert time.perf_counter() - started < 10
    assert len(full.products) == 150
    assert 2_700 <= len(full.customers) <= 3_300
    assert 18_000 <= len(full.orders) <= 22_000
    assert 150 <= len(full.deals) <= 500


def test_rows_have_exactly_the_canonical_columns(full: DemoData) -> None:
    for entity in ENTITIES:
        rows = full.rows(entity)
        assert rows, entity
        assert all(tuple(row) == COLUMNS[entity] for row in rows), entity
        # The importer accepts every column the generator writes, and the generator writes its required ones.
        accepted = ENTITY_COLUMNS[entity]
        assert set(COLUMNS[entity]) <= set(accepted.all)
        assert set(accepted.required) <= set(COLUMNS[entity])
        assert full.to_csv(entity).splitlines()[0] == ",".join(COLUMNS[entity])


def test_every_row_parses_with_the_importer(full: DemoData) -> None:
    for entity in ENTITIES:
        parse = ENTITY_COLUMNS[entity].parse
        for row in full.rows(entity):
            parse(row)


def test_money_adds_up_on_every_order(full: DemoData) -> None:
    items: dict[str, int] = Counter()
    for item in full.order_items:
        items[item["order_number"]] += int(item["quantity"]) * _cents(item["unit_price"])
    for order in full.orders:
        subtotal, discount, tax, shipping, total = (
            _cents(order[column]) for column in ("subtotal", "discount", "tax", "shipping", "total")
        )
        assert total == subtotal - discount + tax + shipping, order
        assert subtotal == items[order["order_number"]], order
        assert min(subtotal, discount, tax, shipping) >= 0 and discount < subtotal, order
        assert order["currency"] == "USD"


def test_references_resolve(full: DemoData) -> None:
    order_numbers = {order["order_number"] for order in full.orders}
    skus = {product["sku"] for product in full.products}
    emails = {customer["email"] for customer in full.customers}
    assert len(order_numbers) == len(full.orders) and len(skus) == len(full.products)
    assert len(emails) == len(full.customers)
    assert all(item["order_number"] in order_numbers and item["sku"] in skus for item in full.order_items)
    lines = [(item["order_number"], item["sku"]) for item in full.order_items]
    assert len(set(lines)) == len(lines)  # (order, sku) is the importer's natural key
    assert all(order["customer_email"] in emails for order in full.orders)
    assert all(payment["order_number"] in order_numbers for payment in full.payments)
    assert all(invoice["customer_email"] in emails for invoice in full.invoices)
    contacts = {contact["email"] for contact in full.contacts}
    assert len(contacts) == len(full.contacts)
    owners = {email for _, email, _ in DEMO_PEOPLE}
    assert all(deal["contact_email"] in contacts and deal["owner_email"] in owners for deal in full.deals)
    assert len({(deal["company"], deal["deal_name"]) for deal in full.deals}) == len(full.deals)


def test_statuses_and_history_window(full: DemoData) -> None:
    assert {order["status"] for order in full.orders} == set(ORDER_STATUSES)
    assert {order["channel"] for order in full.orders} == {"web", "subscription", "wholesale", "market"}
    assert {invoice["status"] for invoice in full.invoices} <= set(INVOICE_STATUSES)
    assert {payment["status"] for payment in full.payments} == {"succeeded", "refunded"}
    placed = [datetime.fromisoformat(order["placed_at"]).date() for order in full.orders]
    assert min(placed) >= date(2024, 11, 25) and max(placed) < TODAY
    assert placed == sorted(placed)


def test_invoices_some_overdue_some_paid_some_partial(full: DemoData) -> None:
    statuses = Counter(invoice["status"] for invoice in full.invoices)
    assert statuses["overdue"] > 0 and statuses["paid"] > statuses["open"] > 0
    wholesale = {order["order_number"] for order in full.orders if order["channel"] == "wholesale"}
    assert len(full.invoices) == len(wholesale)
    for invoice in full.invoices:
        total, balance = _cents(invoice["total"]), _cents(invoice["balance"])
        assert 0 <= balance <= total
        assert (balance == 0) == (invoice["status"] in {"paid", "void"} or total == 0)
        due = date.fromisoformat(invoice["due_at"])
        assert (invoice["status"] == "overdue") == (due < TODAY and balance > 0)
    assert any(0 < _cents(i["balance"]) < _cents(i["total"]) for i in full.invoices)


def test_refunds_are_refunded_payment_rows_that_match_the_status(full: DemoData) -> None:
    refunded: dict[str, int] = Counter()
    charged: dict[str, int] = Counter()
    for payment in full.payments:
        amount = _cents(payment["amount"])
        assert amount > 0
        if payment["status"] == "refunded":
            refunded[payment["order_number"]] += amount
        else:
            charged[payment["order_number"]] += amount
    by_status = Counter(order["status"] for order in full.orders)
    assert by_status["refunded"] > 0 and by_status["partially_refunded"] > 0
    for order in full.orders:
        number, total = order["order_number"], _cents(order["total"])
        if order["status"] == "refunded":
            assert refunded[number] == total == charged[number]
        elif order["status"] == "partially_refunded":
            assert 0 < refunded[number] < total == charged[number]
        else:
            assert refunded[number] == 0
        if order["status"] in {"pending", "cancelled"}:
            assert charged[number] == 0


def test_december_outsells_june(full: DemoData) -> None:
    revenue: dict[str, int] = Counter()
    for order in full.orders:
        revenue[order["placed_at"][:7]] += _cents(order["total"])
    assert revenue["2025-12"] > 1.4 * revenue["2025-06"]
    assert revenue["2025-07"] > revenue["2025-04"]  # the summer cold-brew bump on top of growth
    assert revenue["2026-10"] > revenue["2025-10"]  # the business grows


def test_cold_brew_sells_in_summer(full: DemoData) -> None:
    cold_brew = {product["sku"] for product in full.products if product["category"] == "cold brew"}
    month_of = {order["order_number"]: order["placed_at"][5:7] for order in full.orders}
    units: dict[str, int] = Counter()
    for item in full.order_items:
        if item["sku"] in cold_brew:
            units[month_of[item["order_number"]]] += int(item["quantity"])
    assert units["07"] > 2 * units["01"]


def test_cafes_order_on_weekdays(full: DemoData) -> None:
    wholesale: dict[bool, int] = Counter()
    orders: dict[bool, int] = Counter()
    for order in full.orders:
        weekend = datetime.fromisoformat(order["placed_at"]).weekday() >= 5
        orders[weekend] += 1
        wholesale[weekend] += order["channel"] == "wholesale"
    assert wholesale[True] / orders[True] < 0.5 * (wholesale[False] / orders[False])


def test_customers_repeat_with_a_long_tail(full: DemoData) -> None:
    orders_per_customer = Counter(order["customer_email"] for order in full.orders)
    once = sum(1 for count in orders_per_customer.values() if count == 1)
    regulars = sum(1 for count in orders_per_customer.values() if count >= 10)
    assert once > 0.15 * len(orders_per_customer) and regulars > 0.05 * len(orders_per_customer)
    countries = Counter(customer["country"] for customer in full.customers)
    assert countries["US"] > 0.75 * len(full.customers) and countries["CA"] > 0 and countries["GB"] > 0


def test_products_have_margins_and_categories(full: DemoData) -> None:
    categories = Counter(product["category"] for product in full.products)
    assert set(categories) == {
        "single-origin beans",
        "blends",
        "decaf",
        "cold brew",
        "equipment",
        "subscriptions",
        "merchandise",
    }
    for product in full.products:
        assert 0 < _cents(product["cost"]) < _cents(product["price"])
        assert int(product["inventory"]) >= 0


def test_a_small_scale_works() -> None:
    small = generate(today=TODAY, scale=0.02)
    assert 300 <= len(small.orders) <= 500
    assert 40 <= len(small.customers) <= 80
    assert len(small.products) == 150
    assert small.invoices and small.deals and small.contacts
    emails = {customer["email"] for customer in small.customers}
    assert all(order["customer_email"] in emails for order in small.orders)
    with pytest.raises(ValueError):
        generate(today=TODAY, scale=0)


async def test_the_demo_history_loads_through_the_importer_once(client, state) -> None:
    account = await register(client, company="Northwind Import Check")
    tenant_id = uuid.UUID(account.tenant_id)
    # A small scale: every new order, customer and payment also puts an event in the shared outbox.
    scale = 0.005
    expected = generate(today=TODAY, scale=scale)
    progress: list[tuple[str, int, int]] = []

    await load_business_data(
        state.db, tenant_id, scale=scale, today=TODAY, progress=lambda *step: progress.append(step)
    )
    first = await _counts(state.db, tenant_id)
    assert first == {
        "products": 150,
        "customers": len(expected.customers),
        "orders": len(expected.orders),
        "order_items": len(expected.order_items),
        "payments": len(expected.payments),
        "invoices": len(expected.invoices),
        "deals": len(expected.deals),
    }
    assert progress[-1] == ("deals", len(expected.deals), len(expected.deals))
    await load_business_data(state.db, tenant_id, scale=scale, today=TODAY)
    assert await _counts(state.db, tenant_id) == first  # natural keys make a re-run change nothing
    # Leave no backlog behind: later tests wait on the outbox for their own events.
    await _outbox_drained(state.db)


async def _outbox_drained(db, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with db.session() as session:
            undispatched = await session.scalar(
                select(func.count()).select_from(Event).where(Event.dispatched_at.is_(None))
            )
        queued = await DBOS.list_queued_workflows_async(
            queue_name=OUTBOX_QUEUE.name, limit=1, load_input=False, load_output=False
        )
        if not undispatched and not queued:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the outbox did not drain")


async def _counts(db, tenant_id: uuid.UUID) -> dict[str, int]:
    tables = {
        "products": Product,
        "customers": Customer,
        "orders": Order,
        "order_items": OrderItem,
        "payments": Payment,
        "invoices": Invoice,
        "deals": Deal,
    }
    async with db.session(tenant_id) as session:
        return {
            name: await session.scalar(
                select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
            )
            for name, model in tables.items()
        }
