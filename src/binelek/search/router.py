from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.pagination import Page, Paging, page_of
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, get_state
from binelek.search import service
from binelek.search.schemas import (
    ENTITY_KINDS,
    QUERY_MAX,
    SEARCH_LIMIT_MAX,
    DocumentIn,
    DocumentOut,
    DocumentSummary,
    SearchResults,
)

documents_router = APIRouter(prefix="/api/documents", tags=["documents"])
search_router = APIRouter(prefix="/api/search", tags=["search"])
Meta = Annotated[RequestMeta, Depends(request_meta)]
Writer = Annotated[Principal, Depends(require("documents:write"))]
Searcher = Annotated[Principal, Depends(require("search:read"))]


@search_router.get("")
async def search(
    principal: Searcher,
    state: Annotated[AppState, Depends(get_state)],
    q: Annotated[str, Query(min_length=1, max_length=QUERY_MAX, description="What to look for.")],
    kinds: Annotated[
        list[str] | None,
        Query(description=f"Only these kinds (comma-separated or repeated): {', '.join(ENTITY_KINDS)}."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=SEARCH_LIMIT_MAX)] = 10,
) -> SearchResults:
    return await service.search(state.vectors, principal, q, service.parse_kinds(kinds), limit)


@documents_router.get("", dependencies=[Depends(require("documents:read"))])
async def list_documents(session: TenantSession, paging: Paging) -> Page[DocumentSummary]:
    documents, total = await service.list_documents(session, paging)
    return page_of(DocumentSummary, documents, total, paging)


@documents_router.post("", status_code=status.HTTP_201_CREATED)
async def create_document(
    data: DocumentIn, principal: Writer, session: TenantSession, meta: Meta
) -> DocumentOut:
    return DocumentOut.model_validate(await service.create_document(session, principal, data, meta))


@documents_router.get("/{document_id}", dependencies=[Depends(require("documents:read"))])
async def get_document(document_id: uuid.UUID, session: TenantSession) -> DocumentOut:
    return DocumentOut.model_validate(await service.get_document(session, document_id))


@documents_router.put("/{document_id}")
async def update_document(
    document_id: uuid.UUID, data: DocumentIn, principal: Writer, session: TenantSession, meta: Meta
) -> DocumentOut:
    return DocumentOut.model_validate(
        await service.update_document(session, principal, document_id, data, meta)
    )


@documents_router.delete("/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_document(
    document_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> None:
    await service.delete_document(session, principal, document_id, meta)


routers = (documents_router, search_router)
