"""One attempt at a delivery: read what to send, POST it signed (SSRF-guarded, no redirects, a hard
timeout), record the answer and judge the endpoint's health. Called from the DBOS workflow's steps
in `jobs.py`; each call commits on its own, so a crash repeats at most the request."""

from __future__ import annotations

import asyncio
import ssl
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import httpx
import structlog
from sqlalchemy import update

from binelek.kit.crypto import Encryptor
from binelek.kit.db import Database, utcnow
from binelek.kit.netguard import GuardedTransport, TargetRefused
from binelek.kit.settings import Settings
from binelek.webhooks import service, signing
from binelek.webhooks.models import RESPONSE_BODY_LIMIT, WebhookDelivery, WebhookEndpoint
from binelek.webhooks.repository import tenant_of_delivery

log = structlog.get_logger(__name__)
USER_AGENT = "Binelek-Webhooks/1.0"
TERMINAL = ("succeeded", "failed")


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None
    body: str | None
    duration_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=False)  # loading the CA bundle is the costly part


async def post(url: str, headers: dict[str, str], body: str, settings: Settings) -> Answer:
    transport = GuardedTransport(
        allow_private=settings.binelek_allow_private_targets, verify=_ssl_context(), http2=False
    )
    started = time.monotonic()
    status: int | None = None
    error: str | None = None
    text: str | None = None
    try:
        async with (
            asyncio.timeout(settings.webhook_timeout_seconds),
            httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False) as client,
            client.stream("POST", url, content=body.encode(), headers=headers) as response,
        ):
            status = response.status_code
            text = await _head_of(response)
            if response.is_redirect:
                error = "The endpoint answered with a redirect; redirects are not followed."
            elif not 200 <= status < 300:
                error = f"The endpoint answered {status}."
    except TargetRefused as refused:
        error = str(refused).split(" (set ", 1)[0]
    except TimeoutError:
        error = f"No answer within {settings.webhook_timeout_seconds:g} seconds."
    except httpx.TimeoutException:
        error = f"No answer within {settings.webhook_timeout_seconds:g} seconds."
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
    return Answer(status, text, int((time.monotonic() - started) * 1000), error)


async def _head_of(response: httpx.Response) -> str:
    """The first 2 KB of the answer; the rest is not read (a receiver may answer with anything)."""
    head = b""
    async for chunk in response.aiter_raw():
        head += chunk
        if len(head) >= RESPONSE_BODY_LIMIT:
            break
    return head[:RESPONSE_BODY_LIMIT].decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Prepared:
    tenant_id: uuid.UUID
    url: str
    message_id: str
    body: str
    secrets: list[str]


async def _prepare(db: Database, encryptor: Encryptor, delivery_id: uuid.UUID) -> Prepared | str:
    """What to send, or the final status when nothing should be sent."""
    async with db.session() as session:
        tenant_id = await tenant_of_delivery(session, delivery_id)
    if tenant_id is None:
        return "deleted"
    async with db.session(tenant_id=tenant_id) as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
        if delivery is None or endpoint is None:
            return "deleted"
        if delivery.status in TERMINAL:
            return delivery.status
        if not endpoint.enabled and not service.is_test(delivery):
            delivery.status = "failed"
            delivery.error = "The endpoint is disabled."
            delivery.next_attempt_at = None
            return "failed"
        return Prepared(
            tenant_id=tenant_id,
            url=endpoint.url,
            message_id=delivery.message_id,
            body=delivery.request_body,
            secrets=service.signing_secrets(endpoint, encryptor, utcnow()),
        )


async def attempt(
    db: Database,
    settings: Settings,
    encryptor: Encryptor,
    delivery_id: uuid.UUID,
    number: int,
    retry_in: float | None,
) -> str:
    """Attempt `number`; `retry_in` is the wait before the next one (None: this is the last).
    Returns the delivery's status afterwards."""
    prepared = await _prepare(db, encryptor, delivery_id)
    if isinstance(prepared, str):
        return prepared
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": prepared.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(
            prepared.secrets, prepared.message_id, timestamp, prepared.body
        ),
    }
    answer = await post(prepared.url, headers, prepared.body, settings)
    log.info(
        "webhook_attempt",
        delivery_id=str(delivery_id),
        attempt=number,
        status=answer.status,
        ok=answer.ok,
        duration_ms=answer.duration_ms,
    )
    return await _record(db, prepared.tenant_id, delivery_id, number, retry_in, answer)


async def _record(
    db: Database,
    tenant_id: uuid.UUID,
    delivery_id: uuid.UUID,
    number: int,
    retry_in: float | None,
    answer: Answer,
) -> str:
    now = utcnow()
    async with db.session(tenant_id=tenant_id) as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return "deleted"
        # Write to the endpoint first: that takes its row lock (PostgreSQL) or the database's write
        # lock (SQLite) before its counters are read, so concurrent deliveries count every failure.
        await session.execute(
            update(WebhookEndpoint).where(WebhookEndpoint.id == delivery.endpoint_id).values(updated_at=now)
        )
        endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id, populate_existing=True)
        entry: dict[str, Any] = {
            "attempt": number,
            "at": now.isoformat(),
            "response_status": answer.status,
            "duration_ms": answer.duration_ms,
            "error": answer.error,
        }
        delivery.attempt_log = [*delivery.attempt_log, entry]
        delivery.attempts = number
        delivery.last_attempt_at = now
        delivery.response_status = answer.status
        delivery.response_body = answer.body
        delivery.duration_ms = answer.duration_ms
        delivery.error = answer.error
        counts = endpoint is not None and not service.is_test(delivery)
        if answer.ok:
            delivery.status, delivery.next_attempt_at = "succeeded", None
            if counts and endpoint is not None:
                endpoint.failed_messages_in_row = 0
                endpoint.failing_since = None
        elif answer.status == 410:
            delivery.status, delivery.next_attempt_at = "failed", None
            if counts and endpoint is not None and endpoint.enabled:
                await service.disable(session, endpoint, "The endpoint answered 410 Gone.")
        else:
            last = retry_in is None
            delivery.status = "failed" if last else "retrying"
            delivery.next_attempt_at = None if last else now + timedelta(seconds=retry_in or 0)
            if counts and endpoint is not None:
                await _judge_failure(session, endpoint, now, message_failed=last)
        return delivery.status


async def _judge_failure(
    session: Any, endpoint: WebhookEndpoint, now: datetime, *, message_failed: bool
) -> None:
    endpoint.failing_since = endpoint.failing_since or now
    if message_failed:
        endpoint.failed_messages_in_row += 1
    if not endpoint.enabled:
        return
    if endpoint.failed_messages_in_row >= service.DISABLE_AFTER_FAILED_MESSAGES:
        await service.disable(
            session,
            endpoint,
            f"Every attempt failed for {endpoint.failed_messages_in_row} messages in a row.",
        )
    elif now - endpoint.failing_since >= service.DISABLE_AFTER_FAILING_FOR:
        await service.disable(session, endpoint, "Every attempt has failed for more than 24 hours.")
