from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile, status

from binelek.connectors import jobs, service
from binelek.connectors.rows import ENTITIES
from binelek.connectors.schemas import (
    CatalogueEntry,
    ConnectionOut,
    ConnectorsOverview,
    EntityColumnsOut,
    EntityList,
    FileImportAccepted,
    FileImportOut,
)
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.db import after_commit
from binelek.kit.errors import PROBLEM_MEDIA_TYPE, Problem, ProblemError
from binelek.kit.pagination import Page, Paging, page_of
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, get_state

router = APIRouter(prefix="/api/connectors", tags=["connectors"])
Manager = Annotated[Principal, Depends(require("connectors:manage"))]
Reader = Annotated[Principal, Depends(require("connectors:read"))]
Meta = Annotated[RequestMeta, Depends(request_meta)]


class JobsUnavailable(ProblemError):
    status, code = 503, "JOBS_UNAVAILABLE"


def _problem_doc(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_MEDIA_TYPE: {}}}


@router.post(
    "/files",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        413: _problem_doc("The file is larger than 50 MB"),
        503: _problem_doc("Background jobs are not running in this process"),
    },
)
async def upload_file(
    principal: Manager,
    session: TenantSession,
    state: Annotated[AppState, Depends(get_state)],
    meta: Meta,
    file: Annotated[
        UploadFile, File(description="A CSV (UTF-8) or XLSX file; the first row names the columns.")
    ],
    entity: Annotated[str, Form(description=f"One of {', '.join(ENTITIES)}.")],
    mapping: Annotated[
        str | None, Form(description='JSON object {"file column": "field"} for non-canonical headers.')
    ] = None,
) -> FileImportAccepted:
    """Queue a file of business records for import; poll its status with the returned id."""
    if state.jobs is None or not state.jobs.running:
        raise JobsUnavailable("Background jobs are not running in this process.")
    record = await service.start_file_import(
        session, principal, state.settings.binelek_data_dir, file, entity, mapping, meta
    )
    tenant_id, import_id = principal.tenant_id, record.id

    async def enqueue() -> None:
        await jobs.enqueue_file_import(tenant_id, import_id)

    after_commit(session, enqueue)
    return FileImportAccepted(import_id=import_id)


@router.get("/files/entities", dependencies=[Depends(require("connectors:read"))])
async def list_entities() -> EntityList:
    """The entities a file can hold and their canonical columns; canonical headers need no mapping."""
    return EntityList(
        items=[
            EntityColumnsOut(entity=entity, required=list(columns.required), optional=list(columns.optional))
            for entity, columns in service.entity_columns()
        ]
    )


@router.get("/files", dependencies=[Depends(require("connectors:read"))])
async def list_file_imports(session: TenantSession, paging: Paging) -> Page[FileImportOut]:
    """The tenant's file imports, newest first."""
    items, total = await service.list_file_imports(session, paging)
    return page_of(FileImportOut, items, total, paging)


@router.get("/files/{import_id}", dependencies=[Depends(require("connectors:read"))])
async def get_file_import(import_id: uuid.UUID, session: TenantSession) -> FileImportOut:
    return FileImportOut.model_validate(await service.get_file_import(session, import_id))


def _connection_out(summary: service.ConnectionSummary) -> ConnectionOut:
    connection = summary.connection
    return ConnectionOut(
        id=connection.id,
        type=connection.type,
        name=connection.name,
        status=connection.status,
        created_at=connection.created_at,
        last_sync_at=summary.last_sync_at,
        record_counts=summary.record_counts,
    )


@router.get("")
async def list_connectors(session: TenantSession, principal: Reader) -> ConnectorsOverview:
    """The source types a tenant can connect, and the tenant's connections with their record counts."""
    catalogue = [
        CatalogueEntry(
            type=spec.id,
            name=spec.name,
            category=spec.category,
            auth=spec.auth,
            streams=list(spec.streams),
            available=available,
        )
        for spec, available in service.catalogue()
    ]
    connections = await service.list_connections(session, principal.tenant_id)
    return ConnectorsOverview(catalogue=catalogue, connections=[_connection_out(c) for c in connections])


# Declared after the /files routes so "/files" is never read as a connection id.
@router.get("/{connection_id}", responses={404: _problem_doc("No such connection in this tenant")})
async def get_connection(
    connection_id: uuid.UUID, session: TenantSession, principal: Reader
) -> ConnectionOut:
    return _connection_out(await service.get_connection(session, principal.tenant_id, connection_id))


@router.delete(
    "/{connection_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: _problem_doc("No such connection in this tenant")},
)
async def delete_connection(
    connection_id: uuid.UUID,
    principal: Manager,
    session: TenantSession,
    meta: Meta,
    keep_data: Annotated[
        bool, Query(description="Keep the rows it brought in (the connection becomes disconnected).")
    ] = False,
) -> None:
    """Remove a connection; without keep_data its rows in every business table are deleted too."""
    await service.delete_connection(session, principal, connection_id, keep_data, meta)
