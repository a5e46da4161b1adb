"""Asynchronous TCP connect scan of one host, with banner grabbing, a minimal SNMP probe (SNMP is UDP,
so a connect scan cannot see it) and the findings derived from which risky services answer.

A connect scan needs no privileges and no raw sockets: it completes the TCP handshake, so it is
slower and noisier than a SYN scan, but it works everywhere the backend runs. When nmap is installed,
`binelek.security.checks.nmap` produces the same report with service versions and an OS guess.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import random
import socket
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from binelek.security.checks.base import SEVERITY_ORDER, CheckError, Finding, Severity

PortState = Literal["open", "closed", "filtered"]
RiskEntry = tuple[str, Severity, str]

BANNER_BYTES = 256
BANNER_WAIT_SECONDS = 0.3
SNMP_PORT = 161
SNMP_COMMUNITY = "public"

# Friendly service names by port. Names are the ones findings use ("network.port.<name>"), so a port
# and a banner or nmap service that mean the same thing resolve to the same name.
SERVICE_NAMES: dict[int, str] = {
    21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "dns", 80: "http", 81: "http", 88: "kerberos",
    110: "pop3", 111: "rpcbind", 135: "msrpc", 139: "netbios", 143: "imap", 161: "snmp", 389: "ldap",
    443: "https", 445: "smb", 465: "smtps", 512: "rexec", 513: "rlogin", 514: "rsh", 515: "lpd",
    548: "afp", 554: "rtsp", 587: "submission", 631: "ipp", 636: "ldaps", 873: "rsync", 902: "vmware",
    990: "ftps", 993: "imaps", 995: "pop3s", 1080: "socks", 1194: "openvpn", 1433: "mssql", 1521: "oracle",
    1723: "pptp", 1883: "mqtt", 1900: "upnp", 2049: "nfs", 2082: "cpanel", 2083: "cpanel",
    2181: "zookeeper", 2375: "docker", 2376: "docker-tls", 3000: "http-alt", 3128: "http-proxy",
    3268: "ldap-gc", 3306: "mysql", 3389: "rdp", 4443: "https-alt", 5000: "upnp-http", 5060: "sip",
    5357: "wsdapi", 5432: "postgresql", 5601: "kibana", 5672: "amqp", 5800: "vnc-http", 5900: "vnc",
    5901: "vnc", 5984: "couchdb", 5985: "winrm", 5986: "winrm-https", 6000: "x11", 6379: "redis",
    6443: "kubernetes-api", 7001: "weblogic", 7547: "tr-069", 8000: "http-alt", 8008: "http-alt",
    8009: "ajp", 8080: "http-proxy", 8081: "http-alt", 8086: "influxdb", 8088: "http-alt",
    8443: "https-alt", 8888: "http-alt", 9000: "http-alt", 9042: "cassandra", 9090: "http-alt",
    9100: "jetdirect", 9200: "elasticsearch", 9300: "elasticsearch", 9418: "git", 10000: "webmin",
    10250: "kubelet", 11211: "memcached", 15672: "rabbitmq-mgmt", 27017: "mongodb", 27018: "mongodb",
    50000: "sap", 62078: "iphone-sync",
}  # fmt: skip

# The ~100 TCP ports worth probing on an SMB network: remote access, file sharing, databases, admin
# interfaces, printers and IoT. SNMP (161/udp) is probed separately.
COMMON_PORTS: tuple[int, ...] = (
    21, 22, 23, 25, 53, 80, 81, 88, 110, 111, 135, 139, 143, 389, 443, 445, 465, 512, 513, 514, 515,
    548, 554, 587, 631, 636, 873, 902, 990, 993, 995, 1080, 1194, 1433, 1521, 1723, 1883, 1900, 2049,
    2082, 2083, 2181, 2375, 2376, 3000, 3128, 3268, 3306, 3389, 4443, 5000, 5060, 5357, 5432, 5601,
    5672, 5800, 5900, 5901, 5984, 5985, 5986, 6000, 6379, 6443, 7001, 7547, 8000, 8008, 8009, 8080,
    8081, 8086, 8088, 8443, 8888, 9000, 9042, 9090, 9100, 9200, 9300, 9418, 10000, 10250, 11211,
    15672, 27017, 27018, 50000, 62078,
)  # fmt: skip

_DATABASE_WHY = "Databases should only be reachable from the application servers that use them; an exposed "
RISKY_SERVICES: dict[int, RiskEntry] = {
    21: ("ftp", "medium", "FTP sends credentials and files in clear text."),
    23: ("telnet", "critical", "Telnet gives a remote shell with the password sent in clear text."),
    111: ("rpcbind", "medium", "rpcbind lists RPC services (NFS, NIS) and is used in reflection attacks."),
    135: ("msrpc", "medium", "Windows RPC exposes the endpoint mapper used for lateral movement."),
    139: ("netbios", "high", "NetBIOS session service exposes Windows file sharing and host names."),
    161: ("snmp", "medium", "SNMP answers the default 'public' community: it leaks device configuration."),
    445: ("smb", "high", "SMB file sharing is the most exploited Windows service (EternalBlue, ransomware)."),
    512: ("rexec", "critical", "rexec runs commands remotely with clear-text passwords."),
    513: ("rlogin", "critical", "rlogin trusts host names and sends credentials in clear text."),
    514: ("rsh", "critical", "rsh runs commands remotely with host-based trust and no encryption."),
    873: ("rsync", "medium", "rsync daemons often allow anonymous listing and download of modules."),
    1433: ("mssql", "high", _DATABASE_WHY + "SQL Server invites password guessing."),
    1521: ("oracle", "high", _DATABASE_WHY + "Oracle listener invites password guessing."),
    2049: ("nfs", "high", "NFS exports are often mountable by any host that can reach them."),
    2375: ("docker", "critical", "The unauthenticated Docker API gives root on the host to anyone."),
    3306: ("mysql", "high", _DATABASE_WHY + "MySQL server invites password guessing."),
    3389: (
        "rdp",
        "high",
        "Exposed Remote Desktop is a leading ransomware entry point (brute force, BlueKeep).",
    ),
    5432: ("postgresql", "high", _DATABASE_WHY + "PostgreSQL server invites password guessing."),
    5800: ("vnc-http", "high", "VNC web access often has weak or no authentication."),
    5900: ("vnc", "high", "VNC often has weak or no authentication and weak encryption."),
    5901: ("vnc", "high", "VNC often has weak or no authentication and weak encryption."),
    5984: ("couchdb", "high", _DATABASE_WHY + "CouchDB has shipped without authentication by default."),
    5985: ("winrm", "high", "WinRM gives remote PowerShell over unencrypted HTTP."),
    6000: ("x11", "high", "An open X11 server lets anyone read the screen and inject keystrokes."),
    6379: ("redis", "high", _DATABASE_WHY + "Redis has no authentication by default."),
    7547: ("tr-069", "high", "TR-069 router management has been mass-exploited (Mirai)."),
    9042: ("cassandra", "high", _DATABASE_WHY + "Cassandra invites password guessing."),
    9200: ("elasticsearch", "high", _DATABASE_WHY + "Elasticsearch has shipped without authentication."),
    10250: ("kubelet", "high", "The kubelet API can run commands in containers when anonymous auth is on."),
    11211: ("memcached", "high", "memcached has no authentication and amplifies DDoS reflection attacks."),
    27017: ("mongodb", "high", _DATABASE_WHY + "MongoDB has shipped without authentication by default."),
}

# What to do about each risky service; anything not listed gets the generic advice.
_REMEDIATION: dict[str, str] = {
    "telnet": "Disable Telnet and use SSH with key-based authentication instead.",
    "ftp": "Replace FTP with SFTP or FTPS, or restrict it to trusted addresses at the firewall.",
    "rdp": "Do not expose RDP directly: put it behind a VPN or an RD Gateway with MFA, and enable NLA.",
    "smb": "Block SMB (445) at the perimeter and between network segments; disable SMBv1.",
    "netbios": "Block NetBIOS (137-139) at the perimeter and disable NetBIOS over TCP/IP where unused.",
    "vnc": "Put VNC behind a VPN or SSH tunnel and require a strong password.",
    "docker": "Never expose the Docker API without TLS client authentication; bind it to a Unix socket.",
    "snmp": "Disable SNMP if unused, or replace the community string with SNMPv3 auth and privacy.",
    "winrm": "Restrict WinRM to management hosts and use HTTPS (5986).",
}
_DATABASE_REMEDIATION = (
    "Bind the database to a private interface or restrict it by firewall to the hosts that use it."
)
_DATABASES = frozenset(
    {"mssql", "oracle", "mysql", "postgresql", "couchdb", "redis", "cassandra", "elasticsearch", "mongodb",
     "memcached"}
)  # fmt: skip
_CLEARTEXT = frozenset({"telnet", "ftp", "rexec", "rlogin", "rsh", "snmp", "vnc", "vnc-http", "winrm", "x11"})
_NETWORK_CONTROLS = ("soc2:CC6.6", "pci:1.3.1", "pci:2.2.4", "hipaa:164.312(e)(1)")

# Services that speak first, recognised from their greeting so a service on an unusual port is named.
_BANNER_PREFIXES: tuple[tuple[str, str], ...] = (
    ("SSH-", "ssh"),
    ("RFB ", "vnc"),
    ("+OK", "pop3"),
    ("* OK", "imap"),
    ("HTTP/", "http"),
)


class PortResult(BaseModel):
    port: int
    protocol: Literal["tcp", "udp"] = "tcp"
    state: PortState
    service: str | None = None
    banner: str | None = None
    product: str | None = None  # nmap -sV only
    version: str | None = None  # nmap -sV only
    cpe: list[str] = Field(default_factory=list)  # nmap -sV only; lets vulnerability matching use it
    risky: bool = False
    risk: str | None = None  # why the service is risky
    severity: Severity | None = None  # how risky, when risky


class PortScanReport(BaseModel):
    host: str
    ip: str
    ports: list[PortResult]  # open ports only; closed and filtered are counted
    closed: int = 0
    filtered: int = 0
    scanned: int
    port_spec: str = ""  # the TCP ports scanned, compressed ("1-1024,3306"): which risky ports were checked
    snmp_probed: bool = False
    duration_ms: float
    method: Literal["connect", "nmap"]
    os_guess: str | None = None


# --- port lists ------------------------------------------------------------------------------------------


def normalise_ports(ports: Iterable[int]) -> list[int]:
    unique = sorted(set(ports))
    if not unique:
        raise ValueError("no ports to scan")
    if unique[0] < 1 or unique[-1] > 65535:
        raise ValueError("ports must be between 1 and 65535")
    return unique


def format_port_spec(ports: Iterable[int]) -> str:
    """Compress ports into nmap's syntax: [1, 2, 3, 80] -> "1-3,80"."""
    ranges: list[str] = []
    ordered = sorted(set(ports))
    start = previous = ordered[0] if ordered else 0
    for port in ordered[1:]:
        if port != previous + 1:
            ranges.append(_format_range(start, previous))
            start = port
        previous = port
    if ordered:
        ranges.append(_format_range(start, previous))
    return ",".join(ranges)


def _format_range(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}-{end}"


def parse_port_spec(spec: str) -> list[int]:
    ports: list[int] = []
    for part in filter(None, (piece.strip() for piece in spec.split(","))):
        start, _, end = part.partition("-")
        ports.extend(range(int(start), int(end or start) + 1))
    return normalise_ports(ports) if ports else []


# --- service classification ----------------------------------------------------------------------------


def service_from_banner(banner: str | None) -> str | None:
    if not banner:
        return None
    for prefix, service in _BANNER_PREFIXES:
        if banner.startswith(prefix):
            return service
    if banner.startswith("220"):
        upper = banner.upper()
        if "FTP" in upper:
            return "ftp"
        if "SMTP" in upper or "ESMTP" in upper:
            return "smtp"
    return None


def classify(
    port: int, service: str | None, risky_services: Mapping[int, RiskEntry] = RISKY_SERVICES
) -> RiskEntry | None:
    """The risk of a port given the service seen on it. The port decides unless the service seen there
    is known to be something else (SSH on 23 is not Telnet); then the service name decides, so RDP on
    an unusual port is still RDP."""
    by_port = risky_services.get(port)
    if by_port is not None and (
        service is None or service == by_port[0] or service == SERVICE_NAMES.get(port)
    ):
        return by_port
    if service is None:
        return None
    return next((entry for entry in risky_services.values() if entry[0] == service), None)


def _port_result(
    port: int, banner: str | None, risky_services: Mapping[int, RiskEntry], protocol: Literal["tcp", "udp"]
) -> PortResult:
    service = service_from_banner(banner) or SERVICE_NAMES.get(port)
    risk = classify(port, service, risky_services)
    return PortResult(
        port=port,
        protocol=protocol,
        state="open",
        service=risk[0] if risk else service,
        banner=banner,
        risky=risk is not None,
        risk=risk[2] if risk else None,
        severity=risk[1] if risk else None,
    )


# --- TCP connect ----------------------------------------------------------------------------------------

# A process-wide cap on simultaneous connection attempts, so several scans running at once cannot run
# out of file descriptors. Semaphores belong to one event loop, hence one per loop.
_loop_semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _process_connection_limit() -> int:
    try:
        import resource

        soft_limit, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return 256
    if soft_limit == resource.RLIM_INFINITY:
        return 1024
    return max(32, min(1024, soft_limit // 2))


def _global_semaphore() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    semaphore = _loop_semaphores.get(loop)
    if semaphore is None:
        semaphore = asyncio.Semaphore(_process_connection_limit())
        _loop_semaphores[loop] = semaphore
    return semaphore


_FILTERED_ERRNOS = frozenset(
    {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT, errno.EACCES, errno.EPERM, errno.EHOSTDOWN}
)


def _state_of_failure(error: BaseException) -> PortState | None:
    if isinstance(error, ConnectionRefusedError):
        return "closed"  # a reset: the host is there, the port is not
    if isinstance(error, TimeoutError):
        return "filtered"
    # An ICMP unreachable is a firewall or a missing route: nmap calls it filtered too.
    if isinstance(error, OSError) and error.errno in _FILTERED_ERRNOS:
        return "filtered"
    return None


async def _connect(ip: str, port: int, connect_timeout: float) -> tuple[PortState, socket.socket | None]:
    """Connect once. Returns the connected socket when open (the caller closes it)."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (ip, port)), connect_timeout)
    except BaseException as error:
        sock.close()
        state = _state_of_failure(error)
        if state is None:
            raise
        return state, None
    return "open", sock


async def tcp_port_state(ip: str, port: int, connect_timeout: float) -> PortState:
    """Whether a TCP port is open, closed (the host answered with a reset) or filtered (no answer)."""
    async with _global_semaphore():
        state, sock = await _connect(ip, port, connect_timeout)
    if sock is not None:
        sock.close()
    return state


async def _read_banner(sock: socket.socket) -> str | None:
    loop = asyncio.get_running_loop()
    try:
        data = await asyncio.wait_for(loop.sock_recv(sock, BANNER_BYTES), BANNER_WAIT_SECONDS)
    except (TimeoutError, OSError):
        return None
    return clean_banner(data)


def clean_banner(data: bytes) -> str | None:
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").strip()
    # Control characters would make the evidence unreadable; binary greetings keep their shape.
    printable = "".join(char if char.isprintable() or char in "\t\n" else "." for char in text)
    return printable or None


async def _scan_port(
    ip: str, port: int, connect_timeout: float, grab_banners: bool
) -> tuple[PortState, str | None]:
    async with _global_semaphore():
        state, sock = await _connect(ip, port, connect_timeout)
        if sock is None:
            return state, None
        try:
            return state, (await _read_banner(sock) if grab_banners else None)
        finally:
            sock.close()


# --- SNMP (UDP) -----------------------------------------------------------------------------------------

_SYS_DESCR_OID = (1, 3, 6, 1, 2, 1, 1, 1, 0)
_TAG_INTEGER, _TAG_OCTET_STRING, _TAG_NULL, _TAG_OID, _TAG_SEQUENCE = 0x02, 0x04, 0x05, 0x06, 0x30
_TAG_GET_REQUEST, _TAG_GET_RESPONSE = 0xA0, 0xA2


def _ber_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _ber(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _ber_length(len(value)) + value


def _ber_integer(value: int) -> bytes:
    return _ber(_TAG_INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def _ber_oid(arcs: Sequence[int]) -> bytes:
    body = bytearray([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return _ber(_TAG_OID, bytes(body))


def snmp_get_request(request_id: int, community: str = SNMP_COMMUNITY) -> bytes:
    """An SNMPv1 GetRequest for sysDescr.0."""
    varbind = _ber(_TAG_SEQUENCE, _ber_oid(_SYS_DESCR_OID) + _ber(_TAG_NULL, b""))
    pdu = _ber(
        _TAG_GET_REQUEST,
        _ber_integer(request_id) + _ber_integer(0) + _ber_integer(0) + _ber(_TAG_SEQUENCE, varbind),
    )
    return _ber(_TAG_SEQUENCE, _ber_integer(0) + _ber(_TAG_OCTET_STRING, community.encode()) + pdu)


def _ber_read(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """One TLV at offset: (tag, value, offset after it). Raises ValueError on truncated input."""
    if offset + 2 > len(data):
        raise ValueError("truncated BER")
    tag, length, offset = data[offset], data[offset + 1], offset + 2
    if length & 0x80:
        size = length & 0x7F
        length, offset = int.from_bytes(data[offset : offset + size], "big"), offset + size
    if offset + length > len(data):
        raise ValueError("truncated BER")
    return tag, data[offset : offset + length], offset + length


def _ber_children(data: bytes) -> list[tuple[int, bytes]]:
    children, offset = [], 0
    while offset < len(data):
        tag, value, offset = _ber_read(data, offset)
        children.append((tag, value))
    return children


def parse_snmp_response(data: bytes, request_id: int) -> str | None:
    """sysDescr from an SNMP GetResponse to `request_id`; None when the datagram is not that answer."""
    try:
        tag, message, _ = _ber_read(data, 0)
        if tag != _TAG_SEQUENCE:
            return None
        fields = _ber_children(message)
        if len(fields) != 3 or fields[2][0] != _TAG_GET_RESPONSE:
            return None
        pdu = _ber_children(fields[2][1])
        if len(pdu) != 4 or int.from_bytes(pdu[0][1], "big", signed=True) != request_id:
            return None
        varbinds = _ber_children(pdu[3][1])
        value_tag, value = _ber_children(varbinds[0][1])[1] if varbinds else (_TAG_NULL, b"")
    except (ValueError, IndexError):
        return None
    # An error-status answer still proves the agent accepts the community: report it with no text.
    return value.decode("utf-8", errors="replace") if value_tag == _TAG_OCTET_STRING else ""


class _SnmpProtocol(asyncio.DatagramProtocol):
    def __init__(self, request_id: int) -> None:
        self.request_id = request_id
        self.answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        description = parse_snmp_response(data, self.request_id)
        if description is not None and not self.answer.done():
            self.answer.set_result(description)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable: nothing listens on the port.
        if not self.answer.done():
            self.answer.set_result(None)


async def probe_snmp(
    ip: str, *, port: int = SNMP_PORT, community: str = SNMP_COMMUNITY, reply_timeout: float = 1.0
) -> str | None:
    """Ask for sysDescr with the given community. Returns the description ("" when the agent answers
    with an error) or None when nothing answers. The request is sent twice: UDP may be lost."""
    request_id = random.randint(1, 2**31 - 1)
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: _SnmpProtocol(request_id), remote_addr=(ip, port)
    )
    request = snmp_get_request(request_id, community)
    try:
        for _attempt in range(2):
            transport.sendto(request)
            try:
                return await asyncio.wait_for(asyncio.shield(protocol.answer), reply_timeout / 2)
            except TimeoutError:
                continue
        return None
    finally:
        transport.close()


# --- the scan -------------------------------------------------------------------------------------------


async def resolve(host: str, resolve_timeout: float = 5.0) -> str:
    """The address to scan: the host itself when it is an IP, else its first address (IPv4 first)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), resolve_timeout)
    except (OSError, TimeoutError) as error:
        raise CheckError(f"cannot resolve {host}: {error}", code="DNS_FAILED") from error
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    if not infos:
        raise CheckError(f"{host} has no address", code="DNS_FAILED")
    return str(infos[0][4][0])


def guess_os(ports: Sequence[PortResult]) -> str | None:
    """A rough guess from what answers; nmap -O does this properly."""
    open_ports = {result.port for result in ports}
    banners = " ".join(result.banner or "" for result in ports)
    for distribution in ("Ubuntu", "Debian", "FreeBSD", "Raspbian", "CentOS"):
        if distribution in banners:
            return "FreeBSD" if distribution == "FreeBSD" else f"Linux ({distribution})"
    if 62078 in open_ports:
        return "Apple iOS"
    if open_ports & {135, 3389, 5985} or {139, 445} <= open_ports:
        return "Windows"
    if "OpenSSH" in banners:
        return "Unix-like"
    return None


async def scan_ports(
    host: str,
    ports: Sequence[int] | None = None,
    *,
    concurrency: int = 200,
    timeout: float = 1.0,  # noqa: ASYNC109 - per connection attempt, not a deadline for the scan
    grab_banners: bool = True,
    per_host_concurrency: int | None = None,
    snmp: bool | None = None,
    risky_services: Mapping[int, RiskEntry] = RISKY_SERVICES,
) -> PortScanReport:
    """TCP connect scan of `ports` (COMMON_PORTS when None) on `host`.

    `per_host_concurrency` lowers the parallelism for fragile targets (printers, embedded devices fall
    over under hundreds of simultaneous connections). `snmp` probes 161/udp with the "public" community;
    by default it does so when scanning the default port list.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    port_list = normalise_ports(COMMON_PORTS if ports is None else ports)
    probe_snmp_too = ports is None if snmp is None else snmp
    started = time.perf_counter()
    ip = await resolve(host)
    limit = min(concurrency, per_host_concurrency or concurrency)
    scan_slots = asyncio.Semaphore(max(1, limit))

    async def scan_one(port: int) -> tuple[PortState, str | None]:
        async with scan_slots:
            return await _scan_port(ip, port, timeout, grab_banners)

    snmp_task = asyncio.ensure_future(probe_snmp(ip, reply_timeout=timeout)) if probe_snmp_too else None
    try:
        outcomes = await asyncio.gather(*(scan_one(port) for port in port_list))
        snmp_answer = await snmp_task if snmp_task is not None else None
    except OSError as error:
        raise CheckError(f"scan of {host} failed: {error}", code="SCAN_FAILED") from error
    finally:
        if snmp_task is not None and not snmp_task.done():
            snmp_task.cancel()

    open_ports = [
        _port_result(port, banner, risky_services, "tcp")
        for port, (state, banner) in zip(port_list, outcomes, strict=True)
        if state == "open"
    ]
    if snmp_answer is not None:
        open_ports.append(_port_result(SNMP_PORT, snmp_answer or None, risky_services, "udp"))
    return PortScanReport(
        host=host,
        ip=ip,
        ports=open_ports,
        closed=sum(1 for state, _ in outcomes if state == "closed"),
        filtered=sum(1 for state, _ in outcomes if state == "filtered"),
        scanned=len(port_list) + (1 if probe_snmp_too else 0),
        port_spec=format_port_spec(port_list),
        snmp_probed=probe_snmp_too,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
        method="connect",
        os_guess=guess_os(open_ports),
    )


# --- findings -------------------------------------------------------------------------------------------


def _controls(service: str) -> tuple[str, ...]:
    extra: tuple[str, ...] = ()
    if service in _DATABASES:
        extra += ("gdpr:art32",)
    if service in _CLEARTEXT:
        extra += ("pci:4.2.1",)
    return _NETWORK_CONTROLS + extra


def _remediation(service: str) -> str:
    if service in _REMEDIATION:
        return _REMEDIATION[service]
    if service in _DATABASES:
        return _DATABASE_REMEDIATION
    return f"Disable {service} if unused, or restrict it to trusted addresses at the firewall."


def _port_finding(target: str, result: PortResult) -> Finding:
    service = result.service or str(result.port)
    return Finding(
        check_id=f"network.port.{service}",
        category="network",
        target=target,
        passed=False,
        severity=result.severity or "medium",
        title=f"{service.upper()} ({result.port}/{result.protocol}) is reachable",
        evidence={
            "port": result.port,
            "protocol": result.protocol,
            "service": service,
            "banner": result.banner,
            "product": result.product,
            "version": result.version,
            "why": result.risk,
        },
        remediation=_remediation(service),
        controls=_controls(service),
        key=str(result.port),
    )


def _closed_port_finding(target: str, port: int, entry: RiskEntry, protocol: str) -> Finding:
    service, severity, why = entry
    return Finding(
        check_id=f"network.port.{service}",
        category="network",
        target=target,
        passed=True,
        severity=severity,
        title=f"{service.upper()} ({port}/{protocol}) is not reachable",
        evidence={"port": port, "protocol": protocol, "service": service, "why": why},
        remediation=_remediation(service),
        controls=_controls(service),
        key=str(port),
    )


def findings(
    report: PortScanReport, risky_services: Mapping[int, RiskEntry] = RISKY_SERVICES
) -> list[Finding]:
    """One failed finding per risky open port, a passed one per risky port that was scanned and found
    shut (so a re-scan closes the issue), and a `network.exposure` summary."""
    target = report.ip or report.host
    risky_open = [result for result in report.ports if result.risky]
    results = [_port_finding(target, result) for result in risky_open]
    open_keys = {(result.port, result.protocol) for result in risky_open}
    for port in parse_port_spec(report.port_spec):
        entry = risky_services.get(port)
        if entry is not None and port != SNMP_PORT and (port, "tcp") not in open_keys:
            results.append(_closed_port_finding(target, port, entry, "tcp"))
    if report.snmp_probed and (SNMP_PORT, "udp") not in open_keys and SNMP_PORT in risky_services:
        results.append(_closed_port_finding(target, SNMP_PORT, risky_services[SNMP_PORT], "udp"))
    results.append(_exposure_finding(report, target, risky_open))
    return results


def _exposure_finding(report: PortScanReport, target: str, risky_open: list[PortResult]) -> Finding:
    worst = max(
        (result.severity or "medium" for result in risky_open), key=SEVERITY_ORDER.__getitem__, default=None
    )
    names = sorted({result.service or str(result.port) for result in risky_open})
    return Finding(
        check_id="network.exposure",
        category="network",
        target=target,
        passed=not risky_open,
        severity=worst or "high",
        title=f"{len(risky_open)} risky service(s) reachable: {', '.join(names)}"
        if risky_open
        else "No risky services reachable",
        evidence={
            "open_ports": [
                {
                    "port": result.port,
                    "protocol": result.protocol,
                    "service": result.service,
                    "risky": result.risky,
                }
                for result in report.ports
            ],
            "scanned": report.scanned,
            "closed": report.closed,
            "filtered": report.filtered,
            "method": report.method,
            "os_guess": report.os_guess,
        },
        remediation="Close or firewall the services listed; expose only what must be reachable, behind a VPN "
        "where possible."
        if risky_open
        else "",
        controls=_NETWORK_CONTROLS,
    )
