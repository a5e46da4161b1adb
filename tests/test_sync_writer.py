"""Writing synced pages: references resolved by the parent's provider id, order items without their
order dropped and counted, deletions, events for new orders, deal stage changes and overdue invoices."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from binelek.connectors import service
from binelek.connectors.adapters.base import Page
from binelek.connectors.models import Connection, Deal, Invoice, Order, OrderItem
from binelek.connectors.sync import write_page
from binelek.kit.outbox_models import Event
from tests.conftest import register

NOW = datetime.now(UTC)


async def _connection(state, tenant_id: uuid.UUID, provider: str) -> uuid.UUID:
    async with state.db.session(tenant_id) as session:
        connection = Connection(tenant_id=tenant_id, type=provider, name=provider)
        session.add(connection)
        await session.flush()
        return connection.id


async def _write(state, tenant_id: uuid.UUID, connection_id: uuid.UUID, page: Page):
    async with state.db.session(tenant_id) as session:
        return await write_page(await session.connection(), tenant_id, connection_id, page)


def _order(source_id: str, customer: str | None) -> dict:
    return {
        "source_id": source_id,
        "source_updated_at": NOW,
        "_customer": customer,
        "order_number": f"#{source_id}",
        "customer_email": "lee@example.com",
        "status": "paid",
        "currency": "EUR",
        "subtotal": Decimal("40"),
        "discount": Decimal("0"),
        "tax": Decimal("8"),
        "shipping": Decimal("2"),
        "total": Decimal("50"),
        "placed_at": NOW - timedelta(days=1),
        "channel": "online",
    }


def _customer(source_id: str) -> dict:
    return {
        "source_id": source_id,
        "email": "lee@example.com",
        "name": "Lee Park",
        "phone": None,
        "country": "DE",
        "city": "Berlin",
        "source_created_at": NOW - timedelta(days=30),
    }


def _item(source_id: str, order: str) -> dict:
    return {
        "source_id": source_id,
        "_order": order,
        "_product": None,
        "sku": "MUG-1",
        "quantity": 2,
        "unit_price": Decimal("20"),
        "line_total": Decimal("40"),
    }


async def _events(state, tenant_id: uuid.UUID, kind: str) -> list[dict]:
    async with state.db.session() as session:
        rows = await session.execute(select(Event).where(Event.tenant_id == tenant_id, Event.type == kind))
        return [event.payload for event in rows.scalars()]


async def test_references_resolve_by_provider_id_and_orphans_are_counted(client, state):
    owner = await register(client)
    tenant_id = uuid.UUID(owner.tenant_id)
    connection_id = await _connection(state, tenant_id, "shopify")
    page = Page(
        records={
            "customers": [_customer("gid://Customer/1")],
            "orders": [_order("gid://Order/1", "gid://Customer/1")],
            "order_items": [
                _item("gid://LineItem/1", "gid://Order/1"),
                _item("gid://LineItem/2", "gid://Order/404"),
            ],
        }
    )
    counts = await _write(state, tenant_id, connection_id, page)
    assert (counts.fetched, counts.created, counts.failed) == (4, 3, 1)
    async with state.db.session(tenant_id) as session:
        order = (await session.execute(select(Order))).scalar_one()
        item = (await session.execute(select(OrderItem))).scalar_one()
    assert order.customer_id is not None and item.order_id == order.id
    created = await _events(state, tenant_id, "order.created")
    assert [event["order_number"] for event in created] == ["#gid://Order/1"]

    again = await _write(state, tenant_id, connection_id, page)  # the same page after a crash
    assert (again.created, again.updated) == (0, 0)
    assert len(await _events(state, tenant_id, "order.created")) == 1

    deleted = await _write(
        state, tenant_id, connection_id, Page(deleted={"order_items": ["gid://LineItem/1"]})
    )
    assert deleted.deleted == 1


async def test_a_deal_moving_stage_emits_deal_stage_changed(client, state):
    owner = await register(client)
    tenant_id = uuid.UUID(owner.tenant_id)
    connection_id = await _connection(state, tenant_id, "hubspot")

    def deal(stage: str) -> dict:
        return {
            "source_id": "deal-7",
            "name": "Café chain rollout",
            "pipeline": "default",
            "stage": stage,
            "amount": Decimal("12000"),
            "currency": "EUR",
            "close_date": (NOW + timedelta(days=20)).date(),
            "owner_email": "sam@example.com",
            "source_created_at": NOW,
            "_company": None,
            "_contact": None,
        }

    await _write(state, tenant_id, connection_id, Page(records={"deals": [deal("qualifiedtobuy")]}))
    assert await _events(state, tenant_id, "deal.stage_changed") == []
    await _write(state, tenant_id, connection_id, Page(records={"deals": [deal("closedwon")]}))
    changes = await _events(state, tenant_id, "deal.stage_changed")
    assert len(changes) == 1
    assert changes[0]["from_stage"] == "qualifiedtobuy" and changes[0]["to_stage"] == "closedwon"
    async with state.db.session(tenant_id) as session:
        stored = (await session.execute(select(Deal))).scalar_one()
    assert changes[0]["deal_id"] == str(stored.id) and changes[0]["amount"] == "12000"


async def test_overdue_invoices_emit_once(client, state):
    owner = await register(client)
    tenant_id = uuid.UUID(owner.tenant_id)
    connection_id = await _connection(state, tenant_id, "xero")

    def invoice(number: str, due: datetime, balance: str, status: str) -> dict:
        return {
            "source_id": number,
            "_customer": None,
            "invoice_number": number,
            "customer_email": "lee@example.com",
            "currency": "EUR",
            "issued_at": due - timedelta(days=30),
            "due_at": due,
            "total": Decimal("300"),
            "balance": Decimal(balance),
            "status": status,
        }

    page = Page(
        records={
            "invoices": [
                invoice("INV-1", NOW - timedelta(days=3), "300", "open"),
                invoice("INV-2", NOW - timedelta(days=3), "0", "paid"),
                invoice("INV-3", NOW + timedelta(days=3), "300", "open"),
            ]
        }
    )
    await _write(state, tenant_id, connection_id, page)
    assert await service.emit_overdue_invoices(state.db, tenant_id) == 1
    assert await service.emit_overdue_invoices(state.db, tenant_id) == 0
    [event] = await _events(state, tenant_id, "invoice.overdue")
    assert (
        event["invoice_number"] == "INV-1" and event["days_overdue"] == 3 and event["balance"] == "300.0000"
    )
    async with state.db.session(tenant_id) as session:
        flagged = (
            await session.execute(select(Invoice).where(Invoice.overdue_notified_at.is_not(None)))
        ).all()
    assert len(flagged) == 1
