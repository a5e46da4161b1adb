"""Zoho CRM (REST API v6): accounts, contacts and deals of one Zoho organisation.

Zoho runs separate data centres. The user signs in at their region's accounts server
(`accounts.zoho.com`, `.eu`, `.in`, `.com.au`, `.jp`, …, kept in config as `accounts_domain`); the
token answer names the region's API origin (`api_domain`, e.g. `https://www.zohoapis.eu`), which
`after_token` stores after checking it is a Zoho API host: tokens are never sent anywhere else.
Calls carry `Authorization: Zoho-oauthtoken <token>`.

- Records: `GET {api_domain}/crm/v6/{module}` with the `fields` to return (required), `per_page=200`,
  sorted by `Modified_Time` ascending, read as a keyset: each page asks again with `If-Modified-Since`
  one second before the newest `Modified_Time` read (Zoho's times have whole seconds) and skips the
  ids already read at it. Page numbers would skip a record whenever one already read is edited or
  deleted mid-pass. While a whole page shares one second (a mass update) the same query pages on:
  `page` up to record 2,000, then the answer's `info.next_page_token` as `page_token`. An empty module
  answers 204, an If-Modified-Since with nothing newer 304.
- Incremental: the same, starting from the last pass's newest `Modified_Time`.
- Deletions: `GET /crm/v6/{module}/deleted?type=all` (recycle bin and permanent), with
  `If-Modified-Since` set to when the previous pass began by Zoho's clock (the `Date` of its first
  answer, less a margin). A first pass reports every deleted record.
- Deals' amounts are in the organisation's home currency (read from `/crm/v6/org` by `after_token`)
  unless multi-currency is on, when each deal's `Currency` field names it.
- Notifications (webhooks) are not signed: the subscriber chooses a `token` when it sets up the
  channel (`POST /crm/v6/actions/watch`) and Zoho repeats it in every notification body. That token
  is the secret here, compared in constant time. Zoho gives a notification no id, so the event id is
  a digest of the channel, server time, operation and record ids (a retry repeats all of them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from binelek.connectors.adapters.base import (
    Adapter,
    Checkpoint,
    ConnectionContext,
    Page,
    Record,
    SignatureInvalid,
    WebhookNotice,
    WebhookRequest,
    WebhookResult,
    signatures_match,
)
from binelek.connectors.api_client import ApiClient, ProviderError
from binelek.connectors.providers import ZOHO_CRM, ProviderSpec

API_VERSION = "v6"
PER_PAGE = 200  # Zoho's maximum
PAGE_NUMBER_LIMIT = 2000  # records reachable with `page`; page_token beyond
NOT_MODIFIED = frozenset({204, 304})  # no records at all / none changed since If-Modified-Since
CLOCK_MARGIN = timedelta(seconds=60)
# Zoho's data centres: where users sign in, and where their API lives.
ACCOUNTS_HOSTS = frozenset(
    {
        "accounts.zoho.com",
        "accounts.zoho.eu",
        "accounts.zoho.in",
        "accounts.zoho.com.au",
        "accounts.zoho.jp",
        "accounts.zoho.com.cn",
        "accounts.zohocloud.ca",
        "accounts.zoho.sa",
        "accounts.zoho.uk",
    }
)
API_HOSTS = frozenset(
    {
        "www.zohoapis.com",
        "www.zohoapis.eu",
        "www.zohoapis.in",
        "www.zohoapis.com.au",
        "www.zohoapis.jp",
        "www.zohoapis.com.cn",
        "www.zohoapis.ca",
        "www.zohoapis.sa",
        "www.zohoapis.uk",
    }
)

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Module:
    api_name: str  # in paths and notifications
    entity: str  # the common-schema table
    fields: tuple[str, ...]


MODULES: dict[str, Module] = {
    "accounts": Module("Accounts", "companies", ("Account_Name", "Website", "Created_Time", "Modified_Time")),
    "contacts": Module(
        "Contacts",
        "contacts",
        (
            "First_Name",
            "Last_Name",
            "Email",
            "Phone",
            "Mobile",
            "Account_Name",
            "Created_Time",
            "Modified_Time",
        ),
    ),
    "deals": Module(
        "Deals",
        "deals",
        (
            "Deal_Name",
            "Stage",
            "Pipeline",
            "Amount",
            "Closing_Date",
            "Owner",
            "Account_Name",
            "Contact_Name",
            "Created_Time",
            "Modified_Time",
        ),
    ),
}
STREAM_OF_MODULE = {module.api_name: stream for stream, module in MODULES.items()}


class ZohoCrmAdapter(Adapter):
    spec: ClassVar[ProviderSpec] = ZOHO_CRM
    streams: ClassVar[tuple[str, ...]] = ("accounts", "contacts", "deals")

    def base_url(self, config: Mapping[str, Any]) -> str:
        api_domain = config.get("api_domain")
        if not api_domain:
            raise ProviderError(400, "the Zoho CRM connection has no api_domain")
        return f"{api_domain}/crm/{API_VERSION}"

    def auth_headers(self, context: ConnectionContext) -> dict[str, str]:
        return {"Authorization": f"Zoho-oauthtoken {context.access_token}"}

    async def check(self, api: ApiClient, context: ConnectionContext) -> None:
        params = {"fields": "Last_Name", "per_page": 1}
        await api.request(
            "GET", f"{self.base_url(context.config)}/Contacts", params=params, allow=NOT_MODIFIED
        )

    async def fetch(
        self, api: ApiClient, context: ConnectionContext, stream: str, checkpoint: Checkpoint | None
    ) -> Page:
        module = MODULES[stream]
        state = dict(checkpoint or {})
        if "phase" not in state:
            state = _start_pass(state)
        if state["phase"] == "records":
            return await self._records_page(api, context, module, state)
        return await self._deleted_page(api, context, module, state)

    async def _records_page(
        self, api: ApiClient, context: ConnectionContext, module: Module, state: Checkpoint
    ) -> Page:
        bound = state["high"] if state["high"] is not None else state["since"]
        params: Json = {
            "fields": ",".join(self._fields(module, context.config)),
            "per_page": PER_PAGE,
            "sort_by": "Modified_Time",
            "sort_order": "asc",
        }
        if state["page_token"]:
            params["page_token"] = state["page_token"]
        else:
            params["page"] = state["page"]
        # Zoho's times have whole seconds: ask from the second before, the ids read at it are skipped.
        headers = {"If-Modified-Since": _header_time(bound, timedelta(seconds=1))} if bound else {}
        url = f"{self.base_url(context.config)}/{module.api_name}"
        response = await api.request("GET", url, params=params, headers=headers, allow=NOT_MODIFIED)
        _note_pass_start(state, response)
        data = _json(response)
        fresh = _keep_fresh(state, data.get("data") or [])
        page = Page(records={module.entity: [_map(module, record, context.config) for record in fresh]})
        info = data.get("info") or {}
        if not info.get("more_records"):
            page.checkpoint = {**state, "phase": "deleted", "page": 1, "page_token": None}
        elif state["high"] != bound:
            page.checkpoint = {**state, "page": 1, "page_token": None}  # ask again from the newest read
        elif state["page_token"] or state["page"] * PER_PAGE >= PAGE_NUMBER_LIMIT:
            page.checkpoint = {**state, "page_token": info["next_page_token"]}  # stuck on one second
        else:
            page.checkpoint = {**state, "page": state["page"] + 1}
        return page

    async def _deleted_page(
        self, api: ApiClient, context: ConnectionContext, module: Module, state: Checkpoint
    ) -> Page:
        params = {"type": "all", "page": state["page"], "per_page": PER_PAGE}
        since = state["deleted_since"]
        headers = {"If-Modified-Since": _header_time(since)} if since else {}
        url = f"{self.base_url(context.config)}/{module.api_name}/deleted"
        response = await api.request("GET", url, params=params, headers=headers, allow=NOT_MODIFIED)
        _note_pass_start(state, response)
        data = _json(response)
        deleted = [str(entry["id"]) for entry in data.get("data") or []]
        page = Page(records={module.entity: []}, deleted={module.entity: deleted})
        if (data.get("info") or {}).get("more_records"):
            page.checkpoint = {**state, "page": state["page"] + 1}
        else:
            page.checkpoint, page.done = _next_pass(state), True
        return page

    @staticmethod
    def _fields(module: Module, config: Mapping[str, Any]) -> tuple[str, ...]:
        # `Currency` exists only where multi-currency is on; asking for it elsewhere is an error.
        if module.api_name == "Deals" and config.get("multi_currency"):
            return (*module.fields, "Currency")
        return module.fields

    # -- OAuth specifics --------------------------------------------------------------------------

    def authorize_params(self, config: Mapping[str, Any]) -> dict[str, str]:
        """`offline` for a refresh token; `consent` so a reconnect gets a fresh one too."""
        return {"access_type": "offline", "prompt": "consent"}

    def check_callback(self, extras: Mapping[str, str], client_secret: str) -> None:
        """Zoho names the user's data centre in the redirect (`accounts-server`); the code must be
        exchanged there. Refuse anything that is not one of Zoho's accounts servers."""
        server = extras.get("accounts-server")
        if server is None:
            return
        parts = urlsplit(server)
        if parts.scheme != "https" or parts.hostname not in ACCOUNTS_HOSTS:
            raise SignatureInvalid("the redirect names an accounts server that is not Zoho's")

    async def after_token(
        self, api: ApiClient, token: Mapping[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        api_domain = str(token.get("api_domain") or _api_domain_of(config.get("accounts_domain", "")))
        parts = urlsplit(api_domain)
        if parts.scheme != "https" or parts.hostname not in API_HOSTS:
            raise ProviderError(502, "Zoho answered with an api_domain that is not a Zoho API host")
        config = {**config, "api_domain": f"https://{parts.hostname}"}
        headers = {"Authorization": f"Zoho-oauthtoken {token['access_token']}"}
        data = await api.get_json(
            f"{config['api_domain']}/crm/{API_VERSION}/org", headers=headers, authenticated=False
        )
        org = (data.get("org") or [{}])[0]
        return {
            **config,
            "org_id": org.get("zgid") or org.get("id"),
            "currency": org.get("iso_code") or _iso_code_of(org.get("currency")),
            "multi_currency": bool(org.get("mc_status")),
        }

    async def revoke(self, api: ApiClient, context: ConnectionContext, client: Mapping[str, str]) -> None:
        """Revoking the refresh token ends the grant and the access tokens issued from it."""
        accounts = context.config.get("accounts_domain") or "accounts.zoho.com"
        token = client.get("refresh_token") or context.access_token
        await api.request(
            "POST", f"https://{accounts}/oauth/v2/token/revoke", params={"token": token}, authenticated=False
        )

    # -- notifications ----------------------------------------------------------------------------

    def verify_webhook(self, request: WebhookRequest, secret: str) -> WebhookResult:
        try:
            body = json.loads(request.body)
        except ValueError:
            raise SignatureInvalid("the notification is not JSON") from None
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not signatures_match(secret, token):
            raise SignatureInvalid("the notification's token is not the channel's")
        module, operation = str(body.get("module", "")), str(body.get("operation", ""))
        stream = STREAM_OF_MODULE.get(module)
        digest = hashlib.sha256(
            json.dumps(
                [body.get("channel_id"), body.get("server_time"), operation, sorted(body.get("ids") or [])]
            ).encode()
        ).hexdigest()
        notice = WebhookNotice(
            event_id=f"zoho-{digest[:32]}", type=f"{module}.{operation}", streams=(stream,) if stream else ()
        )
        return WebhookResult(notices=(notice,))


ADAPTER = ZohoCrmAdapter()


# -- mapping ----------------------------------------------------------------------------------------


def _map(module: Module, record: Json, config: Mapping[str, Any]) -> Record:
    if module.api_name == "Accounts":
        return account_record(record)
    if module.api_name == "Contacts":
        return contact_record(record)
    return deal_record(record, config.get("currency"))


def account_record(record: Json) -> Record:
    domain = _domain(record.get("Website"))
    return {
        "name": (record.get("Account_Name") or "").strip() or domain or f"Account {record['id']}",
        "domain": domain,
        "source_id": str(record["id"]),
        "source_updated_at": parse_time(record.get("Modified_Time")),
    }


def contact_record(record: Json) -> Record:
    mapped: Record = {
        "email": (record.get("Email") or "").strip().lower() or None,
        "first_name": record.get("First_Name") or None,
        "last_name": record.get("Last_Name") or None,
        "phone": record.get("Phone") or record.get("Mobile") or None,
        "source_created_at": parse_time(record.get("Created_Time")),
        "source_id": str(record["id"]),
        "source_updated_at": parse_time(record.get("Modified_Time")),
    }
    if account := _lookup_id(record.get("Account_Name")):
        mapped["_company"] = account
    return mapped


def deal_record(record: Json, home_currency: str | None) -> Record:
    amount = record.get("Amount")
    closing = record.get("Closing_Date")
    mapped: Record = {
        "name": (record.get("Deal_Name") or "").strip() or f"Deal {record['id']}",
        "pipeline": record.get("Pipeline") or "Standard",
        "stage": record.get("Stage") or "",
        "amount": Decimal(str(amount)) if amount is not None else None,
        "currency": (record.get("Currency") or home_currency or "").upper() or None,
        "close_date": date.fromisoformat(closing) if closing else None,
        "owner_email": ((record.get("Owner") or {}).get("email") or "").lower() or None,
        "source_created_at": parse_time(record.get("Created_Time")),
        "source_id": str(record["id"]),
        "source_updated_at": parse_time(record.get("Modified_Time")),
    }
    if account := _lookup_id(record.get("Account_Name")):
        mapped["_company"] = account
    if contact := _lookup_id(record.get("Contact_Name")):
        mapped["_contact"] = contact
    return mapped


def parse_time(value: str | None) -> datetime | None:
    """Zoho writes times in the organisation's zone with an offset; we keep UTC."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _lookup_id(value: Any) -> str | None:
    return str(value["id"]) if isinstance(value, dict) and value.get("id") else None


def _domain(website: str | None) -> str | None:
    if not website or not website.strip():
        return None
    text = website.strip().lower()
    host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    return host.removeprefix("www.") or None


def _api_domain_of(accounts_domain: str) -> str:
    """accounts.zoho.eu → https://www.zohoapis.eu (accounts.zohocloud.ca → https://www.zohoapis.ca)."""
    suffix = accounts_domain.removeprefix("accounts.").removeprefix("zohocloud.").removeprefix("zoho.")
    return f"https://www.zohoapis.{suffix}"


def _iso_code_of(currency: str | None) -> str | None:
    """The org's `currency` reads like "Euro - EUR"."""
    code = (currency or "").rsplit("-", 1)[-1].strip().upper()
    return code if len(code) == 3 and code.isalpha() else None


def _json(response: httpx.Response) -> Json:
    if response.status_code in NOT_MODIFIED or not response.content:
        return {}
    # Amounts are JSON numbers: decode them straight to Decimal, never through float.
    body: Json = json.loads(response.text, parse_float=Decimal)
    return body


def _header_time(stamp: str, earlier: timedelta = timedelta(0)) -> str:
    moment = datetime.fromisoformat(stamp) - earlier
    return moment.astimezone(UTC).isoformat(timespec="seconds")


# -- checkpoints: a Modified_Time watermark read as a keyset ---------------------------------------
#
# `since`/`seen`: where this pass starts (inclusive) and the ids already read at exactly that second.
# `high`/`high_ids`: the newest Modified_Time read in this pass and the ids read at it. The listing is
#   sorted by it, so each page asks again with If-Modified-Since from `high` instead of paging on: page
#   numbers skip a record whenever one already read is edited (it moves to the end) or deleted, and
#   they stop at record 2,000. `page`, then `page_token`, are used only while a whole page shares one
#   second, as after a mass update.


def _start_pass(previous: Checkpoint) -> Checkpoint:
    return {
        "phase": "records",
        "page": 1,
        "page_token": None,
        "since": previous.get("since"),
        "seen": previous.get("seen", []),
        "high": None,
        "high_ids": [],
        "deleted_since": previous.get("deleted_since"),
        "pass_started": None,
    }


def _keep_fresh(state: Checkpoint, records: Iterable[Json]) -> list[Json]:
    seen = set(state["seen"])
    high, high_ids = state["high"], set(state["high_ids"])
    fresh: list[Json] = []
    for record in records:
        moment = parse_time(record.get("Modified_Time") or record.get("Created_Time"))
        stamp = moment.isoformat(timespec="seconds") if moment else ""
        record_id = str(record["id"])
        if stamp == state["since"] and record_id in seen:
            continue
        if high is not None and (stamp < high or (stamp == high and record_id in high_ids)):
            continue  # sorted ascending: read earlier in this pass
        fresh.append(record)
        if state["high"] is None or stamp > state["high"]:
            state["high"], state["high_ids"] = stamp, [record_id]
        elif stamp == state["high"]:
            state["high_ids"] = [*state["high_ids"], record_id]
    return fresh


def _next_pass(state: Checkpoint) -> Checkpoint:
    following: Checkpoint = {"deleted_since": state["pass_started"]}
    if state["high"] is None:
        return {**following, "since": state["since"], "seen": state["seen"]}
    if state["high"] == state["since"]:
        return {**following, "since": state["since"], "seen": list({*state["seen"], *state["high_ids"]})}
    return {**following, "since": state["high"], "seen": state["high_ids"]}


def _note_pass_start(state: Checkpoint, response: httpx.Response) -> None:
    if state["pass_started"] is None:
        try:
            moment = parsedate_to_datetime(response.headers["date"])
        except (KeyError, TypeError, ValueError):
            moment = datetime.now(UTC)
        state["pass_started"] = (moment - CLOCK_MARGIN).astimezone(UTC).isoformat(timespec="seconds")
