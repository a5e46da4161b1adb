"""Connecting the app to a fake provider the way a user does, and waiting for its syncs."""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from tests.conftest import Account
from tests.fakes.base import CLIENT_ID, CLIENT_SECRET, FakeProvider

FAKES = {
    "shopify": "tests.fakes.shopify:FakeShopify",
    "stripe": "tests.fakes.stripe:FakeStripe",
    "square": "tests.fakes.square:FakeSquare",
    "hubspot": "tests.fakes.hubspot:FakeHubSpot",
    "zoho_crm": "tests.fakes.zoho_crm:FakeZohoCrm",
    "quickbooks": "tests.fakes.quickbooks:FakeQuickBooks",
    "xero": "tests.fakes.xero:FakeXero",
    "gmail": "tests.fakes.gmail:FakeGmail",
    "outlook": "tests.fakes.outlook:FakeOutlook",
}
KEY_PROVIDERS = {"stripe"}


def fake_class(provider: str) -> type[FakeProvider]:
    module, name = FAKES[provider].split(":")
    fake: type[FakeProvider] = getattr(importlib.import_module(module), name)
    return fake


@contextmanager
def configured(settings: Any, provider: str, fake: FakeProvider) -> Iterator[None]:
    """Point the app's provider at the fake and give it the fake's OAuth app."""
    settings.connector_endpoints[provider] = fake.origin
    settings.connector_clients[provider] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "webhook_secret": getattr(fake, "webhook_secret", CLIENT_SECRET),
    }
    try:
        yield
    finally:
        settings.connector_endpoints.pop(provider, None)
        settings.connector_clients.pop(provider, None)


async def authorize(client: httpx.AsyncClient, account: Account, provider: str, fake: Any) -> dict[str, Any]:
    extras = fake.authorize_extras() if hasattr(fake, "authorize_extras") else {}
    response = await client.get(
        f"/api/connectors/oauth/{provider}/authorize", params=extras, headers=account.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def grant(authorization_url: str) -> dict[str, str]:
    """The user approves at the provider: what its redirect back carries (code, state, extras)."""
    async with httpx.AsyncClient() as http:
        answer = await http.get(authorization_url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return dict(parse_qsl(urlsplit(answer.headers["location"]).query))


async def connect(client: httpx.AsyncClient, account: Account, provider: str, fake: Any) -> dict[str, Any]:
    """Connect through OAuth (or with a key for key-only providers); returns ConnectionCreated."""
    if provider in KEY_PROVIDERS:
        response = await client.post(
            "/api/connectors",
            json={
                "type": provider,
                "credentials": {"api_key": fake.GOOD_KEY},
                "webhook_secret": fake.webhook_secret,
            },
            headers=account.headers,
        )
    else:
        authorization = await authorize(client, account, provider, fake)
        redirect = await grant(authorization["authorization_url"])
        response = await client.post(
            f"/api/connectors/oauth/{provider}/callback", json=redirect, headers=account.headers
        )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def wait_for_run(
    client: httpx.AsyncClient, account: Account, connection_id: str, run_id: str, timeout: float = 90
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(f"/api/connectors/{connection_id}/runs/{run_id}", headers=account.headers)
        assert response.status_code == 200, response.text
        run = dict(response.json())
        if run["status"] in ("completed", "failed"):
            return run
        assert time.monotonic() < deadline, f"the sync did not finish: {run}"
        await asyncio.sleep(0.2)


async def sync_now(client: httpx.AsyncClient, account: Account, connection_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/connectors/sync/{connection_id}", headers=account.headers)
    assert response.status_code == 202, response.text
    return await wait_for_run(client, account, connection_id, response.json()["run_id"])


async def record_counts(client: httpx.AsyncClient, account: Account, connection_id: str) -> dict[str, int]:
    response = await client.get(f"/api/connectors/{connection_id}", headers=account.headers)
    assert response.status_code == 200, response.text
    return dict(response.json()["record_counts"])
