from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.db import utcnow
from binelek.kit.repository import TenantRepository
from binelek.search.models import Document, IndexEntry


class DocumentRepository(TenantRepository[Document]):
    model = Document
    not_found_message = "No such document."

    def listing(self) -> Select[Any]:
        return self.select().order_by(Document.updated_at.desc(), Document.id)


async def next_index_version(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, entity_id: str, *, removed: bool
) -> int:
    """Bump the record's requested version in the caller's transaction and answer it. One atomic
    upsert: concurrent requests for one record queue on its row, so versions follow commit order."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(IndexEntry)
        .values(
            id=uuid.uuid4(), tenant_id=tenant_id, kind=kind, entity_id=entity_id, version=1, removed=removed
        )
        .on_conflict_do_update(
            index_elements=["tenant_id", "kind", "entity_id"],
            set_={"version": IndexEntry.version + 1, "removed": removed, "updated_at": utcnow()},
        )
        .returning(IndexEntry.version)
    )
    return int((await session.execute(statement)).scalar_one())


async def requested_version(session: AsyncSession, tenant_id: uuid.UUID, kind: str, entity_id: str) -> int:
    statement = select(IndexEntry.version).where(
        IndexEntry.tenant_id == tenant_id, IndexEntry.kind == kind, IndexEntry.entity_id == entity_id
    )
    return int((await session.execute(statement)).scalar_one_or_none() or 0)


async def mark_indexed(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, entity_id: str, version: int
) -> None:
    """Record that `version` is in the index, unless a newer request has come in meanwhile."""
    await session.execute(
        update(IndexEntry)
        .where(
            IndexEntry.tenant_id == tenant_id,
            IndexEntry.kind == kind,
            IndexEntry.entity_id == entity_id,
            IndexEntry.version == version,
        )
        .values(indexed_version=version)
    )


async def pending_count(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """Records of the tenant whose latest request the index has not applied yet."""
    statement = select(func.count(IndexEntry.id)).where(
        IndexEntry.tenant_id == tenant_id,
        IndexEntry.indexed_version.is_(None) | (IndexEntry.indexed_version != IndexEntry.version),
    )
    return int((await session.execute(statement)).scalar_one())
