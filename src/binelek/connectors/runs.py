"""Asking for syncs — on demand, on schedule, because a webhook said something changed — and
receiving the providers' webhooks.

At most one run per connection waits in the queue: a new request joins the waiting run (the union
of their streams) instead of queueing another. Runs of one connection never overlap (the job queue
is partitioned by connection). Scheduled syncs follow the tenant's plan (plans.catalogue: free
daily, pro hourly, business every 15 minutes, enterprise every 10).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.connectors import credentials, repository
from binelek.connectors.adapters import adapter_for
from binelek.connectors.adapters.base import SignatureInvalid, WebhookRequest
from binelek.connectors.credentials import OAuthClientConfig
from binelek.connectors.models import Connection, SyncRun, WebhookEvent
from binelek.connectors.repository import FILE_CONNECTION_TYPE, table_of
from binelek.identity.service import tenant_plans
from binelek.kit.crypto import Encryptor
from binelek.kit.db import Database, utcnow
from binelek.kit.errors import Conflict, ProblemError, ResourceNotFound
from binelek.kit.pagination import PageParams
from binelek.kit.settings import Settings
from binelek.plans import service as plans

WEBHOOK_EVENTS = table_of(WebhookEvent)


class WebhookSignatureInvalid(ProblemError):
    status, code = 401, "WEBHOOK_SIGNATURE_INVALID"


def sync_interval(plan: str) -> timedelta:
    return plans.sync_interval(plan)


async def request_sync(
    session: AsyncSession, connection: Connection, trigger: str, streams: list[str] | None = None
) -> tuple[SyncRun, bool]:
    """The queued run that will sync `streams` (None: all); True when it is new and must be enqueued."""
    if connection.type == FILE_CONNECTION_TYPE:
        raise Conflict("File imports are not synced; upload the file again.")
    if connection.status != "active":
        raise Conflict(f"The connection is {connection.status}; connect it again before syncing.")
    waiting = (
        await session.execute(
            select(SyncRun)
            .where(SyncRun.connection_id == connection.id, SyncRun.status == "queued")
            .order_by(SyncRun.created_at)
            .limit(1)
        )
    ).scalar_one_or_none()
    wanted = sorted(set(streams or []))
    if waiting is not None:
        if waiting.streams and wanted:
            waiting.streams = sorted(set(waiting.streams) | set(wanted))
        else:
            waiting.streams = []
        return waiting, False
    run = SyncRun(
        tenant_id=connection.tenant_id, connection_id=connection.id, trigger=trigger, streams=wanted
    )
    session.add(run)
    await session.flush()
    return run, True


async def list_runs(
    session: AsyncSession, connection_id: uuid.UUID, params: PageParams
) -> tuple[list[SyncRun], int]:
    runs = repository.SyncRunRepository(session)
    return await runs.page(runs.of_connection(connection_id), params)


async def get_run(session: AsyncSession, connection_id: uuid.UUID, run_id: uuid.UUID) -> SyncRun:
    run = await repository.SyncRunRepository(session).get(run_id)
    if run is None or run.connection_id != connection_id:
        raise ResourceNotFound("The sync run does not exist.")
    return run


@dataclass(frozen=True, slots=True)
class DueSync:
    tenant_id: uuid.UUID
    run_id: uuid.UUID
    connection_id: uuid.UUID


async def queue_due_syncs(db: Database) -> list[DueSync]:
    """Runs for every active provider connection whose plan interval has passed (a system job)."""
    now = utcnow()
    async with db.session() as session:
        connections = (
            (
                await session.execute(
                    select(Connection).where(
                        Connection.status == "active",
                        Connection.type != FILE_CONNECTION_TYPE,
                        or_(
                            Connection.last_synced_at.is_(None),
                            Connection.last_synced_at < now - plans.shortest_sync_interval(),
                        ),
                    )
                )
            )
            .scalars()
            .all()
        )
        tenant_plan = await tenant_plans(session, {connection.tenant_id for connection in connections})
    due: list[DueSync] = []
    for connection in connections:
        interval = sync_interval(tenant_plan.get(connection.tenant_id, "free"))
        if connection.last_synced_at is not None and connection.last_synced_at > now - interval:
            continue
        async with db.session(connection.tenant_id) as session:
            busy = await session.scalar(
                select(func.count())
                .select_from(SyncRun)
                .where(SyncRun.connection_id == connection.id, SyncRun.status.in_(("queued", "running")))
            )
            if busy:
                continue
            fresh = await session.get(Connection, connection.id)
            if fresh is None:
                continue
            run, _ = await request_sync(session, fresh, "schedule")
            due.append(DueSync(connection.tenant_id, run.id, connection.id))
    return due


# -- webhooks ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    challenge: str | None = None
    accepted: int = 0  # new deliveries
    duplicates: int = 0
    run: DueSync | None = None  # a new run to enqueue


async def receive_webhook(
    db: Database,
    settings: Settings,
    encryptor: Encryptor,
    provider: str,
    connection_id: uuid.UUID,
    request: WebhookRequest,
) -> WebhookOutcome:
    """Verify a delivery on its raw body, drop repeats by event id, and queue an incremental sync of
    what it names. An unverifiable delivery stores nothing."""
    async with db.session() as session:
        connection = await session.get(Connection, connection_id)
        if connection is None or connection.type != provider:
            raise ResourceNotFound("No such connection.")
        tenant_id = connection.tenant_id
    adapter = adapter_for(provider)
    secret = await _webhook_secret(db, settings, encryptor, tenant_id, connection_id, provider)
    if adapter is None:
        raise WebhookSignatureInvalid("This connection takes no webhooks.")
    try:
        result = adapter.verify_webhook(request, secret or "")
    except SignatureInvalid:
        raise WebhookSignatureInvalid("The webhook signature does not verify.") from None
    if result.challenge is not None:
        return WebhookOutcome(challenge=result.challenge)  # a handshake (Graph's validationToken)
    if secret is None:
        # Without a configured secret anyone could sign (an HMAC with an empty key): refuse.
        raise WebhookSignatureInvalid("No webhook secret is configured for this connection.")
    if not result.notices:
        return WebhookOutcome()
    async with db.session(tenant_id) as session:
        conn = await session.connection()
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        fresh_streams: set[str] = set()
        accepted = 0
        for notice in result.notices:
            inserted = await conn.execute(
                dialect_insert(WEBHOOK_EVENTS)
                .values(
                    id=uuid.uuid4(),
                    tenant_id=tenant_id,
                    connection_id=connection_id,
                    event_id=notice.event_id[:255],
                    type=notice.type[:100],
                    received_at=utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["connection_id", "event_id"])
            )
            if getattr(inserted, "rowcount", 0) == 1:
                accepted += 1
                fresh_streams.update(notice.streams)
        duplicates = len(result.notices) - accepted
        if not accepted:
            return WebhookOutcome(duplicates=duplicates)
        connection = await session.get(Connection, connection_id)
        if connection is None or connection.status != "active":
            return WebhookOutcome(accepted=accepted, duplicates=duplicates)
        known = set(adapter.streams)
        run, new = await request_sync(session, connection, "webhook", sorted(fresh_streams & known) or None)
        queued = DueSync(tenant_id, run.id, connection_id) if new else None
    return WebhookOutcome(accepted=accepted, duplicates=duplicates, run=queued)


async def _webhook_secret(
    db: Database,
    settings: Settings,
    encryptor: Encryptor,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    provider: str,
) -> str | None:
    """The connection's own signing secret (Stripe's whsec_…, Square's signature key) if it has one,
    else the OAuth app's."""
    async with db.session(tenant_id) as session:
        tokens = await credentials.load(session, encryptor, connection_id)
    if tokens is not None and tokens.webhook_secret:
        return tokens.webhook_secret
    client = OAuthClientConfig.of(settings, provider)
    return client.webhook_secret if client else None
