"""What the gateway needs to know about a user on every request — memberships, roles, tenant
modules, MFA state — cached per user so an authenticated request costs no database round trip.

Every change that affects it invalidates it after commit (see `kit.cache` for why that is safe).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.identity import repository as repo
from binelek.identity.models import Membership
from binelek.kit.cache import JsonCache
from binelek.kit.db import Database, after_commit
from binelek.kit.state import AppState


@dataclass(frozen=True, slots=True)
class TenantAccess:
    tenant_id: uuid.UUID
    tenant_name: str
    plan: str
    modules: tuple[str, ...]
    require_mfa_for_admins: bool
    role: str
    module_roles: dict[str, str]


@dataclass(frozen=True, slots=True)
class UserAccess:
    user_id: uuid.UUID
    email: str
    full_name: str
    is_active: bool
    mfa_enabled: bool
    tenants: tuple[TenantAccess, ...]  # in the order the user joined them

    def in_tenant(self, tenant_id: uuid.UUID) -> TenantAccess | None:
        return next((access for access in self.tenants if access.tenant_id == tenant_id), None)


def _key(user_id: uuid.UUID) -> str:
    return f"user-access:{user_id}"


def _to_json(access: UserAccess) -> dict[str, Any]:
    return {
        "user_id": str(access.user_id),
        "email": access.email,
        "full_name": access.full_name,
        "is_active": access.is_active,
        "mfa_enabled": access.mfa_enabled,
        "tenants": [
            {
                **{
                    k: getattr(t, k)
                    for k in ("tenant_name", "plan", "require_mfa_for_admins", "role", "module_roles")
                },
                "tenant_id": str(t.tenant_id),
                "modules": list(t.modules),
            }
            for t in access.tenants
        ],
    }


def _from_json(data: dict[str, Any]) -> UserAccess:
    return UserAccess(
        user_id=uuid.UUID(data["user_id"]),
        email=data["email"],
        full_name=data["full_name"],
        is_active=data["is_active"],
        mfa_enabled=data["mfa_enabled"],
        tenants=tuple(
            TenantAccess(**{**t, "tenant_id": uuid.UUID(t["tenant_id"]), "modules": tuple(t["modules"])})
            for t in data["tenants"]
        ),
    )


class AccessDirectory:
    def __init__(self, db: Database, cache: JsonCache) -> None:
        self._db = db
        self._cache = cache

    @classmethod
    def of(cls, state: AppState) -> AccessDirectory:
        return cls(state.db, state.cache)

    async def get(self, user_id: uuid.UUID) -> UserAccess | None:
        cached = await self._cache.get(_key(user_id))
        if cached is not None:
            return _from_json(cached)
        async with self._db.session() as session:
            access = await load(session, user_id)
        if access is not None:
            await self._cache.set(_key(user_id), _to_json(access))
        return access

    def invalidate_user_after_commit(self, session: AsyncSession, *user_ids: uuid.UUID) -> None:
        keys = [_key(user_id) for user_id in user_ids]

        async def invalidate() -> None:
            await self._cache.invalidate(*keys)

        after_commit(session, invalidate)

    async def invalidate_tenant_after_commit(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        statement = select(Membership.user_id).where(Membership.tenant_id == tenant_id)
        member_ids = (await session.execute(statement)).scalars().all()
        self.invalidate_user_after_commit(session, *member_ids)


async def load(session: AsyncSession, user_id: uuid.UUID) -> UserAccess | None:
    user = await repo.user_by_id(session, user_id)
    if user is None:
        return None
    tenants = tuple(
        TenantAccess(
            tenant_id=tenant.id,
            tenant_name=tenant.name,
            plan=tenant.plan,
            modules=tuple(tenant.modules),
            require_mfa_for_admins=bool(tenant.settings.get("require_mfa_for_admins", False)),
            role=membership.role,
            module_roles=dict(membership.module_roles),
        )
        for membership, tenant in await repo.memberships_of(session, user_id)
    )
    return UserAccess(
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        is_active=user.is_active,
        mfa_enabled=user.mfa_enabled,
        tenants=tenants,
    )
