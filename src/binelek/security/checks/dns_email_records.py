"""Parsers for the DNS records the e-mail domain checks read: SPF terms (RFC 7208), DMARC tags
(RFC 7489), DKIM keys (RFC 6376, RFC 8301, RFC 8463), MTA-STS and TLS-RPT records and policies
(RFC 8461, RFC 8460), CAA records (RFC 8659), and the organisational domain rule.

Pure functions over text: no DNS here, so each rule is easy to test on its own. Lookups and
verdicts live in `dns_email`.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

# --- domains -------------------------------------------------------------------------------------

_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
_DOMAIN_RE = re.compile(rf"^(?=.{{1,253}}$)({_LABEL}\.)+(?!-)[a-z0-9-]{{1,63}}(?<!-)$")

# Second-level labels under which anyone registers, for the organisational domain rule below. A
# short, built-in subset of the Public Suffix List: enough for the countries most customers are in,
# without shipping and refreshing the whole list.
MULTI_LABEL_SUFFIXES = frozenset(
    {
        "co.uk", "org.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk", "ac.uk", "gov.uk", "nhs.uk", "sch.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au", "asn.au", "id.au",
        "co.nz", "net.nz", "org.nz", "govt.nz", "ac.nz",
        "co.za", "org.za", "gov.za", "ac.za",
        "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp",
        "co.kr", "or.kr", "co.in", "net.in", "org.in", "gov.in", "ac.in",
        "com.br", "net.br", "org.br", "gov.br", "com.ar", "com.mx", "org.mx", "gob.mx", "com.co",
        "com.cn", "net.cn", "org.cn", "gov.cn", "com.hk", "org.hk", "com.tw", "org.tw",
        "com.sg", "edu.sg", "gov.sg", "com.my", "com.ph", "co.id", "co.th", "com.vn", "com.pk",
        "co.il", "org.il", "ac.il", "com.tr", "org.tr", "gov.tr", "com.sa", "com.eg", "com.ng", "co.ke",
        "com.ua", "com.pl", "com.es", "co.at", "or.at",
    }
)  # fmt: skip


def is_domain_name(name: str) -> bool:
    """A host name of at least two labels (underscores allowed: _dmarc, _domainkey)."""
    return bool(_DOMAIN_RE.match(name.lower().rstrip(".")))


def organisational_domain(domain: str) -> str:
    """The registered domain a name belongs to, used for the DMARC policy fallback and alignment.

    Rule (a simplification of RFC 7489 §3.2, which uses the full Public Suffix List): the last two
    labels, or the last three when the last two are a multi-label public suffix from
    `MULTI_LABEL_SUFFIXES` (co.uk, com.au, ...). So mail.example.com → example.com and
    shop.example.co.uk → example.co.uk. Unlisted multi-label suffixes (e.g. a private suffix such
    as github.io) are treated like ordinary domains.
    """
    labels = domain.lower().rstrip(".").split(".")
    keep = 3 if ".".join(labels[-2:]) in MULTI_LABEL_SUFFIXES else 2
    return ".".join(labels[-keep:])


def txt_has_version(text: str, version: str) -> bool:
    """True when a TXT record starts with the `v=<version>` tag (case-insensitive), as SPF, DMARC,
    DKIM, MTA-STS and TLS-RPT records do."""
    return bool(re.match(rf"^\s*v\s*=\s*{re.escape(version)}\s*(;|\s|$)", text, re.IGNORECASE))


def parse_tag_list(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """`tag=value; tag=value` (DMARC, DKIM, MTA-STS, TLS-RPT records) → pairs in order, and errors."""
    pairs: list[tuple[str, str]] = []
    errors: list[str] = []
    for part in text.split(";"):
        item = part.strip()
        if not item:
            continue
        tag, equals, value = item.partition("=")
        if not equals or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", tag.strip()):
            errors.append(f"'{item}' is not a tag=value pair")
            continue
        pairs.append((tag.strip().lower(), value.strip()))
    return pairs, errors


# --- SPF -----------------------------------------------------------------------------------------

SPF_MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
SPF_LOOKUP_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})  # plus the redirect modifier
_MODIFIER_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$")
_MECHANISM_RE = re.compile(r"^([+\-~?]?)([A-Za-z][A-Za-z0-9]*)(.*)$")
_A_MX_ARGS_RE = re.compile(r"^(?::([^/]+))?(/\d{1,2})?(//\d{1,3})?$")
_MACRO_RE = re.compile(r"%(\{[slodiphcrtv]\d*r?[.\-+,/_=]*\}|[%_-])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SpfTerm:
    text: str
    is_modifier: bool
    name: str  # lower case: "include", "ip4", "redirect", ...
    qualifier: str = ""  # "+", "-", "~", "?" for mechanisms (explicit or the default "+")
    value: str = ""  # domain-spec, address or modifier value; "" when absent


@dataclass(slots=True)
class SpfParse:
    terms: list[SpfTerm] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def has_macro(domain_spec: str) -> bool:
    return "%" in domain_spec


def _check_domain_spec(spec: str, term: str, errors: list[str]) -> None:
    if has_macro(spec):
        leftover = _MACRO_RE.sub("", spec)
        if "%" in leftover:
            errors.append(f"'{term}': malformed macro")
        return
    if not is_domain_name(spec):
        errors.append(f"'{term}': '{spec}' is not a valid domain")


def _parse_ip(name: str, value: str, term: str, errors: list[str]) -> None:
    network_type = ipaddress.IPv4Network if name == "ip4" else ipaddress.IPv6Network
    try:
        network_type(value, strict=False)
    except ValueError:
        errors.append(f"'{term}': '{value}' is not a valid {name} address or network")


def _parse_mechanism(term: str, errors: list[str]) -> SpfTerm | None:
    match = _MECHANISM_RE.match(term)
    if match is None or match.group(2).lower() not in SPF_MECHANISMS:
        errors.append(f"'{term}' is not a known SPF mechanism")
        return None
    qualifier, name, rest = match.group(1) or "+", match.group(2).lower(), match.group(3)
    value = ""
    if name == "all":
        if rest:
            errors.append(f"'{term}': 'all' takes no argument")
    elif name in ("include", "exists"):
        value = rest[1:] if rest.startswith(":") else ""
        if not value:
            errors.append(f"'{term}': {name} needs a domain (':domain')")
        else:
            _check_domain_spec(value, term, errors)
    elif name in ("ip4", "ip6"):
        value = rest[1:] if rest.startswith(":") else ""
        _parse_ip(name, value, term, errors)
    else:  # a, mx, ptr: optional domain, a and mx also an optional CIDR length
        args = _A_MX_ARGS_RE.match(rest) if name != "ptr" else re.match(r"^(?::(.+))?$", rest)
        if args is None:
            errors.append(f"'{term}': malformed arguments")
        elif args.group(1):
            value = args.group(1)
            _check_domain_spec(value, term, errors)
    return SpfTerm(term, False, name, qualifier, value)


def parse_spf(record: str) -> SpfParse:
    """Splits a `v=spf1` record into terms and lists its syntax errors (RFC 7208 §4.6.1, §12)."""
    parsed = SpfParse()
    seen_modifiers: set[str] = set()
    for term in record.split()[1:]:
        modifier = _MODIFIER_RE.match(term)
        if modifier is not None:
            name, value = modifier.group(1).lower(), modifier.group(2)
            if name in ("redirect", "exp"):
                if name in seen_modifiers:
                    parsed.errors.append(f"'{name}=' appears more than once")
                if not value:
                    parsed.errors.append(f"'{term}': {name} needs a domain")
                else:
                    _check_domain_spec(value, term, parsed.errors)
                seen_modifiers.add(name)
            parsed.terms.append(SpfTerm(term, True, name, "", value))
            continue
        mechanism = _parse_mechanism(term, parsed.errors)
        if mechanism is not None:
            parsed.terms.append(mechanism)
    return parsed


def spf_records(texts: list[str]) -> list[str]:
    """The TXT records that are SPF records: exactly `v=spf1` or starting with `v=spf1 `."""
    return [text for text in texts if re.match(r"^v=spf1(\s|$)", text.strip(), re.IGNORECASE)]


# --- DMARC ---------------------------------------------------------------------------------------

DMARC_POLICIES = ("none", "quarantine", "reject")
_KNOWN_DMARC_TAGS = frozenset(
    {"v", "p", "sp", "np", "pct", "rua", "ruf", "adkim", "aspf", "fo", "rf", "ri", "psd", "t"}
)
_MAILTO_RE = re.compile(r"^mailto:([^@\s!,;]+)@([^@\s!,;]+?)(?:!(\d+)([kmgt]?))?$", re.IGNORECASE)


@dataclass(slots=True)
class DmarcParse:
    tags: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rua: list[str] = field(default_factory=list)  # report addresses (the part after mailto:)
    ruf: list[str] = field(default_factory=list)


def _report_addresses(tag: str, value: str, parsed: DmarcParse) -> list[str]:
    addresses: list[str] = []
    for uri in (part.strip() for part in value.split(",")):
        if not uri:
            continue
        match = _MAILTO_RE.match(uri)
        if match is not None and is_domain_name(match.group(2)):
            addresses.append(f"{match.group(1)}@{match.group(2).lower()}")
        elif uri.lower().startswith("mailto:"):
            parsed.errors.append(f"{tag}: '{uri}' is not a valid mailto: address")
        else:
            parsed.warnings.append(f"{tag}: '{uri}' is not a mailto: URI; receivers only send to mailto:")
    return addresses


def _check_dmarc_values(parsed: DmarcParse) -> None:
    tags = parsed.tags
    for tag in ("p", "sp", "np"):
        if tag in tags and tags[tag].lower() not in DMARC_POLICIES:
            parsed.errors.append(f"{tag}={tags[tag]} is not one of none, quarantine, reject")
    for tag in ("adkim", "aspf"):
        if tag in tags and tags[tag].lower() not in ("r", "s"):
            parsed.errors.append(f"{tag}={tags[tag]} must be r (relaxed) or s (strict)")
    if "pct" in tags and not (tags["pct"].isdigit() and 0 <= int(tags["pct"]) <= 100):
        parsed.errors.append(f"pct={tags['pct']} must be a whole number from 0 to 100")
    if "ri" in tags and not tags["ri"].isdigit():
        parsed.errors.append(f"ri={tags['ri']} must be a number of seconds")
    if "fo" in tags and not all(part.strip() in ("0", "1", "d", "s") for part in tags["fo"].split(":")):
        parsed.errors.append(f"fo={tags['fo']} must be 0, 1, d or s, separated by ':'")


def parse_dmarc(record: str) -> DmarcParse:
    """Tags of a DMARC record with value checks (RFC 7489 §6.3); `v=DMARC1` must come first."""
    pairs, errors = parse_tag_list(record)
    parsed = DmarcParse(errors=errors)
    if not pairs or pairs[0] != ("v", "DMARC1"):
        parsed.errors.append("the record must start with v=DMARC1")
    for tag, value in pairs:
        if tag in parsed.tags:
            parsed.errors.append(f"tag '{tag}' appears more than once")
            continue
        parsed.tags[tag] = value
        if tag not in _KNOWN_DMARC_TAGS:
            parsed.warnings.append(f"unknown tag '{tag}' is ignored by receivers")
    if "p" not in parsed.tags:
        parsed.errors.append("required tag p= (policy) is missing")
    _check_dmarc_values(parsed)
    parsed.rua = _report_addresses("rua", parsed.tags.get("rua", ""), parsed)
    parsed.ruf = _report_addresses("ruf", parsed.tags.get("ruf", ""), parsed)
    return parsed


# --- DKIM ----------------------------------------------------------------------------------------

DKIM_MIN_BITS = 1024  # RFC 8301 §3.2: verifiers must not accept shorter RSA keys
DKIM_RECOMMENDED_BITS = 2048


def is_dkim_record(text: str) -> bool:
    return txt_has_version(text, "DKIM1") or bool(re.search(r"(^|;)\s*p\s*=", text))


def _rsa_bits(key_bytes: bytes) -> int:
    """Bits of an RSA key published as SubjectPublicKeyInfo (the norm) or bare PKCS#1 (seen too)."""
    try:
        key = serialization.load_der_public_key(key_bytes)
    except ValueError:
        pem = (
            b"-----BEGIN RSA PUBLIC KEY-----\n"
            + base64.encodebytes(key_bytes)
            + b"-----END RSA PUBLIC KEY-----\n"
        )
        key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"k=rsa but the key is {_key_kind(key)}")
    return int(key.key_size)


def _key_kind(key: Any) -> str:
    kinds = {
        rsa.RSAPublicKey: "RSA",
        ec.EllipticCurvePublicKey: "EC",
        dsa.DSAPublicKey: "DSA",
        ed25519.Ed25519PublicKey: "Ed25519",
        ed448.Ed448PublicKey: "Ed448",
    }
    return next((name for kind, name in kinds.items() if isinstance(key, kind)), type(key).__name__)


def parse_dkim(record: str) -> dict[str, Any]:
    """Key type, size, revocation and flags of one DKIM key record (RFC 6376 §3.6.1)."""
    pairs, errors = parse_tag_list(record)
    tags = dict(pairs)
    warnings: list[str] = []
    if "v" in tags and tags["v"] != "DKIM1":
        errors.append(f"v={tags['v']} must be DKIM1")
    key_type = tags.get("k", "rsa").lower()
    public_key = re.sub(r"\s+", "", tags.get("p", ""))
    if "p" not in tags:
        errors.append("required tag p= (public key) is missing")
    result: dict[str, Any] = {
        "found": True,
        "record": record,
        "key_type": key_type,
        "key_bits": None,
        "revoked": "p" in tags and not public_key,
        "testing": "y" in [flag.strip() for flag in tags.get("t", "").split(":")],
        "errors": errors,
        "warnings": warnings,
    }
    if public_key:
        result["key_bits"] = _dkim_key_bits(key_type, public_key, errors)
    bits = result["key_bits"]
    if key_type == "rsa" and bits is not None:
        if bits < DKIM_MIN_BITS:
            errors.append(f"RSA key of {bits} bits: verifiers reject keys under {DKIM_MIN_BITS} bits")
        elif bits < DKIM_RECOMMENDED_BITS:
            warnings.append(f"RSA key of {bits} bits: {DKIM_RECOMMENDED_BITS} bits is recommended")
    if result["testing"]:
        warnings.append("t=y: the domain is testing DKIM; verifiers may ignore failures")
    return result


def _dkim_key_bits(key_type: str, public_key: str, errors: list[str]) -> int | None:
    try:
        key_bytes = base64.b64decode(public_key, validate=True)
    except (binascii.Error, ValueError):
        errors.append("p= is not valid base64")
        return None
    if key_type == "ed25519":  # RFC 8463: the raw 32-byte key, not DER
        if len(key_bytes) != 32:
            errors.append(f"ed25519 key is {len(key_bytes)} bytes, 32 expected")
            return None
        return 256
    if key_type != "rsa":
        errors.append(f"k={key_type} is not a DKIM key type (rsa, ed25519)")
        return None
    try:
        return _rsa_bits(key_bytes)
    except (ValueError, TypeError) as error:
        errors.append(f"p= does not hold a usable RSA public key ({error})")
        return None


# --- MTA-STS and TLS-RPT -------------------------------------------------------------------------

MTA_STS_MAX_AGE = 31_557_600  # RFC 8461 §3.2: at most one year
MTA_STS_MODES = ("enforce", "testing", "none")


def parse_mta_sts_record(record: str) -> tuple[str | None, list[str]]:
    """The policy id of an `_mta-sts` TXT record (RFC 8461 §3.1), and errors."""
    pairs, errors = parse_tag_list(record)
    tags = dict(pairs)
    if not pairs or pairs[0] != ("v", "STSv1"):
        errors.append("the record must start with v=STSv1")
    policy_id = tags.get("id")
    if policy_id is None:
        errors.append("required tag id= is missing")
    elif not re.fullmatch(r"[A-Za-z0-9]{1,32}", policy_id):
        errors.append(f"id={policy_id} must be 1 to 32 letters or digits")
    return policy_id, errors


def parse_mta_sts_policy(text: str) -> dict[str, Any]:
    """`key: value` lines of an MTA-STS policy file (RFC 8461 §3.2) → mode, mx, max_age, errors."""
    fields: dict[str, list[str]] = {}
    errors: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon:
            errors.append(f"line '{line.strip()}' is not 'key: value'")
            continue
        fields.setdefault(key.strip().lower(), []).append(value.strip())
    version, mode = fields.get("version", [None])[0], fields.get("mode", [None])[0]
    if version != "STSv1":
        errors.append("version: STSv1 is missing")
    if mode not in MTA_STS_MODES:
        errors.append(f"mode must be enforce, testing or none (got {mode!r})")
    max_age = _policy_max_age(fields.get("max_age", []), errors)
    mx_patterns = [pattern.lower().rstrip(".") for pattern in fields.get("mx", [])]
    if mode in ("enforce", "testing") and not mx_patterns:
        errors.append("no mx: lines; a policy in enforce or testing mode must list the MX hosts")
    return {"version": version, "mode": mode, "mx": mx_patterns, "max_age": max_age, "errors": errors}


def _policy_max_age(values: list[str], errors: list[str]) -> int | None:
    if not values:
        errors.append("max_age is missing")
        return None
    if not values[0].isdigit() or int(values[0]) > MTA_STS_MAX_AGE:
        errors.append(f"max_age {values[0]!r} must be a number of seconds up to {MTA_STS_MAX_AGE}")
        return None
    return int(values[0])


def mx_matches_pattern(host: str, pattern: str) -> bool:
    """RFC 8461 §4.1: an exact name, or `*.example.com` matching exactly one extra left label."""
    host, pattern = host.lower().rstrip("."), pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, tail = host.partition(".")
        return bool(head) and tail == pattern[2:]
    return host == pattern


def parse_tls_rpt(record: str) -> dict[str, Any]:
    """An `_smtp._tls` TXT record (RFC 8460 §3): where TLS failure reports go."""
    pairs, errors = parse_tag_list(record)
    tags = dict(pairs)
    if not pairs or pairs[0] != ("v", "TLSRPTv1"):
        errors.append("the record must start with v=TLSRPTv1")
    destinations = [uri.strip() for uri in tags.get("rua", "").split(",") if uri.strip()]
    if not destinations:
        errors.append("required tag rua= is missing")
    for uri in destinations:
        if not re.match(r"^(mailto:[^@\s]+@[^@\s]+|https://\S+)$", uri, re.IGNORECASE):
            errors.append(f"rua: '{uri}' must be a mailto: or https: URI")
    return {"record": record, "rua": destinations, "errors": errors}


# --- CAA -----------------------------------------------------------------------------------------


def caa_summary(entries: list[tuple[int, str, str]]) -> dict[str, Any]:
    """(flags, tag, value) triples → issuers allowed for certificates and wildcard certificates,
    report addresses, and warnings about tags CAs do not know (RFC 8659 §4)."""
    issue: list[str] = []
    issuewild: list[str] = []
    iodef: list[str] = []
    warnings: list[str] = []
    for flags, tag, value in entries:
        tag = tag.lower()
        issuer = value.split(";", 1)[0].strip()
        if tag == "issue":
            issue.append(issuer or ";")  # ";" alone: no CA may issue
        elif tag == "issuewild":
            issuewild.append(issuer or ";")
        elif tag == "iodef":
            iodef.append(value)
        elif flags & 128:
            warnings.append(f"critical unknown tag '{tag}': every CA must refuse to issue")
    return {
        "records": [{"flags": flags, "tag": tag, "value": value} for flags, tag, value in entries],
        "issue": issue,
        "issuewild": issuewild,
        "iodef": iodef,
        "warnings": warnings,
    }
