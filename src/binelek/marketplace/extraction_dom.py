"""DOM heuristics for product pages: the main product's title, its visible price among all the prices
on the page, and its stock state.

Every amount written next to a currency (or inside an element whose class, id or itemprop says
"price") becomes a candidate. A candidate scores up for price-like markup, a currency and closeness
to the product title or the add-to-cart button; it scores down inside recommendations, carousels,
headers and footers, when struck through or marked as the old price, and when the words of its own
block say it is an instalment, a shipping cost, a saving, a unit price or another seller's offer.
Text inside hidden elements (`hidden`, inline `display:none`) is never a candidate.

The stock state comes from availability/stock elements near the product, an add-to-cart button
that can be pressed, or a short stock phrase near the title, in several languages.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from rapidfuzz import fuzz
from selectolax.lexbor import LexborHTMLParser, LexborNode

from binelek.marketplace import extraction_words as words
from binelek.marketplace.extraction_text import (
    BARE_NUMBER,
    HAS_DIGIT,
    Availability,
    currency_at_end,
    currency_at_start,
    find_prices,
    parse_amount,
)

_SKIPPED_TAGS = "script, style, noscript, template, svg, iframe, object"
_MAX_TEXT_NODE = 400  # longer text nodes are prose: prices in them are not the product's
_NEAR_LEVELS = 3  # how many ancestors still count as "the price element" for its class or tag
# The last amount-like number in a text (decimals or three digits and more): small counts such as
# "(3)" or "4 payments of" belong to the words around them, not to another amount.
_LAST_AMOUNT = re.compile(r"(?:\d[\d.,]*[.,]\d+|\d{3,})(?!.*(?:\d[.,]\d|\d{3}))", re.DOTALL)
_OLD_PAIR_DISTANCE = 25  # elements between an old price and the current price it is shown with
# Elements that start a block of text: words before an amount are read within its block only.
_BLOCK_TAGS = frozenset({
    "p", "div", "li", "tr", "table", "ul", "ol", "dl", "section", "article", "main", "form", "header",
    "footer", "nav", "aside", "h1", "h2", "h3", "h4", "h5", "h6", "fieldset", "figure", "body",
})  # fmt: skip
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")
_FOREIGN_WORDS = re.compile("|".join(words.FOREIGN_SQUASHED))
_CROWDED = 3  # a text with this many amounts is a list or prose, not a price tag
_AFTER_CHARS = 20  # characters after an amount read for its cues
_FEE_LEVELS = 6  # ancestors searched for a delivery/shipping block
_STOCK_MAX_DISTANCE = 2500  # elements between a stock message and the title or cart button
_PHRASE_REACH = 300  # elements around the title searched for a bare stock phrase
_VARIANT_TAGS = frozenset({"option", "li", "label"})


@dataclass(slots=True)
class PriceCandidate:
    """One amount seen on the page, with what was learnt about where it sits."""

    amount: Decimal
    currency_token: str | None
    text: str
    index: int  # element order in the document
    price_markup: bool = False  # class, id or itemprop says price
    strong_markup: bool = False  # itemprop="price" or an id saying price
    old: bool = False  # struck through, marked or labelled as the previous price
    old_by_class_only: bool = False  # "old" only because of a class name ("price-old-live")
    foreign: bool = False  # in recommendations, carousels, header, footer, navigation
    crowded: bool = False  # one of several amounts in one text ("all priced $1, $2, $4 and $6")
    labelled: bool = False  # "Price:", "Our price", "Sale price" right before it
    from_price: bool = False  # "from £42.99": the low end of a range or of other offers
    in_title: bool = False  # inside the product heading (classified ads put the price there)
    cues: tuple[str, ...] = ()
    distance: int | None = None  # elements to the title or add-to-cart button
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "source": "dom",
            "amount": str(self.amount),
            "currency": self.currency_token,
            "text": self.text[:80],
            "score": round(self.score, 3),
            "why": ", ".join(self.reasons),
        }


@dataclass(slots=True)
class PageDom:
    """The page's body, read once: elements in order, text nodes with their elements, anchors."""

    tree: LexborHTMLParser
    order: dict[int, int] = field(default_factory=dict)  # element mem_id -> document position
    texts: list[tuple[str, LexborNode]] = field(default_factory=list)
    title_node: LexborNode | None = None
    title: str | None = None
    cart_buttons: list[LexborNode] = field(default_factory=list)
    anchor_indexes: list[int] = field(default_factory=list)
    title_ancestors: set[int] = field(default_factory=set)
    hidden: set[int] = field(default_factory=set)  # elements inside `hidden` or `display:none` ones
    context_cache: dict[int, tuple[bool, bool, bool]] = field(default_factory=dict)


def read_dom(tree: LexborHTMLParser, reference_names: list[str]) -> PageDom:
    """Index the page (after structured data was read: this drops scripts) and find its anchors:
    the heading that names the product (the one closest to `reference_names`, e.g. the JSON-LD
    name or `<title>`) and the add-to-cart buttons."""
    for node in tree.css(_SKIPPED_TAGS):
        node.decompose()
    page = PageDom(tree=tree)
    root = tree.body or tree.root
    if root is None:
        return page
    # The title first: no element that contains the product's heading is a foreign section,
    # whatever its class says ("has-reviews", "page-wishlist").
    page.title_node, page.title = _title_heading(tree, reference_names)
    ancestor = page.title_node
    while ancestor is not None:
        page.title_ancestors.add(ancestor.mem_id)
        ancestor = ancestor.parent
    page.hidden = _hidden_elements(tree)
    position = 0
    for node in root.traverse(include_text=True):
        if node.tag == "-text":
            text = node.text_content or ""
            parent = node.parent
            if parent is not None and parent.mem_id not in page.hidden and text.strip():
                page.texts.append((text, parent))
        else:
            page.order[node.mem_id] = position
            position += 1
    page.cart_buttons = [button for button in _cart_buttons(tree) if not any(_far_context(page, button))]
    anchors = [page.title_node, *page.cart_buttons[:3]]
    page.anchor_indexes = [
        page.order[node.mem_id] for node in anchors if node is not None and node.mem_id in page.order
    ]
    return page


def _title_heading(
    tree: LexborHTMLParser, reference_names: list[str]
) -> tuple[LexborNode | None, str | None]:
    headings = [(node, " ".join(node.text(deep=True).split())) for node in tree.css("h1")[:12]]
    headings = [(node, text) for node, text in headings if 2 <= len(text) <= 400]
    if not headings:
        return None, None
    references = [name for name in reference_names if name]
    if not references:
        return headings[0]

    def likeness(text: str) -> float:
        return max(fuzz.token_set_ratio(text.lower(), reference.lower()) for reference in references)

    best = max(headings, key=lambda heading: likeness(heading[1]))
    return best if likeness(best[1]) >= 50 else (None, None)


def _cart_buttons(tree: LexborHTMLParser) -> list[LexborNode]:
    buttons: list[LexborNode] = []
    selector = (
        "button, input[type=submit], input[type=button], input[type=image], "
        "a[class*=cart i], a[id*=cart i], a[class*=basket i], a[class*=buy i]"
    )
    for node in tree.css(selector)[:400]:
        attributes = node.attributes
        named = (attributes.get(key) for key in ("value", "title", "id", "name", "class", "aria-label"))
        label = " ".join([node.text(deep=True)[:80], *(value for value in named if value)])
        if words.ADD_TO_CART.search(label):
            buttons.append(node)
    return buttons


def cart_enabled(page: PageDom) -> bool | None:
    """Whether the page offers an add-to-cart button that can be pressed (None: no button)."""
    if not page.cart_buttons:
        return None
    for node in page.cart_buttons:
        attributes = node.attributes
        disabled = (
            "disabled" in attributes
            or (attributes.get("aria-disabled") or "").lower() == "true"
            or "disabled" in (attributes.get("class") or "").lower()
        )
        if not disabled:
            return True
    return False


# -- price candidates -------------------------------------------------------------------------------


def price_candidates(page: PageDom) -> list[PriceCandidate]:
    """Every amount on the page that could be a price, scored."""
    candidates: list[PriceCandidate] = []
    texts = page.texts
    for position, (text, parent) in enumerate(texts):
        if len(text) > _MAX_TEXT_NODE or not HAS_DIGIT.search(text):
            continue
        index = page.order.get(parent.mem_id, 0)
        found = False
        matches = find_prices(text)
        for match in matches:
            amount = parse_amount(match.number)
            if amount is None:
                continue
            found = True
            if match.token_first and not text[match.end :].strip() and amount == amount.to_integral():
                amount += _split_cents(texts, position) or 0
            before = _before(texts, position, text[: match.start])
            after = _after(texts, position, text[match.end :])
            crowded = len(matches) >= _CROWDED
            candidates.append(
                _candidate(page, parent, index, amount, match.token, text.strip(), before, after, crowded)
            )
        if found or not BARE_NUMBER.match(text):
            continue
        # A bare number: its currency may sit in the neighbouring text ("$<span>99</span>"), or
        # its element may be marked as a price ("<div class=price>20,-</div>").
        amount = parse_amount(text)
        if amount is None or _is_cents_part(texts, position):
            continue
        previous_text = texts[position - 1][0] if position else ""
        next_text = texts[position + 1][0] if position + 1 < len(texts) else ""
        token = currency_at_end(previous_text) or currency_at_start(next_text)
        if token is None and not _near_price_markup(parent):
            continue
        if amount == amount.to_integral() and not currency_at_start(next_text):
            amount += _split_cents(texts, position) or 0
        before = _before(texts, position, "")
        after = _after(texts, position, "")
        candidates.append(_candidate(page, parent, index, amount, token, text.strip(), before, after))
    _settle_old_prices(candidates, page)
    return candidates


def _settle_old_prices(candidates: list[PriceCandidate], page: PageDom) -> None:
    """An old price is old next to a lower current one. A price that only a class name calls old,
    with no lower plain price beside it, is the only price there (shops reuse class names): it
    loses the mark. Struck-through text and "Was"/"List price" labels keep theirs."""
    plain = [c for c in candidates if not c.old and not c.cues and not c.foreign]
    for candidate in candidates:
        if not candidate.old_by_class_only or candidate.foreign:
            continue
        beside = any(
            other.amount < candidate.amount and abs(other.index - candidate.index) <= _OLD_PAIR_DISTANCE
            for other in plain
        )
        if not beside:
            candidate.old = False
            _score(candidate, page)
            candidate.reasons.append("marked old but alone")


def _is_cents_part(texts: list[tuple[str, LexborNode]], position: int) -> bool:
    """Whether a two-digit text is the cents of the amount before it ("19", ".", "99")."""
    if position == 0 or not re.fullmatch(r"\s*\d{2}\s*", texts[position][0]):
        return False
    previous = texts[position - 1][0].strip()
    if previous in (".", ",") and position >= 2:
        previous = texts[position - 2][0].strip()
    return bool(previous) and previous[-1].isdigit()


def _split_cents(texts: list[tuple[str, LexborNode]], position: int) -> Decimal | None:
    """Cents written apart from the whole amount: "$129<sup>99</sup>", "129<span>.</span><span>99</span>"."""
    cursor = position + 1
    separated = False
    if cursor < len(texts) and texts[cursor][0].strip() in (".", ","):
        separated = True
        cursor += 1
    if cursor >= len(texts):
        return None
    text, node = texts[cursor]
    if not re.fullmatch(r"\s*\d{2}\s*", text):
        return None
    if separated or node.tag == "sup" or _near_price_markup(node):
        return Decimal(text.strip()) / 100
    return None


def _before(texts: list[tuple[str, LexborNode]], position: int, head: str) -> str:
    """Up to 35 characters before an amount: its own text's head, then the two texts before it
    that are in the same block (paragraph, row, list item), cut after the last other amount. Words of
    another block or of an earlier amount ("$4.99 shipping") are not this one's, and neither are
    buttons and labels further back ("Save" to a wish list)."""
    collected = head
    block = _block_of(texts[position][1])
    cursor = position - 1
    while len(collected) < 35 and cursor >= max(0, position - 2) and _inside(texts[cursor][1], block):
        collected = texts[cursor][0] + " " + collected
        cursor -= 1
    collected = " ".join(collected.split())[-35:]
    amount = _LAST_AMOUNT.search(collected)
    return (collected[amount.end() :] if amount else collected).lstrip("%)] \u00a0")


def _block_of(node: LexborNode) -> LexborNode | None:
    current: LexborNode | None = node
    for _ in range(8):
        if current is None or current.tag in _BLOCK_TAGS:
            return current
        current = current.parent
    return current


def _after(texts: list[tuple[str, LexborNode]], position: int, tail: str) -> str:
    """The characters right after an amount (its own text's tail, then the next texts). Only cues
    anchored at its start are read in it, so the next amount's words do not leak in."""
    collected = tail
    cursor = position + 1
    while len(collected) < _AFTER_CHARS and cursor < len(texts):
        collected = collected + " " + texts[cursor][0]
        cursor += 1
    return " ".join(collected.split())[:_AFTER_CHARS]


def _near_price_markup(node: LexborNode) -> bool:
    current: LexborNode | None = node
    for _ in range(_NEAR_LEVELS + 1):
        if current is None:
            return False
        if words.PRICE_ATTR.search(_attribute_text(current)):
            return True
        current = current.parent
    return False


def _attribute_text(node: LexborNode) -> str:
    attributes = node.attributes
    return " ".join(
        value
        for key in ("id", "class", "itemprop", "data-testid", "data-test", "data-qa")
        if (value := attributes.get(key))
    )


def _squash(text: str) -> str:
    return _NOT_ALPHANUMERIC.sub("", text.lower())


def _tokens(text: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return set(re.split(r"[^a-z0-9]+", spaced.lower()))


def _candidate(
    page: PageDom,
    node: LexborNode,
    index: int,
    amount: Decimal,
    token: str | None,
    text: str,
    before: str,
    after: str,
    crowded: bool = False,
) -> PriceCandidate:
    candidate = PriceCandidate(amount=amount, currency_token=token, text=text, index=index, crowded=crowded)
    _mark_near(candidate, node)
    candidate.foreign = _far_context(page, node)[0]
    after = after[:_AFTER_CHARS]
    cues = {name for name, pattern in words.CUES_BEFORE if pattern.search(before)}
    cues |= {name for name, pattern in words.CUES_AFTER if pattern.search(after)}
    if _in_fee_section(node):
        cues.add("shipping")
    candidate.cues = tuple(sorted(cues))
    candidate.labelled = words.PRICE_LABEL.search(before) is not None
    candidate.from_price = words.FROM.search(before) is not None
    candidate.in_title = _inside(node, page.title_node)
    if words.OLD_CUE.search(before):
        candidate.old = True
        candidate.old_by_class_only = False
    if page.anchor_indexes:
        candidate.distance = min(abs(index - anchor) for anchor in page.anchor_indexes)
    _score(candidate, page)
    return candidate


def _mark_near(candidate: PriceCandidate, node: LexborNode) -> None:
    """Markup on the price element itself and its closest ancestors: price classes, old prices."""
    struck = named_old = False
    current: LexborNode | None = node
    for level in range(_NEAR_LEVELS + 1):
        if current is None:
            break
        attributes = current.attributes
        attribute_text = _attribute_text(current)
        if words.PRICE_ATTR.search(attribute_text):
            candidate.price_markup = True
            itemprop = (attributes.get("itemprop") or "").lower()
            if itemprop == "price" or words.PRICE_ATTR.search(attributes.get("id") or ""):
                candidate.strong_markup = True
        if current.tag in words.OLD_TAGS or "line-through" in (attributes.get("style") or ""):
            struck = True
        if level <= 2 and attribute_text:
            squashed = _squash(attribute_text)
            named_tokens = _tokens(attribute_text) & words.OLD_TOKENS
            named_old = (
                named_old or bool(named_tokens) or any(word in squashed for word in words.OLD_SQUASHED)
            )
        current = current.parent
    candidate.old = struck or named_old
    candidate.old_by_class_only = named_old and not struck


def _far_context(page: PageDom, node: LexborNode) -> tuple[bool, bool]:
    """Whether any ancestor is a foreign section (recommendations, site chrome) or hidden. Cached
    per element: the prices of one carousel share their ancestors. A `<header>` or `<footer>` is
    site chrome only outside `<main>`, `<article>` and `<section>`: inside, it heads the content."""
    chain: list[LexborNode] = []
    current: LexborNode | None = node
    foreign = hidden = in_section = False
    while current is not None and current.tag not in ("body", "html", "-document"):
        cached = page.context_cache.get(current.mem_id)
        if cached is not None:
            foreign, hidden, in_section = cached
            break
        chain.append(current)
        current = current.parent
    for element in reversed(chain):
        tag = element.tag
        in_section = in_section or tag in words.SECTION_TAGS
        if not foreign and element.mem_id not in page.title_ancestors:
            attribute_text = _attribute_text(element)
            chrome = tag in words.FOREIGN_TAGS and not (tag in words.SECTION_CHROME_TAGS and in_section)
            foreign = chrome or bool(attribute_text and _FOREIGN_WORDS.search(_squash(attribute_text)))
        hidden = hidden or element.mem_id in page.hidden
        page.context_cache[element.mem_id] = (foreign, hidden, in_section)
    return foreign, hidden


def _hidden_elements(tree: LexborHTMLParser) -> set[int]:
    """Every element inside one hidden by its `hidden` attribute or an inline `display:none`: its
    text is not shown, so it is not a price anyone sees."""
    hidden: set[int] = set()
    for root in tree.css('[hidden], [style*="none" i]'):
        if root.mem_id in hidden or not _hidden(root):
            continue
        for node in root.traverse(include_text=False):
            hidden.add(node.mem_id)
    return hidden


def _hidden(element: LexborNode) -> bool:
    attributes = element.attributes
    if "hidden" in attributes:
        return True
    style = attributes.get("style") or ""
    return "display:none" in style.replace(" ", "").lower()


def _in_fee_section(node: LexborNode) -> bool:
    """Inside a delivery or shipping block: its amounts are fees."""
    current: LexborNode | None = node
    for _ in range(_FEE_LEVELS):
        if current is None:
            return False
        if words.FEE_SECTION.search(_attribute_text(current)):
            return True
        current = current.parent
    return False


def _inside(node: LexborNode, container: LexborNode | None, levels: int = 8) -> bool:
    current: LexborNode | None = node
    for _ in range(levels):
        if current is None or container is None:
            return False
        if current.mem_id == container.mem_id:
            return True
        current = current.parent
    return False


def _score(candidate: PriceCandidate, page: PageDom) -> None:
    score = 0.3
    reasons = candidate.reasons = []
    if candidate.strong_markup:
        score += 0.3
        reasons.append("price id/itemprop")
    elif candidate.price_markup:
        score += 0.2
        reasons.append("price class")
    if candidate.currency_token:
        score += 0.15
        reasons.append("currency")
    if candidate.distance is not None:
        closeness = 0.35 * math.exp(-candidate.distance / 250)
        score += closeness
        reasons.append(f"{candidate.distance} elements from title/cart")
        if page.title_node is not None and candidate.index < page.order.get(page.title_node.mem_id, 0) - 150:
            score -= 0.15
            reasons.append("well before the title")
    else:
        score += 0.1
    if candidate.foreign:
        score -= 0.5
        reasons.append("recommendations or page chrome")
    if candidate.old:
        score -= 0.45
        reasons.append("old price")
    if candidate.cues:
        score -= 0.4
        reasons.append("/".join(candidate.cues))
    if candidate.crowded:
        score -= 0.2
        reasons.append("one of many amounts")
    if candidate.labelled:
        score += 0.1
        reasons.append("price label")
    if candidate.from_price:
        score -= 0.1
        reasons.append("from-price")
    if candidate.in_title:
        score += 0.15
        reasons.append("in the title")
    if len(candidate.text) > 60:
        score -= 0.2
        reasons.append("inside prose")
    candidate.score = max(0.0, min(1.0, score))


# -- availability -----------------------------------------------------------------------------------


def stock_from_text(text: str) -> Availability | None:
    """The stock state a short text states: "Out of stock", "Derzeit nicht verfügbar", "En stock"."""
    if words.PREORDER.search(text):
        return "preorder"
    if words.BACKORDER.search(text):
        return "backorder"
    if words.OUT_OF_STOCK.search(text):
        return "out_of_stock"
    if words.IN_STOCK.search(text):
        return "in_stock"
    return None


def visible_availability(page: PageDom) -> Availability | None:
    """The stock state shown near the product: an availability/stock element's words; else an
    add-to-cart button that can be pressed; else a short stock phrase near the title ("Sold
    out"). Elements whose class names one state ("unavailable-label", "stock_OUT_OF_STOCK") are
    left out: shops render one per state and let CSS show the right one, or list other sellers'
    offers with them. Phrases in option lists and list items are about variants, not the product."""
    stated = _stock_elements_say(page)
    if stated is not None:
        return stated
    if cart_enabled(page):
        return "in_stock"
    return _stock_phrase_near_title(page)


def _stock_elements_say(page: PageDom) -> Availability | None:
    found: list[tuple[int, Availability]] = []
    for node in page.tree.css(words.STOCK_SELECTOR)[:500]:
        text = " ".join(node.text(deep=True).split())
        if not text or len(text) > 200 or words.STORE_PICKUP.search(text):
            continue
        if words.STATE_CLASS.search(_attribute_text(node)) or any(_far_context(page, node)):
            continue
        state = stock_from_text(text)
        if state is None:
            continue
        index = page.order.get(node.mem_id, 0)
        distance = min((abs(index - anchor) for anchor in page.anchor_indexes), default=0)
        if distance <= _STOCK_MAX_DISTANCE:
            found.append((distance, state))
    return min(found, key=lambda item: item[0])[1] if found else None


def _stock_phrase_near_title(page: PageDom) -> Availability | None:
    if page.title_node is None or page.title_node.mem_id not in page.order:
        return None
    title_index = page.order[page.title_node.mem_id]
    found: list[tuple[int, Availability]] = []
    for text, parent in page.texts:
        distance = abs(page.order.get(parent.mem_id, 0) - title_index)
        stripped = text.strip()
        if distance > _PHRASE_REACH or len(stripped) > 40 or parent.tag in _VARIANT_TAGS:
            continue
        state = stock_from_text(stripped)
        if (
            state is not None
            and not words.STORE_PICKUP.search(stripped)
            and not any(_far_context(page, parent))
        ):
            found.append((distance, state))
    return min(found, key=lambda item: item[0])[1] if found else None
