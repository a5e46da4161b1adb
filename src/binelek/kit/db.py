"""Database engine, declarative base, shared mixins and the tenant guard.

Tenant isolation is enforced here, once, for every model that carries `TenantMixin`: a session
opened for a tenant adds `tenant_id = :tenant` to every ORM query touching a tenant-owned model and
refuses to flush a tenant-owned row that belongs to another tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, DateTime, ForeignKey, MetaData, TypeDecorator, Uuid, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)

from binelek.kit import rls

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
        list[dict[str, Any]]: JSONType,
    }


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TenantMixin:
    """Marks a model as owned by a tenant; the session guard scopes it automatically."""

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(Uuid(), ForeignKey("tenants.id", ondelete="CASCADE"), index=True)


class TenantIsolationError(RuntimeError):
    """A tenant-scoped session tried to write another tenant's row."""


TENANT_KEY = "tenant_id"
AFTER_COMMIT_KEY = "after_commit"


_Item = TypeVar("_Item")


def padded(values: Collection[_Item]) -> list[_Item]:
    """`values` for an IN list, its last item repeated up to the next power of two (8 at least).
    SQLAlchemy renders one placeholder per item, so each list length is another statement, and every
    pooled PostgreSQL connection keeps its last 100 prepared statements: lists of every length kept
    filling those caches, and the API processes' memory, through a 30-minute soak. Padded, a query has
    a handful of shapes; repeating an item in an IN list changes nothing it matches."""
    items = list(values)
    if not items:
        return items
    size = max(8, 1 << (len(items) - 1).bit_length())
    return items + [items[-1]] * (size - len(items))


def after_commit(session: AsyncSession, callback: Callable[[], Awaitable[None]]) -> None:
    """Run `callback` once the session's transaction has committed (cache invalidation, wake-ups)."""
    session.info.setdefault(AFTER_COMMIT_KEY, []).append(callback)


@event.listens_for(Session, "do_orm_execute")
def _scope_queries_to_tenant(state: ORMExecuteState) -> None:
    tenant_id = state.session.info.get(TENANT_KEY)
    if tenant_id is None or state.is_column_load or state.is_relationship_load:
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(_tenant_criteria(tenant_id))


@lru_cache(maxsize=4096)
def _tenant_criteria(tenant_id: uuid.UUID) -> Any:
    """One loader-criteria option per tenant, built once: constructing it costs more than the query."""
    return with_loader_criteria(
        TenantMixin,
        lambda cls: cls.tenant_id == tenant_id,
        include_aliases=True,
        track_closure_variables=False,
    )


@event.listens_for(Session, "after_begin")
def _scope_transaction_to_tenant(session: Session, _transaction: Any, connection: Connection) -> None:
    """PostgreSQL row-level security (kit/rls.py): a tenant session's every transaction runs with
    app.tenant_id set, transaction-local, so a pooled connection never carries it further."""
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is not None and connection.dialect.name == "postgresql":
        rls.set_tenant(connection, tenant_id)


@event.listens_for(Session, "before_flush")
def _refuse_foreign_tenant_writes(session: Session, _context: Any, _instances: Any) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is None:
        return
    new = session.new  # a fresh set on every access: read it once, not once per object
    for obj in (*new, *session.dirty, *session.deleted):
        if not isinstance(obj, TenantMixin):
            continue
        if obj in new and getattr(obj, "tenant_id", None) is None:
            obj.tenant_id = tenant_id
        if obj.tenant_id != tenant_id:
            raise TenantIsolationError(f"{type(obj).__name__} belongs to another tenant")


class Database:
    """One engine and session factory per process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine: AsyncEngine = _create_engine(url, echo=echo)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self, tenant_id: uuid.UUID | None = None) -> AsyncIterator[AsyncSession]:
        """A unit of work; commits on success, rolls back on error."""
        async with self.sessions() as session:
            if tenant_id is not None:
                session.info[TENANT_KEY] = tenant_id
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            for callback in session.info.pop(AFTER_COMMIT_KEY, []):
                await callback()

    async def dispose(self) -> None:
        await self.engine.dispose()


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _sqlite_local_time(stored: str | None, timezone: str) -> str | None:
    """SQLite has no time zones: the wall-clock time in `timezone` of a stored (naive UTC) timestamp,
    for grouping by the tenant's local day, week or month."""
    if stored is None:
        return None
    moment = datetime.fromisoformat(stored).replace(tzinfo=UTC).astimezone(_zone(timezone))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


ANALYZE_AFTER_ROWS = 1000


async def refresh_statistics(db: Database, tables: list[str]) -> None:
    """Update the planner's statistics after a bulk write: a plan made for empty tables (a fresh
    import) scans where an index would do, for every report, until autovacuum gets round to it."""
    async with db.engine.connect() as conn:
        for table in tables:
            await conn.exec_driver_sql(f'ANALYZE "{table}"')  # our own table names, never user input
        await conn.commit()


def _create_engine(url: str, *, echo: bool) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            dbapi_connection.create_function("bk_local", 2, _sqlite_local_time, deterministic=True)

        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)
