"""Tenant data's background work: building an export archive, deleting a tenant, and removing
expired archives. Each step is safe to repeat, so a crash only costs the step it interrupted."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog
from dbos import DBOS, SetWorkflowID

from binelek.kit.db import Database
from binelek.kit.jobs import (
    QueueSpec,
    ScheduleSpec,
    declare_queue,
    declare_schedule,
    get_queue,
    process_object,
)
from binelek.kit.settings import Settings
from binelek.kit.state import AppState
from binelek.tenantdata import service

log = structlog.get_logger(__name__)

# Exports read whole tenants: one at a time per process keeps the database responsive.
QUEUE = declare_queue(QueueSpec(name="tenantdata", worker_concurrency=1))


@DBOS.step()
async def build_export(tenant_id: str, export_id: str) -> str:
    db: Database = process_object("db")
    settings: Settings = process_object("settings")
    return await service.run_export(db, settings.binelek_data_dir, uuid.UUID(tenant_id), uuid.UUID(export_id))


@DBOS.workflow()
async def run_export(tenant_id: str, export_id: str) -> str:
    return await build_export(tenant_id, export_id)


async def enqueue_export(tenant_id: uuid.UUID, export_id: uuid.UUID) -> None:
    with SetWorkflowID(f"tenant-export-{export_id}"):
        await get_queue(QUEUE.name).enqueue_async(run_export, str(tenant_id), str(export_id))


@DBOS.step()
async def delete_tenant_step(tenant_id: str) -> dict[str, Any]:
    state: AppState = process_object("state")
    report = await service.delete_tenant(service.DeletionEnv.of(state), uuid.UUID(tenant_id))
    return {"rows": sum(report.rows.values()), "users_deleted": report.users_deleted}


@DBOS.workflow()
async def run_deletion(tenant_id: str) -> dict[str, Any]:
    outcome = await delete_tenant_step(tenant_id)
    log.info("tenant_deletion_finished", tenant_id=tenant_id, **outcome)
    return outcome


async def enqueue_deletion(tenant_id: uuid.UUID) -> None:
    """One deletion workflow per tenant: asking twice joins the first."""
    with SetWorkflowID(f"tenant-delete-{tenant_id}"):
        await get_queue(QUEUE.name).enqueue_async(run_deletion, str(tenant_id))


@DBOS.step()
async def purge_expired_exports_step() -> int:
    db: Database = process_object("db")
    settings: Settings = process_object("settings")
    return await service.purge_expired_exports(db, settings.binelek_data_dir)


@DBOS.workflow()
async def purge_expired_exports(scheduled_at: datetime, _context: Any) -> None:
    removed = await purge_expired_exports_step()
    if removed:
        log.info("tenant_exports_expired", removed=removed)


declare_schedule(
    ScheduleSpec(name="tenantdata-export-expiry", cron="0 41 * * * *", workflow=purge_expired_exports)
)
