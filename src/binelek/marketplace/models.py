"""Marketplace Intel's tables: competitors (the seed's `competitors`), tracked products (the seed's
`tracked_products`) with their competitor listings, price history, check log and alerts, discovery
candidates, the tenant's profile for similarity, and location-search API keys (encrypted)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from binelek.kit.crypto import encrypted_column
from binelek.kit.db import Base, IdMixin, TenantMixin, TimestampMixin, utcnow

MONEY = Numeric(18, 4)
LISTING_STATUSES = ("pending", "ok", "blocked", "not_found", "extraction_failed", "error")


class Competitor(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "competitors"
    __table_args__ = (Index("ix_competitors_tenant_name", "tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text())
    category: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None] = mapped_column(Float())
    longitude: Mapped[float | None] = mapped_column(Float())
    phone: Mapped[str | None] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual | discovered
    provider_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"google": "...", "yelp": "..."}
    is_active: Mapped[bool] = mapped_column(Boolean(), default=True)


class TrackedProduct(IdMixin, TimestampMixin, TenantMixin, Base):
    """What the tenant sells and wants watched: its own price against competitors' listings."""

    __tablename__ = "tracked_products"
    __table_args__ = (Index("ix_tracked_products_tenant_next", "tenant_id", "next_check_at"),)

    name: Mapped[str] = mapped_column(String(300))
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    my_price: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    category: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | paused
    check_every_minutes: Mapped[int] = mapped_column(Integer(), default=1440)
    alert_threshold_pct: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    alert_threshold_abs: Mapped[Decimal | None] = mapped_column(MONEY)
    alert_mode: Mapped[str] = mapped_column(String(20), default="immediate")  # immediate | digest
    last_checked_at: Mapped[datetime | None] = mapped_column()
    next_check_at: Mapped[datetime | None] = mapped_column()


class Listing(IdMixin, TimestampMixin, TenantMixin, Base):
    """One competitor's page for a tracked product, and how its last checks went."""

    __tablename__ = "tracked_listings"
    __table_args__ = (
        UniqueConstraint("product_id", "url", name="uq_tracked_listings_product_url"),
        Index("ix_tracked_listings_tenant_next", "tenant_id", "next_check_at"),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tracked_products.id", ondelete="CASCADE"))
    competitor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("competitors.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(String(2000))
    marketplace: Mapped[str | None] = mapped_column(String(200))  # the site: amazon.com, a shop's domain
    css_selector: Mapped[str | None] = mapped_column(String(500))
    render_js: Mapped[bool] = mapped_column(Boolean(), default=False)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(
        default=list
    )  # click / wait_for_selector before reading
    status: Mapped[str] = mapped_column(String(20), default="pending")
    status_detail: Mapped[str | None] = mapped_column(String(1000))
    failures_in_row: Mapped[int] = mapped_column(Integer(), default=0)
    title: Mapped[str | None] = mapped_column(String(500))
    image: Mapped[str | None] = mapped_column(String(2000))
    sku: Mapped[str | None] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(200))
    last_price: Mapped[Decimal | None] = mapped_column(MONEY)
    last_currency: Mapped[str | None] = mapped_column(String(3))
    last_availability: Mapped[str | None] = mapped_column(String(20))
    last_checked_at: Mapped[datetime | None] = mapped_column()
    last_stored_at: Mapped[datetime | None] = (
        mapped_column()
    )  # the last observation written (change or heartbeat)
    next_check_at: Mapped[datetime | None] = mapped_column()


class PriceObservation(IdMixin, TenantMixin, Base):
    """Price history: a row per change, plus a daily heartbeat while nothing changes."""

    __tablename__ = "price_observations"
    __table_args__ = (Index("ix_price_observations_listing_checked", "listing_id", "checked_at"),)

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tracked_listings.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # first | change | heartbeat
    price: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str | None] = mapped_column(String(3))
    availability: Mapped[str | None] = mapped_column(String(20))
    method: Mapped[str | None] = mapped_column(String(20))
    confidence: Mapped[float | None] = mapped_column(Float())
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class ListingCheck(IdMixin, TenantMixin, Base):
    """Every check's outcome, failed ones included: the listing-health view and its history."""

    __tablename__ = "listing_checks"
    __table_args__ = (Index("ix_listing_checks_listing_checked", "listing_id", "checked_at"),)

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tracked_listings.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str | None] = mapped_column(String(1000))
    http_status: Mapped[int | None] = mapped_column(Integer())
    elapsed_ms: Mapped[float | None] = mapped_column(Float())
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class PriceAlert(IdMixin, TenantMixin, Base):
    __tablename__ = "price_alerts"
    __table_args__ = (Index("ix_price_alerts_tenant_created", "tenant_id", "created_at"),)

    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tracked_products.id", ondelete="CASCADE"))
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tracked_listings.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))  # price.changed | price.dropped | availability.changed
    old_price: Mapped[Decimal | None] = mapped_column(MONEY)
    new_price: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str | None] = mapped_column(String(3))
    change_pct: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    old_availability: Mapped[str | None] = mapped_column(String(20))
    new_availability: Mapped[str | None] = mapped_column(String(20))
    delivery: Mapped[str] = mapped_column(String(20), default="immediate")  # immediate | digest
    delivered_at: Mapped[datetime | None] = mapped_column()
    read_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CompetitorCandidate(IdMixin, TenantMixin, Base):
    """A business discovery found; accepting it makes it a competitor."""

    __tablename__ = "competitor_candidates"
    __table_args__ = (Index("ix_competitor_candidates_tenant_score", "tenant_id", "status", "score"),)

    name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(500))
    website: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(50))
    categories: Mapped[list[str]] = mapped_column(default=list)
    latitude: Mapped[float | None] = mapped_column(Float())
    longitude: Mapped[float | None] = mapped_column(Float())
    distance_m: Mapped[float | None] = mapped_column(Float())
    rating: Mapped[float | None] = mapped_column(Float())
    review_count: Mapped[int | None] = mapped_column(Integer())
    provider_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)
    score: Mapped[float] = mapped_column(Float(), default=0.0)
    reasons: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="suggested")  # suggested | accepted | dismissed
    competitor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("competitors.id", ondelete="SET NULL"))
    found_at: Mapped[datetime] = mapped_column(default=utcnow)


class MarketplaceProfile(IdMixin, TimestampMixin, TenantMixin, Base):
    """What the business is, for finding similar ones: words, categories and where it is."""

    __tablename__ = "marketplace_profiles"
    __table_args__ = (UniqueConstraint("tenant_id", name="uq_marketplace_profiles_tenant"),)

    description: Mapped[str | None] = mapped_column(Text())
    categories: Mapped[list[str]] = mapped_column(default=list)
    latitude: Mapped[float | None] = mapped_column(Float())
    longitude: Mapped[float | None] = mapped_column(Float())
    radius_miles: Mapped[float] = mapped_column(Float(), default=10.0)


class LocationProviderKey(IdMixin, TimestampMixin, TenantMixin, Base):
    """A tenant's Google Places or Yelp key; only its last four characters are ever shown."""

    __tablename__ = "location_provider_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "provider", name="uq_location_provider_keys_provider"),)

    provider: Mapped[str] = mapped_column(String(20))  # google | yelp
    key_encrypted: Mapped[str] = mapped_column(String(2000))
    last4: Mapped[str] = mapped_column(String(4))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


encrypted_column(LocationProviderKey.key_encrypted)
