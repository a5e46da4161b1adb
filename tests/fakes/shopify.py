"""A fake Shopify store speaking the GraphQL Admin API (2025-07) and Shopify's OAuth.

- `POST /admin/api/{version}/graphql.json` with `X-Shopify-Access-Token`: a small but real GraphQL
  executor. The query is parsed (operations, variables with defaults, aliases, arguments, nested
  selections; no fragments), every field is checked against the schema subset below ("Field 'x'
  doesn't exist on type 'Order'" like Shopify), and only the selected fields are returned.
  Root fields: `shop`, `products`, `customers`, `orders` (connections: `first`/`after`, `query`
  with `updated_at`/`created_at` comparisons, `sortKey: ID | UPDATED_AT | CREATED_AT`, `reverse`),
  `product(id:)`, `order(id:)`, `customer(id:)`. Nested connections (`variants`, `lineItems`) page
  with their own cursors; `refunds(first:)` is a plain list, as in Shopify.
- Query cost, Shopify's documented rules: a scalar or enum costs 0, an object 1, a connection
  2 + first x (1 + its node's fields) (+1 for pageInfo), a list field first x (1 + fields). The
  requested cost is computed from the query before running it (over 1,000: MAX_COST_EXCEEDED); the
  actual cost counts what was returned. A leaky bucket (`maximum_available` points, restoring
  `restore_rate` per second) must hold the requested cost, else the answer is HTTP 200 with
  `errors: [{message: "Throttled", extensions: {code: "THROTTLED"}}]`; after a query the difference
  between requested and actual cost is refunded. Every answer carries `extensions.cost`.
- A `RateLimit` (request count) answers 429 + Retry-After on top, like the other fakes.
- OAuth: authorize `/admin/oauth/authorize` (redirect with code, state, shop, host, timestamp and
  an `hmac` over all of them), token `POST /admin/oauth/access_token` (JSON or form, no PKCE, no
  redirect_uri needed; expiring offline tokens: 3600 s, refresh token rotated on use, 90 days),
  uninstall `DELETE /admin/api_permissions/current.json`. `GOOD_KEY` is a custom app's token.

The store's data is generated once, deterministically from `seed`, and kept as Python dicts in the
GraphQL shape (references are the referenced dicts themselves); pages are found by bisecting
pre-sorted keys, so even 50k orders serve fast.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import hmac
import json
import operator
import random
import re
import time
import unicodedata
import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from binelek.demo_data import (
    BLENDS,
    COLD_BREWS,
    DECAFS,
    EQUIPMENT,
    FIRST_NAMES,
    INTERNATIONAL_CITIES,
    LAST_NAMES,
    MERCHANDISE,
    SINGLE_ORIGINS,
    US_CITIES,
)
from tests.fakes.base import CLIENT_SECRET, FakeProvider, OAuthPolicy, RateLimit

API_VERSIONS = frozenset({"2025-01", "2025-04", "2025-07", "2025-10"})
MAX_QUERY_COST = 1000
MAX_PAGE_SIZE = 250
SHOP = "northwind-coffee"
CURRENCY = "USD"
HISTORY_DAYS = 730
DAY = 86_400
STREETS = ("Oak", "Pine", "Main", "Alder", "Division", "Belmont")


# -- GraphQL: parsing ---------------------------------------------------------------------------


class GraphQLError(Exception):
    def __init__(self, message: str, code: str = "GRAPHQL_VALIDATION_FAILED") -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Field:
    name: str
    alias: str | None
    args: dict[str, Any]
    selections: list[Field] | None

    @property
    def key(self) -> str:
        return self.alias or self.name


TOKEN = re.compile(
    r"""(?P<skip>[\s,]+|\#[^\n]*)
      |(?P<string>"(?:\\.|[^"\\])*")
      |(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      |(?P<name>[_A-Za-z][_0-9A-Za-z]*)
      |(?P<punct>\.\.\.|[!$():=@\[\]{}|&])""",
    re.VERBOSE,
)


@lru_cache(maxsize=64)
def tokenize(text: str) -> tuple[tuple[str, str], ...]:
    """A query's tokens; a sync sends the same few queries again and again."""
    tokens = []
    position = 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None:
            raise GraphQLError(f"Parse error on {text[position : position + 10]!r}", "PARSE_ERROR")
        position = match.end()
        if match.lastgroup != "skip":
            tokens.append((match.lastgroup or "", match.group()))
    return tuple(tokens)


class Parser:
    """Recursive descent over one query operation; variables are substituted while parsing."""

    def __init__(self, text: str, variables: dict[str, Any]) -> None:
        self.tokens = tokenize(text)
        self.position = 0
        self.variables = dict(variables)

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        token_kind, token = self.peek()
        if (value is not None and token != value) or (kind is not None and token_kind != kind):
            raise GraphQLError(f"Parse error on {token!r}: expected {value or kind}", "PARSE_ERROR")
        self.position += 1
        return token

    def document(self) -> list[Field]:
        if self.peek() == ("name", "mutation"):
            raise GraphQLError("This fake only answers queries", "PARSE_ERROR")
        if self.peek() == ("name", "query"):
            self.take("query")
            if self.peek()[0] == "name":
                self.take(kind="name")
            if self.peek()[1] == "(":
                self.variable_definitions()
        selections = self.selection_set()
        if self.peek()[0] != "end":
            raise GraphQLError("Only one operation per request is supported", "PARSE_ERROR")
        return selections

    def variable_definitions(self) -> None:
        self.take("(")
        while self.peek()[1] != ")":
            self.take("$")
            name = self.take(kind="name")
            self.take(":")
            self.type_reference()
            if self.peek()[1] == "=":
                self.take("=")
                default = self.value()
                self.variables.setdefault(name, default)
        self.take(")")

    def type_reference(self) -> None:
        if self.peek()[1] == "[":
            self.take("[")
            self.type_reference()
            self.take("]")
        else:
            self.take(kind="name")
        if self.peek()[1] == "!":
            self.take("!")

    def selection_set(self) -> list[Field]:
        self.take("{")
        fields = []
        while self.peek()[1] != "}":
            if self.peek()[1] == "...":
                raise GraphQLError("Fragments are not supported by this fake", "PARSE_ERROR")
            fields.append(self.field())
        self.take("}")
        if not fields:
            raise GraphQLError("Selection sets can't be empty", "PARSE_ERROR")
        return fields

    def field(self) -> Field:
        name, alias = self.take(kind="name"), None
        if self.peek()[1] == ":":
            self.take(":")
            alias, name = name, self.take(kind="name")
        args: dict[str, Any] = {}
        if self.peek()[1] == "(":
            self.take("(")
            while self.peek()[1] != ")":
                argument = self.take(kind="name")
                self.take(":")
                args[argument] = self.value()
            self.take(")")
        selections = self.selection_set() if self.peek()[1] == "{" else None
        return Field(name, alias, args, selections)

    def value(self) -> Any:
        kind, token = self.peek()
        if token == "$":
            self.take("$")
            return self.variables.get(self.take(kind="name"))
        if token == "[":
            self.take("[")
            items = []
            while self.peek()[1] != "]":
                items.append(self.value())
            self.take("]")
            return items
        if token == "{":
            self.take("{")
            obj = {}
            while self.peek()[1] != "}":
                key = self.take(kind="name")
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        self.position += 1
        if kind == "string":
            return json.loads(token)
        if kind == "number":
            return float(token) if any(c in token for c in ".eE") else int(token)
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(token, token)
        raise GraphQLError(f"Parse error on {token!r}", "PARSE_ERROR")


# -- GraphQL: the schema subset ------------------------------------------------------------------

SCALAR, OBJECT, CONNECTION, LIST, TYPENAME = "scalar", "object", "connection", "list", "__typename"
FieldSpec = tuple[str, str | None]
NO_FIELDS: list[Field] = []
VALUE_TYPES = frozenset({"MoneyBag", "MoneyV2"})  # immutable in the store: projections are remembered
# (response key, field name, kind, target type, its selections, the field)
Step = tuple[str, str, str, str, list[Field], Field]


def _scalars(names: str) -> dict[str, FieldSpec]:
    return {name: (SCALAR, None) for name in names.split()}


def _objects(names: str, type_name: str) -> dict[str, FieldSpec]:
    return {name: (OBJECT, type_name) for name in names.split()}


SCHEMA: dict[str, dict[str, FieldSpec]] = {
    "QueryRoot": {
        "shop": (OBJECT, "Shop"),
        "products": (CONNECTION, "Product"),
        "customers": (CONNECTION, "Customer"),
        "orders": (CONNECTION, "Order"),
        "product": (OBJECT, "Product"),
        "customer": (OBJECT, "Customer"),
        "order": (OBJECT, "Order"),
    },
    "Shop": _scalars("id name email currencyCode myshopifyDomain ianaTimezone"),
    "Product": {
        **_scalars("id title handle productType vendor status tags createdAt updatedAt"),
        "variants": (CONNECTION, "ProductVariant"),
    },
    "ProductVariant": {
        **_scalars("id sku title price compareAtPrice inventoryQuantity createdAt updatedAt"),
        "inventoryItem": (OBJECT, "InventoryItem"),
        "product": (OBJECT, "Product"),
    },
    "InventoryItem": {**_scalars("id tracked"), "unitCost": (OBJECT, "MoneyV2")},
    "MoneyV2": _scalars("amount currencyCode"),
    "MoneyBag": _objects("shopMoney presentmentMoney", "MoneyV2"),
    "Customer": {
        **_scalars(
            "id firstName lastName displayName email phone note state tags numberOfOrders createdAt updatedAt"
        ),
        "defaultEmailAddress": (OBJECT, "CustomerEmailAddress"),
        "defaultPhoneNumber": (OBJECT, "CustomerPhoneNumber"),
        "defaultAddress": (OBJECT, "MailingAddress"),
    },
    "CustomerEmailAddress": _scalars("emailAddress marketingState"),
    "CustomerPhoneNumber": _scalars("phoneNumber marketingState"),
    "MailingAddress": _scalars("address1 city province provinceCode country countryCodeV2 zip"),
    "Order": {
        **_scalars(
            "id name email phone note test createdAt processedAt updatedAt cancelledAt cancelReason closedAt "
            "displayFinancialStatus displayFulfillmentStatus currencyCode presentmentCurrencyCode sourceName"
        ),
        "customer": (OBJECT, "Customer"),
        **_objects(
            "subtotalPriceSet totalDiscountsSet totalTaxSet totalShippingPriceSet totalPriceSet "
            "totalRefundedSet currentTotalPriceSet",
            "MoneyBag",
        ),
        "lineItems": (CONNECTION, "LineItem"),
        "refunds": (LIST, "Refund"),
    },
    "LineItem": {
        **_scalars("id sku name title variantTitle vendor quantity currentQuantity"),
        "variant": (OBJECT, "ProductVariant"),
        "product": (OBJECT, "Product"),
        **_objects(
            "originalUnitPriceSet originalTotalSet discountedUnitPriceSet discountedTotalSet", "MoneyBag"
        ),
    },
    "Refund": {**_scalars("id note createdAt updatedAt"), "totalRefundedSet": (OBJECT, "MoneyBag")},
    "PageInfo": _scalars("hasNextPage hasPreviousPage startCursor endCursor"),
}
LIST_DEFAULT_FIRST = 10  # what a list field without `first` is charged as


def requested_cost(fields: Sequence[Field], type_name: str) -> int:
    """Validate `fields` against the schema and compute their requested cost."""
    total = 0
    for selected in fields:
        if selected.name == "__typename":
            continue
        spec = SCHEMA[type_name].get(selected.name)
        if spec is None:
            raise GraphQLError(
                f"Field '{selected.name}' doesn't exist on type '{type_name}'", "undefinedField"
            )
        kind, target = spec
        if kind == SCALAR:
            if selected.selections:
                raise GraphQLError(f"Selections can't be made on scalars (field '{selected.name}')")
            continue
        if not selected.selections or target is None:
            raise GraphQLError(f"Field must have selections (field '{selected.name}' returns {target})")
        if kind == OBJECT:
            total += 1 + requested_cost(selected.selections, target)
        elif kind == LIST:
            first = int(selected.args.get("first") or LIST_DEFAULT_FIRST)
            total += first * (1 + requested_cost(selected.selections, target))
        else:
            total += connection_cost(selected, target)
    return total


def connection_cost(selected: Field, target: str) -> int:
    first = selected.args.get("first")
    if first is None:
        raise GraphQLError("you must provide one of first or last")
    if not 0 <= int(first) <= MAX_PAGE_SIZE:
        raise GraphQLError(f"The argument first must be between 0 and {MAX_PAGE_SIZE}")
    element, page_info = 0, 0
    for part in selected.selections or []:
        if part.name == "nodes":
            element = max(element, 1 + requested_cost(part.selections or [], target))
        elif part.name == "edges":
            for inner in part.selections or []:
                if inner.name == "node":
                    element = max(element, 1 + requested_cost(inner.selections or [], target))
                elif inner.name != "cursor":
                    raise GraphQLError(
                        f"Field '{inner.name}' doesn't exist on type '{target}Edge'", "undefinedField"
                    )
        elif part.name == "pageInfo":
            page_info = 1 + requested_cost(part.selections or [], "PageInfo")
        else:
            raise GraphQLError(
                f"Field '{part.name}' doesn't exist on type '{target}Connection'", "undefinedField"
            )
    return 2 + int(first) * element + page_info


# -- GraphQL: execution -------------------------------------------------------------------------


def encode_cursor(last_id: int, last_value: Any) -> str:
    raw = json.dumps({"last_id": last_id, "last_value": last_value}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        data = json.loads(base64.b64decode(cursor))
        return data["last_value"], int(data["last_id"])
    except (ValueError, KeyError, TypeError):
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor!r}", "BAD_REQUEST") from None


SEARCH_TERM = re.compile(r"(updated_at|created_at):(>=|<=|>|<)?'?([0-9T:\-+.Z]+)'?")
SORT_FIELDS = {"ID": "_num", "UPDATED_AT": "_updated", "CREATED_AT": "_created"}


def _epoch(text: str) -> int:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


@dataclass
class Resource:
    """One root connection's objects, with sorted keys per sort order built on demand."""

    type_name: str
    nodes: dict[int, dict[str, Any]] = field(default_factory=dict)
    _sorted: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def put(self, node: dict[str, Any]) -> None:
        self.nodes[node["_num"]] = node
        self._sorted.clear()

    def keys(self, sort_field: str) -> list[tuple[int, int]]:
        keys = self._sorted.get(sort_field)
        if keys is None:
            keys = self._sorted[sort_field] = sorted(
                (node[sort_field], num) for num, node in self.nodes.items()
            )
        return keys


class Executor:
    """Runs parsed fields over the store, counting the actual cost as it projects objects."""

    def __init__(self, store: ShopifyStore) -> None:
        self.store = store
        self.actual = 0
        self._plans: dict[int, list[Step]] = {}
        self._signatures: dict[int, tuple[Any, ...]] = {}

    def plan(self, fields: Sequence[Field], type_name: str) -> list[Step]:
        """The fields resolved against the schema once per request, not once per object."""
        steps = self._plans.get(id(fields))
        if steps is None:
            steps = []
            for selected in fields:
                if selected.name == "__typename":
                    steps.append((selected.key, selected.name, TYPENAME, type_name, NO_FIELDS, selected))
                    continue
                kind, target = SCHEMA[type_name][selected.name]
                steps.append(
                    (
                        selected.key,
                        selected.name,
                        kind,
                        target or "",
                        selected.selections or NO_FIELDS,
                        selected,
                    )
                )
            self._plans[id(fields)] = steps
        return steps

    def root(self, fields: Sequence[Field]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for selected in fields:
            if selected.name == "__typename":
                out[selected.key] = "QueryRoot"
            elif selected.name == "shop":
                out[selected.key] = self.project(self.store.shop, selected.selections or [], "Shop")
            elif selected.name in {"products", "customers", "orders"}:
                resource = self.store.resources[selected.name]
                out[selected.key] = self.root_connection(resource, selected)
            else:  # product(id:), order(id:), customer(id:)
                resource = self.store.resources[selected.name + "s"]
                node = self.store.by_gid(resource, str(selected.args.get("id") or ""))
                out[selected.key] = self.project(node, selected.selections or [], resource.type_name)
        return out

    def project(
        self, obj: dict[str, Any] | None, fields: Sequence[Field], type_name: str
    ) -> dict[str, Any] | None:
        if obj is None:
            return None
        self.actual += 1
        out: dict[str, Any] = {}
        for key, name, kind, target, selections, selected in self.plan(fields, type_name):
            if kind is SCALAR:
                out[key] = obj.get(name)
            elif kind is OBJECT:
                value = obj.get(name)
                out[key] = (
                    self.value(value, selections, target)
                    if target in VALUE_TYPES
                    else self.project(value, selections, target)
                )
            elif kind is LIST:
                items = obj.get(name) or []
                if selected.args.get("first") is not None:
                    items = items[: int(selected.args["first"])]
                out[key] = [self.project(item, selections, target) for item in items]
            elif kind is TYPENAME:
                out[key] = type_name
            else:
                out[key] = self.nested_connection(obj.get(name) or [], selected, target)
        return out

    def value(self, obj: dict[str, Any] | None, fields: list[Field], type_name: str) -> dict[str, Any] | None:
        """A money value's projection, remembered: the same few amounts recur in every order."""
        if obj is None:
            return None
        memo_key = (id(obj), self.signature(fields))
        memo = self.store.memo.get(memo_key)
        if memo is None:
            before = self.actual
            projected = self.project(obj, fields, type_name)
            memo = self.store.memo[memo_key] = (projected, self.actual - before)
        else:
            self.actual += memo[1]
        return memo[0]

    def signature(self, fields: list[Field]) -> tuple[Any, ...]:
        found = self._signatures.get(id(fields))
        if found is None:
            found = self._signatures[id(fields)] = tuple(
                (f.key, f.name, tuple(sorted(f.args.items())), self.signature(f.selections or NO_FIELDS))
                for f in fields
            )
        return found

    def nested_connection(self, items: list[dict[str, Any]], selected: Field, target: str) -> dict[str, Any]:
        start = 0
        if selected.args.get("after"):
            _, start = decode_cursor(str(selected.args["after"]))
        first = int(selected.args["first"])
        page = [(index, items[index]) for index in range(start, min(start + first, len(items)))]
        return self.connection_body(
            page,
            selected,
            target,
            has_next=start + first < len(items),
            has_previous=start > 0,
            sort_field=None,
        )

    def root_connection(self, resource: Resource, selected: Field) -> dict[str, Any]:
        args = selected.args
        sort_key = str(args.get("sortKey") or "ID")
        sort_field = SORT_FIELDS.get(sort_key)
        if sort_field is None:
            raise GraphQLError(
                f"Argument 'sortKey' has an invalid value ({sort_key}).", "argumentLiteralsIncompatible"
            )
        keys = resource.keys(sort_field)
        predicates, lower = search_predicates(str(args.get("query") or ""), sort_field)
        after = decode_cursor(str(args["after"])) if args.get("after") else None
        position = (int(after[0]), after[1]) if after else None
        if args.get("reverse"):
            end = bisect_left(keys, position) if position else len(keys)
            ordered: range = range(end - 1, -1, -1)
        else:
            start = bisect_left(keys, (lower, -1)) if lower is not None else 0
            if position:
                start = max(start, bisect_right(keys, position))
            ordered = range(start, len(keys))
        first = int(args["first"])
        found: list[tuple[int, dict[str, Any]]] = []
        has_next = False
        for index in ordered:
            node = resource.nodes[keys[index][1]]
            if all(predicate(node) for predicate in predicates):
                if len(found) == first:
                    has_next = True
                    break
                found.append((index, node))
        return self.connection_body(
            found,
            selected,
            resource.type_name,
            has_next=has_next,
            has_previous=after is not None,
            sort_field=sort_field,
        )

    def connection_body(
        self,
        page: list[tuple[int, dict[str, Any]]],
        selected: Field,
        target: str,
        *,
        has_next: bool,
        has_previous: bool,
        sort_field: str | None,
    ) -> dict[str, Any]:
        """`page`: (index, node) pairs. A root connection's cursor carries the node's sort value and
        id, as Shopify's do; a nested one's the index after the element."""
        self.actual += 2

        def cursor(index: int, node: dict[str, Any]) -> str:
            if sort_field is None:
                return encode_cursor(index + 1, index + 1)
            return encode_cursor(node["_num"], node[sort_field])

        out: dict[str, Any] = {}
        for part in selected.selections or []:
            if part.name == "nodes":
                out[part.key] = [self.project(node, part.selections or NO_FIELDS, target) for _, node in page]
            elif part.name == "edges":
                edges = []
                for index, node in page:
                    edge: dict[str, Any] = {}
                    for inner in part.selections or []:
                        if inner.name == "cursor":
                            edge[inner.key] = cursor(index, node)
                        else:
                            edge[inner.key] = self.project(node, inner.selections or NO_FIELDS, target)
                    edges.append(edge)
                out[part.key] = edges
            elif part.name == "pageInfo":
                info = {
                    "hasNextPage": has_next,
                    "hasPreviousPage": has_previous,
                    "startCursor": cursor(*page[0]) if page else None,
                    "endCursor": cursor(*page[-1]) if page else None,
                }
                out[part.key] = self.project(info, part.selections or [], "PageInfo")
        return out


COMPARISONS: dict[str, Callable[[int, int], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
}


@dataclass(frozen=True, slots=True)
class SearchTerm:
    key: str  # the node's hidden epoch field
    compare: Callable[[int, int], bool]
    bound: int

    def __call__(self, node: dict[str, Any]) -> bool:
        return self.compare(node[self.key], self.bound)


def search_predicates(query: str, sort_field: str) -> tuple[list[SearchTerm], int | None]:
    """Shopify search syntax, the part the fake knows: `updated_at:>='...'`, `created_at:<...`, joined
    by spaces or AND. Returns the terms and, when one bounds the sort field from below, the lowest
    key value (so the page can start by bisecting)."""
    terms: list[SearchTerm] = []
    lower: int | None = None
    for name, comparison, text in SEARCH_TERM.findall(query):
        key = "_updated" if name == "updated_at" else "_created"
        bound, comparison = _epoch(text), comparison or "="
        terms.append(SearchTerm(key, COMPARISONS[comparison], bound))
        if key == sort_field and comparison in {">", ">=", "="}:
            candidate = bound + 1 if comparison == ">" else bound
            lower = candidate if lower is None else max(lower, candidate)
    return terms, lower


# -- the leaky bucket ---------------------------------------------------------------------------


@dataclass
class CostBucket:
    maximum: float
    restore_rate: float
    available: float
    stamp: float = field(default_factory=time.monotonic)

    def refill(self) -> None:
        now = time.monotonic()
        self.available = min(self.maximum, self.available + (now - self.stamp) * self.restore_rate)
        self.stamp = now

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": round(self.available, 1),
            "restoreRate": self.restore_rate,
        }


# -- the store's data ---------------------------------------------------------------------------


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _decimal(cents: int) -> str:
    """Shopify's Decimal scalar: "24.0", "24.5", "24.99"."""
    whole, part = divmod(cents, 100)
    if part == 0:
        return f"{whole}.0"
    return f"{whole}.{part // 10}" if part % 10 == 0 else f"{whole}.{part:02d}"


@cache
def _money_bag(cents: int) -> dict[str, Any]:
    """A MoneyBag; shared between all amounts alike, so never changed in place."""
    money = {"amount": _decimal(cents), "currencyCode": CURRENCY}
    return {"shopMoney": money, "presentmentMoney": money}


def _gid(kind: str, num: int) -> str:
    return f"gid://shopify/{kind}/{num}"


@dataclass
class CatalogueItem:
    title: str
    product_type: str
    variants: list[tuple[str, int, str]]  # (variant title, price in cents, sku)


def catalogue() -> list[CatalogueItem]:
    """The roastery's shop: coffee in sizes and grinds, cold brew, equipment, merchandise (one
    t-shirt in 25 size/colour variants: more than the adapter's first page of variants), and gift
    wrapping without a SKU."""
    items: list[CatalogueItem] = []
    for index, (origin, region, _process, price) in enumerate(SINGLE_ORIGINS, 1):
        items.append(CatalogueItem(f"{origin} {region}", "Coffee", _bag_variants(f"SO{index:02d}", price)))
    for index, (name, price) in enumerate(BLENDS + DECAFS, 1):
        items.append(CatalogueItem(name, "Coffee", _bag_variants(f"BL{index:02d}", price)))
    for prefix, names, kind in (("CB", COLD_BREWS, "Cold Brew"), ("EQ", EQUIPMENT, "Equipment")):
        for index, (name, price) in enumerate(names, 1):
            items.append(CatalogueItem(name, kind, [("Default Title", price, f"{prefix}{index:02d}")]))
    plain_merch = [(name, price) for name, price in MERCHANDISE if "," not in name]
    for index, (name, price) in enumerate(plain_merch, 1):
        items.append(CatalogueItem(name, "Merchandise", [("Default Title", price, f"MR{index:02d}")]))
    tee = [
        (f"{size} / {colour}", 2800 if size != "XXL" else 3000, f"TEE-{size}-{colour[:3].upper()}")
        for size in ("S", "M", "L", "XL", "XXL")
        for colour in ("Harbor Blue", "Charcoal", "Natural", "Forest", "Rust")
    ]
    items.append(CatalogueItem("Roastery T-shirt", "Merchandise", tee))
    items.append(CatalogueItem("Gift Wrapping", "Service", [("Default Title", 500, "")]))
    return items


def _bag_variants(sku: str, price: int) -> list[tuple[str, int, str]]:
    return [
        ("12 oz / Whole bean", price, f"{sku}-12WB"),
        ("12 oz / Ground", price, f"{sku}-12GR"),
        ("2 lb / Whole bean", price * 12 // 5 // 50 * 50, f"{sku}-2LB"),
    ]


class ShopifyStore:
    """The shop's products, customers and orders in GraphQL shape, generated from `seed`."""

    def __init__(self, count: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.now = int(time.time()) - 60  # everything generated lies before the fake started
        self.ids = iter(range(7_000_000_000, 8_000_000_000))
        self.shop: dict[str, Any] = {
            "id": "gid://shopify/Shop/68719476736",
            "name": "Northwind Coffee Roasters",
            "email": "hello@northwind-coffee.example",
            "currencyCode": CURRENCY,
            "myshopifyDomain": f"{SHOP}.myshopify.com",
            "ianaTimezone": "America/Los_Angeles",
        }
        self.resources = {
            "products": Resource("Product"),
            "customers": Resource("Customer"),
            "orders": Resource("Order"),
        }
        self.variants: list[dict[str, Any]] = []
        # projections of money values, by (id of the value, selection); the store keeps the values alive
        self.memo: dict[tuple[int, tuple[Any, ...]], tuple[dict[str, Any] | None, int]] = {}
        self.order_number = 1000
        start = self.now - HISTORY_DAYS * DAY
        for item in catalogue():
            self.add_product(item, start + self.rng.randrange(30 * DAY))
        customers = [self.add_customer(self.random_moment(start)) for _ in range(max(10, count // 2))]
        for index, placed in enumerate(sorted(self.random_moment(start) for _ in range(count))):
            customer = self.rng.choice(customers) if self.rng.random() < 0.92 else None
            if customer is not None and customer["_created"] > placed:
                customer = None
            self.add_order(placed, customer, special=index)

    def random_moment(self, start: int) -> int:
        # more recent days are busier: the shop grows
        return start + int((self.now - start - 3600) * self.rng.random() ** 0.8)

    def next_num(self) -> int:
        return next(self.ids)

    def by_gid(self, resource: Resource, gid: str) -> dict[str, Any] | None:
        prefix = f"gid://shopify/{resource.type_name}/"
        if not gid.startswith(prefix) or not gid[len(prefix) :].isdigit():
            return None
        return resource.nodes.get(int(gid[len(prefix) :]))

    # -- generation -------------------------------------------------------------------------------

    def add_product(self, item: CatalogueItem, created: int) -> dict[str, Any]:
        num = self.next_num()
        updated = created + self.rng.randrange(max(1, min(300 * DAY, self.now - created)))
        product: dict[str, Any] = {
            "_num": num,
            "_created": created,
            "_updated": updated,
            "id": _gid("Product", num),
            "title": item.title,
            "handle": re.sub(r"[^a-z0-9]+", "-", item.title.lower()).strip("-"),
            "productType": item.product_type,
            "vendor": "Northwind Roasters",
            "status": "ACTIVE",
            "tags": [],
            "createdAt": _iso(created),
            "updatedAt": _iso(updated),
            "variants": [],
        }
        for title, price, sku in item.variants:
            variant_num = self.next_num()
            variant = {
                "id": _gid("ProductVariant", variant_num),
                "sku": sku,
                "title": title,
                "price": f"{price // 100}.{price % 100:02d}",
                "compareAtPrice": None,
                "inventoryQuantity": self.rng.randrange(0, 400),
                "createdAt": _iso(created),
                "updatedAt": _iso(updated),
                "inventoryItem": {
                    "id": _gid("InventoryItem", variant_num + 1),
                    "tracked": True,
                    "unitCost": {
                        "amount": _decimal(price * self.rng.randrange(32, 48) // 100),
                        "currencyCode": CURRENCY,
                    }
                    if sku
                    else None,
                },
                "product": product,
                "_price": price,
            }
            product["variants"].append(variant)
            self.variants.append(variant)
        self.resources["products"].put(product)
        return product

    def add_customer(self, created: int) -> dict[str, Any]:
        num = self.next_num()
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        email = (
            f"{_ascii(first)}.{_ascii(last)}{num % 10_000}@example.{self.rng.choice(('com', 'net', 'org'))}"
        )
        if self.rng.random() < 0.1:  # some people type their address capitalised
            email = email.capitalize()
        updated = created + self.rng.randrange(max(1, min(200 * DAY, self.now - created)))
        if self.rng.random() < 0.82:
            city, country = self.rng.choice(US_CITIES)[0], "US"
        else:
            country, city, _ = self.rng.choice(INTERNATIONAL_CITIES)
        phone = f"+1503555{self.rng.randrange(10_000):04d}" if self.rng.random() < 0.6 else None
        customer: dict[str, Any] = {
            "_num": num,
            "_created": created,
            "_updated": updated,
            "id": _gid("Customer", num),
            "firstName": first,
            "lastName": last,
            "displayName": f"{first} {last}",
            "email": email,
            "phone": phone,
            "note": None,
            "state": "ENABLED" if self.rng.random() < 0.7 else "DISABLED",
            "tags": [],
            "numberOfOrders": "0",
            "createdAt": _iso(created),
            "updatedAt": _iso(updated),
            "defaultEmailAddress": {"emailAddress": email, "marketingState": "SUBSCRIBED"},
            "defaultPhoneNumber": {"phoneNumber": phone, "marketingState": "NOT_SUBSCRIBED"}
            if phone
            else None,
            "defaultAddress": {
                "address1": f"{self.rng.randrange(100, 9999)} {self.rng.choice(STREETS)} St",
                "city": city,
                "province": None,
                "provinceCode": None,
                "country": {"US": "United States"}.get(country, country),
                "countryCodeV2": country,
                "zip": f"{self.rng.randrange(10000, 99999)}",
            }
            if self.rng.random() < 0.9
            else None,
        }
        self.resources["customers"].put(customer)
        return customer

    def add_order(
        self, placed: int, customer: dict[str, Any] | None, *, special: int | None = None
    ) -> dict[str, Any]:
        rng = self.rng
        num = self.next_num()
        self.order_number += 1
        # now and then a big order (the 41st, then every 160th): more lines than the adapter's first page
        big = special is not None and special % 160 == 40
        line_count = 7 if big else rng.choice((1, 1, 2, 2, 3, 4))
        lines = []
        for variant in rng.sample(self.variants, line_count):
            quantity = rng.choice((1, 1, 1, 2, 3))
            line_num = self.next_num()
            lines.append(
                {
                    "id": _gid("LineItem", line_num),
                    "sku": variant["sku"] or None,
                    "name": _line_name(variant),
                    "title": variant["product"]["title"],
                    "variantTitle": variant["title"],
                    "vendor": "Northwind Roasters",
                    "quantity": quantity,
                    "currentQuantity": quantity,
                    "variant": variant,
                    "product": variant["product"],
                    "originalUnitPriceSet": _money_bag(variant["_price"]),
                    "originalTotalSet": _money_bag(variant["_price"] * quantity),
                    "discountedUnitPriceSet": _money_bag(variant["_price"]),
                    "discountedTotalSet": _money_bag(variant["_price"] * quantity),
                    "_total": variant["_price"] * quantity,
                }
            )
        subtotal = sum(line["_total"] for line in lines)
        discount = subtotal // 10 if rng.random() < 0.15 else 0
        shipping = 0 if subtotal - discount >= 5000 else 695
        tax = (subtotal - discount) * 85 // 1000 if rng.random() < 0.2 else 0
        total = subtotal - discount + shipping + tax
        financial, fulfillment, cancelled = self.statuses(placed)
        if special == 9:  # goodwill credits, one at a time: more refunds than the adapter's first list
            financial, fulfillment, cancelled = "PARTIALLY_REFUNDED", "FULFILLED", False
        email = customer["email"] if customer else f"guest{num % 100_000}@example.org"
        order: dict[str, Any] = {
            "_num": num,
            "_created": placed,
            "_updated": placed,
            "_total": total,
            "id": _gid("Order", num),
            "name": f"#{self.order_number}",
            "email": email,
            "phone": None,
            "note": None,
            "test": False,
            "createdAt": _iso(placed),
            "processedAt": _iso(placed),
            "cancelledAt": None,
            "cancelReason": None,
            "closedAt": None,
            "displayFinancialStatus": financial,
            "displayFulfillmentStatus": fulfillment,
            "currencyCode": CURRENCY,
            "presentmentCurrencyCode": CURRENCY,
            "sourceName": rng.choices(("web", "pos", "shopify_draft_order", "iphone"), (80, 12, 5, 3))[0],
            "customer": customer,
            "subtotalPriceSet": _money_bag(subtotal - discount),
            "totalDiscountsSet": _money_bag(discount),
            "totalTaxSet": _money_bag(tax),
            "totalShippingPriceSet": _money_bag(shipping),
            "totalPriceSet": _money_bag(total),
            "currentTotalPriceSet": _money_bag(total),
            "totalRefundedSet": _money_bag(0),
            "lineItems": lines,
            "refunds": [],
        }
        if cancelled:
            order["cancelledAt"] = _iso(placed + 3 * 3600)
            order["cancelReason"] = "CUSTOMER"
            order["_updated"] = placed + 3 * 3600
        if financial == "REFUNDED":
            self.refund(order, total, placed + rng.randrange(DAY, 20 * DAY), "Returned unopened")
        elif financial == "PARTIALLY_REFUNDED":
            if special == 9:
                for credit in range(6):
                    self.refund(order, 100, placed + (credit + 1) * DAY, "Goodwill credit")
            else:
                self.refund(
                    order, lines[0]["_total"], placed + rng.randrange(DAY, 20 * DAY), "Damaged in transit"
                )
        if fulfillment != "UNFULFILLED":
            order["_updated"] = max(order["_updated"], placed + rng.randrange(3600, 4 * DAY))
        order["_updated"] = min(order["_updated"], self.now)
        order["updatedAt"] = _iso(order["_updated"])
        self.resources["orders"].put(order)
        return order

    def statuses(self, placed: int) -> tuple[str, str, bool]:
        """(financial, fulfilment, cancelled) for an order placed at `placed`."""
        roll = self.rng.random()
        recent = self.now - placed < 3 * DAY
        if roll < 0.03:
            return ("VOIDED" if self.rng.random() < 0.5 else "REFUNDED"), "UNFULFILLED", True
        if roll < 0.05:
            return "PENDING", "UNFULFILLED", False
        if roll < 0.07:
            return "AUTHORIZED", "UNFULFILLED", False
        if roll < 0.11:
            return "REFUNDED", "FULFILLED", False
        if roll < 0.16:
            return "PARTIALLY_REFUNDED", "FULFILLED", False
        if recent:
            return "PAID", "UNFULFILLED", False
        return "PAID", ("FULFILLED" if self.rng.random() < 0.96 else "PARTIALLY_FULFILLED"), False

    def refund(self, order: dict[str, Any], cents: int, when: int, note: str) -> None:
        when = min(when, self.now)
        order["refunds"].append(
            {
                "id": _gid("Refund", self.next_num()),
                "note": note,
                "createdAt": _iso(when),
                "updatedAt": _iso(when),
                "totalRefundedSet": _money_bag(cents),
            }
        )
        refunded = sum(_cents(refund["totalRefundedSet"]) for refund in order["refunds"])
        order["totalRefundedSet"] = _money_bag(refunded)
        order["currentTotalPriceSet"] = _money_bag(order["_total"] - refunded)
        order["_updated"] = max(order["_updated"], when)
        order["updatedAt"] = _iso(order["_updated"])


def _ascii(name: str) -> str:
    return re.sub(
        r"[^a-z]", "", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    )


def _line_name(variant: dict[str, Any]) -> str:
    title = variant["product"]["title"]
    return title if variant["title"] == "Default Title" else f"{title} - {variant['title']}"


def _cents(bag: dict[str, Any]) -> int:
    whole, _, part = bag["shopMoney"]["amount"].partition(".")
    return int(whole) * 100 + int((part + "00")[:2])


# -- the fake server ----------------------------------------------------------------------------


class FakeShopify(FakeProvider):
    name = "shopify"
    oauth = OAuthPolicy(
        authorize_path="/admin/oauth/authorize",
        token_path="/admin/oauth/access_token",
        json_body=True,
        access_seconds=3600,
        issues_refresh_token=True,
        rotates_refresh_token=True,
        token_extras={"refresh_token_expires_in": 90 * DAY},
        redirect_uri_at_token=False,
    )
    GOOD_KEY = "shpat_" + "5f3c9a0e8b7d4c21a6e0f9b3d2c1e4a7"  # a custom app's Admin API token
    webhook_secret = CLIENT_SECRET  # Shopify signs webhooks with the app's client secret

    def __init__(
        self,
        *,
        count: int = 300,
        rate_limit: RateLimit | None = None,
        seed: int = 1,
        restore_rate: float = 1_000_000.0,
        maximum_available: float = 1000.0,
    ) -> None:
        """`restore_rate` defaults so high that the bucket never binds (tests and throughput runs do
        not wait; costs are still computed and reported); Shopify's plans restore 100 (Standard),
        200 (Advanced), 1,000 (Plus) points per second: pass one to see pacing."""
        super().__init__(rate_limit=rate_limit)
        gc.disable()  # generating 50k orders makes millions of dicts: no collector passes meanwhile
        try:
            self.store = ShopifyStore(count, seed)
        finally:
            gc.enable()
        self.bucket = CostBucket(maximum_available, restore_rate, maximum_available)
        self.access_tokens[self.GOOD_KEY] = None
        self.cost_throttled = 0  # THROTTLED answers sent
        self.points_spent = 0.0

    # -- what the tests and the app need ----------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return {"shop": SHOP}

    def authorize_extras(self) -> dict[str, str]:
        return {"shop": SHOP}

    def redirect_extras(self) -> dict[str, str]:
        host = base64.b64encode(f"admin.shopify.com/store/{SHOP}".encode()).decode().rstrip("=")
        return {"shop": f"{SHOP}.myshopify.com", "host": host, "timestamp": str(int(time.time()))}

    def sign_redirect(self, params: dict[str, str]) -> dict[str, str]:
        message = "&".join(f"{key}={value}" for key, value in sorted(params.items()))
        digest = hmac.new(CLIENT_SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
        return {**params, "hmac": digest}

    def totals(self) -> dict[str, int]:
        with self.lock:
            products = self.store.resources["products"].nodes.values()
            orders = list(self.store.resources["orders"].nodes.values())
            return {
                "products": sum(len(product["variants"]) for product in products),
                "customers": len(self.store.resources["customers"].nodes),
                "orders": len(orders),
                "order_items": sum(len(order["lineItems"]) for order in orders),
                "refunds": sum(len(order["refunds"]) for order in orders),
            }

    def mutate(self) -> None:
        """A new customer with a new two-line order, a price change on one product (all its
        variants come back), and a partial refund on an existing paid order. Shopify's GraphQL
        reports no deletions, so none are made."""
        with self.lock:
            store = self.store
            now = store.now = int(time.time())
            customer = store.add_customer(now)
            customer["firstName"], customer["lastName"], customer["displayName"] = (
                "Rosa",
                "Quintero",
                "Rosa Quintero",
            )
            order = store.add_order(now, customer)
            order["_updated"], order["updatedAt"] = now, _iso(now)
            store.resources["orders"].put(order)
            product = min(store.resources["products"].nodes.values(), key=lambda node: node["_num"])
            for variant in product["variants"]:
                variant["_price"] += 100
                variant["price"] = f"{variant['_price'] // 100}.{variant['_price'] % 100:02d}"
                variant["updatedAt"] = _iso(now)
            product["_updated"], product["updatedAt"] = now, _iso(now)
            store.resources["products"].put(product)
            orders = sorted(store.resources["orders"].nodes.values(), key=lambda node: node["_num"])
            paid = next(
                (node for node in orders if node["displayFinancialStatus"] == "PAID" and node is not order),
                order,
            )
            store.refund(paid, paid["lineItems"][0]["_total"], now, "Price adjustment")
            paid["displayFinancialStatus"] = "PARTIALLY_REFUNDED"
            paid["_updated"], paid["updatedAt"] = now, _iso(now)
            store.resources["orders"].put(paid)

    def webhook(self, url: str, *, topic: str = "orders/updated") -> tuple[bytes, dict[str, str]]:
        """A signed delivery of `topic` about the latest order (REST-shaped payload, as Shopify sends)."""
        with self.lock:
            order = max(self.store.resources["orders"].nodes.values(), key=lambda node: node["_num"])
            body = json.dumps(
                {
                    "id": order["_num"],
                    "admin_graphql_api_id": order["id"],
                    "name": order["name"],
                    "email": order["email"],
                    "created_at": order["createdAt"],
                    "updated_at": order["updatedAt"],
                    "financial_status": order["displayFinancialStatus"].lower(),
                    "currency": CURRENCY,
                    "total_price": order["totalPriceSet"]["shopMoney"]["amount"],
                    "line_items": [
                        {
                            "id": int(line["id"].rsplit("/", 1)[1]),
                            "sku": line["sku"],
                            "quantity": line["quantity"],
                        }
                        for line in order["lineItems"]
                    ],
                },
                separators=(",", ":"),
            ).encode()
        signature = base64.b64encode(
            hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).digest()
        ).decode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-Shop-Domain": f"{SHOP}.myshopify.com",
            "X-Shopify-API-Version": "2025-07",
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
        }
        return body, headers

    # -- HTTP -------------------------------------------------------------------------------------

    def api_routes(self) -> Sequence[BaseRoute]:
        return [
            Route("/admin/api/{version}/graphql.json", self._graphql, methods=["POST"]),
            Route("/admin/api_permissions/current.json", self._uninstall, methods=["DELETE"]),
        ]

    def unauthorized(self) -> Response:
        return JSONResponse(
            {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"},
            status_code=401,
        )

    async def _form(self, request: Request) -> dict[str, str]:
        # Shopify's token endpoint takes JSON or a form alike
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await request.json()
            return {key: str(value) for key, value in body.items()}
        return {key: str(value) for key, value in (await request.form()).items()}

    async def _uninstall(self, request: Request) -> Response:
        token = request.headers.get("x-shopify-access-token")
        if not self.token_valid(token):
            return self.unauthorized()
        with self.lock:
            self.revoked.append(token or "")
            self.access_tokens.pop(token or "", None)
            self.revoke_all_refresh_tokens()
        return JSONResponse({})

    async def _graphql(self, request: Request) -> Response:
        denied = self.guard(request, header="x-shopify-access-token")
        if denied is not None:
            return denied
        if request.path_params["version"] not in API_VERSIONS:
            return JSONResponse({"errors": "Not Found"}, status_code=404)
        try:
            payload = json.loads(await request.body())
            query = payload["query"]
        except (ValueError, KeyError, TypeError):
            return JSONResponse(
                {"errors": {"query": "Required parameter missing or invalid"}}, status_code=400
            )
        try:
            fields = Parser(query, payload.get("variables") or {}).document()
            requested = requested_cost(fields, "QueryRoot")
        except GraphQLError as exc:
            return _json({"errors": [_error(str(exc), exc.code)]})
        with self.lock:
            self.bucket.refill()
            if requested > MAX_QUERY_COST:
                message = f"Query cost is {requested}, which exceeds the single query max cost limit (1000)."
                return _json(
                    {"errors": [_error(message, "MAX_COST_EXCEEDED")], **self._cost(requested, None)}
                )
            if self.bucket.available < requested:
                self.cost_throttled += 1
                return _json({"errors": [_error("Throttled", "THROTTLED")], **self._cost(requested, None)})
            self.bucket.available -= requested
            executor = Executor(self.store)
            try:
                data = executor.root(fields)
            except GraphQLError as exc:
                self.bucket.available += requested
                return _json({"errors": [_error(str(exc), exc.code)]})
            self.bucket.available = min(
                self.bucket.maximum, self.bucket.available + requested - executor.actual
            )
            self.points_spent += executor.actual
            return _json({"data": data, **self._cost(requested, executor.actual)})

    def _cost(self, requested: int, actual: int | None) -> dict[str, Any]:
        return {
            "extensions": {
                "cost": {
                    "requestedQueryCost": requested,
                    "actualQueryCost": actual,
                    "throttleStatus": self.bucket.status(),
                }
            }
        }


def _error(message: str, code: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}}


ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)  # answers are fresh trees


def _json(body: dict[str, Any]) -> Response:
    return Response(ENCODER.encode(body), media_type="application/json")
