"""Fan-out of small live messages (a new notification) to whoever listens in any process.

Embedded, one process holds every listener, so a message goes straight to their queues. In
production the API processes that hold the browsers' streams are not the workers that create most
notifications, so messages travel through Redis pub/sub: each process keeps ONE pattern subscription
and hands what arrives to its local listeners. Delivery is best-effort by design (a listener that is
not connected misses the message); the persistent record stays in the database, and a client that
reconnects re-reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import structlog
from redis.asyncio import Redis

log = structlog.get_logger(__name__)

# A listener that falls this far behind (a stalled browser) loses its oldest messages, never memory.
QUEUE_LIMIT = 256


class Broadcaster:
    """In-process fan-out; the base of the Redis one."""

    def __init__(self) -> None:
        self._listeners: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        self._hand_out(channel, message)

    @contextlib.asynccontextmanager
    async def listen(self, channel: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_LIMIT)
        self._listeners[channel].add(queue)
        try:
            await self._listening()
            yield queue
        finally:
            listeners = self._listeners.get(channel)
            if listeners is not None:
                listeners.discard(queue)
                if not listeners:
                    del self._listeners[channel]

    def listener_count(self) -> int:
        return sum(len(queues) for queues in self._listeners.values())

    async def close(self) -> None:
        return None

    async def _listening(self) -> None:
        """Hook: the Redis broadcaster makes sure its subscription runs."""

    def _hand_out(self, channel: str, message: dict[str, Any]) -> None:
        for queue in list(self._listeners.get(channel, ())):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(message)


class RedisBroadcaster(Broadcaster):
    def __init__(self, redis: Redis, prefix: str) -> None:
        super().__init__()
        self._redis = redis
        self._prefix = f"{prefix}live:"
        self._reader: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        # Called after a commit: the change is saved, so a Redis outage costs only the live push.
        try:
            await self._redis.publish(self._prefix + channel, json.dumps(message, separators=(",", ":")))
        except Exception as exc:
            log.warning("broadcaster_publish_failed", error=type(exc).__name__)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None

    async def _listening(self) -> None:
        reader = self._reader
        if reader is None or reader.done() or reader.get_loop() is not asyncio.get_running_loop():
            self._subscribed.clear()
            self._reader = asyncio.create_task(self._read_forever(), name="broadcaster-redis")
        # A message published right after a listener registers must reach it: wait (briefly) for the
        # subscription to be in place. During a Redis outage the stream opens anyway and catches up.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout=2.0)

    async def _read_forever(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._read_once()
                delay = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarted or unreachable: resubscribe with backoff
                self._subscribed.clear()
                log.warning("broadcaster_redis_lost", error=type(exc).__name__, retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _read_once(self) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.psubscribe(self._prefix + "*")
            self._subscribed.set()
            while True:
                message = await pubsub.get_message(timeout=30.0)
                if message is None or message.get("type") != "pmessage":
                    continue
                channel = _text(message["channel"])[len(self._prefix) :]
                with contextlib.suppress(ValueError):
                    self._hand_out(channel, json.loads(message["data"]))
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


_process_broadcaster: Broadcaster = Broadcaster()


def use_broadcaster(broadcaster: Broadcaster) -> None:
    """The process's broadcaster (set when the app state is built): publishers that hold only a
    database session (a domain's `notify` after commit) reach the listeners through it."""
    global _process_broadcaster
    _process_broadcaster = broadcaster


def process_broadcaster() -> Broadcaster:
    return _process_broadcaster
