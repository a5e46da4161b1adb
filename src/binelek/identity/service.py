"""Identity business rules: accounts, sessions, MFA, teams, invitations, API keys, organization."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.audit import service as audit
from binelek.identity import repository as repo
from binelek.identity.access import AccessDirectory, UserAccess
from binelek.identity.models import (
    MODULES,
    ApiKey,
    Invitation,
    Membership,
    RefreshToken,
    RevokedAccessToken,
    Tenant,
    User,
)
from binelek.identity.schemas import (
    AcceptInvitationIn,
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    InvitationCreated,
    InvitationIn,
    InvitationPreview,
    LoginIn,
    MemberOut,
    MemberUpdate,
    MeOut,
    MfaEnrollOut,
    OrganizationOut,
    OrganizationUpdate,
    RegisterIn,
    TenantBrief,
    TenantRole,
    TokenPair,
    UserBrief,
)
from binelek.kit import crypto, outbox
from binelek.kit.auth import Principal
from binelek.kit.db import utcnow
from binelek.kit.errors import (
    Conflict,
    InvalidCredentials,
    InvalidToken,
    MfaRequired,
    PermissionDenied,
    ProblemError,
    ResourceNotFound,
    TokenExpired,
    ValidationFailed,
)
from binelek.kit.pagination import PageParams, paginate_rows
from binelek.kit.request_meta import RequestMeta
from binelek.kit.state import AppState
from binelek.plans import service as plans

log = structlog.get_logger(__name__)

API_KEY_PREFIX = "bnk_"
BACKUP_CODE_COUNT = 10
TOTP_ISSUER = "Binelek"


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    pair: TokenPair
    refresh_expires_at: datetime


# --- sessions ---------------------------------------------------------------------------------


async def issue_tokens(
    state: AppState,
    session: AsyncSession,
    user: User,
    tenant: Tenant,
    role: str,
    *,
    family_id: uuid.UUID | None = None,
) -> IssuedTokens:
    now = utcnow()
    refresh_token = crypto.new_token()
    family = family_id or uuid.uuid4()
    expires_at = now + timedelta(days=state.settings.refresh_token_days)
    session.add(
        RefreshToken(
            user_id=user.id,
            tenant_id=tenant.id,
            family_id=family,
            token_hash=crypto.token_digest(refresh_token),
            created_at=now,
            expires_at=expires_at,
        )
    )
    access_token, expires_in = state.tokens.issue_access(
        user_id=user.id, tenant_id=tenant.id, role=role, session_id=family
    )
    pair = TokenPair(
        access_token=access_token,
        refresh_token=refresh_token,
        expires_in=expires_in,
        user=UserBrief.model_validate(user),
        tenant=TenantBrief.model_validate(tenant),
    )
    return IssuedTokens(pair=pair, refresh_expires_at=expires_at)


async def register(
    state: AppState, session: AsyncSession, data: RegisterIn, meta: RequestMeta
) -> IssuedTokens:
    problem = crypto.password_problem(data.password, email=data.email)
    if problem:
        raise ValidationFailed(problem, field="password")
    if await repo.user_by_email(session, data.email) is not None:
        raise Conflict("An account with this e-mail address already exists.", code="EMAIL_TAKEN")
    password_hash = await asyncio.to_thread(crypto.hash_password, data.password)
    tenant = Tenant(name=data.company_name.strip(), industry=data.industry, size=data.company_size)
    user = User(email=data.email, full_name=data.full_name.strip(), password_hash=password_hash)
    session.add_all([tenant, user])
    await session.flush()
    session.add(Membership(tenant_id=tenant.id, user_id=user.id, role="admin"))
    user.last_login_at = utcnow()
    audit.record(
        session, "auth.register", tenant_id=tenant.id, meta=meta, user_id=user.id, actor_email=user.email
    )
    outbox.emit(session, "tenant.created", {"tenant_id": str(tenant.id), "name": tenant.name}, tenant.id)
    return await issue_tokens(state, session, user, tenant, "admin")


def _default_membership(memberships: list[tuple[Membership, Tenant]]) -> tuple[Membership, Tenant] | None:
    return memberships[0] if memberships else None


async def login(state: AppState, session: AsyncSession, data: LoginIn, meta: RequestMeta) -> IssuedTokens:
    await state.rate_limiter.check("auth", "login-account", data.email)
    user = await repo.user_by_email(session, data.email)
    valid = await asyncio.to_thread(
        crypto.verify_password, user.password_hash if user else None, data.password
    )
    rows = await repo.memberships_of(session, user.id) if user else []
    first = _default_membership(rows)
    if user is None or not valid or not user.is_active or first is None:
        audit.record(
            session,
            "auth.login_failed",
            tenant_id=first[1].id if first else None,
            meta=meta,
            user_id=user.id if user else None,
            actor_email=data.email,
            details={"reason": "credentials" if not valid else "inactive"},
        )
        await session.commit()  # keep the record although the request fails
        raise InvalidCredentials("The e-mail address or password is incorrect.")
    if user.mfa_enabled:
        await _check_second_factor(state, session, user, data.totp_code, meta, first[1].id)
    membership, tenant = first
    user.last_login_at = utcnow()
    if crypto.password_needs_rehash(user.password_hash or ""):
        user.password_hash = await asyncio.to_thread(crypto.hash_password, data.password)
    audit.record(
        session, "auth.login", tenant_id=tenant.id, meta=meta, user_id=user.id, actor_email=user.email
    )
    return await issue_tokens(state, session, user, tenant, membership.role)


async def _check_second_factor(
    state: AppState,
    session: AsyncSession,
    user: User,
    code: str | None,
    meta: RequestMeta,
    tenant_id: uuid.UUID,
) -> None:
    if not code:
        raise MfaRequired("Enter the code from your authenticator app.")
    if _verify_totp(state, user, code) or _consume_backup_code(user, code):
        return
    audit.record(
        session, "auth.mfa_failed", tenant_id=tenant_id, meta=meta, user_id=user.id, actor_email=user.email
    )
    # The failed attempt must be recorded even though the request fails.
    await session.commit()
    raise MfaRequired("The authentication code is not valid.")


def _verify_totp(state: AppState, user: User, code: str) -> bool:
    if not user.mfa_secret_encrypted:
        return False
    code = code.strip().replace(" ", "")
    if not code.isdigit():
        return False
    totp = pyotp.TOTP(state.encryptor.decrypt(user.mfa_secret_encrypted))
    now = utcnow()
    for drift in (0, -1, 1):
        at = now + timedelta(seconds=30 * drift)
        counter = totp.timecode(at)
        if secrets.compare_digest(totp.at(at), code):
            # RFC 6238 §5.2: a code is accepted once.
            if user.mfa_last_counter is not None and counter <= user.mfa_last_counter:
                return False
            user.mfa_last_counter = counter
            return True
    return False


def _consume_backup_code(user: User, code: str) -> bool:
    digest = crypto.token_digest(code.strip().replace("-", "").lower())
    remaining: list[str] = list(user.mfa_backup_code_hashes.get("codes", []))
    if digest not in remaining:
        return False
    remaining.remove(digest)
    user.mfa_backup_code_hashes = {"codes": remaining}
    return True


def second_factor_valid(state: AppState, user: User, code: str) -> bool:
    """A current TOTP code or an unused backup code (consumed), for re-confirming a grave action."""
    return _verify_totp(state, user, code) or _consume_backup_code(user, code)


async def refresh(
    state: AppState, session: AsyncSession, refresh_token: str | None, meta: RequestMeta
) -> IssuedTokens:
    if not refresh_token:
        raise InvalidToken("No refresh token was presented.")
    token = await repo.refresh_token_by_hash(session, crypto.token_digest(refresh_token))
    if token is None:
        raise InvalidToken("The refresh token is not valid.")
    now = utcnow()
    if token.revoked_at is not None or token.used_at is not None:
        await _handle_reuse(session, token, now, meta)
    if token.expires_at <= now:
        raise TokenExpired("The refresh token has expired; sign in again.")
    if not await repo.claim_refresh_token(session, token.id, now):
        await _handle_reuse(session, token, now, meta)
    user = await repo.user_by_id(session, token.user_id)
    if user is None or not user.is_active:
        raise InvalidToken("The account is no longer active.")
    context = await repo.access_context(session, user.id, token.tenant_id)
    if context is None:
        # Removed from that tenant since: continue in another one, if any.
        rows = await repo.memberships_of(session, user.id)
        if not rows:
            raise InvalidToken("The account belongs to no organization.")
        membership, tenant = rows[0]
    else:
        membership, tenant, _user = context
    return await issue_tokens(state, session, user, tenant, membership.role, family_id=token.family_id)


async def _handle_reuse(session: AsyncSession, token: RefreshToken, now: datetime, meta: RequestMeta) -> None:
    """A used or revoked refresh token came back: assume it was stolen and end the whole family."""
    await repo.revoke_family(session, token.family_id, now)
    if token.revoked_at is None or token.used_at is not None:
        audit.record(
            session,
            "auth.refresh_reuse",
            tenant_id=token.tenant_id,
            meta=meta,
            user_id=token.user_id,
            details={"family_id": str(token.family_id)},
        )
    await session.commit()
    raise InvalidToken("The refresh token was already used; all sessions of this sign-in were ended.")


async def logout(
    state: AppState, session: AsyncSession, principal: Principal, refresh_token: str | None, meta: RequestMeta
) -> None:
    now = utcnow()
    if principal.session_id is not None:
        await repo.revoke_family(session, principal.session_id, now)
    if refresh_token:
        token = await repo.refresh_token_by_hash(session, crypto.token_digest(refresh_token))
        if token is not None and token.user_id == principal.user_id:
            await repo.revoke_family(session, token.family_id, now)
    if principal.jti and principal.token_expires_at:
        await deny_access_token(state, session, principal.jti, principal.token_expires_at)
    audit.record_for(session, principal, "auth.logout", meta)


async def deny_access_token(state: AppState, session: AsyncSession, jti: str, expires_at: int) -> None:
    await session.merge(RevokedAccessToken(jti=jti, expires_at=expires_at))
    await state.deny_list.deny(jti, expires_at)


async def load_deny_list(state: AppState) -> None:
    """Embedded restarts keep logged-out tokens dead until they expire."""
    now = int(utcnow().timestamp())
    async with state.db.session() as session:
        for row in await repo.unexpired_revoked_tokens(session, now):
            await state.deny_list.deny(row.jti, row.expires_at)


async def me(state: AppState, principal: Principal, access: UserAccess | None = None) -> MeOut:
    """`access` is the record the gateway already loaded for this request, when it did."""
    if principal.user_id is None:
        raise PermissionDenied("API keys have no user profile.")
    if access is None or access.user_id != principal.user_id:
        access = await AccessDirectory.of(state).get(principal.user_id)
    if access is None:
        raise ResourceNotFound("The user no longer exists.")
    tenants = [TenantRole(id=t.tenant_id, name=t.tenant_name, role=t.role) for t in access.tenants]
    current = TenantRole(id=principal.tenant_id, name=principal.tenant_name, role=principal.role)
    return MeOut(
        id=access.user_id,
        email=access.email,
        full_name=access.full_name,
        mfa_enabled=access.mfa_enabled,
        current_tenant=current,
        tenants=tenants,
    )


# --- MFA ------------------------------------------------------------------------------------


async def _acting_user(session: AsyncSession, principal: Principal) -> User:
    if principal.user_id is None:
        raise PermissionDenied("Only people can manage multi-factor authentication.")
    user = await repo.user_by_id(session, principal.user_id)
    if user is None:
        raise ResourceNotFound("The user no longer exists.")
    return user


async def mfa_enroll(state: AppState, session: AsyncSession, principal: Principal) -> MfaEnrollOut:
    user = await _acting_user(session, principal)
    if user.mfa_enabled:
        raise Conflict("Multi-factor authentication is already enabled.", code="MFA_ALREADY_ENABLED")
    secret = pyotp.random_base32()
    user.mfa_secret_encrypted = state.encryptor.encrypt(secret)
    user.mfa_last_counter = None
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)
    return MfaEnrollOut(secret=secret, otpauth_uri=uri)


async def mfa_verify(
    state: AppState, session: AsyncSession, principal: Principal, code: str, meta: RequestMeta
) -> list[str]:
    user = await _acting_user(session, principal)
    if user.mfa_enabled:
        raise Conflict("Multi-factor authentication is already enabled.", code="MFA_ALREADY_ENABLED")
    if not user.mfa_secret_encrypted:
        raise Conflict("Start enrolment first.", code="MFA_NOT_ENROLLED")
    if not _verify_totp(state, user, code):
        raise ValidationFailed("The code is not valid.", field="code")
    backup_codes = [_new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    user.mfa_backup_code_hashes = {
        "codes": [crypto.token_digest(code.replace("-", "")) for code in backup_codes]
    }
    user.mfa_enabled = True
    AccessDirectory.of(state).invalidate_user_after_commit(session, user.id)
    audit.record_for(session, principal, "auth.mfa_enabled", meta)
    return backup_codes


def _new_backup_code() -> str:
    raw = secrets.token_hex(5)
    return f"{raw[:5]}-{raw[5:]}"


async def mfa_disable(
    state: AppState, session: AsyncSession, principal: Principal, code: str, meta: RequestMeta
) -> None:
    user = await _acting_user(session, principal)
    if not user.mfa_enabled:
        raise Conflict("Multi-factor authentication is not enabled.", code="MFA_NOT_ENABLED")
    if not (_verify_totp(state, user, code) or _consume_backup_code(user, code)):
        raise ValidationFailed("The code is not valid.", field="code")
    user.mfa_enabled = False
    user.mfa_secret_encrypted = None
    user.mfa_backup_code_hashes = {}
    user.mfa_last_counter = None
    AccessDirectory.of(state).invalidate_user_after_commit(session, user.id)
    audit.record_for(session, principal, "auth.mfa_disabled", meta)
    outbox.emit(
        session,
        "user.mfa_disabled",
        {"user_id": str(user.id), "email": user.email, "role": principal.role},
        principal.tenant_id,
    )


# --- team -----------------------------------------------------------------------------------


def _member_out(membership: Membership, user: User) -> MemberOut:
    return MemberOut(
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=membership.role,
        module_roles=membership.module_roles,
        mfa_enabled=user.mfa_enabled,
        joined_at=membership.created_at,
    )


async def list_members(session: AsyncSession, params: PageParams) -> tuple[list[MemberOut], int]:
    rows, total = await paginate_rows(session, repo.MembershipRepository(session).members(), params)
    return [_member_out(membership, user) for membership, user in rows], total


async def update_member(
    state: AppState,
    session: AsyncSession,
    principal: Principal,
    user_id: uuid.UUID,
    data: MemberUpdate,
    meta: RequestMeta,
) -> MemberOut:
    members = repo.MembershipRepository(session)
    membership = await members.of_user(user_id)
    user = await repo.user_by_id(session, user_id)
    if membership is None or user is None:
        raise ResourceNotFound("No such member in this organization.")
    before = {"role": membership.role, "module_roles": dict(membership.module_roles)}
    if data.role is not None and data.role != membership.role:
        if membership.role == "admin" and await members.count_admins() <= 1:
            raise Conflict("An organization needs at least one admin.", code="LAST_ADMIN")
        membership.role = data.role
        await repo.revoke_user_tokens_in_tenant(session, user_id, principal.tenant_id, utcnow())
    if data.module_roles is not None:
        membership.module_roles = {scope: role for scope, role in data.module_roles.items()}
    AccessDirectory.of(state).invalidate_user_after_commit(session, user_id)
    audit.record_for(
        session,
        principal,
        "team.role_changed",
        meta,
        member_id=str(user_id),
        before=before,
        after={"role": membership.role, "module_roles": membership.module_roles},
    )
    return _member_out(membership, user)


async def remove_member(
    state: AppState, session: AsyncSession, principal: Principal, user_id: uuid.UUID, meta: RequestMeta
) -> None:
    members = repo.MembershipRepository(session)
    membership = await members.of_user(user_id)
    if membership is None:
        raise ResourceNotFound("No such member in this organization.")
    if membership.role == "admin" and await members.count_admins() <= 1:
        raise Conflict("An organization needs at least one admin.", code="LAST_ADMIN")
    await members.delete(membership)
    AccessDirectory.of(state).invalidate_user_after_commit(session, user_id)
    await repo.revoke_user_tokens_in_tenant(session, user_id, principal.tenant_id, utcnow())
    audit.record_for(session, principal, "team.member_removed", meta, member_id=str(user_id))


# --- invitations ----------------------------------------------------------------------------


async def invite(
    state: AppState, session: AsyncSession, principal: Principal, data: InvitationIn, meta: RequestMeta
) -> InvitationCreated:
    existing = await repo.user_by_email(session, data.email)
    if existing is not None and await repo.MembershipRepository(session).of_user(existing.id) is not None:
        raise Conflict("This person is already a member.", code="ALREADY_MEMBER")
    await plans.require_room(session, principal.tenant_id, "seats")  # a pending invitation holds a seat
    token = crypto.new_token()
    invitation = repo.InvitationRepository(session).add(
        Invitation(
            email=data.email,
            role=data.role,
            token_hash=crypto.token_digest(token),
            invited_by=principal.user_id,
            expires_at=utcnow() + timedelta(days=state.settings.invitation_days),
        )
    )
    await session.flush()
    accept_url = f"{state.settings.public_url.rstrip('/')}/accept-invitation?token={token}"
    audit.record_for(session, principal, "team.invited", meta, email=data.email, role=data.role)
    # The link is a credential: the event carries it encrypted, for the mailer only.
    outbox.emit(
        session,
        "team.invitation_created",
        {
            "invitation_id": str(invitation.id),
            "email": data.email,
            "tenant_name": principal.tenant_name,
            "inviter": principal.email,
            "accept_url_encrypted": state.encryptor.encrypt(accept_url),
        },
        principal.tenant_id,
    )
    return InvitationCreated(
        id=invitation.id,
        email=invitation.email,
        role=data.role,
        token=token,
        accept_url=accept_url,
        expires_at=invitation.expires_at,
    )


async def list_invitations(session: AsyncSession, params: PageParams) -> tuple[list[Invitation], int]:
    invitations = repo.InvitationRepository(session)
    return await invitations.page(invitations.pending(utcnow()), params)


async def revoke_invitation(
    session: AsyncSession, principal: Principal, invitation_id: uuid.UUID, meta: RequestMeta
) -> None:
    invitation = await repo.InvitationRepository(session).get_or_404(invitation_id)
    invitation.revoked_at = utcnow()
    audit.record_for(session, principal, "team.invitation_revoked", meta, email=invitation.email)


async def _open_invitation(session: AsyncSession, token: str) -> tuple[Invitation, Tenant]:
    row = await repo.invitation_by_hash(session, crypto.token_digest(token))
    if row is None:
        raise ResourceNotFound("This invitation does not exist.", code="INVITATION_INVALID")
    invitation, tenant = row
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise ProblemError(
            "This invitation was already used or withdrawn.", status=410, code="INVITATION_USED"
        )
    if invitation.expires_at <= utcnow():
        raise ProblemError("This invitation has expired.", status=410, code="INVITATION_EXPIRED")
    return invitation, tenant


async def preview_invitation(session: AsyncSession, token: str) -> InvitationPreview:
    invitation, tenant = await _open_invitation(session, token)
    existing = await repo.user_by_email(session, invitation.email)
    return InvitationPreview(
        email=invitation.email,
        tenant_name=tenant.name,
        role=invitation.role,
        existing_user=existing is not None,
        expires_at=invitation.expires_at,
    )


async def accept_invitation(
    state: AppState,
    session: AsyncSession,
    data: AcceptInvitationIn,
    meta: RequestMeta,
    bearer_user_id: uuid.UUID | None,
) -> IssuedTokens:
    invitation, tenant = await _open_invitation(session, data.token)
    user = await repo.user_by_email(session, invitation.email)
    if user is None:
        if not data.password or not data.full_name:
            raise ValidationFailed("Give your name and a password to create your account.", field="password")
        problem = crypto.password_problem(data.password, email=invitation.email)
        if problem:
            raise ValidationFailed(problem, field="password")
        user = User(
            email=invitation.email,
            full_name=data.full_name.strip(),
            password_hash=await asyncio.to_thread(crypto.hash_password, data.password),
        )
        session.add(user)
        await session.flush()
    elif bearer_user_id != user.id:
        valid = data.password is not None and await asyncio.to_thread(
            crypto.verify_password, user.password_hash, data.password
        )
        if not valid:
            raise InvalidCredentials("Sign in as the invited person to accept the invitation.")
    already = await repo.membership_of(session, tenant.id, user.id)
    if already is None:
        # Members only: this invitation already holds its seat, but a plan lowered since it was sent
        # may have no room left for another member.
        members, _ = await repo.seat_counts(session, tenant.id, utcnow())
        await plans.require_room(session, tenant.id, "seats", used=members)
        session.add(Membership(tenant_id=tenant.id, user_id=user.id, role=invitation.role))
        AccessDirectory.of(state).invalidate_user_after_commit(session, user.id)
    invitation.accepted_at = utcnow()
    audit.record(
        session,
        "team.invitation_accepted",
        tenant_id=tenant.id,
        meta=meta,
        user_id=user.id,
        actor_email=user.email,
        details={"role": invitation.role},
    )
    return await issue_tokens(state, session, user, tenant, already.role if already else invitation.role)


# --- organization ---------------------------------------------------------------------------


def _organization_out(tenant: Tenant) -> OrganizationOut:
    return OrganizationOut(
        id=tenant.id,
        name=tenant.name,
        industry=tenant.industry,
        size=tenant.size,
        address=tenant.address,
        plan=tenant.plan,
        modules=[module for module in tenant.modules if module in MODULES],
        require_mfa_for_admins=bool(tenant.settings.get("require_mfa_for_admins", False)),
    )


async def get_organization(session: AsyncSession, principal: Principal) -> OrganizationOut:
    tenant = await session.get(Tenant, principal.tenant_id)
    if tenant is None:
        raise ResourceNotFound("The organization no longer exists.", code="TENANT_NOT_FOUND")
    return _organization_out(tenant)


async def update_organization(
    state: AppState, session: AsyncSession, principal: Principal, data: OrganizationUpdate, meta: RequestMeta
) -> OrganizationOut:
    tenant = await session.get(Tenant, principal.tenant_id)
    if tenant is None:
        raise ResourceNotFound("The organization no longer exists.", code="TENANT_NOT_FOUND")
    changes = data.model_dump(exclude_unset=True)
    if changes.get("require_mfa_for_admins"):
        user = await _acting_user(session, principal)
        if not user.mfa_enabled:
            raise Conflict(
                "Enable multi-factor authentication for yourself before requiring it.", code="MFA_NOT_ENABLED"
            )
    for field in ("name", "industry", "size", "address"):
        if field in changes:
            setattr(tenant, field, changes[field])
    if data.modules is not None:
        tenant.modules = list(dict.fromkeys(data.modules))
    if data.require_mfa_for_admins is not None:
        tenant.settings = {**tenant.settings, "require_mfa_for_admins": data.require_mfa_for_admins}
    await AccessDirectory.of(state).invalidate_tenant_after_commit(session, tenant.id)
    audit.record_for(session, principal, "org.updated", meta, changes=changes)
    return _organization_out(tenant)


# --- API keys -------------------------------------------------------------------------------


async def create_api_key(
    session: AsyncSession, principal: Principal, data: ApiKeyIn, meta: RequestMeta
) -> ApiKeyCreated:
    key = crypto.new_token(API_KEY_PREFIX)
    api_key = repo.ApiKeyRepository(session).add(
        ApiKey(
            name=data.name,
            role=data.role,
            prefix=key[: len(API_KEY_PREFIX) + 6],
            key_hash=crypto.token_digest(key),
            created_by=principal.user_id,
        )
    )
    await session.flush()
    audit.record_for(session, principal, "api_key.created", meta, api_key_id=str(api_key.id), name=data.name)
    return ApiKeyCreated(**ApiKeyOut.model_validate(api_key).model_dump(), key=key)


async def list_api_keys(session: AsyncSession, params: PageParams) -> tuple[list[ApiKey], int]:
    keys = repo.ApiKeyRepository(session)
    return await keys.page(keys.active(), params)


async def revoke_api_key(
    session: AsyncSession, principal: Principal, key_id: uuid.UUID, meta: RequestMeta
) -> None:
    api_key = await repo.ApiKeyRepository(session).get_or_404(key_id)
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        audit.record_for(session, principal, "api_key.revoked", meta, api_key_id=str(api_key.id))


# --- users from the CLI ---------------------------------------------------------------------


async def create_user(
    session: AsyncSession, *, email: str, password: str, full_name: str, tenant_id: uuid.UUID, role: str
) -> User:
    email = email.strip().lower()
    problem = crypto.password_problem(password, email=email)
    if problem:
        raise ValidationFailed(problem, field="password")
    if await session.get(Tenant, tenant_id) is None:
        raise ResourceNotFound("No such organization.", code="TENANT_NOT_FOUND")
    user = await repo.user_by_email(session, email)
    if user is None:
        user = User(email=email, full_name=full_name, password_hash=crypto.hash_password(password))
        session.add(user)
        await session.flush()
    session.add(Membership(tenant_id=tenant_id, user_id=user.id, role=role))
    audit.record(
        session,
        "team.member_added",
        tenant_id=tenant_id,
        user_id=user.id,
        actor_email=email,
        details={"via": "cli", "role": role},
    )
    return user


async def tenant_plans(session: AsyncSession, tenant_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each tenant's plan (free, pro, business, enterprise), for jobs that pace work by plan."""
    return await repo.tenant_plans(session, tenant_ids) if tenant_ids else {}


async def seat_usage(session: AsyncSession, tenant_id: uuid.UUID) -> tuple[int, int]:
    """(members, pending invitations): what the plan's seats hold."""
    return await repo.seat_counts(session, tenant_id, utcnow())


def tenant_slug(name: str) -> str:
    """The name as the operator types it on the command line: "Northwind Coffee" → northwind-coffee."""
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


async def tenant_directory(session: AsyncSession) -> list[Tenant]:
    """Every tenant of the install (operator tools only)."""
    return await repo.all_tenants(session)


async def tenant_by_ref(session: AsyncSession, ref: str) -> Tenant | None:
    """The tenant with this id, or the one whose name has this slug (a Conflict when several do)."""
    try:
        tenant_id = uuid.UUID(ref)
    except ValueError:
        matches = [t for t in await repo.all_tenants(session) if tenant_slug(t.name) == ref.strip().lower()]
        if len(matches) > 1:
            raise Conflict(
                f"{len(matches)} organizations are called {ref!r}; use an id: "
                + ", ".join(str(t.id) for t in matches)
            ) from None
        return matches[0] if matches else None
    return await session.get(Tenant, tenant_id)


async def set_tenant_plan(session: AsyncSession, tenant_id: uuid.UUID, plan: str) -> None:
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise ResourceNotFound("No such organization.", code="TENANT_NOT_FOUND")
    tenant.plan = plan


# --- facts for the security scanner -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberAccess:
    user_id: uuid.UUID
    email: str
    full_name: str | None
    role: str
    mfa_enabled: bool
    last_login_at: datetime | None
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKeyAge:
    id: uuid.UUID
    name: str
    role: str
    created_at: datetime
    last_used_at: datetime | None


async def member_access(session: AsyncSession) -> list[MemberAccess]:
    """Every member of the session's tenant with what the security posture needs: role, MFA, last
    sign-in."""
    rows = (await session.execute(repo.MembershipRepository(session).members())).tuples().all()
    return [
        MemberAccess(
            user_id=user.id,
            email=user.email,
            full_name=user.full_name,
            role=membership.role,
            mfa_enabled=user.mfa_enabled,
            last_login_at=user.last_login_at,
            joined_at=membership.created_at,
        )
        for membership, user in rows
    ]


async def active_api_keys(session: AsyncSession) -> list[ApiKeyAge]:
    keys = (await session.scalars(repo.ApiKeyRepository(session).active())).all()
    return [
        ApiKeyAge(
            id=key.id, name=key.name, role=key.role, created_at=key.created_at, last_used_at=key.last_used_at
        )
        for key in keys
    ]
