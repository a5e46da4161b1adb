from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from binelek.audit import service
from binelek.audit.schemas import AuditLogOut
from binelek.kit.auth import TenantSession, require
from binelek.kit.pagination import Page, Paging, page_of

router = APIRouter(prefix="/api/audit-logs", tags=["audit"])


@router.get("", response_model=Page[AuditLogOut], dependencies=[Depends(require("audit:read"))])
async def list_audit_logs(
    session: TenantSession,
    paging: Paging,
    action: Annotated[str | None, Query(max_length=64)] = None,
    user_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditLogOut]:
    logs, total = await service.list_logs(
        session, paging, action=action, user_id=user_id, since=since, until=until
    )
    return page_of(AuditLogOut, logs, total, paging)
