"""Recording and reading the audit trail. Other domains record through `record()`."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from binelek.audit import repository
from binelek.audit.models import AuditLog
from binelek.audit.repository import AuditLogRepository
from binelek.kit.auth import Principal
from binelek.kit.db import utcnow
from binelek.kit.pagination import PageParams
from binelek.kit.request_meta import RequestMeta

SENSITIVE_KEYS = {"password", "token", "secret", "key", "code", "refresh_token", "access_token"}


def _clean(details: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in details.items() if key.lower() not in SENSITIVE_KEYS}


def record(
    session: AsyncSession,
    action: str,
    *,
    tenant_id: uuid.UUID | None,
    meta: RequestMeta | None = None,
    user_id: uuid.UUID | None = None,
    actor_email: str | None = None,
    api_key_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    meta = meta or RequestMeta()
    entry = AuditLog(
        tenant_id=tenant_id,
        user_id=user_id,
        actor_email=actor_email,
        api_key_id=api_key_id,
        action=action,
        ip=meta.ip,
        user_agent=meta.user_agent,
        request_id=meta.request_id,
        details=_clean(details or {}),
    )
    session.add(entry)
    return entry


def record_for(
    session: AsyncSession, principal: Principal, action: str, meta: RequestMeta, **details: Any
) -> AuditLog:
    """Record an action taken by the current caller in the current tenant."""
    return record(
        session,
        action,
        tenant_id=principal.tenant_id,
        meta=meta,
        user_id=principal.user_id,
        actor_email=principal.email,
        api_key_id=principal.api_key_id,
        details=details,
    )


async def list_logs(
    session: AsyncSession,
    params: PageParams,
    *,
    action: str | None = None,
    user_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditLog], int]:
    logs = AuditLogRepository(session)
    return await logs.page(logs.filtered(action=action, user_id=user_id, since=since, until=until), params)


async def enforce_retention(session: AsyncSession, retention_days: int) -> int:
    return await repository.delete_older_than(session, utcnow() - timedelta(days=retention_days))
