"""Marketplace Intel's API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

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

    @model_validator(mode="after")
    def _complete(self) -> StepIn:
        if self.action in ("click", "wait_for_selector") and not self.selector:
            raise ValueError(f"{self.action} needs a selector")
        if self.action == "wait_ms" and self.ms is None:
            raise ValueError("wait_ms needs ms")
        return self


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


# -- discovery --------------------------------------------------------------------------------------


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(
        default=None, max_length=4000, description="What the business sells, in its words."
    )
    categories: list[str] = Field(default_factory=list, max_length=20)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    radius_miles: float = Field(default=10.0, ge=1, le=50)


class ProfileOut(ProfileIn):
    model_config = ConfigDict(from_attributes=True, extra="ignore")


class ProviderKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_key: str = Field(min_length=8, max_length=500)


class ProviderKeyOut(BaseModel):
    provider: str
    last4: str
    updated_at: datetime


class DiscoverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    radius_miles: float | None = Field(default=None, ge=1, le=50, description="Default: the profile's.")
    query: str | None = Field(
        default=None, max_length=200, description="e.g. 'coffee roaster'; default: the categories."
    )
    providers: list[Literal["google", "yelp"]] | None = None


class CandidateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    address: str | None
    website: str | None
    phone: str | None
    categories: list[str]
    latitude: float | None
    longitude: float | None
    distance_m: float | None
    rating: float | None
    review_count: int | None
    provider_ids: dict[str, Any]
    score: float
    reasons: list[str]
    status: str
    competitor_id: uuid.UUID | None
    found_at: datetime


class DiscoverOut(BaseModel):
    candidates: list[CandidateOut]
    notes: list[str]
    providers: dict[str, str] = Field(
        description="Each provider's outcome: ok, or why it was skipped or failed."
    )
