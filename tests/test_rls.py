"""PostgreSQL row-level security (kit/rls.py): every tenant-owned table carries the policy, and for a
role that RLS binds (not a superuser) a transaction scoped to tenant A can neither see nor write
tenant B's rows, while system work (no tenant set) sees everything."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import make_url, text

from binelek.kit import rls
from binelek.kit.db import Database
from binelek.kit.models import metadata
from tests.conftest import RUN_ID, TEST_DB, register

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(TEST_DB != "postgres", reason="runs in the PostgreSQL pass of `make test`"),
]


async def test_every_tenant_table_has_forced_rls_and_the_policy(state):
    tenant_tables = {table.name for table in metadata.sorted_tables if "tenant_id" in table.c}
    expected = tenant_tables - set(rls.EXEMPT)
    assert set(rls.EXEMPT) <= tenant_tables, "an exemption names a table that is not tenant-owned"
    assert {table.name for table in rls.tenant_tables(metadata)} == expected
    async with state.db.engine.connect() as conn:
        flags = {
            row.relname: (row.relrowsecurity, row.relforcerowsecurity)
            for row in await conn.execute(
                text(
                    "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
                )
            )
        }
        policies = {
            row.tablename: row
            for row in await conn.execute(
                text(
                    "SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies "
                    "WHERE schemaname = current_schema() AND policyname = :name"
                ),
                {"name": rls.POLICY},
            )
        }
    missing = sorted(name for name in expected if flags.get(name) != (True, True))
    assert not missing, (
        f"tables without ENABLE + FORCE ROW LEVEL SECURITY (call rls.apply in their migration): {missing}"
    )
    assert sorted(expected - set(policies)) == [], "tables without the tenant policy"
    for name in expected:
        policy = policies[name]
        assert policy.cmd == "ALL", name
        for clause in (policy.qual, policy.with_check):
            assert "current_setting('app.tenant_id'::text, true)" in clause and "tenant_id =" in clause, name
    for name in rls.EXEMPT:
        assert flags[name] == (False, False) and name not in policies


@pytest.fixture
async def restricted_role(state, database_url):
    """A plain LOGIN role (no superuser, no BYPASSRLS) with DML rights on the test database."""
    role = f"binelek_rls_{RUN_ID}_{uuid.uuid4().hex[:6]}"
    password = uuid.uuid4().hex
    database = make_url(database_url).database
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{password}'")
        admin.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
        admin.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        admin.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    try:
        yield role, password
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


def _as(database_url: str, role: str, password: str) -> str:
    return make_url(database_url).set(username=role, password=password).render_as_string(hide_password=False)


async def test_a_tenant_transaction_cannot_see_or_write_another_tenants_rows(
    client, state, database_url, restricted_role
):
    role, password = restricted_role
    alice = await register(client, company="RLS Alice")
    bob = await register(client, company="RLS Bob")
    for account in (alice, bob):
        created = await client.post(
            "/api/documents", json={"title": f"{account.email} notes", "body": "x"}, headers=account.headers
        )
        assert created.status_code == 201, created.text
    a, b = alice.tenant_id, bob.tenant_id
    both = "SELECT count(*) FROM documents WHERE tenant_id IN (%s, %s)"

    with psycopg.connect(_as(database_url, role, password)) as conn:
        # System context: no tenant set, every row visible.
        assert conn.execute(both, (a, b)).fetchone()[0] == 2
        conn.rollback()
        # Tenant A's transaction: B's rows are invisible, untouchable and cannot be created.
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (a,))
        assert conn.execute(both, (a, b)).fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM documents WHERE tenant_id = %s", (b,)).fetchone()[0] == 0
        assert conn.execute("UPDATE documents SET title = 'taken' WHERE tenant_id = %s", (b,)).rowcount == 0
        assert conn.execute("DELETE FROM documents WHERE tenant_id = %s", (b,)).rowcount == 0
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "INSERT INTO documents (id, tenant_id, title, body, tags, created_at, updated_at) "
                "VALUES (%s, %s, 'planted', '', '[]', now(), now())",
                (uuid.uuid4(), b),
            )
        conn.rollback()
        # Moving A's own row to B is refused too (WITH CHECK).
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (a,))
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("UPDATE documents SET tenant_id = %s WHERE tenant_id = %s", (b, a))
        conn.rollback()
        # The setting is transaction-local: the next transaction is system context again.
        assert conn.execute(both, (a, b)).fetchone()[0] == 2
        conn.rollback()

    # The app's own tenant sessions set the tenant on every transaction (kit/db.py).
    db = Database(_as(state.settings.sqlalchemy_url, role, password))
    try:
        raw = text("SELECT count(*) FROM documents WHERE tenant_id IN (:a, :b)")
        async with db.session(tenant_id=uuid.UUID(a)) as session:
            assert (await session.execute(raw, {"a": uuid.UUID(a), "b": uuid.UUID(b)})).scalar_one() == 1
            await session.commit()  # a second transaction in the same session is scoped as well
            assert (await session.execute(raw, {"a": uuid.UUID(a), "b": uuid.UUID(b)})).scalar_one() == 1
        async with db.session() as session:
            assert (await session.execute(raw, {"a": uuid.UUID(a), "b": uuid.UUID(b)})).scalar_one() == 2
    finally:
        await db.dispose()
