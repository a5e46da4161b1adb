from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import StreamingResponse

from binelek.ai import query_service, service
from binelek.ai.schemas import (
    ConversationDetail,
    ConversationOut,
    LlmApiKeyIn,
    LlmApiKeyOut,
    LlmSettingsBody,
    ProviderList,
    QueryAnswer,
    QueryIn,
    UsageReport,
)
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.errors import AI_PROBLEM_RESPONSES, AiQueryFailed, ProblemError, problem_body
from binelek.kit.pagination import Page, Paging, page_of
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, get_state

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/api/llm", tags=["ai"])
Meta = Annotated[RequestMeta, Depends(request_meta)]
KeyAdmin = Annotated[Principal, Depends(require("ai_keys:manage"))]


@router.get("/providers", dependencies=[Depends(require("ai:read"))])
async def list_providers(session: TenantSession) -> ProviderList:
    return ProviderList(items=await service.list_providers(session))


@router.get("/api-keys", dependencies=[Depends(require("ai_keys:read"))])
async def list_keys(session: TenantSession, paging: Paging) -> Page[LlmApiKeyOut]:
    keys, total = await service.list_keys(session, paging)
    return page_of(LlmApiKeyOut, keys, total, paging)


@router.post("/api-keys", status_code=status.HTTP_201_CREATED)
async def add_key(
    data: LlmApiKeyIn,
    principal: KeyAdmin,
    state: Annotated[AppState, Depends(get_state)],
    session: TenantSession,
    meta: Meta,
) -> LlmApiKeyOut:
    return LlmApiKeyOut.model_validate(await service.add_key(session, state.encryptor, principal, data, meta))


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_key(key_id: uuid.UUID, principal: KeyAdmin, session: TenantSession, meta: Meta) -> None:
    await service.remove_key(session, principal, key_id, meta)


@router.get("/settings", dependencies=[Depends(require("ai:read"))])
async def get_settings(session: TenantSession) -> LlmSettingsBody:
    return await service.get_settings(session)


@router.put("/settings")
async def update_settings(
    data: LlmSettingsBody, principal: KeyAdmin, session: TenantSession, meta: Meta
) -> LlmSettingsBody:
    return await service.update_settings(session, principal, data, meta)


@router.get("/usage", dependencies=[Depends(require("ai:read"))])
async def usage(session: TenantSession, days: Annotated[int, Query(ge=1, le=366)] = 30) -> UsageReport:
    """Tokens, queries and estimated cost per day and provider, and this month against the budget."""
    return await service.usage_report(session, days)


query_router = APIRouter(prefix="/api", tags=["ai"])
AiUser = Annotated[Principal, Depends(require("ai:use"))]
State = Annotated[AppState, Depends(get_state)]


@query_router.post("/query", responses=AI_PROBLEM_RESPONSES)
async def query(data: QueryIn, principal: AiUser, state: State, meta: Meta) -> QueryAnswer:
    """Ask the agent, or confirm/cancel an action it proposed. Tools run with the caller's permissions."""
    prepared = await query_service.prepare(state, principal, meta, data)
    return await query_service.collect(state, prepared)


@query_router.post(
    "/query/stream",
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-Sent Events: `start`, `delta` {text}, `tool_call` (a ToolCallOut), "
            "`fallback` {from, to, cause}, then `done` (a QueryAnswer) or `error` (a problem).",
        },
        **AI_PROBLEM_RESPONSES,
    },
    response_class=StreamingResponse,
)
async def query_stream(data: QueryIn, principal: AiUser, state: State, meta: Meta) -> StreamingResponse:
    prepared = await query_service.prepare(state, principal, meta, data)
    return StreamingResponse(
        _server_sent_events(state, prepared),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _server_sent_events(state: AppState, prepared: query_service.PreparedQuery) -> AsyncIterator[str]:
    try:
        async for event in query_service.run(state, prepared):
            name, payload = query_service.event_payload(event)
            yield _sse(name, payload)
    except ProblemError as problem:
        yield _sse("error", problem_body(problem))
    except Exception:
        log.exception("ai_stream_failed")
        yield _sse(
            "error", problem_body(AiQueryFailed("The answer failed part-way.", cause="provider_error"))
        )


def _sse(name: str, payload: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"


@query_router.get("/conversations")
async def list_conversations(
    principal: AiUser, session: TenantSession, paging: Paging
) -> Page[ConversationOut]:
    conversations, total = await service.list_conversations(session, principal, paging)
    return page_of(ConversationOut, conversations, total, paging)


@query_router.get("/conversations/{conversation_id}")
async def get_conversation(
    conversation_id: uuid.UUID, principal: AiUser, session: TenantSession
) -> ConversationDetail:
    return await service.conversation_detail(session, principal, conversation_id)


@query_router.delete("/conversations/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_conversation(conversation_id: uuid.UUID, principal: AiUser, session: TenantSession) -> None:
    await service.delete_conversation(session, principal, conversation_id)
