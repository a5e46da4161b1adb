"""The MCP server as MCP clients see it, through the SDK's own clients: streamable HTTP against the
app served by a real uvicorn on loopback, and stdio against a real `binelek mcp` process. Tools by
the key's role, real metric values, confirmation of write tools, audit rows, and 401s."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client
from sqlalchemy import func, select

from binelek.connectors import service as connectors
from binelek.kit.settings import Settings
from binelek.kit.state import AppState
from binelek.ops.models import Workflow
from tests.conftest import add_member, register
from tests.support import free_port

BIN = Path(sys.executable).parent / "binelek"
ALL_TOOLS = {
    "smb_query",
    "smb_search",
    "smb_list_automations",
    "smb_run_automation",
    "smb_create_automation",
    "smb_get_metrics",
    "smb_list_dashboards",
    "smb_security_status",
    "smb_list_users",
    "smb_track_product",
    "smb_price_comparison",
    "smb_list_connectors",
    "smb_sync_connector",
}
WRITE_TOOLS = {"smb_run_automation", "smb_create_automation", "smb_track_product", "smb_sync_connector"}


def _order(number: str, placed: str, status: str, total: str) -> dict[str, str]:
    return {
        "order_number": number,
        "customer_email": "ana@example.com",
        "placed_at": placed,
        "status": status,
        "currency": "USD",
        "subtotal": total,
        "discount": "0.00",
        "tax": "0.00",
        "shipping": "0.00",
        "total": total,
        "channel": "web",
    }


# February 2026: three orders count (40 + 15 + 35 = 90 of revenue); a cancelled one never does.
ORDERS = [
    _order("2001", "2026-02-03T10:00:00+00:00", "fulfilled", "40.00"),
    _order("2002", "2026-02-10T10:00:00+00:00", "paid", "15.00"),
    _order("2003", "2026-02-20T10:00:00+00:00", "fulfilled", "35.00"),
    _order("2004", "2026-02-21T10:00:00+00:00", "cancelled", "500.00"),
]
CUSTOMERS = [{"email": "ana@example.com", "name": "Ana Lima", "country": "Portugal", "city": "Lisbon"}]


@pytest.fixture(scope="module")
async def mcp_url(app: FastAPI) -> AsyncIterator[str]:
    """The test app (lifespan already running, MCP session manager included) on a real port."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        await serving


@pytest.fixture(scope="module")
async def business(state: AppState, app: FastAPI) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app, client=("10.4.5.6", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        owner = await register(client, company="Model Context Coffee")
        viewer = await add_member(client, owner, "viewer")
        keys = {}
        for role in ("admin", "viewer"):
            created = await client.post(
                "/api/api-keys", json={"name": f"mcp {role}", "role": role}, headers=owner.headers
            )
            assert created.status_code == 201, created.text
            keys[role] = created.json()["key"]
    tenant_id = uuid.UUID(owner.tenant_id)
    for entity, rows in (("customers", CUSTOMERS), ("orders", ORDERS)):
        result = await connectors.import_rows(state.db, tenant_id, entity, rows)
        assert result.rows_failed == 0, result.errors
    return {"tenant": tenant_id, "owner": owner, "viewer": viewer, "keys": keys}


@asynccontextmanager
async def connect(url: str, key: str) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        streamablehttp_client(url, headers=headers) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        initialized = await session.initialize()
        assert initialized.serverInfo.name == "binelek"
        yield session


async def call(url: str, key: str, name: str, arguments: dict[str, Any] | None = None) -> Any:
    async with connect(url, key) as session:
        return await session.call_tool(name, arguments or {})


async def list_tools(url: str, key: str) -> dict[str, Any]:
    async with connect(url, key) as session:
        return {tool.name: tool for tool in (await session.list_tools()).tools}


async def audit_rows(app: FastAPI, business: dict[str, Any], action: str) -> list[dict[str, Any]]:
    transport = httpx.ASGITransport(app=app, client=("10.4.5.6", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get(f"/api/audit-logs?action={action}", headers=business["owner"].headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_an_admin_key_lists_every_tool_with_schemas_and_hints(mcp_url, business):
    tools = await list_tools(mcp_url, business["keys"]["admin"])
    assert set(tools) == ALL_TOOLS
    for name, tool in tools.items():
        assert tool.description and tool.inputSchema["type"] == "object"
        assert not any(
            key.startswith("x-") for key in tool.inputSchema.get("properties", {}).get("question", {})
        )
        if name in WRITE_TOOLS:
            assert tool.annotations.readOnlyHint is False
            assert tool.inputSchema["properties"]["confirm"]["type"] == "boolean"
        elif name != "smb_query":
            assert tool.annotations.readOnlyHint is True and "confirm" not in tool.inputSchema["properties"]
    assert tools["smb_run_automation"].annotations.destructiveHint is True
    assert tools["smb_create_automation"].annotations.destructiveHint is False
    assert set(tools["smb_create_automation"].inputSchema["required"]) == {"name", "trigger", "actions"}
    assert tools["smb_track_product"].inputSchema["properties"]["url"]["format"] == "uri"


async def test_metrics_come_from_the_tenants_data(mcp_url, business):
    answered = await call(
        mcp_url, business["keys"]["admin"], "smb_get_metrics", {"question": "revenue in February 2026"}
    )
    assert not answered.isError, answered.content
    data = answered.structuredContent
    assert data["status"] == "done" and data["data"]["rows"]
    values = [value for row in data["data"]["rows"] for value in row]
    assert any(str(value) in {"90", "90.0", "90.00"} for value in values), data
    assert "90" in answered.content[0].text
    orders = await call(
        mcp_url, business["keys"]["viewer"], "smb_get_metrics", {"question": "orders in February 2026"}
    )
    values = [value for row in orders.structuredContent["data"]["rows"] for value in row]
    assert 3 in values or "3" in values, orders.structuredContent


async def test_a_viewer_key_sees_no_write_tools_and_cannot_call_one(app, mcp_url, business):
    tools = await list_tools(mcp_url, business["keys"]["viewer"])
    assert not set(tools) & WRITE_TOOLS
    assert {"smb_get_metrics", "smb_list_users", "smb_query"} <= set(tools)
    refused = await call(
        mcp_url,
        business["keys"]["viewer"],
        "smb_create_automation",
        {
            "name": "Sneaky",
            "trigger": {"type": "manual"},
            "actions": [{"type": "create_task", "title": "x"}],
            "confirm": True,
        },
    )
    assert refused.isError
    assert "Permission denied" in refused.content[0].text and "viewer" in refused.content[0].text
    denied = await audit_rows(app, business, "ai.tool_denied")
    assert any(row["details"].get("tool") == "create_automation" for row in denied)


async def _workflows(state: AppState, tenant_id: uuid.UUID) -> int:
    async with state.db.session(tenant_id) as session:
        return int(await session.scalar(select(func.count()).select_from(Workflow)) or 0)


async def test_a_write_tool_asks_for_confirmation_then_runs_and_is_audited(app, state, mcp_url, business):
    key = business["keys"]["admin"]
    arguments = {
        "name": "Greet new customers",
        "trigger": {"type": "manual"},
        "actions": [{"type": "create_task", "title": "Say hello"}],
    }
    before = await _workflows(state, business["tenant"])
    held = await call(mcp_url, key, "smb_create_automation", arguments)
    assert not held.isError
    assert held.structuredContent["status"] == "needs_confirmation"
    assert "confirm=true" in held.content[0].text
    assert await _workflows(state, business["tenant"]) == before  # nothing happened

    done = await call(mcp_url, key, "smb_create_automation", {**arguments, "confirm": True})
    assert not done.isError, done.content
    assert done.structuredContent["status"] == "done"
    assert await _workflows(state, business["tenant"]) == before + 1
    called = await audit_rows(app, business, "ai.tool_called")
    row = next(r for r in called if r["details"].get("tool") == "create_automation")
    assert row["details"]["arguments"]["name"] == "Greet new customers" and row["details"]["writes"] is True

    listed = await call(mcp_url, key, "smb_list_automations")
    assert [w["name"] for w in listed.structuredContent["data"]] == ["Greet new customers"]
    ran = await call(mcp_url, key, "smb_run_automation", {"workflow": "greet new customers", "confirm": True})
    assert not ran.isError, ran.content
    assert ran.structuredContent["data"]["workflow"] == "Greet new customers"


async def test_bad_arguments_are_a_tool_error(mcp_url, business):
    bad = await call(mcp_url, business["keys"]["admin"], "smb_price_comparison", {"product": ""})
    assert bad.isError and "product" in bad.content[0].text


async def test_the_assistant_answers_with_the_keys_permissions(mcp_url, business):
    answered = await call(
        mcp_url, business["keys"]["viewer"], "smb_query", {"question": "who is on the team"}
    )
    assert not answered.isError, answered.content
    data = answered.structuredContent
    assert data["provider"] == "local" and data["conversation_id"]
    assert [c["tool"] for c in data["tool_calls"]] == ["team_members"]
    assert "Ada Owner" in data["answer"] and "Sources: Ada Owner (/settings/team)" in answered.content[0].text


async def test_missing_or_bad_keys_are_401_problems(mcp_url, business):
    async with httpx.AsyncClient() as client:
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        accept = {"Accept": "application/json, text/event-stream"}
        for headers, code in (
            ({}, "AUTH_REQUIRED"),
            ({"Authorization": "Bearer bnk_not-a-real-key"}, "AUTH_INVALID_TOKEN"),
            ({"Authorization": f"Bearer {business['owner'].access_token}"}, "AUTH_INVALID_TOKEN"),
        ):
            response = await client.post(mcp_url, json=body, headers={**accept, **headers})
            assert response.status_code == 401, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == code and response.headers["www-authenticate"].startswith(
                "Bearer"
            )
    with pytest.raises(Exception) as raised:  # the SDK client gives up on a 401 too
        await list_tools(mcp_url, "bnk_not-a-real-key")
    assert "401" in repr(raised.value) or "Unauthorized" in repr(raised.value)


def _stdio_env(settings: Settings, key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "BINELEK_ENV"}}
    env.update(
        BINELEK_API_KEY=key,
        BINELEK_ENV="test",
        BINELEK_DATA_DIR=str(settings.binelek_data_dir),
        LOG_LEVEL="warning",
    )
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    if settings.redis_url:
        env.update(REDIS_URL=settings.redis_url, REDIS_PREFIX=settings.redis_prefix)
    return env


async def test_stdio_lists_tools_and_answers_a_call(settings, business):
    parameters = StdioServerParameters(
        command=str(BIN), args=["mcp"], env=_stdio_env(settings, business["keys"]["viewer"])
    )
    async with stdio_client(parameters) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        names = {tool.name for tool in (await session.list_tools()).tools}
        assert "smb_list_users" in names and not names & WRITE_TOOLS
        answered = await session.call_tool("smb_list_users", {"role": "admin"})
        assert not answered.isError, answered.content
        assert [row["email"] for row in answered.structuredContent["data"]] == [business["owner"].email]
        refused = await session.call_tool(
            "smb_track_product", {"url": "https://example.com/p", "confirm": True}
        )
        assert refused.isError and "Permission denied" in refused.content[0].text


def test_stdio_refuses_a_bad_key(settings):
    import subprocess

    finished = subprocess.run(
        [BIN, "mcp"],
        env=_stdio_env(settings, "bnk_wrong"),
        capture_output=True,
        text=True,
        timeout=600,  # the imports alone take a minute on a busy machine
        stdin=subprocess.DEVNULL,
    )
    assert finished.returncode == 2 and "API key is not valid" in finished.stderr
