"""Ops Copilot's task endpoints: tasks, natural-language creation and suggestions. Thin, typed,
tenant-scoped."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from binelek.audit import service as audit
from binelek.foundry import service as foundry
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.pagination import Page, Paging
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, get_state
from binelek.ops import nlp, repository, service, suggestions
from binelek.ops.repository import TaskFilters
from binelek.ops.schemas import (
    BulkIn,
    BulkOut,
    SuggestionDecisionOut,
    SuggestionKind,
    SuggestionOut,
    TaskCreate,
    TaskOut,
    TaskPriority,
    TaskProposal,
    TaskSort,
    TaskStatus,
    TaskTextIn,
    TaskUpdate,
)

router = APIRouter(prefix="/api/modules/ops-copilot", tags=["ops-copilot"])
Reader = Annotated[Principal, Depends(require("ops:read"))]
Writer = Annotated[Principal, Depends(require("ops:write"))]
State = Annotated[AppState, Depends(get_state)]
Meta = Annotated[RequestMeta, Depends(request_meta)]


# -- tasks ------------------------------------------------------------------------------------------


@router.get("/tasks", response_model=Page[TaskOut])
async def list_tasks(
    principal: Reader,
    session: TenantSession,
    paging: Paging,
    status_: Annotated[list[TaskStatus] | None, Query(alias="status")] = None,
    priority: Annotated[list[TaskPriority] | None, Query()] = None,
    assignee: Annotated[
        str | None, Query(max_length=40, description="A member's user id, `me` or `none` (unassigned).")
    ] = None,
    due_before: datetime | None = None,
    due_after: datetime | None = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    parent_id: Annotated[
        str | None,
        Query(max_length=40, description="A task's id (its subtasks), or `none` (top-level tasks)."),
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="Words in the title or description.")] = None,
    overdue: Annotated[bool, Query(description="Only open tasks past their due date.")] = False,
    sort: TaskSort = "created_at",
    order: Literal["asc", "desc"] | None = None,
) -> Page[TaskOut]:
    assignee_id, unassigned = service.resolve_assignee_filter(assignee, principal.user_id)
    parent, top_level = _parent_filter(parent_id)
    filters = TaskFilters(
        statuses=tuple(status_ or ()),
        priorities=tuple(priority or ()),
        assignee_id=assignee_id,
        unassigned=unassigned,
        due_before=_utc(due_before),
        due_after=_utc(due_after),
        tag=tag.lstrip("#").strip() or None if tag else None,
        category=category.strip() or None if category else None,
        parent_id=parent,
        top_level=top_level,
        text=q.strip() or None if q else None,
        overdue_at=datetime.now(UTC) if overdue else None,
        sort=sort,
        direction=order,
    )
    return await service.list_tasks(session, principal.tenant_id, filters, paging)


@router.post("/tasks", response_model=TaskOut, status_code=status.HTTP_201_CREATED)
async def create_task(body: TaskCreate, principal: Writer, session: TenantSession, meta: Meta) -> TaskOut:
    task = await service.create_task(session, principal.tenant_id, body, actor_id=principal.user_id)
    audit.record_for(session, principal, "ops.task.created", meta, task_id=str(task.id))
    return await service.task_view(session, task)


@router.post("/tasks/bulk", response_model=BulkOut)
async def bulk_tasks(body: BulkIn, principal: Writer, session: TenantSession, meta: Meta) -> BulkOut:
    """Update many tasks with one patch, or delete them, in one transaction."""
    result = await service.bulk(session, principal.tenant_id, body, actor_id=principal.user_id)
    audit.record_for(
        session,
        principal,
        "ops.tasks.bulk",
        meta,
        operation=body.action,
        fields=sorted(body.patch.model_fields_set) if body.patch else [],
        updated=result.updated,
        deleted=result.deleted,
    )
    return result


@router.post("/tasks/parse", response_model=TaskProposal)
async def parse_task(
    body: TaskTextIn, principal: Reader, session: TenantSession, state: State
) -> TaskProposal:
    """What a line of plain words would create, without creating it."""
    return await _proposal(state, session, principal, body.text)


@router.post("/tasks/from-text", response_model=TaskOut, status_code=status.HTTP_201_CREATED)
async def create_task_from_text(
    body: TaskTextIn, principal: Writer, session: TenantSession, state: State, meta: Meta
) -> TaskOut:
    """Create the task a line of plain words describes ("Call Ana tomorrow at 3pm, high priority")."""
    proposal = await _proposal(state, session, principal, body.text)
    task = await service.create_task(
        session, principal.tenant_id, proposal.task, actor_id=principal.user_id, source="ai"
    )
    audit.record_for(
        session, principal, "ops.task.created", meta, task_id=str(task.id), engine=proposal.engine
    )
    return await service.task_view(session, task)


@router.get("/tasks/{task_id}", response_model=TaskOut)
async def get_task(task_id: uuid.UUID, principal: Reader, session: TenantSession) -> TaskOut:
    return await service.task_view(session, await service.get_task(session, principal.tenant_id, task_id))


@router.patch("/tasks/{task_id}", response_model=TaskOut)
async def update_task(
    task_id: uuid.UUID, body: TaskUpdate, principal: Writer, session: TenantSession, meta: Meta
) -> TaskOut:
    task = await service.update_task(session, principal.tenant_id, task_id, body, actor_id=principal.user_id)
    audit.record_for(
        session,
        principal,
        "ops.task.updated",
        meta,
        task_id=str(task_id),
        fields=sorted(body.model_fields_set),
    )
    return await service.task_view(session, task)


@router.delete("/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(task_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta) -> Response:
    await service.delete_task(session, principal.tenant_id, task_id)
    audit.record_for(session, principal, "ops.task.deleted", meta, task_id=str(task_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- suggestions --------------------------------------------------------------------------------------


@router.get("/suggestions", response_model=Page[SuggestionOut])
async def list_suggestions(
    principal: Reader,
    session: TenantSession,
    paging: Paging,
    kind: SuggestionKind | None = None,
    task_id: uuid.UUID | None = None,
) -> Page[SuggestionOut]:
    """Open suggestions, computed afresh first (dismissed ones never come back)."""
    await suggestions.compute(session, principal.tenant_id, now=datetime.now(UTC))
    return await suggestions.open_suggestions(session, paging, task_id=task_id, kind=kind)


@router.post("/tasks/{task_id}/suggestions", response_model=Page[SuggestionOut])
async def suggest_for_task(
    task_id: uuid.UUID, principal: Reader, session: TenantSession, paging: Paging
) -> Page[SuggestionOut]:
    """Compute the suggestions about one task (priority, due date, subtasks) and list its open ones."""
    await suggestions.compute(session, principal.tenant_id, now=datetime.now(UTC), task_id=task_id)
    return await suggestions.open_suggestions(session, paging, task_id=task_id)


@router.post("/suggestions/{suggestion_id}/accept", response_model=SuggestionDecisionOut)
async def accept_suggestion(
    suggestion_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> SuggestionDecisionOut:
    """Apply what the suggestion proposes; an automation proposal comes back for the builder to open."""
    decided = await suggestions.accept(
        session, principal.tenant_id, suggestion_id, user_id=principal.user_id, now=datetime.now(UTC)
    )
    audit.record_for(
        session,
        principal,
        "ops.suggestion.accepted",
        meta,
        suggestion_id=str(suggestion_id),
        kind=decided.suggestion.kind,
    )
    return decided


@router.post("/suggestions/{suggestion_id}/dismiss", response_model=SuggestionOut)
async def dismiss_suggestion(
    suggestion_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> SuggestionOut:
    dismissed = await suggestions.dismiss(
        session, suggestion_id, user_id=principal.user_id, now=datetime.now(UTC)
    )
    audit.record_for(
        session,
        principal,
        "ops.suggestion.dismissed",
        meta,
        suggestion_id=str(suggestion_id),
        kind=dismissed.kind,
    )
    return dismissed


# -- helpers -----------------------------------------------------------------------------------------------


async def _proposal(state: AppState, session: TenantSession, principal: Principal, text: str) -> TaskProposal:
    now = datetime.now(UTC)
    timezone = await foundry.tenant_timezone(session, principal.tenant_id)
    members = await repository.members(session, principal.tenant_id)
    from_model = await nlp.ask_model(
        state, session, principal, text, now=now, timezone=timezone, members=members
    )
    return from_model or nlp.local_proposal(text, now=now, timezone=timezone, members=members)


def _parent_filter(value: str | None) -> tuple[uuid.UUID | None, bool]:
    if value is None or value == "":
        return None, False
    if value == "none":
        return None, True
    try:
        return uuid.UUID(value), False
    except ValueError:
        raise service.query_error("parent_id is a task id or 'none'.", "parent_id") from None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
