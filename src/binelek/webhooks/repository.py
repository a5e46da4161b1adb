"""Queries for webhook endpoints and deliveries. The tenant-scoped repositories serve the API; the
two module functions serve the event consumer and the delivery workflow, which run before they know
a tenant (they read the tenant from the rows, then open a tenant-scoped session)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.repository import TenantRepository
from binelek.webhooks.models import WebhookDelivery, WebhookEndpoint


class EndpointRepository(TenantRepository[WebhookEndpoint]):
    model = WebhookEndpoint
    not_found_message = "No such webhook endpoint."

    def ordered(self) -> Select[WebhookEndpoint]:
        return self.select().order_by(WebhookEndpoint.created_at.desc(), WebhookEndpoint.id)

    async def locked(self, endpoint_id: uuid.UUID, *, for_update: bool) -> WebhookEndpoint | None:
        statement = self.select().where(WebhookEndpoint.id == endpoint_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()


class DeliveryRepository(TenantRepository[WebhookDelivery]):
    model = WebhookDelivery
    not_found_message = "No such delivery."

    def of_endpoint(self, endpoint_id: uuid.UUID, status: str | None) -> Select[WebhookDelivery]:
        statement = self.select().where(WebhookDelivery.endpoint_id == endpoint_id)
        if status is not None:
            statement = statement.where(WebhookDelivery.status == status)
        return statement.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())

    async def of_endpoint_or_404(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> WebhookDelivery:
        delivery = await self.get_or_404(delivery_id)
        if delivery.endpoint_id != endpoint_id:
            await self.get_or_404(uuid.uuid4())  # raises the same 404 as an unknown id
        return delivery

    async def existing_keys(
        self, endpoint_ids: Iterable[uuid.UUID], keys: Iterable[str]
    ) -> set[tuple[uuid.UUID, str]]:
        rows = await self.session.execute(
            select(WebhookDelivery.endpoint_id, WebhookDelivery.dedupe_key).where(
                WebhookDelivery.tenant_id == self.tenant_id,
                WebhookDelivery.endpoint_id.in_(list(endpoint_ids)),
                WebhookDelivery.dedupe_key.in_(list(keys)),
            )
        )
        return {(endpoint_id, key) for endpoint_id, key in rows.tuples()}


async def enabled_endpoints_of(
    session: AsyncSession, tenant_ids: Iterable[uuid.UUID]
) -> list[WebhookEndpoint]:
    """Every enabled endpoint of these tenants (an unscoped read: the consumer sees all tenants)."""
    ids = list(tenant_ids)
    if not ids:
        return []
    statement = select(WebhookEndpoint).where(
        WebhookEndpoint.enabled.is_(True), WebhookEndpoint.tenant_id.in_(ids)
    )
    return list((await session.scalars(statement)).all())


async def tenant_of_delivery(session: AsyncSession, delivery_id: uuid.UUID) -> uuid.UUID | None:
    return (
        await session.execute(select(WebhookDelivery.tenant_id).where(WebhookDelivery.id == delivery_id))
    ).scalar_one_or_none()
