"""A fake Square seller account behind Square's real Connect API v2 wire protocol.

Paths, request bodies, query parameters, cursors, `{"errors": [...]}` bodies and the OAuth API
(JSON token requests, `expires_at` instead of `expires_in`, `merchant_id`, refresh tokens that rotate
only in the PKCE flow, `Authorization: Client <secret>` revocation) follow Square's reference.
Behaviours a client can trip over are reproduced: ListPayments covers only the main location unless
told otherwise, and ListPayments/ListPaymentRefunds only the last year unless `begin_time` says so;
SearchOrders takes at most ten locations; cursors belong to the query that produced them.

Square documents no Retry-After on 429 RATE_LIMITED; the fake sends one so the client's honouring
of it is exercised (without it the client backs off exponentially).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
import string
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.base import CLIENT_ID, CLIENT_SECRET, FakeProvider, OAuthPolicy, RateLimit

Json = dict[str, Any]

FIRST_NAMES = [
    "Ava",
    "Liam",
    "Maya",
    "Noah",
    "Zoe",
    "Ethan",
    "Isla",
    "Lucas",
    "Mila",
    "Owen",
    "Nora",
    "Leo",
    "Aria",
    "Jack",
    "Ella",
    "Hugo",
    "Ruby",
    "Theo",
    "Lena",
    "Omar",
    "Priya",
    "Kenji",
    "Sofia",
    "Mateo",
]
LAST_NAMES = [
    "Garcia",
    "Nguyen",
    "Smith",
    "Patel",
    "Kim",
    "Johnson",
    "Brown",
    "Lopez",
    "Müller",
    "Rossi",
    "Okafor",
    "Tanaka",
    "Silva",
    "Chen",
    "Walker",
    "Haddad",
    "Novak",
    "Andersen",
    "Reyes",
    "Cohen",
]
CITIES = [
    ("Portland", "US"),
    ("Seattle", "US"),
    ("Oakland", "US"),
    ("Austin", "US"),
    ("Denver", "US"),
    ("Vancouver", "CA"),
    ("Boise", "US"),
    ("Tacoma", "US"),
]
CATALOG = {
    "Coffee": [
        ("Latte", ["Small", "Medium", "Large"], 425),
        ("Cappuccino", ["Small", "Large"], 400),
        ("Cold Brew", ["Regular"], 450),
        ("Americano", ["Small", "Large"], 325),
        ("Flat White", ["Regular"], 440),
        ("Mocha", ["Small", "Large"], 475),
    ],
    "Tea": [
        ("Chai Latte", ["Small", "Large"], 425),
        ("Matcha Latte", ["Regular"], 495),
        ("Earl Grey", ["Regular"], 300),
    ],
    "Bakery": [
        ("Croissant", ["Regular"], 375),
        ("Blueberry Muffin", ["Regular"], 350),
        ("Banana Bread", ["Slice", "Loaf"], 395),
        ("Cinnamon Roll", ["Regular"], 425),
    ],
    "Beans": [
        ("House Blend", ["12 oz", "2 lb"], 1600),
        ("Ethiopia Yirgacheffe", ["12 oz"], 2100),
        ("Decaf Colombia", ["12 oz"], 1700),
        ("Espresso Roast", ["12 oz", "2 lb"], 1650),
    ],
    "Merchandise": [
        ("Ceramic Mug", ["Black", "White"], 1800),
        ("Tote Bag", ["Regular"], 2200),
        ("Pour-Over Kit", ["Regular"], 3900),
    ],
}
TRACKED = {"Beans", "Merchandise", "Bakery"}
TAX_RATE = 0.0825
ID_ALPHABET = string.ascii_uppercase + string.digits
PAYMENT_ID_ALPHABET = string.ascii_letters + string.digits
ONE_YEAR = timedelta(days=365)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def money(amount: int, currency: str = "USD") -> Json:
    return {"amount": amount, "currency": currency}


def square_error(
    status: int, category: str, code: str, detail: str, field: str | None = None
) -> JSONResponse:
    error: Json = {"category": category, "code": code, "detail": detail}
    if field:
        error["field"] = field
    return JSONResponse({"errors": [error]}, status_code=status)


class FakeSquare(FakeProvider):
    name = "square"
    oauth = OAuthPolicy(
        authorize_path="/oauth2/authorize",
        token_path="/oauth2/token",
        revoke_path="/oauth2/revoke",
        access_seconds=30 * 86400,
        json_body=True,
    )
    webhook_secret = "sq-webhook-signature-key-7f3a9c"

    def __init__(
        self, *, count: int = 300, rate_limit: RateLimit | None = None, seed: int = 1, locations: int = 2
    ) -> None:
        super().__init__(rate_limit=rate_limit)
        self.rng = random.Random(seed)
        self.clock = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        self.merchant_id = self._id(13)
        self.pkce_refresh_tokens: set[str] = set()
        self.versions: list[str | None] = []  # Square-Version of every API call
        self.changed: dict[str, set[str]] = {}
        self.removed: dict[str, set[str]] = {}
        self.locations = [self._location(index) for index in range(locations)]
        self.categories: dict[str, Json] = {}
        self.items: dict[str, Json] = {}
        self.variations: dict[str, Json] = {}  # every variation, deleted ones too
        self.counts: dict[tuple[str, str], Json] = {}  # (variation id, location id) → count
        self.customers: dict[str, Json] = {}
        self.orders: dict[str, Json] = {}
        self.payments: dict[str, Json] = {}
        self.refunds: dict[str, Json] = {}
        self._build_catalog()
        for _ in range(max(5, count // 2)):
            self._add_customer(self._past())
        for _ in range(count):
            self._add_order(self._past())

    # -- what the tests read ----------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return {
            "merchant_id": self.merchant_id,
            "currency": "USD",
            "main_location_id": self.locations[0]["id"],
        }

    def authorize_extras(self) -> dict[str, str]:
        return {}

    def redirect_extras(self) -> dict[str, str]:
        return {}

    def totals(self) -> dict[str, int]:
        return {
            "products": len(self.live_variations()),
            "customers": len(self.customers),
            "orders": len(self.orders),
            "order_items": sum(len(order["line_items"]) for order in self.orders.values()),
            "payments": len(self.payments),
            "refunds": sum(1 for r in self.refunds.values() if r["status"] in ("PENDING", "COMPLETED")),
        }

    def live_variations(self) -> list[Json]:
        return [
            variation
            for item in self.items.values()
            if not item["is_deleted"]
            for variation in item["item_data"]["variations"]
        ]

    def mutate(self) -> None:
        """A new paid order, an open order completed, a customer edited, a price changed, a variation
        deleted and a stock count moved; `changed`/`removed` name what an incremental pass must see."""
        now = datetime.now(UTC)
        self.changed, self.removed = {}, {}
        order = self._add_order(now, state="COMPLETED", plain=True)
        self._note_order(order)
        self._note("payments", *[t["payment_id"] for t in order["tenders"]])
        open_order = next(
            (o for o in self.orders.values() if o["state"] == "OPEN"), next(iter(self.orders.values()))
        )
        open_order.update(state="COMPLETED", closed_at=iso(now), version=open_order["version"] + 1)
        open_order["updated_at"] = iso(now)
        self._note_order(open_order)
        customer = next(iter(self.customers.values()))
        customer.update(phone_number="+1-503-555-0199", updated_at=iso(now), version=customer["version"] + 1)
        self._note("customers", customer["id"])
        self._mutate_catalog(now)

    def touch_order(self, order_id: str) -> None:
        """An edit made now (a note, a fulfilment update): the order moves to the end by updated_at."""
        order = self.orders[order_id]
        order.update(updated_at=iso(datetime.now(UTC)), version=order["version"] + 1)

    def bulk_touch_orders(self, count: int) -> None:
        """A bulk change stamping `count` orders with one and the same updated_at."""
        stamp = iso(datetime.now(UTC))
        touched = list(self.orders.values())[:count]
        for order in touched:
            order.update(updated_at=stamp, version=order["version"] + 1)
        self.changed = {"orders": {order["id"] for order in touched}}

    def webhook(self, url: str) -> tuple[bytes, dict[str, str]]:
        order = next(iter(self.orders.values()))
        event = {
            "merchant_id": self.merchant_id,
            "type": "order.updated",
            "event_id": secrets.token_hex(16),
            "created_at": iso(datetime.now(UTC)),
            "data": {
                "type": "order_updated",
                "id": order["id"],
                "object": {
                    "order_updated": {
                        "order_id": order["id"],
                        "version": order["version"],
                        "location_id": order["location_id"],
                        "state": order["state"],
                        "created_at": order["created_at"],
                        "updated_at": order["updated_at"],
                    }
                },
            },
        }
        body = json.dumps(event).encode()
        return body, {"content-type": "application/json", **self.sign(url, body)}

    def sign(self, url: str, body: bytes, key: str | None = None) -> dict[str, str]:
        mac = hmac.new((key or self.webhook_secret).encode(), url.encode() + body, hashlib.sha256).digest()
        return {"x-square-hmacsha256-signature": base64.b64encode(mac).decode()}

    # -- routes -----------------------------------------------------------------------------------

    def api_routes(self) -> Sequence[BaseRoute]:
        return [
            Route("/v2/locations", self._locations, methods=["GET"]),
            Route("/v2/merchants/me", self._merchant, methods=["GET"]),
            Route("/v2/catalog/search", self._catalog_search, methods=["POST"]),
            Route("/v2/catalog/batch-retrieve", self._catalog_batch, methods=["POST"]),
            Route("/v2/inventory/counts/batch-retrieve", self._inventory_counts, methods=["POST"]),
            Route("/v2/customers", self._list_customers, methods=["GET"]),
            Route("/v2/customers/search", self._search_customers, methods=["POST"]),
            Route("/v2/orders/search", self._search_orders, methods=["POST"]),
            Route("/v2/payments", self._list_payments, methods=["GET"]),
            Route("/v2/refunds", self._list_refunds, methods=["GET"]),
        ]

    def guard(self, request: Request, *, header: str = "authorization") -> Response | None:
        self.versions.append(request.headers.get("square-version"))
        return super().guard(request, header=header)

    def unauthorized(self) -> Response:
        return square_error(
            401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", "This request could not be authorized."
        )

    def too_many(self, wait: float) -> Response:
        response = square_error(429, "RATE_LIMIT_ERROR", "RATE_LIMITED", "Rate limited.")
        response.headers["Retry-After"] = str(max(1, round(wait + 0.5)))
        return response

    async def _locations(self, request: Request) -> Response:
        return self.guard(request) or JSONResponse({"locations": self.locations})

    async def _merchant(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        merchant = {
            "id": self.merchant_id,
            "business_name": "Harbor Bean Coffee Co.",
            "country": "US",
            "language_code": "en-US",
            "currency": "USD",
            "status": "ACTIVE",
            "main_location_id": self.locations[0]["id"],
            "created_at": iso(self.clock - timedelta(days=900)),
        }
        return JSONResponse({"merchant": merchant})

    async def _catalog_search(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        body = await request.json()
        limit = int(body.get("limit") or 100)
        if not 1 <= limit <= 1000:
            return square_error(
                400, "INVALID_REQUEST_ERROR", "INVALID_VALUE", "limit must be 1-1000", "limit"
            )
        types = set(body.get("object_types") or ["ITEM", "CATEGORY"])
        begin = parse(body["begin_time"]) if body.get("begin_time") else None
        objects = [
            obj
            for obj in [*self.categories.values(), *self.items.values(), *self.variations.values()]
            if obj["type"] in types
            and (body.get("include_deleted_objects") or not obj["is_deleted"])
            and (begin is None or parse(obj["updated_at"]) > begin)
        ]
        objects.sort(key=lambda obj: obj["id"])
        offset = self._offset(body.get("cursor"), body)
        if offset is None:
            return self._bad_cursor()
        chunk = objects[offset : offset + limit]
        answer: Json = {"objects": chunk, "latest_time": self._latest_catalog_time()}
        if body.get("include_related_objects"):
            answer["related_objects"] = self._related(chunk)
        if offset + limit < len(objects):
            answer["cursor"] = self._cursor(offset + limit, body)
        return JSONResponse(answer)

    async def _catalog_batch(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        body = await request.json()
        ids = body.get("object_ids") or []
        if not ids or len(ids) > 1000:
            return square_error(
                400, "INVALID_REQUEST_ERROR", "INVALID_VALUE", "object_ids: 1-1000", "object_ids"
            )
        pool = {**self.categories, **self.items, **self.variations}
        objects = [
            pool[i]
            for i in ids
            if i in pool and (body.get("include_deleted_objects") or not pool[i]["is_deleted"])
        ]
        answer: Json = {"objects": objects}
        if body.get("include_related_objects"):
            answer["related_objects"] = self._related(objects)
        return JSONResponse(answer)

    async def _inventory_counts(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        body = await request.json()
        limit = int(body.get("limit") or 1000)
        ids = set(body.get("catalog_object_ids") or [])
        locations = set(body.get("location_ids") or [])
        states = set(body.get("states") or ["IN_STOCK"])
        after = parse(body["updated_after"]) if body.get("updated_after") else None
        counts = [
            count
            for (variation_id, location_id), count in sorted(self.counts.items())
            if (not ids or variation_id in ids)
            and (not locations or location_id in locations)
            and count["state"] in states
            and (after is None or parse(count["calculated_at"]) > after)
        ]
        offset = self._offset(body.get("cursor"), body)
        if offset is None:
            return self._bad_cursor()
        answer: Json = {"counts": counts[offset : offset + limit]}
        if offset + limit < len(counts):
            answer["cursor"] = self._cursor(offset + limit, body)
        return JSONResponse(answer)

    async def _list_customers(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        query = request.query_params
        limit = int(query.get("limit", "100"))
        if not 1 <= limit <= 100:
            return square_error(400, "INVALID_REQUEST_ERROR", "INVALID_VALUE", "limit must be 1-100", "limit")
        key = "created_at" if query.get("sort_field") == "CREATED_AT" else "id"
        customers = sorted(
            self.customers.values(),
            key=lambda c: (c[key], c["id"]),
            reverse=query.get("sort_order") == "DESC",
        )
        return self._paged("customers", customers, query.get("cursor"), limit, dict(query))

    async def _search_customers(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        body = await request.json()
        limit = int(body.get("limit") or 100)
        if not 1 <= limit <= 100:
            return square_error(400, "INVALID_REQUEST_ERROR", "INVALID_VALUE", "limit must be 1-100", "limit")
        query = body.get("query") or {}
        window = (query.get("filter") or {}).get("updated_at") or {}
        customers = [c for c in self.customers.values() if _within(c["updated_at"], window)]
        sort = query.get("sort") or {}
        key = "created_at" if sort.get("field") == "CREATED_AT" else "id"
        customers.sort(key=lambda c: (c[key], c["id"]), reverse=sort.get("order") == "DESC")
        return self._paged("customers", customers, body.get("cursor"), limit, body)

    async def _search_orders(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        body = await request.json()
        location_ids = body.get("location_ids") or []
        if not 1 <= len(location_ids) <= 10:
            return square_error(
                400,
                "INVALID_REQUEST_ERROR",
                "INVALID_VALUE",
                "location_ids must name 1 to 10 locations",
                "location_ids",
            )
        limit = int(body.get("limit") or 500)
        if not 1 <= limit <= 1000:
            return square_error(
                400, "INVALID_REQUEST_ERROR", "INVALID_VALUE", "limit must be 1-1000", "limit"
            )
        query = body.get("query") or {}
        time_filter = (query.get("filter") or {}).get("date_time_filter") or {}
        sort = query.get("sort") or {"sort_field": "CREATED_AT", "sort_order": "DESC"}
        field = {"UPDATED_AT": "updated_at", "CLOSED_AT": "closed_at"}.get(
            sort.get("sort_field"), "created_at"
        )
        filtered = [name for name, window in time_filter.items() if window]
        if filtered and filtered != [field]:
            return square_error(
                400,
                "INVALID_REQUEST_ERROR",
                "INVALID_SORT_ORDER",
                "the sort field must be the date_time_filter field",
                "query.sort.sort_field",
            )
        orders = [
            order
            for order in self.orders.values()
            if order["location_id"] in location_ids
            and all(_within(order.get(name) or "", window) for name, window in time_filter.items())
        ]
        orders.sort(key=lambda o: (o.get(field) or "", o["id"]), reverse=sort.get("sort_order") == "DESC")
        return self._paged("orders", orders, body.get("cursor"), limit, body)

    async def _list_payments(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        query = request.query_params
        location = query.get("location_id") or self.locations[0]["id"]  # the main location only
        payments = [p for p in self.payments.values() if p["location_id"] == location]
        return self._list_by_time("payments", payments, query)

    async def _list_refunds(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        query = request.query_params
        refunds = [
            r
            for r in self.refunds.values()
            if not query.get("location_id") or r["location_id"] == query["location_id"]
        ]
        return self._list_by_time("refunds", refunds, query)

    def _list_by_time(self, key: str, objects: list[Json], query: Any) -> Response:
        """ListPayments / ListPaymentRefunds: created_at window (default: the last year), optional
        updated_at window, sort by CREATED_AT (default) or UPDATED_AT, DESC by default."""
        now = datetime.now(UTC)
        begin = parse(query["begin_time"]) if query.get("begin_time") else now - ONE_YEAR
        end = parse(query["end_time"]) if query.get("end_time") else now
        updated = {"start_at": query.get("updated_at_begin_time"), "end_at": query.get("updated_at_end_time")}
        chosen = [
            obj
            for obj in objects
            if begin <= parse(obj["created_at"]) < end and _within(obj["updated_at"], updated)
        ]
        field = "updated_at" if query.get("sort_field") == "UPDATED_AT" else "created_at"
        chosen.sort(
            key=lambda obj: (obj[field], obj["id"]), reverse=query.get("sort_order", "DESC") == "DESC"
        )
        limit = int(query.get("limit", "100"))
        limit = limit if 1 <= limit <= 100 else 100  # Square ignores a larger limit
        return self._paged(key, chosen, query.get("cursor"), limit, dict(query))

    # -- OAuth as Square speaks it ----------------------------------------------------------------

    def _client_ok(self, request: Request, form: dict[str, str]) -> bool:
        """The PKCE flow may leave out the secret; when it is given it must be right."""
        if form.get("client_id") != CLIENT_ID:
            return False
        if "client_secret" in form:
            return form["client_secret"] == CLIENT_SECRET
        return "code_verifier" in form or form.get("refresh_token") in self.pkce_refresh_tokens

    def _exchange_code(self, form: dict[str, str]) -> Response:
        grant = self.grants.get(form.get("code", ""))
        pkce = grant is not None and grant.challenge is not None
        response = super()._exchange_code(form)
        if response.status_code == 200 and pkce:
            self.pkce_refresh_tokens.add(json.loads(bytes(response.body))["refresh_token"])
        return response

    def token_body(self, scope: str) -> dict[str, Any]:
        body = super().token_body(scope)
        del body["expires_in"]  # Square states the expiry as a moment
        body.update(
            expires_at=iso(datetime.now(UTC) + timedelta(days=30)).replace(".000", ""),
            merchant_id=self.merchant_id,
            short_lived=False,
        )
        return body

    def _refresh(self, form: dict[str, str]) -> Response:
        """Code flow: the same refresh token comes back. PKCE flow: a new one, the old one retired."""
        token = form.get("refresh_token", "")
        with self.lock:
            if not self.refresh_tokens.get(token):
                return JSONResponse(
                    {
                        "errors": [
                            {
                                "category": "AUTHENTICATION_ERROR",
                                "code": "UNAUTHORIZED",
                                "detail": "Invalid refresh token",
                            }
                        ],
                        "error": "invalid_grant",
                    },
                    status_code=401,
                )
            body = self.token_body("")
            if token in self.pkce_refresh_tokens:
                self.refresh_tokens[token] = False
                self.pkce_refresh_tokens.add(body["refresh_token"])
            else:
                self.refresh_tokens.pop(body["refresh_token"])
                body["refresh_token"] = token
        return JSONResponse(body)

    async def _revoke(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Client {CLIENT_SECRET}":
            return square_error(401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", "Not Authorized")
        body = await request.json()
        if body.get("client_id") != CLIENT_ID or not (body.get("access_token") or body.get("merchant_id")):
            return square_error(
                400, "INVALID_REQUEST_ERROR", "MISSING_REQUIRED_PARAMETER", "client_id and a token"
            )
        if body.get("access_token") and body["access_token"] not in self.access_tokens:
            return square_error(404, "INVALID_REQUEST_ERROR", "NOT_FOUND", "access token not found")
        # Square ends the whole authorization: every token of this seller for the app.
        self.revoked.append(body.get("access_token") or body["merchant_id"])
        self.access_tokens.clear()
        for token in self.refresh_tokens:
            self.refresh_tokens[token] = False
        return JSONResponse({"success": True})

    # -- paging -----------------------------------------------------------------------------------

    def _paged(self, key: str, objects: list[Json], cursor: str | None, limit: int, query: Any) -> Response:
        offset = self._offset(cursor, query)
        if offset is None:
            return self._bad_cursor()
        answer: Json = {key: objects[offset : offset + limit]} if objects[offset : offset + limit] else {}
        if offset + limit < len(objects):
            answer["cursor"] = self._cursor(offset + limit, query)
        return JSONResponse(answer)

    @staticmethod
    def _fingerprint(query: Any) -> str:
        """What a cursor is bound to: the request without its cursor."""
        fields = {key: value for key, value in dict(query).items() if key != "cursor"}
        return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:12]

    def _cursor(self, offset: int, query: Any) -> str:
        raw = json.dumps({"o": offset, "q": self._fingerprint(query)}).encode()
        return base64.urlsafe_b64encode(raw).decode()

    def _offset(self, cursor: str | None, query: Any) -> int | None:
        if not cursor:
            return 0
        try:
            decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        except ValueError:
            return None
        return int(decoded["o"]) if decoded.get("q") == self._fingerprint(query) else None

    def _bad_cursor(self) -> Response:
        return square_error(
            400, "INVALID_REQUEST_ERROR", "INVALID_CURSOR", "The cursor does not match the query."
        )

    # -- data -------------------------------------------------------------------------------------

    def _id(self, length: int = 24, alphabet: str = ID_ALPHABET) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def _past(self) -> datetime:
        """Spread over two years, so a reader that forgets ListPayments' one-year default misses some."""
        return self.clock - timedelta(seconds=self.rng.randint(3600, 730 * 86400))

    def _settled(self, created: datetime, later: timedelta) -> datetime:
        """When a generated object was last touched: some time after it was made, never after the
        fake's present (a mutation made now is touched now)."""
        return min(created + later, max(self.clock, created))

    def _note(self, entity: str, *ids: str) -> None:
        self.changed.setdefault(entity, set()).update(ids)

    def _note_order(self, order: Json) -> None:
        self._note("orders", order["id"])
        self._note("order_items", *[f"{order['id']}:{line['uid']}" for line in order["line_items"]])

    def _location(self, index: int) -> Json:
        names = ["Harbor Street", "Pearl District", "Alberta Arts", "Hawthorne", "Sellwood", "Kenton"]
        return {
            "id": "L" + self._id(12),
            "name": names[index % len(names)] + ("" if index < len(names) else f" {index}"),
            "status": "ACTIVE",
            "type": "PHYSICAL",
            "currency": "USD",
            "country": "US",
            "timezone": "America/Los_Angeles",
            "merchant_id": self.merchant_id,
            "business_name": "Harbor Bean Coffee Co.",
            "created_at": iso(self.clock - timedelta(days=800 - index)),
            "capabilities": ["CREDIT_CARD_PROCESSING"],
        }

    def _build_catalog(self) -> None:
        for category, products in CATALOG.items():
            created = self.clock - timedelta(days=760)
            category_id = self._id()
            self.categories[category_id] = {
                "type": "CATEGORY",
                "id": category_id,
                "updated_at": iso(created),
                "created_at": iso(created),
                "version": 1,
                "is_deleted": False,
                "present_at_all_locations": True,
                "category_data": {"name": category, "category_type": "REGULAR_CATEGORY"},
            }
            for name, sizes, price in products:
                self._add_item(name, sizes, price, category, category_id)
        retired = self._add_item(
            "Pumpkin Spice Latte", ["Regular"], 525, "Coffee", next(iter(self.categories))
        )
        retired["is_deleted"] = True  # a seasonal item, deleted long ago
        for variation in retired["item_data"]["variations"]:
            variation["is_deleted"] = True

    def _add_item(self, name: str, sizes: list[str], price: int, category: str, category_id: str) -> Json:
        created = self._past()
        updated = self._settled(created, timedelta(days=self.rng.randint(0, 30)))
        item_id = self._id()
        item = {
            "type": "ITEM",
            "id": item_id,
            "updated_at": iso(updated),
            "created_at": iso(created),
            "version": 1,
            "is_deleted": False,
            "present_at_all_locations": True,
            "item_data": {
                "name": name,
                "description": f"{name} from Harbor Bean",
                "product_type": "REGULAR",
                "categories": [{"id": category_id, "ordinal": 0}],
                "reporting_category": {"id": category_id},
                "variations": [],
            },
        }
        for ordinal, size in enumerate(sizes):
            variation_id = self._id()
            initials = "".join(word[0] for word in name.split()).upper()
            sku = f"{initials}-{size.split()[0].upper()[:3]}-{self.rng.randint(100, 999)}"
            variation = {
                "type": "ITEM_VARIATION",
                "id": variation_id,
                "updated_at": iso(updated),
                "created_at": iso(created),
                "version": 1,
                "is_deleted": False,
                "present_at_all_locations": True,
                "item_variation_data": {
                    "item_id": item_id,
                    "name": size,
                    "sku": sku,
                    "ordinal": ordinal,
                    "pricing_type": "FIXED_PRICING",
                    "price_money": money(price + ordinal * 75),
                    "track_inventory": category in TRACKED,
                    "sellable": True,
                    "stockable": True,
                },
            }
            item["item_data"]["variations"].append(variation)
            self.variations[variation_id] = variation
            if category in TRACKED:
                for location in self.locations:
                    self.counts[(variation_id, location["id"])] = {
                        "catalog_object_id": variation_id,
                        "catalog_object_type": "ITEM_VARIATION",
                        "state": "IN_STOCK",
                        "location_id": location["id"],
                        "quantity": str(self.rng.randint(0, 60)),
                        "calculated_at": iso(updated),
                    }
        self.items[item_id] = item
        return item

    def _mutate_catalog(self, now: datetime) -> None:
        stamp = iso(now)
        repriced = next(
            i for i in self.items.values() if not i["is_deleted"] and len(i["item_data"]["variations"]) == 1
        )
        variation = repriced["item_data"]["variations"][0]
        variation["item_variation_data"]["price_money"]["amount"] += 25
        variation.update(updated_at=stamp, version=variation["version"] + 1)
        repriced.update(updated_at=stamp, version=repriced["version"] + 1)
        self._note("products", variation["id"])
        trimmed = next(
            i for i in self.items.values() if not i["is_deleted"] and len(i["item_data"]["variations"]) >= 3
        )
        gone = trimmed["item_data"]["variations"].pop()
        gone.update(is_deleted=True, updated_at=stamp, version=gone["version"] + 1)
        trimmed.update(updated_at=stamp, version=trimmed["version"] + 1)
        self.removed["products"] = {gone["id"]}
        self._note("products", *[v["id"] for v in trimmed["item_data"]["variations"]])
        (variation_id, _location), count = next(
            (key, c)
            for key, c in self.counts.items()
            if key[0] not in self.changed["products"] and key[0] != gone["id"]
        )
        count.update(quantity=str(int(count["quantity"]) + 24), calculated_at=stamp)
        self._note("products", variation_id)

    def _latest_catalog_time(self) -> str:
        return max(
            obj["updated_at"]
            for obj in [*self.categories.values(), *self.items.values(), *self.variations.values()]
        )

    def _related(self, objects: list[Json]) -> list[Json]:
        """Objects the given ones reference by id: an item's categories, a variation's item."""
        related: dict[str, Json] = {}
        for obj in objects:
            if obj["type"] == "ITEM":
                for ref in obj["item_data"].get("categories", []):
                    related[ref["id"]] = self.categories[ref["id"]]
            elif obj["type"] == "ITEM_VARIATION":
                item_id = obj["item_variation_data"]["item_id"]
                related[item_id] = self.items[item_id]
        return list(related.values())

    def _add_customer(self, created: datetime) -> Json:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        city, country = self.rng.choice(CITIES)
        customer_id = self._id(26)
        customer: Json = {
            "id": customer_id,
            "created_at": iso(created),
            "updated_at": iso(created + timedelta(minutes=self.rng.randint(0, 60 * 24 * 90))),
            "given_name": first,
            "family_name": last,
            "preferences": {"email_unsubscribed": False},
            "creation_source": self.rng.choice(["DIRECTORY", "THIRD_PARTY", "APPOINTMENTS"]),
            "version": 1,
            "address": {
                "locality": city,
                "country": country,
                "postal_code": f"9{self.rng.randint(7000, 7299)}",
            },
        }
        if self.rng.random() < 0.9:  # some customers give only a name at the till
            customer["email_address"] = f"{first}.{last}{self.rng.randint(1, 99)}@example.com".replace(
                "ü", "u"
            )
        if self.rng.random() < 0.6:
            customer["phone_number"] = f"+1-503-555-{self.rng.randint(0, 9999):04d}"
        if parse(customer["updated_at"]) > self.clock:
            customer["updated_at"] = iso(self.clock)
        self.customers[customer_id] = customer
        return customer

    def _add_order(self, created: datetime, *, state: str | None = None, plain: bool = False) -> Json:
        """An order with its payments; `plain` leaves out the occasional declined card and refund."""
        rng = self.rng
        location = rng.choice(self.locations)
        online = rng.random() < 0.3
        state = state or rng.choices(["COMPLETED", "OPEN", "CANCELED"], [85, 10, 5])[0]
        live = self.live_variations()
        lines, gross = [], 0
        for _ in range(rng.randint(1, 4)):
            variation = rng.choice(live)
            data = variation["item_variation_data"]
            quantity = rng.randint(1, 3)
            price = data["price_money"]["amount"]
            lines.append(
                {
                    "uid": self._id(22, PAYMENT_ID_ALPHABET),
                    "catalog_object_id": variation["id"],
                    "catalog_version": variation["version"],
                    "quantity": str(quantity),
                    "name": self.items[data["item_id"]]["item_data"]["name"],
                    "variation_name": data["name"],
                    "base_price_money": money(price),
                    "gross_sales_money": money(price * quantity),
                    "item_type": "ITEM",
                }
            )
            gross += price * quantity
        discount = round(gross * 0.1) if rng.random() < 0.15 else 0
        tax = round((gross - discount) * TAX_RATE)
        shipping = 599 if online and rng.random() < 0.5 else 0
        total = gross - discount + tax + shipping
        for line in lines:  # spread discount and tax over the lines in proportion
            share = line["gross_sales_money"]["amount"] / gross
            line_discount, line_tax = round(discount * share), round(tax * share)
            line["total_discount_money"] = money(line_discount)
            line["total_tax_money"] = money(line_tax)
            line["total_money"] = money(line["gross_sales_money"]["amount"] - line_discount + line_tax)
        updated = self._settled(created, timedelta(minutes=rng.randint(1, 600)))
        order_id = self._id(27, PAYMENT_ID_ALPHABET)
        order: Json = {
            "id": order_id,
            "location_id": location["id"],
            "source": {"name": "Square Online" if online else "Square Point of Sale"},
            "line_items": lines,
            "net_amounts": {
                "total_money": money(total),
                "tax_money": money(tax),
                "discount_money": money(discount),
                "service_charge_money": money(shipping),
            },
            "total_money": money(total),
            "total_tax_money": money(tax),
            "total_discount_money": money(discount),
            "total_service_charge_money": money(shipping),
            "state": state,
            "version": rng.randint(1, 5),
            "created_at": iso(created),
            "updated_at": iso(updated),
            "tenders": [],
        }
        if rng.random() < 0.7 and self.customers:
            order["customer_id"] = rng.choice(list(self.customers))
        if online:
            recipient = {
                "display_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "email_address": f"buyer{rng.randint(1, 9999)}@example.net",
            }
            kind = "SHIPMENT" if shipping else "PICKUP"
            details = "shipment_details" if shipping else "pickup_details"
            order["fulfillments"] = [
                {
                    "uid": self._id(22, PAYMENT_ID_ALPHABET),
                    "type": kind,
                    "state": "COMPLETED" if state == "COMPLETED" else "PROPOSED",
                    details: {"recipient": recipient},
                }
            ]
        if state == "COMPLETED":
            order["closed_at"] = order["updated_at"]
        if state == "COMPLETED" or (state == "OPEN" and rng.random() < 0.5):
            self._pay(order, online, created, declines=not plain)
        if state == "COMPLETED" and not plain and rng.random() < 0.08:
            self._refund(order, created + timedelta(days=rng.randint(1, 20)))
        self.orders[order_id] = order
        return order

    def _pay(self, order: Json, online: bool, created: datetime, *, declines: bool) -> None:
        rng = self.rng
        total = order["total_money"]["amount"]
        if declines and rng.random() < 0.03:  # a declined card before the one that worked
            self._payment(order, created, "FAILED", "CARD")
        source = "CARD" if online else rng.choices(["CARD", "CASH", "WALLET"], [70, 20, 10])[0]
        payment = self._payment(
            order, created, "COMPLETED" if order["state"] == "COMPLETED" else "APPROVED", source
        )
        order["tenders"].append(
            {
                "id": payment["id"],
                "location_id": order["location_id"],
                "created_at": payment["created_at"],
                "amount_money": money(total),
                "type": "CARD" if source in ("CARD", "WALLET") else source,
                "payment_id": payment["id"],
            }
        )

    def _payment(self, order: Json, created: datetime, status: str, source: str) -> Json:
        total = order["total_money"]["amount"]
        payment_id = self._id(29, PAYMENT_ID_ALPHABET)
        updated = self._settled(created, timedelta(seconds=self.rng.randint(2, 90)))
        payment: Json = {
            "id": payment_id,
            "created_at": iso(created),
            "updated_at": iso(updated),
            "amount_money": money(total),
            "total_money": money(total),
            "approved_money": money(total),
            "status": status,
            "source_type": source,
            "location_id": order["location_id"],
            "order_id": order["id"],
            "receipt_number": payment_id[:4],
            "delay_action": "CANCEL",
        }
        if order.get("customer_id"):
            payment["customer_id"] = order["customer_id"]
        if source in ("CARD", "WALLET"):
            online = order["source"]["name"] == "Square Online"
            payment["card_details"] = {
                "status": "CAPTURED"
                if status == "COMPLETED"
                else ("FAILED" if status == "FAILED" else "AUTHORIZED"),
                "card": {
                    "card_brand": self.rng.choice(["VISA", "MASTERCARD", "AMERICAN_EXPRESS"]),
                    "last_4": f"{self.rng.randint(0, 9999):04d}",
                },
                "entry_method": "KEYED" if online else "EMV",
                "card_payment_timeline": {
                    "authorized_at": iso(created + timedelta(seconds=1)),
                    **({"captured_at": iso(updated)} if status == "COMPLETED" else {}),
                },
            }
            if status == "COMPLETED":
                fee = round(total * 0.029) + 30 if online else round(total * 0.026) + 10
                payment["processing_fee"] = [
                    {"effective_at": iso(updated), "type": "INITIAL", "amount_money": money(fee)}
                ]
        self.payments[payment_id] = payment
        return payment

    def _refund(self, order: Json, when: datetime) -> None:
        payment = self.payments[order["tenders"][0]["payment_id"]]
        total = order["total_money"]["amount"]
        amount = total if self.rng.random() < 0.5 else round(total * 0.4)
        status = self.rng.choices(["COMPLETED", "PENDING", "REJECTED"], [85, 10, 5])[0]
        when = min(when, self.clock)
        refund_id = f"{payment['id']}_{self._id(20, PAYMENT_ID_ALPHABET)}"
        refund = {
            "id": refund_id,
            "status": status,
            "location_id": order["location_id"],
            "amount_money": money(amount),
            "payment_id": payment["id"],
            "order_id": order["id"],
            "reason": self.rng.choice(
                ["Returned goods", "Wrong size", "Damaged in transit", "Customer request"]
            ),
            "created_at": iso(when),
            "updated_at": iso(when + timedelta(seconds=30)),
        }
        self.refunds[refund_id] = refund
        order_status = {"COMPLETED": "APPROVED"}.get(status, status)
        order["refunds"] = [
            {
                "id": refund_id,
                "location_id": order["location_id"],
                "tender_id": payment["id"],
                "created_at": refund["created_at"],
                "reason": refund["reason"],
                "amount_money": money(amount),
                "status": order_status,
            }
        ]
        if status == "COMPLETED":
            payment["refunded_money"] = money(amount)
            payment["refund_ids"] = [refund_id]
            payment["updated_at"] = refund["updated_at"]
            order["updated_at"] = max(order["updated_at"], refund["updated_at"])


def _within(value: str, window: dict[str, Any]) -> bool:
    """Square's TimeRange: start inclusive, end exclusive; a missing bound is open."""
    if not value:
        return not any(window.values())
    moment = parse(value)
    start, end = window.get("start_at"), window.get("end_at")
    return (not start or moment >= parse(start)) and (not end or moment < parse(end))
