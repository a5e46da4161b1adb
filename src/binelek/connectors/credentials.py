"""A connection's tokens: encrypted at rest, refreshed before they expire, one refresh at a time.

Tokens live in `connection_credentials` as one Fernet-encrypted JSON document. A refresh happens under
a per-connection lock — an asyncio lock in the process and a row lock in the database (PostgreSQL
`SELECT … FOR UPDATE`; SQLite serialises writers) — and re-reads the row first, so two workers never
spend the same rotating refresh token: the second finds the first one's new tokens and uses them.
A refresh token the provider no longer accepts (`invalid_grant`) marks the connection `error`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakValueDictionary

import httpx
import structlog
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.audit import service as audit
from binelek.connectors.adapters.base import Adapter
from binelek.connectors.api_client import ProviderError, redirect_origin
from binelek.connectors.models import Connection, ConnectionCredential
from binelek.kit import outbox
from binelek.kit.crypto import Encryptor
from binelek.kit.db import Database, utcnow
from binelek.kit.settings import Settings

log = structlog.get_logger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)
TOKEN_TIMEOUT_SECONDS = 30.0  # refresh this long before the access token expires
_locks: WeakValueDictionary[uuid.UUID, asyncio.Lock] = WeakValueDictionary()


class ConnectionNeedsReauthorization(Exception):
    """The provider refused the refresh token; the user must connect again."""


@dataclass(frozen=True, slots=True)
class OAuthClientConfig:
    client_id: str
    client_secret: str
    webhook_secret: str

    @classmethod
    def of(cls, settings: Settings, provider: str) -> OAuthClientConfig | None:
        entry = settings.connector_clients.get(provider)
        if not entry or not entry.get("client_id") or not entry.get("client_secret"):
            return None
        secret = entry["client_secret"]
        return cls(entry["client_id"], secret, entry.get("webhook_secret") or secret)


@dataclass(slots=True)
class Tokens:
    access_token: str
    refresh_token: str | None = None
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scope: str | None = None
    webhook_secret: str | None = None  # the connection's own webhook signing secret, if it has one

    @classmethod
    def from_token_response(cls, token: Mapping[str, Any], previous: Tokens | None = None) -> Tokens:
        """Tokens from a token endpoint's answer; a refresh answer without a refresh token keeps the
        old one, and a rotated one always replaces it."""
        now = utcnow()
        expires_in = _seconds(token.get("expires_in")) or _seconds_until(token.get("expires_at"), now)
        refresh_in = _seconds(
            token.get("refresh_token_expires_in") or token.get("x_refresh_token_expires_in")
        )
        refresh = token.get("refresh_token") or (previous.refresh_token if previous else None)
        return cls(
            access_token=str(token["access_token"]),
            refresh_token=str(refresh) if refresh else None,
            access_expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
            refresh_expires_at=(
                now + timedelta(seconds=refresh_in)
                if refresh_in
                else previous.refresh_expires_at
                if previous and not token.get("refresh_token")
                else None
            ),
            # RFC 6749 §5.1: a refresh answer without `scope` keeps the scope granted before.
            scope=str(token["scope"]) if token.get("scope") else (previous.scope if previous else None),
        )

    def needs_refresh(self) -> bool:
        if self.refresh_token is None or self.access_expires_at is None:
            return False
        return self.access_expires_at - REFRESH_MARGIN <= utcnow()


def _seconds_until(moment: Any, now: datetime) -> int | None:
    """Square answers with the expiry moment (`expires_at`, RFC 3339) instead of a lifetime."""
    if not isinstance(moment, str):
        return None
    try:
        expires = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return None
    if expires.tzinfo is None:
        return None
    return max(int((expires - now).total_seconds()), 0)


def _seconds(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


# -- storage ------------------------------------------------------------------------------------


def store(
    session: AsyncSession, encryptor: Encryptor, connection: Connection, kind: str, tokens: Tokens
) -> ConnectionCredential:
    credential = ConnectionCredential(
        connection_id=connection.id,
        tenant_id=connection.tenant_id,
        kind=kind,
        secret_encrypted=_seal(encryptor, tokens),
        access_expires_at=tokens.access_expires_at,
        refresh_expires_at=tokens.refresh_expires_at,
        version=1,
    )
    session.add(credential)
    return credential


def _seal(encryptor: Encryptor, tokens: Tokens) -> str:
    document = {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "scope": tokens.scope,
        "webhook_secret": tokens.webhook_secret,
    }
    return encryptor.encrypt(json.dumps(document))


def unseal(encryptor: Encryptor, credential: ConnectionCredential) -> Tokens:
    document = json.loads(encryptor.decrypt(credential.secret_encrypted))
    return Tokens(
        access_token=document["access_token"],
        refresh_token=document.get("refresh_token"),
        access_expires_at=credential.access_expires_at,
        refresh_expires_at=credential.refresh_expires_at,
        scope=document.get("scope"),
        webhook_secret=document.get("webhook_secret"),
    )


async def credential_of(session: AsyncSession, connection_id: uuid.UUID) -> ConnectionCredential | None:
    statement = select(ConnectionCredential).where(ConnectionCredential.connection_id == connection_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def load(session: AsyncSession, encryptor: Encryptor, connection_id: uuid.UUID) -> Tokens | None:
    credential = await credential_of(session, connection_id)
    return unseal(encryptor, credential) if credential is not None else None


# -- OAuth client -------------------------------------------------------------------------------


def oauth_client(
    adapter: Adapter, client: OAuthClientConfig, *, redirect_uri: str | None = None
) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=client.client_id,
        client_secret=client.client_secret,
        token_endpoint_auth_method=adapter.token_auth,
        redirect_uri=redirect_uri,
        code_challenge_method="S256" if adapter.spec.pkce else None,
        timeout=TOKEN_TIMEOUT_SECONDS,
    )


async def request_token(
    adapter: Adapter, client: OAuthClientConfig, url: str, grant: Mapping[str, str]
) -> dict[str, Any]:
    """A token request (authorization_code or refresh_token); raises Authlib's OAuthError with the
    provider's error code. Providers whose token endpoint takes JSON (Shopify) are called directly."""
    if not adapter.token_json:
        async with oauth_client(adapter, client, redirect_uri=grant.get("redirect_uri")) as oauth:
            if grant.get("grant_type") == "refresh_token":
                return dict(await oauth.refresh_token(url, refresh_token=grant["refresh_token"]))
            return dict(await oauth.fetch_token(url, **grant))
    body = {"client_id": client.client_id, "client_secret": client.client_secret, **grant}
    async with httpx.AsyncClient(timeout=TOKEN_TIMEOUT_SECONDS) as http:
        response = await http.post(url, json=body, headers={"Accept": "application/json"})
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code >= 400 or not isinstance(answer, dict) or "error" in answer:
        error = answer.get("error") if isinstance(answer, dict) else None
        description = answer.get("error_description") if isinstance(answer, dict) else None
        raise OAuthError(error=str(error or f"http_{response.status_code}"), description=description)
    return answer


def token_url(adapter: Adapter, settings: Settings, config: Mapping[str, Any]) -> str:
    assert adapter.spec.token_url is not None
    url = adapter.spec.token_url.format_map(_Placeholders(config))
    return redirect_origin(url, settings.connector_endpoints.get(adapter.spec.id))


class _Placeholders(dict[str, Any]):
    """URL templates' values from the connection's config; a missing one stays visible."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, config: Mapping[str, Any]) -> str:
    return template.format_map(_Placeholders(config))


# -- refreshing ---------------------------------------------------------------------------------


class TokenKeeper:
    """The access token a sync uses, refreshed when it is about to expire or the provider says 401."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        encryptor: Encryptor,
        adapter: Adapter,
        connection: Connection,
        tokens: Tokens,
    ) -> None:
        self.db = db
        self.settings = settings
        self.encryptor = encryptor
        self.adapter = adapter
        self.connection_id = connection.id
        self.tenant_id = connection.tenant_id
        self.config = dict(connection.config or {})
        self.tokens = tokens

    @property
    def access_token(self) -> str:
        return self.tokens.access_token

    async def ensure_fresh(self) -> None:
        if self.tokens.needs_refresh():
            await self.refresh(force=False)

    async def on_unauthorized(self) -> bool:
        if self.tokens.refresh_token is None:
            return False
        await self.refresh(force=True)
        return True

    async def refresh(self, *, force: bool) -> None:
        lock = _locks.get(self.connection_id)
        if lock is None:
            lock = _locks[self.connection_id] = asyncio.Lock()
        async with lock:
            try:
                await self._refresh_locked(force)
            except _GrantRevoked as exc:
                # Outside the refresh transaction: it held the row (and, on SQLite, the database) lock.
                await mark_needs_reauthorization(
                    self.db, self.tenant_id, self.connection_id, "The provider no longer accepts the grant."
                )
                raise ConnectionNeedsReauthorization(str(exc)) from None

    async def _refresh_locked(self, force: bool) -> None:
        async with self.db.session(self.tenant_id) as session:
            credential = await _locked_credential(session, self.connection_id)
            if credential is None:
                raise ConnectionNeedsReauthorization("The connection's credentials were removed.")
            current = unseal(self.encryptor, credential)
            if current.access_token != self.tokens.access_token and not current.needs_refresh():
                self.tokens = current  # another worker refreshed while we waited
                return
            if not force and not current.needs_refresh():
                self.tokens = current
                return
            fresh = await self._exchange(current)
            fresh.webhook_secret = current.webhook_secret
            credential.secret_encrypted = _seal(self.encryptor, fresh)
            credential.access_expires_at = fresh.access_expires_at
            credential.refresh_expires_at = fresh.refresh_expires_at
            credential.version += 1
            self.tokens = fresh
        log.info("connector_token_refreshed", connection_id=str(self.connection_id))

    async def _exchange(self, current: Tokens) -> Tokens:
        client = OAuthClientConfig.of(self.settings, self.adapter.spec.id)
        if client is None or current.refresh_token is None:
            raise ConnectionNeedsReauthorization("No OAuth app is configured to refresh this connection.")
        try:
            answer = await request_token(
                self.adapter,
                client,
                token_url(self.adapter, self.settings, self.config),
                {"grant_type": "refresh_token", "refresh_token": current.refresh_token},
            )
        except OAuthError as exc:
            if exc.error == "invalid_grant":
                raise _GrantRevoked(exc.description or exc.error) from None
            raise ProviderError(400, f"token refresh failed: {exc.error}", code=exc.error) from None
        return Tokens.from_token_response(answer, previous=current)


class _GrantRevoked(Exception):
    pass


async def _locked_credential(session: AsyncSession, connection_id: uuid.UUID) -> ConnectionCredential | None:
    conn = await session.connection()
    if conn.dialect.name == "sqlite":
        # Take SQLite's write lock now, so two refreshes queue here rather than both reading.
        await session.execute(
            update(ConnectionCredential)
            .where(ConnectionCredential.connection_id == connection_id)
            .values(version=ConnectionCredential.version)
        )
        statement = select(ConnectionCredential).where(ConnectionCredential.connection_id == connection_id)
    else:
        statement = (
            select(ConnectionCredential)
            .where(ConnectionCredential.connection_id == connection_id)
            .with_for_update()
        )
    return (await session.execute(statement.execution_options(populate_existing=True))).scalar_one_or_none()


async def mark_needs_reauthorization(
    db: Database, tenant_id: uuid.UUID, connection_id: uuid.UUID, reason: str
) -> None:
    """The connection stops syncing until the user connects it again; admins are told through the
    audit log and a `connector.error` event (notifications and automations subscribe to it)."""
    async with db.session(tenant_id) as session:
        connection = await session.get(Connection, connection_id)
        if connection is None:
            return
        connection.status = "error"
        connection.last_error = reason
        audit.record(
            session,
            "connectors.connection.auth_failed",
            tenant_id=tenant_id,
            details={"connection_id": str(connection_id), "connection_type": connection.type},
        )
        outbox.emit(
            session,
            "connector.error",
            {"connector_id": str(connection_id), "connector_type": connection.type, "reason": reason},
            tenant_id,
        )
