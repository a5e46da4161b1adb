"""The file-import endpoints the web wizard reads: the entities with their canonical columns, and the
tenant's imports newest first (paged, tenant-isolated, readable by every role)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from binelek.connectors.rows import ENTITY_COLUMNS
from tests.conftest import Account, add_member, register

CUSTOMERS = """email,name
ana@example.com,Ana Lima
not-an-email,Bad Row
"""


async def upload_customers(client: httpx.AsyncClient, account: Account, filename: str) -> str:
    response = await client.post(
        "/api/connectors/files",
        files={"file": (filename, CUSTOMERS.encode(), "text/csv")},
        data={"entity": "customers"},
        headers=account.headers,
    )
    assert response.status_code == 202, response.text
    import_id: str = response.json()["import_id"]
    return import_id


async def wait_finished(client: httpx.AsyncClient, account: Account, import_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(300):
        response = await client.get(f"/api/connectors/files/{import_id}", headers=account.headers)
        body = response.json()
        if body["status"] in ("completed", "failed"):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"import {import_id} did not finish: {body}")


async def test_entities_list_every_entity_with_its_canonical_columns(client):
    viewer = await add_member(client, await register(client), "viewer")
    response = await client.get("/api/connectors/files/entities", headers=viewer.headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["entity"] for item in items] == list(ENTITY_COLUMNS)
    customers = next(item for item in items if item["entity"] == "customers")
    assert customers["required"] == ["email", "name"]
    assert {"country", "city", "created_at"} <= set(customers["optional"])


async def test_entities_need_a_signed_in_user(client):
    response = await client.get("/api/connectors/files/entities")
    assert response.status_code == 401


async def test_imports_are_listed_newest_first_and_paged(client):
    owner = await register(client)
    first = await upload_customers(client, owner, "first.csv")
    await wait_finished(client, owner, first)
    second = await upload_customers(client, owner, "second.csv")
    report = await wait_finished(client, owner, second)
    assert (report["rows_imported"], report["rows_failed"]) == (1, 1)

    response = await client.get("/api/connectors/files", headers=owner.headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == 2 and page["offset"] == 0
    assert [item["id"] for item in page["items"]] == [second, first]
    newest = page["items"][0]
    assert newest["filename"] == "second.csv" and newest["status"] == "completed"
    assert newest["errors"] == [{"row": 3, "column": "email", "message": newest["errors"][0]["message"]}]

    response = await client.get("/api/connectors/files?limit=1&offset=1", headers=owner.headers)
    assert [item["id"] for item in response.json()["items"]] == [first]
    assert response.json()["total"] == 2


async def test_imports_list_is_readable_by_members_and_viewers_but_tenant_isolated(client):
    owner = await register(client)
    import_id = await upload_customers(client, owner, "mine.csv")
    await wait_finished(client, owner, import_id)
    for role in ("member", "viewer"):
        reader = await add_member(client, owner, role)
        response = await client.get("/api/connectors/files", headers=reader.headers)
        assert response.status_code == 200, response.text
        assert [item["id"] for item in response.json()["items"]] == [import_id]

    stranger = await register(client, "Other Co")
    response = await client.get("/api/connectors/files", headers=stranger.headers)
    assert response.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    response = await client.get(f"/api/connectors/files/{import_id}", headers=stranger.headers)
    assert response.status_code == 404
    response = await client.get(f"/api/connectors/files/{uuid.uuid4()}", headers=owner.headers)
    assert response.status_code == 404


async def test_imports_list_rejects_a_bad_page(client):
    owner = await register(client)
    response = await client.get("/api/connectors/files?limit=0", headers=owner.headers)
    assert response.status_code == 422
