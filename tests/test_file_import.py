"""File import (CSV/XLSX) into the common business schema: canonical files for every entity, XLSX,
mappings, bad rows, idempotent re-imports, foreign keys, tenant isolation, permissions and limits."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import select

from binelek.audit.models import AuditLog
from binelek.connectors import service
from binelek.connectors.models import (
    Company,
    Contact,
    Customer,
    Deal,
    FileImport,
    Invoice,
    Order,
    OrderItem,
    Payment,
    Product,
)
from binelek.kit.outbox_models import Event
from tests.conftest import Account, add_member, assert_problem, register

CUSTOMERS = """email,name,country,city,created_at
ana@example.com,Ana Lima,PT,Lisbon,2025-01-05T10:00:00Z
ben@example.com,Ben Ode,US,Austin,2025-02-01
"""
PRODUCTS = """sku,name,category,price,cost,currency,inventory
BEAN-1,House Blend 1kg,Coffee,24.50,11.20,USD,140
MUG-1,Enamel Mug,Merch,12.00,4.10,usd,30
"""
ORDERS = """order_number,customer_email,placed_at,status,currency,subtotal,discount,tax,shipping,total,channel
1001,ana@example.com,2025-03-01T09:30:00+01:00,paid,USD,36.50,0,2.92,4.99,44.41,web
1002,guest@example.com,2025-03-02T12:00:00Z,fulfilled,USD,24.50,2.45,1.76,0,23.81,pos
"""
ORDER_ITEMS = """order_number,sku,quantity,unit_price
1001,BEAN-1,1,24.50
1001,MUG-1,1,12.00
1002,BEAN-1,1,24.50
"""
PAYMENTS = """order_number,amount,currency,status,method,paid_at
1001,44.41,USD,succeeded,card,2025-03-01T09:31:00Z
1002,23.81,USD,pending,cash,2025-03-02T12:01:00Z
"""
INVOICES = """invoice_number,customer_email,issued_at,due_at,total,balance,status
INV-1,ana@example.com,2025-03-01,2025-03-31,120.00,120.00,overdue
INV-2,ben@example.com,2025-03-05,2025-04-04,80.00,0,paid
"""
CONTACTS = """email,first_name,last_name,company,phone,created_at
cara@bistro.example,Cara,Nunes,Bistro Azul,+351 21 000 0000,2025-01-10
dan@cafe.example,Dan,Roe,Cafe Norte,,2025-01-11
"""
DEALS = """deal_name,company,contact_email,pipeline,stage,amount,currency,close_date,owner_email,created_at
Beans,Bistro Azul,cara@bistro.example,Wholesale,Qualified,5000.00,EUR,2025-06-30,owner@x.example,2025-02-01
Espresso machine,Cafe Norte,dan@cafe.example,Wholesale,Won,12000,EUR,2025-04-15,owner@x.example,2025-02-02
"""


async def upload(
    client: httpx.AsyncClient,
    account: Account,
    entity: str,
    content: str | bytes,
    *,
    filename: str | None = None,
    mapping: dict[str, str] | None = None,
) -> httpx.Response:
    body = content.encode() if isinstance(content, str) else content
    data = {"entity": entity}
    if mapping is not None:
        data["mapping"] = json.dumps(mapping)
    return await client.post(
        "/api/connectors/files",
        files={"file": (filename or f"{entity}.csv", body, "text/csv")},
        data=data,
        headers=account.headers,
    )


async def finished(client: httpx.AsyncClient, account: Account, import_id: str) -> dict[str, Any]:
    for _ in range(300):
        response = await client.get(f"/api/connectors/files/{import_id}", headers=account.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] in ("completed", "failed"):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"import {import_id} did not finish: {body}")


async def imported(
    client: httpx.AsyncClient, account: Account, entity: str, content: str | bytes, **options: Any
) -> dict[str, Any]:
    response = await upload(client, account, entity, content, **options)
    assert response.status_code == 202, response.text
    return await finished(client, account, response.json()["import_id"])


async def rows_of(state: Any, account: Account, model: type[Any]) -> list[Any]:
    async with state.db.session(tenant_id=uuid.UUID(account.tenant_id)) as session:
        return list((await session.execute(select(model))).scalars().all())


async def events_of(state: Any, account: Account, event_type: str) -> list[dict[str, Any]]:
    async with state.db.session() as session:
        rows = await session.execute(
            select(Event.payload).where(
                Event.tenant_id == uuid.UUID(account.tenant_id), Event.type == event_type
            )
        )
        return [payload for (payload,) in rows]


async def test_every_entity_imports_from_its_canonical_csv(client, state):
    owner = await register(client)
    for entity, content, count in (
        ("customers", CUSTOMERS, 2),
        ("products", PRODUCTS, 2),
        ("orders", ORDERS, 2),
        ("order_items", ORDER_ITEMS, 3),
        ("payments", PAYMENTS, 2),
        ("invoices", INVOICES, 2),
        ("contacts", CONTACTS, 2),
        ("deals", DEALS, 2),
    ):
        report = await imported(client, owner, entity, content)
        assert report["status"] == "completed", report
        assert report["entity"] == entity
        assert (report["rows_total"], report["rows_imported"], report["rows_failed"]) == (count, count, 0)
        assert report["errors"] == []

    customers = {c.email: c for c in await rows_of(state, owner, Customer)}
    assert customers["ben@example.com"].source_created_at == datetime(2025, 2, 1, tzinfo=UTC)
    products = {p.sku: p for p in await rows_of(state, owner, Product)}
    assert products["MUG-1"].currency == "USD" and products["BEAN-1"].price == Decimal("24.5")
    assert isinstance(products["BEAN-1"].price, Decimal)
    orders = {o.order_number: o for o in await rows_of(state, owner, Order)}
    assert orders["1001"].customer_id == customers["ana@example.com"].id
    assert orders["1001"].placed_at == datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
    assert orders["1001"].total == Decimal("44.41")
    assert orders["1002"].customer_id is None and orders["1002"].customer_email == "guest@example.com"
    items = await rows_of(state, owner, OrderItem)
    assert {(i.order_id, i.product_id) for i in items} == {
        (orders["1001"].id, products["BEAN-1"].id),
        (orders["1001"].id, products["MUG-1"].id),
        (orders["1002"].id, products["BEAN-1"].id),
    }
    payments = await rows_of(state, owner, Payment)
    assert {p.order_id for p in payments} == {orders["1001"].id, orders["1002"].id}
    invoices = {i.invoice_number: i for i in await rows_of(state, owner, Invoice)}
    assert invoices["INV-1"].status == "overdue" and invoices["INV-1"].balance == Decimal(120)
    assert invoices["INV-2"].customer_id == customers["ben@example.com"].id
    companies = {c.name: c for c in await rows_of(state, owner, Company)}
    assert set(companies) == {"Bistro Azul", "Cafe Norte"}
    contacts = {c.email: c for c in await rows_of(state, owner, Contact)}
    assert contacts["cara@bistro.example"].company_id == companies["Bistro Azul"].id
    deals = {d.name: d for d in await rows_of(state, owner, Deal)}
    won = deals["Espresso machine"]
    assert (won.stage, won.pipeline, won.amount, won.currency) == ("Won", "Wholesale", Decimal(12000), "EUR")
    assert won.close_date == date(2025, 4, 15) and won.contact_id == contacts["dan@cafe.example"].id
    # Every row keeps where it came from.
    assert all(o.connection_id == orders["1001"].connection_id and o.content_hash for o in orders.values())
    assert orders["1001"].source_id == "1001"

    # New records announce themselves: one event each, and only succeeded payments are "received".
    assert {e["email"] for e in await events_of(state, owner, "customer.created")} == set(customers)
    assert {e["order_number"] for e in await events_of(state, owner, "order.created")} == {"1001", "1002"}
    received = await events_of(state, owner, "payment.received")
    assert [(e["amount"], e["currency"]) for e in received] == [("44.41", "USD")]

    async with state.db.session(tenant_id=uuid.UUID(owner.tenant_id)) as session:
        actions = (await session.execute(select(AuditLog.action))).scalars().all()
    assert actions.count("connectors.file_import.started") == 8
    assert actions.count("connectors.file_import.completed") == 8


async def test_reimporting_the_same_file_changes_nothing(client, state):
    owner = await register(client)
    first = await imported(client, owner, "customers", CUSTOMERS)
    before = [(c.id, c.updated_at) for c in await rows_of(state, owner, Customer)]
    second = await imported(client, owner, "customers", CUSTOMERS)
    assert (first["rows_imported"], second["rows_imported"]) == (2, 2)
    assert sorted(before) == sorted((c.id, c.updated_at) for c in await rows_of(state, owner, Customer))
    assert len(await events_of(state, owner, "customer.created")) == 2

    # A changed row is updated in place, still without a second "created" event.
    changed = CUSTOMERS.replace("Ana Lima", "Ana L. Lima")
    await imported(client, owner, "customers", changed)
    names = {c.email: c.name for c in await rows_of(state, owner, Customer)}
    assert names == {"ana@example.com": "Ana L. Lima", "ben@example.com": "Ben Ode"}
    assert len(await events_of(state, owner, "customer.created")) == 2


async def test_xlsx_with_typed_cells(client, state):
    owner = await register(client)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["sku", "name", "category", "price", "cost", "currency", "inventory"])
    sheet.append(["TEA-1", "Green Tea", "Tea", 9.9, 3, "GBP", 12])
    sheet.append(["TEA-2", "Black Tea", "Tea", "7.25", None, "GBP", None])
    sheet.append([None] * 7)  # blank rows are not rows
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = await imported(client, owner, "products", buffer.getvalue(), filename="products.xlsx")
    assert (report["status"], report["rows_total"], report["rows_imported"]) == ("completed", 2, 2), report
    products = {p.sku: p for p in await rows_of(state, owner, Product)}
    assert products["TEA-1"].price == Decimal("9.9") and products["TEA-1"].inventory == 12
    assert products["TEA-2"].cost is None

    workbook = Workbook()
    workbook.active.append(["email", "name", "created_at"])
    workbook.active.append(["eve@example.com", "Eve", datetime(2025, 5, 6, 7, 8, 9)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = await imported(client, owner, "customers", buffer.getvalue(), filename="people.XLSX")
    assert report["rows_imported"] == 1, report
    (eve,) = await rows_of(state, owner, Customer)
    assert eve.source_created_at == datetime(2025, 5, 6, 7, 8, 9, tzinfo=UTC)


async def test_a_mapping_renames_file_columns(client, state):
    owner = await register(client)
    content = "E-mail,Full name,Town,Ignored\nfay@example.com,Fay Ng,Porto,x\n"
    mapping = {"E-mail": "email", "Full name": "name", "Town": "city"}
    report = await imported(client, owner, "customers", content, mapping=mapping)
    assert report["rows_imported"] == 1, report
    (fay,) = await rows_of(state, owner, Customer)
    assert (fay.email, fay.name, fay.city) == ("fay@example.com", "Fay Ng", "Porto")

    bad = await upload(client, owner, "customers", content, mapping={"E-mail": "mail_address"})
    assert "mail_address" in assert_problem(bad, 422, "VALIDATION_ERROR")["detail"]
    not_json = await client.post(
        "/api/connectors/files",
        files={"file": ("c.csv", content.encode(), "text/csv")},
        data={"entity": "customers", "mapping": "{nope"},
        headers=owner.headers,
    )
    assert_problem(not_json, 422, "VALIDATION_ERROR")


async def test_bad_rows_are_reported_and_good_rows_kept(client, state):
    owner = await register(client)
    content = (
        "order_number,placed_at,status,currency,total\n"
        "2001,2025-01-01T10:00:00Z,paid,USD,10.00\n"
        "2002,yesterday,paid,USD,10.00\n"
        "2003,2025-01-02,paid,USD,-5\n"
        "2004,2025-01-03,paid,ZZZ,10.00\n"
        "2005,2025-01-04,shipped,USD,10.00\n"
        "2006,2025-01-05,Partially Refunded,eur,12.5\n"
        ",2025-01-05,paid,USD,1\n"
    )
    report = await imported(client, owner, "orders", content)
    assert report["status"] == "completed"
    assert (report["rows_total"], report["rows_imported"], report["rows_failed"]) == (7, 2, 5)
    by_row = {error["row"]: error for error in report["errors"]}
    assert {row: by_row[row]["column"] for row in by_row} == {
        3: "placed_at",
        4: "total",
        5: "currency",
        6: "status",
        8: "order_number",
    }
    assert "negative" in by_row[4]["message"] and "ISO 4217" in by_row[5]["message"]
    orders = {o.order_number: o for o in await rows_of(state, owner, Order)}
    assert set(orders) == {"2001", "2006"}
    assert (orders["2006"].status, orders["2006"].currency) == ("partially_refunded", "EUR")

    await imported(client, owner, "products", PRODUCTS)
    items = "order_number,sku,quantity,unit_price\n2001,BEAN-1,0,1\n2001,BEAN-1,-2,1\n2001,MUG-1,2,12\n"
    report = await imported(client, owner, "order_items", items)
    assert report["rows_imported"] == 1 and [e["column"] for e in report["errors"]] == ["quantity"] * 2


async def test_a_file_without_a_required_column_is_refused_whole(client, state):
    owner = await register(client)
    response = await upload(
        client, owner, "orders", "order_number,placed_at,status,total\n1,2025-01-01,paid,1\n"
    )
    body = assert_problem(response, 422, "VALIDATION_ERROR")
    assert "currency" in body["detail"]
    assert await rows_of(state, owner, FileImport) == []
    assert_problem(await upload(client, owner, "widgets", CUSTOMERS), 422, "VALIDATION_ERROR")
    assert_problem(
        await upload(client, owner, "customers", CUSTOMERS, filename="c.txt"), 422, "VALIDATION_ERROR"
    )
    with pytest.raises(service.ImportInvalid):
        await service.import_rows(state.db, uuid.UUID(owner.tenant_id), "orders", [{"order_number": "1"}])


async def test_order_items_and_payments_need_known_orders_and_skus(client, state):
    owner = await register(client)
    await imported(client, owner, "products", PRODUCTS)
    await imported(client, owner, "orders", ORDERS)
    items = "order_number,sku,quantity,unit_price\n1001,BEAN-1,2,24.50\n9999,BEAN-1,1,1\n1001,NOPE-1,1,1\n"
    report = await imported(client, owner, "order_items", items)
    assert report["rows_imported"] == 1
    assert sorted((e["row"], e["column"]) for e in report["errors"]) == [(3, "order_number"), (4, "sku")]
    (item,) = await rows_of(state, owner, OrderItem)
    assert (item.quantity, item.line_total) == (2, Decimal("49.00"))
    payments = "order_number,amount,currency,status,paid_at\n9999,1,USD,succeeded,2025-01-01\n"
    report = await imported(client, owner, "payments", payments)
    assert report["rows_failed"] == 1 and report["errors"][0]["column"] == "order_number"
    assert await events_of(state, owner, "payment.received") == []


async def test_tenants_never_see_each_others_rows(client, state):
    owner, other = await register(client), await register(client, company="Other Co")
    response = await upload(client, owner, "customers", CUSTOMERS)
    import_id = response.json()["import_id"]
    await finished(client, owner, import_id)
    assert_problem(
        await client.get(f"/api/connectors/files/{import_id}", headers=other.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
    assert await rows_of(state, other, Customer) == []
    # The same natural keys in another tenant are that tenant's own rows.
    result = await service.import_rows(
        state.db, uuid.UUID(other.tenant_id), "customers", [{"email": "ana@example.com", "name": "Other Ana"}]
    )
    assert (result.rows_created, result.rows_imported) == (1, 1)
    assert [c.name for c in await rows_of(state, other, Customer)] == ["Other Ana"]
    assert {c.name for c in await rows_of(state, owner, Customer)} == {"Ana Lima", "Ben Ode"}
    # Orders in the other tenant never link to this tenant's customers.
    await service.import_rows(
        state.db,
        uuid.UUID(other.tenant_id),
        "orders",
        [{"order_number": "1", "customer_email": "ben@example.com", "placed_at": "2025-01-01",
          "status": "paid", "currency": "USD", "total": "1"}],
    )  # fmt: skip
    (order,) = await rows_of(state, other, Order)
    assert order.customer_id is None


async def test_only_admins_upload_and_members_read_status(client, state):
    owner = await register(client)
    member, viewer = await add_member(client, owner, "member"), await add_member(client, owner, "viewer")
    for account in (member, viewer):
        assert_problem(await upload(client, account, "customers", CUSTOMERS), 403, "PERMISSION_DENIED")
    import_id = (await upload(client, owner, "customers", CUSTOMERS)).json()["import_id"]
    assert (await finished(client, viewer, import_id))["rows_imported"] == 2
    anonymous = await client.get(f"/api/connectors/files/{import_id}")
    assert_problem(anonymous, 401, "AUTH_REQUIRED")


async def test_an_oversized_upload_is_refused(client, state, monkeypatch):
    owner = await register(client)
    monkeypatch.setattr(service, "MAX_UPLOAD_BYTES", 1024)
    monkeypatch.setattr(service, "UPLOAD_CHUNK", 256)
    big = CUSTOMERS + "".join(f"p{n}@example.com,P {n},US,X,2025-01-01\n" for n in range(100))
    assert_problem(await upload(client, owner, "customers", big), 413, "PAYLOAD_TOO_LARGE")
    assert await rows_of(state, owner, FileImport) == []
    assert (
        list(service.upload_dir(state.settings.binelek_data_dir, uuid.UUID(owner.tenant_id)).iterdir()) == []
    )


async def test_import_rows_batches_and_caps_stored_errors(client, state, monkeypatch):
    owner = await register(client)
    monkeypatch.setattr(service, "ERRORS_KEPT", 3)
    rows = [{"email": f"c{n}@example.com", "name": f"C {n}"} for n in range(25)]
    rows += [{"email": "not-an-email", "name": "Bad"} for _ in range(5)]
    result = await service.import_rows(state.db, uuid.UUID(owner.tenant_id), "customers", rows, batch_size=10)
    assert (result.rows_total, result.rows_imported, result.rows_created, result.rows_failed) == (
        30,
        25,
        25,
        5,
    )
    assert len(result.errors) == 3 and result.errors_omitted == 2
    assert result.errors[0] == {
        "row": 27,
        "column": "email",
        "message": "'not-an-email' is not an e-mail address",
    }
    assert len(await rows_of(state, owner, Customer)) == 25


async def test_short_rows_and_a_byte_order_mark_are_read(client, state):
    owner = await register(client)
    content = "\ufeffemail,name,country,city\nhal@example.com,Hal\n\nivy@example.com,Ivy,PT\n"
    report = await imported(client, owner, "customers", content.encode("utf-8"))
    assert (report["rows_total"], report["rows_imported"]) == (2, 2), report
    assert {c.email: c.country for c in await rows_of(state, owner, Customer)} == {
        "hal@example.com": None,
        "ivy@example.com": "PT",
    }
