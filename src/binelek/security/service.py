"""Cybersecurity Scanner's business rules: assets an admin attests, scans over them, the issues and
alerts findings become, device check-ins, posture, and compliance."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.connectors import service as connectors
from binelek.identity import service as identity
from binelek.kit import crypto
from binelek.kit.auth import Principal
from binelek.kit.cache import JsonCache
from binelek.kit.db import after_commit, utcnow
from binelek.kit.errors import Conflict, PermissionDenied, ProblemError, ResourceNotFound, ValidationFailed
from binelek.kit.pagination import PageParams
from binelek.kit.state import AppState
from binelek.security import issues as issue_sync
from binelek.security import posture as posture_model
from binelek.security.checks.base import Finding
from binelek.security.device_checks import DeviceFact, VulnFact, device_findings, target_of
from binelek.security.models import (
    SCAN_CATEGORIES,
    PostureSnapshot,
    SecurityAsset,
    SecurityDevice,
    SecurityEnrolmentToken,
    SecurityFinding,
    SecurityIssue,
    SecurityScan,
)
from binelek.security.platform_checks import ApiKeyFact, ConnectionFact, MemberFact, platform_findings
from binelek.security.repository import (
    AlertRepository,
    AssetRepository,
    DeviceRepository,
    FindingRepository,
    IssueRepository,
    PostureRepository,
    ScanRepository,
    TokenRepository,
    enrolment_token_by_hash,
)
from binelek.security.scanner import ScanEnv, Unit, UnitOutcome, plan
from binelek.security.schemas import (
    AssetIn,
    AssetPatch,
    CheckinIn,
    IssuePatch,
    PostureOut,
    PosturePoint,
    ScanIn,
)

log = structlog.get_logger(__name__)
TOKEN_PREFIX = "bne_"
MAX_CIDR_ADDRESSES = 1024
ALL_CATEGORIES = list(SCAN_CATEGORIES)


def require_admin(principal: Principal) -> None:
    """Attesting ownership of what gets scanned, and enrolling devices, is an admin's call."""
    role = principal.module_roles.get("security", principal.role)
    if principal.role != "admin" or role != "admin":
        raise PermissionDenied("Only an admin may do this.", code="ADMIN_REQUIRED")


# -- assets -----------------------------------------------------------------------------------------


def normalise_asset(kind: str, raw: str) -> str:
    value = raw.strip()
    try:
        if kind == "domain":
            return _domain(value)
        if kind == "url":
            return _url(value)
        if kind == "ip":
            return str(ipaddress.ip_address(value))
        network = ipaddress.ip_network(value, strict=False)
    except ValueError as failure:
        raise ValidationFailed(f"{value!r} is not a valid {kind}: {failure}", field="value") from None
    if network.num_addresses > MAX_CIDR_ADDRESSES:
        raise ValidationFailed(
            f"A range may hold at most {MAX_CIDR_ADDRESSES} addresses (an IPv4 /22); split {value} up.",
            field="value",
        )
    return str(network)


def _domain(value: str) -> str:
    host = value.lower().rstrip(".")
    if "://" in host or "/" in host:
        raise ValueError("give the bare domain, e.g. example.com")
    try:
        ascii_host = host.encode("idna").decode()
    except UnicodeError:
        raise ValueError("not a valid domain name") from None
    labels = ascii_host.split(".")
    if len(labels) < 2 or any(not label or len(label) > 63 for label in labels) or len(ascii_host) > 253:
        raise ValueError("not a valid domain name")
    if any(not all(ch.isalnum() or ch == "-" for ch in label) or label.startswith("-") for label in labels):
        raise ValueError("not a valid domain name")
    return ascii_host


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("use an http:// or https:// URL")
    host = parts.hostname
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        host = _domain(host) if "." in host else host
    port = f":{parts.port}" if parts.port else ""
    shown = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown}{port}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")


def _ports(ports: Sequence[int]) -> list[int]:
    bad = [port for port in ports if not 1 <= port <= 65535]
    if bad:
        raise ValidationFailed(f"Ports must be 1-65535; got {bad[:5]}.", field="ports")
    return sorted(set(ports))


async def create_asset(session: AsyncSession, principal: Principal, data: AssetIn) -> SecurityAsset:
    require_admin(principal)
    if not data.attest_ownership:
        raise ValidationFailed(
            "Confirm that the organization owns this asset or is allowed to test it.",
            field="attest_ownership",
        )
    assets = AssetRepository(session)
    value = normalise_asset(data.kind, data.value)
    if await assets.by_value(data.kind, value) is not None:
        raise Conflict(f"{value} is already registered.", code="ASSET_EXISTS")
    return assets.add(
        SecurityAsset(
            id=uuid.uuid4(),
            kind=data.kind,
            value=value,
            label=data.label,
            attested_by=principal.user_id,
            attested_at=utcnow(),
            scan_enabled=data.scan_enabled,
            ports=_ports(data.ports),
            dkim_selectors=[selector.strip().lower() for selector in data.dkim_selectors if selector.strip()],
            created_at=utcnow(),
            updated_at=utcnow(),
        )
    )


async def update_asset(
    session: AsyncSession, principal: Principal, asset_id: uuid.UUID, data: AssetPatch
) -> SecurityAsset:
    require_admin(principal)
    asset = await AssetRepository(session).get_or_404(asset_id)
    if data.label is not None:
        asset.label = data.label
    if data.scan_enabled is not None:
        asset.scan_enabled = data.scan_enabled
    if data.ports is not None:
        asset.ports = _ports(data.ports)
    if data.dkim_selectors is not None:
        asset.dkim_selectors = [
            selector.strip().lower() for selector in data.dkim_selectors if selector.strip()
        ]
    return asset


async def delete_asset(session: AsyncSession, principal: Principal, asset_id: uuid.UUID) -> None:
    require_admin(principal)
    assets = AssetRepository(session)
    await assets.delete(await assets.get_or_404(asset_id))


async def asset_overview(
    session: AsyncSession, assets: Sequence[SecurityAsset]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Open issues and the latest web/TLS grade per asset, for the assets table."""
    from binelek.security.models import SecurityScanReport

    ids = [asset.id for asset in assets]
    if not ids:
        return {}
    open_counts = dict(
        (
            await session.execute(
                select(SecurityIssue.asset_id, func.count())
                .where(SecurityIssue.asset_id.in_(ids), SecurityIssue.status.in_(("open", "in_progress")))
                .group_by(SecurityIssue.asset_id)
            )
        )
        .tuples()
        .all()
    )
    reports = await session.execute(
        select(SecurityScanReport.asset_id, SecurityScanReport.check, SecurityScanReport.grade)
        .where(SecurityScanReport.asset_id.in_(ids), SecurityScanReport.grade.is_not(None))
        .order_by(SecurityScanReport.created_at)
    )
    grades: dict[uuid.UUID, dict[str, str]] = {}
    for asset_id, check, grade in reports.tuples():
        if asset_id is not None and grade is not None:
            grades.setdefault(asset_id, {})[check] = grade  # newest last: it wins
    return {
        asset_id: {"open_issues": int(open_counts.get(asset_id, 0)), "grades": grades.get(asset_id, {})}
        for asset_id in ids
    }


# -- scans ------------------------------------------------------------------------------------------


async def start_scan(
    session: AsyncSession,
    principal: Principal | None,
    data: ScanIn,
    *,
    trigger: str = "manual",
    enqueue: bool = True,
) -> SecurityScan:
    """Create the scan; with `enqueue`, its workflow is queued after commit (the scheduler queues it
    itself, from its workflow)."""
    scans = ScanRepository(session)
    running = await scans.active()
    if running is not None:
        raise Conflict(
            f"A scan is already {running.status}; wait for it to finish.",
            code="SCAN_IN_PROGRESS",
        )
    categories = list(dict.fromkeys(data.categories or ALL_CATEGORIES))
    assets = await AssetRepository(session).for_scan(data.asset_ids)
    if data.asset_ids and len(assets) != len(set(data.asset_ids)):
        raise ValidationFailed("Some asset ids are not this organization's assets.", field="asset_ids")
    units = plan(assets, categories)
    if not units:
        raise ValidationFailed(
            "Nothing to scan: register a domain, URL, address or range first, or pick other categories.",
            field="categories",
        )
    scan = scans.add(
        SecurityScan(
            id=uuid.uuid4(),
            status="queued",
            trigger=trigger,
            categories=categories,
            asset_ids=[str(asset.id) for asset in assets],
            progress_done=0,
            progress_total=len(units),
            summary={},
            errors=[],
            requested_by=principal.user_id if principal else None,
            created_at=utcnow(),
        )
    )
    tenant_id, scan_id = scan.tenant_id, scan.id
    unit_dicts = [unit.as_dict() for unit in units]
    session.info.setdefault("security_scan_units", {})[scan_id] = unit_dicts

    async def queue_it() -> None:
        from binelek.security import jobs

        await jobs.enqueue_scan(tenant_id, scan_id, unit_dicts)

    if enqueue:
        after_commit(session, queue_it)
    return scan


async def mark_running(env: ScanEnv, tenant_id: uuid.UUID, scan_id: uuid.UUID) -> None:
    async with env.db.session(tenant_id=tenant_id) as session:
        scan = await session.get(SecurityScan, scan_id)
        if scan is not None and scan.status == "queued":
            scan.status = "running"
            scan.started_at = utcnow()


async def finish_scan(env: ScanEnv, tenant_id: uuid.UUID, scan_id: uuid.UUID) -> dict[str, Any]:
    """Turn the scan's findings into issues and alerts, take a posture snapshot, close the scan."""
    now = utcnow()
    async with env.db.session(tenant_id=tenant_id) as session:
        scan = await session.get(SecurityScan, scan_id)
        if scan is None or scan.status in ("succeeded", "failed", "cancelled"):
            return scan.summary if scan is not None else {}
        rows = await ScanRepository(session).findings(scan_id)
        findings = [_finding_of(row) for row in rows]
        scope = {(row.category, row.target) for row in rows}
        asset_of = {row.target: row.asset_id for row in rows if row.asset_id is not None}
        result = await issue_sync.sync_issues(
            session, findings, scope=scope, now=now, scan_id=scan_id, asset_of=asset_of
        )
        counts = Counter(f.severity for f in findings if not f.passed and f.severity != "info")
        snapshot = await take_snapshot(session, scan_id=scan_id, now=now)
        scan.summary = {
            **result.summary(),
            "findings": len(findings),
            "passed": sum(1 for f in findings if f.passed),
            "failed_by_severity": dict(counts),
            "posture": {"score": snapshot.score, "grade": snapshot.grade},
        }
        all_failed = scan.progress_total > 0 and len(scan.errors) >= scan.progress_total
        scan.status = "failed" if all_failed else "succeeded"
        scan.finished_at = now
        for asset in await AssetRepository(session).for_scan([uuid.UUID(a) for a in scan.asset_ids]):
            asset.last_scanned_at = now
        return dict(scan.summary)


def _finding_of(row: SecurityFinding) -> Finding:
    return Finding(
        check_id=row.check_id,
        category=row.category,  # type: ignore[arg-type]
        target=row.target,
        passed=row.passed,
        severity=row.severity,  # type: ignore[arg-type]
        title=row.title,
        evidence=row.evidence,
        remediation=row.remediation,
        controls=tuple(row.controls),
        key=row.fingerprint.rsplit("|", 1)[-1],
    )


async def mark_failed(env: ScanEnv, tenant_id: uuid.UUID, scan_id: uuid.UUID, error: str) -> None:
    async with env.db.session(tenant_id=tenant_id) as session:
        scan = await session.get(SecurityScan, scan_id)
        if scan is not None and scan.status in ("queued", "running"):
            scan.status = "failed"
            scan.finished_at = utcnow()
            scan.errors = [*scan.errors, {"check": "scan", "target": "", "error": error[:2000]}]


# -- units that read our own data -------------------------------------------------------------------


async def platform_outcome(env: ScanEnv, tenant_id: uuid.UUID) -> UnitOutcome:
    async with env.db.session(tenant_id=tenant_id) as session:
        members = await identity.member_access(session)
        keys = await identity.active_api_keys(session)
        connections = await connectors.list_connections(session, tenant_id)
    facts = [
        MemberFact(str(m.user_id), m.email, m.role, m.mfa_enabled, m.last_login_at, m.joined_at)
        for m in members
    ]
    key_facts = [ApiKeyFact(str(k.id), k.name, k.created_at, k.last_used_at) for k in keys]
    connection_facts = [
        ConnectionFact(str(c.connection.id), c.connection.name, c.connection.status, c.connection.last_error)
        for c in connections
    ]
    findings = platform_findings(
        facts,
        key_facts,
        connection_facts,
        audit_retention_days=env.settings.audit_retention_days,
        now=utcnow(),
    )
    report = {"members": len(facts), "api_keys": len(key_facts), "connections": len(connection_facts)}
    return UnitOutcome(report=report, findings=findings)


async def devices_outcome(env: ScanEnv, tenant_id: uuid.UUID) -> UnitOutcome:
    """Re-judge every device against today's vulnerability database and clock. Device findings are
    kept as current state, not per scan, so they are synced here rather than with the scan's."""
    async with env.db.session(tenant_id=tenant_id) as session:
        devices = await DeviceRepository(session).all()
        for device in devices:
            await evaluate_device(session, device, utcnow())
    return UnitOutcome(report={"devices": len(devices)}, findings=[])


async def discovery_outcome(env: ScanEnv, tenant_id: uuid.UUID, unit: Unit) -> UnitOutcome:
    from binelek.security.checks import discovery

    hosts = await discovery.discover(unit.target)
    now = utcnow()
    async with env.db.session(tenant_id=tenant_id) as session:
        devices = DeviceRepository(session)
        existing = await devices.by_keys(f"ip:{host.ip}" for host in hosts)
        for host in hosts:
            key = f"ip:{host.ip}"
            device = existing.get(key)
            if device is None:
                device = devices.add(
                    SecurityDevice(
                        id=uuid.uuid4(),
                        device_key=key,
                        source="discovery",
                        ips=[host.ip],
                        known=False,
                        first_seen_at=now,
                        package_count=0,
                    )
                )
            device.hostname = host.hostname or device.hostname or host.ip
            device.macs = [host.mac] if host.mac else device.macs
            device.open_ports = sorted(host.open_ports)
            device.last_seen_at = now
            await session.flush()
            await evaluate_device(session, device, now)
    report = {"range": unit.target, "hosts": [host.model_dump(mode="json") for host in hosts]}
    return UnitOutcome(report=report, findings=[])


# -- issues and alerts ------------------------------------------------------------------------------


async def update_issue(
    session: AsyncSession, principal: Principal, issue_id: uuid.UUID, data: IssuePatch
) -> SecurityIssue:
    issue = await IssueRepository(session).get_or_404(issue_id)
    fields = data.model_fields_set
    if data.status == "accepted":
        reason = (data.accepted_reason or "").strip()
        if not reason:
            raise ValidationFailed("Say why the risk is accepted.", field="accepted_reason")
        issue.accepted_reason = reason
    if data.status is not None and data.status != issue.status:
        issue.status = data.status
        issue.resolved_at = utcnow() if data.status == "resolved" else None
        if data.status != "accepted":
            issue.accepted_reason = None
    if "assignee_id" in fields:
        if data.assignee_id is not None:
            members = {m.user_id for m in await identity.member_access(session)}
            if data.assignee_id not in members:
                raise ValidationFailed(
                    "The assignee is not a member of this organization.", field="assignee_id"
                )
        issue.assignee_id = data.assignee_id
    if "due_at" in fields:
        issue.due_at = data.due_at
    issue.updated_at = utcnow()
    if issue.device_id is not None:
        device = await DeviceRepository(session).get(issue.device_id)
        if device is not None:
            await session.flush()
            device.open_issues = await _open_issue_count(session, device)
            forget_device_after_commit(session, device)
    return issue


def issues_query(
    session: AsyncSession,
    *,
    status: Sequence[str] | None,
    severity: Sequence[str] | None,
    category: str | None,
    assignee_id: uuid.UUID | None,
    device_id: uuid.UUID | None,
    asset_id: uuid.UUID | None,
    text: str | None,
) -> Any:
    from binelek.security.posture import DEDUCTION

    statement = IssueRepository(session).select()
    if status:
        statement = statement.where(SecurityIssue.status.in_(status))
    if severity:
        statement = statement.where(SecurityIssue.severity.in_(severity))
    if category:
        statement = statement.where(SecurityIssue.category == category)
    if assignee_id:
        statement = statement.where(SecurityIssue.assignee_id == assignee_id)
    if device_id:
        statement = statement.where(SecurityIssue.device_id == device_id)
    if asset_id:
        statement = statement.where(SecurityIssue.asset_id == asset_id)
    if text:
        pattern = f"%{text.strip().lower()}%"
        statement = statement.where(
            func.lower(SecurityIssue.title).like(pattern) | func.lower(SecurityIssue.target).like(pattern)
        )
    from sqlalchemy import case

    rank = case(
        {name: int(points) for name, points in DEDUCTION.items()}, value=SecurityIssue.severity, else_=0
    )
    return statement.order_by(rank.desc(), SecurityIssue.detected_at.desc(), SecurityIssue.id)


async def acknowledge_alert(session: AsyncSession, principal: Principal, alert_id: uuid.UUID) -> None:
    alert = await AlertRepository(session).get_or_404(alert_id)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = principal.user_id


async def on_mfa_disabled(session: AsyncSession, payload: dict[str, Any], event_id: int) -> None:
    email = str(payload.get("email") or "a member")
    await issue_sync.raise_alerts(
        session,
        [
            issue_sync.Alert(
                kind="mfa_disabled",
                severity="high" if payload.get("role") == "admin" else "medium",
                title=f"{email} turned multi-factor authentication off",
                body="If this was not expected, ask them to turn it back on, or reset their password.",
                dedupe_key=f"mfa:{event_id}",
            )
        ],
        now=utcnow(),
    )


# -- devices ----------------------------------------------------------------------------------------


async def create_enrolment_token(
    session: AsyncSession, principal: Principal, label: str | None
) -> tuple[SecurityEnrolmentToken, str]:
    require_admin(principal)
    token = crypto.new_token(TOKEN_PREFIX)
    row = TokenRepository(session).add(
        SecurityEnrolmentToken(
            id=uuid.uuid4(),
            token_hash=crypto.token_digest(token),
            prefix=token[: len(TOKEN_PREFIX) + 6],
            label=label,
            created_by=principal.user_id,
            created_at=utcnow(),
        )
    )
    return row, token


async def revoke_enrolment_token(
    session: AsyncSession, cache: JsonCache, principal: Principal, token_id: uuid.UUID
) -> None:
    require_admin(principal)
    row = await TokenRepository(session).get_or_404(token_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        key = _token_key(row.token_hash)

        async def forget() -> None:
            await cache.invalidate(key)

        after_commit(session, forget)


class EnrolmentRefused(ProblemError):
    status, code = 401, "ENROLMENT_TOKEN_INVALID"


def _token_key(token_hash: str) -> str:
    return f"security-enrolment:{token_hash}"


async def tenant_for_token(session: AsyncSession, cache: JsonCache, token: str | None) -> uuid.UUID:
    """The tenant an enrolment token belongs to. Cached (a fleet checks in often); revoking a token
    invalidates its entry."""
    if not token:
        raise EnrolmentRefused("Send the enrolment token in the X-Enrolment-Token header.")
    token_hash = crypto.token_digest(token.strip())
    cached = await cache.get(_token_key(token_hash))
    if cached is not None:
        return uuid.UUID(cached["tenant_id"])
    row = await enrolment_token_by_hash(session, token_hash)
    if row is None:
        raise EnrolmentRefused("The enrolment token is not valid or was revoked.")
    # Written when the cache is cold: "last used" is as precise as the cache's lifetime.
    row.last_used_at = utcnow()
    tenant_id = row.tenant_id

    async def remember() -> None:
        await cache.set(_token_key(token_hash), {"tenant_id": str(tenant_id)})

    after_commit(session, remember)
    return tenant_id


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CheckinResult:
    device_id: uuid.UUID
    known: bool
    open_issues: int
    packages_changed: bool
    packages_hash: str


def _device_key(tenant_id: uuid.UUID, device_key: str) -> str:
    return f"security-device:{tenant_id}:{device_key}"


def forget_device_after_commit(session: AsyncSession, device: SecurityDevice) -> None:
    """A device changed (state, packages, issues, known, deleted): its cached check-in state goes."""
    from binelek.kit.jobs import process_object

    try:
        cache: JsonCache = process_object("state").cache
    except RuntimeError:  # no process state (a CLI command): nothing is cached
        return
    key = _device_key(device.tenant_id, device.device_key)

    async def forget() -> None:
        await cache.invalidate(key)

    after_commit(session, forget)


async def unchanged_checkin(state: AppState, token: str | None, data: CheckinIn) -> CheckinResult | None:
    """The steady state of a fleet — a known token, a device with nothing new — answered from the
    cache (or one indexed read on a plain connection: no ORM session, the tenant predicate explicit),
    its "last seen" written behind. None when anything differs: the caller takes the full path."""
    from binelek.security.presence import PresenceBuffer

    if data.packages is not None or not data.packages_hash or not token:
        return None
    cached_token = await state.cache.get(_token_key(crypto.token_digest(token.strip())))
    if cached_token is None:
        return None
    tenant_id = uuid.UUID(cached_token["tenant_id"])
    state_hash = _hash(data.model_dump(mode="json", exclude={"packages", "packages_hash", "collected_at"}))
    key = _device_key(tenant_id, data.device_key)
    seen = await state.cache.get(key)
    if seen is None:
        seen = await _device_checkin_state(state, tenant_id, data.device_key)
        if seen is None:
            return None
        await state.cache.set(key, seen)
    if seen["packages_hash"] != data.packages_hash or seen["state_hash"] != state_hash:
        return None
    device_id = uuid.UUID(seen["id"])
    PresenceBuffer.of(state).mark(tenant_id, device_id, utcnow())
    return CheckinResult(device_id, seen["known"], seen["open_issues"], False, data.packages_hash)


async def _device_checkin_state(
    state: AppState, tenant_id: uuid.UUID, device_key: str
) -> dict[str, Any] | None:
    async with state.db.engine.connect() as connection:
        row = (
            await connection.execute(
                select(
                    SecurityDevice.id,
                    SecurityDevice.known,
                    SecurityDevice.open_issues,
                    SecurityDevice.packages_hash,
                    SecurityDevice.state_hash,
                ).where(SecurityDevice.tenant_id == tenant_id, SecurityDevice.device_key == device_key)
            )
        ).first()
    if row is None or row.packages_hash is None:
        return None
    return {
        "id": str(row.id),
        "known": row.known,
        "open_issues": row.open_issues,
        "packages_hash": row.packages_hash,
        "state_hash": row.state_hash,
    }


async def check_in(session: AsyncSession, data: CheckinIn) -> CheckinResult:
    """Record one agent check-in (the full path; `unchanged_checkin` answers the steady state). A
    changed device is re-judged: packages, vulnerabilities, findings, issues, alerts."""
    from binelek.security.agent import packages_digest

    now = utcnow()
    devices = DeviceRepository(session)
    state_hash = _hash(data.model_dump(mode="json", exclude={"packages", "packages_hash", "collected_at"}))
    device = await devices.by_key(data.device_key)
    if device is None:
        device = devices.add(
            SecurityDevice(
                id=uuid.uuid4(),
                device_key=data.device_key,
                source="agent",
                known=False,
                first_seen_at=now,
                last_seen_at=now,
                package_count=0,
                ips=[],
                macs=[],
                open_ports=[],
            )
        )
    if data.packages is None:
        if not data.packages_hash or data.packages_hash != device.packages_hash:
            raise Conflict(
                "Send the whole package list: its digest is not the one on file.", code="PACKAGES_REQUIRED"
            )
        packages_hash = device.packages_hash
    else:
        packages_hash = packages_digest(p.model_dump() for p in data.packages)
    packages_changed = packages_hash != device.packages_hash
    device.last_seen_at = now
    if not packages_changed and state_hash == device.state_hash:
        return CheckinResult(device.id, device.known, device.open_issues, False, packages_hash)
    _apply_state(device, data)
    device.state_hash = state_hash
    await session.flush()
    if packages_changed and data.packages is not None:
        await _replace_packages(session, device, data)
        device.packages_hash = packages_hash
        device.package_count = len(data.packages)
    open_issues = await evaluate_device(session, device, now)
    return CheckinResult(device.id, device.known, open_issues, packages_changed, packages_hash)


async def _replace_packages(session: AsyncSession, device: SecurityDevice, data: CheckinIn) -> None:
    from binelek.security import vulndb

    assert data.packages is not None
    unique = {(p.source, p.name, p.version): p for p in data.packages}
    rows = [
        {
            "id": uuid.uuid4(),
            "tenant_id": device.tenant_id,
            "device_id": device.id,
            "name": p.name,
            "version": p.version,
            "source": p.source,
            "ecosystem": vulndb.ecosystem_for(p.source, data.os.name, data.os.version),
            "source_name": p.source_name,
            "source_version": p.source_version,
        }
        for p in unique.values()
    ]
    await DeviceRepository(session).replace_package_rows(device.id, rows)


async def _open_issue_count(session: AsyncSession, device: SecurityDevice) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(SecurityIssue)
        .where(
            SecurityIssue.tenant_id == device.tenant_id,
            SecurityIssue.device_id == device.id,
            SecurityIssue.status.in_(("open", "in_progress")),
        )
    )
    return int(count or 0)


def _apply_state(device: SecurityDevice, data: CheckinIn) -> None:
    device.hostname = data.hostname
    device.source = "agent"
    device.os_family = data.os.family
    device.os_name = data.os.name
    device.os_version = data.os.version
    device.kernel = data.os.kernel
    device.arch = data.hardware.arch
    device.model = data.hardware.model
    device.ips = data.network.ips
    device.macs = data.network.macs
    device.disk_encryption = data.security.disk_encryption
    device.firewall = data.security.firewall
    device.screen_lock = data.security.screen_lock
    device.auto_updates = data.security.auto_updates
    device.last_update_at = data.security.last_update_at
    device.agent_version = data.agent_version


async def evaluate_device(session: AsyncSession, device: SecurityDevice, now: datetime) -> int:
    """Judge one device; returns its open issues."""
    from binelek.security import vulndb

    forget_device_after_commit(session, device)
    packages = await DeviceRepository(session).packages(device.id)
    wanted = sorted(
        set(
            vulndb.match_inputs(
                (
                    {
                        "source": p.source,
                        "name": p.name,
                        "version": p.version,
                        "source_name": p.source_name,
                        "source_version": p.source_version,
                    }
                    for p in packages
                    if p.ecosystem
                ),
                device.os_name,
                device.os_version,
            )
        )
    )
    matches = await vulndb.match_packages(session, wanted) if wanted else []
    vulns = [
        VulnFact(
            vulnerability_id=m.vulnerability_id,
            aliases=tuple(m.aliases),
            package=m.package,
            installed_version=m.installed_version,
            fixed_version=m.fixed_version,
            severity=m.severity,
            cvss_score=m.cvss_score,
            kev=m.kev,
            summary=m.summary,
        )
        for m in matches
    ]
    fact = DeviceFact(
        id=str(device.id),
        name=device.hostname or device.device_key,
        source=device.source,
        known=device.known,
        disk_encryption=device.disk_encryption,
        firewall=device.firewall,
        screen_lock=device.screen_lock,
        last_update_at=device.last_update_at,
    )
    findings = device_findings(fact, vulns, now=now)
    target = target_of(str(device.id))
    await issue_sync.record_findings(session, findings, scan_id=None, now=now)
    result = await issue_sync.sync_issues(
        session,
        findings,
        scope={("device", target), ("vulnerability", target)},
        now=now,
        device_of={target: device.id},
    )
    del result
    device.open_issues = await _open_issue_count(session, device)
    return device.open_issues


async def update_device(
    session: AsyncSession,
    principal: Principal,
    device_id: uuid.UUID,
    known: bool | None,
    hostname: str | None,
) -> SecurityDevice:
    device = await DeviceRepository(session).get_or_404(device_id)
    if known is not None and known != device.known:
        require_admin(principal)
        device.known = known
    if hostname:
        device.hostname = hostname
    await session.flush()
    await evaluate_device(session, device, utcnow())
    return device


async def device_counts(
    session: AsyncSession, device_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    """(open issues, open vulnerabilities) per device."""
    if not device_ids:
        return {}
    rows = await session.execute(
        select(SecurityIssue.device_id, SecurityIssue.category, func.count())
        .where(SecurityIssue.device_id.in_(device_ids), SecurityIssue.status.in_(("open", "in_progress")))
        .group_by(SecurityIssue.device_id, SecurityIssue.category)
    )
    counts: dict[uuid.UUID, list[int]] = {}
    for device_id, category, total in rows.tuples():
        if device_id is None:
            continue
        entry = counts.setdefault(device_id, [0, 0])
        entry[0] += int(total)
        if category == "vulnerability":
            entry[1] += int(total)
    return {device_id: (values[0], values[1]) for device_id, values in counts.items()}


# -- posture ----------------------------------------------------------------------------------------


async def current_posture(session: AsyncSession) -> posture_model.Posture:
    members = [
        posture_model.Member(str(m.user_id), m.email, m.mfa_enabled)
        for m in await identity.member_access(session)
    ]
    facts = [
        posture_model.IssueFact(str(i.id), i.check_id, i.title, i.severity, i.status, i.target)
        for i in await IssueRepository(session).counted()
    ]
    return posture_model.compute(members, facts)


async def take_snapshot(
    session: AsyncSession, *, scan_id: uuid.UUID | None, now: datetime
) -> PostureSnapshot:
    await session.flush()
    posture = await current_posture(session)
    return PostureRepository(session).add(
        PostureSnapshot(
            id=uuid.uuid4(),
            score=posture.score,
            grade=posture.grade,
            breakdown=posture.as_dict(),
            scan_id=scan_id,
            taken_at=now,
        )
    )


async def posture_overview(session: AsyncSession, days: int) -> PostureOut:
    now = utcnow()
    posture = await current_posture(session)
    history = await PostureRepository(session).history(now - timedelta(days=days))
    last_scan = await session.scalar(
        ScanRepository(session).select().with_only_columns(func.max(SecurityScan.finished_at))
    )
    return PostureOut(
        score=posture.score,
        grade=posture.grade,
        parts=[part.as_dict() for part in posture.parts],
        open_issues=await IssueRepository(session).counts_by_severity(),
        history=[PosturePoint(taken_at=s.taken_at, score=s.score, grade=s.grade) for s in history],
        trend={
            "days_7": _trend(history, posture.score, now - timedelta(days=7)),
            "days_30": _trend(history, posture.score, now - timedelta(days=30)),
        },
        last_scan_at=last_scan,
    )


def _trend(history: Sequence[PostureSnapshot], score: float, since: datetime) -> float | None:
    before = [snapshot for snapshot in history if snapshot.taken_at <= since]
    reference = before[-1] if before else next((s for s in history if s.taken_at >= since), None)
    return round(score - reference.score, 1) if reference is not None else None


# -- quick URL check --------------------------------------------------------------------------------


async def scan_url(state: AppState, session: AsyncSession, url: str) -> dict[str, Any]:
    """Headers and TLS for one URL. Public hosts are fine (what the Observatory does for anyone);
    a private, loopback or link-local one only when it is one of the tenant's registered assets."""
    import asyncio

    import httpx

    from binelek.security import scanner
    from binelek.security.checks import headers, tls

    try:
        normalised = _url(url)
    except ValueError as failure:
        raise ValidationFailed(f"{url!r}: {failure}", field="url") from None
    parts = urlsplit(normalised)
    host = parts.hostname or ""
    assets = (await session.scalars(AssetRepository(session).select())).all()
    allowed = scanner.allowed_hosts(assets)
    if not allowed(host) and await _is_private(host):
        raise ValidationFailed(
            "Private, loopback and link-local hosts are checked only when registered as an asset.",
            field="url",
        )
    env = ScanEnv(settings=state.settings, db=state.db)
    errors: list[dict[str, str]] = []
    findings: list[Finding] = []
    header_report: dict[str, Any] | None = None
    tls_report: dict[str, Any] | None = None

    def permitted(other: str) -> bool:
        return other == host or allowed(other)

    async def run_headers() -> None:
        nonlocal header_report
        async with httpx.AsyncClient(verify=env.ssl_context(), timeout=env.timeout) as client:
            report = await headers.check_headers(
                normalised, client=client, allowed_hosts=permitted, timeout=env.timeout
            )
        header_report = report.model_dump(mode="json")
        findings.extend(headers.findings(report))

    async def run_tls() -> None:
        nonlocal tls_report
        report = await tls.check_tls(
            host, parts.port or 443, extra_ca_pem=env.extra_ca_pem, timeout=env.timeout
        )
        tls_report = report.model_dump(mode="json")
        findings.extend(tls.findings(report))

    jobs = [("headers", run_headers())] + ([("tls", run_tls())] if parts.scheme == "https" else [])
    outcomes = await asyncio.gather(*(job for _name, job in jobs), return_exceptions=True)
    for (name, _job), outcome in zip(jobs, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            errors.append({"check": name, "error": str(outcome) or type(outcome).__name__})
    return {
        "url": normalised,
        "headers": header_report,
        "tls": tls_report,
        "errors": errors,
        "findings": [finding.as_dict() for finding in findings],
    }


async def _is_private(host: str) -> bool:
    import asyncio
    import socket

    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError:
            return False  # does not resolve: the check itself will say so
        addresses = {ipaddress.ip_address(str(info[4][0])) for info in infos}
    return any(a.is_private or a.is_loopback or a.is_link_local or a.is_reserved for a in addresses)


# -- housekeeping -----------------------------------------------------------------------------------


async def prune(session: AsyncSession, retention_days: int) -> int:
    return await FindingRepository(session).prune_before(utcnow() - timedelta(days=retention_days))


async def scans_page(session: AsyncSession, params: PageParams) -> tuple[list[SecurityScan], int]:
    scans = ScanRepository(session)
    return await scans.page(scans.newest_first(), params)


async def get_scan(session: AsyncSession, scan_id: uuid.UUID) -> SecurityScan:
    scan = await ScanRepository(session).get(scan_id)
    if scan is None:
        raise ResourceNotFound("No such scan.", code="SCAN_NOT_FOUND")
    return scan
