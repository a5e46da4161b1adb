"""Outgoing webhooks' business rules: endpoints (URL and event validation, secrets encrypted at rest,
rotation with an overlap), turning outbox events into deliveries, test pings and redeliveries.
Sending and the retry schedule live in `delivery.py` and `jobs.py`."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.identity import service as identity
from binelek.kit.auth import Principal
from binelek.kit.crypto import Encryptor
from binelek.kit.db import Database, utcnow
from binelek.kit.errors import ProblemError, ValidationFailed
from binelek.kit.netguard import TargetRefused, checked_addresses
from binelek.kit.settings import Settings
from binelek.notifications import service as notifications
from binelek.webhooks import catalogue, signing
from binelek.webhooks.models import WebhookDelivery, WebhookEndpoint
from binelek.webhooks.repository import DeliveryRepository, EndpointRepository, enabled_endpoints_of
from binelek.webhooks.schemas import EndpointIn, EndpointPatch

log = structlog.get_logger(__name__)
ROTATION_OVERLAP = timedelta(hours=24)  # the old secret keeps signing this long after a rotation
DISABLE_AFTER_FAILED_MESSAGES = 5
DISABLE_AFTER_FAILING_FOR = timedelta(hours=24)
RESOLVE_TIMEOUT_SECONDS = 3.0


class InvalidWebhook(ValidationFailed):
    def __init__(self, detail: str, *, field: str, code: str) -> None:
        super().__init__(detail, field=field)
        self.code = code


class EndpointDisabled(ProblemError):
    status, code = 409, "WEBHOOK_ENDPOINT_DISABLED"


# -- validation -------------------------------------------------------------------------------------


async def check_url(url: str, settings: Settings) -> str:
    """The URL as stored, or a 422 saying what is wrong with it. Private targets are refused here
    already (a literal address, or a name that resolves to one); the transport checks again at
    every connection, since DNS answers change."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidWebhook(
            "The URL must be an absolute http(s) URL.", field="url", code="WEBHOOK_URL_INVALID"
        )
    if settings.is_production and parts.scheme != "https":
        raise InvalidWebhook("The URL must use https.", field="url", code="WEBHOOK_URL_INSECURE")
    if parts.username or parts.password:
        raise InvalidWebhook(
            "Credentials in the URL are not allowed; use the signing secret to authenticate messages.",
            field="url",
            code="WEBHOOK_URL_INVALID",
        )
    if parts.fragment:
        raise InvalidWebhook("The URL must not have a fragment.", field="url", code="WEBHOOK_URL_INVALID")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidWebhook(
            "The URL's port is not valid.", field="url", code="WEBHOOK_URL_INVALID"
        ) from None
    if not settings.binelek_allow_private_targets:
        await _refuse_private(parts.hostname, port)
    return url.strip()


async def _refuse_private(host: str, port: int) -> None:
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            await checked_addresses(host, port, allow_private=False)
    except TargetRefused as refused:
        raise InvalidWebhook(
            str(refused).split(";", 1)[0] + "; webhooks are sent only to public addresses.",
            field="url",
            code="WEBHOOK_TARGET_NOT_ALLOWED",
        ) from None
    except (httpx.ConnectError, TimeoutError):
        pass  # a name that does not resolve (yet) may be set up later: the connection-time check decides


def check_events(events: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(event.strip() for event in events))
    for pattern in cleaned:
        problem = catalogue.pattern_problem(pattern)
        if problem:
            raise InvalidWebhook(problem, field="events", code="WEBHOOK_EVENT_UNKNOWN")
    return cleaned


def check_secret(secret: str) -> str:
    problem = signing.secret_problem(secret)
    if problem:
        raise InvalidWebhook(problem, field="secret", code="WEBHOOK_SECRET_INVALID")
    return secret


# -- endpoints --------------------------------------------------------------------------------------


async def create_endpoint(
    session: AsyncSession, settings: Settings, encryptor: Encryptor, principal: Principal, body: EndpointIn
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its secret in clear, for the one answer that shows it."""
    url = await check_url(body.url, settings)
    events = check_events(body.events)
    secret = check_secret(body.secret) if body.secret is not None else signing.generate_secret()
    endpoint = EndpointRepository(session).add(
        WebhookEndpoint(
            id=uuid.uuid4(),
            url=url,
            description=body.description,
            events=events,
            enabled=True,
            secret_encrypted=encryptor.encrypt(secret),
            secret_last4=secret[-4:],
            failed_messages_in_row=0,
            created_by=principal.user_id,
        )
    )
    await session.flush()
    return endpoint, secret


async def update_endpoint(
    session: AsyncSession, settings: Settings, endpoint_id: uuid.UUID, body: EndpointPatch
) -> WebhookEndpoint:
    endpoint = await EndpointRepository(session).get_or_404(endpoint_id)
    if body.url is not None:
        endpoint.url = await check_url(body.url, settings)
    if body.events is not None:
        endpoint.events = check_events(body.events)
    if "description" in body.model_fields_set:
        endpoint.description = body.description
    if body.enabled is True and not endpoint.enabled:
        endpoint.enabled = True
        reset_health(endpoint)
    elif body.enabled is False and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_at = utcnow()
        endpoint.disabled_reason = "Disabled by an administrator."
    await session.flush()
    return endpoint


def reset_health(endpoint: WebhookEndpoint) -> None:
    endpoint.disabled_at = None
    endpoint.disabled_reason = None
    endpoint.failed_messages_in_row = 0
    endpoint.failing_since = None


async def rotate_secret(
    session: AsyncSession, encryptor: Encryptor, endpoint_id: uuid.UUID
) -> tuple[WebhookEndpoint, str]:
    endpoint = await EndpointRepository(session).get_or_404(endpoint_id)
    secret = signing.generate_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = utcnow() + ROTATION_OVERLAP
    endpoint.secret_encrypted = encryptor.encrypt(secret)
    endpoint.secret_last4 = secret[-4:]
    await session.flush()
    return endpoint, secret


def signing_secrets(endpoint: WebhookEndpoint, encryptor: Encryptor, now: datetime) -> list[str]:
    """The current secret, and the previous one while its overlap lasts."""
    current = [encryptor.decrypt(endpoint.secret_encrypted)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires is not None and expires > now:
        current.append(encryptor.decrypt(endpoint.previous_secret_encrypted))
    return current


async def disable(session: AsyncSession, endpoint: WebhookEndpoint, reason: str) -> None:
    """Stop sending to `endpoint` and tell the tenant's admins why (in the caller's transaction)."""
    endpoint.enabled = False
    endpoint.disabled_at = utcnow()
    endpoint.disabled_reason = reason[:500]
    admins = [member.user_id for member in await identity.member_access(session) if member.role == "admin"]
    await notifications.notify(
        session,
        endpoint.tenant_id,
        admins,
        kind="system",
        title="A webhook endpoint was disabled",
        body=f"{endpoint.url}: {reason}",
        link=f"/settings/webhooks?endpoint={endpoint.id}",
        data={"endpoint_id": str(endpoint.id)},
    )


# -- deliveries -------------------------------------------------------------------------------------


def message_body(event_type: str, data: dict[str, Any], at: datetime) -> str:
    """The payload every receiver gets, serialized once: retries and redeliveries send these bytes."""
    timestamp = at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps({"type": event_type, "timestamp": timestamp, "data": data}, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class NewMessage:
    event_id: int
    type: str
    tenant_id: uuid.UUID
    data: dict[str, Any]


async def deliveries_for_events(db: Database, messages: Sequence[NewMessage]) -> list[uuid.UUID]:
    """Delivery rows for each message an enabled endpoint subscribed to; returns the ids of every
    pending delivery of these messages, new or made by an earlier hand-over of the same events
    (starting their workflows again is harmless: the workflow id is the delivery id)."""
    relevant = [message for message in messages if message.type in catalogue.DELIVERABLE]
    if not relevant:
        return []
    async with db.session() as session:
        endpoints = await enabled_endpoints_of(session, {message.tenant_id for message in relevant})
    by_tenant: dict[uuid.UUID, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in endpoints:
        by_tenant[endpoint.tenant_id].append(endpoint)
    pending: list[uuid.UUID] = []
    for tenant_id, tenant_endpoints in by_tenant.items():
        tenant_messages = [message for message in relevant if message.tenant_id == tenant_id]
        try:
            pending.extend(await _tenant_deliveries(db, tenant_id, tenant_endpoints, tenant_messages))
        except Exception:
            # One tenant's failure must not hold back every tenant's events (the whole outbox waits
            # on a consumer that raises); it is logged with the events it concerned.
            log.exception(
                "webhook_deliveries_not_created",
                tenant_id=str(tenant_id),
                event_ids=[message.event_id for message in tenant_messages],
            )
    return pending


async def _tenant_deliveries(
    db: Database, tenant_id: uuid.UUID, endpoints: list[WebhookEndpoint], messages: list[NewMessage]
) -> list[uuid.UUID]:
    now = utcnow()
    async with db.session(tenant_id=tenant_id) as session:
        deliveries = DeliveryRepository(session)
        wanted = [
            (endpoint, message)
            for message in messages
            for endpoint in endpoints
            if catalogue.matches(endpoint.events, message.type)
        ]
        if not wanted:
            return []
        keys = {f"event:{message.event_id}" for _, message in wanted}
        existing = await deliveries.existing_keys({endpoint.id for endpoint, _ in wanted}, keys)
        for endpoint, message in wanted:
            key = f"event:{message.event_id}"
            if (endpoint.id, key) in existing:
                continue
            deliveries.add(
                WebhookDelivery(
                    id=uuid.uuid4(),
                    message_id=f"msg_{message.event_id}",
                    endpoint_id=endpoint.id,
                    dedupe_key=key,
                    event_id=message.event_id,
                    event_type=message.type,
                    request_body=message_body(message.type, message.data, now),
                    status="pending",
                    attempts=0,
                    attempt_log=[],
                    next_attempt_at=now,
                )
            )
        await session.flush()
        rows = await session.scalars(
            deliveries.select().where(
                WebhookDelivery.dedupe_key.in_(keys), WebhookDelivery.status.in_(("pending", "retrying"))
            )
        )
        return [row.id for row in rows]


async def send_test(session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookDelivery:
    endpoint = await EndpointRepository(session).get_or_404(endpoint_id)
    now = utcnow()
    ping_id = uuid.uuid4()
    delivery = DeliveryRepository(session).add(
        WebhookDelivery(
            id=uuid.uuid4(),
            message_id=f"msg_test_{ping_id.hex}",
            endpoint_id=endpoint.id,
            dedupe_key=f"test:{ping_id}",
            event_type=catalogue.TEST_EVENT,
            request_body=message_body(
                catalogue.TEST_EVENT, {"endpoint_id": str(endpoint.id), "message": "Test from Binelek"}, now
            ),
            status="pending",
            attempts=0,
            attempt_log=[],
            next_attempt_at=now,
        )
    )
    await session.flush()
    return delivery


async def redeliver(session: AsyncSession, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> WebhookDelivery:
    """The same message again (same webhook-id and body, so a receiver that got it can tell), as a
    new delivery with its own attempts."""
    endpoint = await EndpointRepository(session).get_or_404(endpoint_id)
    deliveries = DeliveryRepository(session)
    original = await deliveries.of_endpoint_or_404(endpoint_id, delivery_id)
    if not endpoint.enabled:
        raise EndpointDisabled("The endpoint is disabled; enable it before redelivering.")
    now = utcnow()
    delivery = deliveries.add(
        WebhookDelivery(
            id=uuid.uuid4(),
            message_id=original.message_id,
            endpoint_id=endpoint.id,
            dedupe_key=f"redeliver:{uuid.uuid4()}",
            event_id=original.event_id,
            event_type=original.event_type,
            request_body=original.request_body,
            status="pending",
            attempts=0,
            attempt_log=[],
            next_attempt_at=now,
            redelivery_of=original.id,
        )
    )
    await session.flush()
    return delivery


def is_test(delivery: WebhookDelivery) -> bool:
    return delivery.dedupe_key.startswith("test:")
