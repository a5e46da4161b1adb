"""Event streaming: every outbox event, published to an external broker for other systems to consume.

`EVENT_STREAM_URL` picks the broker:
- `nats://…` — NATS JetStream. The stream (`EVENT_STREAM_NAME`, subjects `<prefix>.>`) is created if
  missing and otherwise left as the operator configured it. Each event goes to
  `<prefix>.<tenant id>.<event type>` with `Nats-Msg-Id` = event id, so JetStream's duplicate window
  drops a replayed batch; every publish waits for its ack.
- `redis://…` / `rediss://…` — Redis Streams: XADD to `<key prefix>events`, trimmed with MAXLEN ~.
  Idempotency is a `SET NX EX` marker per event id written by the same Lua script as the entry, so
  the pair is atomic and a replay adds nothing. Entry ids stay Redis's own (time-based): ids derived
  from event ids would refuse an event that commits after a later-numbered one has been published
  (transactions commit out of id order), losing it.
- `kafka://…` — not supported yet: a startup error rather than an untested client.

The publisher is a batch consumer of the outbox dispatcher (`consume_batches`): a batch that fails
(broker down) stays in this consumer's backlog and is published once the broker is back, while
the other consumers go on. Nothing here imports a domain.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog
from prometheus_client import Counter
from redis.asyncio import Redis

from binelek.kit import outbox
from binelek.kit.db import Database
from binelek.kit.outbox import ConsumerUnavailable, EventMessage
from binelek.kit.settings import ConfigurationError, Settings

log = structlog.get_logger(__name__)

CONSUMER_NAME = "event-stream"
PUBLISHED = Counter(
    "binelek_event_stream_published_total",
    "Outbox events handed to the event stream broker; outcome=duplicate when it already had them",
    ["broker", "outcome"],
)
FAILURES = Counter(
    "binelek_event_stream_failures_total", "Event batches the stream broker did not take", ["broker"]
)
# How long a Redis marker remembers a published event. Replays come from a dispatcher that crashed
# or raced another one moments after publishing, so a day is ample; the markers cost memory.
REDIS_DEDUPE_SECONDS = 86_400
PUBLISH_TIMEOUT_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 3.0
# /readyz must answer fast (probes time out after a second or so): the broker check waits no longer.
STATUS_TIMEOUT_SECONDS = 1.0
_SUBJECT_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def event_body(message: EventMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "type": message.type,
        "tenant_id": str(message.tenant_id) if message.tenant_id else None,
        "occurred_at": message.occurred_at.isoformat() if message.occurred_at else None,
        "payload": message.payload,
    }


def encode(message: EventMessage) -> bytes:
    return json.dumps(event_body(message), separators=(",", ":"), default=str).encode()


class Publisher(Protocol):
    broker: str

    async def publish(self, messages: list[EventMessage]) -> int:
        """Publish; return how many the broker already had (replays). Raise when it cannot."""

    async def check(self) -> None:
        """Raise when the broker cannot be reached."""

    async def close(self) -> None: ...


class NatsPublisher:
    broker = "nats"

    def __init__(self, url: str, *, stream: str, subject_prefix: str) -> None:
        self._url = url
        self._stream = stream
        self._prefix = subject_prefix.rstrip(".")
        self._nc: Any = None
        self._js: Any = None
        self._lock = asyncio.Lock()
        self._connecting: asyncio.Task[Any] | None = None

    def subject(self, message: EventMessage) -> str:
        tenant = str(message.tenant_id) if message.tenant_id else "system"
        return f"{self._prefix}.{tenant}.{_SUBJECT_UNSAFE.sub('_', message.type)}"

    async def _jetstream(self) -> Any:
        async with self._lock:  # one connection, however many batches ask at once
            if self._nc is not None and not self._nc.is_closed:
                return self._js
            import nats
            from nats.js.errors import NotFoundError

            # A few reconnect attempts, then the client closes and the next batch connects afresh:
            # unlimited attempts would keep the first connect from ever returning while NATS is down.
            nc = await asyncio.wait_for(
                nats.connect(
                    self._url,
                    connect_timeout=CONNECT_TIMEOUT_SECONDS,
                    max_reconnect_attempts=3,
                    reconnect_time_wait=1,
                    error_cb=_nats_error,
                    disconnected_cb=_nats_disconnected,
                ),
                timeout=CONNECT_TIMEOUT_SECONDS * 4,
            )
            try:
                js = nc.jetstream(timeout=PUBLISH_TIMEOUT_SECONDS)
                try:
                    await js.stream_info(self._stream)
                except NotFoundError:
                    await js.add_stream(name=self._stream, subjects=[f"{self._prefix}.>"])
            except BaseException:
                await nc.close()
                raise
            self._nc, self._js = nc, js
            return js

    async def publish(self, messages: list[EventMessage]) -> int:
        js = await self._jetstream()
        # Sent one after another on the one connection (so in order); the acks are awaited together.
        results = await asyncio.gather(
            *(
                js.publish(
                    self.subject(message),
                    encode(message),
                    stream=self._stream,
                    headers={"Nats-Msg-Id": str(message.id)},
                )
                for message in messages
            ),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return sum(1 for ack in results if getattr(ack, "duplicate", False))

    async def check(self) -> None:
        # A connect can take seconds while NATS is down; the status check waits for it only briefly,
        # without cancelling it (a connect cancelled half-way leaves the client's tasks behind).
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.create_task(self._jetstream())
            self._connecting.add_done_callback(_observe)
        js = await asyncio.wait_for(asyncio.shield(self._connecting), STATUS_TIMEOUT_SECONDS)
        await js.stream_info(self._stream)

    async def close(self) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()
        self._nc = self._js = None


def _observe(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # seen: a failed background connect is reported by the next check


async def _nats_error(exc: Exception) -> None:
    # The client's default callback logs a traceback per failed (re)connect attempt.
    log.warning("event_stream_nats_error", error=type(exc).__name__)


async def _nats_disconnected() -> None:
    log.warning("event_stream_nats_disconnected")


# KEYS: the stream, then one marker per event. ARGV: marker TTL, MAXLEN, then id, type, tenant id and
# body per event. A marker set here means the entry was added in the same atomic script.
_XADD_ONCE = """
local duplicates = 0
for i = 2, #KEYS do
  local base = 2 + (i - 2) * 4
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*',
      'id', ARGV[base + 1], 'type', ARGV[base + 2], 'tenant_id', ARGV[base + 3], 'body', ARGV[base + 4])
  else
    duplicates = duplicates + 1
  end
end
return duplicates
"""


class RedisStreamPublisher:
    broker = "redis"

    def __init__(self, url: str, *, key_prefix: str, maxlen: int) -> None:
        self.stream_key = f"{key_prefix}events"
        self._marker_prefix = f"{key_prefix}events:published:"
        self._maxlen = maxlen
        self._redis = Redis.from_url(
            url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS, socket_timeout=PUBLISH_TIMEOUT_SECONDS
        )
        self._script = self._redis.register_script(_XADD_ONCE)

    def marker_key(self, event_id: int) -> str:
        return f"{self._marker_prefix}{event_id}"

    async def publish(self, messages: list[EventMessage]) -> int:
        keys = [self.stream_key, *(self.marker_key(message.id) for message in messages)]
        args: list[str | int] = [REDIS_DEDUPE_SECONDS, self._maxlen]
        for message in messages:
            tenant = str(message.tenant_id) if message.tenant_id else ""
            args += [str(message.id), message.type, tenant, encode(message).decode()]
        return int(await self._script(keys=keys, args=args))

    async def check(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


def publisher_from_settings(settings: Settings) -> Publisher | None:
    """The publisher EVENT_STREAM_URL names (None when unset). Raises ConfigurationError for a
    scheme this build cannot publish to, so a misconfigured install fails at startup."""
    if settings.event_stream_url is None:
        return None
    url = settings.event_stream_url.get_secret_value().strip()
    if not url:
        return None
    scheme = urlsplit(url).scheme.lower()
    if scheme in {"nats", "tls"}:
        return NatsPublisher(
            url, stream=settings.event_stream_name, subject_prefix=settings.event_stream_subject_prefix
        )
    if scheme in {"redis", "rediss"}:
        prefix = settings.event_stream_key_prefix
        return RedisStreamPublisher(
            url,
            key_prefix=settings.redis_prefix if prefix is None else prefix,
            maxlen=settings.event_stream_maxlen,
        )
    if scheme == "kafka":
        raise ConfigurationError("EVENT_STREAM_URL: kafka:// is not supported yet; use nats:// or redis://")
    # Never echo the URL: it may carry a password.
    raise ConfigurationError(f"EVENT_STREAM_URL: unsupported scheme {scheme!r}; use nats:// or redis://")


class EventStreamer:
    """Publishes every outbox event through `publisher` as the dispatcher's batch consumer `name`."""

    def __init__(self, publisher: Publisher, *, name: str = CONSUMER_NAME) -> None:
        self.publisher = publisher
        self.name = name

    def start(self) -> None:
        outbox.consume_batches(self.name)(self.consume)

    async def stop(self) -> None:
        outbox.stop_consuming(self.name)
        await self.publisher.close()

    async def consume(self, messages: list[EventMessage]) -> None:
        broker = self.publisher.broker
        try:
            duplicates = await self.publisher.publish(messages)
        except Exception as exc:
            FAILURES.labels(broker).inc()
            # The class name only: broker errors can quote the URL, password included.
            raise ConsumerUnavailable(f"{broker} publish failed: {type(exc).__name__}") from None
        PUBLISHED.labels(broker, "published").inc(len(messages) - duplicates)
        if duplicates:
            PUBLISHED.labels(broker, "duplicate").inc(duplicates)

    async def status(self, db: Database) -> dict[str, Any]:
        """For /readyz: the broker's state and the events waiting for it. Never fails readiness: while
        the broker is down events just wait in the backlog."""
        try:
            await asyncio.wait_for(self.publisher.check(), timeout=STATUS_TIMEOUT_SECONDS * 2)
            state = "ok"
        except Exception as exc:
            state = f"error: {type(exc).__name__}"
        return {
            "broker": self.publisher.broker,
            "state": state,
            "pending": await outbox.backlog_size(db, self.name),
        }
