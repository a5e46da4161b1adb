"""The operator's `binelek plan list | set` (registered in binelek.cli)."""

from __future__ import annotations

from redis.asyncio import Redis
from rich.console import Console
from rich.table import Table

from binelek.kit.cache import JsonCache
from binelek.kit.db import Database
from binelek.kit.settings import Settings
from binelek.plans import service
from binelek.plans.catalogue import METER_LABELS, METERS, PLAN_ORDER, PLANS


def _shown(limit: int | None) -> str:
    return "unlimited" if limit is None else f"{limit:,}"


def plans_table() -> Table:
    table = Table(title="Plans")
    table.add_column("")
    for name in PLAN_ORDER:
        table.add_column(PLANS[name].label, justify="right")
    for meter in METERS:
        table.add_row(METER_LABELS[meter], *(_shown(PLANS[name].limit(meter)) for name in PLAN_ORDER))
    table.add_row("Sync every (minutes)", *(str(PLANS[n].sync_every_minutes) for n in PLAN_ORDER))
    table.add_row("Price check every (hours)", *(str(PLANS[n].price_check_every_hours) for n in PLAN_ORDER))
    return table


async def list_plans(settings: Settings, console: Console) -> None:
    from binelek.identity import service as identity

    console.print(plans_table())
    db = Database(settings.sqlalchemy_url)
    try:
        async with db.session() as session:
            tenants = await identity.tenant_directory(session)
            rows = [(identity.tenant_slug(t.name), str(t.id), t.plan) for t in tenants]
    finally:
        await db.dispose()
    table = Table(title="Organizations")
    for column in ("slug", "id", "plan"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


async def set_plan(settings: Settings, console: Console, organization: str, plan: str) -> None:
    from binelek.identity.access import AccessDirectory

    db = Database(settings.sqlalchemy_url)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    try:
        async with db.session() as session:
            tenant_id, old, new = await service.set_plan(session, organization, plan)
            if redis is not None:
                # Members' cached access shows the plan: drop it in every process. Limits themselves
                # read the database, so an embedded server (in-process cache) enforces at once too.
                cache = JsonCache(redis, settings.redis_prefix + "cache:", ttl_seconds=300)
                await AccessDirectory(db, cache).invalidate_tenant_after_commit(session, tenant_id)
    finally:
        await db.dispose()
        if redis is not None:
            await redis.aclose()
    console.print(f"[green]{organization} ({tenant_id}): {old} → {new}[/green]")
