"""Plans and usage: what a tenant's plan allows, what it uses now, and the check every owning
domain makes at the point of creation or activation (`require_room`).

Usage is counted from the owners' own tables through their services, imported inside the functions
because those services import this one to enforce. The plan is read from the database rather than
from the caller's cached access, so a change made with `binelek plan set` applies at once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.db import utcnow
from binelek.kit.errors import ProblemError, ResourceNotFound, ValidationFailed
from binelek.plans.catalogue import (
    METER_LABELS,
    METERS,
    PLAN_ORDER,
    PLANS,
    Meter,
    Plan,
    next_plan,
    plan_of,
)
from binelek.plans.schemas import MeterOut, PlanLimits, PlanOut, UsageOut

PLAN_PROBLEM_STATUS = 402
METER_NOUNS: dict[Meter, str] = {
    "connectors": "connected apps",
    "ai_queries": "AI queries a month",
    "seats": "seats (members and pending invitations)",
    "automations": "active automations",
    "tracked_products": "tracked products",
}


class PlanLimitReached(ProblemError):
    """A creation or activation the plan has no room for. 402: see docs/decisions.md."""

    status, code = PLAN_PROBLEM_STATUS, "PLAN_LIMIT_REACHED"


# -- the catalogue ---------------------------------------------------------------------------------


def plan_out(plan: Plan) -> PlanOut:
    return PlanOut(
        name=plan.name,
        label=plan.label,
        limits=PlanLimits(
            connectors=plan.connectors,
            ai_queries=plan.ai_queries,
            seats=plan.seats,
            automations=plan.automations,
            tracked_products=plan.tracked_products,
            sync_every_minutes=plan.sync_every_minutes,
            price_check_every_hours=plan.price_check_every_hours,
        ),
    )


def all_plans() -> list[PlanOut]:
    return [plan_out(PLANS[name]) for name in PLAN_ORDER]


def sync_interval(plan_name: str | None) -> timedelta:
    """The shortest time between two scheduled syncs of one connection on this plan."""
    return timedelta(minutes=plan_of(plan_name).sync_every_minutes)


def shortest_sync_interval() -> timedelta:
    """The shortest interval of any plan: connections synced more recently are never due."""
    return timedelta(minutes=min(plan.sync_every_minutes for plan in PLANS.values()))


def price_check_minutes(plan_name: str | None) -> int:
    """How often a tracked product's listings are checked on this plan, in minutes."""
    return plan_of(plan_name).price_check_every_hours * 60


# -- the tenant's plan and usage -------------------------------------------------------------------


async def tenant_plan(session: AsyncSession, tenant_id: uuid.UUID) -> Plan:
    from binelek.identity import service as identity

    return plan_of((await identity.tenant_plans(session, {tenant_id})).get(tenant_id))


def month_period(now: datetime) -> tuple[datetime, datetime]:
    """The calendar month (UTC) that contains `now`: [start, end)."""
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


async def usage_of(
    session: AsyncSession, tenant_id: uuid.UUID, meter: Meter, now: datetime | None = None
) -> int:
    """What the tenant uses of `meter` now, counted from the owning domain's records."""
    if meter == "connectors":
        from binelek.connectors import service as connectors

        return await connectors.count_connections(session, tenant_id)
    if meter == "ai_queries":
        from binelek.ai import service as ai

        start, _ = month_period(now or utcnow())
        return await ai.count_queries_since(session, tenant_id, start)
    if meter == "seats":
        from binelek.identity import service as identity

        members, pending = await identity.seat_usage(session, tenant_id)
        return members + pending
    if meter == "automations":
        from binelek.ops.automation import service as automations

        return await automations.active_count(session, tenant_id)
    from binelek.marketplace import service as marketplace

    return await marketplace.count_products(session, tenant_id)


async def require_room(
    session: AsyncSession, tenant_id: uuid.UUID, meter: Meter, *, used: int | None = None
) -> None:
    """Refuse with PLAN_LIMIT_REACHED unless the plan has room for one more of `meter`. `used`
    replaces the count where the owner measures the case differently (accepting an invitation
    counts members only: the invitation already holds its seat).

    Two concurrent requests can both pass the check and go one over the limit; limits are
    commercial allowances, not invariants, so that is accepted rather than locking the tenant."""
    plan = await tenant_plan(session, tenant_id)
    limit = plan.limit(meter)
    if limit is None:
        return
    current = used if used is not None else await usage_of(session, tenant_id, meter)
    if current >= limit:
        raise limit_reached(plan, meter, current, limit)


def limit_reached(plan: Plan, meter: Meter, used: int, limit: int) -> PlanLimitReached:
    label = METER_NOUNS[meter]
    upgrade = next_plan(plan, meter)
    hint: dict[str, Any] | None = None
    advice = "Remove one before adding another."
    if upgrade is not None:
        room = "no limit" if upgrade.limit(meter) is None else f"{upgrade.limit(meter):,}"
        advice = f"The {upgrade.label} plan allows {room}; the install's operator can upgrade."
        hint = {"plan": upgrade.name, "limit": upgrade.limit(meter), "message": advice}
    return PlanLimitReached(
        f"The {plan.label} plan allows {limit:,} {label}; this organization uses {used:,}. {advice}",
        extensions={"meter": meter, "usage": used, "limit": limit, "plan": plan.name, "upgrade": hint},
    )


async def usage_report(session: AsyncSession, tenant_id: uuid.UUID, now: datetime | None = None) -> UsageOut:
    now = now or utcnow()
    plan = await tenant_plan(session, tenant_id)
    start, end = month_period(now)
    meters = []
    for meter in METERS:
        used = await usage_of(session, tenant_id, meter, now)
        limit = plan.limit(meter)
        percent = None if limit is None else round(100 * used / limit, 1) if limit else 100.0
        meters.append(
            MeterOut(meter=meter, label=METER_LABELS[meter], used=used, limit=limit, percent=percent)
        )
    return UsageOut(plan=plan_out(plan), period_start=start, period_end=end, meters=meters, plans=all_plans())


# -- changing a plan (the install operator, from the CLI) ----------------------------------------


async def set_plan(session: AsyncSession, tenant_ref: str, plan_name: str) -> tuple[uuid.UUID, str, str]:
    """Put the tenant (slug or id) on `plan_name`; returns (tenant id, old plan, new plan). Audit
    logged in the tenant's log; tracked products take the plan's price-check frequency."""
    from binelek.audit import service as audit
    from binelek.identity import service as identity
    from binelek.marketplace import service as marketplace

    if plan_name not in PLANS:
        raise ValidationFailed(f"{plan_name!r} is not a plan; choose one of {', '.join(PLAN_ORDER)}.")
    tenant = await identity.tenant_by_ref(session, tenant_ref)
    if tenant is None:
        raise ResourceNotFound(f"No organization {tenant_ref!r}.", code="TENANT_NOT_FOUND")
    old = tenant.plan
    await identity.set_tenant_plan(session, tenant.id, plan_name)
    await marketplace.apply_check_interval(session, tenant.id, price_check_minutes(plan_name))
    audit.record(
        session,
        "plans.plan_changed",
        tenant_id=tenant.id,
        actor_email="operator (binelek plan set)",
        details={"from": old, "to": plan_name},
    )
    return tenant.id, old, plan_name
