"""DNS and e-mail domain checks, in the spirit of checkdmarc: SPF, DMARC, DKIM, MTA-STS and TLS-RPT,
CAA, DNSSEC and MX for one domain.

`check_domain()` runs the lookups (concurrently where they do not depend on each other) with
dnspython's async resolver and returns a `DnsReport`: what was published and what is wrong with it.
`findings()` turns the report into pass/fail findings. Record parsing lives in `dns_email_records`.

Limits, on purpose:
- DKIM cannot be proven absent: a key hides under a selector only the sender knows. We try the
  given selectors and a list of common ones; finding none gives "unknown", never "pass" or "fail".
- DNSSEC: "signed" means the zone publishes a DNSKEY and returns RRSIGs for it; the chain of trust is
  not validated here. `ad_flag` reports whether the resolver (when it validates) vouched for it.
- SPF macros (`%{i}` ...) depend on the connecting client, so terms that use them are counted as
  lookups but not resolved.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import dns.asyncresolver
import dns.exception
import dns.flags
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver
import httpx
from pydantic import BaseModel, Field

from binelek.security.checks.base import CheckError, Finding, Severity
from binelek.security.checks.dns_email_records import (
    SPF_LOOKUP_MECHANISMS,
    SpfTerm,
    caa_summary,
    has_macro,
    is_dkim_record,
    is_domain_name,
    mx_matches_pattern,
    organisational_domain,
    parse_dkim,
    parse_dmarc,
    parse_mta_sts_policy,
    parse_mta_sts_record,
    parse_spf,
    parse_tls_rpt,
    spf_records,
    txt_has_version,
)

SPF_LOOKUP_LIMIT = 10  # RFC 7208 §4.6.4
SPF_VOID_LOOKUP_LIMIT = 2  # RFC 7208 §4.6.4
SPF_MX_LIMIT = 10  # an mx mechanism may name at most 10 mail hosts
SPF_QUERY_BUDGET = 40  # our own cap on queries per SPF evaluation, so a hostile tree cannot run away
MTA_STS_POLICY_LIMIT = 64 * 1024  # RFC 8461 §3.3 allows senders to refuse bigger policies
QUERY_CONCURRENCY = 16
EDNS_PAYLOAD = 1232  # the DNS Flag Day 2020 size: avoids fragmentation, falls back to TCP beyond

# Selectors tried on top of the caller's: big mail providers' and mail platforms' defaults.
COMMON_DKIM_SELECTORS = (
    "default", "dkim", "google", "selector1", "selector2", "k1", "k2", "k3", "s1", "s2", "mail",
    "smtp", "email", "mandrill", "everlytic", "mxvault", "key1", "key2", "dkim1", "sig1", "mx",
    "pm", "mailjet", "zendesk1", "zendesk2", "cm",
)  # fmt: skip

ANTI_PHISHING_CONTROLS = ("soc2:CC6.6", "soc2:CC7.2", "gdpr:art32", "pci:5.4.1")
MAIL_TRANSPORT_CONTROLS = ("soc2:CC6.7", "gdpr:art32", "hipaa:164.312(e)(1)", "pci:4.2.1")
CERTIFICATE_ISSUANCE_CONTROLS = ("soc2:CC6.6", "soc2:CC6.7")
DNS_INTEGRITY_CONTROLS = ("soc2:CC6.6", "soc2:CC6.7", "gdpr:art32")

NO_MAIL_ADVICE = (
    "If the domain sends no mail, publish 'v=spf1 -all' and a DMARC record with p=reject so nobody "
    "can send in its name."
)


class DnsReport(BaseModel):
    """What the domain publishes for mail authentication and DNS hygiene, kept as scan evidence."""

    domain: str
    # record, records, valid, lookups, void_lookups, all_qualifier, errors, lookup_errors, warnings,
    # includes (tree of {domain, record, lookups, includes, redirect, all}), redirect
    spf: dict[str, Any]
    # record, location (domain it was found at), org_domain, inherited, policy, subdomain_policy,
    # applied_policy, pct, rua, ruf, adkim, aspf, errors, warnings, unauthorised_report_domains
    dmarc: dict[str, Any]
    # status "pass" | "fail" | "unknown", selectors {sel: {found, key_type, key_bits, revoked, ...}},
    # checked_selectors, errors
    dkim: dict[str, Any]
    mta_sts: dict[str, Any]  # record, id, policy_url, mode, mx, max_age, mx_not_covered, errors, warnings
    tls_rpt: dict[str, Any]  # record, rua, errors
    caa: dict[str, Any]  # found, location, records, issue, issuewild, iodef, warnings, errors
    dnssec: dict[str, Any]  # zone, signed, dnskey_count, algorithms, rrsig, ds_at_parent, ad_flag, note
    mx: list[dict[str, Any]]  # [{preference, exchange}], sorted by preference
    notes: list[str] = Field(default_factory=list)
    # sections whose lookups failed (timeout, SERVFAIL): no finding is derived from them
    unresolved: list[str] = Field(default_factory=list)


# --- DNS access ----------------------------------------------------------------------------------


class _LookupFailed(Exception):
    """A query got no usable answer: timeout, SERVFAIL, refused. Not the same as "no such record"."""


@dataclass(frozen=True, slots=True)
class _Answer:
    records: tuple[Any, ...] = ()
    nxdomain: bool = False
    signed: bool = False  # an RRSIG came with the answer (asked with the DO bit)
    authentic: bool = False  # the resolver set AD: it validated the answer

    @property
    def empty(self) -> bool:
        return not self.records


def _make_resolver(
    nameservers: list[tuple[str, int]] | None, timeout: float, *, dnssec: bool
) -> dns.asyncresolver.Resolver:
    if nameservers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(host, port) for host, port in nameservers]
    else:
        resolver = dns.asyncresolver.Resolver()
    resolver.timeout = min(timeout, 2.0)  # per try: a lost UDP packet is retried within the lifetime
    resolver.lifetime = timeout
    resolver.use_edns(0, dns.flags.DO if dnssec else 0, EDNS_PAYLOAD)
    return resolver


class _Dns:
    def __init__(self, nameservers: list[tuple[str, int]] | None, timeout: float) -> None:
        try:
            self._plain = _make_resolver(nameservers, timeout, dnssec=False)
            self._dnssec = _make_resolver(nameservers, timeout, dnssec=True)
        except dns.exception.DNSException as error:  # e.g. no /etc/resolv.conf
            raise CheckError(f"no DNS resolver available: {error}", code="DNS_UNREACHABLE") from error
        self._slots = asyncio.Semaphore(QUERY_CONCURRENCY)

    async def query(self, name: str, rdtype: str, *, dnssec: bool = False) -> _Answer:
        resolver = self._dnssec if dnssec else self._plain
        try:
            async with self._slots:
                answer = await resolver.resolve(name, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            return _Answer(nxdomain=True)
        except dns.resolver.LifetimeTimeout as error:
            raise _LookupFailed(f"{name} {rdtype}: no answer before the timeout") from error
        except dns.resolver.NoNameservers as error:
            raise _LookupFailed(f"{name} {rdtype}: servers failed to answer (SERVFAIL or refused)") from error
        except dns.exception.DNSException as error:
            raise _LookupFailed(f"{name} {rdtype}: {error}") from error
        records = tuple(answer.rrset) if answer.rrset is not None else ()
        signed = any(rrset.rdtype == dns.rdatatype.RRSIG for rrset in answer.response.answer)
        return _Answer(records, False, signed, bool(answer.response.flags & dns.flags.AD))

    async def txt(self, name: str) -> tuple[list[str], _Answer]:
        """TXT records, each one's character-strings joined (RFC 7208 §3.3), and the raw answer."""
        answer = await self.query(name, "TXT")
        texts = [b"".join(record.strings).decode("utf-8", errors="replace") for record in answer.records]
        return texts, answer


# --- SPF -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _SpfWalk:
    """Counters shared by one SPF evaluation across its include/redirect tree."""

    dns: _Dns
    lookups: int = 0
    void_lookups: int = 0
    queries: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    budget_noted: bool = False

    def may_query(self) -> bool:
        if self.queries < SPF_QUERY_BUDGET:
            self.queries += 1
            return True
        if not self.budget_noted:
            self.warnings.append(f"stopped resolving after {SPF_QUERY_BUDGET} queries")
            self.budget_noted = True
        return False


async def _check_spf(lookup: _Dns, domain: str, domain_texts: list[str]) -> dict[str, Any]:
    found = spf_records(domain_texts)
    result: dict[str, Any] = {
        "record": found[0] if len(found) == 1 else None,
        "records": found,
        "valid": False,
        "lookups": 0,
        "void_lookups": 0,
        "all_qualifier": None,
        "errors": [],
        "lookup_errors": [],
        "warnings": [],
        "includes": [],
        "redirect": None,
    }
    if not found:
        result["errors"].append("no SPF record (TXT starting with v=spf1)")
        return result
    if len(found) > 1:
        result["errors"].append(
            f"{len(found)} SPF records: receivers return permerror when there are several"
        )
        return result
    walk = _SpfWalk(lookup)
    tree = await _evaluate_spf(walk, domain, found[0], (domain,))
    lookup_errors = _spf_limit_errors(walk)
    result.update(
        valid=not walk.errors and not lookup_errors,
        lookups=walk.lookups,
        void_lookups=walk.void_lookups,
        all_qualifier=_effective_all(tree),
        errors=walk.errors + lookup_errors,
        lookup_errors=lookup_errors,
        warnings=walk.warnings,
        includes=tree["includes"],
        redirect=tree["redirect"],
    )
    return result


def _spf_limit_errors(walk: _SpfWalk) -> list[str]:
    errors = []
    if walk.lookups > SPF_LOOKUP_LIMIT:
        errors.append(f"{walk.lookups} DNS lookups, over the limit of {SPF_LOOKUP_LIMIT}: permerror")
    if walk.void_lookups > SPF_VOID_LOOKUP_LIMIT:
        errors.append(
            f"{walk.void_lookups} void lookups (no such name or no record), over the limit of "
            f"{SPF_VOID_LOOKUP_LIMIT}: permerror"
        )
    return errors


def _effective_all(node: dict[str, Any] | None) -> str | None:
    """The `all` qualifier that ends evaluation: the record's own, else its redirect target's."""
    if node is None:
        return None
    own = cast("str | None", node.get("all"))
    return own if own is not None else _effective_all(node.get("redirect"))


def _spf_node(domain: str, record: str | None) -> dict[str, Any]:
    """One record of the include tree: its own lookups, includes, redirect target and `all`."""
    return {"domain": domain, "record": record, "lookups": 0, "includes": [], "redirect": None, "all": None}


async def _evaluate_spf(walk: _SpfWalk, domain: str, record: str, chain: tuple[str, ...]) -> dict[str, Any]:
    parsed = parse_spf(record)
    walk.errors.extend(f"{domain}: {error}" for error in parsed.errors)
    node = _spf_node(domain, record)
    for term in parsed.terms:
        if term.is_modifier:
            continue
        if node["all"] is not None:
            walk.warnings.append(f"{domain}: '{term.text}' comes after 'all' and is never evaluated")
            continue
        if term.name == "all":
            node["all"] = term.qualifier
            continue
        if term.name in SPF_LOOKUP_MECHANISMS:
            node["lookups"] += 1
            walk.lookups += 1
        await _resolve_mechanism(walk, node, term, domain, chain)
    redirect = next((term for term in parsed.terms if term.is_modifier and term.name == "redirect"), None)
    if redirect is not None and node["all"] is not None:
        walk.warnings.append(f"{domain}: redirect= is ignored because the record has an 'all' mechanism")
    elif redirect is not None:
        node["lookups"] += 1
        walk.lookups += 1
        node["redirect"] = await _follow(walk, "redirect", redirect.value, chain)
    return node


async def _resolve_mechanism(
    walk: _SpfWalk, node: dict[str, Any], term: SpfTerm, domain: str, chain: tuple[str, ...]
) -> None:
    target = (term.value or domain).lower().rstrip(".")
    if term.name == "ptr":
        walk.warnings.append(f"{domain}: 'ptr' is deprecated (RFC 7208 §5.5): slow and unreliable")
        return
    if term.name not in ("include", "a", "mx", "exists"):
        return
    if has_macro(target):
        walk.warnings.append(f"{domain}: '{term.text}' uses macros, not resolved here")
        return
    if term.name == "include":
        child = await _follow(walk, "include", target, chain)
        if child is not None:
            node["includes"].append(child)
    elif walk.may_query():
        await _count_void(walk, domain, term, target)


async def _count_void(walk: _SpfWalk, domain: str, term: SpfTerm, target: str) -> None:
    """Resolves an a/mx/exists target only to see whether it is void (RFC 7208 §4.6.4)."""
    try:
        if term.name == "mx":
            answer = await walk.dns.query(target, "MX")
            if len(answer.records) > SPF_MX_LIMIT:
                walk.errors.append(
                    f"{domain}: '{term.text}' names {len(answer.records)} mail hosts (limit 10)"
                )
            void = answer.empty
        elif term.name == "a":
            answers = await asyncio.gather(walk.dns.query(target, "A"), walk.dns.query(target, "AAAA"))
            void = all(answer.empty for answer in answers)
        else:
            void = (await walk.dns.query(target, "A")).empty
    except _LookupFailed as error:
        walk.errors.append(f"{domain}: '{term.text}': temporary DNS error ({error})")
        return
    if void:
        walk.void_lookups += 1
        walk.warnings.append(f"{domain}: '{term.text}' is a void lookup ({target} has no records)")


async def _follow(walk: _SpfWalk, kind: str, target: str, chain: tuple[str, ...]) -> dict[str, Any] | None:
    """Evaluates the SPF record of an include: or redirect= target, detecting loops."""
    target = target.lower().rstrip(".")
    stub = _spf_node(target, None)
    if has_macro(target):
        walk.warnings.append(f"{chain[-1]}: {kind} target '{target}' uses macros, not resolved here")
        return stub
    if target in chain:
        walk.errors.append(f"{chain[-1]}: {kind}:{target} loops back ({' → '.join((*chain, target))})")
        stub["error"] = "loop"
        return stub
    if not walk.may_query():
        return None
    try:
        texts, answer = await walk.dns.txt(target)
    except _LookupFailed as error:
        walk.errors.append(f"{chain[-1]}: {kind}:{target}: temporary DNS error ({error})")
        stub["error"] = "temperror"
        return stub
    if answer.empty:
        walk.void_lookups += 1
    found = spf_records(texts)
    if len(found) != 1:
        problem = "has no SPF record" if not found else f"has {len(found)} SPF records"
        walk.errors.append(f"{chain[-1]}: {kind}:{target} {problem}: permerror")
        stub["error"] = "no_record" if not found else "multiple_records"
        return stub
    return await _evaluate_spf(walk, target, found[0], (*chain, target))


# --- DMARC ---------------------------------------------------------------------------------------


async def _dmarc_records_at(lookup: _Dns, domain: str) -> list[str]:
    texts, _ = await lookup.txt(f"_dmarc.{domain}")
    return [text for text in texts if txt_has_version(text, "DMARC1")]


async def _check_dmarc(lookup: _Dns, domain: str) -> dict[str, Any]:
    org_domain = organisational_domain(domain)
    result: dict[str, Any] = {
        "record": None,
        "records": [],
        "location": None,
        "org_domain": org_domain,
        "inherited": False,
        "policy": None,
        "subdomain_policy": None,
        "applied_policy": None,
        "pct": None,
        "rua": [],
        "ruf": [],
        "adkim": None,
        "aspf": None,
        "errors": [],
        "warnings": [],
        "unauthorised_report_domains": [],
        "lookup_failed": False,
    }
    location = domain
    try:
        found = await _dmarc_records_at(lookup, domain)
        if not found and org_domain != domain:
            location = org_domain
            found = await _dmarc_records_at(lookup, org_domain)
    except _LookupFailed as error:
        result["errors"].append(f"DMARC lookup failed: {error}")
        result["lookup_failed"] = True
        return result
    result["records"] = found
    if not found:
        result["errors"].append(f"no DMARC record at _dmarc.{domain}" + _org_suffix(domain, org_domain))
        return result
    result["location"], result["inherited"] = location, location != domain
    if len(found) > 1:
        result["errors"].append(f"{len(found)} DMARC records at _dmarc.{location}: receivers ignore them all")
        return result
    _describe_dmarc(result, found[0], applies_to_subdomain=location != domain)
    result["unauthorised_report_domains"] = await _unauthorised_report_domains(
        lookup, location, result["rua"] + result["ruf"]
    )
    return result


def _org_suffix(domain: str, org_domain: str) -> str:
    return f" or at _dmarc.{org_domain}" if org_domain != domain else ""


def _describe_dmarc(result: dict[str, Any], record: str, *, applies_to_subdomain: bool) -> None:
    parsed = parse_dmarc(record)
    tags = parsed.tags
    policy = tags.get("p", "").lower() or None
    subdomain_policy = tags.get("sp", "").lower() or policy
    pct = int(tags["pct"]) if tags.get("pct", "").isdigit() else 100
    result.update(
        record=record,
        policy=policy,
        subdomain_policy=subdomain_policy,
        applied_policy=subdomain_policy if applies_to_subdomain else policy,
        pct=pct,
        rua=parsed.rua,
        ruf=parsed.ruf,
        adkim=tags.get("adkim", "r").lower(),
        aspf=tags.get("aspf", "r").lower(),
        errors=parsed.errors,
        warnings=parsed.warnings,
    )
    if policy == "none":
        result["warnings"].append("p=none only monitors: spoofed mail is still delivered")
    if pct < 100:
        result["warnings"].append(f"pct={pct}: the policy applies to only {pct}% of failing mail")
    if not parsed.rua:
        result["warnings"].append("no rua=: you get no aggregate reports, so abuse goes unseen")


async def _unauthorised_report_domains(lookup: _Dns, policy_domain: str, addresses: list[str]) -> list[str]:
    """Report domains outside the policy's organisation that have not published the authorisation
    record `<policy domain>._report._dmarc.<report domain>` (RFC 7489 §7.1); receivers skip those."""
    own = organisational_domain(policy_domain)
    outside = sorted({address.rsplit("@", 1)[1] for address in addresses} - {own})
    outside = [domain for domain in outside if organisational_domain(domain) != own]

    async def authorised(report_domain: str) -> bool:
        try:
            texts, _ = await lookup.txt(f"{policy_domain}._report._dmarc.{report_domain}")
        except _LookupFailed:
            return True  # unknown: do not blame the domain for a resolver problem
        return any(txt_has_version(text, "DMARC1") for text in texts)

    verdicts = await asyncio.gather(*(authorised(domain) for domain in outside))
    return [domain for domain, ok in zip(outside, verdicts, strict=True) if not ok]


# --- DKIM ----------------------------------------------------------------------------------------


def _selectors_to_try(given: Sequence[str]) -> list[str]:
    ordered = [selector.strip().lower().rstrip(".") for selector in (*given, *COMMON_DKIM_SELECTORS)]
    valid = [selector for selector in ordered if re.fullmatch(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*", selector)]
    return list(dict.fromkeys(valid))


async def _dkim_selector(lookup: _Dns, domain: str, selector: str) -> dict[str, Any]:
    try:
        texts, _ = await lookup.txt(f"{selector}._domainkey.{domain}")
    except _LookupFailed as error:
        return {"found": False, "error": str(error)}
    keys = [text for text in texts if is_dkim_record(text)]
    if not keys:
        return {"found": False}
    result = parse_dkim(keys[0])
    if len(keys) > 1:
        result["warnings"].append(f"{len(keys)} key records under one selector; verifiers may pick any")
    return result


async def _check_dkim(lookup: _Dns, domain: str, given: Sequence[str]) -> dict[str, Any]:
    selectors = _selectors_to_try(given)
    answers = await asyncio.gather(*(_dkim_selector(lookup, domain, selector) for selector in selectors))
    explicit = {selector.strip().lower() for selector in given}
    reported = {
        selector: answer
        for selector, answer in zip(selectors, answers, strict=True)
        if answer["found"] or selector in explicit
    }
    errors = [f"{selector}: {answer['error']}" for selector, answer in reported.items() if "error" in answer]
    return {
        "status": _dkim_status([answer for answer in reported.values() if answer["found"]]),
        "selectors": reported,
        "checked_selectors": selectors,
        "errors": errors,
    }


def _dkim_status(found: list[dict[str, Any]]) -> str:
    """fail: a published key is broken (too short, unparsable); pass: a usable key; unknown: no key
    found (or only revoked ones), which proves nothing since the selector may simply be unknown."""
    if any(key["errors"] for key in found):
        return "fail"
    if any(not key["revoked"] for key in found):
        return "pass"
    return "unknown"


# --- MTA-STS and TLS-RPT -------------------------------------------------------------------------


async def _check_mta_sts(
    lookup: _Dns,
    domain: str,
    mx_hosts: list[str],
    http_client: httpx.AsyncClient | None,
    policy_url_override: Callable[[str], str] | None,
    request_timeout: float,
) -> dict[str, Any]:
    policy_url = policy_url_override(domain) if policy_url_override else _policy_url(domain)
    result: dict[str, Any] = {
        "record": None,
        "id": None,
        "policy_url": policy_url,
        "policy": None,
        "mode": None,
        "mx": [],
        "max_age": None,
        "mx_not_covered": [],
        "errors": [],
        "warnings": [],
        "lookup_failed": False,
    }
    try:
        texts, _ = await lookup.txt(f"_mta-sts.{domain}")
    except _LookupFailed as error:
        result["errors"].append(f"MTA-STS lookup failed: {error}")
        result["lookup_failed"] = True
        return result
    records = [text for text in texts if txt_has_version(text, "STSv1")]
    if not records:
        result["errors"].append(f"no MTA-STS record at _mta-sts.{domain}")
        return result
    if len(records) > 1:
        result["errors"].append(f"{len(records)} MTA-STS records: senders ignore them all")
        return result
    result["record"] = records[0]
    result["id"], record_errors = parse_mta_sts_record(records[0])
    result["errors"].extend(record_errors)
    policy_text = await _fetch_policy(policy_url, http_client, request_timeout, result)
    if policy_text is not None:
        _apply_policy(result, policy_text, mx_hosts)
    return result


def _policy_url(domain: str) -> str:
    return f"https://mta-sts.{domain}/.well-known/mta-sts.txt"


async def _fetch_policy(
    url: str, http_client: httpx.AsyncClient | None, request_timeout: float, result: dict[str, Any]
) -> str | None:
    client = http_client or httpx.AsyncClient(timeout=request_timeout)
    try:
        # RFC 8461 §3.3: no redirects, HTTP 200 only
        response = await client.get(url, follow_redirects=False, timeout=request_timeout)
    except httpx.HTTPError as error:
        result["errors"].append(f"policy could not be fetched from {url}: {error!r}")
        return None
    finally:
        if http_client is None:
            await client.aclose()
    if response.status_code != 200:
        result["errors"].append(f"policy fetch from {url} answered HTTP {response.status_code} (200 needed)")
        return None
    if len(response.content) > MTA_STS_POLICY_LIMIT:
        result["errors"].append("policy file is larger than 64 KiB")
        return None
    if not response.headers.get("content-type", "").lower().startswith("text/plain"):
        result["warnings"].append("policy is not served as text/plain")
    return response.text


def _apply_policy(result: dict[str, Any], policy_text: str, mx_hosts: list[str]) -> None:
    policy = parse_mta_sts_policy(policy_text)
    result.update(policy=policy_text, mode=policy["mode"], mx=policy["mx"], max_age=policy["max_age"])
    result["errors"].extend(policy["errors"])
    uncovered = [host for host in mx_hosts if not any(mx_matches_pattern(host, p) for p in policy["mx"])]
    result["mx_not_covered"] = uncovered
    if uncovered and policy["mode"] == "enforce":
        result["errors"].append(
            f"MX hosts not in the policy, senders will refuse them: {', '.join(uncovered)}"
        )
    elif uncovered:
        result["warnings"].append(f"MX hosts not in the policy: {', '.join(uncovered)}")
    if policy["max_age"] is not None and policy["max_age"] < 86400:
        result["warnings"].append("max_age under one day gives little protection between refreshes")


async def _check_tls_rpt(lookup: _Dns, domain: str) -> dict[str, Any]:
    try:
        texts, _ = await lookup.txt(f"_smtp._tls.{domain}")
    except _LookupFailed as error:
        return {"record": None, "rua": [], "errors": [f"TLS-RPT lookup failed: {error}"]}
    records = [text for text in texts if txt_has_version(text, "TLSRPTv1")]
    if len(records) != 1:
        problem = "no TLS-RPT record" if not records else f"{len(records)} TLS-RPT records"
        return {"record": None, "rua": [], "errors": [f"{problem} at _smtp._tls.{domain}"]}
    return parse_tls_rpt(records[0])


# --- CAA, DNSSEC, MX -----------------------------------------------------------------------------


async def _check_caa(lookup: _Dns, domain: str) -> dict[str, Any]:
    """The relevant CAA RRset is the first found climbing from the name to the TLD (RFC 8659 §3)."""
    labels = domain.split(".")
    for start in range(len(labels)):
        name = ".".join(labels[start:])
        try:
            answer = await lookup.query(name, "CAA")
        except _LookupFailed as error:
            # CAs must not issue on a failed lookup either, but we cannot tell what is published
            return {"found": False, "location": None, "errors": [f"CAA lookup failed: {error}"]}
        if not answer.empty:
            entries = [
                (
                    int(record.flags),
                    record.tag.decode(errors="replace"),
                    record.value.decode(errors="replace"),
                )
                for record in answer.records
            ]
            return {"found": True, "location": name, "errors": [], **caa_summary(entries)}
    return {
        "found": False,
        "location": None,
        "records": [],
        "issue": [],
        "issuewild": [],
        "iodef": [],
        "warnings": [],
        "errors": [],
    }


async def _zone_apex(lookup: _Dns, domain: str) -> str:
    """The zone the name lives in: the closest enclosing name with an SOA."""
    labels = domain.split(".")
    for start in range(len(labels) - 1):
        name = ".".join(labels[start:])
        if not (await lookup.query(name, "SOA")).empty:
            return name
    return domain


async def _check_dnssec(lookup: _Dns, domain: str) -> dict[str, Any]:
    note = "signed = DNSKEY published and RRSIG returned; the chain of trust is not validated here"
    try:
        zone = await _zone_apex(lookup, domain)
        dnskey, ds = await asyncio.gather(
            lookup.query(zone, "DNSKEY", dnssec=True), lookup.query(zone, "DS", dnssec=True)
        )
    except _LookupFailed as error:
        return {"zone": None, "signed": None, "errors": [f"DNSSEC lookup failed: {error}"], "note": note}
    return {
        "zone": zone,
        "signed": not dnskey.empty and dnskey.signed,
        "dnskey_count": len(dnskey.records),
        "algorithms": sorted({int(record.algorithm) for record in dnskey.records}),
        "rrsig": dnskey.signed,
        "ds_at_parent": not ds.empty,
        "ad_flag": dnskey.authentic,
        "errors": [],
        "note": note,
    }


async def _lookup_mx(lookup: _Dns, domain: str) -> tuple[list[dict[str, Any]], list[str]]:
    try:
        answer = await lookup.query(domain, "MX")
    except _LookupFailed as error:
        return [], [f"MX lookup failed: {error}"]
    hosts = [
        {"preference": int(record.preference), "exchange": record.exchange.to_text(omit_final_dot=True)}
        for record in answer.records
    ]
    return sorted(hosts, key=lambda host: (host["preference"], host["exchange"])), []


def _is_null_mx(mx: list[dict[str, Any]]) -> bool:
    """RFC 7505: a single `0 .` MX says the domain accepts no mail."""
    return len(mx) == 1 and mx[0]["exchange"] in (".", "")


def _mail_notes(mx: list[dict[str, Any]]) -> list[str]:
    if _is_null_mx(mx):
        return ["Null MX (RFC 7505): the domain accepts no mail. " + NO_MAIL_ADVICE]
    if not mx:
        return ["No MX records: the domain receives no mail. " + NO_MAIL_ADVICE]
    return []


# --- the check -----------------------------------------------------------------------------------


def _normalise_domain(domain: str) -> str:
    name = domain.strip().rstrip(".").lower()
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise CheckError(f"'{domain}' is not a valid domain name", code="INVALID_DOMAIN") from error
    if not is_domain_name(name):
        raise CheckError(f"'{domain}' is not a valid domain name", code="INVALID_DOMAIN")
    return name


async def _probe(lookup: _Dns, domain: str) -> list[str]:
    """The domain's own TXT records (SPF needs them), failing the whole check when the domain does
    not exist or its DNS does not answer."""
    try:
        texts, answer = await lookup.txt(domain)
    except _LookupFailed as error:
        raise CheckError(f"DNS for {domain} did not answer: {error}", code="DNS_UNREACHABLE") from error
    if answer.nxdomain:
        raise CheckError(f"{domain} does not exist (NXDOMAIN)", code="NO_SUCH_DOMAIN")
    return texts


async def check_domain(
    domain: str,
    *,
    nameservers: list[tuple[str, int]] | None = None,
    dkim_selectors: Sequence[str] = (),
    http_client: httpx.AsyncClient | None = None,
    policy_url_override: Callable[[str], str] | None = None,
    timeout: float = 5.0,  # noqa: ASYNC109 - DNS lifetime per query and per HTTP request
) -> DnsReport:
    """Reads a domain's mail authentication and DNS security records.

    nameservers: (address, port) pairs to ask instead of the system resolver. policy_url_override
    maps the domain to the MTA-STS policy URL (tests serve it locally); http_client fetches it (a
    short-lived client is made otherwise). Raises CheckError NO_SUCH_DOMAIN / DNS_UNREACHABLE /
    INVALID_DOMAIN when the domain as a whole cannot be checked.
    """
    name = _normalise_domain(domain)
    lookup = _Dns(nameservers, timeout)
    domain_texts = await _probe(lookup, name)

    async def mx_then_mta_sts() -> tuple[list[dict[str, Any]], list[str], dict[str, Any]]:
        mx, mx_errors = await _lookup_mx(lookup, name)
        hosts = [] if _is_null_mx(mx) else [host["exchange"] for host in mx]
        mta_sts = await _check_mta_sts(lookup, name, hosts, http_client, policy_url_override, timeout)
        return mx, mx_errors, mta_sts

    mail_task = asyncio.create_task(mx_then_mta_sts())
    spf, dmarc, dkim, tls_rpt, caa, dnssec = await asyncio.gather(
        _check_spf(lookup, name, domain_texts),
        _check_dmarc(lookup, name),
        _check_dkim(lookup, name, dkim_selectors),
        _check_tls_rpt(lookup, name),
        _check_caa(lookup, name),
        _check_dnssec(lookup, name),
    )
    mx, mx_errors, mta_sts = await mail_task
    failed_sections = {
        "mx": bool(mx_errors),
        "dmarc": dmarc["lookup_failed"],
        "mta_sts": mta_sts["lookup_failed"],
        "caa": bool(caa["errors"]),
        "dnssec": dnssec["signed"] is None,
    }
    return DnsReport(
        domain=name,
        spf=spf,
        dmarc=dmarc,
        dkim=dkim,
        mta_sts=mta_sts,
        tls_rpt=tls_rpt,
        caa=caa,
        dnssec=dnssec,
        mx=mx,
        notes=mx_errors or _mail_notes(mx),
        unresolved=[section for section, failed in failed_sections.items() if failed],
    )


# --- findings ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Verdict:
    passed: bool
    severity: Severity
    title: str
    remediation: str = ""


def _finding(
    report: DnsReport,
    check_id: str,
    verdict: _Verdict,
    evidence: dict[str, Any],
    controls: tuple[str, ...],
    key: str = "",
) -> Finding:
    return Finding(
        check_id=check_id,
        category="dns",
        target=report.domain,
        passed=verdict.passed,
        severity=verdict.severity,
        title=verdict.title,
        evidence=evidence,
        remediation=verdict.remediation,
        controls=controls,
        key=key,
    )


def _sends_no_mail(report: DnsReport) -> bool:
    return "mx" not in report.unresolved and (not report.mx or _is_null_mx(report.mx))


def _no_mail_hint(report: DnsReport) -> str:
    return " " + NO_MAIL_ADVICE if _sends_no_mail(report) else ""


def _spf_verdict(report: DnsReport) -> _Verdict:
    spf = report.spf
    structural = [error for error in spf["errors"] if error not in spf["lookup_errors"]]
    if not spf["records"]:
        return _Verdict(
            False,
            "high",
            "No SPF record",
            "Publish one TXT record 'v=spf1 <your senders> -all' at the domain." + _no_mail_hint(report),
        )
    if len(spf["records"]) > 1:
        return _Verdict(
            False,
            "high",
            "Several SPF records (permerror)",
            "Merge them into a single v=spf1 TXT record; receivers reject SPF when there are several.",
        )
    if structural:
        return _Verdict(
            False,
            "high",
            "SPF record is invalid",
            "Fix the SPF errors listed in the evidence (syntax, includes without SPF, loops).",
        )
    return _Verdict(True, "high", "SPF record is valid")


def _spf_lookups_verdict(spf: dict[str, Any]) -> _Verdict:
    if spf["lookup_errors"]:
        return _Verdict(
            False,
            "high",
            f"SPF needs {spf['lookups']} DNS lookups / {spf['void_lookups']} void lookups",
            "Stay within 10 DNS-querying terms (include, a, mx, ptr, exists, redirect) and 2 void lookups: "
            "replace includes by ip4:/ip6: ranges, drop unused senders, remove includes of dead names.",
        )
    return _Verdict(True, "high", f"SPF uses {spf['lookups']} of 10 DNS lookups")


def _spf_all_verdict(spf: dict[str, Any]) -> _Verdict:
    qualifier = spf["all_qualifier"]
    remediation = "End the SPF record with '-all' so mail from unlisted servers fails SPF."
    verdicts = {
        "-": _Verdict(True, "high", "SPF ends with -all"),
        "~": _Verdict(False, "low", "SPF ends with ~all (soft fail)", remediation),
        "?": _Verdict(False, "medium", "SPF ends with ?all (neutral): anyone may send", remediation),
        "+": _Verdict(
            False, "high", "SPF ends with +all: every server on the internet may send", remediation
        ),
    }
    return verdicts.get(qualifier, _Verdict(False, "medium", "SPF has no 'all' mechanism", remediation))


def _spf_findings(report: DnsReport) -> list[Finding]:
    spf = report.spf
    evidence = {key: spf[key] for key in ("record", "records", "errors", "warnings")}
    found = [_finding(report, "dns.spf", _spf_verdict(report), evidence, ANTI_PHISHING_CONTROLS)]
    if spf["record"] is None:
        return found
    lookups = {key: spf[key] for key in ("lookups", "void_lookups", "lookup_errors", "includes", "redirect")}
    return [
        *found,
        _finding(report, "dns.spf.lookups", _spf_lookups_verdict(spf), lookups, ANTI_PHISHING_CONTROLS),
        _finding(
            report,
            "dns.spf.all",
            _spf_all_verdict(spf),
            {"all_qualifier": spf["all_qualifier"]},
            ANTI_PHISHING_CONTROLS,
        ),
    ]


def _dmarc_verdict(report: DnsReport) -> _Verdict:
    dmarc = report.dmarc
    if dmarc["record"] is None and len(dmarc["records"]) > 1:
        return _Verdict(
            False,
            "high",
            "Several DMARC records",
            "Keep a single v=DMARC1 TXT record at _dmarc: receivers ignore them all otherwise.",
        )
    if dmarc["record"] is None:
        return _Verdict(
            False,
            "high",
            "No DMARC record",
            f"Publish 'v=DMARC1; p=quarantine; rua=mailto:...' at _dmarc.{report.domain}."
            + _no_mail_hint(report),
        )
    if dmarc["errors"]:
        return _Verdict(
            False, "high", "DMARC record is invalid", "Fix the DMARC errors listed in the evidence."
        )
    return _Verdict(True, "high", "DMARC record is valid")


def _dmarc_policy_verdict(dmarc: dict[str, Any]) -> _Verdict:
    applied, subdomains = dmarc["applied_policy"], dmarc["subdomain_policy"]
    if applied in (None, "none"):
        return _Verdict(
            False,
            "medium",
            f"DMARC policy is {applied or 'missing'}: spoofed mail is delivered",
            "Move to p=quarantine then p=reject once aggregate reports show your own mail passes.",
        )
    if subdomains == "none":
        return _Verdict(
            False,
            "low",
            "DMARC sp=none leaves subdomains open to spoofing",
            "Set sp=quarantine or sp=reject (or drop sp= to inherit p=).",
        )
    return _Verdict(True, "medium", f"DMARC policy is {applied}")


def _dmarc_rua_verdict(dmarc: dict[str, Any]) -> _Verdict:
    rua_errors = [error for error in dmarc["errors"] if error.startswith("rua")]
    if not dmarc["rua"] or rua_errors:
        return _Verdict(
            False,
            "low",
            "DMARC has no valid aggregate report address (rua)",
            "Add rua=mailto:dmarc-reports@<your domain> to receive aggregate reports.",
        )
    if dmarc["unauthorised_report_domains"]:
        return _Verdict(
            False,
            "low",
            "DMARC report domains have not authorised the reports",
            "Each external report domain must publish "
            f"'{dmarc['location']}._report._dmarc.<report domain>' TXT 'v=DMARC1'.",
        )
    return _Verdict(True, "low", "DMARC aggregate reports are requested")


def _dmarc_findings(report: DnsReport) -> list[Finding]:
    dmarc = report.dmarc
    evidence = {key: dmarc[key] for key in ("record", "location", "inherited", "errors", "warnings")}
    found = [_finding(report, "dns.dmarc", _dmarc_verdict(report), evidence, ANTI_PHISHING_CONTROLS)]
    if dmarc["record"] is None:
        return found
    policy = {key: dmarc[key] for key in ("policy", "subdomain_policy", "applied_policy", "location")}
    pct = dmarc["pct"]
    pct_verdict = (
        _Verdict(True, "low", "DMARC applies to all mail (pct=100)")
        if pct >= 100
        else _Verdict(
            False,
            "low",
            f"DMARC applies to only {pct}% of mail",
            "Remove pct= (or set pct=100) once the policy is in place.",
        )
    )
    rua = {key: dmarc[key] for key in ("rua", "ruf", "unauthorised_report_domains")}
    return [
        *found,
        _finding(report, "dns.dmarc.policy", _dmarc_policy_verdict(dmarc), policy, ANTI_PHISHING_CONTROLS),
        _finding(report, "dns.dmarc.pct", pct_verdict, {"pct": pct}, ANTI_PHISHING_CONTROLS),
        _finding(report, "dns.dmarc.rua", _dmarc_rua_verdict(dmarc), rua, ANTI_PHISHING_CONTROLS),
    ]


def _dkim_selector_verdict(selector: str, key: dict[str, Any]) -> _Verdict:
    replace = f"Publish a new 2048-bit RSA key under a new selector, sign with it, then revoke '{selector}'."
    bits = key["key_bits"]
    if key["revoked"]:
        return _Verdict(True, "info", f"DKIM selector '{selector}' is revoked (empty p=)")
    if key["errors"]:
        return _Verdict(False, "medium", f"DKIM key '{selector}' is weak or broken", replace)
    if key["key_type"] == "rsa" and bits is not None and bits < 2048:
        return _Verdict(False, "low", f"DKIM key '{selector}' is {bits}-bit RSA (2048 recommended)", replace)
    return _Verdict(True, "medium", f"DKIM key '{selector}' is {key['key_type']} {bits} bits")


def _dkim_findings(report: DnsReport) -> list[Finding]:
    dkim = report.dkim
    status = dkim["status"]
    overall = {
        "pass": _Verdict(True, "medium", "DKIM key published"),
        "fail": _Verdict(
            False,
            "medium",
            "A published DKIM key is weak or broken",
            "Replace keys under 1024 bits or that do not parse; 2048-bit RSA is recommended.",
        ),
        "unknown": _Verdict(
            False,
            "info",
            "No DKIM key found at the selectors tried",
            "Nothing wrong is proven: DKIM keys hide under selectors. Add your mail "
            "provider's selector to the asset so it can be checked.",
        ),
    }[status]
    evidence = {"status": status, "checked_selectors": dkim["checked_selectors"], "errors": dkim["errors"]}
    found = [_finding(report, "dns.dkim", overall, evidence, ANTI_PHISHING_CONTROLS)]
    for selector, key in dkim["selectors"].items():
        if key["found"]:
            verdict = _dkim_selector_verdict(selector, key)
            found.append(
                _finding(
                    report,
                    "dns.dkim",
                    verdict,
                    {"selector": selector, **key},
                    ANTI_PHISHING_CONTROLS,
                    key=f"selector:{selector}",
                )
            )
    return found


def _mta_sts_verdict(report: DnsReport) -> _Verdict:
    sts = report.mta_sts
    fix = "Publish _mta-sts TXT 'v=STSv1; id=<n>' and a policy with mode: enforce listing your MX hosts."
    if _sends_no_mail(report):
        return _Verdict(True, "info", "No inbound mail: MTA-STS not needed")
    if sts["record"] is None:
        return _Verdict(False, "low", "MTA-STS is not published", fix)
    if sts["errors"]:
        return _Verdict(False, "low", "MTA-STS record or policy is invalid", fix)
    if sts["mode"] != "enforce":
        return _Verdict(False, "low", f"MTA-STS policy is in {sts['mode']} mode", fix)
    return _Verdict(True, "low", "MTA-STS enforces TLS for inbound mail")


def _caa_verdict(caa: dict[str, Any]) -> _Verdict:
    if caa["found"]:
        return _Verdict(True, "low", f"CAA records restrict certificate issuers (at {caa['location']})")
    return _Verdict(
        False,
        "low",
        "No CAA record: any certificate authority may issue for the domain",
        "Publish CAA 'issue' records naming the CAs you use, e.g. 0 issue \"letsencrypt.org\".",
    )


def _dnssec_verdict(dnssec: dict[str, Any]) -> _Verdict:
    if dnssec["signed"] and dnssec["ds_at_parent"]:
        return _Verdict(True, "low", "DNSSEC: zone signed and DS published at the parent")
    if dnssec["signed"]:
        return _Verdict(
            False,
            "low",
            "DNSSEC: zone signed but no DS at the parent (not trusted)",
            "Publish the DS record at your registrar to complete the chain of trust.",
        )
    return _Verdict(
        False,
        "low",
        "DNSSEC is not enabled",
        "Enable DNSSEC signing at your DNS host and publish the DS record at your registrar.",
    )


def findings(report: DnsReport) -> list[Finding]:
    """Pass and fail findings for every check the report could decide (category "dns"); sections
    whose lookups failed give none, since a resolver problem proves nothing about the domain."""
    unresolved = set(report.unresolved)
    result = _spf_findings(report)
    if "dmarc" not in unresolved:
        result.extend(_dmarc_findings(report))
    result.extend(_dkim_findings(report))
    if not unresolved & {"mx", "mta_sts"}:
        evidence = {**report.mta_sts, "tls_rpt": report.tls_rpt, "mx": report.mx}
        verdict = _mta_sts_verdict(report)
        result.append(_finding(report, "dns.mta_sts", verdict, evidence, MAIL_TRANSPORT_CONTROLS))
    if "caa" not in unresolved:
        verdict = _caa_verdict(report.caa)
        result.append(_finding(report, "dns.caa", verdict, report.caa, CERTIFICATE_ISSUANCE_CONTROLS))
    if "dnssec" not in unresolved:
        verdict = _dnssec_verdict(report.dnssec)
        result.append(_finding(report, "dns.dnssec", verdict, report.dnssec, DNS_INTEGRITY_CONTROLS))
    return result
