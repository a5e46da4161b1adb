"""Ops Copilot's scheduling endpoints: the plan, working hours, busy blocks, the calendar feed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from binelek.audit import service as audit
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.db import utcnow
from binelek.kit.errors import PROBLEM_MEDIA_TYPE, Problem
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, get_state
from binelek.ops import schedule_service as service
from binelek.ops.schedule_schemas import (
    BusyBlockIn,
    BusyBlockOut,
    FeedOut,
    ScheduleOut,
    WorkingHoursIn,
    WorkingHoursOut,
)

router = APIRouter(prefix="/api/modules/ops-copilot", tags=["ops-copilot"])
Reader = Annotated[Principal, Depends(require("ops:read"))]
Writer = Annotated[Principal, Depends(require("ops:write"))]
State = Annotated[AppState, Depends(get_state)]
Meta = Annotated[RequestMeta, Depends(request_meta)]
From = Annotated[
    datetime | None, Query(alias="from", description="Window start (default: now). Without offset: UTC.")
]
To = Annotated[datetime | None, Query(description="Window end, exclusive (default: 7 days after the start).")]
ICAL_MEDIA_TYPE = "text/calendar; charset=utf-8"


@router.get("/schedule", response_model=ScheduleOut)
async def get_schedule(
    principal: Reader,
    session: TenantSession,
    from_: From = None,
    to: To = None,
    user_id: Annotated[uuid.UUID | None, Query(description="Another member's schedule (admins).")] = None,
) -> ScheduleOut:
    """A plan of the open tasks into working hours around busy time and calendar events, computed
    now from current data. Windows span at most 62 days; nothing is planned before now."""
    now = utcnow()
    start, end = service.window(from_, to, now)
    subject = await service.subject_of(session, principal, user_id)
    return await service.build_schedule(session, principal.tenant_id, subject, start, end, now)


@router.get("/working-hours", response_model=WorkingHoursOut)
async def get_working_hours(principal: Reader, session: TenantSession) -> WorkingHoursOut:
    """The caller's working week (Mon-Fri 09:00-17:00 in the organization's zone until saved)."""
    return await service.get_working_hours(session, principal.tenant_id, service.acting_user(principal))


@router.put("/working-hours", response_model=WorkingHoursOut)
async def put_working_hours(
    body: WorkingHoursIn, principal: Writer, session: TenantSession, meta: Meta
) -> WorkingHoursOut:
    user_id = service.acting_user(principal)
    saved = await service.put_working_hours(session, principal.tenant_id, user_id, body)
    audit.record_for(session, principal, "ops.working_hours.updated", meta, timezone=body.timezone)
    return saved


@router.get("/busy-blocks", response_model=list[BusyBlockOut])
async def list_busy_blocks(
    principal: Reader, session: TenantSession, from_: From = None, to: To = None
) -> list[BusyBlockOut]:
    """The caller's busy blocks (overlapping the window when one is given), by start."""
    return await service.list_busy_blocks(session, service.acting_user(principal), from_, to)


@router.post("/busy-blocks", response_model=BusyBlockOut, status_code=status.HTTP_201_CREATED)
async def create_busy_block(
    body: BusyBlockIn, principal: Writer, session: TenantSession, meta: Meta
) -> BusyBlockOut:
    user_id = service.acting_user(principal)
    block = await service.create_busy_block(session, principal.tenant_id, user_id, body)
    audit.record_for(session, principal, "ops.busy_block.created", meta, busy_block_id=str(block.id))
    return block


@router.delete("/busy-blocks/{block_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_busy_block(
    block_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> Response:
    await service.delete_busy_block(session, service.acting_user(principal), block_id)
    audit.record_for(session, principal, "ops.busy_block.deleted", meta, busy_block_id=str(block_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/schedule/feed", response_model=FeedOut, status_code=status.HTTP_201_CREATED)
async def rotate_feed(principal: Writer, session: TenantSession, state: State, meta: Meta) -> FeedOut:
    """A private iCalendar URL of the caller's plan for calendar apps. Shown once: calling again
    makes a new one and the old stops working."""
    user_id = service.acting_user(principal)
    feed = await service.rotate_feed(session, principal.tenant_id, user_id, state.settings.public_url)
    audit.record_for(session, principal, "ops.schedule_feed.rotated", meta)
    return feed


@router.get(
    "/schedule/feed/{token}.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "The next 14 days of planned work"},
        404: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": "Unknown feed"},
    },
)
async def schedule_feed(token: str, request: Request, state: State) -> Response:
    """The plan as iCalendar, for subscribing from a calendar app. No bearer token (calendar apps
    cannot send one): the secret URL is the credential."""
    await state.rate_limiter.check("api", "ops-feed", request.client.host if request.client else "unknown")
    body = await service.feed_calendar(state.db, token, utcnow())
    return Response(body, media_type=ICAL_MEDIA_TYPE, headers={"Cache-Control": "private, no-store"})
