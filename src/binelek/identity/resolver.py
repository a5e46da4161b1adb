"""Turns `Authorization` and `X-Tenant-ID` into a Principal: the gateway's auth and tenant context."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from fastapi import Request
from sqlalchemy import update

from binelek.identity import repository as repo
from binelek.identity.access import AccessDirectory, UserAccess
from binelek.identity.models import ApiKey
from binelek.identity.service import API_KEY_PREFIX
from binelek.kit import crypto
from binelek.kit.auth import Principal
from binelek.kit.db import utcnow
from binelek.kit.errors import InvalidToken, NotAuthenticated, ProblemError, TenantAccessDenied
from binelek.kit.state import AppState

TENANT_HEADER = "x-tenant-id"
# Paths an admin who must still enrol in MFA can reach.
MFA_ENROLMENT_PATHS = ("/api/auth/",)
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("Use 'Authorization: Bearer <token>'.")
    return token.strip()


def requested_tenant(request: Request) -> uuid.UUID | None:
    raw = request.headers.get(TENANT_HEADER)
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise TenantAccessDenied("X-Tenant-ID is not an organization you belong to.") from None


class IdentityResolver:
    def __init__(self, state: AppState) -> None:
        self.state = state

    async def resolve(self, request: Request) -> Principal:
        token = bearer_token(request)
        if token is None:
            raise NotAuthenticated("Sign in first (missing bearer token).")
        principal = (
            await self._from_api_key(token, request)
            if token.startswith(API_KEY_PREFIX)
            else await self._from_access_token(token, request)
        )
        await self.state.rate_limiter.check("api", str(principal.actor_id), str(principal.tenant_id))
        return principal

    async def _from_access_token(self, token: str, request: Request) -> Principal:
        claims = self.state.tokens.decode_access(token)
        tenant_id = requested_tenant(request) or claims.tenant_id
        denied, access = await self._denied_and_access(claims.jti, claims.user_id)
        if denied:
            raise InvalidToken("This access token was revoked.")
        request.state.user_access = access  # handlers describing the caller reuse it
        if access is None or not access.is_active:
            raise InvalidToken("The account is disabled.")
        membership = access.in_tenant(tenant_id)
        if membership is None:
            raise TenantAccessDenied("You are not a member of this organization.")
        if (
            membership.role == "admin"
            and membership.require_mfa_for_admins
            and not access.mfa_enabled
            and not request.url.path.startswith(MFA_ENROLMENT_PATHS)
        ):
            raise ProblemError(
                "This organization requires admins to use multi-factor authentication; enable it first.",
                status=403,
                code="MFA_ENROLLMENT_REQUIRED",
            )
        return Principal(
            tenant_id=membership.tenant_id,
            tenant_name=membership.tenant_name,
            role=membership.role,
            plan=membership.plan,
            modules=membership.modules,
            user_id=access.user_id,
            email=access.email,
            jti=claims.jti,
            session_id=claims.session_id,
            token_expires_at=claims.expires_at,
            module_roles=membership.module_roles,
        )

    async def _denied_and_access(self, jti: str, user_id: uuid.UUID) -> tuple[bool, UserAccess | None]:
        directory = AccessDirectory.of(self.state)
        if self.state.redis is None:  # both in memory: two tasks would cost more than they save
            return await self.state.deny_list.is_denied(jti), await directory.get(user_id)
        # Both are a Redis round trip in production: run them side by side.
        return await asyncio.gather(self.state.deny_list.is_denied(jti), directory.get(user_id))

    async def _from_api_key(self, token: str, request: Request) -> Principal:
        async with self.state.db.session() as session:
            context = await repo.api_key_context(session, crypto.token_digest(token))
            if context is None:
                raise InvalidToken("The API key is not valid.")
            api_key, tenant = context
            requested = requested_tenant(request)
            if requested is not None and requested != tenant.id:
                raise TenantAccessDenied("This API key belongs to another organization.")
            now = utcnow()
            if api_key.last_used_at is None or now - api_key.last_used_at > API_KEY_TOUCH_INTERVAL:
                await session.execute(update(ApiKey).where(ApiKey.id == api_key.id).values(last_used_at=now))
        return Principal(
            tenant_id=tenant.id,
            tenant_name=tenant.name,
            role=api_key.role,
            plan=tenant.plan,
            modules=tuple(tenant.modules),
            api_key_id=api_key.id,
        )
