"""A fake Stripe account speaking the REST API the adapter reads, with Stripe's own wire conventions.

- Auth: `Authorization: Bearer <key>` (or HTTP Basic with the key as the user name); a wrong key is
  401 `{"error": {"message": "Invalid API Key provided: rk_test_***…", "type": "invalid_request_error"}}`.
- Lists (`/v1/customers`, `/v1/charges`, `/v1/refunds`, `/v1/invoices`, `/v1/events`) are newest
  first: `{"object": "list", "url", "has_more", "data"}` with `limit` (1 to 100), `starting_after`
  (older), `ending_before` (the page right before that object, i.e. newer), `created[gt|gte|lt|lte]`
  and per-list filters (`customer`, `charge`, `status`, `type`/`types[]`). An unknown cursor object
  is 400 `resource_missing`; an unknown object is 404 `resource_missing`.
- `expand[]`: `data.balance_transaction` and `data.refunds` on charge lists, `balance_transaction`
  and `refunds` on one charge. A charge's `refunds` is only present when expanded (API versions
  since 2022-11-15) and embeds at most 10 refunds with `has_more`.
- Deleted customers answer `{"id", "object": "customer", "deleted": true}`; deleted draft invoices
  404. Events are kept 30 days, rendered with the API version of their time.
- A `RateLimit` answers 429 `rate_limit` with `Stripe-Rate-Limited-Reason` and, like Stripe, no
  `Retry-After`. Every answer carries `Request-Id`.
- Webhook deliveries are signed `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`.

Data is generated from `seed`: customers paying in USD, EUR, GBP, CAD or JPY (zero-decimal), their
charges settled in USD (balance transactions with fee and exchange rate), refunds (one charge with
more than ten), and invoices in every status.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import secrets
import string
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from binelek.demo_data import FIRST_NAMES, INTERNATIONAL_CITIES, LAST_NAMES, US_CITIES
from tests.fakes.base import FakeProvider, RateLimit

DAY = 86_400
HISTORY_DAYS = 400
EVENT_RETENTION = 30 * DAY
EMBEDDED_REFUNDS = 10
EVENT_API_VERSION = "2025-03-31.basil"
API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")
ALPHABET = string.ascii_letters + string.digits
# (currency, share of customers, settlement rate to USD, country)
CURRENCIES = (("usd", 70, 1.0, "US"), ("eur", 12, 1.08, "DE"), ("gbp", 8, 1.27, "GB"),
              ("cad", 4, 0.73, "CA"), ("jpy", 6, 0.0067, "JP"))  # fmt: skip
ZERO_DECIMAL = {"jpy"}
JP_CITIES = ("Tokyo", "Osaka", "Kyoto", "Sapporo")
EU_CITIES = {"DE": ("Berlin", "Hamburg", "Munich")}


class StripeError(Exception):
    def __init__(
        self, status: int, message: str, *, code: str | None = None, param: str | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.param = status, code, param

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": str(self), "type": "invalid_request_error"}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


@dataclass
class Collection:
    """One kind of object, newest first, with each id's position for cursors."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    newest_first: list[str] = field(default_factory=list)
    _order: list[tuple[int, int, str]] = field(default_factory=list)  # (created, seq, id), oldest first

    def add(self, obj: dict[str, Any], seq: int) -> None:
        self.objects[obj["id"]] = obj
        self._order.append((obj["created"], seq, obj["id"]))
        self._order.sort()
        self.newest_first = [object_id for _, _, object_id in reversed(self._order)]

    def remove(self, object_id: str) -> None:
        self.objects.pop(object_id, None)
        self._order = [entry for entry in self._order if entry[2] != object_id]
        self.newest_first = [object_id for _, _, object_id in reversed(self._order)]


def page_of(
    ids: list[str],
    objects: dict[str, dict[str, Any]],
    query: Request,
    kind: str,
    keep: Callable[[dict[str, Any]], bool] = lambda _: True,
) -> tuple[list[dict[str, Any]], bool]:
    """Stripe's list paging over `ids` (newest first): limit, starting_after, ending_before, created[…]."""
    params = query.query_params
    limit = _limit(params.get("limit"))
    created = {
        op: int(params[f"created[{op}]"]) for op in ("gt", "gte", "lt", "lte") if f"created[{op}]" in params
    }
    chosen = [
        object_id for object_id in ids
        if keep(objects[object_id]) and _in_range(objects[object_id]["created"], created)
    ]  # fmt: skip
    positions = {object_id: index for index, object_id in enumerate(chosen)}
    after, before = params.get("starting_after"), params.get("ending_before")
    if after:
        if after not in positions and after not in objects:
            raise StripeError(
                400, f"No such {kind}: '{after}'", code="resource_missing", param="starting_after"
            )
        start = positions.get(after, _position_of(after, ids, chosen, objects)) + 1
        window = chosen[start : start + limit]
        return [objects[object_id] for object_id in window], start + limit < len(chosen)
    if before:
        if before not in positions and before not in objects:
            raise StripeError(
                400, f"No such {kind}: '{before}'", code="resource_missing", param="ending_before"
            )
        end = positions.get(before, _position_of(before, ids, chosen, objects))
        window = chosen[max(0, end - limit) : end]
        return [objects[object_id] for object_id in window], end - limit > 0
    return [objects[object_id] for object_id in chosen[:limit]], len(chosen) > limit


def _position_of(cursor: str, ids: list[str], chosen: list[str], objects: dict[str, dict[str, Any]]) -> int:
    """Where a cursor object the filters left out would sit among `chosen` (the last one newer than it)."""
    order = {object_id: index for index, object_id in enumerate(ids)}
    cursor_index = order.get(cursor, -1)
    newer = [index for index, object_id in enumerate(chosen) if order[object_id] < cursor_index]
    return newer[-1] if newer else -1


def _in_range(created: int, bounds: dict[str, int]) -> bool:
    checks = {
        "gt": lambda bound: created > bound,
        "gte": lambda bound: created >= bound,
        "lt": lambda bound: created < bound,
        "lte": lambda bound: created <= bound,
    }
    return all(checks[op](bound) for op, bound in bounds.items())


def _limit(raw: str | None) -> int:
    if raw is None:
        return 10
    if not raw.isdigit():
        raise StripeError(400, f"Invalid integer: {raw}", param="limit")
    value = int(raw)
    if not 1 <= value <= 100:
        raise StripeError(400, "This value must be between 1 and 100 (inclusive).", param="limit")
    return value


class StripeAccount:
    """The account's objects and its event log, generated from `seed`."""

    def __init__(self, count: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.now = int(time.time()) - 60
        self.seq = 0
        self.customers = Collection()
        self.deleted_customers: set[str] = set()
        self.charges = Collection()
        self.transactions: dict[str, dict[str, Any]] = {}
        self.refunds = Collection()
        self.invoices = Collection()
        self.events = Collection()
        self.invoice_prefix = "".join(self.rng.choice(string.ascii_uppercase) for _ in range(8))
        self.invoice_count = 0
        start = self.now - HISTORY_DAYS * DAY
        people = [self.add_customer(self.moment(start, self.now - DAY)) for _ in range(max(10, count // 3))]
        for index in range(count):
            customer = self.rng.choice(people)
            # the fifth charge is refunded in twelve parts: more refunds than a charge embeds
            charge = self.add_charge(
                customer,
                self.moment(customer["created"], self.now),
                status="succeeded" if index == 4 else None,
            )
            if index == 4 or (
                charge["status"] == "succeeded" and charge["captured"] and self.rng.random() < 0.06
            ):
                self.refund_charge(charge, many=index == 4)
        for index in range(max(5, count // 3)):
            customer = self.rng.choice(people)
            # one of each status for sure, then as they come
            status = ("open", "draft", "void", "uncollectible", "paid")[index] if index < 5 else None
            self.add_invoice(customer, self.moment(customer["created"], self.now), status=status)

    # -- ids, time, events -------------------------------------------------------------------------

    def new_id(self, prefix: str, length: int = 24) -> str:
        return prefix + "".join(self.rng.choice(ALPHABET) for _ in range(length))

    def moment(self, start: int, end: int) -> int:
        return start + int((end - start) * self.rng.random() ** 0.7)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def emit(self, kind: str, obj: dict[str, Any], created: int) -> None:
        """An event, as Stripe records one, if it falls within the 30 days events are kept."""
        if created < int(time.time()) - EVENT_RETENTION:
            return
        event = {
            "id": self.new_id("evt_1"),
            "object": "event",
            "api_version": EVENT_API_VERSION,
            "created": created,
            "data": {"object": json.loads(json.dumps(obj))},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": kind,
        }
        self.events.add(event, self.next_seq())

    # -- generation --------------------------------------------------------------------------------

    def add_customer(self, created: int) -> dict[str, Any]:
        rng = self.rng
        currency, _, _, country = rng.choices(CURRENCIES, [share for _, share, _, _ in CURRENCIES])[0]
        if country == "US":
            city = rng.choice(US_CITIES)[0]
        elif country == "JP":
            city = rng.choice(JP_CITIES)
        else:
            city = next((c for code, c, _ in INTERNATIONAL_CITIES if code == country), None) or rng.choice(
                EU_CITIES.get(country, ("Berlin",))
            )
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{_ascii(first)}.{_ascii(last)}{rng.randrange(100, 999)}@example.com"
        customer = {
            "id": self.new_id("cus_", 14),
            "object": "customer",
            "address": {"city": city, "country": country, "line1": None, "line2": None,
                        "postal_code": None, "state": None},
            "balance": 0,
            "created": created,
            "currency": currency,
            "default_source": None,
            "delinquent": False,
            "description": None,
            "email": email if rng.random() < 0.9 else email.title(),
            "invoice_prefix": self.invoice_prefix,
            "livemode": False,
            "metadata": {},
            "name": f"{first} {last}" if rng.random() < 0.95 else None,
            "phone": f"+1415555{rng.randrange(10_000):04d}" if rng.random() < 0.5 else None,
            "preferred_locales": [],
            "tax_exempt": "none",
        }  # fmt: skip
        self.customers.add(customer, self.next_seq())
        self.emit("customer.created", customer, created)
        return customer

    def add_charge(
        self, customer: dict[str, Any], created: int, *, status: str | None = None
    ) -> dict[str, Any]:
        rng = self.rng
        currency = customer["currency"]
        rate = next(rate for code, _, rate, _ in CURRENCIES if code == currency)
        amount = (
            rng.randrange(500, 40_000)
            if currency in ZERO_DECIMAL
            else rng.randrange(5, 400) * 100 + rng.choice((0, 0, 50, 95, 99))
        )
        roll = rng.random()
        forced, status = (
            status is not None,
            status or ("failed" if roll < 0.04 else "pending" if roll < 0.05 else "succeeded"),
        )
        # pending charges (bank debits) are captured and processing; 2% of card charges are only authorised
        captured = status == "pending" or (status == "succeeded" and (forced or roll < 0.98))
        method = (
            "sepa_debit"
            if currency == "eur" and rng.random() < 0.2
            else rng.choices(("card", "us_bank_account", "link"), (85, 8, 7))[0]
        )
        charge: dict[str, Any] = {
            "id": self.new_id("ch_3"),
            "object": "charge",
            "amount": amount,
            "amount_captured": amount if captured and status == "succeeded" else 0,
            "amount_refunded": 0,
            "balance_transaction": None,
            "billing_details": {"email": customer["email"], "name": customer["name"]},
            "captured": captured,
            "created": created,
            "currency": currency,
            "customer": customer["id"],
            "description": None,
            "failure_code": "card_declined" if status == "failed" else None,
            "failure_message": "Your card was declined." if status == "failed" else None,
            "livemode": False,
            "metadata": {},
            "outcome": {"network_status": f"{'declined_by' if status == 'failed' else 'approved_by'}_network",
                        "type": "issuer_declined" if status == "failed" else "authorized"},
            "paid": status == "succeeded",
            "payment_intent": self.new_id("pi_3"),
            "payment_method_details": {"type": method, **({"card": {"brand": rng.choice(("visa", "mastercard",
                                                                                          "amex"))}}
                                                          if method == "card" else {})},
            "receipt_email": customer["email"],
            "refunded": False,
            "status": status,
        }  # fmt: skip
        if status == "succeeded" and captured:
            # settled in USD cents: the amount in major units times the rate, times 100
            settled = round(amount * rate * (100 if currency in ZERO_DECIMAL else 1))
            fee = round(settled * (0.029 if currency == "usd" else 0.039)) + 30
            transaction = {
                "id": self.new_id("txn_3"),
                "object": "balance_transaction",
                "amount": settled,
                "available_on": created + 2 * DAY,
                "created": created,
                "currency": "usd",
                "exchange_rate": None if currency == "usd" else rate,
                "fee": fee,
                "fee_details": [{"amount": fee, "currency": "usd", "description": "Stripe processing fees",
                                 "type": "stripe_fee"}],
                "net": settled - fee,
                "reporting_category": "charge",
                "source": charge["id"],
                "status": "available" if created < self.now - 2 * DAY else "pending",
                "type": "charge",
            }  # fmt: skip
            self.transactions[transaction["id"]] = transaction
            charge["balance_transaction"] = transaction["id"]
        self.charges.add(charge, self.next_seq())
        self.emit(f"charge.{status}", charge, created)
        return charge

    def refund_charge(self, charge: dict[str, Any], *, many: bool = False, when: int | None = None) -> None:
        """A full or partial refund; `many`: twelve small ones (more than a charge embeds)."""
        rng = self.rng
        if charge["status"] != "succeeded" or not charge["captured"]:
            return
        amounts = [charge["amount"] // 20] * 12 if many else [
            charge["amount"] if rng.random() < 0.6 else charge["amount"] // 2
        ]  # fmt: skip
        moment = when or charge["created"]
        for index, amount in enumerate(amounts):
            moment = when or min(self.now, moment + rng.randrange(3600, 5 * DAY))
            status = "failed" if many and index == 11 else "succeeded"  # the card was closed meanwhile
            refund = {
                "id": self.new_id("re_3"),
                "object": "refund",
                "amount": amount,
                "balance_transaction": self.new_id("txn_3") if status == "succeeded" else None,
                "charge": charge["id"],
                "created": moment,
                "currency": charge["currency"],
                "metadata": {},
                "payment_intent": charge["payment_intent"],
                "reason": None
                if many
                else rng.choice(("requested_by_customer", "duplicate", "fraudulent", None)),
                "status": status,
            }
            self.refunds.add(refund, self.next_seq())
            if status == "succeeded":
                charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
            self.emit("refund.created", refund, moment)
            self.emit("charge.refunded", charge, moment)

    def add_invoice(
        self, customer: dict[str, Any], created: int, *, status: str | None = None
    ) -> dict[str, Any]:
        rng = self.rng
        currency = customer["currency"]
        total = rng.randrange(2_000, 300_000) if currency in ZERO_DECIMAL else rng.randrange(20, 3_000) * 100
        status = (
            status or rng.choices(("paid", "open", "draft", "void", "uncollectible"), (65, 15, 6, 7, 7))[0]
        )
        finalized = None if status == "draft" else created + 3600
        due = created + 30 * DAY if status != "draft" else None
        if status == "open" and rng.random() < 0.5:  # some still due, some overdue
            due = self.now + rng.randrange(2, 25) * DAY
        number = None
        if status != "draft":
            self.invoice_count += 1
            number = f"{self.invoice_prefix}-{self.invoice_count:04d}"
        paid = total if status == "paid" else 0
        invoice = {
            "id": self.new_id("in_1"),
            "object": "invoice",
            "amount_due": total,
            "amount_paid": paid,
            "amount_remaining": 0 if status in {"paid", "void"} else total - paid,
            "collection_method": "send_invoice",
            "created": created,
            "currency": currency,
            "customer": customer["id"],
            "customer_email": customer["email"],
            "customer_name": customer["name"],
            "due_date": due,
            "livemode": False,
            "number": number,
            "status": status,
            "status_transitions": {
                "finalized_at": finalized,
                "marked_uncollectible_at": created + 60 * DAY if status == "uncollectible" else None,
                "paid_at": created + rng.randrange(1, 30) * DAY if status == "paid" else None,
                "voided_at": created + DAY if status == "void" else None,
            },
            "subtotal": total,
            "total": total,
        }
        self.invoices.add(invoice, self.next_seq())
        self.emit("invoice.created", invoice, created)
        if finalized:
            self.emit("invoice.finalized", invoice, finalized)
        return invoice

    # -- reading -----------------------------------------------------------------------------------

    def render_charge(self, charge: dict[str, Any], expand: set[str]) -> dict[str, Any]:
        out = dict(charge)
        if "balance_transaction" in expand and charge["balance_transaction"]:
            out["balance_transaction"] = self.transactions[charge["balance_transaction"]]
        if "refunds" in expand:
            refunds = [r for r in map(self.refunds.objects.__getitem__, self.refunds.newest_first)
                       if r["charge"] == charge["id"]]  # fmt: skip
            out["refunds"] = {
                "object": "list",
                "data": refunds[:EMBEDDED_REFUNDS],
                "has_more": len(refunds) > EMBEDDED_REFUNDS,
                "total_count": len(refunds),
                "url": f"/v1/charges/{charge['id']}/refunds",
            }
        return out


def _ascii(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name).lower() if c.isascii() and c.isalpha())


class FakeStripe(FakeProvider):
    name = "stripe"
    oauth = None
    GOOD_KEY = "rk_test_51Binelek0Fake0Restricted0Key0f3a9c27d1e84b6"
    webhook_secret = "whsec_" + "c2e1f0a9b8d7c6e5f4a3b2c1d0e9f8a7"

    def __init__(self, *, count: int = 300, rate_limit: RateLimit | None = None, seed: int = 1) -> None:
        super().__init__(rate_limit=rate_limit)
        self.account = StripeAccount(count, seed)
        self.access_tokens[self.GOOD_KEY] = None

    # -- what the tests and the app need ----------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return {}

    def authorize_extras(self) -> dict[str, str]:
        return {}

    def redirect_extras(self) -> dict[str, str]:
        return {}

    def totals(self) -> dict[str, int]:
        with self.lock:
            account = self.account
            return {
                "customers": len(account.customers.objects),
                "payments": len(account.charges.objects),
                "refunds": sum(
                    1 for refund in account.refunds.objects.values() if refund["status"] != "failed"
                ),
                "invoices": len(account.invoices.objects),
            }

    def mutate(self) -> None:
        """A new customer with a new charge, one customer renamed, one customer deleted, one
        charge refunded in full and one open invoice paid."""
        with self.lock:
            account = self.account
            now = account.now = int(time.time())
            customer = account.add_customer(now)
            customer["name"] = "Rosa Quintero"
            customer["email"] = "rosa.quintero@example.com"
            account.add_charge(customer, now, status="succeeded")
            oldest = [account.customers.objects[i] for i in reversed(account.customers.newest_first)]
            renamed = oldest[0]
            renamed["name"], renamed["phone"] = f"{renamed['name'] or 'Sam Okafor'} Jr.", "+14155550199"
            account.emit("customer.updated", renamed, now)
            gone = oldest[1]
            account.customers.remove(gone["id"])
            account.deleted_customers.add(gone["id"])
            account.emit("customer.deleted", gone, now)
            charges = (account.charges.objects[i] for i in reversed(account.charges.newest_first))
            charge = next(
                (
                    c
                    for c in charges
                    if c["status"] == "succeeded" and c["captured"] and not c["amount_refunded"]
                ),
                None,
            ) or account.add_charge(oldest[0], now - 60, status="succeeded")
            self._full_refund(charge, now)
            invoices = (account.invoices.objects[i] for i in account.invoices.newest_first)
            invoice = next((i for i in invoices if i["status"] == "open"), None) or account.add_invoice(
                oldest[0], now - 60, status="open"
            )
            invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0)
            invoice["status_transitions"] = {**invoice["status_transitions"], "paid_at": now}
            account.emit("invoice.paid", invoice, now)
            account.emit("invoice.updated", invoice, now)

    def _full_refund(self, charge: dict[str, Any], now: int) -> None:
        account = self.account
        refund = {
            "id": account.new_id("re_3"), "object": "refund", "amount": charge["amount"],
            "balance_transaction": account.new_id("txn_3"), "charge": charge["id"], "created": now,
            "currency": charge["currency"], "metadata": {}, "payment_intent": charge["payment_intent"],
            "reason": "requested_by_customer", "status": "succeeded",
        }  # fmt: skip
        account.refunds.add(refund, account.next_seq())
        charge["amount_refunded"], charge["refunded"] = charge["amount"], True
        account.emit("refund.created", refund, now)
        account.emit("charge.refunded", charge, now)

    def latest_event(self) -> dict[str, Any]:
        with self.lock:
            events = self.account.events
            return events.objects[events.newest_first[0]]

    def webhook(
        self, url: str, *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The latest event as Stripe delivers it: the body, signed with the endpoint's secret."""
        event = self.latest_event()
        body = json.dumps(event, indent=2).encode()
        moment = int(time.time()) if timestamp is None else timestamp
        signed = f"{moment}.".encode() + body
        signature = hmac.new((secret or self.webhook_secret).encode(), signed, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": f"t={moment},v1={signature}",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        return body, headers

    # -- HTTP -------------------------------------------------------------------------------------

    def api_routes(self) -> Sequence[BaseRoute]:
        return [
            Route("/v1/balance", self._balance, methods=["GET"]),
            Route("/v1/customers", self._list_customers, methods=["GET"]),
            Route("/v1/customers/{id}", self._customer, methods=["GET"]),
            Route("/v1/charges", self._list_charges, methods=["GET"]),
            Route("/v1/charges/{id}", self._charge, methods=["GET"]),
            Route("/v1/refunds", self._list_refunds, methods=["GET"]),
            Route("/v1/invoices", self._list_invoices, methods=["GET"]),
            Route("/v1/invoices/{id}", self._invoice, methods=["GET"]),
            Route("/v1/events", self._list_events, methods=["GET"]),
        ]

    def bearer(self, request: Request, header: str = "authorization") -> str | None:
        value = request.headers.get(header, "")
        if value.lower().startswith("basic "):  # Stripe also takes the key as the Basic user name
            try:
                return base64.b64decode(value[6:]).decode().partition(":")[0]
            except ValueError:
                return None
        return super().bearer(request, header)

    def unauthorized(self) -> Response:
        message = "Invalid API Key provided: rk_test_*********************************Fake"
        return _json({"error": {"message": message, "type": "invalid_request_error"}}, 401)

    def too_many(self, wait: float) -> Response:
        error = StripeError(
            429,
            "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
            code="rate_limit",
        )
        return _json(error.body(), 429, {"Stripe-Rate-Limited-Reason": "global-rate"})

    async def _serve(self, request: Request, answer: Callable[[Request], dict[str, Any]]) -> Response:
        denied = self.guard(request)
        if denied is not None:
            return denied
        version = request.headers.get("stripe-version")
        if version is not None and not API_VERSION.match(version):
            return _json(StripeError(400, f"Invalid Stripe API version: {version}").body(), 400)
        try:
            with self.lock:
                return _json(answer(request))
        except StripeError as error:
            return _json(error.body(), error.status)

    async def _balance(self, request: Request) -> Response:
        return await self._serve(
            request,
            lambda _: {
                "object": "balance",
                "available": [{"amount": 1_254_300, "currency": "usd", "source_types": {"card": 1_254_300}}],
                "livemode": False,
                "pending": [{"amount": 48_210, "currency": "usd", "source_types": {"card": 48_210}}],
            },
        )

    async def _list_customers(self, request: Request) -> Response:
        def answer(query: Request) -> dict[str, Any]:
            customers = self.account.customers
            email = query.query_params.get("email")
            data, more = page_of(
                customers.newest_first, customers.objects, query, "customer",
                lambda customer: email is None or customer["email"] == email,
            )  # fmt: skip
            return {"object": "list", "data": data, "has_more": more, "url": "/v1/customers"}

        return await self._serve(request, answer)

    async def _customer(self, request: Request) -> Response:
        def answer(query: Request) -> dict[str, Any]:
            object_id = query.path_params["id"]
            if object_id in self.account.deleted_customers:
                return {"id": object_id, "object": "customer", "deleted": True}
            return _found(self.account.customers, object_id, "customer")

        return await self._serve(request, answer)

    async def _list_charges(self, request: Request) -> Response:
        def answer(query: Request) -> dict[str, Any]:
            charges = self.account.charges
            expand = _expansions(query, {"data.balance_transaction", "data.refunds"}, prefix="data.")
            customer = query.query_params.get("customer")
            data, more = page_of(
                charges.newest_first, charges.objects, query, "charge",
                lambda charge: customer is None or charge["customer"] == customer,
            )  # fmt: skip
            rendered = [self.account.render_charge(charge, expand) for charge in data]
            return {"object": "list", "data": rendered, "has_more": more, "url": "/v1/charges"}

        return await self._serve(request, answer)

    async def _charge(self, request: Request) -> Response:
        def answer(query: Request) -> dict[str, Any]:
            charge = _found(self.account.charges, query.path_params["id"], "charge")
            return self.account.render_charge(charge, _expansions(query, {"balance_transaction", "refunds"}))

        return await self._serve(request, answer)

    async def _list_refunds(self, request: Request) -> Response:
        def answer(query: Request) -> dict[str, Any]:
            refunds = self.account.refunds
            charge = query.query_params.get("charge")
            if charge is not None and charge not in self.account.charges.objects:
                raise StripeError(400, f"No such charge: '{charge}'", code="resource_missing", param="charge")
            data, more = page_of(
                refunds.newest_first, refunds.objects, query, "refund",
                lambda refund: charge is None or refund["charge"] == charge,
            )  # fmt: skip
            return {"object": "list", "data": data, "has_more": more, "url": "/v1/refunds"}

        return await self._serve(request, answer)

    async def _list_invoices(self, request: Request) -> Response:
        def answer(query: Request) -> dict[str, Any]:
            invoices = self.account.invoices
            status = query.query_params.get("status")
            data, more = page_of(
                invoices.newest_first, invoices.objects, query, "invoice",
                lambda invoice: status is None or invoice["status"] == status,
            )  # fmt: skip
            return {"object": "list", "data": data, "has_more": more, "url": "/v1/invoices"}

        return await self._serve(request, answer)

    async def _invoice(self, request: Request) -> Response:
        return await self._serve(
            request, lambda query: _found(self.account.invoices, query.path_params["id"], "invoice")
        )

    async def _list_events(self, request: Request) -> Response:
        def answer(query: Request) -> dict[str, Any]:
            events = self.account.events
            types = set(query.query_params.getlist("types[]"))
            single = query.query_params.get("type")
            if types and single:
                raise StripeError(
                    400, "You may only specify one of these parameters: type, types.", param="types"
                )
            if len(types) > 20:
                raise StripeError(400, "You may pass at most 20 types.", param="types")
            kept_since = int(time.time()) - EVENT_RETENTION

            def keep(event: dict[str, Any]) -> bool:
                if event["created"] < kept_since:
                    return False
                if types:
                    return event["type"] in types
                if single:
                    return event["type"] == single or (
                        single.endswith(".*") and event["type"].startswith(single[:-1])
                    )
                return True

            data, more = page_of(events.newest_first, events.objects, query, "event", keep)
            return {"object": "list", "data": data, "has_more": more, "url": "/v1/events"}

        return await self._serve(request, answer)


def _expansions(query: Request, allowed: set[str], prefix: str = "") -> set[str]:
    wanted = set(query.query_params.getlist("expand[]"))
    for path in wanted - allowed:
        raise StripeError(400, f"This property cannot be expanded ({path}).", param="expand")
    return {path.removeprefix(prefix) for path in wanted}


def _found(collection: Collection, object_id: str, kind: str) -> dict[str, Any]:
    obj = collection.objects.get(object_id)
    if obj is None:
        raise StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param="id")
    return obj


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"Request-Id": "req_" + secrets.token_hex(7), **(headers or {})},
    )
