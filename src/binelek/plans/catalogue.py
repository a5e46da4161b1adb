"""The plans and what each allows — the one place these numbers live (docs/architecture.md shows
them as a table). A limit of None means unlimited. Frequencies are minimums between scheduled runs:
a paying plan runs its syncs and price checks more often, never less."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PlanName = Literal["free", "pro", "business", "enterprise"]
Meter = Literal["connectors", "ai_queries", "seats", "automations", "tracked_products"]

PLAN_ORDER: tuple[PlanName, ...] = ("free", "pro", "business", "enterprise")
METERS: tuple[Meter, ...] = ("connectors", "ai_queries", "seats", "automations", "tracked_products")
METER_LABELS: dict[Meter, str] = {
    "connectors": "Connected apps",
    "ai_queries": "AI queries this month",
    "seats": "Seats (members and pending invitations)",
    "automations": "Active automations",
    "tracked_products": "Tracked products",
}


@dataclass(frozen=True, slots=True)
class Plan:
    name: PlanName
    label: str
    connectors: int | None  # connections to providers (file imports are not connectors)
    ai_queries: int | None  # answered questions and commands per calendar month (UTC)
    seats: int | None  # members plus pending invitations
    automations: int | None  # active at the same time
    tracked_products: int | None
    sync_every_minutes: int  # scheduled connector syncs, at least this far apart
    price_check_every_hours: int  # competitor listings, at least this far apart

    def limit(self, meter: Meter) -> int | None:
        limit: int | None = getattr(self, meter)
        return limit


PLANS: dict[PlanName, Plan] = {
    plan.name: plan
    for plan in (
        Plan(
            name="free",
            label="Free",
            connectors=2,
            ai_queries=200,
            seats=5,
            automations=5,
            tracked_products=25,
            sync_every_minutes=24 * 60,
            price_check_every_hours=24,
        ),
        Plan(
            name="pro",
            label="Pro",
            connectors=10,
            ai_queries=2_000,
            seats=15,
            automations=50,
            tracked_products=250,
            sync_every_minutes=60,
            price_check_every_hours=4,
        ),
        Plan(
            name="business",
            label="Business",
            connectors=50,
            ai_queries=20_000,
            seats=100,
            automations=500,
            tracked_products=2_500,
            sync_every_minutes=15,
            price_check_every_hours=1,
        ),
        Plan(
            name="enterprise",
            label="Enterprise",
            connectors=None,
            ai_queries=None,
            seats=None,
            automations=None,
            tracked_products=None,
            # The sync scheduler looks for due connections every 10 minutes; politeness to
            # competitors' sites keeps price checks hourly at most.
            sync_every_minutes=10,
            price_check_every_hours=1,
        ),
    )
}


def plan_of(name: str | None) -> Plan:
    """The plan called `name`; an unknown or missing name is treated as free (the safe side)."""
    for plan in PLANS.values():
        if plan.name == name:
            return plan
    return PLANS["free"]


def next_plan(plan: Plan, meter: Meter) -> Plan | None:
    """The cheapest plan above `plan` with more room for `meter` (None when none has more)."""
    current = plan.limit(meter)
    for name in PLAN_ORDER[PLAN_ORDER.index(plan.name) + 1 :]:
        candidate = PLANS[name]
        limit = candidate.limit(meter)
        if limit is None or (current is not None and limit > current):
            return candidate
    return None
