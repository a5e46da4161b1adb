"""Stripe: customers, charges (with their fees and refunds) and invoices from the REST API.

Authentication is a restricted key (`rk_live_…`/`rk_test_…` with read access to customers,
charges, refunds, invoices and events) sent as a Bearer token; every request pins
`Stripe-Version`, so shapes do not change with the account's default version.

Streams, parents first:
- `customers` → customers (`GET /v1/customers`).
- `charges` → payments and refunds
  (`GET /v1/charges?expand[]=data.balance_transaction&expand[]=data.refunds`).
  The fee comes from the charge's balance transaction; when Stripe settled the charge in another
  currency, the fee is converted back with the transaction's `exchange_rate`. A charge with more
  refunds than the ten embedded pages the rest from `GET /v1/refunds?charge=…`. Refunds that
  failed or were canceled moved no money: they are reported deleted.
- `invoices` → invoices (`GET /v1/invoices`): draft, open (overdue once its due date has passed),
  paid, void; `uncollectible` (written off, yet still payable) counts as overdue.
Amounts are integers in the currency's minor unit: two decimals for most currencies, none for
Stripe's zero-decimal ones (JPY, KRW, …), three for BHD, JOD, KWD, OMR and TND. ISK, HUF and TWD
stay two-decimal in the API, as Stripe documents.

Paging is `limit` (100) with `starting_after` = the last object's id while `has_more`; lists run
newest first. Before a full pass starts, the newest event of the stream's types is noted: the next
(incremental) pass lists `GET /v1/events?types[]=…&ending_before=<that event>`, walking forward
page by page, and re-reads each changed object (so its current state, in the pinned version, wins
over the event's snapshot). `customer.deleted` and `invoice.deleted` (and objects that answer
deleted or 404) become deletions. Stripe keeps events for 30 days: an older cursor, or one Stripe
no longer knows (`resource_missing`), starts a full pass again (deletions in the gap are missed).
A full pass whose `starting_after` object was deleted meanwhile lists again from the top.

Rate limits answer 429 with `Stripe-Rate-Limited-Reason` and no `Retry-After`: the client backs off
exponentially with jitter. Errors are `{"error": {"type", "code", "message", "param"}}`.
Webhooks: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]`, HMAC-SHA256 of `"{t}.{raw body}"` with the
endpoint's signing secret, within 300 s of now; the event id (`evt_…`) de-duplicates.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx
import structlog

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
from binelek.connectors.providers import STRIPE

log = structlog.get_logger(__name__)

API = "https://api.stripe.com/v1"
API_VERSION = "2025-03-31.basil"
PAGE_LIMIT = 100
EMBEDDED_REFUNDS = 10  # what an expanded charge.refunds list holds before has_more
EVENT_RETENTION_SECONDS = 30 * 86_400
RETENTION_MARGIN_SECONDS = 3_600  # a cursor this close to expiring is treated as expired
CLOCK_SKEW_SECONDS = 300  # overlap when no event marks where a full pass started
CONCURRENT_READS = 4  # objects re-read at once after an events page
SIGNATURE_TOLERANCE_SECONDS = 300

# Stripe's currency exponents where they differ from two (docs.stripe.com/currencies).
ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()  # noqa: SIM905
)
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


@dataclass(frozen=True, slots=True)
class StreamSpec:
    path: str  # under /v1
    entity: str  # the stream's main entity
    expand_list: tuple[str, ...]  # expand[] when listing
    expand_one: tuple[str, ...]  # expand[] when retrieving one object
    events: tuple[str, ...]  # the event types that change it (types[] takes at most 20)
    deletions: frozenset[str]  # the event types that delete it


STREAMS: dict[str, StreamSpec] = {
    "customers": StreamSpec(
        "customers",
        "customers",
        (),
        (),
        ("customer.created", "customer.updated", "customer.deleted"),
        frozenset({"customer.deleted"}),
    ),
    "charges": StreamSpec(
        "charges",
        "payments",
        ("data.balance_transaction", "data.refunds"),
        ("balance_transaction", "refunds"),
        (
            "charge.captured", "charge.expired", "charge.failed", "charge.pending", "charge.refunded",
            "charge.succeeded", "charge.updated", "charge.refund.updated", "refund.created",
            "refund.updated", "refund.failed",
        ),
        frozenset(),
    ),
    "invoices": StreamSpec(
        "invoices",
        "invoices",
        (),
        (),
        (
            "invoice.created", "invoice.deleted", "invoice.finalized", "invoice.marked_uncollectible",
            "invoice.overdue", "invoice.paid", "invoice.payment_failed", "invoice.payment_succeeded",
            "invoice.sent", "invoice.updated", "invoice.voided",
        ),
        frozenset({"invoice.deleted"}),
    ),
}  # fmt: skip


# -- money and mapping ----------------------------------------------------------------------------


def exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def from_minor(amount: int | None, currency: str) -> Decimal:
    """An amount in the currency's smallest unit as a Decimal of the currency."""
    return Decimal(int(amount or 0)).scaleb(-exponent(currency))


def _timestamp(unix: int | None) -> datetime | None:
    return datetime.fromtimestamp(unix, UTC) if unix is not None else None


def _id(value: Any) -> str | None:
    """An expandable field's id, whether Stripe sent the id or the expanded object."""
    if isinstance(value, Mapping):
        return str(value["id"])
    return str(value) if value else None


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if value else None


def customer_record(customer: Mapping[str, Any]) -> Record:
    address = customer.get("address") or {}
    email = _lower(customer.get("email"))
    return {
        "source_id": customer["id"],
        "email": email,
        "name": customer.get("name") or email or customer["id"],
        "phone": customer.get("phone"),
        "country": address.get("country"),
        "city": address.get("city"),
        "source_created_at": _timestamp(customer.get("created")),
    }


def payment_status(charge: Mapping[str, Any]) -> str:
    status = charge.get("status")
    if status == "failed":
        return "failed"
    if status == "pending" or not charge.get("captured", True):
        return "pending"  # processing, or authorised and not captured yet
    return "refunded" if charge.get("refunded") else "succeeded"


def charge_fee(charge: Mapping[str, Any]) -> Decimal | None:
    """The Stripe fee in the charge's currency, from the expanded balance transaction."""
    transaction = charge.get("balance_transaction")
    if not isinstance(transaction, Mapping) or transaction.get("fee") is None:
        return None
    currency = str(charge["currency"])
    settled = str(transaction.get("currency") or currency)
    fee = from_minor(transaction["fee"], settled)
    if settled.lower() == currency.lower():
        return fee
    rate = transaction.get("exchange_rate")
    if not rate:
        return None
    # charge amount x exchange_rate = settled amount, so the fee in the charge's currency is fee / rate
    return (fee / Decimal(str(rate))).quantize(Decimal(1).scaleb(-exponent(currency)))


def payment_record(charge: Mapping[str, Any]) -> Record:
    currency = str(charge["currency"])
    method = (charge.get("payment_method_details") or {}).get("type")
    return {
        "source_id": charge["id"],
        "status": payment_status(charge),
        "method": method,
        "amount": from_minor(charge.get("amount"), currency),
        "fee": charge_fee(charge),
        "currency": currency.upper(),
        "paid_at": _timestamp(charge.get("created")),
        "_order": None,  # Stripe charges belong to no order
    }


def refund_moved_money(refund: Mapping[str, Any]) -> bool:
    return refund.get("status") not in {"failed", "canceled"}


def refund_record(refund: Mapping[str, Any]) -> Record:
    currency = str(refund["currency"])
    return {
        "source_id": refund["id"],
        "reason": refund.get("reason"),
        "amount": from_minor(refund.get("amount"), currency),
        "currency": currency.upper(),
        "refunded_at": _timestamp(refund.get("created")),
        "_order": None,
        "_payment": _id(refund.get("charge")),
    }


def invoice_status(invoice: Mapping[str, Any], now: float) -> str:
    status = invoice.get("status")
    if status in {"draft", "paid", "void"}:
        return str(status)
    if status == "uncollectible":
        return "overdue"  # written off but still owed (and payable): the oldest of the overdue
    due = invoice.get("due_date")
    return "overdue" if due is not None and due < now else "open"


def invoice_record(invoice: Mapping[str, Any], now: float) -> Record:
    currency = str(invoice.get("currency") or "")
    transitions = invoice.get("status_transitions") or {}
    return {
        "source_id": invoice["id"],
        "invoice_number": invoice.get("number") or invoice["id"],  # drafts have no number yet
        "customer_email": _lower(invoice.get("customer_email")),
        "currency": currency.upper() or None,
        "issued_at": _timestamp(transitions.get("finalized_at") or invoice.get("created")),
        "due_at": _timestamp(invoice.get("due_date")),
        "total": from_minor(invoice.get("total"), currency),
        "balance": from_minor(invoice.get("amount_remaining"), currency),
        "status": invoice_status(invoice, now),
        "_customer": _id(invoice.get("customer")),
    }


# -- the adapter --------------------------------------------------------------------------------


@dataclass
class Mapped:
    records: dict[str, list[Record]]
    deleted: dict[str, list[str]]

    def add(self, entity: str, record: Record) -> None:
        self.records.setdefault(entity, []).append(record)

    def delete(self, entity: str, source_id: str) -> None:
        self.deleted.setdefault(entity, []).append(source_id)


class StripeAdapter(Adapter):
    spec = STRIPE
    streams: ClassVar[tuple[str, ...]] = ("customers", "charges", "invoices")

    def base_url(self, config: Mapping[str, Any]) -> str:
        return API

    def auth_headers(self, context: ConnectionContext) -> dict[str, str]:
        return {"Authorization": f"Bearer {context.access_token}", "Stripe-Version": API_VERSION}

    async def check(self, api: ApiClient, context: ConnectionContext) -> None:
        await api.get_json(f"{API}/customers", params={"limit": 1})

    async def fetch(
        self, api: ApiClient, context: ConnectionContext, stream: str, checkpoint: Checkpoint | None
    ) -> Page:
        spec = STREAMS.get(stream)
        if spec is None:
            raise ValueError(f"unknown Stripe stream {stream!r}")
        state = checkpoint or {}
        if state.get("mode") == "events":
            if _cursor_expired(state):
                log.info("stripe_events_expired", stream=stream)
                return await self._list_page(api, spec, None)
            try:
                return await self._events_page(api, spec, state)
            except ProviderError as exc:
                if exc.code != "resource_missing":
                    raise
                log.info("stripe_event_cursor_unknown", stream=stream)
                return await self._list_page(api, spec, None)
        if state.get("mode") != "list":
            return await self._list_page(api, spec, None)
        try:
            return await self._list_page(api, spec, state)
        except ProviderError as exc:
            if exc.code != "resource_missing":
                raise
            # the object the pass stopped at is gone (a deleted customer): list again from the top,
            # keeping the events mark taken when this pass began
            log.info("stripe_list_cursor_unknown", stream=stream)
            return await self._list_page(api, spec, {"mode": "list", "mark": state["mark"]})

    # -- full pass --------------------------------------------------------------------------------

    async def _list_page(self, api: ApiClient, spec: StreamSpec, state: Checkpoint | None) -> Page:
        mark = state["mark"] if state else await self._events_mark(api, spec)
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        if spec.expand_list:
            params["expand[]"] = list(spec.expand_list)
        if state and state.get("starting_after"):
            params["starting_after"] = state["starting_after"]
        body = await api.get_json(f"{API}/{spec.path}", params=params)
        objects: list[dict[str, Any]] = body["data"]
        mapped = await self._map(api, spec, objects)
        if body.get("has_more") and objects:
            checkpoint = {"mode": "list", "mark": mark, "starting_after": objects[-1]["id"]}
            return Page(records=mapped.records, deleted=mapped.deleted, checkpoint=checkpoint)
        return Page(
            records=mapped.records, deleted=mapped.deleted, checkpoint={"mode": "events", **mark}, done=True
        )

    async def _events_mark(self, api: ApiClient, spec: StreamSpec) -> dict[str, Any]:
        """Where the next incremental pass starts: after the newest event of the stream's types
        now, or (none yet) at the server's clock minus some skew."""
        response = await api.request(
            "GET", f"{API}/events", params={"limit": 1, "types[]": list(spec.events)}
        )
        events = response.json()["data"]
        if events:
            return {"after_event": events[0]["id"], "event_created": events[0]["created"]}
        return {"since": _server_time(response) - CLOCK_SKEW_SECONDS}

    # -- incremental pass -------------------------------------------------------------------------

    async def _events_page(self, api: ApiClient, spec: StreamSpec, state: Checkpoint) -> Page:
        if state.get("after_event"):
            events, checkpoint, done = await self._events_after(api, spec, state)
        else:
            events, checkpoint, done = await self._events_since(api, spec, state)
        mapped = await self._changes(api, spec, list(reversed(events)))
        return Page(records=mapped.records, deleted=mapped.deleted, checkpoint=checkpoint, done=done)

    async def _events_after(
        self, api: ApiClient, spec: StreamSpec, state: Checkpoint
    ) -> tuple[list[dict[str, Any]], Checkpoint, bool]:
        """The page of events right after the cursor (newest first); the next starts after its newest."""
        params = {"limit": PAGE_LIMIT, "types[]": list(spec.events), "ending_before": state["after_event"]}
        body = await api.get_json(f"{API}/events", params=params)
        events: list[dict[str, Any]] = body["data"]
        newest = _event_mark(events[0]) if events else _mark_of(state)
        return events, {"mode": "events", **newest}, not body.get("has_more")

    async def _events_since(
        self, api: ApiClient, spec: StreamSpec, state: Checkpoint
    ) -> tuple[list[dict[str, Any]], Checkpoint, bool]:
        """No event marked where the last pass started: every event since then, walking back from
        the newest (each object is re-read anyway, so the order does not matter)."""
        params: dict[str, Any] = {
            "limit": PAGE_LIMIT,
            "types[]": list(spec.events),
            "created[gte]": state["since"],
        }
        if state.get("walk_after"):
            params["starting_after"] = state["walk_after"]
        body = await api.get_json(f"{API}/events", params=params)
        events: list[dict[str, Any]] = body["data"]
        newest: dict[str, Any] | None = state.get("newest") or (_event_mark(events[0]) if events else None)
        if body.get("has_more") and events:
            walking = {
                "mode": "events",
                "since": state["since"],
                "walk_after": events[-1]["id"],
                "newest": newest,
            }
            return events, walking, False
        return events, {"mode": "events", **(newest or {"since": state["since"]})}, True

    async def _changes(self, api: ApiClient, spec: StreamSpec, events: Sequence[Mapping[str, Any]]) -> Mapped:
        """The objects these events (oldest first) changed, as they are now."""
        last_type: dict[str, str] = {}
        for event in events:
            subject = _subject(event["data"]["object"])
            if subject:
                last_type.pop(subject, None)  # keep the order of the latest change
                last_type[subject] = event["type"]
        mapped = Mapped({}, {})
        gone = [subject for subject, kind in last_type.items() if kind in spec.deletions]
        for subject in gone:
            mapped.delete(spec.entity, subject)
        changed = [subject for subject, kind in last_type.items() if kind not in spec.deletions]
        limit = asyncio.Semaphore(CONCURRENT_READS)

        async def read(subject: str) -> dict[str, Any] | None:
            async with limit:
                return await self._retrieve(api, spec, subject)

        current = await asyncio.gather(*(read(subject) for subject in changed))
        found = []
        for subject, obj in zip(changed, current, strict=True):
            if obj is None or obj.get("deleted"):
                mapped.delete(spec.entity, subject)
            else:
                found.append(obj)
        more = await self._map(api, spec, found)
        for entity, records in more.records.items():
            mapped.records.setdefault(entity, []).extend(records)
        for entity, ids in more.deleted.items():
            mapped.deleted.setdefault(entity, []).extend(ids)
        return mapped

    async def _retrieve(self, api: ApiClient, spec: StreamSpec, object_id: str) -> dict[str, Any] | None:
        params = {"expand[]": list(spec.expand_one)} if spec.expand_one else None
        response = await api.request(
            "GET", f"{API}/{spec.path}/{object_id}", params=params, allow=frozenset({404})
        )
        if response.status_code == 404:
            return None
        obj: dict[str, Any] = response.json()
        return obj

    # -- mapping ----------------------------------------------------------------------------------

    async def _map(self, api: ApiClient, spec: StreamSpec, objects: Sequence[Mapping[str, Any]]) -> Mapped:
        mapped = Mapped({}, {})
        if spec.path == "customers":
            mapped.records["customers"] = [customer_record(customer) for customer in objects]
        elif spec.path == "invoices":
            now = time.time()
            mapped.records["invoices"] = [invoice_record(invoice, now) for invoice in objects]
        else:
            mapped.records = {"payments": [], "refunds": []}
            for charge in objects:
                mapped.add("payments", payment_record(charge))
                for refund in await self._refunds(api, charge):
                    if refund_moved_money(refund):
                        mapped.add("refunds", refund_record(refund))
                    else:
                        mapped.delete("refunds", refund["id"])
        return mapped

    async def _refunds(self, api: ApiClient, charge: Mapping[str, Any]) -> list[dict[str, Any]]:
        """All the charge's refunds: the embedded list, then the rest from /v1/refunds."""
        embedded = charge.get("refunds")
        if not isinstance(embedded, Mapping):
            return []
        refunds = list(embedded.get("data") or [])
        has_more = bool(embedded.get("has_more"))
        while has_more and refunds:
            params = {"charge": charge["id"], "limit": PAGE_LIMIT, "starting_after": refunds[-1]["id"]}
            body = await api.get_json(f"{API}/refunds", params=params)
            refunds += body["data"]
            has_more = bool(body.get("has_more")) and bool(body["data"])
        return refunds

    # -- webhooks ---------------------------------------------------------------------------------

    def verify_webhook(self, request: WebhookRequest, secret: str) -> WebhookResult:
        header = request.headers.get("stripe-signature")
        if not header:
            raise SignatureInvalid("Stripe-Signature is missing")
        timestamp, signatures = _parse_signature(header)
        if timestamp is None or not signatures:
            raise SignatureInvalid("Stripe-Signature has no timestamp or no v1 signature")
        if abs(time.time() - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
            raise SignatureInvalid("Stripe-Signature's timestamp is outside the 5-minute tolerance")
        expected = hmac_sha256(secret, f"{timestamp}.".encode() + request.body, "hex")
        if not any(signatures_match(expected, signature) for signature in signatures):
            raise SignatureInvalid("no v1 signature matches the body")
        try:
            event = json.loads(request.body)
            event_id, event_type = str(event["id"]), str(event["type"])
        except (ValueError, KeyError, TypeError):
            raise SignatureInvalid("the signed body is not a Stripe event") from None
        return WebhookResult(
            notices=(WebhookNotice(event_id=event_id, type=event_type, streams=_streams(event_type)),)
        )


def _parse_signature(header: str) -> tuple[int | None, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    return timestamp, signatures


def _streams(event_type: str) -> tuple[str, ...]:
    return tuple(stream for stream, spec in STREAMS.items() if event_type in spec.events)


def _subject(obj: Mapping[str, Any]) -> str | None:
    """The id of the stream object an event's object stands for (a refund's charge)."""
    if obj.get("object") == "refund":
        return _id(obj.get("charge"))
    return _id(obj.get("id"))


def _event_mark(event: Mapping[str, Any]) -> dict[str, Any]:
    return {"after_event": event["id"], "event_created": event["created"]}


def _mark_of(state: Checkpoint) -> dict[str, Any]:
    return {"after_event": state["after_event"], "event_created": state.get("event_created")}


def _cursor_expired(state: Checkpoint) -> bool:
    """Whether the events after this checkpoint may already be gone (Stripe keeps 30 days)."""
    created = state.get("event_created") if state.get("after_event") else state.get("since")
    if created is None:
        return False
    return time.time() - float(created) > EVENT_RETENTION_SECONDS - RETENTION_MARGIN_SECONDS


def _server_time(response: httpx.Response) -> int:
    """Stripe's clock from the answer's Date header; ours when it has none."""
    try:
        return int(parsedate_to_datetime(response.headers["date"]).timestamp())
    except (KeyError, TypeError, ValueError):
        return int(time.time())


ADAPTER = StripeAdapter()
