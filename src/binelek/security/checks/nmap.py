"""Port scans and ping sweeps through the nmap binary, when the machine has it.

nmap is run as a subprocess and its XML output parsed here: nmap's licence forbids linking it into
non-GPL programs and the python-nmap wrapper is GPL, so Binelek only executes the binary the operator
installed. Arguments are passed as a list (never through a shell) and targets are validated so that
nothing can be read as an nmap option.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import re
import shutil
import time

# The XML comes from the local nmap binary this module runs, not from the network or a user upload,
# so the standard parser is enough (no defusedxml).
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping, Sequence

from pydantic import BaseModel

from binelek.security.checks.base import CheckError
from binelek.security.checks.network import (
    RISKY_SERVICES,
    SERVICE_NAMES,
    PortResult,
    PortScanReport,
    RiskEntry,
    classify,
    format_port_spec,
    normalise_ports,
)

# A host name, an IPv4/IPv6 address, a CIDR or an nmap octet range (192.168.1.10-20). The first
# character may not be "-": nmap would take the target for an option (-iL /etc/shadow).
_TARGET = re.compile(r"^[A-Za-z0-9_.:\[\]][A-Za-z0-9_.:\-/\[\]]{0,252}$")
_VERSION = re.compile(r"Nmap version (\S+)")

# nmap's service names for the services RISKY_SERVICES knows by friendlier names.
NMAP_SERVICE_ALIASES: dict[str, str] = {
    "domain": "dns",
    "microsoft-ds": "smb",
    "netbios-ssn": "netbios",
    "ms-wbt-server": "rdp",
    "ms-sql-s": "mssql",
    "oracle-tns": "oracle",
    "mongod": "mongodb",
    "postgres": "postgresql",
    "vnc-http": "vnc-http",
    "wsman": "winrm",
    "wsmans": "winrm-https",
    "X11": "x11",
    "exec": "rexec",
    "login": "rlogin",
    "shell": "rsh",
    "nfs_acl": "nfs",
    "docker": "docker",
    "cwmp": "tr-069",
    "ajp13": "ajp",
    "mysqlx": "mysql",
}

NMAP_SCAN_TIMEOUT = 600.0


class NmapHost(BaseModel):
    """One live host of a ping sweep (`nmap -sn`)."""

    ip: str
    mac: str | None = None
    vendor: str | None = None  # from the MAC prefix, when nmap saw the MAC (same segment, as root)
    hostname: str | None = None
    reason: str | None = None  # arp-response, echo-reply, syn-ack, reset...


def validate_target(target: str) -> str:
    target = target.strip()
    if not _TARGET.match(target):
        raise ValueError(f"not a host, address or range nmap can scan: {target!r}")
    return target


async def nmap_available() -> str | None:
    """nmap's version when the binary is on PATH and runs, else None."""
    binary = shutil.which("nmap")
    if binary is None:
        return None
    try:
        output = await _run([binary, "--version"], 10.0)
    except CheckError:
        return None
    match = _VERSION.search(output)
    return match.group(1) if match else "unknown"


async def _run(arguments: list[str], deadline: float) -> str:
    process = await asyncio.create_subprocess_exec(
        *arguments,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), deadline)
    except TimeoutError as error:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise CheckError(f"nmap did not finish within {deadline:.0f} s", code="TIMEOUT") from error
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        raise
    if process.returncode != 0:
        message = stderr.decode(errors="replace").strip()[-500:] or f"exit status {process.returncode}"
        raise CheckError(f"nmap failed: {message}", code="NMAP_FAILED")
    return stdout.decode(errors="replace")


def _binary() -> str:
    binary = shutil.which("nmap")
    if binary is None:
        raise CheckError("nmap is not installed", code="NMAP_MISSING")
    return binary


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


async def nmap_scan(
    target: str,
    ports: Sequence[int],
    *,
    timeout: float = NMAP_SCAN_TIMEOUT,  # noqa: ASYNC109 - kills the nmap process when it runs over
    os_detection: bool = False,
    risky_services: Mapping[int, RiskEntry] = RISKY_SERVICES,
) -> list[PortScanReport]:
    """Service-version scan of `ports` on `target` (a host, a range or a CIDR); one report per live
    host. OS detection needs raw sockets, so it is only asked for when running as root."""
    port_list = normalise_ports(ports)
    arguments = [_binary(), "-oX", "-", "-sV", "-Pn", "-p", format_port_spec(port_list)]
    if os_detection and _is_root():
        arguments.append("-O")
    arguments.append(validate_target(target))
    started = time.perf_counter()
    output = await _run(arguments, timeout)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return parse_nmap_xml(output, port_list, elapsed_ms=elapsed_ms, risky_services=risky_services)


async def nmap_ping_sweep(
    target: str,
    *,
    timeout: float = NMAP_SCAN_TIMEOUT,  # noqa: ASYNC109 - kills the nmap process when it runs over
) -> list[NmapHost]:
    """Live hosts of a range without port scanning (`nmap -sn`): ARP on the local segment as root,
    ICMP and TCP pings otherwise."""
    output = await _run([_binary(), "-oX", "-", "-sn", validate_target(target)], timeout)
    return parse_nmap_sweep(output)


# --- XML parsing ----------------------------------------------------------------------------------------


def _parse_document(xml_text: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(xml_text)  # noqa: S314 - produced by the local nmap binary
    except ElementTree.ParseError as error:
        raise CheckError(f"nmap output is not valid XML: {error}", code="NMAP_OUTPUT") from error


def _is_up(host: ElementTree.Element) -> bool:
    status = host.find("status")
    return status is not None and status.get("state") == "up"


def _address(host: ElementTree.Element, *kinds: str) -> str | None:
    for address in host.findall("address"):
        if address.get("addrtype") in kinds:
            return address.get("addr")
    return None


def _hostname(host: ElementTree.Element) -> str | None:
    """The name the user gave (type "user") before the reverse-DNS one (type "PTR")."""
    names = host.findall("hostnames/hostname")
    names.sort(key=lambda name: name.get("type") != "user")
    return names[0].get("name") if names else None


def _service_name(raw: str | None, port: int) -> str | None:
    if raw is None or raw == "unknown":
        return SERVICE_NAMES.get(port)
    if raw in NMAP_SERVICE_ALIASES:
        return NMAP_SERVICE_ALIASES[raw]
    return raw


def _port_result(port_element: ElementTree.Element, risky_services: Mapping[int, RiskEntry]) -> PortResult:
    port = int(port_element.get("portid", "0"))
    protocol = "udp" if port_element.get("protocol") == "udp" else "tcp"
    service_element = port_element.find("service")
    attributes = service_element.attrib if service_element is not None else {}
    # nmap names tunnelled services "https" only through the tunnel attribute.
    raw_name = attributes.get("name")
    if raw_name == "http" and attributes.get("tunnel") == "ssl":
        raw_name = "https"
    service = _service_name(raw_name, port)
    risk = classify(port, service, risky_services)
    banner = " ".join(
        filter(
            None,
            (attributes.get("product"), attributes.get("version"), _bracketed(attributes.get("extrainfo"))),
        )
    )
    return PortResult(
        port=port,
        protocol=protocol,
        state="open",
        service=risk[0] if risk else service,
        banner=banner or None,
        product=attributes.get("product"),
        version=attributes.get("version"),
        cpe=[cpe.text for cpe in port_element.findall("service/cpe") if cpe.text],
        risky=risk is not None,
        risk=risk[2] if risk else None,
        severity=risk[1] if risk else None,
    )


def _bracketed(text: str | None) -> str | None:
    return f"({text})" if text else None


def _port_counts(host: ElementTree.Element) -> dict[str, int]:
    """closed/filtered counts from the summarised <extraports> and the individually listed ports."""
    counts = {"open": 0, "closed": 0, "filtered": 0}
    for extra in host.findall("ports/extraports"):
        state = _bucket(extra.get("state", ""))
        counts[state] += int(extra.get("count", "0"))
    for port in host.findall("ports/port"):
        counts[_bucket(_state(port))] += 1
    return counts


def _state(port: ElementTree.Element) -> str:
    state = port.find("state")
    return state.get("state", "") if state is not None else ""


def _bucket(state: str) -> str:
    """nmap states mapped to three: open|filtered and unfiltered are neither proven open nor closed."""
    if state == "open":
        return "open"
    if state == "closed":
        return "closed"
    return "filtered"


def _os_guess(host: ElementTree.Element) -> str | None:
    matches = host.findall("os/osmatch")
    if matches:
        best = max(matches, key=lambda match: int(match.get("accuracy", "0")))
        return best.get("name")
    # Without -O, -sV often still names the OS of a service (ostype="Windows").
    for service in host.findall("ports/port/service[@ostype]"):
        return service.get("ostype")
    return None


def _host_duration_ms(host: ElementTree.Element, fallback_ms: float) -> float:
    start, end = host.get("starttime"), host.get("endtime")
    if start and end and start.isdigit() and end.isdigit():
        return float(int(end) - int(start)) * 1000
    return fallback_ms


def parse_nmap_xml(
    xml_text: str,
    ports: Sequence[int] | None = None,
    *,
    elapsed_ms: float | None = None,
    risky_services: Mapping[int, RiskEntry] = RISKY_SERVICES,
) -> list[PortScanReport]:
    """Reports from `nmap -oX` output of a port scan: one per host that is up. `ports` is the list that
    was scanned; by default it is read from <scaninfo services="...">."""
    root = _parse_document(xml_text)
    port_spec = format_port_spec(ports) if ports else _scanned_spec(root)
    fallback_ms = elapsed_ms if elapsed_ms is not None else _run_elapsed_ms(root)
    reports: list[PortScanReport] = []
    for host in root.findall("host"):
        if not _is_up(host):
            continue
        ip = _address(host, "ipv4", "ipv6")
        if ip is None:
            continue
        open_ports = [
            _port_result(port, risky_services)
            for port in host.findall("ports/port")
            if _state(port) == "open"
        ]
        counts = _port_counts(host)
        reports.append(
            PortScanReport(
                host=_hostname(host) or ip,
                ip=ip,
                ports=open_ports,
                closed=counts["closed"],
                filtered=counts["filtered"],
                scanned=sum(counts.values()),
                port_spec=port_spec,
                duration_ms=_host_duration_ms(host, fallback_ms),
                method="nmap",
                os_guess=_os_guess(host),
            )
        )
    return reports


def _scanned_spec(root: ElementTree.Element) -> str:
    specs = [info.get("services", "") for info in root.findall("scaninfo") if info.get("protocol") == "tcp"]
    return ",".join(filter(None, specs))


def _run_elapsed_ms(root: ElementTree.Element) -> float:
    elapsed = root.find("runstats/finished")
    try:
        return float(elapsed.get("elapsed", "0")) * 1000 if elapsed is not None else 0.0
    except ValueError:
        return 0.0


def parse_nmap_sweep(xml_text: str) -> list[NmapHost]:
    """Live hosts from `nmap -sn -oX` output."""
    root = _parse_document(xml_text)
    hosts: list[NmapHost] = []
    for host in root.findall("host"):
        ip = _address(host, "ipv4", "ipv6")
        if not _is_up(host) or ip is None:
            continue
        mac_element = next((a for a in host.findall("address") if a.get("addrtype") == "mac"), None)
        mac = _address(host, "mac")
        status = host.find("status")
        hosts.append(
            NmapHost(
                ip=str(ipaddress.ip_address(ip)),
                mac=mac.lower() if mac else None,
                vendor=mac_element.get("vendor") if mac_element is not None else None,
                hostname=_hostname(host),
                reason=status.get("reason") if status is not None else None,
            )
        )
    return hosts
