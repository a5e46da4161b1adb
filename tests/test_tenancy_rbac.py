"""Tenant boundaries and roles, through the HTTP API."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from binelek.kit.auth import require
from tests.conftest import PASSWORD, add_member, assert_problem, register, unique_email


async def test_foreign_tenant_header_is_denied(client):
    alice = await register(client, company="Alice Co")
    bob = await register(client, company="Bob Co")
    for path in (
        "/api/auth/me",
        "/api/team/members",
        "/api/organization",
        "/api/api-keys",
        "/api/audit-logs",
    ):
        response = await client.get(path, headers={**alice.headers, "X-Tenant-ID": bob.tenant_id})
        assert_problem(response, 403, "TENANT_ACCESS_DENIED")
    malformed = await client.get("/api/auth/me", headers={**alice.headers, "X-Tenant-ID": "not-a-uuid"})
    assert_problem(malformed, 403, "TENANT_ACCESS_DENIED")


async def test_foreign_tenant_resources_are_not_found(client):
    alice = await register(client, company="Alice Co")
    bob = await register(client, company="Bob Co")
    bob_member = await add_member(client, bob, "member")
    bob_key = (
        await client.post("/api/api-keys", json={"name": "k", "role": "member"}, headers=bob.headers)
    ).json()
    bob_invite = (
        await client.post(
            "/api/team/invitations", json={"email": unique_email(), "role": "viewer"}, headers=bob.headers
        )
    ).json()

    attempts = [
        client.delete(f"/api/api-keys/{bob_key['id']}", headers=alice.headers),
        client.delete(f"/api/team/invitations/{bob_invite['id']}", headers=alice.headers),
        client.patch(
            f"/api/team/members/{bob_member.user_id}", json={"role": "admin"}, headers=alice.headers
        ),
        client.delete(f"/api/team/members/{bob_member.user_id}", headers=alice.headers),
    ]
    for attempt in attempts:
        assert_problem(await attempt, 404, "RESOURCE_NOT_FOUND")

    # Nothing of Bob's leaks into Alice's lists, and Bob's data is intact.
    members = (await client.get("/api/team/members", headers=alice.headers)).json()
    assert [m["email"] for m in members["items"]] == [alice.email]
    assert (await client.get("/api/api-keys", headers=alice.headers)).json()["total"] == 0
    assert (await client.get("/api/api-keys", headers=bob.headers)).json()["total"] == 1
    bob_members = (await client.get("/api/team/members", headers=bob.headers)).json()
    assert {m["role"] for m in bob_members["items"]} == {"admin", "member"}
    audit = (await client.get("/api/audit-logs?limit=200", headers=alice.headers)).json()["items"]
    assert all(entry["user_email"] != bob.email for entry in audit)


async def test_viewer_reads_but_cannot_write(client):
    admin = await register(client)
    viewer = await add_member(client, admin, "viewer")
    assert (await client.get("/api/team/members", headers=viewer.headers)).status_code == 200
    assert (await client.get("/api/organization", headers=viewer.headers)).status_code == 200
    writes = [
        client.post(
            "/api/team/invitations", json={"email": unique_email(), "role": "viewer"}, headers=viewer.headers
        ),
        client.put("/api/organization", json={"name": "Hijacked"}, headers=viewer.headers),
        client.post("/api/api-keys", json={"name": "x", "role": "admin"}, headers=viewer.headers),
        client.patch(f"/api/team/members/{viewer.user_id}", json={"role": "admin"}, headers=viewer.headers),
    ]
    for write in writes:
        assert_problem(await write, 403, "PERMISSION_DENIED")
    assert_problem(await client.get("/api/audit-logs", headers=viewer.headers), 403, "PERMISSION_DENIED")
    assert_problem(await client.get("/api/api-keys", headers=viewer.headers), 403, "PERMISSION_DENIED")


async def test_member_cannot_manage_team(client):
    admin = await register(client)
    member = await add_member(client, admin, "member")
    response = await client.post(
        "/api/team/invitations", json={"email": unique_email(), "role": "admin"}, headers=member.headers
    )
    assert_problem(response, 403, "PERMISSION_DENIED")


async def test_role_change_takes_effect_and_is_audited(client):
    admin = await register(client)
    member = await add_member(client, admin, "member")
    changed = await client.patch(
        f"/api/team/members/{member.user_id}", json={"role": "viewer"}, headers=admin.headers
    )
    assert changed.status_code == 200 and changed.json()["role"] == "viewer"
    me = (await client.get("/api/auth/me", headers=member.headers)).json()
    assert me["current_tenant"]["role"] == "viewer"
    logs = (await client.get("/api/audit-logs?action=team.role_changed", headers=admin.headers)).json()
    assert logs["total"] == 1 and logs["items"][0]["details"]["after"]["role"] == "viewer"


async def test_last_admin_cannot_be_demoted_or_removed(client):
    admin = await register(client)
    assert_problem(
        await client.patch(
            f"/api/team/members/{admin.user_id}", json={"role": "member"}, headers=admin.headers
        ),
        409,
        "LAST_ADMIN",
    )
    assert_problem(
        await client.delete(f"/api/team/members/{admin.user_id}", headers=admin.headers), 409, "LAST_ADMIN"
    )


async def test_removed_member_loses_access(client):
    admin = await register(client)
    member = await add_member(client, admin, "member")
    assert (
        await client.delete(f"/api/team/members/{member.user_id}", headers=admin.headers)
    ).status_code == 204
    assert_problem(await client.get("/api/auth/me", headers=member.headers), 403, "TENANT_ACCESS_DENIED")


async def test_existing_user_joins_second_tenant_and_switches(client):
    alice = await register(client, company="Alice Co")
    bob = await register(client, company="Bob Co")
    invitation = await client.post(
        "/api/team/invitations", json={"email": bob.email, "role": "member"}, headers=alice.headers
    )
    preview = await client.get(f"/api/auth/invitations/{invitation.json()['token']}")
    assert preview.json()["existing_user"] is True and preview.json()["tenant_name"] == "Alice Co"

    wrong = await client.post(
        "/api/auth/accept-invitation",
        json={"token": invitation.json()["token"], "password": "not bob's password"},
    )
    assert_problem(wrong, 401, "AUTH_INVALID_CREDENTIALS")
    accepted = await client.post(
        "/api/auth/accept-invitation", json={"token": invitation.json()["token"], "password": PASSWORD}
    )
    assert accepted.status_code == 200 and accepted.json()["tenant"]["name"] == "Alice Co"
    reused = await client.post(
        "/api/auth/accept-invitation", json={"token": invitation.json()["token"], "password": PASSWORD}
    )
    assert_problem(reused, 410, "INVITATION_USED")

    me = (await client.get("/api/auth/me", headers=bob.headers)).json()
    assert {t["name"] for t in me["tenants"]} == {"Alice Co", "Bob Co"}
    switched = (
        await client.get("/api/auth/me", headers={**bob.headers, "X-Tenant-ID": alice.tenant_id})
    ).json()
    assert switched["current_tenant"] == {"id": alice.tenant_id, "name": "Alice Co", "role": "member"}


async def test_api_keys_authenticate_with_their_role(client):
    admin = await register(client)
    created = await client.post(
        "/api/api-keys", json={"name": "reporting", "role": "viewer"}, headers=admin.headers
    )
    assert created.status_code == 201
    key = created.json()
    assert key["key"].startswith("bnk_") and key["prefix"] == key["key"][:10]
    key_headers = {"Authorization": f"Bearer {key['key']}"}
    assert (await client.get("/api/team/members", headers=key_headers)).status_code == 200
    assert_problem(
        await client.put("/api/organization", json={"name": "x"}, headers=key_headers),
        403,
        "PERMISSION_DENIED",
    )
    listed = (await client.get("/api/api-keys", headers=admin.headers)).json()
    assert listed["items"][0]["prefix"] == key["prefix"] and "key" not in listed["items"][0]
    assert listed["items"][0]["last_used_at"] is not None

    assert (await client.delete(f"/api/api-keys/{key['id']}", headers=admin.headers)).status_code == 204
    assert_problem(await client.get("/api/team/members", headers=key_headers), 401, "AUTH_INVALID_TOKEN")


async def test_disabled_module_answers_module_disabled(app, client):
    probe = APIRouter()

    @probe.get("/api/modules/ops-copilot/probe", dependencies=[Depends(require("ops:read"))])
    async def ops_probe() -> dict[str, bool]:
        return {"ok": True}

    app.include_router(probe)
    # The SPA fallback is registered last in create_app; move the probe ahead of it.
    app.router.routes.insert(0, app.router.routes.pop())
    try:
        admin = await register(client)
        viewer = await add_member(client, admin, "viewer")
        assert (await client.get("/api/modules/ops-copilot/probe", headers=viewer.headers)).status_code == 200
        modules = ["mini-foundry", "cybersecurity-scanner", "marketplace-intel"]
        updated = await client.put("/api/organization", json={"modules": modules}, headers=admin.headers)
        assert updated.json()["modules"] == modules
        response = await client.get("/api/modules/ops-copilot/probe", headers=viewer.headers)
        assert_problem(response, 403, "MODULE_DISABLED")
    finally:
        app.router.routes.pop(0)


async def test_module_role_override_narrows_access(client, state):
    admin = await register(client)
    member = await add_member(client, admin, "member")
    updated = await client.patch(
        f"/api/team/members/{member.user_id}",
        json={"module_roles": {"marketplace": "viewer"}},
        headers=admin.headers,
    )
    assert updated.json()["module_roles"] == {"marketplace": "viewer"}
    from binelek.kit.auth import Principal

    principal = Principal(
        tenant_id=admin.tenant_id,
        tenant_name="x",
        role="member",
        plan="free",
        modules=("marketplace-intel",),
        module_roles={"marketplace": "viewer"},
    )
    assert principal.can("marketplace:read") and not principal.can("marketplace:write")
    assert principal.can("ops:write")
    widened = Principal(
        tenant_id=admin.tenant_id,
        tenant_name="x",
        role="viewer",
        plan="free",
        modules=(),
        module_roles={"ops": "admin"},
    )
    assert not widened.can("ops:write")
