"""In-app notifications addressed to one user of a tenant, and each user's delivery preferences."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from binelek.kit.db import Base, IdMixin, TenantMixin, utcnow


class Notification(IdMixin, TenantMixin, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_created", "tenant_id", "user_id", "created_at"),
        Index("ix_notifications_digest_due", "digest", "digested_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(50))  # one of kinds.KINDS
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(String(4000))
    link: Mapped[str | None] = mapped_column(String(500))  # an in-app path, e.g. /ops/runs/<id>
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()
    # Where the user wants this kind: shown in the bell, and/or gathered into the daily digest e-mail.
    in_app: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    digest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    digested_at: Mapped[datetime | None] = mapped_column()


class NotificationPreference(IdMixin, TenantMixin, Base):
    """A user's choice for one kind; a kind without a row uses the kind's defaults."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "kind"),)

    kind: Mapped[str] = mapped_column(String(50))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    in_app: Mapped[bool] = mapped_column(Boolean)
    email: Mapped[bool] = mapped_column(Boolean)
    digest: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
