"""Discover the live hosts of a registered network range: which addresses answer, their MAC address
when they share our segment, their reverse-DNS name and which of a few telling ports are open.

A host is alive when any TCP probe connects or is refused: a reset proves a machine sent it. Hosts that
drop every probe can still show up in the kernel's ARP table, which the probes themselves fill in
(the kernel ARPs for each address on the local segment before sending a SYN), so the table is read
after probing. nmap's ping sweep is added when nmap is installed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from binelek.security.checks.base import CheckError
from binelek.security.checks.network import tcp_port_state
from binelek.security.checks.nmap import NmapHost, nmap_available, nmap_ping_sweep

logger = logging.getLogger(__name__)

MAX_ADDRESSES = 1024  # a /22: larger ranges take too long to probe and are rarely one SMB site
# SSH, web, Windows file sharing and RPC, RDP, printers (IPP, JetDirect), DNS and iPhone sync: between
# them nearly every computer, server, printer and phone answers on at least one. mDNS (5353) is UDP
# and cannot be probed by connect.
DEFAULT_PROBE_PORTS: tuple[int, ...] = (22, 80, 443, 445, 139, 135, 3389, 8080, 631, 9100, 53, 62078)
ARP_TABLE = Path("/proc/net/arp")
REVERSE_DNS_TIMEOUT = 1.0
REVERSE_DNS_CONCURRENCY = 16
NMAP_SWEEP_TIMEOUT = 300.0
_ARP_COMPLETE = 0x2  # ATF_COM: the entry holds a resolved MAC address

# The ways a host was seen, strongest first; a host's `method` lists those that saw it.
METHOD_ORDER = ("tcp-connect", "tcp-rst", "arp", "nmap")


class DiscoveredHost(BaseModel):
    ip: str
    mac: str | None = None
    vendor: str | None = None  # from nmap's MAC prefix table, when nmap saw the MAC
    hostname: str | None = None
    open_ports: list[int]
    method: str  # "tcp-connect", "tcp-rst", "arp", "nmap" joined with "+" when several saw it


@dataclass
class _Sighting:
    open_ports: list[int] = field(default_factory=list)
    methods: set[str] = field(default_factory=set)
    mac: str | None = None
    vendor: str | None = None
    hostname: str | None = None


def parse_range(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The network of `cidr`, refusing anything larger than MAX_ADDRESSES addresses."""
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError as error:
        raise ValueError(f"not a network range: {cidr!r}") from error
    if network.num_addresses > MAX_ADDRESSES:
        largest = network.max_prefixlen - (MAX_ADDRESSES.bit_length() - 1)
        raise ValueError(
            f"{network} has {network.num_addresses} addresses; discovery covers at most {MAX_ADDRESSES} "
            f"(a /{largest}): split the range into smaller ones"
        )
    return network


def candidate_addresses(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[str]:
    """The addresses to probe: hosts() leaves out the network and broadcast addresses of IPv4 ranges
    (and keeps both addresses of a /31 and the one of a /32)."""
    return [str(address) for address in network.hosts()] or [str(network.network_address)]


def read_arp_table(path: Path = ARP_TABLE) -> dict[str, str]:
    """IP -> MAC of the complete entries of Linux's ARP table; empty elsewhere or when unreadable."""
    try:
        lines = path.read_text().splitlines()[1:]
    except OSError:
        return {}
    table: dict[str, str] = {}
    for line in lines:
        columns = line.split()
        if len(columns) < 4:
            continue
        ip, flags, mac = columns[0], columns[2], columns[3].lower()
        try:
            complete = int(flags, 16) & _ARP_COMPLETE
        except ValueError:
            continue
        if complete and mac != "00:00:00:00:00:00":
            table[ip] = mac
    return table


async def reverse_name(ip: str, deadline: float = REVERSE_DNS_TIMEOUT) -> str | None:
    """The host's name from reverse DNS (or /etc/hosts), None when it has none or the answer is slow."""
    loop = asyncio.get_running_loop()
    try:
        name, _ = await asyncio.wait_for(loop.getnameinfo((ip, 0), socket.NI_NAMEREQD), deadline)
    except (OSError, TimeoutError):
        return None
    return name if name and name != ip else None


async def _probe_hosts(
    addresses: Sequence[str], probe_ports: Sequence[int], connect_timeout: float, concurrency: int
) -> dict[str, _Sighting]:
    slots = asyncio.Semaphore(max(1, concurrency))
    sightings: dict[str, _Sighting] = {}

    async def probe(ip: str, port: int) -> None:
        async with slots:
            state = await tcp_port_state(ip, port, connect_timeout)
        if state == "filtered":
            return
        sighting = sightings.setdefault(ip, _Sighting())
        if state == "open":
            sighting.open_ports.append(port)
            sighting.methods.add("tcp-connect")
        else:
            sighting.methods.add("tcp-rst")

    await asyncio.gather(*(probe(ip, port) for ip in addresses for port in probe_ports))
    return sightings


async def _nmap_hosts(cidr: str) -> list[NmapHost]:
    """nmap's ping sweep, or nothing when nmap is missing or fails: it only adds to the TCP probes."""
    if await nmap_available() is None:
        return []
    try:
        return await nmap_ping_sweep(cidr, timeout=NMAP_SWEEP_TIMEOUT)
    except CheckError as error:
        logger.warning("nmap ping sweep of %s failed: %s", cidr, error)
        return []


def _merge_nmap(sightings: dict[str, _Sighting], hosts: Sequence[NmapHost], allowed: set[str]) -> None:
    for host in hosts:
        if host.ip not in allowed:
            continue
        sighting = sightings.setdefault(host.ip, _Sighting())
        sighting.methods.add("nmap")
        sighting.mac = sighting.mac or host.mac
        sighting.vendor = host.vendor
        sighting.hostname = sighting.hostname or host.hostname


def _merge_arp(sightings: dict[str, _Sighting], table: dict[str, str], allowed: set[str]) -> None:
    for ip, mac in table.items():
        if ip in allowed:
            sighting = sightings.setdefault(ip, _Sighting())
            sighting.methods.add("arp")
            sighting.mac = mac


async def _name_hosts(sightings: dict[str, _Sighting]) -> None:
    slots = asyncio.Semaphore(REVERSE_DNS_CONCURRENCY)

    async def name(ip: str, sighting: _Sighting) -> None:
        if sighting.hostname is None:
            async with slots:
                sighting.hostname = await reverse_name(ip)

    await asyncio.gather(*(name(ip, sighting) for ip, sighting in sightings.items()))


def _method(methods: set[str]) -> str:
    # A reset adds nothing once a port has connected.
    shown = [method for method in METHOD_ORDER if method in methods]
    if "tcp-connect" in shown and "tcp-rst" in shown:
        shown.remove("tcp-rst")
    return "+".join(shown)


async def discover(
    cidr: str,
    *,
    probe_ports: Sequence[int] = DEFAULT_PROBE_PORTS,
    timeout: float = 0.5,  # noqa: ASYNC109 - per probe, not a deadline for the discovery
    concurrency: int = 256,
    use_nmap: bool = True,
    resolve_names: bool = True,
    arp_table: Path = ARP_TABLE,
) -> list[DiscoveredHost]:
    """Live hosts of `cidr` (at most a /22), sorted by address."""
    network = parse_range(cidr)
    addresses = candidate_addresses(network)
    allowed = set(addresses)
    nmap_task = asyncio.ensure_future(_nmap_hosts(str(network))) if use_nmap else None
    try:
        sightings = await _probe_hosts(addresses, probe_ports, timeout, concurrency)
        nmap_found = await nmap_task if nmap_task is not None else []
    except OSError as error:
        raise CheckError(f"discovery of {network} failed: {error}", code="SCAN_FAILED") from error
    finally:
        if nmap_task is not None and not nmap_task.done():
            nmap_task.cancel()
    _merge_nmap(sightings, nmap_found, allowed)
    _merge_arp(sightings, read_arp_table(arp_table), allowed)
    if resolve_names:
        await _name_hosts(sightings)
    return [
        DiscoveredHost(
            ip=ip,
            mac=sighting.mac,
            vendor=sighting.vendor,
            hostname=sighting.hostname,
            open_ports=sorted(sighting.open_ports),
            method=_method(sighting.methods),
        )
        for ip, sighting in sorted(sightings.items(), key=lambda item: ipaddress.ip_address(item[0]))
    ]
