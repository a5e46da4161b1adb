"""AI configuration rules: provider keys (encrypted, checked, masked) and tenant AI settings."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from binelek.ai.models import LlmApiKey, LlmSettings
from binelek.ai.providers import PROVIDERS, KeyCheck, check_key
from binelek.ai.repository import LlmApiKeyRepository, LlmSettingsRepository
from binelek.ai.schemas import LlmApiKeyIn, LlmSettingsBody, ProviderOut
from binelek.audit import service as audit
from binelek.kit.auth import Principal
from binelek.kit.crypto import Encryptor
from binelek.kit.db import utcnow
from binelek.kit.errors import ValidationFailed
from binelek.kit.pagination import PageParams
from binelek.kit.request_meta import RequestMeta


async def list_providers(session: AsyncSession) -> list[ProviderOut]:
    with_keys = await LlmApiKeyRepository(session).configured_providers()
    return [
        ProviderOut(
            id=provider.id,
            name=provider.name,
            models=list(provider.models),
            # Ollama needs no key but a saved connection (its server's URL) to count as set up.
            configured=provider.id == "local" or provider.id in with_keys,
            requires_key=provider.requires_key,
            default_base_url=provider.default_base_url,
        )
        for provider in PROVIDERS.values()
    ]


async def add_key(
    session: AsyncSession, encryptor: Encryptor, principal: Principal, data: LlmApiKeyIn, meta: RequestMeta
) -> LlmApiKey:
    provider = PROVIDERS[data.provider]
    if provider.requires_key and len(data.api_key) < 8:
        raise ValidationFailed(f"Enter the API key {provider.name} gave you.", field="api_key")
    outcome = await check_key(data.provider, data.api_key, data.base_url)
    if outcome is KeyCheck.INVALID:
        raise ValidationFailed(f"{provider.name} rejected this key; check it and try again.", field="api_key")
    key = LlmApiKeyRepository(session).add(
        LlmApiKey(
            provider=data.provider,
            label=data.label or provider.name,
            api_key_encrypted=encryptor.encrypt(data.api_key) if data.api_key else None,
            last4=data.api_key[-4:] if data.api_key else "",
            base_url=data.base_url,
            status=outcome.value,
            last_verified_at=utcnow() if outcome is KeyCheck.VALID else None,
            created_by=principal.user_id,
        )
    )
    await session.flush()
    audit.record_for(
        session,
        principal,
        "ai.key_added",
        meta,
        provider=data.provider,
        label=key.label,
        last4=key.last4,
        status=outcome.value,
    )
    return key


async def list_keys(session: AsyncSession, params: PageParams) -> tuple[list[LlmApiKey], int]:
    keys = LlmApiKeyRepository(session)
    return await keys.page(keys.listing(), params)


async def remove_key(
    session: AsyncSession, principal: Principal, key_id: uuid.UUID, meta: RequestMeta
) -> None:
    keys = LlmApiKeyRepository(session)
    key = await keys.get_or_404(key_id)
    await keys.delete(key)
    audit.record_for(session, principal, "ai.key_removed", meta, provider=key.provider, last4=key.last4)


async def get_settings(session: AsyncSession) -> LlmSettingsBody:
    current = await LlmSettingsRepository(session).current()
    return LlmSettingsBody.model_validate(current) if current else LlmSettingsBody()


async def update_settings(
    session: AsyncSession, principal: Principal, data: LlmSettingsBody, meta: RequestMeta
) -> LlmSettingsBody:
    if data.fallback_provider is not None and data.fallback_provider == data.default_provider:
        raise ValidationFailed(
            "The fallback must be another provider than the default.", field="fallback_provider"
        )
    provider = PROVIDERS[data.default_provider]
    # Ollama serves whatever models its owner pulled, so any name may be right there.
    if data.default_model and provider.id != "ollama" and data.default_model not in provider.models:
        raise ValidationFailed(f"{provider.name} has no model {data.default_model!r}.", field="default_model")
    repository = LlmSettingsRepository(session)
    current = await repository.current() or repository.add(LlmSettings())
    values = data.model_dump(mode="json")
    for field, value in values.items():
        setattr(current, field, value)
    audit.record_for(session, principal, "ai.settings_updated", meta, settings=values)
    return data
