"""Writing and reading in-app notifications."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.db import utcnow
from binelek.notifications.models import Notification


def notify(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_ids: Iterable[uuid.UUID],
    *,
    kind: str,
    title: str,
    body: str | None = None,
    link: str | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """Add one notification per user to the caller's transaction; returns how many."""
    count = 0
    for user_id in dict.fromkeys(user_ids):
        session.add(
            Notification(
                tenant_id=tenant_id,
                user_id=user_id,
                kind=kind,
                title=title[:300],
                body=body[:4000] if body else None,
                link=link,
                data=data or {},
            )
        )
        count += 1
    return count


async def list_for(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, *, unread_only: bool, limit: int
) -> tuple[list[Notification], int]:
    mine = (Notification.tenant_id == tenant_id, Notification.user_id == user_id)
    statement = select(Notification).where(*mine)
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    rows = (await session.execute(statement.order_by(Notification.created_at.desc()).limit(limit))).scalars()
    unread = await session.scalar(
        select(func.count()).select_from(Notification).where(*mine, Notification.read_at.is_(None))
    )
    return list(rows), int(unread or 0)


async def mark_read(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, ids: list[uuid.UUID] | None
) -> int:
    statement = update(Notification).where(
        Notification.tenant_id == tenant_id, Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    result = await session.execute(statement.values(read_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
