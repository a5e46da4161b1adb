from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from binelek.ai import service
from binelek.ai.schemas import LlmApiKeyIn, LlmApiKeyOut, LlmSettingsBody, ProviderList
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.pagination import Page, Paging, page_of
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, get_state

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
