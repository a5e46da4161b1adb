"""Starting and advancing runs.

`start_run` inserts a run and advances it at once in the caller's transaction: a run of pure steps is
finished when that transaction commits. A run that stops at an external step or a wait is handed,
after commit, to its durable workflow (`jobs.execute_run`, id `wfrun-<run>-<attempt>`), which calls
`advance_run` again each time the effect is done, the delay is over or someone decided.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.identity.models import Membership, User
from binelek.kit import outbox
from binelek.kit.db import after_commit, utcnow
from binelek.notifications import service as notifications
from binelek.ops.automation.definitions import WorkflowDefinition
from binelek.ops.automation.engine import TERMINAL, Interpreter, Outcome, Runtime, finish, load_journal
from binelek.ops.automation.steps import StepServices
from binelek.ops.models import Workflow, WorkflowRun, WorkflowVersion

log = structlog.get_logger(__name__)
MAX_DEPTH = 5  # sub-workflows and error workflows started from runs, nested


def durable_id(run_id: uuid.UUID | str, attempt: int) -> str:
    return f"wfrun-{run_id}-{attempt}"


@lru_cache(maxsize=2048)
def _parsed(workflow_id: uuid.UUID, version: int, body: str) -> WorkflowDefinition:
    import json

    return WorkflowDefinition.model_validate(json.loads(body))


def definition_of(
    workflow_id: uuid.UUID, version: int, trigger: dict[str, Any], steps: list[dict[str, Any]]
) -> WorkflowDefinition:
    """Parsed once per version and process: a version never changes, and validating it (templates
    included) costs more than running it."""
    import json

    return _parsed(workflow_id, version, json.dumps({"trigger": trigger, "steps": steps}, sort_keys=True))


@dataclass
class Batch:
    """Facts shared by the runs started in one transaction: owners and members are read once."""

    services: StepServices = field(default_factory=lambda: StepServices(start_child_run=start_child))
    owners: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    to_enqueue: list[tuple[uuid.UUID, int]] = field(default_factory=list)
    to_wake: list[tuple[uuid.UUID, int]] = field(default_factory=list)


async def owner_of(session: AsyncSession, workflow: Workflow, batch: Batch) -> dict[str, Any]:
    if workflow.id not in batch.owners:
        statement = select(User.id, User.email, User.full_name).join(
            Membership, Membership.user_id == User.id
        )
        statement = statement.where(Membership.tenant_id == workflow.tenant_id)
        if workflow.created_by is not None:
            statement = statement.where(User.id == workflow.created_by)
        else:
            statement = statement.where(Membership.role == "admin").order_by(Membership.created_at)
        row = (await session.execute(statement.limit(1))).first()
        batch.owners[workflow.id] = (
            {"id": str(row.id), "email": row.email, "name": row.full_name}
            if row
            else {"id": None, "email": None, "name": None}
        )
    return batch.owners[workflow.id]


def new_run(
    workflow: Workflow,
    *,
    trigger_type: str,
    data: dict[str, Any],
    key: str,
    started_by: uuid.UUID | None = None,
    parent_run_id: uuid.UUID | None = None,
) -> WorkflowRun:
    return WorkflowRun(
        id=uuid.uuid4(),
        tenant_id=workflow.tenant_id,
        workflow_id=workflow.id,
        version=workflow.version,
        status="queued",
        trigger_type=trigger_type,
        trigger_data=data,
        idempotency_key=key[:200],
        started_by=started_by,
        parent_run_id=parent_run_id,
        attempt=1,
        context={},
        cursor={},
        created_at=utcnow(),
    )


async def start_run(
    session: AsyncSession, workflow: Workflow, run: WorkflowRun, batch: Batch | None = None
) -> WorkflowRun:
    """Add `run` and advance it in this transaction; hand it to its durable workflow after commit when
    it stopped at an effect or a wait."""
    own_batch = batch is None
    batch = batch or Batch()
    session.add(run)
    definition = definition_of(workflow.id, workflow.version, workflow.trigger, workflow.steps)
    await _advance(session, workflow, run, definition, batch, journal={})
    workflow.last_run_at = run.created_at
    if own_batch:
        schedule_after_commit(session, batch)
    return run


def schedule_after_commit(session: AsyncSession, batch: Batch) -> None:
    if not batch.to_enqueue and not batch.to_wake:
        return
    enqueue, wake = list(batch.to_enqueue), list(batch.to_wake)

    async def hand_over() -> None:
        from binelek.ops.automation import jobs

        for run_id, attempt in enqueue:
            await jobs.enqueue(run_id, attempt)
        for run_id, attempt in wake:
            await jobs.wake(run_id, attempt)

    after_commit(session, hand_over)


async def _advance(
    session: AsyncSession,
    workflow: Workflow,
    run: WorkflowRun,
    definition: WorkflowDefinition,
    batch: Batch,
    *,
    journal: dict[str, Any],
    effect_result: dict[str, Any] | None = None,
    woken: bool = False,
) -> Outcome:
    now = utcnow()
    if run.started_at is None:
        run.started_at = now
    runtime = Runtime(
        session=session,
        tenant_id=run.tenant_id,
        run=run,
        workflow_name=workflow.name,
        owner=await owner_of(session, workflow, batch),
        now=now,
        services=batch.services,
    )
    interpreter = Interpreter(
        runtime, definition, journal, batch.services.executors(), effect_result=effect_result, woken=woken
    )
    outcome = await interpreter.run()
    finish(run, outcome, now)
    if outcome.status == "suspended":
        batch.to_enqueue.append((run.id, run.attempt))
    else:
        await _on_finished(session, workflow, run, batch)
    return outcome


async def advance_run(
    session: AsyncSession, run: WorkflowRun, *, effect_result: dict[str, Any] | None, woken: bool
) -> Outcome:
    """The durable workflow's step: continue `run` from its journal. Its caller commits."""
    workflow = await session.get(Workflow, run.workflow_id)
    assert workflow is not None
    snapshot = (
        await session.execute(
            select(WorkflowVersion).where(
                WorkflowVersion.workflow_id == run.workflow_id, WorkflowVersion.version == run.version
            )
        )
    ).scalar_one()
    definition = definition_of(workflow.id, snapshot.version, snapshot.trigger, snapshot.steps)
    batch = Batch()
    journal = await load_journal(session, run.id)
    outcome = await _advance(
        session, workflow, run, definition, batch, journal=journal, effect_result=effect_result, woken=woken
    )
    batch.to_enqueue.clear()  # the durable workflow calling us carries on by itself
    schedule_after_commit(session, batch)
    return outcome


async def _on_finished(session: AsyncSession, workflow: Workflow, run: WorkflowRun, batch: Batch) -> None:
    succeeded = run.status == "succeeded"
    payload: dict[str, Any] = {
        "workflow_id": str(workflow.id),
        "workflow_name": workflow.name,
        "run_id": str(run.id),
        "status": run.status,
        "trigger_type": run.trigger_type,
    }
    if not succeeded:
        payload["error"] = run.error
    outbox.emit(session, "automation.completed" if succeeded else "automation.failed", payload, run.tenant_id)
    if run.parent_run_id is not None:
        parent = await session.get(WorkflowRun, run.parent_run_id)
        if parent is not None and parent.status not in TERMINAL:
            batch.to_wake.append((parent.id, parent.attempt))
    if run.status in ("failed",):
        await _alert_failure(session, workflow, run, batch)


async def _alert_failure(session: AsyncSession, workflow: Workflow, run: WorkflowRun, batch: Batch) -> None:
    owner = await owner_of(session, workflow, batch)
    recipients = [uuid.UUID(owner["id"])] if owner.get("id") else []
    message = (run.error or {}).get("message", "failed")
    await notifications.notify(
        session,
        run.tenant_id,
        recipients,
        kind="automation",
        title=f"Automation failed: {workflow.name}",
        body=str(message)[:1000],
        link=f"/ops/runs/{run.id}",
        data={"workflow_id": str(workflow.id), "run_id": str(run.id)},
    )
    if workflow.error_workflow_id is None or run.trigger_type == "error":
        return
    handler = await session.get(Workflow, workflow.error_workflow_id)
    if handler is None or not handler.is_active:
        return
    data = {
        "workflow": {"id": str(workflow.id), "name": workflow.name},
        "run_id": str(run.id),
        "error": run.error,
        "trigger": run.trigger_data,
    }
    error_run = new_run(handler, trigger_type="error", data=data, key=f"error:{run.id}:{run.attempt}")
    await start_run(session, handler, error_run, batch)


async def start_child(runtime: Runtime, rendered: dict[str, Any], path: str) -> WorkflowRun:
    from binelek.ops.automation.engine import StepFailed

    depth = int((runtime.run.trigger_data or {}).get("_depth", 0)) + 1
    if depth > MAX_DEPTH:
        raise StepFailed(f"sub-workflows nest at most {MAX_DEPTH} deep", code="TOO_DEEP")
    try:
        child_workflow_id = uuid.UUID(str(rendered["workflow_id"]))
    except ValueError:
        raise StepFailed(
            f"{rendered['workflow_id']!r} is not a workflow id", code="INVALID_WORKFLOW"
        ) from None
    child_workflow = await runtime.session.get(Workflow, child_workflow_id)
    if child_workflow is None or child_workflow.tenant_id != runtime.tenant_id:
        raise StepFailed("the sub-workflow does not exist", code="INVALID_WORKFLOW")
    data = {**(rendered.get("input") or {}), "_depth": depth}
    child = new_run(
        child_workflow,
        trigger_type="workflow",
        data=data,
        key=f"parent:{runtime.run.id}:{runtime.run.attempt}:{path}",
        started_by=runtime.run.started_by,
        parent_run_id=runtime.run.id,
    )
    batch = Batch()
    await start_run(runtime.session, child_workflow, child, batch)
    batch.to_wake.clear()  # the parent is advancing right now: it reads the child's state itself
    schedule_after_commit(runtime.session, batch)
    return child


async def existing_keys(
    session: AsyncSession, pairs: Iterable[tuple[uuid.UUID, str]]
) -> set[tuple[uuid.UUID, str]]:
    """Which (workflow, idempotency key) pairs already have a run: one query for a whole batch."""
    wanted = list(pairs)
    if not wanted:
        return set()
    keys = {key for _w, key in wanted}
    workflows = {workflow_id for workflow_id, _k in wanted}
    rows = await session.execute(
        select(WorkflowRun.workflow_id, WorkflowRun.idempotency_key).where(
            WorkflowRun.workflow_id.in_(workflows), WorkflowRun.idempotency_key.in_(keys)
        )
    )
    return {(row.workflow_id, row.idempotency_key) for row in rows}
