from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from binelek.ai.models import (
    AiUsage,
    Conversation,
    ConversationMessage,
    LlmApiKey,
    LlmSettings,
    PendingAction,
)
from binelek.ai.providers import PROVIDERS
from binelek.kit.db import utcnow
from binelek.kit.errors import Conflict, ResourceNotFound
from binelek.kit.repository import TenantRepository


class LlmApiKeyRepository(TenantRepository[LlmApiKey]):
    model = LlmApiKey
    not_found_message = "No such AI provider key."

    def listing(self) -> Any:
        return self.select().order_by(LlmApiKey.created_at.desc())

    async def usable_for(self, provider: str) -> LlmApiKey | None:
        """The newest key of a provider that the provider has not refused."""
        statement = (
            self.select()
            .where(LlmApiKey.provider == provider, LlmApiKey.status != "invalid")
            .order_by(LlmApiKey.created_at.desc())
            .limit(1)
        )
        key: LlmApiKey | None = (await self.session.execute(statement)).scalar_one_or_none()
        return key

    async def has_custom_endpoint(self, provider: str) -> bool:
        key = await self.usable_for(provider)
        return key is not None and key.base_url not in (None, PROVIDERS[provider].default_base_url)

    async def configured_providers(self) -> set[str]:
        statement = select(LlmApiKey.provider).where(
            LlmApiKey.tenant_id == self.tenant_id, LlmApiKey.status != "invalid"
        )
        return set((await self.session.execute(statement)).scalars())


class LlmSettingsRepository(TenantRepository[LlmSettings]):
    model = LlmSettings

    async def current(self) -> LlmSettings | None:
        settings: LlmSettings | None = (await self.session.execute(self.select())).scalar_one_or_none()
        return settings


class ConversationRepository(TenantRepository[Conversation]):
    model = Conversation
    not_found_message = "No such conversation."

    async def owned(self, conversation_id: uuid.UUID, owner_id: uuid.UUID) -> Conversation:
        """Conversations are private: another user's looks exactly like a missing one."""
        conversation = await self.get(conversation_id)
        if conversation is None or conversation.owner_id != owner_id:
            raise ResourceNotFound(self.not_found_message)
        return conversation

    def listing(self, owner_id: uuid.UUID) -> Any:
        return self.select().where(Conversation.owner_id == owner_id).order_by(Conversation.updated_at.desc())


class MessageRepository(TenantRepository[ConversationMessage]):
    model = ConversationMessage

    async def of(self, conversation_id: uuid.UUID, *, last: int | None = None) -> list[ConversationMessage]:
        statement = self.select().where(ConversationMessage.conversation_id == conversation_id)
        if last is None:
            statement = statement.order_by(ConversationMessage.created_at)
            return list((await self.session.execute(statement)).scalars())
        statement = statement.order_by(ConversationMessage.created_at.desc()).limit(last)
        return list(reversed(list((await self.session.execute(statement)).scalars())))


class PendingActionRepository(TenantRepository[PendingAction]):
    model = PendingAction
    not_found_message = "No such proposed action: it may have been handled already."

    async def claim(
        self, call_id: str, owner_id: uuid.UUID, conversation_id: uuid.UUID, status: str
    ) -> PendingAction:
        """Move a pending action of this user to `status`, once: a double click runs it only once."""
        action = (
            await self.session.execute(
                self.select().where(
                    PendingAction.call_id == call_id,
                    PendingAction.owner_id == owner_id,
                    PendingAction.conversation_id == conversation_id,
                )
            )
        ).scalar_one_or_none()
        if action is None:
            raise ResourceNotFound(self.not_found_message)
        claimed = await self.session.execute(
            update(PendingAction)
            .where(
                PendingAction.id == action.id,
                PendingAction.status == "pending",
                PendingAction.expires_at > utcnow(),
            )
            .values(status=status)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"This action was already {action.status} or has expired; ask again.")
        await self.session.refresh(action)
        return action


class UsageRepository(TenantRepository[AiUsage]):
    model = AiUsage

    async def metered_tokens_since(self, since: datetime) -> tuple[int, Decimal]:
        statement = select(
            func.coalesce(func.sum(AiUsage.prompt_tokens + AiUsage.completion_tokens), 0),
            func.coalesce(func.sum(AiUsage.cost_usd), 0),
        ).where(AiUsage.tenant_id == self.tenant_id, AiUsage.created_at >= since, AiUsage.provider != "local")
        tokens, cost = (await self.session.execute(statement)).one()
        return int(tokens), Decimal(cost)

    async def answered_since(self, since: datetime) -> int:
        """Model runs that produced an answer: one per question or command that was answered."""
        statement = (
            select(func.count())
            .select_from(AiUsage)
            .where(AiUsage.tenant_id == self.tenant_id, AiUsage.created_at >= since, AiUsage.outcome == "ok")
        )
        return int(await self.session.scalar(statement) or 0)

    async def rows_since(self, since: datetime) -> list[AiUsage]:
        statement = self.select().where(AiUsage.created_at >= since).order_by(AiUsage.created_at)
        return list((await self.session.execute(statement)).scalars())
