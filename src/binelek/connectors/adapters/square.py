"""Square (Connect API v2): a seller's catalog, customers, orders, payments and refunds.

Every request carries a pinned `Square-Version`, so a Square release never changes what we parse.

- catalog → products, one per ITEM_VARIATION (the thing with a SKU and a price) named after its item.
  `POST /v2/catalog/search` with related objects (categories). Incremental passes ask for items and
  variations changed after the catalog's `latest_time` at the previous pass, deleted ones included
  (`is_deleted` → reported deleted), then for inventory counts calculated since the previous pass
  began (stock moves without touching the catalog). Stock is the IN_STOCK count summed over locations.
- customers → customers: `GET /v2/customers` for a full pass, `POST /v2/customers/search` filtered by
  `updated_at` afterwards. Square lists no deleted customers (only the `customer.deleted` webhook says).
- orders → orders + order_items: `POST /v2/orders/search` for at most ten locations at a time, filtered
  by `updated_at` and sorted by it ascending; the SKUs of the line items' variations come from one
  `batch-retrieve` per page.
- payments → payments: `GET /v2/payments` per location (it defaults to the main location only), sorted
  by `updated_at` with `updated_at_begin_time`; `processing_fee` is the fee.
- refunds → refunds: `GET /v2/refunds` (all locations at once), the same way. A refund that Square
  rejected or that failed is reported deleted: it never moved money.

Orders, payments and refunds are read as a keyset on `updated_at` (inclusive lower bound): every page
asks again from the newest timestamp read, skipping the ids already read at exactly it, because a
cursor over a list sorted by update time skips an object whenever one already read is edited and
moves to the end. The cursor is followed only while a whole page shares one timestamp. Square's lists
are eventually consistent, so the next pass starts no later than the current one began (by Square's
clock, the `Date` of its first answer, less a minute): a late arrival is read then, not lost.

Money is in the currency's minor unit (`{"amount": 450, "currency": "USD"}` is 4.50 USD).
Webhooks: `x-square-hmacsha256-signature` is the base64 HMAC-SHA256 of the notification URL followed
by the raw body, keyed by the subscription's signature key; the body names `event_id` and `type`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

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
from binelek.connectors.api_client import ApiClient
from binelek.connectors.providers import SQUARE, ProviderSpec

API = "https://connect.squareup.com"
SQUARE_VERSION = "2025-10-16"
EPOCH = "1970-01-01T00:00:00.000Z"  # ListPayments/ListRefunds default to one year back without it
PAGE_SIZE = 100  # customers, payments and refunds allow at most 100; orders and catalog more
SEARCH_ORDERS_MAX_LOCATIONS = 10
BATCH_RETRIEVE_MAX_IDS = 1000
SIGNATURE_HEADER = "x-square-hmacsha256-signature"
# A pass's start as Square's clock saw it, less this margin, bounds the next inventory read.
CLOCK_MARGIN = timedelta(seconds=60)

# ISO 4217 minor units that are not 2; Square's amounts are in the smallest unit.
ZERO_DECIMAL = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
MINOR_UNIT_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(ZERO_DECIMAL.split(), 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}

STREAMS_OF_EVENT: dict[str, tuple[str, ...]] = {
    "catalog": ("catalog",),
    "inventory": ("catalog",),
    "customer": ("customers",),
    "order": ("orders",),
    "payment": ("payments",),
    "refund": ("refunds", "payments"),  # a refund also changes its payment's refunded amount
}

Json = dict[str, Any]


class SquareAdapter(Adapter):
    spec: ClassVar[ProviderSpec] = SQUARE
    streams: ClassVar[tuple[str, ...]] = ("catalog", "customers", "orders", "payments", "refunds")
    token_json: ClassVar[bool] = True  # POST /oauth2/token takes a JSON body with the client credentials

    def base_url(self, config: Mapping[str, Any]) -> str:
        return f"{API}/v2"

    def auth_headers(self, context: ConnectionContext) -> dict[str, str]:
        return {"Authorization": f"Bearer {context.access_token}", "Square-Version": SQUARE_VERSION}

    async def check(self, api: ApiClient, context: ConnectionContext) -> None:
        await api.request("GET", f"{API}/v2/locations")

    async def fetch(
        self, api: ApiClient, context: ConnectionContext, stream: str, checkpoint: Checkpoint | None
    ) -> Page:
        state = dict(checkpoint or {})
        if stream == "catalog":
            return await self._catalog(api, state)
        if stream == "customers":
            return await self._customers(api, state)
        if stream == "orders":
            return await self._orders(api, state)
        if stream == "payments":
            return await self._payments(api, state)
        if stream == "refunds":
            return await self._refunds(api, state)
        raise ValueError(f"Square has no stream {stream!r}")

    # -- catalog ----------------------------------------------------------------------------------

    async def _catalog(self, api: ApiClient, state: Checkpoint) -> Page:
        if "phase" not in state:  # a new pass: remember where the previous one left off
            state = {
                "phase": "objects",
                "begin_time": state.get("begin_time"),
                "inventory_since": state.get("inventory_since"),
                "cursor": None,
            }
        if state["phase"] == "inventory":
            return await self._inventory_changes(api, state)
        incremental = state["begin_time"] is not None
        body: Json = {
            # A full pass reads items with their variations nested; an incremental one also asks for
            # variations on their own, the only way a variation deleted from a live item shows up.
            "object_types": ["ITEM", "ITEM_VARIATION"] if incremental else ["ITEM"],
            "include_related_objects": True,
            "include_deleted_objects": incremental,
            "limit": PAGE_SIZE,
        }
        if incremental:
            body["begin_time"] = state["begin_time"]
        if state.get("cursor"):
            body["cursor"] = state["cursor"]
        response = await api.request("POST", f"{API}/v2/catalog/search", json=body)
        data = response.json()
        if not state.get("pass_started"):
            state["pass_started"] = _iso(_server_time(response))
            state["latest_time"] = data.get("latest_time") or state["begin_time"]
        products, deleted = await self._catalog_page(api, data)
        page = Page(records={"products": products}, deleted={"products": deleted})
        if data.get("cursor"):
            page.checkpoint = {**state, "cursor": data["cursor"]}
        elif incremental:
            page.checkpoint = {**state, "phase": "inventory", "cursor": None}
        else:
            page.checkpoint, page.done = _next_catalog_pass(state), True
        return page

    async def _catalog_page(self, api: ApiClient, data: Json) -> tuple[list[Record], list[str]]:
        objects: list[Json] = data.get("objects") or []
        categories = _category_names(data.get("related_objects") or [])
        deleted: list[str] = []
        variations: dict[str, tuple[Json, Json]] = {}  # variation id → (variation, item)
        loose: list[str] = []  # live variations whose item is not on this page
        for obj in objects:
            if obj["type"] == "ITEM" and obj.get("is_deleted"):
                deleted += [v["id"] for v in obj.get("item_data", {}).get("variations") or []]
            elif obj["type"] == "ITEM":
                for variation in obj.get("item_data", {}).get("variations") or []:
                    if not variation.get("is_deleted"):
                        variations[variation["id"]] = (variation, obj)
            elif obj["type"] == "ITEM_VARIATION" and obj.get("is_deleted"):
                deleted.append(obj["id"])
            elif obj["type"] == "ITEM_VARIATION":
                loose.append(obj["id"])
        products = [product_record(v, item, categories) for v, item in variations.values()]
        products += await self._products_of(api, [i for i in loose if i not in variations])
        await _attach_inventory(api, products)
        return products, deleted

    async def _inventory_changes(self, api: ApiClient, state: Checkpoint) -> Page:
        """Variations whose stock changed since the previous pass began, re-read whole."""
        body: Json = {"states": ["IN_STOCK"], "limit": BATCH_RETRIEVE_MAX_IDS}
        if state.get("inventory_since"):
            body["updated_after"] = state["inventory_since"]
        if state.get("cursor"):
            body["cursor"] = state["cursor"]
        data = await api.post_json(f"{API}/v2/inventory/counts/batch-retrieve", json=body)
        changed = _unique(
            count["catalog_object_id"]
            for count in data.get("counts") or []
            if count.get("catalog_object_type", "ITEM_VARIATION") == "ITEM_VARIATION"
        )
        products = await self._products_of(api, changed)
        await _attach_inventory(api, products)
        page = Page(records={"products": products})
        if data.get("cursor"):
            page.checkpoint = {**state, "cursor": data["cursor"]}
        else:
            page.checkpoint, page.done = _next_catalog_pass(state), True
        return page

    async def _products_of(self, api: ApiClient, variation_ids: Sequence[str]) -> list[Record]:
        """Products for variations known only by id: the variations name their items, and the items
        (with their categories) hold the names and the nested variations."""
        if not variation_ids:
            return []
        found = await _batch_retrieve(api, variation_ids, related=False)
        wanted = {obj["id"] for obj in found["objects"] if obj["type"] == "ITEM_VARIATION"}
        item_ids = _unique(
            obj["item_variation_data"]["item_id"] for obj in found["objects"] if obj["id"] in wanted
        )
        items = await _batch_retrieve(api, item_ids, related=True)
        categories = _category_names(items["related_objects"])
        products: list[Record] = []
        for item in items["objects"]:
            if item["type"] != "ITEM" or item.get("is_deleted"):
                continue
            for variation in item.get("item_data", {}).get("variations") or []:
                if variation["id"] in wanted and not variation.get("is_deleted"):
                    products.append(product_record(variation, item, categories))
        return products

    # -- customers --------------------------------------------------------------------------------

    async def _customers(self, api: ApiClient, state: Checkpoint) -> Page:
        state = _start_pass(state)
        if state["since"] is None:  # a first pass lists everyone, oldest first
            params: Json = {"limit": PAGE_SIZE, "sort_field": "CREATED_AT", "sort_order": "ASC"}
            if state["cursor"]:
                params["cursor"] = state["cursor"]
            data = await _call(api, state, "GET", f"{API}/v2/customers", params=params)
        else:  # SearchCustomers filters on updated_at but sorts only by creation: cursor paging
            body: Json = {
                "limit": PAGE_SIZE,
                "query": {
                    "filter": {"updated_at": {"start_at": state["since"]}},
                    "sort": {"field": "CREATED_AT", "order": "ASC"},
                },
            }
            if state["cursor"]:
                body["cursor"] = state["cursor"]
            data = await _call(api, state, "POST", f"{API}/v2/customers/search", json=body)
        fresh = _keep_fresh(state, data.get("customers") or [], ordered=False)
        page = Page(records={"customers": [customer_record(c) for c in fresh]})
        if data.get("cursor"):
            page.checkpoint = {**state, "cursor": data["cursor"]}
        else:
            page.checkpoint, page.done = _next_pass(state), True
        return page

    # -- orders -----------------------------------------------------------------------------------

    async def _orders(self, api: ApiClient, state: Checkpoint) -> Page:
        state = _start_pass(state)
        if "locations" not in state:
            state["locations"], state["index"] = await _location_ids(api), 0
        groups = _chunks(state["locations"], SEARCH_ORDERS_MAX_LOCATIONS)
        if not groups:
            return _empty_pass(state, "orders", "order_items")
        bound = state["at"]
        body: Json = {
            "location_ids": groups[state["index"]],
            "limit": PAGE_SIZE,
            "return_entries": False,
            "query": {
                # Square requires the sort field to be the filtered one.
                "filter": {"date_time_filter": {"updated_at": {"start_at": bound or EPOCH}}},
                "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"},
            },
        }
        if state["cursor"]:
            body["cursor"] = state["cursor"]
        data = await _call(api, state, "POST", f"{API}/v2/orders/search", json=body)
        fresh = _keep_fresh(state, data.get("orders") or [])
        skus = await _variation_skus(api, fresh)
        page = Page(
            records={
                "orders": [order_record(order) for order in fresh],
                "order_items": [item for order in fresh for item in order_item_records(order, skus)],
            }
        )
        _finish_located_page(page, state, data.get("cursor"), bound, len(groups))
        return page

    # -- payments and refunds ---------------------------------------------------------------------

    async def _payments(self, api: ApiClient, state: Checkpoint) -> Page:
        state = _start_pass(state)
        if "locations" not in state:
            state["locations"], state["index"] = await _location_ids(api), 0
        if not state["locations"]:
            return _empty_pass(state, "payments")
        bound = state["at"]
        # ListPayments reads the main location unless told otherwise: one location at a time.
        params = {**_updated_params(state), "location_id": state["locations"][state["index"]]}
        data = await _call(api, state, "GET", f"{API}/v2/payments", params=params)
        fresh = _keep_fresh(state, data.get("payments") or [])
        page = Page(records={"payments": [payment_record(p) for p in fresh]})
        _finish_located_page(page, state, data.get("cursor"), bound, len(state["locations"]))
        return page

    async def _refunds(self, api: ApiClient, state: Checkpoint) -> Page:
        state = _start_pass(state)
        bound = state["at"]
        # Unlike ListPayments, ListPaymentRefunds covers every location when none is named.
        data = await _call(api, state, "GET", f"{API}/v2/refunds", params=_updated_params(state))
        fresh = _keep_fresh(state, data.get("refunds") or [])
        moved = [refund for refund in fresh if refund.get("status") in ("PENDING", "COMPLETED")]
        void = [refund["id"] for refund in fresh if refund.get("status") not in ("PENDING", "COMPLETED")]
        page = Page(records={"refunds": [refund_record(r) for r in moved]}, deleted={"refunds": void})
        if following := _next_page(state, data.get("cursor"), bound):
            page.checkpoint = following
        else:
            page.checkpoint, page.done = _next_pass(state), True
        return page

    # -- OAuth specifics --------------------------------------------------------------------------

    async def after_token(
        self, api: ApiClient, token: Mapping[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        """Keep the seller's id (webhooks name it) and home currency (priceless variations use it)."""
        headers = {"Authorization": f"Bearer {token['access_token']}", "Square-Version": SQUARE_VERSION}
        data = await api.get_json(f"{API}/v2/merchants/me", headers=headers, authenticated=False)
        merchant = data.get("merchant") or {}
        return {
            **config,
            "merchant_id": token.get("merchant_id") or merchant.get("id"),
            "currency": merchant.get("currency"),
            "main_location_id": merchant.get("main_location_id"),
        }

    async def revoke(self, api: ApiClient, context: ConnectionContext, client: Mapping[str, str]) -> None:
        """RevokeToken ends every token of the seller's grant; it authenticates with the app secret."""
        await api.request(
            "POST",
            f"{API}/oauth2/revoke",
            json={"client_id": client["client_id"], "access_token": context.access_token},
            headers={"Authorization": f"Client {client['client_secret']}", "Square-Version": SQUARE_VERSION},
            authenticated=False,
        )

    # -- webhooks ---------------------------------------------------------------------------------

    def verify_webhook(self, request: WebhookRequest, secret: str) -> WebhookResult:
        expected = hmac_sha256(secret, request.url.encode() + request.body, "base64")
        if not signatures_match(expected, request.headers.get(SIGNATURE_HEADER)):
            raise SignatureInvalid("x-square-hmacsha256-signature does not match the URL and body")
        try:
            event = json.loads(request.body)
            event_id, event_type = str(event["event_id"]), str(event["type"])
        except (ValueError, KeyError, TypeError):
            raise SignatureInvalid("the signed body is not a Square event") from None
        streams = STREAMS_OF_EVENT.get(event_type.split(".", 1)[0], ())
        return WebhookResult(notices=(WebhookNotice(event_id=event_id, type=event_type, streams=streams),))


ADAPTER = SquareAdapter()


# -- mapping ----------------------------------------------------------------------------------------


def product_record(variation: Json, item: Json, categories: Mapping[str, str]) -> Record:
    data = variation.get("item_variation_data") or {}
    item_data = item.get("item_data") or {}
    price = data.get("price_money")
    item_name = item_data.get("name") or data.get("name") or variation["id"]
    variation_name = data.get("name")
    only_one = len(item_data.get("variations") or []) <= 1
    # An item's only variation is usually called "Regular": its name adds nothing.
    name = item_name if only_one or not variation_name else f"{item_name} - {variation_name}"
    return {
        "sku": (data.get("sku") or "").strip(),
        "name": name,
        "category": categories.get(_category_id(item_data) or ""),
        # Variable-priced variations are priced at the till; the catalog holds no price for them.
        "price": money(price) if price else Decimal(0),
        "cost": None,  # Square's catalog keeps no unit cost
        "currency": (price or {}).get("currency") or _currency_of(item_data),
        "inventory": None,  # filled from the inventory counts
        "source_id": variation["id"],
        "source_updated_at": max(_times(variation.get("updated_at"), item.get("updated_at")), default=None),
    }


def customer_record(customer: Json) -> Record:
    address = customer.get("address") or {}
    email = (customer.get("email_address") or "").strip().lower() or None
    person = " ".join(p for p in (customer.get("given_name"), customer.get("family_name")) if p)
    return {
        "email": email,
        "name": person or customer.get("company_name") or customer.get("nickname") or email or customer["id"],
        "phone": customer.get("phone_number"),
        "country": address.get("country"),
        "city": address.get("locality"),
        "source_created_at": parse_time(customer.get("created_at")),
        "source_id": customer["id"],
        "source_updated_at": parse_time(customer.get("updated_at")),
    }


def order_record(order: Json) -> Record:
    total = order.get("total_money") or {"amount": 0, "currency": "USD"}
    currency = total["currency"]
    gross = sum((money(i.get("gross_sales_money")) for i in order.get("line_items") or []), Decimal(0))
    record: Record = {
        # Square orders have no human number; the seller's own reference is the closest thing.
        "order_number": order.get("reference_id") or order.get("ticket_name") or order["id"],
        "customer_email": _recipient_email(order),
        "status": order_status(order),
        "currency": currency,
        "subtotal": gross,
        "discount": money(order.get("total_discount_money"), currency),
        "tax": money(order.get("total_tax_money"), currency),
        # Square bills shipping as a service charge; other service charges are folded in too.
        "shipping": money(order.get("total_service_charge_money"), currency),
        "total": money(total),
        "placed_at": parse_time(order.get("created_at")),
        "channel": (order.get("source") or {}).get("name"),
        "source_id": order["id"],
        "source_updated_at": parse_time(order.get("updated_at")),
    }
    if order.get("customer_id"):
        record["_customer"] = order["customer_id"]
    return record


def order_status(order: Json) -> str:
    state = order.get("state")
    if state == "CANCELED":
        return "cancelled"
    total = int((order.get("total_money") or {}).get("amount") or 0)
    refunded = sum(
        int((refund.get("amount_money") or {}).get("amount") or 0)
        for refund in order.get("refunds") or []
        if refund.get("status") in ("APPROVED", "COMPLETED")
    )
    if refunded and refunded >= total:
        return "refunded"
    if refunded:
        return "partially_refunded"
    fulfillments = order.get("fulfillments") or []
    if state == "COMPLETED":
        # A completed sale without fulfilments was handed over at the counter.
        open_fulfilments = [f for f in fulfillments if f.get("state") not in ("COMPLETED", "CANCELED")]
        return "paid" if open_fulfilments else "fulfilled"
    return "paid" if order.get("tenders") else "pending"


def order_item_records(order: Json, skus: Mapping[str, str]) -> list[Record]:
    records: list[Record] = []
    for line in order.get("line_items") or []:
        variation_id = line.get("catalog_object_id")
        record: Record = {
            "sku": skus.get(variation_id or "", ""),
            # Weighed goods have decimal quantities ("1.25"); the schema counts whole units.
            "quantity": int(Decimal(str(line.get("quantity") or "0")).to_integral_value()),
            "unit_price": money(line.get("base_price_money")),
            "line_total": money(line.get("total_money")),
            "source_id": f"{order['id']}:{line['uid']}",
            "source_updated_at": parse_time(order.get("updated_at")),
            "_order": order["id"],
        }
        if variation_id:
            record["_product"] = variation_id
        records.append(record)
    return records


def payment_record(payment: Json) -> Record:
    total = payment.get("total_money") or payment.get("amount_money") or {"amount": 0, "currency": "USD"}
    fees = payment.get("processing_fee") or []
    timeline = (payment.get("card_details") or {}).get("card_payment_timeline") or {}
    captured = timeline.get("captured_at")
    record: Record = {
        "status": payment_status(payment),
        "method": (payment.get("source_type") or "").lower() or None,
        "amount": money(total),
        "fee": sum((money(fee.get("amount_money")) for fee in fees), Decimal(0)) if fees else None,
        "currency": total["currency"],
        "paid_at": parse_time(captured or payment.get("created_at")),
        "source_id": payment["id"],
        "source_updated_at": parse_time(payment.get("updated_at")),
    }
    if payment.get("order_id"):
        record["_order"] = payment["order_id"]
    return record


def payment_status(payment: Json) -> str:
    status = payment.get("status")
    if status == "COMPLETED":
        total = int((payment.get("total_money") or {}).get("amount") or 0)
        refunded = int((payment.get("refunded_money") or {}).get("amount") or 0)
        return "refunded" if refunded and refunded >= total else "succeeded"
    if status in ("CANCELED", "FAILED"):
        return "failed"
    return "pending"  # APPROVED (authorized, not captured) and PENDING


def refund_record(refund: Json) -> Record:
    amount = refund.get("amount_money") or {"amount": 0, "currency": "USD"}
    record: Record = {
        "reason": refund.get("reason"),
        "amount": money(amount),
        "currency": amount["currency"],
        "refunded_at": parse_time(refund.get("created_at")),
        "source_id": refund["id"],
        "source_updated_at": parse_time(refund.get("updated_at")),
    }
    if refund.get("order_id"):
        record["_order"] = refund["order_id"]
    if refund.get("payment_id"):
        record["_payment"] = refund["payment_id"]
    return record


def money(value: Mapping[str, Any] | None, currency: str | None = None) -> Decimal:
    """A Square Money object in major units; a missing one is zero."""
    if not value:
        return Decimal(0)
    code = str(value.get("currency") or currency or "USD").upper()
    exponent = MINOR_UNIT_EXPONENTS.get(code, 2)
    return Decimal(int(value.get("amount") or 0)).scaleb(-exponent)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _stamp(value: str) -> str:
    """One spelling per instant, so timestamps compare as strings."""
    moment = parse_time(value)
    assert moment is not None
    return _iso(moment)


def _times(*values: str | None) -> list[datetime]:
    return [moment for moment in (parse_time(value) for value in values) if moment is not None]


def _category_names(objects: Iterable[Json]) -> dict[str, str]:
    return {
        obj["id"]: obj.get("category_data", {}).get("name") or ""
        for obj in objects
        if obj.get("type") == "CATEGORY"
    }


def _category_id(item_data: Json) -> str | None:
    """The reporting category, else the first category, else the deprecated single category."""
    reporting = (item_data.get("reporting_category") or {}).get("id")
    listed = [c.get("id") for c in item_data.get("categories") or [] if c.get("id")]
    return reporting or (listed[0] if listed else None) or item_data.get("category_id")


def _currency_of(item_data: Json) -> str:
    for variation in item_data.get("variations") or []:
        price = variation.get("item_variation_data", {}).get("price_money")
        if price and price.get("currency"):
            return str(price["currency"])
    return "USD"


def _recipient_email(order: Json) -> str | None:
    for fulfillment in order.get("fulfillments") or []:
        for details in ("shipment_details", "pickup_details", "delivery_details"):
            email = ((fulfillment.get(details) or {}).get("recipient") or {}).get("email_address")
            if email:
                return str(email).strip().lower()
    return None


# -- requests ---------------------------------------------------------------------------------------


async def _location_ids(api: ApiClient) -> list[str]:
    data = await api.get_json(f"{API}/v2/locations")
    return [location["id"] for location in data.get("locations") or []]


async def _batch_retrieve(api: ApiClient, object_ids: Sequence[str], *, related: bool) -> Json:
    found: Json = {"objects": [], "related_objects": []}
    for chunk in _chunks(list(object_ids), BATCH_RETRIEVE_MAX_IDS):
        body = {"object_ids": chunk, "include_related_objects": related, "include_deleted_objects": True}
        data = await api.post_json(f"{API}/v2/catalog/batch-retrieve", json=body)
        found["objects"] += data.get("objects") or []
        found["related_objects"] += data.get("related_objects") or []
    return found


async def _variation_skus(api: ApiClient, orders: Sequence[Json]) -> dict[str, str]:
    """SKUs of the variations the orders sold; deleted variations still name theirs."""
    ids = _unique(
        line["catalog_object_id"]
        for order in orders
        for line in order.get("line_items") or []
        if line.get("catalog_object_id")
    )
    if not ids:
        return {}
    found = await _batch_retrieve(api, ids, related=False)
    return {
        obj["id"]: obj.get("item_variation_data", {}).get("sku") or ""
        for obj in found["objects"]
        if obj["type"] == "ITEM_VARIATION"
    }


async def _attach_inventory(api: ApiClient, products: list[Record]) -> None:
    """IN_STOCK counts summed over the locations; untracked variations keep None."""
    ids = [product["source_id"] for product in products]
    stock: dict[str, Decimal] = {}
    for chunk in _chunks(ids, BATCH_RETRIEVE_MAX_IDS):
        cursor: str | None = None
        while True:
            body: Json = {
                "catalog_object_ids": chunk,
                "states": ["IN_STOCK"],
                "limit": BATCH_RETRIEVE_MAX_IDS,
            }
            if cursor:
                body["cursor"] = cursor
            data = await api.post_json(f"{API}/v2/inventory/counts/batch-retrieve", json=body)
            for count in data.get("counts") or []:
                key = count["catalog_object_id"]
                stock[key] = stock.get(key, Decimal(0)) + Decimal(str(count.get("quantity") or "0"))
            cursor = data.get("cursor")
            if not cursor:
                break
    for product in products:
        if product["source_id"] in stock:
            product["inventory"] = int(stock[product["source_id"]])


def _updated_params(state: Checkpoint) -> Json:
    params: Json = {"begin_time": EPOCH, "sort_field": "UPDATED_AT", "sort_order": "ASC", "limit": PAGE_SIZE}
    if state["at"]:
        params["updated_at_begin_time"] = state["at"]
    if state["cursor"]:
        params["cursor"] = state["cursor"]
    return params


async def _call(api: ApiClient, state: Checkpoint, method: str, url: str, **kwargs: Any) -> Json:
    """One request of a watermarked pass; the first one's Date marks when the pass began."""
    response = await api.request(method, url, **kwargs)
    if state.get("pass_started") is None:
        state["pass_started"] = _iso(_server_time(response))
    body: Json = response.json()
    return body


def _server_time(response: httpx.Response) -> datetime:
    """The provider's clock at the answer, less a margin; ours if it sent no Date."""
    try:
        moment = parsedate_to_datetime(response.headers["date"])
    except (KeyError, TypeError, ValueError):
        moment = datetime.now(UTC)
    return moment - CLOCK_MARGIN


# -- checkpoints: an updated_at watermark read as a keyset -----------------------------------------
#
# `since`/`seen`: the lower bound of this pass (inclusive) and the ids already read at exactly it.
# `at`/`at_ids`: where the current query sequence has got to (the newest timestamp read from it and
#   the ids read at it). Each page asks again from `at` rather than following the cursor: a cursor
#   over a list sorted by update time skips an object whenever one already read is edited and moves
#   to the end. The cursor is only followed while a whole page shares one timestamp.
# `high`/`high_ids`: the newest timestamp read in the whole pass and the ids read at it.
# `pass_started`: Square's clock at the pass's first answer, less a margin.


def _start_pass(state: Checkpoint) -> Checkpoint:
    if "high" in state:
        return state
    since, seen = state.get("since"), state.get("seen", [])
    return {
        "since": since,
        "seen": seen,
        "at": since,
        "at_ids": seen,
        "high": None,
        "high_ids": [],
        "cursor": None,
        "pass_started": None,
    }


def _keep_fresh(state: Checkpoint, objects: Sequence[Json], *, ordered: bool = True) -> list[Json]:
    """Drop what was read already; advance the watermarks. `ordered`: the answer is sorted by
    updated_at ascending, so anything older than `at` was read earlier in this sequence."""
    seen = set(state["seen"])
    at, at_ids = state["at"], set(state["at_ids"])
    fresh: list[Json] = []
    for obj in objects:
        stamp = _stamp(obj.get("updated_at") or obj.get("created_at") or EPOCH)
        if stamp == state["since"] and obj["id"] in seen:
            continue
        if ordered and at is not None and (stamp < at or (stamp == at and obj["id"] in at_ids)):
            continue
        fresh.append(obj)
        _raise_mark(state, "high", stamp, obj["id"])
        if ordered:
            _raise_mark(state, "at", stamp, obj["id"])
    return fresh


def _raise_mark(state: Checkpoint, key: str, stamp: str, object_id: str) -> None:
    if state[key] is None or stamp > state[key]:
        state[key], state[f"{key}_ids"] = stamp, [object_id]
    elif stamp == state[key]:
        state[f"{key}_ids"] = _unique([*state[f"{key}_ids"], object_id])


def _next_page(state: Checkpoint, cursor: str | None, bound: str | None) -> Checkpoint | None:
    """The next request of this query sequence, or None when it is exhausted."""
    if not cursor:
        return None
    if state["at"] != bound:
        return {**state, "cursor": None}  # ask again from the newest timestamp read
    return {**state, "cursor": cursor}  # a page-full of one timestamp: only the cursor moves on


def _finish_located_page(
    page: Page, state: Checkpoint, cursor: str | None, bound: str | None, locations: int
) -> None:
    """Next page of this location (group), else the next location, else the pass is over."""
    if following := _next_page(state, cursor, bound):
        page.checkpoint = following
    elif state["index"] + 1 < locations:
        restart = {"at": state["since"], "at_ids": state["seen"], "cursor": None}
        page.checkpoint = {**state, **restart, "index": state["index"] + 1}
    else:
        page.checkpoint, page.done = _next_pass(state), True


def _next_pass(state: Checkpoint) -> Checkpoint:
    since, seen = state["since"], state["seen"]
    if state["high"] is not None and state["high"] == since:
        seen = _unique([*seen, *state["high_ids"]])
    elif state["high"] is not None:
        since, seen = state["high"], state["high_ids"]
    # Square's lists are eventually consistent ("changes might take several seconds to appear"):
    # the next pass starts no later than this one began, so a late arrival is still read.
    started = state.get("pass_started")
    if started and since and started < since:
        since, seen = started, []
    return {"since": since, "seen": seen}


def _empty_pass(state: Checkpoint, *entities: str) -> Page:
    return Page(records={entity: [] for entity in entities}, checkpoint=_next_pass(state), done=True)


def _next_catalog_pass(state: Checkpoint) -> Checkpoint:
    return {"begin_time": state.get("latest_time"), "inventory_since": state.get("pass_started")}


def _chunks(values: list[str], size: int) -> list[list[str]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
