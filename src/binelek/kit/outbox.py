"""Transactional outbox: `emit()` writes an event in the caller's transaction; the dispatcher
hands each event to its subscribers through one durable workflow per event.

The workflow id is derived from the event id, so a dispatcher that crashes between starting the
workflow and marking the event dispatched starts nothing twice when it retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from dbos import DBOS, SetWorkflowID
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.db import Database, after_commit, utcnow
from binelek.kit.jobs import QueueSpec, declare_queue, get_queue
from binelek.kit.outbox_models import Event

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class EventMessage:
    id: int
    type: str
    tenant_id: uuid.UUID | None
    payload: dict[str, Any]


Subscriber = Callable[[EventMessage], Awaitable[None]]
BatchConsumer = Callable[[list[EventMessage]], Awaitable[None]]
_subscribers: dict[str, list[tuple[str, Subscriber]]] = defaultdict(list)
# A subscriber with a condition (e.g. "SMTP is configured") is handed events only while it holds:
# a durable workflow per event for a handler that would do nothing is pure overhead.
_conditions: dict[str, Callable[[], bool]] = {}
# Consumers that take every event in batches, in the dispatcher's own task, before the batch is marked
# dispatched: for work that is idempotent per event by its own means (the automation engine's runs
# carry the event id as a unique key) and too frequent for a durable workflow per event.
_batch_consumers: dict[str, BatchConsumer] = {}
_local_dispatchers: list[OutboxDispatcher] = []

OUTBOX_QUEUE = declare_queue(QueueSpec(name="outbox", worker_concurrency=8, polling_interval_sec=0.2))
BATCH_SIZE = 100


def subscribe(
    event_type: str, name: str, *, active: Callable[[], bool] | None = None
) -> Callable[[Subscriber], Subscriber]:
    """Register `handler` for `event_type` ("*" for all). Handlers must be idempotent per event id:
    a step that crashed mid-way runs again. With `active`, events are handed over only while it
    returns true (checked when the event is dispatched)."""

    def register(handler: Subscriber) -> Subscriber:
        if all(existing != name for existing, _ in _subscribers[event_type]):
            _subscribers[event_type].append((name, handler))
        if active is not None:
            _conditions[name] = active
        return handler

    return register


def consume_batches(name: str) -> Callable[[BatchConsumer], BatchConsumer]:
    """Register `consumer` for every event. It must be idempotent per event id: a batch whose consumer
    failed is offered again (the consumer sees it again, with or without events it already handled)."""

    def register(consumer: BatchConsumer) -> BatchConsumer:
        _batch_consumers[name] = consumer
        return consumer

    return register


def subscribers_for(event_type: str) -> list[tuple[str, Subscriber]]:
    return [*_subscribers.get(event_type, []), *_subscribers.get("*", [])]


def wanted(event_type: str) -> bool:
    """Whether any subscriber would act on this event now. Inside a dispatch workflow every
    subscriber still runs (each checks its own condition), so a replay takes the same steps."""
    return any(name not in _conditions or _conditions[name]() for name, _ in subscribers_for(event_type))


def emit(
    session: AsyncSession, event_type: str, payload: dict[str, Any], tenant_id: uuid.UUID | None
) -> Event:
    event = Event(type=event_type, payload=payload, tenant_id=tenant_id)
    session.add(event)
    if _local_dispatchers and not session.info.get("outbox_wake"):
        session.info["outbox_wake"] = True
        after_commit(session, _wake_local)
    return event


async def _wake_local() -> None:
    """A dispatcher in this process looks at once instead of at its next poll."""
    for dispatcher in _local_dispatchers:
        dispatcher.notify()


@DBOS.step(retries_allowed=True, max_attempts=5, interval_seconds=1.0, backoff_rate=2.0)
async def _deliver(subscriber_name: str, event: dict[str, Any]) -> None:
    message = EventMessage(
        id=event["id"],
        type=event["type"],
        tenant_id=uuid.UUID(event["tenant_id"]) if event["tenant_id"] else None,
        payload=event["payload"],
    )
    for name, handler in subscribers_for(message.type):
        if name == subscriber_name:
            await handler(message)


@DBOS.workflow()
async def dispatch_event(event: dict[str, Any]) -> int:
    delivered = 0
    for name, _handler in subscribers_for(event["type"]):
        await _deliver(name, event)
        delivered += 1
    return delivered


def workflow_id_for(event_id: int) -> str:
    return f"outbox-event-{event_id}"


class OutboxDispatcher:
    """Polls for undispatched events and starts their workflows; any number may run at once."""

    def __init__(self, db: Database, poll_seconds: float) -> None:
        self._db = db
        self._poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-dispatcher")
        _local_dispatchers.append(self)

    def notify(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self in _local_dispatchers:
            _local_dispatchers.remove(self)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                while await self.dispatch_batch() == BATCH_SIZE:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox_poll_failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)

    async def dispatch_batch(self) -> int:
        async with self._db.session() as session:
            events = (
                (
                    await session.execute(
                        select(Event)
                        .where(Event.dispatched_at.is_(None))
                        .order_by(Event.id)
                        .limit(BATCH_SIZE)
                    )
                )
                .scalars()
                .all()
            )
        if not events:
            return 0
        messages = [
            EventMessage(id=event.id, type=event.type, tenant_id=event.tenant_id, payload=event.payload)
            for event in events
        ]
        for name, consumer in _batch_consumers.items():
            try:
                await consumer(messages)
            except Exception:
                log.exception("outbox_batch_consumer_failed", consumer=name, first_event=events[0].id)
                return 0  # offered again at the next poll; nothing is marked dispatched
        queue = get_queue(OUTBOX_QUEUE.name)
        for event in events:
            if not wanted(event.type):
                continue  # nobody listens (yet): a workflow per event would be pure overhead
            body = {
                "id": event.id,
                "type": event.type,
                "tenant_id": str(event.tenant_id) if event.tenant_id else None,
                "payload": event.payload,
            }
            with SetWorkflowID(workflow_id_for(event.id)):
                await queue.enqueue_async(dispatch_event, body)
        async with self._db.session() as session:
            await session.execute(
                update(Event)
                .where(Event.id.in_([event.id for event in events]))
                .values(dispatched_at=utcnow())
            )
        return len(events)
