"""Structured product data on a page: JSON-LD, microdata and Open Graph / product meta tags.

extruct reads microdata and Open Graph in its uniform syntax, but only from a small document built
here from the page's meta tags and its product-bearing `itemscope` subtrees: a multi-megabyte page
is parsed once (by selectolax), not twice. JSON-LD blocks are parsed one by one, leniently (comments,
trailing commas), so one broken block does not take the others with it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import extruct
from selectolax.lexbor import LexborHTMLParser, LexborNode

from binelek.marketplace.currencies import normalise_code
from binelek.marketplace.extraction_text import Availability, normalise_availability, structured_amount

log = logging.getLogger(__name__)

# schema.org types that describe a thing for sale (any node with `offers` counts too).
_PRODUCT_TYPES = frozenset({
    "product", "productgroup", "productmodel", "individualproduct", "someproducts", "vehicle", "car",
    "motorcycle", "book", "softwareapplication", "mobileapplication", "videogame", "musicalbum",
    "movie", "creativework", "event", "service", "course", "menuitem", "ticket",
})  # fmt: skip
_OFFER_TYPES = frozenset({"offer", "aggregateoffer"})
# JSON-LD keys under which other products hang (related, similar, listed): never the page's product.
_FOREIGN_KEYS = frozenset({
    "isrelatedto", "issimilarto", "isaccessoryorsparepartfor", "isconsumablefor", "itemlistelement",
    "mentions", "review", "reviews", "relatedlink", "significantlink", "haspart", "ispartof",
    "subjectof", "recommendations", "workexample",
})  # fmt: skip
# priceSpecification types that are not what a buyer pays now.
_NON_CURRENT_PRICE_TYPES = (
    "listprice",
    "strikethroughprice",
    "srp",
    "msrp",
    "invoiceprice",
    "minimumadvertised",
)
_GTIN_KEYS = ("gtin13", "gtin", "gtin12", "gtin14", "gtin8", "isbn")
_MICRODATA_LIMIT = 400_000  # characters of itemscope subtrees handed to extruct
_JS_COMMENTS = re.compile(r"/\*.*?\*/|^\s*//[^\n]*$|<!--|-->|<!\[CDATA\[|\]\]>", re.DOTALL | re.MULTILINE)
_TRAILING_COMMAS = re.compile(r",\s*([}\]])")


@dataclass(frozen=True, slots=True)
class Offer:
    """One price a page states in structured data."""

    amount: Decimal
    currency: str | None
    availability: Availability | None
    kind: str  # "price", "low" (an AggregateOffer's lowPrice) or "ambiguous" (a text with two amounts)


@dataclass(slots=True)
class ProductData:
    """One product described by JSON-LD or microdata."""

    source: str  # "json-ld" or "microdata"
    name: str | None = None
    sku: str | None = None
    brand: str | None = None
    gtin: str | None = None
    mpn: str | None = None
    image: str | None = None
    url: str | None = None
    offers: list[Offer] = field(default_factory=list)
    availability: Availability | None = None
    trusted: bool = True  # False: kept as its source's only product although its name is unlike the page's


@dataclass(slots=True)
class StructuredData:
    products: list[ProductData] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)  # Open Graph and product meta tags, first value


def read_structured(tree: LexborHTMLParser, url: str) -> StructuredData:
    """Everything the page states about its products in JSON-LD, microdata and meta tags."""
    data = StructuredData()
    for script in tree.css("script"):
        if "ld+json" in (script.attributes.get("type") or "").lower():
            for node in _product_nodes(_load_json(script.text(deep=True))):
                data.products.append(_product_from_node(node, "json-ld"))
    small_document = _extruct_document(tree)
    try:
        extracted = extruct.extract(
            small_document, base_url=url, syntaxes=["microdata", "opengraph"], uniform=True, errors="log"
        )
    except Exception:  # extruct raises parser errors of its own on garbage markup
        log.debug("extruct failed on %s", url, exc_info=True)
        extracted = {}
    for item in extracted.get("microdata") or []:
        for node in _product_nodes(item):
            data.products.append(_product_from_node(node, "microdata"))
    for graph in extracted.get("opengraph") or []:
        for key, value in graph.items():
            if isinstance(key, str) and ":" in key and key.lower() not in data.meta:
                text = _first_text(value)
                if text:
                    data.meta[key.lower()] = text
    _add_named_meta(tree, data.meta)
    return data


def _load_json(text: str) -> Any:
    try:
        return json.loads(text, strict=False)
    except ValueError:
        pass
    cleaned = _TRAILING_COMMAS.sub(r"\1", _JS_COMMENTS.sub("", text))
    try:
        return json.loads(cleaned, strict=False)
    except ValueError:
        return None


def _lower_keys(value: Any, depth: int = 0) -> Any:
    """The same document with lower-case keys: shops write "pricecurrency" and "PriceCurrency"."""
    if depth > 20:
        return None
    if isinstance(value, dict):
        return {str(key).lower(): _lower_keys(child, depth + 1) for key, child in value.items()}
    if isinstance(value, list):
        return [_lower_keys(child, depth + 1) for child in value]
    return value


def _types(node: dict[str, Any]) -> set[str]:
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {str(value).rsplit("/", 1)[-1].lower() for value in values if value}


def _product_nodes(root: Any) -> list[dict[str, Any]]:
    """Product-like nodes of a JSON-LD document (or extruct microdata item), in document order,
    skipping whatever hangs under related/similar/listed keys. Keys come back in lower case. An
    offer that stands alone (no product around it) counts as a product without a name."""
    found: list[dict[str, Any]] = []
    root = _lower_keys(root)
    if isinstance(root, dict) and _types(root) & _OFFER_TYPES:
        return [{"offers": root}]

    def walk(node: Any, depth: int) -> None:
        if depth > 12:
            return
        if isinstance(node, list):
            for child in node:
                walk(child, depth + 1)
            return
        if not isinstance(node, dict):
            return
        types = _types(node)
        if types & _PRODUCT_TYPES or ("offers" in node and not types & _OFFER_TYPES):
            found.append(node)
            return  # variants (hasVariant) are read with their group
        for key, child in node.items():
            if str(key).lower() not in _FOREIGN_KEYS:
                walk(child, depth + 1)

    walk(root, 0)
    return found


def _product_from_node(node: dict[str, Any], source: str) -> ProductData:
    product = ProductData(
        source=source,
        name=_first_text(node.get("name")),
        sku=_first_text(node.get("sku")) or _product_id(node.get("productid")),
        brand=_brand(node.get("brand") or node.get("manufacturer")),
        gtin=_first_text(next((node[key] for key in _GTIN_KEYS if node.get(key)), None)),
        mpn=_first_text(node.get("mpn")),
        image=_image(node.get("image")),
        url=_first_text(node.get("url")),
    )
    product.offers = _offers(node.get("offers"))
    if "price" in node and not product.offers:  # a price put on the product itself (not schema.org)
        product.offers = _offers({"price": node["price"], "pricecurrency": node.get("pricecurrency")})
    for variant in _as_list(node.get("hasvariant")):
        if isinstance(variant, dict):
            product.offers.extend(_offers(variant.get("offers")))
    availabilities = [offer.availability for offer in product.offers if offer.availability]
    product.availability = overall_availability(availabilities)
    return product


def overall_availability(values: list[Availability]) -> Availability | None:
    """A product is in stock when any of its offers (sizes, colours) is."""
    wanted: tuple[Availability, ...] = ("in_stock", "limited", "preorder", "backorder")
    for state in wanted:
        if state in values:
            return state
    return values[0] if values else None


def _offers(raw: Any, depth: int = 0) -> list[Offer]:
    offers: list[Offer] = []
    if depth > 4:
        return offers
    for offer in _as_list(raw):
        if not isinstance(offer, dict):
            continue
        currency = normalise_code(_first_text(offer.get("pricecurrency")))
        availability = normalise_availability(_first_text(offer.get("availability")))
        amount, kind = _offer_amount(offer)
        offers.extend(_offers(offer.get("offers"), depth + 1))  # an AggregateOffer's own offers
        if amount is None:
            continue
        if currency is None:
            currency = _specification_currency(offer.get("pricespecification"))
        offers.append(Offer(amount, currency, availability, kind))
    return offers


def _offer_amount(offer: dict[str, Any]) -> tuple[Decimal | None, str]:
    price_text = _first_text(offer.get("price"))
    amount = structured_amount(_first_value(offer.get("price")))
    if amount is not None:
        ambiguous = price_text is not None and len(re.findall(r"\d+(?:[.,]\d+)*", price_text)) > 1
        return amount, "ambiguous" if ambiguous else "price"
    amount = _specification_amount(offer.get("pricespecification"))
    if amount is not None:
        return amount, "price"
    amount = structured_amount(_first_value(offer.get("lowprice")))
    return amount, "low"


def _current_specifications(raw: Any) -> list[dict[str, Any]]:
    return [
        spec
        for spec in _as_list(raw)
        if isinstance(spec, dict)
        and not any(word in str(spec.get("pricetype", "")).lower() for word in _NON_CURRENT_PRICE_TYPES)
        and not spec.get("referencequantity")  # a unit price (per kg, per litre)
    ]


def _specification_amount(raw: Any) -> Decimal | None:
    for spec in _current_specifications(raw):
        amount = structured_amount(_first_value(spec.get("price")))
        if amount is not None:
            return amount
    return None


def _specification_currency(raw: Any) -> str | None:
    for spec in _current_specifications(raw):
        currency = normalise_code(_first_text(spec.get("pricecurrency")))
        if currency:
            return currency
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _first_value(value: Any) -> Any:
    values = _as_list(value)
    return values[0] if values else None


def _first_text(value: Any) -> str | None:
    for item in _as_list(value):
        if isinstance(item, dict):
            item = item.get("@value") or item.get("name") or item.get("@id")
        if isinstance(item, int | float) and not isinstance(item, bool):
            item = str(item)
        if isinstance(item, str) and item.strip():
            return " ".join(item.split())
    return None


def _brand(value: Any) -> str | None:
    for item in _as_list(value):
        text = _first_text(item.get("name")) if isinstance(item, dict) else _first_text(item)
        if text:
            return text
    return None


def _image(value: Any) -> str | None:
    for item in _as_list(value):
        if isinstance(item, dict):
            text = _first_text(item.get("url") or item.get("contenturl") or item.get("@id"))
        else:
            text = _first_text(item)
        if text:
            return text
    return None


def _product_id(value: Any) -> str | None:
    text = _first_text(value)
    if text and ":" in text and not text.startswith("http"):
        text = text.split(":", 1)[1].strip()  # "sku:12345", "isbn:978…"
    return text or None


def _extruct_document(tree: LexborHTMLParser) -> str:
    """A small HTML document with only what extruct needs: the head's meta tags and the outermost
    `itemscope` elements that describe products or offers."""
    parts = ["<html><head>"]
    for meta in tree.css("meta[property]"):
        parts.append(meta.html or "")
    parts.append("</head><body>")
    used = 0
    for scope in _outermost_product_scopes(tree):
        markup = scope.html or ""
        if used + len(markup) > _MICRODATA_LIMIT:
            break
        parts.append(markup)
        used += len(markup)
    parts.append("</body></html>")
    return "".join(parts)


def _outermost_product_scopes(tree: LexborHTMLParser) -> list[LexborNode]:
    chosen: list[LexborNode] = []
    chosen_ids: set[int] = set()
    for scope in tree.css("[itemscope][itemtype]"):
        item_type = (scope.attributes.get("itemtype") or "").lower()
        last_segments = {part.rsplit("/", 1)[-1] for part in item_type.split()}
        if not last_segments & (_PRODUCT_TYPES | _OFFER_TYPES):
            continue
        ancestor = scope.parent
        inside_chosen = False
        while ancestor is not None:
            if ancestor.mem_id in chosen_ids:
                inside_chosen = True
                break
            ancestor = ancestor.parent
        if not inside_chosen:
            chosen.append(scope)
            chosen_ids.add(scope.mem_id)
    return chosen


def _add_named_meta(tree: LexborHTMLParser, meta: dict[str, str]) -> None:
    """Product meta tags written with `name=` (extruct's Open Graph reads `property=` only), and
    Shopify-style `twitter:data1` when its label says it is the price."""
    for tag in tree.css("meta[name]"):
        name = (tag.attributes.get("name") or "").lower()
        content = (tag.attributes.get("content") or "").strip()
        if content and name.startswith(("product:", "og:")) and name not in meta:
            meta[name] = content
    for tag in tree.css('meta[name="twitter:label1"], meta[name="twitter:data1"]'):
        key = (tag.attributes.get("name") or "").lower()
        meta.setdefault(key, (tag.attributes.get("content") or "").strip())
    label = (meta.get("twitter:label1") or "").lower()
    if "price" not in label and "preis" not in label and "prix" not in label and "precio" not in label:
        meta.pop("twitter:data1", None)
