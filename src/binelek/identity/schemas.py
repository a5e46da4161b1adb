from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

Role = Literal["admin", "member", "viewer"]
ModuleName = Literal["ops-copilot", "mini-foundry", "cybersecurity-scanner", "marketplace-intel"]
ModuleScope = Literal["ops", "foundry", "security", "marketplace"]


def _normalise_email(value: str) -> str:
    return value.strip().lower()


class RegisterIn(BaseModel):
    email: EmailStr
    password: str = Field(max_length=256)
    full_name: str = Field(min_length=1, max_length=200)
    company_name: str = Field(min_length=1, max_length=200)
    industry: str | None = Field(default=None, max_length=100)
    company_size: str | None = Field(default=None, max_length=50)

    _email = field_validator("email")(_normalise_email)


class LoginIn(BaseModel):
    email: EmailStr
    password: str = Field(max_length=256)
    totp_code: str | None = Field(default=None, max_length=32)

    _email = field_validator("email")(_normalise_email)


class RefreshIn(BaseModel):
    refresh_token: str | None = Field(default=None, max_length=200)


class UserBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email: str
    full_name: str


class TenantBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    user: UserBrief
    tenant: TenantBrief


class TenantRole(BaseModel):
    id: uuid.UUID
    name: str
    role: Role


class MeOut(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    mfa_enabled: bool
    current_tenant: TenantRole
    tenants: list[TenantRole]


class MfaEnrollOut(BaseModel):
    secret: str
    otpauth_uri: str


class MfaCodeIn(BaseModel):
    code: str = Field(min_length=6, max_length=32)


class MfaBackupCodesOut(BaseModel):
    backup_codes: list[str]


class MemberOut(BaseModel):
    user_id: uuid.UUID
    email: str
    full_name: str
    role: Role
    module_roles: dict[ModuleScope, Role]
    mfa_enabled: bool
    joined_at: datetime


class MemberUpdate(BaseModel):
    role: Role | None = None
    module_roles: dict[ModuleScope, Role] | None = None


class InvitationIn(BaseModel):
    email: EmailStr
    role: Role = "member"

    _email = field_validator("email")(_normalise_email)


class InvitationCreated(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
    token: str
    accept_url: str
    expires_at: datetime


class InvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email: str
    role: Role
    expires_at: datetime
    created_at: datetime


class InvitationPreview(BaseModel):
    email: str
    tenant_name: str
    role: Role
    existing_user: bool
    expires_at: datetime


class AcceptInvitationIn(BaseModel):
    token: str = Field(min_length=10, max_length=200)
    password: str | None = Field(default=None, max_length=256)
    full_name: str | None = Field(default=None, min_length=1, max_length=200)


class OrganizationOut(BaseModel):
    id: uuid.UUID
    name: str
    industry: str | None
    size: str | None
    address: str | None
    plan: str
    modules: list[ModuleName]
    require_mfa_for_admins: bool


class OrganizationUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    industry: str | None = Field(default=None, max_length=100)
    size: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=500)
    modules: list[ModuleName] | None = None
    require_mfa_for_admins: bool | None = None


class ApiKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: Role = "member"


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    role: Role
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str
