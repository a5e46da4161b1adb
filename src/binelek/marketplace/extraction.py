"""Reading a product page: title, price, currency, availability and identifiers of the product it
sells. Pure (no I/O): the checker fetches or renders, this reads.

Order of trust for the price:
1. a user's CSS selector, when given: the first match's amount, whatever else the page says;
2. structured data (JSON-LD, microdata, product meta tags) of the page's main product — the one
   whose name matches the page's title and headings — checked against the visible page: when
   sources disagree, the amount shown near the title wins; when the stated amount is shown only
   struck through next to a different current price, the visible sale price wins;
3. DOM heuristics (`extraction_dom`): the best-placed visible amount near the title.
When nothing is trustworthy the price is None with a reason: a guessed number would become a
false price change.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urljoin

from rapidfuzz import fuzz
from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from binelek.marketplace.currencies import (
    country_from_lang,
    country_from_url,
    normalise_code,
    resolve_currency,
)
from binelek.marketplace.extraction_dom import (
    PageDom,
    PriceCandidate,
    cart_enabled,
    price_candidates,
    read_dom,
    stock_from_text,
    visible_availability,
)
from binelek.marketplace.extraction_structured import (
    Offer,
    ProductData,
    overall_availability,
    read_structured,
)
from binelek.marketplace.extraction_text import (
    Availability,
    find_prices,
    normalise_availability,
    parse_amount,
    structured_amount,
)

Method = Literal["selector", "json-ld", "microdata", "opengraph", "meta", "dom", "none"]

DOM_MIN_SCORE = 0.55  # below this a DOM amount is not trusted as the product's price
TITLE_LIKENESS = 50  # rapidfuzz token-set ratio from which a product name matches the page title
_SOURCE_WEIGHT = {"json-ld": 0.9, "microdata": 0.85, "opengraph": 0.75, "meta": 0.7}
_KIND_PENALTY = {"price": 0.0, "low": 0.2, "ambiguous": 0.25}
_UNTRUSTED_PENALTY = 0.1  # a product kept only because it is its source's only one
_VISIBLE_WEIGHT = 0.6  # how much being shown near the title adds to a stated amount
_TEMPLATE_LEFTOVER = re.compile(r"^\$[a-z_]+$|\{\{|\}\}|^%[a-z_]+%$", re.IGNORECASE)


@dataclass(frozen=True)
class Extraction:
    title: str | None
    price: Decimal | None
    currency: str | None  # ISO 4217
    availability: Availability | None
    sku: str | None
    brand: str | None
    image: str | None  # absolute URL
    gtin: str | None
    mpn: str | None
    method: str  # where the price came from: "selector", "json-ld", "microdata", "opengraph", "meta", "dom"
    confidence: float  # 0..1
    candidates: list[dict[str, Any]] = field(default_factory=list)  # what was considered
    reason: str | None = None  # why no price, when price is None


@dataclass(frozen=True, slots=True)
class _Stated:
    """One source's statement of the price."""

    amount: Decimal
    currency: str | None
    source: str
    weight: float


@dataclass(frozen=True, slots=True)
class _Decision:
    price: Decimal | None
    currency: str | None
    method: Method
    confidence: float
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class _Context:
    """What resolves a currency symbol on this page."""

    countries: tuple[str | None, ...]
    page_currency: str | None

    def currency(self, token: str | None) -> str | None:
        return resolve_currency(token, page_currency=self.page_currency, countries=self.countries)


def extract(html: str, url: str, *, selector: str | None = None) -> Extraction:
    """Read the product on a page. `url` is the page's final address (resolves relative image
    URLs, hints the currency); `selector`, when given, is where the price is."""
    tree = LexborHTMLParser(html)
    selected_text = _selected_text(tree, selector) if selector else None
    structured = read_structured(tree, url)
    meta = structured.meta
    html_node = tree.css_first("html")
    lang = html_node.attributes.get("lang") if html_node else None
    page_title = _page_title(tree)
    headings = [" ".join(node.text(deep=True).split()) for node in tree.css("h1")[:6]]
    titles = [name for name in (meta.get("og:title"), page_title) if name]
    main = _main_products(structured.products, titles + [heading for heading in headings if heading])
    dom = read_dom(tree, [product.name for product in main if product.name] + titles)
    dom_candidates = price_candidates(dom)
    stated = _stated_prices(main, meta)
    declared = next((statement.currency for statement in stated if statement.currency), None)
    context = _Context(
        countries=(country_from_url(url), country_from_lang(lang)),
        page_currency=declared
        or normalise_code(meta.get("product:price:currency") or meta.get("og:price:currency")),
    )
    if selector:
        decision = _price_from_selector(selected_text, selector, context)
    else:
        decision = _decide_price(stated, dom_candidates, context)
    return Extraction(
        title=_title(main, dom, meta, page_title),
        price=decision.price,
        currency=decision.currency,
        availability=_availability(main, meta, dom) or _priced_and_buyable(decision.price, dom),
        sku=_clean(_field(main, "sku") or meta.get("product:retailer_item_id")),
        brand=_clean(_field(main, "brand") or meta.get("product:brand") or meta.get("og:brand")),
        image=_absolute(_base_url(tree, url), _field(main, "image") or meta.get("og:image")),
        gtin=_clean(_field(main, "gtin") or meta.get("product:gtin")),
        mpn=_clean(_field(main, "mpn") or meta.get("product:mfr_part_no")),
        method=decision.method,
        confidence=round(decision.confidence, 3),
        candidates=_considered(stated, dom_candidates),
        reason=decision.reason,
    )


def _considered(stated: list[_Stated], dom: list[PriceCandidate]) -> list[dict[str, Any]]:
    """What the decision weighed, for debugging and for the UI: every structured statement and
    the best-scored amounts on the page."""
    considered: list[dict[str, Any]] = [
        {
            "source": statement.source,
            "amount": str(statement.amount),
            "currency": statement.currency,
            "score": round(statement.weight, 3),
        }
        for statement in stated
    ]
    considered += [candidate.as_dict() for candidate in sorted(dom, key=lambda c: -c.score)[:12]]
    return considered


# -- the main product ---------------------------------------------------------------------------------


def _main_products(products: list[ProductData], references: list[str]) -> list[ProductData]:
    """The page's own product per source (JSON-LD first, then microdata): the one whose name is
    closest to the page's titles and headings. A source whose named products all look like other
    products (recommendations marked up as products) contributes nothing, unless it has just one
    product: then it is kept, trusted a little less."""
    chosen: list[ProductData] = []
    for source in ("json-ld", "microdata"):
        of_source = [product for product in products if product.source == source]
        if not of_source:
            continue
        named = sorted(
            (product for product in of_source if product.name),
            key=lambda product: -_likeness(product.name, references),
        )
        if named and (not references or _likeness(named[0].name, references) >= TITLE_LIKENESS):
            chosen.append(_merge_same(of_source, named[0]))
            continue
        nameless = [product for product in of_source if not product.name and product.offers]
        lone = of_source[0] if len(of_source) == 1 else (nameless[0] if nameless and not named else None)
        if lone is not None:
            lone.trusted = False
            chosen.append(_merge_same(of_source, lone))
    return chosen


def _merge_same(products: list[ProductData], main: ProductData) -> ProductData:
    """Pages often split one product over several blocks (one per size, one with the offers and
    one with the reviews): the offers of blocks with the same name, or none, join the main one."""
    merged = list(main.offers)
    for product in products:
        if product is not main and (not product.name or product.name == main.name):
            merged.extend(product.offers)
    if len(merged) != len(main.offers):
        main.offers = merged
        availabilities = [offer.availability for offer in merged if offer.availability]
        main.availability = overall_availability(availabilities)
    return main


def _likeness(name: str | None, references: list[str]) -> float:
    if not name or not references:
        return 0.0
    lowered = name.lower()
    return max(fuzz.token_set_ratio(lowered, reference.lower()) for reference in references)


def _field(products: list[ProductData], name: str) -> str | None:
    for product in products:
        value = getattr(product, name)
        if value:
            return str(value)
    return None


def _clean(value: str | None) -> str | None:
    """None for values a template forgot to fill in ("$metabrand", "{{ sku }}")."""
    if not value or _TEMPLATE_LEFTOVER.search(value.strip()):
        return None
    return value.strip()[:300]


# -- price decision -----------------------------------------------------------------------------------


def _stated_prices(main: list[ProductData], meta: dict[str, str]) -> list[_Stated]:
    stated: list[_Stated] = []
    for product in main:
        penalty = 0.0 if product.trusted else _UNTRUSTED_PENALTY
        for offer, share in _offer_amounts(product.offers):
            # Amounts stated by fewer of the offers weigh less: the visible page settles the rest.
            weight = _SOURCE_WEIGHT[product.source] - _KIND_PENALTY.get(offer.kind, 0.0) - 0.1 * (1 - share)
            stated.append(_Stated(offer.amount, offer.currency, product.source, weight - penalty))
    meta_currency = normalise_code(meta.get("product:price:currency") or meta.get("og:price:currency"))
    for key, source, weight in (
        ("product:sale_price:amount", "meta", 0.8),
        ("product:price:amount", "opengraph", 0.7),
        ("og:price:amount", "opengraph", 0.7),
    ):
        amount = structured_amount(meta.get(key))
        if amount is not None:
            currency = normalise_code(meta.get(key.replace(":amount", ":currency"))) or meta_currency
            stated.append(_Stated(amount, currency, source, weight))
            break
    twitter = meta.get("twitter:data1")
    if twitter and not any(statement.source in ("meta", "opengraph") for statement in stated):
        amount = parse_amount(twitter)
        if amount is not None:
            stated.append(_Stated(amount, None, "meta", 0.6))
    return stated


def _offer_amounts(offers: list[Offer]) -> list[tuple[Offer, float]]:
    """The distinct amounts of a product's offers (sizes, colours, sellers), each with its share
    relative to the most common one; current prices only when there are any."""
    current = [offer for offer in offers if offer.kind != "low"] or offers
    counts = Counter(offer.amount for offer in current)
    if not counts:
        return []
    top = max(counts.values())
    firsts: dict[Decimal, Offer] = {}
    for offer in current:
        firsts.setdefault(offer.amount, offer)
    return [(offer, counts[amount] / top) for amount, offer in firsts.items()][:8]


def _decide_price(stated: list[_Stated], dom: list[PriceCandidate], context: _Context) -> _Decision:
    visible: dict[Decimal, float] = {}
    struck: dict[Decimal, float] = {}
    for candidate in dom:
        target = struck if candidate.old and not candidate.foreign else visible
        target[candidate.amount] = max(target.get(candidate.amount, 0.0), candidate.score)
    best_dom = _best_dom(dom)
    if stated:
        return _decide_stated(stated, visible, struck, best_dom, dom, context)
    if best_dom is None:
        return _Decision(None, None, "none", 0.0, _no_price_reason(dom))
    amount, score, runner_up = best_dom
    confidence = 0.85 * score * (0.8 if runner_up > score - 0.1 else 1.0)
    return _Decision(amount, context.currency(_token_for(dom, amount)), "dom", confidence)


def _decide_stated(
    stated: list[_Stated],
    visible: dict[Decimal, float],
    struck: dict[Decimal, float],
    best_dom: tuple[Decimal, float, float] | None,
    dom: list[PriceCandidate],
    context: _Context,
) -> _Decision:
    by_amount: dict[Decimal, list[_Stated]] = {}
    for statement in stated:
        by_amount.setdefault(statement.amount, []).append(statement)
    support = {
        amount: max(s.weight for s in statements)
        + 0.05 * (len(statements) - 1)
        + _VISIBLE_WEIGHT * visible.get(amount, 0.0)
        for amount, statements in by_amount.items()
    }
    chosen = max(support, key=lambda amount: support[amount])
    statement = max(by_amount[chosen], key=lambda s: s.weight)
    seen = visible.get(chosen, 0.0)
    # A discount shown on the page but not in the markup: the stated amount is visible only as the
    # struck-through price, and a different amount is clearly the current one.
    if (
        best_dom is not None
        and best_dom[0] != chosen
        and best_dom[1] >= 0.75
        and struck.get(chosen, 0.0) >= 0.3
        and seen < 0.5
    ):
        amount = best_dom[0]
        return _Decision(amount, context.currency(_token_for(dom, amount)), "dom", 0.8 * best_dom[1])
    currency = statement.currency or context.currency(_token_for(dom, chosen))
    confidence = min(0.99, statement.weight - 0.05 + 0.15 * seen + 0.03 * (len(by_amount[chosen]) - 1))
    if len(by_amount) > 1 and seen < 0.5:
        confidence *= 0.8  # the sources disagree and the page does not settle it
    return _Decision(chosen, currency, _method(statement.source), confidence)


def _method(source: str) -> Method:
    if source == "json-ld":
        return "json-ld"
    if source == "microdata":
        return "microdata"
    return "opengraph" if source == "opengraph" else "meta"


def _best_dom(dom: list[PriceCandidate]) -> tuple[Decimal, float, float] | None:
    """The best amount among DOM candidates, as (amount, score, the runner-up amount's score),
    when it passes the trust threshold. An amount shown in several well-placed spots (a price
    block and a sticky buy bar) scores a little more; ties go to the first in the document."""
    groups: dict[Decimal, list[float]] = {}
    for candidate in dom:
        groups.setdefault(candidate.amount, []).append(candidate.score)
    if not groups:
        return None
    totals = {
        amount: max(scores) + 0.02 * min(2, max(0, sum(1 for score in scores if score >= 0.7) - 1))
        for amount, scores in groups.items()
    }
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    amount, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if score < DOM_MIN_SCORE - 1e-9:
        return None
    return amount, min(1.0, score), runner_up


def _token_for(dom: list[PriceCandidate], amount: Decimal) -> str | None:
    """The currency written next to the best-placed occurrence of an amount."""
    for candidate in sorted(dom, key=lambda c: -c.score):
        if candidate.amount == amount and candidate.currency_token:
            return candidate.currency_token
    return None


def _no_price_reason(dom: list[PriceCandidate]) -> str:
    if not dom:
        return "no price on the page: none in structured data and no amount next to a currency"
    best = max(dom, key=lambda candidate: candidate.score)
    why = ", ".join(best.reasons) or "weak"
    return (
        "no trustworthy price: none in structured data, and the amounts on the page "
        f"(best {best.amount}: {why}) look like other products' prices or fees"
    )


def _price_from_selector(text: str | None, selector: str, context: _Context) -> _Decision:
    if text is None:
        return _Decision(
            None, None, "selector", 0.0, f"the selector {selector!r} matched nothing (or is not CSS)"
        )
    matches = find_prices(text)
    if matches:
        amount, token = parse_amount(matches[0].number), matches[0].token
    else:
        amount, token = parse_amount(text), None
    if amount is None:
        reason = f"the selector {selector!r} matched text without an amount: {text[:60]!r}"
        return _Decision(None, None, "selector", 0.0, reason)
    return _Decision(amount, context.currency(token), "selector", 0.95)


def _selected_text(tree: LexborHTMLParser, selector: str) -> str | None:
    """The first match's text, or its `content`/`value` attribute (a `<meta itemprop=price>`)."""
    try:
        node = tree.css_first(selector)
    except SelectolaxError:
        return None
    if node is None:
        return None
    text = " ".join(node.text(deep=True).split())
    return text or node.attributes.get("content") or node.attributes.get("value") or None


# -- other fields -------------------------------------------------------------------------------------


def _availability(main: list[ProductData], meta: dict[str, str], dom: PageDom) -> Availability | None:
    for product in main:
        if product.availability:
            return product.availability
    for key in ("product:availability", "og:availability"):
        stated = normalise_availability(meta.get(key)) or stock_from_text(meta.get(key) or "")
        if stated:
            return stated
    return visible_availability(dom)


def _priced_and_buyable(price: Decimal | None, dom: PageDom) -> Availability | None:
    """A product page with a price and nothing saying otherwise is on sale — unless its buy button
    is there but greyed out, which says something without saying what."""
    if price is None or cart_enabled(dom) is False:
        return None
    return "in_stock"


def _title(main: list[ProductData], dom: PageDom, meta: dict[str, str], page_title: str | None) -> str | None:
    for candidate in (_clean(_field(main, "name")), dom.title, meta.get("og:title"), page_title):
        if candidate:
            return " ".join(candidate.split())[:500]
    return None


def _page_title(tree: LexborHTMLParser) -> str | None:
    node = tree.css_first("title")
    text = " ".join(node.text(deep=True).split()) if node else ""
    return text or None


def _base_url(tree: LexborHTMLParser, url: str) -> str:
    base = tree.css_first("base[href]")
    href = (base.attributes.get("href") or "").strip() if base else ""
    return urljoin(url, href) if href else url


def _absolute(base_url: str, link: str | None) -> str | None:
    if not link:
        return None
    absolute = urljoin(base_url, link.strip())
    return absolute if absolute.startswith(("http://", "https://")) else None
