"""Ops Copilot's scheduling rules around the pure planner: whose plan may be seen, loading tasks,
working hours and busy time (busy blocks and connected calendars), the plan itself, and the private
iCalendar feed. Plans are computed on every request from current data, never stored, so they follow
every change to tasks, hours and calendars."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.connectors.models import CalendarEvent
from binelek.foundry.service import tenant_timezone
from binelek.identity.models import Membership, Tenant, User
from binelek.kit.auth import MODULE_SCOPES, ROLE_RANK, Principal
from binelek.kit.db import Database
from binelek.kit.errors import PermissionDenied, ResourceNotFound, ValidationFailed
from binelek.ops import scheduling
from binelek.ops.models import BusyBlock, Task, TaskDependency, WorkingHours
from binelek.ops.schedule_schemas import (
    BusyBlockIn,
    BusyBlockOut,
    BusyIntervalOut,
    FeedOut,
    ScheduleBlockOut,
    ScheduledTaskOut,
    ScheduleOut,
    UtilisationOut,
    WorkingHoursIn,
    WorkingHoursOut,
    valid_zone,
)
from binelek.ops.scheduling import (
    DEFAULT_MIN_CHUNK_MINUTES,
    DEFAULT_WEEK,
    WEEKDAYS,
    Busy,
    PlanTask,
    WorkingWeek,
)

OPEN_STATUSES = ("todo", "in_progress", "blocked")
DEFAULT_WINDOW = timedelta(days=7)
MAX_WINDOW = timedelta(days=62)
MAX_AHEAD = timedelta(days=366)  # planning always starts now: a window further out costs too much
FEED_DAYS = 14
FEED_PATH = "/api/modules/ops-copilot/schedule/feed/{token}.ics"
DUE_MARKER = timedelta(minutes=15)


# -- who and when -----------------------------------------------------------------------------------


def _ops_role(principal: Principal) -> str:
    """The caller's role in Ops Copilot: a module override narrows the tenant role, never widens it."""
    role = principal.module_roles.get("ops", principal.role)
    return principal.role if ROLE_RANK.get(role, 0) > ROLE_RANK.get(principal.role, 0) else role


def acting_user(principal: Principal) -> uuid.UUID:
    """Working hours, busy blocks and feeds belong to a person, not to an API key."""
    if principal.user_id is None:
        raise PermissionDenied("Working hours, busy time and calendar feeds belong to a signed-in person.")
    return principal.user_id


async def subject_of(session: AsyncSession, principal: Principal, user_id: uuid.UUID | None) -> uuid.UUID:
    """Whose schedule: the caller's own, or (admins only) another member's."""
    if user_id is None or user_id == principal.user_id:
        if principal.user_id is None:
            raise ValidationFailed(
                "An API key must say whose schedule it wants (user_id).",
                errors=_query_error("user_id", "required for an API key"),
            )
        return principal.user_id
    if _ops_role(principal) != "admin":
        raise PermissionDenied("Only an admin may see another member's schedule.")
    member = await session.execute(select(Membership.id).where(Membership.user_id == user_id))
    if member.scalar_one_or_none() is None:
        raise ResourceNotFound("No such member in this organization.")
    return user_id


def window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """[start, end): defaults to the next 7 days (or 7 days from the one given), at most 62 days."""
    start = _utc(start) if start is not None else None
    end = _utc(end) if end is not None else None
    if start is None:
        start = now if end is None else end - DEFAULT_WINDOW
    if end is None:
        end = start + DEFAULT_WINDOW
    if end <= start:
        raise ValidationFailed("`to` must be after `from`.", errors=_query_error("to", "must be after from"))
    if end - start > MAX_WINDOW:
        raise ValidationFailed(
            f"A schedule covers at most {MAX_WINDOW.days} days.", errors=_query_error("to", "window too long")
        )
    if end - now > MAX_AHEAD:
        raise ValidationFailed(
            f"A schedule ends at most {MAX_AHEAD.days} days from now.",
            errors=_query_error("to", "too far ahead"),
        )
    return start, end


def _query_error(field: str, message: str) -> list[dict[str, Any]]:
    return [{"loc": ["query", field], "msg": message, "type": "value_error"}]


def _utc(value: datetime) -> datetime:
    """Naive date-times are read as UTC, as everywhere in the API."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- working hours ----------------------------------------------------------------------------------


async def _hours_row(session: AsyncSession, user_id: uuid.UUID) -> WorkingHours | None:
    statement = select(WorkingHours).where(WorkingHours.user_id == user_id)
    return (await session.execute(statement)).scalar_one_or_none()


def default_week(zone: str) -> WorkingWeek:
    return WorkingWeek(timezone=zone, week=DEFAULT_WEEK, min_chunk_minutes=DEFAULT_MIN_CHUNK_MINUTES)


def _week_of(row: WorkingHours, fallback_zone: str) -> WorkingWeek:
    """A saved week as the planner takes it; anything unreadable (saved by hand) is left out."""
    days: dict[str, list[tuple[str, str]]] = {}
    for day in WEEKDAYS:
        windows = []
        for window_ in (row.week or {}).get(day) or []:
            try:
                start, end = window_
                if scheduling.parse_hhmm(start) < scheduling.parse_hhmm(end):
                    windows.append((start, end))
            except (TypeError, ValueError):
                continue
        days[day] = windows
    zone = row.timezone if valid_zone(row.timezone) else fallback_zone
    chunk = min(max(row.min_chunk_minutes or DEFAULT_MIN_CHUNK_MINUTES, 1), 24 * 60)
    return WorkingWeek(timezone=zone, week=days, min_chunk_minutes=chunk)


def _hours_out(week: WorkingWeek, row: WorkingHours | None) -> WorkingHoursOut:
    return WorkingHoursOut.model_validate(
        {
            "timezone": week.timezone,
            "week": {day: [list(window_) for window_ in week.week.get(day, ())] for day in WEEKDAYS},
            "min_chunk_minutes": week.min_chunk_minutes,
            "is_default": row is None,
            "feed_active": row is not None and row.feed_token_hash is not None,
        }
    )


async def get_working_hours(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> WorkingHoursOut:
    zone = await tenant_timezone(session, tenant_id)
    row = await _hours_row(session, user_id)
    return _hours_out(default_week(zone) if row is None else _week_of(row, zone), row)


async def put_working_hours(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, body: WorkingHoursIn
) -> WorkingHoursOut:
    row = await _hours_row(session, user_id)
    if row is None:
        row = WorkingHours(tenant_id=tenant_id, user_id=user_id)
        session.add(row)
    row.timezone = body.timezone
    saved = {str(day): [[start, end] for start, end in windows] for day, windows in body.week.items()}
    row.week = {day: saved.get(day, []) for day in WEEKDAYS}
    row.min_chunk_minutes = body.min_chunk_minutes
    await session.flush()
    return _hours_out(_week_of(row, body.timezone), row)


# -- busy blocks ------------------------------------------------------------------------------------


def _busy_out(block: BusyBlock) -> BusyBlockOut:
    return BusyBlockOut(id=block.id, title=block.title, starts_at=block.starts_at, ends_at=block.ends_at)


async def list_busy_blocks(
    session: AsyncSession, user_id: uuid.UUID, start: datetime | None, end: datetime | None
) -> list[BusyBlockOut]:
    statement = select(BusyBlock).where(BusyBlock.user_id == user_id).order_by(BusyBlock.starts_at)
    if start is not None:
        statement = statement.where(BusyBlock.ends_at > _utc(start))
    if end is not None:
        statement = statement.where(BusyBlock.starts_at < _utc(end))
    return [_busy_out(block) for block in (await session.execute(statement.limit(1000))).scalars()]


async def create_busy_block(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, body: BusyBlockIn
) -> BusyBlockOut:
    block = BusyBlock(
        tenant_id=tenant_id, user_id=user_id, title=body.title, starts_at=body.starts_at, ends_at=body.ends_at
    )
    session.add(block)
    await session.flush()
    return _busy_out(block)


async def delete_busy_block(session: AsyncSession, user_id: uuid.UUID, block_id: uuid.UUID) -> None:
    statement = select(BusyBlock).where(BusyBlock.id == block_id, BusyBlock.user_id == user_id)
    block = (await session.execute(statement)).scalar_one_or_none()
    if block is None:  # someone else's block is as absent as a missing one
        raise ResourceNotFound("No such busy block.")
    await session.delete(block)
    await session.flush()


# -- the plan ---------------------------------------------------------------------------------------


@dataclass
class _Inputs:
    """Everything one plan needs, loaded for the people it involves."""

    tasks: dict[uuid.UUID, Task]
    blockers: dict[uuid.UUID, list[uuid.UUID]]  # task -> open blockers
    people: set[uuid.UUID]
    external: dict[str, datetime | None]  # blockers owned by non-members: their due dates
    weeks: dict[uuid.UUID, WorkingWeek]
    busy_blocks: dict[uuid.UUID, list[BusyBlock]]
    events: dict[uuid.UUID, list[CalendarEvent]]


async def _members(session: AsyncSession) -> dict[uuid.UUID, str]:
    rows = await session.execute(
        select(Membership.user_id, User.email).join(User, User.id == Membership.user_id)
    )
    return {user_id: email.lower() for user_id, email in rows.all()}


async def _open_tasks(session: AsyncSession) -> dict[uuid.UUID, Task]:
    statement = select(Task).where(Task.status.in_(OPEN_STATUSES))
    return {task.id: task for task in (await session.execute(statement)).scalars()}


async def _open_blockers(
    session: AsyncSession, tasks: Mapping[uuid.UUID, Task]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Open task -> the open tasks it waits for (a finished blocker no longer holds anything up)."""
    statement = select(TaskDependency.task_id, TaskDependency.blocked_by_id)
    edges: dict[uuid.UUID, list[uuid.UUID]] = {}
    for task_id, blocked_by in (await session.execute(statement)).all():
        if task_id in tasks and blocked_by in tasks:
            edges.setdefault(task_id, []).append(blocked_by)
    return edges


def _people_involved(
    subject: uuid.UUID,
    tasks: Mapping[uuid.UUID, Task],
    blockers: Mapping[uuid.UUID, list[uuid.UUID]],
    members: Mapping[uuid.UUID, str],
) -> tuple[set[uuid.UUID], dict[str, datetime | None]]:
    """The subject and, transitively, every member owning a task one of theirs waits for: their
    plans say when those blockers finish. Blockers owned by non-members count with their due date."""
    people = {subject}
    external: dict[str, datetime | None] = {}
    frontier = [subject]
    while frontier:
        person = frontier.pop()
        for task in tasks.values():
            if _owner(task, subject) != person:
                continue
            for blocker_id in blockers.get(task.id, []):
                owner = _owner(tasks[blocker_id], subject)
                if owner in members and owner not in people:
                    people.add(owner)
                    frontier.append(owner)
                elif owner not in members:
                    external[str(blocker_id)] = tasks[blocker_id].due_at
    return people, external


def _owner(task: Task, subject: uuid.UUID) -> uuid.UUID:
    return task.assignee_id or subject  # unassigned tasks are planned for the person asking


async def _load(
    session: AsyncSession, tenant_id: uuid.UUID, subject: uuid.UUID, lo: datetime, hi: datetime
) -> _Inputs:
    members = await _members(session)
    tasks = await _open_tasks(session)
    blockers = await _open_blockers(session, tasks)
    people, external = _people_involved(subject, tasks, blockers, members)
    zone = await tenant_timezone(session, tenant_id)
    rows = await session.execute(select(WorkingHours).where(WorkingHours.user_id.in_(people)))
    saved = {row.user_id: _week_of(row, zone) for row in rows.scalars()}
    busy_rows = await session.execute(
        select(BusyBlock).where(
            BusyBlock.user_id.in_(people), BusyBlock.starts_at < hi, BusyBlock.ends_at > lo
        )
    )
    busy_blocks: dict[uuid.UUID, list[BusyBlock]] = {}
    for block in busy_rows.scalars():
        busy_blocks.setdefault(block.user_id, []).append(block)
    return _Inputs(
        tasks=tasks,
        blockers=blockers,
        people=people,
        external=external,
        weeks={person: saved.get(person) or default_week(zone) for person in people},
        busy_blocks=busy_blocks,
        events=await _calendar_busy(session, {person: members[person] for person in people}, lo, hi),
    )


async def _calendar_busy(
    session: AsyncSession, emails: Mapping[uuid.UUID, str], lo: datetime, hi: datetime
) -> dict[uuid.UUID, list[CalendarEvent]]:
    """Synced calendar events each person organizes or attends, unless cancelled."""
    statement = select(CalendarEvent).where(
        CalendarEvent.starts_at < hi,
        CalendarEvent.ends_at > lo,
        or_(CalendarEvent.status.is_(None), CalendarEvent.status != "cancelled"),
    )
    by_email = {email: person for person, email in emails.items()}
    found: dict[uuid.UUID, list[CalendarEvent]] = {}
    for event in (await session.execute(statement)).scalars():
        addresses = {(event.organizer_email or "").lower(), *(str(a).lower() for a in event.attendees or [])}
        for email in addresses & by_email.keys():
            found.setdefault(by_email[email], []).append(event)
    return found


def _plan_tasks(inputs: _Inputs) -> list[PlanTask]:
    people = inputs.people
    return [
        PlanTask(
            id=str(task.id),
            title=task.title,
            priority=task.priority,
            due_at=task.due_at,
            estimate_minutes=task.estimate_minutes,
            assignee=None if task.assignee_id is None else str(task.assignee_id),
            blocked_by=tuple(str(b) for b in inputs.blockers.get(task.id, [])),
            status=task.status,
        )
        for task in sorted(inputs.tasks.values(), key=lambda t: (t.created_at, str(t.id)))
        if task.assignee_id is None or task.assignee_id in people
    ]


def _busy_of(inputs: _Inputs, person: uuid.UUID) -> list[Busy]:
    spans = [Busy(block.starts_at, block.ends_at) for block in inputs.busy_blocks.get(person, [])]
    spans += [
        Busy(event.starts_at, event.ends_at)
        for event in inputs.events.get(person, [])
        if event.starts_at is not None and event.ends_at is not None
    ]
    return spans


async def build_schedule(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    subject: uuid.UUID,
    start: datetime,
    end: datetime,
    now: datetime,
) -> ScheduleOut:
    """The subject's plan for [start, end), planned from `now` (work before the window counts)."""
    inputs = await _load(session, tenant_id, subject, min(start, now), end)
    result = await asyncio.to_thread(
        scheduling.plan,
        _plan_tasks(inputs),
        {str(person): week for person, week in inputs.weeks.items()},
        {str(person): _busy_of(inputs, person) for person in inputs.people},
        start=now,
        end=end,
        now=now,
        requester=str(subject),
        external_finish=inputs.external,
        visible_from=start,
    )
    return _schedule_out(inputs, result, subject, start, end, now)


def _schedule_out(
    inputs: _Inputs,
    result: scheduling.Plan,
    subject: uuid.UUID,
    start: datetime,
    end: datetime,
    now: datetime,
) -> ScheduleOut:
    mine = {task_id: outcome for task_id, outcome in result.tasks.items() if outcome.user_id == str(subject)}
    tasks = {task_id: inputs.tasks[uuid.UUID(task_id)] for task_id in mine}
    blocks = [
        ScheduleBlockOut(
            task_id=uuid.UUID(block.task_id),
            title=tasks[block.task_id].title,
            priority=tasks[block.task_id].priority,
            start=block.start,
            end=block.end,
            chunk=block.chunk,
            chunks=block.chunks,
            at_risk=mine[block.task_id].at_risk,
            unassigned=mine[block.task_id].unassigned,
        )
        for block in result.blocks
        if block.task_id in mine and block.end > start and block.start < end
    ]
    usage = result.utilisation[str(subject)]
    return ScheduleOut(
        user_id=subject,
        timezone=inputs.weeks[subject].timezone,
        start=start,
        end=end,
        generated_at=now,
        blocks=blocks,
        tasks=[_task_out(tasks[task_id], outcome, inputs) for task_id, outcome in _by_plan_order(mine)],
        busy=_busy_intervals(inputs, subject, start, end),
        utilisation=UtilisationOut(
            available_minutes=usage.available_minutes,
            scheduled_minutes=usage.scheduled_minutes,
            ratio=round(usage.ratio, 4),
        ),
        cycles=[[uuid.UUID(t) for t in cycle] for cycle in result.cycles if any(t in mine for t in cycle)],
    )


def _by_plan_order(outcomes: Mapping[str, scheduling.TaskPlan]) -> list[tuple[str, scheduling.TaskPlan]]:
    """Planned tasks by start, then the unplanned, at-risk first."""
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(
        outcomes.items(), key=lambda item: (item[1].planned_start or far, not item[1].at_risk, item[0])
    )


def _task_out(task: Task, outcome: scheduling.TaskPlan, inputs: _Inputs) -> ScheduledTaskOut:
    return ScheduledTaskOut(
        task_id=task.id,
        title=task.title,
        priority=task.priority,
        status=task.status,
        due_at=task.due_at,
        estimate_minutes=outcome.estimate_minutes,
        scheduled_minutes=outcome.scheduled_minutes,
        planned_start=outcome.planned_start,
        planned_finish=outcome.planned_finish,
        state=outcome.state,
        at_risk=outcome.at_risk,
        risk=outcome.risk,
        note=outcome.note,
        unassigned=outcome.unassigned,
        blocked_by=inputs.blockers.get(task.id, []),
    )


def _busy_intervals(
    inputs: _Inputs, person: uuid.UUID, start: datetime, end: datetime
) -> list[BusyIntervalOut]:
    intervals = [
        BusyIntervalOut(id=b.id, source="busy_block", title=b.title, start=b.starts_at, end=b.ends_at)
        for b in inputs.busy_blocks.get(person, [])
    ]
    intervals += [
        BusyIntervalOut(id=e.id, source="calendar", title=e.title, start=e.starts_at, end=e.ends_at)
        for e in inputs.events.get(person, [])
        if e.starts_at is not None and e.ends_at is not None
    ]
    return sorted(
        (i for i in intervals if i.end > start and i.start < end), key=lambda i: (i.start, str(i.id))
    )


# -- the calendar feed ------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def rotate_feed(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, public_url: str
) -> FeedOut:
    """A new secret feed URL; only its hash is kept, and the previous URL stops working."""
    row = await _hours_row(session, user_id)
    if row is None:
        week = default_week(await tenant_timezone(session, tenant_id))
        row = WorkingHours(
            tenant_id=tenant_id,
            user_id=user_id,
            timezone=week.timezone,
            week={day: [list(w) for w in week.week.get(day, ())] for day in WEEKDAYS},
            min_chunk_minutes=week.min_chunk_minutes,
        )
        session.add(row)
    token = secrets.token_urlsafe(32)
    row.feed_token_hash = _token_hash(token)
    await session.flush()
    return FeedOut(url=public_url.rstrip("/") + FEED_PATH.format(token=token))


async def feed_calendar(db: Database, token: str, now: datetime) -> bytes:
    """The feed behind a token: the next 14 days of the owner's plan as iCalendar."""
    async with db.session() as session:  # no tenant yet: the token says which
        found = (
            await session.execute(
                select(WorkingHours.tenant_id, WorkingHours.user_id, Tenant.modules)
                .join(Tenant, Tenant.id == WorkingHours.tenant_id)
                .join(User, User.id == WorkingHours.user_id)
                .where(WorkingHours.feed_token_hash == _token_hash(token), User.is_active.is_(True))
            )
        ).one_or_none()
    if found is None or MODULE_SCOPES["ops"] not in (found.modules or []):
        raise ResourceNotFound("No such calendar feed.")
    async with db.session(tenant_id=found.tenant_id) as session:
        member = await session.execute(select(Membership.id).where(Membership.user_id == found.user_id))
        if member.scalar_one_or_none() is None:  # left the organization: the feed goes with them
            raise ResourceNotFound("No such calendar feed.")
        schedule = await build_schedule(
            session, found.tenant_id, found.user_id, now, now + timedelta(days=FEED_DAYS), now
        )
    return to_ical(schedule, now)


def to_ical(schedule: ScheduleOut, now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Binelek//Ops Copilot schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Binelek: planned work")
    calendar.add("x-wr-timezone", schedule.timezone)
    calendar.add("refresh-interval", timedelta(minutes=30), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT30M")
    tasks = {task.task_id: task for task in schedule.tasks}
    for block in schedule.blocks:
        calendar.add_component(_event(block, tasks[block.task_id], now))
    planned = {block.task_id for block in schedule.blocks}
    for task in schedule.tasks:
        due = task.due_at
        if task.at_risk and task.task_id not in planned and due is not None and now <= due <= schedule.end:
            calendar.add_component(_due_marker(task, due, now))
    return bytes(calendar.to_ical())


def _due_marker(task: ScheduledTaskOut, due: datetime, now: datetime) -> Event:
    """An at-risk task with no planned time in the feed would be invisible: a short marker at its due
    time, transparent so it blocks nothing in the calendar app."""
    event = Event()
    event.add("uid", f"{task.task_id}-due@binelek")
    event.add("summary", f"⚠ At risk, not planned: {task.title}")
    event.add("dtstart", due - DUE_MARKER)
    event.add("dtend", due)
    event.add("dtstamp", now)
    event.add("description", _description(task))
    event.add("categories", ["Binelek", task.priority])
    event.add("transp", "TRANSPARENT")
    return event


def _event(block: ScheduleBlockOut, task: ScheduledTaskOut, now: datetime) -> Event:
    event = Event()
    # Stable per task and chunk: calendar apps update the event in place when the plan moves it.
    event.add("uid", f"{block.task_id}-{block.chunk}@binelek")
    title = f"{block.title} ({block.chunk}/{block.chunks})" if block.chunks > 1 else block.title
    event.add("summary", f"⚠ At risk: {title}" if block.at_risk else title)
    event.add("dtstart", block.start)
    event.add("dtend", block.end)
    event.add("dtstamp", now)
    event.add("description", _description(task))
    event.add("categories", ["Binelek", task.priority])
    event.add("transp", "OPAQUE")
    return event


def _description(task: ScheduledTaskOut) -> str:
    lines = [f"Priority: {task.priority}"]
    lines.append(f"Due: {task.due_at.isoformat()}" if task.due_at else "Due: no due date")
    if task.at_risk:
        lines.append(f"At risk: {task.note or 'it cannot finish by its due date.'}")
    if task.unassigned:
        lines.append("Unassigned: planned for you until someone takes it.")
    return "\n".join(lines)
