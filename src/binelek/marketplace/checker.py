"""Checking one listing: fetch (politely) or render, extract, and record — the check always, an
observation only for a price that was really found and only when it is the first, a change, or the
day's heartbeat; changes become alerts and outbox events (`price.changed`, `price.dropped`,
`availability.changed`).

The fetcher and the renderer are per process: their per-host state (robots.txt cache, delays,
Retry-After) lives there, and the scheduler sends all of one host's listings through one queue
partition, so one host is paced the same however many workers run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import structlog
from sqlalchemy import select

from binelek.kit import outbox
from binelek.kit.db import Database, utcnow
from binelek.kit.settings import Settings
from binelek.marketplace.models import Listing, ListingCheck, PriceAlert, PriceObservation, TrackedProduct

log = structlog.get_logger(__name__)
FAILURE_STATUS = {
    "blocked_by_robots": "blocked",
    "rate_limited": "blocked",
    "refused_private": "blocked",
    "not_found": "not_found",
}
MAX_BACKOFF = timedelta(days=1)


@dataclass
class PageOutcome:
    outcome: str  # the fetcher's or renderer's, or "extraction_failed" / "ok"
    detail: str | None
    http_status: int | None
    elapsed_ms: float | None
    extraction: Any | None  # extraction.Extraction


class Browsers:
    """The process's fetcher and renderer, made on first use with the settings' policy."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._fetcher: Any = None
        self._renderer: Any = None
        self._built_for_private = settings.binelek_allow_private_targets

    def _follow_setting(self) -> None:
        """The private-targets switch changed (development, tests): new ones with the new policy."""
        allowed = self._settings.binelek_allow_private_targets
        if allowed != self._built_for_private:
            self._fetcher = self._renderer = None
            self._built_for_private = allowed

    def user_agent(self) -> str:
        return f"BinelekPriceBot/1.0 (+{self._settings.public_url.rstrip('/')}/bot)"

    def fetcher(self) -> Any:
        self._follow_setting()
        if self._fetcher is None:
            from binelek.marketplace.fetcher import Fetcher, FetchPolicy

            self._fetcher = Fetcher(
                FetchPolicy(
                    user_agent=self.user_agent(),
                    allow_private=self._settings.binelek_allow_private_targets,
                )
            )
        return self._fetcher

    def renderer(self) -> Any:
        self._follow_setting()
        if self._renderer is None:
            from binelek.marketplace.render import Renderer

            self._renderer = Renderer(
                user_agent=self.user_agent(), allow_private=self._settings.binelek_allow_private_targets
            )
        return self._renderer

    async def aclose(self) -> None:
        if self._fetcher is not None:
            await self._fetcher.aclose()
        if self._renderer is not None:
            await self._renderer.aclose()


async def read_page(
    browsers: Browsers, url: str, *, render_js: bool, steps: list[dict[str, Any]], selector: str | None
) -> PageOutcome:
    from binelek.marketplace.extraction import extract

    if render_js:
        from binelek.marketplace.render import Step

        rendered = await browsers.renderer().render(url, [Step(**step) for step in steps])
        html, final_url = rendered.html, rendered.final_url
        outcome, detail, status, elapsed = (
            rendered.outcome,
            rendered.detail,
            rendered.status,
            rendered.elapsed_ms,
        )
    else:
        fetched = await browsers.fetcher().fetch(url)
        html, final_url = fetched.html, fetched.final_url
        outcome, detail, status, elapsed = fetched.outcome, fetched.detail, fetched.status, fetched.elapsed_ms
    if outcome != "ok" or html is None:
        return PageOutcome(outcome, detail, status, elapsed, None)
    extraction = extract(html, final_url or url, selector=selector)
    if extraction.price is None:
        reason = extraction.reason or "no price on the page"
        return PageOutcome("extraction_failed", reason, status, elapsed, extraction)
    return PageOutcome("ok", None, status, elapsed, extraction)


async def check_listing(db: Database, browsers: Browsers, tenant_id: uuid.UUID, listing_id: uuid.UUID) -> str:
    async with db.session(tenant_id=tenant_id) as session:
        listing = await session.get(Listing, listing_id)
        if listing is None:
            return "gone"
        url, render_js, steps, selector = (
            listing.url,
            listing.render_js,
            list(listing.steps),
            listing.css_selector,
        )
    page = await read_page(browsers, url, render_js=render_js, steps=steps, selector=selector)
    async with db.session(tenant_id=tenant_id) as session:
        listing = await session.get(Listing, listing_id)
        if listing is None:
            return "gone"
        product = await session.get(TrackedProduct, listing.product_id)
        assert product is not None
        await record(session, product, listing, page, utcnow())
    return page.outcome


async def record(
    session: Any, product: TrackedProduct, listing: Listing, page: PageOutcome, now: datetime
) -> None:
    session.add(
        ListingCheck(
            tenant_id=listing.tenant_id,
            listing_id=listing.id,
            outcome=page.outcome,
            detail=(page.detail or "")[:1000] or None,
            http_status=page.http_status,
            elapsed_ms=page.elapsed_ms,
            checked_at=now,
        )
    )
    listing.last_checked_at = now
    product.last_checked_at = now
    interval = timedelta(minutes=product.check_every_minutes)
    if page.outcome != "ok":
        listing.failures_in_row += 1
        listing.status = FAILURE_STATUS.get(page.outcome, "extraction_failed" if page.extraction else "error")
        listing.status_detail = page.detail
        # Failing listings are retried later and later, never hammered.
        listing.next_check_at = now + min(interval * (2 ** min(listing.failures_in_row - 1, 5)), MAX_BACKOFF)
        return
    extraction = page.extraction
    assert extraction is not None and extraction.price is not None
    listing.status, listing.status_detail, listing.failures_in_row = "ok", None, 0
    listing.title = (extraction.title or listing.title or "")[:500] or None
    listing.image = extraction.image or listing.image
    listing.sku = (extraction.sku or listing.sku or "")[:200] or None
    listing.brand = (extraction.brand or listing.brand or "")[:200] or None
    listing.next_check_at = now + interval
    await _observe(session, product, listing, extraction, now)


async def _observe(
    session: Any, product: TrackedProduct, listing: Listing, extraction: Any, now: datetime
) -> None:
    from binelek.marketplace.analytics import Observation, detect_change, needs_heartbeat

    previous = None
    if listing.last_price is not None:
        previous = Observation(
            listing_id=str(listing.id),
            competitor=None,
            price=listing.last_price,
            currency=listing.last_currency,
            availability=listing.last_availability,
            checked_at=listing.last_stored_at or now,
        )
    current = Observation(
        listing_id=str(listing.id),
        competitor=None,
        price=Decimal(extraction.price),
        currency=extraction.currency,
        availability=extraction.availability,
        checked_at=now,
    )
    events = detect_change(
        previous,
        current,
        threshold_pct=product.alert_threshold_pct,
        threshold_abs=product.alert_threshold_abs,
    )
    kind = "first" if previous is None else "change" if events else None
    if kind is None and needs_heartbeat(listing.last_stored_at, now):
        kind = "heartbeat"
    if kind is not None:
        session.add(
            PriceObservation(
                tenant_id=listing.tenant_id,
                listing_id=listing.id,
                kind=kind,
                price=current.price,
                currency=current.currency,
                availability=current.availability,
                method=extraction.method,
                confidence=extraction.confidence,
                checked_at=now,
            )
        )
        listing.last_stored_at = now
    dropped = any(event.kind == "price.dropped" for event in events)
    raised = []
    for event in events:
        # Both events go out; the owner gets one alert for one drop.
        alert = event.alert and not (dropped and event.kind == "price.changed")
        row = _announce(session, product, listing, previous, current, event, now, alert=alert)
        if row is not None:
            raised.append(row)
    if product.alert_mode == "immediate":
        from binelek.marketplace.alerts import deliver_now

        await deliver_now(session, product, listing, raised, now)
    listing.last_price, listing.last_currency = current.price, current.currency
    listing.last_availability = current.availability


def _announce(
    session: Any,
    product: TrackedProduct,
    listing: Listing,
    previous: Any,
    current: Any,
    event: Any,
    now: datetime,
    *,
    alert: bool,
) -> PriceAlert | None:
    payload = {
        "product_id": str(product.id),
        "product": product.name,
        "listing_id": str(listing.id),
        "url": listing.url,
        "competitor_id": str(listing.competitor_id) if listing.competitor_id else None,
        "old_price": str(previous.price) if previous and previous.price is not None else None,
        "new_price": str(current.price) if current.price is not None else None,
        "currency": current.currency,
        "change_pct": str(event.change_pct) if getattr(event, "change_pct", None) is not None else None,
        "old_availability": previous.availability if previous else None,
        "new_availability": current.availability,
    }
    outbox.emit(session, event.kind, payload, listing.tenant_id)
    if not alert:
        return None
    row = PriceAlert(
        tenant_id=listing.tenant_id,
        product_id=product.id,
        listing_id=listing.id,
        kind=event.kind,
        old_price=previous.price if previous else None,
        new_price=current.price,
        currency=current.currency,
        change_pct=getattr(event, "change_pct", None),
        old_availability=previous.availability if previous else None,
        new_availability=current.availability,
        delivery=product.alert_mode,
        created_at=now,
    )
    session.add(row)
    return row


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


async def listings_due(db: Database, now: datetime, limit: int = 5000) -> dict[str, list[tuple[str, str]]]:
    """Due listings grouped by host: {host: [(tenant id, listing id)]}."""
    from binelek.marketplace.repository import due_listings

    async with db.session() as session:
        listings = await due_listings(session, now, limit)
        # Claimed for this round: a listing is not handed out again while its check is queued.
        for listing in listings:
            listing.next_check_at = now + timedelta(minutes=15)
    grouped: dict[str, list[tuple[str, str]]] = {}
    for listing in listings:
        grouped.setdefault(host_of(listing.url), []).append((str(listing.tenant_id), str(listing.id)))
    return grouped


async def listing_ids_of(db: Database, tenant_id: uuid.UUID, product_id: uuid.UUID) -> list[tuple[str, str]]:
    async with db.session(tenant_id=tenant_id) as session:
        rows = await session.execute(
            select(Listing.id, Listing.url).where(
                Listing.tenant_id == tenant_id, Listing.product_id == product_id
            )
        )
        return [(str(listing_id), url) for listing_id, url in rows.tuples()]
