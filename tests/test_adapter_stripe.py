"""The Stripe adapter against the fake Stripe account: full passes (lists, expansions, minor units),
incremental passes from the events log (and the fall-back to a full pass), resuming, 429 without
Retry-After, and Stripe-Signature webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC
from decimal import Decimal
from typing import Any

import pytest

from binelek.connectors.adapters import adapter_for
from binelek.connectors.adapters.base import ConnectionContext, SignatureInvalid, WebhookRequest
from binelek.connectors.adapters.stripe import (
    ADAPTER,
    StripeAdapter,
    from_minor,
    invoice_status,
    payment_status,
)
from binelek.connectors.api_client import ApiClient, ProviderError
from tests.fakes.base import RateLimit
from tests.fakes.harness import api_for, business_columns, context, drain
from tests.fakes.stripe import Collection, FakeStripe

# No database: one run, in the SQLite pass of `make test`.
pytestmark = pytest.mark.embedded_only

COLUMNS = {
    "customers": business_columns("customers"),
    "payments": business_columns("payments") | {"_order"},
    "refunds": business_columns("refunds") | {"_payment", "_order"},
    "invoices": business_columns("invoices") | {"_customer"},
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeStripe]:
    with FakeStripe(count=240, seed=3) as server:
        yield server


@asynccontextmanager
async def session(
    fake: FakeStripe, key: str | None = None
) -> AsyncIterator[tuple[ApiClient, ConnectionContext]]:
    ctx = context(fake.config(), key or fake.GOOD_KEY)
    api = api_for(fake.origin, ADAPTER, ctx)
    try:
        yield api, ctx
    finally:
        await api.http.aclose()


async def sync(
    fake: FakeStripe, checkpoints: dict[str, Any] | None = None
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[str]], dict[str, Any], dict[str, int]]:
    """Every stream drained once: records and deletions by entity, checkpoints and pages by stream."""
    records: dict[str, list[dict[str, Any]]] = {}
    deleted: dict[str, list[str]] = {}
    after, pages = {}, {}
    async with session(fake) as (api, ctx):
        for stream in ADAPTER.streams:
            drained = await drain(ADAPTER, api, ctx, stream, (checkpoints or {}).get(stream))
            for entity, found in drained.records.items():
                records.setdefault(entity, []).extend(found)
            for entity, ids in drained.deleted.items():
                deleted.setdefault(entity, []).extend(ids)
            after[stream], pages[stream] = drained.checkpoint, drained.pages
    return records, deleted, after, pages


def by_id(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["source_id"]: record for record in records}


async def test_full_pass_maps_customers_charges_refunds_and_invoices(fake: FakeStripe) -> None:
    records, deleted, checkpoints, pages = await sync(fake)
    account = fake.account

    for entity, columns in COLUMNS.items():
        assert len(records[entity]) == fake.totals()[entity] == len(by_id(records[entity])), entity
        for record in records[entity]:
            assert set(record) - {"source_id"} == columns, entity
    assert pages == {"customers": 1, "charges": 3, "invoices": 1}  # 80, 240, 80 at 100 a page
    assert all(cp["mode"] == "events" and cp["after_event"].startswith("evt_") for cp in checkpoints.values())

    customers = records["customers"]
    assert all(c["email"] == c["email"].lower() for c in customers if c["email"])
    assert all(c["name"] for c in customers) and {"US", "JP"} <= {c["country"] for c in customers}

    payments = by_id(records["payments"])
    for charge in account.charges.objects.values():
        payment = payments[charge["id"]]
        assert payment["currency"] == charge["currency"].upper() and payment["paid_at"].tzinfo == UTC
        divisor = 1 if charge["currency"] == "jpy" else 100
        assert payment["amount"] == Decimal(charge["amount"]) / divisor
        transaction = account.transactions.get(charge["balance_transaction"] or "")
        if transaction is None:
            assert payment["fee"] is None
        elif charge["currency"] == "usd":
            assert payment["fee"] == Decimal(transaction["fee"]) / 100
        else:  # settled in USD: converted back with the exchange rate
            expected = Decimal(transaction["fee"]) / 100 / Decimal(str(transaction["exchange_rate"]))
            assert abs(payment["fee"] - expected) <= Decimal(1) / divisor
    yen = next(p for p in payments.values() if p["currency"] == "JPY")
    assert yen["amount"] == yen["amount"].to_integral_value() and yen["amount"] >= 500  # zero-decimal
    assert {"succeeded", "failed", "pending", "refunded"} <= {p["status"] for p in payments.values()}

    refunds = records["refunds"]
    assert all(refund["_payment"] in payments for refund in refunds)
    per_charge: dict[str, int] = {}
    for refund in refunds:
        per_charge[refund["_payment"]] = per_charge.get(refund["_payment"], 0) + 1
    assert max(per_charge.values()) == 11  # twelve refunds (ten embedded, two listed), one of them failed
    failed = [r["id"] for r in account.refunds.objects.values() if r["status"] == "failed"]
    assert deleted == {"refunds": failed}

    invoices = by_id(records["invoices"])
    statuses = {invoice["status"] for invoice in invoices.values()}
    assert statuses == {"draft", "open", "overdue", "paid", "void"}
    for source in account.invoices.objects.values():
        invoice = invoices[source["id"]]
        assert invoice["invoice_number"] == (source["number"] or source["id"])
        assert (
            invoice["_customer"] == source["customer"] and invoice["currency"] == source["currency"].upper()
        )
        if source["status"] == "uncollectible":
            assert invoice["status"] == "overdue" and invoice["balance"] == invoice["total"]


async def test_incremental_pass_reads_the_events_since_the_full_pass() -> None:
    with FakeStripe(count=60, seed=8) as fake:
        _, _, checkpoints, _ = await sync(fake)
        fake.mutate()
        changed, deleted, again, _ = await sync(fake, checkpoints)
        third, third_deleted, _, _ = await sync(fake, again)

    names = {record["name"] for record in changed["customers"]}
    assert "Rosa Quintero" in names and any(name.endswith(" Jr.") for name in names) and len(names) == 2
    assert len(deleted["customers"]) == 1 and deleted["customers"][0] in fake.account.deleted_customers
    statuses = sorted(payment["status"] for payment in changed["payments"])
    assert statuses == ["refunded", "succeeded"]  # the new charge, and the one refunded in full
    refunded = next(p for p in changed["payments"] if p["status"] == "refunded")
    assert any(r["_payment"] == refunded["source_id"] and r["amount"] == refunded["amount"]
               for r in changed["refunds"])  # fmt: skip
    assert [invoice["status"] for invoice in changed["invoices"]] == ["paid"]
    assert changed["invoices"][0]["balance"] == 0
    assert sum(len(records) for records in third.values()) == 0 and third_deleted == {}


async def test_an_expired_or_unknown_event_cursor_starts_a_full_pass(fake: FakeStripe) -> None:
    expired = {"mode": "events", "after_event": "evt_1old", "event_created": int(time.time()) - 31 * 86_400}
    unknown = {
        "mode": "events",
        "after_event": "evt_1NoLongerKnownToStripe",
        "event_created": int(time.time()),
    }
    async with session(fake) as (api, ctx):
        for checkpoint in (expired, unknown):
            drained = await drain(ADAPTER, api, ctx, "customers", checkpoint)
            assert len(drained.records["customers"]) == fake.totals()["customers"]
            assert (
                drained.checkpoint is not None
                and drained.checkpoint["after_event"] != checkpoint["after_event"]
            )
        # a full pass whose cursor object was deleted meanwhile starts its listing over
        mark = {"after_event": "evt_1mark", "event_created": int(time.time())}
        gone = {"mode": "list", "mark": mark, "starting_after": "cus_DeletedMeanwhile"}
        drained = await drain(ADAPTER, api, ctx, "customers", gone)
        assert len(drained.records["customers"]) == fake.totals()["customers"]
        assert drained.checkpoint == {"mode": "events", **mark}


async def test_without_events_the_pass_after_walks_everything_since_it_began() -> None:
    with FakeStripe(count=20, seed=9) as fake:
        fake.account.events = Collection()  # an account with no recent activity
        _, _, checkpoints, _ = await sync(fake)
        assert checkpoints["customers"]["mode"] == "events" and "since" in checkpoints["customers"]
        fake.mutate()
        changed, deleted, again, _ = await sync(fake, checkpoints)
    assert {record["name"] for record in changed["customers"]} >= {"Rosa Quintero"}
    assert len(deleted["customers"]) == 1
    assert again["customers"]["after_event"].startswith("evt_")  # from now on, after the newest event


async def test_a_pass_resumes_from_a_mid_pass_checkpoint(fake: FakeStripe) -> None:
    async with session(fake) as (api, ctx):
        first = await ADAPTER.fetch(api, ctx, "charges", None)
        second = await ADAPTER.fetch(api, ctx, "charges", first.checkpoint)
        assert not second.done and second.checkpoint["starting_after"]
        rest = await drain(ADAPTER, api, ctx, "charges", second.checkpoint)
    pages = (first.records, second.records, rest.records)
    ids = [payment["source_id"] for page in pages for payment in page["payments"]]
    assert len(ids) == len(set(ids)) == fake.totals()["payments"]
    # the incremental mark was taken before the first page and carried through the pass
    assert (
        rest.checkpoint is not None
        and rest.checkpoint["after_event"] == first.checkpoint["mark"]["after_event"]
    )


async def test_429_without_retry_after_is_retried_with_backoff() -> None:
    with FakeStripe(count=24, seed=4, rate_limit=RateLimit(5, 1)) as fake:
        records, _, _, _ = await sync(fake)
        assert fake.throttled > 0
        assert {entity: len(found) for entity, found in records.items()} == fake.totals()


async def test_check_accepts_the_key_and_refuses_another(fake: FakeStripe) -> None:
    async with session(fake) as (api, ctx):
        await ADAPTER.check(api, ctx)
    async with session(fake, key="rk_test_wrong") as (api, ctx):
        with pytest.raises(ProviderError) as refused:
            await ADAPTER.check(api, ctx)
    assert refused.value.status == 401 and "rk_test_wrong" not in str(refused.value)
    assert ADAPTER.auth_headers(ctx)["Stripe-Version"] == "2025-03-31.basil"


def test_webhook_signature_tolerance_and_event_id(fake: FakeStripe) -> None:
    url = "https://binelek.example/api/connectors/webhooks/stripe/1"
    body, headers = fake.webhook(url)
    lower = {key.lower(): value for key, value in headers.items()}
    event = json.loads(body)

    (notice,) = ADAPTER.verify_webhook(WebhookRequest("POST", url, lower, body), fake.webhook_secret).notices
    assert notice.event_id == event["id"] and notice.event_id.startswith("evt_")
    assert notice.type == event["type"] and notice.streams

    # a rolled secret: Stripe signs with both, one v1 each
    stamp = lower["stripe-signature"].split(",")[0]
    other = hmac.new(b"whsec_old", stamp[2:].encode() + b"." + body, hashlib.sha256).hexdigest()
    rolled = {**lower, "stripe-signature": f"{stamp},v1={other},{lower['stripe-signature'].split(',')[1]}"}
    ADAPTER.verify_webhook(WebhookRequest("POST", url, rolled, body), fake.webhook_secret)

    stale_body, stale_headers = fake.webhook(url, timestamp=int(time.time()) - 301)
    refused = [
        (WebhookRequest("POST", url, lower, body + b"\n"), fake.webhook_secret),  # tampered body
        (WebhookRequest("POST", url, lower, body), "whsec_another_endpoint"),  # wrong secret
        (WebhookRequest("POST", url, {"content-type": "application/json"}, body), fake.webhook_secret),
        (
            WebhookRequest("POST", url, {"stripe-signature": stale_headers["Stripe-Signature"]}, stale_body),
            fake.webhook_secret,
        ),
        (WebhookRequest("POST", url, {"stripe-signature": stamp}, body), fake.webhook_secret),  # no v1
    ]
    for request, secret in refused:
        with pytest.raises(SignatureInvalid):
            ADAPTER.verify_webhook(request, secret)


def test_minor_units_and_status_mapping() -> None:
    assert adapter_for("stripe") is ADAPTER and isinstance(ADAPTER, StripeAdapter)
    assert from_minor(1999, "usd") == Decimal("19.99")
    assert from_minor(5000, "jpy") == Decimal(5000) and from_minor(5000, "KRW") == Decimal(5000)
    assert from_minor(12340, "kwd") == Decimal("12.340")
    assert from_minor(50000, "isk") == Decimal("500.00")  # two-decimal in Stripe's API
    now = time.time()
    assert invoice_status({"status": "open", "due_date": int(now) - 60}, now) == "overdue"
    assert invoice_status({"status": "open", "due_date": int(now) + 60}, now) == "open"
    assert invoice_status({"status": "open", "due_date": None}, now) == "open"
    assert invoice_status({"status": "uncollectible"}, now) == "overdue"
    assert payment_status({"status": "succeeded", "captured": False}) == "pending"
    assert payment_status({"status": "succeeded", "captured": True, "refunded": True}) == "refunded"
    assert payment_status({"status": "failed", "captured": False}) == "failed"
