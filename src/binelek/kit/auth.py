"""Who is calling, in which tenant, and what they may do.

Permissions are "<scope>:<action>". Module scopes map to the tenant's enabled modules, so a
disabled module answers MODULE_DISABLED before any permission is looked at. The identity domain
plugs in the resolver that turns a request into a `Principal`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.errors import ModuleDisabled, NotAuthenticated, PermissionDenied
from binelek.kit.state import AppState, app_state

MODULE_SCOPES = {
    "ops": "ops-copilot",
    "foundry": "mini-foundry",
    "security": "cybersecurity-scanner",
    "marketplace": "marketplace-intel",
}
# Scopes only an admin may change; members and viewers may at most read them.
ADMIN_SCOPES = {"team", "api_keys", "connectors", "ai_keys", "org", "audit", "webhooks"}
# Webhook endpoints carry signing secrets and see every event: only admins even read them.
ADMIN_ONLY_READ = {"api_keys", "audit", "ai_keys", "webhooks"}
ROLE_RANK = {"viewer": 0, "member": 1, "admin": 2}


def role_allows(role: str, scope: str, action: str) -> bool:
    if role == "admin":
        return True
    if scope in ADMIN_ONLY_READ:
        return False
    if action == "read" or (scope == "ai" and action == "use"):
        return role in ("member", "viewer")
    if scope in ADMIN_SCOPES:
        return False
    return role == "member"


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: uuid.UUID
    tenant_name: str
    role: str
    plan: str
    modules: tuple[str, ...]
    user_id: uuid.UUID | None = None
    email: str | None = None
    api_key_id: uuid.UUID | None = None
    jti: str | None = None
    session_id: uuid.UUID | None = None
    token_expires_at: int | None = None
    module_roles: dict[str, str] = field(default_factory=dict)

    @property
    def actor_id(self) -> uuid.UUID:
        """The user, or for a program the API key, that acts."""
        actor = self.user_id or self.api_key_id
        assert actor is not None
        return actor

    def module_enabled(self, scope: str) -> bool:
        module = MODULE_SCOPES.get(scope)
        return module is None or module in self.modules

    def can(self, permission: str) -> bool:
        scope, _, action = permission.partition(":")
        role = self.module_roles.get(scope, self.role)
        # A module override can narrow a role, never widen it past the tenant role.
        if ROLE_RANK.get(role, 0) > ROLE_RANK.get(self.role, 0):
            role = self.role
        return role_allows(role, scope, action)


class PrincipalResolver(Protocol):
    async def resolve(self, request: Request) -> Principal: ...


async def current_principal(request: Request) -> Principal:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    state = app_state(request)
    if state.principal_resolver is None:
        raise NotAuthenticated("Authentication is not available.")
    principal: Principal = await state.principal_resolver.resolve(request)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(permission: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency: the caller must hold `permission` in the current tenant."""
    scope = permission.partition(":")[0]

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.module_enabled(scope):
            raise ModuleDisabled(f"The {MODULE_SCOPES[scope]} module is not enabled for this organization.")
        if not principal.can(permission):
            raise PermissionDenied(f"Your role does not allow {permission}.")
        return principal

    dependency.__name__ = f"require_{permission.replace(':', '_')}"
    return dependency


async def tenant_session(request: Request, principal: CurrentPrincipal) -> AsyncIterator[AsyncSession]:
    """A unit of work scoped to the caller's tenant."""
    state: AppState = app_state(request)
    async with state.db.session(tenant_id=principal.tenant_id) as session:
        yield session


# scope="function": commit before the response goes out, so a failed commit is never reported as success.
TenantSession = Annotated[AsyncSession, Depends(tenant_session, scope="function")]
