"""Questions and commands for the agent: choosing the model, the budget, the conversation, the
fallback when a provider fails, confirming proposed actions, and metering what it cost.

`prepare()` does everything that can refuse the request (rate limit, budget, conversation, keys), so
both endpoints answer those with a problem before anything streams; `run()` yields the events the
streaming endpoint sends and the plain endpoint collects.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, UserPromptPart
from pydantic_ai.models import Model
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.ai.agent import (
    RunOutcome,
    TextDelta,
    ToolEvent,
    ToolRunner,
    agent_tools,
    dump_messages,
    load_messages,
    run_agent,
)
from binelek.ai.local_model import LOCAL_MODEL_NAME, local_model
from binelek.ai.models import AiUsage, Conversation, ConversationMessage, LlmSettings
from binelek.ai.providers import PROVIDERS
from binelek.ai.remote import build_model, classify_failure, describe_failure
from binelek.ai.repository import (
    ConversationRepository,
    LlmApiKeyRepository,
    LlmSettingsRepository,
    MessageRepository,
    PendingActionRepository,
    UsageRepository,
)
from binelek.ai.schemas import QueryAnswer, QueryIn, SourceOut, SuggestedAction, TokenUsage, ToolCallOut
from binelek.ai.toolbox import ToolCall, call_tool
from binelek.kit.auth import Principal
from binelek.kit.db import utcnow
from binelek.kit.errors import AiBudgetExceeded, AiProviderNotConfigured, AiQueryFailed, ProblemError
from binelek.kit.request_meta import RequestMeta
from binelek.kit.state import AppState
from binelek.kit.tools import ToolContext, tools_for
from binelek.plans import service as plans

log = structlog.get_logger(__name__)

HISTORY_TURNS = 10
MAX_SUGGESTED_ACTIONS = 4
FAILURE_TEXT = {
    "bad_key": "refused the API key",
    "rate_limited": "is rate-limiting this organization",
    "timeout": "did not answer in time",
    "overloaded": "is overloaded",
    "bad_request": "rejected the request",
    "unreachable": "could not be reached",
    "not_configured": "has no API key configured",
    "provider_error": "failed",
}
SOURCE_LABELS = {
    "member": "Open team settings",
    "invitation": "Open team settings",
    "audit": "Open the audit log",
}


@dataclass(frozen=True)
class Candidate:
    provider: str
    model_name: str
    model: Model | None  # None: the provider cannot be used (no key); the reason is `unusable`
    unusable: str | None = None


@dataclass(frozen=True)
class PreparedQuery:
    principal: Principal
    meta: RequestMeta
    request: QueryIn
    conversation_id: uuid.UUID
    history: list[ModelMessage]
    candidates: list[Candidate]
    temperature: float
    auto_run: bool
    now: datetime
    timezone: str


@dataclass(frozen=True)
class Started:
    conversation_id: uuid.UUID
    provider: str
    model: str


@dataclass(frozen=True)
class FellBack:
    from_provider: str
    to_provider: str
    cause: str


@dataclass(frozen=True)
class Finished:
    answer: QueryAnswer


QueryEvent = Started | TextDelta | ToolEvent | FellBack | Finished


async def prepare(
    state: AppState, principal: Principal, meta: RequestMeta, request: QueryIn
) -> PreparedQuery:
    await state.rate_limiter.check("ai", str(principal.tenant_id), str(principal.actor_id))
    timezone = request.timezone or "UTC"
    now = datetime.now(ZoneInfo(timezone))
    async with state.db.session(tenant_id=principal.tenant_id) as session:
        settings = await LlmSettingsRepository(session).current() or LlmSettings()
        conversation = await _conversation(session, principal, request)
        history = await _history(session, conversation.id)
        candidates = await _candidates(state, session, settings, request, now=now, timezone=timezone)
        if request.query is not None:
            await plans.require_room(session, principal.tenant_id, "ai_queries")
            if all(candidate.model is None for candidate in candidates):
                raise _failed(candidates[0].provider, candidates[0].unusable or "not_configured")
            await _check_budget(session, settings, candidates[0].provider)
        conversation_id = conversation.id
    return PreparedQuery(
        principal=principal,
        meta=meta,
        request=request,
        conversation_id=conversation_id,
        history=history,
        candidates=candidates,
        temperature=settings.temperature if settings.temperature is not None else 0.2,
        auto_run=bool(settings.auto_run_write_tools),
        now=now,
        timezone=timezone,
    )


async def _conversation(session: AsyncSession, principal: Principal, request: QueryIn) -> Conversation:
    conversations = ConversationRepository(session)
    if request.conversation_id is not None:
        return await conversations.owned(request.conversation_id, principal.actor_id)
    title = (request.query or "Conversation")[:120]
    conversation = conversations.add(
        Conversation(owner_id=principal.actor_id, title=title, module=request.module)
    )
    await session.flush()
    return conversation


async def _history(session: AsyncSession, conversation_id: uuid.UUID) -> list[ModelMessage]:
    recent = await MessageRepository(session).of(conversation_id, last=HISTORY_TURNS * 2)
    return load_messages([m.model_messages for m in recent if m.role == "assistant" and m.model_messages])


def _choices(settings: LlmSettings, module: str | None) -> list[tuple[str, str | None]]:
    override = (settings.module_overrides or {}).get(module or "")
    if override:
        primary: tuple[str, str | None] = (override["provider"], override.get("model"))
    else:
        primary = (settings.default_provider or "local", settings.default_model)
    chosen = [primary]
    if settings.fallback_provider and settings.fallback_provider != primary[0]:
        chosen.append((settings.fallback_provider, None))
    return chosen


async def _candidates(
    state: AppState,
    session: AsyncSession,
    settings: LlmSettings,
    request: QueryIn,
    *,
    now: datetime,
    timezone: str,
) -> list[Candidate]:
    candidates = []
    for provider, model_name in _choices(settings, request.module):
        if provider == "local":
            candidates.append(Candidate("local", LOCAL_MODEL_NAME, local_model(now=now, timezone=timezone)))
            continue
        name = model_name or PROVIDERS[provider].models[0]
        key = await LlmApiKeyRepository(session).usable_for(provider)
        api_key = state.encryptor.decrypt(key.api_key_encrypted) if key and key.api_key_encrypted else None
        api_key = api_key or state.settings.install_wide_llm_key(provider)
        if (PROVIDERS[provider].requires_key and not api_key) or (provider == "ollama" and key is None):
            candidates.append(Candidate(provider, name, None, unusable="not_configured"))
            continue
        base_url = (key.base_url if key else None) or PROVIDERS[provider].default_base_url
        model = build_model(
            provider, name, api_key, base_url, timeout_seconds=state.settings.ai_timeout_seconds
        )
        candidates.append(Candidate(provider, name, model))
    return candidates


def month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def _check_budget(session: AsyncSession, settings: LlmSettings, provider: str) -> None:
    budget = settings.monthly_token_budget
    if budget is None or provider == "local":
        return
    used, _ = await UsageRepository(session).metered_tokens_since(month_start(utcnow()))
    if used >= budget:
        raise AiBudgetExceeded(
            f"This organization has used {used:,} of its {budget:,} AI tokens this month. An admin can "
            "raise the budget in the AI settings, or choose the built-in offline engine, which is free."
        )


async def run(state: AppState, prepared: PreparedQuery) -> AsyncIterator[QueryEvent]:
    request = prepared.request
    first = prepared.candidates[0]
    yield Started(prepared.conversation_id, first.provider, first.model_name)
    if request.confirm is not None or request.cancel is not None:
        yield Finished(await _decide_action(state, prepared))
        return
    assert request.query is not None
    failure: tuple[str, str] | None = None
    for position, candidate in enumerate(prepared.candidates):
        last_chance = position == len(prepared.candidates) - 1
        runner = ToolRunner(
            state=state,
            principal=prepared.principal,
            meta=prepared.meta,
            auto_run=prepared.auto_run,
            conversation_id=prepared.conversation_id,
        )
        visible = False
        outcome: RunOutcome | None = None
        try:
            if candidate.model is None:
                raise _Unusable(candidate.unusable or "not_configured")
            async for event in run_agent(
                candidate.model,
                agent_tools(tools_for(prepared.principal), runner),
                runner,
                prompt=request.query,
                history=prepared.history,
                tenant_name=prepared.principal.tenant_name,
                now=prepared.now,
                temperature=prepared.temperature,
            ):
                if isinstance(event, RunOutcome):
                    outcome = event
                else:
                    visible = True
                    yield event
        except Exception as exc:
            cause = exc.cause if isinstance(exc, _Unusable) else classify_failure(exc)
            log.warning(
                "ai_provider_failed",
                provider=candidate.provider,
                model=candidate.model_name,
                cause=cause,
                # Built from the exception's type, status and the provider's error code, never its text.
                failure=cause if isinstance(exc, _Unusable) else describe_failure(exc),
            )
            await _record_usage(state, prepared, candidate, None, outcome_kind="failed")
            failure = (candidate.provider, cause)
            # Once the user has seen output or a tool has run, a second model would repeat it.
            if visible or last_chance:
                raise _failed(candidate.provider, cause) from None
            yield FellBack(candidate.provider, prepared.candidates[position + 1].provider, cause)
            continue
        assert outcome is not None
        answer = _answer(prepared, candidate, outcome, list(runner.calls.values()), failure)
        await _save_turn(state, prepared, request.query, answer, candidate, outcome)
        yield Finished(answer)
        return


class _Unusable(Exception):
    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


def _failed(provider: str, cause: str) -> ProblemError:
    name = PROVIDERS[provider].name
    if cause == "not_configured":
        return AiProviderNotConfigured(
            f"{name} is the chosen AI provider but has no API key (or server address) saved. An admin can "
            "add one in the AI settings, or choose the built-in offline engine.",
            cause=cause,
        )
    return AiQueryFailed(
        f"{name} {FAILURE_TEXT.get(cause, 'failed')}; no answer was produced. "
        "Check the AI settings (keys, fallback provider) or try again.",
        cause=cause,
    )


def _answer(
    prepared: PreparedQuery,
    candidate: Candidate,
    outcome: RunOutcome,
    calls: list[ToolCall],
    failure: tuple[str, str] | None,
) -> QueryAnswer:
    sources = _sources(calls)
    return QueryAnswer(
        answer=outcome.answer or "I have no answer to that.",
        conversation_id=prepared.conversation_id,
        tool_calls=[ToolCallOut.model_validate(call.model_dump()) for call in calls],
        sources=sources,
        suggested_actions=_suggested_actions(sources),
        provider=candidate.provider,
        model=candidate.model_name,
        usage=TokenUsage(prompt_tokens=outcome.prompt_tokens, completion_tokens=outcome.completion_tokens),
        fallback_from=failure[0] if failure else None,
    )


def _sources(calls: list[ToolCall]) -> list[SourceOut]:
    seen: dict[tuple[str, str], SourceOut] = {}
    for call in calls:
        for source in call.result.sources if call.result else []:
            seen.setdefault((source.kind, source.id), SourceOut.model_validate(source.model_dump()))
    return list(seen.values())


def _suggested_actions(sources: list[SourceOut]) -> list[SuggestedAction]:
    actions: dict[str, SuggestedAction] = {}
    for source in sources:
        label = SOURCE_LABELS.get(source.kind, f"Open “{source.title}”")
        actions.setdefault(source.url, SuggestedAction(label=label, path=source.url))
    return list(actions.values())[:MAX_SUGGESTED_ACTIONS]


async def _decide_action(state: AppState, prepared: PreparedQuery) -> QueryAnswer:
    request = prepared.request
    principal = prepared.principal
    confirming = request.confirm is not None
    call_id = request.confirm or request.cancel or ""
    async with state.db.session(tenant_id=principal.tenant_id) as session:
        action = await PendingActionRepository(session).claim(
            call_id, principal.actor_id, prepared.conversation_id, "running" if confirming else "cancelled"
        )
        if confirming:
            context = ToolContext(principal=principal, session=session, state=state, meta=prepared.meta)
            done = await call_tool(context, action.tool, action.args, confirmed=True)
            call = done.model_copy(update={"id": call_id})
            action.status = "done" if call.status == "done" else "failed"
        else:
            call = ToolCall(id=call_id, tool=action.tool, args=action.args, status="cancelled")
    if call.status == "done" and call.result is not None:
        text = call.result.summary
    elif call.status == "cancelled":
        text = f"Cancelled: I won't {action.tool.replace('_', ' ')}."
    else:
        text = f"That didn't work: {call.error or 'the action failed'}"
    first = prepared.candidates[0]
    sources = _sources([call])
    answer = QueryAnswer(
        answer=text,
        conversation_id=prepared.conversation_id,
        tool_calls=[ToolCallOut.model_validate(call.model_dump())],
        sources=sources,
        suggested_actions=_suggested_actions(sources),
        provider=first.provider,
        model=first.model_name,
        usage=TokenUsage(prompt_tokens=0, completion_tokens=0),
    )
    said = f"{'Confirm' if confirming else 'Cancel'}: {action.tool.replace('_', ' ')}"
    # Recorded as a plain exchange, so the model sees next turn what happened to its proposal.
    exchange: list[ModelMessage] = [
        ModelRequest(parts=[UserPromptPart(said)]),
        ModelResponse(parts=[TextPart(text)]),
    ]
    await _save_messages(state, prepared, said, answer, exchange)
    return answer


async def _save_turn(
    state: AppState,
    prepared: PreparedQuery,
    query: str,
    answer: QueryAnswer,
    candidate: Candidate,
    outcome: RunOutcome,
) -> None:
    await _save_messages(state, prepared, query, answer, outcome.new_messages)
    await _record_usage(state, prepared, candidate, outcome, outcome_kind="ok")


async def _save_messages(
    state: AppState, prepared: PreparedQuery, said: str, answer: QueryAnswer, exchange: list[ModelMessage]
) -> None:
    async with state.db.session(tenant_id=prepared.principal.tenant_id) as session:
        messages = MessageRepository(session)
        said_at = utcnow()
        messages.add(
            ConversationMessage(
                conversation_id=prepared.conversation_id, role="user", content=said, created_at=said_at
            )
        )
        messages.add(
            ConversationMessage(
                conversation_id=prepared.conversation_id,
                role="assistant",
                content=answer.answer,
                tool_calls=[call.model_dump(mode="json") for call in answer.tool_calls],
                sources=[source.model_dump(mode="json") for source in answer.sources],
                provider=answer.provider,
                model=answer.model,
                model_messages=dump_messages(exchange),
                # Strictly after the user's message, so the thread reads in order on every backend.
                created_at=said_at + timedelta(microseconds=1),
            )
        )
        conversation = await ConversationRepository(session).get_or_404(prepared.conversation_id)
        conversation.updated_at = utcnow()


async def _record_usage(
    state: AppState,
    prepared: PreparedQuery,
    candidate: Candidate,
    outcome: RunOutcome | None,
    *,
    outcome_kind: str,
) -> None:
    async with state.db.session(tenant_id=prepared.principal.tenant_id) as session:
        UsageRepository(session).add(
            AiUsage(
                actor_id=prepared.principal.actor_id,
                provider=candidate.provider,
                model=candidate.model_name,
                module=prepared.request.module,
                prompt_tokens=outcome.prompt_tokens if outcome else 0,
                completion_tokens=outcome.completion_tokens if outcome else 0,
                cost_usd=outcome.cost_usd if outcome else Decimal(0),
                outcome=outcome_kind,
            )
        )


async def collect(state: AppState, prepared: PreparedQuery) -> QueryAnswer:
    async for event in run(state, prepared):
        if isinstance(event, Finished):
            return event.answer
    raise AiQueryFailed("The assistant produced no answer.", cause="provider_error")


def event_payload(event: QueryEvent) -> tuple[str, dict[str, Any]]:
    """The Server-Sent Event name and data for one event of a run."""
    if isinstance(event, Started):
        return "start", {
            "conversation_id": str(event.conversation_id),
            "provider": event.provider,
            "model": event.model,
        }
    if isinstance(event, TextDelta):
        return "delta", {"text": event.text}
    if isinstance(event, ToolEvent):
        return "tool_call", ToolCallOut.model_validate(event.call.model_dump()).model_dump(mode="json")
    if isinstance(event, FellBack):
        return "fallback", {"from": event.from_provider, "to": event.to_provider, "cause": event.cause}
    return "done", event.answer.model_dump(mode="json")
