"""Outgoing webhooks: endpoints, their deliveries, test pings and redeliveries. Admins only."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from binelek.audit import service as audit
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.db import after_commit
from binelek.kit.pagination import Page, Paging, page_of
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, get_state
from binelek.webhooks import catalogue, jobs, service
from binelek.webhooks.repository import DeliveryRepository, EndpointRepository
from binelek.webhooks.schemas import (
    DeliveryOut,
    DeliveryStatus,
    DeliverySummaryOut,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EventTypeOut,
    SecretRotated,
)

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])
Reader = Annotated[Principal, Depends(require("webhooks:read"))]
Writer = Annotated[Principal, Depends(require("webhooks:write"))]
State = Annotated[AppState, Depends(get_state)]
Meta = Annotated[RequestMeta, Depends(request_meta)]


@router.get("/event-types", response_model=list[EventTypeOut])
async def list_event_types(principal: Reader) -> list[EventTypeOut]:
    """What an endpoint may subscribe to: these types, "*" for all, or a prefix such as "task.*"."""
    return [
        EventTypeOut(type=e.type, module=e.module, description=e.description) for e in catalogue.EVENT_TYPES
    ]


@router.get("", response_model=list[EndpointOut])
async def list_endpoints(principal: Reader, session: TenantSession) -> list[EndpointOut]:
    rows = (await session.scalars(EndpointRepository(session).ordered())).all()
    return [EndpointOut.model_validate(row) for row in rows]


@router.post("", response_model=EndpointCreated, status_code=status.HTTP_201_CREATED)
async def create_endpoint(
    body: EndpointIn, principal: Writer, session: TenantSession, state: State, meta: Meta
) -> EndpointCreated:
    """The answer holds the signing secret in full, once; later only its last four characters."""
    endpoint, secret = await service.create_endpoint(
        session, state.settings, state.encryptor, principal, body
    )
    audit.record_for(session, principal, "webhooks.endpoint.created", meta, endpoint_id=str(endpoint.id))
    return EndpointCreated.model_validate(
        {**EndpointOut.model_validate(endpoint).model_dump(), "secret": secret}
    )


@router.get("/{endpoint_id}", response_model=EndpointOut)
async def get_endpoint(endpoint_id: uuid.UUID, principal: Reader, session: TenantSession) -> EndpointOut:
    return EndpointOut.model_validate(await EndpointRepository(session).get_or_404(endpoint_id))


@router.patch("/{endpoint_id}", response_model=EndpointOut)
async def update_endpoint(
    endpoint_id: uuid.UUID,
    body: EndpointPatch,
    principal: Writer,
    session: TenantSession,
    state: State,
    meta: Meta,
) -> EndpointOut:
    endpoint = await service.update_endpoint(session, state.settings, endpoint_id, body)
    audit.record_for(
        session,
        principal,
        "webhooks.endpoint.updated",
        meta,
        endpoint_id=str(endpoint_id),
        fields=sorted(body.model_fields_set),
    )
    return EndpointOut.model_validate(endpoint)


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_endpoint(
    endpoint_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> Response:
    endpoints = EndpointRepository(session)
    await endpoints.delete(await endpoints.get_or_404(endpoint_id))
    audit.record_for(session, principal, "webhooks.endpoint.deleted", meta, endpoint_id=str(endpoint_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/rotate-secret", response_model=SecretRotated)
async def rotate_secret(
    endpoint_id: uuid.UUID, principal: Writer, session: TenantSession, state: State, meta: Meta
) -> SecretRotated:
    """A new secret, shown once. For 24 hours messages carry signatures with both the new and the old."""
    endpoint, secret = await service.rotate_secret(session, state.encryptor, endpoint_id)
    audit.record_for(
        session, principal, "webhooks.endpoint.secret_rotated", meta, endpoint_id=str(endpoint_id)
    )
    assert endpoint.previous_secret_expires_at is not None
    return SecretRotated(
        secret=secret,
        secret_last4=endpoint.secret_last4,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
    )


@router.post("/{endpoint_id}/test", response_model=DeliverySummaryOut, status_code=status.HTTP_202_ACCEPTED)
async def send_test(endpoint_id: uuid.UUID, principal: Writer, session: TenantSession) -> DeliverySummaryOut:
    """Send a `webhook.test` message now (one attempt, even to a disabled endpoint); follow it in
    the deliveries."""
    delivery = await service.send_test(session, endpoint_id)
    after_commit(session, lambda: jobs.enqueue([delivery.id]))
    return DeliverySummaryOut.model_validate(delivery)


@router.get("/{endpoint_id}/deliveries", response_model=Page[DeliverySummaryOut])
async def list_deliveries(
    endpoint_id: uuid.UUID,
    principal: Reader,
    session: TenantSession,
    paging: Paging,
    status_filter: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
) -> Page[DeliverySummaryOut]:
    await EndpointRepository(session).get_or_404(endpoint_id)
    deliveries = DeliveryRepository(session)
    rows, total = await deliveries.page(deliveries.of_endpoint(endpoint_id, status_filter), paging)
    return page_of(DeliverySummaryOut, rows, total, paging)


@router.get("/{endpoint_id}/deliveries/{delivery_id}", response_model=DeliveryOut)
async def get_delivery(
    endpoint_id: uuid.UUID, delivery_id: uuid.UUID, principal: Reader, session: TenantSession
) -> DeliveryOut:
    delivery = await DeliveryRepository(session).of_endpoint_or_404(endpoint_id, delivery_id)
    return DeliveryOut.model_validate(delivery)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response_model=DeliverySummaryOut,
    status_code=status.HTTP_202_ACCEPTED,
)
async def redeliver(
    endpoint_id: uuid.UUID, delivery_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> DeliverySummaryOut:
    """Send the same message (same webhook-id and body) again, with a fresh retry schedule."""
    delivery = await service.redeliver(session, endpoint_id, delivery_id)
    audit.record_for(
        session,
        principal,
        "webhooks.delivery.redelivered",
        meta,
        endpoint_id=str(endpoint_id),
        delivery_id=str(delivery_id),
    )
    after_commit(session, lambda: jobs.enqueue([delivery.id]))
    return DeliverySummaryOut.model_validate(delivery)
