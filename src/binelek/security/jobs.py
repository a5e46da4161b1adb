"""Security's background work: each scan is a durable DBOS workflow on a queue — one step per target
host (its checks one after another, polite), hosts side by side — then a finishing step; scans are
started hourly for tenants whose last one is older than `security_scan_interval_hours`. Alerts go out
by e-mail from the outbox; MFA turned off raises one.

A scan resumed after a crash replays its finished steps and re-runs the rest; a unit whose report is
already stored is skipped, so nothing is checked or counted twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog
from dbos import DBOS, SetWorkflowID
from sqlalchemy import func, select

from binelek.kit.db import utcnow
from binelek.kit.jobs import (
    QueueSpec,
    ScheduleSpec,
    declare_queue,
    declare_schedule,
    get_queue,
    process_object,
)
from binelek.kit.outbox import EventMessage, subscribe
from binelek.security import scanner, service
from binelek.security.models import SecurityAsset, SecurityDevice, SecurityScan
from binelek.security.schemas import ScanIn

log = structlog.get_logger(__name__)
SCAN_QUEUE = declare_queue(QueueSpec(name="security.scans", worker_concurrency=2, polling_interval_sec=0.5))


def _env() -> scanner.ScanEnv:
    state = process_object("state")
    return scanner.ScanEnv(settings=state.settings, db=state.db)


def workflow_id(scan_id: uuid.UUID | str) -> str:
    return f"security-scan-{scan_id}"


async def enqueue_scan(tenant_id: uuid.UUID, scan_id: uuid.UUID, units: list[dict[str, Any]]) -> None:
    with SetWorkflowID(workflow_id(scan_id)):
        await get_queue(SCAN_QUEUE.name).enqueue_async(run_scan, str(tenant_id), str(scan_id), units)


def host_groups(units: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Units on the same host run in one step, one after another."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for unit in units:
        groups.setdefault(_host_of(unit), []).append(unit)
    return list(groups.values())


def _host_of(unit: dict[str, Any]) -> str:
    from urllib.parse import urlsplit

    target = str(unit["target"])
    if unit["check"] == "web":
        return urlsplit(target).hostname or target
    if unit["check"] == "tls":
        return scanner.split_host_port(target, 443)[0]
    return target


@DBOS.step()
async def start_step(tenant_id: str, scan_id: str) -> None:
    await service.mark_running(_env(), uuid.UUID(tenant_id), uuid.UUID(scan_id))


@DBOS.step()
async def host_step(tenant_id: str, scan_id: str, units: list[dict[str, Any]]) -> int:
    env = _env()
    ran = 0
    for unit in units:
        ran += await scanner.run_unit(
            env, uuid.UUID(tenant_id), uuid.UUID(scan_id), scanner.Unit.from_dict(unit)
        )
    return ran


@DBOS.step()
async def finish_step(tenant_id: str, scan_id: str) -> dict[str, Any]:
    return await service.finish_scan(_env(), uuid.UUID(tenant_id), uuid.UUID(scan_id))


@DBOS.workflow()
async def run_scan(tenant_id: str, scan_id: str, units: list[dict[str, Any]]) -> dict[str, Any]:
    import asyncio

    await start_step(tenant_id, scan_id)
    concurrency = _env().settings.security_scan_concurrency
    groups = host_groups(units)
    try:
        # Fixed chunks rather than a free-running pool: the steps start in the same order on replay.
        for first in range(0, len(groups), concurrency):
            chunk = groups[first : first + concurrency]
            await asyncio.gather(*(host_step(tenant_id, scan_id, group) for group in chunk))
        return await finish_step(tenant_id, scan_id)
    except Exception as failure:
        await fail_step(tenant_id, scan_id, f"{type(failure).__name__}: {failure}")
        raise


@DBOS.step()
async def fail_step(tenant_id: str, scan_id: str, error: str) -> None:
    await service.mark_failed(_env(), uuid.UUID(tenant_id), uuid.UUID(scan_id), error)


# -- the schedule -----------------------------------------------------------------------------------


@DBOS.step()
async def due_tenants() -> list[str]:
    env = _env()
    cutoff = utcnow() - timedelta(hours=env.settings.security_scan_interval_hours)
    async with env.db.session() as session:
        with_assets = set((await session.scalars(select(SecurityAsset.tenant_id).distinct())).all())
        with_devices = set((await session.scalars(select(SecurityDevice.tenant_id).distinct())).all())
        recent = dict(
            (
                await session.execute(
                    select(SecurityScan.tenant_id, func.max(SecurityScan.created_at)).group_by(
                        SecurityScan.tenant_id
                    )
                )
            )
            .tuples()
            .all()
        )
    return [
        str(tenant_id)
        for tenant_id in with_assets | with_devices
        if recent.get(tenant_id) is None or recent[tenant_id] < cutoff
    ]


@DBOS.step()
async def start_scheduled(tenant_id: str) -> list[Any] | None:
    """Create a tenant's scan; returns [scan id, units] for the workflow to queue (a step does not
    start workflows)."""
    env = _env()
    try:
        async with env.db.session(tenant_id=uuid.UUID(tenant_id)) as session:
            scan = await service.start_scan(session, None, ScanIn(), trigger="schedule", enqueue=False)
            units = session.info["security_scan_units"][scan.id]
            return [str(scan.id), units]
    except Exception as failure:  # e.g. a scan still running, nothing scannable: try next hour
        log.info("security_scheduled_scan_skipped", tenant_id=tenant_id, reason=str(failure))
        return None


@DBOS.workflow()
async def scheduled_scans(scheduled: datetime, _context: Any) -> None:
    for tenant_id in await due_tenants():
        started = await start_scheduled(tenant_id)
        if started is not None:
            scan_id, units = started
            await enqueue_scan(uuid.UUID(tenant_id), uuid.UUID(scan_id), units)


@DBOS.step()
async def prune_findings_step() -> int:
    env = _env()
    pruned = 0
    async with env.db.session() as session:
        tenants = (await session.scalars(select(SecurityScan.tenant_id).distinct())).all()
    for tenant_id in tenants:
        async with env.db.session(tenant_id=tenant_id) as session:
            pruned += await service.prune(session, env.settings.security_finding_retention_days)
    return pruned


@DBOS.workflow()
async def prune_findings(scheduled: datetime, _context: Any) -> None:
    await prune_findings_step()


declare_schedule(ScheduleSpec(name="security-scheduled-scans", cron="23 * * * *", workflow=scheduled_scans))
declare_schedule(ScheduleSpec(name="security-prune", cron="41 3 * * *", workflow=prune_findings))


# -- outbox subscribers -----------------------------------------------------------------------------


@subscribe("user.mfa_disabled", "security.mfa-alert")
async def alert_on_mfa_disabled(event: EventMessage) -> None:
    if event.tenant_id is None:
        return
    env = _env()
    async with env.db.session(tenant_id=event.tenant_id) as session:
        await service.on_mfa_disabled(session, event.payload, event.id)
