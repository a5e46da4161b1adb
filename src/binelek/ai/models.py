"""LLM provider keys and the tenant's AI preferences (seed table `llm_api_keys`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from binelek.kit.crypto import encrypted_column
from binelek.kit.db import Base, IdMixin, TenantMixin, TimestampMixin, utcnow


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


class Conversation(IdMixin, TimestampMixin, TenantMixin, Base):
    """One user's thread with the command agent; only its owner reads it."""

    __tablename__ = "ai_conversations"
    __table_args__ = (Index("ix_ai_conversations_owner", "tenant_id", "owner_id", "updated_at"),)

    # The user, or for a program the API key, that asked (Principal.actor_id): no foreign key.
    owner_id: Mapped[uuid.UUID] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    module: Mapped[str | None] = mapped_column(String(40))


class ConversationMessage(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "ai_messages"
    __table_args__ = (Index("ix_ai_messages_conversation", "conversation_id", "created_at"),)

    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ai_conversations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))  # user | assistant
    content: Mapped[str] = mapped_column(Text())
    tool_calls: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    provider: Mapped[str | None] = mapped_column(String(20))
    model: Mapped[str | None] = mapped_column(String(100))
    # The model-level exchange (tool calls and returns included), replayed as history next turn.
    model_messages: Mapped[list[dict[str, Any]]] = mapped_column(default=list)


class PendingAction(IdMixin, TimestampMixin, TenantMixin, Base):
    """A write tool call the agent proposed and the user has not yet confirmed or cancelled."""

    __tablename__ = "ai_pending_actions"
    __table_args__ = (UniqueConstraint("tenant_id", "call_id", name="uq_ai_pending_actions_call"),)

    call_id: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[uuid.UUID] = mapped_column()
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ai_conversations.id", ondelete="CASCADE"))
    tool: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | done | cancelled | failed
    expires_at: Mapped[datetime] = mapped_column()


class AiUsage(IdMixin, TenantMixin, Base):
    """One model run's metered tokens and estimated cost, for the usage chart and the monthly budget."""

    __tablename__ = "ai_usage"
    __table_args__ = (Index("ix_ai_usage_tenant_time", "tenant_id", "created_at"),)

    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    provider: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(100))
    module: Mapped[str | None] = mapped_column(String(40))
    prompt_tokens: Mapped[int] = mapped_column(BigInteger(), default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger(), default=0)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(14, 6), default=Decimal(0))
    outcome: Mapped[str] = mapped_column(String(20), default="ok")  # ok | failed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
