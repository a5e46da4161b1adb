"""HTTP layer for identity: thin handlers over `service`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.identity import service
from binelek.identity.resolver import bearer_token
from binelek.identity.schemas import (
    AcceptInvitationIn,
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    InvitationCreated,
    InvitationIn,
    InvitationOut,
    InvitationPreview,
    LoginIn,
    MemberOut,
    MemberUpdate,
    MeOut,
    MfaBackupCodesOut,
    MfaCodeIn,
    MfaEnrollOut,
    OrganizationOut,
    OrganizationUpdate,
    RefreshIn,
    RegisterIn,
    TokenPair,
)
from binelek.kit.auth import CurrentPrincipal, Principal, TenantSession, require
from binelek.kit.errors import ProblemError
from binelek.kit.pagination import Page, Paging, page_of
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, app_state, get_state

REFRESH_COOKIE = "binelek_refresh"
REFRESH_COOKIE_PATH = "/api/auth"

State = Annotated[AppState, Depends(get_state)]
Meta = Annotated[RequestMeta, Depends(request_meta)]


async def system_session(request: Request) -> AsyncIterator[AsyncSession]:
    """An unscoped unit of work, for the few flows that precede a tenant context (sign-in)."""
    async with app_state(request).db.session() as session:
        yield session


SystemSession = Annotated[AsyncSession, Depends(system_session, scope="function")]


def auth_rate_limit(endpoint: str):  # type: ignore[no-untyped-def]
    async def dependency(request: Request) -> None:
        ip = request.client.host if request.client else "unknown"
        await app_state(request).rate_limiter.check("auth", endpoint, ip)

    return Depends(dependency)


def _set_refresh_cookie(response: Response, state: AppState, issued: service.IssuedTokens) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        issued.pair.refresh_token,
        max_age=state.settings.refresh_token_days * 86400,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=state.settings.is_production,
    )


auth = APIRouter(prefix="/api/auth", tags=["auth"])


@auth.post("/register", status_code=status.HTTP_201_CREATED, dependencies=[auth_rate_limit("register")])
async def register(
    data: RegisterIn, response: Response, state: State, session: SystemSession, meta: Meta
) -> TokenPair:
    issued = await service.register(state, session, data, meta)
    _set_refresh_cookie(response, state, issued)
    return issued.pair


@auth.post("/login", dependencies=[auth_rate_limit("login")])
async def login(
    data: LoginIn, response: Response, state: State, session: SystemSession, meta: Meta
) -> TokenPair:
    issued = await service.login(state, session, data, meta)
    _set_refresh_cookie(response, state, issued)
    return issued.pair


@auth.post("/refresh")
async def refresh(
    request: Request,
    response: Response,
    state: State,
    session: SystemSession,
    meta: Meta,
    data: Annotated[RefreshIn | None, Body()] = None,
) -> TokenPair:
    token = (data.refresh_token if data else None) or request.cookies.get(REFRESH_COOKIE)
    issued = await service.refresh(state, session, token, meta)
    _set_refresh_cookie(response, state, issued)
    return issued.pair


@auth.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    request: Request,
    principal: CurrentPrincipal,
    state: State,
    session: TenantSession,
    meta: Meta,
    data: Annotated[RefreshIn | None, Body()] = None,
) -> Response:
    token = (data.refresh_token if data else None) or request.cookies.get(REFRESH_COOKIE)
    await service.logout(state, session, principal, token, meta)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH)
    return response


@auth.get("/me")
async def me(request: Request, principal: CurrentPrincipal, state: State) -> MeOut:
    return await service.me(state, principal, getattr(request.state, "user_access", None))


@auth.post("/mfa/enroll")
async def mfa_enroll(principal: CurrentPrincipal, state: State, session: TenantSession) -> MfaEnrollOut:
    return await service.mfa_enroll(state, session, principal)


@auth.post("/mfa/verify")
async def mfa_verify(
    data: MfaCodeIn, principal: CurrentPrincipal, state: State, session: TenantSession, meta: Meta
) -> MfaBackupCodesOut:
    return MfaBackupCodesOut(
        backup_codes=await service.mfa_verify(state, session, principal, data.code, meta)
    )


@auth.post("/mfa/disable", status_code=status.HTTP_204_NO_CONTENT, dependencies=[auth_rate_limit("mfa")])
async def mfa_disable(
    data: MfaCodeIn, principal: CurrentPrincipal, state: State, session: TenantSession, meta: Meta
) -> None:
    await service.mfa_disable(state, session, principal, data.code, meta)


@auth.get("/invitations/{token}")
async def preview_invitation(token: str, session: SystemSession) -> InvitationPreview:
    return await service.preview_invitation(session, token)


@auth.post("/accept-invitation", dependencies=[auth_rate_limit("accept-invitation")])
async def accept_invitation(
    data: AcceptInvitationIn,
    request: Request,
    response: Response,
    state: State,
    session: SystemSession,
    meta: Meta,
) -> TokenPair:
    issued = await service.accept_invitation(state, session, data, meta, await _optional_user(request, state))
    _set_refresh_cookie(response, state, issued)
    return issued.pair


async def _optional_user(request: Request, state: AppState) -> uuid.UUID | None:
    """The signed-in user, if a valid (and not logged-out) access token came with the request."""
    try:
        token = bearer_token(request)
        claims = state.tokens.decode_access(token) if token else None
    except ProblemError:
        return None
    if claims is None or await state.deny_list.is_denied(claims.jti):
        return None
    return claims.user_id


team = APIRouter(prefix="/api/team", tags=["team"])


@team.get("/members", dependencies=[Depends(require("team:read"))])
async def list_members(session: TenantSession, paging: Paging) -> Page[MemberOut]:
    items, total = await service.list_members(session, paging)
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@team.patch("/members/{user_id}")
async def update_member(
    user_id: uuid.UUID,
    data: MemberUpdate,
    principal: Annotated[Principal, Depends(require("team:manage"))],
    state: State,
    session: TenantSession,
    meta: Meta,
) -> MemberOut:
    return await service.update_member(state, session, principal, user_id, data, meta)


@team.delete("/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    user_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("team:manage"))],
    state: State,
    session: TenantSession,
    meta: Meta,
) -> None:
    await service.remove_member(state, session, principal, user_id, meta)


@team.post("/invitations", status_code=status.HTTP_201_CREATED)
async def invite(
    data: InvitationIn,
    principal: Annotated[Principal, Depends(require("team:manage"))],
    state: State,
    session: TenantSession,
    meta: Meta,
) -> InvitationCreated:
    return await service.invite(state, session, principal, data, meta)


@team.get("/invitations", dependencies=[Depends(require("team:manage"))])
async def list_invitations(session: TenantSession, paging: Paging) -> Page[InvitationOut]:
    items, total = await service.list_invitations(session, paging)
    return page_of(InvitationOut, items, total, paging)


@team.delete("/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_invitation(
    invitation_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("team:manage"))],
    session: TenantSession,
    meta: Meta,
) -> None:
    await service.revoke_invitation(session, principal, invitation_id, meta)


organization = APIRouter(prefix="/api/organization", tags=["organization"])


@organization.get("")
async def get_organization(
    principal: Annotated[Principal, Depends(require("org:read"))], session: TenantSession
) -> OrganizationOut:
    return await service.get_organization(session, principal)


@organization.put("")
async def update_organization(
    data: OrganizationUpdate,
    principal: Annotated[Principal, Depends(require("org:manage"))],
    state: State,
    session: TenantSession,
    meta: Meta,
) -> OrganizationOut:
    return await service.update_organization(state, session, principal, data, meta)


api_keys = APIRouter(prefix="/api/api-keys", tags=["api-keys"])


@api_keys.post("", status_code=status.HTTP_201_CREATED)
async def create_api_key(
    data: ApiKeyIn,
    principal: Annotated[Principal, Depends(require("api_keys:manage"))],
    session: TenantSession,
    meta: Meta,
) -> ApiKeyCreated:
    return await service.create_api_key(session, principal, data, meta)


@api_keys.get("", dependencies=[Depends(require("api_keys:read"))])
async def list_api_keys(session: TenantSession, paging: Paging) -> Page[ApiKeyOut]:
    items, total = await service.list_api_keys(session, paging)
    return page_of(ApiKeyOut, items, total, paging)


@api_keys.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_key(
    key_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("api_keys:manage"))],
    session: TenantSession,
    meta: Meta,
) -> None:
    await service.revoke_api_key(session, principal, key_id, meta)


routers = (auth, team, organization, api_keys)
