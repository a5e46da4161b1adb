"""Xero Accounting API: the contacts (as customers), sales invoices and received payments of one
organisation (tenant).

- Every call names the organisation in the `xero-tenant-id` header. After the token exchange the
  connections endpoint lists the organisations the grant reaches; the one this authorization added
  (its `authEventId` matches the access token's `authentication_event_id` claim) is kept, else the
  first organisation.
- Passes are read as a keyset over `UpdatedDateUTC`: `order=UpdatedDateUTC ASC`, `If-Modified-Since`
  with the newest timestamp read so far, `page`/`pageSize`. Xero reads that header to the second and
  does not say whether the second itself is included, so the mark lags the newest timestamp by a
  second and the objects already read at their exact version are skipped. A page whose objects all
  share the mark's second is stepped through with `page` instead. The full pass is the same walk from
  no mark; a later pass continues from the last one.
- Deletions: invoices and payments come back with Status DELETED; contacts are only ever archived
  (`includeArchived=true` keeps them in the walk).
- Dates are Microsoft JSON dates (`/Date(1700000000000+0000)/`), milliseconds since the epoch in UTC.
- Webhooks: `x-xero-signature` is the base64 HMAC-SHA256 of the raw body keyed by the webhook key.
  The "intent to receive" check sends an empty event list; it must verify (no notices) or fail
  (SignatureInvalid, answered 401). Events carry no id, so one is derived from what identifies them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
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
from binelek.connectors.providers import XERO, ProviderSpec

API_URL = "https://api.xero.com/api.xro/2.0"
CONNECTIONS_URL = "https://api.xero.com/connections"
REVOCATION_URL = "https://identity.xero.com/connect/revocation"
MAX_PAGE_SIZE = 1000  # pageSize ceiling of Contacts, Invoices and Payments (100 when not given)
SIGNATURE_HEADER = "x-xero-signature"
SECOND_MS = 1000

ENDPOINT = {"contacts": "Contacts", "invoices": "Invoices", "payments": "Payments"}
ID_FIELD = {"contacts": "ContactID", "invoices": "InvoiceID", "payments": "PaymentID"}
TABLE = {"contacts": "customers", "invoices": "invoices", "payments": "payments"}
INVOICE_STATUS = {
    "DRAFT": "draft",
    "SUBMITTED": "open",
    "AUTHORISED": "open",
    "PAID": "paid",
    "VOIDED": "void",
}
# Webhook categories → streams. Xero sends no payment events; applying a payment updates its invoice.
STREAMS_OF_CATEGORY = {"CONTACT": ("contacts",), "INVOICE": ("invoices", "payments")}
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


class XeroAdapter(Adapter):
    spec: ClassVar[ProviderSpec] = XERO
    streams: ClassVar[tuple[str, ...]] = ("contacts", "invoices", "payments")
    token_auth: ClassVar[str] = "client_secret_basic"  # the token endpoint takes HTTP Basic client auth

    def __init__(self, *, page_size: int = MAX_PAGE_SIZE) -> None:
        self.page_size = min(page_size, MAX_PAGE_SIZE)

    def base_url(self, config: Mapping[str, Any]) -> str:
        return API_URL

    def auth_headers(self, context: ConnectionContext) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {context.access_token}", "Accept": "application/json"}
        tenant_id = context.config.get("tenant_id")
        if tenant_id:
            headers["xero-tenant-id"] = str(tenant_id)
        return headers

    async def check(self, api: ApiClient, context: ConnectionContext) -> None:
        await api.request("GET", f"{API_URL}/Organisation")

    async def fetch(
        self, api: ApiClient, context: ConnectionContext, stream: str, checkpoint: Checkpoint | None
    ) -> Page:
        state = checkpoint or {"since": None, "seen": {}, "page": 1}
        params: dict[str, Any] = {
            "page": state["page"],
            "pageSize": self.page_size,
            "order": "UpdatedDateUTC ASC",
        }
        if stream == "contacts":
            params["includeArchived"] = "true"
        headers = {"If-Modified-Since": state["since"]} if state["since"] else {}
        response = await api.request("GET", f"{API_URL}/{ENDPOINT[stream]}", params=params, headers=headers)
        # Amounts are JSON numbers: decode them straight to Decimal, never through float.
        body = json.loads(response.text, parse_float=Decimal)
        objects: list[dict[str, Any]] = body.get(ENDPOINT[stream]) or []
        seen: dict[str, int] = state["seen"]
        page = Page(records={TABLE[stream]: []}, deleted={TABLE[stream]: []})
        for obj in objects:
            if seen.get(str(obj[ID_FIELD[stream]])) != updated_ms(obj):
                _classify(stream, obj, page)
        full = len(objects) >= self.page_size
        page.checkpoint = next_checkpoint(state, objects, ID_FIELD[stream], full=full)
        page.done = not full
        return page

    # -- OAuth specifics --------------------------------------------------------------------------

    async def after_token(
        self, api: ApiClient, token: Mapping[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        access_token = str(token["access_token"])
        connections = await api.get_json(
            CONNECTIONS_URL,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            authenticated=False,
        )
        organisations = [c for c in connections if c.get("tenantType") == "ORGANISATION"]
        event_id = authentication_event_id(access_token)
        just_added = [c for c in organisations if event_id and c.get("authEventId") == event_id]
        chosen = (just_added or organisations or [None])[0]
        if chosen is None:
            raise ProviderError(403, "the Xero authorization reaches no organisation", code="no_tenant")
        return {
            **config,
            "tenant_id": chosen["tenantId"],
            "tenant_name": chosen.get("tenantName"),
            "connection_id": chosen.get("id"),
        }

    async def revoke(self, api: ApiClient, context: ConnectionContext, client: Mapping[str, str]) -> None:
        """Revoking the refresh token removes every connection of the grant. Without it (or without
        the app's client credentials), the organisation's connection is deleted with the access token."""
        refresh_token = client.get("refresh_token")
        if refresh_token and client.get("client_id") and client.get("client_secret"):
            credentials = base64.b64encode(
                f"{client['client_id']}:{client['client_secret']}".encode()
            ).decode()
            await api.request(
                "POST",
                REVOCATION_URL,
                data={"token": refresh_token},
                headers={"Authorization": f"Basic {credentials}"},
                authenticated=False,
            )
            return
        connection_id = context.config.get("connection_id")
        if connection_id:
            await api.request("DELETE", f"{CONNECTIONS_URL}/{connection_id}", allow=frozenset({404}))

    # -- webhooks ---------------------------------------------------------------------------------

    def verify_webhook(self, request: WebhookRequest, secret: str) -> WebhookResult:
        expected = hmac_sha256(secret, request.body, "base64")
        if not signatures_match(expected, request.headers.get(SIGNATURE_HEADER)):
            # Also the right answer to a deliberately mis-signed "intent to receive": 401.
            raise SignatureInvalid("x-xero-signature does not match the body")
        try:
            payload = json.loads(request.body)
        except ValueError:
            raise SignatureInvalid("the signed body is not JSON") from None
        events = payload.get("events", []) if isinstance(payload, dict) else []
        return WebhookResult(notices=tuple(_notice(event) for event in events))


# -- paging -----------------------------------------------------------------------------------------


def next_checkpoint(
    state: Checkpoint, objects: list[dict[str, Any]], id_field: str, *, full: bool
) -> Checkpoint:
    """Where the walk continues after this page (see the module docstring)."""
    old_mark = _mark_ms(state["since"])
    if not objects:
        return {"since": state["since"], "seen": state["seen"], "page": 1}
    known = {**state["seen"], **{str(obj[id_field]): updated_ms(obj) for obj in objects}}
    newest = max(updated_ms(obj) for obj in objects)
    mark = (newest // SECOND_MS - 1) * SECOND_MS
    if old_mark is not None and mark <= old_mark:
        if full:  # the whole page sits at the mark: step through it by page number
            return {"since": state["since"], "seen": _at_or_after(known, old_mark), "page": state["page"] + 1}
        mark = old_mark
    return {"since": _format_mark(mark), "seen": _at_or_after(known, mark), "page": 1}


def _at_or_after(known: dict[str, int], mark: int) -> dict[str, int]:
    return {object_id: stamp for object_id, stamp in known.items() if stamp >= mark}


def _format_mark(mark_ms: int) -> str:
    return datetime.fromtimestamp(mark_ms / SECOND_MS, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _mark_ms(since: str | None) -> int | None:
    if since is None:
        return None
    return int(datetime.fromisoformat(since).replace(tzinfo=UTC).timestamp()) * SECOND_MS


def updated_ms(obj: Mapping[str, Any]) -> int:
    moment = parse_xero_datetime(obj.get("UpdatedDateUTC"))
    return round(moment.timestamp() * SECOND_MS) if moment else 0


# -- mapping ----------------------------------------------------------------------------------------


def _classify(stream: str, obj: Mapping[str, Any], page: Page) -> None:
    """Add the object to the page as a record or a deletion, or leave it out (bills, suppliers)."""
    table = TABLE[stream]
    if stream == "contacts":
        # Pure suppliers are not customers. A contact with neither flag is kept: raising its first
        # invoice sets IsCustomer without changing UpdatedDateUTC, so it would never come back.
        if obj.get("IsSupplier") and not obj.get("IsCustomer"):
            return
        page.records[table].append(map_contact(obj))
    elif stream == "invoices":
        if obj.get("Type") != "ACCREC":  # ACCPAY are bills from suppliers
            return
        if obj.get("Status") == "DELETED":
            page.deleted[table].append(str(obj["InvoiceID"]))
        else:
            page.records[table].append(map_invoice(obj))
    else:
        if obj.get("PaymentType") != "ACCRECPAYMENT":  # only money received against sales invoices
            return
        if obj.get("Status") == "DELETED":
            page.deleted[table].append(str(obj["PaymentID"]))
        else:
            page.records[table].append(map_payment(obj))


def map_contact(obj: Mapping[str, Any]) -> Record:
    address = _address(obj.get("Addresses") or [])
    full_name = " ".join(part for part in (obj.get("FirstName"), obj.get("LastName")) if part)
    return {
        "email": _email(obj.get("EmailAddress")),
        "name": str(obj.get("Name") or full_name or obj["ContactID"]),
        "phone": _phone(obj.get("Phones") or []),
        "country": address.get("Country") or None,
        "city": address.get("City") or None,
        "source_created_at": None,  # Xero does not say when a contact was created
        "source_id": str(obj["ContactID"]),
        "source_updated_at": parse_xero_datetime(obj.get("UpdatedDateUTC")),
    }


def map_invoice(obj: Mapping[str, Any]) -> Record:
    contact = obj.get("Contact") or {}
    amount_due = _money(obj.get("AmountDue"))
    due_at = parse_xero_datetime(obj.get("DueDate"))
    issued_at = parse_xero_datetime(obj.get("Date")) or parse_xero_datetime(obj.get("UpdatedDateUTC"))
    return {
        "invoice_number": str(obj.get("InvoiceNumber") or obj["InvoiceID"]),
        "customer_email": _email(contact.get("EmailAddress")),
        "currency": _currency(obj.get("CurrencyCode")),
        "issued_at": issued_at,
        "due_at": due_at,
        "total": _money(obj.get("Total")),
        "balance": amount_due,
        "status": invoice_status(str(obj.get("Status", "")), amount_due, due_at),
        "_customer": str(contact["ContactID"]) if contact.get("ContactID") else None,
        "source_id": str(obj["InvoiceID"]),
        "source_updated_at": parse_xero_datetime(obj.get("UpdatedDateUTC")),
    }


def map_payment(obj: Mapping[str, Any]) -> Record:
    invoice = obj.get("Invoice") or {}
    return {
        "status": "succeeded",
        "method": None,  # Xero records the bank account paid into, not how the customer paid
        "amount": _money(obj.get("Amount")),
        "fee": None,
        "currency": _currency(invoice.get("CurrencyCode")),
        "paid_at": parse_xero_datetime(obj.get("Date")),
        "_order": None,  # payments settle invoices, not orders
        "source_id": str(obj["PaymentID"]),
        "source_updated_at": parse_xero_datetime(obj.get("UpdatedDateUTC")),
    }


def invoice_status(status: str, amount_due: Decimal, due_at: datetime | None) -> str:
    mapped = INVOICE_STATUS.get(status, "open")
    if status == "AUTHORISED" and amount_due > 0 and due_at and due_at.date() < datetime.now(UTC).date():
        return "overdue"
    return mapped


def _address(addresses: list[dict[str, Any]]) -> dict[str, Any]:
    """The postal (POBOX) address is Xero's billing address; the street address is the fallback."""
    filled = [a for a in addresses if a.get("City") or a.get("Country")]
    by_type = {a.get("AddressType"): a for a in filled}
    return by_type.get("POBOX") or by_type.get("STREET") or (filled[0] if filled else {})


def _phone(phones: list[dict[str, Any]]) -> str | None:
    by_type = {p.get("PhoneType"): p for p in phones if p.get("PhoneNumber")}
    phone = by_type.get("DEFAULT") or by_type.get("MOBILE") or by_type.get("DDI")
    if phone is None:
        return None
    parts = (phone.get("PhoneCountryCode"), phone.get("PhoneAreaCode"), phone.get("PhoneNumber"))
    return " ".join(str(part).strip() for part in parts if part and str(part).strip())


# -- webhooks ---------------------------------------------------------------------------------------


def _notice(event: Mapping[str, Any]) -> WebhookNotice:
    category, event_type = str(event.get("eventCategory", "")), str(event.get("eventType", ""))
    identity = "|".join(
        str(event.get(key, ""))
        for key in ("tenantId", "eventCategory", "eventType", "resourceId", "eventDateUtc")
    )
    return WebhookNotice(
        event_id=hashlib.sha256(identity.encode()).hexdigest()[:32],
        type=f"{category}.{event_type}",
        streams=STREAMS_OF_CATEGORY.get(category, ()),
    )


def authentication_event_id(access_token: str) -> str | None:
    """The `authentication_event_id` claim of Xero's JWT access token, read without verifying it:
    it only picks which of the grant's connections is new, the API itself checks the token."""
    parts = access_token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    value = claims.get("authentication_event_id") if isinstance(claims, dict) else None
    return str(value) if value else None


# -- values -----------------------------------------------------------------------------------------


def parse_xero_datetime(value: Any) -> datetime | None:
    """`/Date(1539993600000+0000)/` (ms since the epoch, UTC; the offset is informational) or ISO 8601."""
    if not isinstance(value, str) or not value:
        return None
    match = _MS_DATE.match(value)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / SECOND_MS, UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _email(value: Any) -> str | None:
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def _currency(value: Any) -> str | None:
    code = value.upper() if isinstance(value, str) else None
    return code if code and is_currency(code) else None


def _money(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal("0")


ADAPTER = XeroAdapter()
