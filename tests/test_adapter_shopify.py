"""The Shopify adapter against the fake Shopify store: full and incremental passes over the GraphQL
Admin API, resuming, cost-based pacing (never THROTTLED, the restore rate used), THROTTLED and 429
answers, webhooks, and the OAuth specifics (hmac-signed redirect, JSON token exchange, uninstall)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from binelek.connectors.adapters import adapter_for
from binelek.connectors.adapters.base import ConnectionContext, SignatureInvalid, WebhookRequest
from binelek.connectors.adapters.shopify import ADAPTER, ShopifyAdapter, order_status, shop_name
from binelek.connectors.api_client import ApiClient, ProviderError
from tests.fakes.base import CLIENT_ID, CLIENT_SECRET, RateLimit
from tests.fakes.harness import api_for, business_columns, context, drain
from tests.fakes.shopify import SHOP, FakeShopify

# No database: one run, in the SQLite pass of `make test`.
pytestmark = pytest.mark.embedded_only

COLUMNS = {
    "products": business_columns("products"),
    "customers": business_columns("customers"),
    "orders": business_columns("orders") | {"_customer"},
    "order_items": business_columns("order_items") | {"_product", "_order"},
    "refunds": business_columns("refunds") | {"_payment", "_order"},
}
PROVENANCE = {"source_id", "source_updated_at"}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeShopify]:
    with FakeShopify(count=90, seed=3) as server:
        yield server


@asynccontextmanager
async def session(
    fake: FakeShopify, token: str | None = None
) -> AsyncIterator[tuple[ApiClient, ConnectionContext]]:
    ctx = context(fake.config(), token or fake.GOOD_KEY)
    api = api_for(fake.origin, ADAPTER, ctx)
    try:
        yield api, ctx
    finally:
        await api.http.aclose()


SMALL_PAGES = ShopifyAdapter(nodes_per_page=30)  # two queries' worth of orders a page


async def full_sync(fake: FakeShopify, adapter: ShopifyAdapter = ADAPTER) -> dict[str, Any]:
    """Every stream drained once: records by entity, and each stream's final checkpoint and pages."""
    out: dict[str, Any] = {"records": {}, "checkpoints": {}, "pages": {}}
    async with session(fake) as (api, ctx):
        for stream in adapter.streams:
            drained = await drain(adapter, api, ctx, stream)
            for entity, records in drained.records.items():
                out["records"].setdefault(entity, []).extend(records)
            out["checkpoints"][stream] = drained.checkpoint
            out["pages"][stream] = drained.pages
    return out


def by_id(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["source_id"]: record for record in records}


async def test_full_pass_maps_every_stream_to_typed_records(fake: FakeShopify) -> None:
    graphql_before = sum(1 for _, path in fake.requests if path.endswith("/graphql.json"))
    synced = await full_sync(fake, SMALL_PAGES)
    queries = sum(1 for _, path in fake.requests if path.endswith("/graphql.json")) - graphql_before
    records = synced["records"]
    totals = fake.totals()

    for entity, columns in COLUMNS.items():
        assert len(records[entity]) == totals[entity] == len(by_id(records[entity])), entity
        for record in records[entity]:
            assert set(record) - PROVENANCE == columns, entity
    # 97 products at 15 a query, 45 customers at 240, 90 orders at 22; an engine page holds 30+ records
    assert synced["pages"] == {"products": 4, "customers": 1, "orders": 3}
    assert queries == 7 + 1 + 5 + 1 + 1 + 1  # + the t-shirt's variants, a big order's lines, a refund list

    tee = [record for record in records["products"] if record["name"].startswith("Roastery T-shirt")]
    assert len(tee) == 25  # 20 variants on the product's page, 5 more from the follow-up query
    first = tee[0]
    assert first["name"] == "Roastery T-shirt - S / Harbor Blue" and first["sku"] == "TEE-S-HAR"
    assert first["price"] == Decimal("28.00") and first["currency"] == "USD"
    assert isinstance(first["cost"], Decimal) and first["category"] == "Merchandise"
    wrapping = next(record for record in records["products"] if record["name"] == "Gift Wrapping")
    assert wrapping["sku"] == "" and wrapping["cost"] is None  # a variant without a SKU

    customers = records["customers"]
    assert all(record["email"] == record["email"].lower() for record in customers)
    assert any(record["country"] not in (None, "US") for record in customers)
    assert all(record["source_created_at"].tzinfo == UTC for record in customers)

    orders = by_id(records["orders"])
    for order in orders.values():
        assert order["total"] == order["subtotal"] - order["discount"] + order["tax"] + order["shipping"]
        assert order["placed_at"].tzinfo == UTC and order["currency"] == "USD"
        assert order["status"] in {
            "pending",
            "paid",
            "fulfilled",
            "partially_refunded",
            "refunded",
            "cancelled",
        }
    assert {"fulfilled", "cancelled", "refunded", "partially_refunded"} <= {
        o["status"] for o in orders.values()
    }
    customer_ids = set(by_id(customers))
    assert all(order["_customer"] in customer_ids for order in orders.values() if order["_customer"])

    items = records["order_items"]
    product_ids = set(by_id(records["products"]))
    assert all(item["_order"] in orders and item["_product"] in product_ids for item in items)
    assert all(item["line_total"] == item["unit_price"] * item["quantity"] for item in items)
    lines_per_order: dict[str, int] = {}
    for item in items:
        lines_per_order[item["_order"]] = lines_per_order.get(item["_order"], 0) + 1
    assert max(lines_per_order.values()) == 7  # more than the first page of 5: followed up
    refunds_per_order: dict[str, int] = {}
    for refund in records["refunds"]:
        assert refund["_order"] in orders and refund["amount"] > 0 and refund["refunded_at"].tzinfo == UTC
        refunds_per_order[refund["_order"]] = refunds_per_order.get(refund["_order"], 0) + 1
    assert max(refunds_per_order.values()) == 6  # goodwill credits: more than the first list of 3


async def test_incremental_pass_returns_only_what_changed() -> None:
    with FakeShopify(count=40, seed=11) as fake:
        synced = await full_sync(fake)
        fake.mutate()
        changed: dict[str, list[dict[str, Any]]] = {}
        again: dict[str, Any] = {}
        async with session(fake) as (api, ctx):
            for stream in ADAPTER.streams:
                drained = await drain(ADAPTER, api, ctx, stream, synced["checkpoints"][stream])
                assert drained.deleted == {}  # Shopify's GraphQL reports no deletions
                for entity, records in drained.records.items():
                    changed.setdefault(entity, []).extend(records)
                again[stream] = drained.checkpoint
            for stream in ADAPTER.streams:  # nothing changed since: nothing comes back
                third = await drain(ADAPTER, api, ctx, stream, again[stream])
                assert sum(len(records) for records in third.records.values()) == 0, stream

    assert len(changed["products"]) == 3  # the repriced product's three variants
    before = by_id(synced["records"]["products"])
    assert all(record["price"] == before[record["source_id"]]["price"] + 1 for record in changed["products"])
    assert [record["name"] for record in changed["customers"]] == ["Rosa Quintero"]
    orders = changed["orders"]
    assert len(orders) == 2
    new_order = next(order for order in orders if order["_customer"] == changed["customers"][0]["source_id"])
    refunded = next(order for order in orders if order is not new_order)
    assert refunded["status"] == "partially_refunded"
    assert {item["_order"] for item in changed["order_items"]} == {
        new_order["source_id"],
        refunded["source_id"],
    }
    assert [refund["reason"] for refund in changed["refunds"] if refund["_order"] == refunded["source_id"]][
        -1
    ] == ("Price adjustment")
    assert fake.totals()["customers"] == len(synced["records"]["customers"]) + 1


async def test_a_pass_resumes_from_a_mid_pass_checkpoint(fake: FakeShopify) -> None:
    async with session(fake) as (api, ctx):
        first = await SMALL_PAGES.fetch(api, ctx, "orders", None)
        second = await SMALL_PAGES.fetch(api, ctx, "orders", first.checkpoint)
        assert not second.done and second.checkpoint["after"]
        rest = await drain(SMALL_PAGES, api, ctx, "orders", second.checkpoint)
    ids = [r["source_id"] for page in (first.records, second.records, rest.records) for r in page["orders"]]
    assert len(ids) == len(set(ids)) == fake.totals()["orders"]
    items = [r for page in (first.records, second.records, rest.records) for r in page["order_items"]]
    assert len(items) == len({item["source_id"] for item in items}) == fake.totals()["order_items"]


async def test_pacing_keeps_under_the_bucket_and_uses_its_restore_rate() -> None:
    restore_rate = 1500.0
    with FakeShopify(count=60, seed=5, restore_rate=restore_rate, maximum_available=1000) as fake:
        async with session(fake) as (api, ctx):
            started = time.monotonic()
            for stream in ADAPTER.streams:
                await drain(ADAPTER, api, ctx, stream)
            elapsed = time.monotonic() - started
            meter = ADAPTER.meter(api)
            left = meter.available_now(time.monotonic())
        assert fake.cost_throttled == 0 and meter.throttled == 0  # never THROTTLED
        assert meter.points_spent == fake.points_spent > 2500
        assert meter.waited_seconds > 0 and meter.restore_rate == restore_rate and left is not None
        # Points spent beyond what the full bucket gave at the start (it always keeps a query's
        # requested cost, so it never empties): they came from restoring, at (nearly) full rate.
        restored_and_spent = meter.points_spent - (1000 - left)
        assert restored_and_spent / (restore_rate * elapsed) >= 0.9


async def test_a_throttled_answer_waits_for_the_missing_points_and_retries() -> None:
    with FakeShopify(count=10, seed=2, restore_rate=1000) as fake:
        fake.bucket.available, fake.bucket.stamp = 0.0, time.monotonic()  # another client emptied it
        async with session(fake) as (api, ctx):
            drained = await drain(ADAPTER, api, ctx, "customers")
            meter = ADAPTER.meter(api)
        assert fake.cost_throttled == 1 and meter.throttled == 1
        assert len(drained.records["customers"]) == fake.totals()["customers"]
        assert 0.3 <= meter.waited_seconds <= 1.5  # up to 963 points at 1,000 a second


async def test_429_with_retry_after_is_honoured() -> None:
    with FakeShopify(count=12, seed=4, rate_limit=RateLimit(5, 1)) as fake:
        async with session(fake) as (api, ctx):
            counts = {}
            for stream in ADAPTER.streams:
                drained = await drain(ADAPTER, api, ctx, stream)
                counts.update({entity: len(records) for entity, records in drained.records.items()})
            assert api.stats.throttled > 0
        assert fake.throttled > 0
        assert counts == fake.totals()


async def test_graphql_errors_and_a_bad_token_are_provider_errors(fake: FakeShopify) -> None:
    async with session(fake) as (api, ctx):
        with pytest.raises(ProviderError) as unknown:
            await ADAPTER.query(api, ctx, "shop", "{ shop { name planName } }", {})
        assert unknown.value.code == "undefinedField" and "planName" in str(unknown.value)
        with pytest.raises(ProviderError) as too_big:
            await ADAPTER.query(api, ctx, "shop", "{ orders(first: 250) { nodes { lineItems(first: 50) "
                                "{ nodes { id } } } } }", {})  # fmt: skip
        assert too_big.value.code == "MAX_COST_EXCEEDED"
        await ADAPTER.check(api, ctx)
    async with session(fake, token="shpat_not-a-real-token") as (api, ctx):
        with pytest.raises(ProviderError) as refused:
            await ADAPTER.check(api, ctx)
        assert refused.value.status == 401


def test_webhook_signature_and_topic(fake: FakeShopify) -> None:
    url = "https://binelek.example/api/connectors/webhooks/shopify/1"
    body, headers = fake.webhook(url)
    lower = {key.lower(): value for key, value in headers.items()}

    result = ADAPTER.verify_webhook(WebhookRequest("POST", url, lower, body), fake.webhook_secret)
    (notice,) = result.notices
    assert notice.event_id == headers["X-Shopify-Webhook-Id"]
    assert notice.type == "orders/updated" and notice.streams == ("orders",)

    body, headers = fake.webhook(url, topic="products/delete")
    lower = {key.lower(): value for key, value in headers.items()}
    (notice,) = ADAPTER.verify_webhook(WebhookRequest("POST", url, lower, body), fake.webhook_secret).notices
    assert notice.streams == ("products",)

    refused = [
        WebhookRequest("POST", url, lower, body + b" "),  # tampered body
        WebhookRequest("POST", url, {k: v for k, v in lower.items() if k != "x-shopify-hmac-sha256"}, body),
    ]
    for request in refused:
        with pytest.raises(SignatureInvalid):
            ADAPTER.verify_webhook(request, fake.webhook_secret)
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify_webhook(WebhookRequest("POST", url, lower, body), "another-app-secret")


async def test_oauth_redirect_token_exchange_refresh_and_uninstall(fake: FakeShopify) -> None:
    assert ADAPTER.authorize_params({"shop": SHOP}) == {
        "scope": "read_products,read_orders,read_customers,read_inventory"
    }
    redirect_uri = "https://binelek.example/api/connectors/oauth/shopify/callback"
    query = {"client_id": CLIENT_ID, "scope": "read_orders", "redirect_uri": redirect_uri, "state": "st4te"}
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"{fake.origin}/admin/oauth/authorize?{urlencode(query)}")
        assert answer.status_code == 302
        redirect = dict(parse_qsl(urlsplit(answer.headers["location"]).query))
        assert {"code", "state", "shop", "host", "timestamp", "hmac"} <= set(redirect)

        ADAPTER.check_callback(redirect, CLIENT_SECRET)
        for forged in (
            {**redirect, "state": "another"},  # the hmac covers code and state too
            {**redirect, "hmac": "0" * 64},
            {k: v for k, v in redirect.items() if k != "hmac"},
        ):
            with pytest.raises(SignatureInvalid):
                ADAPTER.check_callback(forged, CLIENT_SECRET)
        with pytest.raises(SignatureInvalid):
            ADAPTER.check_callback(redirect, "not-the-client-secret")
        evil = {**redirect, "shop": "northwind.evil.example"}
        evil.pop("hmac")
        evil["hmac"] = fake.sign_redirect(evil)["hmac"]  # correctly signed, wrong host
        with pytest.raises(SignatureInvalid, match="myshopify"):
            ADAPTER.check_callback(evil, CLIENT_SECRET)

        # the token exchange as Shopify documents it: JSON, no redirect_uri, no grant_type
        exchange = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": redirect["code"]}
        token = (await http.post(f"{fake.origin}/admin/oauth/access_token", json=exchange)).json()
        assert token["expires_in"] == 3600 and token["refresh_token_expires_in"] == 90 * 86400
        refresh = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_type": "refresh_token"}
        token_url = f"{fake.origin}/admin/oauth/access_token"
        rotated = (
            await http.post(token_url, json={**refresh, "refresh_token": token["refresh_token"]})
        ).json()
        assert rotated["refresh_token"] != token["refresh_token"]
        reused = await http.post(token_url, json={**refresh, "refresh_token": token["refresh_token"]})
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"

    config = await ADAPTER.after_token(None, rotated, {"shop": "Northwind-Coffee.myshopify.com"})  # type: ignore[arg-type]
    assert config == {"shop": SHOP}
    async with session(fake, token=rotated["access_token"]) as (api, ctx):
        await ADAPTER.check(api, ctx)
        await ADAPTER.revoke(api, ctx, {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
        assert rotated["access_token"] in fake.revoked
        with pytest.raises(ProviderError):
            await ADAPTER.check(api, ctx)
        await ADAPTER.revoke(api, ctx, {})  # already uninstalled: nothing to do, no error


def test_shop_names_and_status_mapping() -> None:
    assert adapter_for("shopify") is ADAPTER and isinstance(ADAPTER, ShopifyAdapter)
    assert shop_name({"shop": "https://Acme-Store.myshopify.com/admin"}) == "acme-store"
    assert ADAPTER.base_url({"shop": "acme"}) == "https://acme.myshopify.com/admin/api/2025-07"
    for bad in ("evil.com/x", "", "acme.example.com", "a" * 80):
        with pytest.raises(ValueError):
            shop_name({"shop": bad})
    assert (
        order_status({"displayFinancialStatus": "PAID", "displayFulfillmentStatus": "FULFILLED"})
        == "fulfilled"
    )
    assert (
        order_status({"displayFinancialStatus": "PAID", "displayFulfillmentStatus": "PARTIALLY_FULFILLED"})
        == "paid"
    )
    assert (
        order_status({"displayFinancialStatus": "PAID", "cancelledAt": "2025-01-01T00:00:00Z"}) == "cancelled"
    )
    assert order_status({"displayFinancialStatus": "VOIDED"}) == "cancelled"
    assert order_status({"displayFinancialStatus": "AUTHORIZED"}) == "pending"
    assert order_status({"displayFinancialStatus": "EXPIRED"}) == "pending"
