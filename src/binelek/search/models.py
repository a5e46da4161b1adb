"""Knowledge documents, and what the search index should hold for each indexed record."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from binelek.kit.db import Base, IdMixin, TenantMixin, TimestampMixin, utcnow

TITLE_MAX = 200
BODY_MAX = 100_000
ENTITY_ID_MAX = 64


class Document(IdMixin, TimestampMixin, TenantMixin, Base):
    """A tenant's note, policy or playbook."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_tenant_updated", "tenant_id", "updated_at"),)

    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text(), default="")
    tags: Mapped[list[str]] = mapped_column(default=list)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class IndexEntry(IdMixin, TenantMixin, Base):
    """One indexed record's latest requested version (bumped in the requesting transaction, so the
    order of requests is the order of commits) and the version the index last applied. Index events
    run concurrently; comparing versions keeps an older event from undoing a newer one, and a
    removed record's entry is what tells a late, older index event not to bring it back."""

    __tablename__ = "search_index_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "entity_id", name="uq_search_index_entries_record"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(ENTITY_ID_MAX))
    version: Mapped[int] = mapped_column(BigInteger(), default=1)
    indexed_version: Mapped[int | None] = mapped_column(BigInteger())
    removed: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class VectorChunk(TimestampMixin, TenantMixin, Base):
    """One chunk of one indexed record in the database vector store (`sql_vectors`): its id is the
    same point id the Qdrant store uses, its vector the unit-length float32 bytes."""

    __tablename__ = "vector_chunks"
    __table_args__ = (Index("ix_vector_chunks_record", "tenant_id", "kind", "entity_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(ENTITY_ID_MAX))
    chunk: Mapped[int] = mapped_column(Integer())
    version: Mapped[int] = mapped_column(BigInteger())
    title: Mapped[str] = mapped_column(Text(), default="")
    url: Mapped[str] = mapped_column(Text(), default="")
    text: Mapped[str] = mapped_column(Text(), default="")
    vector: Mapped[bytes] = mapped_column(LargeBinary())


class VectorGeneration(IdMixin, TenantMixin, Base):
    """A tenant's vector-store generation: a fresh random token on every write of its chunks, in the
    same transaction, so any process can tell whether the matrix it cached is still current. A
    random token rather than a counter: a counter restarted after its row was deleted (tenant
    deletion) could repeat a value some process still holds."""

    __tablename__ = "vector_generations"
    __table_args__ = (UniqueConstraint("tenant_id", name="uq_vector_generations_tenant"),)

    token: Mapped[uuid.UUID] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
