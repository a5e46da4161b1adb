"""Tenant-scoped reads and writes of dashboards, widgets and custom metrics."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from binelek.connectors.models import Order, Product
from binelek.foundry.models import CustomMetric, Dashboard, Widget
from binelek.identity.models import Tenant
from binelek.kit.dataversion import DataVersion
from binelek.kit.errors import ResourceNotFound


async def tenant_settings(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, object]:
    settings = (
        await session.execute(select(Tenant.settings).where(Tenant.id == tenant_id))
    ).scalar_one_or_none()
    return dict(settings or {})


async def custom_metrics(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[CustomMetric]:
    statement = select(CustomMetric).where(CustomMetric.tenant_id == tenant_id).order_by(CustomMetric.name)
    return (await session.execute(statement)).scalars().all()


async def custom_metric(session: AsyncSession, tenant_id: uuid.UUID, metric_id: uuid.UUID) -> CustomMetric:
    metric = (
        await session.execute(
            select(CustomMetric).where(CustomMetric.tenant_id == tenant_id, CustomMetric.id == metric_id)
        )
    ).scalar_one_or_none()
    if metric is None:
        raise ResourceNotFound("No such custom metric.")
    return metric


async def dashboards(session: AsyncSession, tenant_id: uuid.UUID) -> list[tuple[Dashboard, int]]:
    counts = (
        select(Widget.dashboard_id, func.count().label("widgets"))
        .where(Widget.tenant_id == tenant_id)
        .group_by(Widget.dashboard_id)
        .subquery()
    )
    statement = (
        select(Dashboard, func.coalesce(counts.c.widgets, 0))
        .outerjoin(counts, counts.c.dashboard_id == Dashboard.id)
        .where(Dashboard.tenant_id == tenant_id)
        .order_by(Dashboard.is_default.desc(), Dashboard.name)
    )
    return [(dashboard, int(count)) for dashboard, count in (await session.execute(statement)).all()]


async def dashboard(session: AsyncSession, tenant_id: uuid.UUID, dashboard_id: uuid.UUID) -> Dashboard:
    found = (
        await session.execute(
            select(Dashboard)
            .where(Dashboard.tenant_id == tenant_id, Dashboard.id == dashboard_id)
            .options(selectinload(Dashboard.widgets))
        )
    ).scalar_one_or_none()
    if found is None:
        raise ResourceNotFound("No such dashboard.")
    return found


async def clear_default(session: AsyncSession, tenant_id: uuid.UUID, keep: uuid.UUID | None) -> None:
    statement = update(Dashboard).where(Dashboard.tenant_id == tenant_id, Dashboard.is_default.is_(True))
    if keep is not None:
        statement = statement.where(Dashboard.id != keep)
    await session.execute(statement.values(is_default=False).execution_options(synchronize_session=False))


async def dashboard_names(session: AsyncSession, tenant_id: uuid.UUID) -> set[str]:
    names = await session.execute(select(Dashboard.name).where(Dashboard.tenant_id == tenant_id))
    return set(names.scalars().all())


async def main_currency(session: AsyncSession, tenant_id: uuid.UUID) -> str | None:
    catalogue = await session.scalar(select(Product.currency).where(Product.tenant_id == tenant_id).limit(1))
    if catalogue is not None:
        return catalogue
    return await session.scalar(
        select(Order.currency).where(Order.tenant_id == tenant_id).order_by(Order.placed_at.desc()).limit(1)
    )


@dataclass(frozen=True, slots=True)
class DashboardHeader:
    updated_at: datetime
    date_range: dict[str, Any]
    compare: str | None
    timezone: object
    version: int


async def dashboard_header(
    session: AsyncSession, tenant_id: uuid.UUID, dashboard_id: uuid.UUID
) -> DashboardHeader:
    """What a dashboard's cache key needs, in one round trip: its period and last change, the
    tenant's time zone and data version."""
    statement = (
        select(
            Dashboard.updated_at,
            Dashboard.date_range,
            Dashboard.compare,
            Tenant.settings,
            func.coalesce(DataVersion.version, 0),
        )
        .join(Tenant, Tenant.id == Dashboard.tenant_id)
        .outerjoin(DataVersion, DataVersion.tenant_id == Dashboard.tenant_id)
        .where(Dashboard.tenant_id == tenant_id, Dashboard.id == dashboard_id)
    )
    row = (await session.execute(statement)).first()
    if row is None:
        raise ResourceNotFound("No such dashboard.")
    updated_at, date_range, compare, settings, version = row
    return DashboardHeader(
        updated_at, dict(date_range or {}), compare, (settings or {}).get("timezone"), int(version)
    )
