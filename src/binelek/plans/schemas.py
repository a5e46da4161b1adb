"""API shapes of plans and usage."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from binelek.plans.catalogue import Meter, PlanName


class PlanLimits(BaseModel):
    connectors: int | None = Field(description="Connected apps; null: unlimited")
    ai_queries: int | None = Field(description="AI queries per calendar month (UTC); null: unlimited")
    seats: int | None = Field(description="Members plus pending invitations; null: unlimited")
    automations: int | None = Field(description="Active automations; null: unlimited")
    tracked_products: int | None = Field(description="Tracked products; null: unlimited")
    sync_every_minutes: int = Field(description="Minimum minutes between scheduled connector syncs")
    price_check_every_hours: int = Field(description="Minimum hours between scheduled price checks")


class PlanOut(BaseModel):
    name: PlanName
    label: str
    limits: PlanLimits


class MeterOut(BaseModel):
    meter: Meter
    label: str
    used: int
    limit: int | None = Field(description="null: unlimited")
    percent: float | None = Field(description="100 * used / limit, rounded to one decimal; null: unlimited")


class UsageOut(BaseModel):
    plan: PlanOut
    period_start: datetime = Field(description="Start of the metering month (UTC), inclusive")
    period_end: datetime = Field(description="End of the metering month (UTC), exclusive")
    meters: list[MeterOut]
    plans: list[PlanOut] = Field(description="Every plan, cheapest first, for comparison")


class PlanUpgrade(BaseModel):
    plan: PlanName
    limit: int | None
    message: str


class PlanLimitProblem(BaseModel):
    """The problem+json body of PLAN_LIMIT_REACHED (RFC 9457 with extension members)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    meter: Meter
    usage: int
    limit: int
    plan: PlanName
    upgrade: PlanUpgrade | None
