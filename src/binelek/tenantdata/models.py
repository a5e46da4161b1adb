"""Exports of a tenant's data: one row per requested archive."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from binelek.kit.db import Base, IdMixin, TenantMixin, TimestampMixin

EXPORT_STATUSES = ("queued", "running", "done", "failed")


class TenantExport(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "tenant_exports"
    __table_args__ = (Index("ix_tenant_exports_tenant_created", "tenant_id", "created_at"),)

    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[int] = mapped_column(default=0)  # percent of tables written
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Relative to the data directory, so moving the data directory keeps downloads working.
    file_path: Mapped[str | None] = mapped_column(String(500))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger())
    # Row counts per table, as in the archive's manifest.
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text())
    finished_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
