"""Network scanning: TCP connect scan, banners, SNMP probe, risky-service findings, nmap XML and
device discovery, all against real listeners on loopback addresses (Linux routes all of 127/8 to lo,
so 127.0.0.2, 127.0.0.3... are distinct "hosts" that answer a SYN on a port nobody listens to with a
reset)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import cast

import pytest

from binelek.security.checks import discovery, network, nmap
from binelek.security.checks.base import CheckError, Finding
from binelek.security.checks.discovery import discover, parse_range, read_arp_table
from binelek.security.checks.network import (
    PortResult,
    PortScanReport,
    classify,
    findings,
    format_port_spec,
    parse_port_spec,
    parse_snmp_response,
    probe_snmp,
    scan_ports,
    snmp_get_request,
)
from binelek.security.checks.nmap import parse_nmap_sweep, parse_nmap_xml, validate_target

SSH_GREETING = b"SSH-2.0-OpenSSH_9.2\r\n"

# Well-known ports are bound on loopback addresses of this run's own, so two test runs side by side
# (the SQLite and PostgreSQL passes) never contend for 127.0.0.x:23 or :161.
RUN_HOST_A = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.9"
RUN_HOST_B = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.10"


# --- helpers: real listeners ----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def tcp_listener(host: str = "127.0.0.1", port: int = 0, greeting: bytes = b"") -> AsyncIterator[int]:
    """A TCP server that writes `greeting` to each client then waits for it to hang up."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if greeting:
                writer.write(greeting)
                await writer.drain()
            await reader.read(1024)
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host, port)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound then released: refused until someone takes it)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def unresponsive_port() -> Iterator[int]:
    """A listener whose accept queue is full: Linux drops further SYNs, as a firewall would."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    clients: list[socket.socket] = []
    try:
        for _ in range(4):
            client = socket.socket()
            client.settimeout(0.2)
            clients.append(client)
            try:
                client.connect(("127.0.0.1", port))
            except TimeoutError:
                break
        yield port
    finally:
        for client in clients:
            client.close()
        listener.close()


class FakeSnmpAgent(asyncio.DatagramProtocol):
    """Answers SNMPv1 GetRequests with community "public" with a hand-built GetResponse."""

    def __init__(self, description: bytes) -> None:
        self.description = description
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        # Request layout (all short lengths): 30 L 02 01 00 04 06 "public" a0 L 02 n <id> ...
        if data[5:13] != b"\x04\x06public":
            return
        id_length = data[16]
        request_id = data[15 : 17 + id_length]
        oid = bytes.fromhex("06082b06010201010100")
        value = b"\x04" + bytes([len(self.description)]) + self.description
        varbind = b"\x30" + bytes([len(oid) + len(value)]) + oid + value
        varbinds = b"\x30" + bytes([len(varbind)]) + varbind
        pdu_body = request_id + b"\x02\x01\x00\x02\x01\x00" + varbinds
        pdu = b"\xa2" + bytes([len(pdu_body)]) + pdu_body
        body = b"\x02\x01\x00\x04\x06public" + pdu
        assert self.transport is not None
        self.transport.sendto(b"\x30" + bytes([len(body)]) + body, addr)


@contextlib.asynccontextmanager
async def snmp_agent(
    host: str = "127.0.0.1", port: int = 0, description: bytes = b"Linux nas 6.1"
) -> AsyncIterator[int]:
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: FakeSnmpAgent(description), local_addr=(host, port)
    )
    try:
        yield transport.get_extra_info("sockname")[1]
    finally:
        transport.close()


def by_check(results: list[Finding]) -> dict[tuple[str, str], Finding]:
    return {(finding.check_id, finding.key): finding for finding in results}


# --- connect scan ---------------------------------------------------------------------------------------


async def test_banner_grab_names_the_service_that_speaks_first() -> None:
    async with tcp_listener(greeting=SSH_GREETING) as port:
        report = await scan_ports("127.0.0.1", [port], timeout=1.0)
    assert report.method == "connect"
    assert report.ip == "127.0.0.1"
    assert report.scanned == 1
    [result] = report.ports
    assert result.port == port
    assert result.state == "open"
    assert result.banner == "SSH-2.0-OpenSSH_9.2"
    assert result.service == "ssh"
    assert not result.risky
    assert report.os_guess == "Unix-like"


async def test_thousand_ports_finish_quickly() -> None:
    async with tcp_listener() as listening, tcp_listener(greeting=b"220 mail ESMTP\r\n") as speaking:
        ports = [*range(1, 999), listening, speaking]
        started = time.perf_counter()
        report = await scan_ports("127.0.0.1", ports, concurrency=200, timeout=1.0)
        elapsed = time.perf_counter() - started
    assert elapsed < 3.0, f"1,000 loopback ports took {elapsed:.2f} s"
    assert report.scanned == 1000
    open_ports = {result.port: result for result in report.ports}
    assert {listening, speaking} <= set(open_ports)
    assert open_ports[speaking].service == "smtp"
    assert open_ports[listening].banner is None  # silent service: nothing within the banner wait
    assert report.closed + report.filtered + len(report.ports) == report.scanned
    assert report.closed >= 990


async def test_closed_and_filtered_ports_are_counted_not_listed() -> None:
    closed = free_port()
    with unresponsive_port() as dropping:
        report = await scan_ports("127.0.0.1", [closed, dropping], timeout=0.3, grab_banners=False)
    assert report.ports == []
    assert (report.closed, report.filtered) == (1, 1)
    assert report.port_spec == format_port_spec([closed, dropping])


async def test_per_host_concurrency_still_scans_everything() -> None:
    async with tcp_listener() as port:
        report = await scan_ports(
            "localhost", [port, *range(1, 40)], per_host_concurrency=3, grab_banners=False
        )
    assert report.ip == "127.0.0.1"  # IPv4 preferred
    assert report.host == "localhost"
    assert [result.port for result in report.ports] == [port]


async def test_ipv6_loopback() -> None:
    async with contextlib.AsyncExitStack() as stack:
        try:
            port = await stack.enter_async_context(tcp_listener("::1", greeting=SSH_GREETING))
        except OSError:
            pytest.skip("no IPv6 loopback")
        report = await scan_ports("::1", [port])
    assert [result.banner for result in report.ports] == ["SSH-2.0-OpenSSH_9.2"]


async def test_invalid_ports_are_refused() -> None:
    with pytest.raises(ValueError, match="between 1 and 65535"):
        await scan_ports("127.0.0.1", [0, 80])
    with pytest.raises(ValueError, match="no ports"):
        await scan_ports("127.0.0.1", [])


def test_port_spec_round_trip() -> None:
    ports = [1, 2, 3, 80, 443, 444, 8080]
    assert format_port_spec(ports) == "1-3,80,443-444,8080"
    assert parse_port_spec("1-3,80,443-444,8080") == ports
    assert parse_port_spec("") == []


def test_classification_trusts_what_the_service_says() -> None:
    assert classify(3389, None) == network.RISKY_SERVICES[3389]
    assert classify(23, "ssh") is None  # SSH moved to 23 is not Telnet
    assert classify(13389, "rdp") == network.RISKY_SERVICES[3389]  # RDP moved off 3389 is still RDP
    assert classify(443, "https") is None


# --- risky services and findings ------------------------------------------------------------------------


async def test_risky_listeners_become_findings_and_shut_ones_pass() -> None:
    shut = free_port()
    async with tcp_listener() as database, tcp_listener(greeting=b"login: ") as shell:
        mapping: dict[int, network.RiskEntry] = {
            database: ("demo-db", "high", "Databases should not be exposed."),
            shell: ("demo-shell", "critical", "Clear-text shell."),
            shut: ("demo-rdp", "high", "Remote desktop."),
        }
        report = await scan_ports("127.0.0.1", [database, shell, shut], risky_services=mapping)
    results = by_check(findings(report, mapping))

    db_finding = results[("network.port.demo-db", str(database))]
    assert not db_finding.passed
    assert db_finding.severity == "high"
    assert db_finding.category == "network"
    assert db_finding.target == "127.0.0.1"
    assert db_finding.evidence["port"] == database
    assert db_finding.evidence["service"] == "demo-db"
    assert "soc2:CC6.6" in db_finding.controls and "pci:1.3.1" in db_finding.controls

    shell_finding = results[("network.port.demo-shell", str(shell))]
    assert (shell_finding.passed, shell_finding.severity) == (False, "critical")
    assert shell_finding.evidence["banner"] == "login:"

    assert results[("network.port.demo-rdp", str(shut))].passed  # scanned and shut: closes the issue

    exposure = results[("network.exposure", "")]
    assert not exposure.passed
    assert exposure.severity == "critical"
    assert {entry["port"] for entry in exposure.evidence["open_ports"]} == {database, shell}


def test_findings_from_a_report_with_well_known_ports() -> None:
    report = PortScanReport(
        host="office-pc.lan",
        ip="192.168.1.20",
        ports=[
            PortResult(port=23, state="open", service="telnet", banner="login:", risky=True,
                       risk=network.RISKY_SERVICES[23][2], severity="critical"),
            PortResult(port=80, state="open", service="http"),
            PortResult(port=3389, state="open", service="rdp", risky=True,
                       risk=network.RISKY_SERVICES[3389][2], severity="high"),
        ],
        closed=2,
        scanned=5,
        port_spec="22-23,80,445,3389",
        duration_ms=12.0,
        method="connect",
    )  # fmt: skip
    results = by_check(findings(report))
    telnet = results[("network.port.telnet", "23")]
    assert (telnet.passed, telnet.severity, telnet.target) == (False, "critical", "192.168.1.20")
    assert "SSH" in telnet.remediation
    assert "pci:4.2.1" in telnet.controls  # clear-text credentials
    rdp = results[("network.port.rdp", "3389")]
    assert (rdp.passed, rdp.severity) == (False, "high")
    assert "hipaa:164.312(e)(1)" in rdp.controls
    assert results[("network.port.smb", "445")].passed
    assert ("network.port.http", "80") not in results
    assert not results[("network.exposure", "")].passed
    assert results[("network.exposure", "")].severity == "critical"
    assert len(results) == 4


def test_no_risky_ports_passes_the_exposure_check() -> None:
    report = PortScanReport(
        host="web",
        ip="10.0.0.5",
        ports=[PortResult(port=443, state="open", service="https")],
        closed=1,
        scanned=2,
        port_spec="443,3389",
        duration_ms=1.0,
        method="connect",
    )
    results = by_check(findings(report))
    assert results[("network.exposure", "")].passed
    assert results[("network.port.rdp", "3389")].passed
    assert all(finding.passed for finding in results.values())


async def test_well_known_risky_port_when_it_can_be_bound() -> None:
    greeting = b"\xff\xfd\x18Ubuntu 22.04 LTS\r\nlogin: "  # telnet option negotiation, then the prompt
    async with contextlib.AsyncExitStack() as stack:
        try:
            await stack.enter_async_context(tcp_listener(RUN_HOST_A, 23, greeting=greeting))
        except OSError:
            pytest.skip("port 23 cannot be bound here (needs root and a free port)")
        report = await scan_ports(RUN_HOST_A, [23, 445])
    [telnet] = report.ports
    assert (telnet.service, telnet.risky, telnet.severity) == ("telnet", True, "critical")
    assert telnet.banner is not None and "login:" in telnet.banner
    assert report.os_guess == "Linux (Ubuntu)"
    results = by_check(findings(report))
    assert not results[("network.port.telnet", "23")].passed
    assert results[("network.port.smb", "445")].passed


# --- SNMP -----------------------------------------------------------------------------------------------


def test_snmp_get_request_encoding() -> None:
    # SNMPv1 GetRequest, community "public", request id 0x12345678, varbind sysDescr.0 = NULL.
    expected = bytes.fromhex(
        "3029" "020100" "04067075626c6963"
        "a01c" "020412345678" "020100" "020100"
        "300e" "300c" "06082b06010201010100" "0500"
    )  # fmt: skip
    assert snmp_get_request(0x12345678) == expected


def test_snmp_response_parsing_checks_the_request_id() -> None:
    # GetResponse, request id 0x12345678, sysDescr.0 = "Linux".
    message = bytes.fromhex(
        "302e" "020100" "04067075626c6963"
        "a221" "020412345678" "020100" "020100"
        "3013" "3011" "06082b06010201010100" "04054c696e7578"
    )  # fmt: skip
    assert parse_snmp_response(message, 0x12345678) == "Linux"
    assert parse_snmp_response(message, 0x12345679) is None
    assert parse_snmp_response(message[:-3], 0x12345678) is None
    assert parse_snmp_response(b"garbage", 1) is None


async def test_snmp_probe_answers_with_public_community() -> None:
    async with snmp_agent(description=b"RouterOS RB4011") as port:
        assert await probe_snmp("127.0.0.1", port=port, reply_timeout=1.0) == "RouterOS RB4011"
        assert await probe_snmp("127.0.0.1", port=port, community="private", reply_timeout=0.2) is None


async def test_snmp_probe_of_a_closed_udp_port_returns_quickly() -> None:
    started = time.perf_counter()
    assert await probe_snmp("127.0.0.1", port=free_port(), reply_timeout=2.0) is None
    assert time.perf_counter() - started < 1.5  # ICMP port unreachable, not the timeout


async def test_scan_reports_snmp_on_161_when_it_can_be_bound() -> None:
    async with contextlib.AsyncExitStack() as stack:
        try:
            await stack.enter_async_context(snmp_agent(RUN_HOST_B, 161))
        except OSError:
            pytest.skip("udp/161 cannot be bound here (needs root and a free port)")
        report = await scan_ports(RUN_HOST_B, [22], snmp=True, timeout=0.5)
    [snmp] = report.ports
    assert (snmp.port, snmp.protocol, snmp.service, snmp.banner) == (161, "udp", "snmp", "Linux nas 6.1")
    finding = by_check(findings(report))[("network.port.snmp", "161")]
    assert (finding.passed, finding.severity) == (False, "medium")
    assert report.scanned == 2


async def test_snmp_probe_without_agent_passes() -> None:
    report = await scan_ports("127.0.0.11", [22], snmp=True, timeout=0.4)
    assert report.snmp_probed and report.ports == []
    assert by_check(findings(report))[("network.port.snmp", "161")].passed


# --- nmap -----------------------------------------------------------------------------------------------

NMAP_XML = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<?xml-stylesheet href="file:///usr/bin/../share/nmap/nmap.xsl" type="text/xsl"?>
<!-- Nmap 7.94SVN scan initiated Tue Jun  4 10:12:01 2024 as: nmap -oX - -sV -Pn -p 22,53,80,135,139,443,445,3389 -O 192.168.1.1-2 -->
<nmaprun scanner="nmap" args="nmap -oX - -sV -Pn -p 22,53,80,135,139,443,445,3389 -O 192.168.1.1-2" start="1717495921" startstr="Tue Jun  4 10:12:01 2024" version="7.94SVN" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="8" services="22,53,80,135,139,443,445,3389"/>
<verbose level="0"/>
<debugging level="0"/>
<host starttime="1717495921" endtime="1717495938"><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="192.168.1.1" addrtype="ipv4"/>
<address addr="E4:8D:8C:11:22:33" addrtype="mac" vendor="Routerboard.com"/>
<hostnames>
<hostname name="gateway.lan" type="PTR"/>
</hostnames>
<ports><extraports state="closed" count="5">
<extrareasons reason="reset" count="5" proto="tcp" ports="22,135,139,445,3389"/>
</extraports>
<port protocol="tcp" portid="53"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="domain" product="dnsmasq" version="2.89" method="probed" conf="10"><cpe>cpe:/a:thekelleys:dnsmasq:2.89</cpe></service></port>
<port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="http" product="MikroTik router config httpd" devicetype="router" method="probed" conf="10"><cpe>cpe:/h:mikrotik:routeros</cpe></service></port>
<port protocol="tcp" portid="443"><state state="filtered" reason="no-response" reason_ttl="0"/><service name="https" method="table" conf="3"/></port>
</ports>
<os><portused state="open" proto="tcp" portid="53"/>
<portused state="closed" proto="tcp" portid="22"/>
<osmatch name="MikroTik RouterOS 6.36 - 6.48 (Linux 3.3.5)" accuracy="95" line="80765">
<osclass type="router" vendor="MikroTik" osfamily="RouterOS" osgen="6.X" accuracy="95"><cpe>cpe:/o:mikrotik:routeros:6</cpe></osclass>
</osmatch>
<osmatch name="Linux 2.6.32 - 3.13" accuracy="98" line="55543">
<osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="2.6.X" accuracy="98"><cpe>cpe:/o:linux:linux_kernel:2.6</cpe></osclass>
</osmatch>
</os>
<uptime seconds="1209600" lastboot="Tue May 21 10:12:18 2024"/>
<distance value="1"/>
<tcpsequence index="262" difficulty="Good luck!" values="A1B2C3D4,A1B2C3D5"/>
<times srtt="512" rttvar="203" to="100000"/>
</host>
<host starttime="1717495921" endtime="1717495944"><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="192.168.1.2" addrtype="ipv4"/>
<hostnames>
<hostname name="reception-pc" type="user"/>
<hostname name="reception-pc.lan" type="PTR"/>
</hostnames>
<ports><extraports state="filtered" count="4">
<extrareasons reason="no-response" count="4" proto="tcp" ports="22,53,80,443"/>
</extraports>
<port protocol="tcp" portid="135"><state state="open" reason="syn-ack" reason_ttl="128"/><service name="msrpc" product="Microsoft Windows RPC" ostype="Windows" method="probed" conf="10"><cpe>cpe:/o:microsoft:windows</cpe></service></port>
<port protocol="tcp" portid="139"><state state="open" reason="syn-ack" reason_ttl="128"/><service name="netbios-ssn" product="Microsoft Windows netbios-ssn" ostype="Windows" method="probed" conf="10"><cpe>cpe:/o:microsoft:windows</cpe></service></port>
<port protocol="tcp" portid="445"><state state="open" reason="syn-ack" reason_ttl="128"/><service name="microsoft-ds" method="table" conf="3"/></port>
<port protocol="tcp" portid="3389"><state state="open" reason="syn-ack" reason_ttl="128"/><service name="ms-wbt-server" product="Microsoft Terminal Services" ostype="Windows" method="probed" conf="10"><cpe>cpe:/o:microsoft:windows</cpe></service></port>
</ports>
<times srtt="740" rttvar="320" to="100000"/>
</host>
<runstats><finished time="1717495944" timestr="Tue Jun  4 10:12:24 2024" summary="Nmap done at Tue Jun  4 10:12:24 2024; 2 IP addresses (2 hosts up) scanned in 23.41 seconds" elapsed="23.41" exit="success"/><hosts up="2" down="0" total="2"/>
</runstats>
</nmaprun>
"""  # noqa: E501 - nmap writes long lines; the fixture keeps them as nmap does

NMAP_SWEEP_XML = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -oX - -sn 192.168.1.0/29" start="1717496000" startstr="Tue Jun  4 10:13:20 2024" version="7.94SVN" xmloutputversion="1.05">
<verbose level="0"/>
<debugging level="0"/>
<hosthint><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="192.168.1.1" addrtype="ipv4"/>
<address addr="E4:8D:8C:11:22:33" addrtype="mac" vendor="Routerboard.com"/>
<hostnames>
</hostnames>
</hosthint>
<host><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="192.168.1.1" addrtype="ipv4"/>
<address addr="E4:8D:8C:11:22:33" addrtype="mac" vendor="Routerboard.com"/>
<hostnames>
<hostname name="gateway.lan" type="PTR"/>
</hostnames>
<times srtt="424" rttvar="5000" to="100000"/>
</host>
<host><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="192.168.1.6" addrtype="ipv4"/>
<address addr="00:11:32:AA:BB:CC" addrtype="mac" vendor="Synology Incorporated"/>
<hostnames>
</hostnames>
<times srtt="912" rttvar="5000" to="100000"/>
</host>
<host><status state="down" reason="no-response" reason_ttl="0"/>
<address addr="192.168.1.5" addrtype="ipv4"/>
</host>
<host><status state="up" reason="localhost-response" reason_ttl="0"/>
<address addr="192.168.1.4" addrtype="ipv4"/>
<hostnames>
</hostnames>
</host>
<runstats><finished time="1717496002" timestr="Tue Jun  4 10:13:22 2024" summary="Nmap done at Tue Jun  4 10:13:22 2024; 8 IP addresses (3 hosts up) scanned in 1.93 seconds" elapsed="1.93" exit="success"/><hosts up="3" down="5" total="8"/>
</runstats>
</nmaprun>
"""  # noqa: E501 - nmap writes long lines; the fixture keeps them as nmap does


def test_parse_nmap_service_scan() -> None:
    router, desktop = parse_nmap_xml(NMAP_XML)

    assert (router.host, router.ip, router.method) == ("gateway.lan", "192.168.1.1", "nmap")
    assert [result.port for result in router.ports] == [53, 80]
    dns = router.ports[0]
    assert (dns.service, dns.product, dns.version, dns.banner) == ("dns", "dnsmasq", "2.89", "dnsmasq 2.89")
    assert dns.cpe == ["cpe:/a:thekelleys:dnsmasq:2.89"]
    assert (router.closed, router.filtered, router.scanned) == (5, 1, 8)
    assert router.os_guess == "Linux 2.6.32 - 3.13"  # the most accurate match
    assert router.duration_ms == 17000
    assert router.port_spec == "22,53,80,135,139,443,445,3389"

    assert desktop.host == "reception-pc"  # the name the user gave wins over reverse DNS
    services = {result.port: result for result in desktop.ports}
    assert {port: result.service for port, result in services.items()} == {
        135: "msrpc",
        139: "netbios",
        445: "smb",
        3389: "rdp",
    }
    assert all(result.risky for result in services.values())
    assert services[3389].banner == "Microsoft Terminal Services"
    assert services[445].banner is None
    assert (desktop.closed, desktop.filtered) == (0, 4)
    assert desktop.os_guess == "Windows"  # from the service ostype: no osmatch for this host

    results = by_check(findings(desktop))
    assert not results[("network.port.rdp", "3389")].passed
    assert results[("network.port.rdp", "3389")].evidence["product"] == "Microsoft Terminal Services"
    assert not results[("network.exposure", "")].passed
    assert ("network.port.telnet", "23") not in results  # 23 was not scanned: no finding either way


def test_parse_nmap_ping_sweep() -> None:
    hosts = parse_nmap_sweep(NMAP_SWEEP_XML)
    assert [host.ip for host in hosts] == ["192.168.1.1", "192.168.1.6", "192.168.1.4"]
    gateway = hosts[0]
    assert (gateway.mac, gateway.vendor, gateway.hostname) == (
        "e4:8d:8c:11:22:33",
        "Routerboard.com",
        "gateway.lan",
    )
    assert hosts[1].vendor == "Synology Incorporated"
    assert hosts[2].mac is None


def test_nmap_targets_cannot_smuggle_options() -> None:
    assert validate_target("192.168.1.0/24") == "192.168.1.0/24"
    assert validate_target("192.168.1.10-20") == "192.168.1.10-20"
    assert validate_target("fe80::1") == "fe80::1"
    assert validate_target("nas.office.lan") == "nas.office.lan"
    for hostile in ("-iL /etc/shadow", "--script=evil", "a;rm -rf /", "host name", "$(id)"):
        with pytest.raises(ValueError):
            validate_target(hostile)


def test_nmap_output_that_is_not_xml_is_a_check_error() -> None:
    with pytest.raises(CheckError):
        parse_nmap_xml("Starting Nmap 7.94 ( https://nmap.org )")


@pytest.mark.skipif(shutil.which("nmap") is None, reason="nmap not installed")
async def test_nmap_live_scan_of_a_loopback_port() -> None:
    version = await nmap.nmap_available()
    assert version
    async with tcp_listener(greeting=SSH_GREETING) as port:
        reports = await nmap.nmap_scan("127.0.0.1", [port], timeout=60, os_detection=False)
    [report] = reports
    assert report.method == "nmap"
    assert report.ip == "127.0.0.1"
    [result] = report.ports
    assert result.port == port
    assert result.service == "ssh"
    hosts = await nmap.nmap_ping_sweep("127.0.0.1", timeout=60)
    assert [host.ip for host in hosts] == ["127.0.0.1"]


async def test_nmap_available_without_nmap_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert await nmap.nmap_available() is None


FAKE_NMAP = """#!/bin/sh
# Stands in for nmap where it is not installed: records its arguments and prints canned XML.
if [ "$1" = "--version" ]; then echo "Nmap version 7.94SVN ( https://nmap.org )"; exit 0; fi
printf '%s\\n' "$@" > "$FAKE_NMAP_ARGS"
if [ -n "$FAKE_NMAP_FAIL" ]; then echo "$FAKE_NMAP_FAIL" >&2; exit 1; fi
if [ -n "$FAKE_NMAP_SLEEP" ]; then exec sleep "$FAKE_NMAP_SLEEP"; fi
cat "$FAKE_NMAP_XML"
"""

LOOPBACK_SWEEP_XML = """<?xml version="1.0" encoding="UTF-8"?>
<nmaprun scanner="nmap" args="nmap -oX - -sn 127.0.0.0/30" version="7.94SVN" xmloutputversion="1.05">
<host><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="127.0.0.2" addrtype="ipv4"/>
<address addr="00:11:32:AA:BB:CC" addrtype="mac" vendor="Synology Incorporated"/>
<hostnames><hostname name="nas.lan" type="PTR"/></hostnames>
</host>
<host><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="10.1.1.1" addrtype="ipv4"/>
</host>
</nmaprun>
"""


@pytest.fixture
def fake_nmap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in nmap first on PATH; returns the file its arguments are written to."""
    binary = tmp_path / "bin" / "nmap"
    binary.parent.mkdir()
    binary.write_text(FAKE_NMAP)
    binary.chmod(0o755)
    xml_file = tmp_path / "out.xml"
    xml_file.write_text(NMAP_XML)
    monkeypatch.setenv("PATH", f"{binary.parent}:{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_NMAP_XML", str(xml_file))
    monkeypatch.setenv("FAKE_NMAP_ARGS", str(tmp_path / "args"))
    return tmp_path / "args"


async def test_nmap_subprocess_arguments_and_failures(
    fake_nmap: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await nmap.nmap_available() == "7.94SVN"
    reports = await nmap.nmap_scan("192.168.1.1-2", [3389, 22, 53, 80, 135, 139, 443, 445], os_detection=True)
    assert [report.ip for report in reports] == ["192.168.1.1", "192.168.1.2"]
    os_flag = ["-O"] if os.geteuid() == 0 else []
    assert fake_nmap.read_text().splitlines() == [
        "-oX", "-", "-sV", "-Pn", "-p", "22,53,80,135,139,443,445,3389", *os_flag, "192.168.1.1-2"
    ]  # fmt: skip

    with pytest.raises(ValueError):
        await nmap.nmap_scan("-iL /etc/passwd", [22])

    monkeypatch.setenv("FAKE_NMAP_FAIL", "Failed to open device eth9")
    with pytest.raises(CheckError, match="eth9") as failed:
        await nmap.nmap_scan("192.168.1.1", [22])
    assert failed.value.code == "NMAP_FAILED"

    monkeypatch.delenv("FAKE_NMAP_FAIL")
    monkeypatch.setenv("FAKE_NMAP_SLEEP", "10")
    started = time.perf_counter()
    with pytest.raises(CheckError) as timed_out:
        await nmap.nmap_scan("192.168.1.1", [22], timeout=0.3)
    assert timed_out.value.code == "TIMEOUT"
    assert time.perf_counter() - started < 3


async def test_discovery_adds_what_nmap_sees(fake_nmap: Path, tmp_path: Path) -> None:
    (tmp_path / "out.xml").write_text(LOOPBACK_SWEEP_XML)
    hosts = await discover(
        "127.0.0.0/30", probe_ports=[free_port()], resolve_names=False, arp_table=tmp_path / "no-arp"
    )
    found = {host.ip: host for host in hosts}
    assert list(found) == ["127.0.0.1", "127.0.0.2"]  # 10.1.1.1 is outside the range
    nas = found["127.0.0.2"]
    assert (nas.method, nas.mac, nas.vendor, nas.hostname) == (
        "tcp-rst+nmap",
        "00:11:32:aa:bb:cc",
        "Synology Incorporated",
        "nas.lan",
    )
    assert fake_nmap.read_text().splitlines() == ["-oX", "-", "-sn", "127.0.0.0/30"]
    assert found["127.0.0.1"].method == "tcp-rst"


# --- discovery ------------------------------------------------------------------------------------------


async def test_discovery_of_a_loopback_network(tmp_path: Path) -> None:
    arp_table = tmp_path / "arp"
    arp_table.write_text(
        "IP address       HW type     Flags       HW address            Mask     Device\n"
        "127.0.0.4        0x1         0x2         00:11:32:AA:BB:CC     *        lo\n"
        "127.0.0.5        0x1         0x0         00:00:00:00:00:00     *        lo\n"
        "10.9.9.9         0x1         0x2         02:00:00:00:00:01     *        eth0\n"
    )
    async with (
        tcp_listener("127.0.0.2") as port_a,
        tcp_listener("127.0.0.3", greeting=SSH_GREETING) as port_b,
    ):
        started = time.perf_counter()
        hosts = await discover(
            "127.0.0.0/29",
            probe_ports=[port_a, port_b],
            timeout=0.5,
            use_nmap=False,
            resolve_names=False,
            arp_table=arp_table,
        )
        elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    # Every 127.0.0.x answers on lo (with a reset when nothing listens): all six hosts are up.
    found = {host.ip: host for host in hosts}
    assert list(found) == [f"127.0.0.{n}" for n in range(1, 7)]
    assert (found["127.0.0.2"].open_ports, found["127.0.0.2"].method) == ([port_a], "tcp-connect")
    assert (found["127.0.0.3"].open_ports, found["127.0.0.3"].method) == ([port_b], "tcp-connect")
    assert (found["127.0.0.4"].mac, found["127.0.0.4"].method) == ("00:11:32:aa:bb:cc", "tcp-rst+arp")
    for only_reset in ("127.0.0.1", "127.0.0.5", "127.0.0.6"):
        assert (found[only_reset].open_ports, found[only_reset].method, found[only_reset].mac) == (
            [],
            "tcp-rst",
            None,
        )


async def test_discovery_names_hosts_from_reverse_lookup() -> None:
    hosts_file = Path("/etc/hosts")
    if not hosts_file.exists() or "localhost" not in hosts_file.read_text():
        pytest.skip("/etc/hosts does not name 127.0.0.1")
    async with tcp_listener() as port:
        [host] = await discover("127.0.0.1/32", probe_ports=[port], use_nmap=False)
    assert host.open_ports == [port]
    assert host.hostname is not None


async def test_discovery_refuses_ranges_larger_than_a_slash_22() -> None:
    with pytest.raises(ValueError, match=r"at most 1024 \(a /22\)"):
        await discover("10.0.0.0/16", use_nmap=False)
    with pytest.raises(ValueError, match="not a network range"):
        await discover("10.0.0.0/33", use_nmap=False)
    assert parse_range("10.0.0.0/22").num_addresses == 1024
    assert parse_range("10.0.0.77/24").network_address.compressed == "10.0.0.0"


def test_arp_table_reading(tmp_path: Path) -> None:
    table = tmp_path / "arp"
    table.write_text(
        "IP address       HW type     Flags       HW address            Mask     Device\n"
        "192.168.1.1      0x1         0x2         E4:8D:8C:11:22:33     *        eth0\n"
        "192.168.1.7      0x1         0x0         00:00:00:00:00:00     *        eth0\n"
        "192.168.1.9      0x1         0x6         00:11:32:aa:bb:cc     *        eth0\n"
    )
    assert read_arp_table(table) == {"192.168.1.1": "e4:8d:8c:11:22:33", "192.168.1.9": "00:11:32:aa:bb:cc"}
    assert read_arp_table(tmp_path / "missing") == {}
    if os.path.exists("/proc/net/arp"):
        assert isinstance(read_arp_table(), dict)


def test_default_probe_ports_cover_the_brief() -> None:
    assert {22, 80, 443, 445, 3389, 139, 62078} <= set(discovery.DEFAULT_PROBE_PORTS)
    assert {21, 22, 23, 3389, 445, 2375, 6379, 27017, 11211} <= set(network.COMMON_PORTS)
    assert 90 <= len(network.COMMON_PORTS) <= 110
