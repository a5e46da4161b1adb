"""Web header check: grades as the MDN HTTP Observatory (algorithm 6) would, against real loopback
HTTP/HTTPS servers, plus the pure grader's CSP, cookie, SRI, HSTS, COOP/COEP and scoring rules.

Each server case writes down the modifiers that add up to its score: 100, then the penalties; the
bonuses only when the penalties alone leave at least 90."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest

from binelek.security.checks.base import CheckError
from binelek.security.checks.headers import (
    CORS_PROBE_ORIGIN,
    TEST_NAMES,
    HeadersReport,
    HttpRedirectProbe,
    check_headers,
    findings,
    grade_for,
    grade_response,
    severity_for,
)
from binelek.security.checks.headers_parsers import (
    CspParseError,
    cookie_jar,
    parse_csp,
    parse_structured_token,
    registrable_domain,
)
from binelek.security.checks.headers_results import RESULTS
from tests.security_http_servers import Reply, Sites, redirect, running_sites

GOOD_CSP = (
    "Content-Security-Policy",
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'self'",
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
NOSNIFF = ("X-Content-Type-Options", "nosniff")
NO_REFERRER = ("Referrer-Policy", "no-referrer")
XFO_DENY = ("X-Frame-Options", "DENY")
GOOD = [GOOD_CSP, HSTS, NOSNIFF, NO_REFERRER]  # +10 CSP, +5 referrer, +5 framing via CSP
PAGE = "<!doctype html><html><head><title>t</title></head><body>hello</body></html>"
PAGE_SRI = (
    '<!doctype html><html><head><script src="/app.js" integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K'
    '/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"></script></head><body>hi</body></html>'
)
PAGE_CDN_HTTPS = '<html><head><script src="https://cdn.example.net/lib.js"></script></head></html>'
UNIVERSAL_ACCESS = "cross-origin-resource-sharing-implemented-with-universal-access"
UNIVERSAL_CORS = Reply(
    headers=[("Access-Control-Allow-Origin", CORS_PROBE_ORIGIN), ("Access-Control-Allow-Credentials", "true")]
)

# What a site served over HTTPS, with HTTP redirecting to it, and nothing else set, is graded.
BASELINE = {
    "content-security-policy": "csp-not-implemented",
    "cookies": "cookies-not-found",
    "cross-origin-resource-sharing": "cross-origin-resource-sharing-not-implemented",
    "redirection": "redirection-to-https",
    "referrer-policy": "referrer-policy-not-implemented",
    "strict-transport-security": "hsts-not-implemented",
    "subresource-integrity": "sri-not-implemented-but-no-scripts-loaded",
    "x-content-type-options": "x-content-type-options-not-implemented",
    "x-frame-options": "x-frame-options-not-implemented",
    "cross-origin-resource-policy": "corp-not-implemented",
    "cross-origin-opener-policy": "coop-not-implemented",
    "cross-origin-embedder-policy": "coep-not-implemented",
}


@pytest.fixture(scope="module")
def sites() -> Iterator[Sites]:
    yield from running_sites()


def client_for(sites: Sites) -> httpx.AsyncClient:
    return httpx.AsyncClient(verify=sites.certificates.client_context(), timeout=5)


def serve(sites: Sites, path: str, reply: Reply, *, http: Reply | None = None) -> None:
    """`reply` over HTTPS; over HTTP a redirect to it, unless `http` says otherwise."""
    sites.https.replies[path] = reply
    sites.http.replies[path] = http or redirect(sites.https.url(path))


async def scan(sites: Sites, path: str, **options: Any) -> HeadersReport:
    async with client_for(sites) as client:
        return await check_headers(
            sites.https.url(path), http_url=sites.http.url(path), client=client, **options
        )


def results(report: HeadersReport) -> dict[str, str]:
    return {test.name: test.result for test in report.tests}


def named(report: HeadersReport, name: str) -> Any:
    return next(test for test in report.tests if test.name == name)


# (path, headers, body, preflight, changed results, score, grade)
SERVER_CASES: list[tuple[str, list[tuple[str, str]], str, Reply | None, dict[str, str], int, str]] = [
    (
        # 100 +10 CSP +5 referrer +5 SRI +5 framing via CSP +10 CORP +10 COOP +10 COEP = 155
        "/a-plus-everything",
        [
            *GOOD,
            ("Cross-Origin-Resource-Policy", "same-origin"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Cross-Origin-Embedder-Policy", 'require-corp; report-to="coep"'),
        ],
        PAGE_SRI,
        None,
        {
            "content-security-policy": "csp-implemented-with-no-unsafe-default-src-none",
            "referrer-policy": "referrer-policy-private",
            "strict-transport-security": "hsts-implemented-max-age-at-least-six-months",
            "subresource-integrity": "sri-implemented-and-all-scripts-loaded-securely",
            "x-content-type-options": "x-content-type-options-nosniff",
            "x-frame-options": "x-frame-options-implemented-via-csp",
            "cross-origin-resource-policy": "corp-implemented-with-same-origin",
            "cross-origin-opener-policy": "coop-implemented-with-same-origin",
            "cross-origin-embedder-policy": "coep-implemented-with-require-corp",
        },
        155,
        "A+",
    ),
    (
        # 100 +0 CSP (unsafe-inline in style-src only) +5 X-Frame-Options SAMEORIGIN = 105
        "/a-plus-style-inline",
        [
            ("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'"),
            HSTS,
            NOSNIFF,
            ("X-Frame-Options", "SAMEORIGIN"),
        ],
        PAGE,
        None,
        {
            "content-security-policy": "csp-implemented-with-unsafe-inline-in-style-src-only",
            "strict-transport-security": "hsts-implemented-max-age-at-least-six-months",
            "x-content-type-options": "x-content-type-options-nosniff",
            "x-frame-options": "x-frame-options-sameorigin-or-deny",
        },
        105,
        "A+",
    ),
    (
        # 100 -5 no nosniff -5 unsafe-url = 90 (>= 90, so bonuses count) +5 CSP = 95
        "/a",
        [
            ("Content-Security-Policy", "default-src 'self'"),
            ("X-Frame-Options", "ALLOW-FROM https://example.com"),
            HSTS,
            ("Referrer-Policy", "unsafe-url"),
        ],
        PAGE,
        None,
        {
            "content-security-policy": "csp-implemented-with-no-unsafe",
            "x-frame-options": "x-frame-options-allow-from-origin",
            "strict-transport-security": "hsts-implemented-max-age-at-least-six-months",
            "referrer-policy": "referrer-policy-unsafe",
        },
        95,
        "A",
    ),
    (
        # 100 -5 no nosniff -5 referrer origin -5 CDN script without SRI = 85; under 90, so the
        # +10 CSP, +10 COOP and +5 framing bonuses are withheld
        "/a-minus",
        [GOOD_CSP, HSTS, ("Referrer-Policy", "origin"), ("Cross-Origin-Opener-Policy", "same-origin")],
        PAGE_CDN_HTTPS,
        None,
        {
            "content-security-policy": "csp-implemented-with-no-unsafe-default-src-none",
            "strict-transport-security": "hsts-implemented-max-age-at-least-six-months",
            "referrer-policy": "referrer-policy-unsafe",
            "subresource-integrity": "sri-not-implemented-but-external-scripts-loaded-securely",
            "x-frame-options": "x-frame-options-implemented-via-csp",
            "cross-origin-opener-policy": "coop-implemented-with-same-origin",
        },
        85,
        "A-",
    ),
    (
        # 100 -10 HSTS one day -5 no nosniff -5 invalid COOP = 80 (bonuses withheld)
        "/b-plus",
        [
            ("Content-Security-Policy", "default-src 'self'"),
            XFO_DENY,
            ("Strict-Transport-Security", "max-age=86400"),
            ("Cross-Origin-Opener-Policy", "whimsy"),
        ],
        PAGE,
        None,
        {
            "content-security-policy": "csp-implemented-with-no-unsafe",
            "x-frame-options": "x-frame-options-sameorigin-or-deny",
            "strict-transport-security": "hsts-implemented-max-age-less-than-six-months",
            "cross-origin-opener-policy": "coop-header-invalid",
        },
        80,
        "B+",
    ),
    (
        # 100 -25 CSP only in report-only mode = 75
        "/b-report-only",
        [("Content-Security-Policy-Report-Only", "default-src 'none'"), XFO_DENY, HSTS, NOSNIFF],
        PAGE,
        None,
        {
            "content-security-policy": "csp-not-implemented-but-reporting-enabled",
            "x-frame-options": "x-frame-options-sameorigin-or-deny",
            "strict-transport-security": "hsts-implemented-max-age-at-least-six-months",
            "x-content-type-options": "x-content-type-options-nosniff",
        },
        75,
        "B",
    ),
    (
        # 100 -20 'unsafe-inline' in script-src -10 HSTS one hour -5 no nosniff = 65
        "/b-minus",
        [
            ("Content-Security-Policy", "script-src 'self' 'unsafe-inline'; object-src 'none'"),
            XFO_DENY,
            ("Strict-Transport-Security", "max-age=3600"),
        ],
        PAGE,
        None,
        {
            "content-security-policy": "csp-implemented-with-unsafe-inline",
            "x-frame-options": "x-frame-options-sameorigin-or-deny",
            "strict-transport-security": "hsts-implemented-max-age-less-than-six-months",
        },
        65,
        "B-",
    ),
    (
        # 100 -20 no HSTS -20 nothing against framing = 60
        "/c-plus",
        [("Content-Security-Policy", "default-src 'self'"), NOSNIFF],
        PAGE,
        None,
        {
            "content-security-policy": "csp-implemented-with-no-unsafe",
            "x-content-type-options": "x-content-type-options-nosniff",
        },
        60,
        "C+",
    ),
    (
        # 100 -25 no CSP -20 nothing against framing = 55
        "/c",
        [HSTS, NOSNIFF],
        PAGE,
        None,
        {
            "strict-transport-security": "hsts-implemented-max-age-at-least-six-months",
            "x-content-type-options": "x-content-type-options-nosniff",
        },
        55,
        "C",
    ),
    (
        # 100 -25 no CSP -20 nothing against framing -10 HSTS ten minutes = 45
        "/c-minus",
        [("Strict-Transport-Security", "max-age=600"), NOSNIFF],
        PAGE,
        None,
        {
            "strict-transport-security": "hsts-implemented-max-age-less-than-six-months",
            "x-content-type-options": "x-content-type-options-nosniff",
        },
        45,
        "C-",
    ),
    (
        # 100 -10 'unsafe-eval' -20 no HSTS -30 session cookie without HttpOnly = 40
        "/d-plus",
        [
            (
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self' 'unsafe-eval'; frame-ancestors 'self'",
            ),
            NOSNIFF,
            ("Set-Cookie", "sessionid=abc; Path=/; Secure"),
        ],
        PAGE,
        None,
        {
            "content-security-policy": "csp-implemented-with-unsafe-eval",
            "x-content-type-options": "x-content-type-options-nosniff",
            "x-frame-options": "x-frame-options-implemented-via-csp",
            "cookies": "cookies-session-without-httponly-flag",
        },
        40,
        "D+",
    ),
    (
        # 100 -10 HSTS 100 s -5 unsafe-url -5 no nosniff -50 credentialed CORS for any origin = 30
        "/d",
        [GOOD_CSP, ("Strict-Transport-Security", "max-age=100"), ("Referrer-Policy", "unsafe-url")],
        PAGE,
        UNIVERSAL_CORS,
        {
            "content-security-policy": "csp-implemented-with-no-unsafe-default-src-none",
            "x-frame-options": "x-frame-options-implemented-via-csp",
            "strict-transport-security": "hsts-implemented-max-age-less-than-six-months",
            "referrer-policy": "referrer-policy-unsafe",
            "cross-origin-resource-sharing": UNIVERSAL_ACCESS,
        },
        30,
        "D",
    ),
    (
        # 100 -30 session cookie without HttpOnly (ranked worse than its missing Secure under HSTS)
        # -25 no CSP -5 no-referrer-when-downgrade -5 CDN script without SRI -5 no nosniff
        # -5 COEP sent twice = 25
        "/d-minus",
        [
            ("Set-Cookie", "sessionid=x; Path=/"),
            HSTS,
            XFO_DENY,
            ("Referrer-Policy", "no-referrer-when-downgrade"),
            ("Cross-Origin-Embedder-Policy", "require-corp"),
            ("Cross-Origin-Embedder-Policy", "unsafe-none"),
        ],
        PAGE_CDN_HTTPS,
        None,
        {
            "cookies": "cookies-session-without-httponly-flag",
            "strict-transport-security": "hsts-implemented-max-age-at-least-six-months",
            "x-frame-options": "x-frame-options-sameorigin-or-deny",
            "referrer-policy": "referrer-policy-unsafe",
            "subresource-integrity": "sri-not-implemented-but-external-scripts-loaded-securely",
            "cross-origin-embedder-policy": "coep-header-invalid",
        },
        25,
        "D-",
    ),
    (
        # 100 -25 repeated directive -50 credentialed CORS -5 referrer origin-when-cross-origin = 20
        "/f-invalid-csp",
        [
            ("Content-Security-Policy", "default-src 'none'; default-src 'self'"),
            HSTS,
            NOSNIFF,
            XFO_DENY,
            ("Referrer-Policy", "origin-when-cross-origin"),
        ],
        PAGE,
        UNIVERSAL_CORS,
        {
            "content-security-policy": "csp-header-invalid",
            "strict-transport-security": "hsts-implemented-max-age-at-least-six-months",
            "x-content-type-options": "x-content-type-options-nosniff",
            "x-frame-options": "x-frame-options-sameorigin-or-deny",
            "referrer-policy": "referrer-policy-unsafe",
            "cross-origin-resource-sharing": UNIVERSAL_ACCESS,
        },
        20,
        "F",
    ),
    (
        # 100 +10 CSP +5 framing via CSP (no <script>: JSON is not HTML) = 115
        "/api",
        [("Content-Type", "application/json"), GOOD_CSP, HSTS, NOSNIFF],
        '{"ok": true}',
        Reply(headers=[("Access-Control-Allow-Origin", "*")]),
        {
            "content-security-policy": "csp-implemented-with-no-unsafe-default-src-none",
            "strict-transport-security": "hsts-implemented-max-age-at-least-six-months",
            "x-content-type-options": "x-content-type-options-nosniff",
            "x-frame-options": "x-frame-options-implemented-via-csp",
            "subresource-integrity": "sri-not-implemented-response-not-html",
            "cross-origin-resource-sharing": "cross-origin-resource-sharing-implemented-with-public-access",
        },
        115,
        "A+",
    ),
]


@pytest.mark.parametrize(
    ("path", "headers", "body", "preflight", "changed", "score", "grade"),
    SERVER_CASES,
    ids=[case[0].strip("/") for case in SERVER_CASES],
)
async def test_grades_like_the_observatory(
    sites: Sites,
    path: str,
    headers: list[tuple[str, str]],
    body: str,
    preflight: Reply | None,
    changed: dict[str, str],
    score: int,
    grade: str,
) -> None:
    serve(sites, path, Reply(headers=headers, body=body, preflight=preflight))

    report = await scan(sites, path)

    assert results(report) == BASELINE | changed
    assert (report.score, report.grade) == (score, grade)
    assert report.url == sites.https.url(path)
    assert report.final_url == sites.https.url(path)
    assert report.status_code == 200


async def test_http_only_site_fails(sites: Sites) -> None:
    # No HTTPS at all: 100 -25 no CSP -20 no redirect to HTTPS -20 HSTS impossible -5 no nosniff
    # -20 nothing against framing = 10
    sites.http.replies["/plain-http"] = Reply(body=PAGE)
    async with client_for(sites) as client:
        report = await check_headers(
            sites.http.url("/plain-http"),
            https_url=f"https://127.0.0.1:{sites.closed_port}/plain-http",
            client=client,
        )
    assert results(report) == BASELINE | {
        "redirection": "redirection-missing",
        "strict-transport-security": "hsts-not-implemented-no-https",
    }
    assert (report.score, report.grade) == (10, "F")
    assert report.redirects == [sites.http.url("/plain-http")]


async def test_score_never_goes_below_zero(sites: Sites) -> None:
    # 10 as above, -40 session cookie over HTTP without Secure, -50 script from another domain over
    # HTTP without SRI = -80, reported as 0
    body = '<html><script src="http://cdn.example.net/x.js"></script></html>'
    sites.http.replies["/worst"] = Reply(headers=[("Set-Cookie", "sessionid=1; Path=/; HttpOnly")], body=body)
    async with client_for(sites) as client:
        report = await check_headers(
            sites.http.url("/worst"), https_url=f"https://127.0.0.1:{sites.closed_port}/worst", client=client
        )
    assert results(report)["cookies"] == "cookies-session-without-secure-flag"
    assert (
        results(report)["subresource-integrity"]
        == "sri-not-implemented-and-external-scripts-not-loaded-securely"
    )
    assert (report.score, report.grade) == (0, "F")


async def test_redirect_to_another_host_is_refused_but_graded(sites: Sites) -> None:
    # 100 -5 first redirect leaves the host = 95 (>= 90) +10 CSP +5 referrer +5 framing = 115
    serve(
        sites,
        "/off-host",
        Reply(headers=GOOD, body=PAGE),
        http=redirect(sites.https.url("/off-host", "localhost")),
    )

    report = await scan(sites, "/off-host")

    redirection = named(report, "redirection")
    assert redirection.result == "redirection-off-host-from-http"
    assert redirection.data["route"] == [
        sites.http.url("/off-host"),
        sites.https.url("/off-host", "localhost"),
    ]
    assert (report.score, report.grade) == (115, "A+")

    followed = await scan(sites, "/off-host", allowed_hosts=lambda host: host in ("127.0.0.1", "localhost"))
    assert named(followed, "redirection").data["route"] == redirection.data["route"]
    assert named(followed, "redirection").data["status_code"] == 200


async def test_redirect_through_another_http_address(sites: Sites) -> None:
    sites.http.replies["/hop"] = redirect(sites.http.url("/hop2", "localhost"))
    sites.http.replies["/hop2"] = redirect(sites.https.url("/hop"))
    sites.https.replies["/hop"] = Reply(headers=GOOD, body=PAGE)

    # Refused at localhost: the route ends on http:// -> 100 -20 = 80, bonuses withheld
    refused = await scan(sites, "/hop")
    assert named(refused, "redirection").result == "redirection-not-to-https"
    assert named(refused, "redirection").data["route"][-1] == sites.http.url("/hop2", "localhost")
    assert (refused.score, refused.grade) == (80, "B+")

    # Followed: HTTPS in the end, but not first -> 100 -10 = 90, +20 bonuses = 110
    followed = await scan(sites, "/hop", allowed_hosts=lambda host: True)
    assert named(followed, "redirection").result == "redirection-not-to-https-on-initial-redirection"
    assert (followed.score, followed.grade) == (110, "A+")


async def test_http_answering_without_redirect(sites: Sites) -> None:
    # 100 -20 HTTP serves the page itself = 80 (bonuses withheld)
    serve(sites, "/no-redirect", Reply(headers=GOOD, body=PAGE), http=Reply(body=PAGE))
    report = await scan(sites, "/no-redirect")
    assert results(report)["redirection"] == "redirection-missing"
    assert (report.score, report.grade) == (80, "B+")


async def test_invalid_certificate(sites: Sites) -> None:
    # Fetched again without verification, like the Observatory: 100 -20 HSTS cannot work -20 the
    # redirect reaches an invalid certificate = 60 (bonuses withheld)
    sites.untrusted.replies["/bad-cert"] = Reply(headers=GOOD, body=PAGE)
    sites.http.replies["/bad-cert"] = redirect(sites.untrusted.url("/bad-cert"))
    async with client_for(sites) as client:
        report = await check_headers(
            sites.untrusted.url("/bad-cert"), http_url=sites.http.url("/bad-cert"), client=client
        )
    assert results(report)["strict-transport-security"] == "hsts-invalid-cert"
    assert results(report)["redirection"] == "redirection-invalid-cert"
    assert results(report)["content-security-policy"] == "csp-implemented-with-no-unsafe-default-src-none"
    assert (report.score, report.grade) == (60, "C+")


async def test_policy_from_meta_tags(sites: Sites) -> None:
    # CSP and referrer policy from <meta>: 100 +5 CSP +5 referrer +5 framing = 115. The Observatory
    # lets a <meta> frame-ancestors count for X-Frame-Options (though not for the CSP's own
    # anti-clickjacking flag, and browsers ignore it there).
    body = (
        '<!doctype html><html><head><meta http-equiv=" Content-SECURITY-Policy " '
        "content=\"default-src 'self'; frame-ancestors 'none'\">"
        '<meta name="referrer" content="no-referrer"></head><body>x</body></html>'
    )
    serve(sites, "/meta", Reply(headers=[HSTS, NOSNIFF], body=body))

    report = await scan(sites, "/meta")

    csp = named(report, "content-security-policy")
    assert csp.result == "csp-implemented-with-no-unsafe"
    assert csp.data["meta"] is True and csp.data["http"] is False
    assert csp.data["policy"]["anti_clickjacking"] is False
    assert results(report)["referrer-policy"] == "referrer-policy-private"
    assert results(report)["x-frame-options"] == "x-frame-options-implemented-via-csp"
    assert (report.score, report.grade) == (115, "A+")


async def test_cookie_jar_rules(sites: Sites) -> None:
    # Kept: a Secure+HttpOnly+SameSite session cookie and a valid __Host- cookie. Dropped as browsers
    # drop them: __Secure- without Secure, a Domain that is not this host's, Heroku's affinity cookie.
    # 100 +5 cookies +10 CSP +5 referrer +5 framing = 125
    cookies = [
        ("Set-Cookie", "sessionid=1; Path=/; Secure; HttpOnly; SameSite=Lax"),
        ("Set-Cookie", "__Host-prefs=dark; Path=/; Secure; SameSite=Strict"),
        ("Set-Cookie", "__Secure-tracking=1; Path=/"),
        ("Set-Cookie", "other=1; Domain=example.com; Path=/"),
        ("Set-Cookie", "heroku-session-affinity=abc; Path=/"),
    ]
    serve(sites, "/cookies", Reply(headers=[*GOOD, *cookies], body=PAGE))

    report = await scan(sites, "/cookies")

    cookie_test = named(report, "cookies")
    assert cookie_test.result == "cookies-secure-with-httponly-sessions-and-samesite"
    assert set(cookie_test.data["cookies"]) == {"sessionid", "__Host-prefs"}
    assert cookie_test.data["cookies"]["sessionid"]["samesite"] == "lax"
    assert (report.score, report.grade) == (125, "A+")


async def test_cookies_set_on_redirects_count(sites: Sites) -> None:
    # The jar keeps what a redirect set: a login cookie without Secure or HttpOnly (HSTS passes on the
    # final page) -> -30, ranked worse than -10 for Secure. 100 -30 = 70 (bonuses withheld)
    sites.https.replies["/cookie-hop"] = Reply(
        status=302, headers=[("Location", "/cookie-final"), ("Set-Cookie", "login=1; Path=/")]
    )
    serve(sites, "/cookie-final", Reply(headers=GOOD, body=PAGE))
    sites.http.replies["/cookie-hop"] = redirect(sites.https.url("/cookie-hop"))

    report = await scan(sites, "/cookie-hop")

    assert results(report)["cookies"] == "cookies-session-without-httponly-flag"
    assert report.final_url == sites.https.url("/cookie-final")
    assert report.redirects == [sites.https.url("/cookie-hop"), sites.https.url("/cookie-final")]
    assert (report.score, report.grade) == (70, "B")


async def test_external_script_with_integrity_over_http(sites: Sites) -> None:
    # 100 -20 integrity hash on a script loaded over HTTP = 80
    body = (
        '<script src="http://cdn.example.net/lib.js" integrity="sha384-abc" crossorigin="anonymous"></script>'
    )
    serve(sites, "/sri-http", Reply(headers=GOOD, body=body))
    report = await scan(sites, "/sri-http")
    sri = named(report, "subresource-integrity")
    assert sri.result == "sri-implemented-but-external-scripts-not-loaded-securely"
    assert sri.data["scripts"] == {
        "http://cdn.example.net/lib.js": {"crossorigin": "anonymous", "integrity": "sha384-abc"}
    }
    assert (report.score, report.grade) == (80, "B+")


async def test_unauthorised_page_is_graded_and_server_errors_are_not(sites: Sites) -> None:
    serve(sites, "/private", Reply(status=401, headers=GOOD, body=PAGE))
    report = await scan(sites, "/private")
    assert (report.status_code, report.score) == (401, 120)  # 100 +10 +5 +5

    serve(sites, "/broken", Reply(status=500, body="oops"))
    with pytest.raises(CheckError) as failure:
        await scan(sites, "/broken")
    assert failure.value.code == "UNEXPECTED_STATUS"


async def test_unreachable_site(sites: Sites) -> None:
    closed = sites.closed_port
    with pytest.raises(CheckError) as failure:
        await check_headers(f"https://127.0.0.1:{closed}/", http_url=f"http://127.0.0.1:{closed}/", timeout=2)
    assert failure.value.code == "UNREACHABLE"


async def test_invalid_target() -> None:
    with pytest.raises(CheckError) as failure:
        await check_headers("ftp://example.com/")
    assert failure.value.code == "INVALID_TARGET"


# -- the pure grader ------------------------------------------------------------------------------------


def grade(
    headers: list[tuple[str, str]],
    body: str = "",
    *,
    url: str = "https://mozilla.org/",
    http: HttpRedirectProbe | None = None,
    **options: Any,
) -> HeadersReport:
    probe = http or HttpRedirectProbe(route=["http://mozilla.org/", "https://mozilla.org/"], status_code=200)
    declared = any(name.lower() == "content-type" for name, _ in headers)
    all_headers = httpx.Headers([*([] if declared else [("Content-Type", "text/html")]), *headers])
    return grade_response(url, url, 200, all_headers, body, [url], probe, **options)


def csp_result(policy: str, body: str = "") -> str:
    return results(grade([("Content-Security-Policy", policy)], body))["content-security-policy"]


# The Observatory's own CSP vectors (test/csp.test.js).
CSP_VECTORS: Mapping[str, tuple[str, ...]] = {
    "csp-header-invalid": (
        "  ",
        "",
        "default-src 'none'; default-src 'none'",
        "default-src 'none'; img-src 'self'; default-src 'none'",
        "default-src 'none'; script-src 'strict-dynamic'",
        "defa",
        "default-src 'none', ",
    ),
    "csp-implemented-with-unsafe-inline": (
        "default-src 'none'; script-src https://*",
        "script-src data:",
        "default-src 'UNSAFE-INLINE'",
        "upgrade-insecure-requests",
        "script-src https://mozilla.org https:",
        "default-src *; script-src *; object-src 'none'",
        "default-src 'none'; script-src 'none'; object-src *",
        "object-src https:; script-src 'none'",
    ),
    "csp-implemented-with-insecure-scheme": (
        "default-src http://mozilla.org",
        "default-src 'none'; script-src ftp://mozilla.org",
    ),
    "csp-implemented-with-unsafe-eval": ("default-src 'none'; script-src 'unsafe-eval'",),
    "csp-implemented-with-insecure-scheme-in-passive-content-only": (
        "default-src 'self'; img-src ftp:",
        "default-src 'none'; img-src https:; media-src http://mozilla.org",
        "default-src 'none'; img-src 'none'; media-src http:; script-src 'self'; style-src 'unsafe-inline'",
    ),
    "csp-implemented-with-unsafe-inline-in-style-src-only": (
        "default-src 'unsafe-inline'; script-src https://mozilla.org",
        "default-src 'none';;; ;;;style-src 'self' 'unsafe-inline'",
        "default-src 'none'; style-src https:",
        "default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'sha256-hqBEA/HXB3aJU2FgOnYN8rkAgEVgyfi3Vs1j2/XMPBB=' 'unsafe-inline'",
    ),
    "csp-implemented-with-no-unsafe": (
        "default-src https://mozilla.org;;; ;;;script-src 'none'",
        "object-src 'none'; script-src 'strict-dynamic' 'nonce-abc' 'unsafe-inline'; style-src 'none'",
        "object-src 'none'; script-src 'unsafe-inline' 'nonce-abc123' 'unsafe-inline'; style-src 'none'",
        "default-src https://mozilla.org; style-src 'unsafe-inline' 'nonce-abc123' 'unsafe-inline'",
    ),
    "csp-implemented-with-no-unsafe-default-src-none": (
        "default-src",
        "default-src 'none'; object-src https://mozilla.org",
        "default-src 'none'; script-src 'strict-dynamic' 'sha256-abc123' https://*",
        "default-src 'none'; script-src 'strict-dynamic' 'sha256-abc123' 'unsafe-inline'",
        # two policies in one header, comma-separated (RFC 9110 field combination)
        "default-src 'none'; script-src 'self', default-src 'none'; script-src 'self'",
    ),
    "csp-implemented-but-duplicate-directives": ("default-src 'self'; report-uri /a; report-uri /b",),
}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [(policy, expected) for expected, policies in CSP_VECTORS.items() for policy in policies],
)
def test_csp_results(policy: str, expected: str) -> None:
    assert csp_result(policy) == expected


def test_csp_intersects_several_policies() -> None:
    # The Observatory's parser tests: a source must be allowed by every policy to count.
    assert parse_csp(["default-src https://mozilla.org", "default-src https://mozilla.com"]) == {
        "default-src": {"'none'"}
    }
    assert parse_csp(
        ["default-src https://mozilla.org/firefox/", "default-src https://mozilla.org/firefox/download/"]
    ) == {"default-src": {"https://mozilla.org/firefox/download/"}}
    assert parse_csp(["default-src http: http:", "default-src https: https:"]) == {"default-src": {"'none'"}}
    three = [
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'",
        "default-src 'none'; style-src 'self'",
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'",
    ]
    assert parse_csp(three) == {"default-src": {"'none'"}, "script-src": {"'self'"}, "style-src": {"'self'"}}
    with pytest.raises(CspParseError):
        parse_csp(["default-src https://mozilla.org/%zz", "default-src https://mozilla.org/%zz"])


def test_meta_csp_combines_with_the_header_and_ignores_header_only_directives() -> None:
    # Header default-src http: and <meta> default-src https: intersect to 'none'.
    body = (
        '<html><head><meta http-equiv="Content-Security-Policy" content="default-src https:"></head></html>'
    )
    assert csp_result("default-src http:", body) == "csp-implemented-with-no-unsafe-default-src-none"
    # A <meta> that only sets frame-ancestors is no policy at all.
    only_framing = '<meta http-equiv="Content-Security-Policy" content="frame-ancestors \'none\'">'
    report = grade([], only_framing)
    assert results(report)["content-security-policy"] == "csp-not-implemented"
    assert results(report)["x-frame-options"] == "x-frame-options-not-implemented"
    # <meta> tags are read only from a page declared as HTML.
    report = grade(
        [("Content-Type", "text/plain")],
        '<meta http-equiv="content-security-policy" content="default-src \'none\'">',
    )
    assert results(report)["content-security-policy"] == "csp-not-implemented"


def test_csp_on_plain_http_allows_http_sources() -> None:
    report = grade([("Content-Security-Policy", "default-src http://mozilla.org")], url="http://mozilla.org/")
    assert results(report)["content-security-policy"] == "csp-implemented-with-no-unsafe"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("same-origin", "same-origin"),
        ('same-origin; report-to="coop"', "same-origin"),
        ("same-origin; report-to", "same-origin"),
        ("same-origin; report-to=coop endpoint", None),
        ('"same-origin"', None),
        ("same-origin, unsafe-none", None),
        ("same-origin ;report-to", None),
        ("require-corp; a=1.5; b=?1; c=:aGk=:", "require-corp"),
    ],
)
def test_structured_field_token(value: str, expected: str | None) -> None:
    assert parse_structured_token(value) == expected


def test_cross_origin_policies() -> None:
    report = grade(
        [
            ("Cross-Origin-Opener-Policy", "noopener-allow-popups"),
            ("Cross-Origin-Embedder-Policy", "credentialless"),
            ("Cross-Origin-Resource-Policy", " Same-Site "),
        ]
    )
    assert results(report)["cross-origin-opener-policy"] == "coop-implemented-with-noopener-allow-popups"
    assert results(report)["cross-origin-embedder-policy"] == "coep-implemented-with-credentialless"
    assert results(report)["cross-origin-resource-policy"] == "corp-implemented-with-same-site"
    report = grade([("Cross-Origin-Opener-Policy", "Same-Origin"), ("Cross-Origin-Resource-Policy", "same")])
    assert results(report)["cross-origin-opener-policy"] == "coop-header-invalid"
    assert results(report)["cross-origin-resource-policy"] == "corp-header-invalid"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=15552000", "hsts-implemented-max-age-at-least-six-months"),
        ("max-age=15551999; includeSubDomains", "hsts-implemented-max-age-less-than-six-months"),
        ("includeSubDomains; preload", "hsts-header-invalid"),
        ("max-age = 31536000", "hsts-header-invalid"),
        ("max-age=31536000, max-age=31536000", "hsts-header-invalid"),
        # parseInt() gives NaN, and NaN is never "less than six months" in the Observatory
        ('max-age="31536000"', "hsts-implemented-max-age-at-least-six-months"),
        ("", "hsts-header-invalid"),
    ],
)
def test_hsts_header(value: str, expected: str) -> None:
    assert results(grade([("Strict-Transport-Security", value)]))["strict-transport-security"] == expected


def test_hsts_preload_list() -> None:
    report = grade([], url="https://shop.example.app/")
    assert results(report)["strict-transport-security"] == "hsts-preloaded"  # .app is preloaded whole
    probe = HttpRedirectProbe(
        route=["http://shop.example.app/", "https://shop.example.app/"], status_code=200
    )
    assert results(grade([], url="https://shop.example.app/", http=probe))["redirection"] == (
        "redirection-all-redirects-preloaded"
    )
    custom = grade([], hsts_preload={"mozilla.org": False})
    assert results(custom)["strict-transport-security"] == "hsts-preloaded"
    assert (
        results(grade([], url="https://www.mozilla.org/", hsts_preload={"mozilla.org": False}))[
            "strict-transport-security"
        ]
        == "hsts-not-implemented"
    )


@pytest.mark.parametrize(
    ("route", "verified", "expected"),
    [
        (["http://a.com/"], True, "redirection-missing"),
        (["http://a.com/", "https://a.com/", "http://b.com/"], True, "redirection-not-to-https"),
        (
            ["http://a.com/", "http://www.a.com/", "https://www.a.com/"],
            True,
            "redirection-not-to-https-on-initial-redirection",
        ),
        (["http://a.com/", "https://www.a.com/"], True, "redirection-off-host-from-http"),
        (["http://a.com/", "https://a.com/", "https://www.a.com/"], True, "redirection-to-https"),
        (["http://a.com/", "https://a.com/"], False, "redirection-invalid-cert"),
    ],
)
def test_redirection_route(route: list[str], verified: bool, expected: str) -> None:
    probe = HttpRedirectProbe(route=route, status_code=200, verified=verified)
    assert results(grade([], url="https://a.com/", http=probe))["redirection"] == expected


def test_no_http_means_no_redirection_needed() -> None:
    report = grade_response(
        "https://a.com/", "https://a.com/", 200, httpx.Headers(), "", ["https://a.com/"], None
    )
    assert results(report)["redirection"] == "redirection-not-needed-no-http"


@pytest.mark.parametrize(
    ("cookies", "hsts", "expected"),
    [
        (
            ["SESSIONID=bar; Path=/; Secure; HttpOnly", "foo=bar; Secure; Path=/"],
            True,
            "cookies-secure-with-httponly-sessions",
        ),
        (
            ["SESSIONID=bar; Path=/; Secure; HttpOnly; SameSite=None"],
            True,
            "cookies-secure-with-httponly-sessions-and-samesite",
        ),
        (["CSRFTOKEN=bar; Path=/; Secure; HttpOnly"], True, "cookies-anticsrf-without-samesite-flag"),
        (["SESSIONID=bar; Path=/; Secure; HttpOnly; SameSite="], True, "cookies-samesite-flag-invalid"),
        (["SESSIONID=bar; Path=/; Secure; HttpOnly; SameSite=True"], True, "cookies-samesite-flag-invalid"),
        (["foo=bar; Path=/; SameSite=None"], True, "cookies-samesite-flag-invalid"),
        (["foo=bar; Path=/"], True, "cookies-without-secure-flag-but-protected-by-hsts"),
        (["foo=bar; Path=/"], False, "cookies-without-secure-flag"),
        (
            ["SESSIONID=bar; Path=/; HttpOnly"],
            True,
            "cookies-session-without-secure-flag-but-protected-by-hsts",
        ),
        (["SESSIONID=bar; Path=/; HttpOnly"], False, "cookies-session-without-secure-flag"),
        (["SESSIONID=bar; Path=/; Secure"], True, "cookies-session-without-httponly-flag"),
        (["no-equals-sign; Secure", "=nameless; Secure"], True, "cookies-not-found"),
    ],
)
def test_cookie_results(cookies: list[str], hsts: bool, expected: str) -> None:
    headers = [("Set-Cookie", cookie) for cookie in cookies]
    if hsts:
        headers.append(HSTS)
    assert results(grade(headers))["cookies"] == expected


def test_cookie_jar_domains_and_replacement() -> None:
    jar = cookie_jar(
        [
            ("https://www.mozilla.org/a/b", "a=1"),
            ("https://www.mozilla.org/", "a=2"),  # another path: another cookie
            ("https://www.mozilla.org/a/c", "a=3"),  # replaces a=1 (same domain, path /a)
            ("https://www.mozilla.org/", "b=1; Domain=.Mozilla.org"),
            ("https://www.mozilla.org/", "c=1; Domain=org"),  # a public suffix
            ("https://www.mozilla.org/", "d=1; Domain=example.com"),
            ("https://www.mozilla.org/", "__Host-e=1; Secure; Path=/; Domain=mozilla.org"),
        ]
    )
    assert [(c.name, c.domain, c.path, c.host_only) for c in jar] == [
        ("a", "www.mozilla.org", "/a", True),
        ("a", "www.mozilla.org", "/", True),
        ("b", "mozilla.org", "/", False),
    ]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ('<script src="/a.js"></script>', "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"),
        ("<script>inline()</script>", "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"),
        (
            '<script src="https://static.mozilla.org/a.js"></script>',
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        ),
        (
            '<script src="http://static.mozilla.org/a.js"></script>',
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        ),
        (
            '<script src="https://cdn.example.com/a.js" integrity="sha256-x"></script>',
            "sri-implemented-and-external-scripts-loaded-securely",
        ),
        (
            '<script src="//cdn.example.com/a.js" integrity="sha256-x"></script>',
            "sri-implemented-but-external-scripts-not-loaded-securely",
        ),
        (
            '<script src="//mozilla.org/a.js"></script>',
            "sri-not-implemented-and-external-scripts-not-loaded-securely",
        ),
        (
            '<script src="https://a.co.uk/a.js"></script><script src="/b.js" integrity="sha256-x"></script>',
            "sri-not-implemented-but-external-scripts-loaded-securely",
        ),
        (
            '<!-- <script src="http://evil.example/x.js"></script> --><p>none</p>',
            "sri-not-implemented-but-no-scripts-loaded",
        ),
    ],
)
def test_subresource_integrity(script: str, expected: str) -> None:
    assert results(grade([], f"<html><head>{script}</head></html>"))["subresource-integrity"] == expected


def test_registrable_domains() -> None:
    assert registrable_domain("www.example.co.uk") == "example.co.uk"
    assert registrable_domain("a.b.internal") == "b.internal"  # unknown TLD: a suffix of its own
    assert registrable_domain("127.0.0.1") is None
    assert registrable_domain("localhost") is None


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ([("Referrer-Policy", "no-referrer, unsafe-url")], "", "referrer-policy-unsafe"),
        (
            [("Referrer-Policy", "unsafe-url, strict-origin-when-cross-origin, whimsy")],
            "",
            "referrer-policy-private",
        ),
        ([("Referrer-Policy", "whimsy")], "", "referrer-policy-header-invalid"),
        (
            [("Referrer-Policy", "unsafe-url")],
            '<meta name="referrer" content="same-origin">',
            "referrer-policy-private",
        ),
    ],
)
def test_referrer_policy(headers: list[tuple[str, str]], body: str, expected: str) -> None:
    assert results(grade(headers, body))["referrer-policy"] == expected


def test_x_frame_options_and_x_content_type_options() -> None:
    assert results(grade([("X-Frame-Options", "SAMEORIGIN, SAMEORIGIN")]))["x-frame-options"] == (
        "x-frame-options-header-invalid"
    )
    assert (
        results(grade([("X-Frame-Options", "DENY ")]))["x-frame-options"]
        == "x-frame-options-sameorigin-or-deny"
    )
    assert (
        results(
            grade(
                [("X-Frame-Options", "whimsy"), ("Content-Security-Policy", "frame-ancestors https://a.com")]
            )
        )["x-frame-options"]
        == "x-frame-options-implemented-via-csp"
    )
    assert results(grade([("X-Content-Type-Options", " NoSniff ")]))["x-content-type-options"] == (
        "x-content-type-options-nosniff"
    )
    assert (
        results(grade([("X-Content-Type-Options", "nosniff"), ("X-Content-Type-Options", "nosniff")]))[
            "x-content-type-options"
        ]
        == "x-content-type-options-header-invalid"
    )


def test_scoring_rules() -> None:
    assert [
        grade_for(score)
        for score in (155, 100, 99, 90, 85, 80, 75, 70, 65, 60, 55, 50, 45, 40, 35, 30, 25, 20, 0)
    ] == [
        "A+",
        "A+",
        "A",
        "A",
        "A-",
        "B+",
        "B",
        "B",
        "B-",
        "C+",
        "C",
        "C",
        "C-",
        "D+",
        "D",
        "D",
        "D-",
        "F",
        "F",
    ]
    assert set(RESULTS) >= {test for test in BASELINE.values()}
    assert len(TEST_NAMES) == 12


def test_findings() -> None:
    report = grade(
        [GOOD_CSP, ("Strict-Transport-Security", "max-age=60"), ("Set-Cookie", "sessionid=1; Secure")]
    )
    found = {finding.check_id: finding for finding in findings(report)}
    assert set(found) == {f"web.{name}" for name in TEST_NAMES} | {"web.grade"}

    csp = found["web.content-security-policy"]
    assert (csp.passed, csp.severity, csp.category, csp.target) == (
        True,
        "info",
        "web",
        "https://mozilla.org/",
    )
    assert csp.evidence["result"] == "csp-implemented-with-no-unsafe-default-src-none"
    assert "pci:6.4.3" in csp.controls

    hsts = found["web.strict-transport-security"]
    assert (hsts.passed, hsts.severity, hsts.evidence["score_modifier"]) == (False, "medium", -10)
    assert "hipaa:164.312(e)(1)" in hsts.controls and hsts.remediation

    cookies = found["web.cookies"]
    assert (cookies.passed, cookies.severity) == (False, "high")  # -30

    # 100 -10 HSTS -30 session cookie without HttpOnly -5 no nosniff = 55
    summary = found["web.grade"]
    assert (summary.passed, summary.severity) == (False, "medium")
    assert summary.evidence["score"] == 55 and summary.evidence["grade"] == "C"
    assert [severity_for(m) for m in (10, 0, -5, -10, -15, -20, -25, -50)] == [
        "info", "info", "low", "medium", "medium", "high", "high", "high",
    ]  # fmt: skip
    assert all(finding.as_dict()["evidence"] is not None for finding in found.values())
