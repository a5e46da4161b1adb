"""Mini Foundry's data sources: what feeds the metrics, and read-only external databases."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from binelek.foundry import datasources
from binelek.foundry.schemas import DataSourceOut, ExternalDatabaseIn, ExternalTablePreviewOut
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.errors import PROBLEM_MEDIA_TYPE, Problem
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, get_state

router = APIRouter(prefix="/api/modules/mini-foundry", tags=["mini-foundry"])
Reader = Annotated[Principal, Depends(require("foundry:read"))]
# Registering an external database hands the organization a read path into it: admins only.
DatabaseAdmin = Annotated[Principal, Depends(require("connectors:write"))]
ModuleWriter = Depends(require("foundry:write"))  # also answers MODULE_DISABLED when the module is off
State = Annotated[AppState, Depends(get_state)]
Meta = Annotated[RequestMeta, Depends(request_meta)]

_EXTERNAL_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {
        "model": Problem,
        "description": "Invalid URL, or the database could not be reached (DATA_SOURCE_UNREACHABLE) or "
        "failed the query (DATA_SOURCE_QUERY_FAILED); `cause` says why",
        "content": {PROBLEM_MEDIA_TYPE: {}},
    }
}


@router.get("/data-sources")
async def list_data_sources(session: TenantSession, principal: Reader, state: State) -> list[DataSourceOut]:
    """Connections, file imports and external databases, with record counts, freshness and quality."""
    return await datasources.list_data_sources(session, principal.tenant_id, cache=state.cache)


@router.post(
    "/data-sources",
    status_code=status.HTTP_201_CREATED,
    dependencies=[ModuleWriter],
    responses=_EXTERNAL_ERRORS,
)
async def add_database(
    body: ExternalDatabaseIn, session: TenantSession, principal: DatabaseAdmin, state: State, meta: Meta
) -> DataSourceOut:
    """Register an external PostgreSQL, MySQL/MariaDB or SQLite database; its schema is read
    read-only. The URL is stored encrypted and never returned; only a hint without the password is."""
    return await datasources.add_database(session, principal, state.encryptor, state.settings, body, meta)


@router.get("/data-sources/{source_id}", dependencies=[Depends(require("foundry:read"))])
async def get_database(source_id: uuid.UUID, session: TenantSession) -> DataSourceOut:
    """One external database with its tables and columns."""
    return await datasources.get_database(session, source_id)


@router.post("/data-sources/{source_id}/refresh", dependencies=[ModuleWriter])
async def refresh_database(
    source_id: uuid.UUID, session: TenantSession, _principal: DatabaseAdmin, state: State
) -> DataSourceOut:
    """Read the schema again; a database that no longer answers comes back with status `error`."""
    return await datasources.refresh_database(session, state.encryptor, state.settings, source_id)


@router.delete(
    "/data-sources/{source_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[ModuleWriter]
)
async def delete_database(
    source_id: uuid.UUID, session: TenantSession, principal: DatabaseAdmin, meta: Meta
) -> Response:
    await datasources.delete_database(session, principal, source_id, meta)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/data-sources/{source_id}/tables/{table:path}/preview",
    dependencies=[Depends(require("foundry:read"))],
    responses=_EXTERNAL_ERRORS,
)
async def preview_table(
    source_id: uuid.UUID,
    table: str,
    session: TenantSession,
    state: State,
    limit: Annotated[int, Query(ge=1, le=datasources.PREVIEW_MAX_LIMIT)] = datasources.PREVIEW_DEFAULT_LIMIT,
) -> ExternalTablePreviewOut:
    """The first rows of a table of an external database, read-only and time-limited."""
    return await datasources.preview_table(session, state.encryptor, state.settings, source_id, table, limit)
