"""Currency symbols and codes as shops write them, mapped to ISO 4217.

A symbol is often ambiguous ("$" is the currency of some twenty countries, "kr" of four), so
`resolve_currency` takes the page's own signals: a currency the page declares in structured data,
then the country from the site's TLD or the page's `lang`, then a sensible default per symbol.
"""

# ruff: noqa: RUF001  (currency symbols in many scripts are meant)

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Active ISO 4217 codes (2024), without funds and precious metals.
ISO_CODES: frozenset[str] = frozenset({
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
    "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF",
    "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB",
    "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HRK",
    "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR",
    "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL",
    "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON",
    "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP",
    "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
    "UGX", "USD", "UYU", "UZS", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR",
    "ZMW", "ZWL",
})  # fmt: skip

# Country (ISO 3166 alpha-2, lower case) to its currency. Used for TLDs and `lang="xx-CC"` regions.
COUNTRY_CURRENCY: dict[str, str] = {
    "us": "USD", "ca": "CAD", "mx": "MXN", "gb": "GBP", "uk": "GBP", "ie": "EUR", "im": "GBP",
    "je": "GBP", "gg": "GBP", "au": "AUD", "nz": "NZD", "sg": "SGD", "hk": "HKD", "tw": "TWD",
    "cn": "CNY", "jp": "JPY", "kr": "KRW", "in": "INR", "pk": "PKR", "lk": "LKR", "np": "NPR",
    "bd": "BDT", "id": "IDR", "my": "MYR", "th": "THB", "vn": "VND", "ph": "PHP", "ae": "AED",
    "sa": "SAR", "qa": "QAR", "kw": "KWD", "bh": "BHD", "om": "OMR", "il": "ILS", "tr": "TRY",
    "eg": "EGP", "ma": "MAD", "ng": "NGN", "ke": "KES", "za": "ZAR", "br": "BRL", "ar": "ARS",
    "cl": "CLP", "co": "COP", "pe": "PEN", "uy": "UYU", "py": "PYG", "bo": "BOB", "ve": "VES",
    "cr": "CRC", "gt": "GTQ", "do": "DOP", "ch": "CHF", "li": "CHF", "se": "SEK", "no": "NOK",
    "dk": "DKK", "is": "ISK", "pl": "PLN", "cz": "CZK", "hu": "HUF", "ro": "RON", "bg": "BGN",
    "hr": "EUR", "rs": "RSD", "ba": "BAM", "mk": "MKD", "al": "ALL", "md": "MDL", "ua": "UAH",
    "by": "BYN", "ru": "RUB", "kz": "KZT", "uz": "UZS", "ge": "GEL", "am": "AMD", "az": "AZN",
    "de": "EUR", "at": "EUR", "fr": "EUR", "be": "EUR", "nl": "EUR", "lu": "EUR", "it": "EUR",
    "es": "EUR", "pt": "EUR", "fi": "EUR", "ee": "EUR", "lv": "EUR", "lt": "EUR", "sk": "EUR",
    "si": "EUR", "gr": "EUR", "cy": "EUR", "mt": "EUR", "mc": "EUR", "sm": "EUR", "va": "EUR",
    "ad": "EUR", "me": "EUR", "eu": "EUR",
}  # fmt: skip

# Generic TLDs that say nothing about a country, and country TLDs used as generic ones.
_NEUTRAL_TLDS = frozenset({"com", "net", "org", "shop", "store", "io", "co", "me", "tv", "app", "biz"})

# Symbols and local abbreviations to the currencies they may mean; the first is the default.
SYMBOL_CURRENCIES: dict[str, tuple[str, ...]] = {
    "$": ("USD", "CAD", "AUD", "NZD", "MXN", "SGD", "HKD", "TWD", "CLP", "ARS", "COP", "UYU", "DOP"),
    "us$": ("USD",), "usd$": ("USD",), "c$": ("CAD",), "ca$": ("CAD",), "cad$": ("CAD",),
    "a$": ("AUD",), "au$": ("AUD",), "nz$": ("NZD",), "hk$": ("HKD",), "s$": ("SGD",),
    "nt$": ("TWD",), "r$": ("BRL",), "mx$": ("MXN",), "clp$": ("CLP",), "cop$": ("COP",),
    "€": ("EUR",), "£": ("GBP", "EGP", "GIP"), "¥": ("JPY", "CNY"), "￥": ("JPY", "CNY"),
    "円": ("JPY",), "元": ("CNY", "TWD", "HKD"), "rmb": ("CNY",), "₩": ("KRW",), "원": ("KRW",),
    "₹": ("INR",), "rs": ("INR", "PKR", "LKR", "NPR"), "rs.": ("INR", "PKR", "LKR", "NPR"),
    "₨": ("PKR", "INR", "LKR", "NPR"), "rp": ("IDR",), "rm": ("MYR",), "₱": ("PHP",), "฿": ("THB",),
    "₫": ("VND",), "đ": ("VND",), "₪": ("ILS",), "₺": ("TRY",), "tl": ("TRY",), "₽": ("RUB",),
    "руб": ("RUB",), "руб.": ("RUB",), "р.": ("RUB", "BYN"), "б.р.": ("BYN",), "бел. руб.": ("BYN",),
    "₴": ("UAH",), "грн": ("UAH",),
    "₸": ("KZT",), "тг": ("KZT",), "тг.": ("KZT",), "тенге": ("KZT",), "лв": ("BGN",),
    "лв.": ("BGN",), "zł": ("PLN",), "kč": ("CZK",), "ft": ("HUF",), "lei": ("RON", "MDL"),
    "kn": ("HRK",), "kr": ("SEK", "NOK", "DKK", "ISK"), "kr.": ("DKK", "SEK", "NOK", "ISK"),
    ":-": ("SEK",), "chf": ("CHF",), "fr.": ("CHF",), "sfr": ("CHF",), "r": ("ZAR",),
    "₦": ("NGN",), "ksh": ("KES",), "e£": ("EGP",), "s/": ("PEN",), "bs": ("BOB", "VES"),
    "din": ("RSD",), "дин": ("RSD",), "ден": ("MKD",), "br": ("BYN",), "ر.س": ("SAR",),
    "ريال": ("SAR", "QAR", "OMR"), "ر.ق": ("QAR",), "د.إ": ("AED",), "درهم": ("AED", "MAD"),
    "د.ك": ("KWD",), "ج.م": ("EGP",), "kd": ("KWD",), "qr": ("QAR",), "sr": ("SAR",),
}  # fmt: skip

# Tokens that are also common words or letters ("R", "Bs", "TL"): read as currencies only in
# structured data, never found in running text.
_PROSE_TOKENS = frozenset({"r", "bs", "br", "sr", "din", "rm", "tl", "kd", "qr", ":-"})
TEXT_TOKENS: frozenset[str] = frozenset(token for token in SYMBOL_CURRENCIES if token not in _PROSE_TOKENS)
_LONGEST_TOKEN = max(len(token) for token in TEXT_TOKENS)
# Tokens that are currencies only as written: "Ft" is forint, "ft" is feet.
_EXACT_CASE = {"ft": "Ft"}


def _is_letter(character: str) -> bool:
    """A letter of an alphabet (CJK ideographs are words on their own: "99元起" has the token "元")."""
    return character.isalpha() and not (
        "\u3000" <= character <= "\u9fff" or "\uac00" <= character <= "\ud7af"
    )


def _is_token(piece: str) -> bool:
    lowered = piece.lower()
    if lowered in _EXACT_CASE:
        return piece == _EXACT_CASE[lowered]
    return lowered in TEXT_TOKENS or (len(piece) == 3 and piece.isupper() and piece in ISO_CODES)


def token_ending_at(text: str, end: int, max_spaces: int | None = 2) -> tuple[str, int] | None:
    """A currency token that ends (spaces aside, at most `max_spaces`, None: any) right before
    `end` in `text`, as (token, start); the longest one wins ("US$" over "$")."""
    cursor = end
    while cursor > 0 and text[cursor - 1].isspace() and (max_spaces is None or end - cursor < max_spaces):
        cursor -= 1
    for length in range(min(_LONGEST_TOKEN, cursor), 0, -1):
        start = cursor - length
        piece = text[start:cursor]
        if not _is_token(piece):
            continue
        if _is_letter(piece[0]) and start > 0 and (_is_letter(text[start - 1]) or text[start - 1].isdigit()):
            continue  # "Mrs" is not "Rs", "EURO" is not "EUR"
        return piece, start
    return None


def token_starting_at(text: str, start: int, max_spaces: int | None = 2) -> tuple[str, int] | None:
    """A currency token that starts (spaces aside) right at `start` in `text`, as (token, end)."""
    cursor = start
    while (
        cursor < len(text) and text[cursor].isspace() and (max_spaces is None or cursor - start < max_spaces)
    ):
        cursor += 1
    for length in range(min(_LONGEST_TOKEN, len(text) - cursor), 0, -1):
        end = cursor + length
        piece = text[cursor:end]
        if not _is_token(piece):
            continue
        if _is_letter(piece[-1]) and end < len(text) and _is_letter(text[end]):
            continue  # "10 Kriterien" has no "kr"
        return piece, end
    return None


def country_from_url(url: str) -> str | None:
    """The country a shop's address points at: its country TLD (`.co.uk` → "gb"), or a
    locale in the path's first segments (`/gb/en/`, `/en-ca/`), else None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    tld = host.rsplit(".", 1)[-1] if "." in host else ""
    if tld and tld not in _NEUTRAL_TLDS and tld in COUNTRY_CURRENCY:
        return "gb" if tld == "uk" else tld
    for segment in parts.path.lower().split("/")[1:3]:
        match = re.fullmatch(r"(?:[a-z]{2}[-_])?([a-z]{2})", segment)
        if match and match.group(1) in COUNTRY_CURRENCY and match.group(1) not in _PATH_FALSE_FRIENDS:
            return match.group(1)
    return None


# Two-letter path segments that are usually languages rather than countries: "/en/", "/de/" say
# nothing about the currency ("de" as a country would be right, but "/de/" is German on ".ch").
_PATH_FALSE_FRIENDS = frozenset({"en", "de", "fr", "es", "it", "pt", "nl", "ar", "p", "my", "id"})


def country_from_lang(lang: str | None) -> str | None:
    """The region of an `<html lang>` such as "en-GB" or "pt_BR", else None."""
    if not lang:
        return None
    match = re.match(r"^[a-z]{2,3}[-_]([a-z]{2})\b", lang.strip().lower())
    return match.group(1) if match and match.group(1) in COUNTRY_CURRENCY else None


def normalise_code(raw: str | None) -> str | None:
    """An ISO 4217 code from a structured-data value ("eur", " GBP ", "€"), else None."""
    if not raw:
        return None
    cleaned = raw.strip()
    if cleaned.upper() in ISO_CODES:
        return cleaned.upper()
    options = SYMBOL_CURRENCIES.get(cleaned.lower())
    return options[0] if options and len(options) == 1 else None


def resolve_currency(
    token: str | None, *, page_currency: str | None = None, countries: tuple[str | None, ...] = ()
) -> str | None:
    """The ISO code a currency token on a page means.

    An ISO code stands for itself. A symbol is resolved with the page's signals, strongest first:
    the currency the page declares (`page_currency`, e.g. JSON-LD priceCurrency), then the currency
    of each country in `countries` (TLD, `lang` region), then the symbol's most common meaning.
    Without a token, the declared currency or the first country's is returned.
    """
    if token is None:
        if page_currency:
            return page_currency
        for country in countries:
            if country and country in COUNTRY_CURRENCY:
                return COUNTRY_CURRENCY[country]
        return None
    cleaned = token.strip()
    if cleaned.upper() in ISO_CODES and (cleaned.isupper() or len(cleaned) == 3):
        return cleaned.upper()
    options = SYMBOL_CURRENCIES.get(cleaned.lower())
    if not options:
        return page_currency
    if page_currency in options:
        return page_currency
    for country in countries:
        local = COUNTRY_CURRENCY.get(country or "")
        if local in options:
            return local
    return options[0]
