"""The signed-in user's in-app notifications, their live stream and their delivery preferences."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from binelek.kit.auth import CurrentPrincipal, TenantSession
from binelek.kit.errors import PermissionDenied, ValidationFailed
from binelek.kit.pubsub import process_broadcaster
from binelek.notifications import service
from binelek.notifications.kinds import KINDS
from binelek.notifications.schemas import (
    MarkedRead,
    MarkRead,
    NotificationList,
    NotificationOut,
    PreferenceList,
    PreferencesUpdate,
)

router = APIRouter(prefix="/api/notifications", tags=["notifications"])

# A stream ends after this long and the client reconnects: its access token is checked again, and
# proxies that cut idle or long responses never see one.
STREAM_SECONDS = 300.0
HEARTBEAT_SECONDS = 15.0


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


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-Sent Events: `ready` {unread} first, then `notification` (a "
            "NotificationOut) as each arrives and `read` {ids|null} when some are marked read elsewhere; "
            "a comment line every 15 s keeps the connection alive; the stream ends after 5 minutes "
            "(reconnect).",
        }
    },
)
async def stream(principal: User, request: Request, session: TenantSession) -> StreamingResponse:
    """Live notifications for the signed-in user, across every process of the install."""
    assert principal.user_id is not None
    unread = await service.unread_count(session, principal.tenant_id, principal.user_id)
    channel = service.channel_for(principal.tenant_id, principal.user_id)
    return StreamingResponse(
        _events(request, channel, unread),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(request: Request, channel: str, unread: int) -> AsyncIterator[str]:
    ends_at = time.monotonic() + STREAM_SECONDS
    async with process_broadcaster().listen(channel) as queue:
        yield _sse("ready", {"unread": unread})
        while (left := ends_at - time.monotonic()) > 0:
            try:
                message = await asyncio.wait_for(queue.get(), timeout=min(HEARTBEAT_SECONDS, left))
            except TimeoutError:
                if await request.is_disconnected():
                    return
                yield ": keep-alive\n\n"
                continue
            yield _sse(str(message.get("event", "notification")), message.get("data") or {})


def _sse(name: str, payload: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"


@router.get("/preferences", response_model=PreferenceList)
async def get_preferences(principal: User, session: TenantSession) -> PreferenceList:
    """How each kind of notification reaches you: in the app, by e-mail, in the daily digest."""
    assert principal.user_id is not None
    return PreferenceList(items=await service.preferences(session, principal.tenant_id, principal.user_id))


@router.put("/preferences", response_model=PreferenceList)
async def put_preferences(body: PreferencesUpdate, principal: User, session: TenantSession) -> PreferenceList:
    assert principal.user_id is not None
    unknown = sorted({item.kind for item in body.items} - KINDS.keys())
    if unknown:
        raise ValidationFailed(
            f"Unknown notification kind(s): {', '.join(unknown)}. Known: {', '.join(KINDS)}.", field="items"
        )
    items = await service.save_preferences(session, principal.tenant_id, principal.user_id, body.items)
    return PreferenceList(items=items)
