"""Web header check: grades a page's HTTP response headers the way the MDN HTTP Observatory does
(github.com/mdn/mdn-http-observatory, scoring algorithm version 6, twelve tests).

Scoring, as in the Observatory's scanner: start at 100 and add every test's score modifier; the
bonuses (positive modifiers) only count when the score with the penalties alone is at least 90. The
score never goes below 0. Grades: A+ >= 100, A >= 90, A- >= 85, B+ >= 80, B >= 70, B- >= 65,
C+ >= 60, C >= 50, C- >= 45, D+ >= 40, D >= 30, D- >= 25, F below.

The tests, their result ids and modifiers are the Observatory's (`RESULTS` below): content security
policy (header and `<meta http-equiv>`, several policies intersected), cookies, CORS, redirection,
referrer policy, HSTS, subresource integrity, X-Content-Type-Options, X-Frame-Options (+5 since
algorithm 5, like CSP frame-ancestors), and the cross-origin resource, opener and embedder policies
(COOP/COEP since algorithm 6). Like the Observatory, two sessions run at once: one from the
https:// address, one from the http:// address (the redirection test); the graded response is the
HTTPS one when HTTPS answers at all (with an invalid certificate too: it is fetched again without
verification and marked unverified), else the HTTP one. A CORS preflight (OPTIONS, with an Origin of
ours) goes to the final URL. The Observatory no longer fetches crossdomain.xml or
clientaccesspolicy.xml, so neither does this check; its robots.txt fetch is skipped too, as it adds
no cookie to the graded session.

Where this check differs, and why:
- Redirects are followed (10 at most, as in the Observatory) only to hosts `allowed_hosts` accepts
  (default: the host asked for, on either scheme): scans never leave the tenant's registered assets.
  A refused target ends the chain; it is still part of the route the redirection test reads, and the
  graded response is the last one fetched (a 3xx).
- The HSTS preload list: the Observatory bundles Chromium's (about 150 000 names). Nothing is
  downloaded here; the built-in list holds only top-level domains preloaded as a whole (Google
  Registry's .app, .dev, .page, ...). Pass `hsts_preload` for more.
- Public suffixes (subresource integrity's "same second-level domain") come from tldextract's
  bundled snapshot, never fetched; an unknown top-level domain counts as a suffix, as in tldts.
- The cookie jar follows tough-cookie's rules that matter here (strict parsing, domain match,
  public-suffix domains, __Secure-/__Host- prefixes); cookies are not expired out of it, like the
  Observatory's serialised jar.
- A certificate is "verified" when the given client accepts it: a client with `verify=False` makes
  every certificate look valid.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import ssl
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel

from binelek.security.checks.base import CheckError, Finding, Severity
from binelek.security.checks.headers_parsers import (
    DUPLICATE_WARNINGS_KEY,
    Cookie,
    CspParseError,
    collect_tags,
    cookie_jar,
    has_invalid_same_site,
    http_equiv_headers,
    parse_csp,
    parse_csp_meta,
    parse_int_like_js,
    parse_structured_token,
    registrable_domain,
    split_csp_values,
)
from binelek.security.checks.headers_results import RESULTS

ALGORITHM_VERSION = 6
START_SCORE = 100
MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90
GRADE_CHART: tuple[tuple[int, str], ...] = (
    (100, "A+"),
    (90, "A"),
    (85, "A-"),
    (80, "B+"),
    (70, "B"),
    (65, "B-"),
    (60, "C+"),
    (50, "C"),
    (45, "C-"),
    (40, "D+"),
    (30, "D"),
    (25, "D-"),
    (0, "F"),
)
PASSING_GRADES = ("A+", "A", "A-")
MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_BODY_BYTES = 2 * 1024 * 1024
# A foreign origin of our own for the CORS preflight; `.invalid` can never be a real site.
CORS_PROBE_ORIGIN = "https://cors-probe.binelek.invalid"
USER_AGENT = "Binelek-Security-Scanner/1.0 (web headers; MDN HTTP Observatory algorithm 6)"
ACCEPT_HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
SIX_MONTHS = 15_552_000  # the Observatory's "white lie": 180 days, what most sites send
CERT_ERROR_MARKERS = ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed")
# A refused connection, a timeout, a broken response or a Location httpx cannot use.
FETCH_ERRORS = (httpx.HTTPError, httpx.InvalidURL)

# Top-level domains on Chromium's HSTS preload list as a whole (include_subdomains, force-https).
DEFAULT_HSTS_PRELOAD: Mapping[str, bool] = {
    tld: True
    for tld in (
        "android", "app", "boo", "channel", "chrome", "dad", "day", "dev", "esq", "foo", "gle",
        "google", "ing", "meme", "mov", "new", "nexus", "page", "phd", "prof", "rsvp", "youtube", "zip",
    )
}  # fmt: skip

TEST_NAMES = (
    "content-security-policy",
    "cookies",
    "cross-origin-resource-sharing",
    "redirection",
    "referrer-policy",
    "strict-transport-security",
    "subresource-integrity",
    "x-content-type-options",
    "x-frame-options",
    "cross-origin-resource-policy",
    "cross-origin-opener-policy",
    "cross-origin-embedder-policy",
)

TRANSPORT_CONTROLS = ("soc2:CC6.7", "gdpr:art32", "hipaa:164.312(e)(1)", "pci:4.2.1")
SCRIPT_CONTROLS = ("soc2:CC6.6", "soc2:CC7.1", "gdpr:art32", "pci:6.4.3", "pci:11.6.1")
BROWSER_HARDENING_CONTROLS = ("soc2:CC6.6", "soc2:CC7.1", "pci:6.2.4")
COOKIE_CONTROLS = ("soc2:CC6.1", "soc2:CC6.7", "gdpr:art32", "hipaa:164.312(e)(1)", "pci:6.2.4")
CONTROLS: Mapping[str, tuple[str, ...]] = {
    "content-security-policy": SCRIPT_CONTROLS,
    "cookies": COOKIE_CONTROLS,
    "cross-origin-resource-sharing": ("soc2:CC6.6", "gdpr:art32", "pci:6.2.4"),
    "redirection": TRANSPORT_CONTROLS,
    "referrer-policy": ("gdpr:art25", "gdpr:art32", "soc2:CC6.7"),
    "strict-transport-security": TRANSPORT_CONTROLS,
    "subresource-integrity": SCRIPT_CONTROLS,
    "x-content-type-options": BROWSER_HARDENING_CONTROLS,
    "x-frame-options": BROWSER_HARDENING_CONTROLS,
    "cross-origin-resource-policy": BROWSER_HARDENING_CONTROLS,
    "cross-origin-opener-policy": BROWSER_HARDENING_CONTROLS,
    "cross-origin-embedder-policy": BROWSER_HARDENING_CONTROLS,
}
GRADE_CONTROLS = ("soc2:CC6.6", "soc2:CC6.7", "soc2:CC7.1", "gdpr:art32")


# -- report models ----------------------------------------------------------------------------------


class HeaderTestResult(BaseModel):
    """One Observatory test on the graded response."""

    name: str  # "content-security-policy", "cookies", ...
    result: str  # the Observatory result id, e.g. "csp-implemented-with-no-unsafe"
    passed: bool
    score_modifier: int
    description: str
    data: dict[str, Any]  # what was seen: header values, parsed policy, cookies, route...


class HeadersReport(BaseModel):
    url: str  # the URL asked for
    final_url: str  # the last URL fetched in the graded session
    status_code: int
    score: int  # 0 .. 100 + bonuses
    grade: str  # "A+" .. "F"
    tests: list[HeaderTestResult]
    # The graded session's route: the start URL, every URL redirected through, and a redirect target
    # refused by `allowed_hosts` last.
    redirects: list[str]
    tests_passed: int = 0
    tests_failed: int = 0
    algorithm_version: int = ALGORITHM_VERSION
    response_headers: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class HttpRedirectProbe:
    """What the plain-HTTP session saw, for the redirection test."""

    route: list[str]  # the http:// URL, every URL redirected to, a refused target last
    status_code: int  # of the last response fetched
    verified: bool = True  # False when an https:// step had an invalid certificate


# -- grading -----------------------------------------------------------------------------------------


def grade_for(score: int) -> str:
    for floor, grade in GRADE_CHART:
        if score >= floor:
            return grade
    return "F"


def grade_response(
    url: str,
    final_url: str,
    status_code: int,
    headers: httpx.Headers,
    body: str,
    redirects: Sequence[str],
    http_redirect: HttpRedirectProbe | None,
    *,
    https_verified: bool = True,
    set_cookies: Sequence[tuple[str, str]] | None = None,
    cors_headers: httpx.Headers | None = None,
    hsts_preload: Mapping[str, bool] | None = None,
    site_host: str | None = None,
) -> HeadersReport:
    """Grades one observed response, without I/O.

    `url` is where the graded session started: an https:// one means the site answers over HTTPS.
    `http_redirect` is the plain-HTTP session (None: HTTP did not answer). `set_cookies` lists every
    (request URL, Set-Cookie value) the session received, redirects included (default: the ones on
    `headers`, set by `final_url`). `cors_headers` is the 2xx answer to the CORS preflight, if any.
    """
    observed = _observe(
        url=url,
        headers=headers,
        body=body,
        http_redirect=http_redirect,
        https_verified=https_verified,
        set_cookies=(
            set_cookies
            if set_cookies is not None
            else [(final_url, v) for v in headers.get_list("set-cookie")]
        ),
        cors_headers=cors_headers,
        hsts_preload=DEFAULT_HSTS_PRELOAD if hsts_preload is None else hsts_preload,
        site_host=site_host or (urlsplit(url).hostname or ""),
    )
    tests = _run_tests(observed)
    score = _score(tests)
    passed = sum(1 for test in tests if test.passed)
    return HeadersReport(
        url=url,
        final_url=final_url,
        status_code=status_code,
        score=score,
        grade=grade_for(score),
        tests=tests,
        redirects=list(redirects),
        tests_passed=passed,
        tests_failed=len(tests) - passed,
        response_headers={name: headers.get(name, "") for name in headers},
    )


def _score(tests: Sequence[HeaderTestResult]) -> int:
    with_extra_credit = START_SCORE + sum(test.score_modifier for test in tests)
    penalties_only = START_SCORE + sum(test.score_modifier for test in tests if test.score_modifier < 0)
    # Bonuses only count for a site that already earns an A on its penalties alone.
    score = with_extra_credit if penalties_only >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else penalties_only
    return max(score, 0)


@dataclass(frozen=True, slots=True)
class _Observed:
    """Everything the tests read, gathered once."""

    session_url: str
    site_host: str
    headers: httpx.Headers
    body: str
    http_equiv: Mapping[str, list[str]]
    scripts: list[dict[str, str]] | None  # None: the HTML could not be parsed
    https_answered: bool
    https_verified: bool
    http_redirect: HttpRedirectProbe | None
    cookies: list[Cookie]
    cors_headers: httpx.Headers | None
    hsts_preload: Mapping[str, bool]


def _observe(
    *,
    url: str,
    headers: httpx.Headers,
    body: str,
    http_redirect: HttpRedirectProbe | None,
    https_verified: bool,
    set_cookies: Sequence[tuple[str, str]],
    cors_headers: httpx.Headers | None,
    hsts_preload: Mapping[str, bool],
    site_host: str,
) -> _Observed:
    metas, scripts = collect_tags(body)
    content_type = _first_header(headers, "content-type")
    # As the Observatory: <meta> tags are read only from a declared HTML page with a body.
    is_html = content_type is not None and content_type.split(";")[0] in HTML_TYPES
    http_equiv = http_equiv_headers(metas) if is_html and body else {}
    return _Observed(
        session_url=url,
        site_host=site_host.lower(),
        headers=headers,
        body=body,
        http_equiv=http_equiv,
        scripts=scripts,
        https_answered=urlsplit(url).scheme == "https",
        https_verified=https_verified,
        http_redirect=http_redirect,
        cookies=[cookie for cookie in cookie_jar(set_cookies) if cookie.name not in COOKIES_IGNORED],
        cors_headers=cors_headers,
        hsts_preload=hsts_preload,
    )


def _run_tests(observed: _Observed) -> list[HeaderTestResult]:
    csp = _content_security_policy(observed)
    hsts = _strict_transport_security(observed)
    return [
        csp.result,
        _cookies(observed, hsts_passed=hsts.passed),
        _cross_origin_resource_sharing(observed),
        _redirection(observed),
        _referrer_policy(observed),
        hsts,
        _subresource_integrity(observed),
        _x_content_type_options(observed),
        _x_frame_options(observed, csp.directives),
        _cross_origin_resource_policy(observed),
        _structured_token_policy(observed, "cross-origin-opener-policy", "coop", _COOP_RESULTS),
        _structured_token_policy(observed, "cross-origin-embedder-policy", "coep", _COEP_RESULTS),
    ]


def _result(name: str, result: str, passed: bool, data: dict[str, Any]) -> HeaderTestResult:
    outcome = RESULTS[result]
    return HeaderTestResult(
        name=name,
        result=result,
        passed=passed,
        score_modifier=outcome.modifier,
        description=outcome.description,
        data=data,
    )


def _first_header(headers: httpx.Headers, name: str) -> str | None:
    values = headers.get_list(name)
    return values[0] if values else None


def _joined_header(headers: httpx.Headers, name: str) -> str | None:
    """A header as Node's HTTP client gives it: repeats joined with ", " (so twice-sent headers
    such as `X-Frame-Options: DENY, DENY` are seen, and judged, as the Observatory sees them)."""
    values = headers.get_list(name)
    return ", ".join(values) if values else None


def _only_if_worse(new: str, old: str | None, order: Sequence[str]) -> str:
    """The worse of two results by position in `order` (best first); an unlisted result ranks best."""
    if old is None:
        return new
    return new if _rank(new, order) > _rank(old, order) else old


def _rank(result: str, order: Sequence[str]) -> int:
    return order.index(result) if result in order else -1


# -- content-security-policy --------------------------------------------------------------------------

DANGEROUSLY_BROAD = frozenset(
    {"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"}
)
UNSAFE_INLINE = frozenset({"'unsafe-inline'", "data:"})
BROAD_OR_UNSAFE_INLINE = DANGEROUSLY_BROAD | UNSAFE_INLINE
PASSIVE_DIRECTIVES = ("img-src", "media-src")
NONCE_HASH_PREFIXES = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")
CSP_PASSING_RESULTS = frozenset(
    {
        "csp-implemented-with-no-unsafe",
        "csp-implemented-with-no-unsafe-default-src-none",
        "csp-implemented-with-unsafe-inline-in-style-src-only",
        "csp-implemented-with-insecure-scheme-in-passive-content-only",
    }
)


@dataclass(frozen=True, slots=True)
class _CspOutcome:
    result: HeaderTestResult
    directives: dict[str, list[str]] | None  # the parsed policy, as the X-Frame-Options test reads it


def _has_nonce_or_hash(sources: Iterable[str]) -> bool:
    return any(source.startswith(NONCE_HASH_PREFIXES) for source in sources)


def _directive(csp: Mapping[str, set[str]], *names: str) -> set[str]:
    """The first directive present among `names` — the same set object, so edits show through as in
    the Observatory, where script-src, style-src and object-src may all be default-src itself."""
    for name in names:
        sources = csp.get(name)
        if sources is not None:
            return sources
    return {"*"}


def _content_security_policy(observed: _Observed) -> _CspOutcome:
    name = "content-security-policy"
    header_policies = split_csp_values(observed.headers.get_list("content-security-policy"))
    meta_policies = split_csp_values(observed.http_equiv.get("content-security-policy", []))
    data: dict[str, Any] = {"num_policies": len(header_policies) + len(meta_policies)}
    try:
        csp = parse_csp([*header_policies, *meta_policies])
    except CspParseError as exc:
        data["error"] = str(exc)
        data["header"] = _joined_header(observed.headers, "content-security-policy")
        return _CspOutcome(_result(name, "csp-header-invalid", False, data), None)
    header_only = _parse_or_empty(parse_csp, header_policies)
    meta_only = _parse_or_empty(parse_csp_meta, meta_policies)
    if not header_only and not meta_only:
        # A meta tag holding only header-only directives counts as no policy at all.
        report_only = observed.headers.get("content-security-policy-report-only")
        result = "csp-not-implemented-but-reporting-enabled" if report_only else "csp-not-implemented"
        data["report_only"] = report_only
        return _CspOutcome(_result(name, result, False, data), None)
    result, policy = _assess_csp(csp, header_only, secure_site=observed.https_answered)
    passed = result in CSP_PASSING_RESULTS
    if passed and DUPLICATE_WARNINGS_KEY in csp:
        result = "csp-implemented-but-duplicate-directives"
    directives = {key: sorted(value) for key, value in csp.items() if key != DUPLICATE_WARNINGS_KEY}
    data.update(http=bool(header_policies), meta=bool(meta_policies), policy=policy, directives=directives)
    return _CspOutcome(_result(name, result, passed, data), directives)


def _parse_or_empty(
    parser: Callable[[Sequence[str]], dict[str, set[str]]], policies: Sequence[str]
) -> dict[str, set[str]]:
    try:
        return parser(policies)
    except CspParseError:
        return {}


def _assess_csp(
    csp: dict[str, set[str]], header_only: Mapping[str, set[str]], *, secure_site: bool
) -> tuple[str, dict[str, bool]]:
    """The Observatory's CSP verdict: the first failing rule, in its order, names the result."""
    result: str | None = None
    base_uri = _directive(csp, "base-uri")
    frame_ancestors = _directive(header_only, "frame-ancestors")  # never from a <meta> tag
    form_action = _directive(csp, "form-action")
    object_src = _directive(csp, "object-src", "default-src")
    script_src = _directive(csp, "script-src", "default-src")
    style_src = _directive(csp, "style-src", "default-src")

    # A nonce or hash makes browsers ignore 'unsafe-inline'.
    for sources in (script_src, style_src):
        if _has_nonce_or_hash(sources):
            sources.discard("'unsafe-inline'")
    strict_dynamic = False
    if _has_nonce_or_hash(script_src) and "'strict-dynamic'" in script_src:
        # With 'strict-dynamic', browsers ignore host and scheme sources, 'self' and 'unsafe-inline'.
        for source in list(script_src):
            if source.startswith(tuple(DANGEROUSLY_BROAD)) or source in ("'self'", "'unsafe-inline'"):
                script_src.discard(source)
        strict_dynamic = True
    elif "'strict-dynamic'" in script_src:
        result = "csp-header-invalid"

    active_sources = [
        source
        for directive, sources in csp.items()
        if directive not in PASSIVE_DIRECTIVES and directive != "script-src"
        for source in sources
    ] + list(script_src)
    passive_sources = [
        source
        for directive in PASSIVE_DIRECTIVES
        for source in csp.get(directive, csp.get("default-src", set()))
    ]

    unsafe_inline = bool(script_src & BROAD_OR_UNSAFE_INLINE) or bool(object_src & DANGEROUSLY_BROAD)
    insecure_active = secure_site and any(s.startswith(("http:", "ftp:")) for s in active_sources)
    unsafe_eval = "'unsafe-eval'" in (script_src | style_src)
    insecure_passive = secure_site and any(s.startswith(("http:", "ftp:")) for s in passive_sources)
    unsafe_inline_style = bool(style_src & BROAD_OR_UNSAFE_INLINE)
    default_src = csp.get("default-src")
    default_none = default_src is not None and default_src == {"'none'"}
    for failed, verdict in (
        (unsafe_inline, "csp-implemented-with-unsafe-inline"),
        (insecure_active, "csp-implemented-with-insecure-scheme"),
        (unsafe_eval, "csp-implemented-with-unsafe-eval"),
        (insecure_passive, "csp-implemented-with-insecure-scheme-in-passive-content-only"),
        (unsafe_inline_style, "csp-implemented-with-unsafe-inline-in-style-src-only"),
        (default_none, "csp-implemented-with-no-unsafe-default-src-none"),
        (True, "csp-implemented-with-no-unsafe"),
    ):
        if failed and result is None:
            result = verdict
    policy = {
        "anti_clickjacking": not (frame_ancestors & DANGEROUSLY_BROAD),
        "default_none": default_none,
        "insecure_base_uri": bool(base_uri & BROAD_OR_UNSAFE_INLINE),
        "insecure_form_action": bool(form_action & DANGEROUSLY_BROAD),
        "insecure_scheme_active": insecure_active,
        "insecure_scheme_passive": insecure_passive,
        "strict_dynamic": strict_dynamic,
        "unsafe_eval": unsafe_eval,
        "unsafe_inline": unsafe_inline,
        "unsafe_inline_style": unsafe_inline_style,
        "unsafe_objects": bool(object_src & DANGEROUSLY_BROAD),
    }
    return result or "csp-implemented-with-no-unsafe", policy


# -- cookies ----------------------------------------------------------------------------------------

COOKIES_IGNORED = frozenset({"heroku-session-affinity"})
COOKIE_ORDER = (  # best to worst, as the Observatory ranks them (not by modifier)
    "cookies-without-secure-flag-but-protected-by-hsts",
    "cookies-without-secure-flag",
    "cookies-session-without-secure-flag-but-protected-by-hsts",
    "cookies-samesite-flag-invalid",
    "cookies-anticsrf-without-samesite-flag",
    "cookies-session-without-httponly-flag",
    "cookies-session-without-secure-flag",
)


def _cookies(observed: _Observed, *, hsts_passed: bool) -> HeaderTestResult:
    name = "cookies"
    result: str | None = None
    for raw in observed.headers.get_list("set-cookie"):
        if has_invalid_same_site(raw):
            result = _only_if_worse("cookies-samesite-flag-invalid", result, COOKIE_ORDER)
    cookies = observed.cookies
    if not cookies:
        return _result(name, "cookies-not-found", True, {"cookies": None, "same_site": False})
    missing_same_site = False
    for cookie in cookies:
        result = _worst_cookie_result(cookie, result, hsts_passed)
        missing_same_site = missing_same_site or not cookie.same_site
    if result is None:
        result = (
            "cookies-secure-with-httponly-sessions"
            if missing_same_site
            else "cookies-secure-with-httponly-sessions-and-samesite"
        )
    passed = result in (
        "cookies-secure-with-httponly-sessions-and-samesite",
        "cookies-secure-with-httponly-sessions",
    )
    data = {
        "cookies": {cookie.name: cookie.as_data() for cookie in cookies},
        "same_site": result == "cookies-secure-with-httponly-sessions-and-samesite",
    }
    return _result(name, result, passed, data)


def _worst_cookie_result(cookie: Cookie, result: str | None, hsts_passed: bool) -> str | None:
    lowered = cookie.name.lower()
    session = "login" in lowered or "sess" in lowered
    anti_csrf = "csrf" in lowered
    findings: list[str] = []
    if not cookie.secure and cookie.same_site == "none":
        findings.append("cookies-samesite-flag-invalid")
    if not cookie.secure:
        findings.append(
            "cookies-without-secure-flag-but-protected-by-hsts"
            if hsts_passed
            else "cookies-without-secure-flag"
        )
    if anti_csrf and not cookie.same_site:
        findings.append("cookies-anticsrf-without-samesite-flag")
    if session and not cookie.secure:
        findings.append(
            "cookies-session-without-secure-flag-but-protected-by-hsts"
            if hsts_passed
            else "cookies-session-without-secure-flag"
        )
    if session and not cookie.http_only:
        findings.append("cookies-session-without-httponly-flag")
    for finding in findings:
        result = _only_if_worse(finding, result, COOKIE_ORDER)
    return result


# -- cross-origin-resource-sharing -------------------------------------------------------------------


def _cross_origin_resource_sharing(observed: _Observed) -> HeaderTestResult:
    name = "cross-origin-resource-sharing"
    cors = observed.cors_headers
    allow_origin = _first_header(cors, "access-control-allow-origin") if cors is not None else None
    if cors is None or not allow_origin:
        return _result(name, "cross-origin-resource-sharing-not-implemented", True, {"allow_origin": None})
    data: dict[str, Any] = {
        "allow_origin": allow_origin[:256].strip().lower(),
        "origin_sent": CORS_PROBE_ORIGIN,
    }
    credentials = _first_header(cors, "access-control-allow-credentials")
    data["allow_credentials"] = credentials
    if data["allow_origin"] == "*":
        result = "cross-origin-resource-sharing-implemented-with-public-access"
    elif allow_origin == CORS_PROBE_ORIGIN and credentials and credentials.strip().lower() == "true":
        result = "cross-origin-resource-sharing-implemented-with-universal-access"
    else:
        result = "cross-origin-resource-sharing-implemented-with-restricted-access"
    passed = result != "cross-origin-resource-sharing-implemented-with-universal-access"
    return _result(name, result, passed, data)


# -- redirection --------------------------------------------------------------------------------------


def is_hsts_preloaded(host: str, preload: Mapping[str, bool]) -> bool:
    """On the list itself, or below an entry that includes its subdomains."""
    host = host.lower().rstrip(".")
    if host in preload:
        return True
    labels = host.split(".")
    return any(preload.get(".".join(labels[start:])) for start in range(1, len(labels)))


def _redirection(observed: _Observed) -> HeaderTestResult:
    name = "redirection"
    probe = observed.http_redirect
    if probe is None:
        return _result(name, "redirection-not-needed-no-http", True, {"route": [], "status_code": None})
    data: dict[str, Any] = {
        "route": probe.route,
        "destination": probe.route[-1] if probe.route else None,
        "status_code": probe.status_code,
    }
    if not probe.verified:
        return _result(name, "redirection-invalid-cert", False, data)
    route = [urlsplit(step) for step in probe.route]
    if all(is_hsts_preloaded(step.hostname or "", observed.hsts_preload) for step in route):
        result = "redirection-all-redirects-preloaded"
    elif len(route) == 1:
        result = "redirection-missing"
    elif route[-1].scheme != "https":
        result = "redirection-not-to-https"
    elif route[1].scheme == "http":
        result = "redirection-not-to-https-on-initial-redirection"
    elif route[0].scheme == "http" and route[0].hostname != route[1].hostname:
        result = "redirection-off-host-from-http"
    else:
        result = "redirection-to-https"
    passed = result in ("redirection-all-redirects-preloaded", "redirection-to-https")
    return _result(name, result, passed, data)


# -- referrer-policy ---------------------------------------------------------------------------------

PRIVATE_REFERRER_POLICIES = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")
UNSAFE_REFERRER_POLICIES = ("origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade")


def _referrer_policy(observed: _Observed) -> HeaderTestResult:
    name = "referrer-policy"
    header = _joined_header(observed.headers, "referrer-policy")
    meta = observed.http_equiv.get("referrer-policy", [])
    values = ([header] if header is not None else []) + meta
    if not values:
        return _result(name, "referrer-policy-not-implemented", True, {"value": None})
    value = ", ".join(values)
    data = {"value": value, "http": header is not None, "meta": bool(meta)}
    # The last recognised token wins, a <meta> tag over the header.
    known = [token.strip().lower() for token in value.split(",")]
    known = [token for token in known if token in PRIVATE_REFERRER_POLICIES + UNSAFE_REFERRER_POLICIES]
    policy = known[-1] if known else ""
    if policy in PRIVATE_REFERRER_POLICIES:
        return _result(name, "referrer-policy-private", True, data)
    if policy in UNSAFE_REFERRER_POLICIES:
        return _result(name, "referrer-policy-unsafe", False, data)
    return _result(name, "referrer-policy-header-invalid", False, data)


# -- strict-transport-security -----------------------------------------------------------------------


def _strict_transport_security(observed: _Observed) -> HeaderTestResult:
    name = "strict-transport-security"
    data: dict[str, Any] = {"value": None, "max_age": None, "include_subdomains": False, "preload": False}
    if not observed.https_answered:
        result = "hsts-not-implemented-no-https"
    elif not observed.https_verified:
        result = "hsts-invalid-cert"
    else:
        result = _hsts_header_result(_joined_header(observed.headers, "strict-transport-security"), data)
    if observed.https_answered and is_hsts_preloaded(observed.site_host, observed.hsts_preload):
        result = "hsts-preloaded"  # the preload list overrides what the header says
        data["preloaded"] = True
    passed = result in ("hsts-implemented-max-age-at-least-six-months", "hsts-preloaded")
    return _result(name, result, passed, data)


def _hsts_header_result(header: str | None, data: dict[str, Any]) -> str:
    if header is None:
        return "hsts-not-implemented"
    value = header[:1024]
    data["value"] = value
    if "," in value:
        return "hsts-header-invalid"  # sent more than once
    max_age: float | None = None
    for parameter in (part.strip().lower() for part in value.split(";")):
        if parameter.startswith("max-age="):
            max_age = parse_int_like_js(parameter[8:128])
        elif parameter == "includesubdomains":
            data["include_subdomains"] = True
        elif parameter == "preload":
            data["preload"] = True
    if max_age is None:
        return "hsts-header-invalid"
    data["max_age"] = None if math.isnan(max_age) else int(max_age)
    # A max-age that is not a number compares as NaN in the Observatory, which is never "less than".
    return (
        "hsts-implemented-max-age-less-than-six-months"
        if max_age < SIX_MONTHS
        else "hsts-implemented-max-age-at-least-six-months"
    )


# -- subresource-integrity ---------------------------------------------------------------------------

SRI_ORDER = (  # best to worst
    "sri-implemented-and-all-scripts-loaded-securely",
    "sri-implemented-and-external-scripts-loaded-securely",
    "sri-implemented-but-external-scripts-not-loaded-securely",
    "sri-not-implemented-but-external-scripts-loaded-securely",
    "sri-not-implemented-and-external-scripts-not-loaded-securely",
    "sri-not-implemented-response-not-html",
)
SRI_PASSING_RESULTS = frozenset(
    {
        "sri-implemented-and-all-scripts-loaded-securely",
        "sri-implemented-and-external-scripts-loaded-securely",
        "sri-not-implemented-response-not-html",
        "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        "sri-not-implemented-but-no-scripts-loaded",
    }
)
_RELATIVE_PROTOCOL = re.compile(r"^//[^/]")
_FULL_URL = re.compile(r"^(https?):\/\/")


def _subresource_integrity(observed: _Observed) -> HeaderTestResult:
    name = "subresource-integrity"
    mime = (_first_header(observed.headers, "content-type") or "").split(";")[0]
    if mime and mime not in HTML_TYPES:
        return _result(name, "sri-not-implemented-response-not-html", True, {"scripts": {}})
    scripts = observed.scripts
    if scripts is None:
        return _result(name, "html-not-parseable", False, {"scripts": {}})
    site_domain = registrable_domain(observed.site_host)
    secure_page = urlsplit(observed.session_url).scheme == "https"
    result: str | None = None
    foreign_scripts = False
    data: dict[str, dict[str, str | None]] = {}
    for script in scripts:
        src = script.get("src", "")
        if not src:
            continue
        integrity = script.get("integrity") or None
        assessment = _assess_script(src, integrity, site_domain, secure_page)
        if assessment.foreign:
            foreign_scripts = True
            data[src] = {"crossorigin": script.get("crossorigin") or None, "integrity": integrity}
        if assessment.result is not None:
            if assessment.foreign:
                result = _only_if_worse(assessment.result, result, SRI_ORDER)
            elif result is None:
                result = assessment.result
    if not scripts:
        result = "sri-not-implemented-but-no-scripts-loaded"
    elif result is None:
        result = (
            "sri-implemented-and-external-scripts-loaded-securely"
            if foreign_scripts
            else "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
        )
    return _result(name, result, result in SRI_PASSING_RESULTS, {"scripts": data})


@dataclass(frozen=True, slots=True)
class _ScriptAssessment:
    foreign: bool
    result: str | None


def _assess_script(
    src: str, integrity: str | None, site_domain: str | None, secure_page: bool
) -> _ScriptAssessment:
    relative_protocol = bool(_RELATIVE_PROTOCOL.match(src))
    full_url = _FULL_URL.match(src)
    relative_origin = not relative_protocol and not full_url
    if relative_protocol:
        same_site = True  # as the Observatory: "//host/x.js" counts as same domain, yet foreign below
    elif full_url:
        same_site = registrable_domain(urlsplit(src).hostname) == site_domain
    else:
        same_site = True
    foreign = not (relative_origin or (same_site and not relative_protocol))
    secure_scheme = (full_url is not None and full_url.group(1) == "https") or (
        relative_origin and secure_page
    )
    if not foreign:
        # Same-domain scripts: integrity on a secure one earns the bonus, nothing is ever lost.
        result = "sri-implemented-and-all-scripts-loaded-securely" if integrity and secure_scheme else None
        return _ScriptAssessment(False, result)
    if integrity and not secure_scheme:
        return _ScriptAssessment(True, "sri-implemented-but-external-scripts-not-loaded-securely")
    if not integrity and secure_scheme:
        return _ScriptAssessment(True, "sri-not-implemented-but-external-scripts-loaded-securely")
    if not integrity:
        return _ScriptAssessment(True, "sri-not-implemented-and-external-scripts-not-loaded-securely")
    return _ScriptAssessment(True, None)


# -- x-content-type-options, x-frame-options, cross-origin policies -----------------------------------


def _x_content_type_options(observed: _Observed) -> HeaderTestResult:
    name = "x-content-type-options"
    header = _joined_header(observed.headers, "x-content-type-options")
    if not header:
        return _result(name, "x-content-type-options-not-implemented", False, {"value": None})
    value = header[:256]
    if value.strip().lower() == "nosniff":
        return _result(name, "x-content-type-options-nosniff", True, {"value": value})
    return _result(name, "x-content-type-options-header-invalid", False, {"value": value})


def _x_frame_options(observed: _Observed, csp_directives: Mapping[str, list[str]] | None) -> HeaderTestResult:
    name = "x-frame-options"
    header = _joined_header(observed.headers, "x-frame-options")
    data: dict[str, Any] = {"value": header[:1024] if header else None}
    if not header:
        result = "x-frame-options-not-implemented"
    else:
        value = header[:1024].strip().lower()
        if value in ("deny", "sameorigin"):
            result = "x-frame-options-sameorigin-or-deny"
        elif value.startswith("allow-from"):
            result = "x-frame-options-allow-from-origin"
        else:
            result = "x-frame-options-header-invalid"
    # As the Observatory: a frame-ancestors directive anywhere in the parsed policy replaces the header.
    if csp_directives and "frame-ancestors" in csp_directives:
        result = "x-frame-options-implemented-via-csp"
        data["frame_ancestors"] = csp_directives["frame-ancestors"]
    passed = result in (
        "x-frame-options-allow-from-origin",
        "x-frame-options-sameorigin-or-deny",
        "x-frame-options-implemented-via-csp",
    )
    return _result(name, result, passed, data)


_CORP_RESULTS = {
    "same-site": "corp-implemented-with-same-site",
    "same-origin": "corp-implemented-with-same-origin",
    "cross-origin": "corp-implemented-with-cross-origin",
}


def _cross_origin_resource_policy(observed: _Observed) -> HeaderTestResult:
    name = "cross-origin-resource-policy"
    header = _joined_header(observed.headers, "cross-origin-resource-policy")
    value = header[:256].strip().lower() if header else ""
    if not value:
        return _result(name, "corp-not-implemented", True, {"value": None})
    result = _CORP_RESULTS.get(value, "corp-header-invalid")
    return _result(name, result, result != "corp-header-invalid", {"value": value})


_COOP_RESULTS = {
    "same-origin": "coop-implemented-with-same-origin",
    "same-origin-allow-popups": "coop-implemented-with-same-origin-allow-popups",
    "noopener-allow-popups": "coop-implemented-with-noopener-allow-popups",
    "unsafe-none": "coop-implemented-with-unsafe-none",
}
_COEP_RESULTS = {
    "require-corp": "coep-implemented-with-require-corp",
    "credentialless": "coep-implemented-with-credentialless",
    "unsafe-none": "coep-implemented-with-unsafe-none",
}


def _structured_token_policy(
    observed: _Observed, name: str, prefix: str, results: Mapping[str, str]
) -> HeaderTestResult:
    """COOP and COEP: a structured-field token (parameters such as report-to allowed), as browsers
    parse them; anything else, a repeated header included, is invalid."""
    header = _joined_header(observed.headers, name)
    if not header:
        return _result(name, f"{prefix}-not-implemented", True, {"value": None})
    value = header[:1024].strip()
    token = parse_structured_token(value)
    result = (
        results.get(token, f"{prefix}-header-invalid") if token is not None else f"{prefix}-header-invalid"
    )
    return _result(name, result, result != f"{prefix}-header-invalid", {"value": value})


# -- findings ------------------------------------------------------------------------------------------


def severity_for(modifier: int) -> Severity:
    """How bad a result is when it fails, from its modifier: a bonus or nothing is informative,
    -5 low, -10 and -15 medium, -20 and worse high."""
    if modifier >= 0:
        return "info"
    if modifier >= -5:
        return "low"
    if modifier >= -15:
        return "medium"
    return "high"


def _grade_severity(grade: str) -> Severity:
    if grade in PASSING_GRADES:
        return "info"
    if grade.startswith("B"):
        return "low"
    return "medium" if grade.startswith("C") else "high"


def findings(report: HeadersReport) -> list[Finding]:
    """One finding per Observatory test (`web.<test name>`), then `web.grade` (passed at A- or better;
    B grades are low, C medium, D and F high)."""
    target = report.url
    found = [_test_finding(test, target) for test in report.tests]
    found.append(
        Finding(
            check_id="web.grade",
            category="web",
            target=target,
            passed=report.grade in PASSING_GRADES,
            severity=_grade_severity(report.grade),
            title=f"Web security headers grade {report.grade} ({report.score}/100)",
            evidence={
                "score": report.score,
                "grade": report.grade,
                "final_url": report.final_url,
                "status_code": report.status_code,
                "tests_passed": report.tests_passed,
                "tests_failed": report.tests_failed,
                "algorithm_version": report.algorithm_version,
            },
            remediation=_grade_remediation(report),
            controls=GRADE_CONTROLS,
        )
    )
    return found


def _test_finding(test: HeaderTestResult, target: str) -> Finding:
    outcome = RESULTS[test.result]
    return Finding(
        check_id=f"web.{test.name}",
        category="web",
        target=target,
        passed=test.passed,
        severity=severity_for(test.score_modifier),
        title=test.description,
        evidence={"result": test.result, "score_modifier": test.score_modifier, "data": test.data},
        remediation=outcome.remediation,
        controls=CONTROLS[test.name],
    )


def _grade_remediation(report: HeadersReport) -> str:
    worst = sorted((test for test in report.tests if test.score_modifier < 0), key=lambda t: t.score_modifier)
    if not worst:
        return ""
    names = ", ".join(test.name for test in worst[:3])
    return f"Fix the largest penalties first: {names}."


# -- fetching -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Session:
    """One browsing session from a start URL, redirects followed as allowed."""

    start_url: str
    hops: list[tuple[str, int]] = field(default_factory=list)  # (url, status) of every response
    refused: str | None = None  # a redirect target outside the allowed hosts
    response_headers: httpx.Headers | None = None
    body: str = ""
    set_cookies: list[tuple[str, str]] = field(default_factory=list)
    verified: bool = True

    @property
    def answered(self) -> bool:
        return self.response_headers is not None

    @property
    def final_url(self) -> str:
        return self.hops[-1][0] if self.hops else self.start_url

    @property
    def status_code(self) -> int:
        return self.hops[-1][1] if self.hops else 0

    @property
    def route(self) -> list[str]:
        return [url for url, _ in self.hops] + ([self.refused] if self.refused else [])


class _Clients:
    """The caller's client (or ours) and, made on first need, one that skips certificate checks
    for the retry after a verification failure."""

    def __init__(self, client: httpx.AsyncClient | None, timeout: float) -> None:
        self.timeout = timeout
        self._own = client is None
        self.verifying = client if client is not None else httpx.AsyncClient(timeout=timeout)
        self._unverified: httpx.AsyncClient | None = None

    def unverified(self) -> httpx.AsyncClient:
        if self._unverified is None:
            # Only to grade a site whose certificate failed, exactly as the Observatory retries it.
            self._unverified = httpx.AsyncClient(verify=False, timeout=self.timeout)  # noqa: S501
        return self._unverified

    async def aclose(self) -> None:
        if self._own:
            await self.verifying.aclose()
        if self._unverified is not None:
            await self._unverified.aclose()


def _is_certificate_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        if any(marker in str(current) for marker in CERT_ERROR_MARKERS):
            return True
        current = current.__cause__ or current.__context__
    return False


def _same_host(url: str) -> Callable[[str], bool]:
    host = (urlsplit(url).hostname or "").lower()
    return lambda candidate: candidate.lower() == host


async def _fetch_session(
    clients: _Clients, start_url: str, allowed: Callable[[str], bool], *, method: str = "GET"
) -> _Session:
    """Follows the chain from `start_url`; on a certificate failure starts again without
    verification and marks the session unverified, as the Observatory does. A session that cannot
    connect at all comes back unanswered."""
    session = _Session(start_url)
    try:
        await _follow(session, clients.verifying, allowed, method, clients.timeout)
        return session
    except FETCH_ERRORS as exc:
        if not _is_certificate_error(exc):
            return _Session(start_url)
    session = _Session(start_url, verified=False)
    try:
        await _follow(session, clients.unverified(), allowed, method, clients.timeout)
    except FETCH_ERRORS:
        return _Session(start_url, verified=False)
    return session


async def _follow(
    session: _Session, client: httpx.AsyncClient, allowed: Callable[[str], bool], method: str, seconds: float
) -> None:
    url = session.start_url
    request_headers = {"Accept": ACCEPT_HTML, "User-Agent": USER_AGENT}
    if method == "OPTIONS":
        request_headers = {
            "Access-Control-Request-Method": "GET",
            "Origin": CORS_PROBE_ORIGIN,
            "User-Agent": USER_AGENT,
        }
    for follows in range(MAX_REDIRECTS + 1):
        async with _request(client, method, url, request_headers, seconds) as response:
            session.hops.append((url, response.status_code))
            session.set_cookies.extend((url, value) for value in response.headers.get_list("set-cookie"))
            target = _redirect_target(url, response)
            if target is None or follows == MAX_REDIRECTS:
                session.response_headers = response.headers
                session.body = await _read_text(response)
                return
        if not _may_follow(target, allowed):
            session.refused = target
            session.response_headers = response.headers
            return
        url = target
        if method == "OPTIONS" and response.status_code == 303:
            method = "GET"


@contextlib.asynccontextmanager
async def _request(
    client: httpx.AsyncClient, method: str, url: str, headers: Mapping[str, str], seconds: float
) -> AsyncIterator[httpx.Response]:
    request = client.build_request(method, url, headers=dict(headers), timeout=seconds)
    response = await client.send(request, stream=True, follow_redirects=False)
    try:
        yield response
    finally:
        await response.aclose()


def _redirect_target(url: str, response: httpx.Response) -> str | None:
    location = response.headers.get_list("location")
    if response.status_code not in REDIRECT_STATUSES or not location:
        return None
    return urljoin(url, location[0])


def _may_follow(target: str, allowed: Callable[[str], bool]) -> bool:
    parts = urlsplit(target)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and allowed(parts.hostname or "")


async def _read_text(response: httpx.Response) -> str:
    """The body up to MAX_BODY_BYTES, as UTF-8 whatever the charset (as axios reads it)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BODY_BYTES:
            break
    return b"".join(chunks)[:MAX_BODY_BYTES].decode("utf-8", errors="replace")


def _with_scheme(url: str, scheme: str) -> str:
    """The same host and path on the other scheme, on that scheme's default port."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _validated(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CheckError(f"not an http(s) URL: {url}", code="INVALID_TARGET")
    return url


async def _preflight(
    session: _Session, clients: _Clients, allowed: Callable[[str], bool]
) -> httpx.Headers | None:
    """The CORS preflight to the final URL; only a 2xx answer counts, as with axios."""
    client = clients.unverified() if not session.verified else clients.verifying
    preflight = _Session(session.final_url)
    try:
        await _follow(preflight, client, allowed, "OPTIONS", clients.timeout)
    except FETCH_ERRORS:
        return None
    if preflight.refused or not 200 <= preflight.status_code < 300:
        return None
    return preflight.response_headers


async def check_headers(
    url: str,
    *,
    client: httpx.AsyncClient | None = None,
    allowed_hosts: Callable[[str], bool] | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109 - per request, not a deadline for the whole check
    http_url: str | None = None,
    https_url: str | None = None,
    hsts_preload: Mapping[str, bool] | None = None,
) -> HeadersReport:
    """Fetches `url` over HTTPS and HTTP and grades the response as the MDN HTTP Observatory does.

    The https:// and http:// addresses default to `url` itself and to the same host and path on the
    other scheme's default port; `http_url` / `https_url` name others (a non-default port, a test
    server). Raises CheckError when neither answers, or when the graded response is neither 2xx,
    3xx, 401 nor 403 (the Observatory refuses to grade those).
    """
    _validated(url)
    secure = urlsplit(url).scheme == "https"
    https_start = _validated(https_url or (url if secure else _with_scheme(url, "https")))
    http_start = _validated(http_url or (_with_scheme(url, "http") if secure else url))
    allowed = allowed_hosts or _same_host(url)
    clients = _Clients(client, timeout)
    try:
        https_session, http_session = await asyncio.gather(
            _fetch_session(clients, https_start, allowed), _fetch_session(clients, http_start, allowed)
        )
        graded = https_session if https_session.answered else http_session
        if graded.response_headers is None:
            raise CheckError(f"{url} did not answer over HTTPS or HTTP", code="UNREACHABLE")
        status = graded.status_code
        if status < 200 or (status >= 400 and status not in (401, 403)):
            raise CheckError(f"{graded.final_url} answered HTTP {status}", code="UNEXPECTED_STATUS")
        cors_headers = await _preflight(graded, clients, allowed)
    finally:
        await clients.aclose()
    probe = (
        HttpRedirectProbe(
            route=http_session.route, status_code=http_session.status_code, verified=http_session.verified
        )
        if http_session.answered
        else None
    )
    report = grade_response(
        graded.start_url,
        graded.final_url,
        graded.status_code,
        graded.response_headers,
        graded.body,
        graded.route,
        probe,
        https_verified=graded.verified,
        set_cookies=graded.set_cookies,
        cors_headers=cors_headers,
        hsts_preload=hsts_preload,
        site_host=urlsplit(url).hostname or "",
    )
    return report.model_copy(update={"url": url})
