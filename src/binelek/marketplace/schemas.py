"""Marketplace Intel's API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

Currency = str  # ISO 4217, validated in the service


class CompetitorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    website: HttpUrl | None = None
    description: str | None = Field(default=None, max_length=4000)
    category: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=500)
    is_active: bool = True


class CompetitorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    website: str | None
    description: str | None
    category: str | None
    location: str | None
    latitude: float | None
    longitude: float | None
    phone: str | None
    source: str
    is_active: bool
    created_at: datetime
    updated_at: datetime
    listings: int = 0


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["click", "wait_for_selector", "wait_ms", "scroll"]
    selector: str | None = Field(default=None, max_length=500)
    ms: int | None = Field(default=None, ge=0, le=15000)


class ListingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl
    competitor_id: uuid.UUID | None = None
    css_selector: str | None = Field(default=None, max_length=500, description="Wins over every heuristic.")
    render_js: bool = Field(default=False, description="Render with a browser before reading the page.")
    steps: list[StepIn] = Field(default_factory=list, max_length=10)


class ListingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    marketplace: str | None
    competitor_id: uuid.UUID | None
    css_selector: str | None
    render_js: bool
    steps: list[dict[str, Any]]
    status: str
    status_detail: str | None
    failures_in_row: int
    title: str | None
    image: str | None
    last_price: Decimal | None
    last_currency: str | None
    last_availability: str | None
    last_checked_at: datetime | None
    next_check_at: datetime | None


class TrackedProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    product_id: uuid.UUID | None = Field(default=None, description="A product from the common schema.")
    my_price: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    category: str | None = Field(default=None, max_length=200)
    status: Literal["active", "paused"] = "active"
    alert_threshold_pct: Decimal | None = Field(default=None, ge=0, le=1000)
    alert_threshold_abs: Decimal | None = Field(default=None, ge=0)
    alert_mode: Literal["immediate", "digest"] = "immediate"
    listings: list[ListingIn] = Field(default_factory=list, max_length=50)


class TrackedProductPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=300)
    my_price: Decimal | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    category: str | None = Field(default=None, max_length=200)
    status: Literal["active", "paused"] | None = None
    alert_threshold_pct: Decimal | None = Field(default=None, ge=0, le=1000)
    alert_threshold_abs: Decimal | None = Field(default=None, ge=0)
    alert_mode: Literal["immediate", "digest"] | None = None
    listings: list[ListingIn] | None = Field(
        default=None, max_length=50, description="Replaces the listings."
    )


class TrackedProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    product_id: uuid.UUID | None
    my_price: Decimal | None
    currency: str
    category: str | None
    status: str
    check_every_minutes: int
    alert_threshold_pct: Decimal | None
    alert_threshold_abs: Decimal | None
    alert_mode: str
    last_checked_at: datetime | None
    next_check_at: datetime | None
    created_at: datetime
    listings: list[ListingOut] = Field(default_factory=list)
    market: dict[str, Any] = Field(default_factory=dict, description="Median, min, max, difference %.")


class HistoryPoint(BaseModel):
    listing_id: uuid.UUID
    price: Decimal
    currency: str | None
    availability: str | None
    checked_at: datetime
    kind: str


class HistoryOut(BaseModel):
    product_id: uuid.UUID
    listings: list[ListingOut]
    points: list[HistoryPoint]
    checks: list[dict[str, Any]] = Field(description="Recent checks per listing, failures included.")


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl
    css_selector: str | None = Field(default=None, max_length=500)
    render_js: bool = False


class PreviewOut(BaseModel):
    url: str
    title: str | None
    price: Decimal | None
    currency: str | None
    availability: str | None
    sku: str | None
    brand: str | None
    image: str | None
    method: str | None
    confidence: float
    outcome: str
    detail: str | None


class CheckAccepted(BaseModel):
    product_id: uuid.UUID
    listings: int


class PriceAlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    product_id: uuid.UUID
    listing_id: uuid.UUID
    kind: str
    old_price: Decimal | None
    new_price: Decimal | None
    currency: str | None
    change_pct: Decimal | None
    old_availability: str | None
    new_availability: str | None
    delivery: str
    created_at: datetime
    read_at: datetime | None
