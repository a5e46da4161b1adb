"""The transactional outbox: domain events written in the same transaction as the change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from binelek.kit.db import Base, TenantMixin, utcnow


class Event(TenantMixin, Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_undispatched", "dispatched_at", "id"),)

    # BIGINT on PostgreSQL, INTEGER on SQLite (only INTEGER PRIMARY KEY autoincrements there).
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(  # type: ignore[assignment]
        Uuid(), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=True, index=True
    )
    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column()


class ConsumerBacklog(Base):
    """Events a batch consumer has yet to take: its call failed when they were dispatched (an event
    broker down). They are retried for that consumer alone, so its outage holds back neither the
    other consumers nor the per-event workflows, and nothing is lost while it lasts."""

    __tablename__ = "event_consumer_backlog"
    # The cascade from a deleted event (its tenant deleted) looks rows up by event id.
    __table_args__ = (Index("ix_event_consumer_backlog_event_id", "event_id"),)

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("events.id", ondelete="CASCADE"),
        primary_key=True,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
