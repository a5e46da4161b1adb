"""What the AI agent may do with Marketplace Intel: compare a product's price with its competitors',
list this week's price drops, and track a competitor's page (a change: confirmed first)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import Decimal

from pydantic import BaseModel, Field, HttpUrl
from sqlalchemy import select

from binelek.kit.db import utcnow
from binelek.kit.errors import ResourceNotFound, ValidationFailed
from binelek.kit.tools import Source, ToolContext, ToolResult, tool
from binelek.marketplace import service
from binelek.marketplace.models import Listing, PriceObservation, TrackedProduct
from binelek.marketplace.schemas import ListingIn, TrackedProductIn

_STOP = frozenset(("the", "a", "an", "our", "my", "price", "prices", "product", "for", "of", "with", "to"))


class CompareArgs(BaseModel):
    product: str = Field(
        min_length=1, max_length=300, description="The tracked product: words of its name, or its id."
    )


class DropsArgs(BaseModel):
    days: int = Field(default=7, ge=1, le=90, description="How many days back to look.")


class TrackArgs(BaseModel):
    url: HttpUrl = Field(description="The competitor's product page.")


def _product_source(product: TrackedProduct) -> Source:
    return Source(
        kind="tracked_product",
        id=str(product.id),
        title=product.name[:120],
        url=f"/marketplace/products/{product.id}",
    )


async def find_product(context: ToolContext, words: str) -> TrackedProduct:
    """The tracked product `words` name; several matches are a question back, never a guess."""
    tenant_id = context.principal.tenant_id
    try:
        found = await context.session.get(TrackedProduct, uuid.UUID(words.strip()))
        if found is not None and found.tenant_id == tenant_id:
            return found
    except ValueError:
        pass
    products = (
        await context.session.scalars(select(TrackedProduct).where(TrackedProduct.tenant_id == tenant_id))
    ).all()
    wanted = [w for w in re.findall(r"[^\W_]+", words.lower()) if w not in _STOP]
    exact = [p for p in products if p.name.lower().strip() == words.lower().strip()]
    matching = exact or [p for p in products if wanted and all(w in p.name.lower() for w in wanted)]
    if not matching:
        raise ResourceNotFound(f"No tracked product is called “{words}”.")
    if len(matching) > 1:
        names = ", ".join(f"“{p.name}”" for p in matching[:5])
        raise ValidationFailed(f"Several tracked products match “{words}”: {names}. Which one?")
    return matching[0]


@tool(
    "compare_prices",
    "Compare one of the organization's tracked products with its competitors' prices: difference, "
    "position, market index and what to do.",
    permission="marketplace:read",
    examples=(
        "compare prices for the ethiopia yirgacheffe",
        "how does our espresso blend price compare",
        "are we cheaper than competitors on the grinder",
        "compare competitor prices for cold brew",
        "price comparison for the house blend",
        "where do we stand on price for the french press",
    ),
)
async def compare_prices(context: ToolContext, args: CompareArgs) -> ToolResult:
    product = await find_product(context, args.product)
    [position] = await service.pricing(context.session, product.id)
    competitors = position.get("competitors") or []
    if not competitors:
        return ToolResult(
            summary=f"No competitor price is known yet for “{product.name}”.",
            data=position,
            sources=[_product_source(product)],
        )
    summary = f"“{product.name}”: you are {position.get('position', 'unranked').replace('_', ' ')}"
    if position.get("market_index") is not None:
        summary += f", market index {position['market_index']}"
    recommendations = position.get("recommendations") or []
    if recommendations:
        summary += f". {recommendations[0]}"
    return ToolResult(summary=summary + ".", data=position, sources=[_product_source(product)])


@tool(
    "price_drops",
    "List competitors' price drops on the organization's tracked products in the last days.",
    permission="marketplace:read",
    examples=(
        "list price drops this week",
        "which competitors cut prices",
        "any price drops in the last 3 days",
        "show competitor price cuts",
        "did anyone lower their prices",
        "price drops this month",
    ),
)
async def price_drops(context: ToolContext, args: DropsArgs) -> ToolResult:
    tenant_id = context.principal.tenant_id
    since = utcnow() - timedelta(days=args.days)
    rows = (
        await context.session.execute(
            select(PriceObservation, Listing, TrackedProduct)
            .join(Listing, Listing.id == PriceObservation.listing_id)
            .join(TrackedProduct, TrackedProduct.id == Listing.product_id)
            .where(PriceObservation.tenant_id == tenant_id)
            .order_by(PriceObservation.listing_id, PriceObservation.checked_at)
        )
    ).all()
    drops: list[dict[str, str | None]] = []
    previous: dict[uuid.UUID, Decimal] = {}
    for observation, listing, product in rows:
        before = previous.get(listing.id)
        previous[listing.id] = observation.price
        if before is None or observation.checked_at < since or observation.price >= before:
            continue
        change = (observation.price - before) / before * 100 if before else Decimal(0)
        drops.append(
            {
                "product": product.name,
                "product_id": str(product.id),
                "listing": listing.marketplace or listing.url,
                "old_price": str(before),
                "new_price": str(observation.price),
                "currency": observation.currency,
                "change_pct": str(change.quantize(Decimal("0.1"))),
                "at": observation.checked_at.isoformat(),
            }
        )
    if not drops:
        return ToolResult(summary=f"No competitor lowered a price in the last {args.days} days.", data=[])
    drops.sort(key=lambda drop: Decimal(drop["change_pct"] or 0))
    lines = [
        f"{d['listing']} {d['product']}: {d['old_price']} → {d['new_price']} ({d['change_pct']}%)"
        for d in drops[:3]
    ]
    return ToolResult(
        summary=f"{len(drops)} price drop(s) in the last {args.days} days: " + "; ".join(lines), data=drops
    )


@tool(
    "track_url",
    "Start tracking a competitor's product page: its price is checked as often as the plan allows.",
    permission="marketplace:write",
    writes=True,
    examples=(
        "track https://shop.example.com/espresso",
        "watch the price at https://example.org/p/123",
        "start tracking this page https://store.example.net/item/9",
        "monitor https://example.com/grinder for price changes",
        "keep an eye on https://beans.example.com/house-blend",
        "add https://shop.example.com/kettle to price tracking",
    ),
)
async def track_url(context: ToolContext, args: TrackArgs) -> ToolResult:
    from binelek.kit.jobs import process_object

    url = str(args.url)
    settings = process_object("settings")
    name = (args.url.host or "page") + (args.url.path or "")
    product = await service.create_product(
        context.session,
        settings,
        context.principal,
        TrackedProductIn(name=name[:300], listings=[ListingIn(url=args.url)]),
    )
    await context.session.flush()
    return ToolResult(
        summary=f"Now tracking {url}; the first check runs within a minute.",
        data={"product_id": str(product.id), "url": url},
        sources=[_product_source(product)],
    )
