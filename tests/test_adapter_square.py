"""The Square adapter against a local server speaking Square's Connect API v2."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from decimal import Decimal

import httpx
import pytest

from binelek.connectors.adapters import adapter_for
from binelek.connectors.adapters.base import ConnectionContext, SignatureInvalid, WebhookRequest
from binelek.connectors.adapters.square import ADAPTER, SQUARE_VERSION, money, order_status
from binelek.connectors.api_client import ApiClient, ProviderError
from tests.fakes.base import CLIENT_ID, CLIENT_SECRET, RateLimit
from tests.fakes.harness import Drained, api_for, business_columns, context, drain
from tests.fakes.square import FakeSquare

# No database: one run, in the SQLite pass of `make test`.
pytestmark = pytest.mark.embedded_only

ENTITIES_OF_STREAM = {
    "catalog": ("products",),
    "customers": ("customers",),
    "orders": ("orders", "order_items"),
    "payments": ("payments",),
    "refunds": ("refunds",),
}
WEBHOOK_URL = "https://binelek.example.com/api/webhooks/square/3f2c"
COLUMNS = {
    "products": business_columns("products"),
    "customers": business_columns("customers"),
    "orders": business_columns("orders"),
    "order_items": business_columns("order_items"),
    "payments": business_columns("payments"),
    "refunds": business_columns("refunds"),
}
REFERENCES = {"_customer", "_order", "_product", "_payment", "_company", "_contact"}


@pytest.fixture
def fake() -> Iterator[FakeSquare]:
    with FakeSquare(count=300, locations=3) as server:
        yield server


@pytest.fixture
def ctx(fake: FakeSquare) -> ConnectionContext:
    return context(fake.config(), fake.issue_access_token())


@pytest.fixture
async def api(fake: FakeSquare, ctx: ConnectionContext) -> AsyncIterator[ApiClient]:
    client = api_for(fake.origin, ADAPTER, ctx)
    yield client
    await client.http.aclose()


async def full_pass(api: ApiClient, ctx: ConnectionContext) -> dict[str, Drained]:
    return {stream: await drain(ADAPTER, api, ctx, stream) for stream in ADAPTER.streams}


def ids(drained: Drained, entity: str) -> list[str]:
    return [record["source_id"] for record in drained.records.get(entity, [])]


def test_registered() -> None:
    assert adapter_for("square") is ADAPTER


async def test_full_pass_reads_every_stream(fake: FakeSquare, api: ApiClient, ctx: ConnectionContext) -> None:
    passes = await full_pass(api, ctx)
    totals = fake.totals()
    for stream, entities in ENTITIES_OF_STREAM.items():
        for entity in entities:
            found = ids(passes[stream], entity)
            assert len(found) == totals[entity], entity
            assert len(set(found)) == len(found), f"{entity} read twice"
            for record in passes[stream].records[entity]:
                assert set(record) - REFERENCES == COLUMNS[entity] | {"source_id", "source_updated_at"}
    assert passes["orders"].pages >= 3 and passes["payments"].pages > 3  # paged, per location
    assert set(fake.versions) == {SQUARE_VERSION}

    products = {p["source_id"]: p for p in passes["catalog"].records["products"]}
    variation = fake.variations[next(iter(products))]
    product = products[variation["id"]]
    data = variation["item_variation_data"]
    assert product["sku"] == data["sku"]
    assert product["price"] == Decimal(data["price_money"]["amount"]) / 100
    assert product["currency"] == "USD" and product["cost"] is None
    assert product["category"] in {"Coffee", "Tea", "Bakery", "Beans", "Merchandise"}
    tracked = [p for p in products.values() if p["category"] == "Beans"]
    assert tracked and all(isinstance(p["inventory"], int) for p in tracked)
    assert all(p["inventory"] is None for p in products.values() if p["category"] == "Coffee")

    orders = {o["source_id"]: o for o in passes["orders"].records["orders"]}
    refunded = next(
        o for o in fake.orders.values() if o.get("refunds") and o["refunds"][0]["status"] == "APPROVED"
    )
    assert orders[refunded["id"]]["status"] in {"refunded", "partially_refunded"}
    sample = next(o for o in fake.orders.values() if o["state"] == "COMPLETED" and o.get("customer_id"))
    order = orders[sample["id"]]
    assert order["total"] == Decimal(sample["total_money"]["amount"]) / 100
    assert order["subtotal"] - order["discount"] + order["tax"] + order["shipping"] == order["total"]
    assert order["_customer"] == sample["customer_id"]
    assert isinstance(order["placed_at"], datetime) and order["placed_at"].utcoffset() is not None
    assert order["channel"] in {"Square Point of Sale", "Square Online"}
    items = [i for i in passes["orders"].records["order_items"] if i["_order"] == sample["id"]]
    assert len(items) == len(sample["line_items"])
    line = sample["line_items"][0]
    first = next(i for i in items if i["source_id"].endswith(line["uid"]))
    assert first["_product"] == line["catalog_object_id"]
    assert first["sku"] == fake.variations[line["catalog_object_id"]]["item_variation_data"]["sku"]
    assert first["quantity"] == int(line["quantity"])

    payments = {p["source_id"]: p for p in passes["payments"].records["payments"]}
    card = next(p for p in fake.payments.values() if p.get("processing_fee"))
    assert payments[card["id"]]["fee"] == Decimal(card["processing_fee"][0]["amount_money"]["amount"]) / 100
    assert payments[card["id"]]["method"] in {"card", "wallet"} and payments[card["id"]]["_order"]
    assert {p["status"] for p in payments.values()} <= {"succeeded", "pending", "failed", "refunded"}
    old = min(fake.payments.values(), key=lambda p: p["created_at"])
    assert old["id"] in payments  # older than ListPayments' one-year default window

    refunds = passes["refunds"].records["refunds"]
    assert all(r["_payment"] in fake.payments and r["_order"] in fake.orders for r in refunds)
    customers = passes["customers"].records["customers"]
    assert all(c["email"] is None or c["email"] == c["email"].lower() for c in customers)


async def test_incremental_pass_returns_only_changes(
    fake: FakeSquare, api: ApiClient, ctx: ConnectionContext
) -> None:
    first = await full_pass(api, ctx)
    fake.mutate()
    after: dict[str, Drained] = {}
    for stream, entities in ENTITIES_OF_STREAM.items():
        after[stream] = await drain(ADAPTER, api, ctx, stream, first[stream].checkpoint)
        for entity in entities:
            assert set(ids(after[stream], entity)) == fake.changed.get(entity, set()), entity
    assert set(after["catalog"].deleted["products"]) == fake.removed["products"]
    # The next pass starts where this one began (Square's lists are eventually consistent): only
    # what changed within that margin is read again, nothing older.
    quiet = await drain(ADAPTER, api, ctx, "orders", after["orders"].checkpoint)
    assert set(ids(quiet, "orders")) <= fake.changed["orders"]


async def test_an_order_edited_mid_pass_skips_nothing(
    fake: FakeSquare, api: ApiClient, ctx: ConnectionContext
) -> None:
    first = await ADAPTER.fetch(api, ctx, "orders", None)
    read = [order["source_id"] for order in first.records["orders"]]
    fake.touch_order(read[0])  # jumps to the end of the updated_at order
    rest = await drain(ADAPTER, api, ctx, "orders", first.checkpoint)
    assert set(read + ids(rest, "orders")) == set(fake.orders)


async def test_a_page_full_of_one_timestamp_follows_the_cursor(
    fake: FakeSquare, api: ApiClient, ctx: ConnectionContext
) -> None:
    first = await drain(ADAPTER, api, ctx, "orders")
    fake.bulk_touch_orders(250)
    again = await drain(ADAPTER, api, ctx, "orders", first.checkpoint)
    found = ids(again, "orders")
    assert len(found) == len(set(found)) and set(found) == fake.changed["orders"]


async def test_resume_from_a_mid_pass_checkpoint(
    fake: FakeSquare, api: ApiClient, ctx: ConnectionContext
) -> None:
    checkpoint = None
    seen: list[str] = []
    for _ in range(2):
        page = await ADAPTER.fetch(api, ctx, "orders", checkpoint)
        assert not page.done
        seen += [order["source_id"] for order in page.records["orders"]]
        checkpoint = json.loads(json.dumps(page.checkpoint))  # stored as JSON by the engine
    rest = await drain(ADAPTER, api, ctx, "orders", checkpoint)
    seen += ids(rest, "orders")
    assert len(seen) == len(set(seen)) == fake.totals()["orders"]


async def test_rate_limit_answers_are_waited_out() -> None:
    with FakeSquare(count=60, rate_limit=RateLimit(4, 1)) as fake:
        ctx = context(fake.config(), fake.issue_access_token())
        api = api_for(fake.origin, ADAPTER, ctx)
        passes = await full_pass(api, ctx)
        await api.http.aclose()
        assert fake.throttled > 0 and api.stats.throttled == fake.throttled
        for stream, entities in ENTITIES_OF_STREAM.items():
            for entity in entities:
                assert len(ids(passes[stream], entity)) == fake.totals()[entity]


async def test_bad_token_is_a_provider_error(fake: FakeSquare) -> None:
    ctx = context(fake.config(), "not-a-token")
    api = api_for(fake.origin, ADAPTER, ctx)
    with pytest.raises(ProviderError) as error:
        await ADAPTER.check(api, ctx)
    await api.http.aclose()
    assert error.value.status == 401


def test_webhook_signature(fake: FakeSquare) -> None:
    body, headers = fake.webhook(WEBHOOK_URL)
    request = WebhookRequest("POST", WEBHOOK_URL, headers, body)
    result = ADAPTER.verify_webhook(request, fake.webhook_secret)
    event = json.loads(body)
    assert result.notices[0].event_id == event["event_id"]
    assert result.notices[0].type == "order.updated" and result.notices[0].streams == ("orders",)

    tampered = body.replace(b"order.updated", b"order.created")
    other_url = WEBHOOK_URL.replace("3f2c", "9999")
    for bad in (
        WebhookRequest("POST", WEBHOOK_URL, headers, tampered),
        WebhookRequest("POST", other_url, headers, body),  # the URL is signed too
        WebhookRequest("POST", WEBHOOK_URL, {"content-type": "application/json"}, body),
    ):
        with pytest.raises(SignatureInvalid):
            ADAPTER.verify_webhook(bad, fake.webhook_secret)
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify_webhook(request, "another-signature-key")


async def test_oauth_token_after_token_and_revoke(fake: FakeSquare) -> None:
    async with httpx.AsyncClient(base_url=fake.origin) as http:
        authorize = await http.get(
            "/oauth2/authorize",
            params={
                "client_id": CLIENT_ID,
                "redirect_uri": "https://app.example/cb",
                "scope": "ORDERS_READ",
                "state": "s1",
            },
        )
        code = httpx.URL(authorize.headers["location"]).params["code"]
        answer = await http.post(
            "/oauth2/token",
            json={
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "code": code,
                "grant_type": "authorization_code",
                "redirect_uri": "https://app.example/cb",
            },
        )
        token = answer.json()
        assert (
            "expires_at" in token and "expires_in" not in token and token["merchant_id"] == fake.merchant_id
        )
        refreshed = await http.post(
            "/oauth2/token",
            json={
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "grant_type": "refresh_token",
                "refresh_token": token["refresh_token"],
            },
        )
        assert refreshed.json()["refresh_token"] == token["refresh_token"]  # the code flow keeps it

        # The PKCE flow: no secret needed, and each refresh retires the refresh token it used.
        verifier = "v" * 64
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        authorize = await http.get(
            "/oauth2/authorize",
            params={"client_id": CLIENT_ID, "redirect_uri": "https://app.example/cb", "state": "s2",
                    "code_challenge": challenge, "code_challenge_method": "S256"},
        )  # fmt: skip
        code = httpx.URL(authorize.headers["location"]).params["code"]
        pkce = (
            await http.post(
                "/oauth2/token",
                json={"client_id": CLIENT_ID, "code": code, "grant_type": "authorization_code",
                      "redirect_uri": "https://app.example/cb", "code_verifier": verifier},
            )
        ).json()  # fmt: skip
        rotated = await http.post(
            "/oauth2/token",
            json={
                "client_id": CLIENT_ID,
                "grant_type": "refresh_token",
                "refresh_token": pkce["refresh_token"],
            },
        )
        assert rotated.json()["refresh_token"] != pkce["refresh_token"]
        reused = await http.post(
            "/oauth2/token",
            json={
                "client_id": CLIENT_ID,
                "grant_type": "refresh_token",
                "refresh_token": pkce["refresh_token"],
            },
        )
        assert reused.status_code == 401

    ctx = context({}, refreshed.json()["access_token"])
    api = api_for(fake.origin, ADAPTER, ctx)
    config = await ADAPTER.after_token(api, token, {})
    assert config == {
        "merchant_id": fake.merchant_id,
        "currency": "USD",
        "main_location_id": fake.locations[0]["id"],
    }
    await ADAPTER.revoke(api, ctx, {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert fake.revoked and not any(fake.refresh_tokens.values())
    with pytest.raises(ProviderError):
        await ADAPTER.check(api, ctx)
    await api.http.aclose()


def test_money_follows_the_currency_minor_unit() -> None:
    assert money({"amount": 450, "currency": "USD"}) == Decimal("4.50")
    assert money({"amount": 450, "currency": "JPY"}) == Decimal(450)
    assert money({"amount": 12345, "currency": "KWD"}) == Decimal("12.345")
    assert money(None) == Decimal(0)


def test_order_status_mapping() -> None:
    total = {"amount": 1000, "currency": "USD"}
    assert order_status({"state": "CANCELED", "total_money": total}) == "cancelled"
    assert order_status({"state": "OPEN", "total_money": total}) == "pending"
    assert order_status({"state": "OPEN", "total_money": total, "tenders": [{}]}) == "paid"
    assert order_status({"state": "COMPLETED", "total_money": total}) == "fulfilled"
    shipping = [{"state": "PROPOSED"}]
    assert order_status({"state": "COMPLETED", "total_money": total, "fulfillments": shipping}) == "paid"
    refunds = [{"status": "APPROVED", "amount_money": {"amount": 400}}]
    assert (
        order_status({"state": "COMPLETED", "total_money": total, "refunds": refunds}) == "partially_refunded"
    )
    refunds = [{"status": "APPROVED", "amount_money": {"amount": 1000}}]
    assert order_status({"state": "COMPLETED", "total_money": total, "refunds": refunds}) == "refunded"
    refunds = [{"status": "REJECTED", "amount_money": {"amount": 1000}}]
    assert order_status({"state": "COMPLETED", "total_money": total, "refunds": refunds}) == "fulfilled"
