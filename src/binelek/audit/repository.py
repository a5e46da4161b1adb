from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.audit.models import AuditLog
from binelek.kit.repository import TenantRepository


class AuditLogRepository(TenantRepository[AuditLog]):
    model = AuditLog

    def filtered(
        self,
        *,
        action: str | None,
        user_id: uuid.UUID | None,
        since: datetime | None,
        until: datetime | None,
    ) -> Select[Any]:
        statement = self.select()
        if action:
            statement = statement.where(AuditLog.action == action)
        if user_id:
            statement = statement.where(AuditLog.user_id == user_id)
        if since:
            statement = statement.where(AuditLog.created_at >= since)
        if until:
            statement = statement.where(AuditLog.created_at < until)
        return statement.order_by(AuditLog.created_at.desc(), AuditLog.id)


async def delete_older_than(session: AsyncSession, cutoff: datetime) -> int:
    """Retention runs across all tenants, so it takes an unscoped session."""
    result = await session.execute(delete(AuditLog).where(AuditLog.created_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
