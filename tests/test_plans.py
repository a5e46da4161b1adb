"""Plans and usage limits: GET /api/usage, PLAN_LIMIT_REACHED at every point of creation or
activation (exact problem shape), enterprise unlimited, the operator's CLI, and the schedulers'
frequencies."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from binelek.ai.models import AiUsage
from binelek.audit.models import AuditLog
from binelek.connectors import runs
from binelek.connectors.models import Connection
from binelek.identity.models import Tenant
from binelek.kit.db import utcnow
from binelek.marketplace.models import TrackedProduct
from binelek.plans import service as plans
from binelek.plans.catalogue import PLANS
from tests.conftest import PASSWORD, add_member, assert_problem, register, unique_email

MARKET = "/api/modules/marketplace-intel"
OPS = "/api/modules/ops-copilot"
BIN = Path(sys.executable).parent / "binelek"


async def _set_plan(state: Any, tenant_id: str, plan: str) -> None:
    async with state.db.session() as session:
        await plans.set_plan(session, tenant_id, plan)


def _plan_problem(response: Any, meter: str, usage: int, limit: int, plan: str) -> dict[str, Any]:
    body = assert_problem(response, 402, "PLAN_LIMIT_REACHED")
    assert body["type"] == "https://binelek.dev/problems/plan-limit-reached"
    assert (body["meter"], body["usage"], body["limit"], body["plan"]) == (meter, usage, limit, plan)
    upgrade = body["upgrade"]
    assert upgrade is not None and upgrade["plan"] != plan and upgrade["message"] in body["detail"]
    assert (upgrade["limit"] is None) or upgrade["limit"] > limit
    return body


async def _add_rows(state: Any, tenant_id: str, rows: list[Any]) -> None:
    async with state.db.session(tenant_id=uuid.UUID(tenant_id)) as session:
        session.add_all(rows)


def _connection(tenant_id: str, **values: Any) -> Connection:
    return Connection(
        tenant_id=uuid.UUID(tenant_id), type=values.pop("type", "stripe"), name="Shop", config={}, **values
    )


def _usage_row(tenant_id: str, **values: Any) -> AiUsage:
    return AiUsage(tenant_id=uuid.UUID(tenant_id), provider="local", model="local", **values)


def _product(tenant_id: str, number: int) -> TrackedProduct:
    now = utcnow()
    return TrackedProduct(
        tenant_id=uuid.UUID(tenant_id),
        name=f"Product {number}",
        currency="USD",
        status="active",
        check_every_minutes=1440,
        alert_mode="immediate",
        created_at=now,
        updated_at=now,
    )


def _meters(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {meter["meter"]: meter for meter in body["meters"]}


# -- usage ---------------------------------------------------------------------------------------------


async def test_usage_counts_the_real_records(client, state):
    owner = await register(client)
    viewer = await add_member(client, owner, "viewer")
    invited = await client.post(
        "/api/team/invitations", json={"email": unique_email(), "role": "member"}, headers=owner.headers
    )
    assert invited.status_code == 201
    now = utcnow()
    last_month = plans.month_period(now)[0] - timedelta(days=1)
    await _add_rows(
        state,
        owner.tenant_id,
        [
            _connection(owner.tenant_id),
            _connection(owner.tenant_id, status="error"),
            _connection(owner.tenant_id, status="disconnected"),  # holds no slot
            _connection(owner.tenant_id, type="file"),  # an import, not a connector
            *[_usage_row(owner.tenant_id) for _ in range(3)],
            _usage_row(owner.tenant_id, outcome="failed"),  # not answered: free
            _usage_row(owner.tenant_id, created_at=last_month),  # another month
        ],
    )
    product = await client.post(f"{MARKET}/products", json={"name": "Beans"}, headers=owner.headers)
    assert product.status_code == 201, product.text
    assert product.json()["check_every_minutes"] == 24 * 60

    response = await client.get("/api/usage", headers=viewer.headers)  # any member may look
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["plan"]["name"] == "free" and body["plan"]["limits"]["connectors"] == PLANS["free"].connectors
    meters = _meters(body)
    assert {name: meter["used"] for name, meter in meters.items()} == {
        "connectors": 2,
        "ai_queries": 3,
        "seats": 3,  # owner, viewer, one pending invitation
        "automations": 0,
        "tracked_products": 1,
    }
    assert meters["connectors"]["percent"] == round(100 * 2 / PLANS["free"].connectors, 1)  # type: ignore[operator]
    assert body["period_start"].startswith(now.strftime("%Y-%m-01T00:00:00"))
    assert [plan["name"] for plan in body["plans"]] == ["free", "pro", "business", "enterprise"]
    assert body["plans"][3]["limits"]["seats"] is None

    other = await register(client, company="Elsewhere")  # usage is per tenant
    assert _meters((await client.get("/api/usage", headers=other.headers)).json())["connectors"]["used"] == 0


# -- each limit ------------------------------------------------------------------------------------------


async def test_connector_limit(client, state):
    owner = await register(client)
    limit = PLANS["free"].connectors
    assert limit is not None
    await _add_rows(state, owner.tenant_id, [_connection(owner.tenant_id) for _ in range(limit)])
    body = {"type": "stripe", "credentials": {"api_key": "rk_test_123"}}
    refused = await client.post("/api/connectors", json=body, headers=owner.headers)
    _plan_problem(refused, "connectors", limit, limit, "free")


async def test_ai_query_limit_on_both_endpoints(client, state):
    owner = await register(client)
    limit = PLANS["free"].ai_queries
    assert limit is not None
    await _add_rows(state, owner.tenant_id, [_usage_row(owner.tenant_id) for _ in range(limit - 1)])
    answered = await client.post("/api/query", json={"query": "list my tasks"}, headers=owner.headers)
    assert answered.status_code == 200, answered.text
    refused = await client.post("/api/query", json={"query": "list my tasks"}, headers=owner.headers)
    _plan_problem(refused, "ai_queries", limit, limit, "free")
    streamed = await client.post("/api/query/stream", json={"query": "list my tasks"}, headers=owner.headers)
    _plan_problem(streamed, "ai_queries", limit, limit, "free")


async def test_seat_limit_on_invite_and_accept(client, state):
    owner = await register(client)
    limit = PLANS["free"].seats
    assert limit is not None
    await _set_plan(state, owner.tenant_id, "pro")
    invitations = []
    for _ in range(limit):
        created = await client.post(
            "/api/team/invitations", json={"email": unique_email(), "role": "member"}, headers=owner.headers
        )
        assert created.status_code == 201, created.text
        invitations.append(created.json())
    for invitation in invitations[: limit - 1]:
        accepted = await client.post(
            "/api/auth/accept-invitation",
            json={"token": invitation["token"], "password": PASSWORD, "full_name": "A Member"},
        )
        assert accepted.status_code == 200, accepted.text
    await _set_plan(state, owner.tenant_id, "free")  # now `limit` members and one pending invitation
    refused = await client.post(
        "/api/team/invitations", json={"email": unique_email(), "role": "member"}, headers=owner.headers
    )
    _plan_problem(refused, "seats", limit + 1, limit, "free")
    last = await client.post(
        "/api/auth/accept-invitation",
        json={"token": invitations[-1]["token"], "password": PASSWORD, "full_name": "Late"},
    )
    _plan_problem(last, "seats", limit, limit, "free")


async def test_automation_limit(client):
    owner = await register(client)
    limit = PLANS["free"].automations
    assert limit is not None
    short = {
        "name": "Weekly",
        "trigger": {"type": "schedule", "cron": "0 9 * * 1"},
        "actions": [{"type": "send_email", "to": "a@example.com", "subject": "Monday", "body": "Plan"}],
    }
    for number in range(limit):
        made = await client.post(
            f"{OPS}/automations", json={**short, "name": f"W{number}"}, headers=owner.headers
        )
        assert made.status_code == 201, made.text
    refused = await client.post(
        f"{OPS}/automations", json={**short, "name": "One more"}, headers=owner.headers
    )
    _plan_problem(refused, "automations", limit, limit, "free")


async def test_tracked_product_limit(client, state):
    owner = await register(client)
    limit = PLANS["free"].tracked_products
    assert limit is not None
    await _add_rows(state, owner.tenant_id, [_product(owner.tenant_id, n) for n in range(limit)])
    refused = await client.post(f"{MARKET}/products", json={"name": "One more"}, headers=owner.headers)
    _plan_problem(refused, "tracked_products", limit, limit, "free")


async def test_enterprise_is_unlimited(client, state):
    owner = await register(client)
    await _set_plan(state, owner.tenant_id, "enterprise")
    business = PLANS["business"]
    assert business.tracked_products is not None and business.ai_queries is not None
    await _add_rows(
        state,
        owner.tenant_id,
        [
            *[_product(owner.tenant_id, n) for n in range(business.tracked_products + 1)],
            *[_usage_row(owner.tenant_id) for _ in range(business.ai_queries + 1)],
        ],
    )
    product = await client.post(f"{MARKET}/products", json={"name": "More"}, headers=owner.headers)
    assert product.status_code == 201, product.text
    assert product.json()["check_every_minutes"] == 60
    answered = await client.post("/api/query", json={"query": "list my tasks"}, headers=owner.headers)
    assert answered.status_code == 200, answered.text
    meters = _meters((await client.get("/api/usage", headers=owner.headers)).json())
    assert meters["tracked_products"] == {
        "meter": "tracked_products",
        "label": "Tracked products",
        "used": business.tracked_products + 2,
        "limit": None,
        "percent": None,
    }


# -- the operator's CLI ----------------------------------------------------------------------------------


def _cli_env(settings: Any) -> dict[str, str]:
    env = {
        **os.environ,
        "BINELEK_ENV": "test",
        "BINELEK_DATA_DIR": str(settings.binelek_data_dir),
        "JWT_SECRET": settings.jwt_secret,
        "ENCRYPTION_KEY": settings.encryption_key,
        "LOG_JSON": "true",
    }
    if settings.database_url:
        env |= {"DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url or ""}
        env["REDIS_PREFIX"] = settings.redis_prefix
    return env


async def _cli(settings: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [str(BIN), "plan", *args],
        env=_cli_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_cli_sets_the_plan_by_slug_and_logs_it(client, state, settings):
    company = f"Plan Test {uuid.uuid4().hex[:8]}"
    owner = await register(client, company=company)
    slug = company.lower().replace(" ", "-")
    product = await client.post(f"{MARKET}/products", json={"name": "Beans"}, headers=owner.headers)
    assert product.json()["check_every_minutes"] == 24 * 60

    listed = await _cli(settings, "list")
    assert listed.returncode == 0, listed.stderr
    assert slug in listed.stderr and "Enterprise" in listed.stderr

    changed = await _cli(settings, "set", slug, "business")
    assert changed.returncode == 0, changed.stderr
    async with state.db.session() as session:
        tenant = await session.get(Tenant, uuid.UUID(owner.tenant_id))
        assert tenant is not None and tenant.plan == "business"
        logged = (
            await session.execute(
                select(AuditLog).where(
                    AuditLog.tenant_id == uuid.UUID(owner.tenant_id), AuditLog.action == "plans.plan_changed"
                )
            )
        ).scalar_one()
        assert logged.details == {"from": "free", "to": "business"}
    usage = (await client.get("/api/usage", headers=owner.headers)).json()
    assert usage["plan"]["name"] == "business"  # at once: the plan is read from the database
    products = (await client.get(f"{MARKET}/products", headers=owner.headers)).json()
    assert products[0]["check_every_minutes"] == 60  # tracked products follow the new plan

    unknown_plan = await _cli(settings, "set", owner.tenant_id, "platinum")  # by id this time
    assert unknown_plan.returncode == 1 and "not a plan" in unknown_plan.stderr


# -- frequencies ---------------------------------------------------------------------------------------


def test_frequencies_come_from_the_catalogue():
    assert runs.sync_interval("free") == timedelta(hours=24)
    assert runs.sync_interval("pro") == timedelta(hours=1)
    assert runs.sync_interval("business") == timedelta(minutes=15)
    assert runs.sync_interval("unknown") == timedelta(hours=24)  # the safe side
    assert plans.shortest_sync_interval() == timedelta(minutes=10)
    assert [plans.price_check_minutes(p) for p in ("free", "pro", "business", "enterprise")] == [
        1440,
        240,
        60,
        60,
    ]


async def test_scheduled_syncs_honour_the_plan(client, state):
    free = await register(client)
    pro = await register(client, company="Paying Co")
    await _set_plan(state, pro.tenant_id, "pro")
    two_hours_ago = utcnow() - timedelta(hours=2)
    free_connection = _connection(free.tenant_id, last_synced_at=two_hours_ago)
    pro_connection = _connection(pro.tenant_id, last_synced_at=two_hours_ago)
    await _add_rows(state, free.tenant_id, [free_connection])
    await _add_rows(state, pro.tenant_id, [pro_connection])
    due = {item.connection_id for item in await runs.queue_due_syncs(state.db)}
    assert pro_connection.id in due  # hourly: due again
    assert free_connection.id not in due  # daily: synced two hours ago
