"""The connectors catalogue and connections: declarative provider specs, record counts per connection,
tenant isolation, RBAC, and deleting a connection with or without its rows."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import func, select

from binelek.connectors.models import Customer, FileImport
from binelek.connectors.providers import CATALOGUE, PROVIDERS
from binelek.kit.state import AppState
from tests.conftest import Account, add_member, assert_problem, register
from tests.test_file_import_api import upload_customers, wait_finished

EXPECTED_AUTH = {
    "shopify": "oauth2",
    "stripe": "api_key",
    "square": "oauth2",
    "hubspot": "oauth2",
    "zoho_crm": "oauth2",
    "quickbooks": "oauth2",
    "xero": "oauth2",
    "gmail": "oauth2",
    "outlook": "oauth2",
    "file": "none",
}


async def import_customers(client: httpx.AsyncClient, account: Account) -> dict[str, object]:
    report = await wait_finished(client, account, await upload_customers(client, account, "c.csv"))
    assert report["status"] == "completed", report
    response = await client.get("/api/connectors", headers=account.headers)
    assert response.status_code == 200, response.text
    connections = response.json()["connections"]
    assert len(connections) == 1
    connection: dict[str, object] = connections[0]
    return connection


def test_every_oauth_provider_names_its_urls_and_every_webhook_its_signature():
    assert len(PROVIDERS) == 9 and len({spec.id for spec in CATALOGUE}) == 10
    for spec in PROVIDERS:
        if spec.auth == "oauth2":
            assert spec.authorize_url and spec.authorize_url.startswith("https://"), spec.id
            assert spec.token_url and spec.token_url.startswith("https://"), spec.id
            assert spec.scopes and spec.tokens is not None, spec.id
        else:
            assert spec.authorize_url is None and spec.token_url is None, spec.id
        if spec.webhook is not None:
            assert spec.webhook.header and spec.webhook.algorithm, spec.id
        assert spec.streams and spec.docs_url.startswith("https://"), spec.id
    by_id = {spec.id: spec for spec in CATALOGUE}
    assert by_id["stripe"].webhook is not None and by_id["stripe"].webhook.tolerance_seconds == 300
    assert by_id["shopify"].webhook is not None
    assert by_id["shopify"].webhook.header == "X-Shopify-Hmac-Sha256"
    assert {spec.id for spec in PROVIDERS if spec.pkce} == {"square", "xero", "gmail", "outlook"}
    rotating = {spec.id for spec in PROVIDERS if spec.tokens and spec.tokens.rotates_refresh_token}
    assert {"shopify", "xero", "quickbooks"} <= rotating


async def test_catalogue_lists_the_providers_and_file_with_their_auth(client):
    viewer = await add_member(client, await register(client), "viewer")
    response = await client.get("/api/connectors", headers=viewer.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {entry["type"]: entry["auth"] for entry in body["catalogue"]} == EXPECTED_AUTH
    assert all(entry["available"] for entry in body["catalogue"])  # every provider has an adapter
    by_type = {entry["type"]: entry for entry in body["catalogue"]}
    assert by_type["stripe"]["key_fields"] == ["api_key"] and by_type["stripe"]["configured"]
    assert by_type["shopify"]["account_fields"] == ["shop"]
    assert not by_type["xero"]["configured"]  # no OAuth app in this install's settings
    assert body["connections"] == []


async def test_a_file_import_shows_as_a_connection_with_record_counts(client):
    owner = await register(client)
    connection = await import_customers(client, owner)
    assert connection["type"] == "file" and connection["status"] == "active"
    assert connection["record_counts"] == {"customers": 1}
    assert connection["last_sync_at"] is not None

    response = await client.get(f"/api/connectors/{connection['id']}", headers=owner.headers)
    assert response.status_code == 200, response.text
    assert response.json() == connection
    # The /files routes still answer next to /{connection_id}.
    assert (await client.get("/api/connectors/files", headers=owner.headers)).json()["total"] == 1


async def test_another_tenants_connection_is_neither_listed_nor_readable(client):
    owner = await register(client)
    connection = await import_customers(client, owner)
    stranger = await register(client, company="Other Co")
    listed = await client.get("/api/connectors", headers=stranger.headers)
    assert listed.json()["connections"] == []
    for method in ("GET", "DELETE"):
        response = await client.request(
            method, f"/api/connectors/{connection['id']}", headers=stranger.headers
        )
        assert_problem(response, 404, "RESOURCE_NOT_FOUND")
    unknown = await client.get(f"/api/connectors/{uuid.uuid4()}", headers=owner.headers)
    assert_problem(unknown, 404, "RESOURCE_NOT_FOUND")


async def test_a_member_cannot_delete_a_connection(client):
    owner = await register(client)
    connection = await import_customers(client, owner)
    member = await add_member(client, owner, "member")
    response = await client.delete(f"/api/connectors/{connection['id']}", headers=member.headers)
    assert response.status_code == 403, response.text
    assert (
        await client.get(f"/api/connectors/{connection['id']}", headers=member.headers)
    ).status_code == 200


async def rows_of(state: AppState, model: type[Customer] | type[FileImport], connection_id: object) -> int:
    async with state.db.session() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(model)
            .where(model.connection_id == uuid.UUID(str(connection_id)))
        )
    return int(count or 0)


async def test_delete_without_keep_data_removes_the_rows_and_the_connection(client, state):
    owner = await register(client)
    connection = await import_customers(client, owner)
    other = await import_customers(client, await register(client, company="Other Co"))
    assert await rows_of(state, Customer, connection["id"]) == 1
    response = await client.delete(
        f"/api/connectors/{connection['id']}?keep_data=false", headers=owner.headers
    )
    assert response.status_code == 204, response.text
    assert (await client.get("/api/connectors", headers=owner.headers)).json()["connections"] == []
    gone = await client.get(f"/api/connectors/{connection['id']}", headers=owner.headers)
    assert_problem(gone, 404, "RESOURCE_NOT_FOUND")
    assert await rows_of(state, Customer, connection["id"]) == 0
    assert await rows_of(state, FileImport, connection["id"]) == 0
    assert await rows_of(state, Customer, other["id"]) == 1  # another tenant's rows are untouched
    logs = await client.get("/api/audit-logs", headers=owner.headers)
    assert "connectors.connection.deleted" in logs.text


async def test_delete_with_keep_data_keeps_the_rows_and_disconnects(client, state):
    owner = await register(client)
    connection = await import_customers(client, owner)
    response = await client.delete(
        f"/api/connectors/{connection['id']}?keep_data=true", headers=owner.headers
    )
    assert response.status_code == 204, response.text
    kept = (await client.get(f"/api/connectors/{connection['id']}", headers=owner.headers)).json()
    assert kept["status"] == "disconnected" and kept["record_counts"] == {"customers": 1}
    assert await rows_of(state, Customer, connection["id"]) == 1
