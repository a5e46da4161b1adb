"""HTTP layer: the organization's full export and its deletion (owner only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.responses import FileResponse

from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.db import after_commit
from binelek.kit.errors import ProblemError
from binelek.kit.pagination import Page, Paging, page_of
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, get_state
from binelek.tenantdata import jobs, service
from binelek.tenantdata.schemas import DeleteOrganizationIn, DeletionAccepted, ExportOut

router = APIRouter(prefix="/api/organization", tags=["organization"])

Owner = Annotated[Principal, Depends(require("org:manage"))]
State = Annotated[AppState, Depends(get_state)]
Meta = Annotated[RequestMeta, Depends(request_meta)]


class JobsUnavailable(ProblemError):
    status, code = 503, "JOBS_UNAVAILABLE"


def _jobs_running(state: AppState) -> None:
    if state.jobs is None or not state.jobs.running:
        raise JobsUnavailable("Background jobs are not running in this process.")


@router.post("/export", status_code=status.HTTP_202_ACCEPTED)
async def start_export(principal: Owner, state: State, session: TenantSession, meta: Meta) -> ExportOut:
    """Start an archive of all the organization's data (JSON per table, CSV for business data)."""
    _jobs_running(state)
    export = await service.request_export(session, principal, meta)
    tenant_id, export_id = principal.tenant_id, export.id

    async def enqueue() -> None:
        await jobs.enqueue_export(tenant_id, export_id)

    after_commit(session, enqueue)
    return ExportOut.model_validate(export)


@router.get("/exports")
async def list_exports(principal: Owner, session: TenantSession, paging: Paging) -> Page[ExportOut]:
    """The organization's exports, newest first, with their status and progress."""
    service.require_owner(principal)
    items, total = await service.list_exports(session, paging)
    return page_of(ExportOut, items, total, paging)


@router.get("/exports/{export_id}")
async def get_export(export_id: uuid.UUID, principal: Owner, session: TenantSession) -> ExportOut:
    service.require_owner(principal)
    return ExportOut.model_validate(await service.get_export(session, export_id))


@router.get(
    "/exports/{export_id}/download",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "The export archive."}},
)
async def download_export(
    export_id: uuid.UUID, principal: Owner, state: State, session: TenantSession, meta: Meta
) -> FileResponse:
    path, filename = await service.export_download(
        session, state.settings.binelek_data_dir, principal, export_id, meta
    )
    return FileResponse(
        path,
        media_type="application/zip",
        filename=filename,
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.delete("", status_code=status.HTTP_202_ACCEPTED)
async def delete_organization(
    data: DeleteOrganizationIn, principal: Owner, state: State, session: TenantSession, meta: Meta
) -> DeletionAccepted:
    """Delete the organization and all its data. Everyone's access ends at once; the data goes in
    the background. People who belong to no other organization are deleted too."""
    _jobs_running(state)
    await service.request_deletion(state, session, principal, data, meta)
    tenant_id = principal.tenant_id

    async def enqueue() -> None:
        await jobs.enqueue_deletion(tenant_id)

    after_commit(session, enqueue)
    return DeletionAccepted(tenant_id=tenant_id)
