"""Outgoing webhooks' durable work.

Events reach endpoints through an outbox batch consumer rather than a per-event subscriber: every
event of every tenant passes here (imports emit one per row), and most tenants have no endpoint, so
one query per batch of 100 beats a durable workflow per event. The consumer writes delivery rows
(unique per endpoint and event, so a batch offered again creates nothing twice) and starts one DBOS
workflow per delivery, whose id is the delivery's: starting it again is a no-op.

`deliver` plans the attempts once (a recorded step), then alternates attempts (steps) and durable
sleeps, so a restarted process resumes the schedule where it was instead of starting over.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import structlog
from dbos import DBOS, SetWorkflowID

from binelek.kit import outbox
from binelek.kit.db import Database, utcnow
from binelek.kit.jobs import QueueSpec, declare_queue, get_queue, process_object
from binelek.kit.settings import Settings
from binelek.webhooks import delivery, service
from binelek.webhooks.models import WebhookDelivery
from binelek.webhooks.repository import tenant_of_delivery

log = structlog.get_logger(__name__)
DELIVERY_QUEUE = declare_queue(
    QueueSpec(name="webhooks.deliveries", worker_concurrency=16, polling_interval_sec=0.2)
)


def workflow_id(delivery_id: uuid.UUID | str) -> str:
    return f"webhook-delivery-{delivery_id}"


async def enqueue(delivery_ids: Iterable[uuid.UUID]) -> None:
    queue = get_queue(DELIVERY_QUEUE.name)
    for delivery_id in delivery_ids:
        with SetWorkflowID(workflow_id(delivery_id)):
            await queue.enqueue_async(deliver, str(delivery_id))


@outbox.consume_batches("webhooks")
async def on_events(events: list[outbox.EventMessage]) -> None:
    messages = [
        service.NewMessage(event_id=event.id, type=event.type, tenant_id=event.tenant_id, data=event.payload)
        for event in events
        if event.tenant_id is not None
    ]
    pending = await service.deliveries_for_events(process_object("db"), messages)
    await enqueue(pending)


@DBOS.step(retries_allowed=True, max_attempts=3, interval_seconds=1.0, backoff_rate=2.0)
async def plan(delivery_id: str) -> list[float]:
    """The waits before each attempt, fixed when the workflow starts (changing the setting later
    does not change a schedule under way). A test ping gets one attempt: its answer is the point."""
    settings: Settings = process_object("settings")
    schedule = [max(0.0, float(seconds)) for seconds in settings.webhook_retry_seconds] or [0.0]
    db: Database = process_object("db")
    async with db.session() as session:
        tenant_id = await tenant_of_delivery(session, uuid.UUID(delivery_id))
    if tenant_id is None:
        return []
    async with db.session(tenant_id=tenant_id) as session:
        row = await session.get(WebhookDelivery, uuid.UUID(delivery_id))
        if row is not None and service.is_test(row):
            return schedule[:1]
    return schedule


# A database hiccup while recording is retried; the receiver may then see the message twice,
# which the stable webhook-id lets it recognise.
@DBOS.step(retries_allowed=True, max_attempts=3, interval_seconds=1.0, backoff_rate=2.0)
async def attempt(delivery_id: str, number: int, retry_in: float | None) -> str:
    return await delivery.attempt(
        process_object("db"),
        process_object("settings"),
        process_object("encryptor"),
        uuid.UUID(delivery_id),
        number,
        retry_in,
    )


@DBOS.workflow()
async def deliver(delivery_id: str) -> str:
    waits = await plan(delivery_id)
    status = "deleted"
    for index, wait in enumerate(waits):
        if wait > 0:
            await DBOS.sleep_async(wait)
        retry_in = waits[index + 1] if index + 1 < len(waits) else None
        status = await attempt(delivery_id, index + 1, retry_in)
        if status != "retrying":
            break
    log.info("webhook_delivery_finished", delivery_id=delivery_id, status=status, at=utcnow().isoformat())
    return status
