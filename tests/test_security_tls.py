"""The TLS check against real TLS servers on 127.0.0.1, with certificates from a private test CA that
the check is told to trust through `extra_ca_pem`."""

from __future__ import annotations

import datetime as dt
import socket
import ssl

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from binelek.security.checks.base import CheckError, Finding
from binelek.security.checks.tls import (
    RatingInput,
    TlsReport,
    check_tls,
    expiry_severity,
    findings,
    hostname_matches,
    letter_for_score,
    local_protocol_support,
    rate,
)
from tests.security_tls_servers import (
    TestCA,
    plain_tcp_server,
    rsa_key,
    self_signed,
    server_context,
    tls_server,
)

NAME = "good.test"
ONE_YEAR = 365 * 24 * 3600
EXPECTED_CHECK_IDS = {
    "tls.grade",
    "tls.protocol.tls10",
    "tls.protocol.tls11",
    "tls.no_tls12_or_13",
    "tls.weak_cipher",
    "tls.forward_secrecy",
    "tls.key_size",
    "tls.signature",
    "tls.chain",
    "tls.self_signed",
    "tls.hostname",
    "tls.expiry",
}


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


@pytest.fixture(scope="module")
def rsa_2048() -> rsa.RSAPrivateKey:
    return rsa_key(2048)  # generated once: RSA key generation is the slow part of these tests


async def scan(context: ssl.SSLContext, ca: TestCA) -> TlsReport:
    with tls_server(context) as server:
        return await check_tls(server.host, server.port, server_name=NAME, extra_ca_pem=ca.pem)


def by_id(report: TlsReport) -> dict[str, Finding]:
    return {finding.check_id: finding for finding in findings(report)}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def test_good_certificate_grades_a_and_a_plus_with_long_hsts(ca: TestCA) -> None:
    context = server_context(ca.issue([NAME, "www.good.test"]))
    with tls_server(context) as server:
        plain = await check_tls(server.host, server.port, server_name=NAME, extra_ca_pem=ca.pem)
        with_hsts = await check_tls(
            server.host, server.port, server_name=NAME, extra_ca_pem=ca.pem, hsts_max_age=ONE_YEAR
        )

    assert plain.protocols["TLSv1.2"] == plain.protocols["TLSv1.3"] == "offered"
    assert plain.protocols["TLSv1.0"] in {"not_offered", "untested"}
    assert plain.protocols["SSLv3"] == plain.protocols["SSLv2"] == "untested"
    assert all(c["forward_secrecy"] and c["aead"] for c in plain.ciphers)
    assert {c["protocol"] for c in plain.ciphers} == {"TLSv1.2", "TLSv1.3"}
    assert plain.weak_ciphers_accepted == []
    assert plain.chain_valid and plain.chain_error is None and plain.hostname_match
    cert = plain.certificate
    assert cert["subject"] == f"CN={NAME}" and cert["issuer"] == "CN=Binelek Test Root CA"
    assert cert["sans"] == [NAME, "www.good.test"]
    assert (cert["key_type"], cert["key_bits"], cert["key_curve"]) == ("EC", 256, "secp256r1")
    assert cert["signature_hash"] == "sha256" and not cert["self_signed"]
    assert 88 <= cert["days_left"] <= 90
    assert plain.score >= 80 and plain.grade == "A" and plain.caps == []
    assert any("HSTS" in note for note in plain.notes)
    assert plain.error is None

    assert with_hsts.grade == with_hsts.grade_if_trusted == "A+"
    results = by_id(plain)
    assert set(results) == EXPECTED_CHECK_IDS
    assert all(finding.passed for finding in results.values())
    assert all(f.category == "tls" and f.target == f"127.0.0.1:{plain.port}" for f in results.values())
    assert all("soc2:CC6.7" in f.controls and f.remediation for f in results.values())


async def test_expired_certificate_is_untrusted_and_critical(ca: TestCA) -> None:
    issued = ca.issue(
        [NAME], not_before=now() - dt.timedelta(days=100), not_after=now() - dt.timedelta(days=2)
    )
    report = await scan(server_context(issued), ca)

    assert report.certificate["days_left"] < 0
    assert not report.chain_valid and "expired" in (report.chain_error or "")
    assert report.grade == "T" and report.grade_if_trusted == "A"
    expiry = by_id(report)["tls.expiry"]
    assert not expiry.passed and expiry.severity == "critical" and expiry.evidence["days_left"] < 0
    assert not by_id(report)["tls.chain"].passed


@pytest.mark.parametrize(("days", "severity"), [(5, "high"), (20, "low")])
async def test_expiry_alert_rises_as_the_certificate_nears_its_end(
    ca: TestCA, days: int, severity: str
) -> None:
    issued = ca.issue([NAME], not_after=now() + dt.timedelta(days=days, hours=1))
    report = await scan(server_context(issued), ca)

    expiry = by_id(report)["tls.expiry"]
    assert expiry.evidence["days_left"] == days
    assert not expiry.passed and expiry.severity == severity
    assert report.chain_valid and report.grade == "A"  # expiring soon is an alert, not a grade cap


async def test_self_signed_certificate(ca: TestCA) -> None:
    report = await scan(server_context(self_signed([NAME])), ca)

    assert report.certificate["self_signed"]
    assert not report.chain_valid and "self-signed" in (report.chain_error or "")
    assert report.grade == "T" and report.grade_if_trusted == "A"
    results = by_id(report)
    assert not results["tls.self_signed"].passed and not results["tls.chain"].passed
    assert results["tls.hostname"].passed


async def test_certificate_for_another_host(ca: TestCA) -> None:
    report = await scan(server_context(ca.issue(["other.test", "*.other.test"])), ca)

    assert report.chain_valid and not report.hostname_match
    assert report.grade == "T" and report.grade_if_trusted == "A"
    assert any(NAME in cap for cap in report.caps)
    hostname = by_id(report)["tls.hostname"]
    assert not hostname.passed and hostname.evidence["sans"] == ["other.test", "*.other.test"]


async def test_rsa_1024_key_caps_the_grade_at_b(ca: TestCA) -> None:
    issued = ca.issue([NAME], key=rsa_key(1024))
    with pytest.raises(ssl.SSLError):
        server_context(issued)  # OpenSSL 3 at its default security level will not even load it
    report = await scan(server_context(issued, ciphers="DEFAULT:@SECLEVEL=0"), ca)

    assert (report.certificate["key_type"], report.certificate["key_bits"]) == ("RSA", 1024)
    assert report.grade == "B" and any("1024-bit key" in cap for cap in report.caps)
    key_size = by_id(report)["tls.key_size"]
    assert not key_size.passed and key_size.severity == "medium"


async def test_sha1_signed_certificate_is_distrusted(ca: TestCA) -> None:
    issued = ca.issue_sha1([NAME])
    if issued is None:
        pytest.skip("no openssl command line able to sign with SHA-1 (cryptography refuses to)")
    report = await scan(server_context(issued, ciphers="DEFAULT:@SECLEVEL=0"), ca)

    assert report.certificate["signature_hash"] == "sha1"
    assert report.certificate["signature_algorithm"] == "ecdsa-with-SHA1"
    assert report.grade == "T" and any("SHA-1" in cap for cap in report.caps)
    signature = by_id(report)["tls.signature"]
    assert not signature.passed and signature.severity == "high"


async def test_server_offering_only_tls13(ca: TestCA) -> None:
    context = server_context(ca.issue([NAME]), minimum=ssl.TLSVersion.TLSv1_3)
    report = await scan(context, ca)

    assert report.protocols["TLSv1.3"] == "offered" and report.protocols["TLSv1.2"] == "not_offered"
    assert [c["protocol"] for c in report.ciphers] == ["TLSv1.3"]
    assert report.grade == "A"
    assert by_id(report)["tls.no_tls12_or_13"].passed


async def test_server_offering_only_tls12(ca: TestCA) -> None:
    context = server_context(ca.issue([NAME]), maximum=ssl.TLSVersion.TLSv1_2)
    report = await scan(context, ca)

    assert report.protocols["TLSv1.2"] == "offered" and report.protocols["TLSv1.3"] == "not_offered"
    assert report.grade == "A" and "TLS 1.3 not offered" in report.notes


async def test_server_allowing_tls10_is_capped_at_b(ca: TestCA) -> None:
    if not local_protocol_support()["TLSv1.0"]:
        pytest.skip("this machine's OpenSSL cannot offer TLS 1.0 even at @SECLEVEL=0")
    context = server_context(ca.issue([NAME]), minimum=ssl.TLSVersion.TLSv1, ciphers="DEFAULT:@SECLEVEL=0")
    report = await scan(context, ca)

    assert report.protocols["TLSv1.0"] == report.protocols["TLSv1.1"] == "offered"
    assert report.grade == "B" and "TLS 1.0 offered: grade capped at B" in report.caps
    results = by_id(report)
    assert not results["tls.protocol.tls10"].passed and results["tls.protocol.tls10"].severity == "medium"
    assert not results["tls.protocol.tls11"].passed


async def test_null_and_anonymous_suites_fail_the_grade(ca: TestCA, rsa_2048: rsa.RSAPrivateKey) -> None:
    context = server_context(ca.issue([NAME], key=rsa_2048), ciphers="ALL:eNULL:@SECLEVEL=0")
    report = await scan(context, ca)

    groups = {entry.split(":")[0] for entry in report.weak_ciphers_accepted}
    assert {"TLSv1.2 NULL", "TLSv1.2 anonymous"} <= groups
    assert report.grade == "F" and report.score == 0  # anonymous key exchange zeroes the score
    weak = by_id(report)["tls.weak_cipher"]
    assert not weak.passed and weak.severity == "high" and weak.evidence["accepted"]


async def test_static_rsa_key_exchange_lacks_forward_secrecy(ca: TestCA, rsa_2048: rsa.RSAPrivateKey) -> None:
    context = server_context(
        ca.issue([NAME], key=rsa_2048),
        maximum=ssl.TLSVersion.TLSv1_2,
        ciphers="AES256-GCM-SHA384:AES128-GCM-SHA256",
    )
    report = await scan(context, ca)

    assert report.ciphers[0]["name"] == "AES256-GCM-SHA384" and not report.ciphers[0]["forward_secrecy"]
    assert report.grade == "B" and any("forward secrecy" in cap for cap in report.caps)
    assert not by_id(report)["tls.forward_secrecy"].passed


async def test_closed_port_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(CheckError) as raised:
        await check_tls("127.0.0.1", port, timeout=2)
    assert raised.value.code == "UNREACHABLE"


async def test_plain_tcp_service_fails_the_handshake() -> None:
    with plain_tcp_server() as port, pytest.raises(CheckError) as raised:
        await check_tls("127.0.0.1", port, timeout=2)
    assert raised.value.code == "TLS_HANDSHAKE_FAILED"


def test_letters_follow_the_rating_guide_thresholds() -> None:
    assert [letter_for_score(s) for s in (100, 80, 79, 65, 64, 50, 49, 35, 34, 20, 19, 0)] == [
        "A", "A", "B", "B", "C", "C", "D", "D", "E", "E", "F", "F",
    ]  # fmt: skip


def test_expiry_thresholds() -> None:
    steps = {days: expiry_severity(days) for days in (-1, 0, 7, 8, 14, 15, 30, 31)}
    assert steps == {
        -1: "critical", 0: "high", 7: "high", 8: "medium", 14: "medium", 15: "low", 30: "low", 31: None,
    }  # fmt: skip


def test_hostname_matching_follows_rfc6125() -> None:
    assert hostname_matches("www.example.com", ["*.example.com"], [])
    assert hostname_matches("WWW.Example.com.", ["www.example.com"], [])
    assert not hostname_matches("a.b.example.com", ["*.example.com"], [])
    assert not hostname_matches("example.com", ["*.example.com"], [])
    assert not hostname_matches("example.com", ["*.com"], [])
    assert not hostname_matches("foo.example.com", ["f*.example.com"], [])
    assert hostname_matches("127.0.0.1", [], ["127.0.0.1"])
    assert not hostname_matches("127.0.0.1", ["127.0.0.1"], [])  # an IP needs an IP SAN


def _facts(ciphers: list[dict[str, object]], **changes: object) -> RatingInput:
    base: dict[str, object] = {
        "protocols": {
            "TLSv1.0": "not_offered",
            "TLSv1.1": "not_offered",
            "TLSv1.2": "offered",
            "TLSv1.3": "offered",
        },
        "ciphers": ciphers,
        "weak": [],
        "accepts_128": True,
        "certificate": {"key_type": "RSA", "key_bits": 2048, "signature_hash": "sha256", "days_left": 60},
        "chain_valid": True,
        "chain_error": None,
        "hostname_match": True,
        "server_name": NAME,
        "hsts_max_age": ONE_YEAR,
    }
    base.update(changes)
    return RatingInput(**base)  # type: ignore[arg-type]


def test_partial_forward_secrecy_is_a_warning_that_gives_a_minus() -> None:
    ciphers = [
        {
            "protocol": "TLSv1.2",
            "name": "AES256-GCM-SHA384",
            "bits": 256,
            "forward_secrecy": False,
            "aead": True,
        },
        {
            "protocol": "TLSv1.3",
            "name": "TLS_AES_256_GCM_SHA384",
            "bits": 256,
            "forward_secrecy": True,
            "aead": True,
        },
    ]
    rating = rate(_facts(ciphers))
    assert rating.grade == "A-" and any("TLSv1.2" in cap for cap in rating.caps)


def test_cbc_only_tls12_without_tls13_is_capped_at_b() -> None:
    ciphers = [
        {
            "protocol": "TLSv1.2",
            "name": "ECDHE-RSA-AES128-SHA256",
            "bits": 128,
            "forward_secrecy": True,
            "aead": False,
        }
    ]
    protocols = {
        "TLSv1.0": "not_offered",
        "TLSv1.1": "not_offered",
        "TLSv1.2": "offered",
        "TLSv1.3": "not_offered",
    }
    rating = rate(_facts(ciphers, protocols=protocols))
    assert rating.grade == "B" and any("AEAD" in cap for cap in rating.caps)
