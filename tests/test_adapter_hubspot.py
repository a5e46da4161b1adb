"""The HubSpot adapter against a local server speaking HubSpot's CRM v3 API."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from decimal import Decimal

import httpx
import pytest

from binelek.connectors.adapters import adapter_for
from binelek.connectors.adapters.base import ConnectionContext, SignatureInvalid, WebhookRequest
from binelek.connectors.adapters.hubspot import ADAPTER, HubSpotAdapter
from binelek.connectors.api_client import ApiClient, ProviderError
from tests.fakes.base import CLIENT_ID, CLIENT_SECRET, RateLimit
from tests.fakes.harness import Drained, api_for, business_columns, context, drain
from tests.fakes.hubspot import FakeHubSpot

# No database: one run, in the SQLite pass of `make test`.
pytestmark = pytest.mark.embedded_only

WEBHOOK_URL = "https://binelek.example.com/api/webhooks/hubspot?connection=c%3A42"
COLUMNS = {
    "companies": business_columns("companies"),
    "contacts": business_columns("contacts"),
    "deals": business_columns("deals"),
}
REFERENCES = {"_company", "_contact"}


@pytest.fixture
def fake() -> Iterator[FakeHubSpot]:
    with FakeHubSpot(count=300) as server:
        yield server


@pytest.fixture
def ctx(fake: FakeHubSpot) -> ConnectionContext:
    return context(fake.config(), fake.issue_access_token())


@pytest.fixture
async def api(fake: FakeHubSpot, ctx: ConnectionContext) -> AsyncIterator[ApiClient]:
    client = api_for(fake.origin, ADAPTER, ctx)
    yield client
    await client.http.aclose()


async def full_pass(
    api: ApiClient, ctx: ConnectionContext, adapter: HubSpotAdapter = ADAPTER
) -> dict[str, Drained]:
    return {stream: await drain(adapter, api, ctx, stream) for stream in adapter.streams}


def ids(drained: Drained, entity: str) -> list[str]:
    return [record["source_id"] for record in drained.records.get(entity, [])]


def test_registered() -> None:
    assert adapter_for("hubspot") is ADAPTER


async def test_full_pass_reads_every_stream(
    fake: FakeHubSpot, api: ApiClient, ctx: ConnectionContext
) -> None:
    passes = await full_pass(api, ctx)
    for stream, total in fake.totals().items():
        found = ids(passes[stream], stream)
        assert len(found) == len(set(found)) == total, stream
        assert set(passes[stream].deleted[stream]) == fake.archived_ids(stream)  # archived before we came
        for record in passes[stream].records[stream]:
            assert set(record) - REFERENCES == COLUMNS[stream] | {"source_id", "source_updated_at"}
    assert passes["contacts"].pages > 3  # 100 per page, then the archived listing

    contacts = {c["source_id"]: c for c in passes["contacts"].records["contacts"]}
    linked = next(c for c in fake.live("contacts") if len(c["links"].get("companies", [])) > 1)
    primary = next(target for target, is_primary in linked["links"]["companies"] if is_primary)
    assert contacts[linked["id"]]["_company"] == primary
    sample = contacts[linked["id"]]
    assert sample["email"] == linked["properties"]["email"].lower()
    assert sample["first_name"] == linked["properties"]["firstname"]
    assert (
        isinstance(sample["source_created_at"], datetime)
        and sample["source_created_at"].utcoffset() is not None
    )
    assert set(sample) == {
        "email", "first_name", "last_name", "phone", "source_created_at", "source_id", "source_updated_at",
        "_company",
    }  # fmt: skip

    deals = {d["source_id"]: d for d in passes["deals"].records["deals"]}
    source = next(
        d for d in fake.live("deals") if d["properties"]["amount"] and d["properties"]["hubspot_owner_id"]
    )
    deal = deals[source["id"]]
    assert deal["amount"] == Decimal(source["properties"]["amount"])
    assert deal["pipeline"] in {"Sales Pipeline", "Renewals"} and deal["stage"][0].isupper()
    owners = {o["id"]: o["email"] for o in fake.owners}
    assert deal["owner_email"] == owners[source["properties"]["hubspot_owner_id"]]
    assert deal["currency"] == (source["properties"]["deal_currency_code"] or "USD")
    assert isinstance(deal["close_date"], date) and not isinstance(deal["close_date"], datetime)
    assert deal["_company"] == source["links"]["companies"][0][0]
    companies = passes["companies"].records["companies"]
    assert all(c["name"] and (c["domain"] is None or c["domain"] == c["domain"].lower()) for c in companies)


async def test_incremental_pass_returns_changes_and_deletions(
    fake: FakeHubSpot, api: ApiClient, ctx: ConnectionContext
) -> None:
    first = await full_pass(api, ctx)
    fake.mutate()
    for stream in ADAPTER.streams:
        again = await drain(ADAPTER, api, ctx, stream, first[stream].checkpoint)
        assert set(ids(again, stream)) == fake.changed.get(stream, set()), stream
        assert set(again.deleted.get(stream, [])) == fake.removed.get(stream, set()), stream
        # The next pass starts where this one began (the search index lags): only what changed
        # within that margin is read again.
        quiet = await drain(ADAPTER, api, ctx, stream, again.checkpoint)
        assert set(ids(quiet, stream)) <= fake.changed.get(stream, set()), f"{stream} read again"
    assert fake.search_bodies[0]["filterGroups"][0]["filters"][0]["operator"] == "GTE"
    new_contact = next(iter(fake.changed["contacts"]))
    contacts = (await drain(ADAPTER, api, ctx, "contacts", first["contacts"].checkpoint)).records["contacts"]
    linked = fake.objects["contacts"][new_contact]["links"].get("companies")
    record = next(c for c in contacts if c["source_id"] == new_contact)
    assert record.get("_company") == (linked[0][0] if linked else None)  # from the v4 association read


async def test_search_pages_as_a_keyset_below_the_result_ceiling() -> None:
    adapter = HubSpotAdapter()
    adapter.search_result_cap = 400
    with FakeHubSpot(count=900, search_cap=400) as fake:
        ctx = context(fake.config(), fake.issue_access_token())
        api = api_for(fake.origin, adapter, ctx)
        first = await drain(adapter, api, ctx, "contacts")
        fake.bulk_edit("contacts", 850, per_millisecond=7)  # more than the ceiling, sharing milliseconds
        fake.search_bodies.clear()
        again = await drain(adapter, api, ctx, "contacts", first.checkpoint)
        await api.http.aclose()
    found = ids(again, "contacts")
    assert len(found) == len(set(found)) and set(found) == fake.changed["contacts"]
    assert len(fake.search_bodies) >= 5 and not any("after" in body for body in fake.search_bodies)


async def test_a_page_full_of_one_millisecond_pages_with_after() -> None:
    adapter = HubSpotAdapter()
    adapter.search_result_cap = 400
    with FakeHubSpot(count=900, search_cap=400) as fake:
        ctx = context(fake.config(), fake.issue_access_token())
        api = api_for(fake.origin, adapter, ctx)
        first = await drain(adapter, api, ctx, "contacts")
        fake.bulk_edit("contacts", 350, per_millisecond=350)
        fake.search_bodies.clear()
        again = await drain(adapter, api, ctx, "contacts", first.checkpoint)
        pages_after = [body.get("after") for body in fake.search_bodies]
        fake.bulk_edit("contacts", 450, per_millisecond=450)  # more than the ceiling in one millisecond
        with pytest.raises(ProviderError):
            await drain(adapter, api, ctx, "contacts", again.checkpoint)
        await api.http.aclose()
    found = ids(again, "contacts")
    assert len(found) == len(set(found)) == 350
    assert pages_after == [None, None, "200"]  # keyset, then stuck on one millisecond: after


async def test_an_edit_mid_search_skips_nothing(
    fake: FakeHubSpot, api: ApiClient, ctx: ConnectionContext
) -> None:
    first = await drain(ADAPTER, api, ctx, "contacts")
    fake.bulk_edit("contacts", 290, per_millisecond=1)
    page = await ADAPTER.fetch(api, ctx, "contacts", first.checkpoint)
    read = ids(Drained(records=page.records), "contacts")
    fake.bulk_edit("contacts", 1, per_millisecond=1)  # the first one read is edited again: it moves last
    rest = await drain(ADAPTER, api, ctx, "contacts", page.checkpoint)
    assert {*read, *ids(rest, "contacts")} >= {c["id"] for c in fake.live("contacts")[:290]}


async def test_resume_from_a_mid_pass_checkpoint(
    fake: FakeHubSpot, api: ApiClient, ctx: ConnectionContext
) -> None:
    checkpoint = None
    seen: list[str] = []
    for _ in range(2):
        page = await ADAPTER.fetch(api, ctx, "contacts", checkpoint)
        seen += [c["source_id"] for c in page.records["contacts"]]
        checkpoint = json.loads(json.dumps(page.checkpoint))
    rest = await drain(ADAPTER, api, ctx, "contacts", checkpoint)
    seen += ids(rest, "contacts")
    assert len(seen) == len(set(seen)) == fake.totals()["contacts"]


async def test_rate_limit_answers_are_waited_out() -> None:
    with FakeHubSpot(count=60, rate_limit=RateLimit(4, 1)) as fake:
        ctx = context(fake.config(), fake.issue_access_token())
        api = api_for(fake.origin, ADAPTER, ctx)
        passes = await full_pass(api, ctx)
        await api.http.aclose()
    assert fake.throttled > 0 and api.stats.throttled == fake.throttled
    for stream, total in fake.totals().items():
        assert len(ids(passes[stream], stream)) == total


async def test_bad_token_is_a_provider_error(fake: FakeHubSpot) -> None:
    ctx = context(fake.config(), "expired")
    api = api_for(fake.origin, ADAPTER, ctx)
    with pytest.raises(ProviderError) as error:
        await ADAPTER.check(api, ctx)
    await api.http.aclose()
    assert error.value.status == 401


def test_webhook_signature(fake: FakeHubSpot) -> None:
    body, headers = fake.webhook(WEBHOOK_URL)
    request = WebhookRequest("POST", WEBHOOK_URL, headers, body)
    result = ADAPTER.verify_webhook(request, fake.webhook_secret)
    events = json.loads(body)
    assert [n.event_id for n in result.notices] == [str(e["eventId"]) for e in events]
    assert [n.streams for n in result.notices] == [("contacts",), ("deals",)]
    assert result.notices[1].type == "deal.creation"

    stale_ms = int(time.time() * 1000) - 6 * 60 * 1000
    stale = {**headers, **fake.sign("POST", WEBHOOK_URL, body, stale_ms)}
    missing = {k: v for k, v in headers.items() if k != "x-hubspot-signature-v3"}
    for bad in (
        WebhookRequest("POST", WEBHOOK_URL, headers, body.replace(b"deal.creation", b"deal.deletion")),
        WebhookRequest("POST", WEBHOOK_URL.replace("42", "43"), headers, body),
        WebhookRequest("GET", WEBHOOK_URL, headers, body),
        WebhookRequest("POST", WEBHOOK_URL, missing, body),
        WebhookRequest("POST", WEBHOOK_URL, stale, body),
    ):
        with pytest.raises(SignatureInvalid):
            ADAPTER.verify_webhook(bad, fake.webhook_secret)
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify_webhook(request, "another-client-secret")


async def test_oauth_after_token_refresh_and_revoke(fake: FakeHubSpot) -> None:
    async with httpx.AsyncClient(base_url=fake.origin) as http:
        authorize = await http.get(
            "/oauth/authorize",
            params={
                "client_id": CLIENT_ID,
                "redirect_uri": "https://app.example/cb",
                "scope": "oauth",
                "state": "x",
            },
        )
        code = httpx.URL(authorize.headers["location"]).params["code"]
        form = {"grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "redirect_uri": "https://app.example/cb", "code": code}  # fmt: skip
        token = (await http.post("/oauth/v1/token", data=form)).json()
        assert token["expires_in"] == 1800
        refresh = {"grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                   "refresh_token": token["refresh_token"]}  # fmt: skip
        refreshed = (await http.post("/oauth/v1/token", data=refresh)).json()
        assert (
            refreshed["refresh_token"] == token["refresh_token"]
            and refreshed["access_token"] != token["access_token"]
        )

    ctx = context({}, refreshed["access_token"])
    api = api_for(fake.origin, ADAPTER, ctx)
    config = await ADAPTER.after_token(api, token, {"name": "kept"})
    assert config == {
        "name": "kept",
        "hub_id": str(fake.portal_id),
        "currency": "USD",
        "time_zone": "America/New_York",
    }
    client = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": token["refresh_token"]}
    await ADAPTER.revoke(api, ctx, client)
    assert token["refresh_token"] not in fake.refresh_tokens
    await ADAPTER.revoke(api, ctx, client)  # already gone: nothing to do
    await api.http.aclose()
