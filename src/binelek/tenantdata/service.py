"""Tenant data rules: exporting everything the organization holds, and deleting all of it.

Both are owner actions (an admin acting as a person, never an API key) and both are audit-logged.
The work itself runs as durable jobs (`jobs.py`) or from the CLI, through the same functions here.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
from redis.asyncio import Redis
from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.audit import service as audit
from binelek.connectors.service import IMPORTS_DIR
from binelek.identity import service as identity
from binelek.identity.access import AccessDirectory
from binelek.identity.models import Tenant, User
from binelek.kit.auth import Principal
from binelek.kit.cache import JsonCache
from binelek.kit.db import Database, utcnow
from binelek.kit.errors import Conflict, PermissionDenied, ProblemError, ResourceNotFound
from binelek.kit.models import metadata
from binelek.kit.pagination import PageParams
from binelek.kit.repository import TenantRepository
from binelek.kit.request_meta import RequestMeta
from binelek.kit.state import AppState
from binelek.search import service as search
from binelek.search.vectors import VectorIndex
from binelek.tenantdata import archive
from binelek.tenantdata.models import TenantExport
from binelek.tenantdata.schemas import DeleteOrganizationIn

log = structlog.get_logger(__name__)

EXPORTS_DIR = "exports"
EXPORT_DAYS = 7
DELETE_BATCH = 2000
# Per-tenant folders under the data directory; all of them go when the tenant goes.
TENANT_DIRS = (EXPORTS_DIR, IMPORTS_DIR)
DELETION_KEY = "deletion"


class ExportNotReady(ProblemError):
    status, code = 409, "EXPORT_NOT_READY"


class ExportExpired(ProblemError):
    status, code = 410, "EXPORT_EXPIRED"


class ConfirmationMismatch(ProblemError):
    status, code = 422, "CONFIRMATION_MISMATCH"


class MfaCodeRequired(ProblemError):
    status, code = 422, "MFA_CODE_REQUIRED"


class MfaCodeInvalid(ProblemError):
    status, code = 422, "MFA_CODE_INVALID"


def _field_error(field_name: str, detail: str) -> list[dict[str, Any]]:
    return [{"loc": ["body", field_name], "msg": detail, "type": "value_error"}]


def require_owner(principal: Principal) -> uuid.UUID:
    """The acting person: an admin signed in as themselves (a program's key may not export or
    delete a whole organization)."""
    if principal.role != "admin" or principal.user_id is None:
        raise PermissionDenied(
            "Only an administrator of the organization, signed in as a person, may do this."
        )
    return principal.user_id


# --- exports ------------------------------------------------------------------------------------


class ExportRepository(TenantRepository[TenantExport]):
    model = TenantExport
    not_found_message = "No such export."


def export_path(data_dir: Path, tenant_id: uuid.UUID, export_id: uuid.UUID) -> Path:
    return data_dir / EXPORTS_DIR / str(tenant_id) / f"{export_id}.zip"


async def request_export(session: AsyncSession, principal: Principal, meta: RequestMeta) -> TenantExport:
    """Record a queued export (the caller enqueues its job after commit). One at a time."""
    user_id = require_owner(principal)
    exports = ExportRepository(session)
    busy = await session.execute(
        exports.select().where(TenantExport.status.in_(("queued", "running"))).limit(1)
    )
    if busy.scalar_one_or_none() is not None:
        raise Conflict("An export is already being prepared.", code="EXPORT_IN_PROGRESS")
    export = exports.add(TenantExport(id=uuid.uuid4(), status="queued", progress=0, requested_by=user_id))
    audit.record_for(session, principal, "org.export_requested", meta, export_id=str(export.id))
    await session.flush()
    return export


async def list_exports(session: AsyncSession, params: PageParams) -> tuple[list[TenantExport], int]:
    exports = ExportRepository(session)
    return await exports.page(exports.select().order_by(TenantExport.created_at.desc()), params)


async def get_export(session: AsyncSession, export_id: uuid.UUID) -> TenantExport:
    return await ExportRepository(session).get_or_404(export_id)


async def export_download(
    session: AsyncSession, data_dir: Path, principal: Principal, export_id: uuid.UUID, meta: RequestMeta
) -> tuple[Path, str]:
    """The archive's path and a download name; audit-logged."""
    require_owner(principal)
    export = await get_export(session, export_id)
    if export.status == "expired" or (export.expires_at is not None and export.expires_at <= utcnow()):
        raise ExportExpired("This export has expired; start a new one.")
    if export.status != "done" or not export.file_path:
        raise ExportNotReady("This export is not ready yet.")
    path = data_dir / export.file_path
    if not path.is_file():
        raise ExportExpired("This export's file is no longer available; start a new one.")
    audit.record_for(session, principal, "org.export_downloaded", meta, export_id=str(export.id))
    return path, f"binelek-export-{export.created_at:%Y-%m-%d}-{str(export.id)[:8]}.zip"


async def _set_export(db: Database, tenant_id: uuid.UUID, export_id: uuid.UUID, **values: Any) -> None:
    async with db.session(tenant_id=tenant_id) as session:
        await session.execute(
            update(TenantExport)
            .where(TenantExport.tenant_id == tenant_id, TenantExport.id == export_id)
            .values(**values)
        )


async def run_export(db: Database, data_dir: Path, tenant_id: uuid.UUID, export_id: uuid.UUID) -> str:
    """Build the archive of a queued export; safe to run again (it starts the archive over)."""
    async with db.session(tenant_id=tenant_id) as session:
        export = await ExportRepository(session).get(export_id)
        if export is None or export.status in ("done", "expired"):
            return export.status if export else "missing"
    await _set_export(db, tenant_id, export_id, status="running", progress=0, error=None)

    async def progress(_table: str, done: int, total: int) -> None:
        await _set_export(db, tenant_id, export_id, progress=min(99, done * 100 // max(total, 1)))

    path = export_path(data_dir, tenant_id, export_id)
    try:
        result = await archive.write_archive(db, tenant_id, path, progress=progress)
    except Exception as exc:
        log.exception("tenant_export_failed", export_id=str(export_id))
        await _set_export(
            db, tenant_id, export_id, status="failed", error=f"The export failed ({type(exc).__name__})."
        )
        return "failed"
    now = utcnow()
    await _set_export(
        db,
        tenant_id,
        export_id,
        status="done",
        progress=100,
        file_path=str(path.relative_to(data_dir)),
        size_bytes=result.size_bytes,
        counts=result.counts,
        finished_at=now,
        expires_at=now + timedelta(days=EXPORT_DAYS),
    )
    log.info("tenant_export_done", export_id=str(export_id), size_bytes=result.size_bytes)
    return "done"


async def purge_expired_exports(db: Database, data_dir: Path) -> int:
    """Delete the files of expired exports (every tenant's: system work) and mark them expired."""
    async with db.session() as session:
        rows = (
            await session.execute(
                select(TenantExport.id, TenantExport.file_path).where(
                    TenantExport.status == "done", TenantExport.expires_at <= utcnow()
                )
            )
        ).all()
        for _export_id, file_path in rows:
            if file_path:
                (data_dir / file_path).unlink(missing_ok=True)
        if rows:
            await session.execute(
                update(TenantExport)
                .where(TenantExport.id.in_([row[0] for row in rows]))
                .values(status="expired", file_path=None)
            )
    return len(rows)


# --- deletion -----------------------------------------------------------------------------------


async def request_deletion(
    state: AppState,
    session: AsyncSession,
    principal: Principal,
    data: DeleteOrganizationIn,
    meta: RequestMeta,
) -> list[uuid.UUID]:
    """Check the owner's confirmation, end everyone's access now and mark the tenant for deletion;
    answers the people whose accounts may go with it. The caller starts the job after commit."""
    user_id = require_owner(principal)
    tenant = await session.get(Tenant, principal.tenant_id)
    if tenant is None:
        raise ResourceNotFound("The organization no longer exists.", code="TENANT_NOT_FOUND")
    if data.confirm.strip() != tenant.name.strip():
        detail = "Type the organization's name exactly as shown to confirm the deletion."
        raise ConfirmationMismatch(detail, errors=_field_error("confirm", detail))
    user = await session.get(User, user_id)
    if user is None:
        raise PermissionDenied("Your account no longer exists.")
    if user.mfa_enabled:
        if not data.code:
            detail = "Enter the code from your authenticator app to confirm the deletion."
            raise MfaCodeRequired(detail, errors=_field_error("code", detail))
        if not identity.second_factor_valid(state, user, data.code):
            detail = "The authentication code is not valid."
            raise MfaCodeInvalid(detail, errors=_field_error("code", detail))
    people = await _member_ids(session, tenant.id)
    tenant.settings = {
        **tenant.settings,
        DELETION_KEY: {
            "requested_at": utcnow().isoformat(),
            "requested_by": str(user_id),
            "user_ids": sorted(
                {*map(str, people), *tenant.settings.get(DELETION_KEY, {}).get("user_ids", [])}
            ),
        },
    }
    # Access ends with this commit: no member, key or invitation outlives the request.
    for name in ("memberships", "api_keys", "invitations"):
        table = metadata.tables[name]
        await session.execute(delete(table).where(table.c.tenant_id == tenant.id))
    AccessDirectory.of(state).invalidate_user_after_commit(session, *people)
    audit.record_for(session, principal, "org.deletion_requested", meta)
    return people


async def _member_ids(session: AsyncSession, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    memberships = metadata.tables["memberships"]
    rows = await session.execute(select(memberships.c.user_id).where(memberships.c.tenant_id == tenant_id))
    return list(rows.scalars())


@dataclass
class DeletionEnv:
    db: Database
    data_dir: Path
    vectors: VectorIndex | None
    cache: JsonCache
    redis: Redis | None = None
    redis_prefix: str = ""

    @classmethod
    def of(cls, state: AppState) -> DeletionEnv:
        return cls(
            db=state.db,
            data_dir=state.settings.binelek_data_dir,
            vectors=state.vectors,
            cache=state.cache,
            redis=state.redis,
            redis_prefix=state.settings.redis_prefix,
        )


@dataclass
class DeletionReport:
    tenant_existed: bool
    rows: dict[str, int] = field(default_factory=dict)
    users_deleted: int = 0


DeletionProgress = Callable[[str, int, int], Awaitable[None]]


def deletion_order() -> list[Table]:
    """Tenant-owned tables, children before parents (the metadata's dependency order, reversed)."""
    return [table for table in reversed(metadata.sorted_tables) if "tenant_id" in table.c]


async def deletion_candidates(db: Database, tenant_id: uuid.UUID) -> list[uuid.UUID] | None:
    """The people recorded at the request plus any current members; None once the tenant is gone."""
    async with db.session() as session:
        tenant = await session.get(Tenant, tenant_id)
        if tenant is None:
            return None
        recorded = tenant.settings.get(DELETION_KEY, {}).get("user_ids", [])
        return sorted({*map(uuid.UUID, recorded), *await _member_ids(session, tenant_id)})


async def delete_rows(
    db: Database, tenant_id: uuid.UUID, progress: DeletionProgress | None = None
) -> dict[str, int]:
    """Delete every tenant-owned row, table by table in FK-safe order, in bounded batches (short
    transactions: no table is locked for the whole deletion). Re-running deletes what is left."""
    tables = deletion_order()
    counts: dict[str, int] = {}
    for done, table in enumerate(tables):
        if progress:
            await progress(table.name, done, len(tables))
        counts[table.name] = await _delete_table_rows(db, tenant_id, table)
    return counts


async def _delete_table_rows(db: Database, tenant_id: uuid.UUID, table: Table) -> int:
    keys = list(table.primary_key.columns)
    total = 0
    while True:
        if len(keys) == 1:
            batch = select(keys[0]).where(table.c.tenant_id == tenant_id).limit(DELETE_BATCH)
            statement = delete(table).where(keys[0].in_(batch))
        else:
            statement = delete(table).where(table.c.tenant_id == tenant_id)
        async with db.session(tenant_id=tenant_id) as session:
            deleted = (await session.execute(statement)).rowcount or 0  # type: ignore[attr-defined]
        total += deleted
        if len(keys) != 1 or deleted < DELETE_BATCH:
            return total


def delete_files(data_dir: Path, tenant_id: uuid.UUID) -> None:
    for folder in TENANT_DIRS:
        shutil.rmtree(data_dir / folder / str(tenant_id), ignore_errors=True)


async def forget_cache(env: DeletionEnv, tenant_id: uuid.UUID) -> int:
    """Cached values keyed by the tenant (query results, forecasts, device states): in process, and
    every key under the install's Redis prefix that names the tenant."""
    removed = await env.cache.invalidate_matching(str(tenant_id))
    if env.redis is not None:
        for fragment in {str(tenant_id), tenant_id.hex}:
            keys = [
                key async for key in env.redis.scan_iter(match=f"{env.redis_prefix}*{fragment}*", count=500)
            ]
            if keys:
                removed += int(await env.redis.delete(*keys))
    return removed


async def _finish(env: DeletionEnv, tenant_id: uuid.UUID, candidates: list[uuid.UUID]) -> int:
    """Remove the people who belong to no other organization, then the tenant; record the deletion
    in the install's audit trail (no tenant: the tenant's own trail went with it)."""
    memberships = metadata.tables["memberships"]
    async with env.db.session() as session:
        still_members = set(
            (
                await session.execute(
                    select(memberships.c.user_id).where(memberships.c.user_id.in_(candidates)).distinct()
                )
            ).scalars()
        )
        orphans = [user_id for user_id in candidates if user_id not in still_members]
        if orphans:
            await session.execute(delete(User).where(User.id.in_(orphans)))
        await session.execute(delete(Tenant).where(Tenant.id == tenant_id))
        AccessDirectory(env.db, env.cache).invalidate_user_after_commit(session, *candidates)
        audit.record(
            session,
            "org.deleted",
            tenant_id=None,
            details={"deleted_tenant_id": str(tenant_id), "users_deleted": len(orphans)},
        )
    return len(orphans)


async def delete_tenant(
    env: DeletionEnv, tenant_id: uuid.UUID, progress: DeletionProgress | None = None
) -> DeletionReport:
    """Delete the tenant and everything it owns: rows, files, vectors, cached values, the people
    who belong nowhere else, the tenant itself. Idempotent: after a crash, run it again."""
    candidates = await deletion_candidates(env.db, tenant_id)
    report = DeletionReport(tenant_existed=candidates is not None)
    report.rows = await delete_rows(env.db, tenant_id, progress)
    delete_files(env.data_dir, tenant_id)
    if env.vectors is not None:
        await search.forget_tenant(env.vectors, tenant_id)
    await forget_cache(env, tenant_id)
    if candidates is not None:
        report.users_deleted = await _finish(env, tenant_id, candidates)
    # An index job already past its checks when the rows went may have written late: once more.
    if env.vectors is not None:
        await search.forget_tenant(env.vectors, tenant_id)
    log.info("tenant_deleted", tenant_id=str(tenant_id), rows=sum(report.rows.values()))
    return report


async def find_tenant(db: Database, reference: str) -> tuple[uuid.UUID, str]:
    """A tenant by id or by exact (case-insensitive) name, for the CLI."""
    async with db.session() as session:
        try:
            tenant = await session.get(Tenant, uuid.UUID(reference))
            matches = [tenant] if tenant else []
        except ValueError:
            statement = select(Tenant).where(func.lower(Tenant.name) == reference.strip().lower())
            matches = list((await session.execute(statement)).scalars())
    if not matches:
        raise ResourceNotFound(f"No organization {reference!r}.", code="TENANT_NOT_FOUND")
    if len(matches) > 1:
        raise Conflict(
            f"Several organizations are named {reference!r}; give the id.", code="TENANT_AMBIGUOUS"
        )
    return matches[0].id, matches[0].name
