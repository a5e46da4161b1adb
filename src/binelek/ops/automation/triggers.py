"""What starts runs: outbox events (in batches), schedules and metric conditions (every minute), and
webhooks (a unique URL per workflow).

Each trigger occurrence has an idempotency key — `event:<id>`, `schedule:<fire time>`,
`condition:<check time>`, the webhook's `Idempotency-Key` — unique per workflow, so an event offered
twice (a retried batch, two dispatchers) starts one run.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.connectors.models import Customer
from binelek.kit import outbox
from binelek.kit.db import Database, utcnow
from binelek.kit.errors import ProblemError, ResourceNotFound
from binelek.kit.jobs import process_object
from binelek.kit.state import AppState
from binelek.ops.automation.conditions import matches
from binelek.ops.automation.definitions import ConditionTrigger, EventTrigger, ScheduleTrigger, next_fire
from binelek.ops.automation.runs import (
    Batch,
    definition_of,
    existing_keys,
    new_run,
    schedule_after_commit,
    start_run,
)
from binelek.ops.models import Workflow, WorkflowRun

log = structlog.get_logger(__name__)
MAX_WEBHOOK_BYTES = 1_000_000


# -- events -----------------------------------------------------------------------------------------


@outbox.consume_batches("automations")
async def on_events(events: list[outbox.EventMessage]) -> None:
    db: Database = process_object("db")
    by_tenant: dict[uuid.UUID, list[outbox.EventMessage]] = defaultdict(list)
    for event in events:
        if event.tenant_id is not None:
            by_tenant[event.tenant_id].append(event)
    if not by_tenant:
        return
    workflows = await _event_workflows(db, set(by_tenant), {event.type for event in events})
    for tenant_id, tenant_events in by_tenant.items():
        listening = workflows.get(tenant_id)
        if not listening:
            continue
        relevant = [event for event in tenant_events if event.type in {w.trigger_event for w in listening}]
        if not relevant:
            continue
        try:
            await _start_for_events(db, tenant_id, relevant)
        except Exception:
            log.warning("automation_batch_failed_one_by_one", tenant_id=str(tenant_id), events=len(relevant))
            for event in relevant:  # one bad event must not hold back the others
                try:
                    await _start_for_events(db, tenant_id, [event])
                except Exception:
                    log.exception("automation_event_failed", event_id=event.id, type=event.type)


async def _event_workflows(
    db: Database, tenants: set[uuid.UUID], types: set[str]
) -> dict[uuid.UUID, list[Workflow]]:
    async with db.session() as session:
        rows = (
            await session.execute(
                select(Workflow.tenant_id, Workflow.trigger_event).where(
                    Workflow.is_active.is_(True),
                    Workflow.trigger_type == "event",
                    Workflow.trigger_event.in_(types),
                    Workflow.tenant_id.in_(tenants),
                )
            )
        ).all()
    found: dict[uuid.UUID, list[Workflow]] = defaultdict(list)
    for row in rows:
        found[row.tenant_id].append(Workflow(tenant_id=row.tenant_id, trigger_event=row.trigger_event))
    return found


async def _start_for_events(db: Database, tenant_id: uuid.UUID, events: list[outbox.EventMessage]) -> None:
    async with db.session(tenant_id=tenant_id) as session:
        workflows = (
            (
                await session.execute(
                    select(Workflow).where(
                        Workflow.tenant_id == tenant_id,
                        Workflow.is_active.is_(True),
                        Workflow.trigger_type == "event",
                        Workflow.trigger_event.in_({event.type for event in events}),
                    )
                )
            )
            .scalars()
            .all()
        )
        customers = await _customers(session, tenant_id, events)
        candidates: list[tuple[Workflow, outbox.EventMessage, dict[str, Any]]] = []
        for event in events:
            data = _trigger_data(event, customers)
            for workflow in workflows:
                if workflow.trigger_event == event.type and _passes(workflow, data):
                    candidates.append((workflow, event, data))
        seen = await existing_keys(session, [(w.id, f"event:{e.id}") for w, e, _d in candidates])
        batch = Batch()
        for workflow, event, data in candidates:
            key = f"event:{event.id}"
            if (workflow.id, key) in seen:
                continue
            seen.add((workflow.id, key))
            await start_run(
                session, workflow, new_run(workflow, trigger_type="event", data=data, key=key), batch
            )
        schedule_after_commit(session, batch)


def _trigger_data(event: outbox.EventMessage, customers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    data = {**event.payload, "event": {"id": event.id, "type": event.type}}
    customer_id = event.payload.get("customer_id")
    if customer_id and customer_id in customers:
        data["customer"] = customers[customer_id]
    return data


def _passes(workflow: Workflow, data: dict[str, Any]) -> bool:
    definition = definition_of(workflow.id, workflow.version, workflow.trigger, workflow.steps)
    trigger = definition.trigger
    assert isinstance(trigger, EventTrigger)
    return matches(
        trigger.conditions, trigger.match, {"trigger": data, "customer": data.get("customer") or {}}
    )


async def _customers(
    session: AsyncSession, tenant_id: uuid.UUID, events: list[outbox.EventMessage]
) -> dict[str, dict[str, Any]]:
    """The customer an event names, so a template can say `{{ customer }}` — one query per batch."""
    ids = set()
    for event in events:
        try:
            ids.add(uuid.UUID(str(event.payload.get("customer_id"))))
        except ValueError:
            continue
    if not ids:
        return {}
    rows = await session.execute(
        select(Customer.id, Customer.name, Customer.email).where(
            Customer.tenant_id == tenant_id, Customer.id.in_(ids)
        )
    )
    return {str(row.id): {"id": str(row.id), "name": row.name, "email": row.email} for row in rows}


# -- schedules and metric conditions ----------------------------------------------------------------


async def fire_due(state: AppState) -> int:
    """Start the runs of every schedule or condition trigger that is due; returns how many started."""
    now = utcnow()
    async with state.db.session() as session:
        due = (
            await session.execute(
                select(Workflow.id, Workflow.tenant_id).where(
                    Workflow.is_active.is_(True),
                    Workflow.trigger_type.in_(("schedule", "condition")),
                    Workflow.next_fire_at <= now,
                )
            )
        ).all()
    started = 0
    for workflow_id, tenant_id in due:
        try:
            started += await _fire_one(state, tenant_id, workflow_id)
        except Exception:
            log.exception("automation_trigger_failed", workflow_id=str(workflow_id))
    return started


async def _fire_one(state: AppState, tenant_id: uuid.UUID, workflow_id: uuid.UUID) -> int:
    from binelek.foundry import service as foundry

    now = utcnow()
    async with state.db.session(tenant_id=tenant_id) as session:
        workflow = await session.get(Workflow, workflow_id, with_for_update=state.db.dialect == "postgresql")
        if (
            workflow is None
            or not workflow.is_active
            or workflow.next_fire_at is None
            or workflow.next_fire_at > now
        ):
            return 0
        definition = definition_of(workflow.id, workflow.version, workflow.trigger, workflow.steps)
        trigger = definition.trigger
        zone = await foundry.tenant_timezone(session, tenant_id)
        run: WorkflowRun | None = None
        if isinstance(trigger, ScheduleTrigger):
            data = {"scheduled_for": workflow.next_fire_at.isoformat()}
            run = new_run(
                workflow,
                trigger_type="schedule",
                data=data,
                key=f"schedule:{workflow.next_fire_at.isoformat()}",
            )
            workflow.next_fire_at = next_fire(trigger.cron, trigger.timezone or zone, now)
        elif isinstance(trigger, ConditionTrigger):
            run = await _check_condition(session, state, workflow, trigger, zone, now)
            workflow.next_fire_at = now + timedelta(minutes=trigger.check_every_minutes)
        if run is None:
            return 0
        if await existing_keys(session, [(workflow.id, run.idempotency_key)]):
            return 0
        await start_run(session, workflow, run)
    return 1


async def _check_condition(
    session: AsyncSession, state: AppState, workflow: Workflow, trigger: ConditionTrigger, zone: str, now: Any
) -> WorkflowRun | None:
    from binelek.foundry import service as foundry
    from binelek.foundry.schemas import SemanticQuery

    query = SemanticQuery.model_validate(
        {"metrics": [trigger.metric], "time_range": {"preset": trigger.period}}
    )
    result = await foundry.run_query(session, workflow.tenant_id, query, cache=state.cache, timezone=zone)
    value = _first_value(result, trigger.metric)
    across = {
        "gt": value > trigger.value,
        "gte": value >= trigger.value,
        "lt": value < trigger.value,
        "lte": value <= trigger.value,
    }[trigger.op]
    was_across = bool(workflow.trigger_state.get("across"))
    workflow.trigger_state = {"across": across, "value": value, "checked_at": now.isoformat()}
    if not across or was_across:
        return None
    data = {
        "metric": trigger.metric,
        "period": trigger.period,
        "value": value,
        "threshold": trigger.value,
        "op": trigger.op,
    }
    return new_run(workflow, trigger_type="condition", data=data, key=f"condition:{now.isoformat()}")


def _first_value(result: Any, metric: str) -> float:
    rows = getattr(result, "rows", None) or []
    if not rows:
        return 0.0
    row = rows[0]
    value = row.get(metric) if isinstance(row, dict) else getattr(row, metric, None)
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


# -- webhooks ---------------------------------------------------------------------------------------


class WebhookRejected(ProblemError):
    status, code = 401, "WEBHOOK_SIGNATURE_INVALID"


async def receive_webhook(state: AppState, token: str, headers: dict[str, str], body: bytes) -> WorkflowRun:
    if len(body) > MAX_WEBHOOK_BYTES:
        raise ProblemError("The body is larger than 1 MB.", status=413, code="PAYLOAD_TOO_LARGE")
    async with state.db.session() as session:
        found = (
            await session.execute(
                select(Workflow.id, Workflow.tenant_id).where(Workflow.webhook_token == token)
            )
        ).first()
    if found is None:
        raise ResourceNotFound("No workflow listens on this URL.")
    async with state.db.session(tenant_id=found.tenant_id) as session:
        workflow = await session.get(Workflow, found.id)
        assert workflow is not None
        if not workflow.is_active or workflow.trigger_type != "webhook":
            raise ProblemError("This workflow is not active.", status=409, code="WORKFLOW_INACTIVE")
        _verify(state, workflow, headers, body)
        data = _webhook_data(body, headers)
        key = headers.get("idempotency-key") or f"webhook:{uuid.uuid4()}"
        existing = await session.scalar(
            select(WorkflowRun).where(
                WorkflowRun.workflow_id == workflow.id, WorkflowRun.idempotency_key == key[:200]
            )
        )
        if existing is not None:
            return existing
        return await start_run(
            session, workflow, new_run(workflow, trigger_type="webhook", data=data, key=key)
        )


def _verify(state: AppState, workflow: Workflow, headers: dict[str, str], body: bytes) -> None:
    assert workflow.webhook_secret_encrypted is not None
    secret = state.encryptor.decrypt(workflow.webhook_secret_encrypted)
    auth = (workflow.trigger or {}).get("auth", "hmac")
    if auth == "secret":
        given = headers.get("x-binelek-secret", "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise WebhookRejected("X-Binelek-Secret is missing or wrong.")
        return
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(headers.get("x-binelek-signature", "").encode(), expected.encode()):
        raise WebhookRejected("X-Binelek-Signature is missing or does not match the body (HMAC-SHA256).")


def _webhook_data(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    if not body:
        return {}
    try:
        parsed = json.loads(body)
    except ValueError:
        raise ProblemError("The body must be JSON.", status=415, code="UNSUPPORTED_MEDIA_TYPE") from None
    return parsed if isinstance(parsed, dict) else {"items": parsed}
