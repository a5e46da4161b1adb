"""The MDN HTTP Observatory's results (algorithm version 6): every result id a test can give, its
score modifier, a plain-English description and what to do about it. Modifiers are the Observatory's
(src/grader/charts.js); descriptions and remediations are written for this product."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Outcome:
    """One Observatory result: its score modifier, what it means, what to do about it."""

    modifier: int
    description: str
    remediation: str = ""


RESULTS: Mapping[str, Outcome] = {
    # content-security-policy
    "csp-implemented-with-no-unsafe-default-src-none": Outcome(
        10, "Content Security Policy implemented with default-src 'none' and nothing unsafe."
    ),
    "csp-implemented-with-no-unsafe": Outcome(
        5,
        "Content Security Policy implemented without 'unsafe-inline' or 'unsafe-eval'.",
        "Tighten further: set default-src 'none' and allow each resource type explicitly.",
    ),
    "csp-implemented-with-unsafe-inline-in-style-src-only": Outcome(
        0,
        "Content Security Policy implemented, but style-src allows 'unsafe-inline', data: or a broad source.",
        "Remove 'unsafe-inline', data: and wildcard sources from style-src (use hashes or nonces).",
    ),
    "csp-implemented-with-insecure-scheme-in-passive-content-only": Outcome(
        -10,
        "Content Security Policy implemented, but this HTTPS site lets images or media load over HTTP.",
        "Drop http: sources from img-src, media-src and default-src; serve images and media over HTTPS.",
    ),
    "csp-implemented-with-unsafe-eval": Outcome(
        -10,
        "Content Security Policy implemented, but it allows 'unsafe-eval'.",
        "Stop using eval() and similar in the site's scripts, then remove 'unsafe-eval' from the policy.",
    ),
    "csp-implemented-with-unsafe-inline": Outcome(
        -20,
        "Content Security Policy implemented unsafely: 'unsafe-inline' or data: in script-src, a broad "
        "source in script-src or object-src, or one of them left unrestricted.",
        "Remove 'unsafe-inline', data: and wildcard or scheme-only sources from script-src and object-src, "
        "and set both (object-src 'none' is usually right).",
    ),
    "csp-implemented-with-insecure-scheme": Outcome(
        -20,
        "Content Security Policy implemented, but this HTTPS site lets resources load over HTTP.",
        "Remove every http: and ftp: source from the policy and load those resources over HTTPS.",
    ),
    "csp-header-invalid": Outcome(
        -25,
        "Content-Security-Policy header cannot be parsed (empty, repeated directives, or 'strict-dynamic' "
        "without a nonce or hash).",
        "Fix the policy's syntax: each directive once per policy, a nonce or hash with 'strict-dynamic'.",
    ),
    "csp-not-implemented": Outcome(
        -25,
        "No Content-Security-Policy header.",
        "Send a Content-Security-Policy header; start from default-src 'self'; object-src 'none'; "
        "frame-ancestors 'self'.",
    ),
    "csp-not-implemented-but-reporting-enabled": Outcome(
        -25,
        "Only Content-Security-Policy-Report-Only is sent: the policy is reported on, not enforced.",
        "Once the reports are clean, send the same policy as Content-Security-Policy to enforce it.",
    ),
    "csp-implemented-but-duplicate-directives": Outcome(
        0,
        "Content Security Policy implemented, but it repeats report-uri or report-to.",
        "Keep a single report-uri and a single report-to directive per policy.",
    ),
    # cookies
    "cookies-secure-with-httponly-sessions-and-samesite": Outcome(
        5,
        "All cookies are Secure, session cookies are HttpOnly, and all cookies set SameSite.",
    ),
    "cookies-secure-with-httponly-sessions": Outcome(
        0,
        "All cookies are Secure and session cookies are HttpOnly.",
        "Add SameSite=Lax (or Strict) to every cookie.",
    ),
    "cookies-not-found": Outcome(0, "No cookies set."),
    "cookies-without-secure-flag-but-protected-by-hsts": Outcome(
        -5,
        "Cookies set without the Secure flag, though HSTS keeps them off plain HTTP.",
        "Add the Secure attribute to every cookie.",
    ),
    "cookies-session-without-secure-flag-but-protected-by-hsts": Outcome(
        -10,
        "A session cookie is set without the Secure flag, though HSTS keeps it off plain HTTP.",
        "Add the Secure attribute to session cookies.",
    ),
    "cookies-without-secure-flag": Outcome(
        -20,
        "Cookies set without the Secure flag, or set over HTTP.",
        "Add the Secure attribute to every cookie and serve the site over HTTPS with HSTS.",
    ),
    "cookies-samesite-flag-invalid": Outcome(
        -20,
        "A cookie's SameSite attribute is not Strict, Lax or None, or is None without Secure.",
        "Use SameSite=Lax or SameSite=Strict (SameSite=None only together with Secure).",
    ),
    "cookies-anticsrf-without-samesite-flag": Outcome(
        -20,
        "An anti-CSRF token cookie is set without SameSite.",
        "Add SameSite=Strict (or Lax) to the anti-CSRF cookie.",
    ),
    "cookies-session-without-httponly-flag": Outcome(
        -30,
        "A session cookie is set without HttpOnly: a script injected into the page can steal it.",
        "Add the HttpOnly attribute to session and login cookies.",
    ),
    "cookies-session-without-secure-flag": Outcome(
        -40,
        "A session cookie is set without the Secure flag, or over HTTP: it can be read on the network.",
        "Add Secure to session cookies, serve the site over HTTPS only and enable HSTS.",
    ),
    # cross-origin-resource-sharing
    "cross-origin-resource-sharing-not-implemented": Outcome(0, "Content is not shared through CORS."),
    "cross-origin-resource-sharing-implemented-with-public-access": Outcome(
        0, "Public content is shared with any origin (Access-Control-Allow-Origin: *)."
    ),
    "cross-origin-resource-sharing-implemented-with-restricted-access": Outcome(
        0, "Content is shared through CORS with specific origins only."
    ),
    "cross-origin-resource-sharing-implemented-with-universal-access": Outcome(
        -50,
        "Any origin may read responses with the visitor's credentials: the Origin is echoed back with "
        "Access-Control-Allow-Credentials: true.",
        "Stop echoing the request's Origin; allow credentials only for a fixed list of trusted origins.",
    ),
    # redirection
    "redirection-all-redirects-preloaded": Outcome(0, "Every host in the redirect chain is HSTS-preloaded."),
    "redirection-to-https": Outcome(0, "HTTP redirects to HTTPS on the same host first, and ends on HTTPS."),
    "redirection-not-needed-no-http": Outcome(0, "The site does not answer over plain HTTP."),
    "redirection-off-host-from-http": Outcome(
        -5,
        "The first redirect from HTTP goes to HTTPS on another host, so this host's HSTS is never set.",
        "Redirect http:// to https:// on the same host first, then on to the other host.",
    ),
    "redirection-not-to-https-on-initial-redirection": Outcome(
        -10,
        "HTTP ends on HTTPS, but the first redirect goes to another HTTP address.",
        "Make the first redirect from http:// go to https:// on the same host.",
    ),
    "redirection-not-to-https": Outcome(
        -20,
        "HTTP redirects, but not to an HTTPS address in the end.",
        "Redirect every http:// request to https:// on the same host.",
    ),
    "redirection-missing": Outcome(
        -20,
        "The site answers over plain HTTP without redirecting to HTTPS.",
        "Answer every http:// request with a 301 redirect to https:// on the same host.",
    ),
    "redirection-invalid-cert": Outcome(
        -20,
        "The redirect chain reaches an HTTPS server whose certificate is not valid.",
        "Install a valid certificate for every host in the chain (Let's Encrypt is free).",
    ),
    # referrer-policy
    "referrer-policy-private": Outcome(
        5, "Referrer-Policy is no-referrer, same-origin, strict-origin or strict-origin-when-cross-origin."
    ),
    "referrer-policy-not-implemented": Outcome(
        0,
        "No Referrer-Policy (browsers default to strict-origin-when-cross-origin).",
        "Send Referrer-Policy: strict-origin-when-cross-origin (or stricter) for the bonus.",
    ),
    "referrer-policy-unsafe": Outcome(
        -5,
        "Referrer-Policy is origin, origin-when-cross-origin, unsafe-url or no-referrer-when-downgrade: "
        "page addresses leak to other sites.",
        "Set Referrer-Policy: strict-origin-when-cross-origin or stricter.",
    ),
    "referrer-policy-header-invalid": Outcome(
        -5,
        "Referrer-Policy holds no recognised policy.",
        "Set Referrer-Policy: strict-origin-when-cross-origin.",
    ),
    # strict-transport-security
    "hsts-preloaded": Outcome(5, "The host is on the HSTS preload list."),
    "hsts-implemented-max-age-at-least-six-months": Outcome(
        0,
        "Strict-Transport-Security is set for at least six months.",
        "Consider preloading: a year's max-age, includeSubDomains and preload, then hstspreload.org.",
    ),
    "hsts-implemented-max-age-less-than-six-months": Outcome(
        -10,
        "Strict-Transport-Security is set for less than six months.",
        "Raise max-age to at least 15552000 seconds (31536000 recommended).",
    ),
    "hsts-not-implemented": Outcome(
        -20,
        "No Strict-Transport-Security header.",
        "Send Strict-Transport-Security: max-age=31536000; includeSubDomains over HTTPS.",
    ),
    "hsts-header-invalid": Outcome(
        -20,
        "Strict-Transport-Security cannot be understood (no max-age, or sent twice).",
        "Send a single header: Strict-Transport-Security: max-age=31536000; includeSubDomains.",
    ),
    "hsts-not-implemented-no-https": Outcome(
        -20,
        "HSTS cannot be set: the site is not served over HTTPS.",
        "Serve the site over HTTPS (Let's Encrypt is free), then add HSTS.",
    ),
    "hsts-invalid-cert": Outcome(
        -20,
        "HSTS cannot work: the site's certificate is not valid.",
        "Install a valid certificate for the host (Let's Encrypt is free).",
    ),
    # subresource-integrity
    "sri-implemented-and-all-scripts-loaded-securely": Outcome(
        5, "Subresource Integrity is used and all scripts load from the site's own domain."
    ),
    "sri-implemented-and-external-scripts-loaded-securely": Outcome(
        5, "Subresource Integrity is used and external scripts load over HTTPS."
    ),
    "sri-not-implemented-response-not-html": Outcome(
        0, "Not an HTML page: Subresource Integrity does not apply."
    ),
    "sri-not-implemented-but-no-scripts-loaded": Outcome(0, "The page loads no scripts."),
    "sri-not-implemented-but-all-scripts-loaded-from-secure-origin": Outcome(
        0,
        "No Subresource Integrity, but all scripts load from the site's own domain.",
        "Add integrity attributes to script tags for the bonus.",
    ),
    "sri-not-implemented-but-external-scripts-loaded-securely": Outcome(
        -5,
        "External scripts load over HTTPS but without Subresource Integrity.",
        "Add integrity (and crossorigin) attributes to script tags that load from other domains.",
    ),
    "sri-implemented-but-external-scripts-not-loaded-securely": Outcome(
        -20,
        "External scripts carry integrity hashes but load over HTTP or protocol-relative (//) URLs.",
        "Load external scripts from https:// URLs.",
    ),
    "sri-not-implemented-and-external-scripts-not-loaded-securely": Outcome(
        -50,
        "External scripts load over HTTP or protocol-relative (//) URLs without Subresource Integrity.",
        "Load external scripts from https:// URLs and add integrity attributes to them.",
    ),
    "html-not-parseable": Outcome(
        -20, "The page claims to be HTML but cannot be parsed.", "Serve well-formed HTML."
    ),
    # x-content-type-options
    "x-content-type-options-nosniff": Outcome(0, "X-Content-Type-Options is nosniff."),
    "x-content-type-options-not-implemented": Outcome(
        -5, "No X-Content-Type-Options header.", "Send X-Content-Type-Options: nosniff."
    ),
    "x-content-type-options-header-invalid": Outcome(
        -5, "X-Content-Type-Options is not nosniff.", "Send exactly one X-Content-Type-Options: nosniff."
    ),
    # x-frame-options
    "x-frame-options-implemented-via-csp": Outcome(
        5, "Framing is controlled by the Content-Security-Policy frame-ancestors directive."
    ),
    "x-frame-options-sameorigin-or-deny": Outcome(5, "X-Frame-Options is SAMEORIGIN or DENY."),
    "x-frame-options-allow-from-origin": Outcome(
        0,
        "X-Frame-Options uses ALLOW-FROM, which browsers ignore.",
        "Use the Content-Security-Policy frame-ancestors directive to name the allowed framers.",
    ),
    "x-frame-options-not-implemented": Outcome(
        -20,
        "Nothing stops other sites from framing the page (clickjacking).",
        "Send Content-Security-Policy: frame-ancestors 'self' (or X-Frame-Options: SAMEORIGIN).",
    ),
    "x-frame-options-header-invalid": Outcome(
        -20,
        "X-Frame-Options cannot be understood (it is ignored).",
        "Send a single X-Frame-Options: SAMEORIGIN or DENY, or use CSP frame-ancestors.",
    ),
    # cross-origin-resource-policy
    "corp-not-implemented": Outcome(
        0,
        "No Cross-Origin-Resource-Policy (defaults to cross-origin).",
        "Send Cross-Origin-Resource-Policy: same-site (or same-origin) for the bonus.",
    ),
    "corp-implemented-with-same-origin": Outcome(
        10, "Cross-Origin-Resource-Policy is same-origin: no leaks into cross-origin contexts."
    ),
    "corp-implemented-with-same-site": Outcome(
        10, "Cross-Origin-Resource-Policy is same-site: no leaks into cross-site contexts."
    ),
    "corp-implemented-with-cross-origin": Outcome(0, "Cross-Origin-Resource-Policy is cross-origin."),
    "corp-header-invalid": Outcome(
        -5,
        "Cross-Origin-Resource-Policy cannot be understood.",
        "Send Cross-Origin-Resource-Policy: same-origin, same-site or cross-origin.",
    ),
    # cross-origin-opener-policy
    "coop-not-implemented": Outcome(
        0,
        "No Cross-Origin-Opener-Policy.",
        "Send Cross-Origin-Opener-Policy: same-origin (or same-origin-allow-popups) for the bonus.",
    ),
    "coop-implemented-with-same-origin": Outcome(
        10, "Cross-Origin-Opener-Policy is same-origin: the page is isolated from its opener."
    ),
    "coop-implemented-with-same-origin-allow-popups": Outcome(
        10, "Cross-Origin-Opener-Policy is same-origin-allow-popups."
    ),
    "coop-implemented-with-noopener-allow-popups": Outcome(
        10, "Cross-Origin-Opener-Policy is noopener-allow-popups."
    ),
    "coop-implemented-with-unsafe-none": Outcome(0, "Cross-Origin-Opener-Policy is unsafe-none."),
    "coop-header-invalid": Outcome(
        -5,
        "Cross-Origin-Opener-Policy cannot be understood.",
        "Send a single Cross-Origin-Opener-Policy: same-origin.",
    ),
    # cross-origin-embedder-policy
    "coep-not-implemented": Outcome(
        0,
        "No Cross-Origin-Embedder-Policy.",
        "Send Cross-Origin-Embedder-Policy: require-corp (or credentialless) for the bonus.",
    ),
    "coep-implemented-with-require-corp": Outcome(10, "Cross-Origin-Embedder-Policy is require-corp."),
    "coep-implemented-with-credentialless": Outcome(10, "Cross-Origin-Embedder-Policy is credentialless."),
    "coep-implemented-with-unsafe-none": Outcome(0, "Cross-Origin-Embedder-Policy is unsafe-none."),
    "coep-header-invalid": Outcome(
        -5,
        "Cross-Origin-Embedder-Policy cannot be understood.",
        "Send a single Cross-Origin-Embedder-Policy: require-corp or credentialless.",
    ),
}
