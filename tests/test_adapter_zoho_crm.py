"""The Zoho CRM adapter against a local server speaking Zoho's REST API v6 and accounts server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from binelek.connectors.adapters import adapter_for
from binelek.connectors.adapters.base import ConnectionContext, SignatureInvalid, WebhookRequest
from binelek.connectors.adapters.zoho_crm import ADAPTER
from binelek.connectors.api_client import ApiClient, ProviderError
from tests.fakes.base import CLIENT_ID, CLIENT_SECRET, RateLimit
from tests.fakes.harness import Drained, api_for, business_columns, context, drain
from tests.fakes.zoho_crm import FakeZohoCrm

# No database: one run, in the SQLite pass of `make test`.
pytestmark = pytest.mark.embedded_only

ENTITY_OF_STREAM = {"accounts": "companies", "contacts": "contacts", "deals": "deals"}
MODULE_OF_STREAM = {"accounts": "Accounts", "contacts": "Contacts", "deals": "Deals"}
WEBHOOK_URL = "https://binelek.example.com/api/webhooks/zoho_crm/77"
COLUMNS = {
    "companies": business_columns("companies"),
    "contacts": business_columns("contacts"),
    "deals": business_columns("deals"),
}
REFERENCES = {"_company", "_contact"}


@pytest.fixture
def fake() -> Iterator[FakeZohoCrm]:
    with FakeZohoCrm(count=300) as server:
        yield server


@pytest.fixture
def ctx(fake: FakeZohoCrm) -> ConnectionContext:
    return context(fake.config(), fake.issue_access_token())


@pytest.fixture
async def api(fake: FakeZohoCrm, ctx: ConnectionContext) -> AsyncIterator[ApiClient]:
    client = api_for(fake.origin, ADAPTER, ctx)
    yield client
    await client.http.aclose()


async def full_pass(api: ApiClient, ctx: ConnectionContext) -> dict[str, Drained]:
    return {stream: await drain(ADAPTER, api, ctx, stream) for stream in ADAPTER.streams}


def ids(drained: Drained, entity: str) -> list[str]:
    return [record["source_id"] for record in drained.records.get(entity, [])]


def test_registered() -> None:
    assert adapter_for("zoho_crm") is ADAPTER


async def test_full_pass_reads_every_module(
    fake: FakeZohoCrm, api: ApiClient, ctx: ConnectionContext
) -> None:
    passes = await full_pass(api, ctx)
    totals = fake.totals()
    for stream, entity in ENTITY_OF_STREAM.items():
        found = ids(passes[stream], entity)
        assert len(found) == len(set(found)) == totals[entity], stream
        assert set(passes[stream].deleted[entity]) == fake.deleted_ids(MODULE_OF_STREAM[stream])
        for record in passes[stream].records[entity]:
            assert set(record) - REFERENCES == COLUMNS[entity] | {"source_id", "source_updated_at"}
    assert passes["contacts"].pages >= 2

    companies = {c["source_id"]: c for c in passes["accounts"].records["companies"]}
    for source in fake.records["Accounts"].values():
        website = source["Website"]
        domain = companies[source["id"]]["domain"]
        assert (
            domain is None
            if website is None
            else (domain and "/" not in domain and not domain.startswith("www."))
        )

    contacts = {c["source_id"]: c for c in passes["contacts"].records["contacts"]}
    source = next(c for c in fake.records["Contacts"].values() if c["Account_Name"] and c["Email"])
    contact = contacts[source["id"]]
    assert contact["_company"] == source["Account_Name"]["id"] and contact["email"] == source["Email"]
    created = contact["source_created_at"]
    assert created.utcoffset() == timedelta(0)
    assert created == datetime.fromisoformat(source["Created_Time"]).astimezone(UTC)  # from +01:00

    deals = {d["source_id"]: d for d in passes["deals"].records["deals"]}
    source = next(d for d in fake.records["Deals"].values() if d["Amount"] is not None and d["Contact_Name"])
    deal = deals[source["id"]]
    assert deal["amount"] == Decimal(str(source["Amount"])) and deal["currency"] == "EUR"
    assert deal["stage"] == source["Stage"] and deal["pipeline"] == source["Pipeline"]
    assert deal["close_date"] == date.fromisoformat(source["Closing_Date"])
    assert deal["owner_email"] == source["Owner"]["email"]
    assert (
        deal["_company"] == source["Account_Name"]["id"] and deal["_contact"] == source["Contact_Name"]["id"]
    )
    assert set(deal) == {
        "name", "pipeline", "stage", "amount", "currency", "close_date", "owner_email", "source_created_at",
        "source_id", "source_updated_at", "_company", "_contact",
    }  # fmt: skip


async def test_incremental_pass_uses_if_modified_since(
    fake: FakeZohoCrm, api: ApiClient, ctx: ConnectionContext
) -> None:
    first = await full_pass(api, ctx)
    fake.mutate()
    fake.requests_seen.clear()
    for stream, entity in ENTITY_OF_STREAM.items():
        again = await drain(ADAPTER, api, ctx, stream, first[stream].checkpoint)
        assert set(ids(again, entity)) == fake.changed.get(entity, set()), stream
        assert set(again.deleted.get(entity, [])) == fake.removed.get(entity, set()), stream
        quiet = await drain(ADAPTER, api, ctx, stream, again.checkpoint)
        assert ids(quiet, entity) == [], f"{stream} read again"
    assert all(since for _path, _query, since in fake.requests_seen)


async def test_large_modules_page_as_a_keyset_and_mass_updates_with_page_tokens() -> None:
    with FakeZohoCrm(count=2300) as fake:
        ctx = context(fake.config(), fake.issue_access_token())
        api = api_for(fake.origin, ADAPTER, ctx)
        contacts = await drain(ADAPTER, api, ctx, "contacts")
        full = [query for path, query, _since in fake.requests_seen if path == "/crm/v6/Contacts"]
        fake.mass_update("Contacts", 2100)  # more than page numbers reach, all in one second
        fake.requests_seen.clear()
        again = await drain(ADAPTER, api, ctx, "contacts", contacts.checkpoint)
        await api.http.aclose()
    found = ids(contacts, "contacts")
    assert len(found) == len(set(found)) == fake.totals()["contacts"]
    assert all(query.get("page") == "1" for query in full)  # every page a fresh keyset query
    updated = ids(again, "contacts")
    assert len(updated) == len(set(updated)) and set(updated) == fake.changed["contacts"]
    queries = [query for path, query, _since in fake.requests_seen if path == "/crm/v6/Contacts"]
    assert [q["page"] for q in queries if "page" in q] == ["1", "1", *[str(n) for n in range(2, 11)]]
    assert any("page_token" in q for q in queries)


async def test_a_record_edited_mid_pass_skips_nothing(
    fake: FakeZohoCrm, api: ApiClient, ctx: ConnectionContext
) -> None:
    first = await ADAPTER.fetch(api, ctx, "contacts", None)
    read = [c["source_id"] for c in first.records["contacts"]]
    fake.records["Contacts"][read[0]]["Modified_Time"] = datetime.now(UTC).isoformat(timespec="seconds")
    rest = await drain(ADAPTER, api, ctx, "contacts", first.checkpoint)
    assert {*read, *ids(rest, "contacts")} == set(fake.records["Contacts"])


async def test_resume_from_a_mid_pass_checkpoint(
    fake: FakeZohoCrm, api: ApiClient, ctx: ConnectionContext
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
    with FakeZohoCrm(count=60, rate_limit=RateLimit(3, 1)) as fake:
        ctx = context(fake.config(), fake.issue_access_token())
        api = api_for(fake.origin, ADAPTER, ctx)
        passes = await full_pass(api, ctx)
        await api.http.aclose()
    assert fake.throttled > 0 and api.stats.throttled == fake.throttled
    for stream, entity in ENTITY_OF_STREAM.items():
        assert len(ids(passes[stream], entity)) == fake.totals()[entity]


async def test_multi_currency_deals_name_their_currency() -> None:
    with FakeZohoCrm(count=30, multi_currency=True) as fake:
        ctx = context({**fake.config(), "multi_currency": True}, fake.issue_access_token())
        api = api_for(fake.origin, ADAPTER, ctx)
        deals = (await drain(ADAPTER, api, ctx, "deals")).records["deals"]
        await api.http.aclose()
    currencies = {d["source_id"]: d["currency"] for d in deals}
    assert all(currencies[d["id"]] == d["Currency"] for d in fake.records["Deals"].values())


async def test_bad_token_is_a_provider_error(fake: FakeZohoCrm) -> None:
    ctx = context(fake.config(), "expired")
    api = api_for(fake.origin, ADAPTER, ctx)
    with pytest.raises(ProviderError) as error:
        await ADAPTER.check(api, ctx)
    await api.http.aclose()
    assert error.value.status == 401 and error.value.code == "INVALID_TOKEN"


def test_notification_token(fake: FakeZohoCrm) -> None:
    body, headers = fake.webhook(WEBHOOK_URL)
    request = WebhookRequest("POST", WEBHOOK_URL, headers, body)
    result = ADAPTER.verify_webhook(request, fake.webhook_secret)
    (notice,) = result.notices
    assert notice.type == "Contacts.update" and notice.streams == ("contacts",)
    assert (
        notice.event_id == ADAPTER.verify_webhook(request, fake.webhook_secret).notices[0].event_id
    )  # a retry
    notification = json.loads(body)
    for bad in (
        json.dumps({**notification, "token": "guessed"}).encode(),
        json.dumps({k: v for k, v in notification.items() if k != "token"}).encode(),
        b"not json",
    ):
        with pytest.raises(SignatureInvalid):
            ADAPTER.verify_webhook(WebhookRequest("POST", WEBHOOK_URL, headers, bad), fake.webhook_secret)
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify_webhook(request, "another-channel-token")


async def test_oauth_region_token_and_revoke(fake: FakeZohoCrm) -> None:
    config = {"accounts_domain": fake.authorize_extras()["accounts_domain"]}
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": "https://app.example/cb",
        "response_type": "code",
        "scope": "ZohoCRM.modules.contacts.READ",
        "state": "z",
        **ADAPTER.authorize_params(config),
    }
    async with httpx.AsyncClient(base_url=fake.origin) as http:
        redirect = httpx.URL((await http.get("/oauth/v2/auth", params=params)).headers["location"])
        extras = {k: v for k, v in redirect.params.items() if k not in ("code", "state")}
        ADAPTER.check_callback(extras, CLIENT_SECRET)
        form = {"grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "redirect_uri": "https://app.example/cb", "code": redirect.params["code"]}  # fmt: skip
        token = (await http.post("/oauth/v2/token", data=form)).json()
        online = {k: v for k, v in params.items() if k != "access_type"}
        code = httpx.URL((await http.get("/oauth/v2/auth", params=online)).headers["location"]).params["code"]
        without = (await http.post("/oauth/v2/token", data={**form, "code": code})).json()
    assert token["refresh_token"] and token["api_domain"] == "https://www.zohoapis.eu"
    assert "refresh_token" not in without  # Zoho gives one only for access_type=offline
    with pytest.raises(SignatureInvalid):
        ADAPTER.check_callback({"accounts-server": "https://accounts.zoho.eu.evil.example"}, CLIENT_SECRET)

    ctx = context(config, token["access_token"])
    api = api_for(fake.origin, ADAPTER, ctx)
    stored = await ADAPTER.after_token(api, token, config)
    expected = {"api_domain": "https://www.zohoapis.eu", "org_id": "20012345", "currency": "EUR"}
    assert stored == {**config, **expected, "multi_currency": False}
    with pytest.raises(ProviderError):
        await ADAPTER.after_token(api, {**token, "api_domain": "https://zohoapis.evil.example"}, config)
    await ADAPTER.revoke(api, ctx, {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                    "refresh_token": token["refresh_token"]})  # fmt: skip
    await api.http.aclose()
    assert fake.revoked == [token["refresh_token"]] and token["refresh_token"] not in fake.refresh_tokens
