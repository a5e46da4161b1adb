"""The signed-in user's in-app notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from binelek.kit.auth import CurrentPrincipal, TenantSession
from binelek.kit.errors import PermissionDenied
from binelek.notifications import service
from binelek.notifications.schemas import MarkedRead, MarkRead, NotificationList, NotificationOut

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


async def _user(principal: CurrentPrincipal) -> CurrentPrincipal:
    if principal.user_id is None:
        raise PermissionDenied("Notifications belong to people; API keys have none.")
    return principal


User = Annotated[CurrentPrincipal, Depends(_user)]


@router.get("", response_model=NotificationList)
async def list_notifications(
    principal: User,
    session: TenantSession,
    unread: Annotated[bool, Query(description="Only unread ones.")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationList:
    assert principal.user_id is not None
    rows, unread_count = await service.list_for(
        session, principal.tenant_id, principal.user_id, unread_only=unread, limit=limit
    )
    return NotificationList(items=[NotificationOut.model_validate(row) for row in rows], unread=unread_count)


@router.post("/read", response_model=MarkedRead)
async def mark_read(body: MarkRead, principal: User, session: TenantSession) -> MarkedRead:
    assert principal.user_id is not None
    return MarkedRead(
        marked=await service.mark_read(session, principal.tenant_id, principal.user_id, body.ids)
    )
