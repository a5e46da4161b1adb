"""Security queries, always through a tenant-scoped session (the enrolment-token lookup, which finds
the tenant, is the one exception and says so)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.repository import TenantRepository
from binelek.security.models import (
    ComplianceControlState,
    ComplianceEvidence,
    PostureSnapshot,
    SecurityAlert,
    SecurityAsset,
    SecurityDevice,
    SecurityDevicePackage,
    SecurityEnrolmentToken,
    SecurityFinding,
    SecurityIssue,
    SecurityScan,
    SecurityScanReport,
)


class AssetRepository(TenantRepository[SecurityAsset]):
    model = SecurityAsset
    not_found_message = "No such asset."

    def ordered(self) -> Select[Any]:
        return self.select().order_by(SecurityAsset.kind, SecurityAsset.value)

    async def by_value(self, kind: str, value: str) -> SecurityAsset | None:
        statement = self.select().where(SecurityAsset.kind == kind, SecurityAsset.value == value)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def for_scan(self, asset_ids: Iterable[uuid.UUID] | None) -> list[SecurityAsset]:
        statement = self.ordered()
        wanted = list(asset_ids or [])
        if wanted:
            statement = statement.where(SecurityAsset.id.in_(wanted))
        else:
            statement = statement.where(SecurityAsset.scan_enabled.is_(True))
        return list((await self.session.scalars(statement)).all())


class ScanRepository(TenantRepository[SecurityScan]):
    model = SecurityScan
    not_found_message = "No such scan."

    def newest_first(self) -> Select[Any]:
        return self.select().order_by(SecurityScan.created_at.desc())

    async def active(self) -> SecurityScan | None:
        statement = self.select().where(SecurityScan.status.in_(("queued", "running"))).limit(1)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def reports(self, scan_id: uuid.UUID) -> list[SecurityScanReport]:
        statement = (
            select(SecurityScanReport)
            .where(SecurityScanReport.tenant_id == self.tenant_id, SecurityScanReport.scan_id == scan_id)
            .order_by(SecurityScanReport.created_at)
        )
        return list((await self.session.scalars(statement)).all())

    async def findings(self, scan_id: uuid.UUID) -> list[SecurityFinding]:
        statement = (
            select(SecurityFinding)
            .where(SecurityFinding.tenant_id == self.tenant_id, SecurityFinding.scan_id == scan_id)
            .order_by(SecurityFinding.passed, SecurityFinding.check_id, SecurityFinding.target)
        )
        return list((await self.session.scalars(statement)).all())


class IssueRepository(TenantRepository[SecurityIssue]):
    model = SecurityIssue
    not_found_message = "No such security issue."

    async def by_fingerprints(self, fingerprints: Iterable[str]) -> dict[str, SecurityIssue]:
        wanted = list(set(fingerprints))
        found: dict[str, SecurityIssue] = {}
        for first in range(0, len(wanted), 500):
            statement = self.select().where(SecurityIssue.fingerprint.in_(wanted[first : first + 500]))
            found.update(
                {issue.fingerprint: issue for issue in (await self.session.scalars(statement)).all()}
            )
        return found

    async def unresolved_in(self, scope: Iterable[tuple[str, str]]) -> list[SecurityIssue]:
        """Open, in-progress and accepted issues whose (category, target) a scan just looked at."""
        pairs = set(scope)
        targets = {target for _category, target in pairs}
        if not targets:
            return []
        statement = self.select().where(
            SecurityIssue.status.in_(("open", "in_progress", "accepted")), SecurityIssue.target.in_(targets)
        )
        issues = (await self.session.scalars(statement)).all()
        return [issue for issue in issues if (issue.category, issue.target) in pairs]

    async def counted(self) -> list[SecurityIssue]:
        statement = self.select().where(SecurityIssue.status.in_(("open", "in_progress", "accepted")))
        return list((await self.session.scalars(statement)).all())

    async def counts_by_severity(self) -> dict[str, int]:
        statement = (
            select(SecurityIssue.severity, func.count())
            .where(
                SecurityIssue.tenant_id == self.tenant_id, SecurityIssue.status.in_(("open", "in_progress"))
            )
            .group_by(SecurityIssue.severity)
        )
        return {severity: int(total) for severity, total in (await self.session.execute(statement)).all()}


class AlertRepository(TenantRepository[SecurityAlert]):
    model = SecurityAlert
    not_found_message = "No such alert."

    async def existing_keys(self, keys: Iterable[str]) -> set[str]:
        wanted = list(set(keys))
        if not wanted:
            return set()
        statement = select(SecurityAlert.dedupe_key).where(
            SecurityAlert.tenant_id == self.tenant_id, SecurityAlert.dedupe_key.in_(wanted)
        )
        return set((await self.session.scalars(statement)).all())

    def newest_first(self) -> Select[Any]:
        return self.select().order_by(SecurityAlert.created_at.desc())


class DeviceRepository(TenantRepository[SecurityDevice]):
    model = SecurityDevice
    not_found_message = "No such device."

    async def by_key(self, device_key: str) -> SecurityDevice | None:
        statement = self.select().where(SecurityDevice.device_key == device_key)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def by_keys(self, keys: Iterable[str]) -> dict[str, SecurityDevice]:
        statement = self.select().where(SecurityDevice.device_key.in_(list(set(keys))))
        return {device.device_key: device for device in (await self.session.scalars(statement)).all()}

    def newest_first(self) -> Select[Any]:
        return self.select().order_by(SecurityDevice.last_seen_at.desc())

    async def all(self) -> list[SecurityDevice]:
        return list((await self.session.scalars(self.select())).all())

    async def packages(self, device_id: uuid.UUID) -> list[SecurityDevicePackage]:
        statement = (
            select(SecurityDevicePackage)
            .where(
                SecurityDevicePackage.tenant_id == self.tenant_id,
                SecurityDevicePackage.device_id == device_id,
            )
            .order_by(SecurityDevicePackage.name)
        )
        return list((await self.session.scalars(statement)).all())

    async def replace_package_rows(self, device_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
        """One delete and one multi-row insert: a device lists hundreds of packages."""
        await self.session.execute(
            delete(SecurityDevicePackage).where(
                SecurityDevicePackage.tenant_id == self.tenant_id,
                SecurityDevicePackage.device_id == device_id,
            )
        )
        if rows:
            await self.session.execute(insert(SecurityDevicePackage), rows)


class TokenRepository(TenantRepository[SecurityEnrolmentToken]):
    model = SecurityEnrolmentToken
    not_found_message = "No such enrolment token."

    def active(self) -> Select[Any]:
        return (
            self.select()
            .where(SecurityEnrolmentToken.revoked_at.is_(None))
            .order_by(SecurityEnrolmentToken.created_at.desc())
        )


async def enrolment_token_by_hash(session: AsyncSession, token_hash: str) -> SecurityEnrolmentToken | None:
    """Finds the tenant an agent belongs to, so it runs before any tenant is known."""
    statement = select(SecurityEnrolmentToken).where(
        SecurityEnrolmentToken.token_hash == token_hash, SecurityEnrolmentToken.revoked_at.is_(None)
    )
    return (await session.execute(statement)).scalar_one_or_none()


class FindingRepository(TenantRepository[SecurityFinding]):
    model = SecurityFinding

    async def replace_current(self, targets: Iterable[str], findings: list[SecurityFinding]) -> None:
        """Findings outside scans (a device's check-in) keep only their latest state."""
        await self.session.execute(
            delete(SecurityFinding).where(
                SecurityFinding.tenant_id == self.tenant_id,
                SecurityFinding.scan_id.is_(None),
                SecurityFinding.target.in_(list(set(targets))),
            )
        )
        self.session.add_all(findings)

    async def latest_per_fingerprint(self) -> list[SecurityFinding]:
        """The newest result of every check on every target: what compliance is judged on."""
        newest = (
            select(SecurityFinding.fingerprint, func.max(SecurityFinding.created_at).label("at"))
            .where(SecurityFinding.tenant_id == self.tenant_id)
            .group_by(SecurityFinding.fingerprint)
            .subquery()
        )
        statement = (
            select(SecurityFinding)
            .join(
                newest,
                (SecurityFinding.fingerprint == newest.c.fingerprint)
                & (SecurityFinding.created_at == newest.c.at),
            )
            .where(SecurityFinding.tenant_id == self.tenant_id)
        )
        rows = (await self.session.scalars(statement)).all()
        unique: dict[str, SecurityFinding] = {}
        for row in rows:
            unique.setdefault(row.fingerprint, row)
        return list(unique.values())

    async def prune_before(self, cutoff: datetime) -> int:
        result = await self.session.execute(
            delete(SecurityFinding).where(
                SecurityFinding.tenant_id == self.tenant_id,
                SecurityFinding.scan_id.is_not(None),
                SecurityFinding.created_at < cutoff,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


class PostureRepository(TenantRepository[PostureSnapshot]):
    model = PostureSnapshot

    async def history(self, since: datetime) -> list[PostureSnapshot]:
        statement = self.select().where(PostureSnapshot.taken_at >= since).order_by(PostureSnapshot.taken_at)
        return list((await self.session.scalars(statement)).all())


class ControlStateRepository(TenantRepository[ComplianceControlState]):
    model = ComplianceControlState
    not_found_message = "No such control."

    async def for_framework(self, framework: str) -> dict[str, ComplianceControlState]:
        statement = self.select().where(ComplianceControlState.framework == framework)
        return {state.control_id: state for state in (await self.session.scalars(statement)).all()}

    async def one(self, framework: str, control_id: str) -> ComplianceControlState | None:
        statement = self.select().where(
            ComplianceControlState.framework == framework, ComplianceControlState.control_id == control_id
        )
        return (await self.session.execute(statement)).scalar_one_or_none()


class EvidenceRepository(TenantRepository[ComplianceEvidence]):
    model = ComplianceEvidence
    not_found_message = "No such evidence file."

    async def index(self, framework: str) -> list[tuple[uuid.UUID, str, str, str, int, datetime, str | None]]:
        """Evidence without its bytes: id, control, file name, sha256, size, upload time, note."""
        statement = (
            select(
                ComplianceEvidence.id,
                ComplianceEvidence.control_id,
                ComplianceEvidence.filename,
                ComplianceEvidence.sha256,
                ComplianceEvidence.size_bytes,
                ComplianceEvidence.uploaded_at,
                ComplianceEvidence.note,
            )
            .where(ComplianceEvidence.tenant_id == self.tenant_id, ComplianceEvidence.framework == framework)
            .order_by(ComplianceEvidence.uploaded_at)
        )
        return [tuple(row) for row in (await self.session.execute(statement)).all()]  # type: ignore[misc]
