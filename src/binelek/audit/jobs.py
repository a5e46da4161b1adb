"""Audit-log retention, enforced daily by a durable cron workflow."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from dbos import DBOS

from binelek.audit import service
from binelek.kit.db import Database
from binelek.kit.jobs import ScheduleSpec, declare_schedule, process_object
from binelek.kit.settings import Settings

log = structlog.get_logger(__name__)


@DBOS.step()
async def purge_expired_audit_logs() -> int:
    db: Database = process_object("db")
    settings: Settings = process_object("settings")
    async with db.session() as session:
        deleted = await service.enforce_retention(session, settings.audit_retention_days)
    log.info("audit_retention", deleted=deleted, retention_days=settings.audit_retention_days)
    return deleted


@DBOS.workflow()
async def audit_retention(scheduled_at: datetime, _context: Any) -> None:
    await purge_expired_audit_logs()


declare_schedule(ScheduleSpec(name="audit-retention", cron="0 17 3 * * *", workflow=audit_retention))
