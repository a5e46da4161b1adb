from __future__ import annotations

from typing import Any

from sqlalchemy import select

from binelek.ai.models import LlmApiKey, LlmSettings
from binelek.kit.repository import TenantRepository


class LlmApiKeyRepository(TenantRepository[LlmApiKey]):
    model = LlmApiKey
    not_found_message = "No such AI provider key."

    def listing(self) -> Any:
        return self.select().order_by(LlmApiKey.created_at.desc())

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
