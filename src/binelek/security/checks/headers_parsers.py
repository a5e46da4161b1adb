"""Parsers the web header check needs, each behaving as the library the MDN HTTP Observatory uses
does, since the grade depends on their corner cases:

- Content-Security-Policy (the Observatory's own cspParser: policies intersected, sources sorted as
  ICU's collation sorts them, paths decoded like JavaScript's decodeURIComponent);
- RFC 8941 structured-field items (the npm `structured-headers` parseItem), for COOP and COEP;
- Set-Cookie and the cookie jar (tough-cookie in strict mode: domain match, public-suffix domains,
  __Secure-/__Host- prefixes);
- <meta> and <script> tags (htmlparser2's streaming pass: first repeated attribute wins);
- registrable domains (tldts: an unknown top-level domain is a suffix of its own, IPs have none);
- JavaScript's parseInt, for HSTS max-age.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import tldextract

# -- Content-Security-Policy -------------------------------------------------------------------------

SHORTEST_POLICY_LENGTH = len("img-src") - 1
DIRECTIVES_DISALLOWED_IN_META = ("frame-ancestors", "report-uri", "sandbox")
ALLOWED_DUPLICATE_DIRECTIVES = frozenset({"report-uri", "report-to"})
DUPLICATE_WARNINGS_KEY = "_observatory_duplicate_warnings"

# ICU's root collation order for printable ASCII (what the Observatory's Intl.Collator("en") sorts
# sources by): punctuation and symbols, then digits, then letters. Anything else sorts after.
_COLLATION_ORDER = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
_COLLATION_RANK = {char: rank for rank, char in enumerate(_COLLATION_ORDER)}


class CspParseError(ValueError):
    """The policy cannot be parsed the way the Observatory requires."""


@dataclass(slots=True)
class _Source:
    """A source in a directive while policies are intersected; `keep` is flipped in place."""

    source: str
    index: int
    keep: bool


def _collation_key(text: str) -> tuple[int, ...]:
    return tuple(_COLLATION_RANK.get(char, len(_COLLATION_RANK) + ord(char)) for char in text)


def _decode_uri_component(text: str) -> str:
    """JavaScript's decodeURIComponent: a malformed escape is an error, not left as is."""
    if "%" not in text:
        return text
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        raise CspParseError(f"malformed escape in {text!r}")
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CspParseError(f"malformed escape in {text!r}") from exc


def _path_part_match(path_a: str, path_b: str) -> bool:
    if not path_a:
        return True
    if path_a == "/" and not path_b:
        return True
    exact = not path_a.endswith("/")
    parts_a = path_a.split("/")
    parts_b = path_b.split("/")
    if len(parts_a) > len(parts_b):
        return False
    if exact and len(parts_a) != len(parts_b):
        return False
    if not exact:
        parts_a.pop()
    return all(
        _decode_uri_component(piece_a) == _decode_uri_component(piece_b)
        for piece_a, piece_b in zip(parts_a, parts_b, strict=False)
    )


def parse_csp(policies: Sequence[str]) -> dict[str, set[str]]:
    """Parses one or more policies into directive -> sources, as the Observatory's cspParser does.

    Several policies are intersected: a source survives only when the policies after the first
    allow it too (paths compared piece by piece). A directive repeated within a policy is an error,
    except report-uri and report-to, which are noted under DUPLICATE_WARNINGS_KEY. A source-list
    directive without sources means 'none'. Raises CspParseError.
    """
    cleaned = [policy.replace("\r", "").replace("\n", "").strip() for policy in policies]
    if not cleaned:
        return {}
    for policy in cleaned:
        if not policy or len(policy) < SHORTEST_POLICY_LENGTH:
            raise CspParseError(f"invalid policy: {policy!r}")
    sources_by_directive: dict[str, list[_Source]] = {}
    duplicate_warnings: set[str] = set()
    for policy_index, policy in enumerate(cleaned):
        _merge_policy(policy, policy_index, len(cleaned), sources_by_directive, duplicate_warnings)
    parsed: dict[str, set[str]] = {
        directive: (set(dict.fromkeys(s.source for s in sources)) if sources else {"'none'"})
        for directive, sources in sources_by_directive.items()
    }
    if duplicate_warnings:
        parsed[DUPLICATE_WARNINGS_KEY] = duplicate_warnings
    return parsed


def _merge_policy(
    policy: str,
    policy_index: int,
    policy_count: int,
    sources_by_directive: dict[str, list[_Source]],
    duplicate_warnings: set[str],
) -> None:
    seen: set[str] = set()
    for entry in policy.split(";"):
        tokens = entry.split()
        if not tokens:
            continue
        directive = tokens[0].lower()
        if directive in seen:
            if directive not in ALLOWED_DUPLICATE_DIRECTIVES:
                raise CspParseError(f"duplicate directive {directive} in policy {policy_index}")
            duplicate_warnings.add(directive)
        seen.add(directive)
        keep = policy_index == 0
        values = [_Source(token.lower(), policy_index, keep) for token in tokens[1:]]
        if not values and directive.endswith("-src"):
            values = [_Source("'none'", policy_index, keep)]
        combined = values if policy_index == 0 else [*sources_by_directive.get(directive, []), *values]
        combined.sort(key=lambda s: _collation_key(s.source))
        for previous, current in zip(combined, combined[1:], strict=False):  # noqa: RUF007 - Python 3.11
            # Within one policy a longer source starting with a shorter one adds nothing.
            if current.index == previous.index and current.source.startswith(previous.source):
                current.keep = False
            # Across policies a source counts only when both allow it.
            if current.index != previous.index and _path_part_match(previous.source, current.source):
                current.keep = True
        sources_by_directive[directive] = [s for s in combined if s.keep]
        # Sources of the first policy survive later ones only by being matched again.
        if policy_index == 0 and policy_count > 1:
            for source in sources_by_directive[directive]:
                source.keep = False


def parse_csp_meta(policies: Sequence[str]) -> dict[str, set[str]]:
    """Like parse_csp, without the directives a <meta> tag cannot set."""
    parsed = parse_csp(policies)
    for directive in DIRECTIVES_DISALLOWED_IN_META:
        parsed.pop(directive, None)
    return parsed


def split_csp_values(values: Iterable[str]) -> list[str]:
    """Header values into single policies: a comma separates policies (CSP3), never sources."""
    return [policy.strip() for value in values for policy in value.split(",")]


# -- RFC 8941 structured-field item ---------------------------------------------------------------------

_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
_TOKEN_CHARS = _ALPHA | _DIGITS | frozenset("!#$%&'*+-.^_`|~:/")
_KEY_START_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz*")
_KEY_CHARS = _KEY_START_CHARS | _DIGITS | frozenset("_-.")
_BASE64_CHARS = _ALPHA | _DIGITS | frozenset("+/=")


class _Token(str):
    """A structured-field token, told apart from a string."""

    __slots__ = ()


class _SfItemParser:
    """RFC 8941 section 4.2.3 (an item: a bare item, then ;parameters); ValueError when invalid."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        self.pos += 1
        return char

    def skip_spaces(self) -> None:
        while self.peek() == " ":
            self.pos += 1

    def item(self) -> object:
        self.skip_spaces()
        bare = self.bare_item()
        self.parameters()
        self.skip_spaces()
        if self.pos != len(self.text):
            raise ValueError("trailing characters")
        return bare

    def bare_item(self) -> object:
        char = self.peek()
        if char in _DIGITS or char == "-":
            return self.number()
        if char == '"':
            return self.string()
        if char in _ALPHA or char == "*":
            return self.token()
        if char == ":":
            return self.byte_sequence()
        if char == "?":
            return self.boolean()
        if char == "@":  # a date (RFC 9651): an integer after the @
            self.pos += 1
            return self.number()
        raise ValueError("not a bare item")

    def number(self) -> int | float:
        start = self.pos
        if self.peek() == "-":
            self.pos += 1
        if self.peek() not in _DIGITS:
            raise ValueError("not a number")
        while self.peek() in _DIGITS or (self.peek() == "." and "." not in self.text[start : self.pos]):
            self.pos += 1
        text = self.text[start : self.pos]
        whole, dot, fraction = text.lstrip("-").partition(".")
        if (not dot and len(whole) > 15) or (dot and (len(whole) > 12 or not 1 <= len(fraction) <= 3)):
            raise ValueError("number out of range")
        return float(text) if dot else int(text)

    def string(self) -> str:
        self.pos += 1
        chars: list[str] = []
        while True:
            char = self.take()
            if char == "":
                raise ValueError("unterminated string")
            if char == "\\":
                escaped = self.take()
                if escaped not in ('"', "\\"):
                    raise ValueError("bad escape")
                chars.append(escaped)
            elif char == '"':
                return "".join(chars)
            elif not 0x20 <= ord(char) <= 0x7E:
                raise ValueError("bad string character")
            else:
                chars.append(char)

    def token(self) -> _Token:
        start = self.pos
        self.pos += 1
        while self.peek() in _TOKEN_CHARS:
            self.pos += 1
        return _Token(self.text[start : self.pos])

    def byte_sequence(self) -> bytes:
        self.pos += 1
        start = self.pos
        while self.peek() in _BASE64_CHARS:
            self.pos += 1
        if self.take() != ":":
            raise ValueError("unterminated byte sequence")
        return self.text[start : self.pos - 1].encode()

    def boolean(self) -> bool:
        self.pos += 1
        char = self.take()
        if char not in ("0", "1"):
            raise ValueError("bad boolean")
        return char == "1"

    def parameters(self) -> None:
        while self.peek() == ";":
            self.pos += 1
            self.skip_spaces()
            if self.peek() not in _KEY_START_CHARS:
                raise ValueError("bad parameter key")
            while self.peek() in _KEY_CHARS:
                self.pos += 1
            if self.peek() == "=":
                self.pos += 1
                self.bare_item()


def parse_structured_token(value: str) -> str | None:
    """The bare item of an RFC 8941 item when it is a token; None when it is another type or the
    value is not a valid item (a quoted "same-origin" or a comma-joined repeat, say)."""
    try:
        item = _SfItemParser(value).item()
    except ValueError:
        return None
    return str(item) if isinstance(item, _Token) else None


# -- Set-Cookie and the cookie jar -----------------------------------------------------------------------

_CONTROL_CHARS = re.compile(r"[\x00-\x1f]")
SAME_SITE_VALUES = ("strict", "lax", "none")


@dataclass(slots=True)
class Cookie:
    name: str
    domain: str = ""
    host_only: bool = True
    path: str = ""
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None  # "strict", "lax", "none"; None when absent or unrecognised
    expires: str | None = None
    max_age: str | None = None
    domain_attribute: str | None = None

    def as_data(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "expires": self.expires,
            "httponly": self.http_only,
            "max-age": self.max_age,
            "path": self.path,
            "port": None,
            "samesite": self.same_site,
            "secure": self.secure,
        }


def parse_set_cookie(raw: str) -> Cookie | None:
    """A Set-Cookie value parsed as tough-cookie does in strict mode (None: rejected)."""
    pair, _, attributes = raw.strip().partition(";")
    pair = re.split(r"[\r\n\x00]", pair, maxsplit=1)[0]
    name, equals, value = pair.partition("=")
    if not equals or not name.strip():
        return None
    if _CONTROL_CHARS.search(name.strip()) or _CONTROL_CHARS.search(value.strip()):
        return None
    cookie = Cookie(name=name.strip())
    for attribute in attributes.split(";"):
        _apply_cookie_attribute(cookie, attribute.strip())
    return cookie


def _apply_cookie_attribute(cookie: Cookie, attribute: str) -> None:
    if not attribute:
        return
    key, equals, raw_value = attribute.partition("=")
    key = key.strip().lower()
    value = raw_value.strip() if equals else None
    if key == "expires" and value:
        cookie.expires = value
    elif key == "max-age" and value and re.fullmatch(r"-?[0-9]+", value):
        cookie.max_age = value
    elif key == "domain" and value:
        domain = value.removeprefix(".")
        if domain:
            cookie.domain_attribute = domain.lower()
    elif key == "path":
        cookie.path = value if value and value.startswith("/") else ""
    elif key == "secure":
        cookie.secure = True
    elif key == "httponly":
        cookie.http_only = True
    elif key == "samesite":
        enforcement = (value or "").lower()
        cookie.same_site = enforcement if enforcement in SAME_SITE_VALUES else None


def _default_cookie_path(path: str) -> str:
    if not path.startswith("/") or path == "/":
        return "/"
    cut = path.rfind("/")
    return "/" if cut == 0 else path[:cut]


def _domain_match(host: str, domain: str) -> bool:
    if host == domain:
        return True
    return host.endswith("." + domain) and not is_ip(host)


def _accepted(cookie: Cookie, request_url: str) -> bool:
    """Completes the cookie for the URL that set it; False when the jar would refuse it."""
    parts = urlsplit(request_url)
    host = (parts.hostname or "").lower()
    if cookie.domain_attribute is not None:
        domain = cookie.domain_attribute
        if registrable_domain(domain) is None and not is_ip(domain):
            return False  # a public suffix
        if not _domain_match(host, domain):
            return False
        cookie.domain, cookie.host_only = domain, False
    else:
        cookie.domain, cookie.host_only = host, True
    if not cookie.path:
        cookie.path = _default_cookie_path(parts.path)
    if cookie.name.startswith("__Secure-") and not cookie.secure:
        return False
    host_prefix_met = cookie.secure and cookie.host_only and cookie.path == "/"
    return host_prefix_met or not cookie.name.startswith("__Host-")


def cookie_jar(set_cookies: Sequence[tuple[str, str]]) -> list[Cookie]:
    """The cookies a jar holds after these (request URL, Set-Cookie value) pairs, in order; a later
    cookie with the same domain, path and name replaces an earlier one."""
    jar: dict[tuple[str, str, str], Cookie] = {}
    for request_url, raw in set_cookies:
        cookie = parse_set_cookie(raw)
        if cookie is not None and _accepted(cookie, request_url):
            jar[(cookie.domain, cookie.path, cookie.name)] = cookie
    return list(jar.values())


def has_invalid_same_site(raw: str) -> bool:
    """A SameSite attribute with no value or one other than Lax, Strict or None, read from the raw
    header (the jar forgets such values)."""
    for part in raw.strip().split(";"):
        pieces = part.strip().split("=")
        if pieces[0].strip().lower() != "samesite":
            continue
        value = pieces[1] if len(pieces) > 1 else ""
        if not value or value.strip().lower() not in SAME_SITE_VALUES:
            return True
    return False


# -- HTML --------------------------------------------------------------------------------------------------


class _TagCollector(HTMLParser):
    """Collects the attributes of <meta> and <script> tags: names lower-cased, entities decoded, the
    first of a repeated attribute kept, as htmlparser2 does."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.metas: list[dict[str, str]] = []
        self.scripts: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("meta", "script"):
            return
        attributes: dict[str, str] = {}
        for name, value in attrs:
            attributes.setdefault(name, value or "")
        (self.metas if tag == "meta" else self.scripts).append(attributes)


def collect_tags(body: str) -> tuple[list[dict[str, str]], list[dict[str, str]] | None]:
    """The page's <meta> and <script> tags' attributes; scripts are None when the page cannot be
    parsed (the metas found until then are kept, as the Observatory keeps them)."""
    collector = _TagCollector()
    try:
        collector.feed(body)
        collector.close()
    except Exception:  # any parser failure means "not parseable", never a crash of the check
        return collector.metas, None
    return collector.metas, collector.scripts


def http_equiv_headers(metas: Sequence[Mapping[str, str]]) -> dict[str, list[str]]:
    """Header values set from <meta>: every http-equiv Content-Security-Policy, and the last
    <meta name="referrer"> as a Referrer-Policy."""
    equiv: dict[str, list[str]] = {"content-security-policy": []}
    for meta in metas:
        if "http-equiv" in meta and "content" in meta:
            if meta["http-equiv"].lower().strip() == "content-security-policy" and meta["content"]:
                equiv["content-security-policy"].append(meta["content"])
        elif meta.get("name", "").lower().strip() == "referrer" and meta.get("content"):
            equiv["referrer-policy"] = [meta["content"]]
    return equiv


# -- domains and numbers ------------------------------------------------------------------------------------

# The bundled Public Suffix List snapshot only: never fetched at run time.
_PUBLIC_SUFFIXES = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def registrable_domain(host: str | None) -> str | None:
    """The registrable domain (eTLD+1) as tldts reports it; None for IP addresses and bare names."""
    if not host:
        return None
    host = host.lower().rstrip(".")
    if is_ip(host):
        return None
    parts = _PUBLIC_SUFFIXES(host)
    if parts.suffix:
        return f"{parts.domain}.{parts.suffix}" if parts.domain else None
    labels = host.split(".")  # an unknown top-level domain is a public suffix of its own
    return ".".join(labels[-2:]) if len(labels) >= 2 else None


def parse_int_like_js(text: str) -> float:
    """JavaScript's parseInt(text, 10): the leading digits, NaN when there are none."""
    match = re.match(r"\s*([+-]?\d+)", text)
    return float(int(match.group(1))) if match else math.nan
