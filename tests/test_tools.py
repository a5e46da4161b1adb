"""The AI tool registry: offered by role, re-checked on call, write tools held for confirmation,
every call audit-logged, always inside the caller's tenant."""

from __future__ import annotations

import uuid

import pyotp
import pytest

from binelek.ai.toolbox import call_tool
from binelek.kit.request_meta import RequestMeta
from binelek.kit.tools import ToolContext, load_tools, tools_for
from tests.conftest import add_member, principal_of, register, unique_email


@pytest.fixture
def run(state):
    async def runner(principal, name, args, **options):
        async with state.db.session(tenant_id=principal.tenant_id) as session:
            context = ToolContext(principal=principal, session=session, state=state, meta=RequestMeta())
            return await call_tool(context, name, args, **options)

    return runner


def test_registry_declares_typed_tools():
    tools = load_tools()
    assert {"team_members", "invite_member", "search_audit_log"} <= set(tools)
    for registered in tools.values():
        schema = registered.json_schema()
        assert schema["type"] == "object" and registered.description and ":" in registered.permission
    assert tools["invite_member"].writes and not tools["team_members"].writes


async def test_tools_are_offered_by_role(client, state):
    admin = await register(client)
    member = await add_member(client, admin, "member")
    viewer = await add_member(client, admin, "viewer")
    offered = {
        name: {t.name for t in tools_for(await principal_of(state, account))}
        for name, account in (("admin", admin), ("member", member), ("viewer", viewer))
    }
    assert {"team_members", "invite_member", "search_audit_log"} <= offered["admin"]
    assert "team_members" in offered["viewer"]
    for role in ("member", "viewer"):
        assert "invite_member" not in offered[role] and "search_audit_log" not in offered[role]
    assert not any(load_tools()[name].writes for name in offered["viewer"])


async def test_members_without_mfa(client, state, run):
    admin = await register(client)
    member = await add_member(client, admin, "member")
    secret = (await client.post("/api/auth/mfa/enroll", headers=member.headers)).json()["secret"]
    await client.post("/api/auth/mfa/verify", json={"code": pyotp.TOTP(secret).now()}, headers=member.headers)
    principal = await principal_of(state, admin)
    call = await run(principal, "team_members", {"mfa_enabled": False})
    assert call.status == "done"
    assert [row["email"] for row in call.result.data] == [admin.email]
    assert call.result.summary.startswith("1 team member without MFA")
    assert call.result.sources[0].url == "/settings/team"


async def test_write_tool_waits_for_confirmation_then_runs(client, state, run):
    admin = await register(client)
    principal = await principal_of(state, admin)
    email = unique_email("invitee")
    held = await run(principal, "invite_member", {"email": email, "role": "viewer"})
    assert held.status == "needs_confirmation" and held.result is None
    pending = (await client.get("/api/team/invitations", headers=admin.headers)).json()
    assert pending["total"] == 0  # nothing happened yet
    done = await run(principal, "invite_member", {"email": email, "role": "viewer"}, confirmed=True)
    assert done.status == "done" and email in done.result.summary
    assert (await client.get("/api/team/invitations", headers=admin.headers)).json()["total"] == 1
    logs = (await client.get("/api/audit-logs?action=ai.tool_called", headers=admin.headers)).json()
    assert logs["total"] == 1 and logs["items"][0]["details"]["arguments"] == {
        "email": email,
        "role": "viewer",
    }


async def test_a_viewer_cannot_call_a_write_tool(client, state, run):
    admin = await register(client)
    viewer = await add_member(client, admin, "viewer")
    principal = await principal_of(state, viewer)
    call = await run(principal, "invite_member", {"email": unique_email(), "role": "admin"}, confirmed=True)
    assert call.status == "denied"
    assert (await client.get("/api/team/invitations", headers=admin.headers)).json()["total"] == 0
    denied = (await client.get("/api/audit-logs?action=ai.tool_denied", headers=admin.headers)).json()
    assert denied["total"] == 1


async def test_bad_arguments_and_unknown_tools_fail_cleanly(client, state, run):
    admin = await register(client)
    principal = await principal_of(state, admin)
    bad = await run(principal, "invite_member", {"email": "not-an-email"}, confirmed=True)
    assert bad.status == "failed" and "email" in bad.error
    unknown = await run(principal, "drop_database", {})
    assert unknown.status == "denied"
    conflict = await run(principal, "invite_member", {"email": admin.email}, confirmed=True)
    assert conflict.status == "failed" and "already a member" in conflict.error


async def test_tools_stay_in_the_callers_tenant(client, state, run):
    alice = await register(client, company="Alice Co")
    bob = await register(client, company="Bob Co")
    call = await run(await principal_of(state, alice), "team_members", {})
    assert [row["email"] for row in call.result.data] == [alice.email]
    assert bob.email not in call.result.summary
    logs = await run(await principal_of(state, alice), "search_audit_log", {"limit": 50})
    assert all(row["who"] != bob.email for row in logs.result.data)
    assert uuid.UUID(call.result.sources[0].id)
