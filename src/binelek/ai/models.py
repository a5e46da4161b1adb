"""LLM provider keys and the tenant's AI preferences (seed table `llm_api_keys`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from binelek.kit.crypto import encrypted_column
from binelek.kit.db import Base, IdMixin, TenantMixin, TimestampMixin


class LlmApiKey(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "llm_api_keys"

    provider: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(100))
    api_key_encrypted: Mapped[str | None] = mapped_column(String(1000))
    last4: Mapped[str] = mapped_column(String(4))
    base_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="unverified")
    last_verified_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class LlmSettings(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "llm_settings"
    __table_args__ = (UniqueConstraint("tenant_id", name="uq_llm_settings_tenant"),)

    default_provider: Mapped[str] = mapped_column(String(20), default="local")
    default_model: Mapped[str | None] = mapped_column(String(100))
    temperature: Mapped[float] = mapped_column(default=0.2)
    module_overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fallback_provider: Mapped[str | None] = mapped_column(String(20))
    monthly_token_budget: Mapped[int | None] = mapped_column(BigInteger())
    auto_run_write_tools: Mapped[bool] = mapped_column(default=False)


encrypted_column(LlmApiKey.api_key_encrypted)
