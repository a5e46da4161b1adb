"""Cybersecurity Scanner's tables: what a tenant registers (assets, devices), what scans found
(findings, issues, alerts), posture history and compliance evidence — plus the install-wide offline
vulnerability database (OSV entries and the CISA KEV catalogue), which no tenant owns."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from binelek.kit.db import Base, IdMixin, JSONType, TenantMixin, TimestampMixin, utcnow

ASSET_KINDS = ("domain", "url", "ip", "cidr")
SCAN_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
SCAN_CATEGORIES = ("web", "tls", "dns", "network", "platform", "devices")
ISSUE_SEVERITIES = ("critical", "high", "medium", "low")
ISSUE_STATUSES = ("open", "in_progress", "resolved", "accepted")


# -- what the tenant registers ----------------------------------------------------------------------


class SecurityAsset(IdMixin, TimestampMixin, TenantMixin, Base):
    """A domain, URL, IP address or range the tenant owns; scans never reach beyond these."""

    __tablename__ = "security_assets"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "value", name="uq_security_assets_value"),)

    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(500))  # normalised: lower-case host, canonical CIDR
    label: Mapped[str | None] = mapped_column(String(200))
    # The admin's statement that the tenant owns or may test this asset.
    attested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    attested_at: Mapped[datetime] = mapped_column(default=utcnow)
    scan_enabled: Mapped[bool] = mapped_column(Boolean(), default=True)
    ports: Mapped[list[int]] = mapped_column(JSONType, default=list)  # extra ports to scan; [] = common ports
    dkim_selectors: Mapped[list[str]] = mapped_column(default=list)
    last_scanned_at: Mapped[datetime | None] = mapped_column()


class SecurityEnrolmentToken(IdMixin, TenantMixin, Base):
    """Lets `binelek-agent` check devices in; only the hash is stored, the token is shown once."""

    __tablename__ = "security_enrolment_tokens"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_security_enrolment_tokens_hash"),)

    token_hash: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(20))  # shown in lists so an admin can tell tokens apart
    label: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class SecurityDevice(IdMixin, TimestampMixin, TenantMixin, Base):
    """The seed's `security_devices`: a machine seen by the agent or by discovery on a range."""

    __tablename__ = "security_devices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "device_key", name="uq_security_devices_key"),
        Index("ix_security_devices_tenant_seen", "tenant_id", "last_seen_at"),
    )

    device_key: Mapped[str] = mapped_column(String(100))  # agent: hashed machine id; discovery: "ip:<addr>"
    hostname: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(20))  # agent | discovery
    os_family: Mapped[str | None] = mapped_column(String(20))
    os_name: Mapped[str | None] = mapped_column(String(200))
    os_version: Mapped[str | None] = mapped_column(String(100))
    kernel: Mapped[str | None] = mapped_column(String(200))
    arch: Mapped[str | None] = mapped_column(String(50))
    model: Mapped[str | None] = mapped_column(String(200))
    ips: Mapped[list[str]] = mapped_column(default=list)
    macs: Mapped[list[str]] = mapped_column(default=list)
    open_ports: Mapped[list[int]] = mapped_column(JSONType, default=list)
    # None = could not be determined (an agent never guesses).
    disk_encryption: Mapped[bool | None] = mapped_column(Boolean())
    firewall: Mapped[bool | None] = mapped_column(Boolean())
    screen_lock: Mapped[bool | None] = mapped_column(Boolean())
    auto_updates: Mapped[bool | None] = mapped_column(Boolean())
    last_update_at: Mapped[datetime | None] = mapped_column()
    agent_version: Mapped[str | None] = mapped_column(String(40))
    package_count: Mapped[int] = mapped_column(Integer(), default=0)
    open_issues: Mapped[int] = mapped_column(Integer(), default=0)  # kept by evaluations and issue edits
    # Hashes of what the agent last sent: an unchanged check-in only moves `last_seen_at`.
    packages_hash: Mapped[str | None] = mapped_column(String(64))
    state_hash: Mapped[str | None] = mapped_column(String(64))
    # An admin has recognised this device; a new unknown one raises an alert.
    known: Mapped[bool] = mapped_column(Boolean(), default=False)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class SecurityDevicePackage(IdMixin, TenantMixin, Base):
    __tablename__ = "security_device_packages"
    __table_args__ = (Index("ix_security_device_packages_device", "device_id"),)

    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("security_devices.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(30))  # dpkg | rpm | apk | pip | npm | windows | macos
    ecosystem: Mapped[str | None] = mapped_column(String(100))  # the OSV ecosystem, when there is one
    # The source package it was built from (Debian's and Ubuntu's advisories name source packages).
    source_name: Mapped[str | None] = mapped_column(String(300))
    source_version: Mapped[str | None] = mapped_column(String(200))


# -- scans, findings, issues, alerts ----------------------------------------------------------------


class SecurityScan(IdMixin, TenantMixin, Base):
    __tablename__ = "security_scans"
    __table_args__ = (Index("ix_security_scans_tenant_created", "tenant_id", "created_at"),)

    status: Mapped[str] = mapped_column(String(20), default="queued")
    trigger: Mapped[str] = mapped_column(String(20), default="manual")  # manual | schedule
    categories: Mapped[list[str]] = mapped_column(default=list)
    asset_ids: Mapped[list[str]] = mapped_column(default=list)  # [] = every scan-enabled asset
    progress_done: Mapped[int] = mapped_column(Integer(), default=0)
    progress_total: Mapped[int] = mapped_column(Integer(), default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)  # counts by severity, new, resolved
    errors: Mapped[list[dict[str, Any]]] = mapped_column(default=list)  # checks that could not run
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class SecurityScanReport(IdMixin, TenantMixin, Base):
    """A check's whole report for one target (the Observatory table, the TLS protocols...)."""

    __tablename__ = "security_scan_reports"
    __table_args__ = (Index("ix_security_scan_reports_scan", "scan_id"),)

    scan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("security_scans.id", ondelete="CASCADE"))
    asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("security_assets.id", ondelete="SET NULL"))
    check: Mapped[str] = mapped_column(String(20))  # web | tls | dns | network | platform | devices
    target: Mapped[str] = mapped_column(String(500))
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    grade: Mapped[str | None] = mapped_column(String(5))
    score: Mapped[float | None] = mapped_column(Float())
    error: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SecurityFinding(IdMixin, TenantMixin, Base):
    """Every result of every check in a scan, passed ones included: compliance evidence."""

    __tablename__ = "security_findings"
    __table_args__ = (
        Index("ix_security_findings_scan", "scan_id"),
        Index("ix_security_findings_tenant_fingerprint", "tenant_id", "fingerprint", "created_at"),
    )

    # None for findings outside scans (a device's check-in), of which only the latest are kept.
    scan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("security_scans.id", ondelete="CASCADE"))
    asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("security_assets.id", ondelete="SET NULL"))
    fingerprint: Mapped[str] = mapped_column(String(700))
    check_id: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(500))
    passed: Mapped[bool] = mapped_column(Boolean())
    severity: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    remediation: Mapped[str] = mapped_column(Text(), default="")
    controls: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SecurityIssue(IdMixin, TimestampMixin, TenantMixin, Base):
    """The seed's `security_issues`: a failed finding someone has to act on, one per fingerprint."""

    __tablename__ = "security_issues"
    __table_args__ = (
        UniqueConstraint("tenant_id", "fingerprint", name="uq_security_issues_fingerprint"),
        Index("ix_security_issues_tenant_status_severity", "tenant_id", "status", "severity"),
    )

    fingerprint: Mapped[str] = mapped_column(String(700))
    check_id: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="open")
    accepted_reason: Mapped[str | None] = mapped_column(String(2000))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_at: Mapped[datetime | None] = mapped_column()
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    remediation: Mapped[str] = mapped_column(Text(), default="")
    controls: Mapped[list[str]] = mapped_column(default=list)
    asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("security_assets.id", ondelete="SET NULL"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("security_devices.id", ondelete="SET NULL")
    )
    last_scan_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("security_scans.id", ondelete="SET NULL")
    )
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()
    reopened_count: Mapped[int] = mapped_column(Integer(), default=0)


class SecurityAlert(IdMixin, TenantMixin, Base):
    """Something an owner must hear about now; `dedupe_key` keeps a condition from alerting twice."""

    __tablename__ = "security_alerts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "dedupe_key", name="uq_security_alerts_dedupe"),
        Index("ix_security_alerts_tenant_created", "tenant_id", "created_at"),
    )

    kind: Mapped[str] = mapped_column(
        String(30)
    )  # issue | certificate_expiry | unknown_device | mfa_disabled
    severity: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(String(2000), default="")
    dedupe_key: Mapped[str] = mapped_column(String(300))
    issue_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("security_issues.id", ondelete="CASCADE"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("security_devices.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PostureSnapshot(IdMixin, TenantMixin, Base):
    __tablename__ = "security_posture_snapshots"
    __table_args__ = (Index("ix_security_posture_tenant_taken", "tenant_id", "taken_at"),)

    score: Mapped[float] = mapped_column(Float())
    grade: Mapped[str] = mapped_column(String(8))
    breakdown: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("security_scans.id", ondelete="SET NULL"))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- compliance -------------------------------------------------------------------------------------


class ComplianceControlState(IdMixin, TimestampMixin, TenantMixin, Base):
    """A person's attestation for a manual control: met, not met or not applicable, and when to
    review it again."""

    __tablename__ = "security_compliance_controls"
    __table_args__ = (
        UniqueConstraint("tenant_id", "framework", "control_id", name="uq_security_compliance_control"),
    )

    framework: Mapped[str] = mapped_column(String(20))
    control_id: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))  # met | not_met | not_applicable
    note: Mapped[str | None] = mapped_column(String(4000))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    review_due_at: Mapped[datetime | None] = mapped_column()


class ComplianceEvidence(IdMixin, TenantMixin, Base):
    __tablename__ = "security_compliance_evidence"
    __table_args__ = (Index("ix_security_evidence_control", "tenant_id", "framework", "control_id"),)

    framework: Mapped[str] = mapped_column(String(20))
    control_id: Mapped[str] = mapped_column(String(50))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer())
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary())
    note: Mapped[str | None] = mapped_column(String(2000))
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- the offline vulnerability database (install-wide) ----------------------------------------------


class Vulnerability(Base):
    __tablename__ = "security_vulnerabilities"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # the OSV id
    aliases: Mapped[list[str]] = mapped_column(default=list)
    summary: Mapped[str | None] = mapped_column(String(1000))
    details: Mapped[str | None] = mapped_column(Text())
    severity_vector: Mapped[str | None] = mapped_column(String(300))
    cvss_score: Mapped[float | None] = mapped_column(Float())
    severity: Mapped[str] = mapped_column(String(20), default="unknown")
    kev: Mapped[bool] = mapped_column(Boolean(), default=False)
    references: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    published_at: Mapped[datetime | None] = mapped_column()
    modified_at: Mapped[datetime | None] = mapped_column()
    source: Mapped[str] = mapped_column(String(300), default="")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class VulnerablePackage(Base):
    __tablename__ = "security_vulnerable_packages"
    __table_args__ = (Index("ix_security_vulnerable_packages_lookup", "ecosystem", "package"),)

    id: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=True)
    vulnerability_id: Mapped[str] = mapped_column(
        ForeignKey("security_vulnerabilities.id", ondelete="CASCADE"), index=True
    )
    ecosystem: Mapped[str] = mapped_column(String(100))
    package: Mapped[str] = mapped_column(String(300))
    ranges: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    versions: Mapped[list[str]] = mapped_column(default=list)


class KnownExploited(Base):
    """The CISA Known Exploited Vulnerabilities catalogue."""

    __tablename__ = "security_known_exploited"

    cve_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    vendor: Mapped[str | None] = mapped_column(String(200))
    product: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(500))
    date_added: Mapped[date | None] = mapped_column(Date())
    due_date: Mapped[date | None] = mapped_column(Date())
    ransomware: Mapped[bool] = mapped_column(Boolean(), default=False)
