"""The polite fetcher: product pages over HTTP(S) the way a well-behaved crawler asks for them.

Politeness is per host (scheme + host + port), the unit a site's capacity and robots.txt belong to:
- robots.txt (RFC 9309, parsed by Protego) is read before the first page and cached per host
  (`robots_ttl`); a robots.txt that cannot be fetched (5xx, 429, unreachable) disallows the whole
  site and is retried after `robots_retry_after`; a 4xx other than 429 allows everything;
- requests to one host start at least `delay` apart, where delay is the largest of `min_delay`, the
  site's Crawl-delay / Request-rate and the AutoThrottle delay, and at most `per_host_concurrency`
  of them are in flight; `global_concurrency` caps requests in flight across all hosts;
- AutoThrottle (as in Scrapy): after each response the host's delay moves halfway toward
  latency / `target_concurrency` (at once when that is higher), never below the floor above nor
  above `max_delay`, and an error answer never lowers it;
- a 429 or 503 with Retry-After (seconds or an HTTP-date) pauses the whole host until then; a pause
  longer than `max_delay` is not waited for: the fetch ends `rate_limited` and the host stays paused;
- 5xx answers, timeouts and network failures are retried with exponential backoff and jitter, up
  to `max_attempts` requests.

Server-side request forgery: a target whose name resolves to any private, loopback, link-local or
otherwise non-public address is refused unless `allow_private` (or listed in `allowed_private`).
The check runs before each request, redirects included, and again when a connection is opened:
the default transport resolves the name itself, checks every address and connects to the checked
one (TLS still verifies the certificate and sends SNI for the name), so a DNS answer that changes
between the check and the connection cannot point it inward. Connections are pooled per host.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import math
import random
import re
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from binelek.kit.netguard import (  # noqa: F401 (re-exported: the fetcher's public guard)
    GuardedTransport,
    IPAddress,
    TargetRefused,
    checked_addresses,
    is_public,
)
from binelek.marketplace import robots
from binelek.marketplace.robots import RobotsRules

Outcome = Literal[
    "ok",
    "blocked_by_robots",
    "not_found",
    "http_error",
    "rate_limited",
    "timeout",
    "too_large",
    "refused_private",
    "network_error",
    "not_html",
]

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HOST_PAUSE_STATUSES = frozenset({429, 503})  # the ones whose Retry-After pauses the whole host
HTML_TYPES = ("text/html", "application/xhtml+xml")
ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
CHARSET_SNIFF_BYTES = 4096
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE)


@dataclass
class FetchPolicy:
    """How politely to fetch. Delays are seconds; "host" means scheme + host + port."""

    user_agent: str  # honest and reachable: "BinelekPriceBot/1.0 (+https://example.com/bot)"
    min_delay: float = 1.0  # between two requests to one host, at least
    per_host_concurrency: int = 1
    global_concurrency: int = 16
    max_delay: float = 60.0  # AutoThrottle's ceiling, and the longest Retry-After a fetch waits for
    target_concurrency: float = 1.0  # AutoThrottle: requests a host should be handling at once
    timeout: float = 20.0  # one request, connection to last byte
    max_attempts: int = 3
    max_bytes: int = 5_000_000  # decoded body
    allow_private: bool = False
    robots_ttl: float = 3600
    robots_retry_after: float = 300.0  # how soon an unfetchable robots.txt is tried again
    backoff_base: float = 1.0  # the first retry waits about this long; each next one twice as long
    allowed_private: tuple[str, ...] = ()  # private hosts or networks allowed anyway ("192.168.1.20")

    def __post_init__(self) -> None:
        if not self.user_agent.strip():
            raise ValueError("user_agent must name the crawler")
        if self.per_host_concurrency < 1 or self.global_concurrency < 1 or self.max_attempts < 1:
            raise ValueError("concurrency limits and max_attempts must be at least 1")
        if self.min_delay < 0 or self.max_delay < 0 or self.target_concurrency <= 0 or self.timeout <= 0:
            raise ValueError("delays must not be negative; target_concurrency and timeout must be positive")


@dataclass(frozen=True)
class FetchResult:
    url: str  # as asked
    final_url: str  # after redirects
    status: int | None  # the last HTTP status, None when no answer came
    html: str | None  # only for outcome "ok"
    headers: dict[str, str]  # the last answer's, names lower-cased
    elapsed_ms: float  # the last request, connection to body read; waits for the host's turn excluded
    outcome: Outcome
    detail: str | None
    attempts: int  # requests sent for the page: retries and redirect hops (robots.txt not counted)


class HostPools(httpx.AsyncBaseTransport):
    """A guarded transport per host (scheme, host, port). httpcore looks at every pooled connection
    on each request (a readiness check each), so one pool shared by many hosts makes each request
    cost O(hosts); one pool per host keeps it O(1). A host's pool idle for `idle_seconds` is closed."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        allowed_private: tuple[str, ...] = (),
        verify: ssl.SSLContext | bool = True,
        connections_per_host: int = 2,
        idle_seconds: float = 300.0,
    ) -> None:
        self._allow_private, self._allowed_private = allow_private, allowed_private
        self._ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)  # loaded once
        self._limits = httpx.Limits(
            max_connections=connections_per_host,
            max_keepalive_connections=connections_per_host,
            keepalive_expiry=30,
        )
        self._idle_seconds = idle_seconds
        self._pools: dict[tuple[bytes, bytes, int | None], tuple[GuardedTransport, float]] = {}
        self._next_sweep = time.monotonic() + idle_seconds

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        now = time.monotonic()
        if now >= self._next_sweep:
            await self._close_idle(now)
        key = (request.url.raw_scheme, request.url.raw_host, request.url.port)
        pool = self._pools.get(key, (None, 0.0))[0]
        if pool is None:
            pool = GuardedTransport(
                allow_private=self._allow_private,
                allowed_private=self._allowed_private,
                verify=self._ssl_context,
                limits=self._limits,
            )
        self._pools[key] = (pool, now)
        return await pool.handle_async_request(request)

    async def _close_idle(self, now: float) -> None:
        self._next_sweep = now + self._idle_seconds
        # Idle means no request started for idle_seconds: far longer than any request may last.
        idle = [key for key, (_, used) in self._pools.items() if now - used > self._idle_seconds]
        for key in idle:
            pool, _ = self._pools.pop(key)
            await pool.aclose()

    async def aclose(self) -> None:
        pools, self._pools = self._pools, {}
        for pool, _ in pools.values():
            await pool.aclose()


# -- small rules ------------------------------------------------------------------------------------


def host_key(url: str) -> str | None:
    """The politeness key of an http(s) URL, "scheme://host:port"; None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port or (443 if parts.scheme == 'https' else 80)}"


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks to wait (delay-seconds or an HTTP-date), None if unreadable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    with contextlib.suppress(ValueError):
        seconds = float(text)
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def autothrottle_delay(
    current: float,
    latency: float,
    *,
    answered_ok: bool,
    target_concurrency: float,
    floor: float,
    ceiling: float,
) -> float:
    """Scrapy's AutoThrottle step: aim at latency / target concurrency, going there at once when it
    is higher and halfway when lower; an error answer (often fast) never lowers the delay."""
    target = latency / target_concurrency
    proposed = max(target, (current + target) / 2)
    proposed = min(max(floor, proposed), ceiling)
    if not answered_ok and proposed <= current:
        return current
    return proposed


def backoff_seconds(attempt: int, base: float, ceiling: float) -> float:
    """Exponential backoff with "equal jitter": half the step is fixed, half random, so retries of
    many URLs spread out yet each still waits a fair amount."""
    step = min(ceiling, base * 2.0 ** (attempt - 1))
    return step / 2 + random.uniform(0, step / 2)


def _charset(content_type: str, head: bytes) -> str:
    match = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", content_type, re.IGNORECASE)
    name = match.group(1) if match else None
    if name is None:
        meta = _META_CHARSET.search(head[:CHARSET_SNIFF_BYTES])
        name = meta.group(1).decode("ascii", "ignore") if meta else None
    try:
        return codecs.lookup(name).name if name else "utf-8"
    except LookupError:
        return "utf-8"


def decode_html(body: bytes, content_type: str) -> str:
    """The page's text: the charset the header names, else the one a <meta> names, else UTF-8."""
    return body.decode(_charset(content_type, body), errors="replace")


def looks_like_html(content_type: str, body: bytes) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type:
        return media_type in HTML_TYPES
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


# -- per-host state ---------------------------------------------------------------------------------


class _HostPaused(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"the site asked us to wait {seconds:.0f} s more (Retry-After)")
        self.seconds = seconds


@dataclass
class _Host:
    key: str
    concurrency: asyncio.Semaphore
    delay: float  # AutoThrottle's current delay
    floor: float  # min_delay, raised to the site's Crawl-delay / Request-rate
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)  # one request at a time decides its start
    robots_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    robots: RobotsRules | None = None
    robots_failure: tuple[Outcome, str] | None = None  # robots.txt got no HTTP answer: why
    robots_expires: float = 0.0
    last_start: float = -math.inf
    paused_until: float = 0.0  # monotonic; Retry-After and 429 pauses
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0

    @property
    def interval(self) -> float:
        return max(self.delay, self.floor)


@dataclass
class _Reply:
    """One request's answer, or why there was none."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: Literal["timeout", "network", "refused", "too_large", "paused"] | None = None
    detail: str | None = None
    elapsed_ms: float = 0.0
    latency: float | None = None  # sent → headers received, what AutoThrottle reads
    attempts: int = 0

    @property
    def retryable(self) -> bool:
        if self.error in ("timeout", "network"):
            return True
        return self.status is not None and (self.status in (408, 429) or self.status >= 500)


# -- the fetcher ------------------------------------------------------------------------------------


class Fetcher:
    """Fetches pages politely; one per process, so its per-host state covers every caller.

    `transport` replaces the default (HostPools: guarded, one pool per host, connections pinned to
    checked addresses); targets are still checked before every request, but pinning is then the
    transport's business.
    """

    def __init__(self, policy: FetchPolicy, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._policy = policy
        self._token = robots.product_token(policy.user_agent)
        self._client = httpx.AsyncClient(
            transport=transport
            or HostPools(
                allow_private=policy.allow_private,
                allowed_private=policy.allowed_private,
                connections_per_host=policy.per_host_concurrency + 1,
            ),
            headers={"User-Agent": policy.user_agent, "Accept": ACCEPT},
            timeout=httpx.Timeout(policy.timeout),
            follow_redirects=False,
            trust_env=False,
        )
        self._global = asyncio.Semaphore(policy.global_concurrency)
        self._hosts: dict[str, _Host] = {}
        self._next_forget = 0.0

    async def aclose(self) -> None:
        """Closes the connections (and the transport, passed in or not)."""
        await self._client.aclose()

    def host_stats(self) -> dict[str, dict[str, Any]]:
        now, wall = time.monotonic(), time.time()
        return {
            key: {
                "requests": host.requests,
                "in_flight": host.in_flight,
                "max_concurrent": host.max_in_flight,
                "delay": round(host.interval, 3),
                "autothrottle_delay": round(host.delay, 3),
                "robots_delay": round(host.floor, 3) if host.floor > self._policy.min_delay else None,
                "robots": host.robots.kind if host.robots else None,
                "retry_after_until": wall + host.paused_until - now if host.paused_until > now else None,
            }
            for key, host in self._hosts.items()
        }

    async def fetch_many(self, urls: Iterable[str]) -> AsyncIterator[FetchResult]:
        """Fetches every URL, yielding results as they complete. Each host's URLs wait in their own
        lane, so a slow host never holds up the others."""
        lanes: dict[str, deque[str]] = {}
        total = 0
        for url in urls:
            lanes.setdefault(host_key(url) or url, deque()).append(url)
            total += 1
        finished: asyncio.Queue[FetchResult | BaseException] = asyncio.Queue()

        async def drain(lane: deque[str]) -> None:
            while lane:
                try:
                    await finished.put(await self.fetch(lane.popleft()))
                except Exception as exc:
                    await finished.put(exc)

        workers = [
            asyncio.create_task(drain(lane))
            for lane in lanes.values()
            for _ in range(min(self._policy.per_host_concurrency, len(lane)))
        ]
        try:
            for _ in range(total):
                item = await finished.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def fetch(self, url: str) -> FetchResult:
        """Fetches one page, waiting for its host's turn. HTTP and network outcomes are results,
        never exceptions."""
        current, attempts = url, 0
        for _hop in range(MAX_REDIRECTS + 1):
            key = host_key(current)
            if key is None:
                return _result(url, current, "network_error", f"{current!r} is not an http(s) URL", attempts)
            refusal = await self._refusal(current)
            if refusal is not None:
                return _result(url, current, *refusal, attempts)
            host = self._host(key)
            rules = await self._robots_for(host)
            if not rules.allows(current, self._token):
                if host.robots_failure is not None:  # no answer at all: say why, not "blocked"
                    return _result(url, current, *host.robots_failure, attempts)
                detail = rules.detail if rules.kind != "rules" else "robots.txt disallows this page"
                return _result(url, current, "blocked_by_robots", detail, attempts)
            reply = await self._request(current, host, self._policy.max_bytes)
            attempts += reply.attempts
            location = _redirect_target(current, reply)
            if location is None:
                return _classify(url, current, reply, attempts)
            current = location
        return _result(url, current, "http_error", f"more than {MAX_REDIRECTS} redirects", attempts)

    # -- robots.txt ---------------------------------------------------------------------------------

    async def _robots_for(self, host: _Host) -> RobotsRules:
        async with host.robots_lock:
            if host.robots is not None and time.monotonic() < host.robots_expires:
                return host.robots
            rules, host.robots_failure = await self._fetch_robots(host)
            ttl = self._policy.robots_ttl
            if rules.is_failure:
                ttl = min(ttl, self._policy.robots_retry_after)
            host.robots, host.robots_expires = rules, time.monotonic() + ttl
            host.floor = max(self._policy.min_delay, rules.delay(self._token) or 0.0)
            return rules

    async def _fetch_robots(self, host: _Host) -> tuple[RobotsRules, tuple[Outcome, str] | None]:
        """The site's rules, and when robots.txt got no HTTP answer at all, the outcome its pages
        get instead of "blocked_by_robots" (a timeout, a refused address…)."""
        url = f"{host.key}/robots.txt"
        for _hop in range(robots.MAX_ROBOTS_REDIRECTS + 1):
            key = host_key(url)
            if key is None:
                return robots.unreachable(f"redirected to {url!r}"), None
            if key != host.key:
                refusal = await self._refusal(url)
                if refusal is not None:
                    outcome, detail = refusal
                    return robots.unreachable(detail), (outcome, f"robots.txt: {detail}")
            reply = await self._request(url, self._host(key), robots.ROBOTS_MAX_BYTES, truncate=True)
            location = _redirect_target(url, reply)
            if location is not None:
                url = location
                continue
            if reply.error is not None or reply.status is None:
                detail = reply.detail or "no answer"
                return robots.unreachable(detail), (
                    _ERROR_OUTCOMES[reply.error or "network"],
                    f"robots.txt: {detail}",
                )
            return robots.rules_for_status(reply.status, reply.body), None
        return robots.too_many_redirects(), None

    # -- requests -----------------------------------------------------------------------------------

    def _host(self, key: str) -> _Host:
        host = self._hosts.get(key)
        if host is None:
            self._forget_idle_hosts()
            policy = self._policy
            host = _Host(
                key=key,
                concurrency=asyncio.Semaphore(policy.per_host_concurrency),
                delay=policy.min_delay,
                floor=policy.min_delay,
            )
            self._hosts[key] = host
        return host

    def _forget_idle_hosts(self) -> None:
        """Drops the state of hosts left alone for twice the robots.txt lifetime, so a long-running
        process does not keep every host it ever saw. Such a host has nothing worth keeping: its
        rules have expired, and no request, wait or pause of it can still be pending."""
        now = time.monotonic()
        horizon = 2 * max(self._policy.robots_ttl, self._policy.max_delay)
        if now < self._next_forget:
            return
        self._next_forget = now + horizon / 2
        for key, host in list(self._hosts.items()):
            busy = host.in_flight or host.turn.locked() or host.robots_lock.locked()
            if not busy and now - host.last_start > horizon and host.paused_until < now:
                del self._hosts[key]

    async def _refusal(self, url: str) -> tuple[Outcome, str] | None:
        """Why `url`'s host may not be fetched (a non-public address, a name that does not
        resolve), or None when it may."""
        parts = urlsplit(url)
        assert parts.hostname is not None
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            await checked_addresses(
                parts.hostname,
                port,
                allow_private=self._policy.allow_private,
                allowed_private=self._policy.allowed_private,
            )
        except TargetRefused as exc:
            return "refused_private", str(exc)
        except httpx.ConnectError as exc:
            return "network_error", str(exc)
        return None

    async def _request(self, url: str, host: _Host, limit: int, *, truncate: bool = False) -> _Reply:
        """One URL, retried: 5xx, timeouts and network failures back off (this URL); 429 without
        Retry-After pauses the host for the backoff; with Retry-After the host waits that long."""
        policy = self._policy
        attempt = 0
        while True:
            attempt += 1
            reply = await self._send(url, host, limit, truncate)
            reply.attempts = attempt if reply.error != "paused" else attempt - 1
            if not reply.retryable or attempt >= policy.max_attempts:
                return reply
            wait = backoff_seconds(attempt, policy.backoff_base, policy.max_delay)
            if reply.status in HOST_PAUSE_STATUSES and "retry-after" in reply.headers:
                continue  # the host's pause is the wait
            if reply.status == 429:
                host.paused_until = max(host.paused_until, time.monotonic() + wait)
                continue
            await asyncio.sleep(wait)

    async def _send(self, url: str, host: _Host, limit: int, truncate: bool) -> _Reply:
        async with host.concurrency:
            try:
                await self._take_turn(host)
            except _HostPaused as exc:
                return _Reply(error="paused", detail=str(exc))
            try:
                reply = await self._exchange(url, host, limit, truncate)
            finally:
                host.in_flight -= 1
                self._global.release()
        self._learn(host, reply)
        return reply

    async def _take_turn(self, host: _Host) -> None:
        """Waits until the host may be sent its next request and a global slot is free, then marks
        the start. The start is marked only once the global slot is held, so a wait for it never
        lets two starts come closer than the host's delay."""
        async with host.turn:
            while True:
                now = time.monotonic()
                if host.paused_until - now > self._policy.max_delay:
                    raise _HostPaused(host.paused_until - now)
                start_at = max(host.last_start + host.interval, host.paused_until)
                if now < start_at:
                    await asyncio.sleep(start_at - now)
                    continue  # a pause or a new Crawl-delay may have come meanwhile
                await self._global.acquire()
                if time.monotonic() >= max(host.last_start + host.interval, host.paused_until):
                    break
                self._global.release()
            host.last_start = time.monotonic()
            host.requests += 1
            host.in_flight += 1
            host.max_in_flight = max(host.max_in_flight, host.in_flight)

    async def _exchange(self, url: str, host: _Host, limit: int, truncate: bool) -> _Reply:
        started = sent = time.monotonic()

        async def trace(event: str, info: dict[str, Any]) -> None:
            nonlocal sent
            if event.endswith("send_request_headers.complete"):
                # The site sees the request when it leaves, after any connection and TLS set-up: the
                # host's next turn counts from then, or a slow handshake would squeeze two together.
                sent = time.monotonic()
                host.last_start = max(host.last_start, sent)

        try:
            async with asyncio.timeout(self._policy.timeout):
                async with self._client.stream("GET", url, extensions={"trace": trace}) as response:
                    latency = time.monotonic() - sent
                    headers = {name.lower(): value for name, value in response.headers.items()}
                    body, too_large = await _read_body(response, limit, truncate)
        except TargetRefused as exc:
            return _Reply(error="refused", detail=str(exc))
        except (TimeoutError, httpx.TimeoutException):
            return _Reply(error="timeout", detail=f"no complete answer within {self._policy.timeout:g} s")
        except httpx.HTTPError as exc:
            return _Reply(error="network", detail=f"{type(exc).__name__}: {exc}".rstrip(": "))
        elapsed_ms = (time.monotonic() - started) * 1000
        if too_large:
            return _Reply(
                status=response.status_code,
                headers=headers,
                error="too_large",
                detail=f"the page is larger than {limit:,} bytes",
                elapsed_ms=elapsed_ms,
            )
        return _Reply(
            status=response.status_code, headers=headers, body=body, elapsed_ms=elapsed_ms, latency=latency
        )

    def _learn(self, host: _Host, reply: _Reply) -> None:
        """AutoThrottle from the answer's latency; Retry-After pauses the host."""
        if reply.status is None:
            return
        policy = self._policy
        if reply.latency is not None:
            host.delay = autothrottle_delay(
                host.delay,
                reply.latency,
                answered_ok=reply.status < 400,
                target_concurrency=policy.target_concurrency,
                floor=policy.min_delay,
                ceiling=policy.max_delay,
            )
        if reply.status in HOST_PAUSE_STATUSES:
            seconds = retry_after_seconds(reply.headers.get("retry-after"))
            if seconds is not None:
                host.paused_until = max(host.paused_until, time.monotonic() + seconds)


async def _read_body(response: httpx.Response, limit: int, truncate: bool) -> tuple[bytes, bool]:
    """The decoded body up to `limit` bytes; (what was read, whether it was over the limit)."""
    declared = response.headers.get("content-length", "")
    if (
        declared.isdigit()
        and int(declared) > limit
        and not truncate
        and not response.headers.get("content-encoding")
    ):
        return b"", True
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return (b"".join(chunks)[:limit], False) if truncate else (b"", True)
    return b"".join(chunks), False


def _redirect_target(url: str, reply: _Reply) -> str | None:
    if reply.status not in REDIRECT_STATUSES or not reply.headers.get("location"):
        return None
    return urldefrag(urljoin(url, reply.headers["location"].strip()))[0]


def _result(url: str, final_url: str, outcome: Outcome, detail: str | None, attempts: int) -> FetchResult:
    return FetchResult(
        url=url,
        final_url=final_url,
        status=None,
        html=None,
        headers={},
        elapsed_ms=0.0,
        outcome=outcome,
        detail=detail,
        attempts=attempts,
    )


_ERROR_OUTCOMES: dict[str, Outcome] = {
    "timeout": "timeout",
    "network": "network_error",
    "refused": "refused_private",
    "too_large": "too_large",
    "paused": "rate_limited",
}


def _classify(url: str, final_url: str, reply: _Reply, attempts: int) -> FetchResult:
    status, html = reply.status, None
    outcome: Outcome
    detail = reply.detail
    if reply.error is not None:
        outcome = _ERROR_OUTCOMES[reply.error]
    elif status is not None and 200 <= status < 300:
        content_type = reply.headers.get("content-type", "")
        if looks_like_html(content_type, reply.body):
            outcome, html = "ok", decode_html(reply.body, content_type)
        else:
            outcome, detail = "not_html", f"the answer is {content_type or 'not HTML'}"
    elif status in (404, 410):
        outcome, detail = "not_found", f"HTTP {status}"
    elif status == 429:
        outcome, detail = "rate_limited", f"HTTP 429 after {reply.attempts} attempts"
    else:
        outcome, detail = "http_error", f"HTTP {status}"
    return FetchResult(
        url=url,
        final_url=final_url,
        status=status,
        html=html,
        headers=reply.headers,
        elapsed_ms=round(reply.elapsed_ms, 1),
        outcome=outcome,
        detail=detail,
        attempts=attempts,
    )
