"""The HTTP client every provider call goes through: pacing, retries and honest error reporting.

- Pacing: a token bucket per connection at a little under the provider's published rate, so a sync
  uses nearly all of its allowance without being throttled.
- 429 and 503: `Retry-After` (seconds or an HTTP date) is honoured; without it, exponential backoff
  with full jitter. Other 5xx answers and transport errors are retried the same way.
- 401 once: the engine's `on_unauthorized` hook refreshes the token and the request is repeated.
- Anything else that is not 2xx raises `ProviderError` with the status and a short, secret-free
  description of the provider's answer.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import structlog

log = structlog.get_logger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 60.0
MAX_RETRY_AFTER_SECONDS = 300.0
PACING_SHARE = 0.95  # of the published rate: leaves room for clock skew between us and the provider
ERROR_EXCERPT = 300


class ProviderError(Exception):
    """The provider refused or failed a request after any retries."""

    def __init__(self, status: int, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code  # the provider's own error code where it gives one (invalid_grant, …)


class RateLimiter:
    """A token bucket: `rate` requests per second, bursts of at most `burst`."""

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    @classmethod
    def for_allowance(cls, requests: int, window_seconds: float) -> RateLimiter:
        return cls(rate=requests / window_seconds * PACING_SHARE)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)

    def pause(self, seconds: float) -> None:
        """The provider asked us to wait: no request goes out before then."""
        self._tokens = min(self._tokens, 1 - seconds * self.rate)


@dataclass(slots=True)
class ClientStats:
    requests: int = 0
    throttled: int = 0  # 429 answers received
    retries: int = 0
    waited_seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)


class RetryTooFarAway(ProviderError):
    """The provider asked us to wait longer than a sync should sleep (a daily quota is spent)."""


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The wait the provider asked for; longer than MAX_RETRY_AFTER_SECONDS raises RetryTooFarAway."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = moment.timestamp() - time.time()
    if seconds > MAX_RETRY_AFTER_SECONDS:
        raise RetryTooFarAway(
            response.status_code,
            f"the provider asks to wait {seconds:.0f} s; the next scheduled sync will retry",
        )
    return max(seconds, 0.0)


def backoff_seconds(attempt: int) -> float:
    """Full jitter: uniformly random up to base·2^attempt, capped."""
    return random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))


def redirect_origin(url: str, origin: str | None) -> str:
    """Point a provider URL at another origin (a local test server, a proxy), keeping its path."""
    if not origin:
        return url
    parts, target = urlsplit(url), urlsplit(origin)
    prefix = target.path.rstrip("/")
    return urlunsplit((target.scheme, target.netloc, prefix + parts.path, parts.query, parts.fragment))


HeadersFactory = Callable[[], Mapping[str, str]]
UnauthorizedHook = Callable[[], Awaitable[bool]]  # True when the credentials changed and a retry helps


class ApiClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        origin: str | None = None,
        headers: HeadersFactory | None = None,
        limiter: RateLimiter | None = None,
        on_unauthorized: UnauthorizedHook | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.http = http
        self.origin = origin  # where every provider URL is sent instead, when set
        self._headers = headers
        self.limiter = limiter
        self._on_unauthorized = on_unauthorized
        self._sleep = sleep
        self.stats = ClientStats()

    def url(self, url: str) -> str:
        return redirect_origin(url, self.origin)

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
        allow: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        """Send with pacing and retries; statuses in `allow` are returned instead of raised."""
        target = self.url(url)
        refreshed = False
        attempt = 0
        while True:
            if self.limiter is not None:
                await self.limiter.acquire()
            merged = {**(self._headers() if authenticated and self._headers else {}), **(headers or {})}
            self.stats.requests += 1
            try:
                response = await self.http.request(
                    method, target, params=params, json=json, data=data, headers=merged
                )
            except httpx.TransportError as exc:
                attempt += 1
                if attempt >= MAX_ATTEMPTS:
                    raise ProviderError(0, f"{method} {_path(target)}: {type(exc).__name__}") from None
                await self._wait(backoff_seconds(attempt))
                continue
            status = response.status_code
            self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1
            if status < 300 or status in allow:
                return response
            if status == 401 and authenticated and not refreshed and self._on_unauthorized is not None:
                refreshed = True
                if await self._on_unauthorized():
                    continue
            if status in RETRY_STATUSES and attempt + 1 < MAX_ATTEMPTS:
                attempt += 1
                if status == 429:
                    self.stats.throttled += 1
                wait = retry_after_seconds(response)
                wait = backoff_seconds(attempt) if wait is None else wait + random.uniform(0, 0.25)
                if self.limiter is not None:
                    self.limiter.pause(wait)
                log.info("provider_retry", status=status, path=_path(target), wait_seconds=round(wait, 2))
                await self._wait(wait)
                continue
            raise provider_error(method, target, response)

    async def get_json(self, url: str, **kwargs: Any) -> Any:
        return (await self.request("GET", url, **kwargs)).json()

    async def post_json(self, url: str, **kwargs: Any) -> Any:
        return (await self.request("POST", url, **kwargs)).json()

    async def _wait(self, seconds: float) -> None:
        self.stats.retries += 1
        self.stats.waited_seconds += seconds
        await self._sleep(seconds)


def provider_error(method: str, url: str, response: httpx.Response) -> ProviderError:
    code: str | None = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        raw = body.get("error") or body.get("code") or body.get("errorCode")
        errors = body.get("errors")
        if raw is None and isinstance(errors, list) and errors and isinstance(errors[0], dict):
            raw = errors[0].get("code")  # Square: {"errors": [{"category", "code", "detail"}]}
        if isinstance(raw, dict):
            raw = raw.get("code") or raw.get("type")
        code = str(raw) if raw is not None else None
    excerpt = response.text[:ERROR_EXCERPT].replace("\n", " ")
    return ProviderError(
        response.status_code, f"{method} {_path(url)} answered {response.status_code}: {excerpt}", code=code
    )


def _path(url: str) -> str:
    """The URL without its query string, which may carry keys or tokens."""
    return urlsplit(url).path
