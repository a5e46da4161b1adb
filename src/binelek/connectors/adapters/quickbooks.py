"""QuickBooks Online (Intuit Accounting API v3): the customers, invoices and payments of one company.

Every call is scoped to the company (`realmId`) the user picked while authorizing; the app copies the
redirect's `realmId` into the connection's config as `realm_id`.

- Full pass: the SQL-like query endpoint, one entity at a time, ordered by
  `Metadata.LastUpdatedTime` and read as a keyset: each page asks for objects updated at or after the
  last page's newest timestamp, and skips the ones already read at exactly that version. Positions
  (`STARTPOSITION`) would shift when an object is edited mid-pass; the keyset does not.
- Incremental: Change Data Capture (`/cdc`), which returns full objects changed since a moment and
  reports deletions as `{"status": "Deleted"}` stubs. It only looks back 30 days and returns at most
  1,000 objects per entity, so beyond either limit the pass falls back to the keyset query from the
  same moment (the query cannot report deletions; those in the truncated CDC answer are kept).
- Webhooks: `intuit-signature` is the base64 HMAC-SHA256 of the raw body keyed by the app's verifier
  token. Both the classic `eventNotifications` body and the CloudEvents array are understood.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

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
from binelek.connectors.currencies import is_currency
from binelek.connectors.providers import QUICKBOOKS, ProviderSpec

API_ORIGIN = "https://quickbooks.api.intuit.com"
SANDBOX_ORIGIN = "https://sandbox-quickbooks.api.intuit.com"
REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
MINOR_VERSION = "75"
MAX_RESULTS = 1000  # the query language's ceiling per page
CDC_MAX_OBJECTS = 1000  # CDC answers at most this many objects per entity
# CDC refuses a changedSince older than 30 days; an hour of margin covers clock skew and slow syncs.
CDC_LOOKBACK = timedelta(days=30) - timedelta(hours=1)
SIGNATURE_HEADER = "intuit-signature"

ENTITY_OF_STREAM: dict[str, str] = {"customers": "Customer", "invoices": "Invoice", "payments": "Payment"}
STREAM_OF_ENTITY: dict[str, str] = {entity: stream for stream, entity in ENTITY_OF_STREAM.items()}
# CloudEvents types are `qbo.<entity>.<operation>.v1` with the entity in lower case.
STREAM_OF_EVENT_ENTITY: dict[str, str] = {
    entity.lower(): stream for entity, stream in STREAM_OF_ENTITY.items()
}


class QuickBooksAdapter(Adapter):
    spec: ClassVar[ProviderSpec] = QUICKBOOKS
    streams: ClassVar[tuple[str, ...]] = ("customers", "invoices", "payments")
    token_auth: ClassVar[str] = "client_secret_basic"  # the token endpoint takes HTTP Basic client auth

    def __init__(self, *, page_size: int = MAX_RESULTS) -> None:
        self.page_size = min(page_size, MAX_RESULTS)

    def base_url(self, config: Mapping[str, Any]) -> str:
        realm_id = config.get("realm_id")
        if not realm_id:
            raise ProviderError(400, "the QuickBooks connection has no realm_id (company id)")
        origin = SANDBOX_ORIGIN if config.get("environment") == "sandbox" else API_ORIGIN
        return f"{origin}/v3/company/{realm_id}"

    def auth_headers(self, context: ConnectionContext) -> dict[str, str]:
        return {"Authorization": f"Bearer {context.access_token}", "Accept": "application/json"}

    async def check(self, api: ApiClient, context: ConnectionContext) -> None:
        realm_id = context.config.get("realm_id")
        await api.request("GET", f"{self.base_url(context.config)}/companyinfo/{realm_id}", params=_minor())

    async def fetch(
        self, api: ApiClient, context: ConnectionContext, stream: str, checkpoint: Checkpoint | None
    ) -> Page:
        entity = ENTITY_OF_STREAM[stream]
        state = checkpoint or {"mode": "query", "mark": None, "seen": {}, "position": 1}
        if state["mode"] == "cdc":
            if _parse_datetime(state["since"]) < datetime.now(UTC) - CDC_LOOKBACK:
                # Too old for CDC: read everything updated since then with the query instead.
                state = {"mode": "query", "mark": state["since"], "seen": {}, "position": 1}
            else:
                return await self._changes(api, context, stream, entity, state["since"])
        return await self._query_page(api, context, stream, entity, state)

    # -- full pass and fallback: keyset over Metadata.LastUpdatedTime ----------------------------

    async def _query_page(
        self, api: ApiClient, context: ConnectionContext, stream: str, entity: str, state: Checkpoint
    ) -> Page:
        statement = select_statement(entity, state["mark"], state["position"], self.page_size)
        body = await _get(api, f"{self.base_url(context.config)}/query", {"query": statement})
        objects: list[dict[str, Any]] = body.get("QueryResponse", {}).get(entity, [])
        # The next CDC starts where this pass started: anything edited during it is read again.
        next_since = state.get("next_since") or _answered_at(body)
        seen: dict[str, str] = state["seen"]
        fresh = [obj for obj in objects if seen.get(str(obj["Id"])) != _last_updated(obj)]
        page = Page(records={stream: [MAPPERS[stream](obj) for obj in fresh]})
        if len(objects) < self.page_size:
            page.checkpoint = {"mode": "cdc", "since": next_since}
            page.done = True
            return page
        page.checkpoint = {**_advance(state, objects, self.page_size), "next_since": next_since}
        return page

    # -- incremental: Change Data Capture ---------------------------------------------------------

    async def _changes(
        self, api: ApiClient, context: ConnectionContext, stream: str, entity: str, since: str
    ) -> Page:
        params = {"entities": entity, "changedSince": since}
        body = await _get(api, f"{self.base_url(context.config)}/cdc", params)
        objects = cdc_objects(body, entity)
        deleted = [str(obj["Id"]) for obj in objects if obj.get("status") == "Deleted"]
        live = [obj for obj in objects if obj.get("status") != "Deleted"]
        if len(objects) >= CDC_MAX_OBJECTS:
            # Truncated: keep the deletions it names, read the changes themselves with the query.
            fallback = {
                "mode": "query",
                "mark": since,
                "seen": {},
                "position": 1,
                "next_since": _answered_at(body),
            }
            return Page(deleted={stream: deleted}, checkpoint=fallback)
        return Page(
            records={stream: [MAPPERS[stream](obj) for obj in live]},
            deleted={stream: deleted},
            checkpoint={"mode": "cdc", "since": _answered_at(body)},
            done=True,
        )

    # -- OAuth specifics --------------------------------------------------------------------------

    def check_callback(self, extras: Mapping[str, str], client_secret: str) -> None:
        """Intuit names the authorized company in the redirect; without it no call can be made."""
        realm_id = extras.get("realmId", "")
        if not realm_id.isdigit():
            raise SignatureInvalid("the QuickBooks redirect carries no valid realmId")

    async def after_token(
        self, api: ApiClient, token: Mapping[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        if not config.get("realm_id"):
            raise ProviderError(400, "QuickBooks did not name the authorized company (realmId)")
        return config

    async def revoke(self, api: ApiClient, context: ConnectionContext, client: Mapping[str, str]) -> None:
        """Revoking the refresh token (or, without one, the access token) ends the whole grant."""
        if not client.get("client_id") or not client.get("client_secret"):
            raise ProviderError(0, "revoking at Intuit needs the OAuth app's client id and secret")
        token = client.get("refresh_token") or context.access_token
        await api.request(
            "POST",
            REVOKE_URL,
            json={"token": token},
            headers={
                "Authorization": _basic(client["client_id"], client["client_secret"]),
                "Accept": "application/json",
            },
            authenticated=False,
        )

    # -- webhooks ---------------------------------------------------------------------------------

    def verify_webhook(self, request: WebhookRequest, secret: str) -> WebhookResult:
        expected = hmac_sha256(secret, request.body, "base64")
        if not signatures_match(expected, request.headers.get(SIGNATURE_HEADER)):
            raise SignatureInvalid("intuit-signature does not match the body")
        try:
            payload = json.loads(request.body)
        except ValueError:
            raise SignatureInvalid("the signed body is not JSON") from None
        if isinstance(payload, list):
            return WebhookResult(notices=tuple(_cloud_event_notice(event) for event in payload))
        return WebhookResult(notices=tuple(_classic_notices(payload)))


# -- requests ---------------------------------------------------------------------------------------


def _minor() -> dict[str, str]:
    return {"minorversion": MINOR_VERSION}


async def _get(api: ApiClient, url: str, params: dict[str, Any]) -> dict[str, Any]:
    response = await api.request("GET", url, params={**params, **_minor()})
    # Amounts are JSON numbers: decode them straight to Decimal, never through float.
    body: dict[str, Any] = json.loads(response.text, parse_float=Decimal)
    return body


def _answered_at(body: Mapping[str, Any]) -> str:
    """The answer's own timestamp (Intuit's clock, which also stamps LastUpdatedTime)."""
    stamp = body.get("time")
    return str(stamp) if stamp else datetime.now(UTC).isoformat(timespec="milliseconds")


def _basic(client_id: str, client_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


def select_statement(entity: str, mark: str | None, position: int, page_size: int) -> str:
    conditions = []
    if entity == "Customer":
        # Name lists answer only active rows unless asked; inactive ("deleted") customers still
        # own invoices, so read both.
        conditions.append("Active IN (true, false)")
    if mark is not None:
        _parse_datetime(mark)  # only a well-formed date-time goes into the statement
        conditions.append(f"Metadata.LastUpdatedTime >= '{mark}'")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return (
        f"SELECT * FROM {entity}{where} ORDERBY Metadata.LastUpdatedTime ASC "  # noqa: S608
        f"STARTPOSITION {position} MAXRESULTS {page_size}"
    )


def _advance(state: Checkpoint, objects: list[dict[str, Any]], page_size: int) -> Checkpoint:
    """The keyset after a full page: the newest timestamp becomes the mark, and the objects read at
    exactly that timestamp are remembered so the next page (which starts at it) skips them."""
    newest = _last_updated(objects[-1])
    newest_at = _parse_datetime(newest)
    at_newest = {
        str(obj["Id"]): _last_updated(obj)
        for obj in objects
        if _parse_datetime(_last_updated(obj)) == newest_at
    }
    mark: str | None = state["mark"]
    if mark is None or newest_at > _parse_datetime(mark):
        return {"mode": "query", "mark": newest, "seen": at_newest, "position": 1}
    # A whole page shares the mark's second: step through it by position instead.
    seen = {**state["seen"], **at_newest}
    return {"mode": "query", "mark": mark, "seen": seen, "position": state["position"] + page_size}


def cdc_objects(body: Mapping[str, Any], entity: str) -> list[dict[str, Any]]:
    """The changed objects of one entity in a CDC answer: CDCResponse[].QueryResponse[].<Entity>[]."""
    objects: list[dict[str, Any]] = []
    for cdc in body.get("CDCResponse", []):
        for query_response in cdc.get("QueryResponse", []):
            objects.extend(query_response.get(entity, []))
    return objects


# -- mapping ----------------------------------------------------------------------------------------


def map_customer(obj: Mapping[str, Any]) -> Record:
    address = obj.get("BillAddr") or obj.get("ShipAddr") or {}
    return {
        "email": _email(_nested(obj, "PrimaryEmailAddr", "Address")),
        "name": _customer_name(obj),
        "phone": _nested(obj, "PrimaryPhone", "FreeFormNumber") or _nested(obj, "Mobile", "FreeFormNumber"),
        "country": address.get("Country") or None,
        "city": address.get("City") or None,
        "source_created_at": _optional_datetime(_nested(obj, "MetaData", "CreateTime")),
        "source_id": str(obj["Id"]),
        "source_updated_at": _optional_datetime(_nested(obj, "MetaData", "LastUpdatedTime")),
    }


def map_invoice(obj: Mapping[str, Any]) -> Record:
    total = _money(obj.get("TotalAmt"))
    balance = _money(obj.get("Balance"))
    due_at = _optional_date(obj.get("DueDate"))
    return {
        "invoice_number": str(obj.get("DocNumber") or obj["Id"]),
        "customer_email": _email(_nested(obj, "BillEmail", "Address")),
        "currency": _currency(_nested(obj, "CurrencyRef", "value")),
        "issued_at": _date(obj["TxnDate"]),
        "due_at": due_at,
        "total": total,
        "balance": balance,
        "status": invoice_status(total, balance, due_at, obj.get("PrivateNote")),
        "_customer": _nested(obj, "CustomerRef", "value"),
        "source_id": str(obj["Id"]),
        "source_updated_at": _optional_datetime(_nested(obj, "MetaData", "LastUpdatedTime")),
    }


def map_payment(obj: Mapping[str, Any]) -> Record:
    return {
        "status": "succeeded",  # a QuickBooks Payment records money already received
        "method": _nested(obj, "PaymentMethodRef", "name"),
        "amount": _money(obj.get("TotalAmt")),
        "fee": None,
        "currency": _currency(_nested(obj, "CurrencyRef", "value")),
        "paid_at": _date(obj["TxnDate"]),
        # Payments apply to invoices (Line[].LinkedTxn), and invoices are not orders.
        "_order": None,
        "source_id": str(obj["Id"]),
        "source_updated_at": _optional_datetime(_nested(obj, "MetaData", "LastUpdatedTime")),
    }


MAPPERS = {"customers": map_customer, "invoices": map_invoice, "payments": map_payment}


def invoice_status(total: Decimal, balance: Decimal, due_at: datetime | None, note: Any) -> str:
    # Voiding zeroes the amounts and prefixes the memo with "Voided"; the invoice itself stays.
    if total == 0 and isinstance(note, str) and note.startswith("Voided"):
        return "void"
    if balance <= 0:
        return "paid"
    if due_at is not None and due_at.date() < datetime.now(UTC).date():
        return "overdue"
    return "open"


def _customer_name(obj: Mapping[str, Any]) -> str:
    given = " ".join(part for part in (obj.get("GivenName"), obj.get("FamilyName")) if part)
    return str(obj.get("DisplayName") or obj.get("CompanyName") or given or f"Customer {obj['Id']}")


# -- webhooks ---------------------------------------------------------------------------------------


def _classic_notices(payload: Mapping[str, Any]) -> list[WebhookNotice]:
    notices = []
    for notification in payload.get("eventNotifications", []):
        realm_id = str(notification.get("realmId", ""))
        for entity in notification.get("dataChangeEvent", {}).get("entities", []):
            name, operation = str(entity.get("name", "")), str(entity.get("operation", ""))
            # The classic format has no delivery id: derive a stable one from what identifies the change.
            identity = "|".join(
                (realm_id, name, str(entity.get("id", "")), operation, str(entity.get("lastUpdated", "")))
            )
            stream = STREAM_OF_ENTITY.get(name)
            notices.append(
                WebhookNotice(
                    event_id=hashlib.sha256(identity.encode()).hexdigest()[:32],
                    type=f"{name}.{operation}",
                    streams=(stream,) if stream else (),
                )
            )
    return notices


def _cloud_event_notice(event: Mapping[str, Any]) -> WebhookNotice:
    event_type = str(event.get("type", ""))  # qbo.invoice.created.v1
    parts = event_type.split(".")
    stream = STREAM_OF_EVENT_ENTITY.get(parts[1]) if len(parts) > 2 else None
    return WebhookNotice(
        event_id=str(event.get("id", "")), type=event_type, streams=(stream,) if stream else ()
    )


# -- values -----------------------------------------------------------------------------------------


def _nested(obj: Mapping[str, Any], key: str, field: str) -> Any:
    inner = obj.get(key)
    value = inner.get(field) if isinstance(inner, Mapping) else None
    return value if value not in ("", None) else None


def _last_updated(obj: Mapping[str, Any]) -> str:
    return str(obj["MetaData"]["LastUpdatedTime"])


def _email(value: Any) -> str | None:
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def _currency(value: Any) -> str | None:
    code = value.upper() if isinstance(value, str) else None
    return code if code and is_currency(code) else None


def _money(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal("0")


def _parse_datetime(value: str) -> datetime:
    """Intuit's date-times carry an offset ("2015-07-24T10:33:39-07:00"); the result is UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _optional_datetime(value: Any) -> datetime | None:
    return _parse_datetime(value) if isinstance(value, str) and value else None


def _date(value: str) -> datetime:
    """A transaction date ("2015-07-24") as midnight UTC."""
    day = date.fromisoformat(value[:10])
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _optional_date(value: Any) -> datetime | None:
    return _date(value) if isinstance(value, str) and value else None


ADAPTER = QuickBooksAdapter()
