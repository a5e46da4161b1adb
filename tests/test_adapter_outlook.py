"""The Outlook adapter against the fake Microsoft Graph: delta rounds for inbox messages and the calendar
view, resuming inside a round, synchronization resets, the calendar window, throttling, change
notifications (validation handshake, clientState) and the OAuth specifics."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from binelek.connectors.adapters import adapter_for
from binelek.connectors.adapters.base import ConnectionContext, SignatureInvalid, WebhookRequest
from binelek.connectors.adapters.outlook import ADAPTER, OutlookAdapter, parse_instant, tenant, zoned_time
from binelek.connectors.api_client import ApiClient
from tests.fakes.base import CLIENT_ID, CLIENT_SECRET, RateLimit
from tests.fakes.harness import api_for, business_columns, context, drain
from tests.fakes.outlook import MAILBOX, FakeOutlook

# No database: one run, in the SQLite pass of `make test`.
pytestmark = pytest.mark.embedded_only

MESSAGE_COLUMNS = business_columns("email_messages")
EVENT_COLUMNS = business_columns("calendar_events")
NOTIFY_URL = "https://app.example.com/api/webhooks/outlook/3f1c"


@pytest.fixture
def fake() -> Iterator[FakeOutlook]:
    server = FakeOutlook(count=60, seed=5)
    with server:
        yield server


@asynccontextmanager
async def session(
    fake: FakeOutlook, adapter: OutlookAdapter = ADAPTER, **kwargs: Any
) -> AsyncIterator[tuple[ApiClient, ConnectionContext]]:
    ctx = context(fake.config(), fake.issue_access_token())
    api = api_for(fake.origin, adapter, ctx, **kwargs)
    try:
        yield api, ctx
    finally:
        await api.http.aclose()


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [record["source_id"] for record in records]


async def test_full_round_of_inbox_messages(fake: FakeOutlook) -> None:
    adapter = OutlookAdapter(page_size=25)
    async with session(fake, adapter) as (api, ctx):
        drained = await drain(adapter, api, ctx, "messages")

    records = drained.records["email_messages"]
    assert len(records) == fake.totals()["email_messages"] == len(set(ids(records))) == 60
    assert drained.pages == 3 and drained.deleted == {}
    assert drained.checkpoint is not None and set(drained.checkpoint) == {"delta_link"}
    assert drained.checkpoint["delta_link"].startswith("https://graph.microsoft.com/v1.0/me/mailfolders('")
    assert all(set(record) == MESSAGE_COLUMNS | {"source_id", "source_updated_at"} for record in records)

    item = next(m for m in fake.messages.items.values() if m["ccRecipients"] and m["categories"])
    record = next(r for r in records if r["source_id"] == item["id"])
    assert record["from_address"] == item["from"]["emailAddress"]["address"]
    assert record["to_addresses"] == [MAILBOX]
    assert record["cc_addresses"] == [item["ccRecipients"][0]["emailAddress"]["address"]]
    assert record["subject"] == item["subject"] and record["labels"] == item["categories"]
    assert record["thread_id"] == item["conversationId"]
    assert record["sent_at"] == datetime.fromisoformat(item["receivedDateTime"]) and record["sent_at"].tzinfo
    assert record["source_updated_at"] == datetime.fromisoformat(item["lastModifiedDateTime"])


async def test_full_round_of_calendar_events(fake: FakeOutlook) -> None:
    adapter = OutlookAdapter(page_size=8)
    async with session(fake, adapter) as (api, ctx):
        drained = await drain(adapter, api, ctx, "events")

    records = drained.records["calendar_events"]
    assert len(records) == fake.totals()["calendar_events"] == 20
    assert drained.pages == 3
    assert set(drained.checkpoint or {}) == {"delta_link", "window_end"}
    assert all(set(record) == EVENT_COLUMNS | {"source_id", "source_updated_at"} for record in records)
    by_id = {record["source_id"]: record for record in records}
    for item in fake.events.items.values():
        record = by_id[item["id"]]
        assert record["title"] == item["subject"]
        assert record["organizer_email"] == item["organizer"]["emailAddress"]["address"]
        assert record["attendees"] == [a["emailAddress"]["address"] for a in item["attendees"]]
        assert record["location"] == (item["location"]["displayName"] or None)
        assert record["starts_at"] == datetime.fromisoformat(item["start"]["dateTime"]).replace(tzinfo=UTC)
        assert record["ends_at"] > record["starts_at"]
        assert record["status"] == ("tentative" if item["showAs"] == "tentative" else "confirmed")


async def test_delta_links_return_only_what_changed(fake: FakeOutlook) -> None:
    async with session(fake) as (api, ctx):
        messages = await drain(ADAPTER, api, ctx, "messages")
        events = await drain(ADAPTER, api, ctx, "events")
        changes = fake.mutate()
        new_messages = await drain(ADAPTER, api, ctx, "messages", messages.checkpoint)
        new_events = await drain(ADAPTER, api, ctx, "events", events.checkpoint)
        quiet = await drain(ADAPTER, api, ctx, "messages", new_messages.checkpoint)

    assert sorted(ids(new_messages.records["email_messages"])) == sorted(
        [changes["message_added"], changes["message_changed"]]
    )
    assert new_messages.deleted == {"email_messages": [changes["message_deleted"]]}
    changed = next(
        r for r in new_messages.records["email_messages"] if r["source_id"] == changes["message_changed"]
    )
    assert changed["labels"] == ["Follow up"]

    assert sorted(ids(new_events.records["calendar_events"])) == sorted(
        [changes["event_added"], changes["event_changed"]]
    )
    assert new_events.deleted == {"calendar_events": [changes["event_deleted"]]}
    cancelled = next(
        r for r in new_events.records["calendar_events"] if r["source_id"] == changes["event_changed"]
    )
    assert cancelled["status"] == "cancelled"
    assert quiet.records == {"email_messages": []} and quiet.deleted == {} and quiet.pages == 1


async def test_an_event_moved_out_of_the_window_is_removed(fake: FakeOutlook) -> None:
    async with session(fake) as (api, ctx):
        events = await drain(ADAPTER, api, ctx, "events")
        moved = sorted(fake.events.items)[0]
        fake.move_event(moved, datetime.now(UTC) + timedelta(days=800))
        after = await drain(ADAPTER, api, ctx, "events", events.checkpoint)
    assert after.records == {"calendar_events": []}
    assert after.deleted == {"calendar_events": [moved]}


async def test_resuming_inside_a_round_reads_each_item_once(fake: FakeOutlook) -> None:
    adapter = OutlookAdapter(page_size=10)
    async with session(fake, adapter) as (api, ctx):
        page1 = await adapter.fetch(api, ctx, "messages", None)
        page2 = await adapter.fetch(api, ctx, "messages", page1.checkpoint)
        assert not page2.done and "$skiptoken=" in page2.checkpoint["next_link"]
        rest = await drain(adapter, api, ctx, "messages", page2.checkpoint)

    seen = ids(
        page1.records["email_messages"] + page2.records["email_messages"] + rest.records["email_messages"]
    )
    assert len(seen) == len(set(seen)) and set(seen) == set(fake.messages.items)


@pytest.mark.parametrize("status", [410, 400])
async def test_a_synchronization_reset_starts_a_new_round(fake: FakeOutlook, status: int) -> None:
    async with session(fake) as (api, ctx):
        events = await drain(ADAPTER, api, ctx, "events")
        fake.mutate()
        fake.reset_sync(status)
        again = await drain(ADAPTER, api, ctx, "events", events.checkpoint)
        after = await drain(ADAPTER, api, ctx, "events", again.checkpoint)

    assert sorted(ids(again.records["calendar_events"])) == sorted(fake.events.items)
    assert again.deleted == {}  # a new round lists what exists; removals in the gap are not reported
    assert after.records == {"calendar_events": []}


async def test_the_calendar_window_is_renewed_before_it_ends(fake: FakeOutlook) -> None:
    today = datetime.now(UTC)
    async with session(fake) as (api, ctx):
        first = await drain(OutlookAdapter(clock=lambda: today), api, ctx, "events")
        later = OutlookAdapter(clock=lambda: today + timedelta(days=340))
        renewed = await drain(later, api, ctx, "events", first.checkpoint)

    assert first.checkpoint is not None and renewed.checkpoint is not None
    old_end = datetime.fromisoformat(first.checkpoint["window_end"])
    assert datetime.fromisoformat(renewed.checkpoint["window_end"]) - old_end == timedelta(days=340)
    # The new round lists what the new window (from 25 days back) holds, and leaves older events alone.
    window_start = old_end + timedelta(days=340 - 365 - 365)
    in_window = {
        item_id
        for item_id, item in fake.events.items.items()
        if datetime.fromisoformat(item["end"]["dateTime"]).replace(tzinfo=UTC) > window_start
    }
    assert 0 < len(in_window) < len(fake.events.items)
    assert sorted(ids(renewed.records["calendar_events"])) == sorted(in_window)
    assert renewed.deleted == {}


async def test_throttling_is_waited_out() -> None:
    fake = FakeOutlook(count=12, seed=2, rate_limit=RateLimit(5, 1))
    with fake:
        adapter = OutlookAdapter(page_size=2)
        async with session(fake, adapter) as (api, ctx):
            messages = await drain(adapter, api, ctx, "messages")
            events = await drain(adapter, api, ctx, "events")
            assert api.stats.throttled > 0
        assert fake.throttled > 0
        assert len(messages.records["email_messages"]) == fake.totals()["email_messages"]
        assert len(events.records["calendar_events"]) == fake.totals()["calendar_events"]


# -- change notifications -------------------------------------------------------------------------


def test_validation_handshake_echoes_the_token(fake: FakeOutlook) -> None:
    url, body, headers = fake.validation(NOTIFY_URL)
    result = ADAPTER.verify_webhook(WebhookRequest("POST", url, headers, body), fake.webhook_secret)
    assert result.challenge == unquote(url.split("validationToken=")[1]) and result.notices == ()
    assert result.challenge.startswith("Validation: Testing client application reachability")


def test_notifications_with_the_client_state_become_notices(fake: FakeOutlook) -> None:
    body, headers = fake.webhook(NOTIFY_URL)
    result = ADAPTER.verify_webhook(WebhookRequest("POST", NOTIFY_URL, headers, body), fake.webhook_secret)
    (notice,) = result.notices
    assert notice.type == "created" and notice.streams == ("messages",)
    assert notice.event_id.startswith(fake.subscription_id + ":")
    assert result.challenge is None

    # A redelivery of the same notification keeps its id; a later change of the item does not.
    again = ADAPTER.verify_webhook(WebhookRequest("POST", NOTIFY_URL, headers, body), fake.webhook_secret)
    assert again.notices[0].event_id == notice.event_id
    payload = json.loads(body)
    payload["value"][0]["resourceData"]["@odata.etag"] = 'W/"CQAAABYAAAB99999999"'
    payload["value"][0]["changeType"] = "updated"
    later = ADAPTER.verify_webhook(
        WebhookRequest("POST", NOTIFY_URL, headers, json.dumps(payload).encode()), fake.webhook_secret
    )
    assert later.notices[0].event_id != notice.event_id and later.notices[0].type == "updated"

    event_body, _ = fake.webhook(NOTIFY_URL, kind="events")
    events = ADAPTER.verify_webhook(
        WebhookRequest("POST", NOTIFY_URL, headers, event_body), fake.webhook_secret
    )
    assert events.notices[0].streams == ("events",)


def test_lifecycle_notifications(fake: FakeOutlook) -> None:
    def lifecycle(event: str) -> bytes:
        item = {
            "subscriptionId": fake.subscription_id,
            "subscriptionExpirationDateTime": "2026-03-20T11:00:00Z",
            "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
            "clientState": fake.webhook_secret,
            "lifecycleEvent": event,
        }
        return json.dumps({"value": [item]}).encode()

    missed = ADAPTER.verify_webhook(
        WebhookRequest("POST", NOTIFY_URL, {}, lifecycle("missed")), fake.webhook_secret
    )
    assert missed.notices[0].type == "lifecycle.missed"
    assert missed.notices[0].streams == ("messages", "events")
    renew = ADAPTER.verify_webhook(
        WebhookRequest("POST", NOTIFY_URL, {}, lifecycle("reauthorizationRequired")), fake.webhook_secret
    )
    assert renew.notices[0].streams == ()


def test_deliveries_without_the_client_state_are_refused(fake: FakeOutlook) -> None:
    body, headers = fake.webhook(NOTIFY_URL)
    good = json.loads(body)["value"][0]

    def attempt(payload: bytes, secret: str = fake.webhook_secret) -> None:
        with pytest.raises(SignatureInvalid):
            ADAPTER.verify_webhook(WebhookRequest("POST", NOTIFY_URL, headers, payload), secret)

    attempt(body, "another-subscriptions-client-state")  # wrong secret
    attempt(body, "")  # nothing configured
    attempt(
        json.dumps({"value": [{k: v for k, v in good.items() if k != "clientState"}]}).encode()
    )  # missing
    forged = {**good, "clientState": fake.webhook_secret + "x", "resource": "Users/x/Messages/y"}
    attempt(json.dumps({"value": [good, forged]}).encode())  # one forged entry taints the delivery
    attempt(body.replace(b'"value"', b'"valeu"'))  # tampered
    attempt(body[:-3])  # truncated: not JSON
    attempt(b'{"value": []}')
    # A validation token only counts on Graph's POST.
    attempt_url = NOTIFY_URL + "?validationToken=abc"
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify_webhook(WebhookRequest("GET", attempt_url, {}, b""), fake.webhook_secret)


# -- values and OAuth ------------------------------------------------------------------------------


def test_graph_times_become_utc() -> None:
    assert zoned_time({"dateTime": "2025-07-01T14:00:00.0000000", "timeZone": "UTC"}) == datetime(
        2025, 7, 1, 14, tzinfo=UTC
    )
    assert zoned_time({"dateTime": "2025-07-01T14:00:00.0000000", "timeZone": "Europe/Berlin"}) == datetime(
        2025, 7, 1, 12, tzinfo=UTC
    )
    assert zoned_time(
        {"dateTime": "2025-01-01T09:00:00.0000000", "timeZone": "Pacific Standard Time"}
    ) == datetime(2025, 1, 1, 9, tzinfo=UTC)
    assert zoned_time(None) is None
    assert parse_instant("2024-05-01T09:30:00.1234567Z") == datetime(2024, 5, 1, 9, 30, 0, 123456, tzinfo=UTC)
    assert parse_instant(None) is None


async def test_oauth_with_tenant_pkce_rotation_after_token_and_revoke(fake: FakeOutlook) -> None:
    assert adapter_for("outlook") is ADAPTER
    assert (
        tenant({}) == "common" and tenant({"tenant": "contoso.onmicrosoft.com"}) == "contoso.onmicrosoft.com"
    )
    assert ADAPTER.authorize_params({}) == {}
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect_uri = "https://app.example.com/api/connectors/oauth/callback"
    base = f"/{tenant(fake.config())}/oauth2/v2.0"
    async with httpx.AsyncClient(base_url=fake.origin) as http:
        authorize = await http.get(
            base + "/authorize",
            params={
                "client_id": CLIENT_ID,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": " ".join(ADAPTER.spec.scopes),
                "state": "s1",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
        code = parse_qs(urlsplit(authorize.headers["location"]).query)["code"][0]
        form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": redirect_uri}
        token = (
            await http.post(base + "/token", data={**form, "code": code, "code_verifier": verifier})
        ).json()
        refresh = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_type": "refresh_token"}
        renewed = (
            await http.post(base + "/token", data={**refresh, "refresh_token": token["refresh_token"]})
        ).json()
        assert renewed["refresh_token"] != token["refresh_token"]  # replaced on use
        stale = await http.post(base + "/token", data={**refresh, "refresh_token": token["refresh_token"]})
        assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"

    ctx = context(fake.config(), renewed["access_token"])
    api = api_for(fake.origin, ADAPTER, ctx)
    try:
        config = await ADAPTER.after_token(api, renewed, {})
        assert config == {"tenant": "common", "account_name": "daniel.brooks@harbourlightdesign.com"}
        await ADAPTER.check(api, ctx)
        before = len(fake.requests)
        await ADAPTER.revoke(api, ctx, {"client_id": CLIENT_ID})
        assert len(fake.requests) == before  # no endpoint to call
    finally:
        await api.http.aclose()
