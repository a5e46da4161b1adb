"""The polite fetcher against real loopback sites. Each site is a small HTTP/1.1 server on its own
loopback address that records every request: its path, when the kernel received it, when the answer
left, and how many were in flight, so the assertions are about what a site actually saw.

Arrival times are the kernel's receive timestamps (SO_TIMESTAMPNS), not the moment a server thread
got to run: on a busy machine a thread can be scheduled tens of milliseconds late, which would make
two well-spaced requests look bunched together."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http import HTTPStatus
from pathlib import Path

import httpx
import pytest

from binelek.marketplace import robots
from binelek.marketplace.fetcher import (
    Fetcher,
    FetchPolicy,
    FetchResult,
    GuardedTransport,
    TargetRefused,
    autothrottle_delay,
    backoff_seconds,
    decode_html,
    host_key,
    is_public,
    retry_after_seconds,
)
from tests.security_http_servers import Reply, SiteServer, make_certificates

UA = "BinelekPriceBot/1.0 (+http://testserver/bot)"
SLACK = 0.002  # clock granularity only: arrivals are kernel timestamps
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
PAGE = "<!doctype html><html><head><title>{path}</title></head><body><p>€ 19.99</p></body></html>"

Answer = tuple[int, dict[str, str], bytes]
PAGE_ANSWER: Answer = (200, {"Content-Type": "text/html"}, b"<html><body>page</body></html>")


@dataclass
class Hit:
    path: str
    arrived: float  # wall clock, from the kernel
    left: float = 0.0  # wall clock, when the answer was written


class Tracker:
    """In-flight requests across several sites (the global concurrency cap)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0


class Site:
    """A loopback site: `routes` maps a path to an answer or to a function of how many times the
    path was asked before; anything else is a small product page. robots.txt is 404 unless set."""

    def __init__(self, address: str, *, hold: float = 0.002, tracker: Tracker | None = None) -> None:
        self.address = address
        self.routes: dict[str, Answer | Callable[[int], Answer]] = {}
        self.hold = hold  # how long each request stays in flight
        self.tracker = tracker or Tracker()
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self._connections: list[socket.socket] = []
        self._listener = socket.socket()
        # Inherited by accepted connections: every segment is stamped when the kernel receives it.
        self._listener.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self._listener.bind((address, 0))
        self._listener.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def key(self) -> str:
        return f"http://{self.address}:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.key}{path}"

    def set_robots(self, text: str, status: int = 200) -> None:
        self.routes["/robots.txt"] = (status, {"Content-Type": "text/plain"}, text.encode())

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]

    def arrivals(self) -> list[float]:
        return sorted(hit.arrived for hit in self.hits)

    def stop(self) -> None:
        self._listener.close()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer, arrived = b"", 0.0
        while True:
            try:
                data, ancillary, _, _ = connection.recvmsg(65536, socket.CMSG_SPACE(16))
            except OSError:
                return
            if not data:
                return
            if not buffer:
                arrived = _kernel_time(ancillary)
            buffer += data
            while b"\r\n\r\n" in buffer:  # httpx sends GETs without a body
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                path = head.split(b"\r\n", 1)[0].split(b" ")[1].decode()
                try:
                    self._respond(connection, path, arrived)
                except OSError:
                    return

    def _respond(self, connection: socket.socket, path: str, arrived: float) -> None:
        hit = Hit(path, arrived)
        self._enter(hit)
        left = False
        try:
            time.sleep(self.hold)
            code, headers, body = self._answer(path)
            lines = [f"HTTP/1.1 {code} {HTTPStatus(code).phrase}"]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            lines.append(f"Content-Length: {len(body)}")
            # Counted out before the answer goes: once the client has it, it may start the next
            # request before this thread runs again, and the overlap would be ours, not the client's.
            hit.left = time.time()
            self._leave()
            left = True
            connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        finally:
            if not left:
                hit.left = time.time()
                self._leave()

    def _answer(self, path: str) -> Answer:
        route = self.routes.get(path)
        if route is None:
            return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE.format(path=path).encode()
        if callable(route):
            return route(sum(1 for hit in self.hits if hit.path == path) - 1)
        return route

    def _enter(self, hit: Hit) -> None:
        with self.lock:
            self.hits.append(hit)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        with self.tracker.lock:
            self.tracker.in_flight += 1
            self.tracker.max_in_flight = max(self.tracker.max_in_flight, self.tracker.in_flight)

    def _leave(self) -> None:
        with self.lock:
            self.in_flight -= 1
        with self.tracker.lock:
            self.tracker.in_flight -= 1


def _kernel_time(ancillary: list[tuple[int, int, bytes]]) -> float:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            seconds, nanoseconds = struct.unpack("qq", data[:16])
            return float(seconds) + float(nanoseconds) / 1e9
    return time.time()


@pytest.fixture
def sites() -> Iterator[Callable[..., Site]]:
    """Makes sites on 127.0.0.2, 127.0.0.3, … (one address each) and stops them after the test."""
    made: list[Site] = []

    def make(*, hold: float = 0.002, tracker: Tracker | None = None) -> Site:
        site = Site(f"127.0.0.{len(made) + 2}", hold=hold, tracker=tracker)
        made.append(site)
        return site

    yield make
    for site in made:
        site.stop()


def policy(**overrides: object) -> FetchPolicy:
    values: dict[str, object] = {
        "user_agent": UA,
        "min_delay": 0.02,
        "allow_private": True,
        "backoff_base": 0.02,
        "timeout": 2.0,
    }
    values.update(overrides)
    return FetchPolicy(**values)  # type: ignore[arg-type]


async def fetch_all(fetcher: Fetcher, urls: list[str]) -> dict[str, FetchResult]:
    results = {result.url: result async for result in fetcher.fetch_many(urls)}
    assert len(results) == len(urls)
    return results


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def status(code: int, headers: dict[str, str] | None = None, body: bytes = b"") -> Answer:
    return code, headers or {}, body


# -- politeness at scale ----------------------------------------------------------------------------


async def test_three_hosts_three_hundred_urls_are_fetched_politely(sites: Callable[..., Site]) -> None:
    tracker = Tracker()
    hosts = [sites(hold=0.005, tracker=tracker) for _ in range(3)]
    for site in hosts:
        site.set_robots("User-agent: *\nDisallow: /private/\n")
    urls = [
        site.url(f"/private/{n}" if n % 10 == 0 else f"/product/{n}") for n in range(100) for site in hosts
    ]
    fetcher = Fetcher(policy(min_delay=0.03, global_concurrency=16))
    started = time.monotonic()
    try:
        results = await fetch_all(fetcher, urls)
        stats = fetcher.host_stats()
    finally:
        await fetcher.aclose()
    elapsed = time.monotonic() - started

    for url, result in results.items():
        if "/private/" in url:
            assert result.outcome == "blocked_by_robots" and result.attempts == 0, result
        else:
            assert result.outcome == "ok" and result.status == 200, result
            assert result.html is not None and "€ 19.99" in result.html
    for site in hosts:
        assert not [path for path in site.paths() if path.startswith("/private/")]
        assert site.paths().count("/robots.txt") == 1
        assert len(site.hits) == 91  # robots.txt + 90 allowed pages
        assert site.max_in_flight == 1
        assert min(gaps(site.arrivals())) >= 0.03 - SLACK
        assert stats[site.key]["requests"] == 91 and stats[site.key]["max_concurrent"] == 1
    # The hosts were fetched side by side: one after another they would need 3 x 91 x 0.03 s.
    assert elapsed < 3 * 91 * 0.03


async def test_per_host_concurrency_two_is_never_exceeded(sites: Callable[..., Site]) -> None:
    site = sites(hold=0.15)
    fetcher = Fetcher(policy(per_host_concurrency=2, target_concurrency=8.0))
    try:
        results = await fetch_all(fetcher, [site.url(f"/p/{n}") for n in range(10)])
    finally:
        await fetcher.aclose()
    assert {result.outcome for result in results.values()} == {"ok"}
    assert site.max_in_flight == 2
    assert min(gaps(site.arrivals())) >= 0.02 - SLACK


async def test_global_concurrency_caps_requests_across_hosts(sites: Callable[..., Site]) -> None:
    tracker = Tracker()
    hosts = [sites(hold=0.05, tracker=tracker) for _ in range(3)]
    fetcher = Fetcher(policy(min_delay=0.01, per_host_concurrency=2, global_concurrency=2))
    try:
        results = await fetch_all(fetcher, [site.url(f"/p/{n}") for site in hosts for n in range(5)])
    finally:
        await fetcher.aclose()
    assert {result.outcome for result in results.values()} == {"ok"}
    assert tracker.max_in_flight == 2


async def test_crawl_delay_paces_the_host(sites: Callable[..., Site]) -> None:
    site = sites()
    site.set_robots("User-agent: *\nCrawl-delay: 0.2\n")
    fetcher = Fetcher(policy(min_delay=0.05))
    try:
        results = await fetch_all(fetcher, [site.url(f"/p/{n}") for n in range(4)])
        stats = fetcher.host_stats()[site.key]
    finally:
        await fetcher.aclose()
    assert {result.outcome for result in results.values()} == {"ok"}
    assert min(gaps(site.arrivals())) >= 0.2 - SLACK
    assert stats["delay"] == pytest.approx(0.2) and stats["robots_delay"] == pytest.approx(0.2)


async def test_autothrottle_slows_down_for_a_slow_host_within_bounds(sites: Callable[..., Site]) -> None:
    slow, capped = sites(hold=0.08), sites(hold=0.08)
    fetcher = Fetcher(policy(min_delay=0.01, max_delay=1.0))
    capped_fetcher = Fetcher(policy(min_delay=0.01, max_delay=0.04))
    try:
        await asyncio.gather(
            fetch_all(fetcher, [slow.url(f"/p/{n}") for n in range(4)]),
            fetch_all(capped_fetcher, [capped.url(f"/p/{n}") for n in range(4)]),
        )
        delay = fetcher.host_stats()[slow.key]["delay"]
        capped_delay = capped_fetcher.host_stats()[capped.key]["delay"]
    finally:
        await fetcher.aclose()
        await capped_fetcher.aclose()
    assert 0.075 <= delay < 0.2  # latency / target concurrency 1
    assert capped_delay == pytest.approx(0.04)


# -- Retry-After, backoff, timeouts -----------------------------------------------------------------


async def test_retry_after_pauses_the_whole_host_then_the_url_is_retried(sites: Callable[..., Site]) -> None:
    limited, other = sites(), sites()
    limited.routes["/limited"] = lambda seen: (
        status(429, {"Retry-After": "1"})
        if seen == 0
        else status(200, {"Content-Type": "text/html"}, b"<p>ok")
    )
    fetcher = Fetcher(policy(per_host_concurrency=2))
    try:
        results = await fetch_all(
            fetcher,
            [limited.url("/limited"), *(limited.url(f"/p/{n}") for n in range(3))]
            + [other.url(f"/p/{n}") for n in range(20)],
        )
    finally:
        await fetcher.aclose()
    retried = results[limited.url("/limited")]
    assert retried.outcome == "ok" and retried.attempts == 2
    refusal = next(hit for hit in limited.hits if hit.path == "/limited")
    later = [hit.arrived for hit in limited.hits if hit.arrived > refusal.arrived]
    assert later and min(later) >= refusal.left + 1.0 - SLACK
    # Only that host waited: the other one kept being fetched meanwhile.
    assert [t for t in other.arrivals() if refusal.left < t < refusal.left + 1.0]


async def test_a_retry_after_longer_than_max_delay_ends_rate_limited(sites: Callable[..., Site]) -> None:
    site = sites()
    site.routes["/busy"] = status(429, {"Retry-After": "30"})
    fetcher = Fetcher(policy(max_delay=0.5))
    try:
        busy = await fetcher.fetch(site.url("/busy"))
        next_page = await fetcher.fetch(site.url("/p/1"))
        stats = fetcher.host_stats()[site.key]
    finally:
        await fetcher.aclose()
    assert busy.outcome == "rate_limited" and busy.attempts == 1
    assert next_page.outcome == "rate_limited" and next_page.attempts == 0
    assert site.paths() == ["/robots.txt", "/busy"]
    assert stats["retry_after_until"] == pytest.approx(time.time() + 30, abs=2)


async def test_server_errors_are_retried_with_growing_backoff(sites: Callable[..., Site]) -> None:
    site = sites()
    site.routes["/flaky"] = lambda seen: (
        status(500) if seen == 0 else status(503) if seen == 1 else PAGE_ANSWER
    )
    site.routes["/broken"] = status(502)
    site.routes["/throttled"] = lambda seen: status(429) if seen == 0 else PAGE_ANSWER
    fetcher = Fetcher(policy(backoff_base=0.1, min_delay=0.01))
    try:
        flaky = await fetcher.fetch(site.url("/flaky"))
        broken = await fetcher.fetch(site.url("/broken"))
        throttled = await fetcher.fetch(site.url("/throttled"))
    finally:
        await fetcher.aclose()
    assert flaky.outcome == "ok" and flaky.attempts == 3
    first, second = gaps([hit.arrived for hit in site.hits if hit.path == "/flaky"])
    assert first >= 0.05 - SLACK and second >= 0.1 - SLACK  # equal jitter: [b/2, b], then [b, 2b]
    assert broken.outcome == "http_error" and broken.status == 502 and broken.attempts == 3
    assert throttled.outcome == "ok" and throttled.attempts == 2


async def test_timeouts_and_refused_connections_end_after_max_attempts(sites: Callable[..., Site]) -> None:
    site = sites()

    def slow(_seen: int) -> Answer:
        time.sleep(0.6)
        return PAGE_ANSWER

    site.routes["/slow"] = slow
    with socket.socket() as probe:
        probe.bind(("127.0.0.2", 0))
        closed_port = probe.getsockname()[1]
    fetcher = Fetcher(policy(timeout=0.2, max_attempts=2))
    try:
        timed_out, refused = await asyncio.gather(
            fetcher.fetch(site.url("/slow")), fetcher.fetch(f"http://127.0.0.2:{closed_port}/p")
        )
    finally:
        await fetcher.aclose()
    assert timed_out.outcome == "timeout" and timed_out.attempts == 2 and timed_out.status is None
    # Nothing answers there, robots.txt included: the page says so rather than "blocked".
    assert refused.outcome == "network_error" and (refused.detail or "").startswith("robots.txt: Connect")


# -- robots.txt -------------------------------------------------------------------------------------


async def test_robots_404_allows_and_500_disallows_everything(sites: Callable[..., Site]) -> None:
    missing, failing = sites(), sites()
    failing.routes["/robots.txt"] = status(500)
    fetcher = Fetcher(policy())
    try:
        results = await fetch_all(
            fetcher, [missing.url("/p/1"), missing.url("/p/2"), failing.url("/p/1"), failing.url("/p/2")]
        )
    finally:
        await fetcher.aclose()
    assert [results[missing.url(f"/p/{n}")].outcome for n in (1, 2)] == ["ok", "ok"]
    for n in (1, 2):
        blocked = results[failing.url(f"/p/{n}")]
        assert blocked.outcome == "blocked_by_robots" and "could not be fetched" in (blocked.detail or "")
    # robots.txt was retried like any 5xx, then cached as a complete disallow: no page was asked.
    assert set(failing.paths()) == {"/robots.txt"} and len(failing.hits) == 3


async def test_robots_redirects_are_followed_and_rules_expire(sites: Callable[..., Site]) -> None:
    site = sites()
    site.routes["/robots.txt"] = status(301, {"Location": "/rules.txt"})
    site.routes["/rules.txt"] = status(200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /x\n")
    fetcher = Fetcher(policy(robots_ttl=0.15))
    try:
        blocked = await fetcher.fetch(site.url("/x/1"))
        allowed = await fetcher.fetch(site.url("/y/1"))
        await asyncio.sleep(0.2)
        again = await fetcher.fetch(site.url("/y/2"))
    finally:
        await fetcher.aclose()
    assert (blocked.outcome, allowed.outcome, again.outcome) == ("blocked_by_robots", "ok", "ok")
    assert site.paths() == ["/robots.txt", "/rules.txt", "/y/1", "/robots.txt", "/rules.txt", "/y/2"]


def test_robots_rules_follow_rfc_9309() -> None:
    text = b"User-agent: BinelekPriceBot\nDisallow: /mine\n\nUser-agent: *\nDisallow: /\nRequest-rate: 1/5s\n"
    rules = robots.parse_robots(text)
    token = robots.product_token(UA)
    assert token == "BinelekPriceBot"
    assert not rules.allows("https://shop.example/mine/1", token)
    assert rules.allows("https://shop.example/other", token)  # our group, not "*", applies
    assert not rules.allows("https://shop.example/other", "OtherBot")
    assert rules.delay("OtherBot") == 5.0 and rules.delay(token) is None
    # Only the first 500 KiB are read: a rule past them does not exist.
    padded = b"User-agent: *\n" + b"#" * (robots.ROBOTS_MAX_BYTES + 10) + b"\nDisallow: /\n"
    assert robots.parse_robots(padded).allows("https://shop.example/p", token)
    assert robots.rules_for_status(404, b"").kind == "allow_all"
    assert robots.rules_for_status(403, b"").kind == "allow_all"
    assert robots.rules_for_status(429, b"").kind == "disallow_all"
    assert robots.rules_for_status(503, b"").kind == "disallow_all"


# -- the address guard ------------------------------------------------------------------------------


async def test_private_targets_are_refused_unless_allowed(sites: Callable[..., Site]) -> None:
    site = sites()
    strict = Fetcher(policy(allow_private=False))
    relaxed = Fetcher(policy(allow_private=True))
    try:
        refused = await strict.fetch(site.url("/p/1"))
        local = await strict.fetch("http://localhost:9/p")
        assert not site.hits
        allowed = await relaxed.fetch(site.url("/p/1"))
    finally:
        await strict.aclose()
        await relaxed.aclose()
    assert refused.outcome == "refused_private" and "127.0.0.2" in (refused.detail or "")
    assert local.outcome == "refused_private" and "localhost resolves to" in (local.detail or "")
    assert allowed.outcome == "ok"


async def test_a_redirect_to_a_private_address_is_refused(sites: Callable[..., Site]) -> None:
    trusted, internal = sites(), sites()
    trusted.routes["/go"] = status(302, {"Location": internal.url("/admin")})
    trusted.routes["/stay"] = status(301, {"Location": "/p/9"})
    # Only the first site is let through (as a shop on the LAN would be); the second is private.
    fetcher = Fetcher(policy(allow_private=False, allowed_private=("127.0.0.2/32",)))
    try:
        moved = await fetcher.fetch(trusted.url("/go"))
        stayed = await fetcher.fetch(trusted.url("/stay"))
    finally:
        await fetcher.aclose()
    assert moved.outcome == "refused_private" and moved.final_url == internal.url("/admin")
    assert not internal.hits
    assert stayed.outcome == "ok" and stayed.final_url == trusted.url("/p/9") and stayed.attempts == 2


async def test_the_transport_checks_the_address_it_connects_to(sites: Callable[..., Site]) -> None:
    site = sites()
    async with httpx.AsyncClient(transport=GuardedTransport(allow_private=False)) as client:
        with pytest.raises(TargetRefused):
            await client.get(site.url("/p/1"))
    assert not site.hits
    async with httpx.AsyncClient(transport=GuardedTransport(allow_private=True)) as client:
        assert (await client.get(site.url("/p/1"))).status_code == 200


async def test_https_through_the_pinned_connection_verifies_the_name() -> None:
    with tempfile.TemporaryDirectory(prefix="binelek-fetch-") as directory:
        certificates = make_certificates(Path(directory))
        trusted = SiteServer(certificates.server_context()).start()
        untrusted = SiteServer(certificates.server_context(untrusted=True)).start()
        try:
            trusted.default = untrusted.default = Reply(body="<html><p>secure</p></html>")
            transport = GuardedTransport(allow_private=True, verify=certificates.client_context())
            fetcher = Fetcher(policy(), transport=transport)
            try:
                good = await fetcher.fetch(f"https://localhost:{trusted.port}/p")
                bad = await fetcher.fetch(f"https://localhost:{untrusted.port}/p")
            finally:
                await fetcher.aclose()
        finally:
            trusted.stop()
            untrusted.stop()
    assert good.outcome == "ok" and good.html is not None and "secure" in good.html
    assert bad.outcome == "network_error" and "certificate" in (bad.detail or "").lower()


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:8.8.8.8", True),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


# -- pages ------------------------------------------------------------------------------------------


async def test_page_outcomes(sites: Callable[..., Site]) -> None:
    site = sites()
    site.routes["/gone"] = status(404)
    site.routes["/forbidden"] = status(403)
    site.routes["/image"] = status(200, {"Content-Type": "image/png"}, b"\x89PNG....")
    site.routes["/huge"] = status(200, {"Content-Type": "text/html"}, b"<html>" + b"x" * 5000)
    site.routes["/loop"] = status(302, {"Location": "/loop"})
    site.routes["/latin"] = status(
        200, {"Content-Type": "text/html; charset=iso-8859-1"}, "<p>café".encode("latin-1")
    )
    site.routes["/meta"] = status(
        200, {"Content-Type": "text/html"}, '<meta charset="windows-1252"><p>naïve €'.encode("cp1252")
    )
    fetcher = Fetcher(policy(max_bytes=1000, min_delay=0.005))
    try:
        results = await fetch_all(
            fetcher,
            [
                site.url(path)
                for path in ("/gone", "/forbidden", "/image", "/huge", "/loop", "/latin", "/meta")
            ],
        )
    finally:
        await fetcher.aclose()
    outcome = {url.rsplit("/", 1)[1]: result for url, result in results.items()}
    assert outcome["gone"].outcome == "not_found" and outcome["gone"].attempts == 1
    assert outcome["forbidden"].outcome == "http_error" and outcome["forbidden"].status == 403
    assert outcome["image"].outcome == "not_html" and outcome["image"].html is None
    assert outcome["huge"].outcome == "too_large"
    assert outcome["loop"].outcome == "http_error" and outcome["loop"].attempts == 6
    assert outcome["latin"].html == "<p>café"
    assert outcome["meta"].html is not None and outcome["meta"].html.endswith("naïve €")
    assert outcome["latin"].headers["content-type"].startswith("text/html")


async def test_fetch_many_can_be_left_early(sites: Callable[..., Site]) -> None:
    site = sites()
    fetcher = Fetcher(policy(min_delay=0.05))
    try:
        async for result in fetcher.fetch_many([site.url(f"/p/{n}") for n in range(20)]):
            assert result.outcome == "ok"
            break
        await asyncio.sleep(0.1)
    finally:
        await fetcher.aclose()
    assert len(site.hits) <= 3  # robots.txt, the page, at most one more in flight


async def test_hosts_left_alone_are_forgotten(sites: Callable[..., Site]) -> None:
    first, second = sites(), sites()
    fetcher = Fetcher(policy(robots_ttl=0.05, max_delay=0.05))
    try:
        await fetcher.fetch(first.url("/p/1"))
        await asyncio.sleep(0.25)
        await fetcher.fetch(second.url("/p/1"))
        known = set(fetcher.host_stats())
    finally:
        await fetcher.aclose()
    assert known == {second.key}


# -- the small rules --------------------------------------------------------------------------------


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds("-5", now) is None
    assert retry_after_seconds(None, now) is None


def test_autothrottle_moves_toward_latency_within_bounds() -> None:
    step = {"target_concurrency": 1.0, "floor": 0.5, "ceiling": 10.0}
    assert autothrottle_delay(1.0, 4.0, answered_ok=True, **step) == 4.0  # slower: at once
    assert autothrottle_delay(4.0, 1.0, answered_ok=True, **step) == 2.5  # faster: halfway
    assert autothrottle_delay(0.6, 0.01, answered_ok=True, **step) == 0.5  # never below the floor
    assert autothrottle_delay(1.0, 60.0, answered_ok=True, **step) == 10.0  # nor above the ceiling
    assert autothrottle_delay(4.0, 0.1, answered_ok=False, **step) == 4.0  # an error never speeds up
    assert (
        autothrottle_delay(2.0, 4.0, answered_ok=True, target_concurrency=2.0, floor=0.5, ceiling=10) == 2.0
    )


def test_backoff_grows_with_jitter() -> None:
    for attempt, (low, high) in enumerate([(0.5, 1.0), (1.0, 2.0), (2.0, 4.0)], start=1):
        samples = [backoff_seconds(attempt, 1.0, 60.0) for _ in range(50)]
        assert all(low <= sample <= high for sample in samples) and len(set(samples)) > 1
    assert backoff_seconds(10, 1.0, 3.0) <= 3.0


def test_host_keys_and_decoding() -> None:
    assert host_key("https://Shop.Example/p?x=1") == "https://shop.example:443"
    assert host_key("http://[2001:db8::1]:8080/p") == "http://[2001:db8::1]:8080"
    assert host_key("ftp://shop.example/p") is None and host_key("not a url") is None
    assert decode_html("<p>ü".encode(), "text/html") == "<p>ü"
    assert decode_html(b"<p>\xfc", "text/html; charset=bogus") == "<p>\ufffd"
