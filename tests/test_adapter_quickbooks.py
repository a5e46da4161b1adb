"""The QuickBooks Online adapter against the fake company: keyset full passes over the query endpoint,
Change Data Capture incremental passes with deletions and their fallbacks, resuming, throttling,
webhook signatures (classic and CloudEvents) and the OAuth specifics."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from binelek.connectors.adapters import adapter_for, quickbooks
from binelek.connectors.adapters.base import ConnectionContext, SignatureInvalid, WebhookRequest
from binelek.connectors.adapters.quickbooks import ADAPTER, QuickBooksAdapter, select_statement
from binelek.connectors.api_client import ApiClient, ProviderError
from tests.fakes.base import CLIENT_ID, CLIENT_SECRET, RateLimit
from tests.fakes.harness import api_for, business_columns, context, drain
from tests.fakes.quickbooks import FakeQuickBooks, Tombstone

# No database: one run, in the SQLite pass of `make test`.
pytestmark = pytest.mark.embedded_only

COLUMNS = {
    "customers": business_columns("customers"),
    "invoices": business_columns("invoices") | {"_customer"},
    "payments": business_columns("payments") | {"_order"},
}
PROVENANCE = {"source_id", "source_updated_at"}


@pytest.fixture
def fake() -> Iterator[FakeQuickBooks]:
    with FakeQuickBooks(count=120, seed=3) as server:
        yield server


@asynccontextmanager
async def session(
    fake: FakeQuickBooks, adapter: QuickBooksAdapter = ADAPTER, **kwargs: Any
) -> AsyncIterator[tuple[ApiClient, ConnectionContext]]:
    ctx = context(fake.config(), fake.issue_access_token())
    api = api_for(fake.origin, adapter, ctx, **kwargs)
    try:
        yield api, ctx
    finally:
        await api.http.aclose()


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [record["source_id"] for record in records]


async def test_full_pass_reads_every_stream_typed_and_mapped(fake: FakeQuickBooks) -> None:
    adapter = QuickBooksAdapter(page_size=25)
    async with session(fake, adapter) as (api, ctx):
        drained = {stream: await drain(adapter, api, ctx, stream) for stream in adapter.streams}

    for stream, result in drained.items():
        records = result.records[stream]
        assert len(records) == fake.totals()[stream] == len(set(ids(records))), stream
        assert all(set(record) == COLUMNS[stream] | PROVENANCE for record in records)
        assert all(record["source_updated_at"].tzinfo == UTC for record in records)
        assert result.deleted == {}
        assert result.checkpoint is not None and result.checkpoint["mode"] == "cdc"
    assert drained["invoices"].pages >= 5  # 120 invoices, 25 a page: the query really pages
    queries = [q for q in _queries(fake) if "FROM Invoice" in q]
    assert "STARTPOSITION 1 MAXRESULTS 25" in queries[0] and "Metadata.LastUpdatedTime >=" in queries[1]

    # Inactive customers are read too (the query asks for Active IN (true, false)).
    inactive = next(s for s in fake.objects["Customer"].values() if not s.body["Active"])
    customer = next(
        r for r in drained["customers"].records["customers"] if r["source_id"] == inactive.body["Id"]
    )
    assert customer["name"] == inactive.body["DisplayName"]
    assert customer["city"] == inactive.body["BillAddr"]["City"] and customer["country"] == "USA"
    assert customer["phone"] == inactive.body["PrimaryPhone"]["FreeFormNumber"]
    if "PrimaryEmailAddr" in inactive.body:
        assert customer["email"] == inactive.body["PrimaryEmailAddr"]["Address"].lower()
    assert customer["source_created_at"] == datetime.fromtimestamp(int(inactive.created), UTC)

    invoices = {r["source_id"]: r for r in drained["invoices"].records["invoices"]}
    for stored in fake.objects["Invoice"].values():
        record, body = invoices[stored.body["Id"]], stored.body
        assert record["invoice_number"] == body["DocNumber"]
        assert record["total"] == Decimal(str(body["TotalAmt"])) and isinstance(record["total"], Decimal)
        assert record["balance"] == Decimal(str(body["Balance"]))
        assert record["currency"] == "USD" and record["_customer"] == body["CustomerRef"]["value"]
        assert record["issued_at"] == datetime.fromisoformat(body["TxnDate"]).replace(tzinfo=UTC)
        assert record["status"] == _expected_status(body)
    assert {r["status"] for r in invoices.values()} >= {"paid", "overdue", "void"}

    payment = next(iter(fake.objects["Payment"].values())).body
    record = next(r for r in drained["payments"].records["payments"] if r["source_id"] == payment["Id"])
    assert record["amount"] == Decimal(str(payment["TotalAmt"])) and record["status"] == "succeeded"
    assert record["method"] == payment["PaymentMethodRef"]["name"] and record["_order"] is None
    assert record["paid_at"] == datetime.fromisoformat(payment["TxnDate"]).replace(tzinfo=UTC)


async def test_incremental_pass_uses_cdc_and_sees_only_the_mutation(fake: FakeQuickBooks) -> None:
    adapter = QuickBooksAdapter(page_size=50)
    seen: dict[str, list[dict[str, Any]]] = {}
    async with session(fake, adapter) as (api, ctx):
        full = {stream: await drain(adapter, api, ctx, stream) for stream in adapter.streams}
        fake.mutate()
        changes = fake.last_mutation
        for stream in adapter.streams:
            incremental = await drain(adapter, api, ctx, stream, full[stream].checkpoint)
            expected = changes.get(stream, {})
            seen[stream] = incremental.records.get(stream, [])
            assert sorted(ids(seen[stream])) == sorted(
                expected.get("added", []) + expected.get("changed", [])
            )
            assert incremental.deleted.get(stream, []) == expected.get("deleted", [])
            assert incremental.pages == 1
            # The next pass starts where this one's answer was stamped: nothing new, nothing again.
            again = await drain(adapter, api, ctx, stream, incremental.checkpoint)
            assert again.records.get(stream, []) == [] and again.deleted.get(stream, []) == []
    assert changes["invoices"]["deleted"] and changes["payments"]["added"]
    assert sum(1 for _, path in fake.requests if path.endswith("/cdc")) == 6
    paid = next(r for r in seen["invoices"] if r["source_id"] in changes["invoices"]["changed"])
    assert paid["balance"] == Decimal("0") and paid["status"] == "paid"
    payment = fake.objects["Payment"][changes["payments"]["added"][0]].body
    assert seen["payments"][0]["amount"] == Decimal(str(payment["TotalAmt"])) > 0


async def test_resuming_after_page_two_gives_every_record_once(fake: FakeQuickBooks) -> None:
    adapter = QuickBooksAdapter(page_size=20)
    async with session(fake, adapter) as (api, ctx):
        first = await adapter.fetch(api, ctx, "invoices", None)
        second = await adapter.fetch(api, ctx, "invoices", first.checkpoint)
        assert not first.done and not second.done
        # The engine stored page two's checkpoint and crashed; a new run continues from it.
        rest = await drain(adapter, api, ctx, "invoices", json.loads(json.dumps(second.checkpoint)))
    read = ids(first.records["invoices"]) + ids(second.records["invoices"]) + ids(rest.records["invoices"])
    assert len(read) == len(set(read)) == fake.totals()["invoices"]


async def test_edits_during_a_pass_lose_nothing(fake: FakeQuickBooks) -> None:
    """Positions shift when objects read earlier are edited; the keyset over LastUpdatedTime does not."""
    adapter = QuickBooksAdapter(page_size=20)
    async with session(fake, adapter) as (api, ctx):
        first = await adapter.fetch(api, ctx, "invoices", None)
        for source_id in ids(first.records["invoices"])[:5]:
            fake.objects["Invoice"][source_id].updated = time.time()
        rest = await drain(adapter, api, ctx, "invoices", first.checkpoint)
    read = ids(first.records["invoices"]) + ids(rest.records["invoices"])
    assert set(read) == set(fake.objects["Invoice"])
    assert len(read) == fake.totals()["invoices"] + 5  # the edited ones once more, nothing else


async def test_objects_sharing_one_timestamp_beyond_a_page_are_read_once(fake: FakeQuickBooks) -> None:
    bulk_moment = time.time() - 86400
    for stored in list(fake.objects["Invoice"].values())[:45]:  # a bulk import: one second for 45 invoices
        stored.updated = bulk_moment
    adapter = QuickBooksAdapter(page_size=20)
    async with session(fake, adapter) as (api, ctx):
        drained = await drain(adapter, api, ctx, "invoices")
    read = ids(drained.records["invoices"])
    assert len(read) == len(set(read)) == fake.totals()["invoices"]
    assert any("STARTPOSITION 21 " in q for q in _queries(fake))  # stepped through the shared second


async def test_truncated_cdc_keeps_its_deletions_and_reads_changes_by_query(
    fake: FakeQuickBooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapter = QuickBooksAdapter(page_size=20)
    async with session(fake, adapter) as (api, ctx):
        full = await drain(adapter, api, ctx, "invoices")
        changed, deleted = set(), set()
        for _ in range(3):
            fake.mutate()
            changed |= set(fake.last_mutation["invoices"].get("changed", []))
            deleted |= set(fake.last_mutation["invoices"].get("deleted", []))
        monkeypatch.setattr(quickbooks, "CDC_MAX_OBJECTS", 4)  # 6 changed objects: over the limit
        incremental = await drain(adapter, api, ctx, "invoices", full.checkpoint)
    assert set(ids(incremental.records["invoices"])) == changed
    assert set(incremental.deleted["invoices"]) == deleted
    assert incremental.pages == 2 and incremental.checkpoint is not None
    assert incremental.checkpoint["mode"] == "cdc"
    assert any("Metadata.LastUpdatedTime >=" in q for q in _queries(fake)[-1:])


async def test_a_checkpoint_older_than_thirty_days_reads_by_query_instead_of_cdc(
    fake: FakeQuickBooks,
) -> None:
    since = datetime.now(UTC) - timedelta(days=45)
    recent = {s.body["Id"] for s in fake.objects["Customer"].values() if s.updated >= since.timestamp()}
    adapter = QuickBooksAdapter(page_size=20)
    async with session(fake, adapter) as (api, ctx):
        drained = await drain(adapter, api, ctx, "customers", {"mode": "cdc", "since": since.isoformat()})
    assert recent and set(ids(drained.records["customers"])) == recent
    assert not any(path.endswith("/cdc") for _, path in fake.requests)
    assert drained.checkpoint is not None and drained.checkpoint["mode"] == "cdc"


async def test_deleted_payments_and_customers_are_reported_by_cdc(fake: FakeQuickBooks) -> None:
    adapter = QuickBooksAdapter()
    async with session(fake, adapter) as (api, ctx):
        full = await drain(adapter, api, ctx, "payments")
        payment_id = next(iter(fake.objects["Payment"]))
        del fake.objects["Payment"][payment_id]
        fake.tombstones["Payment"][payment_id] = Tombstone(time.time())
        incremental = await drain(adapter, api, ctx, "payments", full.checkpoint)
    assert incremental.deleted == {"payments": [payment_id]} and incremental.records["payments"] == []


async def test_throttling_is_honoured_and_the_pass_completes() -> None:
    adapter = QuickBooksAdapter(page_size=5)
    with FakeQuickBooks(count=24, seed=5, rate_limit=RateLimit(5, 1)) as fake:
        async with session(fake, adapter) as (api, ctx):
            drained = {stream: await drain(adapter, api, ctx, stream) for stream in adapter.streams}
            stats = api.stats
    for stream in adapter.streams:
        assert len(drained[stream].records[stream]) == fake.totals()[stream]
    assert fake.throttled > 0 and stats.throttled == fake.throttled and 429 in stats.statuses


async def test_errors_come_back_as_provider_errors(fake: FakeQuickBooks) -> None:
    async with session(fake) as (api, ctx):
        await ADAPTER.check(api, ctx)  # a valid token for the realm
    ctx = context(fake.config(), "expired-or-unknown")
    api = api_for(fake.origin, ADAPTER, ctx)
    with pytest.raises(ProviderError) as unauthorized:
        await ADAPTER.fetch(api, ctx, "customers", None)
    assert unauthorized.value.status == 401 and "AuthenticationFailed" in str(unauthorized.value)
    ctx = context({"realm_id": "123"}, fake.issue_access_token())
    api = api_for(fake.origin, ADAPTER, ctx)
    with pytest.raises(ProviderError) as forbidden:
        await ADAPTER.fetch(api, ctx, "customers", None)
    assert forbidden.value.status == 403
    await api.http.aclose()


def test_the_query_statement_is_what_intuit_documents() -> None:
    statement = select_statement("Customer", "2024-05-01T10:00:01-07:00", 21, 1000)
    assert statement == (
        "SELECT * FROM Customer WHERE Active IN (true, false) AND "
        "Metadata.LastUpdatedTime >= '2024-05-01T10:00:01-07:00' "
        "ORDERBY Metadata.LastUpdatedTime ASC STARTPOSITION 21 MAXRESULTS 1000"
    )
    assert select_statement("Invoice", None, 1, 50).startswith("SELECT * FROM Invoice ORDERBY")
    with pytest.raises(ValueError):
        select_statement("Invoice", "x' OR '1'='1", 1, 50)


# -- webhooks --------------------------------------------------------------------------------------------


def _request(body: bytes, headers: dict[str, str]) -> WebhookRequest:
    return WebhookRequest("POST", "https://app.example.com/hooks/quickbooks", headers, body)


def test_a_signed_classic_delivery_verifies_into_notices(fake: FakeQuickBooks) -> None:
    fake.mutate()
    body, headers = fake.webhook("https://app.example.com/hooks/quickbooks")
    result = ADAPTER.verify_webhook(_request(body, headers), fake.webhook_secret)
    entities = json.loads(body)["eventNotifications"][0]["dataChangeEvent"]["entities"]
    assert len(result.notices) == len(entities) >= 4
    assert {n.type for n in result.notices} >= {"Customer.Create", "Invoice.Update", "Invoice.Delete"}
    assert {n.streams for n in result.notices} == {("customers",), ("invoices",), ("payments",)}
    assert len({n.event_id for n in result.notices}) == len(entities)
    # The classic format has no ids: the derived ones are stable across redeliveries.
    again = ADAPTER.verify_webhook(_request(body, headers), fake.webhook_secret)
    assert [n.event_id for n in again.notices] == [n.event_id for n in result.notices]


def test_a_cloud_events_delivery_keeps_its_event_ids(fake: FakeQuickBooks) -> None:
    body, headers = fake.cloud_events_webhook("https://app.example.com/hooks/quickbooks")
    result = ADAPTER.verify_webhook(_request(body, headers), fake.webhook_secret)
    events = json.loads(body)
    assert [n.event_id for n in result.notices] == [e["id"] for e in events]
    assert [n.type for n in result.notices] == ["qbo.invoice.created.v1", "qbo.customer.updated.v1"]
    assert [n.streams for n in result.notices] == [("invoices",), ("customers",)]


@pytest.mark.parametrize("tamper", ["body", "secret", "missing", "garbled"])
def test_a_delivery_that_does_not_verify_is_refused(fake: FakeQuickBooks, tamper: str) -> None:
    body, headers = fake.webhook("https://app.example.com/hooks/quickbooks")
    secret = fake.webhook_secret
    if tamper == "body":
        body = body.replace(b'"Customer"', b'"Vendor"', 1)
    elif tamper == "secret":
        secret = "another-verifier-token"
    elif tamper == "missing":
        headers = {k: v for k, v in headers.items() if k != "intuit-signature"}
    else:
        headers = {**headers, "intuit-signature": base64.b64encode(b"x" * 32).decode()}
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify_webhook(_request(body, headers), secret)


# -- OAuth -----------------------------------------------------------------------------------------------


async def test_oauth_code_flow_rotation_and_revoke(fake: FakeQuickBooks) -> None:
    redirect_uri = "https://app.example.com/connections/oauth/callback"
    async with httpx.AsyncClient(base_url=fake.origin) as http:
        authorize = await http.get(
            "/connect/oauth2",
            params={
                "client_id": CLIENT_ID,
                "response_type": "code",
                "scope": "com.intuit.quickbooks.accounting",
                "redirect_uri": redirect_uri,
                "state": "st4te",
            },
        )
        assert authorize.status_code == 302
        extras = {k: v[0] for k, v in parse_qs(urlsplit(authorize.headers["location"]).query).items()}
        assert extras["realmId"] == fake.realm_id and extras["state"] == "st4te"
        ADAPTER.check_callback(extras, CLIENT_SECRET)
        with pytest.raises(SignatureInvalid):
            ADAPTER.check_callback({"code": extras["code"], "state": "st4te"}, CLIENT_SECRET)

        basic = httpx.BasicAuth(CLIENT_ID, CLIENT_SECRET)
        form = {"grant_type": "authorization_code", "code": extras["code"], "redirect_uri": redirect_uri}
        assert (await http.post("/oauth2/v1/tokens/bearer", data=form)).status_code == 401  # Basic auth only
        token = (await http.post("/oauth2/v1/tokens/bearer", data=form, auth=basic)).json()
        assert token["expires_in"] == 3600 and token["x_refresh_token_expires_in"] == 8726400
        refresh = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
        rotated = (await http.post("/oauth2/v1/tokens/bearer", data=refresh, auth=basic)).json()
        assert rotated["refresh_token"] != token["refresh_token"]
        reused = await http.post("/oauth2/v1/tokens/bearer", data=refresh, auth=basic)
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"

    config = {"realm_id": extras["realmId"]}
    assert (
        await ADAPTER.after_token(api_for(fake.origin, ADAPTER, context({}, "")), rotated, config) == config
    )
    with pytest.raises(ProviderError):
        await ADAPTER.after_token(api_for(fake.origin, ADAPTER, context({}, "")), rotated, {})

    ctx = context(config, rotated["access_token"])
    api = api_for(fake.origin, ADAPTER, ctx)
    client = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": rotated["refresh_token"],
    }
    with pytest.raises(ProviderError):  # Intuit needs the app's Basic credentials
        await ADAPTER.revoke(api, ctx, {"refresh_token": rotated["refresh_token"]})
    await ADAPTER.revoke(api, ctx, client)
    assert fake.revoke_bodies == [{"token": rotated["refresh_token"]}]
    assert ("POST", "/v2/oauth2/tokens/revoke") in fake.requests
    await api.http.aclose()


def test_the_adapter_is_registered() -> None:
    assert adapter_for("quickbooks") is ADAPTER
    assert ADAPTER.base_url({"realm_id": "42"}) == "https://quickbooks.api.intuit.com/v3/company/42"
    assert ADAPTER.base_url({"realm_id": "42", "environment": "sandbox"}).startswith("https://sandbox-")


# -- helpers ---------------------------------------------------------------------------------------------


def _queries(fake: FakeQuickBooks) -> list[str]:
    return list(fake.query_log)


def _expected_status(body: dict[str, Any]) -> str:
    if body["TotalAmt"] == 0 and body.get("PrivateNote", "").startswith("Voided"):
        return "void"
    if body["Balance"] <= 0:
        return "paid"
    if datetime.fromisoformat(body["DueDate"]).date() < datetime.now(UTC).date():
        return "overdue"
    return "open"
