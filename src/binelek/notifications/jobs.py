"""Notification e-mail: sent at once from the outbox, or gathered into one digest a day."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

import structlog
from dbos import DBOS

from binelek.identity import service as identity
from binelek.kit.db import Database, utcnow
from binelek.kit.jobs import ScheduleSpec, declare_schedule, process_object
from binelek.kit.mail import Mailer, smtp_configured
from binelek.kit.outbox import EventMessage, subscribe
from binelek.kit.settings import Settings
from binelek.notifications import service
from binelek.notifications.kinds import kind_of
from binelek.notifications.models import Notification

log = structlog.get_logger(__name__)

DIGEST_BATCH = 2000


@subscribe(service.EMAIL_EVENT, "notifications.email", active=smtp_configured)
async def email_now(event: EventMessage) -> None:
    if event.tenant_id is not None:
        await send_now(process_object("db"), process_object("settings"), event)


async def send_now(db: Database, settings: Settings, event: EventMessage) -> int:
    """The e-mail a `notify` asked for, one per recipient who chose e-mail; returns how many."""
    wanted = set(event.payload.get("user_ids") or [])
    async with db.session(tenant_id=event.tenant_id) as session:
        addresses = [m.email for m in await identity.member_access(session) if str(m.user_id) in wanted]
    payload = event.payload
    mailer = Mailer(settings)
    tag = kind_of(str(payload.get("kind"))).tag
    link = _absolute(settings, payload.get("link"))
    for address in addresses:
        await mailer.send(
            to=address,
            subject=f"[Binelek {tag}] {payload['title']}",
            text=f"{payload['title']}\n\n{payload.get('body') or ''}\n\nOpen it: {link}\n",
        )
    log.info("notification_emailed", kind=payload.get("kind"), recipients=len(addresses))
    return len(addresses)


def _absolute(settings: Settings, link: Any) -> str:
    return f"{settings.public_url.rstrip('/')}{link or '/'}"


async def send_digests(db: Database, settings: Settings) -> int:
    """One e-mail per user with everything waiting for their digest; returns how many were sent.
    Rows are marked in the same transaction that read them, after the mail left: a crash between
    the two repeats a digest rather than losing one."""
    mailer = Mailer(settings)
    sent = 0
    async with db.session() as session:
        due = await service.digest_due(session, DIGEST_BATCH)
        by_tenant: dict[uuid.UUID, dict[uuid.UUID, list[Notification]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for row in due:
            by_tenant[row.tenant_id][row.user_id].append(row)
        now = utcnow()
        for tenant_id, by_user in by_tenant.items():
            async with db.session(tenant_id=tenant_id) as tenant_session:
                addresses = {m.user_id: m.email for m in await identity.member_access(tenant_session)}
            for user_id, rows in by_user.items():
                address = addresses.get(user_id)
                if address is not None and mailer.configured:
                    await mailer.send(
                        to=address, subject=_digest_subject(rows), text=_digest_text(settings, rows)
                    )
                    sent += 1
                service.mark_digested(rows, now)
    return sent


def _digest_subject(rows: list[Notification]) -> str:
    return f"[Binelek] Your daily digest: {len(rows)} update{'s' if len(rows) != 1 else ''}"


def _digest_text(settings: Settings, rows: list[Notification]) -> str:
    lines = ["Here is what happened since your last digest.", ""]
    for row in rows:
        lines.append(f"- [{kind_of(row.kind).label}] {row.title}")
        if row.link:
            lines.append(f"  {_absolute(settings, row.link)}")
    return "\n".join(lines) + "\n"


@DBOS.step()
async def notifications_digest_step() -> int:
    return await send_digests(process_object("db"), process_object("settings"))


@DBOS.workflow()
async def notifications_daily_digest(scheduled: datetime, _context: Any) -> None:
    await notifications_digest_step()


declare_schedule(
    ScheduleSpec(name="notifications-digest", cron="0 7 * * *", workflow=notifications_daily_digest)
)
