"""Workflows and their runs: saving versions, activation within the plan, manual runs, dry runs,
retry from the failed step, cancel, and approvals."""

from __future__ import annotations

import contextlib
import secrets
import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.auth import Principal
from binelek.kit.db import after_commit, utcnow
from binelek.kit.errors import Conflict, PermissionDenied, ResourceNotFound, ValidationFailed
from binelek.kit.jobs import cancel_workflow
from binelek.kit.state import AppState
from binelek.ops.automation import definitions, runs
from binelek.ops.automation.conditions import matches
from binelek.ops.automation.definitions import (
    EventTrigger,
    ScheduleTrigger,
    ShortAutomation,
    WorkflowDefinition,
)
from binelek.ops.automation.engine import TERMINAL, Interpreter, Runtime
from binelek.ops.automation.schemas import (
    ActivationOut,
    ApprovalOut,
    RunOut,
    RunStepOut,
    RunSummaryOut,
    TestIn,
    TestOut,
    TestStepOut,
    WorkflowIn,
    WorkflowOut,
)
from binelek.ops.automation.steps import StepServices
from binelek.ops.models import Workflow, WorkflowApproval, WorkflowRun, WorkflowRunStep, WorkflowVersion
from binelek.plans import service as plans

EVENTS = [
    "order.created", "payment.received", "invoice.overdue", "customer.created", "task.created",
    "task.completed", "automation.completed", "automation.failed", "connector.sync.completed",
    "connector.error", "price.changed", "price.dropped", "availability.changed", "security.issue.created",
]  # fmt: skip


# -- workflows --------------------------------------------------------------------------------------


async def get_workflow(session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID) -> Workflow:
    workflow = await session.get(Workflow, workflow_id)
    if workflow is None or workflow.tenant_id != tenant_id:
        raise ResourceNotFound("No such workflow.")
    return workflow


def _dump(body: WorkflowIn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    trigger = body.trigger.model_dump(exclude_none=True)
    steps = [step.model_dump(by_alias=True, exclude_none=True, exclude_defaults=False) for step in body.steps]
    return trigger, steps


def _definition(body: WorkflowIn) -> WorkflowDefinition:
    try:
        return WorkflowDefinition.model_validate({"trigger": body.trigger, "steps": body.steps})
    except ValueError as exc:
        raise ValidationFailed(f"The workflow is not valid: {_message(exc)}") from exc


def _message(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return str(first.get("msg", exc)).removeprefix("Value error, ")
    return str(exc)


async def _apply(
    session: AsyncSession, state: AppState, principal: Principal, workflow: Workflow, body: WorkflowIn
) -> str | None:
    """Write `body` as the workflow's next version; returns a new webhook secret when one was made."""
    _definition(body)
    if body.error_workflow_id is not None:
        handler = await get_workflow(session, principal.tenant_id, body.error_workflow_id)
        if handler.id == workflow.id:
            raise ValidationFailed("A workflow cannot be its own error workflow.")
    trigger, steps = _dump(body)
    workflow.name = body.name
    workflow.description = body.description
    workflow.trigger = trigger
    workflow.steps = steps
    workflow.error_workflow_id = body.error_workflow_id
    workflow.trigger_type = trigger["type"]
    workflow.trigger_event = trigger.get("event")
    new_secret = None
    if workflow.trigger_type == "webhook" and workflow.webhook_token is None:
        workflow.webhook_token = secrets.token_urlsafe(24)
        new_secret = secrets.token_urlsafe(32)
        workflow.webhook_secret_encrypted = state.encryptor.encrypt(new_secret)
    session.add(
        WorkflowVersion(
            tenant_id=principal.tenant_id,
            workflow_id=workflow.id,
            version=workflow.version,
            trigger=trigger,
            steps=steps,
            settings={},
            created_by=principal.user_id,
        )
    )
    return new_secret


async def create_workflow(
    session: AsyncSession, state: AppState, principal: Principal, body: WorkflowIn
) -> WorkflowOut:
    workflow = Workflow(
        id=uuid.uuid4(),
        tenant_id=principal.tenant_id,
        version=1,
        created_by=principal.user_id,
        is_active=False,
    )
    session.add(workflow)
    secret = await _apply(session, state, principal, workflow, body)
    if body.is_active:
        await _activate(session, principal, workflow)
    await session.flush()
    return await workflow_out(session, state, workflow, secret=secret)


async def update_workflow(
    session: AsyncSession, state: AppState, principal: Principal, workflow_id: uuid.UUID, body: WorkflowIn
) -> WorkflowOut:
    workflow = await get_workflow(session, principal.tenant_id, workflow_id)
    workflow.version += 1  # runs already started keep executing the version they started with
    secret = await _apply(session, state, principal, workflow, body)
    if body.is_active:
        await _activate(session, principal, workflow)
    else:
        workflow.is_active = False
        workflow.next_fire_at = None
    await session.flush()
    return await workflow_out(session, state, workflow, secret=secret)


async def delete_workflow(session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID) -> None:
    workflow = await get_workflow(session, tenant_id, workflow_id)
    await session.delete(workflow)


async def set_active(
    session: AsyncSession, principal: Principal, workflow_id: uuid.UUID, active: bool
) -> ActivationOut:
    workflow = await get_workflow(session, principal.tenant_id, workflow_id)
    if active:
        await _activate(session, principal, workflow)
    else:
        workflow.is_active = False
        workflow.next_fire_at = None
    await session.flush()
    count = await active_count(session, principal.tenant_id)
    limit = (await plans.tenant_plan(session, principal.tenant_id)).automations
    return ActivationOut(id=workflow.id, is_active=workflow.is_active, active_automations=count, limit=limit)


async def active_count(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Workflow)
            .where(Workflow.tenant_id == tenant_id, Workflow.is_active.is_(True))
        )
        or 0
    )


async def _activate(session: AsyncSession, principal: Principal, workflow: Workflow) -> None:
    from binelek.foundry import service as foundry

    if not workflow.is_active:
        await plans.require_room(session, principal.tenant_id, "automations")
    workflow.is_active = True
    definition = runs.definition_of(workflow.id, workflow.version, workflow.trigger, workflow.steps)
    trigger = definition.trigger
    now = utcnow()
    if isinstance(trigger, ScheduleTrigger):
        zone = trigger.timezone or await foundry.tenant_timezone(session, principal.tenant_id)
        workflow.next_fire_at = definitions.next_fire(trigger.cron, zone, now)
    elif trigger.type == "condition":
        workflow.next_fire_at = now
    else:
        workflow.next_fire_at = None


async def rotate_webhook_secret(
    session: AsyncSession, state: AppState, tenant_id: uuid.UUID, workflow_id: uuid.UUID
) -> WorkflowOut:
    workflow = await get_workflow(session, tenant_id, workflow_id)
    if workflow.trigger_type != "webhook":
        raise Conflict("This workflow has no webhook trigger.")
    secret = secrets.token_urlsafe(32)
    workflow.webhook_secret_encrypted = state.encryptor.encrypt(secret)
    return await workflow_out(session, state, workflow, secret=secret)


async def list_workflows(session: AsyncSession, state: AppState, tenant_id: uuid.UUID) -> list[WorkflowOut]:
    rows = (
        (
            await session.execute(
                select(Workflow).where(Workflow.tenant_id == tenant_id).order_by(Workflow.name)
            )
        )
        .scalars()
        .all()
    )
    counts = await _run_counts(session, tenant_id)
    return [await workflow_out(session, state, row, counts=counts.get(row.id, {})) for row in rows]


async def _run_counts(session: AsyncSession, tenant_id: uuid.UUID) -> dict[uuid.UUID, dict[str, int]]:
    rows = await session.execute(
        select(WorkflowRun.workflow_id, WorkflowRun.status, func.count())
        .where(WorkflowRun.tenant_id == tenant_id)
        .group_by(WorkflowRun.workflow_id, WorkflowRun.status)
    )
    counts: dict[uuid.UUID, dict[str, int]] = {}
    for workflow_id, status, count in rows:
        counts.setdefault(workflow_id, {})[status] = int(count)
    return counts


async def workflow_out(
    session: AsyncSession,
    state: AppState,
    workflow: Workflow,
    *,
    secret: str | None = None,
    counts: dict[str, int] | None = None,
) -> WorkflowOut:
    if counts is None:
        counts = (await _run_counts(session, workflow.tenant_id)).get(workflow.id, {})
    url = (
        f"{state.settings.public_url.rstrip('/')}/api/modules/ops-copilot/hooks/{workflow.webhook_token}"
        if workflow.webhook_token and workflow.trigger_type == "webhook"
        else None
    )
    return WorkflowOut.model_validate(
        {
            **{
                column: getattr(workflow, column)
                for column in WorkflowOut.model_fields
                if hasattr(workflow, column)
            },
            "webhook_url": url,
            "webhook_secret": secret,
            "runs_succeeded": counts.get("succeeded", 0),
            "runs_failed": counts.get("failed", 0),
        }
    )


async def create_automation(
    session: AsyncSession, state: AppState, principal: Principal, short: ShortAutomation
) -> WorkflowOut:
    full = definitions.from_short_form(short)
    try:
        body = WorkflowIn.model_validate(
            {"name": short.name, "description": short.description, "is_active": short.is_active, **full}
        )
    except ValueError as exc:
        raise ValidationFailed(f"The automation is not valid: {_message(exc)}") from exc
    return await create_workflow(session, state, principal, body)


# -- running ----------------------------------------------------------------------------------------


async def run_manually(
    session: AsyncSession, principal: Principal, workflow_id: uuid.UUID, data: dict[str, Any], key: str | None
) -> WorkflowRun:
    workflow = await get_workflow(session, principal.tenant_id, workflow_id)
    idempotency_key = f"manual:{key}" if key else f"manual:{uuid.uuid4()}"
    existing = await session.scalar(
        select(WorkflowRun).where(
            WorkflowRun.workflow_id == workflow.id, WorkflowRun.idempotency_key == idempotency_key
        )
    )
    if existing is not None:
        return existing
    run = runs.new_run(
        workflow, trigger_type="manual", data=data, key=idempotency_key, started_by=principal.user_id
    )
    return await runs.start_run(session, workflow, run)


async def dry_run(
    session: AsyncSession, principal: Principal, workflow_id: uuid.UUID, body: TestIn
) -> TestOut:
    workflow = await get_workflow(session, principal.tenant_id, workflow_id)
    if body.definition is not None:
        definition = _definition(body.definition)
    else:
        definition = runs.definition_of(workflow.id, workflow.version, workflow.trigger, workflow.steps)
    run = runs.new_run(
        workflow, trigger_type="test", data=body.input, key="test", started_by=principal.user_id
    )
    services = StepServices()
    runtime = Runtime(
        session=session,
        tenant_id=principal.tenant_id,
        run=run,
        workflow_name=workflow.name,
        owner=await runs.owner_of(session, workflow, runs.Batch()),
        now=utcnow(),
        services=services,
        dry=True,
    )
    interpreter = Interpreter(runtime, definition, {}, services.executors())
    outcome = await interpreter.run()
    trigger_matches = None
    if isinstance(definition.trigger, EventTrigger):
        trigger = definition.trigger
        trigger_matches = matches(
            trigger.conditions,
            trigger.match,
            {"trigger": body.input, "customer": body.input.get("customer") or {}},
        )
    return TestOut(
        status="failed" if outcome.status == "failed" else "ok",
        trigger_matches=trigger_matches,
        steps=[TestStepOut.model_validate(item) for item in interpreter.trace],
        error=outcome.error,
    )


async def get_run(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID) -> WorkflowRun:
    run = await session.get(WorkflowRun, run_id)
    if run is None or run.tenant_id != tenant_id:
        raise ResourceNotFound("No such run.")
    return run


async def run_detail(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID) -> RunOut:
    run = await get_run(session, tenant_id, run_id)
    steps = (
        (
            await session.execute(
                select(WorkflowRunStep).where(WorkflowRunStep.run_id == run.id).order_by(WorkflowRunStep.seq)
            )
        )
        .scalars()
        .all()
    )
    approvals = (
        (await session.execute(select(WorkflowApproval).where(WorkflowApproval.run_id == run.id)))
        .scalars()
        .all()
    )
    workflow = await session.get(Workflow, run.workflow_id)
    out = RunOut.model_validate(run, from_attributes=True)
    out.workflow_name = workflow.name if workflow else None
    out.steps = [_step_out(step) for step in steps]
    out.approvals = [ApprovalOut.model_validate(a) for a in approvals]
    return out


def _step_out(step: WorkflowRunStep) -> RunStepOut:
    out = RunStepOut.model_validate(step)
    if step.finished_at is not None:
        out.duration_ms = round((step.finished_at - step.started_at).total_seconds() * 1000, 1)
    return out


async def list_runs(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    workflow_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[RunSummaryOut], int]:
    conditions: list[Any] = [WorkflowRun.tenant_id == tenant_id]
    if workflow_id is not None:
        conditions.append(WorkflowRun.workflow_id == workflow_id)
    if status is not None:
        conditions.append(WorkflowRun.status == status)
    total = int(await session.scalar(select(func.count()).select_from(WorkflowRun).where(*conditions)) or 0)
    rows = await session.execute(
        select(WorkflowRun, Workflow.name)
        .join(Workflow, Workflow.id == WorkflowRun.workflow_id)
        .where(*conditions)
        .order_by(WorkflowRun.created_at.desc())
        .limit(limit)
        .offset(offset)
    )
    items = []
    for run, name in rows:
        summary = RunSummaryOut.model_validate(run)
        summary.workflow_name = name
        items.append(summary)
    return items, total


async def retry(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID) -> WorkflowRun:
    """Continue a failed run from its failed step: the steps that succeeded are not repeated."""
    run = await get_run(session, tenant_id, run_id)
    if run.status != "failed":
        raise Conflict(f"Only a failed run can be retried; this one is {run.status}.")
    await session.execute(
        delete(WorkflowRunStep).where(WorkflowRunStep.run_id == run.id, WorkflowRunStep.status == "failed")
    )
    run.attempt += 1
    run.status = "queued"
    run.error = None
    run.finished_at = None
    attempt = run.attempt

    async def hand_over() -> None:
        from binelek.ops.automation import jobs

        await jobs.enqueue(run.id, attempt)

    after_commit(session, hand_over)
    return run


async def cancel(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID) -> WorkflowRun:
    run = await get_run(session, tenant_id, run_id)
    if run.status in TERMINAL:
        raise Conflict(f"The run has already ended ({run.status}).")
    run.status = "cancelled"
    run.finished_at = utcnow()
    run.waiting_for = None
    durable = runs.durable_id(run.id, run.attempt)

    async def stop() -> None:
        with contextlib.suppress(Exception):  # no such workflow yet: the run row says cancelled
            await cancel_workflow(durable)

    after_commit(session, stop)
    return run


async def decide(
    session: AsyncSession,
    principal: Principal,
    run_id: uuid.UUID,
    decision: str,
    comment: str | None,
    path: str | None,
) -> WorkflowRun:
    run = await get_run(session, principal.tenant_id, run_id)
    statement = select(WorkflowApproval).where(
        WorkflowApproval.run_id == run.id, WorkflowApproval.status == "pending"
    )
    if path:
        statement = statement.where(WorkflowApproval.path == path)
    approval = (await session.execute(statement.with_for_update())).scalars().first()
    if approval is None or run.status in TERMINAL:
        raise Conflict("This run is not waiting for an approval.")
    user = principal.user_id
    if user is None:
        raise PermissionDenied("Approvals are decided by people, not API keys.")
    if approval.requested_by == user:
        raise PermissionDenied("You started this run, so you cannot approve it.")
    if approval.approver_ids and str(user) not in approval.approver_ids:
        raise PermissionDenied("You are not one of this step's approvers.")
    if not approval.approver_ids and principal.role != "admin":
        raise PermissionDenied("Only an admin can decide this approval.")
    if any(d.get("user_id") == str(user) for d in approval.decisions):
        raise Conflict("You have already decided.")
    approval.decisions = [
        *approval.decisions,
        {"user_id": str(user), "decision": decision, "comment": comment, "at": utcnow().isoformat()},
    ]
    approvals = sum(1 for d in approval.decisions if d["decision"] == "approve")
    if decision == "reject":
        approval.status = "rejected"
    elif approvals >= approval.required:
        approval.status = "approved"
    if approval.status != "pending":
        approval.decided_at = utcnow()
        run_key, attempt = run.id, run.attempt

        async def wake() -> None:
            from binelek.ops.automation import jobs

            await jobs.wake(run_key, attempt)

        after_commit(session, wake)
    return run
