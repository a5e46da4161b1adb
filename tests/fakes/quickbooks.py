"""A fake QuickBooks Online company speaking the Accounting API v3's wire protocol.

- OAuth at Intuit's paths: token endpoint with HTTP Basic client auth and rotating refresh tokens
  (`x_refresh_token_expires_in` in the answer), revoke taking JSON `{token}` with Basic auth; the
  authorize redirect carries `realmId`.
- `/v3/company/{realmId}/query`: the query language parsed minimally but faithfully (one entity,
  `WHERE` conditions joined by AND with = < > <= >= IN LIKE, `ORDERBY field [ASC|DESC]`,
  `STARTPOSITION`, `MAXRESULTS` capped at 1,000, count(*)); name lists (Customer) answer active rows
  only unless the query filters on Active.
- `/v3/company/{realmId}/cdc`: full objects changed since `changedSince` (at most 30 days back), with
  `{"status": "Deleted"}` stubs for deletions, at most 1,000 objects per entity.
- Errors in Intuit's `{"Fault": {"Error": [...], "type": ...}}` shape; 429 ThrottleExceeded beyond the
  per-realm limit; XML unless the client asks for JSON.
- Timestamps as Intuit writes them: Pacific time with its offset, seconds (ms in the answer's `time`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.base import CLIENT_ID, CLIENT_SECRET, FakeProvider, OAuthPolicy, RateLimit

PACIFIC = ZoneInfo("America/Los_Angeles")
DAY = 86400.0
CDC_LOOKBACK_SECONDS = 30 * DAY
MAX_RESULTS = 1000
DEFAULT_MAX_RESULTS = 100
ENTITIES = ("Customer", "Invoice", "Payment")
STREAM_OF_ENTITY = {"Customer": "customers", "Invoice": "invoices", "Payment": "payments"}

FIRST_NAMES = (
    "Amy", "Bill", "Carla", "Diego", "Elena", "Frank", "Grace", "Hiro", "Isabel", "Jamal", "Kira", "Luis",
    "Maya", "Nate", "Olivia", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Wes", "Yuki",
)  # fmt: skip
LAST_NAMES = (
    "Anderson", "Baker", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Huang", "Iverson", "Jensen",
    "Kowalski", "Lopez", "Miller", "Nguyen", "Okafor", "Patel", "Rossi", "Schmidt", "Tanaka", "Walsh",
)  # fmt: skip
BUSINESS_WORDS = (
    "Bird Sanctuary", "Bakery", "Landscaping", "Dental", "Auto Repair", "Coffee Roasters", "Florist",
    "Design Studio", "Plumbing", "Pet Care", "Bike Shop", "Catering", "Yoga Studio", "Hardware",
)  # fmt: skip
CITIES = (
    ("Bayshore", "CA"), ("Palo Alto", "CA"), ("Seattle", "WA"), ("Portland", "OR"), ("Austin", "TX"),
    ("Denver", "CO"), ("Chicago", "IL"), ("Boston", "MA"), ("Phoenix", "AZ"), ("Madison", "WI"),
)  # fmt: skip
PRODUCTS = (
    ("Design", Decimal("75.00")), ("Installation", Decimal("50.00")), ("Gardening", Decimal("25.00")),
    ("Pest Control", Decimal("35.00")), ("Rock Fountain", Decimal("275.00")),
    ("Sprinkler Heads", Decimal("2.00")),
    ("Hours", Decimal("15.00")), ("Maintenance & Repair", Decimal("60.00")), ("Soil", Decimal("10.00")),
)  # fmt: skip
STREETS = ("Oak", "Pine", "Main", "Finch", "Lake", "Cedar", "Elm")
PAYMENT_METHODS = (
    ("1", "Cash"),
    ("2", "Check"),
    ("3", "Visa"),
    ("4", "MasterCard"),
    ("5", "American Express"),
)
TERMS_DAYS = (15, 30, 30, 45, 60)
TAX_RATE = Decimal("0.08")
CENT = Decimal("0.01")


@dataclass
class Stored:
    """One QuickBooks object: its body without MetaData, and the moments the fake renders into it."""

    body: dict[str, Any]
    created: float
    updated: float
    sync_token: int = 0


@dataclass
class Tombstone:
    deleted: float


@dataclass
class Query:
    count: bool
    entity: str
    conditions: list[tuple[str, str, str]] = field(default_factory=list)
    order_by: str | None = None
    descending: bool = False
    start: int = 1
    max_results: int = DEFAULT_MAX_RESULTS


class QueryError(ValueError):
    pass


class FakeQuickBooks(FakeProvider):
    name = "quickbooks"
    oauth = OAuthPolicy(
        authorize_path="/connect/oauth2",
        token_path="/oauth2/v1/tokens/bearer",
        revoke_path="/v2/oauth2/tokens/revoke",
        client_auth="basic",
        access_seconds=3600,
        rotates_refresh_token=True,
        token_extras={"x_refresh_token_expires_in": 8726400},
    )
    webhook_secret = "qbo-verifier-token-7d1f0c2e"

    def __init__(self, *, count: int = 300, rate_limit: RateLimit | None = None, seed: int = 1) -> None:
        super().__init__(rate_limit=rate_limit)
        self.rng = random.Random(seed)
        self.realm_id = str(9130350000000000 + seed * 7919)
        self.objects: dict[str, dict[str, Stored]] = {entity: {} for entity in ENTITIES}
        self.tombstones: dict[str, dict[str, Tombstone]] = {entity: {} for entity in ENTITIES}
        self.revoke_bodies: list[dict[str, Any]] = []
        self.query_log: list[str] = []  # every query statement received, in order
        # What the latest mutate() did: stream → {"added"|"changed"|"deleted": [ids]}
        self.last_mutation: dict[str, dict[str, list[str]]] = {}
        self._customer_ids = iter(range(1, 1_000_000))
        self._txn_ids = iter(range(100, 10_000_000))  # invoices and payments share Intuit's txn id space
        self._doc_numbers = iter(range(1001, 10_000_000))
        self._generate(count, time.time())

    # -- what the app and the tests need ------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return {"realm_id": self.realm_id}

    def authorize_extras(self) -> dict[str, str]:
        return {}

    def redirect_extras(self) -> dict[str, str]:
        return {"realmId": self.realm_id}

    def totals(self) -> dict[str, int]:
        return {STREAM_OF_ENTITY[entity]: len(self.objects[entity]) for entity in ENTITIES}

    def mutate(self) -> None:
        """Add a customer and change another; an open invoice is paid in full (a new payment, the
        invoice's balance changes); an unpaid invoice without payments is deleted."""
        now = time.time()
        with self.lock:
            added = self._add_customer(now, now)
            changed_customer = self._pick(self.objects["Customer"], lambda s: s.body["Id"] != added)
            mutation: dict[str, dict[str, list[str]]] = {"customers": {"added": [added]}}
            if changed_customer is not None:
                phone = f"({self.rng.randint(200, 989)}) 555-{self.rng.randint(1000, 9999)}"
                changed_customer.body["PrimaryPhone"] = {"FreeFormNumber": phone}
                self._touch(changed_customer, now)
                mutation["customers"]["changed"] = [changed_customer.body["Id"]]
            paid = self._pick(self.objects["Invoice"], lambda s: Decimal(str(s.body["Balance"])) > 0)
            if paid is not None:
                payment_id = self._pay(paid, Decimal(str(paid.body["Balance"])), now)
                mutation["invoices"] = {"changed": [paid.body["Id"]]}
                mutation["payments"] = {"added": [payment_id]}
            doomed = self._pick(
                self.objects["Invoice"],
                lambda s: (
                    s is not paid and s.body["Balance"] == s.body["TotalAmt"] and s.body["TotalAmt"] > 0
                ),
            )
            if doomed is not None:
                del self.objects["Invoice"][doomed.body["Id"]]
                self.tombstones["Invoice"][doomed.body["Id"]] = Tombstone(now)
                mutation.setdefault("invoices", {})["deleted"] = [doomed.body["Id"]]
            self.last_mutation = mutation

    def webhook(self, url: str) -> tuple[bytes, dict[str, str]]:
        """A classic-format delivery naming what the latest mutate() touched (a customer update
        when nothing was mutated yet), signed with the verifier token."""
        entities = []
        for stream, changes in self.last_mutation.items() or [("customers", {"changed": ["1"]})]:
            entity = {v: k for k, v in STREAM_OF_ENTITY.items()}[stream]
            for kind, ids in changes.items():
                operation = {"added": "Create", "changed": "Update", "deleted": "Delete"}[kind]
                for object_id in ids:
                    entities.append(
                        {
                            "name": entity,
                            "id": object_id,
                            "operation": operation,
                            "lastUpdated": _stamp(time.time()),
                        }
                    )
        payload = {
            "eventNotifications": [{"realmId": self.realm_id, "dataChangeEvent": {"entities": entities}}]
        }
        return self.signed(payload)

    def cloud_events_webhook(self, url: str) -> tuple[bytes, dict[str, str]]:
        """The newer CloudEvents delivery: an array of events, each with its own id."""
        events = [
            {
                "specversion": "1.0",
                "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                "source": "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
                "type": f"qbo.{entity.lower()}.{operation}.v1",
                "datacontenttype": "application/json",
                "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "intuitentityid": object_id,
                "intuitaccountid": self.realm_id,
                "data": {},
            }
            for entity, object_id, operation in (("Invoice", "130", "created"), ("Customer", "1", "updated"))
        ]
        return self.signed(events)

    def signed(self, payload: Any) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload).encode()
        signature = base64.b64encode(_hmac(self.webhook_secret, body)).decode()
        return body, {"intuit-signature": signature, "content-type": "application/json; charset=utf-8"}

    # -- routes -------------------------------------------------------------------------------------

    def api_routes(self) -> Sequence[BaseRoute]:
        return [
            Route("/v3/company/{realm}/query", self._query, methods=["GET", "POST"]),
            Route("/v3/company/{realm}/cdc", self._cdc, methods=["GET"]),
            Route("/v3/company/{realm}/companyinfo/{company}", self._company_info, methods=["GET"]),
        ]

    def _refuse(self, request: Request) -> Response | None:
        refusal = self.guard(request)
        if refusal is not None:
            return refusal
        if request.path_params["realm"] != self.realm_id:
            return _fault(
                403, "AUTHORIZATION", "3100", "ApplicationAuthorizationFailed", "realm not authorized"
            )
        if "application/json" not in request.headers.get("accept", ""):
            # Intuit answers XML unless JSON is asked for.
            return Response(
                f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{_now()}"/>',
                media_type="application/xml",
            )
        return None

    async def _query(self, request: Request) -> Response:
        if (refusal := self._refuse(request)) is not None:
            return refusal
        text = request.query_params.get("query")
        if text is None and request.method == "POST":
            text = (await request.body()).decode()
        self.query_log.append(text or "")
        try:
            query = parse_query(text or "")
            with self.lock:
                answer = self._answer(query)
        except QueryError as exc:
            return _fault(400, "ValidationFault", "4000", "Error parsing query", f"QueryParserError: {exc}")
        return _json({"QueryResponse": answer, "time": _now()})

    def _answer(self, query: Query) -> dict[str, Any]:
        if query.entity not in self.objects:
            raise QueryError(f"Invalid entity {query.entity}")
        matched = [s for s in self.objects[query.entity].values() if self._matches(query, s)]
        if query.count:
            return {"totalCount": len(matched)}
        matched.sort(
            key=lambda s: (_sort_value(query.order_by, s), int(s.body["Id"])), reverse=query.descending
        )
        window = matched[query.start - 1 : query.start - 1 + query.max_results]
        if not window:
            return {}
        return {
            query.entity: [render(s) for s in window],
            "startPosition": query.start,
            "maxResults": len(window),
        }

    def _matches(self, query: Query, stored: Stored) -> bool:
        filters_active = any(name.lower() == "active" for name, _, _ in query.conditions)
        if query.entity == "Customer" and not filters_active and not stored.body.get("Active", True):
            return False
        return all(_condition_holds(stored, name, op, value) for name, op, value in query.conditions)

    async def _cdc(self, request: Request) -> Response:
        if (refusal := self._refuse(request)) is not None:
            return refusal
        entities = [e for e in request.query_params.get("entities", "").split(",") if e]
        since_text = request.query_params.get("changedSince", "")
        try:
            since = _parse_moment(since_text)
        except ValueError:
            return _fault(400, "ValidationFault", "2030", "Invalid changedSince", since_text)
        if not entities or any(e not in self.objects for e in entities):
            return _fault(400, "ValidationFault", "2030", "Invalid entities", ",".join(entities))
        if since < time.time() - CDC_LOOKBACK_SECONDS:
            return _fault(400, "ValidationFault", "2030", "Invalid changedSince", "more than 30 days ago")
        with self.lock:
            responses = [self._changes(entity, since) for entity in entities]
        return _json({"CDCResponse": [{"QueryResponse": responses}], "time": _now()})

    def _changes(self, entity: str, since: float) -> dict[str, Any]:
        changed: list[tuple[float, dict[str, Any]]] = [
            (s.updated, render(s)) for s in self.objects[entity].values() if s.updated >= since
        ]
        changed += [
            (
                t.deleted,
                {
                    "domain": "QBO",
                    "status": "Deleted",
                    "Id": object_id,
                    "MetaData": {"LastUpdatedTime": _stamp(t.deleted)},
                },
            )
            for object_id, t in self.tombstones[entity].items()
            if t.deleted >= since
        ]
        changed.sort(key=lambda pair: pair[0])
        objects = [body for _, body in changed[:MAX_RESULTS]]
        if not objects:
            return {}
        return {entity: objects, "startPosition": 1, "maxResults": len(objects)}

    async def _company_info(self, request: Request) -> Response:
        if (refusal := self._refuse(request)) is not None:
            return refusal
        info = {
            "CompanyName": "Craig's Design and Landscaping Services",
            "Country": "US",
            "Id": request.path_params["company"],
            "SyncToken": "4",
            "domain": "QBO",
        }
        return _json({"CompanyInfo": info, "time": _now()})

    # -- Intuit's error shapes ----------------------------------------------------------------------

    def unauthorized(self) -> Response:
        return _fault(
            401,
            "AUTHENTICATION",
            "3200",
            "message=AuthenticationFailed; errorCode=003200; statusCode=401",
            "Token expired",
        )

    def too_many(self, wait: float) -> Response:
        response = _fault(
            429,
            "SERVICE",
            "3001",
            "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            "ThrottleExceeded",
        )
        response.headers["Retry-After"] = str(max(1, round(wait + 0.5)))
        return response

    async def _revoke(self, request: Request) -> Response:
        """Intuit's revoke takes JSON {token} with HTTP Basic client auth."""
        header = request.headers.get("authorization", "")
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if header != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        token = str(body.get("token", ""))
        self.revoke_bodies.append(body)
        self.revoked.append(token)
        self.refresh_tokens.pop(token, None)
        self.access_tokens.pop(token, None)
        return Response(status_code=200)

    # -- data ---------------------------------------------------------------------------------------

    def _generate(self, count: int, now: float) -> None:
        customers = [
            self._add_customer(now - self.rng.uniform(60, 720) * DAY, now) for _ in range(max(3, count // 3))
        ]
        for stored in list(self.objects["Customer"].values())[::17]:
            stored.body["Active"] = False  # a few customers were "deleted" (made inactive)
        for _ in range(count):
            customer = self.objects["Customer"][self.rng.choice(customers)]
            self._add_invoice(customer, now)

    def _add_customer(self, created: float, now: float) -> str:
        customer_id = str(next(self._customer_ids))
        given, family = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        city, region = self.rng.choice(CITIES)
        company = f"{family}'s {self.rng.choice(BUSINESS_WORDS)}" if self.rng.random() < 0.6 else None
        domain = f"{(company or family).lower().replace(chr(39), '').replace(' ', '')}.com"
        body: dict[str, Any] = {
            "Id": customer_id,
            "GivenName": given,
            "FamilyName": family,
            "DisplayName": company or f"{given} {family}",
            "PrintOnCheckName": company or f"{given} {family}",
            "Active": True,
            "Taxable": True,
            "Job": False,
            "BillWithParent": False,
            "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
            "PreferredDeliveryMethod": "Email",
            "PrimaryPhone": {
                "FreeFormNumber": f"({self.rng.randint(200, 989)}) 555-{self.rng.randint(1000, 9999)}"
            },
            "BillAddr": {
                "Id": str(self.rng.randint(2, 999)),
                "Line1": f"{self.rng.randint(10, 9999)} {self.rng.choice(STREETS)} St.",
                "City": city,
                "CountrySubDivisionCode": region,
                "PostalCode": f"{self.rng.randint(10000, 99999)}",
                "Country": "USA",
            },
            "domain": "QBO",
            "sparse": False,
        }
        if company:
            body["CompanyName"] = company
        if self.rng.random() < 0.93:  # a few customers have no email on file
            body["PrimaryEmailAddr"] = {"Address": f"{given}.{family}@{domain}".replace(" ", "")}
        updated = min(now - 60, created + self.rng.uniform(0, max(0.0, now - created - 3600)))
        self.objects["Customer"][customer_id] = Stored(body, created, max(created, updated))
        return customer_id

    def _add_invoice(self, customer: Stored, now: float) -> None:
        invoice_id = str(next(self._txn_ids))
        issued = self.rng.uniform(customer.created, now - DAY)
        txn_date = _day(issued)
        due_date = txn_date + timedelta(days=self.rng.choice(TERMS_DAYS))
        lines, subtotal = self._lines()
        tax = (subtotal * TAX_RATE).quantize(CENT)
        total = subtotal + tax
        body: dict[str, Any] = {
            "Id": invoice_id,
            "DocNumber": str(next(self._doc_numbers)),
            "TxnDate": txn_date.isoformat(),
            "DueDate": due_date.isoformat(),
            "CustomerRef": {"value": customer.body["Id"], "name": customer.body["DisplayName"]},
            "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
            "SalesTermRef": {"value": "3"},
            "Line": [
                *lines,
                {"Amount": float(subtotal), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
            ],
            "TxnTaxDetail": {"TotalTax": float(tax)},
            "TotalAmt": float(total),
            "Balance": float(total),
            "EmailStatus": "EmailSent",
            "PrintStatus": "NotSet",
            "domain": "QBO",
            "sparse": False,
        }
        if "PrimaryEmailAddr" in customer.body:
            body["BillEmail"] = {"Address": customer.body["PrimaryEmailAddr"]["Address"]}
        updated = min(now - 60, issued + self.rng.uniform(0, 3 * DAY))
        stored = Stored(body, issued, updated)
        self.objects["Invoice"][invoice_id] = stored
        fate = self.rng.random()
        if fate < 0.03:
            body.update(TotalAmt=0, Balance=0, PrivateNote="Voided - customer cancelled")
            body["Line"] = [line | {"Amount": 0} for line in body["Line"]]
        elif fate < 0.63:
            self._pay(stored, total, min(now - 60, issued + self.rng.uniform(1, 40) * DAY))
        elif fate < 0.73:
            partial = (total * Decimal(self.rng.choice(("0.25", "0.5", "0.75")))).quantize(CENT)
            self._pay(stored, partial, min(now - 60, issued + self.rng.uniform(1, 40) * DAY))

    def _lines(self) -> tuple[list[dict[str, Any]], Decimal]:
        lines, subtotal = [], Decimal("0")
        for number in range(1, self.rng.randint(1, 4) + 1):
            name, price = self.rng.choice(PRODUCTS)
            quantity = self.rng.randint(1, 12)
            amount = price * quantity
            subtotal += amount
            lines.append(
                {
                    "Id": str(number),
                    "LineNum": number,
                    "Description": name,
                    "Amount": float(amount),
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": str(PRODUCTS.index((name, price)) + 1), "name": name},
                        "UnitPrice": float(price),
                        "Qty": quantity,
                        "TaxCodeRef": {"value": "TAX"},
                    },
                }
            )
        return lines, subtotal

    def _pay(self, invoice: Stored, amount: Decimal, moment: float) -> str:
        """Record a payment applied to `invoice` at `moment`; the invoice's balance drops."""
        payment_id = str(next(self._txn_ids))
        method_id, method = self.rng.choice(PAYMENT_METHODS)
        body: dict[str, Any] = {
            "Id": payment_id,
            "TxnDate": _day(moment).isoformat(),
            "TotalAmt": float(amount),
            "UnappliedAmt": 0,
            "ProcessPayment": False,
            "CustomerRef": dict(invoice.body["CustomerRef"]),
            "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
            "PaymentMethodRef": {"value": method_id, "name": method},
            "PaymentRefNum": str(self.rng.randint(1000, 9999)),
            "DepositToAccountRef": {"value": "4"},
            "Line": [
                {"Amount": float(amount), "LinkedTxn": [{"TxnId": invoice.body["Id"], "TxnType": "Invoice"}]}
            ],
            "domain": "QBO",
            "sparse": False,
        }
        self.objects["Payment"][payment_id] = Stored(body, moment, moment)
        balance = Decimal(str(invoice.body["Balance"])) - amount
        invoice.body["Balance"] = float(balance)
        self._touch(invoice, max(invoice.updated, moment))
        return payment_id

    def _touch(self, stored: Stored, moment: float) -> None:
        stored.updated = moment
        stored.sync_token += 1

    def _pick(self, objects: dict[str, Stored], wanted: Any) -> Stored | None:
        candidates = [s for s in objects.values() if wanted(s)]
        return self.rng.choice(candidates) if candidates else None


# -- the query language -------------------------------------------------------------------------------

_STATEMENT = re.compile(
    r"^\s*SELECT\s+(?P<what>\*|count\(\*\))\s+FROM\s+(?P<entity>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDERBY\s+(?P<order>[\w.]+)(?:\s+(?P<direction>ASC|DESC))?)?"
    r"(?:\s+STARTPOSITION\s+(?P<start>\d+))?"
    r"(?:\s+MAXRESULTS\s+(?P<max>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CONDITION = re.compile(
    r"\s*(?P<field>[\w.]+)\s*(?P<op>>=|<=|=|<|>|\bIN\b|\bLIKE\b)\s*(?P<value>'(?:[^'\\]|\\.)*'|\([^)]*\)|[\w.:+-]+)\s*",
    re.IGNORECASE,
)
_AND = re.compile(r"AND\b", re.IGNORECASE)


def parse_query(text: str) -> Query:
    match = _STATEMENT.match(text)
    if match is None:
        raise QueryError(f"Encountered unexpected text in {text[:80]!r}")
    start = int(match["start"] or 1)
    if start < 1:
        raise QueryError("STARTPOSITION must be at least 1")
    return Query(
        count=match["what"] != "*",
        entity=match["entity"],
        conditions=_parse_where(match["where"] or ""),
        order_by=match["order"],
        descending=(match["direction"] or "").upper() == "DESC",
        start=start,
        max_results=min(int(match["max"] or DEFAULT_MAX_RESULTS), MAX_RESULTS),
    )


def _parse_where(text: str) -> list[tuple[str, str, str]]:
    conditions, position = [], 0
    while position < len(text):
        match = _CONDITION.match(text, position)
        if match is None:
            raise QueryError(f"Encountered unexpected text at {text[position : position + 30]!r}")
        conditions.append((match["field"], match["op"].upper(), match["value"]))
        position = match.end()
        if position < len(text):
            joiner = _AND.match(text, position)
            if joiner is None:
                raise QueryError("only AND joins conditions (OR is not supported)")
            position = joiner.end()
    return conditions


def _condition_holds(stored: Stored, name: str, op: str, raw: str) -> bool:
    actual = _field(stored, name)
    if op == "IN":
        options = [_literal(part.strip()) for part in raw.strip("()").split(",")]
        return any(_compare(actual, "=", option) for option in options)
    expected = _literal(raw)
    if name.lower().endswith("time") and isinstance(expected, str):
        expected = _parse_moment(expected)  # date-time fields compare as moments, whatever the offset
    return _compare(actual, op, expected)


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if actual is None:
        return False
    if isinstance(actual, bool) or isinstance(expected, bool):
        return op == "=" and actual == expected
    if op == "LIKE":
        pattern = "^" + re.escape(str(expected)).replace("%", ".*") + "$"
        return re.match(pattern, str(actual)) is not None
    left: Any = _number(actual)
    right: Any = _number(expected)
    if left is None or right is None:
        left, right = str(actual), str(expected)
    operations = {
        "=": left == right, "<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right,
    }  # fmt: skip
    return bool(operations[op])


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _literal(raw: str) -> Any:
    if raw.startswith("'") and raw.endswith("'"):
        return raw[1:-1].replace("\\'", "'")
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return raw


def _field(stored: Stored, name: str) -> Any:
    """A field by its (case-insensitive) dotted path; MetaData times are the precise moments."""
    lowered = name.lower()
    if lowered == "metadata.lastupdatedtime":
        return stored.updated
    if lowered == "metadata.createtime":
        return stored.created
    value: Any = stored.body
    for part in name.split("."):
        if not isinstance(value, dict):
            raise QueryError(f"property {name} is not queryable")
        keys = {key.lower(): key for key in value}
        if part.lower() not in keys:
            return None
        value = value[keys[part.lower()]]
    return value


def _sort_value(order_by: str | None, stored: Stored) -> tuple[bool, Any]:
    if order_by is None:
        return (False, 0)
    value = _field(stored, order_by)
    return (value is None, value if value is not None else 0)


# -- rendering ----------------------------------------------------------------------------------------


def render(stored: Stored) -> dict[str, Any]:
    return {
        **stored.body,
        "SyncToken": str(stored.sync_token),
        "MetaData": {"CreateTime": _stamp(stored.created), "LastUpdatedTime": _stamp(stored.updated)},
    }


def _stamp(moment: float) -> str:
    """Intuit's object timestamps: Pacific time with its offset, to the second."""
    return datetime.fromtimestamp(moment, PACIFIC).isoformat(timespec="seconds")


def _now() -> str:
    return datetime.fromtimestamp(time.time(), PACIFIC).isoformat(timespec="milliseconds")


def _day(moment: float) -> date:
    return datetime.fromtimestamp(moment, PACIFIC).date()


def _parse_moment(text: str) -> float:
    """A date ("2015-11-28") or a date-time with or without offset (Pacific when none)."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=PACIFIC)).timestamp()


def _fault(status: int, kind: str, code: str, message: str, detail: str) -> Response:
    body = {
        "Fault": {"Error": [{"Message": message, "Detail": detail, "code": code}], "type": kind},
        "time": _now(),
    }
    return _json(body, status)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status_code=status, media_type="application/json")


def _hmac(key: str, body: bytes) -> bytes:
    return hmac.new(key.encode(), body, hashlib.sha256).digest()
