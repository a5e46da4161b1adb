"""Mini Foundry's data sources: the tenant's connections and file imports with their record counts,
freshness and quality, and the external databases (PostgreSQL, MySQL/MariaDB, SQLite) an admin
registers to browse their schema and preview their rows.

External databases are only ever read: every session runs in a read-only transaction with a statement
time limit, through blocking drivers in a worker thread. Their URL is stored Fernet-encrypted; the API,
the audit log and the logs only ever see `url_hint`, the URL without its password. SQLite files must
live in the install's data directory, under `databases/`, so a tenant can never open the platform's
own database files nor any other path on the server.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import math
import re
import sqlite3
import ssl
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import structlog
from psycopg import sql as pg_sql
from pymysql.charset import charset_by_name
from sqlalchemy import ColumnElement, String, Table, func, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from binelek.audit import service as audit
from binelek.connectors import service as connectors
from binelek.connectors.models import (
    Company,
    Connection,
    Contact,
    Customer,
    Deal,
    FileImport,
    Invoice,
    Order,
    OrderItem,
    Payment,
    Product,
    Refund,
)
from binelek.foundry.models import ExternalDatabase
from binelek.foundry.schemas import (
    DataSourceOut,
    ExternalColumnOut,
    ExternalDatabaseIn,
    ExternalTableOut,
    ExternalTablePreviewOut,
)
from binelek.kit import dataversion
from binelek.kit.auth import Principal
from binelek.kit.cache import JsonCache
from binelek.kit.crypto import Encryptor
from binelek.kit.db import utcnow
from binelek.kit.errors import Conflict, ProblemError, ResourceNotFound, ValidationFailed
from binelek.kit.repository import TenantRepository
from binelek.kit.request_meta import RequestMeta
from binelek.kit.settings import Settings

log = structlog.get_logger(__name__)

FILE_TYPE = "file"  # the connectors domain's type for the tenant's uploaded files
FILE_SOURCE_NAME = "File imports"
CONNECT_TIMEOUT_SECONDS = 10
STATEMENT_TIMEOUT_SECONDS = 10
INTROSPECTION_BUDGET_SECONDS = 20.0  # after this, tables keep their statistics' estimate uncounted
ROW_COUNT_CAP = 100_000  # a table is counted up to this many rows; beyond, the count says "at least"
COUNTED_TABLES_MAX = 100
MAX_TABLES = 500
MAX_COLUMNS = 300
MAX_DATABASES = 50
PREVIEW_DEFAULT_LIMIT = 50
PREVIEW_MAX_LIMIT = 200
PREVIEW_TEXT_MAX = 1000  # longer text values are cut in a preview
ERROR_TEXT_MAX = 300
SQLITE_DIR = "databases"  # under the data directory: the only place SQLite sources may be opened from
KINDS = {"postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql", "mariadb": "mysql"}
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
# Query parameters a URL may carry. Anything else could make the driver read files on this server
# (libpq's sslkey, passfile, service) or connect elsewhere (host=/socket).
ALLOWED_PARAMETERS = {"postgresql": {"sslmode"}, "mysql": {"ssl", "charset"}, "sqlite": set()}
PG_SSLMODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
MYSQL_SSL_ON = {"true", "1"}
MYSQL_SSL_VALUES = MYSQL_SSL_ON | {"false", "0"}
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}
# libpq skips a password file that does not exist, silently (/dev/null would earn a warning).
NO_PASSFILE = "/nonexistent/binelek/pgpass"


class DataSourceUnreachable(ProblemError):
    status, code = 422, "DATA_SOURCE_UNREACHABLE"


class DataSourceQueryFailed(ProblemError):
    status, code = 422, "DATA_SOURCE_QUERY_FAILED"


# -- quality of the connections' data ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QualityCheck:
    """The columns of a business table whose emptiness says a source's data is incomplete, and the
    natural key that two rows of one source should never share."""

    table: Table
    columns: tuple[str, ...]
    duplicate_key: str | None = None


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


QUALITY_CHECKS: tuple[QualityCheck, ...] = (
    QualityCheck(_table(Customer), ("email", "name", "country", "city"), duplicate_key="email"),
    QualityCheck(_table(Order), ("customer_id", "channel", "placed_at"), duplicate_key="order_number"),
    QualityCheck(_table(OrderItem), ("product_id",)),
    QualityCheck(_table(Product), ("category", "cost"), duplicate_key="sku"),
    QualityCheck(_table(Payment), ("order_id", "method")),
    QualityCheck(_table(Refund), ("order_id",)),
    QualityCheck(_table(Invoice), ("customer_id", "due_at")),
    QualityCheck(_table(Company), ("domain",)),
    QualityCheck(_table(Contact), ("email", "company_id")),
    QualityCheck(_table(Deal), ("amount", "close_date", "company_id")),
)


@dataclass(slots=True)
class TableQuality:
    rows: int
    filled: dict[str, int]  # column → rows where it has a value
    newest_change: datetime | None
    duplicates: int = 0  # rows beyond the first sharing a natural key

    @property
    def cells(self) -> int:
        return self.rows * len(self.filled)


def _has_value(column: Any) -> ColumnElement[Any]:
    """Blank text counts as missing: files and some providers give "" rather than nothing."""
    if isinstance(column.type, String):
        return func.nullif(func.trim(column), "")
    return column  # type: ignore[no-any-return]


async def _table_quality(
    session: AsyncSession, tenant_id: uuid.UUID, check: QualityCheck
) -> dict[uuid.UUID, TableQuality]:
    """One grouped query: rows, filled key columns and the newest change, per connection."""
    table = check.table
    statement = (
        select(
            table.c.connection_id,
            func.count(),
            func.max(table.c.updated_at),
            *(func.count(_has_value(table.c[name])) for name in check.columns),
        )
        .where(table.c.tenant_id == tenant_id)
        .group_by(table.c.connection_id)
    )
    found: dict[uuid.UUID, TableQuality] = {}
    for connection_id, rows, newest, *filled in await session.execute(statement):
        found[connection_id] = TableQuality(
            int(rows), dict(zip(check.columns, map(int, filled), strict=True)), newest
        )
    return found


async def _duplicates(
    session: AsyncSession, tenant_id: uuid.UUID, check: QualityCheck
) -> dict[uuid.UUID, int]:
    """Per connection, how many rows repeat a natural key another row of the same connection has."""
    assert check.duplicate_key is not None
    table = check.table
    key = table.c[check.duplicate_key]
    groups = (
        select(table.c.connection_id, func.count().label("copies"))
        .where(table.c.tenant_id == tenant_id, _has_value(key).is_not(None))
        .group_by(table.c.connection_id, key)
        .having(func.count() > 1)
        .subquery()
    )
    statement = select(groups.c.connection_id, func.sum(groups.c.copies - 1)).group_by(groups.c.connection_id)
    return {connection_id: int(extra or 0) for connection_id, extra in await session.execute(statement)}


async def connection_quality(
    session: AsyncSession, tenant_id: uuid.UUID
) -> dict[uuid.UUID, dict[str, TableQuality]]:
    """Each connection's quality per business table it has rows in."""
    by_connection: dict[uuid.UUID, dict[str, TableQuality]] = {}
    for check in QUALITY_CHECKS:
        per_connection = await _table_quality(session, tenant_id, check)
        if check.duplicate_key is not None and per_connection:
            for connection_id, extra in (await _duplicates(session, tenant_id, check)).items():
                if connection_id in per_connection:
                    per_connection[connection_id].duplicates = extra
        for connection_id, quality in per_connection.items():
            by_connection.setdefault(connection_id, {})[check.table.name] = quality
    return by_connection


def quality_summary(tables: dict[str, TableQuality]) -> dict[str, Any]:
    """{completeness 0..1 (None without rows), duplicates, checked_columns, per-table detail}."""
    cells = sum(quality.cells for quality in tables.values())
    filled = sum(sum(quality.filled.values()) for quality in tables.values())
    duplicate_keys = {
        check.table.name: check.duplicate_key for check in QUALITY_CHECKS if check.duplicate_key
    }
    return {
        "completeness": round(filled / cells, 4) if cells else None,
        "duplicates": sum(quality.duplicates for quality in tables.values()),
        "checked_columns": [
            f"{name}.{column}" for name, quality in tables.items() for column in quality.filled
        ],
        "duplicates_by": {
            f"{name}.{duplicate_keys[name]}": quality.duplicates
            for name, quality in tables.items()
            if name in duplicate_keys
        },
        "tables": {
            name: {
                "rows": quality.rows,
                "completeness": round(sum(quality.filled.values()) / quality.cells, 4)
                if quality.cells
                else None,
                "missing": {column: quality.rows - count for column, count in quality.filled.items()},
            }
            for name, quality in tables.items()
        },
    }


def _newest_change(tables: dict[str, TableQuality]) -> str | None:
    changes = [quality.newest_change for quality in tables.values() if quality.newest_change is not None]
    return max(changes).isoformat() if changes else None


async def measured_quality(
    session: AsyncSession, tenant_id: uuid.UUID, cache: JsonCache | None = None
) -> dict[str, dict[str, Any]]:
    """Per connection id: {quality, newest_record_at}. Cached under the tenant's data version, which
    every write of business rows bumps, so a cached measure never outlives the rows it describes."""
    key = None
    if cache is not None:
        version = (await dataversion.current(session, tenant_id))[0]
        key = f"foundry:data-quality:{tenant_id}:{version}"
        hit = await cache.get(key)
        if isinstance(hit, dict):
            return hit
    measured = {
        str(connection_id): {"quality": quality_summary(tables), "newest_record_at": _newest_change(tables)}
        for connection_id, tables in (await connection_quality(session, tenant_id)).items()
    }
    if cache is not None and key is not None:
        await cache.set(key, measured)
    return measured


def _freshness(
    last_synced_at: datetime | None, newest_record_at: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "last_synced_at": last_synced_at.isoformat() if last_synced_at else None,
        "age_seconds": int((now - last_synced_at).total_seconds()) if last_synced_at else None,
        "newest_record_at": newest_record_at,
    }


@dataclass(frozen=True, slots=True)
class ImportActivity:
    imports: int
    latest: FileImport | None


async def file_import_activity(
    session: AsyncSession, tenant_id: uuid.UUID
) -> dict[uuid.UUID, ImportActivity]:
    """How many files each file connection took, and its newest import."""
    grouped = await session.execute(
        select(FileImport.connection_id, func.count())
        .where(FileImport.tenant_id == tenant_id)
        .group_by(FileImport.connection_id)
    )
    counts = {connection_id: int(count) for connection_id, count in grouped}
    if not counts:
        return {}
    newest = (
        select(FileImport.connection_id, func.max(FileImport.created_at).label("created_at"))
        .where(FileImport.tenant_id == tenant_id)
        .group_by(FileImport.connection_id)
        .subquery()
    )
    latest = await session.scalars(
        select(FileImport)
        .join(
            newest,
            (FileImport.connection_id == newest.c.connection_id)
            & (FileImport.created_at == newest.c.created_at),
        )
        .where(FileImport.tenant_id == tenant_id)
    )
    latest_by_connection = {record.connection_id: record for record in latest}
    return {
        connection_id: ImportActivity(int(count), latest_by_connection.get(connection_id))
        for connection_id, count in counts.items()
    }


def _import_out(record: FileImport | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "id": str(record.id),
        "filename": record.filename,
        "entity": record.entity,
        "status": record.status,
        "rows_imported": record.rows_imported,
        "rows_failed": record.rows_failed,
        "created_at": record.created_at.isoformat(),
        "finished_at": record.finished_at.isoformat() if record.finished_at else None,
    }


def _connection_source(
    summary: connectors.ConnectionSummary,
    measured: dict[str, Any] | None,
    activity: ImportActivity | None,
    now: datetime,
) -> DataSourceOut:
    connection: Connection = summary.connection
    is_file = connection.type == FILE_TYPE
    measured = measured or {"quality": quality_summary({}), "newest_record_at": None}
    detail: dict[str, Any] = {
        "connection_id": str(connection.id),
        "last_error": connection.last_error,
        "freshness": _freshness(summary.last_sync_at, measured["newest_record_at"], now),
        "created_at": connection.created_at.isoformat(),
    }
    if is_file:
        detail["imports"] = activity.imports if activity else 0
        detail["last_import"] = _import_out(activity.latest if activity else None)
    elif summary.last_run is not None:
        detail["last_run"] = {
            "status": summary.last_run.status,
            "trigger": summary.last_run.trigger,
            "finished_at": summary.last_run.finished_at.isoformat() if summary.last_run.finished_at else None,
        }
    return DataSourceOut(
        id=None,
        kind="file_import" if is_file else "connection",
        name=connection.name,
        type=connection.type,
        status=connection.status,
        record_counts=summary.record_counts,
        last_synced_at=summary.last_sync_at,
        quality=measured["quality"],
        detail=detail,
    )


def _no_files_yet() -> DataSourceOut:
    """Files are always a source a tenant can use; before the first upload it is simply empty."""
    return DataSourceOut(
        id=None,
        kind="file_import",
        name=FILE_SOURCE_NAME,
        type=FILE_TYPE,
        status="empty",
        record_counts={},
        last_synced_at=None,
        quality=quality_summary({}),
        detail={
            "connection_id": None,
            "imports": 0,
            "last_import": None,
            "freshness": _freshness(None, None, utcnow()),
        },
    )


# -- external databases: storage ------------------------------------------------------------------


class ExternalDatabaseRepository(TenantRepository[ExternalDatabase]):
    model = ExternalDatabase
    not_found_message = "The data source does not exist."

    async def by_name(self) -> list[ExternalDatabase]:
        return list(await self.session.scalars(self.select().order_by(ExternalDatabase.name)))

    async def name_taken(self, name: str) -> bool:
        statement = self.select().where(ExternalDatabase.name == name).limit(1)
        return (await self.session.execute(statement)).first() is not None

    async def count(self) -> int:
        statement = select(func.count()).select_from(self.select().subquery())
        return int(await self.session.scalar(statement) or 0)


def _database_source(database: ExternalDatabase) -> DataSourceOut:
    tables = [ExternalTableOut.model_validate(entry) for entry in database.schema_snapshot]
    return DataSourceOut(
        id=database.id,
        kind="database",
        name=database.name,
        type=database.kind,
        status=database.status,
        record_counts={
            table.qualified_name: table.row_estimate for table in tables if table.row_estimate is not None
        },
        last_synced_at=database.introspected_at,
        # An external database's rows are not in the business schema: its quality is not measured.
        quality={"completeness": None, "duplicates": None, "checked_columns": []},
        detail={
            "url_hint": database.url_hint,
            "last_error": database.last_error,
            "introspected_at": database.introspected_at.isoformat() if database.introspected_at else None,
            "created_at": database.created_at.isoformat(),
            "table_count": len(tables),
            "tables_truncated": len(tables) >= MAX_TABLES,  # only the first MAX_TABLES were read
            "tables": [table.model_dump() for table in tables],
        },
    )


# -- the service ---------------------------------------------------------------------------------


async def list_data_sources(
    session: AsyncSession, tenant_id: uuid.UUID, *, cache: JsonCache | None = None
) -> list[DataSourceOut]:
    """Connections (oldest first), the file imports, then external databases by name."""
    now = utcnow()
    summaries = await connectors.list_connections(session, tenant_id)
    quality = await measured_quality(session, tenant_id, cache) if summaries else {}
    activity = await file_import_activity(session, tenant_id) if summaries else {}
    sources = [
        _connection_source(
            summary, quality.get(str(summary.connection.id)), activity.get(summary.connection.id), now
        )
        for summary in summaries
    ]
    if not any(source.kind == "file_import" for source in sources):
        sources.append(_no_files_yet())
    databases = await ExternalDatabaseRepository(session).by_name()
    return sources + [_database_source(database) for database in databases]


async def get_database(session: AsyncSession, source_id: uuid.UUID) -> DataSourceOut:
    return _database_source(await ExternalDatabaseRepository(session).get_or_404(source_id))


async def add_database(
    session: AsyncSession,
    principal: Principal,
    encryptor: Encryptor,
    settings: Settings,
    data: ExternalDatabaseIn,
    meta: RequestMeta,
) -> DataSourceOut:
    """Check the URL, connect and read the schema; only a database that answered is stored."""
    url = parse_url(data.url, settings)
    name = _clean_name(data.name)
    if not name:
        raise ValidationFailed("Give the data source a name.", field="name")
    databases = ExternalDatabaseRepository(session)
    if await databases.name_taken(name):
        raise Conflict(f"A data source named {name!r} already exists.")
    if await databases.count() >= MAX_DATABASES:
        raise ValidationFailed(
            f"An organization can register at most {MAX_DATABASES} databases.", field="url"
        )
    # No transaction is held while the external database answers (up to its timeouts).
    await session.commit()
    try:
        tables = await asyncio.to_thread(introspect, url)
    except ExternalDatabaseError as error:
        log.info("data_source_unreachable", url_hint=url.hint, cause=error.cause)
        raise error.problem() from None
    database = databases.add(
        ExternalDatabase(
            name=name,
            kind=url.kind,
            url_encrypted=encryptor.encrypt(url.stored),
            url_hint=url.hint,
            status="ok",
            schema_snapshot=tables,
            introspected_at=utcnow(),
            created_by=principal.user_id,
        )
    )
    await session.flush()
    audit.record_for(
        session,
        principal,
        "foundry.data_source.created",
        meta,
        data_source_id=str(database.id),
        kind=url.kind,
        url_hint=url.hint,
    )
    return _database_source(database)


async def refresh_database(
    session: AsyncSession, encryptor: Encryptor, settings: Settings, source_id: uuid.UUID
) -> DataSourceOut:
    """Read the schema again. A database that no longer answers is marked `error` with the reason and
    keeps its last known tables."""
    database = await ExternalDatabaseRepository(session).get_or_404(source_id)
    await session.commit()
    try:
        tables = await asyncio.to_thread(introspect, _stored_url(encryptor, database, settings))
    except ExternalDatabaseError as error:
        log.info("data_source_refresh_failed", data_source_id=str(source_id), cause=error.cause)
        database.status = "error"
        database.last_error = error.message
    else:
        database.status = "ok"
        database.last_error = None
        database.schema_snapshot = tables
        database.introspected_at = utcnow()
    database.updated_at = utcnow()
    session.add(database)
    try:
        await session.flush()
    except StaleDataError:  # deleted by someone else while its schema was being read
        raise ResourceNotFound(ExternalDatabaseRepository.not_found_message) from None
    return _database_source(database)


async def delete_database(
    session: AsyncSession, principal: Principal, source_id: uuid.UUID, meta: RequestMeta
) -> None:
    databases = ExternalDatabaseRepository(session)
    database = await databases.get_or_404(source_id)
    await databases.delete(database)
    audit.record_for(
        session,
        principal,
        "foundry.data_source.deleted",
        meta,
        data_source_id=str(source_id),
        kind=database.kind,
        url_hint=database.url_hint,
    )


async def preview_table(
    session: AsyncSession,
    encryptor: Encryptor,
    settings: Settings,
    source_id: uuid.UUID,
    table_name: str,
    limit: int = PREVIEW_DEFAULT_LIMIT,
) -> ExternalTablePreviewOut:
    """The first `limit` rows of a table the last introspection found, read-only, time-limited."""
    database = await ExternalDatabaseRepository(session).get_or_404(source_id)
    table = next(
        (entry for entry in database.schema_snapshot if entry.get("qualified_name") == table_name), None
    )
    if table is None:
        raise ResourceNotFound(
            f"The data source has no table {table_name!r}; refresh it if the table is new."
        )
    await session.commit()
    limit = max(1, min(limit, PREVIEW_MAX_LIMIT))
    try:
        url = _stored_url(encryptor, database, settings)
        columns, rows = await asyncio.to_thread(
            read_rows, url, table.get("schema_name"), table["name"], limit
        )
    except ExternalDatabaseError as error:
        raise error.problem() from None
    return ExternalTablePreviewOut(
        table=table_name,
        columns=columns,
        rows=[[jsonable(value) for value in row] for row in rows[:limit]],
        limit=limit,
        truncated=len(rows) > limit,
    )


def _stored_url(encryptor: Encryptor, database: ExternalDatabase, settings: Settings) -> ExternalUrl:
    """The stored URL, checked again: a SQLite file may have gone, or the rules tightened since."""
    try:
        raw = encryptor.decrypt(database.url_encrypted)
    except ValueError:
        message = "The stored URL cannot be decrypted with this install's keys; add the database again."
        raise ExternalDatabaseError("undecryptable", message, connected=False) from None
    try:
        return parse_url(raw, settings)
    except ValidationFailed as invalid:
        raise ExternalDatabaseError("unreachable", invalid.detail, connected=False) from None


# -- external databases: URLs --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExternalUrl:
    """A checked external database address. `stored` (with the password) is only ever encrypted."""

    kind: str  # postgresql | mysql | sqlite
    hint: str  # the URL without its password: safe to show and log
    stored: str = field(repr=False)
    host: str | None = None
    port: int | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    database: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    path: Path | None = None  # SQLite: the resolved file


def parse_url(raw: str, settings: Settings) -> ExternalUrl:
    """A postgresql://, mysql:// / mariadb:// or sqlite:/// URL, or ValidationFailed saying why not."""
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError):
        raise ValidationFailed(
            "Give a database URL such as postgresql://user:password@host:5432/database.", field="url"
        ) from None
    parts = (url.username, url.password, url.host, url.database, *map(str, url.query.values()))
    if any(part is not None and _has_control_characters(part) for part in parts):
        raise ValidationFailed("The URL holds control characters.", field="url")
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_url(url, settings)
    kind = KINDS.get(backend)
    if kind is None:
        raise ValidationFailed(
            f"Unsupported database {backend!r}: use postgresql://, mysql://, mariadb:// or sqlite:///.",
            field="url",
        )
    return _network_url(kind, url, settings)


def _has_control_characters(text: str) -> bool:
    return any(ord(character) < 32 or ord(character) == 127 for character in text)


def _network_url(kind: str, url: URL, settings: Settings) -> ExternalUrl:
    host = (url.host or "").strip()
    if not host or any(character in host for character in "/,\\ ") or host.startswith("@"):
        raise ValidationFailed("The URL needs the database server's host name or address.", field="url")
    if not url.database:
        raise ValidationFailed("The URL needs the database's name after the host (…/database).", field="url")
    parameters = {key: str(value) for key, value in url.query.items() if isinstance(value, str)}
    unknown = sorted(set(url.query) - ALLOWED_PARAMETERS[kind])
    if unknown or len(parameters) != len(url.query):
        allowed = ", ".join(sorted(ALLOWED_PARAMETERS[kind])) or "none"
        raise ValidationFailed(
            f"Unsupported URL parameters: {', '.join(unknown) or 'repeated ones'} (allowed: {allowed}).",
            field="url",
        )
    if kind == "postgresql" and parameters.get("sslmode", "prefer") not in PG_SSLMODES:
        raise ValidationFailed(f"sslmode must be one of {', '.join(sorted(PG_SSLMODES))}.", field="url")
    if kind == "mysql":
        _check_mysql_parameters(parameters)
    port = DEFAULT_PORTS[kind] if url.port is None else url.port
    if not 0 < port < 65536:
        raise ValidationFailed("The port must be between 1 and 65535.", field="url")
    if kind == "postgresql" and _is_platform_database(host, port, url.database, settings):
        raise ValidationFailed("The platform's own database cannot be added as a data source.", field="url")
    canonical = URL.create(kind, url.username, url.password, host, port, url.database, query=parameters)
    return ExternalUrl(
        kind=kind,
        hint=canonical.render_as_string(hide_password=True)[:300],
        stored=canonical.render_as_string(hide_password=False),
        host=host,
        port=port,
        username=url.username,
        password=url.password,
        database=url.database,
        parameters=parameters,
    )


def _check_mysql_parameters(parameters: dict[str, str]) -> None:
    if parameters.get("ssl", "false").lower() not in MYSQL_SSL_VALUES:
        raise ValidationFailed("ssl must be true or false.", field="url")
    if "charset" in parameters and charset_by_name(parameters["charset"]) is None:
        raise ValidationFailed(f"Unknown MySQL character set {parameters['charset']!r}.", field="url")


def sqlite_root(settings: Settings) -> Path:
    return (settings.binelek_data_dir / SQLITE_DIR).resolve()


def _sqlite_url(url: URL, settings: Settings) -> ExternalUrl:
    root = sqlite_root(settings)
    if url.query or not url.database or url.database == ":memory:" or url.host:
        raise ValidationFailed(
            f"Give a SQLite file in the data directory's {SQLITE_DIR}/ folder, e.g. sqlite:///shop.sqlite.",
            field="url",
        )
    path = (root / url.database).resolve()  # an absolute database path replaces the root
    if not path.is_relative_to(root) or path == root:
        raise ValidationFailed(
            f"SQLite files can only be opened from the data directory's {SQLITE_DIR}/ folder.", field="url"
        )
    if not path.is_file():
        raise ValidationFailed(f"There is no file {path.relative_to(root)} in {SQLITE_DIR}/.", field="url")
    relative = path.relative_to(root).as_posix()
    return ExternalUrl(kind="sqlite", hint=f"sqlite:///{relative}", stored=f"sqlite:///{relative}", path=path)


def _is_platform_database(host: str, port: int, database: str, settings: Settings) -> bool:
    """Tenants share the platform's database: reading it through a data source would cross tenants."""
    for own in (settings.database_url, settings.dbos_system_database_url):
        if not own or not own.startswith(("postgres://", "postgresql")):
            continue
        try:
            parsed = make_url(own)
        except (ArgumentError, ValueError):
            continue
        same_host = _host_key(parsed.host or "localhost") == _host_key(host)
        if same_host and (parsed.port or 5432) == port and parsed.database == database:
            return True
    return False


def _host_key(host: str) -> str:
    lowered = host.lower().strip("[]")
    if lowered in LOOPBACK_NAMES:
        return "loopback"
    try:
        return "loopback" if ipaddress.ip_address(lowered).is_loopback else lowered
    except ValueError:
        return lowered


# -- external databases: reading -----------------------------------------------------------------


class ExternalDatabaseError(Exception):
    """A failure talking to an external database, with a message safe to show (no password)."""

    def __init__(self, cause: str, message: str, *, connected: bool) -> None:
        super().__init__(message)
        self.cause = cause  # auth_failed | database_not_found | unreachable | timeout | not_a_database | …
        self.message = message
        self.connected = connected

    def problem(self) -> ProblemError:
        if self.connected:
            return DataSourceQueryFailed(self.message, cause=self.cause)
        return DataSourceUnreachable(self.message, cause=self.cause)


class ReadOnlySession:
    """A DB-API connection inside a read-only transaction whose every statement is time-limited."""

    def __init__(self, connection: Any, dialect: str, before_statement: Callable[[], None] | None = None):
        self.connection = connection
        self.dialect = dialect
        self._before_statement = before_statement

    def rows(self, statement: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.execute(statement, parameters)[1]

    def execute(
        self, statement: str, parameters: Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        if self._before_statement is not None:
            self._before_statement()
        cursor = self.connection.cursor()
        try:
            # Without parameters the drivers must not read "%" in quoted names as placeholders.
            if parameters:
                cursor.execute(statement, tuple(parameters))
            else:
                cursor.execute(statement)
            if cursor.description is None:
                return [], []
            names = [str(column[0]) for column in cursor.description]
            return names, [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def recover(self) -> bool:
        """After a failed statement: whether the session can go on (PostgreSQL must roll back first;
        the next statement begins a new read-only transaction)."""
        if self.dialect == "postgresql":
            if self.connection.broken or self.connection.closed:
                return False
            self.connection.rollback()
            return True
        if self.dialect == "mysql":
            return bool(self.connection.open)
        return True

    def quote(self, schema: str | None, name: str) -> str:
        if self.dialect == "postgresql":
            identifier = pg_sql.Identifier(schema, name) if schema else pg_sql.Identifier(name)
            return identifier.as_string(self.connection)
        if self.dialect == "mysql":
            return "`" + name.replace("`", "``") + "`"
        return '"' + name.replace('"', '""') + '"'


@contextmanager
def read_only(url: ExternalUrl) -> Iterator[ReadOnlySession]:
    """Open the database for reading only; driver errors come out as ExternalDatabaseError."""
    opener = {"postgresql": _postgresql, "mysql": _mysql, "sqlite": _sqlite}[url.kind]
    connected = False
    try:
        with opener(url) as session:
            connected = True
            yield session
    except ExternalDatabaseError:
        raise
    except (psycopg.Error, pymysql.err.MySQLError, sqlite3.Error, OSError) as error:
        raise _explained(error, url, connected=connected) from None


@contextmanager
def _postgresql(url: ExternalUrl) -> Iterator[ReadOnlySession]:
    connection = psycopg.connect(
        host=url.host,
        port=url.port,
        dbname=url.database,
        user=url.username or "",
        # Explicit, even when empty, so libpq never falls back to this server's PGPASSWORD or ~/.pgpass.
        password=url.password or "",
        passfile=NO_PASSFILE,
        sslmode=url.parameters.get("sslmode", "prefer"),
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        application_name="binelek-data-source",
        autocommit=True,
    )
    try:
        # Session settings outside any transaction, so a rolled-back statement cannot undo them.
        connection.execute("SET default_transaction_read_only = on")
        connection.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_SECONDS * 1000}")
        connection.autocommit = False
        connection.read_only = True  # every transaction psycopg begins is BEGIN READ ONLY
        connection.execute("SET TRANSACTION READ ONLY")
        yield ReadOnlySession(connection, "postgresql")
    finally:
        if not connection.closed and not connection.broken:
            connection.rollback()
        connection.close()


@contextmanager
def _mysql(url: ExternalUrl) -> Iterator[ReadOnlySession]:
    use_tls = url.parameters.get("ssl", "").lower() in MYSQL_SSL_ON
    connection = pymysql.connect(
        host=url.host,
        port=url.port or DEFAULT_PORTS["mysql"],
        user=url.username or "",
        password=url.password or "",
        database=url.database,
        charset=url.parameters.get("charset", "utf8mb4"),
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=STATEMENT_TIMEOUT_SECONDS + 5,
        write_timeout=STATEMENT_TIMEOUT_SECONDS + 5,
        ssl=ssl.create_default_context() if use_tls else None,
        local_infile=False,  # a hostile server must not make us send it files from this machine
        autocommit=False,
    )
    try:
        with connection.cursor() as cursor:
            _limit_mysql_statements(cursor)
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
            cursor.execute("START TRANSACTION READ ONLY")
        yield ReadOnlySession(connection, "mysql")
    finally:
        with suppress(pymysql.err.MySQLError):
            connection.rollback()
        connection.close()


def _limit_mysql_statements(cursor: Any) -> None:
    """MariaDB limits statements in seconds (max_statement_time), MySQL its SELECTs in milliseconds."""
    try:
        cursor.execute(f"SET SESSION max_statement_time = {STATEMENT_TIMEOUT_SECONDS}")
    except pymysql.err.MySQLError:
        cursor.execute(f"SET SESSION max_execution_time = {STATEMENT_TIMEOUT_SECONDS * 1000}")


@contextmanager
def _sqlite(url: ExternalUrl) -> Iterator[ReadOnlySession]:
    assert url.path is not None
    connection = sqlite3.connect(f"{url.path.as_uri()}?mode=ro", uri=True, timeout=CONNECT_TIMEOUT_SECONDS)
    deadline = [math.inf]

    def restart_clock() -> None:
        deadline[0] = time.monotonic() + STATEMENT_TIMEOUT_SECONDS

    # SQLite has no statement timeout: the progress handler interrupts a statement past its deadline.
    connection.set_progress_handler(lambda: int(time.monotonic() > deadline[0]), 10_000)
    try:
        connection.execute("PRAGMA query_only = ON")
        # Opening is lazy: reading the schema is what says whether this is a database at all.
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        yield ReadOnlySession(connection, "sqlite", restart_clock)
    finally:
        connection.close()


def _explained(error: Exception, url: ExternalUrl, *, connected: bool) -> ExternalDatabaseError:
    message = _scrubbed(_driver_message(error), url)
    cause = _cause(error, message)
    if connected and cause != "timeout":
        cause = "query_failed"
    prefix = "The database answered with an error" if connected else "Could not connect to the database"
    return ExternalDatabaseError(
        cause, f"{prefix}: {message}" if message else prefix + ".", connected=connected
    )


def _cause(error: Exception, message: str) -> str:
    lowered = message.lower()
    if isinstance(error, psycopg.errors.QueryCanceled) or "timeout" in lowered or "timed out" in lowered:
        return "timeout"
    if isinstance(error, pymysql.err.MySQLError) and error.args:
        code = error.args[0]
        return {
            1045: "auth_failed",
            1044: "auth_failed",
            1049: "database_not_found",
            1969: "timeout",
            3024: "timeout",
            2003: "unreachable",
        }.get(code, "unreachable")
    if "password" in lowered or "authentication" in lowered or "permission denied" in lowered:
        return "auth_failed"
    if "does not exist" in lowered:
        return "database_not_found"
    if isinstance(error, sqlite3.Error):
        if "interrupted" in lowered:
            return "timeout"
        return "not_a_database" if "not a database" in lowered else "unreadable"
    return "unreachable"


def _driver_message(error: Exception) -> str:
    """PyMySQL's errors are (code, message) pairs; the others carry the message alone."""
    if isinstance(error, pymysql.err.MySQLError) and len(error.args) >= 2:
        return f"{error.args[1]} ({error.args[0]})"
    return str(error)


def _scrubbed(message: str, url: ExternalUrl) -> str:
    """A driver's message, one line, short, never with the password nor the full URL in it."""
    text = " ".join(message.split())
    for secret in (url.stored, url.password):
        if secret:
            text = text.replace(secret, "***")
    if url.path is not None:
        text = text.replace(str(url.path), url.hint)
    return text[:ERROR_TEXT_MAX]


# The catalogue queries: tables and views a session may read (at most MAX_TABLES), then their columns.
PG_TABLES = """
SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples::bigint, c.relpages
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp\\_%%'
  AND has_table_privilege(c.oid, 'SELECT')
ORDER BY n.nspname = 'public' DESC, n.nspname, c.relname
LIMIT %s
"""
PG_COLUMNS = """
SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), NOT a.attnotnull
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""
MYSQL_TABLES = """
SELECT table_name, table_type, table_rows FROM information_schema.tables
WHERE table_schema = DATABASE() ORDER BY table_name LIMIT %s
"""
MYSQL_COLUMNS = """
SELECT table_name, column_name, column_type, is_nullable FROM information_schema.columns
WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position
"""
SQLITE_TABLES = """
SELECT name, type FROM sqlite_master
WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name LIMIT ?
"""
SQLITE_COLUMNS = 'SELECT name, type, "notnull" FROM pragma_table_info(?)'


@dataclass(slots=True)
class TableInfo:
    schema_name: str | None
    name: str
    type: str  # table | view
    row_estimate: int | None
    columns: list[ExternalColumnOut]
    rows_exact: bool = False

    @property
    def qualified_name(self) -> str:
        return self.name if self.schema_name in (None, "public") else f"{self.schema_name}.{self.name}"

    def out(self) -> dict[str, Any]:
        return ExternalTableOut(
            schema_name=self.schema_name,
            name=self.name,
            qualified_name=self.qualified_name,
            type="view" if self.type == "view" else "table",
            row_estimate=self.row_estimate,
            rows_exact=self.rows_exact,
            columns=self.columns[:MAX_COLUMNS],
        ).model_dump()


def introspect(url: ExternalUrl) -> list[dict[str, Any]]:
    """Tables and views with their columns and row counts (blocking: call it in a thread)."""
    started = time.monotonic()
    with read_only(url) as session:
        tables = {"postgresql": _pg_tables, "mysql": _mysql_tables, "sqlite": _sqlite_tables}[url.kind](
            session
        )
        _count_rows(session, tables, started + INTROSPECTION_BUDGET_SECONDS)
    return [table.out() for table in tables]


def _pg_tables(session: ReadOnlySession) -> list[TableInfo]:
    by_oid: dict[int, TableInfo] = {}
    for oid, schema, name, relkind, reltuples, relpages in session.rows(PG_TABLES, (MAX_TABLES,)):
        known = relkind in ("r", "m", "f", "p") and reltuples >= 0 and not (reltuples == 0 and relpages == 0)
        kind = "view" if relkind == "v" else "table"
        by_oid[oid] = TableInfo(schema, name, kind, int(reltuples) if known else None, [])
    if by_oid:
        for oid, column, type_name, nullable in session.rows(PG_COLUMNS, (list(by_oid),)):
            by_oid[oid].columns.append(
                ExternalColumnOut(name=column, type=type_name, nullable=bool(nullable))
            )
    return list(by_oid.values())


def _mysql_tables(session: ReadOnlySession) -> list[TableInfo]:
    by_name: dict[str, TableInfo] = {}
    for name, table_type, table_rows in session.rows(MYSQL_TABLES, (MAX_TABLES,)):
        kind = "view" if "VIEW" in str(table_type).upper() else "table"
        estimate = int(table_rows) if table_rows is not None and kind == "table" else None
        by_name[name] = TableInfo(None, name, kind, estimate, [])
    for table_name, column, type_name, nullable in session.rows(MYSQL_COLUMNS):
        if table_name in by_name:
            by_name[table_name].columns.append(
                ExternalColumnOut(name=column, type=str(type_name), nullable=str(nullable).upper() == "YES")
            )
    return list(by_name.values())


def _sqlite_tables(session: ReadOnlySession) -> list[TableInfo]:
    tables = [
        TableInfo(None, name, kind, None, []) for name, kind in session.rows(SQLITE_TABLES, (MAX_TABLES,))
    ]
    for table in tables:
        for column, type_name, not_null in session.rows(SQLITE_COLUMNS, (table.name,)):
            table.columns.append(
                ExternalColumnOut(name=column, type=type_name or "ANY", nullable=not not_null)
            )
    return tables


def _count_rows(session: ReadOnlySession, tables: list[TableInfo], deadline: float) -> None:
    """Count the rows of small tables and those without statistics, up to ROW_COUNT_CAP each: estimates
    are often wrong exactly there (a table never analysed). Large tables keep their estimate."""
    candidates = [
        table
        for table in tables
        if table.type == "table" and (table.row_estimate is None or table.row_estimate < ROW_COUNT_CAP)
    ]
    for table in candidates[:COUNTED_TABLES_MAX]:
        if time.monotonic() > deadline:
            return
        # The name is a catalogue's, quoted by the dialect's rules; the limit is ours.
        source = session.quote(table.schema_name, table.name)
        statement = f"SELECT count(*) FROM (SELECT 1 FROM {source} LIMIT {ROW_COUNT_CAP + 1}) AS capped"  # noqa: S608
        try:
            counted = int(session.rows(statement)[0][0])
        except (psycopg.Error, pymysql.err.MySQLError, sqlite3.Error):
            if not session.recover():
                raise
            continue  # too slow, or not readable after all: the table keeps its estimate
        table.row_estimate = min(counted, ROW_COUNT_CAP)
        table.rows_exact = counted <= ROW_COUNT_CAP


def read_rows(
    url: ExternalUrl, schema: str | None, table: str, limit: int
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Up to limit + 1 rows of a table (blocking: call it in a thread); the extra row says there are more."""
    with read_only(url) as session:
        # The name is one the introspection found, quoted by the dialect's rules; the limit an int.
        statement = f"SELECT * FROM {session.quote(schema, table)} LIMIT {int(limit) + 1}"  # noqa: S608
        return session.execute(statement)


def jsonable(value: Any) -> Any:
    """A database value as JSON: ISO dates and times, numbers for decimals, text for the rest."""
    if value is None or isinstance(value, bool | int | str):
        return value[:PREVIEW_TEXT_MAX] if isinstance(value, str) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, datetime | date | clock_time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return {"base64": base64.b64encode(data[:PREVIEW_TEXT_MAX]).decode(), "bytes": len(data)}
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    return str(value)[:PREVIEW_TEXT_MAX]  # UUIDs, network addresses, ranges, enums, …


def _clean_name(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip()
