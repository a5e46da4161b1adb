"""AI configuration rules: provider keys (encrypted, checked, masked) and tenant AI settings."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import structlog
from pydantic_ai import Agent
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.ai.agent import _estimated_cost
from binelek.ai.models import AiUsage, Conversation, LlmApiKey, LlmSettings
from binelek.ai.providers import PROVIDERS, KeyCheck, check_key
from binelek.ai.query_service import _candidates, _check_budget, _failed, month_start
from binelek.ai.remote import classify_failure, describe_failure
from binelek.ai.repository import (
    ConversationRepository,
    LlmApiKeyRepository,
    LlmSettingsRepository,
    MessageRepository,
    UsageRepository,
)
from binelek.ai.schemas import (
    ConversationDetail,
    LlmApiKeyIn,
    LlmSettingsBody,
    MessageOut,
    ModuleName,
    ProviderOut,
    QueryIn,
    UsageDay,
    UsageReport,
)
from binelek.audit import service as audit
from binelek.kit.auth import Principal
from binelek.kit.crypto import Encryptor
from binelek.kit.db import utcnow
from binelek.kit.errors import ValidationFailed
from binelek.kit.pagination import PageParams
from binelek.kit.request_meta import RequestMeta
from binelek.kit.state import AppState

log = structlog.get_logger(__name__)


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
    # Ollama, and an OpenAI-compatible server (llama.cpp, vLLM…) saved as the OpenAI key's endpoint,
    # serve whatever models their owner installed, so any name may be right there.
    any_model = provider.id == "ollama" or (
        provider.id == "openai" and await LlmApiKeyRepository(session).has_custom_endpoint("openai")
    )
    if data.default_model and not any_model and data.default_model not in provider.models:
        raise ValidationFailed(f"{provider.name} has no model {data.default_model!r}.", field="default_model")
    repository = LlmSettingsRepository(session)
    current = await repository.current() or repository.add(LlmSettings())
    values = data.model_dump(mode="json")
    for field, value in values.items():
        setattr(current, field, value)
    audit.record_for(session, principal, "ai.settings_updated", meta, settings=values)
    return data


async def usage_report(session: AsyncSession, days: int) -> UsageReport:
    now = utcnow()
    usage = UsageRepository(session)
    start_of_month = month_start(now)
    since = min(
        start_of_month, (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    )
    per_day: dict[tuple[date, str], UsageDay] = {}
    for row in await usage.rows_since(since):
        key = (row.created_at.astimezone(UTC).date(), row.provider)
        day = per_day.setdefault(
            key,
            UsageDay(
                day=key[0],
                provider=row.provider,
                queries=0,
                prompt_tokens=0,
                completion_tokens=0,
                cost_usd=Decimal(0),
            ),
        )
        day.queries += 1
        day.prompt_tokens += row.prompt_tokens
        day.completion_tokens += row.completion_tokens
        day.cost_usd += row.cost_usd
    month_tokens, month_cost = await usage.metered_tokens_since(start_of_month)
    current = await LlmSettingsRepository(session).current()
    first_day = (now - timedelta(days=days - 1)).date()
    return UsageReport(
        month_start=start_of_month.date(),
        month_tokens=month_tokens,
        month_cost_usd=month_cost,
        monthly_token_budget=current.monthly_token_budget if current else None,
        days=sorted((d for d in per_day.values() if d.day >= first_day), key=lambda d: (d.day, d.provider)),
    )


async def list_conversations(
    session: AsyncSession, principal: Principal, params: PageParams
) -> tuple[list[Conversation], int]:
    conversations = ConversationRepository(session)
    return await conversations.page(conversations.listing(principal.actor_id), params)


async def conversation_detail(
    session: AsyncSession, principal: Principal, conversation_id: uuid.UUID
) -> ConversationDetail:
    conversation = await ConversationRepository(session).owned(conversation_id, principal.actor_id)
    messages = await MessageRepository(session).of(conversation.id)
    return ConversationDetail(
        id=conversation.id,
        title=conversation.title,
        module=conversation.module,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        messages=[MessageOut.model_validate(message) for message in messages],
    )


async def delete_conversation(
    session: AsyncSession, principal: Principal, conversation_id: uuid.UUID
) -> None:
    conversations = ConversationRepository(session)
    await conversations.delete(await conversations.owned(conversation_id, principal.actor_id))


async def count_queries_since(session: AsyncSession, tenant_id: uuid.UUID, since: datetime) -> int:
    """AI queries the plan counts: answered runs (the offline engine's too; failed attempts and
    confirmations of proposed actions are free)."""
    del tenant_id  # the session is the tenant's: the repository adds its predicate
    return await UsageRepository(session).answered_since(since)


async def complete_json(
    state: AppState,
    session: AsyncSession,
    principal: Principal,
    *,
    system: str,
    prompt: str,
    module: ModuleName,
    now: datetime,
    timezone: str,
) -> tuple[str, str] | None:
    """One plain completion (no tools) from the remote model the tenant chose for `module`, under the
    agent's rules: the fallback provider on failure, the monthly budget, usage metered; returns
    (the model's text, unparsed; the provider that answered).

    None when no remote provider is usable (the tenant uses the built-in offline engine, or its chosen
    provider has no key): the caller answers without a model. Usage is written in a session of its
    own, so it counts even when the caller's request fails afterwards; call this before writing in
    `session` (SQLite has one writer at a time)."""
    settings = await LlmSettingsRepository(session).current() or LlmSettings()
    # _candidates reads the module alone; the query is only there to make a valid request.
    request = QueryIn(query=prompt.strip()[:1000] or "question", module=module)
    candidates = await _candidates(state, session, settings, request, now=now, timezone=timezone)
    usable = [c for c in candidates if c.provider != "local" and c.model is not None]
    if not usable:
        return None
    await _check_budget(session, settings, usable[0].provider)
    cause = "provider_error"
    for candidate in usable:
        assert candidate.model is not None  # filtered above
        agent: Agent[None, str] = Agent(candidate.model, instructions=system, retries=0)
        metered = AiUsage(
            actor_id=principal.actor_id,
            provider=candidate.provider,
            model=candidate.model_name,
            module=module,
        )
        reply: tuple[str, str] | None = None
        try:
            result = await agent.run(prompt, model_settings={"temperature": 0.0})
        except Exception as exc:
            cause = classify_failure(exc)
            log.warning(
                "ai_completion_failed",
                provider=candidate.provider,
                model=candidate.model_name,
                failure=describe_failure(exc),  # built from the error's type and codes, never its text
            )
            metered.outcome = "failed"
        else:
            reply = (str(result.output), candidate.provider)
            metered.prompt_tokens = result.usage.input_tokens
            metered.completion_tokens = result.usage.output_tokens
            metered.cost_usd = _estimated_cost(result.new_messages())
            metered.outcome = "ok"
        async with state.db.session(tenant_id=principal.tenant_id) as metering:
            UsageRepository(metering).add(metered)
        if reply is not None:
            return reply
    raise _failed(usable[-1].provider, cause)
