"""Connecting a provider account: the OAuth authorization-code flow (Authlib) and key connections.

The state sent to the provider is random, stored only as its SHA-256, bound to the user and tenant
that started the flow, valid for ten minutes and spent by the first callback that presents it
(reused, foreign or expired states are refused the same way). With PKCE the verifier stays on the
server, encrypted, next to the state. The redirect URI is fixed per provider, so the one sent to the
token endpoint is always the one the user authorized.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.integrations.httpx_client import OAuthError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.audit import service as audit
from binelek.connectors import credentials
from binelek.connectors.adapters import adapter_for
from binelek.connectors.adapters.base import Adapter, ConnectionContext, SignatureInvalid
from binelek.connectors.api_client import ApiClient, ProviderError, redirect_origin
from binelek.connectors.credentials import OAuthClientConfig, Tokens
from binelek.connectors.models import Connection, OAuthState, SyncRun
from binelek.connectors.providers import BY_ID, KEY_FIELDS
from binelek.kit.auth import Principal
from binelek.kit.crypto import Encryptor
from binelek.kit.db import Database, utcnow
from binelek.kit.errors import ProblemError, ResourceNotFound, ValidationFailed
from binelek.kit.request_meta import RequestMeta
from binelek.kit.settings import Settings
from binelek.plans import service as plans

STATE_LIFETIME = timedelta(minutes=10)
PROVIDER_TIMEOUT_SECONDS = 30.0

# What a user may put into a provider URL, per placeholder of the specs' URL templates.
_SHOP = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
ZOHO_ACCOUNTS_DOMAINS = frozenset(
    {
        "accounts.zoho.com",
        "accounts.zoho.eu",
        "accounts.zoho.in",
        "accounts.zoho.com.au",
        "accounts.zoho.jp",
        "accounts.zoho.uk",
        "accounts.zoho.ca",
        "accounts.zohocloud.ca",
        "accounts.zoho.sa",
    }
)
_AZURE_TENANT = re.compile(r"^(common|organizations|consumers|[0-9a-f-]{36}|[a-z0-9.-]+\.[a-z]{2,})$")


class ConnectorNotAvailable(ProblemError):
    status, code = 404, "CONNECTOR_NOT_AVAILABLE"


class ConnectorNotConfigured(ProblemError):
    status, code = 409, "CONNECTOR_NOT_CONFIGURED"


class OAuthStateInvalid(ProblemError):
    status, code = 400, "OAUTH_STATE_INVALID"


class OAuthExchangeFailed(ProblemError):
    status, code = 400, "OAUTH_EXCHANGE_FAILED"


class CredentialsRejected(ProblemError):
    status, code = 400, "CONNECTOR_CREDENTIALS_INVALID"


def _adapter(provider: str) -> Adapter:
    adapter = adapter_for(provider) if provider in BY_ID else None
    if adapter is None:
        raise ConnectorNotAvailable(f"There is no connector called {provider!r}.")
    return adapter


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def redirect_uri(settings: Settings, provider: str) -> str:
    return f"{settings.public_url.rstrip('/')}/connectors/oauth/{provider}/callback"


def account_config(provider: str, extras: Mapping[str, str | None]) -> dict[str, Any]:
    """The connection's config from what the user typed (shop name, Zoho region, Azure tenant),
    validated: these go into provider URLs."""
    spec = BY_ID[provider]
    templates = " ".join(url for url in (spec.authorize_url, spec.token_url) if url)
    config: dict[str, Any] = {}
    if "{shop}" in templates or provider == "shopify":
        shop = (extras.get("shop") or "").strip().lower().removesuffix(".myshopify.com")
        if not _SHOP.match(shop):
            raise ValidationFailed("Give the shop's name, as in <name>.myshopify.com.", field="shop")
        config["shop"] = shop
    if "{accounts_domain}" in templates:
        domain = (extras.get("accounts_domain") or "accounts.zoho.com").strip().lower()
        if domain not in ZOHO_ACCOUNTS_DOMAINS:
            raise ValidationFailed("Unknown Zoho accounts domain.", field="accounts_domain")
        config["accounts_domain"] = domain
    if "{tenant}" in templates:
        tenant = (extras.get("tenant") or "common").strip().lower()
        if not _AZURE_TENANT.match(tenant):
            raise ValidationFailed("Give a Microsoft Entra tenant id or domain, or 'common'.", field="tenant")
        config["tenant"] = tenant
    return config


# -- OAuth ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Authorization:
    url: str
    state: str
    expires_in: int


async def authorize(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    encryptor: Encryptor,
    provider: str,
    extras: Mapping[str, str | None],
    name: str | None,
) -> Authorization:
    adapter = _adapter(provider)
    spec = adapter.spec
    if spec.auth != "oauth2" or spec.authorize_url is None:
        raise ConnectorNotAvailable(f"{spec.name} connects with a key, not OAuth.")
    client = OAuthClientConfig.of(settings, provider)
    if client is None:
        raise ConnectorNotConfigured(
            f"No OAuth app is configured for {spec.name}; an administrator sets CONNECTOR_CLIENTS."
        )
    # Checked before the consent page too, so nobody authorizes an app that cannot be connected.
    await plans.require_room(session, principal.tenant_id, "connectors")
    config = account_config(provider, extras)
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64) if spec.pkce else None
    callback = redirect_uri(settings, provider)
    session.add(
        OAuthState(
            tenant_id=principal.tenant_id,
            user_id=principal.user_id,
            provider=provider,
            state_digest=_digest(state),
            verifier_encrypted=encryptor.encrypt(verifier) if verifier else None,
            redirect_uri=callback,
            config=config,
            name=name,
            expires_at=utcnow() + STATE_LIFETIME,
        )
    )
    params: dict[str, Any] = {"scope": " ".join(spec.scopes), **adapter.authorize_params(config)}
    url = redirect_origin(
        credentials.fill(spec.authorize_url, config), settings.connector_endpoints.get(provider)
    )
    async with credentials.oauth_client(adapter, client, redirect_uri=callback) as oauth:
        authorization_url, _ = oauth.create_authorization_url(
            url, state=state, code_verifier=verifier, **params
        )
    return Authorization(str(authorization_url), state, int(STATE_LIFETIME.total_seconds()))


async def _spend_state(db: Database, principal: Principal, provider: str, state: str) -> OAuthState:
    """The pending authorization for this state, marked used in its own committed transaction so a
    failed exchange cannot be retried with it."""
    async with db.session(principal.tenant_id) as session:
        pending = (
            await session.execute(select(OAuthState).where(OAuthState.state_digest == _digest(state)))
        ).scalar_one_or_none()
        refused = OAuthStateInvalid("The authorization is unknown, expired or already used; start again.")
        if pending is None or pending.provider != provider or pending.user_id != principal.user_id:
            raise refused
        if pending.expires_at <= utcnow():
            raise refused
        spent = await session.execute(
            update(OAuthState)
            .where(OAuthState.id == pending.id, OAuthState.used_at.is_(None))
            .values(used_at=utcnow())
        )
        if getattr(spent, "rowcount", 0) != 1:
            raise refused
        return pending


async def complete(
    db: Database,
    principal: Principal,
    settings: Settings,
    encryptor: Encryptor,
    provider: str,
    code: str,
    state: str,
    extras: Mapping[str, str],
    meta: RequestMeta,
) -> tuple[Connection, SyncRun]:
    """Exchange the code, store the tokens and queue the first full sync."""
    adapter = _adapter(provider)
    client = OAuthClientConfig.of(settings, provider)
    if client is None:
        raise ConnectorNotConfigured(f"No OAuth app is configured for {adapter.spec.name}.")
    pending = await _spend_state(db, principal, provider, state)
    try:
        # all the redirect's parameters: Shopify's hmac covers code and state too
        adapter.check_callback({"code": code, "state": state, **extras}, client.client_secret)
    except SignatureInvalid as exc:
        raise OAuthStateInvalid(f"The provider's redirect does not verify: {exc}") from None
    returned_shop = (extras.get("shop") or "").lower().removesuffix(".myshopify.com")
    if "shop" in pending.config and returned_shop and returned_shop != pending.config["shop"]:
        raise OAuthStateInvalid("The provider answered for another shop than the one authorized.")
    config = {**pending.config, **_callback_config(extras)}
    verifier = encryptor.decrypt(pending.verifier_encrypted) if pending.verifier_encrypted else None
    if adapter.spec.pkce and verifier is None:
        raise OAuthStateInvalid("The authorization has no PKCE verifier; start again.")
    token = await _exchange(adapter, client, settings, config, code, pending.redirect_uri, verifier)
    async with httpx.AsyncClient(timeout=PROVIDER_TIMEOUT_SECONDS) as http:
        api = ApiClient(http, origin=settings.connector_endpoints.get(provider))
        try:
            config = await adapter.after_token(api, token, config)
        except ProviderError as exc:
            raise OAuthExchangeFailed(f"{adapter.spec.name} refused the new connection: {exc}") from None
    tokens = Tokens.from_token_response(token)
    name = pending.name or _default_name(adapter, config)
    return await _save_connection(db, principal, encryptor, adapter, name, config, "oauth2", tokens, meta)


def _callback_config(extras: Mapping[str, str]) -> dict[str, Any]:
    """Account identifiers a provider adds to the redirect."""
    config: dict[str, Any] = {}
    if extras.get("realmId"):
        config["realm_id"] = extras["realmId"]
    server = urlsplit(extras.get("accounts-server") or "").hostname
    if server:
        # Zoho: the user's data centre, where the code must be exchanged (check_callback vetted it).
        config["accounts_domain"] = server
    return config


async def _exchange(
    adapter: Adapter,
    client: OAuthClientConfig,
    settings: Settings,
    config: Mapping[str, Any],
    code: str,
    callback: str,
    verifier: str | None,
) -> dict[str, Any]:
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": callback}
    if verifier:
        grant["code_verifier"] = verifier
    try:
        token = await credentials.request_token(
            adapter, client, credentials.token_url(adapter, settings, config), grant
        )
    except OAuthError as exc:
        raise OAuthExchangeFailed(
            f"{adapter.spec.name} did not accept the authorization: {exc.error}"
            + (f" ({exc.description})" if exc.description else "")
        ) from None
    except httpx.HTTPError as exc:
        raise OAuthExchangeFailed(f"{adapter.spec.name} could not be reached: {type(exc).__name__}") from None
    if not token.get("access_token"):
        raise OAuthExchangeFailed(f"{adapter.spec.name} answered without an access token.")
    return dict(token)


def _default_name(adapter: Adapter, config: Mapping[str, Any]) -> str:
    account = config.get("shop") or config.get("account_name") or config.get("realm_id")
    return f"{adapter.spec.name} ({account})" if account else adapter.spec.name


async def _save_connection(
    db: Database,
    principal: Principal,
    encryptor: Encryptor,
    adapter: Adapter,
    name: str,
    config: dict[str, Any],
    kind: str,
    tokens: Tokens,
    meta: RequestMeta,
) -> tuple[Connection, SyncRun]:
    async with db.session(principal.tenant_id) as session:
        await plans.require_room(session, principal.tenant_id, "connectors")
        connection = Connection(
            tenant_id=principal.tenant_id,
            type=adapter.spec.id,
            name=name[:200],
            config=config,
            created_by=principal.user_id,
        )
        session.add(connection)
        await session.flush()
        credentials.store(session, encryptor, connection, kind, tokens)
        run = SyncRun(
            tenant_id=principal.tenant_id, connection_id=connection.id, trigger="initial", streams=[]
        )
        session.add(run)
        audit.record_for(
            session,
            principal,
            "connectors.connection.created",
            meta,
            connection_id=str(connection.id),
            connection_type=adapter.spec.id,
            auth=kind,
        )
        await session.flush()
    return connection, run


# -- keys ----------------------------------------------------------------------------------------


async def connect_with_key(
    db: Database,
    principal: Principal,
    settings: Settings,
    encryptor: Encryptor,
    provider: str,
    name: str | None,
    given: Mapping[str, str],
    webhook_secret: str | None,
    meta: RequestMeta,
) -> tuple[Connection, SyncRun]:
    adapter = _adapter(provider)
    fields = KEY_FIELDS.get(provider)
    if fields is None:
        raise ValidationFailed(
            f"{adapter.spec.name} connects through OAuth; use the authorize endpoint.", field="type"
        )
    missing = [field for field in fields if not (given.get(field) or "").strip()]
    if missing:
        raise ValidationFailed(f"credentials need {', '.join(missing)}.", field="credentials")
    async with db.session(principal.tenant_id) as session:  # before the key is tried at the provider
        await plans.require_room(session, principal.tenant_id, "connectors")
    secret_field = fields[-1]
    config = account_config(provider, given) if provider == "shopify" else {}
    context = ConnectionContext(config=config, access_token=given[secret_field].strip())
    async with httpx.AsyncClient(timeout=PROVIDER_TIMEOUT_SECONDS) as http:
        api = ApiClient(
            http,
            origin=settings.connector_endpoints.get(provider),
            headers=lambda: adapter.auth_headers(context),
        )
        try:
            await adapter.check(api, context)
        except ProviderError as exc:
            if exc.status in (401, 403):
                raise CredentialsRejected(f"{adapter.spec.name} refused the key.") from None
            raise CredentialsRejected(f"{adapter.spec.name} could not check the key: {exc}") from None
    tokens = Tokens(access_token=context.access_token, webhook_secret=(webhook_secret or "").strip() or None)
    return await _save_connection(
        db,
        principal,
        encryptor,
        adapter,
        name or _default_name(adapter, config),
        config,
        "api_key",
        tokens,
        meta,
    )


async def revoke_and_purge(
    db: Database, settings: Settings, encryptor: Encryptor, tenant_id: uuid.UUID, connection_id: uuid.UUID
) -> bool:
    """Revoke the grant at the provider where it supports that (best effort) and delete the stored
    credentials; returns whether the provider confirmed the revocation."""
    async with db.session(tenant_id) as session:
        connection = await session.get(Connection, connection_id)
        if connection is None:
            raise ResourceNotFound("The connection does not exist.")
        tokens = await credentials.load(session, encryptor, connection_id)
        adapter = adapter_for(connection.type)
        config = dict(connection.config or {})
    revoked = False
    if tokens is not None and adapter is not None:
        client = OAuthClientConfig.of(settings, connection.type)
        context = ConnectionContext(config=config, access_token=tokens.access_token)
        client_fields = (
            {
                "client_id": client.client_id,
                "client_secret": client.client_secret,
                "refresh_token": tokens.refresh_token or "",
            }
            if client
            else {"refresh_token": tokens.refresh_token or ""}
        )
        async with httpx.AsyncClient(timeout=PROVIDER_TIMEOUT_SECONDS) as http:
            api = ApiClient(
                http,
                origin=settings.connector_endpoints.get(connection.type),
                headers=lambda: adapter.auth_headers(context),
            )
            try:
                await adapter.revoke(api, context, client_fields)
                revoked = True
            except (ProviderError, httpx.HTTPError):
                revoked = False
    async with db.session(tenant_id) as session:
        credential = await credentials.credential_of(session, connection_id)
        if credential is not None:
            await session.delete(credential)
    return revoked
