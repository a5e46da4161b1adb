"""Product-page extraction: the 73 real pages of the product-extraction benchmark (served from a
loopback HTTP server, fetched with httpx) scored against their gold labels, and synthetic pages for
each rule — selector first, structured data checked against the visible page, recommendations,
old prices, instalments, fees and unit prices left out, currencies resolved with page signals,
stock phrases in several languages, and "no price" said plainly."""

from __future__ import annotations

import asyncio
import json
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from binelek.marketplace.currencies import country_from_url, resolve_currency
from binelek.marketplace.extraction import Extraction, extract
from binelek.marketplace.extraction_text import find_prices, parse_amount

PAGES = Path(__file__).resolve().parents[2] / "shared" / "data" / "product-pages"
GOLD_AVAILABILITY = {"InStock": "in_stock", "OutOfStock": "out_of_stock"}


# -- the benchmark pages, over HTTP -------------------------------------------------------------------


class _PageHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        page = PAGES / "html" / f"{self.path.strip('/').removesuffix('.html')}.html.gz"
        if "/" in self.path.strip("/") or not page.is_file():
            self.send_error(404)
            return
        body = page.read_bytes()  # sent gzipped, as a server would: httpx decodes it
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def page_server() -> Iterator[str]:
    if not (PAGES / "ground-truth.json").is_file():
        pytest.skip(f"benchmark pages not found at {PAGES}")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class _Scored:
    page_id: str
    gold: dict[str, Any]
    extraction: Extraction
    seconds: float


async def _fetch_and_extract(base: str) -> list[_Scored]:
    gold = json.loads((PAGES / "ground-truth.json").read_text())
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def fetch(page_id: str) -> tuple[str, str]:
            async with limit:
                response = await client.get(f"/{page_id}.html")
                response.raise_for_status()
                return page_id, response.text

        pages = await asyncio.gather(*(fetch(page_id) for page_id in gold))
    scored = []
    for page_id, html in pages:
        started = time.perf_counter()
        # The page's own address: its TLD is one of the currency signals, as in production.
        extraction = extract(html, gold[page_id]["url"])
        scored.append(_Scored(page_id, gold[page_id], extraction, time.perf_counter() - started))
    return scored


def _price_correct(item: _Scored) -> bool:
    price = item.extraction.price
    return price is not None and any(Decimal(value.strip()) == price for value in item.gold.get("price", []))


@pytest.fixture(scope="module")
async def scored(page_server: str) -> list[_Scored]:
    return await _fetch_and_extract(page_server)


def test_benchmark_pages_price_f1_and_availability(scored: list[_Scored]) -> None:
    assert len(scored) == 73
    correct = sum(1 for item in scored if _price_correct(item))
    returned = sum(1 for item in scored if item.extraction.price is not None)
    with_gold = sum(1 for item in scored if item.gold.get("price"))
    precision, recall = correct / returned, correct / with_gold
    f1 = 2 * precision * recall / (precision + recall)
    # Judged on what the extractor says: a priced product page with no sign of being out of stock is
    # reported in stock by the extractor itself, never by the scoring.
    availability_right = sum(
        1
        for item in scored
        if item.extraction.availability == GOLD_AVAILABILITY[item.gold["availability"][0]]
    )
    accuracy = availability_right / len(scored)
    timings = sorted(item.seconds * 1000 for item in scored)
    p50, p95 = statistics.median(timings), timings[int(len(timings) * 0.95)]
    print(
        f"\nprice P={precision:.3f} R={recall:.3f} F1={f1:.3f}",
        f"({correct}/{returned} returned, {with_gold} gold)",
    )
    print(f"availability {accuracy:.3f} ({availability_right}/{len(scored)})")
    print(f"extract() p50={p50:.1f} ms p95={p95:.1f} ms max={timings[-1]:.1f} ms")
    for item in scored:
        gold_price = item.gold.get("price")
        wrong_price = (gold_price is not None or item.extraction.price is not None) and not _price_correct(
            item
        )
        if wrong_price:
            print(
                f"  miss {item.page_id[:8]} gold={gold_price} got={item.extraction.price} "
                f"{item.extraction.currency} via {item.extraction.method} ({item.gold['url'][:60]})"
            )
    assert f1 >= 0.90
    assert accuracy >= 0.95
    # Generous bounds (the budget is p50 < 30 ms, p95 < 150 ms): a shared CI machine is noisy.
    assert p50 < 60
    assert p95 < 300


def test_benchmark_no_price_pages_say_why(scored: list[_Scored]) -> None:
    without_price = [item for item in scored if not item.gold.get("price")]
    assert without_price
    for item in without_price:
        assert item.extraction.price is None
        assert item.extraction.reason


# -- synthetic pages ----------------------------------------------------------------------------------


def page(body: str, *, head: str = "", lang: str = "en", title: str = "Trail Runner 2 - Shop") -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><title>{title}</title>{head}</head>'
        f"<body><header><nav><a href='/'>Home</a> <span class='minicart'>Cart $0.00</span></nav></header>"
        f"<main>{body}</main><footer>Free shipping on orders over $50</footer></body></html>"
    )


def json_ld(data: dict[str, Any]) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


RECOMMENDATIONS = """
<section class="recommendations"><h2>Customers also bought</h2>
  <ul class="carousel">
    <li><a href="/p/1">Trail Socks</a> <span class="price">$9.99</span></li>
    <li><a href="/p/2">Trail Cap</a> <span class="price">$24.00</span></li>
    <li><a href="/p/3">Rain Jacket</a> <span class="price">$149.00</span></li>
  </ul></section>"""


def test_json_ld_product_gives_every_field() -> None:
    head = json_ld(
        {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": "Trail Runner 2",
            "sku": "TR2-42",
            "gtin13": "4006381333931",
            "mpn": "TR2",
            "brand": {"@type": "Brand", "name": "Ridgeline"},
            "image": "/img/tr2.jpg",
            "offers": {
                "@type": "Offer",
                "price": "89.90",
                "priceCurrency": "EUR",
                "availability": "https://schema.org/InStock",
            },
        }
    )
    body = "<h1>Trail Runner 2</h1><p class='price'>89,90 €</p><button>Add to cart</button>"
    result = extract(page(body, head=head), "https://shop.example.de/p/tr2")
    assert result.price == Decimal("89.90")
    assert result.currency == "EUR"
    assert result.availability == "in_stock"
    assert (result.title, result.sku, result.brand) == ("Trail Runner 2", "TR2-42", "Ridgeline")
    assert (result.gtin, result.mpn) == ("4006381333931", "TR2")
    assert result.image == "https://shop.example.de/img/tr2.jpg"
    assert result.method == "json-ld"
    assert result.confidence >= 0.9
    assert any(candidate["source"] == "json-ld" for candidate in result.candidates)


def test_microdata_product() -> None:
    body = """
    <div itemscope itemtype="https://schema.org/Product">
      <h1 itemprop="name">Trail Runner 2</h1>
      <meta itemprop="sku" content="TR2-42">
      <div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
        <span itemprop="price" content="119.00">£119.00</span>
        <meta itemprop="priceCurrency" content="GBP">
        <link itemprop="availability" href="http://schema.org/OutOfStock">
      </div>
    </div>"""
    result = extract(page(body), "https://shop.example.co.uk/tr2")
    assert (result.price, result.currency, result.method) == (Decimal("119.00"), "GBP", "microdata")
    assert result.availability == "out_of_stock"
    assert result.sku == "TR2-42"


def test_open_graph_price_meta() -> None:
    head = (
        '<meta property="og:title" content="Trail Runner 2">'
        '<meta property="product:price:amount" content="59.50">'
        '<meta property="product:price:currency" content="CHF">'
        '<meta property="og:image" content="https://cdn.example.ch/tr2.jpg">'
    )
    result = extract(page("<h1>Trail Runner 2</h1>", head=head), "https://shop.example.ch/tr2")
    assert (result.price, result.currency, result.method) == (Decimal("59.50"), "CHF", "opengraph")
    assert result.image == "https://cdn.example.ch/tr2.jpg"


def test_dom_price_next_to_the_title_beats_recommendations() -> None:
    body = f"""
    {RECOMMENDATIONS}
    <div class="product"><h1>Trail Runner 2</h1>
      <div class="rating">4.5 (128 reviews)</div>
      <div class="buy"><span class="current-price">$89.99</span>
      <button class="add-to-cart">Add to cart</button></div></div>
    {RECOMMENDATIONS}"""
    result = extract(page(body), "https://shop.example.com/tr2")
    assert (result.price, result.currency, result.method) == (Decimal("89.99"), "USD", "dom")
    assert result.availability == "in_stock"
    considered = {candidate["amount"] for candidate in result.candidates}
    assert {"9.99", "24.00"} <= considered  # seen, weighed, and left out


def test_struck_through_old_price_is_not_the_price() -> None:
    body = """
    <h1>Trail Runner 2</h1>
    <div class="price-box"><del>€120,00</del> <span>€89,90</span></div>"""
    result = extract(page(body, lang="de-DE"), "https://shop.example.de/tr2")
    assert result.price == Decimal("89.90")
    assert result.currency == "EUR"


def test_old_price_marked_by_class_or_label() -> None:
    body = """
    <h1>Trail Runner 2</h1>
    <p><span class="was-price">Was £120.00</span> <span class="now">Now £89.00</span></p>"""
    assert extract(page(body), "https://shop.example.co.uk/tr2").price == Decimal("89.00")


def test_structured_price_shown_struck_through_gives_the_visible_sale_price() -> None:
    head = json_ld(
        {"@type": "Product", "name": "Trail Runner 2", "offers": {"price": 120, "priceCurrency": "USD"}}
    )
    body = """<h1>Trail Runner 2</h1>
    <div class="price"><s class="price-old">$120.00</s> <strong class="price-sale">$79.00</strong></div>
    <button>Add to cart</button>"""
    result = extract(page(body, head=head), "https://shop.example.com/tr2")
    assert (result.price, result.method) == (Decimal("79.00"), "dom")


def test_instalments_shipping_and_unit_prices_are_left_out() -> None:
    body = """
    <h1>Trail Runner 2</h1>
    <p>or 4 interest-free payments of <b>$22.50</b> with Afterpay</p>
    <p class="delivery">+ $4.99 shipping</p>
    <p><span class="price">$90.00</span> <small>($3.60 / 100 g)</small></p>
    <p>You save: $10.00</p>"""
    result = extract(page(body), "https://shop.example.com/tr2")
    assert result.price == Decimal("90.00")


def test_price_split_over_elements() -> None:
    body = '<h1>Trail Runner 2</h1><div class="price"><span>$</span><span>129</span><sup>99</sup></div>'
    assert extract(page(body), "https://shop.example.com/tr2").price == Decimal("129.99")


def test_other_sellers_and_used_offers_are_not_the_price() -> None:
    body = f"""
    <div id="centerCol"><h1 id="title"><span id="productTitle">Trail Runner 2</span></h1>
    <div id="availability"><span>Currently unavailable.</span></div>
    <div id="olp"><a>Used &amp; new (3) from <span>$12.99</span></a></div></div>
    {RECOMMENDATIONS}"""
    result = extract(page(body), "https://shop.example.com/tr2")
    assert (result.price, result.availability) == (None, "out_of_stock")


def test_buy_box_price_among_list_price_savings_and_other_offers() -> None:
    body = f"""
    <h1 id="title"><span id="productTitle">Trail Runner 2</span></h1>
    <table id="corePrice">
      <tr><td>List Price:</td><td><span class="a-price a-text-price" data-a-strike="true">
        <span class="a-offscreen">$29.99</span></span></td></tr>
      <tr><td>Price:</td><td><span class="a-price"><span class="a-offscreen">$19.99</span>
        <span aria-hidden="true"><span>$</span><span>19<span>.</span></span><span>99</span></span>
      </span></td></tr>
      <tr><td>You Save:</td><td><span class="a-color-price">$10.00 (33%)</span></td></tr></table>
    <div id="olp"><a>New &amp; Used (7) from <span>$14.50</span></a></div>
    <div id="buybox"><div id="availability">In Stock.</div>
      <input id="add-to-cart-button" type="submit" value="Add to Cart"></div>
    {RECOMMENDATIONS}"""
    result = extract(page(body), "https://shop.example.com/tr2")
    assert (result.price, result.availability) == (Decimal("19.99"), "in_stock")


def test_price_named_by_a_test_attribute() -> None:
    body = """<h1 data-test="product-title">Trail Runner 2</h1><div data-test="product-price">$24.99</div>
    <div>Reg $29.99</div><button data-test="shipItButton">Add to cart</button>"""
    assert extract(page(body), "https://shop.example.com/tr2").price == Decimal("24.99")


def test_no_price_says_why() -> None:
    body = f"""<h1>Trail Runner 2</h1><p>Currently unavailable.</p>
    <div id="availability">Currently unavailable. We don't know when this item will be back.</div>
    {RECOMMENDATIONS}"""
    result = extract(page(body), "https://shop.example.com/tr2")
    assert result.price is None
    assert result.method == "none"
    assert result.reason and "no trustworthy price" in result.reason
    assert result.availability == "out_of_stock"
    assert result.title == "Trail Runner 2"


def test_empty_page() -> None:
    result = extract("", "https://shop.example.com/")
    assert result.price is None and result.reason
    assert result.title is None


def test_selector_wins_over_structured_data() -> None:
    head = json_ld(
        {"@type": "Product", "name": "Trail Runner 2", "offers": {"price": "99.00", "priceCurrency": "USD"}}
    )
    body = '<h1>Trail Runner 2</h1><div id="member-price">Members: $84.15</div>'
    result = extract(page(body, head=head), "https://shop.example.com/tr2", selector="#member-price")
    assert (result.price, result.currency, result.method) == (Decimal("84.15"), "USD", "selector")
    assert result.title == "Trail Runner 2"


def test_selector_reads_a_meta_content() -> None:
    body = '<h1>Trail Runner 2</h1><meta itemprop="price" content="42.00"><span>42 kr</span>'
    result = extract(page(body, lang="sv-SE"), "https://shop.example.se/tr2", selector="meta[itemprop=price]")
    assert (result.price, result.currency) == (Decimal("42.00"), "SEK")


@pytest.mark.parametrize("selector", ["#nowhere", "div[", ".empty"])
def test_selector_without_a_price_gives_a_reason(selector: str) -> None:
    body = '<h1>Trail Runner 2</h1><span class="price">$10.00</span><div class="empty">soon</div>'
    result = extract(page(body), "https://shop.example.com/tr2", selector=selector)
    assert result.price is None
    assert result.method == "selector"
    assert result.reason and selector in result.reason


def test_related_products_in_json_ld_are_not_the_product() -> None:
    socks = {"@type": "Product", "name": "Trail Socks", "offers": {"price": "9.99", "priceCurrency": "USD"}}
    cap = {"@type": "Product", "name": "Trail Cap", "offers": {"price": "24.00"}}
    sizes = [
        {"@type": "Offer", "price": "89.00", "priceCurrency": "USD", "availability": "OutOfStock"},
        {"@type": "Offer", "price": "89.00", "priceCurrency": "USD", "availability": "InStock"},
    ]
    shoe = {"@type": "Product", "name": "Trail Runner 2", "offers": sizes, "isRelatedTo": cap}
    head = json_ld(
        {
            "@context": "https://schema.org",
            "@graph": [{"@type": "ItemList", "itemListElement": [socks]}, shoe],
        }
    )
    result = extract(page("<h1>Trail Runner 2</h1>", head=head), "https://shop.example.com/tr2")
    assert (result.price, result.currency) == (Decimal("89.00"), "USD")
    assert result.availability == "in_stock"  # one size in stock: the product is


def test_broken_json_ld_block_does_not_hide_the_others() -> None:
    broken = '<script type="application/ld+json">{"@type": "Organization", oops}</script>'
    commented = (
        '<script type="application/ld+json">/*<![CDATA[*/{"@type":"Product","name":"Trail Runner 2",'
        '"offers":{"price":"75.00","priceCurrency":"EUR",},}/*]]>*/</script>'
    )
    result = extract(page("<h1>Trail Runner 2</h1>", head=broken + commented), "https://shop.example.fr/p")
    assert (result.price, result.currency, result.method) == (Decimal("75.00"), "EUR", "json-ld")


@pytest.mark.parametrize(
    ("shown", "url", "lang", "head", "currency"),
    [
        ("$89.99", "https://shop.example.com/p", "en", "", "USD"),
        ("$89.99", "https://shop.example.ca/p", "en", "", "CAD"),
        ("$89.99", "https://shop.example.com/p", "en-AU", "", "AUD"),
        ("$89.99", "https://shop.example.com/en-nz/p", "en", "", "NZD"),
        ("$ 24.990", "https://shop.example.cl/p", "es", "", "CLP"),
        ("kr 899", "https://shop.example.se/p", "sv", "", "SEK"),
        ("899 kr", "https://shop.example.no/p", "nb", "", "NOK"),
        ("¥1,980", "https://shop.example.jp/p", "ja", "", "JPY"),
        ("R$ 1.759,99", "https://shop.example.com/p", "pt", "", "BRL"),
        ("€89,99", "https://shop.example.com/p", "en", "", "EUR"),
        ("CHF 19.50", "https://shop.example.com/p", "de", "", "CHF"),
        (
            "$89.99",
            "https://shop.example.com/p",
            "en",
            '<meta property="product:price:currency" content="SGD">',
            "SGD",
        ),
    ],
)
def test_currency_symbols_resolve_with_page_signals(
    shown: str, url: str, lang: str, head: str, currency: str
) -> None:
    body = f'<h1>Trail Runner 2</h1><span class="price">{shown}</span>'
    result = extract(page(body, lang=lang, head=head), url)
    assert result.currency == currency
    assert result.price is not None


@pytest.mark.parametrize(
    ("lang", "words", "state"),
    [
        ("en", "Out of stock", "out_of_stock"),
        ("en", "Sold out", "out_of_stock"),
        ("en", "In stock - ships today", "in_stock"),
        ("en", "Available for pre-order", "preorder"),
        ("de", "Derzeit nicht verfügbar", "out_of_stock"),
        ("de", "Ausverkauft", "out_of_stock"),
        ("de", "Auf Lager, sofort lieferbar", "in_stock"),
        ("fr", "Rupture de stock", "out_of_stock"),
        ("fr", "Actuellement indisponible", "out_of_stock"),
        ("fr", "En stock", "in_stock"),
        ("es", "Agotado", "out_of_stock"),
        ("es", "No disponible", "out_of_stock"),
        ("es", "Disponible", "in_stock"),
    ],
)
def test_stock_phrases(lang: str, words: str, state: str) -> None:
    body = f'<h1>Trail Runner 2</h1><span class="price">49,00 €</span><p class="availability">{words}</p>'
    assert extract(page(body, lang=lang), "https://shop.example.eu/p").availability == state


@pytest.mark.parametrize(
    ("words", "state"),
    [("Sold out", "out_of_stock"), ("Nicht auf Lager", "out_of_stock"), ("Épuisé", "out_of_stock")],
)
def test_bare_stock_phrase_near_the_title(words: str, state: str) -> None:
    body = f"""<h1>Trail Runner 2</h1><span class="price">49,00 €</span><p><b>{words}</b></p>
    <ul><li>Size 42 - in stock</li></ul>"""
    assert extract(page(body), "https://shop.example.eu/p").availability == state


def test_enabled_add_to_cart_means_in_stock_and_pickup_messages_do_not_count() -> None:
    body = """<h1>Trail Runner 2</h1><span class="price">$49.00</span>
    <div class="store-availability">Unavailable for store pickup</div>
    <button id="add-to-cart-button">Add to Cart</button>"""
    assert extract(page(body), "https://shop.example.com/p").availability == "in_stock"
    disabled = body.replace("<button id", "<button disabled id")
    assert extract(page(disabled), "https://shop.example.com/p").availability is None


@pytest.mark.parametrize(
    ("value", "state"),
    [
        ("https://schema.org/InStock", "in_stock"),
        ("http://schema.org/OutOfStock", "out_of_stock"),
        ("PreOrder", "preorder"),
        ("BackOrder", "backorder"),
        ("Discontinued", "discontinued"),
        ("LimitedAvailability", "limited"),
        ("SoldOut", "out_of_stock"),
        ("instock", "in_stock"),
    ],
)
def test_schema_org_availability_values(value: str, state: str) -> None:
    head = json_ld(
        {"@type": "Product", "name": "Trail Runner 2", "offers": {"price": "10", "availability": value}}
    )
    assert (
        extract(page("<h1>Trail Runner 2</h1>", head=head), "https://shop.example.com/p").availability
        == state
    )


# -- amounts and currencies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1.234,50 €", "1234.50"),
        ("$1,234.50", "1234.50"),
        ("44 890 тг.", "44890"),
        ("20,-", "20"),
        ("$24.990", "24990"),
        ("12.5", "12.5"),
        ("0,00", None),
        ("abc", None),
    ],
)
def test_parse_amount(text: str, amount: str | None) -> None:
    assert parse_amount(text) == (Decimal(amount) if amount else None)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Now only $19.99!", [("19.99", "$")]),
        ("502,20 \u2013 558,00 \u0431.\u0440.", [("502,20", "\u0431.\u0440."), ("558,00", "\u0431.\u0440.")]),
        ("Rs 23,450", [("23,450", "Rs")]),
        ("99元起", [("99", "元")]),
        ("EUR 12,00 or 12.00 EUR", [("12,00", "EUR"), ("12.00", "EUR")]),
        ("1 Roll 25 Yards", []),
        ("10 Kriterien, Mrs 12", []),
    ],
)
def test_find_prices(text: str, found: list[tuple[str, str]]) -> None:
    assert [(match.number, match.token) for match in find_prices(text)] == found


def test_currency_helpers() -> None:
    assert country_from_url("https://www.amazon.co.uk/dp/1") == "gb"
    assert country_from_url("https://www.zara.com/nz/en/x") == "nz"
    assert country_from_url("https://www.example.com/de/x") is None  # a language, not a country
    assert resolve_currency("$", countries=("ca",)) == "CAD"
    assert resolve_currency("$", page_currency="CLP", countries=("us",)) == "CLP"
    assert resolve_currency("EUR") == "EUR"
    assert resolve_currency("kr", countries=(None, "dk")) == "DKK"
    assert resolve_currency(None, countries=("pl",)) == "PLN"
