"""The Xero adapter against the fake organisation: keyset passes over UpdatedDateUTC with paging and
If-Modified-Since, deletions by status, resuming, the per-tenant limits, webhook signatures with the
"intent to receive" check, and the OAuth specifics (tenant choice, rotation, revocation)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from binelek.connectors.adapters import adapter_for
from binelek.connectors.adapters.base import ConnectionContext, SignatureInvalid, WebhookRequest
from binelek.connectors.adapters.xero import ADAPTER, XeroAdapter, parse_xero_datetime
from binelek.connectors.api_client import ApiClient, ProviderError
from tests.fakes.base import CLIENT_ID, CLIENT_SECRET, RateLimit
from tests.fakes.harness import api_for, business_columns, context, drain
from tests.fakes.xero import FakeXero

# No database: one run, in the SQLite pass of `make test`.
pytestmark = pytest.mark.embedded_only

COLUMNS = {
    "customers": business_columns("customers"),
    "invoices": business_columns("invoices") | {"_customer"},
    "payments": business_columns("payments") | {"_order"},
}
PROVENANCE = {"source_id", "source_updated_at"}
TABLE = {"contacts": "customers", "invoices": "invoices", "payments": "payments"}
ENDPOINT = {"contacts": "Contacts", "invoices": "Invoices", "payments": "Payments"}


@pytest.fixture
def fake() -> Iterator[FakeXero]:
    with FakeXero(count=120, seed=4) as server:
        yield server


@asynccontextmanager
async def session(
    fake: FakeXero, adapter: XeroAdapter = ADAPTER, **kwargs: Any
) -> AsyncIterator[tuple[ApiClient, ConnectionContext]]:
    ctx = context(fake.config(), fake.issue_access_token())
    api = api_for(fake.origin, adapter, ctx, **kwargs)
    try:
        yield api, ctx
    finally:
        await api.http.aclose()


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [record["source_id"] for record in records]


def ms_date(value: str) -> datetime:
    return datetime.fromtimestamp(int(value[6:-7]) / 1000, UTC)


async def test_full_pass_reads_every_stream_typed_and_mapped(fake: FakeXero) -> None:
    adapter = XeroAdapter(page_size=25)
    async with session(fake, adapter) as (api, ctx):
        drained = {stream: await drain(adapter, api, ctx, stream) for stream in adapter.streams}

    for stream, result in drained.items():
        records = result.records[TABLE[stream]]
        assert len(records) == fake.totals()[TABLE[stream]] == len(set(ids(records))), stream
        assert all(set(record) == COLUMNS[TABLE[stream]] | PROVENANCE for record in records)
        assert all(record["source_updated_at"].tzinfo == UTC for record in records)
    assert drained["invoices"].pages >= 6  # 130-odd invoices and bills, 25 a page
    first, second = [r for r in fake.received if "includeArchived" not in r and r.get("page")][:2]
    assert first == {"page": "1", "pageSize": "25", "order": "UpdatedDateUTC ASC"}
    assert "If-Modified-Since" in second  # the keyset continues from the newest timestamp read

    contacts = {r["source_id"]: r for r in drained["contacts"].records["customers"]}
    stored = fake.objects["Contacts"]
    assert not {c for c, s in stored.items() if s.body["IsSupplier"] and not s.body["IsCustomer"]} & set(
        contacts
    )
    archived = next(
        s.body for s in stored.values() if s.body["ContactStatus"] == "ARCHIVED" and s.body["IsCustomer"]
    )
    record = contacts[archived["ContactID"]]
    phone = next(p for p in archived["Phones"] if p["PhoneType"] == "DEFAULT")
    assert record["name"] == archived["Name"] and record["email"] == archived["EmailAddress"]
    assert record["phone"] == f"64 {phone['PhoneAreaCode']} {phone['PhoneNumber']}"
    assert (
        record["city"] == archived["Addresses"][1]["City"]
        and record["country"] == archived["Addresses"][1]["Country"]
    )
    assert record["source_created_at"] is None

    invoices = {r["source_id"]: r for r in drained["invoices"].records["invoices"]}
    for invoice in (s.body for s in fake.objects["Invoices"].values()):
        if invoice["Type"] != "ACCREC" or invoice["Status"] == "DELETED":
            assert invoice["InvoiceID"] not in invoices
            continue
        record = invoices[invoice["InvoiceID"]]
        assert (
            record["invoice_number"] == invoice["InvoiceNumber"]
            and record["currency"] == invoice["CurrencyCode"]
        )
        assert record["total"] == Decimal(str(invoice["Total"])) and isinstance(record["balance"], Decimal)
        assert record["balance"] == Decimal(str(invoice["AmountDue"]))
        assert record["issued_at"] == ms_date(invoice["Date"]) and record["due_at"] == ms_date(
            invoice["DueDate"]
        )
        assert record["_customer"] == invoice["Contact"]["ContactID"]
        assert record["status"] == _expected_status(invoice)
    assert {r["status"] for r in invoices.values()} >= {"draft", "open", "overdue", "paid", "void"}
    deleted = {
        s.body["InvoiceID"] for s in fake.objects["Invoices"].values() if _receivable(s.body, "DELETED")
    }
    assert set(drained["invoices"].deleted.get("invoices", [])) == deleted

    payment = next(
        s.body for s in fake.objects["Payments"].values() if s.body["PaymentType"] == "ACCRECPAYMENT"
    )
    record = next(
        r for r in drained["payments"].records["payments"] if r["source_id"] == payment["PaymentID"]
    )
    assert record["amount"] == Decimal(str(payment["Amount"])) and record["status"] == "succeeded"
    assert record["currency"] == payment["Invoice"]["CurrencyCode"] and record["_order"] is None
    assert record["paid_at"] == ms_date(payment["Date"])


async def test_incremental_pass_sees_only_the_mutation(fake: FakeXero) -> None:
    adapter = XeroAdapter(page_size=50)
    async with session(fake, adapter) as (api, ctx):
        full = {stream: await drain(adapter, api, ctx, stream) for stream in adapter.streams}
        fake.mutate()
        changes = fake.last_mutation
        for stream in adapter.streams:
            incremental = await drain(adapter, api, ctx, stream, full[stream].checkpoint)
            expected = changes[stream]
            got = ids(incremental.records[TABLE[stream]])
            assert sorted(got) == sorted(expected.get("added", []) + expected.get("changed", [])), stream
            assert incremental.deleted[TABLE[stream]] == expected.get("deleted", [])
            assert fake.received[-1]["If-Modified-Since"]
            again = await drain(adapter, api, ctx, stream, incremental.checkpoint)
            assert again.records[TABLE[stream]] == [] and again.deleted[TABLE[stream]] == []
    assert changes["invoices"]["deleted"] and changes["payments"]["deleted"] and changes["payments"]["added"]


async def test_resuming_after_page_two_gives_every_record_once(fake: FakeXero) -> None:
    adapter = XeroAdapter(page_size=20)
    async with session(fake, adapter) as (api, ctx):
        first = await adapter.fetch(api, ctx, "invoices", None)
        second = await adapter.fetch(api, ctx, "invoices", first.checkpoint)
        assert not first.done and not second.done
        rest = await drain(adapter, api, ctx, "invoices", json.loads(json.dumps(second.checkpoint)))
    read = ids(first.records["invoices"]) + ids(second.records["invoices"]) + ids(rest.records["invoices"])
    assert len(read) == len(set(read)) == fake.totals()["invoices"]


async def test_edits_during_a_pass_lose_nothing(fake: FakeXero) -> None:
    adapter = XeroAdapter(page_size=20)
    async with session(fake, adapter) as (api, ctx):
        first = await adapter.fetch(api, ctx, "invoices", None)
        for source_id in ids(first.records["invoices"])[:4]:
            fake.objects["Invoices"][source_id].updated = int(time.time() * 1000)
        rest = await drain(adapter, api, ctx, "invoices", first.checkpoint)
    read = ids(first.records["invoices"]) + ids(rest.records["invoices"])
    assert len(read) == fake.totals()["invoices"] + 4 and len(set(read)) == fake.totals()["invoices"]


async def test_objects_sharing_one_timestamp_beyond_a_page_are_read_once(fake: FakeXero) -> None:
    bulk = int(time.time() * 1000) - 86_400_000
    for stored in list(fake.objects["Invoices"].values())[:50]:  # an import: 50 invoices in one moment
        stored.updated = bulk
    adapter = XeroAdapter(page_size=20)
    async with session(fake, adapter) as (api, ctx):
        drained = await drain(adapter, api, ctx, "invoices")
    read = ids(drained.records["invoices"])
    assert len(read) == len(set(read)) == fake.totals()["invoices"]
    assert any(r.get("page") == "3" and r.get("If-Modified-Since") for r in fake.received)


async def test_throttling_is_honoured_and_the_pass_completes() -> None:
    adapter = XeroAdapter(page_size=5)
    with FakeXero(count=24, seed=6, rate_limit=RateLimit(5, 1)) as fake:
        async with session(fake, adapter) as (api, ctx):
            drained = {stream: await drain(adapter, api, ctx, stream) for stream in adapter.streams}
            stats = api.stats
    for stream in adapter.streams:
        assert len(drained[stream].records[TABLE[stream]]) == fake.totals()[TABLE[stream]]
    assert fake.throttled > 0 and stats.throttled == fake.throttled


async def test_limits_name_their_problem(fake: FakeXero) -> None:
    fake.rate_limit = RateLimit(1, 60)
    async with session(fake) as (api, _):
        ok = await api.request("GET", "https://api.xero.com/api.xro/2.0/Organisation")
        assert int(ok.headers["X-DayLimit-Remaining"]) == 4999
        minute = await api.request(
            "GET", "https://api.xero.com/api.xro/2.0/Organisation", allow=frozenset({429})
        )
        assert minute.status_code == 429 and minute.headers["X-Rate-Limit-Problem"] == "minute"
        assert 1 <= int(minute.headers["Retry-After"]) <= 61
        fake.day_limit = 2
        day = await api.request("GET", "https://api.xero.com/api.xro/2.0/Contacts", allow=frozenset({429}))
        assert day.headers["X-Rate-Limit-Problem"] == "day" and int(day.headers["Retry-After"]) > 0


async def test_errors_come_back_as_provider_errors(fake: FakeXero) -> None:
    async with session(fake) as (api, ctx):
        await ADAPTER.check(api, ctx)
    for config, token, status in (
        ({}, fake.issue_access_token(), 403),  # no xero-tenant-id header
        ({"tenant_id": "00000000-0000-4000-8000-000000000000"}, fake.issue_access_token(), 403),
        (fake.config(), "expired", 401),
    ):
        ctx = context(config, token)
        api = api_for(fake.origin, ADAPTER, ctx)
        with pytest.raises(ProviderError) as refused:
            await ADAPTER.fetch(api, ctx, "contacts", None)
        assert refused.value.status == status
        await api.http.aclose()


def test_microsoft_json_dates_are_parsed_to_utc() -> None:
    assert parse_xero_datetime("/Date(1539993600000+0000)/") == datetime(2018, 10, 20, tzinfo=UTC)
    assert parse_xero_datetime("/Date(1541176290160+1300)/") == datetime.fromtimestamp(1541176290.16, UTC)
    assert parse_xero_datetime("/Date(1552431874205)/") == datetime.fromtimestamp(1552431874.205, UTC)
    assert parse_xero_datetime("2024-01-15T10:30:00Z") == datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    assert parse_xero_datetime("2018-10-20T00:00:00") == datetime(2018, 10, 20, tzinfo=UTC)
    assert parse_xero_datetime(None) is None and parse_xero_datetime("") is None


# -- webhooks --------------------------------------------------------------------------------------------


def _request(body: bytes, headers: dict[str, str]) -> WebhookRequest:
    return WebhookRequest("POST", "https://app.example.com/hooks/xero", headers, body)


def test_a_signed_delivery_verifies_into_notices(fake: FakeXero) -> None:
    fake.mutate()
    body, headers = fake.webhook("https://app.example.com/hooks/xero")
    result = ADAPTER.verify_webhook(_request(body, headers), fake.webhook_secret)
    events = json.loads(body)["events"]
    assert len(result.notices) == len(events) >= 4 and result.challenge is None
    assert {n.type for n in result.notices} == {"CONTACT.CREATE", "CONTACT.UPDATE", "INVOICE.UPDATE"}
    assert {n.streams for n in result.notices} == {("contacts",), ("invoices", "payments")}
    assert len({n.event_id for n in result.notices}) == len(events)
    again = ADAPTER.verify_webhook(_request(body, headers), fake.webhook_secret)
    assert [n.event_id for n in again.notices] == [n.event_id for n in result.notices]


def test_intent_to_receive_verifies_or_is_refused(fake: FakeXero) -> None:
    body, headers = fake.intent_to_receive(correctly_signed=True)
    assert ADAPTER.verify_webhook(_request(body, headers), fake.webhook_secret).notices == ()
    body, headers = fake.intent_to_receive(correctly_signed=False)
    with pytest.raises(SignatureInvalid):  # the receiver answers 401, as Xero expects
        ADAPTER.verify_webhook(_request(body, headers), fake.webhook_secret)


@pytest.mark.parametrize("tamper", ["body", "secret", "missing"])
def test_a_delivery_that_does_not_verify_is_refused(fake: FakeXero, tamper: str) -> None:
    body, headers = fake.webhook("https://app.example.com/hooks/xero")
    secret = fake.webhook_secret
    if tamper == "body":
        body = body.replace(b"UPDATE", b"CREATE", 1)
    elif tamper == "secret":
        secret = "another-webhook-key"
    else:
        headers = {k: v for k, v in headers.items() if k != "x-xero-signature"}
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify_webhook(_request(body, headers), secret)


# -- OAuth -----------------------------------------------------------------------------------------------


async def test_oauth_with_pkce_picks_the_organisation_just_connected(fake: FakeXero) -> None:
    redirect_uri = "https://app.example.com/connections/oauth/callback"
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    basic = httpx.BasicAuth(CLIENT_ID, CLIENT_SECRET)
    async with httpx.AsyncClient(base_url=fake.origin) as http:
        authorize = await http.get(
            "/identity/connect/authorize",
            params={
                "client_id": CLIENT_ID,
                "response_type": "code",
                "scope": " ".join(ADAPTER.spec.scopes),
                "redirect_uri": redirect_uri,
                "state": "st4te",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
        code = parse_qs(urlsplit(authorize.headers["location"]).query)["code"][0]
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        missing_verifier = await http.post("/connect/token", data=form, auth=basic)
        assert missing_verifier.status_code == 400
        token = (
            await http.post("/connect/token", data={**form, "code_verifier": verifier}, auth=basic)
        ).json()
        assert token["expires_in"] == 1800 and token["access_token"].count(".") == 2
        refresh = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
        rotated = (await http.post("/connect/token", data=refresh, auth=basic)).json()
        reused = await http.post("/connect/token", data=refresh, auth=basic)
        assert (
            rotated["refresh_token"] != token["refresh_token"] and reused.json()["error"] == "invalid_grant"
        )

    api = api_for(fake.origin, ADAPTER, context({}, ""))
    # "Demo Company" is listed first but came from an earlier authorization; the practice is no organisation.
    config = await ADAPTER.after_token(api, rotated, {"label": "books"})
    chosen = next(c for c in fake.connections if c["tenantId"] == fake.tenant_id)
    assert config == {
        "label": "books",
        "tenant_id": fake.tenant_id,
        "tenant_name": "Kowhai Design Ltd",
        "connection_id": chosen["id"],
    }
    fake.access_tokens["opaque-token"] = None  # without the claim, the first organisation is taken
    fallback = await ADAPTER.after_token(api, {"access_token": "opaque-token"}, {})
    assert fallback["tenant_id"] == fake.connections[0]["tenantId"]
    fake.connections = [c for c in fake.connections if c["tenantType"] != "ORGANISATION"]
    with pytest.raises(ProviderError):
        await ADAPTER.after_token(api, rotated, {})
    await api.http.aclose()


async def test_revoke_uses_the_refresh_token_or_deletes_the_connection(fake: FakeXero) -> None:
    connection = next(c for c in fake.connections if c["tenantId"] == fake.tenant_id)
    refresh_token = "rt_" + secrets.token_urlsafe(12)
    fake.refresh_tokens[refresh_token] = True
    client = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    async with session(fake) as (api, ctx):
        await ADAPTER.revoke(api, ctx, {**client, "refresh_token": refresh_token})
    assert fake.revoke_forms == [{"token": refresh_token}] and fake.connections == []

    fake.connections = fake._connections()
    connection = next(c for c in fake.connections if c["tenantId"] == fake.tenant_id)
    ctx = context({**fake.config(), "connection_id": connection["id"]}, fake.issue_access_token())
    api = api_for(fake.origin, ADAPTER, ctx)
    await ADAPTER.revoke(api, ctx, {**client, "refresh_token": ""})  # the engine's shape without one
    assert connection["id"] not in {c["id"] for c in fake.connections}
    assert ("DELETE", f"/connections/{connection['id']}") in fake.requests
    await api.http.aclose()


def test_the_adapter_is_registered() -> None:
    assert adapter_for("xero") is ADAPTER
    headers = ADAPTER.auth_headers(context({"tenant_id": "t-1"}, "tok"))
    assert headers == {"Authorization": "Bearer tok", "Accept": "application/json", "xero-tenant-id": "t-1"}


# -- helpers ---------------------------------------------------------------------------------------------


def _receivable(body: dict[str, Any], status: str) -> bool:
    return bool(body["Type"] == "ACCREC" and body["Status"] == status)


def _expected_status(body: dict[str, Any]) -> str:
    status = {"DRAFT": "draft", "SUBMITTED": "open", "AUTHORISED": "open", "PAID": "paid", "VOIDED": "void"}
    past_due = ms_date(body["DueDate"]).date() < datetime.now(UTC).date()
    if body["Status"] == "AUTHORISED" and body["AmountDue"] > 0 and past_due:
        return "overdue"
    return status[body["Status"]]
