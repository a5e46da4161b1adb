"""Repository base for tenant-owned models.

The session guard in `kit.db` adds the tenant predicate to every ORM statement; the repository
also refuses to run on a session that has no tenant, so a tenant-owned query can't be written
without one.
"""

from __future__ import annotations

import uuid
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.db import TENANT_KEY, Base, TenantMixin
from binelek.kit.errors import ResourceNotFound
from binelek.kit.pagination import PageParams, paginate

ModelT = TypeVar("ModelT", bound=Base)


class TenantRepository(Generic[ModelT]):
    model: type[ModelT]
    not_found_message = "The resource does not exist."

    def __init__(self, session: AsyncSession) -> None:
        tenant_id = session.info.get(TENANT_KEY)
        if tenant_id is None:
            raise RuntimeError(f"{type(self).__name__} needs a tenant-scoped session")
        if not issubclass(self.model, TenantMixin):
            raise TypeError(f"{self.model.__name__} is not tenant-owned")
        self.session: AsyncSession = session
        self.tenant_id: uuid.UUID = tenant_id

    def select(self) -> Select[ModelT]:
        return select(self.model).where(self.model.tenant_id == self.tenant_id)  # type: ignore[attr-defined]

    async def get(self, entity_id: uuid.UUID) -> ModelT | None:
        statement = self.select().where(self.model.id == entity_id)  # type: ignore[attr-defined]
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def get_or_404(self, entity_id: uuid.UUID) -> ModelT:
        entity = await self.get(entity_id)
        if entity is None:
            raise ResourceNotFound(self.not_found_message)
        return entity

    async def page(self, statement: Select[Any], params: PageParams) -> tuple[list[ModelT], int]:
        return await paginate(self.session, statement, params)

    def add(self, entity: ModelT) -> ModelT:
        entity.tenant_id = self.tenant_id  # type: ignore[attr-defined]
        self.session.add(entity)
        return entity

    async def delete(self, entity: ModelT) -> None:
        await self.session.delete(entity)
