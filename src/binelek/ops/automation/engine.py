"""The interpreter: walks a run's step tree, replaying what its journal already holds and executing
what comes next, until the run ends or needs something a database transaction cannot give.

The journal is `workflow_run_steps`: one row per executed step path. Replay is deterministic — a
condition follows the branch it recorded, a loop iterates the items it recorded — so calling
`advance` again after a crash, a delay or an approval continues exactly where the run stopped.

One call of `advance` is one transaction: every pure step it executes (conditions, templating,
tasks, notifications, record updates) commits together with the journal rows that say it ran. It
stops (raises `Suspend` internally) at the first step that reaches outside the database (e-mail,
HTTP, LLM: each performed and checkpointed on its own by the durable workflow in `jobs.py`) or that
waits (delay, approval, a sub-workflow). A run whose steps are all pure therefore finishes in the
transaction that created it, which is what lets an event-triggered automation cost one insert batch
instead of a durable workflow per step.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.ops.automation import templating
from binelek.ops.automation.conditions import matches
from binelek.ops.automation.definitions import (
    EXTERNAL_STEPS,
    ApprovalConfig,
    ConditionConfig,
    DelayConfig,
    LoopConfig,
    Step,
    WorkflowDefinition,
)
from binelek.ops.models import WorkflowRun, WorkflowRunStep

TERMINAL = frozenset({"succeeded", "failed", "cancelled", "rejected"})
MAX_OUTPUT_CHARS = 50_000


class StepFailed(Exception):
    """A step could not do its work. `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, code: str = "STEP_FAILED", retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable


class RunRejected(Exception):
    """An approver said no: the run ends as rejected."""


@dataclass(frozen=True, slots=True)
class Action:
    """What the durable workflow must do before the next `advance`."""

    kind: str  # effect | delay | approval | child | done
    path: str | None = None
    step_type: str | None = None
    input: dict[str, Any] = field(default_factory=dict)
    until: datetime | None = None
    retry: dict[str, Any] = field(default_factory=dict)
    timeout_seconds: float | None = None
    status: str | None = None  # for done: the run's final status

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "step_type": self.step_type,
            "input": self.input,
            "until": self.until.isoformat() if self.until else None,
            "retry": self.retry,
            "timeout_seconds": self.timeout_seconds,
            "status": self.status,
        }


class Suspend(Exception):
    def __init__(self, action: Action) -> None:
        super().__init__(action.kind)
        self.action = action


# A pure step: (runtime, rendered config, step, path) -> output
PureExecutor = Callable[["Runtime", dict[str, Any], Step, str], Awaitable[dict[str, Any]]]


@dataclass
class Runtime:
    """What steps may use while a run advances: the run's transaction and its tenant's facts."""

    session: AsyncSession
    tenant_id: uuid.UUID
    run: WorkflowRun
    workflow_name: str
    owner: dict[str, Any]
    now: datetime
    services: Any  # ops.automation.steps.StepServices: tasks, notifications, runs (kept untyped here)
    dry: bool = False


@dataclass
class Outcome:
    status: str  # succeeded | failed | rejected | cancelled | suspended
    action: Action | None = None
    error: dict[str, Any] | None = None
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Scope:
    outputs: dict[str, Any]
    loop: dict[str, Any] | None = None  # {"item", "index"}

    def child(self, item: Any, index: int) -> _Scope:
        return _Scope(dict(self.outputs), {"item": item, "index": index})


class Interpreter:
    def __init__(
        self,
        runtime: Runtime,
        definition: WorkflowDefinition,
        journal: dict[str, WorkflowRunStep],
        executors: dict[str, PureExecutor],
        *,
        effect_result: dict[str, Any] | None = None,
        woken: bool = False,
    ) -> None:
        self.rt = runtime
        self.definition = definition
        self.journal = journal
        self.executors = executors
        self.effect_result = effect_result
        self.woken = woken
        self.seq = max((row.seq for row in journal.values()), default=0)
        self.trace: list[dict[str, Any]] = []  # dry runs: what each step would do

    async def run(self) -> Outcome:
        scope = _Scope({})
        try:
            await self._steps(self.definition.steps, scope, "")
        except Suspend as suspended:
            return Outcome("suspended", action=suspended.action, outputs=scope.outputs)
        except RunRejected as rejected:
            return Outcome(
                "rejected", error={"message": str(rejected), "code": "REJECTED"}, outputs=scope.outputs
            )
        except StepFailed as failed:
            return Outcome(
                "failed",
                error={"message": failed.message, "code": failed.code, "step": self._failed_path},
                outputs=scope.outputs,
            )
        return Outcome("succeeded", outputs=scope.outputs)

    _failed_path: str | None = None

    # -- walking ------------------------------------------------------------------------------------

    async def _steps(self, steps: list[Step], scope: _Scope, prefix: str) -> None:
        for step in steps:
            await self._step(step, scope, f"{prefix}{step.id}")

    async def _step(self, step: Step, scope: _Scope, path: str) -> None:
        recorded = self.journal.get(path)
        if recorded is not None and recorded.status in ("succeeded", "skipped"):
            scope.outputs[step.id] = recorded.output or {}
            await self._descend(step, scope, path, recorded.output or {})
            return
        if recorded is not None and recorded.status == "failed" and step.on_error == "continue":
            scope.outputs[step.id] = recorded.output or {"error": recorded.error}
            return
        output = await self._execute(step, scope, path, recorded)
        scope.outputs[step.id] = output
        await self._descend(step, scope, path, output)

    async def _descend(self, step: Step, scope: _Scope, path: str, output: dict[str, Any]) -> None:
        if step.type == "condition":
            branch = step.then if output.get("result") else step.else_
            await self._steps(branch, scope, f"{path}.{'then' if output.get('result') else 'else'}.")
        elif step.type == "loop":
            results = []
            for index, item in enumerate(output.get("items", [])):
                inner = scope.child(item, index)
                await self._steps(step.steps, inner, f"{path}[{index}].")
                results.append({s.id: inner.outputs.get(s.id) for s in step.steps})
            output["results"] = results

    def context(self, scope: _Scope) -> dict[str, Any]:
        run = self.rt.run
        trigger = run.trigger_data or {}
        values: dict[str, Any] = {
            "trigger": trigger,
            "steps": scope.outputs,
            "workflow": {"id": str(run.workflow_id), "name": self.rt.workflow_name, "version": run.version},
            "run": {"id": str(run.id), "attempt": run.attempt},
            "owner": self.rt.owner,
            "now": self.rt.now.isoformat(),
            "customer": templating.NamedRecord(trigger.get("customer") or {}),
        }
        if scope.loop is not None:
            values.update(scope.loop)
        return values

    # -- executing one step -------------------------------------------------------------------------

    async def _execute(
        self, step: Step, scope: _Scope, path: str, recorded: WorkflowRunStep | None
    ) -> dict[str, Any]:
        context = self.context(scope)
        try:
            if step.type == "condition":
                config = ConditionConfig.model_validate(step.config)
                result = matches(config.conditions, config.match, context)
                return self._record(step, path, {"conditions": step.config}, {"result": result}, recorded)
            rendered = self._render(step, context, path, recorded)
            if step.type == "loop":
                return self._record(step, path, rendered, self._loop_items(step, rendered), recorded)
            if step.type in EXTERNAL_STEPS:
                return self._external(step, path, rendered, recorded)
            if step.type == "delay":
                return self._delay(step, path, rendered, recorded)
            if step.type in ("approval", "run_workflow"):
                return await self._wait_on_people_or_runs(step, path, rendered, recorded)
            return await self._pure(step, path, rendered, recorded)
        except StepFailed as failed:
            return self._failed(step, path, failed, recorded)

    def _render(
        self, step: Step, context: dict[str, Any], path: str, recorded: WorkflowRunStep | None
    ) -> dict[str, Any]:
        if recorded is not None and recorded.status in ("waiting", "running"):
            return dict(recorded.input)  # rendered when the step started: keep what the user saw
        try:
            rendered = templating.render(step.config, context)
        except templating.TemplateFailed as exc:
            raise StepFailed(str(exc), code="TEMPLATE_FAILED") from exc
        assert isinstance(rendered, dict)
        return rendered

    def _loop_items(self, step: Step, rendered: dict[str, Any]) -> dict[str, Any]:
        config = LoopConfig.model_validate(step.config)
        items = rendered.get("items")
        if isinstance(items, dict):
            items = list(items.values())
        if not isinstance(items, list):
            raise StepFailed(f"loop '{step.id}': items rendered to {type(items).__name__}, not a list")
        if len(items) > config.max_items:
            raise StepFailed(f"loop '{step.id}': {len(items)} items, more than max_items {config.max_items}")
        return {"count": len(items), "items": items}

    async def _pure(
        self, step: Step, path: str, rendered: dict[str, Any], recorded: WorkflowRunStep | None
    ) -> dict[str, Any]:
        if self.rt.dry:
            return self._simulated(step, path, rendered)
        # A pure step checks everything before it writes, so a StepFailed leaves nothing behind.
        output = await self.executors[step.type](self.rt, rendered, step, path)
        return self._record(step, path, rendered, output, recorded)

    def _simulated(self, step: Step, path: str, rendered: dict[str, Any]) -> dict[str, Any]:
        simulated: dict[str, Any] = self.rt.services.simulate(step.type, rendered)
        self.trace.append({"path": path, "type": step.type, "input": rendered, "would": simulated})
        output: dict[str, Any] = simulated.get("output", {})
        return output

    def _external(
        self, step: Step, path: str, rendered: dict[str, Any], recorded: WorkflowRunStep | None
    ) -> dict[str, Any]:
        if self.rt.dry:
            return self._simulated(step, path, rendered)
        result = self.effect_result if self.effect_result and self.effect_result.get("path") == path else None
        if result is None:
            self._record(step, path, rendered, None, recorded, status="running")
            policy = step.retry_policy.model_dump()
            raise Suspend(
                Action(
                    "effect",
                    path=path,
                    step_type=step.type,
                    input=rendered,
                    retry=policy,
                    timeout_seconds=step.timeout_seconds,
                )
            )
        self.effect_result = None
        journal_row = self.journal[path]
        journal_row.attempts = int(result.get("attempts", journal_row.attempts or 1))
        if not result.get("ok"):
            raise StepFailed(
                str(result.get("error") or "failed"),
                code=str(result.get("code") or "STEP_FAILED"),
                retryable=bool(result.get("retryable")),
            )
        return self._record(step, path, rendered, result.get("output") or {}, journal_row)

    def _delay(
        self, step: Step, path: str, rendered: dict[str, Any], recorded: WorkflowRunStep | None
    ) -> dict[str, Any]:
        if self.rt.dry:
            self.trace.append(
                {"path": path, "type": "delay", "input": rendered, "would": {"text": _delay_text(rendered)}}
            )
            return {"until": None}
        if recorded is None:
            until = self._delay_until(step, rendered)
            self._record(step, path, {**rendered, "until": until.isoformat()}, None, None, status="waiting")
        else:
            until = datetime.fromisoformat(recorded.input["until"])
        if self.rt.now < until:
            raise Suspend(Action("delay", path=path, step_type="delay", until=until))
        return self._record(
            step, path, self.journal[path].input, {"until": until.isoformat()}, self.journal[path]
        )

    def _delay_until(self, step: Step, rendered: dict[str, Any]) -> datetime:
        config = DelayConfig.model_validate(step.config)
        if config.until is not None:
            try:
                until = datetime.fromisoformat(str(rendered["until"]))
            except ValueError as exc:
                raise StepFailed(f"delay '{step.id}': {rendered['until']!r} is not an ISO date-time") from exc
            if until.tzinfo is None:
                raise StepFailed(f"delay '{step.id}': the date-time needs a UTC offset")
            return min(until, self.rt.now + timedelta(days=30))
        seconds = (config.minutes or 0) * 60 + (config.hours or 0) * 3600 + (config.days or 0) * 86_400
        return self.rt.now + timedelta(seconds=seconds)

    async def _wait_on_people_or_runs(
        self, step: Step, path: str, rendered: dict[str, Any], recorded: WorkflowRunStep | None
    ) -> dict[str, Any]:
        services = self.rt.services
        if self.rt.dry:
            return self._simulated(step, path, rendered)
        if step.type == "approval":
            config = ApprovalConfig.model_validate(step.config)
            if recorded is None:
                await services.request_approval(self.rt, config, rendered, path)
                self._record(step, path, rendered, None, None, status="waiting")
            decision = await services.approval_state(self.rt, path, config)
            if decision["status"] == "pending":
                raise Suspend(
                    Action("approval", path=path, step_type="approval", until=decision["expires_at"])
                )
            row = self.journal[path]
            if decision["status"] == "rejected":
                self._record(step, path, row.input, decision, row, status="failed", error="rejected")
                raise RunRejected(decision.get("reason") or "An approver rejected this run.")
            return self._record(step, path, row.input, decision, row)
        # run_workflow
        if recorded is None:
            child = await services.start_child(self.rt, rendered, path)
            if not rendered.get("wait", True):
                return self._record(step, path, rendered, child, None)
            self._record(
                step, path, {**rendered, "child_run_id": child["run_id"]}, None, None, status="waiting"
            )
        row = self.journal[path]
        child_state = await services.child_state(self.rt, uuid.UUID(row.input["child_run_id"]))
        if child_state["status"] not in TERMINAL:
            raise Suspend(Action("child", path=path, step_type="run_workflow"))
        if child_state["status"] != "succeeded":
            raise StepFailed(f"the sub-workflow run ended {child_state['status']}", code="SUBWORKFLOW_FAILED")
        return self._record(step, path, row.input, child_state, row)

    # -- the journal --------------------------------------------------------------------------------

    def _record(
        self,
        step: Step,
        path: str,
        rendered: dict[str, Any],
        output: dict[str, Any] | None,
        recorded: WorkflowRunStep | None,
        *,
        status: str = "succeeded",
        error: str | None = None,
    ) -> dict[str, Any]:
        now = self.rt.now
        if self.rt.dry:
            if step.type in ("condition", "loop"):
                self.trace.append(
                    {"path": path, "type": step.type, "input": rendered, "would": {"output": output}}
                )
            return output or {}
        row = recorded
        if row is None:
            self.seq += 1
            row = WorkflowRunStep(
                tenant_id=self.rt.tenant_id,
                run_id=self.rt.run.id,
                step_id=step.id,
                path=path,
                type=step.type,
                seq=self.seq,
                status=status,
                input=_bounded(rendered),
                attempts=1 if step.type not in EXTERNAL_STEPS else 0,
                started_at=now,
            )
            self.rt.session.add(row)
            self.journal[path] = row
        row.status = status
        row.error = error
        if output is not None or status in ("succeeded", "failed"):
            row.output = _bounded(output or {})
        if status in ("succeeded", "failed", "skipped"):
            row.finished_at = now
        return output or {}

    def _failed(
        self, step: Step, path: str, failed: StepFailed, recorded: WorkflowRunStep | None
    ) -> dict[str, Any]:
        if self.rt.dry:
            self.trace.append({"path": path, "type": step.type, "error": failed.message})
            if step.on_error == "continue":
                return {"error": failed.message}
            self._failed_path = path
            raise failed
        output = {"error": failed.message, "code": failed.code}
        self._record(
            step,
            path,
            recorded.input if recorded else {},
            output,
            recorded,
            status="failed",
            error=failed.message,
        )
        if step.on_error == "continue":
            return output
        self._failed_path = path
        raise failed


def _bounded(value: dict[str, Any]) -> dict[str, Any]:
    """Journal rows hold JSON and stay small: a huge HTTP body is cut, not stored whole."""
    try:
        text = json.dumps(value)
        plain = True
    except (TypeError, ValueError):  # a date-time or a decimal: stored as text
        text, plain = json.dumps(value, default=str), False
    if len(text) > MAX_OUTPUT_CHARS:
        return {"truncated": True, "preview": text[:MAX_OUTPUT_CHARS]}
    if plain:
        return value
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _delay_text(rendered: dict[str, Any]) -> str:
    if rendered.get("until"):
        return f"would wait until {rendered['until']}"
    parts = [f"{rendered[key]:g} {key}" for key in ("days", "hours", "minutes") if rendered.get(key)]
    return "would wait " + " ".join(parts)


async def load_journal(session: AsyncSession, run_id: uuid.UUID) -> dict[str, WorkflowRunStep]:
    rows = (await session.execute(select(WorkflowRunStep).where(WorkflowRunStep.run_id == run_id))).scalars()
    return {row.path: row for row in rows}


def finish(run: WorkflowRun, outcome: Outcome, now: datetime) -> None:
    """Apply an outcome to the run row (the caller's transaction commits it)."""
    run.context = {"steps": _bounded(outcome.outputs)}
    if outcome.status == "suspended":
        assert outcome.action is not None
        run.status = "waiting" if outcome.action.kind in ("delay", "approval", "child") else "running"
        run.waiting_for = outcome.action.kind if run.status == "waiting" else None
        run.resume_at = outcome.action.until
        run.cursor = outcome.action.as_json()
        return
    run.status = outcome.status
    run.error = outcome.error
    run.waiting_for = None
    run.resume_at = None
    run.cursor = {}
    run.finished_at = now
    if run.started_at is None:
        run.started_at = now
    if outcome.status == "succeeded":
        run.error = None
