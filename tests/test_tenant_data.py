"""Tenant data: the organization's full export (complete, secret-free, owner-only, expiring) and its
deletion (every row, vector, file and cached value; other tenants untouched; safe to re-run)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
import time
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import func, select, update

from binelek.demo import DEMO_COMPANY
from binelek.kit.db import utcnow
from binelek.kit.models import metadata
from binelek.tenantdata import service
from binelek.tenantdata.models import TenantExport
from tests.conftest import PASSWORD, add_member, assert_problem, register
from tests.test_search import wait_until_indexed

TASKS = "/api/modules/ops-copilot/tasks"
FERNET_PREFIX = b"gAAAAA"  # every Fernet token starts so
BIN = Path(sys.executable).parent / "binelek"


async def _seed(client, account, label: str) -> dict[str, str]:
    """Some data of every kind the checks look at: documents (vectors), tasks, an API key (a
    digest), an invitation (a digest)."""
    document = await client.post(
        "/api/documents",
        json={
            "title": f"{label} roasting notes",
            "body": f"{label} roasts on Mondays with the 15 kg roaster.",
        },
        headers=account.headers,
    )
    assert document.status_code == 201, document.text
    task = await client.post(TASKS, json={"title": f"{label} call the supplier"}, headers=account.headers)
    assert task.status_code == 201, task.text
    key = await client.post("/api/api-keys", json={"name": "bi", "role": "viewer"}, headers=account.headers)
    assert key.status_code == 201, key.text
    invitation = await client.post(
        "/api/team/invitations",
        json={"email": f"{label}-invitee@example.com", "role": "viewer"},
        headers=account.headers,
    )
    assert invitation.status_code == 201, invitation.text
    return {"api_key": key.json()["key"], "invitation_token": invitation.json()["token"]}


async def _export(client, account, timeout: float = 60) -> dict:
    started = await client.post("/api/organization/export", headers=account.headers)
    assert started.status_code == 202, started.text
    export_id = started.json()["id"]
    deadline = time.monotonic() + timeout
    while True:
        current = await client.get(f"/api/organization/exports/{export_id}", headers=account.headers)
        assert current.status_code == 200, current.text
        if current.json()["status"] in ("done", "failed"):
            assert current.json()["status"] == "done", current.json()
            return current.json()
        assert time.monotonic() < deadline, "the export did not finish"
        await asyncio.sleep(0.2)


async def test_export_is_complete_and_free_of_secrets(client):
    owner = await register(client, company="Export Roasters")
    other = await register(client, company="Someone Else")
    secrets = await _seed(client, owner, "exporter")
    await _seed(client, other, "stranger")
    secret = (await client.post("/api/auth/mfa/enroll", headers=owner.headers)).json()["secret"]
    await client.post("/api/auth/mfa/verify", json={"code": pyotp.TOTP(secret).now()}, headers=owner.headers)

    export = await _export(client, owner)
    assert export["progress"] == 100 and export["size_bytes"] > 0
    assert export["expires_at"] is not None
    listed = (await client.get("/api/organization/exports", headers=owner.headers)).json()
    assert listed["items"][0]["id"] == export["id"] and listed["items"][0]["status"] == "done"

    download = await client.get(f"/api/organization/exports/{export['id']}/download", headers=owner.headers)
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/zip"
    assert "attachment" in download.headers["content-disposition"]
    raw = download.content
    archive = zipfile.ZipFile(io.BytesIO(raw))
    names = set(archive.namelist())
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format_version"] == 1 and manifest["tenant"]["id"] == owner.tenant_id
    assert manifest["secrets_excluded"] is True and "not exported" in manifest["secrets_note"]

    # Every tenant-owned table of the metadata is in it, and each file holds the counted rows.
    tenant_tables = {table.name for table in metadata.sorted_tables if "tenant_id" in table.c}
    assert set(manifest["tables"]) == tenant_tables
    for name, entry in manifest["tables"].items():
        rows = json.loads(archive.read(entry["json"]))
        assert len(rows) == entry["rows"], name
        assert all(row["tenant_id"] == owner.tenant_id for row in rows), name
    assert manifest["tables"]["documents"]["rows"] == 1
    assert manifest["tables"]["tasks"]["rows"] == 1
    assert manifest["tables"]["api_keys"]["rows"] == 1
    assert {
        "csv/tasks.csv",
        "csv/customers.csv",
        "csv/orders.csv",
        "organization.json",
        "people.json",
    } <= names
    tasks_csv = list(csv.DictReader(io.StringIO(archive.read("csv/tasks.csv").decode())))
    assert [row["title"] for row in tasks_csv] == ["exporter call the supplier"]
    people = json.loads(archive.read("people.json"))
    assert [person["email"] for person in people] == [owner.email]
    assert json.loads(archive.read("organization.json"))["name"] == "Export Roasters"

    # No secret, digest or other tenant's data anywhere in the archive.
    assert set(manifest["excluded_columns"]["api_keys"]) == {"key_hash"}
    assert "token_hash" in manifest["excluded_columns"]["invitations"]
    everything = b"".join(archive.read(name) for name in names)
    assert FERNET_PREFIX not in everything
    for name in names - {"manifest.json"}:
        content = archive.read(name)
        for forbidden in (
            b"password_hash",
            b"key_hash",
            b"token_hash",
            b"mfa_secret",
            b"_encrypted",
            b"$argon2",
        ):
            assert forbidden not in content, (name, forbidden)
    assert secrets["api_key"].encode() not in everything
    assert secrets["invitation_token"].encode() not in everything
    assert b"stranger" not in everything and b"Someone Else" not in everything


async def test_export_is_for_the_owner_only_and_expires(client, state):
    owner = await register(client, company="Guarded Exports")
    member = await add_member(client, owner, "member")
    stranger = await register(client, company="Not Yours")
    export = await _export(client, owner)
    download = f"/api/organization/exports/{export['id']}/download"

    assert_problem(
        await client.post("/api/organization/export", headers=member.headers), 403, "PERMISSION_DENIED"
    )
    assert_problem(
        await client.get("/api/organization/exports", headers=member.headers), 403, "PERMISSION_DENIED"
    )
    assert_problem(await client.get(download, headers=member.headers), 403, "PERMISSION_DENIED")
    assert_problem(await client.get(download, headers=stranger.headers), 404, "RESOURCE_NOT_FOUND")
    key = await client.post("/api/api-keys", json={"name": "robot", "role": "admin"}, headers=owner.headers)
    key_headers = {"Authorization": f"Bearer {key.json()['key']}"}
    assert_problem(await client.get(download, headers=key_headers), 403, "PERMISSION_DENIED")

    # The download is audit-logged.
    assert (await client.get(download, headers=owner.headers)).status_code == 200
    audit = (await client.get("/api/audit-logs", headers=owner.headers, params={"limit": 200})).json()
    actions = {entry["action"] for entry in audit["items"]}
    assert {"org.export_requested", "org.export_downloaded"} <= actions

    # Past its expiry the archive is gone: 410, and the hourly purge removes the file.
    async with state.db.session() as session:
        await session.execute(
            update(TenantExport)
            .where(TenantExport.id == uuid.UUID(export["id"]))
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    assert_problem(await client.get(download, headers=owner.headers), 410, "EXPORT_EXPIRED")
    path = service.export_path(
        state.settings.binelek_data_dir, uuid.UUID(owner.tenant_id), uuid.UUID(export["id"])
    )
    assert path.is_file()
    assert await service.purge_expired_exports(state.db, state.settings.binelek_data_dir) >= 1
    assert not path.exists()
    current = (await client.get(f"/api/organization/exports/{export['id']}", headers=owner.headers)).json()
    assert current["status"] == "expired"


async def _tenant_rows(state, tenant_id: uuid.UUID) -> dict[str, int]:
    counts = {}
    async with state.db.session() as session:
        for table in metadata.sorted_tables:
            if "tenant_id" in table.c:
                statement = select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id)
                counts[table.name] = int((await session.execute(statement)).scalar_one())
    return {name: count for name, count in counts.items() if count}


async def _wait_until_gone(state, tenant_id: uuid.UUID, timeout: float = 60) -> None:
    tenants = metadata.tables["tenants"]
    deadline = time.monotonic() + timeout
    while True:
        async with state.db.session() as session:
            found = (await session.execute(select(tenants.c.id).where(tenants.c.id == tenant_id))).first()
        if found is None:
            return
        assert time.monotonic() < deadline, "the tenant was not deleted"
        await asyncio.sleep(0.2)


async def test_deleting_an_organization_removes_everything_it_owns(client, state):
    owner = await register(client, company="Doomed Coffee")
    survivor = await register(client, company="Survivor Tea")
    await _seed(client, owner, "doomed")
    await _seed(client, survivor, "survivor")
    only_here = await add_member(client, owner, "member")
    # The survivor's owner also belongs to the doomed organization: their account stays.
    invitation = await client.post(
        "/api/team/invitations", json={"email": survivor.email, "role": "viewer"}, headers=owner.headers
    )
    accepted = await client.post(
        "/api/auth/accept-invitation", json={"token": invitation.json()["token"], "password": PASSWORD}
    )
    assert accepted.status_code == 200, accepted.text
    doomed, kept = uuid.UUID(owner.tenant_id), uuid.UUID(survivor.tenant_id)
    await wait_until_indexed(state, owner.tenant_id)
    await wait_until_indexed(state, survivor.tenant_id)
    assert await state.vectors.count(doomed) > 0 and await state.vectors.count(kept) > 0
    await _export(client, owner)  # an archive under the data dir
    upload = state.settings.binelek_data_dir / "imports" / str(doomed) / "upload.csv"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text("email\nx@example.com\n")
    await state.cache.set(f"foundry:forecast:{doomed}:1:revenue", {"cached": True})
    await state.cache.set(f"foundry:forecast:{kept}:1:revenue", {"cached": True})
    kept_before = await _tenant_rows(state, kept)

    # Refusals first: a member, a wrong name, a missing second factor.
    body = {"confirm": "Doomed Coffee"}
    assert_problem(
        await client.request("DELETE", "/api/organization", json=body, headers=only_here.headers),
        403,
        "PERMISSION_DENIED",
    )
    wrong = await client.request(
        "DELETE", "/api/organization", json={"confirm": "Doomed"}, headers=owner.headers
    )
    assert assert_problem(wrong, 422, "CONFIRMATION_MISMATCH")["errors"][0]["loc"] == ["body", "confirm"]
    secret = (await client.post("/api/auth/mfa/enroll", headers=owner.headers)).json()["secret"]
    verified = await client.post(
        "/api/auth/mfa/verify", json={"code": pyotp.TOTP(secret).now()}, headers=owner.headers
    )
    backup_code = verified.json()["backup_codes"][0]
    assert_problem(
        await client.request("DELETE", "/api/organization", json=body, headers=owner.headers),
        422,
        "MFA_CODE_REQUIRED",
    )
    assert_problem(
        await client.request(
            "DELETE", "/api/organization", json={**body, "code": "000000"}, headers=owner.headers
        ),
        422,
        "MFA_CODE_INVALID",
    )
    assert (await client.get("/api/organization", headers=owner.headers)).status_code == 200

    accepted = await client.request(
        "DELETE", "/api/organization", json={**body, "code": backup_code}, headers=owner.headers
    )
    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {"status": "deletion_started", "tenant_id": owner.tenant_id}
    await _wait_until_gone(state, doomed)

    assert await _tenant_rows(state, doomed) == {}
    assert await state.vectors.count(doomed) == 0
    assert not (state.settings.binelek_data_dir / "imports" / str(doomed)).exists()
    assert not (state.settings.binelek_data_dir / "exports" / str(doomed)).exists()
    assert await state.cache.get(f"foundry:forecast:{doomed}:1:revenue") is None
    users = metadata.tables["users"]
    async with state.db.session() as session:
        emails = set((await session.execute(select(users.c.email))).scalars())
    assert owner.email not in emails and only_here.email not in emails
    assert survivor.email in emails
    # The deletion is on the install's audit trail, without the tenant.
    audit_logs = metadata.tables["audit_logs"]
    async with state.db.session() as session:
        details = (
            (await session.execute(select(audit_logs.c.details).where(audit_logs.c.action == "org.deleted")))
            .scalars()
            .all()
        )
    assert {"deleted_tenant_id": owner.tenant_id, "users_deleted": 2} in details

    # Nobody gets in any more; the other organization is exactly as it was.
    assert (await client.get("/api/organization", headers=owner.headers)).status_code in (401, 403)
    assert (await client.get("/api/organization", headers=only_here.headers)).status_code in (401, 403)
    after = await _tenant_rows(state, kept)
    for name in ("documents", "tasks", "api_keys", "invitations", "memberships", "search_index_entries"):
        assert after.get(name) == kept_before.get(name), name
    assert await state.vectors.count(kept) > 0
    assert await state.cache.get(f"foundry:forecast:{kept}:1:revenue") == {"cached": True}
    me = await client.get("/api/auth/me", headers=survivor.headers)
    assert me.status_code == 200 and [t["name"] for t in me.json()["tenants"]] == ["Survivor Tea"]

    # Running the deletion again (a retried job) is harmless.
    report = await service.delete_tenant(service.DeletionEnv.of(state), doomed)
    assert report.tenant_existed is False and sum(report.rows.values()) == 0


async def test_deletion_interrupted_midway_completes_when_run_again(client, state):
    owner = await register(client, company="Half Gone")
    await _seed(client, owner, "halfgone")
    tenant = uuid.UUID(owner.tenant_id)
    await wait_until_indexed(state, owner.tenant_id)
    env = service.DeletionEnv.of(state)
    # A crash after some tables were emptied: the tenant, its people and the rest are still there.
    for table in service.deletion_order()[:10]:
        await service._delete_table_rows(state.db, tenant, table)
    report = await service.delete_tenant(env, tenant)
    assert report.tenant_existed and report.users_deleted == 1
    assert await _tenant_rows(state, tenant) == {}
    assert await state.vectors.count(tenant) == 0
    assert (await service.delete_tenant(env, tenant)).tenant_existed is False


@pytest.mark.embedded_only
def test_cli_exports_and_deletes_an_organization(tmp_path):
    """`binelek tenant export|delete` on the demo business, as an operator runs them."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "BINELEK_ENV"}},
        "BINELEK_DATA_DIR": str(tmp_path / "data"),
        "BINELEK_DEMO_SCALE": "0.02",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([BIN, *args], env=env, capture_output=True, text=True, timeout=300)

    assert run("seed-demo").returncode == 0
    out = tmp_path / "northwind.zip"
    exported = run("tenant", "export", DEMO_COMPANY, str(out))
    assert exported.returncode == 0, exported.stderr
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert manifest["tenant"]["name"] == DEMO_COMPANY and manifest["tables"]["orders"]["rows"] > 0

    refused = run("tenant", "delete", DEMO_COMPANY)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    deleted = run("tenant", "delete", DEMO_COMPANY, "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert f"Deleted {DEMO_COMPANY}" in deleted.stderr
    again = run("tenant", "export", DEMO_COMPANY, str(tmp_path / "again.zip"))
    assert again.returncode == 1 and "No organization" in again.stderr
