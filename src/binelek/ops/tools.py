"""What the AI agent may do with Ops Copilot's tasks: list them, say which one to do next, and create
or change one (changes are confirmed first, like every write tool)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from binelek.foundry import service as foundry
from binelek.kit.errors import ValidationFailed
from binelek.kit.pagination import PageParams
from binelek.kit.tools import Source, ToolContext, ToolResult, tool
from binelek.ops import nlp, repository, service, suggestions
from binelek.ops.models import Task
from binelek.ops.repository import CLOSED_STATUSES, TaskFilters, TaskRepository
from binelek.ops.schemas import TaskCreate, TaskOut, TaskPriority, TaskStatus, TaskUpdate

SHOWN = 10
FIND_LIMIT = 500
STATUS_SYNONYMS: JsonDict = {
    "todo": ["not started", "still to do", "todo status", "reopen", "reopened"],
    "in_progress": ["in progress", "in-progress", "ongoing", "started", "being worked on"],
    "blocked": ["blocked", "stuck", "waiting"],
    "done": ["done", "completed", "complete", "finished"],
    "cancelled": ["cancelled", "canceled", "dropped"],
}
PRIORITY_SYNONYMS: JsonDict = {
    "low": ["low priority", "low-priority", "low"],
    "medium": ["medium priority", "normal priority", "medium"],
    "high": ["high priority", "high-priority", "important", "high"],
    "urgent": ["urgent", "asap", "critical"],
}


def _url(task_id: uuid.UUID) -> str:
    return f"/ops/tasks/{task_id}"


def _source(task: Task | TaskOut) -> Source:
    return Source(kind="task", id=str(task.id), title=task.title[:120], url=_url(task.id))


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return f"due {moment.astimezone(zone):%a %d %b %H:%M}" if moment else "no due date"


def _line(task: TaskOut, zone: ZoneInfo) -> str:
    flags = [task.priority, _when(task.due_at, zone)]
    if task.overdue:
        flags.append("overdue")
    if task.is_blocked:
        flags.append("blocked")
    return f"“{task.title}” ({', '.join(flags)})"


async def _zone(context: ToolContext) -> ZoneInfo:
    return ZoneInfo(await foundry.tenant_timezone(context.session, context.principal.tenant_id))


# -- list_tasks --------------------------------------------------------------------------------------


class ListTasksArgs(BaseModel):
    status: list[TaskStatus] | None = Field(
        default=None,
        description="Only tasks with these statuses; open tasks (not done or cancelled) when empty.",
        json_schema_extra={"x-synonyms": STATUS_SYNONYMS},
    )
    priority: list[TaskPriority] | None = Field(
        default=None,
        description="Only tasks with these priorities.",
        json_schema_extra={"x-synonyms": PRIORITY_SYNONYMS},
    )
    assignee: Literal["me", "none"] | None = Field(
        default=None,
        description="me: the caller's tasks; none: unassigned tasks.",
        json_schema_extra={
            "x-synonyms": {
                "me": ["my", "mine", "assigned to me", "for me"],
                "none": ["unassigned", "nobody", "no one", "no owner", "not assigned"],
            }
        },
    )
    overdue: bool | None = Field(
        default=None,
        description="true: only open tasks past their due date.",
        json_schema_extra={"x-terms": ["overdue", "late", "past due", "past their due date"]},
    )
    due_after: datetime | None = Field(default=None, description="Due at or after this moment.")
    due_before: datetime | None = Field(default=None, description="Due before this moment.")
    query: str | None = Field(
        default=None,
        max_length=200,
        description="Words in the title or description.",
        json_schema_extra={"x-slot": "none"},
    )
    limit: int = Field(default=20, ge=1, le=50, description="How many tasks to list.")


@tool(
    "list_tasks",
    "List the organization's tasks (Ops Copilot), filtered by status, priority, assignee, due date or"
    " overdue; open tasks by default.",
    permission="ops:read",
    examples=(
        "show my tasks",
        "list the open tasks",
        "which tasks are overdue",
        "what tasks are due this week",
        "list urgent tasks",
        "what is on my to-do list",
        "show tasks assigned to me",
        "list unassigned tasks",
        "which tasks are blocked",
        "show high priority tasks due tomorrow",
        "what tasks did we finish",
        "show the task list",
        "what tasks are in progress",
        "list tasks that are late",
    ),
)
async def list_tasks(context: ToolContext, args: ListTasksArgs) -> ToolResult:
    principal = context.principal
    assignee_id, unassigned = service.resolve_assignee_filter(args.assignee, principal.user_id)
    statuses = tuple(args.status or ()) or ("todo", "in_progress", "blocked")
    filters = TaskFilters(
        statuses=statuses,
        priorities=tuple(args.priority or ()),
        assignee_id=assignee_id,
        unassigned=unassigned,
        due_after=args.due_after,
        due_before=args.due_before,
        text=args.query,
        overdue_at=datetime.now(UTC) if args.overdue else None,
        sort="due_at",
    )
    page = await service.list_tasks(context.session, principal.tenant_id, filters, PageParams(args.limit, 0))
    zone = await _zone(context)
    if not page.items:
        return ToolResult(summary="No tasks match.", data={"total": 0, "tasks": []})
    shown = "; ".join(_line(task, zone) for task in page.items[:SHOWN])
    more = f" and {page.total - min(SHOWN, len(page.items))} more" if page.total > SHOWN else ""
    return ToolResult(
        summary=f"{page.total} task{'s' if page.total != 1 else ''}: {shown}{more}.",
        data={"total": page.total, "tasks": [task.model_dump(mode="json") for task in page.items]},
        sources=[_source(task) for task in page.items],
    )


# -- next_task ---------------------------------------------------------------------------------------


class NoArgs(BaseModel):
    pass


@tool(
    "next_task",
    "Say which single task to work on now: the highest-scoring open task (priority, deadline, what it"
    " unblocks; blocked tasks last) among the caller's and unassigned tasks, and why.",
    permission="ops:read",
    examples=(
        "what should I work on next",
        "what's my next task",
        "what should I do now",
        "which task should I do first",
        "what is the most important thing to do right now",
        "pick the next task for me",
        "what should I focus on",
        "where should I start today",
        "what's the top priority for me now",
        "tell me what to tackle next",
    ),
)
async def next_task(context: ToolContext, args: NoArgs) -> ToolResult:
    principal = context.principal
    snap = await suggestions.snapshot(context.session, principal.tenant_id, datetime.now(UTC))
    mine = [t for t in snap.tasks if t.assignee_id is None or t.assignee_id == principal.user_id]
    ranked = suggestions.ranked(mine, snap)
    if not ranked:
        return ToolResult(summary="There is no open task you can work on right now.", data={"task": None})
    best = ranked[0]
    reasons = "; ".join(best.parts)
    return ToolResult(
        summary=f"Next: “{best.task.title}” (score {best.score}: {reasons}).",
        data={
            "task": (await service.task_view(context.session, best.task)).model_dump(mode="json"),
            "score": best.score,
            "reasons": list(best.parts),
            "runners_up": [{"title": s.task.title, "score": s.score} for s in ranked[1:4]],
        },
        sources=[_source(best.task)],
    )


# -- create_task --------------------------------------------------------------------------------------


class CreateTaskArgs(BaseModel):
    title: str = Field(min_length=1, max_length=300, description="What is to be done, in a few words.")
    assignee: str | None = Field(
        default=None,
        max_length=320,
        description="The member who does it: a name or an e-mail address.",
        json_schema_extra={"x-entity": "member"},
    )
    due_at: datetime | None = Field(default=None, description="When it is due.")
    priority: TaskPriority | None = Field(
        default=None,
        description="low, medium (the default), high or urgent.",
        json_schema_extra={"x-synonyms": {"urgent": ["urgent", "urgently", "asap"]}},
    )
    description: str | None = Field(default=None, max_length=4000, json_schema_extra={"x-slot": "none"})
    estimate_minutes: int | None = Field(
        default=None, ge=1, le=100_000, description="How long it takes.", json_schema_extra={"x-slot": "none"}
    )
    tags: list[str] = Field(default_factory=list, max_length=20)


@tool(
    "create_task",
    "Create a task in Ops Copilot with a title, and optionally an assignee, due date and priority.",
    permission="ops:write",
    writes=True,
    examples=(
        "add a task to call the bank tomorrow",
        "create a task: renew the domain by Friday",
        "remind Sam to send the invoice next Monday",
        "remind me to order packaging on Thursday",
        "new task for Priya: update the price list, high priority",
        "assign the website copy review to Leo, due end of month",
        "add an urgent task to fix the checkout page",
        "create a low priority task to clean up the shared drive",
        "put a to-do on my list to book the van service",
        "make a new task to pay the electricity bill on the 1st",
        "add a to-do for Maria: prepare the wholesale quote",
        "create a task to restock the shelves before the weekend",
    ),
)
async def create_task(context: ToolContext, args: CreateTaskArgs) -> ToolResult:
    principal = context.principal
    assignee_id = await _member_id(context, args.assignee)
    data = TaskCreate(
        title=args.title,
        description=args.description,
        priority=args.priority or "medium",
        due_at=await _due(context, args.due_at),
        estimate_minutes=args.estimate_minutes,
        assignee_id=assignee_id,
        tags=args.tags,
    )
    task = await service.create_task(
        context.session, principal.tenant_id, data, actor_id=principal.user_id, source="ai"
    )
    zone = await _zone(context)
    out = await service.task_view(context.session, task)
    return ToolResult(
        summary=f"Created the task {_line(out, zone)}.",
        data=out.model_dump(mode="json"),
        sources=[_source(task)],
    )


async def _due(context: ToolContext, moment: datetime | None) -> datetime | None:
    """A day without a time ("tomorrow" arrives as its midnight) is due at the end of that working day."""
    if moment is None:
        return None
    zone = await _zone(context)
    local = moment.astimezone(zone)
    if local.time() == time(0, 0):
        return datetime.combine(local.date(), nlp.END_OF_DAY, tzinfo=zone)
    return local


async def _member_id(context: ToolContext, who: str | None) -> uuid.UUID | None:
    if not who:
        return None
    members = await repository.members(context.session, context.principal.tenant_id)
    member, _ = nlp.match_member(who, members)
    if member is None:
        raise ValidationFailed(f"No member of this organization is called {who!r}.", field="assignee")
    return member.user_id


# -- update_task --------------------------------------------------------------------------------------


class UpdateTaskArgs(BaseModel):
    task: str = Field(
        min_length=1, max_length=300, description="The task: its title (or words of it), or its id."
    )
    status: TaskStatus | None = Field(
        default=None, description="The new status.", json_schema_extra={"x-synonyms": STATUS_SYNONYMS}
    )
    priority: TaskPriority | None = Field(
        default=None, description="The new priority.", json_schema_extra={"x-synonyms": PRIORITY_SYNONYMS}
    )
    due_at: datetime | None = Field(default=None, description="The new due date.")
    assignee: str | None = Field(
        default=None,
        max_length=320,
        description="The member who takes it over: a name or an e-mail address.",
        json_schema_extra={"x-entity": "member"},
    )


@tool(
    "update_task",
    "Change an existing Ops Copilot task: mark it done or in progress, change its priority, due date or"
    " assignee.",
    permission="ops:write",
    writes=True,
    examples=(
        "mark the bank call task as done",
        "set the VAT return task to high priority",
        "move the website review task to Friday",
        "change the due date of the packaging order to next Monday",
        "mark the invoice follow-up as in progress",
        "complete the stock count task",
        "set the priority of the newsletter task to urgent",
        "mark the shelf restock as blocked",
        "reschedule the supplier meeting task to tomorrow",
        "change the insurance renewal task to low priority",
        "mark the trade fair task as cancelled",
        "reopen the price list task",
    ),
)
async def update_task(context: ToolContext, args: UpdateTaskArgs) -> ToolResult:
    principal = context.principal
    task = await find_task(context, args.task)
    fields: dict[str, object] = {}
    if args.status is not None:
        fields["status"] = args.status
    if args.priority is not None:
        fields["priority"] = args.priority
    if args.due_at is not None:
        fields["due_at"] = await _due(context, args.due_at)
    if args.assignee:
        fields["assignee_id"] = await _member_id(context, args.assignee)
    if not fields:
        raise ValidationFailed("Say what to change: the status, priority, due date or assignee.")
    updated = await service.update_task(
        context.session,
        principal.tenant_id,
        task.id,
        TaskUpdate.model_validate(fields),
        actor_id=principal.user_id,
    )
    zone = await _zone(context)
    out = await service.task_view(context.session, updated)
    changed = ", ".join(sorted(fields)).replace("_id", "").replace("due_at", "due date")
    return ToolResult(
        summary=f"Updated {changed} of {_line(out, zone)}; it is now {out.status.replace('_', ' ')}.",
        data=out.model_dump(mode="json"),
        sources=[_source(updated)],
    )


_STOP = frozenset(("the", "a", "an", "task", "to", "of", "for", "my", "our", "do", "on", "with", "and"))


async def find_task(context: ToolContext, words: str) -> Task:
    """The task `words` name: an id, an exact title, or the one task whose title holds all the words
    (open tasks preferred). Several matches are a question back, never a guess."""
    tenant_id = context.principal.tenant_id
    try:
        return await service.get_task(context.session, tenant_id, uuid.UUID(words.strip()))
    except ValueError:
        pass
    wanted = [w for w in re.findall(r"[^\W_]+", words.lower()) if w not in _STOP]
    candidates = await TaskRepository(context.session).matching(TaskFilters(sort="updated_at"), FIND_LIMIT)
    exact = [t for t in candidates if t.title.lower().strip() == words.lower().strip()]
    matching = exact or [t for t in candidates if wanted and all(_has_word(t.title, w) for w in wanted)]
    open_ones = [t for t in matching if t.status not in CLOSED_STATUSES]
    chosen = open_ones or matching
    if len(chosen) == 1:
        return chosen[0]
    if not chosen:
        raise ValidationFailed(f"No task matches “{words}”.", field="task")
    titles = ", ".join(f"“{t.title}”" for t in chosen[:5])
    raise ValidationFailed(f"Several tasks match “{words}”: {titles}. Which one?", field="task")


def _has_word(title: str, word: str) -> bool:
    """A word of the request in a title, allowing a plural or verb ending ("calls" for "call")."""
    stem = word[:-1] if len(word) > 4 and word.endswith("s") else word
    return re.search(rf"\b{re.escape(stem)}", title.lower()) is not None
