"""HubSpot CRM (v3 objects API): companies, contacts and deals of one HubSpot account.

- Full pass: `GET /crm/v3/objects/{type}` with `limit` (≤100), `after` = `paging.next.after`, the
  properties we map and `associations=` (a contact's company, a deal's company and contact; the
  un-suffixed association type, e.g. `contact_to_company`, is the primary one).
- Incremental: `POST /crm/v3/objects/{type}/search` on the modification date (`lastmodifieddate` for
  contacts, `hs_lastmodifieddate` otherwise) `GTE` the newest one read, sorted ascending, skipping the
  ids already read at exactly that millisecond. Every page is such a fresh query (a keyset) rather
  than an `after` offset: an offset skips an object whenever one already read is edited and moves to
  the end, and a search query stops at 10,000 results (paging further is a 400) which a fresh query
  never nears. `after` is followed only while a whole page shares one millisecond. Search answers
  carry no associations, so each page asks `POST /crm/v4/associations/{from}/{to}/batch/read`.
  The search index lags behind writes, so a pass starts no later than the previous one began.
- Deletions: HubSpot only lists archived objects (`archived=true`), unfiltered; each pass ends by
  paging through them and reporting those archived since the previous pass began (by HubSpot's clock,
  the `Date` of the pass's first answer, with a margin).
- Deals: pipeline and stage ids are turned into their labels and the owner id into the owner's
  e-mail, from `/crm/v3/pipelines/deals` and `/crm/v3/owners` read once per pass (kept in the
  checkpoint). A deal without `deal_currency_code` is in the account's company currency, which
  `after_token` stores from `/account-info/v3/details` together with the portal id (webhooks name it).
- Webhooks (v3 signature): base64 HMAC-SHA256, keyed by the app's client secret, of method + URI +
  raw body + `X-HubSpot-Request-Timestamp`; older than five minutes is refused. The body is an array
  of events, each with its own `eventId`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import quote

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
    hmac_sha256,
    signatures_match,
)
from binelek.connectors.api_client import ApiClient, ProviderError
from binelek.connectors.providers import HUBSPOT, ProviderSpec

API = "https://api.hubapi.com"
LIST_PAGE_SIZE = 100  # the objects list endpoint's maximum
SEARCH_PAGE_SIZE = 200  # the search endpoint's maximum
SEARCH_RESULT_CAP = 10_000  # results one search query can page through
SIGNATURE_HEADER = "x-hubspot-signature-v3"
TIMESTAMP_HEADER = "x-hubspot-request-timestamp"
SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000
# Archived objects are reported from the previous pass's start by HubSpot's clock, less this margin.
CLOCK_MARGIN = timedelta(seconds=60)
# The v3 signature is computed over the URI with these escapes decoded (HubSpot's list).
URI_UNESCAPES = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
    "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ObjectKind:
    object_type: str  # the CRM object type in paths
    modified: str  # the property that holds the last modification
    properties: tuple[str, ...]
    associations: tuple[str, ...]  # object types whose ids become references


KINDS: dict[str, ObjectKind] = {
    "companies": ObjectKind(
        "companies", "hs_lastmodifieddate", ("name", "domain", "createdate", "hs_lastmodifieddate"), ()
    ),
    "contacts": ObjectKind(
        "contacts",
        "lastmodifieddate",
        ("email", "firstname", "lastname", "phone", "mobilephone", "createdate", "lastmodifieddate"),
        ("companies",),
    ),
    "deals": ObjectKind(
        "deals",
        "hs_lastmodifieddate",
        (
            "dealname",
            "pipeline",
            "dealstage",
            "amount",
            "deal_currency_code",
            "closedate",
            "hubspot_owner_id",
            "createdate",
            "hs_lastmodifieddate",
        ),
        ("companies", "contacts"),
    ),
}
REFERENCE_OF = {"companies": "_company", "contacts": "_contact"}
STREAM_OF_EVENT_OBJECT = {"company": "companies", "contact": "contacts", "deal": "deals"}


class HubSpotAdapter(Adapter):
    spec: ClassVar[ProviderSpec] = HUBSPOT
    streams: ClassVar[tuple[str, ...]] = ("companies", "contacts", "deals")
    search_result_cap: int = SEARCH_RESULT_CAP

    def base_url(self, config: Mapping[str, Any]) -> str:
        return f"{API}/crm/v3"

    async def check(self, api: ApiClient, context: ConnectionContext) -> None:
        await api.request("GET", f"{API}/crm/v3/objects/contacts", params={"limit": 1})

    async def fetch(
        self, api: ApiClient, context: ConnectionContext, stream: str, checkpoint: Checkpoint | None
    ) -> Page:
        kind = KINDS[stream]
        state = dict(checkpoint or {})
        if "mode" not in state:
            state = await self._start_pass(api, stream, state)
        if state["mode"] == "list":
            return await self._list_page(api, context, stream, kind, state)
        if state["mode"] == "search":
            return await self._search_page(api, context, stream, kind, state)
        return await self._archived_page(api, stream, kind, state)

    async def _start_pass(self, api: ApiClient, stream: str, previous: Checkpoint) -> Checkpoint:
        state: Checkpoint = {
            "mode": "list" if previous.get("since") is None else "search",
            "since": previous.get("since"),
            "seen": previous.get("seen", []),
            "high": None,
            "high_ids": [],
            "after": None,
            "archived_since": previous.get("archived_since"),
            "pass_started": None,
        }
        if stream == "deals":
            state["owners"] = await _owner_emails(api)
            state["pipelines"], state["stages"] = await _pipeline_labels(api)
        return state

    # -- full pass --------------------------------------------------------------------------------

    async def _list_page(
        self, api: ApiClient, context: ConnectionContext, stream: str, kind: ObjectKind, state: Checkpoint
    ) -> Page:
        params: Json = {"limit": LIST_PAGE_SIZE, "properties": ",".join(kind.properties), "archived": "false"}
        if kind.associations:
            params["associations"] = ",".join(kind.associations)
        if state["after"]:
            params["after"] = state["after"]
        response = await api.request("GET", f"{API}/crm/v3/objects/{kind.object_type}", params=params)
        _note_pass_start(state, response)
        data = response.json()
        results: list[Json] = data.get("results") or []
        fresh = _keep_fresh(state, kind, results, ordered=False)
        links = {result["id"]: _listed_links(result, kind) for result in fresh}
        page = Page(
            records={stream: [self._record(stream, r, links[r["id"]], state, context) for r in fresh]}
        )
        after = _next_after(data)
        page.checkpoint = {**state, "after": after} if after else {**state, "mode": "archived", "after": None}
        return page

    # -- incremental ------------------------------------------------------------------------------

    async def _search_page(
        self, api: ApiClient, context: ConnectionContext, stream: str, kind: ObjectKind, state: Checkpoint
    ) -> Page:
        bound = _bound(state)
        body: Json = {
            "filterGroups": [
                {"filters": [{"propertyName": kind.modified, "operator": "GTE", "value": str(bound)}]}
            ],
            "sorts": [{"propertyName": kind.modified, "direction": "ASCENDING"}],
            "properties": list(kind.properties),
            "limit": SEARCH_PAGE_SIZE,
        }
        if state["after"]:
            body["after"] = state["after"]
        response = await api.request("POST", f"{API}/crm/v3/objects/{kind.object_type}/search", json=body)
        _note_pass_start(state, response)
        data = response.json()
        fresh = _keep_fresh(state, kind, data.get("results") or [], ordered=True)
        links = await _searched_links(api, kind, [result["id"] for result in fresh])
        page = Page(
            records={stream: [self._record(stream, r, links.get(r["id"], {}), state, context) for r in fresh]}
        )
        after = _next_after(data)
        if after is None:
            page.checkpoint = {**state, "mode": "archived", "after": None}
        elif state["high"] != bound:
            page.checkpoint = {**state, "after": None}  # ask again from the newest modification read
        elif int(after) + SEARCH_PAGE_SIZE <= self.search_result_cap:
            page.checkpoint = {**state, "after": after}  # a page-full of one millisecond: page on
        else:
            raise ProviderError(
                400, f"over {self.search_result_cap} HubSpot {stream} share one modification time"
            )
        return page

    # -- deletions --------------------------------------------------------------------------------

    async def _archived_page(self, api: ApiClient, stream: str, kind: ObjectKind, state: Checkpoint) -> Page:
        params: Json = {"limit": LIST_PAGE_SIZE, "archived": "true", "properties": kind.modified}
        if state["after"]:
            params["after"] = state["after"]
        data = await api.get_json(f"{API}/crm/v3/objects/{kind.object_type}", params=params)
        boundary = _parse_time(state["archived_since"]) if state["archived_since"] else None
        archived = [
            str(result["id"])
            for result in data.get("results") or []
            if boundary is None or (_parse_time(result.get("archivedAt")) or boundary) >= boundary
        ]
        page = Page(records={stream: []}, deleted={stream: archived})
        after = _next_after(data)
        if after:
            page.checkpoint = {**state, "after": after}
        else:
            page.checkpoint, page.done = _next_pass(state), True
        return page

    # -- mapping ----------------------------------------------------------------------------------

    def _record(
        self,
        stream: str,
        result: Json,
        links: Mapping[str, str],
        state: Checkpoint,
        context: ConnectionContext,
    ) -> Record:
        if stream == "companies":
            record = company_record(result)
        elif stream == "contacts":
            record = contact_record(result)
        else:
            record = deal_record(result, state, context.config.get("currency"))
        for object_type, linked_id in links.items():
            record[REFERENCE_OF[object_type]] = linked_id
        return record

    # -- OAuth specifics --------------------------------------------------------------------------

    async def after_token(
        self, api: ApiClient, token: Mapping[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        """The portal id (webhook events name it) and the company currency (deals default to it)."""
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        details = await api.get_json(f"{API}/account-info/v3/details", headers=headers, authenticated=False)
        return {
            **config,
            "hub_id": str(details["portalId"]),
            "currency": details.get("companyCurrency"),
            "time_zone": details.get("timeZone"),
        }

    async def revoke(self, api: ApiClient, context: ConnectionContext, client: Mapping[str, str]) -> None:
        """Deleting the refresh token uninstalls nothing but ends the grant; HubSpot has no way to
        revoke an access token, which lapses within 30 minutes anyway."""
        refresh_token = client.get("refresh_token")
        if not refresh_token:
            return
        # The token travels in the path, which the client's retry log and errors would print: one
        # direct, unlogged attempt instead (deleting a grant is idempotent and can be repeated).
        url = api.url(f"{API}/oauth/v1/refresh-tokens/{quote(refresh_token, safe='')}")
        try:
            response = await api.http.request("DELETE", url)
        except httpx.TransportError as exc:
            raise ProviderError(0, f"DELETE /oauth/v1/refresh-tokens: {type(exc).__name__}") from None
        if response.status_code >= 300 and response.status_code != 404:
            raise ProviderError(
                response.status_code, f"DELETE /oauth/v1/refresh-tokens answered {response.status_code}"
            )

    # -- webhooks ---------------------------------------------------------------------------------

    def verify_webhook(self, request: WebhookRequest, secret: str) -> WebhookResult:
        stamp = request.headers.get(TIMESTAMP_HEADER, "")
        if not stamp.isdigit():
            raise SignatureInvalid("X-HubSpot-Request-Timestamp is missing")
        if abs(time.time() * 1000 - int(stamp)) > SIGNATURE_TOLERANCE_MS:
            raise SignatureInvalid("X-HubSpot-Request-Timestamp is more than five minutes off")
        signed = (
            request.method.upper().encode()
            + _signed_uri(request.url).encode()
            + request.body
            + stamp.encode()
        )
        if not signatures_match(hmac_sha256(secret, signed, "base64"), request.headers.get(SIGNATURE_HEADER)):
            raise SignatureInvalid("X-HubSpot-Signature-v3 does not match the request")
        try:
            events = json.loads(request.body)
            notices = tuple(_notice(event) for event in events)
        except (ValueError, KeyError, TypeError):
            raise SignatureInvalid("the signed body is not a list of HubSpot events") from None
        return WebhookResult(notices=notices)


ADAPTER = HubSpotAdapter()


# -- mapping ----------------------------------------------------------------------------------------


def company_record(result: Json) -> Record:
    props = result.get("properties") or {}
    domain = (props.get("domain") or "").strip().lower() or None
    return {
        "name": (props.get("name") or "").strip() or domain or f"Company {result['id']}",
        "domain": domain,
        "source_id": str(result["id"]),
        "source_updated_at": _modified(result, "hs_lastmodifieddate"),
    }


def contact_record(result: Json) -> Record:
    props = result.get("properties") or {}
    return {
        "email": (props.get("email") or "").strip().lower() or None,
        "first_name": props.get("firstname") or None,
        "last_name": props.get("lastname") or None,
        "phone": props.get("phone") or props.get("mobilephone") or None,
        "source_created_at": _parse_time(props.get("createdate") or result.get("createdAt")),
        "source_id": str(result["id"]),
        "source_updated_at": _modified(result, "lastmodifieddate"),
    }


def deal_record(result: Json, lookups: Mapping[str, Any], company_currency: str | None) -> Record:
    props = result.get("properties") or {}
    pipeline, stage = props.get("pipeline") or "default", props.get("dealstage") or ""
    owner = props.get("hubspot_owner_id")
    currency = (props.get("deal_currency_code") or company_currency or "").strip().upper() or None
    return {
        "name": (props.get("dealname") or "").strip() or f"Deal {result['id']}",
        "pipeline": lookups.get("pipelines", {}).get(pipeline, pipeline),
        "stage": lookups.get("stages", {}).get(stage, stage),
        "amount": _decimal(props.get("amount")),
        "currency": currency,
        "close_date": _close_date(props.get("closedate")),
        "owner_email": lookups.get("owners", {}).get(str(owner)) if owner else None,
        "source_created_at": _parse_time(props.get("createdate") or result.get("createdAt")),
        "source_id": str(result["id"]),
        "source_updated_at": _modified(result, "hs_lastmodifieddate"),
    }


def _listed_links(result: Json, kind: ObjectKind) -> dict[str, str]:
    """References from a listed object's associations; the primary one first."""
    links: dict[str, str] = {}
    for object_type in kind.associations:
        entries = ((result.get("associations") or {}).get(object_type) or {}).get("results") or []
        labelled = [e for e in entries if not str(e.get("type", "")).endswith("_unlabeled")]
        if chosen := (labelled or entries):
            links[object_type] = str(chosen[0]["id"])
    return links


async def _searched_links(api: ApiClient, kind: ObjectKind, ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """Object id → associated type → id, from the v4 batch association read (search has none)."""
    links: dict[str, dict[str, str]] = {}
    if not ids:
        return links
    for object_type in kind.associations:
        url = f"{API}/crm/v4/associations/{kind.object_type}/{object_type}/batch/read"
        data = await api.post_json(url, json={"inputs": [{"id": object_id} for object_id in ids]})
        for result in data.get("results") or []:
            targets = result.get("to") or []
            primary = [
                t for t in targets if any(a.get("label") == "Primary" for a in t.get("associationTypes", []))
            ]
            if chosen := (primary or targets):
                links.setdefault(str(result["from"]["id"]), {})[object_type] = str(chosen[0]["toObjectId"])
    return links


def _notice(event: Json) -> WebhookNotice:
    event_type = str(event["subscriptionType"])
    stream = STREAM_OF_EVENT_OBJECT.get(event_type.split(".", 1)[0])
    return WebhookNotice(event_id=str(event["eventId"]), type=event_type, streams=(stream,) if stream else ())


def _signed_uri(url: str) -> str:
    for escaped, character in URI_UNESCAPES.items():
        url = url.replace(escaped, character).replace(escaped.lower(), character)
    return url


def _modified(result: Json, prop: str) -> datetime | None:
    return _parse_time((result.get("properties") or {}).get(prop) or result.get("updatedAt"))


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    if value.isdigit():  # some properties hold epoch milliseconds
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _next_after(data: Json) -> str | None:
    after = ((data.get("paging") or {}).get("next") or {}).get("after")
    return str(after) if after else None


# -- lookups for deals ------------------------------------------------------------------------------


async def _owner_emails(api: ApiClient) -> dict[str, str]:
    """Owner id → e-mail, deactivated owners included (old deals still name them)."""
    emails: dict[str, str] = {}
    for archived in ("false", "true"):
        after: str | None = None
        while True:
            params: Json = {"limit": 500, "archived": archived}
            if after:
                params["after"] = after
            data = await api.get_json(f"{API}/crm/v3/owners", params=params)
            for owner in data.get("results") or []:
                if owner.get("email"):
                    emails[str(owner["id"])] = str(owner["email"]).lower()
            if not (after := _next_after(data)):
                break
    return emails


async def _pipeline_labels(api: ApiClient) -> tuple[dict[str, str], dict[str, str]]:
    data = await api.get_json(f"{API}/crm/v3/pipelines/deals")
    pipelines: dict[str, str] = {}
    stages: dict[str, str] = {}
    for pipeline in data.get("results") or []:
        pipelines[str(pipeline["id"])] = pipeline.get("label") or str(pipeline["id"])
        for stage in pipeline.get("stages") or []:
            stages[str(stage["id"])] = stage.get("label") or str(stage["id"])
    return pipelines, stages


# -- checkpoints: a modification-date watermark in epoch milliseconds, read as a keyset -------------
#
# `since`/`seen`: the lower bound of this pass (inclusive) and the ids already read at exactly it.
# `high`/`high_ids`: the newest modification read in this pass and the ids read at it. Search answers
#   are sorted by it, so each search page asks again from `high` (GTE, skipping `high_ids`) instead of
#   paging with `after`: an offset skips an object whenever one already read is edited and moves to
#   the end, and a fresh query never reaches the 10,000-result ceiling. `after` is only followed while
#   a whole page shares one millisecond.
# `pass_started`: HubSpot's clock at the pass's first answer, less a margin.


def _bound(state: Checkpoint) -> int:
    return int(state["high"] if state["high"] is not None else state["since"])


def _keep_fresh(state: Checkpoint, kind: ObjectKind, results: Iterable[Json], *, ordered: bool) -> list[Json]:
    """Drop what was read already; advance the watermark. `ordered`: a search answer, sorted by the
    modification date, so anything older than the newest read was read earlier in this pass."""
    seen = set(state["seen"])
    high, high_ids = state["high"], set(state["high_ids"])
    fresh: list[Json] = []
    for result in results:
        moment = _modified(result, kind.modified)
        stamp = _millis(moment) if moment else 0
        object_id = str(result["id"])
        if stamp == state["since"] and object_id in seen:
            continue
        if ordered and high is not None and (stamp < high or (stamp == high and object_id in high_ids)):
            continue
        fresh.append(result)
        if state["high"] is None or stamp > state["high"]:
            state["high"], state["high_ids"] = stamp, [object_id]
        elif stamp == state["high"]:
            state["high_ids"] = [*state["high_ids"], object_id]
    return fresh


def _next_pass(state: Checkpoint) -> Checkpoint:
    since, seen = state["since"], state["seen"]
    if state["high"] is not None and state["high"] == since:
        seen = list({*seen, *state["high_ids"]})
    elif state["high"] is not None:
        since, seen = state["high"], state["high_ids"]
    # The search index lags behind writes by a few seconds: the next pass starts no later than this
    # one began, so an object that was not searchable yet is read then, not lost.
    started = _millis(datetime.fromisoformat(state["pass_started"])) if state["pass_started"] else None
    if started is not None and since is not None and started < since:
        since, seen = started, []
    return {"archived_since": state["pass_started"], "since": since, "seen": seen}


def _note_pass_start(state: Checkpoint, response: httpx.Response) -> None:
    if state["pass_started"] is None:
        try:
            moment = parsedate_to_datetime(response.headers["date"])
        except (KeyError, TypeError, ValueError):
            moment = datetime.now(UTC)
        state["pass_started"] = (moment - CLOCK_MARGIN).astimezone(UTC).isoformat()


def _close_date(value: str | None) -> date | None:
    moment = _parse_time(value)
    return moment.date() if moment else None
