"""Ops Copilot's task rules: who may be assigned, what a task may wait for (no cycles, same
organization), what a status change records, and the events other modules react to.

The automation engine calls `create_task`, `update_task` and `get_task` in its own transaction;
the router and the agent tools call the same functions in the request's.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit import outbox
from binelek.kit.db import utcnow
from binelek.kit.errors import ProblemError, ValidationFailed
from binelek.kit.pagination import Page, PageParams
from binelek.ops import repository
from binelek.ops.models import Task
from binelek.ops.repository import CLOSED_STATUSES, TaskFacts, TaskFilters, TaskRepository
from binelek.ops.schemas import BulkIn, BulkOut, SubtaskCounts, TaskCreate, TaskOut, TaskUpdate

MAX_DEPTH = 1000  # a parent chain or dependency walk longer than this is broken data, not a plan
SCALAR_FIELDS = (
    "title",
    "description",
    "priority",
    "due_at",
    "estimate_minutes",
    "assignee_id",
    "tags",
    "category",
    "related",
    "position",
)


class TaskCycle(ProblemError):
    """A parent or a dependency that would make a task (transitively) its own ancestor or blocker."""

    status, code = 422, "TASK_CYCLE"

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail, errors=[{"loc": ["body", field], "msg": detail, "type": "value_error"}])


# -- reading -------------------------------------------------------------------------------------------


async def get_task(session: AsyncSession, tenant_id: uuid.UUID, task_id: uuid.UUID) -> Task:
    repo = TaskRepository(session)
    _same_tenant(repo, tenant_id)
    return await repo.get_or_404(task_id)


def task_out(task: Task, facts: TaskFacts | None = None, *, now: datetime | None = None) -> TaskOut:
    facts = facts or TaskFacts()
    moment = now or datetime.now(UTC)
    return TaskOut(
        id=task.id,
        title=task.title,
        description=task.description,
        status=task.status,
        priority=task.priority,
        due_at=task.due_at,
        estimate_minutes=task.estimate_minutes,
        assignee_id=task.assignee_id,
        tags=list(task.tags or []),
        category=task.category,
        parent_id=task.parent_id,
        blocked_by=facts.blocked_by,
        is_blocked=facts.open_blockers > 0,
        overdue=task.due_at is not None and task.due_at < moment and task.status not in CLOSED_STATUSES,
        subtasks=SubtaskCounts(total=facts.subtasks_total, done=facts.subtasks_done),
        source=task.source,
        related=dict(task.related or {}),
        position=task.position,
        created_by=task.created_by,
        workflow_run_id=task.workflow_run_id,
        created_at=task.created_at,
        updated_at=task.updated_at,
        started_at=task.started_at,
        completed_at=task.completed_at,
    )


async def task_outs(session: AsyncSession, tasks: list[Task]) -> list[TaskOut]:
    facts = await TaskRepository(session).facts([task.id for task in tasks])
    now = datetime.now(UTC)
    return [task_out(task, facts[task.id], now=now) for task in tasks]


async def task_view(session: AsyncSession, task: Task) -> TaskOut:
    return (await task_outs(session, [task]))[0]


async def list_tasks(
    session: AsyncSession, tenant_id: uuid.UUID, filters: TaskFilters, params: PageParams
) -> Page[TaskOut]:
    repo = TaskRepository(session)
    _same_tenant(repo, tenant_id)
    tasks, total = await repo.page_of(filters, params)
    return Page(items=await task_outs(session, tasks), total=total, limit=params.limit, offset=params.offset)


# -- writing -------------------------------------------------------------------------------------------


async def create_task(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    data: TaskCreate,
    *,
    actor_id: uuid.UUID | None,
    source: str = "manual",
    workflow_run_id: uuid.UUID | None = None,
) -> Task:
    """A new task; `actor_id` is the user who made it (None for automations and API keys)."""
    repo = TaskRepository(session)
    _same_tenant(repo, tenant_id)
    if data.assignee_id is not None:
        await _check_assignee(session, tenant_id, data.assignee_id)
    if data.parent_id is not None:
        await _check_parent(repo, None, data.parent_id)
    blockers = await _check_blockers(repo, None, data.blocked_by)
    now = utcnow()
    task = Task(
        id=uuid.uuid4(),
        title=data.title,
        description=data.description,
        status="todo",  # set below with the times a status records
        priority=data.priority,
        due_at=data.due_at,
        estimate_minutes=data.estimate_minutes,
        assignee_id=data.assignee_id,
        tags=list(data.tags),
        category=data.category,
        parent_id=data.parent_id,
        source=source,
        related=dict(data.related),
        # New tasks go after every earlier one without reading them: automations create tasks in
        # bulk, and a max() per task would make a batch quadratic.
        position=data.position if data.position is not None else now.timestamp(),
        created_by=actor_id,
        workflow_run_id=workflow_run_id,
        created_at=now,
        updated_at=now,
    )
    _set_status(task, data.status, now)
    repo.add(task)
    repo.add_blockers(task.id, blockers)  # ids are set here, so nothing needs a flush yet
    outbox.emit(session, "task.created", event_payload(task), tenant_id)
    if task.status == "done":
        outbox.emit(session, "task.completed", event_payload(task), tenant_id)
    return task


async def update_task(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    task_id: uuid.UUID,
    data: TaskUpdate,
    *,
    actor_id: uuid.UUID | None,
) -> Task:
    """Change the fields `data` sets; `actor_id` is who asked (kept for symmetry with create)."""
    repo = TaskRepository(session)
    _same_tenant(repo, tenant_id)
    task = await repo.get_or_404(task_id)
    await _apply(session, repo, task, data, utcnow())
    await session.flush()
    return task


async def delete_task(session: AsyncSession, tenant_id: uuid.UUID, task_id: uuid.UUID) -> None:
    """Delete a task; its subtasks, dependencies and suggestions go with it (database cascades)."""
    repo = TaskRepository(session)
    _same_tenant(repo, tenant_id)
    task = await repo.get_or_404(task_id)
    await session.execute(
        delete(Task)
        .where(Task.tenant_id == tenant_id, Task.id == task.id)
        .execution_options(synchronize_session=False)
    )
    session.expunge(task)


async def bulk(
    session: AsyncSession, tenant_id: uuid.UUID, body: BulkIn, *, actor_id: uuid.UUID | None
) -> BulkOut:
    """Update or delete many tasks in the caller's transaction: all of them change, or none."""
    repo = TaskRepository(session)
    _same_tenant(repo, tenant_id)
    ids = list(dict.fromkeys(body.ids))
    tasks = await repo.by_ids(ids)
    missing = len(ids) - len(tasks)
    if body.action == "delete":
        await session.execute(
            delete(Task)
            .where(Task.tenant_id == tenant_id, Task.id.in_([task.id for task in tasks]))
            .execution_options(synchronize_session=False)
        )
        for task in tasks:
            session.expunge(task)
        # Every listed task that existed is gone, whether by the statement or by its parent's cascade.
        return BulkOut(requested=len(ids), updated=0, deleted=len(tasks), not_found=missing)
    assert body.patch is not None  # the schema requires it for updates
    patch = TaskUpdate.model_validate(body.patch.model_dump(exclude_unset=True))
    now = utcnow()
    for task in sorted(tasks, key=lambda t: ids.index(t.id)):
        await _apply(session, repo, task, patch, now)
    await session.flush()
    return BulkOut(requested=len(ids), updated=len(tasks), deleted=0, not_found=missing)


async def _apply(
    session: AsyncSession, repo: TaskRepository, task: Task, data: TaskUpdate, now: datetime
) -> None:
    """Check everything first, then change: a refused update leaves the task as it was, also in a
    caller's transaction that carries on (an automation step that fails)."""
    given = data.model_fields_set
    if "assignee_id" in given and data.assignee_id is not None and data.assignee_id != task.assignee_id:
        await _check_assignee(session, repo.tenant_id, data.assignee_id)
    new_parent = "parent_id" in given and data.parent_id != task.parent_id
    if new_parent and data.parent_id is not None:
        await _check_parent(repo, task.id, data.parent_id)
    blockers: list[uuid.UUID] | None = None
    if "blocked_by" in given and data.blocked_by is not None:
        blockers = await _check_blockers(repo, task.id, data.blocked_by)
        current = (await repo.blockers_of([task.id])).get(task.id, set())
        blockers = None if set(blockers) == current else blockers
    changed = new_parent or blockers is not None
    if new_parent:
        task.parent_id = data.parent_id
    for name in SCALAR_FIELDS:
        if name in given:
            value = getattr(data, name)
            if name in ("tags", "related"):
                value = list(value) if name == "tags" else dict(value)
            if getattr(task, name) != value:
                setattr(task, name, value)
                changed = True
    if blockers is not None:
        await repo.set_blockers(task.id, blockers)
    if data.status is not None and data.status != task.status:
        _move_status(session, task, data.status, now)
        changed = True
    if changed:
        task.updated_at = now


def _move_status(session: AsyncSession, task: Task, status: str, now: datetime) -> None:
    """`task.completed` fires each time a task becomes done."""
    if status == task.status:
        return
    _set_status(task, status, now)
    if status == "done":
        outbox.emit(session, "task.completed", event_payload(task), task.tenant_id)


def _set_status(task: Task, status: str, now: datetime) -> None:
    """Record when work first started and when it finished (reopening clears the finish)."""
    previous = task.status
    task.status = status
    if status == "in_progress" and task.started_at is None:
        task.started_at = now
    if status == "done":
        task.completed_at = now
    elif previous == "done":
        task.completed_at = None


def event_payload(task: Task) -> dict[str, Any]:
    return {
        "task_id": str(task.id),
        "title": task.title,
        "priority": task.priority,
        "status": task.status,
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "assignee_id": str(task.assignee_id) if task.assignee_id else None,
        "source": task.source,
        "tags": list(task.tags or []),
        "category": task.category,
    }


# -- checks --------------------------------------------------------------------------------------------


def _same_tenant(repo: TaskRepository, tenant_id: uuid.UUID) -> None:
    if repo.tenant_id != tenant_id:
        raise RuntimeError("the session is scoped to another tenant")


async def _check_assignee(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    if not await repository.is_member(session, tenant_id, user_id):
        raise ValidationFailed("The assignee is not a member of this organization.", field="assignee_id")


async def _check_parent(repo: TaskRepository, task_id: uuid.UUID | None, parent_id: uuid.UUID) -> None:
    """The parent exists here, and is neither the task itself nor one of its subtasks (at any depth)."""
    if parent_id == task_id:
        raise TaskCycle("A task cannot be its own parent.", field="parent_id")
    if not await repo.existing_ids([parent_id]):
        raise ValidationFailed("The parent task does not exist.", field="parent_id")
    ancestor: uuid.UUID | None = parent_id
    for _ in range(MAX_DEPTH):
        ancestor = await repo.parent_of(ancestor) if ancestor is not None else None
        if ancestor is None:
            return
        if ancestor == task_id:
            raise TaskCycle("The parent is one of this task's own subtasks.", field="parent_id")
    raise TaskCycle("The parent chain is too deep.", field="parent_id")


async def _check_blockers(
    repo: TaskRepository, task_id: uuid.UUID | None, blocker_ids: Iterable[uuid.UUID]
) -> list[uuid.UUID]:
    """The blockers, each once; all must exist here and none may (transitively) wait for the task."""
    wanted = list(dict.fromkeys(blocker_ids))
    if task_id is not None and task_id in wanted:
        raise TaskCycle("A task cannot wait for itself.", field="blocked_by")
    found = await repo.existing_ids(wanted)
    unknown = [blocker for blocker in wanted if blocker not in found]
    if unknown:
        raise ValidationFailed(f"No task {unknown[0]} to wait for.", field="blocked_by")
    if task_id is not None and wanted and await _reaches(repo, wanted, task_id):
        raise TaskCycle("That dependency would make the tasks wait for each other.", field="blocked_by")
    return wanted


async def _reaches(repo: TaskRepository, starts: Collection[uuid.UUID], target: uuid.UUID) -> bool:
    """Whether `target` is among what `starts` wait for, directly or through other tasks."""
    seen: set[uuid.UUID] = set(starts)
    frontier = set(starts)
    for _ in range(MAX_DEPTH):
        if not frontier:
            return False
        edges = await repo.blockers_of(frontier)
        following = {blocker for blockers in edges.values() for blocker in blockers}
        if target in following:
            return True
        frontier = following - seen
        seen |= following
    return True  # a walk this long is treated as a cycle rather than trusted


def resolve_assignee_filter(value: str | None, user_id: uuid.UUID | None) -> tuple[uuid.UUID | None, bool]:
    """`assignee=` as (user id, only unassigned): an id, "me" or "none"."""
    if value is None or value == "":
        return None, False
    if value == "none":
        return None, True
    if value == "me":
        if user_id is None:
            raise query_error("'me' needs a signed-in user, not an API key.", "assignee")
        return user_id, False
    try:
        return uuid.UUID(value), False
    except ValueError:
        raise query_error("assignee is a user id, 'me' or 'none'.", "assignee") from None


def query_error(detail: str, name: str) -> ValidationFailed:
    return ValidationFailed(detail, errors=[{"loc": ["query", name], "msg": detail, "type": "value_error"}])
