"""Amounts and availability words as pages write them: the shared vocabulary of the structured-data
and DOM readers of `binelek.marketplace.extraction`."""

# ruff: noqa: RUF001, RUF003  (currency symbols and shop words in many scripts are meant)

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from price_parser import Price

from binelek.marketplace.currencies import token_ending_at, token_starting_at

Availability = Literal["in_stock", "out_of_stock", "preorder", "backorder", "discontinued", "limited"]

# Prices above this are not shop prices but ids, phone numbers or years glued to digits.
MAX_AMOUNT = Decimal(100_000_000)

# An amount as written: thousands grouped by ".", ",", spaces or apostrophes, up to two decimals,
# or a bare number; "20,-" and "20.–" are whole amounts.
NUMBER_PATTERN = r"(?:\d{1,3}(?:[.,\u00a0\u202f '’]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?:[.,][-–])?"
_NUMBER_IN_TEXT = re.compile(rf"(?<![\d.,]){NUMBER_PATTERN}(?![\d])")
HAS_DIGIT = re.compile(r"\d")
_RANGE_DASH = re.compile(r"\s*[-–—~]\s*")
BARE_NUMBER = re.compile(rf"^\s*{NUMBER_PATTERN}\s*$")
_PLAIN_DECIMAL = re.compile(r"^-?\d+(?:\.\d+)?$")
# In page text "24.990" is a thousands group (price-parser reads it so); only up to two decimals
# after a point make an unambiguous decimal.
_TEXT_DECIMAL = re.compile(r"^\d+(?:\.\d{1,2})?$")

# schema.org ItemAvailability names (and the words Open Graph and shops use) to ours.
_AVAILABILITY_WORDS: dict[str, Availability] = {
    "instock": "in_stock", "in stock": "in_stock", "instoreonly": "in_stock", "onlineonly": "in_stock",
    "available": "in_stock", "available for order": "in_stock", "madetoorder": "in_stock",
    "limitedavailability": "limited", "limited availability": "limited", "outofstock": "out_of_stock",
    "out of stock": "out_of_stock", "oos": "out_of_stock", "soldout": "out_of_stock",
    "sold out": "out_of_stock", "unavailable": "out_of_stock", "discontinued": "discontinued",
    "preorder": "preorder", "pre-order": "preorder", "presale": "preorder", "backorder": "backorder",
    "back order": "backorder",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PriceMatch:
    """An amount written next to a currency in a text."""

    start: int
    end: int
    number: str
    token: str
    token_first: bool  # "$10" rather than "10 €"


def find_prices(text: str) -> list[PriceMatch]:
    """Amounts with a currency beside them ("$10", "10,50 €", "EUR 12", "Rs 23,450"), at most two
    spaces apart. Numbers are found first and their neighbours looked up in the token set: one
    regular expression alternating over every currency, tried at each position, is far slower."""
    found: list[PriceMatch] = []
    numbers = list(_NUMBER_IN_TEXT.finditer(text))
    for position, number in enumerate(numbers):
        start, end = number.span()
        before = token_ending_at(text, start)
        if before:
            found.append(PriceMatch(before[1], end, number.group(0), before[0], True))
            continue
        after = token_starting_at(text, end)
        if after:
            found.append(PriceMatch(start, after[1], number.group(0), after[0], False))
            continue
        # A range names its currency once: "502,20 – 558,00 б.р.", "$10 - 20".
        following = numbers[position + 1] if position + 1 < len(numbers) else None
        if following and _RANGE_DASH.fullmatch(text[end : following.start()]):
            after = token_starting_at(text, following.end())
            if after:
                found.append(PriceMatch(start, end, number.group(0), after[0], False))
                continue
        previous = found[-1] if found else None
        if previous and previous.token_first and _RANGE_DASH.fullmatch(text[previous.end : start]):
            found.append(PriceMatch(start, end, number.group(0), previous.token, True))
    return found


def currency_at_end(text: str) -> str | None:
    """The currency a text ends with ("Price: €"), whatever the spaces after it."""
    found = token_ending_at(text, len(text), max_spaces=None)
    return found[0] if found else None


def currency_at_start(text: str) -> str | None:
    """The currency a text starts with (" € incl. VAT")."""
    found = token_starting_at(text, 0, max_spaces=None)
    return found[0] if found else None


def parse_amount(text: str) -> Decimal | None:
    """The amount in a price text ("1.234,50 €", "$24.990", "20,-"), or None when there is none or
    it cannot be a price (zero, negative, absurdly large)."""
    cleaned = re.sub(r"[.,][-–]$", "", text.strip())
    if _TEXT_DECIMAL.match(cleaned):
        amount: Decimal | None = Decimal(cleaned)
    else:
        amount = Price.fromstring(cleaned).amount
    return amount if amount is not None and Decimal(0) < amount < MAX_AMOUNT else None


def structured_amount(value: Any) -> Decimal | None:
    """An amount from structured data: a number, a plain "1234.50" string (always a decimal point
    there), or a shop's display string left in the markup ("1.234,50 €")."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return None
        return amount if Decimal(0) < amount < MAX_AMOUNT else None
    if isinstance(value, str):
        cleaned = value.strip().replace("\u00a0", " ")
        if _PLAIN_DECIMAL.match(cleaned):
            amount = Decimal(cleaned)
            return amount if Decimal(0) < amount < MAX_AMOUNT else None
        return parse_amount(cleaned) if re.search(r"\d", cleaned) else None
    return None


def count_amounts(text: str) -> int:
    """How many separate amounts a text holds ("71,91 € 79,90 €" holds two)."""
    return len(re.findall(NUMBER_PATTERN, text))


def normalise_availability(value: Any) -> Availability | None:
    """Ours from a schema.org value as a URL ("https://schema.org/InStock"), a bare word
    ("InStock", "in stock", "oos") or an Open Graph value; None for anything else."""
    if not isinstance(value, str) or not value.strip():
        return None
    word = value.strip().rstrip("/").rsplit("/", 1)[-1].lower().replace("_", " ")
    return _AVAILABILITY_WORDS.get(word) or _AVAILABILITY_WORDS.get(word.replace(" ", ""))
