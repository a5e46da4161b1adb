"""Ops Copilot's e-mail endpoints: drafts, sending, the sent list and templates."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from binelek.audit import service as audit
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.pagination import Page, Paging
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, get_state
from binelek.ops import email
from binelek.ops.schemas import DraftIn, DraftOut, OutgoingEmailOut, SendIn, TemplateIn, TemplateOut

router = APIRouter(prefix="/api/modules/ops-copilot/email", tags=["ops-copilot"])
Reader = Annotated[Principal, Depends(require("ops:read"))]
Writer = Annotated[Principal, Depends(require("ops:write"))]
State = Annotated[AppState, Depends(get_state)]
Meta = Annotated[RequestMeta, Depends(request_meta)]


@router.post("/draft", response_model=DraftOut)
async def draft_email(body: DraftIn, principal: Reader, session: TenantSession, state: State) -> DraftOut:
    """A subject and body: the template rendered over `context`, or written from `prompt` (by the
    organization's AI model when it has one, else composed plainly)."""
    return await email.draft(state, session, principal, body, now=datetime.now(UTC))


@router.post("/send", response_model=OutgoingEmailOut, status_code=status.HTTP_201_CREATED)
async def send_email(
    body: SendIn, principal: Writer, session: TenantSession, state: State, meta: Meta
) -> OutgoingEmailOut:
    """Send through the connected Gmail or Outlook mailbox that may send, else the platform's SMTP."""
    # send_message writes in its own transactions: nothing is written in `session` until it returns.
    sent = await email.send_message(
        state.db,
        state.settings,
        principal.tenant_id,
        to=[str(address) for address in body.to],
        subject=body.subject,
        body=body.body,
        sent_by=principal.user_id,
    )
    audit.record_for(
        session,
        principal,
        "ops.email.sent",
        meta,
        email_id=str(sent.id),
        via=sent.via,
        recipients=len(sent.to),
    )
    return OutgoingEmailOut.model_validate(sent)


@router.get("/messages", response_model=Page[OutgoingEmailOut])
async def list_messages(
    principal: Reader,
    session: TenantSession,
    paging: Paging,
    status_: Annotated[Literal["pending", "sent", "failed"] | None, Query(alias="status")] = None,
) -> Page[OutgoingEmailOut]:
    """Messages sent (or tried) recently, newest first."""
    return await email.list_messages(session, paging, status_)


@router.get("/templates", response_model=Page[TemplateOut])
async def list_templates(principal: Reader, session: TenantSession, paging: Paging) -> Page[TemplateOut]:
    return await email.list_templates(session, paging)


@router.post("/templates", response_model=TemplateOut, status_code=status.HTTP_201_CREATED)
async def create_template(
    body: TemplateIn, principal: Writer, session: TenantSession, meta: Meta
) -> TemplateOut:
    template = await email.create_template(session, body)
    audit.record_for(session, principal, "ops.email_template.created", meta, template_id=str(template.id))
    return TemplateOut.model_validate(template)


@router.get("/templates/{template_id}", response_model=TemplateOut)
async def get_template(template_id: uuid.UUID, principal: Reader, session: TenantSession) -> TemplateOut:
    return TemplateOut.model_validate(await email.get_template(session, template_id))


@router.put("/templates/{template_id}", response_model=TemplateOut)
async def update_template(
    template_id: uuid.UUID, body: TemplateIn, principal: Writer, session: TenantSession, meta: Meta
) -> TemplateOut:
    template = await email.update_template(session, template_id, body)
    audit.record_for(session, principal, "ops.email_template.updated", meta, template_id=str(template_id))
    return TemplateOut.model_validate(template)


@router.delete("/templates/{template_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_template(
    template_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> Response:
    await email.delete_template(session, template_id)
    audit.record_for(session, principal, "ops.email_template.deleted", meta, template_id=str(template_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
