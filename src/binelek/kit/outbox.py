"""Transactional outbox: `emit()` writes an event in the caller's transaction; the dispatcher
hands each event to its subscribers through one durable workflow per event.

The workflow id is derived from the event id, so a dispatcher that crashes between starting the
workflow and marking the event dispatched starts nothing twice when it retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from dbos import DBOS, SetWorkflowID
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.db import Database, after_commit, utcnow
from binelek.kit.jobs import QueueSpec, declare_queue, get_queue
from binelek.kit.outbox_models import ConsumerBacklog, Event

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class EventMessage:
    id: int
    type: str
    tenant_id: uuid.UUID | None
    payload: dict[str, Any]
    occurred_at: datetime | None = None  # when the event was emitted (set by the dispatcher)


class ConsumerUnavailable(Exception):
    """A batch consumer's downstream (a broker) cannot be reached: expected now and then, logged as a
    warning without a traceback. The message must not carry secrets (URLs with passwords)."""


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
# A consumer whose backlog failed again waits this long (doubling up to the maximum) before its next try.
BACKLOG_RETRY_SECONDS = 1.0
BACKLOG_RETRY_MAX_SECONDS = 30.0


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
    failed is offered again later from its backlog (the consumer sees it again, with or without events
    it already handled). Raise ConsumerUnavailable for an unreachable downstream."""

    def register(consumer: BatchConsumer) -> BatchConsumer:
        _batch_consumers[name] = consumer
        return consumer

    return register


def stop_consuming(name: str) -> None:
    """Unregister a batch consumer. Its backlog stays and is retried once it is registered again."""
    _batch_consumers.pop(name, None)


async def backlog_size(db: Database, name: str) -> int:
    """Events waiting for consumer `name` (it failed when they were dispatched)."""
    async with db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(ConsumerBacklog).where(ConsumerBacklog.consumer == name)
        )
    return int(count or 0)


def _message(event: Event) -> EventMessage:
    return EventMessage(
        id=event.id,
        type=event.type,
        tenant_id=event.tenant_id,
        payload=event.payload,
        occurred_at=event.created_at,
    )


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
    """Polls for undispatched events and starts their workflows; any number may run at once.

    Each batch consumer keeps its own progress: one that fails gets the batch's events put in its
    backlog (in the transaction that marks them dispatched) and retried for it alone, with backoff,
    so a broker outage holds back neither the automation engine nor the per-event workflows. While
    a backlog is non-empty new events join it, so the consumer still takes events in id order."""

    def __init__(self, db: Database, poll_seconds: float) -> None:
        self._db = db
        self._poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        # consumer name -> (monotonic time of its next backlog try, current delay)
        self._backoff: dict[str, tuple[float, float]] = {}

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
                busy = True
                while busy:
                    # Alternate: a long backlog (after an outage) must not hold back new events.
                    dispatched = await self.dispatch_batch()
                    busy = await self.drain_backlogs() or dispatched == BATCH_SIZE
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
        messages = [_message(event) for event in events]
        behind = await self._consumers_behind(list(_batch_consumers))
        failed: list[str] = []
        for name, consumer in list(_batch_consumers.items()):
            if name in behind:
                failed.append(name)  # after its backlog: the consumer takes events in order
            elif not await self._offer(name, consumer, messages):
                failed.append(name)
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
            if failed:
                await _add_backlog(session, failed, [event.id for event in events])
            await session.execute(
                update(Event)
                .where(Event.id.in_([event.id for event in events]))
                .values(dispatched_at=utcnow())
            )
        return len(events)

    async def drain_backlogs(self) -> bool:
        """Offer each registered consumer whose retry is due the oldest batch of its backlog. True when
        a full batch went through (there may be more)."""
        more = False
        for name, consumer in list(_batch_consumers.items()):
            due_at, _delay = self._backoff.get(name, (0.0, 0.0))
            if due_at > time.monotonic():
                continue
            async with self._db.session() as session:
                events = (
                    (
                        await session.execute(
                            select(Event)
                            .join(ConsumerBacklog, ConsumerBacklog.event_id == Event.id)
                            .where(ConsumerBacklog.consumer == name)
                            .order_by(Event.id)
                            .limit(BATCH_SIZE)
                        )
                    )
                    .scalars()
                    .all()
                )
            if not events or not await self._offer(name, consumer, [_message(e) for e in events]):
                continue
            async with self._db.session() as session:
                await session.execute(
                    delete(ConsumerBacklog).where(
                        ConsumerBacklog.consumer == name,
                        ConsumerBacklog.event_id.in_([event.id for event in events]),
                    )
                )
            log.info("outbox_backlog_drained", consumer=name, events=len(events))
            more = more or len(events) == BATCH_SIZE
        return more

    async def _offer(self, name: str, consumer: BatchConsumer, messages: list[EventMessage]) -> bool:
        """Hand `messages` to one consumer; on failure note when to try its backlog again."""
        try:
            await consumer(messages)
        except Exception as exc:
            _due, delay = self._backoff.get(name, (0.0, 0.0))
            delay = min(max(delay * 2, BACKLOG_RETRY_SECONDS), BACKLOG_RETRY_MAX_SECONDS)
            self._backoff[name] = (time.monotonic() + delay, delay)
            details = {"consumer": name, "first_event": messages[0].id, "events": len(messages)}
            if isinstance(exc, ConsumerUnavailable):
                log.warning("outbox_batch_consumer_unavailable", error=str(exc), retry_in=delay, **details)
            else:
                log.exception("outbox_batch_consumer_failed", retry_in=delay, **details)
            return False
        self._backoff.pop(name, None)
        return True

    async def _consumers_behind(self, names: list[str]) -> set[str]:
        if not names:
            return set()
        behind: set[str] = set()
        async with self._db.session() as session:
            for name in names:  # one index probe each: a DISTINCT over a long backlog would scan it
                probe = select(ConsumerBacklog.event_id).where(ConsumerBacklog.consumer == name).limit(1)
                if (await session.execute(probe)).first() is not None:
                    behind.add(name)
        return behind


async def _add_backlog(session: AsyncSession, consumers: Sequence[str], event_ids: Sequence[int]) -> None:
    """Record the events for the consumers that did not take them. Another dispatcher may have
    recorded the same batch meanwhile: a row that exists is left as is."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    rows = [
        {"consumer": name, "event_id": event_id, "created_at": now}
        for name in consumers
        for event_id in event_ids
    ]
    await session.execute(
        insert(ConsumerBacklog).values(rows).on_conflict_do_nothing(index_elements=["consumer", "event_id"])
    )
