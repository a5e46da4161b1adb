"""Event streaming against the machine's real NATS JetStream and Redis: every outbox event arrives once,
replayed batches included; a broker that is down keeps events waiting (and only its own consumer)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import nats
import pytest
from redis.asyncio import Redis
from sqlalchemy import delete, select, update

from binelek.kit import outbox
from binelek.kit.outbox_models import ConsumerBacklog, Event
from binelek.kit.settings import ConfigurationError
from binelek.kit.streaming import EventStreamer, NatsPublisher, RedisStreamPublisher, publisher_from_settings
from tests.conftest import RUN_ID, make_settings, register
from tests.support import free_port

NATS_URL = "nats://127.0.0.1:4222"
REDIS_URL = "redis://127.0.0.1:6379/0"
EVENT_TYPE = "stream.tested"


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not met in time")


async def emit(state, tenant_id: str, count: int) -> list[int]:
    async with state.db.session() as session:
        events = [
            outbox.emit(session, EVENT_TYPE, {"n": n, "note": "ü"}, uuid.UUID(tenant_id))
            for n in range(count)
        ]
    state.dispatcher.notify()
    return [event.id for event in events]


async def dispatched(state, ids: list[int]) -> bool:
    async with state.db.session() as session:
        rows = (await session.execute(select(Event.dispatched_at).where(Event.id.in_(ids)))).scalars().all()
    return len(rows) == len(ids) and all(row is not None for row in rows)


async def replay(state, ids: list[int]) -> None:
    """What a dispatcher that crashed before marking the batch dispatched does: offer it again."""
    async with state.db.session() as session:
        await session.execute(update(Event).where(Event.id.in_(ids)).values(dispatched_at=None))
    state.dispatcher.notify()
    await eventually(lambda: dispatched(state, ids))


class NatsBroker:
    def __init__(self, url: str) -> None:
        self.url = url
        self.stream = f"BINELEK_TEST_{RUN_ID}_{uuid.uuid4().hex[:6]}".upper()
        self.prefix = f"t{RUN_ID}{uuid.uuid4().hex[:6]}"

    def publisher(self) -> NatsPublisher:
        return NatsPublisher(self.url, stream=self.stream, subject_prefix=self.prefix)

    async def received(self) -> list[tuple[str, dict[str, Any]]]:
        nc = await nats.connect(self.url)
        try:
            js = nc.jetstream()
            info = await js.stream_info(self.stream)
            messages = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                message = await js.get_msg(self.stream, seq)
                messages.append((message.subject, json.loads(message.data)))
            return messages
        finally:
            await nc.close()

    async def cleanup(self) -> None:
        nc = await nats.connect(self.url)
        try:
            await nc.jetstream().delete_stream(self.stream)
        finally:
            await nc.close()


class RedisBroker:
    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"binelek-stream-test-{RUN_ID}-{uuid.uuid4().hex[:6]}:"

    def publisher(self) -> RedisStreamPublisher:
        return RedisStreamPublisher(self.url, key_prefix=self.prefix, maxlen=10_000)

    async def received(self) -> list[tuple[str, dict[str, Any]]]:
        async with Redis.from_url(self.url) as redis:
            entries = await redis.xrange(f"{self.prefix}events")
        return [(fields[b"type"].decode(), json.loads(fields[b"body"])) for _id, fields in entries]

    async def cleanup(self) -> None:
        async with Redis.from_url(self.url) as redis:
            keys = [key async for key in redis.scan_iter(match=f"{self.prefix}*", count=1000)]
            if keys:
                await redis.delete(*keys)


@pytest.fixture
async def tenant(client) -> str:
    return (await register(client, company="Stream Roasters")).tenant_id


@contextlib.asynccontextmanager
async def streaming(state, publisher) -> AsyncIterator[EventStreamer]:
    streamer = EventStreamer(publisher, name=f"event-stream-test-{uuid.uuid4().hex[:8]}")
    streamer.start()
    try:
        yield streamer
    finally:
        await streamer.stop()
        async with state.db.session() as session:
            await session.execute(delete(ConsumerBacklog).where(ConsumerBacklog.consumer == streamer.name))


def mine(received: list[tuple[str, dict[str, Any]]], ids: list[int]) -> dict[int, list[tuple[str, dict]]]:
    by_id: dict[int, list[tuple[str, dict]]] = {event_id: [] for event_id in ids}
    for subject, body in received:
        if body["id"] in by_id and body["type"] == EVENT_TYPE:
            by_id[body["id"]].append((subject, body))
    return by_id


def assert_body(body: dict[str, Any], event_id: int, tenant_id: str) -> None:
    assert body["id"] == event_id
    assert body["type"] == EVENT_TYPE
    assert body["tenant_id"] == tenant_id
    assert body["occurred_at"]  # ISO time of emission
    assert set(body["payload"]) == {"n", "note"} and body["payload"]["note"] == "ü"


async def test_nats_every_event_once_even_when_replayed(state, tenant):
    broker = NatsBroker(NATS_URL)
    async with streaming(state, broker.publisher()) as streamer:
        try:
            ids = await emit(state, tenant, 5)
            await eventually(lambda: dispatched(state, ids))
            await eventually(lambda: _all_arrived(broker, ids))
            await replay(state, ids)  # through the dispatcher
            await streamer.consume([_message(event_id, tenant) for event_id in ids])  # and directly
            by_id = mine(await broker.received(), ids)
            for event_id, arrived in by_id.items():
                assert len(arrived) == 1, (event_id, arrived)
                subject, body = arrived[0]
                assert subject == f"{broker.prefix}.{tenant}.{EVENT_TYPE}"
                assert_body(body, event_id, tenant)
        finally:
            await broker.cleanup()


async def test_redis_every_event_once_even_when_replayed(state, tenant):
    broker = RedisBroker(REDIS_URL)
    async with streaming(state, broker.publisher()) as streamer:
        try:
            ids = await emit(state, tenant, 5)
            await eventually(lambda: _all_arrived(broker, ids))
            await replay(state, ids)
            await streamer.consume([_message(event_id, tenant) for event_id in ids])
            by_id = mine(await broker.received(), ids)
            for event_id, arrived in by_id.items():
                assert len(arrived) == 1, (event_id, arrived)
                assert_body(arrived[0][1], event_id, tenant)
            async with Redis.from_url(REDIS_URL) as redis:
                assert await redis.exists(broker.publisher().marker_key(ids[0]))
        finally:
            await broker.cleanup()


def _message(event_id: int, tenant_id: str) -> outbox.EventMessage:
    # A replayed message as the dispatcher would build it (the stored body is what counts).
    return outbox.EventMessage(event_id, EVENT_TYPE, uuid.UUID(tenant_id), {"n": -1, "note": "ü"})


async def _all_arrived(broker: NatsBroker | RedisBroker, ids: list[int]) -> bool:
    try:
        by_id = mine(await broker.received(), ids)
    except Exception:
        return False
    return all(by_id.values())


def _start_nats(port: int, directory: str) -> subprocess.Popen:
    return subprocess.Popen(
        ["/usr/sbin/nats-server", "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", directory],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _start_redis(port: int, directory: str) -> subprocess.Popen:
    return subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("kind", ["nats", "redis"])
async def test_broker_down_keeps_events_until_it_is_back(state, tenant, client, kind):
    port = free_port()
    broker: NatsBroker | RedisBroker = (
        NatsBroker(f"nats://127.0.0.1:{port}")
        if kind == "nats"
        else RedisBroker(f"redis://127.0.0.1:{port}/0")
    )
    with tempfile.TemporaryDirectory(prefix="binelek-broker-") as directory:
        server: subprocess.Popen | None = None
        async with streaming(state, broker.publisher()) as streamer:
            state.event_stream = streamer
            try:
                first = await emit(state, tenant, 3)
                # Nothing reaches the broker, yet the events are dispatched (the other consumers and
                # the per-event workflows go on) and wait in this consumer's backlog.
                await eventually(lambda: dispatched(state, first))
                await eventually(lambda: _backlog_at_least(state, streamer.name, 3))
                ready = await client.get("/readyz")
                assert ready.status_code == 200, ready.text
                stream_state = ready.json()["event_stream"]
                assert stream_state["broker"] == kind
                assert stream_state["state"].startswith("error")
                assert stream_state["pending"] >= 3
                second = await emit(state, tenant, 2)  # join the backlog behind the first
                await eventually(lambda: dispatched(state, second))
                await eventually(lambda: _backlog_at_least(state, streamer.name, 5))

                server = (_start_nats if kind == "nats" else _start_redis)(port, directory)
                ids = first + second
                await eventually(lambda: _all_arrived(broker, ids), timeout=90)
                await eventually(lambda: _backlog_is(state, streamer.name, 0))
                by_id = mine(await broker.received(), ids)
                assert all(len(arrived) == 1 for arrived in by_id.values()), by_id
                arrived_order = [body["id"] for _s, body in await broker.received() if body["id"] in by_id]
                assert arrived_order == sorted(ids)  # the backlog keeps the consumer in order
                if kind == "nats":
                    assert {subject for arrived in by_id.values() for subject, _ in arrived} == {
                        f"{broker.prefix}.{tenant}.{EVENT_TYPE}"
                    }
                ready = (await client.get("/readyz")).json()["event_stream"]
                assert ready == {"broker": kind, "state": "ok", "pending": 0}
            finally:
                state.event_stream = None
                if server is not None:
                    server.terminate()
                    server.wait(timeout=10)


async def _backlog_is(state, name: str, count: int) -> bool:
    return await outbox.backlog_size(state.db, name) == count


def test_settings_pick_the_broker(tmp_path):
    assert publisher_from_settings(make_settings(tmp_path, None)) is None
    nats_settings = make_settings(tmp_path, None, event_stream_url="nats://127.0.0.1:4222")
    assert isinstance(publisher_from_settings(nats_settings), NatsPublisher)
    redis_settings = make_settings(tmp_path, None, event_stream_url="rediss://:pw@127.0.0.1:6380/0")
    publisher = publisher_from_settings(redis_settings)
    assert isinstance(publisher, RedisStreamPublisher)
    assert publisher.stream_key == "binelek:events"
    with pytest.raises(ConfigurationError, match="kafka:// is not supported yet"):
        publisher_from_settings(make_settings(tmp_path, None, event_stream_url="kafka://broker:9092"))
    with pytest.raises(ConfigurationError) as refused:
        publisher_from_settings(make_settings(tmp_path, None, event_stream_url="amqp://user:secret@mq/"))
    assert "secret" not in str(refused.value)


async def _backlog_at_least(state, name: str, count: int) -> bool:
    # At least: events another test left undispatched (a registration's) may join the first batch.
    return await outbox.backlog_size(state.db, name) >= count
