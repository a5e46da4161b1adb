"""Cybersecurity Scanner's API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from binelek.security.models import ASSET_KINDS, ISSUE_STATUSES, SCAN_CATEGORIES

AssetKind = Literal["domain", "url", "ip", "cidr"]
Category = Literal["web", "tls", "dns", "network", "platform", "devices"]
IssueStatus = Literal["open", "in_progress", "resolved", "accepted"]
Severity = Literal["critical", "high", "medium", "low"]
assert set(AssetKind.__args__) == set(ASSET_KINDS)  # type: ignore[attr-defined]
assert set(Category.__args__) == set(SCAN_CATEGORIES)  # type: ignore[attr-defined]
assert set(IssueStatus.__args__) == set(ISSUE_STATUSES)  # type: ignore[attr-defined]


# -- assets -----------------------------------------------------------------------------------------


class AssetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: AssetKind
    value: str = Field(
        min_length=1,
        max_length=500,
        description="example.com, https://shop.example.com, 203.0.113.7, 10.0.0.0/24",
    )
    label: str | None = Field(default=None, max_length=200)
    attest_ownership: bool = Field(
        description="The admin states that the organization owns this asset or may test it. Required."
    )
    scan_enabled: bool = True
    ports: list[int] = Field(
        default_factory=list, max_length=1000, description="Ports to scan; empty: common ports."
    )
    dkim_selectors: list[str] = Field(default_factory=list, max_length=20)


class AssetPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(default=None, max_length=200)
    scan_enabled: bool | None = None
    ports: list[int] | None = Field(default=None, max_length=1000)
    dkim_selectors: list[str] | None = Field(default=None, max_length=20)


class AssetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    value: str
    label: str | None
    scan_enabled: bool
    ports: list[int]
    dkim_selectors: list[str]
    attested_by: uuid.UUID | None
    attested_at: datetime
    last_scanned_at: datetime | None
    created_at: datetime
    open_issues: int = 0
    grades: dict[str, str] = Field(default_factory=dict, description="Latest grade per check: web, tls.")


# -- scans ------------------------------------------------------------------------------------------


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asset_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=500, description="Default: every scan-enabled asset."
    )
    categories: list[Category] | None = Field(default=None, description="Default: every category.")


class ScanAccepted(BaseModel):
    id: uuid.UUID
    status: str


class ScanReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    asset_id: uuid.UUID | None
    check: str
    target: str
    grade: str | None
    score: float | None
    error: str | None
    report: dict[str, Any]
    created_at: datetime


class FindingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    check_id: str
    category: str
    target: str
    passed: bool
    severity: str
    title: str
    evidence: dict[str, Any]
    remediation: str
    controls: list[str]
    created_at: datetime


class ScanSummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: str
    trigger: str
    categories: list[str]
    asset_ids: list[str]
    progress_done: int
    progress_total: int
    summary: dict[str, Any]
    errors: list[dict[str, Any]]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ScanOut(ScanSummaryOut):
    reports: list[ScanReportOut] = Field(default_factory=list)
    findings: list[FindingOut] = Field(default_factory=list)


class ScanUrlIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=4, max_length=2000)


class ScanUrlOut(BaseModel):
    url: str
    headers: dict[str, Any] | None
    tls: dict[str, Any] | None
    errors: list[dict[str, str]]
    findings: list[dict[str, Any]]


# -- issues and alerts ------------------------------------------------------------------------------


class IssueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    check_id: str
    category: str
    target: str
    title: str
    severity: str
    status: str
    accepted_reason: str | None
    assignee_id: uuid.UUID | None
    due_at: datetime | None
    evidence: dict[str, Any]
    remediation: str
    controls: list[str]
    asset_id: uuid.UUID | None
    device_id: uuid.UUID | None
    detected_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    reopened_count: int
    updated_at: datetime


class IssuePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: IssueStatus | None = None
    accepted_reason: str | None = Field(default=None, max_length=2000)
    assignee_id: uuid.UUID | None = None
    due_at: datetime | None = None


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    severity: str
    title: str
    body: str
    issue_id: uuid.UUID | None
    device_id: uuid.UUID | None
    created_at: datetime
    acknowledged_at: datetime | None


# -- devices ----------------------------------------------------------------------------------------


class AgentOs(BaseModel):
    family: Literal["linux", "macos", "windows", "other"] | None = None
    name: str | None = Field(default=None, max_length=200)
    version: str | None = Field(default=None, max_length=100)
    build: str | None = Field(default=None, max_length=100)
    kernel: str | None = Field(default=None, max_length=200)


class AgentHardware(BaseModel):
    arch: str | None = Field(default=None, max_length=50)
    model: str | None = Field(default=None, max_length=200)
    serial: str | None = Field(default=None, max_length=200)


class AgentNetwork(BaseModel):
    ips: list[str] = Field(default_factory=list, max_length=64)
    macs: list[str] = Field(default_factory=list, max_length=64)


class AgentPackage(BaseModel):
    name: str = Field(min_length=1, max_length=300)
    version: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=30, description="dpkg, rpm, apk, pip, npm, windows, macos")
    source_name: str | None = Field(
        default=None, max_length=300, description="The source package (dpkg, rpm)."
    )
    source_version: str | None = Field(default=None, max_length=200)


class AgentSecurity(BaseModel):
    disk_encryption: bool | None = None
    firewall: bool | None = None
    screen_lock: bool | None = None
    auto_updates: bool | None = None
    last_update_at: datetime | None = None


class CheckinIn(BaseModel):
    """What `binelek-agent` sends. Unknown extra fields are ignored so older servers accept newer agents."""

    agent_version: str = Field(max_length=40)
    device_key: str = Field(min_length=8, max_length=100)
    hostname: str = Field(min_length=1, max_length=255)
    os: AgentOs = Field(default_factory=AgentOs)
    hardware: AgentHardware = Field(default_factory=AgentHardware)
    network: AgentNetwork = Field(default_factory=AgentNetwork)
    packages: list[AgentPackage] | None = Field(
        default_factory=list,
        max_length=20_000,
        description="Omit (null) when `packages_hash` names the list the server last acknowledged.",
    )
    packages_hash: str | None = Field(default=None, max_length=64)
    security: AgentSecurity = Field(default_factory=AgentSecurity)
    collected_at: datetime | None = None


class CheckinOut(BaseModel):
    device_id: uuid.UUID
    known: bool
    open_issues: int
    packages_changed: bool
    packages_hash: str = Field(
        description="The package list the server now holds; send it instead of an unchanged list."
    )


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    hostname: str | None
    source: str
    os_family: str | None
    os_name: str | None
    os_version: str | None
    kernel: str | None
    arch: str | None
    model: str | None
    ips: list[str]
    macs: list[str]
    open_ports: list[int]
    disk_encryption: bool | None
    firewall: bool | None
    screen_lock: bool | None
    auto_updates: bool | None
    last_update_at: datetime | None
    agent_version: str | None
    package_count: int
    known: bool
    first_seen_at: datetime
    last_seen_at: datetime
    open_issues: int = 0
    vulnerabilities: int = 0


class DevicePackageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    version: str
    source: str
    ecosystem: str | None
    source_name: str | None = None
    source_version: str | None = None


class DeviceDetailOut(DeviceOut):
    packages: list[DevicePackageOut] = Field(default_factory=list)
    issues: list[IssueOut] = Field(default_factory=list)


class DevicePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    known: bool | None = None
    hostname: str | None = Field(default=None, max_length=255)


class EnrolmentTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(default=None, max_length=200)


class EnrolmentTokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    prefix: str
    label: str | None
    created_at: datetime
    last_used_at: datetime | None


class EnrolmentTokenCreated(EnrolmentTokenOut):
    token: str = Field(description="Shown once; store it in the agent's configuration.")


# -- posture and compliance -------------------------------------------------------------------------


class PosturePoint(BaseModel):
    taken_at: datetime
    score: float
    grade: str


class PostureOut(BaseModel):
    score: float
    grade: str
    parts: list[dict[str, Any]]
    open_issues: dict[str, int]
    history: list[PosturePoint]
    trend: dict[str, float | None] = Field(description="Change in points over 7 and 30 days.")
    last_scan_at: datetime | None


class FrameworkSummaryOut(BaseModel):
    framework: str
    name: str
    version: str
    percent_complete: float
    counts: dict[str, int]


class ControlOut(BaseModel):
    id: str
    title: str
    description: str
    category: str
    automated: bool
    evidence_hint: str
    review_days: int
    status: str
    reasons: list[str]
    findings: list[dict[str, Any]]
    manual: dict[str, Any] | None
    evidence: list[dict[str, Any]]


class FrameworkOut(FrameworkSummaryOut):
    controls: list[ControlOut]


class ControlStateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["met", "not_met", "not_applicable"]
    note: str | None = Field(default=None, max_length=4000)


class EvidenceOut(BaseModel):
    id: uuid.UUID
    control_id: str
    filename: str
    sha256: str
    size_bytes: int
    uploaded_at: datetime
    note: str | None
