"""Server-side request forgery guard for outgoing HTTP: the marketplace fetcher and outgoing webhooks.

A target whose name resolves to any private, loopback, link-local or otherwise non-public address is
refused unless `allow_private` (or the host or network is listed in `allowed_private`). The check runs
when a connection is opened: `GuardedTransport` resolves the name itself, checks every address and
connects to the checked one (TLS still verifies the certificate and sends SNI for the name), so a DNS
answer that changes between a check and the connection cannot point it inward. Redirects are the
caller's business: each hop opens its own connection, so each is checked again here.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(httpx.ConnectError):
    """The target resolves to an address we must not connect to."""


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address: not private, loopback, link-local, shared (CGNAT),
    reserved, unspecified or multicast. IPv4-mapped IPv6 addresses are judged by their IPv4 part."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def listed(address: IPAddress, host: str, allowed: Iterable[str]) -> bool:
    for entry in allowed:
        if entry.strip().lower() == host.lower():
            return True
        with contextlib.suppress(ValueError):
            if address in ipaddress.ip_network(entry.strip(), strict=False):
                return True
    return False


async def checked_addresses(
    host: str, port: int, *, allow_private: bool, allowed_private: Iterable[str] = ()
) -> list[str]:
    """Every address `host` resolves to, when all of them may be fetched; TargetRefused when one
    may not (a name with one private address among public ones is refused: the resolver, not we,
    would pick which one is used), httpx.ConnectError when it does not resolve."""
    addresses = await _resolve(host, port)
    if not allow_private:
        allowed = tuple(allowed_private)
        for text in addresses:
            address = ipaddress.ip_address(text)
            if not is_public(address) and not listed(address, host, allowed):
                where = f"{host} is" if text == host else f"{host} resolves to {address},"
                raise TargetRefused(
                    f"{where} a private, loopback or link-local address; fetching it is refused "
                    "(set BINELEK_ALLOW_PRIVATE_TARGETS to allow it)"
                )
    return addresses


async def _resolve(host: str, port: int) -> list[str]:
    with contextlib.suppress(ValueError):
        return [str(ipaddress.ip_address(host))]  # a literal address needs no resolver round trip
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise httpx.ConnectError(f"cannot resolve {host}: {exc.strerror}") from None
    addresses: list[str] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # an IPv6 scope id is not part of the address
        if text not in addresses:
            addresses.append(text)
    return addresses


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens connections only to checked addresses: resolves the name itself and connects to the
    address it checked, so the check and the connection see the same DNS answer."""

    def __init__(self, *, allow_private: bool, allowed_private: tuple[str, ...]) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_private = allow_private
        self._allowed_private = allowed_private

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await checked_addresses(
            host, port, allow_private=self._allow_private, allowed_private=self._allowed_private
        )
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport (HTTP/1.1, HTTP/2 when the server offers it over TLS) whose connections
    go only to checked addresses."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        allowed_private: tuple[str, ...] = (),
        verify: ssl.SSLContext | bool = True,
        http2: bool = True,
        limits: httpx.Limits | None = None,
    ) -> None:
        limits = limits or httpx.Limits(
            max_connections=100, max_keepalive_connections=50, keepalive_expiry=30
        )
        ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)
        super().__init__(verify=ssl_context, http2=http2, limits=limits, trust_env=False)
        # httpx takes no network backend, so its pool is replaced by one that has ours (same options).
        if not hasattr(self, "_pool"):
            raise RuntimeError("httpx changed: GuardedTransport needs its connection pool")
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=_GuardedBackend(allow_private=allow_private, allowed_private=allowed_private),
        )
