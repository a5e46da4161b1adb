"""Checks on one device: what its agent reported (disk encryption, firewall, screen lock, updates),
whether an admin recognises it, and which of its packages the vulnerability database knows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from binelek.security.checks.base import Finding, Severity

UPDATES_STALE = timedelta(days=30)
UPDATES_NEGLECTED = timedelta(days=90)
RAISED = {"low": "medium", "medium": "high", "high": "critical", "critical": "critical"}


@dataclass(frozen=True, slots=True)
class DeviceFact:
    id: str
    name: str  # hostname, or the address discovery found it at
    source: str
    known: bool
    disk_encryption: bool | None
    firewall: bool | None
    screen_lock: bool | None
    last_update_at: datetime | None


@dataclass(frozen=True, slots=True)
class VulnFact:
    vulnerability_id: str
    aliases: tuple[str, ...]
    package: str
    installed_version: str
    fixed_version: str | None
    severity: str
    cvss_score: float | None
    kev: bool
    summary: str | None


def target_of(device_id: str) -> str:
    return f"device:{device_id}"


def device_findings(device: DeviceFact, vulns: Sequence[VulnFact], *, now: datetime) -> list[Finding]:
    findings = [_known(device)]
    if device.source == "agent":
        findings += [
            _setting(
                device,
                "device.disk_encryption",
                device.disk_encryption,
                "high",
                "disk encryption",
                "Turn on full-disk encryption (BitLocker, FileVault or LUKS).",
                ("soc2:CC6.1", "hipaa:164.312(a)(2)(iv)", "gdpr:art32", "pci:3.5.1"),
            ),
            _setting(
                device,
                "device.firewall",
                device.firewall,
                "medium",
                "a firewall",
                "Turn the host firewall on (Windows Defender Firewall, the macOS firewall, ufw or nftables).",
                ("soc2:CC6.6", "pci:1.5.1"),
            ),
            _setting(
                device,
                "device.screen_lock",
                device.screen_lock,
                "medium",
                "an automatic screen lock",
                "Lock the screen automatically after at most 15 minutes idle, with a password to unlock.",
                ("hipaa:164.312(a)(2)(iii)", "soc2:CC6.1"),
            ),
            _updates(device, now),
        ]
    findings += [_vulnerability(device, vuln) for vuln in vulns]
    return [finding for finding in findings if finding is not None]


def _known(device: DeviceFact) -> Finding:
    return Finding(
        check_id="device.unknown",
        category="device",
        target=target_of(device.id),
        passed=device.known,
        severity="medium",
        title=f"{device.name} is recognised" if device.known else f"Unrecognised device {device.name}",
        evidence={"device_id": device.id, "name": device.name, "source": device.source},
        remediation="Check whose device it is; mark it known, or remove it from the network.",
        controls=("soc2:CC6.8", "pci:12.5.1"),
    )


def _setting(
    device: DeviceFact,
    check_id: str,
    value: bool | None,
    severity: Severity,
    what: str,
    remediation: str,
    controls: tuple[str, ...],
) -> Finding:
    if value is None:
        title = f"{device.name}: could not tell whether it has {what}"
    elif value:
        title = f"{device.name} has {what}"
    else:
        title = f"{device.name} has no {what}"
    return Finding(
        check_id=check_id,
        category="device",
        target=target_of(device.id),
        passed=bool(value),
        # Unknown is reported but never counts as a failure: the agent could not look.
        severity=severity if value is not None else "info",
        title=title,
        evidence={"device_id": device.id, "value": value},
        remediation=remediation,
        controls=controls,
    )


def _updates(device: DeviceFact, now: datetime) -> Finding:
    controls = ("soc2:CC7.1", "pci:6.3.3", "hipaa:164.308(a)(5)(ii)(B)")
    last = device.last_update_at
    age = now - last if last else None
    severity: Severity = "info" if age is None else "high" if age > UPDATES_NEGLECTED else "medium"
    passed = age is not None and age <= UPDATES_STALE
    if age is None:
        title = f"{device.name}: last update unknown"
    elif passed:
        title = f"{device.name} was updated {age.days} days ago"
    else:
        title = f"{device.name} has not been updated for {age.days} days"
    return Finding(
        check_id="device.updates",
        category="device",
        target=target_of(device.id),
        passed=passed,
        severity=severity,
        title=title,
        evidence={"device_id": device.id, "last_update_at": last.isoformat() if last else None},
        remediation="Install pending operating-system updates and turn on automatic updates.",
        controls=controls,
    )


def _vulnerability(device: DeviceFact, vuln: VulnFact) -> Finding:
    base = vuln.severity if vuln.severity in RAISED else "medium"
    severity = RAISED[base] if vuln.kev else base  # known to be exploited: one level up
    cve = next((alias for alias in vuln.aliases if alias.startswith("CVE-")), vuln.vulnerability_id)
    fix = (
        f"Update {vuln.package} to {vuln.fixed_version} or later."
        if vuln.fixed_version
        else (f"No fixed version of {vuln.package} is known; remove it or isolate the device.")
    )
    return Finding(
        check_id=f"vuln.{vuln.vulnerability_id}",
        category="vulnerability",
        target=target_of(device.id),
        passed=False,
        severity=severity,  # type: ignore[arg-type]
        title=f"{cve} in {vuln.package} {vuln.installed_version} on {device.name}",
        evidence={
            "device_id": device.id,
            "vulnerability_id": vuln.vulnerability_id,
            "aliases": list(vuln.aliases),
            "package": vuln.package,
            "installed_version": vuln.installed_version,
            "fixed_version": vuln.fixed_version,
            "cvss_score": vuln.cvss_score,
            "kev": vuln.kev,
            "summary": vuln.summary,
        },
        remediation=fix,
        controls=("soc2:CC7.1", "pci:6.3.3", "hipaa:164.308(a)(1)(ii)(A)"),
        key=vuln.package,
    )
