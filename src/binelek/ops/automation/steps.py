"""What each step does inside our database, and what a dry run says it would do.

Pure steps (tasks, notifications, record updates) write through the run's session, so they commit
with the journal rows that record them. Approvals and sub-workflow runs are rows too; waiting on them
is the durable workflow's business (`jobs.py`).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.connectors.models import Contact, Customer, Deal, Invoice, Order, Product
from binelek.identity.models import Membership, User
from binelek.kit import dataversion
from binelek.kit.errors import ProblemError
from binelek.notifications import service as notifications
from binelek.ops.automation.definitions import ApprovalConfig, Step
from binelek.ops.automation.engine import PureExecutor, Runtime, StepFailed
from binelek.ops.models import WorkflowApproval, WorkflowRun

RELATIVE = re.compile(r"^\+\s*(?P<n>\d+(\.\d+)?)\s*(?P<unit>[mhdw])$")
UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86_400, "w": 604_800}
RECORD_MODELS: dict[str, Any] = {
    "customer": Customer,
    "contact": Contact,
    "deal": Deal,
    "invoice": Invoice,
    "order": Order,
    "product": Product,
}


class Members:
    """The tenant's people, loaded once per advance: assignees, approvers and notification targets."""

    def __init__(self) -> None:
        self._by_tenant: dict[uuid.UUID, list[tuple[uuid.UUID, str, str, str]]] = {}

    async def of(self, session: AsyncSession, tenant_id: uuid.UUID) -> list[tuple[uuid.UUID, str, str, str]]:
        if tenant_id not in self._by_tenant:
            rows = await session.execute(
                select(User.id, User.email, User.full_name, Membership.role)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.tenant_id == tenant_id, User.is_active.is_(True))
            )
            self._by_tenant[tenant_id] = [(r.id, r.email.lower(), r.full_name, r.role) for r in rows]
        return self._by_tenant[tenant_id]

    async def resolve(self, session: AsyncSession, tenant_id: uuid.UUID, who: str) -> uuid.UUID:
        key = who.strip().lower()
        for user_id, email, _name, _role in await self.of(session, tenant_id):
            if key in (str(user_id), email):
                return user_id
        raise StepFailed(f"{who!r} is not a member of this organization", code="UNKNOWN_MEMBER")

    async def admins(self, session: AsyncSession, tenant_id: uuid.UUID) -> list[uuid.UUID]:
        return [user_id for user_id, _e, _n, role in await self.of(session, tenant_id) if role == "admin"]


def parse_due(value: str | None, now: datetime) -> datetime | None:
    if value in (None, ""):
        return None
    assert value is not None
    relative = RELATIVE.match(value.strip())
    if relative:
        return now + timedelta(seconds=float(relative["n"]) * UNIT_SECONDS[relative["unit"]])
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise StepFailed(
            f"{value!r} is neither an ISO date-time nor '+3d'-style", code="INVALID_DATE"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=now.tzinfo)


class StepServices:
    """The engine's view of the rest of the product. One instance per advance (it caches members)."""

    def __init__(self, start_child_run: Any = None) -> None:
        self.members = Members()
        self._start_child_run = start_child_run  # runs.start_child: set by the caller (import cycle)

    def executors(self) -> dict[str, PureExecutor]:
        return {
            "create_task": self.create_task,
            "update_task": self.update_task,
            "notify": self.notify,
            "update_record": self.update_record,
        }

    # -- tasks --------------------------------------------------------------------------------------

    async def _task_fields(self, rt: Runtime, config: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for name in ("title", "description", "priority", "status", "category"):
            if config.get(name) not in (None, ""):
                fields[name] = str(config[name]).strip()
        if "tags" in config:
            fields["tags"] = [str(tag) for tag in config["tags"] if str(tag).strip()]
        if config.get("due_at") not in (None, ""):
            fields["due_at"] = parse_due(str(config["due_at"]), rt.now)
        if config.get("assignee") not in (None, ""):
            fields["assignee_id"] = await self.members.resolve(
                rt.session, rt.tenant_id, str(config["assignee"])
            )
        if config.get("estimate_minutes") not in (None, ""):
            try:
                fields["estimate_minutes"] = int(config["estimate_minutes"])
            except (TypeError, ValueError):
                raise StepFailed(f"estimate_minutes {config['estimate_minutes']!r} is not a number") from None
        return fields

    async def create_task(self, rt: Runtime, config: dict[str, Any], step: Step, path: str) -> dict[str, Any]:
        from binelek.ops import service as tasks
        from binelek.ops.schemas import TaskCreate

        fields = await self._task_fields(rt, config)
        customer = rt.run.trigger_data.get("customer") if rt.run.trigger_data else None
        related = {"customer_id": customer["id"]} if isinstance(customer, dict) and customer.get("id") else {}
        try:
            data = TaskCreate.model_validate({**fields, "related": related})
            task = await tasks.create_task(
                rt.session,
                rt.tenant_id,
                data,
                actor_id=None,
                source="automation",
                workflow_run_id=rt.run.id,
            )
        except ValidationError as exc:
            raise StepFailed(_first_error(exc), code="INVALID_TASK") from exc
        except ProblemError as exc:
            raise StepFailed(exc.detail, code=exc.code) from exc
        return {
            "id": str(task.id),
            "title": task.title,
            "priority": task.priority,
            "status": task.status,
            "due_at": task.due_at.isoformat() if task.due_at else None,
            "link": f"/ops/tasks/{task.id}",
        }

    async def update_task(self, rt: Runtime, config: dict[str, Any], step: Step, path: str) -> dict[str, Any]:
        from binelek.ops import service as tasks
        from binelek.ops.schemas import TaskUpdate

        try:
            task_id = uuid.UUID(str(config["task_id"]))
        except ValueError:
            raise StepFailed(f"task_id {config['task_id']!r} is not a task id", code="INVALID_TASK") from None
        fields = await self._task_fields(rt, {k: v for k, v in config.items() if k != "task_id"})
        try:
            task = await tasks.update_task(
                rt.session, rt.tenant_id, task_id, TaskUpdate.model_validate(fields), actor_id=None
            )
        except ValidationError as exc:
            raise StepFailed(_first_error(exc), code="INVALID_TASK") from exc
        except ProblemError as exc:
            raise StepFailed(exc.detail, code=exc.code) from exc
        return {"id": str(task.id), "title": task.title, "status": task.status, "priority": task.priority}

    # -- notifications ------------------------------------------------------------------------------

    async def recipients(self, rt: Runtime, to: Any) -> list[uuid.UUID]:
        if to == "owner":
            owner = rt.owner.get("id")
            return [uuid.UUID(owner)] if owner else await self.members.admins(rt.session, rt.tenant_id)
        if to == "admins":
            return await self.members.admins(rt.session, rt.tenant_id)
        if to == "members":
            return [user_id for user_id, *_ in await self.members.of(rt.session, rt.tenant_id)]
        targets = to if isinstance(to, list) else [to]
        return [await self.members.resolve(rt.session, rt.tenant_id, str(who)) for who in targets]

    async def notify(self, rt: Runtime, config: dict[str, Any], step: Step, path: str) -> dict[str, Any]:
        users = await self.recipients(rt, config.get("to", "owner"))
        count = await notifications.notify(
            rt.session,
            rt.tenant_id,
            users,
            kind="automation",
            title=str(config["title"]),
            body=str(config["body"]) if config.get("body") else None,
            link=str(config.get("link") or f"/ops/runs/{rt.run.id}"),
            data={"workflow_id": str(rt.run.workflow_id), "run_id": str(rt.run.id)},
        )
        return {"notified": count}

    # -- common-schema records ----------------------------------------------------------------------

    async def update_record(
        self, rt: Runtime, config: dict[str, Any], step: Step, path: str
    ) -> dict[str, Any]:
        model = RECORD_MODELS[config["entity"]]
        try:
            record_id = uuid.UUID(str(config["id"]))
        except ValueError:
            raise StepFailed(f"{config['id']!r} is not a record id", code="INVALID_RECORD") from None
        values = {name: _column_value(model, name, value) for name, value in config["fields"].items()}
        result = await rt.session.execute(
            update(model).where(model.tenant_id == rt.tenant_id, model.id == record_id).values(**values)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise StepFailed(f"no {config['entity']} with id {record_id}", code="RECORD_NOT_FOUND")
        await dataversion.bump(rt.session, rt.tenant_id)
        return {"entity": config["entity"], "id": str(record_id), "changed": sorted(values)}

    # -- approvals ----------------------------------------------------------------------------------

    async def request_approval(
        self, rt: Runtime, config: ApprovalConfig, rendered: dict[str, Any], path: str
    ) -> None:
        approvers = [
            str(await self.members.resolve(rt.session, rt.tenant_id, who)) for who in config.approvers
        ]
        requester = rt.run.started_by
        candidates = [uuid.UUID(a) for a in approvers] or await self.members.admins(rt.session, rt.tenant_id)
        eligible = [user for user in candidates if user != requester]
        if len(eligible) < config.required:
            raise StepFailed(
                f"approval needs {config.required} approver(s) other than the person who started the run",
                code="NOT_ENOUGH_APPROVERS",
            )
        rt.session.add(
            WorkflowApproval(
                tenant_id=rt.tenant_id,
                run_id=rt.run.id,
                path=path,
                approver_ids=approvers,
                required=config.required,
                requested_by=requester,
                message=str(rendered.get("message") or "") or None,
                expires_at=rt.now + timedelta(hours=config.timeout_hours),
            )
        )
        await notifications.notify(
            rt.session,
            rt.tenant_id,
            eligible,
            kind="approval",
            title=f"Approval needed: {rt.workflow_name}",
            body=str(rendered.get("message") or "") or None,
            link=f"/ops/runs/{rt.run.id}",
            data={"run_id": str(rt.run.id), "path": path},
        )

    async def approval_state(self, rt: Runtime, path: str, config: ApprovalConfig) -> dict[str, Any]:
        approval = (
            await rt.session.execute(
                select(WorkflowApproval).where(
                    WorkflowApproval.run_id == rt.run.id, WorkflowApproval.path == path
                )
            )
        ).scalar_one()
        reason = next(
            (d.get("comment") or "rejected" for d in approval.decisions if d["decision"] == "reject"), None
        )
        if approval.status == "pending" and approval.expires_at and rt.now >= approval.expires_at:
            reason = "no decision before the approval timed out"
            approval.status = "approved" if config.on_timeout == "approve" else "rejected"
            approval.decided_at = rt.now
            approval.decisions = [*approval.decisions, {"decision": "timeout", "at": rt.now.isoformat()}]
        return {
            "status": approval.status,
            "decisions": approval.decisions,
            "expires_at": approval.expires_at,
            "reason": reason,
        }

    # -- sub-workflows ------------------------------------------------------------------------------

    async def start_child(self, rt: Runtime, rendered: dict[str, Any], path: str) -> dict[str, Any]:
        child: WorkflowRun = await self._start_child_run(rt, rendered, path)
        return {"run_id": str(child.id), "status": child.status}

    async def child_state(self, rt: Runtime, run_id: uuid.UUID) -> dict[str, Any]:
        child = await rt.session.get(WorkflowRun, run_id)
        if child is None:
            raise StepFailed("the sub-workflow run no longer exists", code="SUBWORKFLOW_FAILED")
        return {"run_id": str(child.id), "status": child.status, "output": child.context.get("steps", {})}

    # -- dry runs -----------------------------------------------------------------------------------

    def simulate(self, step_type: str, config: dict[str, Any]) -> dict[str, Any]:
        """What a dry run shows: a sentence, and a stand-in output later templates can read."""
        text, output = _SIMULATIONS[step_type](config)
        return {"text": text, "output": output}


def _column_value(model: Any, name: str, value: Any) -> Any:
    column = model.__table__.c[name]
    python_type = getattr(column.type, "python_type", str)
    if value is None:
        return None
    if python_type is Decimal:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise StepFailed(f"{name}: {value!r} is not an amount", code="INVALID_RECORD") from None
    if python_type is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise StepFailed(f"{name}: {value!r} is not a whole number", code="INVALID_RECORD") from None
    if python_type.__name__ == "date":
        from datetime import date

        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise StepFailed(f"{name}: {value!r} is not a date", code="INVALID_RECORD") from None
    return str(value)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "input"
    return f"{where}: {error['msg']}"


def _assignments(fields: dict[str, Any]) -> str:
    return ", ".join(f"{name} = {value!r}" for name, value in fields.items())


def _to_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


_SIMULATIONS: dict[str, Any] = {
    "create_task": lambda c: (
        f"would create a {c.get('priority', 'medium')}-priority task '{c.get('title')}'",
        {
            "id": "(new task)",
            "title": c.get("title"),
            "priority": c.get("priority", "medium"),
            "status": "todo",
        },
    ),
    "update_task": lambda c: (
        f"would update task {c.get('task_id')}: "
        + ", ".join(f"{k} → {v}" for k, v in c.items() if k != "task_id"),
        {"id": c.get("task_id"), **{k: v for k, v in c.items() if k != "task_id"}},
    ),
    "send_email": lambda c: (
        f"would e-mail {', '.join(_to_list(c.get('to')))}: '{c.get('subject')}'",
        {
            "message_id": "(not sent)",
            "to": _to_list(c.get("to")),
            "subject": c.get("subject"),
            "status": "dry_run",
        },
    ),
    "http_request": lambda c: (
        f"would send {c.get('method', 'POST')} {c.get('url')}",
        {"status": None, "body": None, "dry_run": True},
    ),
    "llm": lambda c: (
        "would ask the AI model: " + str(c.get("prompt"))[:200],
        {"text": "(AI answer)", "json": {}},
    ),
    "notify": lambda c: (f"would notify {c.get('to', 'owner')}: '{c.get('title')}'", {"notified": 0}),
    "update_record": lambda c: (
        f"would set {_assignments(c.get('fields', {}))} on {c.get('entity')} {c.get('id')}",
        {"entity": c.get("entity"), "id": c.get("id"), "changed": sorted(c.get("fields", {}))},
    ),
    "approval": lambda c: (
        f"would wait for {c.get('required', 1)} approval(s)"
        + (f": {c['message']}" if c.get("message") else ""),
        {"status": "approved", "decisions": []},
    ),
    "run_workflow": lambda c: (
        f"would run workflow {c.get('workflow_id')}",
        {"run_id": "(new run)", "status": "succeeded"},
    ),
}
