"""Durable execution of runs on DBOS, the schedule tick, recovery and pruning.

`execute_run` is one DBOS workflow per run that has more to do than its first transaction could:
  advance (a DBOS step: pure steps committed together, in our database)
  → an external effect: one DBOS step per attempt, durable sleeps between attempts
  → a delay: `DBOS.sleep_async` (durable: a restart sleeps only what is left)
  → an approval or a sub-workflow: `DBOS.recv_async("wake")` until the decision or its deadline
  → advance again, with the effect's result, until the run is finished.
Every DBOS step's output is recorded, so a process killed anywhere resumes the workflow on restart
without repeating a finished step; `advance` replays the run's journal, so it is safe to repeat.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog
from dbos import DBOS, SetWorkflowID
from sqlalchemy import delete, select

from binelek.kit.db import utcnow
from binelek.kit.jobs import (
    QueueSpec,
    ScheduleSpec,
    declare_queue,
    declare_schedule,
    detached,
    get_queue,
    process_object,
    send_message,
)
from binelek.ops.automation import effects
from binelek.ops.automation.engine import TERMINAL, StepFailed
from binelek.ops.automation.runs import advance_run, durable_id
from binelek.ops.models import Workflow, WorkflowRun, WorkflowRunStep

log = structlog.get_logger(__name__)
AUTOMATION_QUEUE = declare_queue(
    QueueSpec(name="automation", worker_concurrency=32, polling_interval_sec=0.2)
)
CHILD_WAIT_SECONDS = 3600.0  # a wait on a sub-workflow re-checks at least hourly
RECOVERY_AGE = timedelta(seconds=60)


async def enqueue(run_id: uuid.UUID, attempt: int) -> None:
    with SetWorkflowID(durable_id(run_id, attempt)):
        await get_queue(AUTOMATION_QUEUE.name).enqueue_async(execute_run, str(run_id), attempt)


async def wake(run_id: uuid.UUID, attempt: int) -> None:
    try:
        await send_message(durable_id(run_id, attempt), "wake", topic="wake")
    except Exception:  # no such workflow (yet): the recovery tick enqueues it, and it reads the database
        log.info("automation_wake_missed", run_id=str(run_id))


@DBOS.workflow()
async def execute_run(run_id: str, attempt: int) -> str:
    effect_result: dict[str, Any] | None = None
    woken = False
    while True:
        action = await advance_step(run_id, attempt, effect_result, woken)
        effect_result, woken = None, False
        kind = action["kind"]
        if kind == "done":
            return str(action["status"])
        if kind == "effect":
            effect_result = await _perform_with_retries(run_id, action)
        elif kind == "delay":
            await DBOS.sleep_async(action["wait_seconds"])
            woken = True
        else:  # approval | child
            await DBOS.recv_async("wake", timeout_seconds=action["wait_seconds"])
            woken = True


def _wait_seconds(action: dict[str, Any]) -> float:
    """How long the workflow waits, decided inside the recorded step: workflow code must replay the
    same calls, and a duration computed from the clock on replay would differ (DBOS skips a sleep of
    zero without recording it)."""
    if action["kind"] == "delay":
        return max(0.001, (datetime.fromisoformat(action["until"]) - utcnow()).total_seconds())
    if action.get("until"):
        left = (datetime.fromisoformat(action["until"]) - utcnow()).total_seconds()
        return max(1.0, min(left, CHILD_WAIT_SECONDS))
    return CHILD_WAIT_SECONDS


async def _perform_with_retries(run_id: str, action: dict[str, Any]) -> dict[str, Any]:
    policy = action["retry"]
    attempts = 0
    while True:
        attempts += 1
        result = await attempt_effect(run_id, action, attempts)
        if result["ok"] or not result["retryable"] or attempts >= policy["max_attempts"]:
            return {**result, "path": action["path"], "attempts": attempts}
        await DBOS.sleep_async(result["backoff"])


@DBOS.step()
async def advance_step(
    run_id: str, attempt: int, effect_result: dict[str, Any] | None, woken: bool
) -> dict[str, Any]:
    db = process_object("db")
    tenant_id = await _tenant_of(uuid.UUID(run_id))
    if tenant_id is None:
        return {"kind": "done", "status": "deleted"}
    async with db.session(tenant_id=tenant_id) as session:
        run = await session.get(WorkflowRun, uuid.UUID(run_id), with_for_update=db.dialect == "postgresql")
        if run is None or run.attempt != attempt or run.status in TERMINAL:
            return {"kind": "done", "status": run.status if run else "deleted"}
        outcome = await advance_run(session, run, effect_result=effect_result, woken=woken)
        if outcome.status != "suspended":
            return {"kind": "done", "status": outcome.status}
        assert outcome.action is not None
        workflow = await session.get(Workflow, run.workflow_id)
        actor = run.started_by or (workflow.created_by if workflow else None)
        action = outcome.action.as_json()
        return {
            **action,
            "wait_seconds": _wait_seconds(action) if action["kind"] != "effect" else 0.0,
            "tenant_id": str(tenant_id),
            "actor_id": str(actor) if actor else None,
        }


@DBOS.step()
async def attempt_effect(run_id: str, action: dict[str, Any], attempt: int) -> dict[str, Any]:
    """One try of an external step. Failures are returned (not raised) so the workflow decides about
    retrying with durable sleeps; the jittered backoff is drawn here, where randomness is recorded."""
    state = process_object("state")
    context = effects.EffectContext(
        tenant_id=uuid.UUID(action["tenant_id"]),
        run_id=uuid.UUID(run_id),
        path=action["path"],
        actor_id=uuid.UUID(action["actor_id"]) if action.get("actor_id") else None,
    )
    try:
        output = await effects.perform(
            state, context, action["step_type"], action["input"], action["timeout_seconds"]
        )
    except StepFailed as failed:
        await _note_attempt(context, attempt, failed.message)
        policy = action["retry"]
        ceiling = min(policy["max_backoff_seconds"], policy["backoff_seconds"] * 2 ** (attempt - 1))
        return {
            "ok": False,
            "error": failed.message,
            "code": failed.code,
            "retryable": failed.retryable,
            "backoff": random.uniform(ceiling / 2, ceiling),
        }
    except Exception as exc:  # a bug or an unexpected library error: recorded, retried like a transient one
        log.exception("automation_effect_crashed", run_id=run_id, path=action["path"])
        await _note_attempt(context, attempt, f"{type(exc).__name__}")
        return {
            "ok": False,
            "error": f"unexpected error ({type(exc).__name__})",
            "code": "INTERNAL",
            "retryable": True,
            "backoff": 1.0,
        }
    return {"ok": True, "output": output}


async def _note_attempt(context: effects.EffectContext, attempt: int, message: str) -> None:
    """Show the attempt count and last error on the step while it is being retried."""
    db = process_object("db")
    async with db.session(tenant_id=context.tenant_id) as session:
        row = (
            await session.execute(
                select(WorkflowRunStep).where(
                    WorkflowRunStep.run_id == context.run_id, WorkflowRunStep.path == context.path
                )
            )
        ).scalar_one_or_none()
        if row is not None:
            row.attempts = attempt
            row.error = message[:4000]


async def _tenant_of(run_id: uuid.UUID) -> uuid.UUID | None:
    db = process_object("db")
    async with db.session() as session:
        tenant: uuid.UUID | None = await session.scalar(
            select(WorkflowRun.tenant_id).where(WorkflowRun.id == run_id)
        )
        return tenant


# -- every minute: schedules, conditions, recovery ------------------------------------------------


@DBOS.workflow()
async def automation_tick(scheduled: datetime, _context: Any) -> None:
    await tick_step()


@DBOS.step()
async def tick_step() -> None:
    from binelek.ops.automation import triggers

    state = process_object("state")
    await detached(triggers.fire_due(state))
    await detached(recover_orphans(state.db))


async def recover_orphans(db: Any) -> int:
    """Runs whose hand-over to DBOS was lost (the process died between commit and enqueue)."""
    cutoff = utcnow() - RECOVERY_AGE
    async with db.session() as session:
        rows = (
            await session.execute(
                select(WorkflowRun.id, WorkflowRun.attempt)
                .where(
                    WorkflowRun.status.in_(("queued", "running", "waiting")), WorkflowRun.created_at < cutoff
                )
                .order_by(WorkflowRun.created_at)
                .limit(500)
            )
        ).all()
    recovered = 0
    for run_id, attempt in rows:
        if await DBOS.get_workflow_status_async(durable_id(run_id, attempt)) is None:
            await enqueue(run_id, attempt)
            recovered += 1
    if recovered:
        log.info("automation_runs_recovered", count=recovered)
    return recovered


@DBOS.workflow()
async def prune_runs(scheduled: datetime, _context: Any) -> None:
    await prune_runs_step()


@DBOS.step()
async def prune_runs_step() -> int:
    state = process_object("state")
    cutoff = utcnow() - timedelta(days=state.settings.automation_run_retention_days)
    async with state.db.session() as session:
        result = await session.execute(
            delete(WorkflowRun).where(WorkflowRun.finished_at.is_not(None), WorkflowRun.finished_at < cutoff)
        )
    return int(result.rowcount or 0)


declare_schedule(ScheduleSpec(name="automation-tick", cron="* * * * *", workflow=automation_tick))
declare_schedule(ScheduleSpec(name="automation-prune", cron="17 3 * * *", workflow=prune_runs))
