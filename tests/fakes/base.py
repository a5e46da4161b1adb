"""What every fake provider server shares: a real HTTP server on loopback, an OAuth 2.0
authorization server (authorization code + PKCE S256, refresh with optional rotation, revocation,
`invalid_grant`), bearer-token checks, and a server-side rate limit answering 429 + Retry-After.

A provider's fake subclasses `FakeProvider`, sets its `oauth` policy and adds its API routes in
`api_routes()`. Handlers are async Starlette endpoints; the server runs uvicorn in a thread.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import secrets
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

CLIENT_ID = "binelek-test-client"
CLIENT_SECRET = "binelek-test-secret-0123456789"


@dataclass
class OAuthPolicy:
    authorize_path: str
    token_path: str
    revoke_path: str | None = None
    pkce_required: bool = False  # the token request must carry the verifier of the authorize's challenge
    client_auth: str = "post"  # "post": client_id/client_secret in the form; "basic": HTTP Basic
    access_seconds: int | None = 3600
    issues_refresh_token: bool = True
    rotates_refresh_token: bool = False
    token_extras: dict[str, Any] = field(default_factory=dict)  # api_domain, x_refresh_token_expires_in, …
    json_body: bool = False  # Shopify takes JSON; everyone else form-encoded
    # The token request must repeat the authorize's redirect_uri (RFC 6749 4.1.3); Shopify's does not
    # carry one, so there it is only checked when sent.
    redirect_uri_at_token: bool = True


@dataclass
class Grant:
    code: str
    redirect_uri: str
    scope: str
    challenge: str | None
    state: str
    used: bool = False


@dataclass
class RateLimit:
    """A sliding window: at most `requests` per `window_seconds`; beyond it, 429 + Retry-After."""

    requests: int
    window_seconds: float
    stamps: list[float] = field(default_factory=list)

    def admit(self) -> float | None:
        """None when the request may proceed, else the seconds to wait."""
        now = time.monotonic()
        self.stamps = [stamp for stamp in self.stamps if now - stamp < self.window_seconds]
        if len(self.stamps) >= self.requests:
            return self.window_seconds - (now - self.stamps[0])
        self.stamps.append(now)
        return None


class FakeProvider:
    """One fake provider; use as a context manager. `origin` is what the app's CONNECTOR_ENDPOINTS
    maps the provider to."""

    name = "fake"
    oauth: OAuthPolicy | None = None

    def __init__(self, *, rate_limit: RateLimit | None = None) -> None:
        self.rate_limit = rate_limit
        self.grants: dict[str, Grant] = {}
        self.access_tokens: dict[str, float | None] = {}  # token → expiry (monotonic), None: never
        self.refresh_tokens: dict[str, bool] = {}  # token → still valid
        self.revoked: list[str] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self.throttled = 0
        self.delay_seconds = 0.0  # added to every answer: makes a long sync slow enough to interrupt
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    # -- lifecycle --------------------------------------------------------------------------------

    def api_routes(self) -> Sequence[BaseRoute]:
        return []

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [Route("/__fake__/stats", self._stats, methods=["GET"])]
        if self.oauth is not None:
            routes += [
                Route(self.oauth.authorize_path, self._authorize, methods=["GET"]),
                Route(self.oauth.token_path, self._token, methods=["POST"]),
            ]
            if self.oauth.revoke_path:
                routes.append(Route(self.oauth.revoke_path, self._revoke, methods=["POST"]))
        return routes + list(self.api_routes())

    def __enter__(self) -> Self:
        app = Starlette(routes=self.routes())
        # a plain ASGI wrapper: BaseHTTPMiddleware doubles the cost of every request
        app.add_middleware(_RequestLog, fake=self)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="error", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake provider did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def next_id(self) -> int:
        return next(self._ids)

    async def log_request(self, method: str, path: str) -> None:
        with self.lock:
            self.requests.append((method, path))
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)

    async def _stats(self, _request: Request) -> Response:
        """What a benchmark reads from a fake serving in another process."""
        with self.lock:
            paths = [path for _method, path in self.requests if not path.startswith("/__fake__")]
        counters = {
            name: getattr(self, name)
            for name in ("throttled", "points_spent", "cost_throttled")
            if hasattr(self, name)
        }
        return JSONResponse({"requests": len(paths), **counters})

    # -- tokens -----------------------------------------------------------------------------------

    def issue_access_token(self, seconds: int | None = None) -> str:
        token = "at_" + secrets.token_urlsafe(24)
        lifetime = seconds if seconds is not None else (self.oauth.access_seconds if self.oauth else None)
        self.access_tokens[token] = time.monotonic() + lifetime if lifetime else None
        return token

    def expire_access_tokens(self) -> None:
        """Every access token expires now: the next API call must refresh."""
        for token in self.access_tokens:
            self.access_tokens[token] = time.monotonic() - 1

    def token_valid(self, token: str | None) -> bool:
        if token is None or token not in self.access_tokens:
            return False
        expiry = self.access_tokens[token]
        return expiry is None or expiry > time.monotonic()

    def bearer(self, request: Request, header: str = "authorization") -> str | None:
        value = request.headers.get(header)
        if value is None:
            return None
        return value[7:] if value.lower().startswith("bearer ") else value

    def guard(self, request: Request, *, header: str = "authorization") -> Response | None:
        """The answer to send instead of the API's, if any: 401 for a bad token, 429 when over the limit."""
        if not self.token_valid(self.bearer(request, header)):
            return self.unauthorized()
        if self.rate_limit is not None:
            with self.lock:
                wait = self.rate_limit.admit()
            if wait is not None:
                with self.lock:
                    self.throttled += 1
                return self.too_many(wait)
        return None

    def unauthorized(self) -> Response:
        return JSONResponse({"error": "invalid_token"}, status_code=401)

    def too_many(self, wait: float) -> Response:
        return JSONResponse(
            {"error": "rate_limited"},
            status_code=429,
            headers={"Retry-After": str(max(1, round(wait + 0.5)))},
        )

    # -- OAuth endpoints --------------------------------------------------------------------------

    async def _authorize(self, request: Request) -> Response:
        """Grant straight away (the user "approves") and redirect back with a code."""
        assert self.oauth is not None
        query = request.query_params
        if query.get("client_id") != CLIENT_ID:
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        if query.get("response_type", "code") != "code" or not query.get("redirect_uri"):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        challenge = query.get("code_challenge")
        if challenge is not None and query.get("code_challenge_method") != "S256":
            return JSONResponse(
                {"error": "invalid_request", "error_description": "S256 only"}, status_code=400
            )
        if self.oauth.pkce_required and challenge is None:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "PKCE required"}, status_code=400
            )
        code = "code_" + secrets.token_urlsafe(16)
        state = query.get("state", "")
        self.grants[code] = Grant(code, query["redirect_uri"], query.get("scope", ""), challenge, state)
        params = self.sign_redirect({"code": code, "state": state, **self.redirect_extras()})
        location = f"{query['redirect_uri']}?{urlencode(params)}"
        return RedirectResponse(location, status_code=302)

    def redirect_extras(self) -> dict[str, str]:
        """What the provider adds to the redirect besides code and state (realmId, shop, hmac, …)."""
        return {}

    def sign_redirect(self, params: dict[str, str]) -> dict[str, str]:
        """The redirect's query parameters as sent; a provider that signs them all, code and state
        included (Shopify's hmac), adds its signature here."""
        return params

    async def _form(self, request: Request) -> dict[str, str]:
        if self.oauth is not None and self.oauth.json_body:
            body = await request.json()
            return {key: str(value) for key, value in body.items()}
        return {key: str(value) for key, value in (await request.form()).items()}

    def _client_ok(self, request: Request, form: dict[str, str]) -> bool:
        assert self.oauth is not None
        if self.oauth.client_auth == "basic":
            header = request.headers.get("authorization", "")
            if not header.lower().startswith("basic "):
                return False
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client_id == CLIENT_ID and secret == CLIENT_SECRET

    async def _token(self, request: Request) -> Response:
        assert self.oauth is not None
        form = await self._form(request)
        if not self._client_ok(request, form):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant_type = form.get("grant_type", "authorization_code")
        if grant_type == "authorization_code":
            return self._exchange_code(form)
        if grant_type == "refresh_token":
            return self._refresh(form)
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)

    def _exchange_code(self, form: dict[str, str]) -> Response:
        grant = self.grants.get(form.get("code", ""))
        if grant is None or grant.used:
            return _invalid_grant("the code is unknown or was used")
        checks_redirect = self.oauth is not None and self.oauth.redirect_uri_at_token
        if (checks_redirect or "redirect_uri" in form) and form.get("redirect_uri") != grant.redirect_uri:
            return _invalid_grant("redirect_uri does not match the authorization request")
        if grant.challenge is not None:
            verifier = form.get("code_verifier")
            if verifier is None:
                return JSONResponse(
                    {"error": "invalid_request", "error_description": "code_verifier is missing"},
                    status_code=400,
                )
            digest = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            )
            if digest != grant.challenge:
                return _invalid_grant("code_verifier does not match the code_challenge")
        grant.used = True
        return JSONResponse(self.token_body(grant.scope))

    def token_body(self, scope: str) -> dict[str, Any]:
        assert self.oauth is not None
        body: dict[str, Any] = {
            "access_token": self.issue_access_token(),
            "token_type": "bearer",
            "scope": scope,
        }
        if self.oauth.access_seconds:
            body["expires_in"] = self.oauth.access_seconds
        if self.oauth.issues_refresh_token:
            refresh = "rt_" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh] = True
            body["refresh_token"] = refresh
        body.update(self.oauth.token_extras)
        return body

    def _refresh(self, form: dict[str, str]) -> Response:
        assert self.oauth is not None
        token = form.get("refresh_token", "")
        with self.lock:
            if not self.refresh_tokens.get(token):
                return _invalid_grant("the refresh token is invalid, expired or was rotated")
            if self.oauth.rotates_refresh_token:
                self.refresh_tokens[token] = False
                body = self.token_body("")
            else:
                body = {"access_token": self.issue_access_token(), "token_type": "bearer"}
                if self.oauth.access_seconds:
                    body["expires_in"] = self.oauth.access_seconds
                body.update(self.oauth.token_extras)
        return JSONResponse(body)

    async def _revoke(self, request: Request) -> Response:
        form = await self._form(request)
        token = form.get("token", "")
        self.revoked.append(token)
        self.refresh_tokens.pop(token, None)
        self.access_tokens.pop(token, None)
        return Response(status_code=200)

    def revoke_all_refresh_tokens(self) -> None:
        """The user removed the app at the provider: the next refresh gets invalid_grant."""
        for token in self.refresh_tokens:
            self.refresh_tokens[token] = False


class _RequestLog:
    """Records every request on the fake (and applies its delay) before the app answers."""

    def __init__(self, app: ASGIApp, fake: FakeProvider) -> None:
        self.app = app
        self.fake = fake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.fake.log_request(scope["method"], scope["path"])
        await self.app(scope, receive, send)


def _invalid_grant(description: str) -> JSONResponse:
    return JSONResponse({"error": "invalid_grant", "error_description": description}, status_code=400)
