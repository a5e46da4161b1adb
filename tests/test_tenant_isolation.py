"""Every tenant-owned model, enumerated from the metadata, is filtered on read and guarded on write."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Boolean, DateTime, Integer, String, Uuid, delete, func, inspect, select, update
from sqlalchemy.types import JSON

from binelek.identity.models import Tenant, User
from binelek.kit import models as _all_models  # noqa: F401
from binelek.kit.db import Base, TenantIsolationError, TenantMixin, UTCDateTime
from binelek.kit.repository import TenantRepository


def tenant_models() -> list[type[Any]]:
    """Parents before children (metadata order), so a row's tenant-owned parent exists first."""
    order = {table.name: position for position, table in enumerate(Base.metadata.sorted_tables)}
    return sorted(
        (mapper.class_ for mapper in Base.registry.mappers if issubclass(mapper.class_, TenantMixin)),
        key=lambda cls: order[cls.__tablename__],
    )


def test_tenant_models_are_enumerated():
    names = {model.__name__ for model in tenant_models()}
    assert {"Membership", "ApiKey", "Invitation", "AuditLog", "Event"} <= names
    # Every table with a tenant_id column is tenant-owned, so none escapes the guard.
    for table in Base.metadata.sorted_tables:
        if "tenant_id" in table.c and table.name not in {"refresh_tokens"}:
            assert any(model.__table__ is table for model in tenant_models()), table.name


def _target(column: Any) -> str:
    return str(next(iter(column.foreign_keys)).column.table.name)


def _value_for(column: Any, parents: dict[str, uuid.UUID]) -> Any:
    if column.foreign_keys:
        target = _target(column)
        assert target in parents, f"factory knows no parent for {column}"
        return parents[target]
    kind = column.type
    if isinstance(kind, Uuid):
        return uuid.uuid4()
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return 1
    if isinstance(kind, DateTime | UTCDateTime):
        return datetime.now(UTC)
    if isinstance(kind, JSON):
        return {}
    if isinstance(kind, String):
        return uuid.uuid4().hex[: min(kind.length or 32, 32)]
    return kind.python_type()


def build(model: type[Any], tenant_id: uuid.UUID, parents: dict[str, uuid.UUID]) -> Any:
    """A row of `model` in `tenant_id`; `parents` maps a table to the row its foreign keys point at
    (the user, and this tenant's rows built so far), and learns the new row."""
    values: dict[str, Any] = {"tenant_id": tenant_id}
    if isinstance(inspect(model).primary_key[0].type, Uuid):
        values["id"] = uuid.uuid4()
    for column in inspect(model).columns:
        if column.key in values or column.primary_key:
            continue
        if column.nullable and (not column.foreign_keys or _target(column) not in parents):
            continue  # an optional link to a row not built yet (e.g. a task's parent task)
        if column.default is not None and not column.foreign_keys:
            continue
        values[column.key] = _value_for(column, parents)
    if "id" in values:
        parents[model.__tablename__] = values["id"]
    return model(**values)


@pytest.fixture
async def two_tenants(state):
    async with state.db.session() as session:
        tenant_a, tenant_b = Tenant(name="Tenant A"), Tenant(name="Tenant B")
        user = User(email=f"iso-{uuid.uuid4().hex}@example.com", full_name="Iso")
        session.add_all([tenant_a, tenant_b, user])
        await session.flush()
        rows: dict[str, tuple[Any, Any]] = {}
        parents_a, parents_b = {"users": user.id}, {"users": user.id}
        for model in tenant_models():
            # Membership is unique per (tenant, user): one user may be in both tenants.
            row_a, row_b = build(model, tenant_a.id, parents_a), build(model, tenant_b.id, parents_b)
            session.add_all([row_a, row_b])
            await session.flush()  # parents first: tables without relationships are not ordered by the ORM
            rows[model.__name__] = (row_a, row_b)
        ids = {name: (a.id, b.id) for name, (a, b) in rows.items()}
    return tenant_a.id, tenant_b.id, ids, parents_b


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m.__name__)
async def test_reads_are_filtered(state, two_tenants, model):
    tenant_a, _tenant_b, ids, _ = two_tenants
    a_id, b_id = ids[model.__name__]
    async with state.db.session(tenant_id=tenant_a) as session:
        rows = (await session.execute(select(model))).scalars().all()
        assert rows and {row.tenant_id for row in rows} == {tenant_a}
        assert a_id in {row.id for row in rows} and b_id not in {row.id for row in rows}
        count = (
            await session.execute(select(func.count()).select_from(select(model).subquery()))
        ).scalar_one()
        assert count == len(rows)
        assert await session.get(model, b_id) is None
        assert (await session.execute(select(model).where(model.id == b_id))).first() is None


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m.__name__)
async def test_writes_are_guarded(state, two_tenants, model):
    tenant_a, tenant_b, ids, parents_b = two_tenants
    b_id = ids[model.__name__][1]
    text_columns = [c.key for c in inspect(model).columns if isinstance(c.type, String) and not c.unique]
    some_column = text_columns[0] if text_columns else None
    async with state.db.session(tenant_id=tenant_a) as session:
        if some_column:
            changed = await session.execute(
                update(model).where(model.id == b_id).values({some_column: "hijacked"})
            )
            assert changed.rowcount == 0
        removed = await session.execute(delete(model).where(model.id == b_id))
        assert removed.rowcount == 0

    with pytest.raises(TenantIsolationError):
        async with state.db.session(tenant_id=tenant_a) as session:
            session.add(build(model, tenant_b, dict(parents_b)))
            await session.flush()

    async with state.db.session() as session:  # B's row survived untouched
        row = await session.get(model, b_id)
        assert row is not None and row.tenant_id == tenant_b
        if some_column:
            assert getattr(row, some_column) != "hijacked"


async def test_new_rows_inherit_the_session_tenant(state, two_tenants):
    tenant_a, *_ = two_tenants
    from binelek.audit.models import AuditLog

    async with state.db.session(tenant_id=tenant_a) as session:
        entry = AuditLog(action="test.inherit", details={})
        session.add(entry)
        await session.flush()
        assert entry.tenant_id == tenant_a


async def test_repository_requires_a_tenant_session(state):
    from binelek.identity.repository import ApiKeyRepository

    async with state.db.session() as session:
        with pytest.raises(RuntimeError):
            ApiKeyRepository(session)

    class NotTenantOwned(TenantRepository[User]):
        model = User

    async with state.db.session(tenant_id=uuid.uuid4()) as session:
        with pytest.raises(TypeError):
            NotTenantOwned(session)
