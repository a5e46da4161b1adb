"""Marketplace queries, tenant-scoped through the session guard and explicit predicates."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.repository import TenantRepository
from binelek.marketplace.models import (
    Competitor,
    CompetitorCandidate,
    Listing,
    ListingCheck,
    LocationProviderKey,
    MarketplaceProfile,
    PriceAlert,
    PriceObservation,
    TrackedProduct,
)


class CompetitorRepository(TenantRepository[Competitor]):
    model = Competitor
    not_found_message = "No such competitor."

    def ordered(self) -> Select[Any]:
        return self.select().order_by(Competitor.name)

    async def listing_counts(self) -> dict[uuid.UUID, int]:
        rows = await self.session.execute(
            select(Listing.competitor_id, func.count())
            .where(Listing.tenant_id == self.tenant_id, Listing.competitor_id.is_not(None))
            .group_by(Listing.competitor_id)
        )
        return {competitor_id: int(count) for competitor_id, count in rows.tuples() if competitor_id}


class ProductRepository(TenantRepository[TrackedProduct]):
    model = TrackedProduct
    not_found_message = "No such tracked product."

    def ordered(self) -> Select[Any]:
        return self.select().order_by(TrackedProduct.name)

    async def listing_ids_of(self, product_id: uuid.UUID) -> list[uuid.UUID]:
        rows = await self.session.scalars(
            select(Listing.id)
            .where(Listing.tenant_id == self.tenant_id, Listing.product_id == product_id)
            .order_by(Listing.created_at)
        )
        return list(rows)

    async def listings_of(self, product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Listing]]:
        wanted = list(product_ids)
        found: dict[uuid.UUID, list[Listing]] = {product_id: [] for product_id in wanted}
        if not wanted:
            return found
        rows = await self.session.scalars(
            select(Listing)
            .where(Listing.tenant_id == self.tenant_id, Listing.product_id.in_(wanted))
            .order_by(Listing.created_at)
        )
        for listing in rows:
            found[listing.product_id].append(listing)
        return found


class ListingRepository(TenantRepository[Listing]):
    model = Listing
    not_found_message = "No such listing."


class ObservationRepository(TenantRepository[PriceObservation]):
    model = PriceObservation

    async def history(self, listing_ids: list[uuid.UUID], since: datetime) -> list[PriceObservation]:
        if not listing_ids:
            return []
        rows = await self.session.scalars(
            select(PriceObservation)
            .where(
                PriceObservation.tenant_id == self.tenant_id,
                PriceObservation.listing_id.in_(listing_ids),
                PriceObservation.checked_at >= since,
            )
            .order_by(PriceObservation.checked_at)
        )
        return list(rows)

    async def checks(self, listing_ids: list[uuid.UUID], limit_each: int = 20) -> list[ListingCheck]:
        if not listing_ids:
            return []
        rows = await self.session.scalars(
            select(ListingCheck)
            .where(ListingCheck.tenant_id == self.tenant_id, ListingCheck.listing_id.in_(listing_ids))
            .order_by(ListingCheck.checked_at.desc())
            .limit(limit_each * len(listing_ids))
        )
        return list(rows)


class AlertRepository(TenantRepository[PriceAlert]):
    model = PriceAlert
    not_found_message = "No such price alert."

    def newest_first(self) -> Select[Any]:
        return self.select().order_by(PriceAlert.created_at.desc())


class CandidateRepository(TenantRepository[CompetitorCandidate]):
    model = CompetitorCandidate
    not_found_message = "No such candidate."

    def suggested(self) -> Select[Any]:
        return (
            self.select()
            .where(CompetitorCandidate.status == "suggested")
            .order_by(CompetitorCandidate.score.desc())
        )


class ProfileRepository(TenantRepository[MarketplaceProfile]):
    model = MarketplaceProfile

    async def current(self) -> MarketplaceProfile | None:
        return (await self.session.execute(self.select())).scalar_one_or_none()


class ProviderKeyRepository(TenantRepository[LocationProviderKey]):
    model = LocationProviderKey
    not_found_message = "No such key."

    async def of(self, provider: str) -> LocationProviderKey | None:
        statement = self.select().where(LocationProviderKey.provider == provider)
        return (await self.session.execute(statement)).scalar_one_or_none()


async def due_listings(session: AsyncSession, now: datetime, limit: int) -> list[Listing]:
    """Listings of active products whose next check is due, across tenants (the scheduler's query)."""
    rows = await session.scalars(
        select(Listing)
        .join(TrackedProduct, TrackedProduct.id == Listing.product_id)
        .where(
            TrackedProduct.status == "active",
            (Listing.next_check_at.is_(None)) | (Listing.next_check_at <= now),
        )
        .order_by(Listing.next_check_at.nulls_first())
        .limit(limit)
    )
    return list(rows)
