"""What the AI agent may do with automations: run one (a change: confirmed first) and show the runs
that failed. Listing and creating automations are offered over MCP only (`agent=False`): the in-app
agent's offline engine has no utterance cases for them yet (see binelek.kit.tools)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select

from binelek.audit import service as audit
from binelek.kit.db import utcnow
from binelek.kit.errors import ResourceNotFound, ValidationFailed
from binelek.kit.tools import Source, ToolContext, ToolResult, tool
from binelek.ops.automation import service
from binelek.ops.automation.definitions import ShortAction, ShortAutomation
from binelek.ops.models import Workflow, WorkflowRun

SHOWN = 10
_STOP = frozenset(("the", "a", "an", "workflow", "automation", "run", "now", "start", "trigger", "my", "our"))


class RunWorkflowArgs(BaseModel):
    workflow: str = Field(
        min_length=1,
        max_length=200,
        description="The automation to run: its name (or words of it), or its id.",
    )


class FailedRunsArgs(BaseModel):
    days: int = Field(default=7, ge=1, le=90, description="How many days back to look.")


def _failure_line(name: str, error: dict[str, object]) -> str:
    return f"“{name}” at step {error.get('step') or '?'}: {error.get('message', 'failed')}"


def _run_source(run_id: uuid.UUID, title: str) -> Source:
    return Source(kind="workflow_run", id=str(run_id), title=title[:120], url=f"/ops/runs/{run_id}")


async def find_workflow(context: ToolContext, words: str) -> Workflow:
    """The workflow `words` name: an id, an exact name, or the one whose name holds all the words.
    Several matches are a question back, never a guess."""
    tenant_id = context.principal.tenant_id
    try:
        return await service.get_workflow(context.session, tenant_id, uuid.UUID(words.strip()))
    except ValueError:
        pass
    workflows = (
        (await context.session.execute(select(Workflow).where(Workflow.tenant_id == tenant_id)))
        .scalars()
        .all()
    )
    wanted = [w for w in re.findall(r"[^\W_]+", words.lower()) if w not in _STOP]
    exact = [w for w in workflows if w.name.lower().strip() == words.lower().strip()]
    matching = exact or [w for w in workflows if wanted and all(word in w.name.lower() for word in wanted)]
    if not matching:
        raise ResourceNotFound(f"No automation is called “{words}”.")
    if len(matching) > 1:
        names = ", ".join(f"“{w.name}”" for w in matching[:5])
        raise ValidationFailed(f"Several automations match “{words}”: {names}. Which one?")
    return matching[0]


@tool(
    "run_workflow",
    "Run one of the organization's Ops Copilot automations (workflows) now.",
    permission="ops:write",
    writes=True,
    examples=(
        "run the weekly report workflow",
        "run the invoice reminder automation",
        "start the thank big customers workflow now",
        "trigger the restock automation",
        "run the lead follow-up workflow",
        "execute the month end automation",
        "kick off the onboarding workflow",
        "kick off the payroll automation",
        "execute the packing slip workflow",
        "run automation daily summary",
        "launch the supplier check workflow",
        "start the newsletter automation",
    ),
)
async def run_workflow(context: ToolContext, args: RunWorkflowArgs) -> ToolResult:
    workflow = await find_workflow(context, args.workflow)
    run = await service.run_manually(context.session, context.principal, workflow.id, {}, None)
    await context.session.flush()
    state = {"succeeded": "finished", "failed": "failed", "waiting": "is waiting", "running": "is running"}
    return ToolResult(
        summary=f"Started “{workflow.name}”; the run {state.get(run.status, run.status)}.",
        data={"run_id": str(run.id), "status": run.status, "workflow": workflow.name},
        sources=[_run_source(run.id, workflow.name)],
    )


@tool(
    "failed_runs",
    "Show the Ops Copilot automation runs that failed recently, with the step and the error.",
    permission="ops:read",
    examples=(
        "show failed runs",
        "which automations failed",
        "did any workflow fail this week",
        "list failed automation runs",
        "what went wrong with my automations",
        "show me automation errors",
        "failed workflows in the last 3 days",
        "any broken automations",
        "show runs that failed yesterday",
        "which workflow runs had errors",
    ),
)
async def failed_runs(context: ToolContext, args: FailedRunsArgs) -> ToolResult:
    since = utcnow() - timedelta(days=args.days)
    rows = (
        await context.session.execute(
            select(WorkflowRun, Workflow.name)
            .join(Workflow, Workflow.id == WorkflowRun.workflow_id)
            .where(
                WorkflowRun.tenant_id == context.principal.tenant_id,
                WorkflowRun.status == "failed",
                WorkflowRun.created_at >= since,
            )
            .order_by(WorkflowRun.created_at.desc())
            .limit(SHOWN)
        )
    ).all()
    if not rows:
        return ToolResult(summary=f"No automation run failed in the last {args.days} days.", data=[])
    lines = [_failure_line(name, run.error or {}) for run, name in rows]
    return ToolResult(
        summary=f"{len(rows)} failed run(s) in the last {args.days} days: " + "; ".join(lines[:3]),
        data=[
            {"run_id": str(run.id), "workflow": name, "error": run.error, "at": run.created_at.isoformat()}
            for run, name in rows
        ],
        sources=[_run_source(run.id, name) for run, name in rows],
    )


class NoArgs(BaseModel):
    pass


@tool(
    "list_automations",
    "List the organization's Ops Copilot automations (workflows): trigger, whether active, runs.",
    permission="ops:read",
    agent=False,
)
async def list_automations(context: ToolContext, args: NoArgs) -> ToolResult:
    workflows = await service.list_workflows(context.session, context.state, context.principal.tenant_id)
    rows = [
        {
            "id": str(w.id),
            "name": w.name,
            "description": w.description,
            "active": w.is_active,
            "trigger": w.trigger.get("type"),
            "steps": len(w.steps),
            "last_run_at": w.last_run_at.isoformat() if w.last_run_at else None,
            "runs_succeeded": w.runs_succeeded,
            "runs_failed": w.runs_failed,
        }
        for w in workflows
    ]
    active = sum(1 for row in rows if row["active"])
    return ToolResult(
        summary=f"{len(rows)} automation{'s' if len(rows) != 1 else ''}, {active} active.",
        data=rows,
        sources=[
            Source(kind="workflow", id=str(w.id), title=w.name[:120], url=f"/ops/automations/{w.id}")
            for w in workflows
        ],
    )


class CreateAutomationArgs(ShortAutomation):
    """The short form of POST /api/modules/ops-copilot/automations."""

    name: str = Field(min_length=1, max_length=200, description="The automation's name.")
    trigger: dict[str, Any] = Field(
        description='When it runs, e.g. {"type": "manual"}, {"type": "schedule", "cron": "0 9 * * 1",'
        ' "timezone": "Europe/London"} or {"type": "event", "event": "order.created"}.'
    )
    actions: list[ShortAction] = Field(
        min_length=1,
        max_length=50,
        description='Its steps in order, each {"type": <step type>, ...that step\'s config}, e.g.'
        ' {"type": "create_task", "title": "Call {{ trigger.data.name }}"}.',
    )


@tool(
    "create_automation",
    "Create an Ops Copilot automation from a name, a trigger and a list of actions.",
    permission="ops:write",
    writes=True,
    agent=False,
)
async def create_automation(context: ToolContext, args: CreateAutomationArgs) -> ToolResult:
    workflow = await service.create_automation(context.session, context.state, context.principal, args)
    audit.record_for(
        context.session, context.principal, "ops.workflow.created", context.meta, workflow_id=str(workflow.id)
    )
    state = "active" if workflow.is_active else "inactive"
    return ToolResult(
        summary=f"Created the automation “{workflow.name}” ({state}, {len(workflow.steps)} step(s)).",
        data={"id": str(workflow.id), "name": workflow.name, "active": workflow.is_active},
        sources=[
            Source(
                kind="workflow",
                id=str(workflow.id),
                title=workflow.name[:120],
                url=f"/ops/automations/{workflow.id}",
            )
        ],
    )
