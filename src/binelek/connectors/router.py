from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile, status
from fastapi.responses import PlainTextResponse

from binelek.connectors import connect, jobs, runs, service
from binelek.connectors.adapters.base import WebhookRequest
from binelek.connectors.rows import ENTITIES
from binelek.connectors.schemas import (
    AuthorizationOut,
    CatalogueEntry,
    ConnectionCreated,
    ConnectionOut,
    ConnectorsOverview,
    EntityColumnsOut,
    EntityList,
    FileImportAccepted,
    FileImportOut,
    KeyConnectionIn,
    OAuthCallbackIn,
    SyncIn,
    SyncRequested,
    SyncRunOut,
    WebhookAccepted,
)
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.db import after_commit
from binelek.kit.errors import PROBLEM_MEDIA_TYPE, Problem, ProblemError
from binelek.kit.jobs import can_enqueue
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
    _require_jobs(state)
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
        last_error=connection.last_error,
        last_run=SyncRunOut.model_validate(summary.last_run) if summary.last_run else None,
    )


@router.get("")
async def list_connectors(
    session: TenantSession, principal: Reader, state: Annotated[AppState, Depends(get_state)]
) -> ConnectorsOverview:
    """The source types a tenant can connect, and the tenant's connections with their record counts."""
    catalogue = [
        CatalogueEntry(
            type=item.spec.id,
            name=item.spec.name,
            category=item.spec.category,
            auth=item.spec.auth,
            streams=list(item.spec.streams),
            available=item.available,
            configured=item.configured,
            key_fields=list(item.key_fields),
            account_fields=list(item.account_fields),
        )
        for item in service.catalogue(state.settings)
    ]
    connections = await service.list_connections(session, principal.tenant_id)
    return ConnectorsOverview(catalogue=catalogue, connections=[_connection_out(c) for c in connections])


def _require_jobs(state: AppState) -> None:
    # An API-only process (JOBS_ENABLED=false) enqueues for the workers; one whose engine failed can't.
    if not can_enqueue(state.jobs, state.settings):
        raise JobsUnavailable("Background jobs are not running in this process.")


async def _created(
    state: AppState, principal: Principal, connection_id: uuid.UUID, run_id: uuid.UUID
) -> ConnectionCreated:
    await jobs.enqueue_sync(principal.tenant_id, connection_id, run_id)
    async with state.db.session(principal.tenant_id) as session:
        summary = await service.get_connection(session, principal.tenant_id, connection_id)
    return ConnectionCreated(connection=_connection_out(summary), run_id=run_id)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        400: _problem_doc("The provider refused the key"),
        503: _problem_doc("Background jobs are not running in this process"),
    },
)
async def connect_with_key(
    body: KeyConnectionIn, principal: Manager, state: Annotated[AppState, Depends(get_state)], meta: Meta
) -> ConnectionCreated:
    """Connect with a key (Stripe restricted key, Shopify custom-app token): checked with one call to
    the provider, stored encrypted, then the first full sync is queued."""
    _require_jobs(state)
    connection, run = await connect.connect_with_key(
        state.db,
        principal,
        state.settings,
        state.encryptor,
        body.type,
        body.name,
        body.credentials,
        body.webhook_secret,
        meta,
    )
    return await _created(state, principal, connection.id, run.id)


@router.get(
    "/oauth/{provider}/authorize",
    responses={409: _problem_doc("No OAuth app is configured for this provider")},
)
async def authorize(
    provider: str,
    principal: Manager,
    session: TenantSession,
    state: Annotated[AppState, Depends(get_state)],
    shop: Annotated[str | None, Query(description="Shopify: the shop's name.")] = None,
    accounts_domain: Annotated[str | None, Query(description="Zoho: accounts.zoho.com, .eu, .in, …")] = None,
    tenant: Annotated[str | None, Query(description="Outlook: the Entra tenant, default common.")] = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
) -> AuthorizationOut:
    """Start connecting: the provider's authorization URL with a one-time state (and PKCE)."""
    extras = {"shop": shop, "accounts_domain": accounts_domain, "tenant": tenant}
    authorization = await connect.authorize(
        session, principal, state.settings, state.encryptor, provider, extras, name
    )
    return AuthorizationOut(
        authorization_url=authorization.url, state=authorization.state, expires_in=authorization.expires_in
    )


@router.post(
    "/oauth/{provider}/callback",
    status_code=status.HTTP_201_CREATED,
    responses={400: _problem_doc("The state or the code was refused")},
)
async def oauth_callback(
    provider: str,
    body: OAuthCallbackIn,
    principal: Manager,
    state: Annotated[AppState, Depends(get_state)],
    meta: Meta,
) -> ConnectionCreated:
    """Finish connecting: exchange the code, store the tokens encrypted, queue the first full sync."""
    _require_jobs(state)
    extras = {key: str(value) for key, value in (body.model_extra or {}).items() if value is not None}
    connection, run = await connect.complete(
        state.db,
        principal,
        state.settings,
        state.encryptor,
        provider,
        body.code,
        body.state,
        extras,
        meta,
    )
    return await _created(state, principal, connection.id, run.id)


@router.post(
    "/webhooks/{provider}/{connection_id}",
    status_code=status.HTTP_202_ACCEPTED,
    responses={401: _problem_doc("The signature does not verify; nothing was stored")},
)
async def receive_webhook(
    provider: str, connection_id: uuid.UUID, request: Request, state: Annotated[AppState, Depends(get_state)]
) -> Any:
    """A provider's webhook: verified on the raw body, de-duplicated by event id, processed by an
    incremental sync in the background. Microsoft Graph's validation handshake is answered here."""
    raw = await request.body()
    webhook = WebhookRequest(
        method=request.method,
        url=_public_url(state, request),
        headers={key.lower(): value for key, value in request.headers.items()},
        body=raw,
    )
    outcome = await runs.receive_webhook(
        state.db, state.settings, state.encryptor, provider, connection_id, webhook
    )
    if outcome.challenge is not None:
        return PlainTextResponse(outcome.challenge, status_code=200)
    if outcome.run is not None and can_enqueue(state.jobs, state.settings):
        await jobs.enqueue_sync(outcome.run.tenant_id, outcome.run.connection_id, outcome.run.run_id)
    return WebhookAccepted(accepted=outcome.accepted, duplicates=outcome.duplicates)


def _public_url(state: AppState, request: Request) -> str:
    """The URL as the provider called it: behind a proxy, the install's public URL, not ours."""
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{state.settings.public_url.rstrip('/')}{request.url.path}{query}"


@router.post(
    "/sync/{connection_id}",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        404: _problem_doc("No such connection in this tenant"),
        409: _problem_doc("The connection cannot sync (a file connection, or it needs reconnecting)"),
    },
)
async def sync_now(
    connection_id: uuid.UUID,
    principal: Manager,
    session: TenantSession,
    state: Annotated[AppState, Depends(get_state)],
    meta: Meta,
    body: SyncIn | None = None,
) -> SyncRequested:
    """Sync now (incrementally, after the first full sync). Joins a sync already waiting to start."""
    _require_jobs(state)
    run, new = await service.request_sync(
        session, principal, connection_id, body.streams if body else None, meta
    )
    if new:
        tenant_id, run_id = principal.tenant_id, run.id

        async def enqueue() -> None:
            await jobs.enqueue_sync(tenant_id, connection_id, run_id)

        after_commit(session, enqueue)
    return SyncRequested(run_id=run.id, status="queued")


@router.get("/{connection_id}/runs", dependencies=[Depends(require("connectors:read"))])
async def list_runs(connection_id: uuid.UUID, session: TenantSession, paging: Paging) -> Page[SyncRunOut]:
    """The connection's sync history, newest first."""
    items, total = await runs.list_runs(session, connection_id, paging)
    return page_of(SyncRunOut, items, total, paging)


@router.get("/{connection_id}/runs/{run_id}", dependencies=[Depends(require("connectors:read"))])
async def get_run(connection_id: uuid.UUID, run_id: uuid.UUID, session: TenantSession) -> SyncRunOut:
    return SyncRunOut.model_validate(await runs.get_run(session, connection_id, run_id))


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
    state: Annotated[AppState, Depends(get_state)],
    keep_data: Annotated[
        bool, Query(description="Keep the rows it brought in (the connection becomes disconnected).")
    ] = False,
) -> None:
    """Remove a connection: the grant is revoked at the provider where it supports that and the
    credentials are deleted; without keep_data its rows in every business table are deleted too."""
    await service.get_connection(session, principal.tenant_id, connection_id)  # 404 before any revoking
    await connect.revoke_and_purge(
        state.db, state.settings, state.encryptor, principal.tenant_id, connection_id
    )
    await service.delete_connection(session, principal, connection_id, keep_data, meta)
