"""A fake Xero organisation speaking the Accounting API 2.0's wire protocol.

- OAuth at Xero's identity paths: token endpoint with HTTP Basic client auth, PKCE, 30-minute JWT
  access tokens (with the `authentication_event_id` claim) and rotating refresh tokens; revocation
  takes the refresh token as a form field with Basic auth.
- `GET /connections`: the organisations the grant reaches, each with the `authEventId` of the
  authorization that added it (an older organisation comes first, as it would for a returning user).
- `GET /api.xro/2.0/{Contacts,Invoices,Payments}` need the `xero-tenant-id` header (403 otherwise);
  `page` with `pageSize` (100 by default, at most 1,000) and a `pagination` block, everything unpaged
  without `page`; `order=<Field> ASC|DESC`; `If-Modified-Since` (ISO or HTTP date, UTC; objects
  modified at or after it); archived contacts only with `includeArchived=true`.
- Limits: 429 with `Retry-After` and `X-Rate-Limit-Problem` (`minute` beyond the per-tenant window,
  `day` beyond the daily allowance, `concurrent` beyond 5 calls in flight); remaining-allowance
  headers on every answer. XML unless JSON is asked for, like Xero.
- Dates as Microsoft JSON dates: `/Date(1539993600000+0000)/`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import secrets
import string
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.base import CLIENT_ID, CLIENT_SECRET, FakeProvider, OAuthPolicy, RateLimit

DAY_MS = 86_400_000
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
CONCURRENT_LIMIT = 5
DAY_LIMIT = 5000
BASE_CURRENCY = "NZD"
ENDPOINTS = ("Contacts", "Invoices", "Payments")
ID_FIELD = {"Contacts": "ContactID", "Invoices": "InvoiceID", "Payments": "PaymentID"}

FIRST_NAMES = (
    "Aroha", "Ben", "Charlotte", "Daniel", "Emma", "Finn", "Georgia", "Hemi", "Isla", "Jack", "Kiri", "Liam",
    "Mia", "Noah", "Olivia", "Priya", "Ruby", "Sione", "Tama", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Walker", "Ngata", "Smith", "Wilson", "Taylor", "Brown", "Singh", "Tane", "Clarke", "Young", "Harris",
    "Campbell", "Lee", "Martin", "Parata", "Robinson", "Thompson", "White",
)  # fmt: skip
TRADES = (
    "Joinery", "Cafe", "Physio", "Electrical", "Architects", "Vineyard", "Print Co", "Surf School",
    "Plumbing", "Bakehouse", "Landscapes", "Accountants",
)  # fmt: skip
SUPPLIERS = (
    "Fonterra Trade",
    "Spark Business",
    "Mitre 10 Trade",
    "Bunnings Trade",
    "Mercury Energy",
    "PB Tech",
)
CITIES = (
    ("Auckland", "New Zealand"), ("Wellington", "New Zealand"), ("Christchurch", "New Zealand"),
    ("Dunedin", "New Zealand"), ("Hamilton", "New Zealand"), ("Sydney", "Australia"),
    ("Melbourne", "Australia"), ("San Francisco", "United States"),
)  # fmt: skip
CURRENCY_OF_COUNTRY = {"New Zealand": "NZD", "Australia": "AUD", "United States": "USD"}
SERVICES = (
    ("Consulting", Decimal("150.00")), ("Design work", Decimal("120.00")), ("Site visit", Decimal("85.00")),
    ("Monthly support", Decimal("450.00")), ("Materials", Decimal("36.50")),
    ("Training session", Decimal("300.00")),
)  # fmt: skip
TAX_RATE = Decimal("0.15")  # GST
CENT = Decimal("0.01")


@dataclass
class Stored:
    """One Xero object: its body without UpdatedDateUTC, and the moment (ms) it was last modified."""

    body: dict[str, Any]
    updated: int


class FakeXero(FakeProvider):
    name = "xero"
    oauth = OAuthPolicy(
        authorize_path="/identity/connect/authorize",
        token_path="/connect/token",
        revoke_path="/connect/revocation",
        client_auth="basic",
        access_seconds=1800,
        rotates_refresh_token=True,
    )
    webhook_secret = (
        "Pm2ZGZqCnbfUWQ7gCKoPk4MtOBxZf0PnI3/Lu4gp9VWQ5DHS8xD5rEVd1bZZoTQ7DjU5ZQsfSX3IjlsPOqRvUA=="
    )

    def __init__(self, *, count: int = 300, rate_limit: RateLimit | None = None, seed: int = 1) -> None:
        super().__init__(rate_limit=rate_limit)
        self.rng = random.Random(seed)
        self.tenant_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        self.auth_event_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        self.connections = self._connections()
        self.objects: dict[str, dict[str, Stored]] = {endpoint: {} for endpoint in ENDPOINTS}
        self.day_limit = DAY_LIMIT
        self.day_calls = 0
        self.in_flight = 0
        self.revoke_forms: list[dict[str, str]] = []
        self.received: list[dict[str, str]] = []  # query parameters and If-Modified-Since of each list call
        # What the latest mutate() did: stream → {"added"|"changed"|"deleted": [ids]}
        self.last_mutation: dict[str, dict[str, list[str]]] = {}
        self._invoice_numbers = iter(range(1, 10_000_000))
        self._event_sequence = 0
        self._generate(count, _now_ms())

    # -- what the app and the tests need ------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return {"tenant_id": self.tenant_id}

    def authorize_extras(self) -> dict[str, str]:
        return {}

    def redirect_extras(self) -> dict[str, str]:
        return {}

    def totals(self) -> dict[str, int]:
        contacts = self.objects["Contacts"].values()
        invoices = self.objects["Invoices"].values()
        payments = self.objects["Payments"].values()
        return {
            "customers": sum(1 for s in contacts if s.body["IsCustomer"] or not s.body["IsSupplier"]),
            "invoices": sum(
                1 for s in invoices if s.body["Type"] == "ACCREC" and s.body["Status"] != "DELETED"
            ),
            "payments": sum(
                1
                for s in payments
                if s.body["PaymentType"] == "ACCRECPAYMENT" and s.body["Status"] != "DELETED"
            ),
        }

    def mutate(self) -> None:
        """A new contact and an edited one; an open invoice paid in full (a new payment); a payment
        deleted (its invoice owes again); a draft invoice deleted."""
        now = _now_ms()
        with self.lock:
            contact = self._add_contact(now, customer=True)
            mutation: dict[str, dict[str, list[str]]] = {"contacts": {"added": [contact]}}
            edited = self._pick("Contacts", lambda s: s.body["ContactID"] != contact and s.body["IsCustomer"])
            if edited is not None:
                edited.body["EmailAddress"] = edited.body["EmailAddress"].replace("@", ".accounts@", 1)
                edited.updated = now
                mutation["contacts"]["changed"] = [edited.body["ContactID"]]
            invoices: dict[str, list[str]] = {"changed": [], "deleted": []}
            payments: dict[str, list[str]] = {"added": [], "deleted": []}
            open_invoice = self._pick("Invoices", lambda s: _receivable(s, "AUTHORISED"))
            if open_invoice is not None:
                payments["added"].append(self._pay(open_invoice, _dec(open_invoice.body["AmountDue"]), now))
                invoices["changed"].append(open_invoice.body["InvoiceID"])
            refunded = self._pick(
                "Payments",
                lambda s: (
                    s.body["Status"] == "AUTHORISED"
                    and s.body["PaymentType"] == "ACCRECPAYMENT"
                    and s.body["PaymentID"] not in payments["added"]
                ),
            )
            if refunded is not None:
                self._delete_payment(refunded, now)
                payments["deleted"].append(refunded.body["PaymentID"])
                if refunded.body["Invoice"]["InvoiceID"] not in invoices["changed"]:
                    invoices["changed"].append(refunded.body["Invoice"]["InvoiceID"])
            draft = self._pick("Invoices", lambda s: _receivable(s, "DRAFT"))
            if draft is not None:
                draft.body["Status"] = "DELETED"
                draft.updated = now
                invoices["deleted"].append(draft.body["InvoiceID"])
            mutation["invoices"] = invoices
            mutation["payments"] = payments
            self.last_mutation = mutation

    def webhook(self, url: str) -> tuple[bytes, dict[str, str]]:
        """A delivery of the events the latest mutate() would raise (contacts and invoices: Xero has no
        payment events), or one contact update when nothing was mutated yet."""
        events = []
        changes = self.last_mutation or {"contacts": {"changed": [next(iter(self.objects["Contacts"]))]}}
        for stream, kinds in changes.items():
            category = {"contacts": "CONTACT", "invoices": "INVOICE"}.get(stream)
            if category is None:
                continue
            for kind, resource_ids in kinds.items():
                for resource_id in resource_ids:
                    events.append(
                        self._event(category, "CREATE" if kind == "added" else "UPDATE", resource_id)
                    )
        self._event_sequence += len(events)
        payload = {
            "events": events,
            "firstEventSequence": self._event_sequence - len(events) + 1,
            "lastEventSequence": self._event_sequence,
            "entropy": "".join(self.rng.choices(string.ascii_uppercase, k=20)),
        }
        return self.signed(payload)

    def intent_to_receive(self, *, correctly_signed: bool) -> tuple[bytes, dict[str, str]]:
        """Xero's check of a new webhook URL: no events, signed correctly or deliberately not."""
        payload = {
            "events": [],
            "firstEventSequence": 0,
            "lastEventSequence": 0,
            "entropy": "YSXNJHNPHGYMXTBQDVEN",
        }
        return self.signed(payload, key=self.webhook_secret if correctly_signed else "not-the-webhook-key")

    def signed(self, payload: Any, *, key: str | None = None) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload, separators=(",", ":")).encode()
        digest = hmac.new((key or self.webhook_secret).encode(), body, hashlib.sha256).digest()
        return body, {
            "x-xero-signature": base64.b64encode(digest).decode(),
            "content-type": "application/json",
        }

    # -- tokens: Xero's access tokens are JWTs ------------------------------------------------------

    def issue_access_token(self, seconds: int | None = None) -> str:
        issued = int(time.time())
        claims = {
            "nbf": issued,
            "exp": issued + 1800,
            "iss": "https://identity.xero.com",
            "aud": "https://identity.xero.com/resources",
            "client_id": CLIENT_ID,
            "sub": "a3a4dbafh3495a808ed7a7b964388f53",
            "auth_time": issued,
            "xero_userid": "1945393b-6eb7-4143-b083-7ab26cd7690b",
            "global_session_id": "ac2202575e824af3a181c50fcaa65c3c",
            "jti": secrets.token_hex(16),
            "authentication_event_id": self.auth_event_id,
            "scope": [
                "email",
                "profile",
                "openid",
                "accounting.transactions.read",
                "accounting.contacts.read",
            ],
        }
        header = {"alg": "RS256", "kid": "1CAF8E66772D6DC028D6726FD0261581570EFC19", "typ": "JWT"}
        token = ".".join(
            (
                _b64url(json.dumps(header).encode()),
                _b64url(json.dumps(claims).encode()),
                _b64url(secrets.token_bytes(64)),
            )
        )
        lifetime = seconds if seconds is not None else 1800
        self.access_tokens[token] = time.monotonic() + lifetime if lifetime else None
        return token

    async def _revoke(self, request: Request) -> Response:
        """Xero's revocation: Basic client auth, the refresh token in a form field."""
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        form = {key: str(value) for key, value in (await request.form()).items()}
        self.revoke_forms.append(form)
        token = form.get("token", "")
        self.revoked.append(token)
        if self.refresh_tokens.pop(token, None) is not None:
            self.connections = []  # revoking the grant removes all its connections
        return Response(status_code=200)

    # -- routes -------------------------------------------------------------------------------------

    def api_routes(self) -> Sequence[BaseRoute]:
        return [
            Route("/connections", self._list_connections, methods=["GET"]),
            Route("/connections/{connection}", self._delete_connection, methods=["DELETE"]),
            Route("/api.xro/2.0/Organisation", self._organisation, methods=["GET"]),
            *(
                Route(f"/api.xro/2.0/{endpoint}", self._lister(endpoint), methods=["GET"])
                for endpoint in ENDPOINTS
            ),
        ]

    async def _list_connections(self, request: Request) -> Response:
        if not self.token_valid(self.bearer(request)):
            return self.unauthorized()
        return JSONResponse(self.connections)

    async def _delete_connection(self, request: Request) -> Response:
        if not self.token_valid(self.bearer(request)):
            return self.unauthorized()
        kept = [c for c in self.connections if c["id"] != request.path_params["connection"]]
        if len(kept) == len(self.connections):
            return _problem(404, "Not Found", "The connection was not found")
        self.connections = kept
        return Response(status_code=204)

    async def _organisation(self, request: Request) -> Response:
        return await self._serve(request, lambda: {"Organisations": [self._organisation_body()]})

    def _lister(self, endpoint: str) -> Any:
        async def handler(request: Request) -> Response:
            return await self._serve(request, lambda: self._list(endpoint, request))

        return handler

    async def _serve(self, request: Request, answer: Any) -> Response:
        refusal = self._refuse(request)
        if refusal is not None:
            return refusal
        self.in_flight += 1
        try:
            await asyncio.sleep(0)  # let concurrent calls overlap, as they would at Xero
            try:
                body = answer()
            except ValueError as exc:
                return _problem(400, "Bad Request", str(exc))
        finally:
            self.in_flight -= 1
        if "application/json" not in request.headers.get("accept", ""):
            return Response("<Response><Status>OK</Status></Response>", media_type="text/xml")
        head = {
            "Id": str(uuid.uuid4()),
            "Status": "OK",
            "ProviderName": "Binelek",
            "DateTimeUTC": _ms_date(_now_ms()),
        }
        response = Response(json.dumps({**head, **body}), media_type="application/json")
        response.headers.update(self._allowance())
        return response

    def _refuse(self, request: Request) -> Response | None:
        if not self.token_valid(self.bearer(request)):
            return self.unauthorized()
        if request.headers.get("xero-tenant-id") != self.tenant_id:
            return _problem(403, "Forbidden", "AuthorizationUnsuccessful")
        with self.lock:
            self.day_calls += 1
            if self.day_calls > self.day_limit:
                return self._limited("day", _seconds_to_midnight())
            if self.in_flight >= CONCURRENT_LIMIT:
                return self._limited("concurrent", 1)
            wait = self.rate_limit.admit() if self.rate_limit is not None else None
            if wait is not None:
                return self._limited("minute", wait)
        return None

    def _limited(self, problem: str, wait: float) -> Response:
        self.throttled += 1
        headers = {"Retry-After": str(max(1, round(wait + 0.5))), "X-Rate-Limit-Problem": problem}
        return Response(status_code=429, headers={**headers, **self._allowance()})

    def _allowance(self) -> dict[str, str]:
        minute_left = (
            60 if self.rate_limit is None else max(0, self.rate_limit.requests - len(self.rate_limit.stamps))
        )
        return {
            "X-DayLimit-Remaining": str(max(0, self.day_limit - self.day_calls)),
            "X-MinLimit-Remaining": str(minute_left),
            "X-AppMinLimit-Remaining": "9990",
        }

    def unauthorized(self) -> Response:
        return _problem(401, "Unauthorized", "AuthenticationUnsuccessful")

    def too_many(self, wait: float) -> Response:
        return self._limited("minute", wait)

    # -- listing ------------------------------------------------------------------------------------

    def _list(self, endpoint: str, request: Request) -> dict[str, Any]:
        query = request.query_params
        since_header = request.headers.get("if-modified-since")
        self.received.append({**query, **({"If-Modified-Since": since_header} if since_header else {})})
        if "where" in query:
            raise ValueError("this fake does not evaluate where filters")
        since = _parse_since(since_header) if since_header else None
        with self.lock:
            matched = [
                s
                for s in self.objects[endpoint].values()
                if (since is None or s.updated >= since)
                and (
                    endpoint != "Contacts"
                    or query.get("includeArchived") == "true"
                    or s.body["ContactStatus"] != "ARCHIVED"
                )
            ]
            matched.sort(
                key=_order_key(query.get("order")), reverse=query.get("order", "").upper().endswith(" DESC")
            )
            if "page" not in query:
                return {endpoint: [render(s) for s in matched]}  # no page: everything at once
            page = max(1, int(query["page"]))
            size = min(max(1, int(query.get("pageSize", DEFAULT_PAGE_SIZE))), MAX_PAGE_SIZE)
            window = matched[(page - 1) * size : page * size]
            return {
                "pagination": {
                    "page": page,
                    "pageSize": size,
                    "pageCount": -(-len(matched) // size),
                    "itemCount": len(matched),
                },
                endpoint: [render(s) for s in window],
            }

    def _organisation_body(self) -> dict[str, Any]:
        return {
            "OrganisationID": self.tenant_id,
            "Name": "Kowhai Design Ltd",
            "LegalName": "Kowhai Design Limited",
            "BaseCurrency": BASE_CURRENCY,
            "CountryCode": "NZ",
            "OrganisationType": "COMPANY",
            "Timezone": "NEWZEALANDSTANDARDTIME",
        }

    # -- data ---------------------------------------------------------------------------------------

    def _connections(self) -> list[dict[str, Any]]:
        def connection(tenant_id: str, event: str, name: str, kind: str, age_days: int) -> dict[str, Any]:
            created = datetime.now(UTC) - timedelta(days=age_days)
            stamp = created.isoformat(timespec="microseconds").replace("+00:00", "")
            return {
                "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                "authEventId": event,
                "tenantId": tenant_id,
                "tenantType": kind,
                "tenantName": name,
                "createdDateUtc": stamp,
                "updatedDateUtc": stamp,
            }

        earlier_event = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        demo_tenant = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        practice = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return [
            connection(demo_tenant, earlier_event, "Demo Company (NZ)", "ORGANISATION", 200),
            connection(practice, self.auth_event_id, "Kowhai Practice", "PRACTICEMANAGER", 0),
            connection(self.tenant_id, self.auth_event_id, "Kowhai Design Ltd", "ORGANISATION", 0),
        ]

    def _generate(self, count: int, now: int) -> None:
        customers = [
            self._add_contact(now - self._days(30, 700), customer=False) for _ in range(max(3, count // 3))
        ]
        suppliers = [self._add_supplier(now - self._days(30, 700)) for _ in range(max(1, count // 15))]
        for stored in list(self.objects["Contacts"].values())[3::13]:
            stored.body["ContactStatus"] = "ARCHIVED"
        for _ in range(count):
            self._add_invoice("ACCREC", self.objects["Contacts"][self.rng.choice(customers)], now)
        for _ in range(max(1, count // 10)):
            self._add_invoice("ACCPAY", self.objects["Contacts"][self.rng.choice(suppliers)], now)

    def _days(self, low: float, high: float) -> int:
        return int(self.rng.uniform(low, high) * DAY_MS)

    def _add_contact(self, created: int, *, customer: bool) -> str:
        contact_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        city, country = self.rng.choice(CITIES)
        business = f"{last} {self.rng.choice(TRADES)}" if self.rng.random() < 0.7 else None
        domain = f"{(business or last).lower().replace(' ', '')}.co.nz"
        body = self._contact_body(contact_id, business or f"{first} {last}", city, country)
        body.update(
            FirstName=first,
            LastName=last,
            EmailAddress=f"{first.lower()}@{domain}",
            IsCustomer=customer,
            DefaultCurrency=CURRENCY_OF_COUNTRY[country],
        )
        self.objects["Contacts"][contact_id] = Stored(body, created)
        return contact_id

    def _add_supplier(self, created: int) -> str:
        contact_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        name = f"{self.rng.choice(SUPPLIERS)} {self.rng.randint(1, 99)}"
        body = self._contact_body(contact_id, name, "Auckland", "New Zealand")
        body.update(
            EmailAddress=f"accounts@{name.split()[0].lower()}.co.nz", IsSupplier=True, DefaultCurrency="NZD"
        )
        self.objects["Contacts"][contact_id] = Stored(body, created)
        return contact_id

    def _contact_body(self, contact_id: str, name: str, city: str, country: str) -> dict[str, Any]:
        area = str(self.rng.randint(2, 9))
        return {
            "ContactID": contact_id,
            "ContactStatus": "ACTIVE",
            "Name": name,
            "EmailAddress": "",
            "BankAccountDetails": "",
            "Addresses": [
                {"AddressType": "STREET", "City": "", "Region": "", "PostalCode": "", "Country": ""},
                {
                    "AddressType": "POBOX",
                    "AddressLine1": f"PO Box {self.rng.randint(100, 9999)}",
                    "City": city,
                    "Region": "",
                    "PostalCode": str(self.rng.randint(1000, 9999)),
                    "Country": country,
                },
            ],
            "Phones": [
                {"PhoneType": "DDI", "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""},
                {
                    "PhoneType": "DEFAULT",
                    "PhoneNumber": f"{self.rng.randint(200, 999)} {self.rng.randint(1000, 9999)}",
                    "PhoneAreaCode": f"0{area}",
                    "PhoneCountryCode": "64",
                },
                {"PhoneType": "FAX", "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""},
                {"PhoneType": "MOBILE", "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""},
            ],
            "ContactGroups": [],
            "ContactPersons": [],
            "IsSupplier": False,
            "IsCustomer": False,
            "HasAttachments": False,
            "HasValidationErrors": False,
        }

    def _add_invoice(self, kind: str, contact: Stored, now: int) -> None:
        invoice_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        issued_at = self.rng.randint(contact.updated, now - DAY_MS)
        issued = _day(issued_at)
        due = issued + timedelta(days=self.rng.choice((7, 14, 20, 30)))
        lines, subtotal = self._line_items()
        tax = (subtotal * TAX_RATE).quantize(CENT)
        total = subtotal + tax
        currency = contact.body.get("DefaultCurrency", BASE_CURRENCY)
        body: dict[str, Any] = {
            "Type": kind,
            "InvoiceID": invoice_id,
            "InvoiceNumber": f"INV-{next(self._invoice_numbers):04d}"
            if kind == "ACCREC"
            else f"{self.rng.randint(10000, 99999)}",
            "Reference": self.rng.choice(("", "PO 4471", "Website refresh", "Quarterly retainer")),
            "Payments": [],
            "CreditNotes": [],
            "Prepayments": [],
            "Overpayments": [],
            "AmountDue": float(total),
            "AmountPaid": 0.0,
            "AmountCredited": 0.0,
            "CurrencyRate": 1.0,
            "IsDiscounted": False,
            "HasAttachments": False,
            "HasErrors": False,
            "Contact": {
                "ContactID": contact.body["ContactID"],
                "Name": contact.body["Name"],
                "Addresses": [],
                "Phones": [],
                "ContactGroups": [],
                "ContactPersons": [],
                "HasValidationErrors": False,
            },
            "DateString": f"{issued.isoformat()}T00:00:00",
            "Date": _ms_date(_midnight_ms(issued)),
            "DueDateString": f"{due.isoformat()}T00:00:00",
            "DueDate": _ms_date(_midnight_ms(due)),
            "Status": "AUTHORISED",
            "LineAmountTypes": "Exclusive",
            "LineItems": lines,
            "SubTotal": float(subtotal),
            "TotalTax": float(tax),
            "Total": float(total),
            "CurrencyCode": currency,
        }
        stored = Stored(body, min(now - 60_000, issued_at + self._days(0, 2)))
        self.objects["Invoices"][invoice_id] = stored
        contact.body["IsCustomer" if kind == "ACCREC" else "IsSupplier"] = True
        fate = self.rng.random()
        paid_at = min(now - 60_000, issued_at + self._days(1, 35))
        if fate < 0.08:
            body["Status"] = "DRAFT"
        elif fate < 0.12:
            body["Status"] = "SUBMITTED"
        elif fate < 0.15:
            body.update(Status="VOIDED", AmountDue=0.0)
        elif fate < 0.17:
            body["Status"] = "DELETED"  # a draft deleted long ago: Xero still lists it
        elif fate < 0.72:
            self._pay(stored, total, paid_at)
        elif fate < 0.80:
            self._pay(stored, (total * Decimal("0.5")).quantize(CENT), paid_at)

    def _line_items(self) -> tuple[list[dict[str, Any]], Decimal]:
        lines, subtotal = [], Decimal("0")
        for _ in range(self.rng.randint(1, 3)):
            description, price = self.rng.choice(SERVICES)
            quantity = Decimal(self.rng.randint(1, 8))
            amount = price * quantity
            subtotal += amount
            lines.append(
                {
                    "LineItemID": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                    "Description": description,
                    "Quantity": float(quantity),
                    "UnitAmount": float(price),
                    "TaxType": "OUTPUT2",
                    "TaxAmount": float((amount * TAX_RATE).quantize(CENT)),
                    "LineAmount": float(amount),
                    "AccountCode": "200",
                }
            )
        return lines, subtotal

    def _pay(self, invoice: Stored, amount: Decimal, moment: int) -> str:
        """A payment applied to `invoice` at `moment` (ms); the invoice owes less, or nothing."""
        payment_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        kind = "ACCRECPAYMENT" if invoice.body["Type"] == "ACCREC" else "ACCPAYPAYMENT"
        paid_on = _ms_date(_midnight_ms(_day(moment)))
        body = {
            "PaymentID": payment_id,
            "Date": paid_on,
            "BankAmount": float(amount),
            "Amount": float(amount),
            "Reference": self.rng.choice(("", "Internet banking", "Direct credit")),
            "CurrencyRate": 1.0,
            "PaymentType": kind,
            "Status": "AUTHORISED",
            "HasAccount": True,
            "IsReconciled": self.rng.random() < 0.7,
            "Account": {"AccountID": "5690f1e8-1d02-4893-90c2-ee1a69eff942", "Code": "090"},
            "Invoice": {
                "Type": invoice.body["Type"],
                "InvoiceID": invoice.body["InvoiceID"],
                "InvoiceNumber": invoice.body["InvoiceNumber"],
                "Contact": {
                    "ContactID": invoice.body["Contact"]["ContactID"],
                    "Name": invoice.body["Contact"]["Name"],
                },
                "CurrencyCode": invoice.body["CurrencyCode"],
                "Payments": [],
                "CreditNotes": [],
                "Prepayments": [],
                "Overpayments": [],
                "LineItems": [],
            },
            "HasValidationErrors": False,
        }
        self.objects["Payments"][payment_id] = Stored(body, moment)
        due = _dec(invoice.body["AmountDue"]) - amount
        invoice.body.update(AmountDue=float(due), AmountPaid=float(_dec(invoice.body["AmountPaid"]) + amount))
        invoice.body["Payments"].append({"PaymentID": payment_id, "Date": paid_on, "Amount": float(amount)})
        if due <= 0:
            invoice.body.update(Status="PAID", FullyPaidOnDate=paid_on)
        invoice.updated = max(invoice.updated, moment)
        return payment_id

    def _delete_payment(self, payment: Stored, moment: int) -> None:
        payment.body["Status"] = "DELETED"
        payment.updated = moment
        invoice = self.objects["Invoices"][payment.body["Invoice"]["InvoiceID"]]
        amount = _dec(payment.body["Amount"])
        invoice.body.update(
            AmountDue=float(_dec(invoice.body["AmountDue"]) + amount),
            AmountPaid=float(_dec(invoice.body["AmountPaid"]) - amount),
            Status="AUTHORISED",
        )
        invoice.body.pop("FullyPaidOnDate", None)
        invoice.body["Payments"] = [
            p for p in invoice.body["Payments"] if p["PaymentID"] != payment.body["PaymentID"]
        ]
        invoice.updated = moment

    def _event(self, category: str, event_type: str, resource_id: str) -> dict[str, Any]:
        endpoint = {"CONTACT": "Contacts", "INVOICE": "Invoices"}[category]
        return {
            "resourceUrl": f"https://api.xero.com/api.xro/2.0/{endpoint}/{resource_id}",
            "resourceId": resource_id,
            "eventDateUtc": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", ""),
            "eventType": event_type,
            "eventCategory": category,
            "tenantId": self.tenant_id,
            "tenantType": "ORGANISATION",
        }

    def _pick(self, endpoint: str, wanted: Any) -> Stored | None:
        candidates = [s for s in self.objects[endpoint].values() if wanted(s)]
        return self.rng.choice(candidates) if candidates else None


# -- helpers ------------------------------------------------------------------------------------------


def render(stored: Stored) -> dict[str, Any]:
    return {**stored.body, "UpdatedDateUTC": _ms_date(stored.updated)}


def _receivable(stored: Stored, status: str) -> bool:
    return bool(stored.body["Type"] == "ACCREC" and stored.body["Status"] == status)


def _order_key(order: str | None) -> Any:
    field = (order or "").split(" ")[0]
    if field in ("", "UpdatedDateUTC"):
        # Unordered lists come back in creation order; UpdatedDateUTC sorts on the precise moment.
        return (lambda s: (s.updated,)) if field else (lambda s: (0,))
    return lambda s: (str(s.body.get(field, "")),)


def _parse_since(value: str) -> int:
    """If-Modified-Since as ISO 8601 (UTC unless it names an offset) or as an HTTP date."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        parsed = parsedate_to_datetime(value)
    moment = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _ms_date(ms: int) -> str:
    return f"/Date({ms}+0000)/"


def _midnight_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def _day(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, UTC).date()


def _now_ms() -> int:
    return int(time.time() * 1000)


def _seconds_to_midnight() -> float:
    now = datetime.now(UTC)
    return (datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1) - now).total_seconds()


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _problem(status: int, title: str, detail: str) -> Response:
    body: dict[str, Any] = {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
    return JSONResponse(body, status_code=status)
