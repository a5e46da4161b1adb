"""From findings to issues and alerts.

A failed finding opens an issue keyed by its fingerprint; the same finding failing again refreshes
it; a fixed one (the check ran on that target and the fingerprint failed no more) resolves it; a
resolved one that fails again is reopened (a regression). Accepted issues stay accepted while they
fail. Findings of severity "info" (DKIM selector not found, a setting the agent could not read) never
open issues: they are facts, not failures.

Alerts — new or reopened critical/high issues, a certificate nearing expiry, an unknown device, MFA
turned off — are written once per condition (`dedupe_key`), notify the tenant's admins in the app and
go out by e-mail from the outbox (`security.alert.raised`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from binelek.identity import service as identity
from binelek.kit import outbox
from binelek.kit.db import TENANT_KEY
from binelek.notifications import service as notifications
from binelek.security.checks.base import Finding
from binelek.security.models import SecurityAlert, SecurityFinding, SecurityIssue
from binelek.security.repository import AlertRepository, FindingRepository, IssueRepository

ALERTING_SEVERITIES = ("critical", "high")
EXPIRY_BUCKETS = (0, 7, 14, 30)


@dataclass
class SyncResult:
    new: list[SecurityIssue] = field(default_factory=list)
    reopened: list[SecurityIssue] = field(default_factory=list)
    resolved: list[SecurityIssue] = field(default_factory=list)
    refreshed: int = 0
    alerts: int = 0

    def summary(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "reopened": len(self.reopened),
            "resolved": len(self.resolved),
            "still_open": self.refreshed,
            "alerts": self.alerts,
        }


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str
    severity: str
    title: str
    body: str
    dedupe_key: str
    issue: SecurityIssue | None = None
    device_id: uuid.UUID | None = None


async def record_findings(
    session: AsyncSession,
    findings: Sequence[Finding],
    *,
    scan_id: uuid.UUID | None,
    asset_of: dict[str, uuid.UUID] | None = None,
    now: datetime,
) -> None:
    """Keep every result as evidence; outside scans only the latest per target."""
    rows = [
        SecurityFinding(
            tenant_id=session.info[TENANT_KEY],
            scan_id=scan_id,
            asset_id=(asset_of or {}).get(finding.target),
            fingerprint=finding.fingerprint[:700],
            check_id=finding.check_id[:100],
            category=finding.category,
            target=finding.target[:500],
            passed=finding.passed,
            severity=finding.severity,
            title=finding.title[:300],
            evidence=finding.evidence,
            remediation=finding.remediation,
            controls=list(finding.controls),
            created_at=now,
        )
        for finding in findings
    ]
    repository = FindingRepository(session)
    if scan_id is None:
        await repository.replace_current({finding.target for finding in findings}, rows)
    else:
        session.add_all(rows)


async def sync_issues(
    session: AsyncSession,
    findings: Sequence[Finding],
    *,
    scope: Iterable[tuple[str, str]],
    now: datetime,
    scan_id: uuid.UUID | None = None,
    asset_of: dict[str, uuid.UUID] | None = None,
    device_of: dict[str, uuid.UUID] | None = None,
) -> SyncResult:
    """Apply one batch of findings. `scope` is every (category, target) that was actually checked:
    only issues inside it can be resolved — a target that could not be reached keeps its issues."""
    issues = IssueRepository(session)
    failing = {f.fingerprint: f for f in findings if not f.passed and f.severity != "info"}
    existing = await issues.by_fingerprints(failing)
    result = SyncResult()
    for fingerprint, finding in failing.items():
        issue = existing.get(fingerprint)
        if issue is None:
            issue = _new_issue(finding, now, scan_id, asset_of, device_of)
            issues.add(issue)
            result.new.append(issue)
            continue
        _refresh(issue, finding, now, scan_id)
        if issue.status == "resolved":
            issue.status = "open"
            issue.resolved_at = None
            issue.reopened_count += 1
            result.reopened.append(issue)
        else:
            result.refreshed += 1
    for issue in await issues.unresolved_in(scope):
        if issue.fingerprint not in failing and issue.status != "resolved":
            issue.status = "resolved"
            issue.resolved_at = now
            issue.last_scan_id = scan_id or issue.last_scan_id
            result.resolved.append(issue)
    await session.flush()
    for issue in result.new:
        _emit_issue(session, "security.issue.created", issue)
    for issue in result.reopened:
        _emit_issue(session, "security.issue.reopened", issue)
    for issue in result.resolved:
        _emit_issue(session, "security.issue.resolved", issue)
    result.alerts = await raise_alerts(session, _alerts_for(result, findings, device_of or {}), now=now)
    return result


def _new_issue(
    finding: Finding,
    now: datetime,
    scan_id: uuid.UUID | None,
    asset_of: dict[str, uuid.UUID] | None,
    device_of: dict[str, uuid.UUID] | None,
) -> SecurityIssue:
    return SecurityIssue(
        id=uuid.uuid4(),
        fingerprint=finding.fingerprint[:700],
        check_id=finding.check_id[:100],
        category=finding.category,
        target=finding.target[:500],
        title=finding.title[:300],
        severity=finding.severity,
        status="open",
        evidence=finding.evidence,
        remediation=finding.remediation,
        controls=list(finding.controls),
        asset_id=(asset_of or {}).get(finding.target),
        device_id=(device_of or {}).get(finding.target),
        last_scan_id=scan_id,
        detected_at=now,
        last_seen_at=now,
        reopened_count=0,
    )


def _refresh(issue: SecurityIssue, finding: Finding, now: datetime, scan_id: uuid.UUID | None) -> None:
    issue.title = finding.title[:300]
    issue.severity = finding.severity
    issue.evidence = finding.evidence
    issue.remediation = finding.remediation
    issue.controls = list(finding.controls)
    issue.last_seen_at = now
    issue.last_scan_id = scan_id or issue.last_scan_id


def _emit_issue(session: AsyncSession, event_type: str, issue: SecurityIssue) -> None:
    payload = {
        "issue_id": str(issue.id),
        "check_id": issue.check_id,
        "category": issue.category,
        "severity": issue.severity,
        "title": issue.title,
        "target": issue.target,
    }
    outbox.emit(session, event_type, payload, issue.tenant_id)


def _alerts_for(
    result: SyncResult, findings: Sequence[Finding], device_of: dict[str, uuid.UUID]
) -> list[Alert]:
    alerts = []
    for issue in [*result.new, *result.reopened]:
        if issue.check_id == "device.unknown":
            alerts.append(
                Alert(
                    kind="unknown_device",
                    severity=issue.severity,
                    title=issue.title,
                    body="A device nobody has marked as known appeared on your network or checked in.",
                    dedupe_key=f"device:{issue.target}:{issue.reopened_count}",
                    issue=issue,
                    device_id=device_of.get(issue.target),
                )
            )
        elif issue.severity in ALERTING_SEVERITIES:
            again = " (again)" if issue.reopened_count else ""
            alerts.append(
                Alert(
                    kind="issue",
                    severity=issue.severity,
                    title=f"{issue.severity.capitalize()} security issue{again}: {issue.title}",
                    body=issue.remediation,
                    dedupe_key=f"issue:{issue.id}:{issue.reopened_count}",
                    issue=issue,
                )
            )
    for finding in findings:
        if finding.check_id == "tls.expiry" and not finding.passed:
            alerts.append(_expiry_alert(finding))
    return alerts


def _expiry_alert(finding: Finding) -> Alert:
    days_left = finding.evidence.get("days_left")
    days = int(days_left) if isinstance(days_left, int | float) else 0
    bucket = next((limit for limit in EXPIRY_BUCKETS if days <= limit), EXPIRY_BUCKETS[-1])
    expired = days < 0
    return Alert(
        kind="certificate_expiry",
        severity="critical" if expired else finding.severity if finding.severity != "info" else "low",
        title=(
            f"The certificate of {finding.target} has expired"
            if expired
            else f"The certificate of {finding.target} expires in {days} days"
        ),
        body=finding.remediation,
        dedupe_key=f"cert:{finding.target}:{finding.evidence.get('not_after', '')}:{bucket}",
    )


async def raise_alerts(session: AsyncSession, alerts: Sequence[Alert], *, now: datetime) -> int:
    if not alerts:
        return 0
    repository = AlertRepository(session)
    seen = await repository.existing_keys(alert.dedupe_key for alert in alerts)
    admins = [member for member in await identity.member_access(session) if member.role == "admin"]
    raised = 0
    for alert in alerts:
        key = alert.dedupe_key[:300]
        if key in seen:
            continue
        seen.add(key)
        row = repository.add(
            SecurityAlert(
                id=uuid.uuid4(),
                kind=alert.kind,
                severity=alert.severity,
                title=alert.title[:300],
                body=alert.body[:2000],
                dedupe_key=key,
                issue_id=alert.issue.id if alert.issue is not None else None,
                device_id=alert.device_id,
                created_at=now,
            )
        )
        await _tell_admins(session, row, admins)
        raised += 1
    return raised


async def _tell_admins(session: AsyncSession, alert: SecurityAlert, admins: Sequence[Any]) -> None:
    link = f"/security/issues/{alert.issue_id}" if alert.issue_id else "/security/alerts"
    await notifications.notify(
        session,
        alert.tenant_id,
        [admin.user_id for admin in admins],
        kind="security",
        title=alert.title,
        body=alert.body,
        link=link,
        data={"alert_id": str(alert.id), "kind": alert.kind, "severity": alert.severity},
    )
    outbox.emit(
        session,
        "security.alert.raised",
        {
            "alert_id": str(alert.id),
            "kind": alert.kind,
            "severity": alert.severity,
            "title": alert.title,
            "body": alert.body,
            "link": link,
        },
        alert.tenant_id,
    )
