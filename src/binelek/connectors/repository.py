"""Bulk reads and writes of the business tables, on the session's connection (Core statements, not
one ORM object per row: an import writes hundreds of thousands of rows).

Every statement names the tenant explicitly; the caller's session is tenant-scoped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from binelek.connectors.models import (
    CalendarEvent,
    Company,
    Connection,
    Contact,
    Customer,
    Deal,
    EmailMessage,
    FileImport,
    Invoice,
    Order,
    OrderItem,
    Payment,
    Product,
    Refund,
    SyncRun,
)
from binelek.kit.db import utcnow
from binelek.kit.repository import TenantRepository

FILE_CONNECTION_TYPE = "file"
FILE_CONNECTION_NAME = "File imports"
# Both drivers cap bound parameters per statement (asyncpg 32,767; SQLite 32,766).
MAX_PARAMETERS = 30_000


class ConnectionRepository(TenantRepository[Connection]):
    model = Connection
    not_found_message = "The connection does not exist."

    def oldest_first(self) -> Select[Connection]:
        return self.select().order_by(Connection.created_at, Connection.id)


class SyncRunRepository(TenantRepository[SyncRun]):
    model = SyncRun
    not_found_message = "The sync run does not exist."

    def of_connection(self, connection_id: uuid.UUID) -> Select[SyncRun]:
        return (
            self.select()
            .where(SyncRun.connection_id == connection_id)
            .order_by(SyncRun.created_at.desc(), SyncRun.id.desc())
        )


class FileImportRepository(TenantRepository[FileImport]):
    model = FileImport
    not_found_message = "The import does not exist."

    def newest_first(self) -> Select[FileImport]:
        return self.select().order_by(FileImport.created_at.desc(), FileImport.id.desc())


async def file_connection_id(
    session: AsyncSession, tenant_id: uuid.UUID, created_by: uuid.UUID | None
) -> uuid.UUID:
    """The tenant's "file" connection, made on first use; the oldest wins if two were made at once."""
    existing = await session.scalar(
        select(Connection.id)
        .where(
            Connection.tenant_id == tenant_id,
            Connection.type == FILE_CONNECTION_TYPE,
            Connection.status != "disconnected",  # a disconnected one keeps its rows but takes no more
        )
        .order_by(Connection.created_at, Connection.id)
        .limit(1)
    )
    if existing is not None:
        return existing
    connection = Connection(
        tenant_id=tenant_id, type=FILE_CONNECTION_TYPE, name=FILE_CONNECTION_NAME, created_by=created_by
    )
    session.add(connection)
    await session.flush()
    return connection.id


async def ids_by(
    conn: AsyncConnection, table: Table, key: str, tenant_id: uuid.UUID, values: Iterable[str]
) -> dict[str, uuid.UUID]:
    """Row id per value of `key` (an e-mail, an order number, a SKU) in the tenant, any connection."""
    wanted = sorted(set(values))
    found: dict[str, uuid.UUID] = {}
    column = table.c[key]
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        rows = await conn.execute(
            select(column, table.c.id).where(table.c.tenant_id == tenant_id, column.in_(chunk))
        )
        for value, row_id in rows:
            found.setdefault(value, row_id)
    return found


async def ids_by_source(
    conn: AsyncConnection,
    table: Table,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    source_ids: Iterable[str],
) -> dict[str, uuid.UUID]:
    """Row id per source id among one connection's rows: how synced records find their parents."""
    wanted = sorted(set(source_ids))
    found: dict[str, uuid.UUID] = {}
    for start in range(0, len(wanted), 5_000):
        rows = await conn.execute(
            select(table.c.source_id, table.c.id).where(
                table.c.tenant_id == tenant_id,
                table.c.connection_id == connection_id,
                table.c.source_id.in_(wanted[start : start + 5_000]),
            )
        )
        found.update({source_id: row_id for source_id, row_id in rows})
    return found


async def ids_by_lower_name(
    conn: AsyncConnection, tenant_id: uuid.UUID, names: Iterable[str]
) -> dict[str, uuid.UUID]:
    table = Company.__table__
    wanted = sorted({name.lower() for name in names})
    found: dict[str, uuid.UUID] = {}
    for start in range(0, len(wanted), 5_000):
        lowered = func.lower(table.c.name)
        rows = await conn.execute(
            select(lowered, table.c.id).where(
                table.c.tenant_id == tenant_id, lowered.in_(wanted[start : start + 5_000])
            )
        )
        for name, row_id in rows:
            found.setdefault(name, row_id)
    return found


@dataclass(slots=True)
class UpsertOutcome:
    created: list[tuple[uuid.UUID, dict[str, Any]]]  # (id, values) of rows this call inserted
    updated: int
    unchanged: int
    ids: dict[str, uuid.UUID]  # source id → row id of every record given


async def upsert(
    conn: AsyncConnection,
    table: Table,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    records: Sequence[dict[str, Any]],
) -> UpsertOutcome:
    """Insert new rows and update changed ones, keyed by (tenant, connection, source_id).

    Each record holds the table's business columns, `source_id` and `content_hash`; rows whose hash
    is unchanged are not touched, so importing the same data again writes nothing.
    """
    by_source = {record["source_id"]: record for record in records}  # the last duplicate wins
    existing = await _existing(conn, table, tenant_id, connection_id, list(by_source))
    now = utcnow()
    fresh: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    unchanged = 0
    for source_id, record in by_source.items():
        known = existing.get(source_id)
        if known is None:
            fresh.append(
                {
                    **record,
                    "id": uuid.uuid4(),
                    "tenant_id": tenant_id,
                    "connection_id": connection_id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        elif known[1] != record["content_hash"]:
            changed.append({**record, "id": known[0], "updated_at": now})
        else:
            unchanged += 1
    created = await _insert_new(conn, table, fresh)
    if changed:
        await _update_changed(conn, table, changed)
    ids = {source_id: known[0] for source_id, known in existing.items()}
    ids.update((row["source_id"], row_id) for row_id, row in created)
    return UpsertOutcome(created=created, updated=len(changed), unchanged=unchanged, ids=ids)


async def _existing(
    conn: AsyncConnection, table: Table, tenant_id: uuid.UUID, connection_id: uuid.UUID, source_ids: list[str]
) -> dict[str, tuple[uuid.UUID, str]]:
    found: dict[str, tuple[uuid.UUID, str]] = {}
    for start in range(0, len(source_ids), 5_000):
        rows = await conn.execute(
            select(table.c.source_id, table.c.id, table.c.content_hash).where(
                table.c.tenant_id == tenant_id,
                table.c.connection_id == connection_id,
                table.c.source_id.in_(source_ids[start : start + 5_000]),
            )
        )
        for source_id, row_id, content_hash in rows:
            found[source_id] = (row_id, content_hash)
    return found


async def _insert_new(
    conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]
) -> list[tuple[uuid.UUID, dict[str, Any]]]:
    if not rows:
        return []
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["tenant_id", "connection_id", "source_id"])
        .returning(table.c.id)
    )
    inserted: set[uuid.UUID] = set()
    per_statement = max(1, MAX_PARAMETERS // len(rows[0]))
    for start in range(0, len(rows), per_statement):
        result = await conn.execute(statement, rows[start : start + per_statement])
        inserted.update(result.scalars().all())
    # A concurrent import of the same rows inserted the others: they are not new here.
    return [(row["id"], row) for row in rows if row["id"] in inserted]


async def _update_changed(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    columns = [key for key in rows[0] if key != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({column: bindparam(f"new_{column}") for column in columns})
    )
    params = [{"row_id": row["id"], **{f"new_{column}": row[column] for column in columns}} for row in rows]
    await conn.execute(statement, params)


def table_of(model: Any) -> Table:
    table: Table = model.__table__
    return table


CUSTOMERS = table_of(Customer)
ORDERS = table_of(Order)
PRODUCTS = table_of(Product)
CONTACTS = table_of(Contact)
COMPANIES = table_of(Company)
FILE_IMPORTS = table_of(FileImport)


# Children before parents, so deleting one connection's rows never trips a foreign key.
BUSINESS_TABLES: tuple[Table, ...] = tuple(
    table_of(model)
    for model in (
        OrderItem,
        Refund,
        Payment,
        Invoice,
        Order,
        Product,
        Deal,
        Contact,
        Company,
        Customer,
        EmailMessage,
        CalendarEvent,
    )
)


async def record_counts(session: AsyncSession, tenant_id: uuid.UUID) -> dict[uuid.UUID, dict[str, int]]:
    """Rows per connection and table in the tenant: one grouped query per table."""
    counts: dict[uuid.UUID, dict[str, int]] = {}
    for table in BUSINESS_TABLES:
        rows = await session.execute(
            select(table.c.connection_id, func.count())
            .where(table.c.tenant_id == tenant_id)
            .group_by(table.c.connection_id)
        )
        for connection_id, count in rows:
            counts.setdefault(connection_id, {})[table.name] = count
    return counts


async def last_import_finished(session: AsyncSession, tenant_id: uuid.UUID) -> dict[uuid.UUID, datetime]:
    """When each connection's newest finished file import ended."""
    rows = await session.execute(
        select(FILE_IMPORTS.c.connection_id, func.max(FILE_IMPORTS.c.finished_at))
        .where(FILE_IMPORTS.c.tenant_id == tenant_id, FILE_IMPORTS.c.finished_at.is_not(None))
        .group_by(FILE_IMPORTS.c.connection_id)
    )
    return {connection_id: finished for connection_id, finished in rows if finished is not None}


async def latest_runs(
    session: AsyncSession, tenant_id: uuid.UUID, connection_ids: list[uuid.UUID]
) -> dict[uuid.UUID, SyncRun]:
    """Each connection's newest sync run."""
    newest = (
        select(SyncRun.connection_id, func.max(SyncRun.created_at).label("created_at"))
        .where(SyncRun.tenant_id == tenant_id, SyncRun.connection_id.in_(connection_ids))
        .group_by(SyncRun.connection_id)
        .subquery()
    )
    rows = await session.execute(
        select(SyncRun).join(
            newest,
            (SyncRun.connection_id == newest.c.connection_id) & (SyncRun.created_at == newest.c.created_at),
        )
    )
    return {run.connection_id: run for run in rows.scalars()}


async def delete_rows(session: AsyncSession, tenant_id: uuid.UUID, connection_id: uuid.UUID) -> int:
    """Delete every business row that came from the connection; returns how many went."""
    deleted = 0
    for table in BUSINESS_TABLES:
        result = await session.execute(
            delete(table).where(table.c.tenant_id == tenant_id, table.c.connection_id == connection_id)
        )
        deleted += getattr(result, "rowcount", 0) or 0
    # The database would cascade these too, but SQLite only does so with foreign keys switched on.
    await session.execute(
        delete(FILE_IMPORTS).where(
            FILE_IMPORTS.c.tenant_id == tenant_id, FILE_IMPORTS.c.connection_id == connection_id
        )
    )
    return deleted
