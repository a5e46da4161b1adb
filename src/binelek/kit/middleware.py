"""One pure-ASGI middleware for what every response needs: request id, security headers, access
log and metrics. Pure ASGI rather than BaseHTTPMiddleware keeps the per-request cost low."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from prometheus_client import Counter, Histogram
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("binelek.access")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
REQUESTS = Counter("binelek_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "binelek_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's Swagger UI loads its bundle from jsdelivr, so only /api/docs allows that origin.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


# Probes and scrapers on the private network speak plain HTTP to the process itself.
PLAIN_HTTP_PATHS = ("/healthz", "/readyz", "/metrics")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, production: bool, https_origin: str | None = None) -> None:
        self.app = app
        self.production = production
        # In production with an https PUBLIC_URL, a request that arrived over plain HTTP (after the
        # proxy's X-Forwarded-Proto) is sent to the same path on that origin — never to the Host it
        # named, which a client controls.
        self.https_origin = https_origin.rstrip("/") if https_origin else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (
            self.https_origin
            and scope.get("scheme") == "http"
            and not scope["path"].startswith(PLAIN_HTTP_PATHS)
        ):
            await _redirect(scope, send, self.https_origin)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_holder: dict[str, Any] = {"status": 500}
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = request_id
                headers.setdefault("x-content-type-options", "nosniff")
                headers.setdefault("referrer-policy", "strict-origin-when-cross-origin")
                headers.setdefault("x-frame-options", "DENY")
                opener_policy = _opener_policy(path)
                if opener_policy:
                    headers.setdefault("cross-origin-opener-policy", opener_policy)
                headers.setdefault("cross-origin-resource-policy", "same-origin")
                headers.setdefault("permissions-policy", "camera=(), microphone=(), geolocation=()")
                headers.setdefault(
                    "content-security-policy", DOCS_CSP if path.startswith("/api/docs") else CSP
                )
                if self.production:
                    headers.setdefault("strict-transport-security", "max-age=63072000; includeSubDomains")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            REQUESTS.labels(method, route, str(status_holder["status"])).inc()
            LATENCY.labels(method, route).observe(elapsed)
            state = scope.get("state", {})
            principal = state.get("principal")
            if status_holder["status"] >= 400 or not path.startswith(("/assets", "/healthz", "/metrics")):
                log.info(
                    "request",
                    method=method,
                    path=path,
                    status=status_holder["status"],
                    ms=round(elapsed * 1000, 2),
                    tenant_id=str(principal.tenant_id) if principal else None,
                    user_id=str(principal.user_id) if principal and principal.user_id else None,
                )
            structlog.contextvars.clear_contextvars()


async def _redirect(scope: Scope, send: Send, origin: str) -> None:
    query = scope.get("query_string", b"").decode("latin-1")
    location = origin + scope["path"] + (f"?{query}" if query else "")
    headers = [
        (b"location", location.encode("latin-1", "replace")),
        (b"content-length", b"0"),
        (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
        (b"x-content-type-options", b"nosniff"),
    ]
    # 301 for reads (cacheable, what the HTTP Observatory looks for), 308 keeps a POST a POST.
    status = 301 if scope["method"] in ("GET", "HEAD") else 308
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            decoded: str = value.decode("latin-1")
            return decoded
    return None


def _opener_policy(path: str) -> str | None:
    """Pages keep popups they open (the OAuth consent window) attached; the page a provider redirects
    that popup back to sends no policy, since any policy there would cut it off from its opener."""
    if path.startswith("/connectors/oauth/") and path.endswith("/callback"):
        return None
    return "same-origin-allow-popups"
