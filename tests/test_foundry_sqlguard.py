"""The SQL guard: what a model's SQL may do (one SELECT over the tenant's own business rows) and
what it may not — several statements, DML/DDL, other tenants' rows, system tables, forbidden
functions, comment and quoting tricks — and running it read-only with a time limit, on the real
database (SQLite, or PostgreSQL with BINELEK_TEST_DB=postgres)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from binelek.connectors.service import import_rows
from binelek.foundry.sqlguard import (
    ALLOWED_TABLES,
    GuardedSql,
    execute_guarded,
    guard,
    schema_description,
)
from binelek.kit.errors import SqlFailed, SqlRejected
from binelek.kit.state import AppState
from tests.conftest import register

TENANT = uuid.UUID("6f1c2a4e-8a5b-4c3d-9e7f-0a1b2c3d4e5f")
CUSTOMERS_A = 40  # enough for a cross join that takes far longer than the timeout
ORDERS_A = 12
ORDERS_B = 5


def rejected(sql: str, *, dialect: str = "postgres", **kwargs: Any) -> SqlRejected:
    with pytest.raises(SqlRejected) as caught:
        guard(sql, tenant_id=TENANT, dialect=dialect, **kwargs)  # type: ignore[arg-type]
    assert caught.value.status == 422 and caught.value.code == "SQL_REJECTED"
    assert caught.value.cause == caught.value.reason and caught.value.detail
    return caught.value


# ----------------------------------------------------------------------------- rejected, by rule

REJECTED = [
    # several statements, however they are separated or hidden
    ("SELECT 1; SELECT 2", "multiple_statements"),
    ("SELECT name FROM customers; DELETE FROM customers", "multiple_statements"),
    ("SELECT name FROM customers /* harmless */; DROP TABLE customers", "multiple_statements"),
    ("SELECT name FROM customers --\n; DELETE FROM orders", "multiple_statements"),
    # writing and DDL, at the top or inside
    ("DELETE FROM orders", "not_select"),
    ("UPDATE orders SET total = 0", "not_select"),
    ("INSERT INTO orders (order_number) VALUES ('x')", "not_select"),
    ("DROP TABLE orders", "not_select"),
    ("CREATE TABLE stolen AS SELECT * FROM orders", "not_select"),
    ("ALTER TABLE orders ADD COLUMN x INT", "not_select"),
    ("TRUNCATE orders", "not_select"),
    ("COPY orders TO '/tmp/orders.csv'", "not_select"),
    ("SET statement_timeout = 0", "not_select"),
    ("PRAGMA query_only = OFF", "not_select"),
    ("SELECT * INTO stolen FROM orders", "not_select"),
    ("SELECT * FROM orders FOR UPDATE", "not_select"),
    ("WITH gone AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM gone", "not_select"),
    # system and other tables
    ("SELECT * FROM pg_catalog.pg_user", "table_not_allowed"),
    ('SELECT * FROM "pg_catalog"."pg_user"', "table_not_allowed"),
    ("SELECT usename, passwd FROM pg_shadow", "table_not_allowed"),
    ("SELECT * FROM pg_user", "table_not_allowed"),
    ("SELECT table_name FROM information_schema.tables", "table_not_allowed"),
    ("SELECT sql FROM sqlite_master", "table_not_allowed"),
    ("SELECT sql FROM sqlite_schema", "table_not_allowed"),
    ("SELECT * FROM main.orders", "table_not_allowed"),
    ("SELECT * FROM public.orders", "table_not_allowed"),
    ("SELECT email, password_hash FROM users", "table_not_allowed"),
    ("SELECT subject FROM email_messages", "table_not_allowed"),
    ("SELECT name FROM customers UNION SELECT usename FROM pg_user", "table_not_allowed"),
    (
        "SELECT name FROM customers UNION ALL SELECT table_name FROM information_schema.tables",
        "table_not_allowed",
    ),
    ("SELECT name FROM customers WHERE id IN (SELECT tenant_id FROM memberships)", "table_not_allowed"),
    ("SELECT * FROM generate_series(1, 1000000000)", "function_not_allowed"),
    ("SELECT name /* FROM orders */ FROM pg_user", "table_not_allowed"),
    # a CTE may not stand in for a table, nor reach a table it is not in front of
    ("WITH orders AS (SELECT * FROM customers) SELECT * FROM orders", "cte_name_not_allowed"),
    ('WITH "orders" AS (SELECT 1 AS x) SELECT x FROM orders', "cte_name_not_allowed"),
    ("SELECT * FROM (WITH users AS (SELECT 1 AS x) SELECT x FROM users) AS t, users", "table_not_allowed"),
    ("WITH a AS (SELECT x FROM b), b AS (SELECT 1 AS x) SELECT x FROM a", "table_not_allowed"),
    # hidden columns, another tenant's rows by predicate, the whole row
    ("SELECT tenant_id FROM orders", "column_not_allowed"),
    (
        "SELECT name FROM customers WHERE tenant_id <> '00000000-0000-0000-0000-000000000000'",
        "column_not_allowed",
    ),
    (
        "SELECT name FROM customers c WHERE c.id IN "
        "(SELECT o.customer_id FROM orders o WHERE o.tenant_id <> '00000000-0000-0000-0000-000000000000')",
        "column_not_allowed",
    ),
    ("SELECT content_hash, source_id FROM orders", "column_not_allowed"),
    ("SELECT o FROM orders o", "column_not_allowed"),
    ('SELECT "tenant_id" FROM customers', "column_not_allowed"),
    ("SELECT x.tenant_id FROM (SELECT * FROM customers) AS x", "column_not_allowed"),
    # forbidden functions
    ("SELECT pg_sleep(10)", "function_not_allowed"),
    ("SELECT pg_read_file('/etc/passwd')", "function_not_allowed"),
    ("SELECT lo_import('/etc/passwd')", "function_not_allowed"),
    ("SELECT dblink('host=evil', 'SELECT 1')", "function_not_allowed"),
    ("SELECT current_setting('is_superuser')", "function_not_allowed"),
    ("SELECT set_config('statement_timeout', '0', false)", "function_not_allowed"),
    ("SELECT version()", "function_not_allowed"),
    ("SELECT current_user", "function_not_allowed"),
    ("SELECT query_to_xml('SELECT * FROM users', true, true, '')", "function_not_allowed"),
    ("SELECT load_extension('/tmp/evil.so')", "function_not_allowed"),
    ("SELECT randomblob(1000000000)", "function_not_allowed"),
    ("SELECT sqlite_version()", "function_not_allowed"),
    ("SELECT count(*) FROM orders WHERE total > (SELECT pg_sleep(5))", "function_not_allowed"),
    ("SELECT name FROM customers ORDER BY md5(name)", "function_not_allowed"),
    # other constructs
    ("SELECT CAST('orders' AS regclass)", "construct_not_allowed"),
    ("SELECT name FROM customers WHERE id = $1", "construct_not_allowed"),
    ("SELECT name FROM customers WHERE id = :tenant_id", "construct_not_allowed"),
    ("SELECT * FROM orders TABLESAMPLE SYSTEM (10)", "construct_not_allowed"),
    (
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n",
        "construct_not_allowed",
    ),
    (
        "SELECT * FROM customers c, LATERAL (SELECT o.total FROM orders o WHERE o.customer_id = c.id) t",
        "construct_not_allowed",
    ),
    # quoting tricks: other string syntaxes are refused outright, system columns do not exist
    ("SELECT E'\\'';DROP TABLE x;--' AS a FROM customers", "construct_not_allowed"),
    ("SELECT $$;DROP TABLE customers$$ AS a FROM customers", "construct_not_allowed"),
    ("SELECT ctid, xmin, tableoid FROM customers", "column_not_allowed"),
    ("SELECT rowid FROM customers", "column_not_allowed"),
    ("SELECT name FROM customers LIMIT (SELECT count(*) FROM pg_user)", "table_not_allowed"),
    # look-alike characters: with a Cyrillic letter these are other names, not customers / pg_sleep
    ("SELECT name FROM сustomers", "table_not_allowed"),  # noqa: RUF001
    ("SELECT pg_sleеp(1) FROM customers", "function_not_allowed"),  # noqa: RUF001
    ("SELECT nаme FROM customers", "column_not_allowed"),  # noqa: RUF001
    # nothing, or not SQL
    ("", "parse_error"),
    ("-- only a comment", "parse_error"),
    ("SELEC name FROM customers", "parse_error"),
    ("SELECT 'unterminated FROM customers", "parse_error"),
    ("SELECT " + "(" * 3000 + "1" + ")" * 3000, "parse_error"),
]


@pytest.mark.parametrize(("sql", "reason"), REJECTED)
def test_rejected_with_a_clear_reason(sql: str, reason: str):
    assert rejected(sql).reason == reason


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT sql FROM sqlite_master", "table_not_allowed"),
        ("SELECT name FROM [sqlite_schema]", "table_not_allowed"),
        ("ATTACH DATABASE '/tmp/x.db' AS x", "not_select"),
        ("SELECT * FROM pragma_table_info('orders')", "function_not_allowed"),
        ("SELECT load_extension('/tmp/evil.so')", "function_not_allowed"),
        ("SELECT name FROM customers; PRAGMA writable_schema = ON", "parse_error"),
        ("SELECT name FROM customers; PRAGMA writable_schema", "multiple_statements"),
        ("SELECT tenant_id FROM `orders`", "column_not_allowed"),
    ],
)
def test_rejected_when_written_for_sqlite(sql: str, reason: str):
    assert rejected(sql, dialect="sqlite").reason == reason


def test_over_long_sql_is_rejected():
    assert rejected("SELECT name FROM customers WHERE name = '" + "x" * 30_000 + "'").reason == "too_long"


def test_the_rejection_is_an_rfc9457_problem_with_the_reason_as_cause():
    from binelek.kit.errors import problem_body

    body = problem_body(rejected("SELECT * FROM pg_user"))
    assert body["code"] == "SQL_REJECTED" and body["status"] == 422
    assert body["cause"] == "table_not_allowed" and "pg_user" in body["detail"]


# ----------------------------------------------------------------------------------- rewriting


def guarded(sql: str, dialect: str = "postgres", **kwargs: Any) -> GuardedSql:
    return guard(sql, tenant_id=TENANT, dialect=dialect, **kwargs)  # type: ignore[arg-type]


def test_every_table_reference_gets_the_tenant_filter():
    sql = (
        "WITH spenders AS (SELECT customer_id, sum(total) AS spent FROM orders GROUP BY customer_id) "
        "SELECT c.name, s.spent FROM customers c JOIN spenders s ON s.customer_id = c.id "
        "WHERE EXISTS (SELECT 1 FROM refunds r JOIN orders o2 ON o2.id = r.order_id "
        "WHERE o2.customer_id = c.id) "
        "UNION SELECT name, 0 FROM companies"
    )
    result = guarded(sql)
    # orders (in the CTE), customers, refunds, orders again, companies: five references, five filters
    assert result.sql.count(":tenant_id") == 5
    assert result.sql.count("tenant_id") == 10  # "t.tenant_id = :tenant_id" each, nothing else
    assert result.params == {"tenant_id": TENANT}


def test_or_1_equals_1_cannot_widen_the_filter():
    result = guarded("SELECT name FROM customers WHERE name = 'x' OR 1 = 1")
    inner = "(SELECT customers.id, customers.email, customers.name"
    assert (
        inner in result.sql and "WHERE customers.tenant_id = :tenant_id OFFSET 0) AS customers" in result.sql
    )
    assert result.sql.endswith("WHERE customers.name = 'x' OR 1 = 1 LIMIT 1000")


def test_left_join_keeps_its_meaning():
    result = guarded("SELECT c.name, o.total FROM customers c LEFT JOIN orders o ON o.customer_id = c.id")
    # The right side is filtered inside its own reference: unmatched customers still appear.
    assert "LEFT JOIN (SELECT orders.id" in result.sql and "AS o ON o.customer_id = c.id" in result.sql


def test_star_is_the_allow_listed_columns_only():
    result = guarded("SELECT * FROM customers")
    selected = result.sql.split(" FROM ")[0]
    assert selected == (
        "SELECT customers.id AS id, customers.email AS email, customers.name AS name, "
        "customers.phone AS phone, customers.country AS country, customers.city AS city, "
        "customers.source_created_at AS source_created_at"
    )


@pytest.mark.parametrize(
    ("sql", "limit"),
    [
        ("SELECT name FROM customers", 1000),
        ("SELECT name FROM customers LIMIT 5", 5),
        ("SELECT name FROM customers LIMIT 99999", 1000),
        ("SELECT name FROM customers LIMIT ALL", 1000),
        ("SELECT name FROM customers UNION SELECT name FROM companies LIMIT 50000", 1000),
        ("SELECT name FROM customers LIMIT 20 OFFSET 10", 20),
    ],
)
def test_limit_is_added_or_clamped(sql: str, limit: int):
    assert guarded(sql).sql.split(" LIMIT ")[-1].split(" ")[0] == str(limit)


def test_limit_follows_max_rows():
    assert guarded("SELECT name FROM customers LIMIT 500", max_rows=100).sql.endswith("LIMIT 100")


def test_comments_are_dropped_and_never_reach_the_database():
    result = guarded("SELECT name -- ; DROP TABLE customers\nFROM customers /* */ ; -- trailing")
    assert "--" not in result.sql and "/*" not in result.sql and "DROP" not in result.sql


def test_semicolons_and_quotes_inside_strings_are_data():
    result = guarded("SELECT name FROM customers WHERE name = 'a''; DROP TABLE customers; --'")
    assert "WHERE customers.name = 'a''; DROP TABLE customers; --'" in result.sql


def test_quoted_aliases_stay_quoted():
    result = guarded('SELECT name AS "a"";--" FROM customers')
    assert result.sql.startswith('SELECT customers.name AS "a"";--" FROM (SELECT')


def test_quoted_names_are_the_databases_names():
    # PostgreSQL folds only unquoted names: "Customers" is another (non-existent) table …
    assert rejected('SELECT name FROM "Customers"').reason == "table_not_allowed"
    # … SQLite folds every name, so there it is the customers table, filtered like any other.
    assert ":tenant_id" in guarded('SELECT "NAME" FROM "Customers"', "sqlite").sql


def test_the_tenant_is_bound_in_each_databases_own_form():
    assert guarded("SELECT name FROM customers", "sqlite").params == {"tenant_id": TENANT.hex}
    assert guarded("SELECT name FROM customers", "postgres").params == {"tenant_id": TENANT}


def test_literal_colons_are_not_bind_parameters():
    result = guarded("SELECT ':tenant_id' AS a, '10:30' AS b, name FROM customers")
    assert "'\\:tenant_id' AS a, '10\\:30' AS b" in result.sql
    assert "':tenant_id' AS a, '10:30' AS b" in result.shown
    assert text(result.sql).compile().params == {"tenant_id": None}  # one parameter, ours


def test_the_schema_offered_to_models_has_no_hidden_columns():
    described = schema_description()
    assert set(ALLOWED_TABLES) == {
        "customers",
        "products",
        "orders",
        "order_items",
        "payments",
        "refunds",
        "invoices",
        "contacts",
        "companies",
        "deals",
    }
    assert "tenant_id" not in described and "content_hash" not in described
    assert "orders(id UUID, order_number TEXT" in described


# --------------------------------------------------------------------------------- on the database


@dataclass
class Tenants:
    a: uuid.UUID
    b: uuid.UUID
    dialect: str  # sqlite | postgres


def customer_rows(prefix: str, count: int) -> list[dict[str, str | None]]:
    return [
        {"email": f"{prefix}{n}@example.com", "name": f"{prefix.upper()} customer {n}", "country": "US"}
        for n in range(count)
    ]


def order_rows(prefix: str, count: int) -> list[dict[str, str | None]]:
    return [
        {
            "order_number": f"{prefix}-{n}",
            "customer_email": f"{prefix}{n % 3}@example.com",
            "placed_at": f"2025-03-{n + 1:02d}T10:00:00+00:00",
            "status": "paid",
            "currency": "USD",
            "subtotal": "10.00",
            "discount": "0.00",
            "tax": "1.00",
            "shipping": "0.50",
            "total": "11.50",
            "channel": "web",
        }
        for n in range(count)
    ]


@pytest.fixture(scope="module")
async def tenants(app: FastAPI, state: AppState) -> AsyncIterator[Tenants]:
    transport = httpx.ASGITransport(app=app, client=("10.9.8.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        first = uuid.UUID((await register(http, company="Alpha Roasters")).tenant_id)
        second = uuid.UUID((await register(http, company="Beta Bakery")).tenant_id)
    for tenant, prefix, customers, orders in (
        (first, "a", CUSTOMERS_A, ORDERS_A),
        (second, "b", 4, ORDERS_B),
    ):
        await import_rows(state.db, tenant, "customers", customer_rows(prefix, customers))
        await import_rows(state.db, tenant, "orders", order_rows(prefix, orders))
        await import_rows(
            state.db,
            tenant,
            "contacts",
            [{"email": f"{prefix}@corp.example", "first_name": prefix, "company": f"{prefix.upper()} Corp"}],
        )
    yield Tenants(first, second, "sqlite" if state.db.dialect == "sqlite" else "postgres")


async def run(
    state: AppState, tenants: Tenants, tenant: uuid.UUID, sql: str, **kwargs: Any
) -> tuple[list[str], list[list[Any]]]:
    safe = guard(sql, tenant_id=tenant, dialect=tenants.dialect)  # type: ignore[arg-type]
    async with state.db.session(tenant_id=tenant) as session:
        return await execute_guarded(session, safe, **kwargs)


async def test_each_tenant_sees_only_its_own_rows(state, tenants):
    _, a_rows = await run(state, tenants, tenants.a, "SELECT name FROM customers ORDER BY name")
    _, b_rows = await run(state, tenants, tenants.b, "SELECT name FROM customers ORDER BY name")
    assert len(a_rows) == CUSTOMERS_A and all(row[0].startswith("A ") for row in a_rows)
    assert len(b_rows) == 4 and all(row[0].startswith("B ") for row in b_rows)


async def test_or_1_equals_1_still_sees_only_own_rows(state, tenants):
    _, rows = await run(state, tenants, tenants.b, "SELECT order_number FROM orders WHERE 1 = 0 OR 1 = 1")
    assert sorted(row[0] for row in rows) == sorted(f"b-{n}" for n in range(ORDERS_B))


async def test_joins_subqueries_ctes_and_unions_see_only_own_rows(state, tenants):
    sql = (
        "WITH spend AS (SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id) "
        "SELECT c.email, coalesce(s.n, 0) AS orders "
        "FROM customers c LEFT JOIN spend s ON s.customer_id = c.id "
        "WHERE c.id IN (SELECT customer_id FROM orders) "
        "OR NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id) "
        "UNION ALL SELECT name, 0 FROM companies"
    )
    columns, rows = await run(state, tenants, tenants.b, sql)
    assert columns == ["email", "orders"]
    names = sorted(row[0] for row in rows)
    # Customers without orders survive the LEFT JOIN; the company is B's own.
    assert names == ["B Corp", "b0@example.com", "b1@example.com", "b2@example.com", "b3@example.com"]
    assert sorted(row[1] for row in rows) == [0, 0, 1, 2, 2]


async def test_counting_everything_counts_only_own_rows(state, tenants):
    sql = (
        "SELECT (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM orders) AS orders, "
        "(SELECT count(*) FROM companies) AS companies"
    )
    _, rows = await run(state, tenants, tenants.a, sql)
    assert rows == [[CUSTOMERS_A, ORDERS_A, 1]]


async def test_an_erroring_expression_never_sees_another_tenants_row(state, tenants):
    # Without the fence the planner could test this against tenant A's customers before the tenant
    # filter and fail with "division by zero", telling B that A has a customer of that name.
    sql = (
        "SELECT count(*) AS n FROM customers "
        "WHERE CASE WHEN name = 'A customer 1' THEN 1 / (length(name) - length(name)) ELSE 0 END = 0"
    )
    _, rows = await run(state, tenants, tenants.b, sql)
    assert rows == [[4]]


TYPICAL_SQL = [
    *(
        ("postgres", sql)
        for sql in (
            "SELECT date_trunc('month', placed_at AT TIME ZONE 'America/New_York') AS month, "
            "sum(total) AS revenue FROM orders "
            "WHERE placed_at >= now() - interval '3 years' AND status <> 'cancelled' GROUP BY 1 ORDER BY 1",
            "SELECT to_char(placed_at, 'YYYY-MM') AS m, count(DISTINCT customer_id) AS buyers, "
            "count(*) FILTER (WHERE channel = 'web') AS web FROM orders GROUP BY 1",
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total) AS median_total FROM orders",
            "SELECT string_agg(name, ', ') AS names FROM customers WHERE email ILIKE '%@EXAMPLE.com'",
            "SELECT round(avg(total)::numeric, 2) AS aov FROM orders "
            "WHERE placed_at::date BETWEEN '2025-03-01' AND '2025-03-31'",
            "SELECT extract(dow FROM placed_at) AS dow, count(*) AS n FROM orders "
            "GROUP BY 1 HAVING count(*) > 0 ORDER BY 2 DESC NULLS LAST",
            "SELECT DISTINCT ON (customer_id) customer_id, placed_at FROM orders "
            "ORDER BY customer_id, placed_at DESC",
            "SELECT c.name, sum(o.total) AS spent FROM customers c JOIN orders o ON o.customer_id = c.id "
            "GROUP BY c.name ORDER BY spent DESC LIMIT 3",
            "SELECT name, total, lag(total) OVER (PARTITION BY customer_id ORDER BY placed_at) AS prev "
            "FROM orders JOIN customers ON customers.id = orders.customer_id",
            "SELECT invoice_number, current_date - due_at::date AS days_late FROM invoices "
            "WHERE status = 'overdue'",
        )
    ),
    *(
        ("sqlite", sql)
        for sql in (
            "SELECT strftime('%Y-%m', placed_at) AS month, sum(total) AS revenue FROM orders "
            "WHERE placed_at >= date('now', '-3 years') GROUP BY 1 ORDER BY 1",
            "SELECT CAST(strftime('%w', placed_at) AS INTEGER) AS dow, count(*) AS n FROM orders GROUP BY 1",
            "SELECT ifnull(channel, 'none') AS ch, total(total) AS t FROM orders GROUP BY 1",
            "SELECT group_concat(name, ', ') AS names FROM customers",
            "SELECT julianday('now') - julianday(due_at) AS days_late FROM invoices WHERE status = 'overdue'",
            "SELECT name FROM customers WHERE lower(email) LIKE '%example%' ORDER BY name COLLATE NOCASE",
            "SELECT c.name, sum(o.total) AS spent FROM customers c JOIN orders o ON o.customer_id = c.id "
            "GROUP BY c.name ORDER BY spent DESC LIMIT 3",
            "SELECT strftime('%H', placed_at) AS hour, count(*) AS n FROM orders "
            "GROUP BY hour ORDER BY n DESC",
        )
    ),
]


@pytest.mark.parametrize(("dialect", "sql"), TYPICAL_SQL)
async def test_typical_model_sql_runs(state, tenants, dialect: str, sql: str):
    if dialect != tenants.dialect:
        pytest.skip(f"written for {dialect}")
    columns, _ = await run(state, tenants, tenants.a, sql)
    assert columns


async def test_rows_are_json_ready(state, tenants):
    sql = "SELECT total, placed_at, customer_id FROM orders ORDER BY placed_at LIMIT 1"
    columns, [row] = await run(state, tenants, tenants.a, sql)
    assert columns == ["total", "placed_at", "customer_id"]
    assert row[0] == 11.5 and isinstance(row[0], float)
    assert isinstance(row[1], str) and row[1].startswith("2025-03-01")
    assert isinstance(row[2], str)


async def test_literal_colons_survive_execution(state, tenants):
    _, rows = await run(state, tenants, tenants.a, "SELECT '10:30 :tenant_id' AS t FROM customers LIMIT 1")
    assert rows == [["10:30 :tenant_id"]]


async def test_a_slow_query_is_stopped_at_the_timeout(state, tenants):
    # 40^5 ≈ 100 million rows: allowed SQL, far slower than the limit.
    sql = "SELECT count(*) FROM customers a, customers b, customers c, customers d, customers e"
    safe = guard(sql, tenant_id=tenants.a, dialect=tenants.dialect)  # type: ignore[arg-type]
    async with state.db.session(tenant_id=tenants.a) as session:
        started = time.monotonic()
        with pytest.raises(SqlFailed) as caught:
            await execute_guarded(session, safe, timeout_ms=300)
        assert time.monotonic() - started < 3
        assert caught.value.reason == "timeout" and caught.value.code == "SQL_FAILED"
        # The session goes on as before: usable, writable, no time limit left behind.
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        await assert_session_restored(session, tenants)


async def test_writing_is_refused_even_if_a_write_got_past_the_guard(state, tenants):
    # Hand-made, never produced by guard(): execution itself must still refuse to write.
    tenant_value: Any = tenants.a.hex if tenants.dialect == "sqlite" else tenants.a
    writes = [
        "DELETE FROM customers WHERE tenant_id = :tenant_id",
        "UPDATE orders SET total = 0 WHERE tenant_id = :tenant_id",
    ]
    async with state.db.session(tenant_id=tenants.a) as session:
        for sql in writes:
            with pytest.raises(SqlFailed) as caught:
                await execute_guarded(session, GuardedSql(sql=sql, params={"tenant_id": tenant_value}))
            assert caught.value.reason == "read_only"
        await assert_session_restored(session, tenants)
    _, rows = await run(state, tenants, tenants.a, "SELECT count(*) AS n, sum(total) AS t FROM orders")
    assert rows == [[ORDERS_A, 11.5 * ORDERS_A]]


async def test_a_database_error_is_a_clear_problem(state, tenants):
    sql = (
        "SELECT CAST(name AS INTEGER) + 1 AS n FROM customers"
        if tenants.dialect == "postgres"
        else (
            "SELECT date_trunc('month', placed_at) AS m FROM orders"  # no such function in SQLite
        )
    )
    with pytest.raises(SqlFailed) as caught:
        await run(state, tenants, tenants.a, sql)
    assert caught.value.reason == "database_error"
    assert caught.value.detail.startswith("The database could not run the query: ")


async def assert_session_restored(session: Any, tenants: Tenants) -> None:
    if tenants.dialect == "sqlite":
        assert (await session.execute(text("PRAGMA query_only"))).scalar_one() == 0
    else:
        assert (await session.execute(text("SHOW transaction_read_only"))).scalar_one() == "off"
        assert (await session.execute(text("SHOW statement_timeout"))).scalar_one() == "0"
    # and it can still write (in a savepoint, rolled back: the probe leaves nothing behind)
    async with session.begin_nested() as probe:
        await session.execute(text("CREATE TEMPORARY TABLE guard_probe (x INTEGER)"))
        await session.execute(text("INSERT INTO guard_probe (x) VALUES (1)"))
        await probe.rollback()
