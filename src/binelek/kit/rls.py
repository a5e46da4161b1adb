"""PostgreSQL row-level security on tenant-owned tables: defence in depth under the session guard.

The ORM guard in `kit.db` scopes every ORM statement of a tenant session; RLS also catches what the
guard cannot see (a raw SQL statement, a Core query that forgot its predicate). Tenant sessions set
`app.tenant_id` for their transaction (`kit.db`, on every transaction begin); the policy then admits
only that tenant's rows, for reads and writes alike. Work that belongs to no tenant — sign-in
lookups, the outbox dispatcher, schedulers, migrations — runs without the setting and sees every row,
so the policy never stands in the way of system work.

RLS binds only roles that are neither superusers nor BYPASSRLS; FORCE makes it bind the tables' owner
too, so the app should run as a plain role owning its tables (docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import MetaData, Table, text
from sqlalchemy.engine import Connection

SETTING = "app.tenant_id"
POLICY = "tenant_isolation"
# `true`: a missing setting reads as NULL instead of an error. Once a transaction-local setting
# has ended, the connection reads it as '' — and PostgreSQL does not promise to evaluate OR from the
# left, so the cast goes through NULLIF: ''::uuid would fail every later system query on that
# pooled connection.
CONDITION = (
    f"coalesce(current_setting('{SETTING}', true), '') = '' "
    f"OR tenant_id = nullif(current_setting('{SETTING}', true), '')::uuid"
)
# Tables with a tenant_id column that deliberately stay outside the policy, and why.
EXEMPT: dict[str, str] = {
    # A sign-in's refresh-token family follows the person across tenants: switching organization
    # or signing out from another one revokes rows stamped with the tenant the family began in.
    "refresh_tokens": "a sign-in's token family spans the user's tenants",
}


def tenant_tables(metadata: MetaData) -> list[Table]:
    """Every table of `metadata` with a tenant_id column, minus the documented exemptions."""
    return [table for table in metadata.sorted_tables if "tenant_id" in table.c and table.name not in EXEMPT]


def enable_statements(table_name: str) -> list[str]:
    """DDL that puts `table_name` under the tenant policy; safe to run again."""
    quoted = f'"{table_name}"'  # our own table names, never user input
    return [
        f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {quoted}",
        f"CREATE POLICY {POLICY} ON {quoted} USING ({CONDITION}) WITH CHECK ({CONDITION})",
    ]


def disable_statements(table_name: str) -> list[str]:
    quoted = f'"{table_name}"'
    return [
        f"DROP POLICY IF EXISTS {POLICY} ON {quoted}",
        f"ALTER TABLE {quoted} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {quoted} DISABLE ROW LEVEL SECURITY",
    ]


def apply(connection: Connection, table_names: Iterable[str]) -> None:
    """Enable the policy on each table (PostgreSQL only; a no-op elsewhere). For migrations: a
    migration that creates a tenant-owned table calls this for it (tests/test_rls.py checks)."""
    if connection.dialect.name != "postgresql":
        return
    for name in table_names:
        for statement in enable_statements(name):
            connection.execute(text(statement))


def remove(connection: Connection, table_names: Iterable[str]) -> None:
    if connection.dialect.name != "postgresql":
        return
    for name in table_names:
        for statement in disable_statements(name):
            connection.execute(text(statement))


def tables_with_tenant_column(connection: Connection) -> list[str]:
    """The database's current tables with a tenant_id column (what a migration should cover);
    none outside PostgreSQL."""
    if connection.dialect.name != "postgresql":
        return []
    rows = connection.execute(
        text(
            "SELECT c.table_name FROM information_schema.columns c "
            "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
            "AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE' "
            "WHERE c.table_schema = current_schema() AND c.column_name = 'tenant_id' "
            "ORDER BY c.table_name"
        )
    )
    return [row[0] for row in rows if row[0] not in EXEMPT]


def set_tenant(connection: Any, tenant_id: object) -> None:
    """Scope the current transaction of a PostgreSQL connection to one tenant (transaction-local)."""
    connection.execute(
        text("SELECT set_config(:name, :value, true)"), {"name": SETTING, "value": str(tenant_id)}
    )
