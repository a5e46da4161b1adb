"""Identity queries. Users and refresh tokens are not tenant-owned (a user belongs to many
tenants), so these take explicit ids; tenant-owned rows go through TenantRepository."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.identity.models import (
    ApiKey,
    Invitation,
    Membership,
    RefreshToken,
    RevokedAccessToken,
    Tenant,
    User,
)
from binelek.kit.pagination import count
from binelek.kit.repository import TenantRepository


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def memberships_of(session: AsyncSession, user_id: uuid.UUID) -> list[tuple[Membership, Tenant]]:
    """All of a user's memberships across tenants (login, refresh, /me)."""
    statement = (
        select(Membership, Tenant)
        .join(Tenant, Tenant.id == Membership.tenant_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.created_at)
    )
    return [(row[0], row[1]) for row in (await session.execute(statement)).all()]


async def access_context(
    session: AsyncSession, user_id: uuid.UUID, tenant_id: uuid.UUID
) -> tuple[Membership, Tenant, User] | None:
    """The membership, tenant and user behind one authenticated request, in one query."""
    statement = (
        select(Membership, Tenant, User)
        .join(Tenant, Tenant.id == Membership.tenant_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.user_id == user_id, Membership.tenant_id == tenant_id)
    )
    row = (await session.execute(statement)).one_or_none()
    return (row[0], row[1], row[2]) if row else None


async def membership_of(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
    statement = select(Membership).where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
    membership: Membership | None = (await session.execute(statement)).scalar_one_or_none()
    return membership


async def unexpired_revoked_tokens(session: AsyncSession, now: int) -> list[RevokedAccessToken]:
    statement = select(RevokedAccessToken).where(RevokedAccessToken.expires_at > now)
    return list((await session.execute(statement)).scalars())


async def api_key_context(session: AsyncSession, key_hash: str) -> tuple[ApiKey, Tenant] | None:
    statement = (
        select(ApiKey, Tenant)
        .join(Tenant, Tenant.id == ApiKey.tenant_id)
        .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    )
    row = (await session.execute(statement)).one_or_none()
    return (row[0], row[1]) if row else None


async def refresh_token_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    statement = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
    return (await session.execute(statement)).scalar_one_or_none()


async def claim_refresh_token(session: AsyncSession, token_id: uuid.UUID, now: datetime) -> bool:
    """Mark a refresh token used; False when another request used it first."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None))
        .values(used_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_user_tokens_in_tenant(
    session: AsyncSession, user_id: uuid.UUID, tenant_id: uuid.UUID, now: datetime
) -> None:
    await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.user_id == user_id,
            RefreshToken.tenant_id == tenant_id,
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


async def invitation_by_hash(session: AsyncSession, token_hash: str) -> tuple[Invitation, Tenant] | None:
    statement = (
        select(Invitation, Tenant)
        .join(Tenant, Tenant.id == Invitation.tenant_id)
        .where(Invitation.token_hash == token_hash)
    )
    row = (await session.execute(statement)).one_or_none()
    return (row[0], row[1]) if row else None


class MembershipRepository(TenantRepository[Membership]):
    model = Membership
    not_found_message = "No such member in this organization."

    def members(self) -> Any:
        return (
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.tenant_id == self.tenant_id)
            .order_by(Membership.created_at)
        )

    async def of_user(self, user_id: uuid.UUID) -> Membership | None:
        statement = self.select().where(Membership.user_id == user_id)
        membership: Membership | None = (await self.session.execute(statement)).scalar_one_or_none()
        return membership

    async def count_admins(self) -> int:
        return await count(self.session, self.select().where(Membership.role == "admin"))


class InvitationRepository(TenantRepository[Invitation]):
    model = Invitation
    not_found_message = "No such invitation."

    def pending(self, now: datetime) -> Any:
        return (
            self.select()
            .where(
                Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now
            )
            .order_by(Invitation.created_at.desc())
        )


class ApiKeyRepository(TenantRepository[ApiKey]):
    model = ApiKey
    not_found_message = "No such API key."

    def active(self) -> Any:
        return self.select().where(ApiKey.revoked_at.is_(None)).order_by(ApiKey.created_at.desc())


async def tenant_plans(session: AsyncSession, tenant_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await session.execute(select(Tenant.id, Tenant.plan).where(Tenant.id.in_(tenant_ids)))
    return {tenant_id: plan for tenant_id, plan in rows}


async def seat_counts(session: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> tuple[int, int]:
    """(members, pending invitations) of a tenant: what its seats hold."""
    members = await session.scalar(
        select(func.count()).select_from(Membership).where(Membership.tenant_id == tenant_id)
    )
    pending = await session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(
            Invitation.tenant_id == tenant_id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
    )
    return int(members or 0), int(pending or 0)


async def all_tenants(session: AsyncSession) -> list[Tenant]:
    return list((await session.execute(select(Tenant).order_by(Tenant.created_at))).scalars())
