"""Telling people about price alerts: at once (an in-app notification to admins and members, and an
e-mail when SMTP is set) or in one daily digest per organization."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.identity import service as identity
from binelek.kit import outbox
from binelek.kit.db import Database, utcnow
from binelek.marketplace.models import Listing, PriceAlert, TrackedProduct
from binelek.notifications import service as notifications

ALERT_EVENT = "marketplace.alert.raised"


def describe(alert: PriceAlert, product: str, where: str) -> str:
    money = f"{alert.currency or ''} ".lstrip()
    if alert.kind == "availability.changed":
        state = (alert.new_availability or "unknown").replace("_", " ")
        return f"{where}: {product} is now {state}"
    new = f"{money}{_amount(alert.new_price)}"
    change = f" ({alert.change_pct:+}%)" if alert.change_pct is not None else ""
    verb = "dropped the price of" if alert.kind == "price.dropped" else "changed the price of"
    return f"{where} {verb} {product} to {new}{change}"


def _amount(value: Decimal | None) -> str:
    return f"{value:.2f}" if value is not None else "?"


async def _recipients(session: AsyncSession) -> list[uuid.UUID]:
    return [m.user_id for m in await identity.member_access(session) if m.role in ("admin", "member")]


async def deliver_now(
    session: AsyncSession,
    product: TrackedProduct,
    listing: Listing,
    alerts: Sequence[PriceAlert],
    now: datetime,
) -> None:
    if not alerts:
        return
    user_ids = await _recipients(session)
    where = listing.marketplace or listing.url
    for alert in alerts:
        text = describe(alert, product.name, where)
        link = f"/marketplace/products/{product.id}"
        await notifications.notify(
            session, product.tenant_id, user_ids, kind="marketplace", title=text[:300], link=link
        )
        outbox.emit(
            session,
            ALERT_EVENT,
            {"title": text, "body": listing.url, "link": link},
            product.tenant_id,
        )
        alert.delivered_at = now


async def send_digests(db: Database) -> int:
    """Every organization's undelivered digest alerts as one notification and one e-mail."""
    async with db.session() as session:
        tenants = set(
            (
                await session.scalars(
                    select(PriceAlert.tenant_id).where(
                        PriceAlert.delivery == "digest", PriceAlert.delivered_at.is_(None)
                    )
                )
            ).all()
        )
    sent = 0
    for tenant_id in tenants:
        sent += await _digest(db, tenant_id)
    return sent


async def _digest(db: Database, tenant_id: uuid.UUID) -> int:
    now = utcnow()
    async with db.session(tenant_id=tenant_id) as session:
        rows = (
            await session.execute(
                select(PriceAlert, TrackedProduct.name, Listing.marketplace, Listing.url)
                .join(TrackedProduct, TrackedProduct.id == PriceAlert.product_id)
                .join(Listing, Listing.id == PriceAlert.listing_id)
                .where(
                    PriceAlert.tenant_id == tenant_id,
                    PriceAlert.delivery == "digest",
                    PriceAlert.delivered_at.is_(None),
                )
                .order_by(PriceAlert.created_at)
            )
        ).all()
        if not rows:
            return 0
        by_product: dict[str, list[str]] = defaultdict(list)
        for alert, product, marketplace, url in rows:
            by_product[product].append(describe(alert, product, marketplace or url))
            alert.delivered_at = now
        lines = [line for product in sorted(by_product) for line in by_product[product]]
        title = f"Price watch: {len(lines)} change(s) since the last digest"
        user_ids = await _recipients(session)
        await notifications.notify(
            session,
            tenant_id,
            user_ids,
            kind="marketplace",
            title=title,
            body="\n".join(lines)[:4000],
            link="/marketplace/alerts",
        )
        outbox.emit(
            session,
            ALERT_EVENT,
            {"title": title, "body": "\n".join(lines), "link": "/marketplace/alerts"},
            tenant_id,
        )
        return len(rows)
