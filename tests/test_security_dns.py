"""DNS and e-mail domain checks against a real local DNS server (dnslib, UDP+TCP on loopback) and a
local HTTP server for MTA-STS policies."""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from binelek.security.checks.base import CheckError, Finding
from binelek.security.checks.dns_email import DnsReport, check_domain, findings
from binelek.security.checks.dns_email_records import (
    mx_matches_pattern,
    organisational_domain,
    parse_dkim,
    parse_dmarc,
    parse_mta_sts_policy,
    parse_spf,
)
from tests.security_dns_server import SOA, LocalDnsServer, silent_udp_port, tcp_query


def _dkim_p(public_key: rsa.RSAPublicKey) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def _rsa_p(bits: int) -> str:
    if bits >= 1024:
        return _dkim_p(rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key())
    # cryptography no longer generates keys this short; a public modulus of that size is all we need
    modulus = secrets.randbits(bits) | (1 << (bits - 1)) | 1
    return _dkim_p(rsa.RSAPublicNumbers(65537, modulus).public_key())


KEY_2048, KEY_1024, KEY_768 = _rsa_p(2048), _rsa_p(1024), _rsa_p(768)


def _chain_of_includes(length: int) -> dict[str, dict[str, list[str]]]:
    """n1.many.test includes n2, which includes n3 ... : `length` nested lookups."""
    records = {}
    for step in range(1, length + 1):
        next_term = f"include:n{step + 1}.many.test" if step < length else "ip4:192.0.2.9"
        records[f"n{step}.many.test"] = {"TXT": [f"v=spf1 {next_term} ~all"]}
    return records


def _mail_domain(name: str, spf: str | list[str], dmarc: str | None = None) -> dict[str, Any]:
    """A zone with SOA, SPF (one record or several), one MX and optionally DMARC."""
    txt = [spf] if isinstance(spf, str) else spf
    zone: dict[str, Any] = {name: {"SOA": [SOA], "TXT": txt, "MX": [f"10 mx.{name}."]}}
    zone[f"mx.{name}"] = {"A": ["192.0.2.25"]}
    if dmarc is not None:
        zone[f"_dmarc.{name}"] = {"TXT": [dmarc]}
    return zone


ZONE: dict[str, Any] = {
    # a well-configured domain
    "good.test": {
        "SOA": [SOA],
        "TXT": ["v=spf1 include:_spf.provider.test include:mail.vendor.test -all", "site-verification=1"],
        "MX": ["10 mx1.good.test.", "20 mx2.good.test."],
        "CAA": ['0 issue "letsencrypt.org"', '0 issuewild ";"', '0 iodef "mailto:security@good.test"'],
    },
    "mx1.good.test": {"A": ["192.0.2.10"]},
    "mx2.good.test": {"A": ["192.0.2.11"]},
    "shop.good.test": {"A": ["192.0.2.12"]},
    "_dmarc.good.test": {"TXT": ["v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@good.test; adkim=s"]},
    "google._domainkey.good.test": {"TXT": [f"v=DKIM1; k=rsa; p={KEY_2048}"]},
    "_mta-sts.good.test": {"TXT": ["v=STSv1; id=20240101T000000"]},
    "_smtp._tls.good.test": {"TXT": ["v=TLSRPTv1; rua=mailto:tls-reports@good.test"]},
    "_spf.provider.test": {"TXT": ["v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 ~all"]},
    "mail.vendor.test": {"TXT": ["v=spf1 ip6:2001:db8::/32 a:out.vendor.test ~all"]},
    "out.vendor.test": {"A": ["203.0.113.5"]},
    # SPF problems
    **_mail_domain("twospf.test", ["v=spf1 ip4:192.0.2.1 -all", "v=spf1 -all"]),
    **_mail_domain("plusall.test", "v=spf1 +all"),
    **_mail_domain("softall.test", "v=spf1 ip4:192.0.2.1 ~all"),
    **_mail_domain("many.test", "v=spf1 include:n1.many.test -all"),
    **_chain_of_includes(11),
    **_mail_domain("loop.test", "v=spf1 include:loop-a.test -all"),
    "loop-a.test": {"TXT": ["v=spf1 include:loop-b.test ~all"]},
    "loop-b.test": {"TXT": ["v=spf1 include:loop-a.test ~all"]},
    **_mail_domain("void.test", "v=spf1 a:gone1.void.test a:gone2.void.test mx:gone3.void.test -all"),
    **_mail_domain("syntax.test", "v=spf1 ip4:300.1.1.1 include: foo:bar ptr redirect=x.test -all"),
    **_mail_domain("redirect.test", "v=spf1 redirect=_spf.provider.test"),
    # no SPF, no DMARC, no MX
    "nomail.test": {"SOA": [SOA], "TXT": ["site-verification=abc"]},
    # DMARC problems
    **_mail_domain("dmarcnone.test", "v=spf1 -all", "v=DMARC1; p=none; rua=mailto:d@dmarcnone.test"),
    **_mail_domain(
        "dmarcpct.test", "v=spf1 -all", "v=DMARC1; p=quarantine; pct=50; rua=mailto:d@dmarcpct.test"
    ),
    **_mail_domain("dmarcnorua.test", "v=spf1 -all", "v=DMARC1; p=reject"),
    **_mail_domain(
        "dmarcext.test", "v=spf1 -all", "v=DMARC1; p=reject; rua=mailto:a@reports.test,mailto:b@ok.test"
    ),
    "dmarcext.test._report._dmarc.ok.test": {"TXT": ["v=DMARC1"]},
    "_dmarc.dmarcbad.test": {"TXT": ["v=DMARC1; p=maybe; pct=150; rua=mailto:nobody"]},
    **_mail_domain("dmarcbad.test", "v=spf1 -all"),
    "_dmarc.dmarctwo.test": {"TXT": ["v=DMARC1; p=reject", "v=DMARC1; p=none"]},
    **_mail_domain("dmarctwo.test", "v=spf1 -all"),
    # DKIM problems
    **_mail_domain("dkim1024.test", "v=spf1 -all"),
    "selector1._domainkey.dkim1024.test": {"TXT": [f"v=DKIM1; k=rsa; p={KEY_1024}"]},
    "brand2024._domainkey.dkim1024.test": {"TXT": [f"v=DKIM1; p={KEY_2048}"]},
    **_mail_domain("dkimweak.test", "v=spf1 -all"),
    "default._domainkey.dkimweak.test": {"TXT": [f"v=DKIM1; k=rsa; p={KEY_768}"]},
    **_mail_domain("revoked.test", "v=spf1 -all"),
    "s1._domainkey.revoked.test": {"TXT": ["v=DKIM1; k=rsa; p="]},
    # MTA-STS problems
    **_mail_domain("ststesting.test", "v=spf1 -all"),
    "_mta-sts.ststesting.test": {"TXT": ["v=STSv1; id=1"]},
    **_mail_domain("stsmismatch.test", "v=spf1 -all"),
    "_mta-sts.stsmismatch.test": {"TXT": ["v=STSv1; id=2"]},
    **_mail_domain("sts404.test", "v=spf1 -all"),
    "_mta-sts.sts404.test": {"TXT": ["v=STSv1; id=3"]},
    # DNSSEC: signed but no DS at the parent
    **_mail_domain("island.test", "v=spf1 -all"),
    # the DNS of this one is broken, of the next one partly
    **_mail_domain("partial.test", "v=spf1 -all"),
    "broken.test": {"SOA": [SOA]},
}

POLICIES = {
    "good.test": "version: STSv1\nmode: enforce\nmx: mx1.good.test\nmx: *.good.test\nmax_age: 604800\n",
    "ststesting.test": "version: STSv1\nmode: testing\nmx: mx.ststesting.test\nmax_age: 86400\n",
    "stsmismatch.test": "version: STSv1\r\nmode: enforce\r\nmx: mail.elsewhere.test\r\nmax_age: 604800\r\n",
}


class _PolicyHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        domain = self.path.strip("/").split("/")[0]
        body = POLICIES.get(domain)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write((body or "not found").encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def dns_server() -> Iterator[LocalDnsServer]:
    with LocalDnsServer(
        ZONE,
        signed={"good.test", "island.test"},
        ds={"good.test"},
        authentic_data=True,
        servfail={"broken.test", "_dmarc.partial.test", "_mta-sts.partial.test"},
    ) as server:
        yield server


@pytest.fixture(scope="module")
def policy_url() -> Iterator[Callable[[str], str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PolicyHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    port = server.server_address[1]
    yield lambda domain: f"http://127.0.0.1:{port}/{domain}/.well-known/mta-sts.txt"
    server.shutdown()
    server.server_close()


@pytest.fixture
def check(dns_server: LocalDnsServer, policy_url: Callable[[str], str]) -> Callable[..., Any]:
    async def run(domain: str, **options: Any) -> DnsReport:
        return await check_domain(
            domain, nameservers=[dns_server.address], policy_url_override=policy_url, timeout=2.0, **options
        )

    return run


def _by_id(found: list[Finding]) -> dict[str, Finding]:
    return {finding.check_id: finding for finding in found if not finding.key}


# --- a good domain ---------------------------------------------------------------------------------


async def test_good_domain_passes_every_check(check: Callable[..., Any]) -> None:
    report = await check("Good.Test.")
    assert report.domain == "good.test"
    spf = report.spf
    assert spf["valid"] and spf["all_qualifier"] == "-" and spf["errors"] == []
    assert spf["lookups"] == 3 and spf["void_lookups"] == 0  # 2 includes + the a: inside one of them
    assert [node["domain"] for node in spf["includes"]] == ["_spf.provider.test", "mail.vendor.test"]
    assert spf["includes"][1]["lookups"] == 1 and spf["includes"][1]["all"] == "~"

    dmarc = report.dmarc
    assert dmarc["policy"] == "reject" and dmarc["location"] == "good.test" and not dmarc["inherited"]
    assert dmarc["rua"] == ["dmarc@good.test"] and dmarc["pct"] == 100 and dmarc["adkim"] == "s"

    assert report.dkim["status"] == "pass"
    assert report.dkim["selectors"] == {"google": report.dkim["selectors"]["google"]}
    assert report.dkim["selectors"]["google"]["key_bits"] == 2048

    assert report.mta_sts["mode"] == "enforce" and report.mta_sts["errors"] == []
    assert report.mta_sts["mx_not_covered"] == [] and report.mta_sts["max_age"] == 604800
    assert report.tls_rpt["rua"] == ["mailto:tls-reports@good.test"]
    assert report.caa["found"] and report.caa["issue"] == ["letsencrypt.org"]
    assert report.caa["issuewild"] == [";"] and report.caa["location"] == "good.test"
    assert report.dnssec["signed"] and report.dnssec["ds_at_parent"] and report.dnssec["ad_flag"]
    assert report.dnssec["algorithms"] == [13] and report.dnssec["dnskey_count"] == 2
    assert report.mx == [
        {"preference": 10, "exchange": "mx1.good.test"},
        {"preference": 20, "exchange": "mx2.good.test"},
    ]
    assert report.notes == [] and report.unresolved == []

    found = findings(report)
    failed = [finding.as_dict() for finding in found if not finding.passed]
    assert failed == []
    assert set(_by_id(found)) == {
        "dns.spf", "dns.spf.lookups", "dns.spf.all", "dns.dmarc", "dns.dmarc.policy", "dns.dmarc.pct",
        "dns.dmarc.rua", "dns.dkim", "dns.mta_sts", "dns.caa", "dns.dnssec",
    }  # fmt: skip
    assert all(finding.category == "dns" and finding.target == "good.test" for finding in found)
    assert "soc2:CC6.6" in _by_id(found)["dns.spf"].controls
    DnsReport.model_validate_json(report.model_dump_json())  # evidence is JSON-serialisable


async def test_subdomain_inherits_dmarc_caa_and_dnssec_from_its_parent(check: Callable[..., Any]) -> None:
    report = await check("shop.good.test")
    assert report.dmarc["location"] == "good.test" and report.dmarc["inherited"]
    assert report.dmarc["policy"] == "reject" and report.dmarc["applied_policy"] == "quarantine"
    assert report.caa["found"] and report.caa["location"] == "good.test"
    assert report.dnssec["zone"] == "good.test" and report.dnssec["signed"]
    assert report.spf["record"] is None and report.mx == []
    assert any("v=spf1 -all" in note for note in report.notes)
    spf = _by_id(findings(report))["dns.spf"]
    assert not spf.passed and spf.severity == "high" and "p=reject" in spf.remediation


# --- SPF -----------------------------------------------------------------------------------------------


async def test_no_spf_no_dmarc_no_mail(check: Callable[..., Any]) -> None:
    report = await check("nomail.test")
    found = _by_id(findings(report))
    assert (found["dns.spf"].passed, found["dns.spf"].severity) == (False, "high")
    assert "dns.spf.lookups" not in found and "dns.spf.all" not in found
    assert (found["dns.dmarc"].passed, found["dns.dmarc"].severity) == (False, "high")
    assert "dns.dmarc.policy" not in found
    assert found["dns.mta_sts"].passed  # no inbound mail: nothing to protect
    assert (found["dns.caa"].passed, found["dns.caa"].severity) == (False, "low")
    assert (found["dns.dnssec"].passed, found["dns.dnssec"].severity) == (False, "low")
    assert report.dnssec["signed"] is False and report.dnssec["ds_at_parent"] is False
    assert any("No MX" in note for note in report.notes)


async def test_two_spf_records_fail(check: Callable[..., Any]) -> None:
    report = await check("twospf.test")
    assert report.spf["record"] is None and len(report.spf["records"]) == 2 and not report.spf["valid"]
    finding = _by_id(findings(report))["dns.spf"]
    assert not finding.passed and finding.severity == "high" and "Several" in finding.title


@pytest.mark.parametrize(
    ("domain", "qualifier", "passed", "severity"),
    [
        ("plusall.test", "+", False, "high"),
        ("softall.test", "~", False, "low"),
        ("good.test", "-", True, "high"),
    ],
)
async def test_all_qualifier(
    check: Callable[..., Any], domain: str, qualifier: str, passed: bool, severity: str
) -> None:
    report = await check(domain)
    assert report.spf["all_qualifier"] == qualifier
    finding = _by_id(findings(report))["dns.spf.all"]
    assert (finding.passed, finding.severity) == (passed, severity)


async def test_redirect_inherits_the_all_qualifier(check: Callable[..., Any]) -> None:
    report = await check("redirect.test")
    assert report.spf["valid"] and report.spf["lookups"] == 1
    assert report.spf["redirect"]["domain"] == "_spf.provider.test"
    assert report.spf["all_qualifier"] == "~"


async def test_more_than_ten_lookups_through_nested_includes(check: Callable[..., Any]) -> None:
    report = await check("many.test")
    assert report.spf["lookups"] == 11 and not report.spf["valid"]
    assert any("over the limit of 10" in error for error in report.spf["lookup_errors"])
    depth, node = 0, report.spf["includes"][0]
    while node["includes"]:
        depth, node = depth + 1, node["includes"][0]
    assert depth == 10  # the whole include tree is reported
    found = _by_id(findings(report))
    assert (found["dns.spf.lookups"].passed, found["dns.spf.lookups"].severity) == (False, "high")
    assert found["dns.spf"].passed  # the record itself is well-formed


async def test_include_loop_is_an_error(check: Callable[..., Any]) -> None:
    report = await check("loop.test")
    assert any("loops back" in error for error in report.spf["errors"])
    loop = report.spf["includes"][0]["includes"][0]["includes"][0]
    assert loop == loop | {"domain": "loop-a.test", "error": "loop"}
    assert not _by_id(findings(report))["dns.spf"].passed


async def test_void_lookups_over_two(check: Callable[..., Any]) -> None:
    report = await check("void.test")
    assert report.spf["void_lookups"] == 3 and report.spf["lookups"] == 3
    assert any("void lookups" in error for error in report.spf["lookup_errors"])
    assert not _by_id(findings(report))["dns.spf.lookups"].passed


async def test_spf_syntax_errors_and_ptr(check: Callable[..., Any]) -> None:
    report = await check("syntax.test")
    errors = " | ".join(report.spf["errors"])
    assert "300.1.1.1" in errors and "include needs a domain" in errors and "'foo:bar'" in errors
    assert any("deprecated" in warning for warning in report.spf["warnings"])
    assert any("redirect= is ignored" in warning for warning in report.spf["warnings"])
    assert not _by_id(findings(report))["dns.spf"].passed


# --- DMARC -----------------------------------------------------------------------------------------------


async def test_dmarc_policy_none(check: Callable[..., Any]) -> None:
    found = _by_id(findings(await check("dmarcnone.test")))
    assert found["dns.dmarc"].passed
    assert (found["dns.dmarc.policy"].passed, found["dns.dmarc.policy"].severity) == (False, "medium")


async def test_dmarc_pct_below_100(check: Callable[..., Any]) -> None:
    report = await check("dmarcpct.test")
    assert report.dmarc["pct"] == 50
    found = _by_id(findings(report))
    assert (found["dns.dmarc.pct"].passed, found["dns.dmarc.pct"].severity) == (False, "low")
    assert found["dns.dmarc.policy"].passed


async def test_dmarc_without_rua(check: Callable[..., Any]) -> None:
    found = _by_id(findings(await check("dmarcnorua.test")))
    assert (found["dns.dmarc.rua"].passed, found["dns.dmarc.rua"].severity) == (False, "low")


async def test_dmarc_external_report_domain_must_authorise(check: Callable[..., Any]) -> None:
    report = await check("dmarcext.test")
    assert report.dmarc["unauthorised_report_domains"] == ["reports.test"]
    assert not _by_id(findings(report))["dns.dmarc.rua"].passed


async def test_invalid_and_duplicate_dmarc(check: Callable[..., Any]) -> None:
    bad = await check("dmarcbad.test")
    errors = " | ".join(bad.dmarc["errors"])
    assert "p=maybe" in errors and "pct=150" in errors and "mailto:nobody" in errors
    assert not _by_id(findings(bad))["dns.dmarc"].passed
    two = await check("dmarctwo.test")
    assert two.dmarc["record"] is None and len(two.dmarc["records"]) == 2
    assert "Several" in _by_id(findings(two))["dns.dmarc"].title


# --- DKIM ------------------------------------------------------------------------------------------------


async def test_dkim_absent_is_unknown_never_pass(check: Callable[..., Any]) -> None:
    report = await check("softall.test", dkim_selectors=["notthere"])
    assert report.dkim["status"] == "unknown"
    assert report.dkim["selectors"] == {"notthere": {"found": False}}
    assert "google" in report.dkim["checked_selectors"] and "selector1" in report.dkim["checked_selectors"]
    finding = _by_id(findings(report))["dns.dkim"]
    assert (finding.passed, finding.severity) == (False, "info")


async def test_dkim_1024_bit_key_warns_and_given_selector_is_tried(check: Callable[..., Any]) -> None:
    report = await check("dkim1024.test", dkim_selectors=["Brand2024"])
    selectors = report.dkim["selectors"]
    assert selectors["selector1"]["key_bits"] == 1024 and selectors["brand2024"]["key_bits"] == 2048
    assert report.dkim["status"] == "pass"  # 1024 is allowed, only not recommended
    per_selector = {finding.key: finding for finding in findings(report) if finding.key}
    short_key = per_selector["selector:selector1"]
    assert (short_key.passed, short_key.severity) == (False, "low")
    assert per_selector["selector:brand2024"].passed


async def test_dkim_key_under_1024_bits_fails(check: Callable[..., Any]) -> None:
    report = await check("dkimweak.test")
    assert report.dkim["status"] == "fail" and report.dkim["selectors"]["default"]["key_bits"] == 768
    found = findings(report)
    overall = _by_id(found)["dns.dkim"]
    assert (overall.passed, overall.severity) == (False, "medium")
    weak = next(finding for finding in found if finding.key == "selector:default")
    assert (weak.passed, weak.severity) == (False, "medium")


async def test_revoked_dkim_key(check: Callable[..., Any]) -> None:
    report = await check("revoked.test")
    assert report.dkim["selectors"]["s1"]["revoked"] and report.dkim["status"] == "unknown"
    revoked = next(finding for finding in findings(report) if finding.key == "selector:s1")
    assert revoked.passed and revoked.severity == "info"


# --- MTA-STS, CAA, DNSSEC ----------------------------------------------------------------------------------


async def test_mta_sts_testing_mode_and_missing_policy(check: Callable[..., Any]) -> None:
    testing = await check("ststesting.test")
    assert testing.mta_sts["mode"] == "testing" and testing.mta_sts["errors"] == []
    testing_finding = _by_id(findings(testing))["dns.mta_sts"]
    assert (testing_finding.passed, testing_finding.severity) == (False, "low")
    missing = await check("sts404.test")
    assert any("HTTP 404" in error for error in missing.mta_sts["errors"])
    no_record = await check("softall.test")
    assert no_record.mta_sts["record"] is None and not _by_id(findings(no_record))["dns.mta_sts"].passed


async def test_mta_sts_policy_must_cover_the_mx_hosts(check: Callable[..., Any]) -> None:
    report = await check("stsmismatch.test")
    assert report.mta_sts["mx_not_covered"] == ["mx.stsmismatch.test"]
    assert not _by_id(findings(report))["dns.mta_sts"].passed


async def test_no_caa(check: Callable[..., Any]) -> None:
    report = await check("softall.test")
    assert report.caa["found"] is False
    assert not _by_id(findings(report))["dns.caa"].passed


async def test_signed_zone_without_ds(check: Callable[..., Any]) -> None:
    report = await check("island.test")
    assert report.dnssec["signed"] and not report.dnssec["ds_at_parent"]
    finding = _by_id(findings(report))["dns.dnssec"]
    assert not finding.passed and "no DS" in finding.title


async def test_failed_lookups_give_no_finding(check: Callable[..., Any]) -> None:
    report = await check("partial.test")
    assert report.unresolved == ["dmarc", "mta_sts"]
    assert any("SERVFAIL" in error for error in report.dmarc["errors"])
    found = _by_id(findings(report))
    assert "dns.dmarc" not in found and "dns.mta_sts" not in found
    assert found["dns.spf"].passed


# --- whole-domain failures -----------------------------------------------------------------------------


async def test_nxdomain(check: Callable[..., Any]) -> None:
    with pytest.raises(CheckError) as raised:
        await check("missing.test")
    assert raised.value.code == "NO_SUCH_DOMAIN"


async def test_servfail_is_unreachable(check: Callable[..., Any]) -> None:
    with pytest.raises(CheckError) as raised:
        await check("broken.test")
    assert raised.value.code == "DNS_UNREACHABLE"


async def test_silent_nameserver_times_out() -> None:
    sock, port = silent_udp_port()
    try:
        with pytest.raises(CheckError) as raised:
            await check_domain("good.test", nameservers=[("127.0.0.1", port)], timeout=0.3)
    finally:
        sock.close()
    assert raised.value.code == "DNS_UNREACHABLE"


async def test_invalid_domain() -> None:
    with pytest.raises(CheckError) as raised:
        await check_domain("not a domain", nameservers=[("127.0.0.1", 9)], timeout=0.3)
    assert raised.value.code == "INVALID_DOMAIN"


# --- the test server and the parsers -------------------------------------------------------------------


def test_server_answers_over_tcp(dns_server: LocalDnsServer) -> None:
    reply = tcp_query(dns_server.address, "google._domainkey.good.test", "TXT")
    assert KEY_2048[:40] in str(reply.rr[0].rdata)


def test_organisational_domain() -> None:
    assert organisational_domain("mail.example.com") == "example.com"
    assert organisational_domain("a.b.shop.example.co.uk") == "example.co.uk"
    assert organisational_domain("example.com.au") == "example.com.au"
    assert organisational_domain("example.com") == "example.com"


def test_parsers() -> None:
    spf = parse_spf(
        "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a/24 mx:%{d}.example.com exists:%{i}.x.test -all"
    )
    assert spf.errors == [] and [term.name for term in spf.terms][-1] == "all"
    assert parse_spf("v=spf1 foo -all").errors == ["'foo' is not a known SPF mechanism"]
    assert parse_spf("v=spf1 all:x.test").errors == ["'all:x.test': 'all' takes no argument"]
    assert mx_matches_pattern("mx1.example.com", "*.example.com")
    assert not mx_matches_pattern("a.mx1.example.com", "*.example.com")
    assert not mx_matches_pattern("example.com", "*.example.com")
    assert parse_dmarc("p=reject; v=DMARC1").errors == ["the record must start with v=DMARC1"]
    assert parse_dmarc("v=DMARC1; p=reject; rua=mailto:a@b.test!10m").rua == ["a@b.test"]
    assert parse_dkim("v=DKIM1; k=ed25519; p=" + base64.b64encode(bytes(32)).decode())["key_bits"] == 256
    assert parse_dkim("v=DKIM1; p=!!!")["errors"] == ["p= is not valid base64"]
    policy = parse_mta_sts_policy("version: STSv1\nmode: enforce\nmax_age: 99999999\n")
    assert any("max_age" in error for error in policy["errors"]) and any("mx" in e for e in policy["errors"])
