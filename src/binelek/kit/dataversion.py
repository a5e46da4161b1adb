"""A per-tenant counter of changes to business data.

Writers (sync pages, file-import batches) bump it in the same transaction as the rows they write,
so a cached result keyed by the version can never outlive the data it was computed from, whichever
process wrote the data and whichever process reads the cache.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Table, UniqueConstraint, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from binelek.kit.db import Base, IdMixin, TenantMixin, utcnow


class DataVersion(IdMixin, TenantMixin, Base):
    __tablename__ = "tenant_data_versions"
    __table_args__ = (UniqueConstraint("tenant_id", name="uq_tenant_data_versions_tenant"),)

    version: Mapped[int] = mapped_column(BigInteger(), default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


async def bump(conn: AsyncConnection | AsyncSession, tenant_id: uuid.UUID) -> None:
    """Count one change: one upsert, safe against concurrent first writes."""
    dialect = conn.get_bind().dialect.name if isinstance(conn, AsyncSession) else conn.dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = DataVersion.__table__
    assert isinstance(table, Table)
    now = utcnow()
    statement = (
        insert(table)
        .values(id=uuid.uuid4(), tenant_id=tenant_id, version=1, changed_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.tenant_id],
            set_={"version": table.c.version + 1, "changed_at": now},
        )
    )
    await conn.execute(statement)


async def current(
    session: AsyncConnection | AsyncSession, tenant_id: uuid.UUID
) -> tuple[int, datetime | None]:
    """The tenant's version and when its data last changed (0, None before any write)."""
    row = (
        await session.execute(
            select(DataVersion.version, DataVersion.changed_at).where(DataVersion.tenant_id == tenant_id)
        )
    ).first()
    return (0, None) if row is None else (int(row[0]), row[1])
