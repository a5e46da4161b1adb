"""Rendering JavaScript pages with the system's Chromium: a loopback shop whose prices only appear after
scripts run or a button is clicked, one that never answers, and the proxy that keeps the browser away
from private addresses."""

from __future__ import annotations

import asyncio
import struct
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.async_api import async_playwright

from binelek.marketplace.extraction import extract
from binelek.marketplace.render import GuardProxy, Renderer, Step, chromium_available

pytestmark = pytest.mark.skipif(
    not chromium_available(), reason="/usr/bin/chromium is not installed (apt-get install chromium)"
)

USER_AGENT = "BinelekPriceBot/1.0 (+https://binelek.test/bot)"
SLOW_SECONDS = 0.4

DELAYED_PRICE = """<!doctype html><html><head><title>Kettle</title></head><body>
<h1>Electric kettle</h1><img src="/photo.jpg"><span class="price" id="price"></span>
<script>setTimeout(() => { document.getElementById("price").textContent = "$19.99"; }, 250);</script>
</body></html>"""

LATE_PRICE = """<!doctype html><html><body><h1>Toaster</h1>
<script>setTimeout(() => {
  const price = document.createElement("span"); price.className = "price"; price.textContent = "$42.50";
  document.body.appendChild(price);
}, 1000);</script></body></html>"""

MOVES_ON = """<!doctype html><html><body><h1>Moved</h1>
<script>location.href = "http://127.0.0.1:9/gone";</script></body></html>"""

PRICE_BEHIND_BUTTON = """<!doctype html><html><body><h1>Blender</h1>
<button id="show-price" onclick="fetch('/api/price').then(r => r.text()).then(t => {
  document.getElementById('price').textContent = t; })">Show price</button>
<span class="price" id="price"></span></body></html>"""


@dataclass
class Shop:
    """A loopback web server answering from `pages` (path -> (status, html)), plus /slow/* (holds the
    answer SLOW_SECONDS while counting how many are held at once) and /hang (never answers)."""

    pages: dict[str, tuple[int, str]]
    server: ThreadingHTTPServer | None = None
    paths: list[str] = field(default_factory=list)
    slow_now: int = 0
    slow_most: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    release_hung: threading.Event = field(default_factory=threading.Event)
    hold_for_overlap: bool = False

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        assert self.server is not None
        return f"http://{host}:{self.server.server_port}{path}"

    def hold_slow(self) -> None:
        with self.lock:
            self.slow_now += 1
            self.slow_most = max(self.slow_most, self.slow_now)
        deadline = time.monotonic() + (10.0 if self.hold_for_overlap else SLOW_SECONDS)
        # Waiting for a second page (when a test expects overlap) rather than for a fixed time: a
        # busy machine may start the second browser page later than any fixed hold.
        while time.monotonic() < deadline:
            if self.hold_for_overlap and self.slow_most >= 2 and time.monotonic() > deadline - 9.5:
                break
            time.sleep(0.02)
        with self.lock:
            self.slow_now -= 1


class _ShopHandler(BaseHTTPRequestHandler):
    server: _ShopServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        shop = self.server.shop
        with shop.lock:
            shop.paths.append(self.path)
        if self.path == "/hang":
            shop.release_hung.wait(10)
            return
        if self.path.startswith("/slow/"):
            shop.hold_slow()
            self._send(200, "<html><body><span class='price'>$5.00</span></body></html>")
        elif self.path == "/api/price":
            self._send(200, "$89.00", "text/plain")
        else:
            self._send(*shop.pages.get(self.path, (404, "<html><body>Not found</body></html>")))

    def _send(self, status: int, body: str, content_type: str = "text/html; charset=utf-8") -> None:
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _ShopServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, shop: Shop) -> None:
        super().__init__(("127.0.0.1", 0), _ShopHandler)
        self.shop = shop


@pytest.fixture(scope="module")
def shop() -> Iterator[Shop]:
    pages = {
        "/kettle": (200, DELAYED_PRICE),
        "/toaster": (200, LATE_PRICE),
        "/blender": (200, PRICE_BEHIND_BUTTON),
        "/moved": (200, MOVES_ON),
    }
    shop = Shop(pages)
    shop.server = _ShopServer(shop)
    thread = threading.Thread(target=shop.server.serve_forever, daemon=True)
    thread.start()
    yield shop
    shop.release_hung.set()
    shop.server.shutdown()
    shop.server.server_close()


@pytest.fixture(scope="module")
async def renderer() -> AsyncIterator[Renderer]:
    renderer = Renderer(user_agent=USER_AGENT, allow_private=True, timeout_ms=8000)
    yield renderer
    await renderer.aclose()


@pytest.fixture(scope="module")
async def quick_renderer() -> AsyncIterator[Renderer]:
    renderer = Renderer(user_agent=USER_AGENT, allow_private=True, timeout_ms=1500)
    yield renderer
    await renderer.aclose()


async def test_a_price_set_by_a_script_is_in_the_rendered_html(shop: Shop, renderer: Renderer) -> None:
    rendered = await renderer.render(shop.url("/kettle"))

    assert (rendered.outcome, rendered.status, rendered.detail) == ("ok", 200, None)
    assert rendered.html is not None and "$19.99" in rendered.html
    assert rendered.final_url == shop.url("/kettle")
    assert "/photo.jpg" not in shop.paths  # images are not worth fetching to read a price
    assert extract(rendered.html, rendered.final_url).price == Decimal("19.99")


async def test_a_price_behind_a_button_needs_the_click(shop: Shop, renderer: Renderer) -> None:
    without_click = await renderer.render(shop.url("/blender"))
    clicked = await renderer.render(shop.url("/blender"), [Step("click", selector="#show-price")])

    assert without_click.outcome == "ok" and "$89.00" not in (without_click.html or "")
    assert clicked.outcome == "ok"
    assert clicked.html is not None and "$89.00" in clicked.html
    assert extract(clicked.html, clicked.final_url).price == Decimal("89.00")


async def test_steps_can_wait_for_a_late_element(shop: Shop, renderer: Renderer) -> None:
    rendered = await renderer.render(
        shop.url("/toaster"), [Step("wait_for_selector", selector=".price"), Step("scroll")]
    )

    assert rendered.outcome == "ok"
    assert rendered.html is not None and "$42.50" in rendered.html


async def test_an_error_status_is_an_http_error(shop: Shop, renderer: Renderer) -> None:
    rendered = await renderer.render(shop.url("/discontinued"))

    assert (rendered.outcome, rendered.status, rendered.detail) == ("http_error", 404, "HTTP 404")


async def test_a_page_sent_on_to_a_dead_address_is_a_navigation_error(shop: Shop, renderer: Renderer) -> None:
    rendered = await renderer.render(shop.url("/moved"))

    assert (rendered.outcome, rendered.html) == ("navigation_error", None)
    assert rendered.detail == "the page went on to an address that did not load"


async def test_bad_urls_and_steps_are_outcomes(renderer: Renderer) -> None:
    not_web = await renderer.render("file:///etc/passwd")
    no_selector = await renderer.render("http://127.0.0.1:9/", [Step("click")])

    assert not_web.outcome == "navigation_error" and not_web.html is None
    assert (no_selector.outcome, no_selector.detail) == ("navigation_error", "step 1: click needs a selector")


async def test_a_page_that_never_answers_times_out_within_the_limit(
    shop: Shop, quick_renderer: Renderer
) -> None:
    started = time.monotonic()
    rendered = await quick_renderer.render(shop.url("/hang"))
    took = time.monotonic() - started

    assert rendered.outcome == "timeout" and rendered.html is None
    assert rendered.detail == "the page did not load within 1.5 s"
    # The hung page would hold the render forever; any bound far below that proves the timeout ended
    # it. Opening a page on a loaded CI machine took over a second once, so precision is left to bench/.
    assert 1500 <= rendered.elapsed_ms < 1500 + 5000
    assert took < 1.5 + 10  # a browser start on top, however slow


async def test_a_step_that_never_finishes_times_out(shop: Shop, quick_renderer: Renderer) -> None:
    rendered = await quick_renderer.render(
        shop.url("/kettle"), [Step("wait_for_selector", selector="#never-there")]
    )

    assert rendered.outcome == "timeout"
    assert rendered.detail == "step 1 (wait_for_selector '#never-there') did not finish in time"


async def test_one_host_gets_one_page_at_a_time(shop: Shop, renderer: Renderer) -> None:
    shop.slow_most = 0
    first, second = await asyncio.gather(
        renderer.render(shop.url("/slow/a")), renderer.render(shop.url("/slow/b"))
    )

    assert first.outcome == second.outcome == "ok"
    assert shop.slow_most == 1


async def test_a_wider_per_host_cap_lets_pages_overlap_and_the_idle_browser_closes(shop: Shop) -> None:
    renderer = Renderer(user_agent=USER_AGENT, allow_private=True, per_host_pages=2, idle_seconds=0.2)
    try:
        shop.slow_most, shop.hold_for_overlap = 0, True
        try:
            results = await asyncio.gather(
                renderer.render(shop.url("/slow/c")), renderer.render(shop.url("/slow/d"))
            )
        finally:
            shop.hold_for_overlap = False
        assert [r.outcome for r in results] == ["ok", "ok"]
        assert shop.slow_most == 2  # so the test above would have seen a missing cap
        assert renderer.running

        for _ in range(40):
            if not renderer.running:
                break
            await asyncio.sleep(0.05)
        assert not renderer.running
    finally:
        await renderer.aclose()


async def test_private_targets_are_refused_unless_allowed(shop: Shop) -> None:
    renderer = Renderer(user_agent=USER_AGENT, timeout_ms=3000)
    before = len(shop.paths)
    try:
        loopback = await renderer.render(shop.url("/kettle"))
        by_name = await renderer.render(shop.url("/kettle", host="localhost"))
        link_local = await renderer.render("http://169.254.169.254/latest/meta-data/")
    finally:
        await renderer.aclose()

    assert [r.outcome for r in (loopback, by_name, link_local)] == ["refused_private"] * 3
    assert loopback.detail == "127.0.0.1 resolves to a private or reserved address (127.0.0.1)"
    assert len(shop.paths) == before
    assert not renderer.running  # refused before a browser was needed


# -- the proxy ---------------------------------------------------------------------------------------


async def _socks_connect(proxy_url: str, request: bytes) -> int:
    """Asks the proxy for a connection; returns its SOCKS5 reply code."""
    host, port = proxy_url.removeprefix("socks5://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(b"\x05\x01\x00")
        assert await reader.readexactly(2) == b"\x05\x00"
        writer.write(request)
        reply = await reader.readexactly(10)
        return reply[1]
    finally:
        writer.close()


def _by_name(host: str, port: int) -> bytes:
    return b"\x05\x01\x00\x03" + bytes([len(host)]) + host.encode() + struct.pack("!H", port)


def _by_ipv4(address: str, port: int) -> bytes:
    return b"\x05\x01\x00\x01" + bytes(int(part) for part in address.split(".")) + struct.pack("!H", port)


@pytest.fixture
async def guard() -> AsyncIterator[Callable[[bool], GuardProxy]]:
    started: list[GuardProxy] = []

    def make(allow_private: bool) -> GuardProxy:
        proxy = GuardProxy(allow_private=allow_private)
        started.append(proxy)
        return proxy

    yield make
    for proxy in started:
        await proxy.aclose()


async def test_the_proxy_refuses_private_addresses_and_relays_allowed_ones(
    shop: Shop, guard: Callable[[bool], GuardProxy]
) -> None:
    strict, lenient = guard(False), guard(True)
    await strict.start()
    await lenient.start()
    assert shop.server is not None
    port = shop.server.server_port
    loop_time = asyncio.get_running_loop().time()

    assert await _socks_connect(strict.url, _by_ipv4("127.0.0.1", port)) == 2  # not allowed by ruleset
    assert await _socks_connect(strict.url, _by_name("localhost", port)) == 2
    assert strict.refusal_since("localhost", loop_time) is not None
    assert await _socks_connect(lenient.url, _by_name("localhost", port)) == 0
    assert await _socks_connect(lenient.url, b"\x05\x02\x00\x01" + bytes(6)) == 7  # BIND: unsupported


async def test_the_browser_cannot_reach_loopback_around_the_proxy(
    shop: Shop, guard: Callable[[bool], GuardProxy]
) -> None:
    """Chromium normally skips proxies for loopback; a page (not just its main document) must still be
    held to the proxy's rule, whatever name it uses."""
    proxy = guard(False)
    await proxy.start()
    before = len(shop.paths)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=proxy.chromium_args()
        )
        page = await browser.new_page()
        await page.set_content("<p>offline page</p>")
        results = [
            await page.evaluate(
                "url => fetch(url).then(() => 'fetched', () => 'failed')", shop.url("/kettle", host)
            )
            for host in ("127.0.0.1", "localhost")
        ]
        await browser.close()

    assert results == ["failed", "failed"]
    assert len(shop.paths) == before
