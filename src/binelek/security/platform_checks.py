"""Checks on the tenant's own use of this platform — MFA, admins, stale accounts, old API keys,
broken connector tokens, audit retention — from facts the identity and connectors services give."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from binelek.security.checks.base import Finding

TARGET = "organization"
STALE_AFTER = timedelta(days=90)
NEVER_LOGGED_IN_GRACE = timedelta(days=30)
API_KEY_MAX_AGE = timedelta(days=365)
API_KEY_UNUSED = timedelta(days=90)
MIN_AUDIT_RETENTION_DAYS = 90
MAX_ADMINS = 3

MFA_CONTROLS = ("soc2:CC6.1", "hipaa:164.312(d)", "pci:8.4.2", "gdpr:art32")
ACCOUNT_CONTROLS = ("soc2:CC6.2", "soc2:CC6.3", "pci:8.2.6", "hipaa:164.308(a)(3)")
KEY_CONTROLS = ("soc2:CC6.1", "pci:8.3.9")
AUDIT_CONTROLS = ("soc2:CC7.2", "hipaa:164.312(b)", "pci:10.5.1", "gdpr:art30")


@dataclass(frozen=True, slots=True)
class MemberFact:
    user_id: str
    email: str
    role: str
    mfa_enabled: bool
    last_login_at: datetime | None
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKeyFact:
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class ConnectionFact:
    id: str
    name: str
    status: str
    last_error: str | None


def platform_findings(
    members: Sequence[MemberFact],
    api_keys: Sequence[ApiKeyFact],
    connections: Sequence[ConnectionFact],
    *,
    audit_retention_days: int,
    now: datetime,
) -> list[Finding]:
    return [
        _mfa(members),
        *_admins(members),
        *_stale(members, now),
        *_api_keys(api_keys, now),
        *_connections(connections),
        _audit(audit_retention_days),
    ]


def _mfa(members: Sequence[MemberFact]) -> Finding:
    without = [member for member in members if not member.mfa_enabled]
    adoption = 100.0 * (len(members) - len(without)) / len(members) if members else 100.0
    admins_without = [member.email for member in without if member.role == "admin"]
    return Finding(
        check_id="platform.mfa_adoption",
        category="platform",
        target=TARGET,
        passed=not without,
        severity="high" if admins_without else "medium",
        title=(
            "Every member uses multi-factor authentication"
            if not without
            else f"{len(without)} of {len(members)} members have no multi-factor authentication"
        ),
        evidence={
            "adoption_percent": round(adoption, 1),
            "members": len(members),
            "without_mfa": [member.email for member in without],
            "admins_without_mfa": admins_without,
        },
        remediation="Ask each listed member to turn on MFA under Settings > Security; admins first.",
        controls=MFA_CONTROLS,
    )


def _admins(members: Sequence[MemberFact]) -> list[Finding]:
    admins = [member.email for member in members if member.role == "admin"]
    too_many = len(admins) > MAX_ADMINS
    return [
        Finding(
            check_id="platform.admins",
            category="platform",
            target=TARGET,
            passed=not too_many,
            severity="medium",
            title=f"{len(admins)} administrators" + (f" (more than {MAX_ADMINS})" if too_many else ""),
            evidence={"admins": admins, "limit": MAX_ADMINS},
            remediation="Keep admin rights to the few who manage the organization; make the rest members.",
            controls=ACCOUNT_CONTROLS,
        )
    ]


def _stale(members: Sequence[MemberFact], now: datetime) -> list[Finding]:
    findings = []
    for member in members:
        if member.last_login_at is not None:
            stale = now - member.last_login_at > STALE_AFTER
            seen = member.last_login_at.isoformat()
        else:
            stale = now - member.joined_at > NEVER_LOGGED_IN_GRACE
            seen = None
        if stale:
            findings.append(
                Finding(
                    check_id="platform.stale_accounts",
                    category="platform",
                    target=TARGET,
                    passed=False,
                    severity="medium" if member.role == "admin" else "low",
                    title=f"{member.email} has not signed in for over {STALE_AFTER.days} days",
                    evidence={"email": member.email, "role": member.role, "last_login_at": seen},
                    remediation="Remove members who no longer need access, or confirm they still do.",
                    controls=ACCOUNT_CONTROLS,
                    key=member.user_id,
                )
            )
    if not findings:
        findings.append(
            Finding(
                check_id="platform.stale_accounts",
                category="platform",
                target=TARGET,
                passed=True,
                severity="low",
                title="No stale accounts",
                evidence={"members": len(members), "stale_after_days": STALE_AFTER.days},
                controls=ACCOUNT_CONTROLS,
            )
        )
    return findings


def _api_keys(keys: Sequence[ApiKeyFact], now: datetime) -> list[Finding]:
    findings = []
    for key in keys:
        old = now - key.created_at > API_KEY_MAX_AGE
        unused = now - (key.last_used_at or key.created_at) > API_KEY_UNUSED
        if not (old or unused):
            continue
        why = "older than a year" if old else f"unused for {API_KEY_UNUSED.days} days"
        findings.append(
            Finding(
                check_id="platform.api_key_age",
                category="platform",
                target=TARGET,
                passed=False,
                severity="low",
                title=f"API key “{key.name}” is {why}",
                evidence={
                    "key_id": key.id,
                    "name": key.name,
                    "created_at": key.created_at.isoformat(),
                    "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
                },
                remediation="Rotate the key (create a new one, switch the program over, revoke the old one).",
                controls=KEY_CONTROLS,
                key=key.id,
            )
        )
    if not findings:
        findings.append(
            Finding(
                check_id="platform.api_key_age",
                category="platform",
                target=TARGET,
                passed=True,
                severity="low",
                title="API keys are recent and in use",
                evidence={"active_keys": len(keys)},
                controls=KEY_CONTROLS,
            )
        )
    return findings


def _connections(connections: Sequence[ConnectionFact]) -> list[Finding]:
    broken = [connection for connection in connections if connection.status == "error"]
    findings = [
        Finding(
            check_id="platform.connector_tokens",
            category="platform",
            target=TARGET,
            passed=False,
            severity="medium",
            title=f"Connector “{connection.name}” cannot authenticate",
            evidence={
                "connection_id": connection.id,
                "status": connection.status,
                "error": connection.last_error,
            },
            remediation="Reconnect it under Connectors so its data keeps flowing and its token is fresh.",
            controls=("soc2:CC7.2",),
            key=connection.id,
        )
        for connection in broken
    ]
    if not findings:
        findings.append(
            Finding(
                check_id="platform.connector_tokens",
                category="platform",
                target=TARGET,
                passed=True,
                severity="medium",
                title="Every connector authenticates",
                evidence={"connections": len(connections)},
                controls=("soc2:CC7.2",),
            )
        )
    return findings


def _audit(retention_days: int) -> Finding:
    short = retention_days < MIN_AUDIT_RETENTION_DAYS
    return Finding(
        check_id="platform.audit_retention",
        category="platform",
        target=TARGET,
        passed=not short,
        severity="medium",
        title=f"Audit log kept {retention_days} days",
        evidence={"retention_days": retention_days, "minimum": MIN_AUDIT_RETENTION_DAYS},
        remediation=f"Set AUDIT_RETENTION_DAYS to at least {MIN_AUDIT_RETENTION_DAYS}.",
        controls=AUDIT_CONTROLS,
    )
