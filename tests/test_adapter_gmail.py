"""The Gmail adapter against the fake Gmail API: full pass, history-based incremental passes, resuming,
quota answers (429 and 403 rateLimitExceeded), the refused Pub/Sub push, and the OAuth specifics."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from binelek.connectors.adapters import adapter_for
from binelek.connectors.adapters.base import ConnectionContext, SignatureInvalid, WebhookRequest
from binelek.connectors.adapters.gmail import ADAPTER, GmailAdapter, is_quota_error, message_record
from binelek.connectors.api_client import ApiClient, ProviderError
from tests.fakes.base import CLIENT_ID, CLIENT_SECRET, RateLimit
from tests.fakes.gmail import MAILBOX, FakeGmail
from tests.fakes.harness import api_for, business_columns, context, drain

# No database: one run, in the SQLite pass of `make test`.
pytestmark = pytest.mark.embedded_only

COLUMNS = business_columns("email_messages")


@pytest.fixture
def fake() -> Iterator[FakeGmail]:
    server = FakeGmail(count=80, seed=7)
    with server:
        yield server


@asynccontextmanager
async def session(
    fake: FakeGmail, adapter: GmailAdapter = ADAPTER, **kwargs: Any
) -> AsyncIterator[tuple[ApiClient, ConnectionContext]]:
    ctx = context(fake.config(), fake.issue_access_token())
    api = api_for(fake.origin, adapter, ctx, **kwargs)
    try:
        yield api, ctx
    finally:
        await api.http.aclose()


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [record["source_id"] for record in records]


async def test_full_pass_reads_every_live_message_with_its_metadata(fake: FakeGmail) -> None:
    adapter = GmailAdapter(page_size=25)
    history_at_start = str(fake.history_id)
    async with session(fake, adapter) as (api, ctx):
        drained = await drain(adapter, api, ctx, "messages")

    records = drained.records["email_messages"]
    assert len(records) == fake.totals()["email_messages"] == len(set(ids(records)))
    assert drained.pages == 4  # 78 live messages, 25 a page
    assert drained.deleted == {}
    assert drained.checkpoint == {"phase": "history", "history_id": history_at_start}
    assert all(set(record) == COLUMNS | {"source_id"} for record in records)
    # Spam and trash are left out.
    assert not {m.id for m in fake.messages.values() if {"SPAM", "TRASH"} & set(m.labels)} & set(ids(records))

    with_cc = next(
        m for m in fake.live() if any(h["name"] == "Cc" for h in m.headers) and "SENT" not in m.labels
    )
    record = next(r for r in records if r["source_id"] == with_cc.id)
    sender = next(h["value"] for h in with_cc.headers if h["name"] == "From")
    assert record["from_address"] == sender.split("<")[1].rstrip(">").lower()
    assert record["to_addresses"] == [MAILBOX]
    assert record["cc_addresses"][1] == "sam@lumenbakery.co" and len(record["cc_addresses"]) == 2
    assert record["subject"] == next(h["value"] for h in with_cc.headers if h["name"] == "Subject")
    assert record["labels"] == with_cc.labels and "INBOX" in record["labels"]
    assert record["thread_id"] == with_cc.thread_id
    assert record["sent_at"] == datetime.fromtimestamp(with_cc.internal_ms / 1000, tz=UTC)
    assert record["sent_at"].tzinfo is UTC
    # Only metadata was asked for: the fake refuses format=full under the metadata scope.
    assert ("GET", f"/gmail/v1/users/me/messages/{with_cc.id}") in fake.requests


async def test_incremental_pass_returns_only_what_changed(fake: FakeGmail) -> None:
    async with session(fake) as (api, ctx):
        full = await drain(ADAPTER, api, ctx, "messages")
        changes = fake.mutate()
        incremental = await drain(ADAPTER, api, ctx, "messages", full.checkpoint)
        quiet = await drain(ADAPTER, api, ctx, "messages", incremental.checkpoint)

    assert sorted(ids(incremental.records["email_messages"])) == sorted(
        [changes["added"], changes["changed"]]
    )
    assert incremental.deleted == {"email_messages": [changes["deleted"]]}
    changed = next(r for r in incremental.records["email_messages"] if r["source_id"] == changes["changed"])
    assert "UNREAD" not in changed["labels"] and "Label_2" in changed["labels"]
    assert incremental.checkpoint == {"phase": "history", "history_id": str(fake.history_id)}
    assert quiet.records == {"email_messages": []} and quiet.deleted == {} and quiet.pages == 1


async def test_history_is_paged_and_trashing_counts_as_deleting(fake: FakeGmail) -> None:
    adapter = GmailAdapter(page_size=10)
    async with session(fake, adapter) as (api, ctx):
        full = await drain(adapter, api, ctx, "messages")
        touched = [m.id for m in fake.live()[:25]]
        for message_id in touched:
            fake.relabel(message_id, add=("STARRED",))
        trashed = fake.live()[30].id
        fake.relabel(trashed, add=("TRASH",))
        incremental = await drain(adapter, api, ctx, "messages", full.checkpoint)

    assert incremental.pages == 3  # 26 history records, 10 a page
    assert sorted(ids(incremental.records["email_messages"])) == sorted(touched)
    assert incremental.deleted == {"email_messages": [trashed]}


async def test_changes_made_during_the_full_pass_are_caught_next_time(fake: FakeGmail) -> None:
    adapter = GmailAdapter(page_size=25)
    async with session(fake, adapter) as (api, ctx):
        first = await adapter.fetch(api, ctx, "messages", None)
        added = fake.add_message()  # newer than the history id taken before listing
        rest = await drain(adapter, api, ctx, "messages", first.checkpoint)
        incremental = await drain(adapter, api, ctx, "messages", rest.checkpoint)

    assert added.id not in ids(first.records["email_messages"] + rest.records["email_messages"])
    assert ids(incremental.records["email_messages"]) == [added.id]


async def test_resuming_from_a_mid_pass_checkpoint_reads_each_message_once(fake: FakeGmail) -> None:
    adapter = GmailAdapter(page_size=20)
    async with session(fake, adapter) as (api, ctx):
        page1 = await adapter.fetch(api, ctx, "messages", None)
        page2 = await adapter.fetch(api, ctx, "messages", page1.checkpoint)
        assert not page2.done and page2.checkpoint["phase"] == "full"
        # A new session (after a crash) continues from the stored checkpoint.
        rest = await drain(adapter, api, ctx, "messages", page2.checkpoint)

    seen = ids(
        page1.records["email_messages"] + page2.records["email_messages"] + rest.records["email_messages"]
    )
    assert len(seen) == len(set(seen))
    assert set(seen) == {m.id for m in fake.live()}


async def test_expired_history_starts_a_full_pass_again(fake: FakeGmail) -> None:
    async with session(fake) as (api, ctx):
        full = await drain(ADAPTER, api, ctx, "messages")
        fake.mutate()
        fake.forget_history()
        again = await drain(ADAPTER, api, ctx, "messages", full.checkpoint)

    assert sorted(ids(again.records["email_messages"])) == sorted(m.id for m in fake.live())
    assert again.checkpoint == {"phase": "history", "history_id": str(fake.history_id)}


@pytest.mark.parametrize("quota_status", [429, 403])
async def test_quota_answers_are_waited_out(quota_status: int) -> None:
    fake = FakeGmail(count=8, seed=3, rate_limit=RateLimit(5, 1), quota_status=quota_status)
    with fake:
        adapter = GmailAdapter(concurrency=4)
        async with session(fake, adapter) as (api, ctx):
            drained = await drain(adapter, api, ctx, "messages")
            assert api.stats.throttled > 0
        assert fake.throttled > 0
        assert len(drained.records["email_messages"]) == fake.totals()["email_messages"]


def test_only_quota_reasons_make_a_403_retryable() -> None:
    forbidden = {"error": {"code": 403, "errors": [{"reason": "forbidden"}], "message": "Metadata scope"}}
    assert not is_quota_error(httpx.Response(403, json=forbidden))
    limited = {"error": {"code": 403, "errors": [{"reason": "userRateLimitExceeded"}]}}
    assert is_quota_error(httpx.Response(403, json=limited))


def test_message_without_internal_date_uses_the_date_header() -> None:
    message = {
        "id": "18c",
        "payload": {
            "headers": [
                {"name": "from", "value": "=?UTF-8?Q?Jos=C3=A9?= <JOSE@Example.com>"},
                {"name": "Subject", "value": "=?UTF-8?B?Q2Fmw6kgb3JkZXI=?="},
                {"name": "Date", "value": "Tue, 04 Mar 2025 09:15:00 +0100"},
            ]
        },
    }
    record = message_record(message)
    assert record["from_address"] == "jose@example.com"
    assert record["subject"] == "Café order"
    assert record["sent_at"] == datetime(2025, 3, 4, 8, 15, tzinfo=UTC)
    assert record["to_addresses"] == [] and record["labels"] == [] and record["thread_id"] is None


def test_pubsub_push_is_refused(fake: FakeGmail) -> None:
    url = "https://app.example.com/api/webhooks/gmail"
    body, headers = fake.webhook(url)
    request = WebhookRequest("POST", url, headers, body)
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify_webhook(request, fake.webhook_secret)
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify_webhook(request, "any configured secret")


def test_module_exposes_the_adapter() -> None:
    assert adapter_for("gmail") is ADAPTER
    assert ADAPTER.authorize_params({}) == {
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
    }


async def test_oauth_code_flow_after_token_check_and_revoke(fake: FakeGmail) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect_uri = "https://app.example.com/api/connectors/oauth/callback"
    async with httpx.AsyncClient(base_url=fake.origin) as http:
        authorize = await http.get(
            "/o/oauth2/v2/auth",
            params={
                "client_id": CLIENT_ID,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": " ".join(ADAPTER.spec.scopes),
                "state": "s1",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                **ADAPTER.authorize_params({}),
            },
        )
        assert authorize.status_code == 302
        code = parse_qs(urlsplit(authorize.headers["location"]).query)["code"][0]
        form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": redirect_uri}
        token = (await http.post("/token", data={**form, "code": code, "code_verifier": verifier})).json()
        # Google does not rotate refresh tokens: the same one refreshes twice.
        refresh = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_type": "refresh_token"}
        for _ in range(2):
            again = await http.post("/token", data={**refresh, "refresh_token": token["refresh_token"]})
            assert again.status_code == 200 and "refresh_token" not in again.json()

    ctx = context({}, token["access_token"])
    api = api_for(fake.origin, ADAPTER, ctx)
    try:
        assert await ADAPTER.after_token(api, token, {"x": 1}) == {"x": 1, "account_name": MAILBOX}
        await ADAPTER.check(api, ctx)
        await ADAPTER.revoke(api, ctx, {"client_id": CLIENT_ID, "refresh_token": token["refresh_token"]})
        assert fake.revoked == [token["refresh_token"]]
        with pytest.raises(ProviderError) as refused:  # the grant is gone, access token included
            await ADAPTER.check(api, ctx)
        assert refused.value.status == 401
        await ADAPTER.revoke(api, ctx, {})  # revoking again is harmless
    finally:
        await api.http.aclose()
