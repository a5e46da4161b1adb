"""Workflow automation endpoints: thin, typed, tenant-scoped."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.audit import service as audit
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.pagination import Page
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, get_state
from binelek.ops.automation import service, triggers
from binelek.ops.automation.definitions import CONFIGS, EXTERNAL_STEPS, PURE_STEPS, ShortAutomation
from binelek.ops.automation.schemas import (
    ActivationOut,
    CatalogOut,
    DecisionIn,
    RunInput,
    RunOut,
    RunSummaryOut,
    TestIn,
    TestOut,
    WorkflowIn,
    WorkflowOut,
)
from binelek.ops.automation.templating import ROOT_NAMES

router = APIRouter(prefix="/api/modules/ops-copilot", tags=["ops-copilot"])
Reader = Annotated[Principal, Depends(require("ops:read"))]
Writer = Annotated[Principal, Depends(require("ops:write"))]
State = Annotated[AppState, Depends(get_state)]
Meta = Annotated[RequestMeta, Depends(request_meta)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


@router.get("/workflows", response_model=list[WorkflowOut])
async def list_workflows(principal: Reader, session: TenantSession, state: State) -> list[WorkflowOut]:
    return await service.list_workflows(session, state, principal.tenant_id)


@router.get("/workflows/catalog", response_model=CatalogOut)
async def catalog(principal: Reader) -> CatalogOut:
    """What the builder offers: trigger kinds, step types with their config schema, known events."""
    steps = [
        {
            "type": name,
            "kind": "pure" if name in PURE_STEPS else "external" if name in EXTERNAL_STEPS else "wait",
            "config_schema": model.model_json_schema(),
        }
        for name, model in CONFIGS.items()
    ]
    triggers_ = [{"type": kind} for kind in ("manual", "schedule", "event", "webhook", "condition")]
    return CatalogOut(triggers=triggers_, steps=steps, events=service.EVENTS, variables=sorted(ROOT_NAMES))


@router.post("/workflows", response_model=WorkflowOut, status_code=status.HTTP_201_CREATED)
async def create_workflow(
    body: WorkflowIn, principal: Writer, session: TenantSession, state: State, meta: Meta
) -> WorkflowOut:
    workflow = await service.create_workflow(session, state, principal, body)
    audit.record_for(session, principal, "ops.workflow.created", meta, workflow_id=str(workflow.id))
    return workflow


@router.post("/automations", response_model=WorkflowOut, status_code=status.HTTP_201_CREATED)
async def create_automation(
    body: ShortAutomation, principal: Writer, session: TenantSession, state: State, meta: Meta
) -> WorkflowOut:
    """The seed's short form, `{name, trigger, actions}`: stored as a workflow with one step per action."""
    workflow = await service.create_automation(session, state, principal, body)
    audit.record_for(session, principal, "ops.workflow.created", meta, workflow_id=str(workflow.id))
    return workflow


@router.get("/workflows/{workflow_id}", response_model=WorkflowOut)
async def get_workflow(
    workflow_id: uuid.UUID, principal: Reader, session: TenantSession, state: State
) -> WorkflowOut:
    workflow = await service.get_workflow(session, principal.tenant_id, workflow_id)
    return await service.workflow_out(session, state, workflow)


@router.put("/workflows/{workflow_id}", response_model=WorkflowOut)
async def update_workflow(
    workflow_id: uuid.UUID,
    body: WorkflowIn,
    principal: Writer,
    session: TenantSession,
    state: State,
    meta: Meta,
) -> WorkflowOut:
    workflow = await service.update_workflow(session, state, principal, workflow_id, body)
    audit.record_for(
        session,
        principal,
        "ops.workflow.updated",
        meta,
        workflow_id=str(workflow_id),
        version=workflow.version,
    )
    return workflow


@router.delete("/workflows/{workflow_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_workflow(
    workflow_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> Response:
    await service.delete_workflow(session, principal.tenant_id, workflow_id)
    audit.record_for(session, principal, "ops.workflow.deleted", meta, workflow_id=str(workflow_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/workflows/{workflow_id}/activate", response_model=ActivationOut)
async def activate(
    workflow_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> ActivationOut:
    result = await service.set_active(session, principal, workflow_id, True)
    audit.record_for(session, principal, "ops.workflow.activated", meta, workflow_id=str(workflow_id))
    return result


@router.post("/workflows/{workflow_id}/deactivate", response_model=ActivationOut)
async def deactivate(
    workflow_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> ActivationOut:
    result = await service.set_active(session, principal, workflow_id, False)
    audit.record_for(session, principal, "ops.workflow.deactivated", meta, workflow_id=str(workflow_id))
    return result


@router.post("/workflows/{workflow_id}/webhook-secret", response_model=WorkflowOut)
async def rotate_webhook_secret(
    workflow_id: uuid.UUID, principal: Writer, session: TenantSession, state: State, meta: Meta
) -> WorkflowOut:
    workflow = await service.rotate_webhook_secret(session, state, principal.tenant_id, workflow_id)
    audit.record_for(
        session, principal, "ops.workflow.webhook_secret_rotated", meta, workflow_id=str(workflow_id)
    )
    return workflow


@router.post("/workflows/{workflow_id}/run", response_model=RunOut, status_code=status.HTTP_202_ACCEPTED)
async def run_workflow(
    workflow_id: uuid.UUID,
    body: RunInput,
    principal: Writer,
    session: TenantSession,
    idempotency_key: IdempotencyKey = None,
) -> RunOut:
    run = await service.run_manually(session, principal, workflow_id, body.input, idempotency_key)
    await session.flush()
    return await service.run_detail(session, principal.tenant_id, run.id)


@router.post("/workflows/{workflow_id}/test", response_model=TestOut)
async def test_workflow(
    workflow_id: uuid.UUID, body: TestIn, principal: Writer, session: TenantSession
) -> TestOut:
    """A dry run: what each step would do with this input. Nothing is written or sent."""
    return await service.dry_run(session, principal, workflow_id, body)


@router.get("/workflows/{workflow_id}/runs", response_model=Page[RunSummaryOut])
async def workflow_runs(
    workflow_id: uuid.UUID,
    principal: Reader,
    session: TenantSession,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[RunSummaryOut]:
    await service.get_workflow(session, principal.tenant_id, workflow_id)
    items, total = await service.list_runs(
        session, principal.tenant_id, workflow_id=workflow_id, status=status_, limit=limit, offset=offset
    )
    return Page[RunSummaryOut](items=items, total=total, limit=limit, offset=offset)


@router.get("/runs", response_model=Page[RunSummaryOut])
async def all_runs(
    principal: Reader,
    session: TenantSession,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[RunSummaryOut]:
    items, total = await service.list_runs(
        session, principal.tenant_id, workflow_id=None, status=status_, limit=limit, offset=offset
    )
    return Page[RunSummaryOut](items=items, total=total, limit=limit, offset=offset)


@router.get("/runs/{run_id}", response_model=RunOut)
async def get_run(run_id: uuid.UUID, principal: Reader, session: TenantSession) -> RunOut:
    return await service.run_detail(session, principal.tenant_id, run_id)


async def _changed_run(
    session: AsyncSession, principal: Principal, meta: RequestMeta, run_id: uuid.UUID, action: str
) -> RunOut:
    """Audit a change to a run and answer with the run as it now is."""
    audit.record_for(session, principal, f"ops.run.{action}", meta, run_id=str(run_id))
    await session.flush()
    return await service.run_detail(session, principal.tenant_id, run_id)


@router.post("/runs/{run_id}/retry", response_model=RunOut)
async def retry_run(run_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta) -> RunOut:
    await service.retry(session, principal.tenant_id, run_id)
    return await _changed_run(session, principal, meta, run_id, "retried")


@router.post("/runs/{run_id}/cancel", response_model=RunOut)
async def cancel_run(run_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta) -> RunOut:
    await service.cancel(session, principal.tenant_id, run_id)
    return await _changed_run(session, principal, meta, run_id, "cancelled")


@router.post("/runs/{run_id}/approve", response_model=RunOut)
async def approve_run(
    run_id: uuid.UUID, body: DecisionIn, principal: Reader, session: TenantSession, meta: Meta
) -> RunOut:
    await service.decide(session, principal, run_id, "approve", body.comment, body.path)
    return await _changed_run(session, principal, meta, run_id, "approved")


@router.post("/runs/{run_id}/reject", response_model=RunOut)
async def reject_run(
    run_id: uuid.UUID, body: DecisionIn, principal: Reader, session: TenantSession, meta: Meta
) -> RunOut:
    await service.decide(session, principal, run_id, "reject", body.comment, body.path)
    return await _changed_run(session, principal, meta, run_id, "rejected")


@router.post("/hooks/{token}", status_code=status.HTTP_202_ACCEPTED, response_model=RunSummaryOut)
async def webhook(token: str, request: Request, state: State) -> RunSummaryOut:
    """A workflow's webhook URL. No bearer token: the caller proves itself with the workflow's secret
    (X-Binelek-Secret) or an HMAC-SHA256 of the body (X-Binelek-Signature: sha256=<hex>)."""
    body = await request.body()
    headers = {key.lower(): value for key, value in request.headers.items()}
    run = await triggers.receive_webhook(state, token, headers, body)
    return RunSummaryOut.model_validate(run)
