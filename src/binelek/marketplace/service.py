"""Marketplace Intel's business rules: competitors, tracked products and their listings (checked as
often as the plan allows), previews, price history, pricing position and trends."""

from __future__ import annotations

import ipaddress
import socket
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import median
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.auth import Principal
from binelek.kit.db import after_commit, utcnow
from binelek.kit.errors import ResourceNotFound, ValidationFailed
from binelek.kit.settings import Settings
from binelek.marketplace.models import Competitor, Listing, TrackedProduct
from binelek.marketplace.repository import (
    CompetitorRepository,
    ListingRepository,
    ObservationRepository,
    ProductRepository,
)
from binelek.marketplace.schemas import (
    CompetitorIn,
    ListingIn,
    ListingOut,
    TrackedProductIn,
    TrackedProductOut,
    TrackedProductPatch,
)
from binelek.plans import service as plans

# -- competitors ------------------------------------------------------------------------------------


def _competitor_values(data: CompetitorIn) -> dict[str, Any]:
    values = data.model_dump()
    values["website"] = str(data.website) if data.website else None
    return values


async def create_competitor(session: AsyncSession, data: CompetitorIn) -> Competitor:
    return CompetitorRepository(session).add(
        Competitor(id=uuid.uuid4(), source="manual", **_competitor_values(data))
    )


async def update_competitor(
    session: AsyncSession, competitor_id: uuid.UUID, data: CompetitorIn
) -> Competitor:
    competitor = await CompetitorRepository(session).get_or_404(competitor_id)
    for key, value in _competitor_values(data).items():
        setattr(competitor, key, value)
    return competitor


# -- tracked products -------------------------------------------------------------------------------


def check_interval(plan: str) -> int:
    """Minutes between scheduled checks of a product's listings on this plan (plans.catalogue)."""
    return plans.price_check_minutes(plan)


async def count_products(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """Tracked products the plan counts: all of them, paused ones too (resuming is not a new product)."""
    count = await session.scalar(
        select(func.count()).select_from(TrackedProduct).where(TrackedProduct.tenant_id == tenant_id)
    )
    return int(count or 0)


async def apply_check_interval(session: AsyncSession, tenant_id: uuid.UUID, minutes: int) -> None:
    """A plan change: every tracked product is checked at the new plan's pace from its next check."""
    await session.execute(
        update(TrackedProduct)
        .where(TrackedProduct.tenant_id == tenant_id)
        .values(check_every_minutes=minutes)
    )


def _currency(code: str) -> str:
    code = code.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationFailed(f"{code!r} is not an ISO 4217 currency code.", field="currency")
    return code


async def guard_target(url: str, settings: Settings) -> None:
    """Competitors' pages are public: a private, loopback or link-local target is refused (unless the
    install allows it for development)."""
    if settings.binelek_allow_private_targets:
        return
    host = urlsplit(url).hostname or ""
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        import asyncio

        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError:
            return  # does not resolve now: the check will say so, the listing is kept
        addresses = {ipaddress.ip_address(str(info[4][0])) for info in infos}
    if any(a.is_private or a.is_loopback or a.is_link_local or a.is_reserved for a in addresses):
        raise ValidationFailed(f"{host} is a private address; only public pages can be tracked.", field="url")


async def _listing(session: AsyncSession, settings: Settings, data: ListingIn) -> Listing:
    url = str(data.url)
    await guard_target(url, settings)
    if data.competitor_id is not None:
        await CompetitorRepository(session).get_or_404(data.competitor_id)
    return Listing(
        id=uuid.uuid4(),
        url=url,
        marketplace=(urlsplit(url).hostname or "").removeprefix("www.")[:200] or None,
        competitor_id=data.competitor_id,
        css_selector=data.css_selector,
        render_js=data.render_js,
        steps=[step.model_dump(exclude_none=True) for step in data.steps],
        status="pending",
        failures_in_row=0,
    )


async def create_product(
    session: AsyncSession, settings: Settings, principal: Principal, data: TrackedProductIn
) -> TrackedProduct:
    await plans.require_room(session, principal.tenant_id, "tracked_products")
    plan = await plans.tenant_plan(session, principal.tenant_id)  # not the cached principal's: fresh
    products = ProductRepository(session)
    now = utcnow()
    product = products.add(
        TrackedProduct(
            id=uuid.uuid4(),
            name=data.name,
            product_id=data.product_id,
            my_price=data.my_price,
            currency=_currency(data.currency),
            category=data.category,
            status=data.status,
            check_every_minutes=check_interval(plan.name),
            alert_threshold_pct=data.alert_threshold_pct,
            alert_threshold_abs=data.alert_threshold_abs,
            alert_mode=data.alert_mode,
            next_check_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()  # listings point at it (no ORM relationship orders the inserts)
    await _add_listings(session, settings, product, data.listings)
    return product


async def _add_listings(
    session: AsyncSession, settings: Settings, product: TrackedProduct, listings: list[ListingIn]
) -> None:
    seen: set[str] = set()
    repository = ListingRepository(session)
    for data in listings:
        listing = await _listing(session, settings, data)
        if listing.url in seen:
            raise ValidationFailed(f"{listing.url} is listed twice.", field="listings")
        seen.add(listing.url)
        listing.product_id = product.id
        listing.next_check_at = utcnow()
        repository.add(listing)


async def update_product(
    session: AsyncSession, settings: Settings, product_id: uuid.UUID, data: TrackedProductPatch
) -> TrackedProduct:
    product = await ProductRepository(session).get_or_404(product_id)
    values = data.model_dump(exclude_unset=True, exclude={"listings"})
    if "currency" in values and values["currency"] is not None:
        values["currency"] = _currency(values["currency"])
    for key, value in values.items():
        if key in ("name", "status", "alert_mode", "currency") and value is None:
            continue
        setattr(product, key, value)
    if data.listings is not None:
        existing = (await ProductRepository(session).listings_of([product.id]))[product.id]
        by_url = {listing.url: listing for listing in existing}
        wanted = {str(item.url): item for item in data.listings}
        for url, listing in by_url.items():
            if url not in wanted:
                await session.delete(listing)
        for url, item in wanted.items():
            if url in by_url:  # keep its history; take the new settings
                listing = by_url[url]
                listing.competitor_id = item.competitor_id
                listing.css_selector = item.css_selector
                listing.render_js = item.render_js
                listing.steps = [step.model_dump(exclude_none=True) for step in item.steps]
        await _add_listings(
            session, settings, product, [item for url, item in wanted.items() if url not in by_url]
        )
    product.updated_at = utcnow()
    return product


def market_summary(product: TrackedProduct, listings: list[Listing]) -> dict[str, Any]:
    prices = [
        listing.last_price
        for listing in listings
        if listing.last_price is not None and listing.last_currency in (None, product.currency)
    ]
    if not prices:
        return {"competitors_priced": 0}
    middle = Decimal(median(prices))
    summary: dict[str, Any] = {
        "competitors_priced": len(prices),
        "median": str(middle.quantize(Decimal("0.01"))),
        "min": str(min(prices).quantize(Decimal("0.01"))),
        "max": str(max(prices).quantize(Decimal("0.01"))),
    }
    if product.my_price is not None and middle > 0:
        summary["difference_pct"] = str(((product.my_price - middle) / middle * 100).quantize(Decimal("0.1")))
    return summary


async def product_out(session: AsyncSession, products: list[TrackedProduct]) -> list[TrackedProductOut]:
    listings = await ProductRepository(session).listings_of([product.id for product in products])
    return [
        TrackedProductOut.model_validate(product).model_copy(
            update={
                "listings": [ListingOut.model_validate(listing) for listing in listings[product.id]],
                "market": market_summary(product, listings[product.id]),
            }
        )
        for product in products
    ]


async def history(session: AsyncSession, product_id: uuid.UUID, days: int) -> dict[str, Any]:
    products = ProductRepository(session)
    product = await products.get_or_404(product_id)
    ids = await products.listing_ids_of(product.id)
    observations = ObservationRepository(session)
    # Checks first, then what they wrote: each statement sees what was committed when it ran (READ
    # COMMITTED) and a check commits with its price point and its listing's status, so neither of
    # those is ever older than the checks shown beside them.
    checks = await observations.checks(ids)
    points = await observations.history(ids, utcnow() - timedelta(days=days))
    listings = (await products.listings_of([product.id]))[product.id]
    return {
        "product_id": product.id,
        "listings": [ListingOut.model_validate(listing) for listing in listings],
        "points": [
            {
                "listing_id": point.listing_id,
                "price": point.price,
                "currency": point.currency,
                "availability": point.availability,
                "checked_at": point.checked_at,
                "kind": point.kind,
            }
            for point in points
        ],
        "checks": [
            {
                "listing_id": str(check.listing_id),
                "outcome": check.outcome,
                "detail": check.detail,
                "http_status": check.http_status,
                "elapsed_ms": check.elapsed_ms,
                "checked_at": check.checked_at.isoformat(),
            }
            for check in checks
        ],
    }


async def check_now(session: AsyncSession, product_id: uuid.UUID) -> int:
    """Queue every listing of the product for a check right after this transaction."""
    product = await ProductRepository(session).get_or_404(product_id)
    listings = (await ProductRepository(session).listings_of([product.id]))[product.id]
    if not listings:
        raise ValidationFailed("The product has no competitor listings to check.", field="listings")
    work = [(str(listing.tenant_id), str(listing.id), listing.url) for listing in listings]

    async def enqueue() -> None:
        from binelek.marketplace import jobs

        await jobs.enqueue_checks(work)

    after_commit(session, enqueue)
    return len(listings)


async def get_product(session: AsyncSession, product_id: uuid.UUID) -> TrackedProduct:
    product = await ProductRepository(session).get(product_id)
    if product is None:
        raise ResourceNotFound("No such tracked product.", code="PRODUCT_NOT_FOUND")
    return product


# -- pricing and trends -----------------------------------------------------------------------------


async def pricing(session: AsyncSession, product_id: uuid.UUID | None) -> list[dict[str, Any]]:
    from binelek.marketplace.analytics import ListingPrice, pricing_position

    products = ProductRepository(session)
    chosen = (
        [await products.get_or_404(product_id)]
        if product_id
        else list(await session.scalars(products.ordered()))
    )
    listings = await products.listings_of([product.id for product in chosen])
    competitors = {c.id: c.name for c in await session.scalars(CompetitorRepository(session).select())}
    answer = []
    for product in chosen:
        prices = [
            ListingPrice(
                listing_id=str(listing.id),
                competitor=competitors.get(listing.competitor_id)
                if listing.competitor_id
                else listing.marketplace,
                price=listing.last_price,
                currency=listing.last_currency or product.currency,
                checked_at=listing.last_checked_at or utcnow(),
                in_stock=listing.last_availability not in ("out_of_stock", "discontinued"),
            )
            for listing in listings[product.id]
            if listing.last_price is not None
        ]
        position = pricing_position(product.my_price, product.currency, prices)
        described = _as_json(position.as_dict())
        answer.append({"product_id": str(product.id), "product": product.name, **described})
    return answer


async def trends(session: AsyncSession, product_id: uuid.UUID | None, days: int) -> dict[str, Any]:
    from binelek.marketplace.analytics import Observation
    from binelek.marketplace.analytics import trends as compute_trends

    products = ProductRepository(session)
    chosen = (
        [await products.get_or_404(product_id)]
        if product_id
        else list(await session.scalars(products.ordered()))
    )
    listings = await products.listings_of([product.id for product in chosen])
    competitors = {c.id: c.name for c in await session.scalars(CompetitorRepository(session).select())}
    by_id = {listing.id: listing for group in listings.values() for listing in group}
    now = utcnow()
    points = await ObservationRepository(session).history(list(by_id), now - timedelta(days=days))
    observations = [
        Observation(
            listing_id=str(point.listing_id),
            competitor=competitors.get(by_id[point.listing_id].competitor_id)  # type: ignore[arg-type]
            if by_id[point.listing_id].competitor_id
            else by_id[point.listing_id].marketplace,
            price=point.price,
            currency=point.currency,
            availability=point.availability,
            checked_at=point.checked_at,
        )
        for point in points
    ]
    answer: dict[str, Any] = _as_json(compute_trends(observations, now=now).as_dict())
    return answer


def _as_json(value: Any) -> Any:
    """Dataclasses of Decimals and datetimes as JSON-ready values."""
    from dataclasses import asdict, is_dataclass

    if is_dataclass(value) and not isinstance(value, type):
        return _as_json(asdict(value))
    if isinstance(value, dict):
        return {str(key): _as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_json(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


EXPLAIN_SYSTEM = (
    "You explain a small business's pricing position to its owner in at most three short sentences. "
    "Use only the numbers given; never invent prices, competitors or percentages. Plain words, no "
    "markdown."
)


async def explain_pricing(
    state: Any, session: AsyncSession, principal: Principal, positions: list[dict[str, Any]]
) -> tuple[str, str] | None:
    """An LLM's plain-words reading of the positions, when the tenant has a remote model for
    Marketplace Intel; None otherwise (the rules' recommendations stand on their own)."""
    import json
    from datetime import UTC

    from binelek.ai import service as ai

    if not positions:
        return None
    prompt = "Pricing positions (JSON):\n" + json.dumps(positions, default=str)[:6000]
    return await ai.complete_json(
        state,
        session,
        principal,
        system=EXPLAIN_SYSTEM,
        prompt=prompt,
        module="marketplace-intel",
        now=datetime.now(UTC),
        timezone="UTC",
    )
