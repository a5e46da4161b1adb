"""Shopify: the GraphQL Admin API (version 2025-07) read into products, customers, orders, order
items and refunds.

Every call is `POST https://{shop}.myshopify.com/admin/api/2025-07/graphql.json` with the
`X-Shopify-Access-Token` header: an OAuth offline token (expiring, refreshed by the engine) or a
custom app's Admin API token; the connection config holds `shop` ("acme" or "acme.myshopify.com").

Streams, parents first:
- `products` → products. ONE RECORD PER VARIANT: the variant is what is sold (its own SKU, price,
  cost and stock) and what order lines point at, so `source_id` is the variant's gid and the name is
  "Product title - Variant title" (just the title for a product's single "Default Title" variant).
  A variant without a SKU keeps an empty `sku`. `currency` is the shop's currency.
- `customers` → customers (email from `defaultEmailAddress`, phone from `defaultPhoneNumber`).
- `orders` → orders, then order_items and refunds. Money is the shop-currency side of each
  `MoneyBag`; `subtotal` is Shopify's subtotal (after discounts) plus `totalDiscounts`, so that
  total = subtotal - discount + tax + shipping as the common schema defines it.

Paging is cursor-based (`first`/`after`, `pageInfo { hasNextPage endCursor }`), sorted by
`UPDATED_AT`; the incremental pass filters with `query: "updated_at:>='<last seen>'"` and skips the
records already read at exactly that second (kept in the checkpoint), so a re-read boundary never
returns twice. Nested connections longer than one page (variants, line items, refunds) are completed
with a follow-up query on that one product or order. Shopify's cost limit keeps one query's page
small (22 orders), so one engine page gathers consecutive queries up to `nodes_per_page` records.

Deletions: the products/customers/orders connections report none. Shopify's `events` query lists
product deletions by product id only, which cannot name the per-variant records stored here; the
`products/delete` and `customers/delete` webhooks trigger a sync but cannot remove rows either. So
deleted Shopify records stay until the connection's data is cleared. Without the `read_all_orders`
scope Shopify only serves the last 60 days of orders.

Rate limiting is by calculated query cost: each answer's `extensions.cost` reports the query's
requested and actual cost and the leaky bucket (`maximumAvailable`, `currentlyAvailable`,
`restoreRate`). The adapter keeps a `CostMeter` per `ApiClient`: before each query it waits only
until the bucket (as last reported, plus what has restored since) holds the query's requested cost,
so a long sync is not throttled yet keeps the bucket draining at its restore rate; a `THROTTLED`
answer anyway (another app-side client on the same shop) waits (cost - available) / restoreRate and
retries. `ADAPTER.meter(api)` exposes the points spent and seconds waited.
"""

from __future__ import annotations

import asyncio
import re
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

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
from binelek.connectors.providers import SHOPIFY

log = structlog.get_logger(__name__)

API_VERSION = "2025-07"
SHOP_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
SHOP_HOST = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-]*\.myshopify\.com$")
MAX_THROTTLED_RETRIES = 10  # THROTTLED this often in a row: the bucket is shared with a busier client
SAFETY_POINTS = 1.0  # waited for beyond a query's cost: the reported bucket is rounded
BOUNDARY_IDS_KEPT = 500  # more records updated in one second than this: fall back to a strict ">" filter

# Requested cost, by Shopify's documented rules: a scalar costs 0, an object 1, a connection
# 2 + first x (1 + its node's fields), pageInfo 1. One query may cost at most 1,000 points; page sizes
# are chosen per query from that and from how fast the bucket refills (see CostMeter.cost_budget).
MAX_QUERY_COST = 1000.0
NODES_PER_PAGE = 500  # records of the stream per engine page (several queries' worth)
VARIANTS_PER_PRODUCT = 20
LINE_ITEMS_PER_ORDER = 5
REFUNDS_PER_ORDER = 3
FOLLOW_UP_PAGE = 100
MIN_COST_BUDGET = 300.0  # never page smaller than this much requested cost
RTT_SMOOTHING = 0.3  # weight of the latest round trip in the moving average
# The follow-up queries' requested cost, until Shopify reports it.
EXPECTED_COST = {"variants": 304.0, "line_items": 404.0, "refunds": 301.0, "shop": 1.0}


@dataclass(frozen=True, slots=True)
class StreamQuery:
    """A stream's paging query and its requested cost: `fixed` + `per_node` x first."""

    root: str  # the connection's field on QueryRoot
    query: str
    max_page: int
    fixed: int
    per_node: int

    def cost(self, first: int) -> float:
        return float(self.fixed + self.per_node * first)

    def page_size(self, budget: float) -> int:
        return max(1, min(self.max_page, int((budget - self.fixed) // self.per_node)))


MONEY = "shopMoney { amount currencyCode }"
VARIANT_FIELDS = "id sku title price inventoryQuantity inventoryItem { unitCost { amount currencyCode } }"
# a line's total before discounts is its unit price times its quantity: originalTotalSet is not asked for
LINE_ITEM_FIELDS = f"id sku quantity variant {{ id }} originalUnitPriceSet {{ {MONEY} }}"
REFUND_FIELDS = f"id createdAt note totalRefundedSet {{ {MONEY} }}"
PAGE_INFO = "pageInfo { hasNextPage endCursor }"

PRODUCTS_QUERY = f"""
query Products($first: Int!, $after: String, $query: String) {{
  shop {{ currencyCode }}
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    {PAGE_INFO}
    nodes {{
      id title productType createdAt updatedAt
      variants(first: {VARIANTS_PER_PRODUCT}) {{ {PAGE_INFO} nodes {{ {VARIANT_FIELDS} }} }}
    }}
  }}
}}"""
CUSTOMERS_QUERY = f"""
query Customers($first: Int!, $after: String, $query: String) {{
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    {PAGE_INFO}
    nodes {{
      id firstName lastName displayName createdAt updatedAt
      defaultEmailAddress {{ emailAddress }}
      defaultPhoneNumber {{ phoneNumber }}
      defaultAddress {{ city countryCodeV2 }}
    }}
  }}
}}"""
ORDERS_QUERY = f"""
query Orders($first: Int!, $after: String, $query: String) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    {PAGE_INFO}
    nodes {{
      id name email createdAt processedAt updatedAt cancelledAt
      displayFinancialStatus displayFulfillmentStatus sourceName
      customer {{ id }}
      subtotalPriceSet {{ {MONEY} }}
      totalDiscountsSet {{ {MONEY} }}
      totalTaxSet {{ {MONEY} }}
      totalShippingPriceSet {{ {MONEY} }}
      totalPriceSet {{ {MONEY} }}
      lineItems(first: {LINE_ITEMS_PER_ORDER}) {{ {PAGE_INFO} nodes {{ {LINE_ITEM_FIELDS} }} }}
      refunds(first: {REFUNDS_PER_ORDER}) {{ {REFUND_FIELDS} }}
    }}
  }}
}}"""
PRODUCT_VARIANTS_QUERY = f"""
query ProductVariants($id: ID!, $after: String) {{
  product(id: $id) {{
    variants(first: {FOLLOW_UP_PAGE}, after: $after) {{ {PAGE_INFO} nodes {{ {VARIANT_FIELDS} }} }}
  }}
}}"""
ORDER_LINE_ITEMS_QUERY = f"""
query OrderLineItems($id: ID!, $after: String) {{
  order(id: $id) {{
    lineItems(first: {FOLLOW_UP_PAGE}, after: $after) {{ {PAGE_INFO} nodes {{ {LINE_ITEM_FIELDS} }} }}
  }}
}}"""
ORDER_REFUNDS_QUERY = f"""
query OrderRefunds($id: ID!) {{
  order(id: $id) {{ refunds(first: {FOLLOW_UP_PAGE}) {{ {REFUND_FIELDS} }} }}
}}"""
SHOP_QUERY = "query Shop { shop { name } }"

# node costs: products 1 + variants (2 + 20 x (1 + inventoryItem 1 + unitCost 1) + pageInfo 1);
# customers 1 + three objects; orders 1 + customer 1 + five money bags x 2 + lineItems
# (2 + 5 x (1 + variant 1 + money bag 2) + pageInfo 1) + refunds 3 x (1 + money bag 2).
PRODUCTS = StreamQuery("products", PRODUCTS_QUERY, max_page=15, fixed=4, per_node=64)
CUSTOMERS = StreamQuery("customers", CUSTOMERS_QUERY, max_page=240, fixed=3, per_node=4)
ORDERS = StreamQuery("orders", ORDERS_QUERY, max_page=22, fixed=3, per_node=44)

# Webhook topic → the streams a sync should refresh because of it.
TOPIC_STREAMS: dict[str, tuple[str, ...]] = {
    "products": ("products",),
    "inventory_levels": ("products",),
    "inventory_items": ("products",),
    "customers": ("customers",),
    "orders": ("orders",),
    "refunds": ("orders",),
    "order_transactions": ("orders",),
    "fulfillments": ("orders",),
}


# -- the cost bucket ----------------------------------------------------------------------------


@dataclass
class CostMeter:
    """One ApiClient's view of the shop's query-cost bucket, and what it spent and waited.

    `points_spent` sums `actualQueryCost`; `waited_seconds` is the time spent waiting for the
    bucket (pacing and THROTTLED answers together); `throttled` counts THROTTLED answers."""

    points_spent: float = 0.0
    points_requested: float = 0.0
    queries: int = 0
    throttled: int = 0
    waited_seconds: float = 0.0
    maximum_available: float | None = None
    restore_rate: float | None = None
    round_trip: float | None = None  # seconds, moving average
    expected_cost: dict[str, float] = field(default_factory=dict)  # requestedQueryCost by query kind
    _available: float | None = None  # as last reported (or reserved), at `_stamp`
    _stamp: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def cost_budget(self) -> float:
        """How much requested cost one paging query may ask for.

        A query waits until the bucket holds its requested cost, and the bucket keeps refilling
        while the request travels; if that lifts it past `maximumAvailable`, restore is wasted.
        So a query leaves headroom for two round trips of refill below the maximum. When the
        bucket refills more than half within a round trip, waits are rare and queries use the
        single-query maximum."""
        if self.maximum_available is None or self.restore_rate is None or self.round_trip is None:
            return MAX_QUERY_COST
        refill = self.restore_rate * self.round_trip
        if refill >= self.maximum_available / 2:
            return min(MAX_QUERY_COST, self.maximum_available)
        return min(MAX_QUERY_COST, max(MIN_COST_BUDGET, self.maximum_available - 2 * refill))

    def inherit_bucket(self, previous: CostMeter) -> None:
        """Start from another client's view of the same shop's bucket (counters stay at zero)."""
        self.maximum_available = previous.maximum_available
        self.restore_rate = previous.restore_rate
        self.round_trip = previous.round_trip
        self.expected_cost = dict(previous.expected_cost)
        self._available = previous._available
        self._stamp = previous._stamp

    def timed(self, seconds: float) -> None:
        previous = self.round_trip
        self.round_trip = seconds if previous is None else previous + RTT_SMOOTHING * (seconds - previous)

    def available_now(self, now: float) -> float | None:
        if self._available is None or self.restore_rate is None or self.maximum_available is None:
            return None
        return min(self.maximum_available, self._available + (now - self._stamp) * self.restore_rate)

    async def reserve(self, cost: float) -> None:
        """Wait until the bucket holds `cost`, then count it as taken until Shopify reports again."""
        async with self._lock:
            now = time.monotonic()
            available = self.available_now(now)
            if available is None or self.restore_rate is None:
                return  # nothing reported yet: the first query finds out
            if available < cost + SAFETY_POINTS:
                wait = (cost + SAFETY_POINTS - available) / self.restore_rate
                self.waited_seconds += wait
                await asyncio.sleep(wait)
                now = time.monotonic()
                available = self.available_now(now) or 0.0
            self._available, self._stamp = available - cost, now

    def observe(self, kind: str, cost: Mapping[str, Any]) -> None:
        """Take in an answer's `extensions.cost`."""
        requested = cost.get("requestedQueryCost")
        actual = cost.get("actualQueryCost")
        status = cost.get("throttleStatus") or {}
        if requested is not None:
            self.expected_cost[kind] = float(requested)
        if actual is not None:
            self.points_spent += float(actual)
            self.points_requested += float(requested or 0)
            self.queries += 1
        if "currentlyAvailable" in status:
            self.maximum_available = float(status["maximumAvailable"])
            self.restore_rate = float(status["restoreRate"])
            self._available, self._stamp = float(status["currentlyAvailable"]), time.monotonic()


# -- incremental pass state -----------------------------------------------------------------------


@dataclass
class PassState:
    """Where a pass over one stream stands, as kept in the checkpoint.

    `since`/`boundary`: the pass reads records updated at or after `since`, except the `boundary`
    ids already read at exactly that second (None: use a strict ">" filter). `after`: the cursor
    inside this pass. `high`/`high_ids`: the latest `updatedAt` seen in this pass and its ids,
    which become the next pass's `since`/`boundary`."""

    since: str | None = None
    boundary: list[str] | None = None
    after: str | None = None
    high: str | None = None
    high_ids: list[str] | None = None

    @classmethod
    def load(cls, checkpoint: Checkpoint | None) -> PassState:
        data = checkpoint or {}
        return cls(
            data.get("since"), data.get("boundary"), data.get("after"), data.get("high"), data.get("high_ids")
        )

    def search(self) -> str | None:
        if self.since is None:
            return None
        operator = ">=" if self.boundary is not None else ">"
        return f"updated_at:{operator}'{self.since}'"

    def is_new(self, node: Mapping[str, Any]) -> bool:
        """False for a record the previous pass already read at its last second."""
        return not (
            self.boundary
            and node["updatedAt"]
            and _same_instant(node["updatedAt"], self.since)
            and node["id"] in self.boundary
        )

    def saw(self, node: Mapping[str, Any]) -> None:
        updated = node.get("updatedAt")
        if not updated:
            return
        if self.high is None or _instant(updated) > _instant(self.high):
            self.high, self.high_ids = updated, [node["id"]]
        elif _same_instant(updated, self.high) and self.high_ids is not None:
            self.high_ids.append(node["id"])
            if len(self.high_ids) > BOUNDARY_IDS_KEPT:
                self.high_ids = None

    def in_pass(self, cursor: str | None) -> Checkpoint:
        return {
            "since": self.since,
            "boundary": self.boundary,
            "after": cursor,
            "high": self.high,
            "high_ids": self.high_ids,
        }

    def next_pass(self) -> Checkpoint:
        if self.high is None:  # nothing changed: the same filter next time
            return {"since": self.since, "boundary": self.boundary}
        if self.high == self.since and self.boundary is not None and self.high_ids is not None:
            # still the same second: keep what the earlier pass read there too
            return {"since": self.since, "boundary": sorted({*self.boundary, *self.high_ids})}
        return {"since": self.high, "boundary": self.high_ids}


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def _same_instant(left: str | None, right: str | None) -> bool:
    return left is not None and right is not None and _instant(left) == _instant(right)


# -- mapping ------------------------------------------------------------------------------------


def _timestamp(value: str | None) -> datetime | None:
    return _instant(value) if value else None


def _money(bag: Mapping[str, Any] | None) -> tuple[Decimal, str | None]:
    money = (bag or {}).get("shopMoney") or {}
    amount = money.get("amount")
    return (Decimal(str(amount)) if amount is not None else Decimal(0)), money.get("currencyCode")


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if value else None


def _ref(value: Mapping[str, Any] | None) -> str | None:
    return value.get("id") if value else None


def order_status(node: Mapping[str, Any]) -> str:
    """Shopify's financial and fulfilment statuses as one common-schema order status."""
    financial = node.get("displayFinancialStatus")
    if node.get("cancelledAt") or financial == "VOIDED":
        return "cancelled"
    if financial == "REFUNDED":
        return "refunded"
    if financial == "PARTIALLY_REFUNDED":
        return "partially_refunded"
    if financial == "PAID":
        return "fulfilled" if node.get("displayFulfillmentStatus") == "FULFILLED" else "paid"
    # PENDING, AUTHORIZED, PARTIALLY_PAID, EXPIRED (authorisation lapsed, still unpaid), or none yet
    return "pending"


def product_records(
    product: Mapping[str, Any], variants: Sequence[Mapping[str, Any]], currency: str
) -> list[Record]:
    records = []
    for variant in variants:
        title = variant.get("title")
        name = product["title"] if not title or title == "Default Title" else f"{product['title']} - {title}"
        unit_cost = ((variant.get("inventoryItem") or {}).get("unitCost")) or {}
        records.append(
            {
                "source_id": variant["id"],
                "source_updated_at": _timestamp(product.get("updatedAt")),
                "sku": (variant.get("sku") or "").strip(),
                "name": name,
                "category": product.get("productType") or None,
                "price": Decimal(str(variant["price"])),
                "cost": Decimal(str(unit_cost["amount"])) if unit_cost.get("amount") is not None else None,
                "currency": currency.upper(),
                "inventory": variant.get("inventoryQuantity"),
            }
        )
    return records


def customer_record(node: Mapping[str, Any]) -> Record:
    email = _lower((node.get("defaultEmailAddress") or {}).get("emailAddress"))
    full_name = " ".join(part for part in (node.get("firstName"), node.get("lastName")) if part)
    address = node.get("defaultAddress") or {}
    return {
        "source_id": node["id"],
        "source_updated_at": _timestamp(node.get("updatedAt")),
        "email": email,
        "name": node.get("displayName") or full_name or email or node["id"],
        "phone": (node.get("defaultPhoneNumber") or {}).get("phoneNumber"),
        "country": address.get("countryCodeV2"),
        "city": address.get("city"),
        "source_created_at": _timestamp(node.get("createdAt")),
    }


def order_record(node: Mapping[str, Any]) -> Record:
    subtotal_after_discounts, currency = _money(node.get("subtotalPriceSet"))
    discount, _ = _money(node.get("totalDiscountsSet"))
    tax, _ = _money(node.get("totalTaxSet"))
    shipping, _ = _money(node.get("totalShippingPriceSet"))
    total, total_currency = _money(node.get("totalPriceSet"))
    return {
        "source_id": node["id"],
        "source_updated_at": _timestamp(node.get("updatedAt")),
        "order_number": node["name"],
        "customer_email": _lower(node.get("email")),
        "status": order_status(node),
        "currency": (total_currency or currency or "").upper(),
        "subtotal": subtotal_after_discounts + discount,
        "discount": discount,
        "tax": tax,
        "shipping": shipping,
        "total": total,
        "placed_at": _timestamp(node.get("processedAt") or node.get("createdAt")),
        "channel": node.get("sourceName"),
        "_customer": _ref(node.get("customer")),
    }


def order_item_record(order: Mapping[str, Any], item: Mapping[str, Any]) -> Record:
    unit_price, _ = _money(item.get("originalUnitPriceSet"))
    quantity = int(item["quantity"])
    return {
        "source_id": item["id"],
        "source_updated_at": _timestamp(order.get("updatedAt")),
        "sku": (item.get("sku") or "").strip(),
        "quantity": quantity,
        "unit_price": unit_price,
        "line_total": unit_price * quantity,
        "_order": order["id"],
        "_product": _ref(item.get("variant")),
    }


def refund_record(order: Mapping[str, Any], refund: Mapping[str, Any]) -> Record:
    amount, currency = _money(refund.get("totalRefundedSet"))
    return {
        "source_id": refund["id"],
        "source_updated_at": _timestamp(refund.get("createdAt")),
        "reason": refund.get("note") or None,
        "amount": amount,
        "currency": (currency or "").upper(),
        "refunded_at": _timestamp(refund.get("createdAt")),
        "_order": order["id"],
        "_payment": None,
    }


# -- the adapter --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NestedQuery:
    """The follow-up query that pages one product's or order's nested connection."""

    kind: str  # the cost-meter kind
    query: str
    root: str  # "product" | "order"


def shop_name(config: Mapping[str, Any]) -> str:
    """The shop's subdomain from `config["shop"]` ("acme", "acme.myshopify.com", a URL); refuses
    anything else, since it becomes the host every request goes to."""
    raw = str(config.get("shop") or "").strip().lower()
    raw = raw.removeprefix("https://").removeprefix("http://").split("/", 1)[0]
    name = raw.removesuffix(".myshopify.com")
    if not SHOP_NAME.match(name):
        raise ValueError("shop must be the store's myshopify.com name, e.g. 'acme' or 'acme.myshopify.com'")
    return name


class ShopifyAdapter(Adapter):
    spec = SHOPIFY
    streams: ClassVar[tuple[str, ...]] = ("products", "customers", "orders")
    token_json = True  # POST /admin/oauth/access_token takes {client_id, client_secret, code} as JSON

    def __init__(self, *, nodes_per_page: int = NODES_PER_PAGE) -> None:
        self.nodes_per_page = nodes_per_page
        self._meters: weakref.WeakKeyDictionary[ApiClient, CostMeter] = weakref.WeakKeyDictionary()
        # The newest meter per shop: the bucket belongs to the shop, and each stream of a sync gets
        # a new ApiClient, which must not start blind while the last stream left the bucket low.
        self._last_by_shop: dict[str, CostMeter] = {}

    def meter(self, api: ApiClient, shop: str | None = None) -> CostMeter:
        """The cost bucket bookkeeping of one ApiClient (one connection's sync): its own counters,
        and what is known of the shop's bucket (inherited from the shop's previous client)."""
        meter = self._meters.get(api)
        if meter is None:
            meter = self._meters[api] = CostMeter()
            previous = self._last_by_shop.get(shop) if shop else None
            if previous is not None:
                meter.inherit_bucket(previous)
        if shop:
            self._last_by_shop[shop] = meter
        return meter

    def base_url(self, config: Mapping[str, Any]) -> str:
        return f"https://{shop_name(config)}.myshopify.com/admin/api/{API_VERSION}"

    def auth_headers(self, context: ConnectionContext) -> dict[str, str]:
        return {"X-Shopify-Access-Token": context.access_token}

    async def query(
        self,
        api: ApiClient,
        context: ConnectionContext,
        kind: str,
        query: str,
        variables: Mapping[str, Any],
        *,
        estimate: float | None = None,
    ) -> dict[str, Any]:
        """One GraphQL query, paced on the cost bucket and retried when THROTTLED. `kind` names
        the query for the meter (the requested cost Shopify reported for it last time);
        `estimate` is its requested cost until then."""
        meter = self.meter(api, shop_name(context.config))
        url = f"{self.base_url(context.config)}/graphql.json"
        for _ in range(MAX_THROTTLED_RETRIES):
            await meter.reserve(
                meter.expected_cost.get(kind, estimate or EXPECTED_COST.get(kind, MAX_QUERY_COST))
            )
            sent = time.monotonic()
            body = await api.post_json(url, json={"query": query, "variables": dict(variables)})
            meter.timed(time.monotonic() - sent)
            cost = (body.get("extensions") or {}).get("cost")
            if cost:
                meter.observe(kind, cost)
            errors = body.get("errors")
            if not errors:
                data: dict[str, Any] = body["data"]
                return data
            if _throttled(errors):
                meter.throttled += 1
                if not cost:  # no bucket state to wait on: give it a second
                    meter.waited_seconds += 1.0
                    await asyncio.sleep(1.0)
                log.info("shopify_throttled", kind=kind, available=(cost or {}).get("throttleStatus"))
                continue  # reserve() now waits (cost - available) / restoreRate
            raise _graphql_error(errors)
        raise ProviderError(429, f"Shopify kept answering THROTTLED to the {kind} query", code="THROTTLED")

    async def fetch(
        self, api: ApiClient, context: ConnectionContext, stream: str, checkpoint: Checkpoint | None
    ) -> Page:
        """One engine page: consecutive queries until `nodes_per_page` records of the stream came
        back (Shopify's cost limit keeps a query's page small; the engine writes a page at once)."""
        plans = {
            "products": (PRODUCTS, ("products",), self._map_products),
            "customers": (CUSTOMERS, ("customers",), self._map_customers),
            "orders": (ORDERS, ("orders", "order_items", "refunds"), self._map_orders),
        }
        if stream not in plans:
            raise ValueError(f"unknown Shopify stream {stream!r}")
        stream_query, entities, mapper = plans[stream]
        state = PassState.load(checkpoint)
        page = Page(records={entity: [] for entity in entities})
        read = 0
        while True:
            data, nodes, returned = await self._query_page(api, context, stream_query, state)
            await mapper(api, context, data, nodes, page.records)
            read += returned
            page.done = state.after is None
            if page.done or read >= self.nodes_per_page:
                page.checkpoint = state.next_pass() if page.done else state.in_pass(state.after)
                return page

    async def _query_page(
        self, api: ApiClient, context: ConnectionContext, stream: StreamQuery, state: PassState
    ) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
        """One query of the stream after `state.after`; moves `state` on. Returns the answer, the
        nodes not read before, and how many nodes came back."""
        first = stream.page_size(self.meter(api, shop_name(context.config)).cost_budget())
        variables = {"first": first, "after": state.after, "query": state.search()}
        kind = f"{stream.root}:{first}"  # the requested cost depends on the page size
        data = await self.query(api, context, kind, stream.query, variables, estimate=stream.cost(first))
        connection = data[stream.root]
        nodes = [node for node in connection["nodes"] if state.is_new(node)]
        for node in connection["nodes"]:
            state.saw(node)
        info = connection["pageInfo"]
        state.after = info["endCursor"] if info["hasNextPage"] else None
        return data, nodes, len(connection["nodes"])

    async def _map_products(
        self,
        api: ApiClient,
        context: ConnectionContext,
        data: Mapping[str, Any],
        nodes: list[dict[str, Any]],
        records: dict[str, list[Record]],
    ) -> None:
        currency = data["shop"]["currencyCode"]
        for product in nodes:
            variants = await self._rest_of(
                api, context, product, "variants", NestedQuery("variants", PRODUCT_VARIANTS_QUERY, "product")
            )
            records["products"] += product_records(product, variants, currency)

    async def _map_customers(
        self,
        api: ApiClient,
        context: ConnectionContext,
        data: Mapping[str, Any],
        nodes: list[dict[str, Any]],
        records: dict[str, list[Record]],
    ) -> None:
        records["customers"] += [customer_record(node) for node in nodes]

    async def _map_orders(
        self,
        api: ApiClient,
        context: ConnectionContext,
        data: Mapping[str, Any],
        nodes: list[dict[str, Any]],
        records: dict[str, list[Record]],
    ) -> None:
        for order in nodes:
            records["orders"].append(order_record(order))
            lines = await self._rest_of(
                api, context, order, "lineItems", NestedQuery("line_items", ORDER_LINE_ITEMS_QUERY, "order")
            )
            records["order_items"] += [order_item_record(order, item) for item in lines]
            order_refunds = order.get("refunds") or []
            if len(order_refunds) >= REFUNDS_PER_ORDER:  # a plain list: ask for all of them
                answer = await self.query(api, context, "refunds", ORDER_REFUNDS_QUERY, {"id": order["id"]})
                order_refunds = (answer.get("order") or {}).get("refunds") or order_refunds
            records["refunds"] += [refund_record(order, refund) for refund in order_refunds]

    async def _rest_of(
        self,
        api: ApiClient,
        context: ConnectionContext,
        parent: Mapping[str, Any],
        field: str,
        nested: NestedQuery,
    ) -> list[dict[str, Any]]:
        """A nested connection's nodes, fetching the pages after the first one on the parent alone."""
        connection = parent[field]
        nodes = list(connection["nodes"])
        info = connection["pageInfo"]
        while info["hasNextPage"]:
            variables = {"id": parent["id"], "after": info["endCursor"]}
            data = await self.query(api, context, nested.kind, nested.query, variables)
            refetched = data.get(nested.root)
            if refetched is None:  # deleted meanwhile: what we have is all there is
                break
            nodes += refetched[field]["nodes"]
            info = refetched[field]["pageInfo"]
        return nodes

    async def check(self, api: ApiClient, context: ConnectionContext) -> None:
        await self.query(api, context, "shop", SHOP_QUERY, {})

    # -- OAuth ------------------------------------------------------------------------------------

    def authorize_params(self, config: Mapping[str, Any]) -> dict[str, str]:
        # Shopify separates scopes with commas; leaving out grant_options[] asks for an offline token.
        return {"scope": ",".join(self.spec.scopes)}

    def check_callback(self, extras: Mapping[str, str], client_secret: str) -> None:
        """Verify the redirect: `extras` are ALL its query parameters (code and state included, since
        Shopify's hmac covers them): the hex HMAC-SHA256 of the others, sorted and joined as
        `k=v&…`, keyed by the app's client secret; and `shop` must be a myshopify.com host."""
        received = extras.get("hmac")
        message = "&".join(
            f"{key}={value}" for key, value in sorted(extras.items()) if key not in {"hmac", "signature"}
        )
        if not signatures_match(hmac_sha256(client_secret, message.encode(), "hex"), received):
            raise SignatureInvalid("Shopify's hmac does not match the redirect's parameters")
        if not SHOP_HOST.match(extras.get("shop", "")):
            raise SignatureInvalid("the redirect's shop is not a myshopify.com host")

    async def after_token(
        self, api: ApiClient, token: Mapping[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        if config.get("shop"):
            config["shop"] = shop_name(config)
        return config

    async def revoke(self, api: ApiClient, context: ConnectionContext, client: Mapping[str, str]) -> None:
        """Uninstall the app from the shop: Shopify's way to revoke the grant."""
        await api.request(
            "DELETE",
            f"https://{shop_name(context.config)}.myshopify.com/admin/api_permissions/current.json",
            headers=self.auth_headers(context),
            authenticated=False,
            allow=frozenset({401, 404}),  # already uninstalled or the token is gone: nothing to revoke
        )

    # -- webhooks ---------------------------------------------------------------------------------

    def verify_webhook(self, request: WebhookRequest, secret: str) -> WebhookResult:
        """`X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the raw body keyed by the app's secret."""
        received = request.headers.get("x-shopify-hmac-sha256")
        if received is None:
            raise SignatureInvalid("X-Shopify-Hmac-Sha256 is missing")
        if not signatures_match(hmac_sha256(secret, request.body, "base64"), received):
            raise SignatureInvalid("X-Shopify-Hmac-Sha256 does not match the body")
        event_id = request.headers.get("x-shopify-webhook-id") or request.headers.get("x-shopify-event-id")
        topic = request.headers.get("x-shopify-topic")
        if not event_id or not topic:
            raise SignatureInvalid("X-Shopify-Webhook-Id or X-Shopify-Topic is missing")
        streams = TOPIC_STREAMS.get(topic.split("/", 1)[0], ())
        return WebhookResult(notices=(WebhookNotice(event_id=event_id, type=topic, streams=streams),))


def _throttled(errors: Any) -> bool:
    return isinstance(errors, list) and any(
        isinstance(error, dict) and (error.get("extensions") or {}).get("code") == "THROTTLED"
        for error in errors
    )


def _graphql_error(errors: Any) -> ProviderError:
    if not isinstance(errors, list):
        return ProviderError(200, f"Shopify GraphQL error: {str(errors)[:300]}")
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    code = (first.get("extensions") or {}).get("code")
    messages = "; ".join(str(error.get("message")) for error in errors if isinstance(error, dict))
    return ProviderError(200, f"Shopify GraphQL error: {messages[:300]}", code=code)


ADAPTER = ShopifyAdapter()
