"""Suggestions for the task list: proposals a person accepts or dismisses, never applied on their own.

The local engine is a set of plain rules, each saying in words and numbers why it fired:
- priority: raise a task that is due within 24 hours, that two or more open tasks wait for, that has
  been open and untouched for 14 days or more (one step), or that is about a customer in the top 10 %
  by lifetime revenue (the `customer_id` in the task's `related`);
- due date: a high or urgent task without one gets the end of a working day ahead (urgent: the next
  working day; high: three working days; more when its estimate needs more working days);
- subtasks: a task estimated over four hours, or titled "prepare/organise/launch/plan/hire/… X",
  gets a fixed list of steps for that verb (or working sessions of at most two hours);
- next action: the one open task to do now, by score = priority weight + deadline pressure +
  10 per open task waiting for it - 100 when it waits for an open task itself;
- automation: three or more tasks made by hand in the last 30 days whose titles start alike ("Follow up
  with …") become a proposed workflow (a `create_task` step on `customer.created`, or on a schedule),
  which accepting hands to the builder; nothing is created here.

Every proposal has a fingerprint (kind, task and what it proposes): a dismissed or accepted one is never
proposed again, and an open one that no longer holds is withdrawn when suggestions are computed again.
"""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from binelek.foundry import service as foundry
from binelek.kit.db import utcnow
from binelek.kit.errors import Conflict, ValidationFailed
from binelek.kit.pagination import Page, PageParams, page_of
from binelek.ops import repository, service
from binelek.ops.models import Task, TaskSuggestion
from binelek.ops.repository import (
    CLOSED_STATUSES,
    PRIORITY_RANK,
    CustomerValue,
    SuggestionRepository,
    TaskRepository,
)
from binelek.ops.schemas import SuggestionDecisionOut, SuggestionOut, TaskCreate, TaskUpdate

PRIORITIES = ("low", "medium", "high", "urgent")
TASK_KINDS = ("priority", "due_date", "subtasks")
ALL_KINDS = (*TASK_KINDS, "next_action", "automation")
OPEN_TASKS_READ = 2000  # the rules look at this many open tasks, the oldest first
DUE_SOON = timedelta(hours=24)
STALE_AFTER = timedelta(days=14)
TOP_SHARE = 0.10
LONG_TASK_MINUTES = 240
SESSION_MINUTES = 120
WORKDAY_END = time(17, 0)
WORKDAY_MINUTES = 8 * 60
PATTERN_WINDOW = timedelta(days=30)
PATTERN_MIN_TASKS = 3
PRIORITY_POINTS = {"low": 10, "medium": 20, "high": 30, "urgent": 40}
UNBLOCK_POINTS, UNBLOCK_CAP, BLOCKED_POINTS, STARTED_POINTS = 10, 30, -100, 5

# The steps of common kinds of work, by the verb a title starts with ("{x}" is the rest of the title).
VERB_STEPS: dict[str, tuple[str, ...]] = {
    "prepare": ("Gather what {x} needs", "Draft {x}", "Review {x}", "Finalise {x}"),
    "organise": (
        "Set the date, budget and guest list for {x}",
        "Book the venue and suppliers for {x}",
        "Send the invitations for {x}",
        "Confirm the details of {x} the day before",
    ),
    "launch": (
        "Define the goal and how to measure {x}",
        "Make the launch checklist for {x}",
        "Write the announcement of {x}",
        "Launch {x}",
        "Review the results of {x} a week later",
    ),
    "plan": (
        "List the goals and constraints of {x}",
        "Draft the plan for {x}",
        "Review the plan for {x} with the team",
        "Share the final plan for {x}",
    ),
    "hire": (
        "Write the job description for {x}",
        "Post the job for {x}",
        "Screen the applicants for {x}",
        "Interview the shortlist for {x}",
        "Make an offer for {x}",
    ),
    "onboard": (
        "Prepare accounts and equipment for {x}",
        "Plan the first week of {x}",
        "Introduce {x} to the team",
        "Check in with {x} after 30 days",
    ),
    "migrate": (
        "List what moves in {x}",
        "Test {x} on a copy",
        "Run {x}",
        "Check everything arrived after {x}",
    ),
    "write": ("Outline {x}", "Write the first draft of {x}", "Edit {x}", "Publish {x}"),
    "run": ("Prepare {x}", "Run {x}", "Follow up after {x}"),
}
VERB_ALIASES = {
    "organize": "organise",
    "arrange": "organise",
    "host": "organise",
    "set up": "organise",
    "release": "launch",
    "recruit": "hire",
    "move": "migrate",
    "draft": "write",
}


@dataclass(frozen=True)
class Proposal:
    kind: str
    fingerprint: str
    title: str
    reason: str
    payload: dict[str, Any]
    task_id: uuid.UUID | None = None


@dataclass
class Snapshot:
    """What the rules read: the tenant's open tasks and how they depend on each other."""

    now: datetime
    zone: ZoneInfo
    tasks: list[Task]
    blockers: dict[uuid.UUID, set[uuid.UUID]]  # task -> the tasks it waits for
    dependents: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)  # task -> who waits for it
    customers: dict[uuid.UUID, CustomerValue] = field(default_factory=dict)
    with_subtasks: set[uuid.UUID] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.by_id = {task.id: task for task in self.tasks}
        for task_id, blocker_ids in self.blockers.items():
            for blocker in blocker_ids:
                self.dependents.setdefault(blocker, []).append(task_id)

    def open_dependents(self, task_id: uuid.UUID) -> list[Task]:
        return [self.by_id[t] for t in self.dependents.get(task_id, []) if t in self.by_id]

    def open_blockers(self, task_id: uuid.UUID) -> list[Task]:
        return [self.by_id[t] for t in self.blockers.get(task_id, set()) if t in self.by_id]


async def snapshot(session: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> Snapshot:
    repo = TaskRepository(session)
    tasks = await repo.open_tasks(OPEN_TASKS_READ)
    pairs = await repo.dependencies()
    blockers: dict[uuid.UUID, set[uuid.UUID]] = {}
    for task_id, blocked_by in pairs:
        blockers.setdefault(task_id, set()).add(blocked_by)
    customer_ids = {customer for task in tasks if (customer := _customer_id(task)) is not None}
    customers = await repository.customer_values(session, tenant_id, customer_ids)
    facts = await repo.facts([task.id for task in tasks])
    zone = ZoneInfo(await foundry.tenant_timezone(session, tenant_id))
    snap = Snapshot(now, zone, tasks, blockers, customers=customers)
    snap.with_subtasks = {task_id for task_id, fact in facts.items() if fact.subtasks_total}
    return snap


# -- the rules -------------------------------------------------------------------------------------


def task_proposals(task: Task, snap: Snapshot) -> list[Proposal]:
    found = [priority_proposal(task, snap), due_date_proposal(task, snap), subtask_proposal(task, snap)]
    return [proposal for proposal in found if proposal is not None]


def priority_proposal(task: Task, snap: Snapshot) -> Proposal | None:
    rank = PRIORITY_RANK[task.priority]
    high = PRIORITY_RANK["high"]
    target, reasons = rank, []
    if task.due_at is not None and task.due_at - snap.now <= DUE_SOON and rank < high:
        target = max(target, high)
        reasons.append(_due_phrase(task.due_at, snap.now))
    waiting = snap.open_dependents(task.id)
    if len(waiting) >= 2 and rank < high:
        target = max(target, high)
        names = ", ".join(f"“{t.title}”" for t in waiting[:3]) + (" …" if len(waiting) > 3 else "")
        reasons.append(f"{len(waiting)} open tasks wait for it ({names})")
    idle = snap.now - task.updated_at
    if idle >= STALE_AFTER and rank < PRIORITY_RANK["urgent"]:
        target = max(target, rank + 1)
        reasons.append(f"it has been open for {idle.days} days without a change")
    customer_id = _customer_id(task)
    value = snap.customers.get(customer_id) if customer_id is not None else None
    if value is not None and value.rank <= math.ceil(value.customers * TOP_SHARE) and rank < high:
        target = max(target, high)
        reasons.append(
            f"it is about {value.name}, a top 10 % customer by lifetime revenue "
            f"({_money(value)} from {value.orders} order{'s' if value.orders != 1 else ''}; "
            f"number {value.rank} of {value.customers})"
        )
    if target <= rank:
        return None
    proposed = PRIORITIES[target - 1]
    return Proposal(
        kind="priority",
        fingerprint=f"priority:{task.id}:{proposed}",
        title=f"Raise “{task.title}” to {proposed} priority",
        reason=f"It is {task.priority} priority, but {_join(reasons)}.",
        payload={"priority": proposed},
        task_id=task.id,
    )


def due_date_proposal(task: Task, snap: Snapshot) -> Proposal | None:
    if task.due_at is not None or task.priority not in ("high", "urgent"):
        return None
    policy_days = 1 if task.priority == "urgent" else 3
    needed_days = math.ceil((task.estimate_minutes or 0) / WORKDAY_MINUTES)
    days = max(policy_days, needed_days)
    local_today = snap.now.astimezone(snap.zone).date()
    due_day = _working_days_after(local_today, days)
    due = datetime.combine(due_day, WORKDAY_END, tzinfo=snap.zone)
    why = f"{task.priority.capitalize()} tasks without a due date are easy to lose"
    if needed_days > policy_days:
        why += f"; its estimate of {_duration(task.estimate_minutes or 0)} needs {needed_days} working days"
    return Proposal(
        kind="due_date",
        fingerprint=f"due_date:{task.id}",
        title=f"Give “{task.title}” a due date: {due:%a %d %b} {due:%H:%M}",
        reason=f"{why}. {days} working day{'s' if days != 1 else ''} from today is {due:%A %d %B}, "
        f"end of day ({WORKDAY_END:%H:%M} {snap.zone.key}).",
        payload={"due_at": due.isoformat()},
        task_id=task.id,
    )


def subtask_proposal(task: Task, snap: Snapshot) -> Proposal | None:
    if task.id in snap.with_subtasks or task.parent_id is not None:
        return None
    steps = verb_steps(task.title)
    estimate = task.estimate_minutes or 0
    if steps is not None:
        verb, titles = steps
        why = f"“{verb}” work usually has the same steps"
    elif estimate > LONG_TASK_MINUTES:
        sessions = math.ceil(estimate / SESSION_MINUTES)
        titles = [f"{task.title} — part {n} of {sessions}" for n in range(1, sessions + 1)]
        why = f"Its estimate of {_duration(estimate)} is more than {LONG_TASK_MINUTES // 60} hours"
    else:
        return None
    share = _round_to_five(estimate / len(titles)) if estimate else None
    if steps is None and estimate:
        share = min(SESSION_MINUTES, _round_to_five(estimate / len(titles)))
    subtasks = [{"title": title[:300], "estimate_minutes": share} for title in titles]
    suffix = f", about {_duration(share)} each" if share else ""
    return Proposal(
        kind="subtasks",
        fingerprint=f"subtasks:{task.id}",
        title=f"Break “{task.title}” into {len(subtasks)} subtasks",
        reason=f"{why}: {len(subtasks)} smaller tasks{suffix} are easier to plan and to finish.",
        payload={"subtasks": subtasks},
        task_id=task.id,
    )


def verb_steps(title: str) -> tuple[str, list[str]] | None:
    words = title.strip().split()
    if len(words) < 2:
        return None
    first, second = words[0].lower().strip(".,:"), " ".join(words[:2]).lower()
    verb = VERB_ALIASES.get(second) or VERB_ALIASES.get(first) or first
    rest_from = 2 if second in VERB_ALIASES else 1
    steps = VERB_STEPS.get(verb)
    rest = " ".join(words[rest_from:]).strip()
    if steps is None or not rest:
        return None
    return words[0] if rest_from == 1 else " ".join(words[:2]), [step.format(x=rest) for step in steps]


@dataclass(frozen=True)
class Scored:
    task: Task
    score: int
    parts: tuple[str, ...]


def score(task: Task, snap: Snapshot) -> Scored:
    """Priority weight + deadline pressure + what it unblocks - being blocked, with the reasons."""
    parts: list[str] = [f"{task.priority} priority (+{PRIORITY_POINTS[task.priority]})"]
    total = PRIORITY_POINTS[task.priority]
    pressure = _pressure(task, snap.now)
    if pressure:
        total += pressure
        parts.append(f"{_due_phrase(task.due_at, snap.now)} (+{pressure})")  # type: ignore[arg-type]
    waiting = len(snap.open_dependents(task.id))
    if waiting:
        points = min(UNBLOCK_CAP, UNBLOCK_POINTS * waiting)
        total += points
        plural = waiting != 1
        parts.append(
            f"{waiting} open task{'s' if plural else ''} wait{'' if plural else 's'} for it (+{points})"
        )
    if snap.open_blockers(task.id):
        total += BLOCKED_POINTS
        parts.append(f"it waits for an open task ({BLOCKED_POINTS})")
    if task.status == "in_progress":
        total += STARTED_POINTS
        parts.append(f"already started (+{STARTED_POINTS})")
    return Scored(task, total, tuple(parts))


def _pressure(task: Task, now: datetime) -> int:
    if task.due_at is None:
        return 0
    left = task.due_at - now
    if left < timedelta(0):
        return 30
    if left <= DUE_SOON:
        return 25
    if left <= timedelta(days=3):
        return 15
    if left <= timedelta(days=7):
        return 8
    return 0


def ranked(tasks: Iterable[Task], snap: Snapshot) -> list[Scored]:
    """Workable tasks (not blocked, not waiting), best first; ties go to the earlier deadline."""
    far = datetime.max.replace(tzinfo=snap.now.tzinfo)
    scored = [score(task, snap) for task in tasks if task.status in ("todo", "in_progress")]
    scored = [item for item in scored if item.score > 0]
    return sorted(scored, key=lambda s: (-s.score, s.task.due_at or far, s.task.created_at, str(s.task.id)))


def next_action_proposal(snap: Snapshot, refused: set[str]) -> Proposal | None:
    """The best task to do now whose proposal was not refused today."""
    day = snap.now.astimezone(snap.zone).date().isoformat()
    candidates = ranked(snap.tasks, snap)
    for best in candidates:
        fingerprint = f"next_action:{best.task.id}:{day}"
        if fingerprint in refused:
            continue
        return Proposal(
            kind="next_action",
            fingerprint=fingerprint,
            title=f"Do next: {best.task.title}",
            reason=f"Highest score ({best.score}) of {len(candidates)} open task"
            f"{'s' if len(candidates) != 1 else ''} you can work on: {_join(list(best.parts))}.",
            payload={"task_id": str(best.task.id), "status": "in_progress", "score": best.score},
            task_id=best.task.id,
        )
    return None


# -- repeated manual work --------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?", re.UNICODE)
_FILLER = frozenset(("a", "an", "the", "to", "for", "of", "with", "and", "or", "on", "in", "at", "by", "up"))


def automation_proposals(manual: Sequence[Task], zone: ZoneInfo) -> list[Proposal]:
    """Groups of at least three hand-made tasks whose titles start with the same words."""
    groups: dict[tuple[str, ...], list[Task]] = {}
    for task in manual:
        words = tuple(w.lower() for w in _WORD.findall(task.title))
        for size in range(min(4, len(words)), 1, -1):
            groups.setdefault(words[:size], []).append(task)
    proposals: list[Proposal] = []
    used: set[uuid.UUID] = set()
    # Longest shared start first, so "follow up with" wins over "follow up".
    for prefix, tasks in sorted(groups.items(), key=lambda item: (-len(item[0]), -len(item[1]), item[0])):
        fresh = [task for task in tasks if task.id not in used]
        if len(fresh) < PATTERN_MIN_TASKS or all(word in _FILLER for word in prefix):
            continue
        used.update(task.id for task in fresh)
        proposals.append(_automation(prefix, fresh, zone))
    return proposals


def _automation(prefix: tuple[str, ...], tasks: list[Task], zone: ZoneInfo) -> Proposal:
    sample = tasks[0].title
    words = _WORD.findall(sample)
    shown = " ".join(words[: len(prefix)])
    identical = all(len(_WORD.findall(task.title)) == len(prefix) for task in tasks)
    tails = [" ".join(_WORD.findall(task.title)[len(prefix) :]) for task in tasks]
    about_people = not identical and (
        any(_customer_id(task) for task in tasks) or all(tail[:1].isupper() for tail in tails if tail)
    )
    priority = Counter(task.priority for task in tasks).most_common(1)[0][0]
    if about_people:
        trigger: dict[str, Any] = {"type": "event", "event": "customer.created"}
        title = f"{shown} {{{{ trigger.name }}}}"
        when = "when a new customer arrives"
    else:
        weekdays = Counter(task.created_at.astimezone(zone).weekday() for task in tasks)
        weekday, times = weekdays.most_common(1)[0]
        if times == len(tasks):
            cron, when = f"0 9 * * {(weekday + 1) % 7}", f"every {_WEEKDAY_NAMES[weekday]} at 09:00"
        else:
            cron, when = "0 9 * * 1-5", "every working day at 09:00"
        trigger = {"type": "schedule", "cron": cron, "timezone": zone.key}
        title = sample if identical else shown
    examples = ", ".join(f"“{task.title}”" for task in tasks[:3]) + (" …" if len(tasks) > 3 else "")
    pattern = f"{shown} …" if not identical else shown
    workflow = {
        "name": f"Create “{pattern}” tasks automatically",
        "description": f"Proposed from {len(tasks)} tasks made by hand in the last 30 days.",
        "trigger": trigger,
        "steps": [
            {"id": "create_task", "type": "create_task", "config": {"title": title, "priority": priority}}
        ],
    }
    digest = hashlib.sha256(" ".join(prefix).encode()).hexdigest()[:40]
    return Proposal(
        kind="automation",
        fingerprint=f"automation:{digest}",
        title=f"Automate “{pattern}” tasks",
        reason=f"You made {len(tasks)} tasks starting with “{shown}” by hand in the last 30 days "
        f"({examples}). An automation could create them {when}.",
        payload={"workflow": workflow},
    )


_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# -- computing and storing -------------------------------------------------------------------------


async def compute(
    session: AsyncSession, tenant_id: uuid.UUID, *, now: datetime, task_id: uuid.UUID | None = None
) -> None:
    """Store fresh proposals (for the whole organization, or one task), withdraw open ones that no
    longer hold; dismissed and accepted ones are never proposed again."""
    snap = await snapshot(session, tenant_id, now)
    suggestions = SuggestionRepository(session)
    if task_id is not None:
        task = await service.get_task(session, tenant_id, task_id)
        closed = task.status in CLOSED_STATUSES
        fresh = [] if closed else task_proposals(task, snap)
        # A finished task needs nothing: every open proposal about it goes, "do next" included.
        kinds: tuple[str, ...] = ALL_KINDS if closed else TASK_KINDS
    else:
        fresh = [proposal for task in snap.tasks for proposal in task_proposals(task, snap)]
        refused = {
            s.fingerprint
            for s in (await suggestions.by_fingerprint(_next_action_fingerprints(snap))).values()
            if s.status != "open"
        }
        best = next_action_proposal(snap, refused)
        fresh += [best] if best else []
        manual = await TaskRepository(session).manual_since(now - PATTERN_WINDOW, OPEN_TASKS_READ)
        fresh += automation_proposals(manual, snap.zone)
        kinds = ALL_KINDS
    await _store(suggestions, fresh, task_id, kinds)


def _next_action_fingerprints(snap: Snapshot) -> list[str]:
    day = snap.now.astimezone(snap.zone).date().isoformat()
    return [f"next_action:{task.id}:{day}" for task in snap.tasks]


async def _store(
    suggestions: SuggestionRepository, fresh: list[Proposal], task_id: uuid.UUID | None, kinds: Sequence[str]
) -> None:
    by_fingerprint = {proposal.fingerprint: proposal for proposal in fresh}
    existing = await suggestions.by_fingerprint(list(by_fingerprint))
    for fingerprint, stored in existing.items():
        if stored.status == "open":  # the numbers in the reason move with the data
            proposal = by_fingerprint[fingerprint]
            stored.title, stored.reason, stored.payload = proposal.title, proposal.reason, proposal.payload
    await suggestions.insert_new(
        [
            {
                "task_id": p.task_id,
                "kind": p.kind,
                "fingerprint": p.fingerprint,
                "title": p.title[:300],
                "reason": p.reason[:2000],
                "payload": p.payload,
                "engine": "heuristic",
                "status": "open",
                "created_at": utcnow(),
            }
            for p in fresh
            if p.fingerprint not in existing
        ]
    )
    stale = [
        s.id
        for s in await suggestions.open_in_scope(task_id, kinds)
        if s.fingerprint not in by_fingerprint and s.engine == "heuristic"
    ]
    await suggestions.remove(stale)


async def open_suggestions(
    session: AsyncSession, params: PageParams, *, task_id: uuid.UUID | None = None, kind: str | None = None
) -> Page[SuggestionOut]:
    suggestions = SuggestionRepository(session)
    rows, total = await suggestions.page(suggestions.open_statement(task_id, kind), params)
    return page_of(SuggestionOut, rows, total, params)


# -- deciding --------------------------------------------------------------------------------------


async def accept(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    suggestion_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None,
    now: datetime,
) -> SuggestionDecisionOut:
    suggestion = await _open(session, suggestion_id)
    outcome = SuggestionDecisionOut(suggestion=SuggestionOut.model_validate(suggestion))
    payload = dict(suggestion.payload or {})
    task_id = suggestion.task_id
    if suggestion.kind == "automation":
        outcome.workflow = payload.get("workflow")
    elif task_id is None:
        raise ValidationFailed("The suggestion is not about a task.")
    elif suggestion.kind == "priority":
        await service.update_task(
            session, tenant_id, task_id, TaskUpdate(priority=payload["priority"]), actor_id=user_id
        )
    elif suggestion.kind == "due_date":
        await service.update_task(
            session, tenant_id, task_id, TaskUpdate(due_at=payload["due_at"]), actor_id=user_id
        )
    elif suggestion.kind == "subtasks":
        for item in payload.get("subtasks", []):
            data = TaskCreate(
                title=item["title"], estimate_minutes=item.get("estimate_minutes"), parent_id=task_id
            )
            created = await service.create_task(session, tenant_id, data, actor_id=user_id, source="ai")
            outcome.created_task_ids.append(created.id)
    elif suggestion.kind == "next_action":
        task = await service.get_task(session, tenant_id, task_id)
        if task.status == "todo":
            await service.update_task(
                session, tenant_id, task_id, TaskUpdate(status="in_progress"), actor_id=user_id
            )
    if task_id is not None:
        outcome.task = await service.task_view(session, await service.get_task(session, tenant_id, task_id))
    _decide(suggestion, "accepted", user_id, now)
    outcome.suggestion = SuggestionOut.model_validate(suggestion)
    return outcome


async def dismiss(
    session: AsyncSession, suggestion_id: uuid.UUID, *, user_id: uuid.UUID | None, now: datetime
) -> SuggestionOut:
    suggestion = await _open(session, suggestion_id)
    _decide(suggestion, "dismissed", user_id, now)
    return SuggestionOut.model_validate(suggestion)


async def _open(session: AsyncSession, suggestion_id: uuid.UUID) -> TaskSuggestion:
    suggestion = await SuggestionRepository(session).get_or_404(suggestion_id)
    if suggestion.status != "open":
        raise Conflict(f"The suggestion was already {suggestion.status}.")
    return suggestion


def _decide(suggestion: TaskSuggestion, status: str, user_id: uuid.UUID | None, now: datetime) -> None:
    suggestion.status = status
    suggestion.decided_at = now
    suggestion.decided_by = user_id


# -- wording ---------------------------------------------------------------------------------------


def _customer_id(task: Task) -> uuid.UUID | None:
    raw = (task.related or {}).get("customer_id")
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None


def _due_phrase(due: datetime, now: datetime) -> str:
    hours = (due - now).total_seconds() / 3600
    if hours < 0:
        return f"it was due {_hours(-hours)} ago"
    return f"it is due in {_hours(hours)}"


def _hours(hours: float) -> str:
    if hours < 1:
        minutes = max(1, round(hours * 60))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    whole = round(hours)
    if whole >= 48:
        return f"{whole // 24} days"
    return f"{whole} hour{'s' if whole != 1 else ''}"


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def _round_to_five(minutes: float) -> int:
    return max(5, int(5 * round(minutes / 5)))


def _money(value: CustomerValue) -> str:
    amount = f"{value.revenue:,.2f}"
    return f"{amount} {value.currency}" if value.currency else amount


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _working_days_after(day: date, days: int) -> date:
    current = day
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current
