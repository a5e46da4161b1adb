"""Mini Foundry's background work: recomputing insights.

Hourly, every tenant whose findings are stale — a new day has begun in its time zone since they
were computed, or its data changed since — gets them recomputed, one durable step per tenant, so
findings are at most a day old and follow new data within the hour.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from dbos import DBOS

from binelek.foundry import insights
from binelek.kit.db import Database
from binelek.kit.jobs import ScheduleSpec, declare_schedule, process_object

log = structlog.get_logger(__name__)


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@DBOS.step()
async def stale_insight_tenants(now: str) -> list[str]:
    db: Database = process_object("db")
    return [str(tenant_id) for tenant_id in await insights.tenants_due(db, _moment(now))]


@DBOS.step()
async def refresh_tenant_insights(tenant_id: str, now: str) -> int:
    db: Database = process_object("db")
    try:
        return await insights.refresh_tenant(db, uuid.UUID(tenant_id), now=_moment(now))
    except Exception:
        # One tenant's failure must not keep the others' insights stale; the next hour retries it.
        log.exception("insights_refresh_failed", tenant_id=tenant_id)
        return -1


@DBOS.workflow()
async def scheduled_insights(scheduled_at: datetime, _context: Any) -> None:
    now = scheduled_at.isoformat()
    for tenant_id in await stale_insight_tenants(now):
        await refresh_tenant_insights(tenant_id, now)


declare_schedule(ScheduleSpec(name="foundry-insights", cron="0 5 * * * *", workflow=scheduled_insights))
