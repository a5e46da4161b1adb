"""Dashboards and their widgets, tenants' custom metrics, external databases, computed insights,
and scheduled reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from binelek.kit.crypto import encrypted_column
from binelek.kit.db import Base, IdMixin, TenantMixin, TimestampMixin, utcnow

NAME_MAX = 200


class Dashboard(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "dashboards"
    __table_args__ = (Index("ix_dashboards_tenant_name", "tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(NAME_MAX))
    description: Mapped[str | None] = mapped_column(String(1000))
    # {"preset": "last_30_days"} or {"start": "2026-01-01", "end": "2026-03-31"}
    date_range: Mapped[dict[str, Any]] = mapped_column(default=dict)
    filters: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    compare: Mapped[str | None] = mapped_column(String(20))  # previous_period | previous_year
    is_default: Mapped[bool] = mapped_column(Boolean(), default=False)
    template: Mapped[str | None] = mapped_column(String(50))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    widgets: Mapped[list[Widget]] = relationship(
        "Widget",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="Widget.position",
        passive_deletes=True,
    )


class Widget(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "widgets"
    __table_args__ = (Index("ix_widgets_dashboard", "dashboard_id"),)

    dashboard_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dashboards.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(NAME_MAX))
    # kpi | line | bar | stacked_bar | pie | table | map
    type: Mapped[str] = mapped_column(String(20))
    query: Mapped[dict[str, Any]] = mapped_column(default=dict)  # a SemanticQuery without its period
    layout: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {x, y, w, h}
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(Integer(), default=0)


class CustomMetric(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "custom_metrics"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_custom_metrics_name"),)

    name: Mapped[str] = mapped_column(String(64))  # an identifier: lower case, digits, underscores
    label: Mapped[str] = mapped_column(String(NAME_MAX))
    description: Mapped[str | None] = mapped_column(String(1000))
    formula: Mapped[str] = mapped_column(String(1000))
    filters: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    format: Mapped[str] = mapped_column(String(20), default="number")  # number | money | percent
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ExternalDatabase(IdMixin, TimestampMixin, TenantMixin, Base):
    """A read-only external database a tenant registers as a data source; its URL is encrypted."""

    __tablename__ = "data_sources"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_data_sources_name"),)

    name: Mapped[str] = mapped_column(String(NAME_MAX))
    kind: Mapped[str] = mapped_column(String(20))  # postgresql | mysql | sqlite
    url_encrypted: Mapped[str] = mapped_column(Text())
    url_hint: Mapped[str] = mapped_column(String(300))  # the URL without its password
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | ok | error
    last_error: Mapped[str | None] = mapped_column(String(1000))
    schema_snapshot: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    introspected_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


encrypted_column(ExternalDatabase.url_encrypted)


class Insight(IdMixin, TenantMixin, Base):
    __tablename__ = "insights"
    __table_args__ = (
        UniqueConstraint("tenant_id", "fingerprint", name="uq_insights_fingerprint"),
        Index("ix_insights_tenant_computed", "tenant_id", "computed_at"),
    )

    # anomaly | trend | top_mover | segment | forecast
    kind: Mapped[str] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(128))  # same finding, same row: recomputing updates it
    title: Mapped[str] = mapped_column(String(300))
    sentence: Mapped[str] = mapped_column(String(1000))
    severity: Mapped[str] = mapped_column(String(10), default="info")  # info | positive | warning
    score: Mapped[float] = mapped_column(default=0.0)  # how much it matters; the feed sorts by it
    numbers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    chart: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {type, query} to draw it
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    dismissed_at: Mapped[datetime | None] = mapped_column()


class ReportSchedule(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "report_schedules"
    __table_args__ = (Index("ix_report_schedules_next", "is_active", "next_run_at"),)

    kind: Mapped[str] = mapped_column(String(30))  # daily_sales | weekly_digest | monthly_executive
    recipients: Mapped[list[str]] = mapped_column(default=list)
    dashboard_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("dashboards.id", ondelete="SET NULL"))
    is_active: Mapped[bool] = mapped_column(Boolean(), default=True)
    next_run_at: Mapped[datetime] = mapped_column()
    last_sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
