"""Sales Overview's dashboard data on a large shop: cold (no result cache) and warm (cached).

    .venv/bin/python bench/metrics.py [--orders 1000000] [--database-url URL] [--redis-url URL]
    BENCH_DB=postgres .venv/bin/python bench/metrics.py   # a scratch database at 127.0.0.1:5432

Generates one tenant with --orders orders over two years (about two lines each, 50,000 customers in
20 countries, 200 products in 10 categories, 2 % of orders refunded), bulk-loaded straight into the
tables (COPY on PostgreSQL) since the importer's speed is measured elsewhere; then ANALYZE, installs
the Sales Overview template and times `foundry.service.dashboard_data`:
- cold: no result cache — every widget's statements run (the first call also plans them);
- warm: the same call answered from the result cache (in process; Redis with --redis-url).
Targets: cold < 1 s on PostgreSQL, warm < 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from redis.asyncio import Redis
from sqlalchemy import text

from binelek.connectors import repository as connector_repository
from binelek.foundry import service
from binelek.identity.models import Tenant
from binelek.kit.cache import JsonCache
from binelek.kit.db import Database
from binelek.kit.migrate import migrate
from binelek.kit.settings import load_settings

NOW = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
PG_ADMIN = os.environ.get("BINELEK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
DAYS = 730
COUNTRIES = (
    "United States",
    "Canada",
    "Mexico",
    "United Kingdom",
    "Germany",
    "France",
    "Spain",
    "Italy",
    "Netherlands",
    "Sweden",
    "Norway",
    "Denmark",
    "Japan",
    "Australia",
    "New Zealand",
    "Brazil",
    "Argentina",
    "India",
    "South Korea",
    "Ireland",
)
CATEGORIES = (
    "blends",
    "single origin",
    "decaf",
    "cold brew",
    "tea",
    "gear",
    "mugs",
    "gifts",
    "syrups",
    "books",
)
CHANNELS = ("web", "web", "web", "subscription", "wholesale", "market")
STATUSES = ("fulfilled",) * 8 + ("paid", "cancelled")


def _stamp(moment: datetime, dialect: str) -> Any:
    return moment if dialect == "postgresql" else moment.replace(tzinfo=None).isoformat(sep=" ")


def _id(value: uuid.UUID, dialect: str) -> Any:
    return value if dialect == "postgresql" else value.hex


def _money(value: Decimal, dialect: str) -> Any:
    return value if dialect == "postgresql" else float(value)


def generate(
    orders: int, tenant: uuid.UUID, connection: uuid.UUID, dialect: str
) -> dict[str, list[tuple[Any, ...]]]:
    rng = random.Random(7)
    start = NOW - timedelta(days=DAYS)
    created = _stamp(NOW, dialect)
    t, c = _id(tenant, dialect), _id(connection, dialect)

    def common(source: str) -> tuple[Any, ...]:
        return (_id(uuid.uuid4(), dialect), t, c, source, None, "0" * 64, created, created)

    products = []
    for index in range(200):
        price = Decimal(rng.randint(800, 6000)) / 100
        products.append(
            (
                *common(f"p{index}"),
                f"SKU-{index}",
                f"Product {index}",
                CATEGORIES[index % 10],
                _money(price, dialect),
                _money(price * Decimal("0.45"), dialect),
                "USD",
                rng.randint(0, 300),
            )
        )
    customers = []
    for index in range(50_000):
        joined = start + timedelta(seconds=rng.randrange(DAYS * 86400))
        customers.append(
            (
                *common(f"c{index}"),
                f"c{index}@example.com",
                f"Customer {index}",
                None,
                COUNTRIES[min(int(rng.expovariate(0.35)), 19)],
                f"City {index % 300}",
                _stamp(joined, dialect),
            )
        )
    order_rows, item_rows, payment_rows = [], [], []
    span = DAYS * 86400
    # Growth: later days get more orders. Rows are written in time order, as a shop's history
    # arrives (a sync or an import walks it forwards), so a month's orders sit together on disk.
    moments = sorted(start + timedelta(seconds=int(span * rng.random() ** 0.8)) for _ in range(orders))
    for index, moment in enumerate(moments):
        customer = customers[rng.randrange(len(customers))]
        order_id = uuid.uuid4()
        lines = 1 + (rng.random() < 0.6) + (rng.random() < 0.2)
        subtotal = Decimal(0)
        for line in range(lines):
            product = products[rng.randrange(len(products))]
            quantity = rng.randint(1, 3)
            unit = Decimal(str(product[11]))
            total = unit * quantity
            subtotal += total
            item_rows.append(
                (
                    *common(f"i{index}-{line}"),
                    _id(order_id, dialect),
                    product[0],
                    product[8],
                    quantity,
                    _money(unit, dialect),
                    _money(total, dialect),
                )
            )
        shipping = Decimal("6.00")
        total = subtotal + shipping
        status = STATUSES[rng.randrange(len(STATUSES))]
        order_rows.append(
            (
                _id(order_id, dialect),
                t,
                c,
                f"o{index}",
                None,
                "0" * 64,
                created,
                created,
                f"#{index}",
                customer[0],
                customer[8],
                status,
                "USD",
                _money(subtotal, dialect),
                _money(Decimal(0), dialect),
                _money(Decimal(0), dialect),
                _money(shipping, dialect),
                _money(total, dialect),
                _stamp(moment, dialect),
                CHANNELS[rng.randrange(len(CHANNELS))],
            )
        )
        if status != "cancelled" and rng.random() < 0.02:
            refunded = moment + timedelta(days=3)
            payment_rows.append(
                (
                    *common(f"r{index}"),
                    _id(order_id, dialect),
                    "refunded",
                    "card",
                    _money(total, dialect),
                    None,
                    "USD",
                    _stamp(refunded, dialect),
                )
            )
    return {
        "products": products,
        "customers": customers,
        "orders": order_rows,
        "order_items": item_rows,
        "payments": payment_rows,
    }


COLUMNS = {
    "products": ("sku", "name", "category", "price", "cost", "currency", "inventory"),
    "customers": ("email", "name", "phone", "country", "city", "source_created_at"),
    "orders": (
        "order_number",
        "customer_id",
        "customer_email",
        "status",
        "currency",
        "subtotal",
        "discount",
        "tax",
        "shipping",
        "total",
        "placed_at",
        "channel",
    ),
    "order_items": ("order_id", "product_id", "sku", "quantity", "unit_price", "line_total"),
    "payments": ("order_id", "status", "method", "amount", "fee", "currency", "paid_at"),
}
PROVENANCE = (
    "id",
    "tenant_id",
    "connection_id",
    "source_id",
    "source_updated_at",
    "content_hash",
    "created_at",
    "updated_at",
)


async def load(db: Database, tables: dict[str, list[tuple[Any, ...]]]) -> None:
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        for table, rows in tables.items():
            columns = PROVENANCE + COLUMNS[table]
            if db.dialect == "postgresql":
                await driver.copy_records_to_table(table, records=rows, columns=list(columns))
            else:
                marks = ", ".join("?" for _ in columns)
                await driver.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
                await driver.commit()
        await conn.commit()
    autocommit = db.engine.execution_options(isolation_level="AUTOCOMMIT")
    async with autocommit.connect() as conn:
        await conn.execute(text("VACUUM ANALYZE" if db.dialect == "postgresql" else "ANALYZE"))


async def timed(call: Any) -> float:
    began = time.perf_counter()
    await call()
    return time.perf_counter() - began


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    scratch = None
    if args.database_url is None and os.environ.get("BENCH_DB") == "postgres":
        scratch = f"binelek_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{scratch}"')
        args.database_url = PG_ADMIN.rsplit("/", 1)[0] + "/" + scratch
    try:
        await measure(args)
    finally:
        if scratch is not None:
            with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


async def measure(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="binelek-bench-metrics-") as directory:
        settings = load_settings(
            binelek_data_dir=Path(directory), database_url=args.database_url, binelek_env="test"
        )
        await migrate(settings)
        db = Database(settings.sqlalchemy_url)
        async with db.session() as session:
            tenant = Tenant(name="Bench Roasters", settings={"timezone": "America/Los_Angeles"})
            session.add(tenant)
            await session.flush()
            tenant_id = tenant.id
            connection_id = await connector_repository.file_connection_id(session, tenant_id, None)
        began = time.perf_counter()
        tables = generate(args.orders, tenant_id, connection_id, db.dialect)
        generated = time.perf_counter() - began
        await load(db, tables)
        loaded = time.perf_counter() - began - generated
        print(
            f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, {db.dialect}"
        )
        counts = ", ".join(f"{name} {len(rows):,}" for name, rows in tables.items())
        print(f"data: {counts}; generated in {generated:.1f} s, loaded in {loaded:.1f} s")
        async with db.session(tenant_id) as session:
            await service.install_templates(session, tenant_id, None)
            dashboards = await service.list_dashboards(session, tenant_id)
        sales = next(item for item in dashboards if item.template == "sales_overview")

        async def cold() -> None:
            async with db.session(tenant_id) as session:
                data = await service.dashboard_data(session, tenant_id, sales.id, now=NOW)
                assert all(widget.error is None for widget in data.widgets), data.widgets

        cold_runs = [await timed(cold) for _ in range(args.runs)]
        redis = Redis.from_url(args.redis_url) if args.redis_url else None
        cache = JsonCache(redis, f"bench-{uuid.uuid4().hex}:", ttl_seconds=300)

        async def warm() -> None:
            async with db.session(tenant_id) as session:
                await service.dashboard_data(session, tenant_id, sales.id, now=NOW, cache=cache)

        await warm()  # fills the cache
        warm_runs = [await timed(warm) for _ in range(max(args.runs, 20))]
        async with db.session(tenant_id) as session:
            data = await service.dashboard_data(session, tenant_id, sales.id, now=NOW)
        revenue = next(w.result for w in data.widgets if w.result and w.result.columns[-1].name == "revenue")
        assert revenue is not None
        print(
            f"Sales Overview ({len(data.widgets)} widgets, last 30 days): "
            f"revenue {revenue.totals['revenue']:,.2f}"
        )
        print(
            f"cold: first {cold_runs[0] * 1000:,.0f} ms, median of {len(cold_runs)} "
            f"{statistics.median(cold_runs) * 1000:,.0f} ms (target < 1,000 ms on PostgreSQL)"
        )
        where = "Redis" if redis else "in process"
        print(
            f"warm ({where}): median {statistics.median(warm_runs) * 1000:.2f} ms, "
            f"max {max(warm_runs) * 1000:.2f} ms (target < 10 ms); "
            f"ratio cold/warm {statistics.median(cold_runs) / statistics.median(warm_runs):,.0f}x"
        )
        if redis is not None:
            await redis.aclose()
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
