"""Notifications: one call (`notify`) that honours each recipient's preferences for the kind — in the
bell (stored, and pushed live to their open streams), by e-mail at once (through the outbox, so the
send survives a crash and never holds up the caller's transaction), or gathered into a daily digest."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit import outbox
from binelek.kit.db import after_commit, utcnow
from binelek.kit.pubsub import process_broadcaster
from binelek.notifications.kinds import KINDS, Channels, kind_of
from binelek.notifications.models import Notification, NotificationPreference
from binelek.notifications.schemas import NotificationOut, PreferenceIn, PreferenceOut

EMAIL_EVENT = "notification.email_requested"


def channel_for(tenant_id: uuid.UUID, user_id: uuid.UUID) -> str:
    return f"notifications:{tenant_id}:{user_id}"


async def notify(
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
    """Tell each user, in the caller's transaction, the way they chose for `kind`; returns how many
    users were addressed."""
    users = list(dict.fromkeys(user_ids))
    if not users:
        return 0
    chosen = await channels_for(session, tenant_id, users, kind)
    now = utcnow()
    shown: list[Notification] = []
    emailed: list[str] = []
    for user_id in users:
        channels = chosen[user_id]
        if channels.in_app or channels.digest:
            row = Notification(
                id=uuid.uuid4(),
                tenant_id=tenant_id,
                user_id=user_id,
                kind=kind,
                title=title[:300],
                body=body[:4000] if body else None,
                link=link,
                data=data or {},
                created_at=now,
                read_at=None,
                in_app=channels.in_app,
                digest=channels.digest,
            )
            session.add(row)
            if channels.in_app:
                shown.append(row)
        if channels.email:
            emailed.append(str(user_id))
    if emailed:
        outbox.emit(
            session,
            EMAIL_EVENT,
            {"kind": kind, "title": title[:300], "body": body, "link": link, "user_ids": emailed},
            tenant_id,
        )
    if shown:
        after_commit(session, _publisher(shown))
    return len(users)


def _publisher(rows: Sequence[Notification]) -> Callable[[], Awaitable[None]]:
    messages = [
        (channel_for(row.tenant_id, row.user_id), NotificationOut.model_validate(row).model_dump(mode="json"))
        for row in rows
    ]

    async def publish() -> None:
        broadcaster = process_broadcaster()
        for channel, notification in messages:
            await broadcaster.publish(channel, {"event": "notification", "data": notification})

    return publish


async def channels_for(
    session: AsyncSession, tenant_id: uuid.UUID, user_ids: Sequence[uuid.UUID], kind: str
) -> dict[uuid.UUID, Channels]:
    defaults = kind_of(kind).defaults
    saved = (
        await session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.tenant_id == tenant_id,
                NotificationPreference.kind == kind,
                NotificationPreference.user_id.in_(user_ids),
            )
        )
    ).all()
    chosen = {user_id: defaults for user_id in user_ids}
    for row in saved:
        chosen[row.user_id] = Channels(in_app=row.in_app, email=row.email, digest=row.digest)
    return chosen


# -- the bell ---------------------------------------------------------------------------------------


async def list_for(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, *, unread_only: bool, limit: int
) -> tuple[list[Notification], int]:
    mine = (Notification.tenant_id == tenant_id, Notification.user_id == user_id, Notification.in_app)
    statement = select(Notification).where(*mine)
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    rows = (await session.execute(statement.order_by(Notification.created_at.desc()).limit(limit))).scalars()
    return list(rows), await unread_count(session, tenant_id, user_id)


async def unread_count(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> int:
    unread = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.tenant_id == tenant_id,
            Notification.user_id == user_id,
            Notification.in_app,
            Notification.read_at.is_(None),
        )
    )
    return int(unread or 0)


async def mark_read(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, ids: list[uuid.UUID] | None
) -> int:
    statement = update(Notification).where(
        Notification.tenant_id == tenant_id, Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    result = await session.execute(statement.values(read_at=utcnow()))
    marked = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if marked:
        # The user's other tabs and devices update their badge too.
        channel = channel_for(tenant_id, user_id)
        read = {"event": "read", "data": {"ids": [str(i) for i in ids] if ids is not None else None}}

        async def publish() -> None:
            await process_broadcaster().publish(channel, read)

        after_commit(session, publish)
    return marked


# -- preferences ------------------------------------------------------------------------------------


async def preferences(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[PreferenceOut]:
    saved = {
        row.kind: row
        for row in (
            await session.scalars(
                select(NotificationPreference).where(
                    NotificationPreference.tenant_id == tenant_id, NotificationPreference.user_id == user_id
                )
            )
        ).all()
    }
    items = []
    for kind in KINDS.values():
        row = saved.get(kind.name)
        channels = Channels(row.in_app, row.email, row.digest) if row is not None else kind.defaults
        items.append(
            PreferenceOut(
                kind=kind.name,
                label=kind.label,
                description=kind.description,
                in_app=channels.in_app,
                email=channels.email,
                digest=channels.digest,
                customized=row is not None,
            )
        )
    return items


async def save_preferences(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, changes: Sequence[PreferenceIn]
) -> list[PreferenceOut]:
    saved = {
        row.kind: row
        for row in (
            await session.scalars(
                select(NotificationPreference).where(
                    NotificationPreference.tenant_id == tenant_id, NotificationPreference.user_id == user_id
                )
            )
        ).all()
    }
    for change in changes:
        row = saved.get(change.kind)
        if row is None:
            row = NotificationPreference(tenant_id=tenant_id, user_id=user_id, kind=change.kind)
            session.add(row)
            saved[change.kind] = row
        row.in_app, row.email, row.digest = change.in_app, change.email, change.digest
    await session.flush()
    return await preferences(session, tenant_id, user_id)


# -- the daily digest -------------------------------------------------------------------------------


async def digest_due(session: AsyncSession, limit: int) -> list[Notification]:
    """Notifications waiting for their user's digest, oldest first (system session: every tenant)."""
    statement = (
        select(Notification)
        .where(Notification.digest, Notification.digested_at.is_(None))
        .order_by(Notification.tenant_id, Notification.user_id, Notification.created_at)
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


def mark_digested(rows: Iterable[Notification], when: datetime) -> None:
    for row in rows:
        row.digested_at = when
