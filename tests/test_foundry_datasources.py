"""Mini Foundry's data sources: connections and file imports with record counts, freshness and quality,
and external databases — a real PostgreSQL, a real MariaDB and a SQLite file — introspected and
previewed read-only, with the URL encrypted at rest and the password never shown."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pymysql
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from binelek.connectors import service as connectors
from binelek.connectors.models import Connection, Customer, FileImport, Order, Product
from binelek.foundry import datasources
from binelek.foundry.models import ExternalDatabase
from binelek.kit.state import AppState
from tests.conftest import (
    PG_ADMIN_URL,
    RUN_ID,
    TEST_DB,
    Account,
    _pg_url,
    add_member,
    assert_problem,
    register,
)
from tests.support import free_port

BASE = "/api/modules/mini-foundry/data-sources"
PG_PASSWORD = "pg-Secret-7731"  # trust auth ignores it; it must still never come back
MYSQL_PASSWORD = "My-Secret-pw-4412"
MYSQL_ROOT = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}


# -- external databases, real and scratch --------------------------------------------------------


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A scratch PostgreSQL database with typed columns, a second schema, a view and an odd name."""
    name = f"binelek_ext_{RUN_ID}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(_pg_url(name), autocommit=True) as connection:
            connection.execute(
                """
                CREATE TABLE orders (
                    id serial PRIMARY KEY, ref uuid NOT NULL, total numeric(12, 2), placed_at timestamptz,
                    day date, meta jsonb, blob bytea, wait interval, tags text[], note text
                );
                INSERT INTO orders (ref, total, placed_at, day, meta, blob, wait, tags, note) VALUES
                  ('00000000-0000-0000-0000-000000000001', 12.50, '2026-03-01 10:00+00', '2026-03-01',
                   '{"a": 1}', '\\x0102', '90 seconds', '{x,y}', 'first'),
                  ('00000000-0000-0000-0000-000000000002', 100, '2026-03-02 11:30+00', '2026-03-02',
                   NULL, NULL, NULL, NULL, NULL),
                  ('00000000-0000-0000-0000-000000000003', 7.25, NULL, NULL, '[1, 2]', NULL, NULL, '{}', 'x');
                CREATE SCHEMA sales;
                CREATE TABLE sales.leads (email text NOT NULL, score int);
                INSERT INTO sales.leads SELECT 'l' || g || '@example.com', g FROM generate_series(1, 25) g;
                CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 10;
                CREATE TABLE "odd ""name""%" (v int);
                INSERT INTO "odd ""name""%" VALUES (1), (2);
                CREATE VIEW slow AS SELECT pg_sleep(3)::text AS slept;
                """
            )
        yield name
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_url(database: str, password: str | None = PG_PASSWORD) -> str:
    credentials = f"postgres:{password}" if password else "postgres"
    return f"postgresql://{credentials}@127.0.0.1:5432/{database}"


@pytest.fixture(scope="module")
def mysql_database() -> Iterator[tuple[str, str]]:
    """A scratch MariaDB database and a user with a password (and write rights: only the read-only
    transaction may stop a write)."""
    name = f"binelek_ext_{uuid.uuid4().hex[:10]}"
    user = f"bk_{uuid.uuid4().hex[:10]}"
    try:
        root = pymysql.connect(**MYSQL_ROOT, connect_timeout=3, autocommit=True)
    except pymysql.err.MySQLError as error:
        pytest.skip(f"MariaDB is not running on 127.0.0.1:3306: {error}")
    try:
        with root.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}`")
            cursor.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{MYSQL_PASSWORD}'")
            cursor.execute(f"GRANT ALL ON `{name}`.* TO '{user}'@'%'")
            cursor.execute(f"USE `{name}`")
            cursor.execute(
                "CREATE TABLE products (sku VARCHAR(40) PRIMARY KEY, price DECIMAL(10, 2) NOT NULL,"
                " added DATETIME, photo BLOB)"
            )
            cursor.execute(
                "INSERT INTO products VALUES ('A-1', 9.99, '2026-01-02 03:04:05', x'ff00'),"
                " ('B-2', 120.00, NULL, NULL), ('C-3', 0.50, '2026-02-01 00:00:00', NULL)"
            )
            cursor.execute("CREATE VIEW cheap AS SELECT sku FROM products WHERE price < 10")
        yield name, user
    finally:
        with root.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        root.close()


def mysql_url(database: str, user: str, password: str = MYSQL_PASSWORD) -> str:
    return f"mysql://{user}:{password}@127.0.0.1:3306/{database}"


@pytest.fixture(scope="module")
def sqlite_file(state: AppState) -> Path:
    folder = datasources.sqlite_root(state.settings)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"shop-{uuid.uuid4().hex[:8]}.sqlite"
    with sqlite3.connect(path) as connection:
        connection.executescript(
            """
            CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, joined TEXT, spend REAL);
            INSERT INTO customers (email, joined, spend) VALUES
              ('a@example.com', '2026-01-01', 10.5), ('b@example.com', NULL, NULL);
            CREATE VIEW spenders AS SELECT email FROM customers WHERE spend > 0;
            CREATE VIEW forever AS
              WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) AS c FROM n;
            """
        )
    connection.close()
    return path


# -- accounts ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("10.1.2.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="module")
async def admin(http: httpx.AsyncClient) -> Account:
    return await register(http, company="Sources Roasters")


@pytest.fixture(scope="module")
async def member(http: httpx.AsyncClient, admin: Account) -> Account:
    return await add_member(http, admin, "member")


@pytest.fixture(scope="module")
async def stranger(http: httpx.AsyncClient) -> Account:
    return await register(http, company="Other Tenant Ltd")


async def add(
    client: httpx.AsyncClient, account: Account, url: str, name: str | None = None
) -> httpx.Response:
    body = {"name": name or f"db-{uuid.uuid4().hex[:8]}", "url": url}
    return await client.post(BASE, json=body, headers=account.headers)


async def added(client: httpx.AsyncClient, account: Account, url: str) -> dict[str, Any]:
    response = await add(client, account, url)
    assert response.status_code == 201, response.text
    source: dict[str, Any] = response.json()
    return source


def tables_of(source: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {table["qualified_name"]: table for table in source["detail"]["tables"]}


async def stored_row(state: AppState, tenant_id: str, source_id: str) -> ExternalDatabase | None:
    async with state.db.session(uuid.UUID(tenant_id)) as session:
        return await session.get(ExternalDatabase, uuid.UUID(source_id))


# -- connections and file imports ----------------------------------------------------------------


async def test_a_new_tenant_has_only_an_empty_file_source(client: httpx.AsyncClient):
    account = await register(client, company="Empty Co")
    response = await client.get(BASE, headers=account.headers)
    assert response.status_code == 200, response.text
    [files] = response.json()
    assert files["kind"] == "file_import" and files["status"] == "empty" and files["id"] is None
    assert files["record_counts"] == {} and files["quality"]["completeness"] is None


async def test_connections_and_file_imports_with_counts_freshness_and_quality(
    client: httpx.AsyncClient, state: AppState
):
    account = await register(client, company="Quality Beans")
    tenant_id = uuid.UUID(account.tenant_id)
    customers = [
        {"email": "ann@example.com", "name": "Ann", "country": "DE", "city": "Berlin"},
        {"email": "bob@example.com", "name": "Bob", "country": "", "city": None},  # two of four missing
        {"email": "cy@example.com", "name": "Cy", "country": "FR", "city": "Lyon"},
    ]
    products = [
        {
            "sku": "BEAN-1",
            "name": "House",
            "price": "12",
            "currency": "EUR",
            "category": "Beans",
            "cost": "5",
        },
        {"sku": "BEAN-2", "name": "Decaf", "price": "13", "currency": "EUR", "cost": "6"},  # no category
    ]
    assert (await connectors.import_rows(state.db, tenant_id, "customers", customers)).rows_failed == 0
    assert (await connectors.import_rows(state.db, tenant_id, "products", products)).rows_failed == 0
    synced = datetime.now(UTC) - timedelta(hours=2)
    async with state.db.session(tenant_id) as session:
        file_connection = await session.scalar(select(Connection).where(Connection.type == "file"))
        assert file_connection is not None
        session.add(
            FileImport(
                connection_id=file_connection.id,
                entity="products",
                filename="products.csv",
                status="completed",
                rows_total=2,
                rows_imported=2,
                finished_at=synced,
            )
        )
        shop = Connection(type="shopify", name="Beans shop", status="active", last_synced_at=synced)
        session.add(shop)
        await session.flush()
        # A provider can hand over the same person twice, and two orders under one number.
        provenance = {"connection_id": shop.id, "content_hash": "h"}
        people = [
            Customer(source_id=f"c{index}", email=email, name=name, country="DE", city="Köln", **provenance)
            for index, (email, name) in enumerate(
                [("dup@example.com", "D1"), ("dup@example.com", "D2"), ("solo@example.com", "S")]
            )
        ]
        session.add_all(people)
        session.add_all(
            Product(
                source_id=f"p{index}",
                sku="SKU-9",
                name="Mug",
                price=Decimal(9),
                cost=Decimal(4),
                currency="EUR",
                **provenance,
            )
            for index in range(3)
        )
        await session.flush()
        session.add_all(
            Order(
                source_id=f"o{index}",
                order_number="1001",
                customer_id=people[0].id,
                status="paid",
                currency="EUR",
                subtotal=Decimal(10),
                discount=Decimal(0),
                tax=Decimal(0),
                shipping=Decimal(0),
                total=Decimal(10),
                placed_at=synced,
                channel="web" if index else None,
                **provenance,
            )
            for index in range(2)
        )

    response = await client.get(BASE, headers=account.headers)
    assert response.status_code == 200, response.text
    sources = {source["kind"]: source for source in response.json()}
    assert set(sources) == {"file_import", "connection"}

    files = sources["file_import"]
    assert files["status"] == "active" and files["type"] == "file"
    assert files["record_counts"] == {"customers": 3, "products": 2}
    assert files["last_synced_at"] is not None  # the import's finish
    # customers: 12 cells, 2 missing ("" counts as missing); products: 4 cells, 1 missing.
    assert files["quality"]["completeness"] == pytest.approx(13 / 16, abs=1e-4)
    assert files["quality"]["duplicates"] == 0
    assert files["quality"]["tables"]["customers"]["missing"] == {
        "email": 0,
        "name": 0,
        "country": 1,
        "city": 1,
    }
    assert "products.category" in files["quality"]["checked_columns"]
    assert files["detail"]["imports"] == 1
    assert files["detail"]["last_import"]["filename"] == "products.csv"
    assert files["detail"]["freshness"]["newest_record_at"] is not None

    shop_source = sources["connection"]
    assert (
        shop_source["type"] == "shopify" and shop_source["name"] == "Beans shop" and shop_source["id"] is None
    )
    assert shop_source["record_counts"] == {"customers": 3, "products": 3, "orders": 2}
    assert shop_source["quality"]["duplicates_by"] == {
        "customers.email": 1,
        "products.sku": 2,
        "orders.order_number": 1,
    }
    assert shop_source["quality"]["duplicates"] == 4
    # orders: 6 cells, one channel missing; products: 6 cells, no category (3); customers complete.
    assert shop_source["quality"]["completeness"] == pytest.approx((12 + 3 + 5) / 24, abs=1e-4)
    freshness = shop_source["detail"]["freshness"]
    assert 7100 <= freshness["age_seconds"] <= 7300

    # The measure is cached under the data version: new rows bring a new measure.
    late = [{"email": "dee@example.com", "name": "Dee"}]
    assert (await connectors.import_rows(state.db, tenant_id, "customers", late)).rows_imported == 1
    again = await client.get(BASE, headers=account.headers)
    [files] = [source for source in again.json() if source["kind"] == "file_import"]
    assert files["record_counts"]["customers"] == 4
    assert files["quality"]["completeness"] == pytest.approx(15 / 20, abs=1e-4)


async def test_quality_over_a_demo_business_is_computed_per_connection(
    client: httpx.AsyncClient, state: AppState
):
    from binelek.demo import load_business_data

    account = await register(client, company="Demo Roasters")
    await load_business_data(state.db, uuid.UUID(account.tenant_id), scale=0.02, today=date(2026, 3, 1))
    response = await client.get(BASE, headers=account.headers)
    assert response.status_code == 200, response.text
    [files] = [source for source in response.json() if source["kind"] == "file_import"]
    assert files["record_counts"]["orders"] > 100 and files["record_counts"]["customers"] > 10
    assert 0.5 < files["quality"]["completeness"] <= 1
    assert files["quality"]["duplicates"] == 0  # the importer keys rows by their natural key


# -- external PostgreSQL -------------------------------------------------------------------------


async def test_postgresql_is_introspected_read_only_and_its_password_never_shown(
    client: httpx.AsyncClient, state: AppState, admin: Account, pg_database: str
):
    response = await add(client, admin, pg_url(pg_database), name="Warehouse")
    assert response.status_code == 201, response.text
    assert PG_PASSWORD not in response.text
    source = response.json()
    assert source["kind"] == "database" and source["type"] == "postgresql" and source["status"] == "ok"
    assert source["detail"]["url_hint"] == f"postgresql://postgres:***@127.0.0.1:5432/{pg_database}"
    assert source["last_synced_at"] is not None

    tables = tables_of(source)
    assert {"orders", "sales.leads", "big_orders", 'odd "name"%', "slow"} <= set(tables)
    orders = tables["orders"]
    assert orders["type"] == "table" and orders["row_estimate"] == 3 and orders["rows_exact"] is True
    columns = {column["name"]: column for column in orders["columns"]}
    assert columns["total"]["type"] == "numeric(12,2)" and columns["total"]["nullable"] is True
    assert columns["ref"]["nullable"] is False and columns["tags"]["type"] == "text[]"
    assert tables["sales.leads"]["schema_name"] == "sales" and tables["sales.leads"]["row_estimate"] == 25
    assert tables["big_orders"]["type"] == "view" and tables["big_orders"]["row_estimate"] is None
    assert source["record_counts"]["orders"] == 3

    # At rest: encrypted, and the password nowhere in clear.
    row = await stored_row(state, admin.tenant_id, source["id"])
    assert row is not None
    for value in (row.url_encrypted, row.url_hint, str(row.schema_snapshot), row.last_error or ""):
        assert PG_PASSWORD not in value
    assert state.encryptor.decrypt(row.url_encrypted) == pg_url(pg_database)

    listed = await client.get(BASE, headers=admin.headers)
    assert PG_PASSWORD not in listed.text
    assert source["id"] in {item["id"] for item in listed.json()}


async def test_postgresql_preview_gives_json_values(
    client: httpx.AsyncClient, admin: Account, pg_database: str
):
    source = await added(client, admin, pg_url(pg_database))
    response = await client.get(f"{BASE}/{source['id']}/tables/orders/preview?limit=2", headers=admin.headers)
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["truncated"] is True and preview["limit"] == 2 and len(preview["rows"]) == 2
    first = dict(zip(preview["columns"], preview["rows"][0], strict=True))
    assert first["ref"] == "00000000-0000-0000-0000-000000000001"
    assert first["total"] == 12.5 and first["day"] == "2026-03-01"
    assert first["placed_at"].startswith("2026-03-01T10:00:00")
    assert first["meta"] == {"a": 1} and first["tags"] == ["x", "y"] and first["wait"] == 90.0
    assert first["blob"] == {"base64": "AQI=", "bytes": 2}
    second = dict(zip(preview["columns"], preview["rows"][1], strict=True))
    assert second["total"] == 100 and second["meta"] is None

    quoted = await client.get(f'{BASE}/{source["id"]}/tables/odd "name"%25/preview', headers=admin.headers)
    assert quoted.status_code == 200, quoted.text
    assert quoted.json()["rows"] == [[1], [2]] and quoted.json()["truncated"] is False
    leads = await client.get(f"{BASE}/{source['id']}/tables/sales.leads/preview", headers=admin.headers)
    assert leads.status_code == 200 and len(leads.json()["rows"]) == 25

    missing = await client.get(f"{BASE}/{source['id']}/tables/pg_authid/preview", headers=admin.headers)
    assert_problem(missing, 404, "RESOURCE_NOT_FOUND")
    too_many = await client.get(
        f"{BASE}/{source['id']}/tables/orders/preview?limit=5000", headers=admin.headers
    )
    assert_problem(too_many, 422, "VALIDATION_ERROR")


async def test_a_slow_query_stops_at_the_statement_timeout(
    client: httpx.AsyncClient,
    admin: Account,
    pg_database: str,
    sqlite_file: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    pg = await added(client, admin, pg_url(pg_database))
    lite = await added(client, admin, f"sqlite:///{sqlite_file.name}")
    monkeypatch.setattr(datasources, "STATEMENT_TIMEOUT_SECONDS", 1)
    started = datetime.now(UTC)
    for source, table in ((pg, "slow"), (lite, "forever")):
        response = await client.get(f"{BASE}/{source['id']}/tables/{table}/preview", headers=admin.headers)
        body = assert_problem(response, 422, "DATA_SOURCE_QUERY_FAILED")
        assert body["cause"] == "timeout", body
    assert datetime.now(UTC) - started < timedelta(seconds=6)


async def test_postgresql_sessions_refuse_writes(pg_database: str, state: AppState):
    url = datasources.parse_url(pg_url(pg_database), state.settings)
    with pytest.raises(datasources.ExternalDatabaseError) as raised, datasources.read_only(url) as session:
        session.rows("INSERT INTO sales.leads VALUES ('w@example.com', 1)")
    assert "read-only" in raised.value.message
    with pytest.raises(datasources.ExternalDatabaseError), datasources.read_only(url) as session:
        # Even a transaction of its own, after COMMIT, is read-only by default.
        session.rows("COMMIT")
        session.rows("CREATE TABLE sneaky (v int)")
    with datasources.read_only(url) as session:
        assert session.rows("SELECT count(*) FROM sales.leads") == [(25,)]


async def test_unreachable_and_missing_databases_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, state: AppState, admin: Account
):
    port = free_port()
    closed = await add(client, admin, f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1:{port}/x")
    body = assert_problem(closed, 422, "DATA_SOURCE_UNREACHABLE")
    assert body["cause"] == "unreachable" and PG_PASSWORD not in closed.text
    missing = await add(client, admin, pg_url(f"no_such_db_{uuid.uuid4().hex[:6]}"))
    assert assert_problem(missing, 422, "DATA_SOURCE_UNREACHABLE")["cause"] == "database_not_found"
    async with state.db.session(uuid.UUID(admin.tenant_id)) as session:
        hints = (await session.scalars(select(ExternalDatabase.url_hint))).all()
    assert not any("no_such_db" in hint or f":{port}/" in hint for hint in hints)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "database URL"),
        ("http://example.com/db", "Unsupported database"),
        ("oracle://u:p@h/db", "Unsupported database"),
        ("postgresql:///db", "host"),
        ("postgresql://u:p@/db?host=/var/run/postgresql", "host"),
        ("postgresql://u@db.example.com", "database's name"),
        ("postgresql://u@db.example.com/db?sslkey=/etc/ssl/private/key.pem", "sslkey"),
        ("postgresql://u@db.example.com/db?passfile=/root/.pgpass", "passfile"),
        ("postgresql://u@db.example.com/db?sslmode=maybe", "sslmode"),
        ("mysql://u@db.example.com/shop?local_infile=1", "local_infile"),
        ("mysql://u@db.example.com/shop?charset=bogus", "character set"),
        ("mysql://u@db.example.com/shop?ssl=maybe", "ssl must be"),
        ("sqlite:////etc/passwd", "databases/"),
        ("sqlite:///../binelek.sqlite", "databases/"),
        ("sqlite:///nothing-here.sqlite", "no file"),
        ("sqlite://", "SQLite file"),
        ("sqlite:///a%00b.sqlite", "control characters"),
        ("postgresql://u@db.example.com:0/db", "port"),
        ("sqlite:///shop.sqlite?mode=rw", "SQLite file"),
    ],
)
async def test_bad_urls_are_refused_before_connecting(
    client: httpx.AsyncClient, admin: Account, url: str, says: str
):
    body = assert_problem(await add(client, admin, url), 422, "VALIDATION_ERROR")
    assert says in body["detail"], body
    assert body["errors"][0]["loc"] == ["body", "url"]


async def test_the_platforms_own_database_is_refused(
    client: httpx.AsyncClient, admin: Account, state: AppState
):
    if TEST_DB == "postgres":
        assert state.settings.database_url is not None
        own = state.settings.database_url.replace("127.0.0.1", "localhost")
        body = assert_problem(await add(client, admin, own), 422, "VALIDATION_ERROR")
        assert "platform's own database" in body["detail"]
    # The embedded database lives in the data directory itself, outside databases/.
    absolute = (state.settings.binelek_data_dir / "binelek.sqlite").resolve()
    assert_problem(await add(client, admin, f"sqlite:///{absolute}"), 422, "VALIDATION_ERROR")


# -- external MariaDB and SQLite -----------------------------------------------------------------


async def test_mariadb_is_introspected_and_previewed(
    client: httpx.AsyncClient, state: AppState, admin: Account, mysql_database: tuple[str, str]
):
    name, user = mysql_database
    response = await add(client, admin, mysql_url(name, user).replace("mysql://", "mariadb://"))
    assert response.status_code == 201, response.text
    assert MYSQL_PASSWORD not in response.text
    source = response.json()
    assert (
        source["type"] == "mysql"
        and source["detail"]["url_hint"] == f"mysql://{user}:***@127.0.0.1:3306/{name}"
    )
    tables = tables_of(source)
    assert tables["products"]["row_estimate"] == 3 and tables["products"]["rows_exact"] is True
    assert tables["cheap"]["type"] == "view"
    columns = {column["name"]: column for column in tables["products"]["columns"]}
    assert columns["price"] == {"name": "price", "type": "decimal(10,2)", "nullable": False}

    preview = await client.get(f"{BASE}/{source['id']}/tables/products/preview", headers=admin.headers)
    assert preview.status_code == 200, preview.text
    rows = {row[0]: row for row in preview.json()["rows"]}
    assert rows["A-1"] == ["A-1", 9.99, "2026-01-02T03:04:05", {"base64": "/wA=", "bytes": 2}]
    assert rows["B-2"][1] == 120

    row = await stored_row(state, admin.tenant_id, source["id"])
    assert row is not None and MYSQL_PASSWORD not in row.url_encrypted + row.url_hint


async def test_mariadb_wrong_password_is_refused(
    client: httpx.AsyncClient, state: AppState, admin: Account, mysql_database: tuple[str, str]
):
    name, user = mysql_database
    wrong = "Wrong-pass-0000"
    response = await add(client, admin, mysql_url(name, user, wrong), name="wrong password")
    body = assert_problem(response, 422, "DATA_SOURCE_UNREACHABLE")
    assert body["cause"] == "auth_failed" and "Access denied" in body["detail"]
    assert wrong not in response.text
    async with state.db.session(uuid.UUID(admin.tenant_id)) as session:
        names = (await session.scalars(select(ExternalDatabase.name))).all()
    assert "wrong password" not in names


async def test_mariadb_sessions_refuse_writes(state: AppState, mysql_database: tuple[str, str]):
    url = datasources.parse_url(mysql_url(*mysql_database), state.settings)
    with pytest.raises(datasources.ExternalDatabaseError) as raised, datasources.read_only(url) as session:
        session.rows("INSERT INTO products (sku, price) VALUES ('W-1', 1)")
    assert "READ ONLY" in raised.value.message
    with datasources.read_only(url) as session:
        assert session.rows("SELECT count(*) FROM products") == [(3,)]


async def test_sqlite_file_in_the_data_directory(
    client: httpx.AsyncClient, state: AppState, admin: Account, sqlite_file: Path
):
    source = await added(client, admin, f"sqlite:///{sqlite_file.name}")
    assert source["type"] == "sqlite" and source["detail"]["url_hint"] == f"sqlite:///{sqlite_file.name}"
    tables = tables_of(source)
    assert tables["customers"]["row_estimate"] == 2 and tables["customers"]["rows_exact"] is True
    assert {column["name"]: column["nullable"] for column in tables["customers"]["columns"]} == {
        "id": True,
        "email": False,
        "joined": True,
        "spend": True,
    }
    assert tables["spenders"]["type"] == "view"
    preview = await client.get(f"{BASE}/{source['id']}/tables/customers/preview", headers=admin.headers)
    assert preview.json()["rows"] == [
        [1, "a@example.com", "2026-01-01", 10.5],
        [2, "b@example.com", None, None],
    ]

    url = datasources.parse_url(f"sqlite:///{sqlite_file.name}", state.settings)
    with pytest.raises(datasources.ExternalDatabaseError), datasources.read_only(url) as session:
        session.rows("DELETE FROM customers")
    with sqlite3.connect(sqlite_file) as check:
        assert check.execute("SELECT count(*) FROM customers").fetchone() == (2,)
    check.close()


async def test_refresh_sees_new_tables_and_marks_a_vanished_database(
    client: httpx.AsyncClient, admin: Account, state: AppState
):
    folder = datasources.sqlite_root(state.settings)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"refresh-{uuid.uuid4().hex[:8]}.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE first (v int)")
    connection.close()
    source = await added(client, admin, f"sqlite:///{path.name}")
    assert set(tables_of(source)) == {"first"}
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE second (v int)")
        connection.execute("INSERT INTO second VALUES (1)")
    connection.close()

    refreshed = await client.post(f"{BASE}/{source['id']}/refresh", headers=admin.headers)
    assert refreshed.status_code == 200, refreshed.text
    assert tables_of(refreshed.json())["second"]["row_estimate"] == 1

    path.unlink()
    failed = await client.post(f"{BASE}/{source['id']}/refresh", headers=admin.headers)
    assert failed.status_code == 200, failed.text
    assert failed.json()["status"] == "error" and "no file" in failed.json()["detail"]["last_error"]
    assert set(tables_of(failed.json())) == {"first", "second"}  # the last known schema stays
    again = await client.get(f"{BASE}/{source['id']}", headers=admin.headers)
    assert again.json()["status"] == "error"


# -- who may do what -----------------------------------------------------------------------------


async def test_other_tenants_cannot_see_refresh_preview_or_delete(
    client: httpx.AsyncClient, admin: Account, stranger: Account, sqlite_file: Path
):
    source = await added(client, admin, f"sqlite:///{sqlite_file.name}")
    listed = await client.get(BASE, headers=stranger.headers)
    assert source["id"] not in {item["id"] for item in listed.json()}
    for method, path in (
        ("GET", f"{BASE}/{source['id']}"),
        ("POST", f"{BASE}/{source['id']}/refresh"),
        ("GET", f"{BASE}/{source['id']}/tables/customers/preview"),
        ("DELETE", f"{BASE}/{source['id']}"),
    ):
        response = await client.request(method, path, headers=stranger.headers)
        assert_problem(response, 404, "RESOURCE_NOT_FOUND")
    assert (await client.get(f"{BASE}/{source['id']}", headers=admin.headers)).status_code == 200


async def test_members_read_but_only_admins_add_refresh_or_delete(
    client: httpx.AsyncClient, admin: Account, member: Account, sqlite_file: Path
):
    assert_problem(await add(client, member, f"sqlite:///{sqlite_file.name}"), 403, "PERMISSION_DENIED")
    source = await added(client, admin, f"sqlite:///{sqlite_file.name}")
    assert (await client.get(BASE, headers=member.headers)).status_code == 200
    preview = await client.get(f"{BASE}/{source['id']}/tables/customers/preview", headers=member.headers)
    assert preview.status_code == 200
    refresh = await client.post(f"{BASE}/{source['id']}/refresh", headers=member.headers)
    assert_problem(refresh, 403, "PERMISSION_DENIED")
    assert_problem(
        await client.delete(f"{BASE}/{source['id']}", headers=member.headers), 403, "PERMISSION_DENIED"
    )


async def test_delete_and_name_conflict(client: httpx.AsyncClient, admin: Account, sqlite_file: Path):
    name = f"Shop {uuid.uuid4().hex[:6]}"
    first = await add(client, admin, f"sqlite:///{sqlite_file.name}", name=name)
    assert first.status_code == 201, first.text
    assert_problem(await add(client, admin, f"sqlite:///{sqlite_file.name}", name=name), 409, "CONFLICT")
    source_id = first.json()["id"]
    deleted = await client.delete(f"{BASE}/{source_id}", headers=admin.headers)
    assert deleted.status_code == 204
    assert_problem(await client.get(f"{BASE}/{source_id}", headers=admin.headers), 404, "RESOURCE_NOT_FOUND")
    audit = await client.get("/api/audit-logs?action=foundry.data_source.deleted", headers=admin.headers)
    assert any(entry["details"]["data_source_id"] == source_id for entry in audit.json()["items"])


def test_jsonable_values():
    assert datasources.jsonable(Decimal("NaN")) == "NaN"
    assert datasources.jsonable(Decimal("2.50")) == 2.5 and datasources.jsonable(Decimal("3.00")) == 3
    assert datasources.jsonable(float("inf")) == "inf"
    assert datasources.jsonable("x" * 5000) == "x" * datasources.PREVIEW_TEXT_MAX
    assert datasources.jsonable(uuid.UUID(int=1)) == "00000000-0000-0000-0000-000000000001"
    assert datasources.jsonable({"a": [Decimal(1), date(2026, 1, 2)]}) == {"a": [1, "2026-01-02"]}
