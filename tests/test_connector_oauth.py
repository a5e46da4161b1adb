"""OAuth connection security: the state is one-time, bound to its user and tenant and short-lived;
the PKCE verifier is required; a code issued for another redirect URI is refused; tokens are
refreshed before expiry (keeping the newest rotated refresh token) and a revoked grant marks the
connection `error` and raises a `connector.error` event."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from sqlalchemy import select, update

from binelek.connectors.models import Connection, ConnectionCredential, OAuthState
from binelek.kit.db import utcnow
from binelek.kit.outbox_models import Event
from tests.conftest import add_member, assert_problem, register
from tests.connector_support import authorize, configured, connect, grant, sync_now, wait_for_run
from tests.fakes.gmail import FakeGmail
from tests.fakes.quickbooks import FakeQuickBooks

PROVIDER = "gmail"  # uses PKCE


async def _callback(client: httpx.AsyncClient, account, redirect: dict[str, str]) -> httpx.Response:
    return await client.post(
        f"/api/connectors/oauth/{PROVIDER}/callback", json=redirect, headers=account.headers
    )


async def test_the_authorization_url_carries_state_pkce_and_the_fixed_redirect(client, state):
    owner = await register(client)
    with FakeGmail(count=5) as fake, configured(state.settings, PROVIDER, fake):
        authorization = await authorize(client, owner, PROVIDER, fake)
    query = dict(parse_qsl(urlsplit(authorization["authorization_url"]).query))
    assert query["state"] == authorization["state"] and len(authorization["state"]) >= 40
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["redirect_uri"] == f"{state.settings.public_url}/connectors/oauth/gmail/callback"
    assert query["access_type"] == "offline"
    async with state.db.session() as session:
        stored = (await session.execute(select(OAuthState))).scalars().all()
    assert all(row.state_digest != authorization["state"] for row in stored)  # only its hash is kept
    assert authorization["expires_in"] == 600


async def test_a_reused_state_is_refused(client, state):
    owner = await register(client)
    with FakeGmail(count=5) as fake, configured(state.settings, PROVIDER, fake):
        redirect = await grant((await authorize(client, owner, PROVIDER, fake))["authorization_url"])
        assert (await _callback(client, owner, redirect)).status_code == 201
        second = await grant((await authorize(client, owner, PROVIDER, fake))["authorization_url"])
        replay = await _callback(client, owner, {**second, "state": redirect["state"]})
    assert_problem(replay, 400, "OAUTH_STATE_INVALID")


async def test_another_users_or_tenants_state_is_refused(client, state):
    owner = await register(client)
    colleague = await add_member(client, owner, "admin")
    stranger = await register(client, company="Elsewhere Ltd")
    with FakeGmail(count=5) as fake, configured(state.settings, PROVIDER, fake):
        redirect = await grant((await authorize(client, owner, PROVIDER, fake))["authorization_url"])
        assert_problem(await _callback(client, colleague, redirect), 400, "OAUTH_STATE_INVALID")
        assert_problem(await _callback(client, stranger, redirect), 400, "OAUTH_STATE_INVALID")
        assert (await _callback(client, owner, redirect)).status_code == 201  # still the owner's to use


async def test_an_expired_state_is_refused(client, state):
    owner = await register(client)
    with FakeGmail(count=5) as fake, configured(state.settings, PROVIDER, fake):
        redirect = await grant((await authorize(client, owner, PROVIDER, fake))["authorization_url"])
        async with state.db.session() as session:
            await session.execute(update(OAuthState).values(expires_at=utcnow() - timedelta(seconds=1)))
        assert_problem(await _callback(client, owner, redirect), 400, "OAUTH_STATE_INVALID")


async def test_a_missing_pkce_verifier_is_refused_by_us_and_by_the_provider(client, state):
    owner = await register(client)
    with FakeGmail(count=5) as fake, configured(state.settings, PROVIDER, fake):
        redirect = await grant((await authorize(client, owner, PROVIDER, fake))["authorization_url"])
        async with state.db.session() as session:
            await session.execute(update(OAuthState).values(verifier_encrypted=None))
        assert_problem(await _callback(client, owner, redirect), 400, "OAUTH_STATE_INVALID")

        # The provider side: a code issued against a challenge cannot be spent without the verifier.
        other = await grant((await authorize(client, owner, PROVIDER, fake))["authorization_url"])
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                f"{fake.origin}/token",
                data={
                    "grant_type": "authorization_code",
                    "code": other["code"],
                    "redirect_uri": f"{state.settings.public_url}/connectors/oauth/gmail/callback",
                    "client_id": "binelek-test-client",
                    "client_secret": "binelek-test-secret-0123456789",
                },
            )
        assert answer.status_code == 400 and "code_verifier" in answer.text


async def test_a_code_issued_for_another_redirect_uri_is_refused(client, state):
    owner = await register(client)
    with FakeGmail(count=5) as fake, configured(state.settings, PROVIDER, fake):
        url = (await authorize(client, owner, PROVIDER, fake))["authorization_url"]
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        query["redirect_uri"] = "https://attacker.example/callback"
        redirect = await grant(urlunsplit(parts._replace(query=urlencode(query))))
        refused = await _callback(client, owner, redirect)
    problem = assert_problem(refused, 400, "OAUTH_EXCHANGE_FAILED")
    assert "invalid_grant" in problem["detail"]


async def test_a_viewer_cannot_connect_and_an_unconfigured_provider_says_so(client, state):
    owner = await register(client)
    viewer = await add_member(client, owner, "viewer")
    refused = await client.get(f"/api/connectors/oauth/{PROVIDER}/authorize", headers=viewer.headers)
    assert_problem(refused, 403, "PERMISSION_DENIED")
    missing = await client.get(f"/api/connectors/oauth/{PROVIDER}/authorize", headers=owner.headers)
    assert_problem(missing, 409, "CONNECTOR_NOT_CONFIGURED")
    unknown = await client.get("/api/connectors/oauth/myspace/authorize", headers=owner.headers)
    assert_problem(unknown, 404, "CONNECTOR_NOT_AVAILABLE")


async def test_tokens_are_refreshed_before_expiry_and_the_newest_rotated_token_is_kept(client, state):
    owner = await register(client)
    with FakeQuickBooks(count=30) as fake, configured(state.settings, "quickbooks", fake):
        created = await connect(client, owner, "quickbooks", fake)
        connection_id = created["connection"]["id"]
        await wait_for_run(client, owner, connection_id, created["run_id"])
        first_refresh = next(token for token, valid in fake.refresh_tokens.items() if valid)
        async with state.db.session() as session:  # the access token is about to expire
            await session.execute(
                update(ConnectionCredential).values(access_expires_at=utcnow() + timedelta(seconds=30))
            )
        run = await sync_now(client, owner, connection_id)
        assert run["status"] == "completed", run
        assert fake.refresh_tokens[first_refresh] is False  # rotated away…
        newest = [token for token, valid in fake.refresh_tokens.items() if valid]
        assert len(newest) == 1
        fake.expire_access_tokens()  # a 401 mid-sync refreshes with the newest refresh token and retries
        assert (await sync_now(client, owner, connection_id))["status"] == "completed"
        async with state.db.session() as session:
            credential = (await session.execute(select(ConnectionCredential))).scalars().all()
        assert max(row.version for row in credential) >= 3


async def test_a_revoked_grant_marks_the_connection_error_and_raises_an_alert(client, state):
    owner = await register(client)
    with FakeQuickBooks(count=10) as fake, configured(state.settings, "quickbooks", fake):
        created = await connect(client, owner, "quickbooks", fake)
        connection_id = created["connection"]["id"]
        await wait_for_run(client, owner, connection_id, created["run_id"])
        fake.revoke_all_refresh_tokens()
        fake.expire_access_tokens()
        run = await sync_now(client, owner, connection_id)
    assert run["status"] == "failed"
    detail = (await client.get(f"/api/connectors/{connection_id}", headers=owner.headers)).json()
    assert detail["status"] == "error" and detail["last_error"]
    async with state.db.session() as session:
        alerts = (await session.execute(select(Event).where(Event.type == "connector.error"))).scalars().all()
        connection = await session.get(Connection, __import__("uuid").UUID(connection_id))
    assert any(alert.payload["connector_id"] == connection_id for alert in alerts)
    assert connection is not None and connection.status == "error"
    again = await client.post(f"/api/connectors/sync/{connection_id}", headers=owner.headers)
    assert_problem(again, 409, "CONFLICT")
