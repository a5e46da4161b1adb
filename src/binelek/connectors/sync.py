"""The sync engine: pages from a provider's adapter into the common schema, one checkpoint per page.

A run syncs its streams in the adapter's order. Each page is written in one transaction together
with the stream's checkpoint and the run's counters, so a process killed at any moment resumes
at the page after the last one committed, and a page read twice upserts to the same rows (keyed by
tenant, connection and the provider's id). The next page is fetched while the current one is
written. Records that fail are counted and reported, never abort the page.
"""

from __future__ import annotations

import asyncio
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from binelek.connectors import credentials, repository, service
from binelek.connectors.adapters import adapter_for
from binelek.connectors.adapters.base import Adapter, Checkpoint, ConnectionContext, Page, Record
from binelek.connectors.api_client import ApiClient, ProviderError, RateLimiter
from binelek.connectors.credentials import ConnectionNeedsReauthorization, TokenKeeper
from binelek.connectors.models import (
    CalendarEvent,
    Company,
    Connection,
    Contact,
    Customer,
    Deal,
    EmailMessage,
    Invoice,
    Order,
    OrderItem,
    Payment,
    Product,
    Refund,
    SyncRun,
    SyncState,
)
from binelek.connectors.repository import table_of
from binelek.kit import dataversion, outbox
from binelek.kit.crypto import Encryptor
from binelek.kit.db import ANALYZE_AFTER_ROWS, Database, refresh_statistics, utcnow
from binelek.kit.settings import Settings

log = structlog.get_logger(__name__)

HTTP_TIMEOUT_SECONDS = 60.0
ERRORS_KEPT_PER_RUN = 100

ENTITY_TABLES: dict[str, Table] = {
    "customers": table_of(Customer),
    "products": table_of(Product),
    "orders": table_of(Order),
    "order_items": table_of(OrderItem),
    "payments": table_of(Payment),
    "refunds": table_of(Refund),
    "invoices": table_of(Invoice),
    "companies": table_of(Company),
    "contacts": table_of(Contact),
    "deals": table_of(Deal),
    "email_messages": table_of(EmailMessage),
    "calendar_events": table_of(CalendarEvent),
}
# Reference key → (foreign-key column, parent table), resolved by the parent's source id.
REFERENCES: dict[str, tuple[str, Table]] = {
    "_customer": ("customer_id", ENTITY_TABLES["customers"]),
    "_order": ("order_id", ENTITY_TABLES["orders"]),
    "_product": ("product_id", ENTITY_TABLES["products"]),
    "_payment": ("payment_id", ENTITY_TABLES["payments"]),
    "_company": ("company_id", ENTITY_TABLES["companies"]),
    "_contact": ("contact_id", ENTITY_TABLES["contacts"]),
}
REQUIRED_REFERENCES = {"order_items": "_order"}  # order_items.order_id is NOT NULL
LINK_BY_EMAIL = ("orders", "invoices")  # without `_customer`, the tenant's customer with that e-mail

_limiters: dict[uuid.UUID, RateLimiter] = {}


@dataclass
class SyncEnv:
    """What a sync needs from the process."""

    db: Database
    settings: Settings
    encryptor: Encryptor
    sleep: Callable[[float], Any] = asyncio.sleep


class SyncFailed(Exception):
    pass


# -- writing a page ------------------------------------------------------------------------------


@dataclass(slots=True)
class Counts:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    failed: int = 0

    def add_to(self, totals: dict[str, int]) -> dict[str, int]:
        merged = dict(totals)
        for key in ("fetched", "created", "updated", "deleted", "failed"):
            merged[key] = merged.get(key, 0) + getattr(self, key)
        merged["pages"] = merged.get("pages", 0) + 1
        return merged


async def write_page(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    page: Page,
    *,
    announce_new: bool = True,
) -> Counts:
    """Write a page. `announce_new=False` (a stream's first full sync) writes history: it emits no
    `order.created`-style events, so connecting a shop does not fire automations for two years of
    old orders; later passes announce what is new."""
    counts = Counts()
    written: dict[str, dict[str, uuid.UUID]] = {}  # table → source id → row id, from this page
    for entity, records in page.records.items():
        await _write_entity(conn, tenant_id, connection_id, entity, records, counts, written, announce_new)
    for entity, source_ids in page.deleted.items():
        if source_ids:
            counts.deleted += await _delete(conn, ENTITY_TABLES[entity], tenant_id, connection_id, source_ids)
    if page.records or page.deleted:
        await dataversion.bump(conn, tenant_id)
    return counts


async def _write_entity(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    entity: str,
    records: list[Record],
    counts: Counts,
    written: dict[str, dict[str, uuid.UUID]],
    announce_new: bool,
) -> None:
    """Write one entity's records (the adapter's dicts are consumed: references become columns)."""
    table = ENTITY_TABLES[entity]
    counts.fetched += len(records)
    await _resolve_references(conn, tenant_id, connection_id, records, written)
    if entity in LINK_BY_EMAIL:
        await _link_by_email(conn, tenant_id, records)
    required = REQUIRED_REFERENCES.get(entity)
    if required is not None:
        column = REFERENCES[required][0]
        kept = [record for record in records if record.get(column) is not None]
        counts.failed += len(records) - len(kept)
        records = kept
    if not records:
        return
    before = await _deal_stages(conn, tenant_id, connection_id, records) if entity == "deals" else {}
    service.add_content_hashes(records)
    outcome = await repository.upsert(conn, table, tenant_id, connection_id, records)
    written[table.name] = outcome.ids
    counts.created += len(outcome.created)
    counts.updated += outcome.updated
    if not announce_new:
        return
    events: list[service.OutboxEvent] = []
    importer = service.IMPORTERS.get(entity)
    if importer is not None and importer.event is not None:
        events += [e for e in (importer.event(row_id, values) for row_id, values in outcome.created) if e]
    if entity == "deals":
        events += _stage_changes(before, records)
    await service.emit_all(conn, tenant_id, events)


async def _resolve_references(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    records: list[Record],
    written: dict[str, dict[str, uuid.UUID]],
) -> None:
    for key, (column, parent) in REFERENCES.items():
        wanted = {record[key] for record in records if record.get(key)}
        found = {
            source_id: row_id
            for source_id, row_id in written.get(parent.name, {}).items()
            if source_id in wanted
        }
        missing = wanted - found.keys()  # parents written by earlier pages or runs
        if missing:
            found.update(await repository.ids_by_source(conn, parent, tenant_id, connection_id, missing))
        if not any(key in record for record in records):
            continue
        for record in records:  # every row gets the column: a multi-row insert needs the same keys
            reference = record.pop(key, None)
            record[column] = found.get(reference) if reference else None


async def _link_by_email(conn: AsyncConnection, tenant_id: uuid.UUID, records: list[Record]) -> None:
    unlinked = {
        r["customer_email"] for r in records if r.get("customer_id") is None and r.get("customer_email")
    }
    found = await repository.ids_by(conn, ENTITY_TABLES["customers"], "email", tenant_id, unlinked)
    for record in records:
        if record.get("customer_id") is None:
            record["customer_id"] = found.get(record.get("customer_email") or "")


async def _deal_stages(
    conn: AsyncConnection, tenant_id: uuid.UUID, connection_id: uuid.UUID, records: list[Record]
) -> dict[str, tuple[uuid.UUID, str]]:
    deals = ENTITY_TABLES["deals"]
    rows = await conn.execute(
        select(deals.c.source_id, deals.c.id, deals.c.stage).where(
            deals.c.tenant_id == tenant_id,
            deals.c.connection_id == connection_id,
            deals.c.source_id.in_([record["source_id"] for record in records]),
        )
    )
    return {source_id: (row_id, stage) for source_id, row_id, stage in rows}


def _stage_changes(
    before: dict[str, tuple[uuid.UUID, str]], records: list[Record]
) -> list[service.OutboxEvent]:
    events: list[service.OutboxEvent] = []
    for record in records:
        known = before.get(record["source_id"])
        if known is None or known[1] == record["stage"]:
            continue
        amount = record.get("amount")
        events.append(
            (
                "deal.stage_changed",
                {
                    "deal_id": str(known[0]),
                    "name": record["name"],
                    "pipeline": record["pipeline"],
                    "from_stage": known[1],
                    "to_stage": record["stage"],
                    "amount": str(amount) if amount is not None else None,
                    "currency": record.get("currency"),
                },
            )
        )
    return events


async def _delete(
    conn: AsyncConnection, table: Table, tenant_id: uuid.UUID, connection_id: uuid.UUID, source_ids: list[str]
) -> int:
    result = await conn.execute(
        delete(table).where(
            table.c.tenant_id == tenant_id,
            table.c.connection_id == connection_id,
            table.c.source_id.in_(source_ids),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# -- syncing a stream ----------------------------------------------------------------------------


@dataclass
class StreamOutcome:
    stream: str
    counts: dict[str, int]
    error: str | None = None
    fatal: bool = False  # the connection cannot sync at all (credentials gone or refused)


class _Session:
    """The connection, its adapter and an API client with fresh tokens, for one stream's sync."""

    def __init__(self, env: SyncEnv, adapter: Adapter, keeper: TokenKeeper, connection: Connection) -> None:
        self.adapter = adapter
        self.keeper = keeper
        self.config = dict(connection.config or {})
        spec = adapter.spec
        limiter = None
        if spec.rate_limit is not None:
            limiter = _limiters.get(connection.id)
            if limiter is None:
                limiter = _limiters[connection.id] = RateLimiter.for_allowance(
                    spec.rate_limit.requests, spec.rate_limit.window_seconds
                )
        self.http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS)
        self.api = ApiClient(
            self.http,
            origin=env.settings.connector_endpoints.get(spec.id),
            headers=lambda: adapter.auth_headers(self.context()),
            limiter=limiter,
            on_unauthorized=keeper.on_unauthorized,
            sleep=env.sleep,
        )

    def context(self) -> ConnectionContext:
        return ConnectionContext(config=self.config, access_token=self.keeper.access_token)

    async def fetch(self, stream: str, checkpoint: Checkpoint | None) -> Page:
        await self.keeper.ensure_fresh()
        return await self.adapter.fetch(self.api, self.context(), stream, checkpoint)


async def open_session(env: SyncEnv, tenant_id: uuid.UUID, connection_id: uuid.UUID) -> _Session:
    async with env.db.session(tenant_id) as session:
        connection = await session.get(Connection, connection_id)
        if connection is None:
            raise SyncFailed("The connection no longer exists.")
        if connection.status != "active":
            raise SyncFailed(f"The connection is {connection.status}; connect it again to sync.")
        tokens = await credentials.load(session, env.encryptor, connection_id)
        adapter = adapter_for(connection.type)
    if adapter is None:
        raise SyncFailed(f"{connection.type} cannot sync.")
    if tokens is None:
        raise SyncFailed("The connection has no credentials; connect it again.")
    keeper = TokenKeeper(env.db, env.settings, env.encryptor, adapter, connection, tokens)
    return _Session(env, adapter, keeper, connection)


async def sync_stream(
    env: SyncEnv, tenant_id: uuid.UUID, connection_id: uuid.UUID, run_id: uuid.UUID, stream: str
) -> StreamOutcome:
    """Sync one stream from its stored checkpoint to the end of the pass."""
    async with env.db.session(tenant_id) as session:
        state = await _state_of(session, connection_id, stream)
        checkpoint = state.checkpoint if state is not None else None
        history = state is None or not state.full_sync_done
    try:
        sync = await open_session(env, tenant_id, connection_id)
    except SyncFailed as exc:
        return StreamOutcome(stream, {}, error=str(exc), fatal=True)
    try:
        return await _pages(env, sync, tenant_id, connection_id, run_id, stream, checkpoint, history)
    finally:
        await sync.http.aclose()


async def _pages(
    env: SyncEnv,
    sync: _Session,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    run_id: uuid.UUID,
    stream: str,
    checkpoint: Checkpoint | None,
    history: bool,
) -> StreamOutcome:
    totals: dict[str, int] = {}
    upcoming: asyncio.Task[Page] | None = None
    requests_seen = throttled_seen = 0
    try:
        page = await sync.fetch(stream, checkpoint)
        while True:
            upcoming = None if page.done else asyncio.create_task(sync.fetch(stream, page.checkpoint))
            stats = sync.api.stats
            request_delta, throttled_delta = stats.requests - requests_seen, stats.throttled - throttled_seen
            requests_seen, throttled_seen = stats.requests, stats.throttled
            totals = await _commit_page(
                env, tenant_id, connection_id, run_id, stream, page, request_delta, throttled_delta, history
            )
            if upcoming is None:
                return StreamOutcome(stream, totals)
            page = await upcoming
    except ProviderError as exc:
        if upcoming is not None:
            upcoming.cancel()
        return StreamOutcome(stream, totals, error=str(exc))
    except (ConnectionNeedsReauthorization, SyncFailed) as exc:
        if upcoming is not None:
            upcoming.cancel()
        return StreamOutcome(stream, totals, error=str(exc), fatal=True)
    except Exception as exc:
        # A bug or an answer the adapter could not read: the run reports it instead of hanging.
        if upcoming is not None:
            upcoming.cancel()
        # Not log.exception: the message of a database error quotes the rows (customers' details).
        where = traceback.extract_tb(exc.__traceback__)[-1]
        log.error(
            "sync_stream_failed",
            stream=stream,
            connection_id=str(connection_id),
            error=type(exc).__name__,
            at=f"{where.filename}:{where.lineno}",
        )
        return StreamOutcome(stream, totals, error=f"unexpected error ({type(exc).__name__})")
    except BaseException:
        if upcoming is not None:
            upcoming.cancel()
        raise


async def _commit_page(
    env: SyncEnv,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    run_id: uuid.UUID,
    stream: str,
    page: Page,
    requests: int,
    throttled: int,
    history: bool,
) -> dict[str, int]:
    async with env.db.session(tenant_id) as session:
        conn = await session.connection()
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            await conn.execute(service.FORCE_CUSTOM_PLAN)
        counts = await write_page(conn, tenant_id, connection_id, page, announce_new=not history)
        await _save_checkpoint(session, tenant_id, connection_id, run_id, stream, page)
        run = await session.get(SyncRun, run_id, populate_existing=True, with_for_update=postgres)
        assert run is not None
        totals = counts.add_to(run.records.get(stream, {}))
        run.records = {**run.records, stream: totals}
        run.requests += requests
        run.throttled += throttled
    return totals


async def _state_of(session: AsyncSession, connection_id: uuid.UUID, stream: str) -> SyncState | None:
    statement = select(SyncState).where(SyncState.connection_id == connection_id, SyncState.stream == stream)
    return (await session.execute(statement)).scalar_one_or_none()


async def _save_checkpoint(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    run_id: uuid.UUID,
    stream: str,
    page: Page,
) -> None:
    state = await _state_of(session, connection_id, stream)
    if state is None:
        state = SyncState(connection_id=connection_id, stream=stream, tenant_id=tenant_id)
        session.add(state)
    state.checkpoint = page.checkpoint
    state.run_id = run_id
    if page.done:
        state.full_sync_done = True


# -- a run ---------------------------------------------------------------------------------------


async def start_run(env: SyncEnv, tenant_id: uuid.UUID, run_id: uuid.UUID) -> list[str]:
    """Mark the run running; returns the streams it syncs, in order."""
    async with env.db.session(tenant_id) as session:
        run = await session.get(SyncRun, run_id)
        if run is None:
            return []
        connection = await session.get(Connection, run.connection_id)
        adapter = adapter_for(connection.type) if connection else None
        if run.status in ("completed", "failed"):
            return []
        run.status = "running"
        run.started_at = run.started_at or utcnow()
        if adapter is None:
            return []
        wanted = set(run.streams)
        return [stream for stream in adapter.streams if not wanted or stream in wanted]


async def finish_run(
    env: SyncEnv, tenant_id: uuid.UUID, run_id: uuid.UUID, outcomes: list[StreamOutcome]
) -> str:
    status, synced = await _close_run(env, tenant_id, run_id, outcomes)
    if synced >= ANALYZE_AFTER_ROWS:
        await refresh_statistics(env.db, [table.name for table in ENTITY_TABLES.values()])
    return status


async def _close_run(
    env: SyncEnv, tenant_id: uuid.UUID, run_id: uuid.UUID, outcomes: list[StreamOutcome]
) -> tuple[str, int]:
    errors = [{"stream": o.stream, "message": o.error[:500]} for o in outcomes if o.error][
        :ERRORS_KEPT_PER_RUN
    ]
    async with env.db.session(tenant_id) as session:
        run = await session.get(SyncRun, run_id)
        if run is None:
            return "missing", 0
        if run.status in ("completed", "failed"):
            return run.status, 0
        connection = await session.get(Connection, run.connection_id)
        finished = utcnow()
        started = run.started_at or finished
        run.status = "failed" if errors and len(errors) == len(outcomes) else "completed"
        if not outcomes and connection is not None and connection.status != "active":
            run.status = "failed"
            run.detail = f"The connection is {connection.status}."
        run.errors = errors
        run.finished_at = finished
        run.duration_ms = int((finished - started).total_seconds() * 1000)
        synced = sum(stream.get("fetched", 0) for stream in run.records.values())
        if connection is not None:
            if run.status == "completed":
                connection.last_synced_at = finished
                if not errors:
                    connection.last_error = None
            if errors:
                connection.last_error = errors[0]["message"]
            outbox.emit(
                session,
                "connector.sync.completed",
                {
                    "connector_id": str(connection.id),
                    "connector_type": connection.type,
                    "run_id": str(run_id),
                    "records_synced": synced,
                    "duration_ms": run.duration_ms,
                    "status": run.status,
                },
                tenant_id,
            )
        status = run.status
    await service.emit_overdue_invoices(env.db, tenant_id)
    log.info("sync_finished", run_id=str(run_id), status=status)
    return status, synced


async def run_inline(env: SyncEnv, tenant_id: uuid.UUID, run_id: uuid.UUID) -> str:
    """A whole run in this task, without the job queue (the CLI and benchmarks)."""
    streams = await start_run(env, tenant_id, run_id)
    connection_id = await _connection_of(env, tenant_id, run_id)
    outcomes: list[StreamOutcome] = []
    for stream in streams:
        outcomes.append(await sync_stream(env, tenant_id, connection_id, run_id, stream))
        if outcomes[-1].fatal:
            break
    return await finish_run(env, tenant_id, run_id, outcomes)


async def _connection_of(env: SyncEnv, tenant_id: uuid.UUID, run_id: uuid.UUID) -> uuid.UUID:
    async with env.db.session(tenant_id) as session:
        connection_id = await session.scalar(select(SyncRun.connection_id).where(SyncRun.id == run_id))
    if connection_id is None:
        raise SyncFailed("The run does not exist.")
    return connection_id
