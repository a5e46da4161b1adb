"""TLS check: which protocol versions and cipher groups a server accepts, what its certificate says,
whether it is trusted for the name asked, and an SSL Labs-style letter grade.

Grading follows the SSL Labs "SSL Server Rating Guide" (the 2009-series guide on the ssllabs/research
wiki) and the grading changes Qualys announced on its blog after it:

- Score = 30 % protocol support + 30 % key exchange + 40 % cipher strength, each 0-100; a zero in
  any category makes the score zero. Protocol and cipher categories average the best and the worst
  value seen. Letters: A >= 80, B >= 65, C >= 50, D >= 35, E >= 20, F below.
- Caps applied here: TLS 1.0/1.1 offered -> B (Jan 2020); neither TLS 1.2 nor 1.3 -> C (2015);
  no forward secrecy with any protocol -> B (2018); TLS 1.2 only with a CBC suite chosen, so no AEAD
  for modern clients -> B (2018); RC4 -> C, or F when accepted with TLS 1.1+ (2015/2017); 64-bit
  block ciphers (3DES, IDEA) with TLS 1.1+ -> C (2017); NULL, anonymous, export and single-DES
  suites -> F; certificate key below 1024 bits (RSA-equivalent) -> F, below 2048 -> B (2014); MD5
  certificate signature -> F (2014).
- Trust: an untrusted chain, an expired or self-signed certificate, a SHA-1 signature (distrusted
  since 2017) or a name mismatch gives "T"; `grade_if_trusted` keeps the grade the configuration
  would earn with a trusted certificate.
- Warnings turn an A into A- (2014): a protocol version from TLS 1.2 up that negotiates a suite
  without forward secrecy while another version has it. A+ needs an A with no warnings and HSTS with
  max-age of at least 180 days (`hsts_max_age`, observed by the web check). SSL Labs has no rule
  for a missing TLS 1.3, so it is only a note here.

Not testable with Python's ssl module, so listed in `untested` and never counted either way: SSLv2
and SSLv3, suite groups the local OpenSSL no longer ships (RC4, 3DES, EXPORT, DES on OpenSSL 3), the
ephemeral (EC)DH parameter size (Logjam caps), Heartbleed, ROBOT, POODLE-TLS, CCS injection,
insecure renegotiation, TLS_FALLBACK_SCSV, TLS compression, OCSP stapling, and the difference
between an incomplete chain (B at SSL Labs) and an untrusted one (no AIA fetching here).
Differences from SSL Labs: cipher strength uses the suites our probes see (per-version default
offer, weak groups, a 128-bit group), not a full one-suite-at-a-time enumeration, and the key
exchange category uses the certificate key only.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from pydantic import BaseModel, Field

from binelek.security.checks.base import CheckError, Finding, Severity

ProtocolState = Literal["offered", "not_offered", "untested"]

TLS_VERSIONS: dict[str, ssl.TLSVersion] = {
    "TLSv1.0": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
UNTESTABLE_PROTOCOLS = ("SSLv2", "SSLv3")  # Python's ssl cannot send an SSLv2/SSLv3 hello
PROTOCOL_SCORES = {"SSLv2": 0, "SSLv3": 80, "TLSv1.0": 90, "TLSv1.1": 95, "TLSv1.2": 100, "TLSv1.3": 100}
GRADE_ORDER = ("A+", "A", "A-", "B", "C", "D", "E", "F")
TRUST_GRADE = "T"
HSTS_LONG_MAX_AGE = 180 * 24 * 3600
PROBE_CONCURRENCY = 4  # handshakes in flight per target: enough to be quick, few enough to be polite
LEGACY_LEVEL = "@SECLEVEL=0"  # let the client speak to weak servers so it can report on them
NO_PSK_SRP = ":!PSK:!SRP"  # those suites need a pre-shared secret; offering them only bloats the hello
DEFAULT_OFFER = "DEFAULT" + NO_PSK_SRP + ":" + LEGACY_LEVEL
CONTROLS = ("soc2:CC6.1", "soc2:CC6.7", "gdpr:art32", "hipaa:164.312(e)(1)", "pci:4.2.1")
EXPIRY_STEPS: tuple[tuple[int, Severity], ...] = ((7, "high"), (14, "medium"), (30, "low"))
WEAK_SIGNATURE_HASHES = {"md2", "md4", "md5", "sha1"}


@dataclass(frozen=True)
class CipherGroup:
    """A family of suites probed on its own: does the server accept any of them?"""

    name: str
    openssl: str  # OpenSSL cipher string selecting the family
    cap: str | None  # grade cap when accepted (None: reported, not graded)
    why: str


WEAK_GROUPS = (
    CipherGroup("NULL", "eNULL", "F", "no encryption"),
    CipherGroup("anonymous", "aNULL:!eNULL", "F", "no server authentication"),
    CipherGroup("EXPORT", "EXP", "F", "export-grade, deliberately breakable"),
    CipherGroup("DES", "DES:!3DES", "F", "56-bit single DES"),
    CipherGroup("RC4", "RC4", "C", "RC4 stream cipher biases"),
    CipherGroup("64-bit block", "3DES:IDEA", "C", "64-bit block cipher (Sweet32)"),
)
STATIC_RSA_GROUP = CipherGroup("static RSA", "kRSA:!eNULL:!aNULL", None, "no forward secrecy")
CBC_GROUP = CipherGroup(
    "CBC", "ALL:!eNULL:!aNULL:!AESGCM:!AESCCM:!CHACHA20:!ARIAGCM", None, "CBC mode (no AEAD)"
)
STRENGTH_128_GROUP = CipherGroup(
    "128-bit", "AES128:CAMELLIA128:ARIA128:SEED:!eNULL:!aNULL", None, "128-bit suites"
)


class TlsReport(BaseModel):
    host: str
    port: int
    server_name: str
    protocols: dict[str, ProtocolState]  # "SSLv2", "SSLv3" (always untested), "TLSv1.0".."TLSv1.3"
    ciphers: list[dict[str, Any]]  # negotiated per protocol: protocol, name, bits, forward_secrecy, aead
    weak_ciphers_accepted: list[str]  # "TLSv1.2 NULL: ECDHE-RSA-NULL-SHA"
    certificate: dict[str, Any]  # subject, sans, issuer, not_before, not_after, days_left, key_type,
    # key_bits, key_curve, signature_algorithm, signature_hash, self_signed, serial, sha256
    chain_valid: bool
    chain_error: str | None
    hostname_match: bool
    score: int
    grade: str
    grade_if_trusted: str
    caps: list[str]  # why the grade is lower than the score alone would give
    notes: list[str] = Field(default_factory=list)  # observations that do not change the grade
    untested: list[str] = Field(default_factory=list)  # what this machine could not test
    error: str | None  # a partial result: e.g. no certificate presented, or it could not be parsed


# --- handshakes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handshake:
    ok: bool
    version: str | None = None
    cipher: str | None = None
    bits: int | None = None
    cert_der: bytes | None = None
    error: str | None = None
    connected: bool = True  # False when not even TCP got through


def _client_context(
    version: ssl.TLSVersion | None, ciphers: str, *, verify: bool = False, extra_ca_pem: bytes | None = None
) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False  # names are matched by this module, on the parsed certificate
    context.set_ciphers(ciphers)
    if version is not None:
        context.minimum_version = version
        context.maximum_version = version
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1
    if verify:
        _load_trust(context, extra_ca_pem)
    else:
        context.verify_mode = ssl.CERT_NONE
    return context


def _load_trust(context: ssl.SSLContext, extra_ca_pem: bytes | None) -> None:
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_default_certs()
    try:
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    except (ImportError, OSError):
        pass  # the system store alone is still a meaningful trust decision
    if extra_ca_pem:
        context.load_verify_locations(cadata=extra_ca_pem.decode("ascii"))


def _sni(server_name: str) -> str | None:
    return None if _is_ip(server_name) else server_name


def _handshake(host: str, port: int, server_name: str, context: ssl.SSLContext, timeout: float) -> Handshake:
    try:
        raw = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        return Handshake(ok=False, error=f"connect: {exc}", connected=False)
    try:
        with context.wrap_socket(raw, server_hostname=_sni(server_name)) as tls:
            cipher = tls.cipher()
            return Handshake(
                ok=True,
                version=_normalise_version(tls.version()),
                cipher=cipher[0] if cipher else None,
                bits=cipher[2] if cipher else None,
                cert_der=tls.getpeercert(binary_form=True),
            )
    except ssl.SSLCertVerificationError as exc:
        return Handshake(ok=False, error=exc.verify_message or str(exc))
    except (OSError, ssl.SSLError) as exc:  # an alert, a reset or a timeout: the server said no
        return Handshake(ok=False, error=_short_error(exc))
    finally:
        raw.close()


def _normalise_version(version: str | None) -> str | None:
    return "TLSv1.0" if version == "TLSv1" else version


def _short_error(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason)
    return str(exc) or type(exc).__name__


@cache
def local_protocol_support() -> dict[str, bool]:
    """Which versions this machine's OpenSSL can offer at all: a version it refuses to put in a
    ClientHello is untested, never "not offered"."""
    return {name: _can_send_hello(version) for name, version in TLS_VERSIONS.items()}


def _can_send_hello(version: ssl.TLSVersion) -> bool:
    try:
        context = _client_context(version, DEFAULT_OFFER)
        tls = context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="probe.invalid")
        tls.do_handshake()
    except ssl.SSLWantReadError:
        return True  # the hello went out and it now waits for a server: the version works
    except (ssl.SSLError, ValueError):
        return False
    return False


@cache
def local_group_support() -> dict[str, bool]:
    """Which weak-suite families this OpenSSL still ships (OpenSSL 3 dropped RC4, 3DES, EXPORT...)."""
    return {group.name: _group_available(group) for group in (*WEAK_GROUPS, STATIC_RSA_GROUP, CBC_GROUP)}


def _group_available(group: CipherGroup) -> bool:
    try:
        _client_context(None, _group_offer(group))
    except ssl.SSLError:
        return False
    return True


def _group_offer(group: CipherGroup) -> str:
    return group.openssl + NO_PSK_SRP + ":" + LEGACY_LEVEL


@cache
def _suite_facts() -> dict[str, dict[str, Any]]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.set_ciphers("ALL:COMPLEMENTOFALL:" + LEGACY_LEVEL)
    return {suite["name"]: dict(suite) for suite in context.get_ciphers()}


def forward_secret(protocol: str, cipher: str) -> bool:
    if protocol == "TLSv1.3":
        return True  # every TLS 1.3 key exchange is ephemeral
    facts = _suite_facts().get(cipher)
    if facts is not None:
        return facts.get("kea") in {"kx-ecdhe", "kx-dhe"}
    return cipher.startswith(("ECDHE-", "DHE-", "EDH-"))


def aead(protocol: str, cipher: str) -> bool:
    if protocol == "TLSv1.3":
        return True
    facts = _suite_facts().get(cipher)
    if facts is not None:
        return bool(facts.get("aead"))
    return any(mode in cipher for mode in ("GCM", "CHACHA20", "CCM"))


# --- the async check ----------------------------------------------------------------------------------

T = TypeVar("T")


@dataclass
class _Prober:
    host: str
    port: int
    server_name: str
    timeout: float
    limit: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(PROBE_CONCURRENCY))

    async def run(self, context_factory: Callable[[], ssl.SSLContext]) -> Handshake:
        async with self.limit:
            return await asyncio.to_thread(self._blocking, context_factory)

    def _blocking(self, context_factory: Callable[[], ssl.SSLContext]) -> Handshake:
        return _handshake(self.host, self.port, self.server_name, context_factory(), self.timeout)


async def _gather(items: list[Awaitable[T]]) -> list[T]:
    return list(await asyncio.gather(*items))


async def check_tls(
    host: str,
    port: int = 443,
    *,
    server_name: str | None = None,
    extra_ca_pem: bytes | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109 - per connection, not a deadline for the whole check
    hsts_max_age: int | None = None,
) -> TlsReport:
    """Probe `host:port` and grade it. `server_name` is sent as SNI and matched against the
    certificate (default: `host`); `extra_ca_pem` adds trusted roots to the system and certifi stores;
    `hsts_max_age` is what the web check saw, needed for A+.

    Raises CheckError UNREACHABLE when TCP fails, TLS_HANDSHAKE_FAILED when no version handshakes."""
    name = server_name or host
    await _ensure_reachable(host, port, timeout)
    prober = _Prober(host, port, name, timeout)
    protocols, by_version = await _probe_versions(prober)
    chain_probe, weak, notes_found, accepts_128 = await _probe_details(prober, by_version, extra_ca_pem)
    return _build_report(
        host, port, name, protocols, by_version, chain_probe, weak, notes_found, accepts_128, hsts_max_age
    )


async def _ensure_reachable(host: str, port: int, connect_timeout: float) -> None:
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), connect_timeout)
    except (OSError, TimeoutError) as exc:
        raise CheckError(
            f"cannot connect to {host}:{port}: {exc or 'timed out'}", code="UNREACHABLE"
        ) from exc
    writer.close()
    with contextlib.suppress(OSError):  # a reset on close is fine: we only wanted to know it listens
        await writer.wait_closed()


def _version_offer(version: ssl.TLSVersion) -> Callable[[], ssl.SSLContext]:
    return lambda: _client_context(version, DEFAULT_OFFER)


async def _probe_versions(prober: _Prober) -> tuple[dict[str, ProtocolState], dict[str, Handshake]]:
    support = local_protocol_support()
    testable = [name for name in TLS_VERSIONS if support[name]]
    probes = await _gather([prober.run(_version_offer(TLS_VERSIONS[name])) for name in testable])
    if probes and not any(probe.connected for probe in probes):
        raise CheckError(f"cannot connect to {prober.host}:{prober.port}", code="UNREACHABLE")
    if not any(probe.ok for probe in probes):
        reasons = sorted({probe.error or "refused" for probe in probes}) or ["no TLS version usable locally"]
        raise CheckError(
            f"TLS handshake failed with every protocol version on {prober.host}:{prober.port}: "
            + "; ".join(reasons),
            code="TLS_HANDSHAKE_FAILED",
        )
    protocols: dict[str, ProtocolState] = {
        name: "untested" for name in (*UNTESTABLE_PROTOCOLS, *TLS_VERSIONS)
    }
    offered: dict[str, Handshake] = {}
    for name, probe in zip(testable, probes, strict=True):
        # a server that answers with another version than the one allowed has not offered this one
        accepted = probe.ok and probe.version == name
        protocols[name] = "offered" if accepted else "not_offered"
        if accepted:
            offered[name] = probe
    return protocols, offered


@dataclass(frozen=True)
class GroupHit:
    protocol: str
    group: CipherGroup
    cipher: str
    bits: int


async def _probe_details(
    prober: _Prober, offered: dict[str, Handshake], extra_ca_pem: bytes | None
) -> tuple[Handshake, list[GroupHit], list[GroupHit], bool]:
    """The trust handshake, weak-group probes per offered pre-1.3 version, and note probes on the
    best pre-1.3 version, all through the same polite limit."""
    legacy = [name for name in offered if name != "TLSv1.3"]
    available = local_group_support()
    weak_jobs = [(p, g) for p in legacy for g in WEAK_GROUPS if available[g.name]]
    note_jobs = (
        [(legacy[-1], g) for g in (STATIC_RSA_GROUP, CBC_GROUP) if available[g.name]] if legacy else []
    )
    strength_jobs = [(legacy[-1], STRENGTH_128_GROUP)] if legacy else []
    jobs = [*weak_jobs, *note_jobs, *strength_jobs]
    chain_probe, group_results = await asyncio.gather(
        prober.run(lambda: _client_context(None, DEFAULT_OFFER, verify=True, extra_ca_pem=extra_ca_pem)),
        _gather([_probe_group(prober, p, g) for p, g in jobs]),
    )
    hits = [hit for hit in group_results if hit is not None]
    weak = [hit for hit in hits if hit.group in WEAK_GROUPS]
    notes = [hit for hit in hits if hit.group in (STATIC_RSA_GROUP, CBC_GROUP)]
    accepts_128 = any(hit.group is STRENGTH_128_GROUP for hit in hits)
    return chain_probe, weak, notes, accepts_128


async def _probe_group(prober: _Prober, protocol: str, group: CipherGroup) -> GroupHit | None:
    version = TLS_VERSIONS[protocol]
    probe = await prober.run(lambda: _client_context(version, _group_offer(group)))
    if not probe.ok or probe.cipher is None:
        return None
    return GroupHit(protocol, group, probe.cipher, probe.bits or 0)


# --- certificate -----------------------------------------------------------------------------------


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def describe_certificate(der: bytes, now: dt.datetime | None = None) -> dict[str, Any]:
    cert = x509.load_der_x509_certificate(der)
    now = now or dt.datetime.now(dt.UTC)
    dns_names, ip_names = _subject_alt_names(cert)
    key_type, key_bits, curve = _key_facts(cert)
    not_after = cert.not_valid_after_utc
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "sans": [*dns_names, *ip_names],
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": not_after.isoformat(),
        "days_left": (not_after - now).days,
        "key_type": key_type,
        "key_bits": key_bits,
        "key_curve": curve,
        "signature_algorithm": getattr(cert.signature_algorithm_oid, "_name", None)
        or cert.signature_algorithm_oid.dotted_string,
        "signature_hash": _signature_hash(cert),
        "self_signed": _self_signed(cert),
        "serial": format(cert.serial_number, "x"),
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
    }


def _subject_alt_names(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return san.get_values_for_type(x509.DNSName), [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]


def _key_facts(cert: x509.Certificate) -> tuple[str, int | None, str | None]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size, key.curve.name
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256, None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456, None
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size, None
    return type(key).__name__, None, None


def _signature_hash(cert: x509.Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None
    return algorithm.name if algorithm is not None else None  # None for Ed25519/Ed448: no separate hash


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def rsa_equivalent_bits(key_type: str, key_bits: int | None) -> int:
    """Key strength on the RSA scale the rating guide uses (NIST SP 800-57 equivalences)."""
    if key_bits is None:
        return 0
    if key_type in {"RSA", "DSA"}:
        return key_bits
    # elliptic curves: security bits ~ half the curve size
    for curve_bits, rsa_bits in ((512, 15360), (384, 7680), (256, 3072), (224, 2048), (160, 1024)):
        if key_bits >= curve_bits:
            return rsa_bits
    return 512


def hostname_matches(server_name: str, dns_names: list[str], ip_names: list[str]) -> bool:
    """RFC 6125 as browsers apply it: subjectAltName only (no CN fallback), one wildcard as the whole
    left-most label, never on IP addresses or public-suffix-like two-label names."""
    if _is_ip(server_name):
        wanted = ipaddress.ip_address(server_name)
        return any(ipaddress.ip_address(ip) == wanted for ip in ip_names)
    name = server_name.rstrip(".").lower()
    return any(_dns_name_matches(name, pattern.rstrip(".").lower()) for pattern in dns_names)


def _dns_name_matches(name: str, pattern: str) -> bool:
    if not pattern.startswith("*."):
        return "*" not in pattern and name == pattern
    suffix = pattern[2:]
    if "*" in suffix or suffix.count(".") < 1:
        return False
    head, _, rest = name.partition(".")
    return bool(head) and rest == suffix


# --- grading ---------------------------------------------------------------------------------------


def letter_for_score(score: int) -> str:
    for threshold, letter in ((80, "A"), (65, "B"), (50, "C"), (35, "D"), (20, "E")):
        if score >= threshold:
            return letter
    return "F"


def _worse(grade: str, cap: str) -> str:
    return cap if GRADE_ORDER.index(cap) > GRADE_ORDER.index(grade) else grade


def _key_exchange_score(rsa_bits: int, anonymous_accepted: bool) -> int:
    if anonymous_accepted or rsa_bits <= 0:
        return 0
    for limit, score in ((512, 20), (1024, 40), (2048, 80), (4096, 90)):
        if rsa_bits < limit:
            return score
    return 100


def _cipher_bits_score(bits: int) -> int:
    if bits <= 0:
        return 0
    return 20 if bits < 128 else 80 if bits < 256 else 100


@dataclass(frozen=True)
class Rating:
    score: int
    grade: str
    grade_if_trusted: str
    caps: list[str]


@dataclass(frozen=True)
class RatingInput:
    protocols: dict[str, ProtocolState]
    ciphers: list[dict[str, Any]]
    weak: list[GroupHit]
    accepts_128: bool
    certificate: dict[str, Any]
    chain_valid: bool
    chain_error: str | None
    hostname_match: bool
    server_name: str
    hsts_max_age: int | None


def rate(facts: RatingInput) -> Rating:
    score = _score(facts)
    caps: list[tuple[str, str]] = [*_protocol_caps(facts), *_cipher_caps(facts), *_key_caps(facts)]
    grade = letter_for_score(score)
    for cap, _why in caps:
        grade = _worse(grade, cap)
    warnings = _warnings(facts)
    if grade == "A" and warnings:
        grade = "A-"
        caps.extend(("A-", why) for why in warnings)
    elif grade == "A" and (facts.hsts_max_age or 0) >= HSTS_LONG_MAX_AGE:
        grade = "A+"
    trust = _trust_problems(facts)
    reasons = [f"{why}: grade capped at {cap}" for cap, why in caps]
    reasons.extend(f"{why}: grade T (not trusted)" for why in trust)
    return Rating(score, TRUST_GRADE if trust else grade, grade, reasons)


def _score(facts: RatingInput) -> int:
    offered = [name for name, state in facts.protocols.items() if state == "offered"]
    protocol_values = [PROTOCOL_SCORES[name] for name in offered] or [0]
    protocol = (max(protocol_values) + min(protocol_values)) / 2
    anonymous = any(hit.group.name == "anonymous" for hit in facts.weak)
    key_exchange = _key_exchange_score(_cert_rsa_bits(facts.certificate), anonymous)
    bits = [int(c["bits"]) for c in facts.ciphers] + [hit.bits for hit in facts.weak]
    if facts.accepts_128:
        bits.append(128)
    cipher = (_cipher_bits_score(max(bits, default=0)) + _cipher_bits_score(min(bits, default=0))) / 2
    if 0 in (protocol, key_exchange, cipher):
        return 0  # the guide: a zero in any category zeroes the whole score
    return round(0.3 * protocol + 0.3 * key_exchange + 0.4 * cipher)


def _cert_rsa_bits(certificate: dict[str, Any]) -> int:
    if not certificate:
        return 0
    return rsa_equivalent_bits(str(certificate.get("key_type")), certificate.get("key_bits"))


def _protocol_caps(facts: RatingInput) -> list[tuple[str, str]]:
    offered = {name for name, state in facts.protocols.items() if state == "offered"}
    caps = [("B", f"{name.replace('v', ' ')} offered") for name in ("TLSv1.0", "TLSv1.1") if name in offered]
    if not offered & {"TLSv1.2", "TLSv1.3"}:
        caps.append(("C", "neither TLS 1.2 nor TLS 1.3 offered"))
    modern = [c for c in facts.ciphers if c["protocol"] in {"TLSv1.2", "TLSv1.3"}]
    if facts.ciphers and not any(c["forward_secrecy"] for c in facts.ciphers):
        caps.append(("B", "no forward secrecy with any protocol version"))
    if modern and not any(c["aead"] for c in modern):
        caps.append(("B", "no AEAD suite negotiated with TLS 1.2 and no TLS 1.3"))
    return caps


def _cipher_caps(facts: RatingInput) -> list[tuple[str, str]]:
    caps: list[tuple[str, str]] = []
    for hit in facts.weak:
        cap = hit.group.cap or "A"
        modern = hit.protocol != "TLSv1.0"
        if hit.group.name == "RC4" and modern:
            cap = "F"
        elif hit.group.name == "64-bit block" and not modern:
            continue  # SSL Labs penalises 64-bit blocks only with TLS 1.1 and newer
        caps.append(
            (cap, f"{hit.group.name} suite accepted with {hit.protocol} ({hit.cipher}, {hit.group.why})")
        )
    return caps


def _key_caps(facts: RatingInput) -> list[tuple[str, str]]:
    cert = facts.certificate
    if not cert:
        return [("F", "no certificate presented")]
    caps: list[tuple[str, str]] = []
    rsa_bits = _cert_rsa_bits(cert)
    label = f"{cert.get('key_type')} {cert.get('key_bits')}-bit key"
    if rsa_bits < 1024:
        caps.append(("F", f"{label} is insecure"))
    elif rsa_bits < 2048:
        caps.append(("B", f"{label} is weak"))
    if cert.get("signature_hash") in {"md2", "md4", "md5"}:
        caps.append(("F", f"certificate signed with {cert['signature_hash'].upper()}"))
    return caps


def _warnings(facts: RatingInput) -> list[str]:
    modern = [c for c in facts.ciphers if c["protocol"] in {"TLSv1.2", "TLSv1.3"}]
    without_fs = [c["protocol"] for c in modern if not c["forward_secrecy"]]
    if without_fs and any(c["forward_secrecy"] for c in facts.ciphers):
        return [f"no forward secrecy with {', '.join(without_fs)}"]
    return []


def _trust_problems(facts: RatingInput) -> list[str]:
    cert = facts.certificate
    problems: list[str] = []
    if not facts.chain_valid:
        problems.append(f"certificate chain not trusted ({facts.chain_error or 'unknown reason'})")
    if cert and cert.get("days_left", 0) < 0 and "expired" not in (facts.chain_error or ""):
        problems.append("certificate expired")
    if cert and cert.get("self_signed") and "self-signed" not in (facts.chain_error or ""):
        problems.append("certificate is self-signed")
    if cert and cert.get("signature_hash") == "sha1":
        problems.append("certificate signed with SHA-1, distrusted by browsers")
    if not facts.hostname_match:
        problems.append(f"certificate does not match {facts.server_name}")
    return problems


# --- assembling the report ---------------------------------------------------------------------------


def _build_report(
    host: str,
    port: int,
    server_name: str,
    protocols: dict[str, ProtocolState],
    offered: dict[str, Handshake],
    chain_probe: Handshake,
    weak: list[GroupHit],
    note_hits: list[GroupHit],
    accepts_128: bool,
    hsts_max_age: int | None,
) -> TlsReport:
    ciphers = [_cipher_entry(name, probe) for name, probe in offered.items()]
    certificate, error = _certificate_from(offered)
    chain_valid, chain_error = _chain_verdict(chain_probe, certificate)
    dns_names = [n for n in certificate.get("sans", []) if not _is_ip(n)]
    ip_names = [n for n in certificate.get("sans", []) if _is_ip(n)]
    hostname_match = bool(certificate) and hostname_matches(server_name, dns_names, ip_names)
    rating = rate(
        RatingInput(
            protocols, ciphers, weak, accepts_128, certificate, chain_valid, chain_error,
            hostname_match, server_name, hsts_max_age,
        )
    )  # fmt: skip
    return TlsReport(
        host=host,
        port=port,
        server_name=server_name,
        protocols=protocols,
        ciphers=ciphers,
        weak_ciphers_accepted=[f"{hit.protocol} {hit.group.name}: {hit.cipher}" for hit in weak],
        certificate=certificate,
        chain_valid=chain_valid,
        chain_error=chain_error,
        hostname_match=hostname_match,
        score=rating.score,
        grade=rating.grade,
        grade_if_trusted=rating.grade_if_trusted,
        caps=rating.caps,
        notes=_notes(note_hits, protocols, hsts_max_age),
        untested=_untested(protocols, offered),
        error=error,
    )


def _cipher_entry(protocol: str, probe: Handshake) -> dict[str, Any]:
    name = probe.cipher or ""
    return {
        "protocol": protocol,
        "name": name,
        "bits": probe.bits or 0,
        "forward_secrecy": forward_secret(protocol, name),
        "aead": aead(protocol, name),
    }


def _certificate_from(offered: dict[str, Handshake]) -> tuple[dict[str, Any], str | None]:
    # the newest version's certificate is the one modern clients see
    der = next((p.cert_der for p in reversed(list(offered.values())) if p.cert_der), None)
    if der is None:
        return {}, "the server presented no certificate"
    try:
        return describe_certificate(der), None
    except ValueError as exc:
        return {}, f"the server certificate could not be parsed: {exc}"


def _chain_verdict(chain_probe: Handshake, certificate: dict[str, Any]) -> tuple[bool, str | None]:
    if not certificate:
        return False, "no certificate"
    if chain_probe.ok:
        return True, None
    return False, chain_probe.error or "verification handshake failed"


def _notes(note_hits: list[GroupHit], protocols: dict[str, ProtocolState], hsts: int | None) -> list[str]:
    notes = [f"{hit.group.name} suites accepted with {hit.protocol} (e.g. {hit.cipher}): {hit.group.why}"
             for hit in note_hits]  # fmt: skip
    if protocols.get("TLSv1.3") == "not_offered":
        notes.append("TLS 1.3 not offered")
    if hsts is None:
        notes.append("HSTS not known to this check: A+ needs a max-age of at least 180 days")
    elif hsts < HSTS_LONG_MAX_AGE:
        notes.append(f"HSTS max-age {hsts}s is below 180 days: no A+")
    return notes


def _untested(protocols: dict[str, ProtocolState], offered: dict[str, Handshake]) -> list[str]:
    untested = [
        f"{name}: Python's ssl/local OpenSSL cannot offer it"
        for name, s in protocols.items()
        if s == "untested"
    ]
    if any(name != "TLSv1.3" for name in offered):
        available = local_group_support()
        untested.extend(
            f"{g.name} suites: not in local OpenSSL" for g in WEAK_GROUPS if not available[g.name]
        )
    untested.extend(
        [
            "ephemeral (EC)DH parameter size",
            "Heartbleed, ROBOT, POODLE-TLS, CCS injection, renegotiation, TLS_FALLBACK_SCSV, compression",
            "OCSP stapling; incomplete chain versus untrusted root",
        ]
    )
    return untested


# --- findings ---------------------------------------------------------------------------------------


def _target(report: TlsReport) -> str:
    host = f"[{report.host}]" if ":" in report.host else report.host
    return f"{host}:{report.port}"


def _finding(
    report: TlsReport,
    check_id: str,
    passed: bool,
    severity: Severity,
    title: str,
    remediation: str,
    evidence: dict[str, Any],
) -> Finding:
    return Finding(
        check_id=check_id,
        category="tls",
        target=_target(report),
        passed=passed,
        severity=severity,
        title=title,
        evidence=evidence,
        remediation=remediation,
        controls=CONTROLS,
    )


def findings(report: TlsReport) -> list[Finding]:
    result = [
        _grade_finding(report),
        *_protocol_findings(report),
        _weak_cipher_finding(report),
        _forward_secrecy_finding(report),
    ]
    if report.certificate:
        result.extend(_certificate_findings(report))
    else:
        result.append(
            _finding(report, "tls.chain", False, "high", "No usable server certificate",
                     "Install a certificate from a trusted CA for this name.", {"error": report.error})
        )  # fmt: skip
    return result


_GRADE_SEVERITY: dict[str, Severity] = {"B": "low", "C": "medium", "D": "high", "E": "high", "F": "high"}


def _grade_finding(report: TlsReport) -> Finding:
    good = report.grade in {"A+", "A", "A-"}
    severity = _GRADE_SEVERITY.get(report.grade, "high") if not good else "info"
    evidence = {
        "grade": report.grade,
        "grade_if_trusted": report.grade_if_trusted,
        "score": report.score,
        "caps": report.caps,
    }
    return _finding(
        report,
        "tls.grade",
        good,
        severity,
        f"TLS grade {report.grade}",
        "Fix the listed caps: trusted certificate for the name, TLS 1.2/1.3 only, ECDHE with AEAD suites.",
        evidence,
    )


def _protocol_findings(report: TlsReport) -> list[Finding]:
    result: list[Finding] = []
    for protocol, check_id in (("TLSv1.0", "tls.protocol.tls10"), ("TLSv1.1", "tls.protocol.tls11")):
        state = report.protocols.get(protocol, "untested")
        if state == "untested":
            continue  # this machine could not ask: no pass, no fail
        label = protocol.replace("v", " ")
        result.append(
            _finding(
                report,
                check_id,
                state == "not_offered",
                "medium",
                f"{label} offered" if state == "offered" else f"{label} not offered",
                f"Disable {label}; browsers dropped it in 2020 and PCI DSS forbids it.",
                {"protocol": protocol, "state": state},
            )
        )
    modern = [p for p in ("TLSv1.2", "TLSv1.3") if report.protocols.get(p) == "offered"]
    result.append(
        _finding(
            report,
            "tls.no_tls12_or_13",
            bool(modern),
            "high",
            "TLS 1.2/1.3 offered" if modern else "Neither TLS 1.2 nor TLS 1.3 offered",
            "Enable TLS 1.2 and TLS 1.3 on the server.",
            {"offered": modern},
        )
    )
    return result


def _weak_cipher_finding(report: TlsReport) -> Finding:
    weak = report.weak_ciphers_accepted
    insecure = [
        entry for entry in weak if entry.split(" ", 1)[1].startswith(("NULL", "anonymous", "EXPORT", "DES"))
    ]
    severity: Severity = "high" if insecure else "medium"
    untested = [entry for entry in report.untested if entry.endswith("not in local OpenSSL")]
    return _finding(
        report,
        "tls.weak_cipher",
        not weak,
        severity,
        "Weak cipher suites accepted" if weak else "No weak cipher suites accepted",
        "Remove NULL, anonymous, EXPORT, DES, RC4 and 3DES suites from the server's cipher list.",
        {"accepted": weak, "untested": untested},
    )


def _forward_secrecy_finding(report: TlsReport) -> Finding:
    lacking = [c["protocol"] for c in report.ciphers if not c["forward_secrecy"]]
    return _finding(
        report,
        "tls.forward_secrecy",
        not lacking,
        "medium",
        "Forward secrecy with every protocol"
        if not lacking
        else f"No forward secrecy with {', '.join(lacking)}",
        "Prefer ECDHE (or DHE) key exchange suites; drop static RSA key exchange.",
        {"negotiated": report.ciphers},
    )


def _certificate_findings(report: TlsReport) -> list[Finding]:
    return [
        _key_size_finding(report),
        _signature_finding(report),
        _chain_finding(report),
        _self_signed_finding(report),
        _hostname_finding(report),
        _expiry_finding(report),
    ]


def _key_size_finding(report: TlsReport) -> Finding:
    cert = report.certificate
    rsa_bits = _cert_rsa_bits(cert)
    severity: Severity = "high" if rsa_bits < 1024 else "medium"
    label = f"{cert.get('key_type')} {cert.get('key_bits')}-bit key"
    return _finding(
        report,
        "tls.key_size",
        rsa_bits >= 2048,
        severity,
        f"Certificate key {label}" + ("" if rsa_bits >= 2048 else " is too small"),
        "Reissue the certificate with an RSA 2048+ or ECDSA P-256+ key.",
        {"key_type": cert.get("key_type"), "key_bits": cert.get("key_bits"), "rsa_equivalent_bits": rsa_bits},
    )


def _signature_finding(report: TlsReport) -> Finding:
    cert = report.certificate
    digest = cert.get("signature_hash")
    weak = digest in WEAK_SIGNATURE_HASHES
    return _finding(
        report,
        "tls.signature",
        not weak,
        "high",
        f"Certificate signed with {cert.get('signature_algorithm')}",
        "Reissue the certificate signed with SHA-256 or stronger.",
        {"signature_algorithm": cert.get("signature_algorithm"), "signature_hash": digest},
    )


def _chain_finding(report: TlsReport) -> Finding:
    return _finding(
        report,
        "tls.chain",
        report.chain_valid,
        "high",
        "Certificate chain trusted" if report.chain_valid else "Certificate chain not trusted",
        "Serve the full chain (leaf and intermediates) of a certificate from a publicly trusted CA.",
        {"chain_error": report.chain_error, "issuer": report.certificate.get("issuer")},
    )


def _self_signed_finding(report: TlsReport) -> Finding:
    self_signed = bool(report.certificate.get("self_signed"))
    return _finding(
        report,
        "tls.self_signed",
        not self_signed,
        "high",
        "Self-signed certificate" if self_signed else "Certificate issued by a CA",
        "Replace the self-signed certificate with one from a trusted CA (e.g. Let's Encrypt).",
        {"subject": report.certificate.get("subject"), "issuer": report.certificate.get("issuer")},
    )


def _hostname_finding(report: TlsReport) -> Finding:
    return _finding(
        report,
        "tls.hostname",
        report.hostname_match,
        "high",
        f"Certificate {'matches' if report.hostname_match else 'does not match'} {report.server_name}",
        f"Reissue the certificate with {report.server_name} in its subjectAltName.",
        {"server_name": report.server_name, "sans": report.certificate.get("sans", [])},
    )


def expiry_severity(days_left: int) -> Severity | None:
    """None when far enough from expiry to pass."""
    if days_left < 0:
        return "critical"
    return next((severity for limit, severity in EXPIRY_STEPS if days_left <= limit), None)


def _expiry_finding(report: TlsReport) -> Finding:
    days_left = int(report.certificate.get("days_left", 0))
    severity = expiry_severity(days_left)
    if days_left < 0:
        title = f"Certificate expired {-days_left} days ago"
    else:
        title = f"Certificate expires in {days_left} days"
    return _finding(
        report,
        "tls.expiry",
        severity is None,
        severity or "info",
        title,
        "Renew the certificate, and automate renewal (ACME) so it never gets this close.",
        {"days_left": days_left, "not_after": report.certificate.get("not_after")},
    )
