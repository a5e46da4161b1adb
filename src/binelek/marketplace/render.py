"""Rendering pages that only show their price after JavaScript runs, with the system's Chromium.

Playwright drives `/usr/bin/chromium` (never a downloaded browser). One browser serves the process:
it starts on the first render and closes after a quiet spell; each render gets its own browser context
(fresh cookies and storage) and page. Pages are capped overall and per host, so a slow shop is never
hit by several pages at once.

Every connection the browser makes goes through a small SOCKS5 proxy of ours on loopback, which
resolves the name itself, refuses private, loopback and link-local addresses (unless private targets
are allowed) and connects to the very address it checked. Filtering in a `page.route` handler alone
would not be enough: Playwright does not call the handler for redirect hops, WebSockets bypass it, and
Chromium would resolve the name again after the check (DNS rebinding). The browser is started with
its own resolver disabled, so it cannot connect anywhere the proxy did not approve. The route handler
only drops heavy resources (images, media, fonts) and non-web schemes, which keeps renders fast.

Failures are outcomes (`Rendered.outcome`), never exceptions: a check that cannot render a page
records why and moves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import socket
import struct
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import structlog
from playwright.async_api import Browser, Page, Playwright, Request, Route, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

log = structlog.get_logger(__name__)

StepAction = Literal["click", "wait_for_selector", "wait_ms", "scroll"]
Outcome = Literal["ok", "timeout", "http_error", "refused_private", "navigation_error"]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_EXECUTABLE = "/usr/bin/chromium"
BLOCKED_RESOURCE_TYPES = frozenset({"image", "media", "font"})
# data: and blob: never reach the network; anything else that is not http(s) (file:, ftp:, ...) must not
# be read on the server's behalf.
ALLOWED_SCHEMES = frozenset({"http", "https", "data", "blob"})
SETTLE_AFTER_ACTION_MS = 1500  # a click or scroll often fetches what it reveals
QUIET_SECONDS = 0.5  # no request in flight for this long: the page's scripts are done fetching
QUIET_POLL_SECONDS = 0.05
LAUNCH_TIMEOUT_MS = 30000
TIMEOUT_GRACE_SECONDS = 1.0  # Playwright's own timeouts fire first; ours only catches a stuck call
RESOLVE_SECONDS = 10.0
SOCKS_HANDSHAKE_SECONDS = 10.0
SOCKS_CONNECT_SECONDS = 10.0
SOCKS_BUFFER_BYTES = 65536
REMEMBERED_REFUSALS = 256


@dataclass(frozen=True)
class Step:
    """One interaction after the page has loaded: click an element, wait for one to appear, wait a
    number of milliseconds, or scroll (to an element, else to the bottom of the page)."""

    action: StepAction
    selector: str | None = None
    ms: int | None = None

    def problem(self) -> str | None:
        """Why this step cannot run, or None. Steps come from user input, so a bad one is an outcome."""
        if self.action in ("click", "wait_for_selector") and not self.selector:
            return f"{self.action} needs a selector"
        if self.action == "wait_ms" and (self.ms is None or self.ms < 0):
            return "wait_ms needs a number of milliseconds"
        return None

    def describe(self) -> str:
        target = repr(self.selector) if self.selector else (f"{self.ms} ms" if self.ms is not None else "")
        return f"{self.action} {target}".strip()


@dataclass(frozen=True)
class Rendered:
    """What a render found. `html` is the rendered document when the page loaded (`ok`, and also
    `http_error`, whose body can explain the refusal); None otherwise. `elapsed_ms` is the page's own
    time: queueing behind other pages and starting the browser are left out."""

    url: str
    final_url: str
    status: int | None
    html: str | None
    elapsed_ms: float
    outcome: Outcome
    detail: str | None


def chromium_available(executable_path: str = DEFAULT_EXECUTABLE) -> bool:
    return os.path.isfile(executable_path) and os.access(executable_path, os.X_OK)


# -- address policy ---------------------------------------------------------------------------------


def is_public_address(address: IPAddress) -> bool:
    # ::ffff:127.0.0.1 reaches 127.0.0.1, so a mapped address is judged by the IPv4 address it carries.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


class TargetRefused(Exception):
    """The host resolves to an address the renderer must not connect to."""


async def resolve_target(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """The addresses to try for host:port. Raises TargetRefused when any of them is not public (a name
    with both kinds of answers could be steered to the private one), OSError when it does not resolve."""
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(host)]
    except ValueError:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not allow_private:
        blocked = [address for address in addresses if not is_public_address(address)]
        if blocked:
            raise TargetRefused(f"{host} resolves to a private or reserved address ({blocked[0]})")
    return addresses


# -- the proxy every browser connection goes through ------------------------------------------------

SOCKS_VERSION = 5
SOCKS_NO_AUTH = 0
SOCKS_NO_ACCEPTABLE_METHOD = 0xFF
SOCKS_CONNECT = 1
SOCKS_IPV4, SOCKS_DOMAIN, SOCKS_IPV6 = 1, 3, 4
SOCKS_SUCCEEDED = 0
SOCKS_NOT_ALLOWED = 2
SOCKS_HOST_UNREACHABLE = 4
SOCKS_CONNECTION_REFUSED = 5
SOCKS_COMMAND_NOT_SUPPORTED = 7
SOCKS_ADDRESS_NOT_SUPPORTED = 8


class _SocksRequestError(Exception):
    def __init__(self, reply_code: int) -> None:
        super().__init__(reply_code)
        self.reply_code = reply_code


class GuardProxy:
    """A CONNECT-only SOCKS5 server (RFC 1928, no authentication) bound to 127.0.0.1 on an ephemeral
    port. It reaches only public addresses unless `allow_private`, so even though any local process
    could use it, it offers nothing a local process could not reach directly. Refusals are remembered
    briefly so a failed navigation can be reported as `refused_private`."""

    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._refusals: dict[str, tuple[float, str]] = {}

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the proxy first"
        port = self._server.sockets[0].getsockname()[1]
        return f"socks5://127.0.0.1:{port}"

    def chromium_args(self) -> list[str]:
        """Switches that send every connection through this proxy. Chromium skips the proxy for
        loopback unless told otherwise, and must not resolve names itself (that would let a page time
        a rebinding attack against our check)."""
        return [
            f"--proxy-server={self.url}",
            "--proxy-bypass-list=<-loopback>",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--disable-quic",
            "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        ]

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def aclose(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for handler in list(self._handlers):
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        # Our own task rather than a coroutine callback: asyncio (3.11) logs a handler cancelled at
        # shutdown as an error, and we need the tasks to cancel them.
        handler = asyncio.get_running_loop().create_task(self._serve(client_reader, client_writer))
        self._handlers.add(handler)
        handler.add_done_callback(self._handlers.discard)

    def refusal_since(self, host: str, since: float) -> str | None:
        """Why connections to `host` were refused at or after loop time `since`, if they were."""
        entry = self._refusals.get(_normalise_host(host))
        return entry[1] if entry is not None and entry[0] >= since else None

    def _remember_refusal(self, host: str, reason: str) -> None:
        key = _normalise_host(host)
        self._refusals.pop(key, None)
        self._refusals[key] = (asyncio.get_running_loop().time(), reason)
        while len(self._refusals) > REMEMBERED_REFUSALS:
            del self._refusals[next(iter(self._refusals))]

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            async with asyncio.timeout(SOCKS_HANDSHAKE_SECONDS):
                host, port = await self._read_request(client_reader, client_writer)
                upstream_reader, upstream_writer = await self._connect(host, port)
            client_writer.write(_socks_reply(SOCKS_SUCCEEDED))
            await client_writer.drain()
            await _relay(client_reader, client_writer, upstream_reader, upstream_writer)
        except _SocksRequestError as exc:
            with contextlib.suppress(OSError):
                client_writer.write(_socks_reply(exc.reply_code))
                await client_writer.drain()
        except (OSError, TimeoutError, asyncio.IncompleteReadError, UnicodeError):
            pass  # the browser went away or spoke nonsense: nothing to report to anyone
        finally:
            for writer in (client_writer, upstream_writer):
                if writer is not None:
                    writer.close()

    async def _read_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[str, int]:
        version, method_count = await reader.readexactly(2)
        methods = await reader.readexactly(method_count)
        if version != SOCKS_VERSION or SOCKS_NO_AUTH not in methods:
            writer.write(bytes([SOCKS_VERSION, SOCKS_NO_ACCEPTABLE_METHOD]))
            raise OSError("the client offered no usable SOCKS5 method")
        writer.write(bytes([SOCKS_VERSION, SOCKS_NO_AUTH]))
        await writer.drain()
        version, command, _reserved, address_type = await reader.readexactly(4)
        if address_type == SOCKS_IPV4:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif address_type == SOCKS_IPV6:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        elif address_type == SOCKS_DOMAIN:
            length = (await reader.readexactly(1))[0]
            host = (await reader.readexactly(length)).decode("ascii")
        else:
            raise _SocksRequestError(SOCKS_ADDRESS_NOT_SUPPORTED)
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if version != SOCKS_VERSION or command != SOCKS_CONNECT:
            raise _SocksRequestError(SOCKS_COMMAND_NOT_SUPPORTED)
        return host, port

    async def _connect(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            addresses = await resolve_target(host, port, allow_private=self._allow_private)
        except TargetRefused as exc:
            self._remember_refusal(host, str(exc))
            log.info("render.connection_refused", host=host, port=port, reason=str(exc))
            raise _SocksRequestError(SOCKS_NOT_ALLOWED) from None
        except OSError:
            raise _SocksRequestError(SOCKS_HOST_UNREACHABLE) from None
        for address in addresses:
            try:
                async with asyncio.timeout(SOCKS_CONNECT_SECONDS):
                    # The checked address itself, never the name: a second lookup could answer otherwise.
                    return await asyncio.open_connection(str(address), port)
            except (OSError, TimeoutError):
                continue
        raise _SocksRequestError(SOCKS_CONNECTION_REFUSED)


def _socks_reply(code: int) -> bytes:
    # The bound address is of no use to Chromium, so it is always reported as 0.0.0.0:0.
    return bytes([SOCKS_VERSION, code, 0, SOCKS_IPV4]) + bytes(6)


def _normalise_host(host: str) -> str:
    host = host.strip("[]").lower()
    with contextlib.suppress(ValueError):
        return str(ipaddress.ip_address(host))
    return host


async def _relay(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    upstream_reader: asyncio.StreamReader,
    upstream_writer: asyncio.StreamWriter,
) -> None:
    """Copies both ways until either side hangs up or fails. Browsers never half-close a connection,
    and waiting on the other direction would let a server that never hangs up keep the relay forever;
    the caller's close() still flushes whatever was already copied."""
    copies = {
        asyncio.create_task(_copy(client_reader, upstream_writer)),
        asyncio.create_task(_copy(upstream_reader, client_writer)),
    }
    try:
        await asyncio.wait(copies, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for copy in copies:
            copy.cancel()
        await asyncio.gather(*copies, return_exceptions=True)


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while chunk := await reader.read(SOCKS_BUFFER_BYTES):
        writer.write(chunk)
        await writer.drain()


# -- the renderer -----------------------------------------------------------------------------------


@dataclass
class _HostTurns:
    pages: asyncio.Semaphore
    waiting_or_running: int = 0


class Renderer:
    """One browser per process, started lazily; a page per render; at most `per_host_pages` pages open
    per host and `max_pages` overall; closes idle browser after `idle_seconds`.

    `timeout_ms` bounds one render from navigation to the last step. After the DOM is ready the page
    gets up to `settle_ms` to go quiet on the network (so scripts can fill in prices), and then the
    steps run in order."""

    def __init__(
        self,
        *,
        executable_path: str = DEFAULT_EXECUTABLE,
        max_pages: int = 4,
        per_host_pages: int = 1,
        user_agent: str,
        timeout_ms: int = 20000,
        allow_private: bool = False,
        idle_seconds: float = 300.0,
        settle_ms: int = 2000,
    ) -> None:
        if max_pages < 1 or per_host_pages < 1 or timeout_ms < 1:
            raise ValueError("max_pages, per_host_pages and timeout_ms must be positive")
        self._executable_path = executable_path
        self._per_host_pages = per_host_pages
        self._user_agent = user_agent
        self._timeout_ms = timeout_ms
        self._allow_private = allow_private
        self._idle_seconds = idle_seconds
        self._settle_ms = settle_ms
        self._pages = asyncio.Semaphore(max_pages)
        self._host_turns: dict[str, _HostTurns] = {}
        self._browser_lock = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._guard: GuardProxy | None = None
        self._active_renders = 0
        self._idle_timer: asyncio.TimerHandle | None = None
        self._idle_closes: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> bool:
        """Whether a browser is up right now (it starts on demand and stops when idle)."""
        return self._browser is not None and self._browser.is_connected()

    async def render(self, url: str, steps: Sequence[Step] = ()) -> Rendered:
        started = time.monotonic()
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            return _failure(url, started, "navigation_error", f"{url!r} is not an http(s) URL")
        bad_step = next(((i, s.problem()) for i, s in enumerate(steps, 1) if s.problem()), None)
        if bad_step is not None:
            return _failure(url, started, "navigation_error", f"step {bad_step[0]}: {bad_step[1]}")
        refused = await self._check_target(url, started)
        if refused is not None:
            return refused
        self._active_renders += 1
        self._disarm_idle_timer()
        try:
            async with self._host_turn(host), self._pages:
                return await self._render_in_new_page(url, steps)
        finally:
            self._active_renders -= 1
            if self._active_renders == 0:
                self._arm_idle_timer()

    async def aclose(self) -> None:
        self._disarm_idle_timer()
        if self._idle_closes:
            await asyncio.gather(*self._idle_closes, return_exceptions=True)
        async with self._browser_lock:
            await self._shut_down_browser()

    # -- one render ---------------------------------------------------------------------------------

    async def _check_target(self, url: str, started: float) -> Rendered | None:
        """Refuses a private target before a browser is even started. The proxy enforces the same rule
        for every connection, redirects included; this only gives the common case a clear answer."""
        parts = urlsplit(url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            async with asyncio.timeout(RESOLVE_SECONDS):
                await resolve_target(parts.hostname or "", port, allow_private=self._allow_private)
        except TargetRefused as exc:
            return _failure(url, started, "refused_private", str(exc))
        except TimeoutError:
            return _failure(
                url, started, "timeout", f"{parts.hostname} did not resolve in {RESOLVE_SECONDS:g} s"
            )
        except (OSError, ValueError) as exc:
            return _failure(url, started, "navigation_error", f"cannot resolve {parts.hostname}: {exc}")
        return None

    async def _render_in_new_page(self, url: str, steps: Sequence[Step]) -> Rendered:
        started = time.monotonic()
        try:
            browser, guard = await self._running_browser()
            started = time.monotonic()  # a browser start is the process's cost, not this page's
            context = await browser.new_context(
                user_agent=self._user_agent, service_workers="block", accept_downloads=False
            )
        except PlaywrightError as exc:
            return _failure(url, started, "navigation_error", f"the browser is unavailable: {_message(exc)}")
        try:
            page = await context.new_page()
            page.set_default_timeout(self._timeout_ms)
            await page.route("**/*", _filter_request)
            return await self._drive(page, guard, url, steps, started)
        except PlaywrightError as exc:  # the browser died under us
            return _failure(url, started, "navigation_error", _message(exc))
        finally:
            with contextlib.suppress(PlaywrightError):
                await context.close()

    async def _drive(
        self, page: Page, guard: GuardProxy, url: str, steps: Sequence[Step], started: float
    ) -> Rendered:
        loop = asyncio.get_running_loop()
        loop_started = loop.time()
        deadline = loop_started + self._timeout_ms / 1000
        network = _NetworkWatch(page)
        phase = f"the page did not load within {self._timeout_ms / 1000:g} s"
        try:
            async with asyncio.timeout_at(deadline + TIMEOUT_GRACE_SECONDS):
                response = await page.goto(url, wait_until="domcontentloaded", timeout=_left_ms(deadline))
                status = response.status if response is not None else None
                if status is not None and status >= 400:
                    html = await page.content()
                    return self._result(url, page, started, status, html, "http_error", f"HTTP {status}")
                await network.quiet(min(self._settle_ms, _left_ms(deadline)))
                for number, step in enumerate(steps, 1):
                    phase = f"step {number} ({step.describe()}) did not finish in time"
                    await self._run_step(page, network, step, deadline)
                phase = "the page did not finish in time"
                html = await page.content()
        except (PlaywrightTimeoutError, TimeoutError):
            return self._result(url, page, started, None, None, "timeout", phase)
        except PlaywrightError as exc:
            return self._navigation_failed(url, page, guard, network, started, loop_started, _message(exc))
        if page.url.startswith("chrome-error:"):
            # A script (or meta refresh) sent the page on to an address that failed: what is left is
            # Chromium's error page, not the product.
            detail = "the page went on to an address that did not load"
            return self._navigation_failed(url, page, guard, network, started, loop_started, detail)
        return self._result(url, page, started, status, html, "ok", None)

    def _navigation_failed(
        self,
        url: str,
        page: Page,
        guard: GuardProxy,
        network: _NetworkWatch,
        started: float,
        loop_started: float,
        detail: str,
    ) -> Rendered:
        """A failed navigation, reported as refused_private when the proxy refused where it was going."""
        target = urlsplit(network.navigations[-1] if network.navigations else url).hostname or ""
        reason = guard.refusal_since(target, loop_started)
        if reason is not None:
            return self._result(url, page, started, None, None, "refused_private", reason)
        return self._result(url, page, started, None, None, "navigation_error", detail)

    async def _run_step(self, page: Page, network: _NetworkWatch, step: Step, deadline: float) -> None:
        selector = step.selector or ""
        if step.action == "click":
            await page.click(selector, timeout=_left_ms(deadline))
            await network.quiet(min(SETTLE_AFTER_ACTION_MS, _left_ms(deadline)), since_now=True)
        elif step.action == "wait_for_selector":
            # "attached", not "visible": the price only has to be in the HTML we hand on.
            await page.wait_for_selector(selector, state="attached", timeout=_left_ms(deadline))
        elif step.action == "wait_ms":
            wanted = (step.ms or 0) / 1000
            left = deadline - asyncio.get_running_loop().time()
            await asyncio.sleep(max(0.0, min(wanted, left)))
            if wanted > left:
                raise TimeoutError
        elif step.selector:
            await page.locator(selector).first.scroll_into_view_if_needed(timeout=_left_ms(deadline))
            await network.quiet(min(SETTLE_AFTER_ACTION_MS, _left_ms(deadline)), since_now=True)
        else:
            await page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
            await network.quiet(min(SETTLE_AFTER_ACTION_MS, _left_ms(deadline)), since_now=True)

    def _result(
        self,
        url: str,
        page: Page,
        started: float,
        status: int | None,
        html: str | None,
        outcome: Outcome,
        detail: str | None,
    ) -> Rendered:
        final_url = page.url if page.url.startswith(("http://", "https://")) else url
        elapsed_ms = (time.monotonic() - started) * 1000
        return Rendered(url, final_url, status, html, elapsed_ms, outcome, detail)

    @contextlib.asynccontextmanager
    async def _host_turn(self, host: str) -> AsyncIterator[None]:
        turns = self._host_turns.get(host)
        if turns is None:
            turns = self._host_turns[host] = _HostTurns(asyncio.Semaphore(self._per_host_pages))
        turns.waiting_or_running += 1
        try:
            async with turns.pages:
                yield
        finally:
            turns.waiting_or_running -= 1
            if turns.waiting_or_running == 0:
                del self._host_turns[host]

    # -- the browser's lifetime ---------------------------------------------------------------------

    async def _running_browser(self) -> tuple[Browser, GuardProxy]:
        async with self._browser_lock:
            if self._browser is not None and self._guard is not None and self._browser.is_connected():
                return self._browser, self._guard
            await self._shut_down_browser()  # whatever is left of a browser that crashed
            try:
                self._guard = GuardProxy(allow_private=self._allow_private)
                await self._guard.start()
                self._playwright = await async_playwright().start()
                self._browser = await self._launch(self._playwright, self._guard)
            except BaseException:
                await self._shut_down_browser()
                raise
            return self._browser, self._guard

    async def _launch(self, playwright: Playwright, guard: GuardProxy) -> Browser:
        args = ["--disable-dev-shm-usage", *guard.chromium_args()]
        # Chromium's sandbox refuses to run as root; elsewhere it is worth having for hostile pages,
        # but containers often lack the user namespaces it needs, so its absence is tolerated.
        sandbox = os.geteuid() != 0
        try:
            return await playwright.chromium.launch(
                executable_path=self._executable_path,
                headless=True,
                args=args,
                chromium_sandbox=sandbox,
                timeout=LAUNCH_TIMEOUT_MS,
            )
        except PlaywrightError as exc:
            if not sandbox:
                raise
            log.warning("render.sandbox_unavailable", error=_message(exc))
            return await playwright.chromium.launch(
                executable_path=self._executable_path,
                headless=True,
                args=args,
                chromium_sandbox=False,
                timeout=LAUNCH_TIMEOUT_MS,
            )

    async def _shut_down_browser(self) -> None:
        browser, playwright, guard = self._browser, self._playwright, self._guard
        self._browser = self._playwright = self._guard = None
        if browser is not None:
            with contextlib.suppress(PlaywrightError):
                await browser.close()
        if playwright is not None:
            with contextlib.suppress(PlaywrightError):
                await playwright.stop()
        if guard is not None:
            await guard.aclose()

    def _arm_idle_timer(self) -> None:
        self._disarm_idle_timer()
        self._idle_timer = asyncio.get_running_loop().call_later(self._idle_seconds, self._on_idle)

    def _disarm_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _on_idle(self) -> None:
        self._idle_timer = None
        if self._active_renders == 0 and self._browser is not None:
            task = asyncio.get_running_loop().create_task(self._close_if_still_idle())
            self._idle_closes.add(task)
            task.add_done_callback(self._idle_closes.discard)

    async def _close_if_still_idle(self) -> None:
        async with self._browser_lock:
            # A render that began since the timer fired is waiting for this lock; it will start anew.
            if self._active_renders == 0:
                await self._shut_down_browser()


# -- helpers ----------------------------------------------------------------------------------------


class _NetworkWatch:
    """The requests one page has in flight, to tell when its scripts have stopped fetching. Playwright's
    "networkidle" fires once per page load, so it cannot say whether what a click set off is done."""

    def __init__(self, page: Page) -> None:
        self._page = page
        self._in_flight: set[Request] = set()
        self._last_change = asyncio.get_running_loop().time()
        self.navigations: list[str] = []  # main-frame documents asked for, redirect hops included
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    async def quiet(self, budget_ms: float, *, since_now: bool = False) -> None:
        """Waits until no request has been in flight for QUIET_SECONDS, or `budget_ms` is spent: a page
        that never goes quiet (polling, beacons) is read as it is. `since_now` counts the quiet spell
        from now, for an action whose requests have not been reported yet."""
        loop = asyncio.get_running_loop()
        if since_now:
            self._last_change = loop.time()
        give_up = loop.time() + budget_ms / 1000
        while loop.time() < give_up:
            if not self._in_flight and loop.time() - self._last_change >= QUIET_SECONDS:
                return
            await asyncio.sleep(QUIET_POLL_SECONDS)

    def _started(self, request: Request) -> None:
        self._in_flight.add(request)
        self._last_change = asyncio.get_running_loop().time()
        if request.is_navigation_request():
            with contextlib.suppress(PlaywrightError):  # a worker's request has no frame
                if request.frame == self._page.main_frame:
                    self.navigations.append(request.url)

    def _ended(self, request: Request) -> None:
        self._in_flight.discard(request)
        self._last_change = asyncio.get_running_loop().time()


async def _filter_request(route: Route) -> None:
    request = route.request
    scheme = urlsplit(request.url).scheme
    with contextlib.suppress(PlaywrightError):  # the page may close while requests are in flight
        if request.resource_type in BLOCKED_RESOURCE_TYPES or scheme not in ALLOWED_SCHEMES:
            await route.abort("blockedbyclient")
        else:
            await route.continue_()


def _left_ms(deadline: float) -> float:
    """Milliseconds left before `deadline` (loop time). Raises TimeoutError when none are: Playwright
    reads a timeout of 0 as "wait forever"."""
    left = (deadline - asyncio.get_running_loop().time()) * 1000
    if left < 1:
        raise TimeoutError
    return left


def _failure(url: str, started: float, outcome: Outcome, detail: str) -> Rendered:
    return Rendered(url, url, None, None, (time.monotonic() - started) * 1000, outcome, detail)


def _message(exc: BaseException) -> str:
    """The first line of a Playwright error, without the API name it starts with ("Page.goto: ")."""
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    name, separator, rest = first_line.partition(": ")
    return rest if separator and "." in name and " " not in name else first_line
