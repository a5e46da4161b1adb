"""CSV import throughput: customers, then 100k order rows that reference them, through the product's
file path (CSV reader → `import_rows` → bulk upserts) into a fresh SQLite (or `--database-url`) database.

    .venv/bin/python bench/csv_import.py [--orders 100000] [--customers 10000] [--database-url URL]

Writes the two CSV files to a temporary directory, imports each (timing reading, validation, foreign-key
resolution, upserts and the outbox events together), then imports the orders file again to time the
idempotent no-change pass. Prints rows/s for each.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import platform
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from binelek.connectors import files
from binelek.connectors.models import Order
from binelek.connectors.service import import_rows
from binelek.identity.models import Tenant
from binelek.kit.db import Database
from binelek.kit.migrate import migrate
from binelek.kit.outbox_models import Event
from binelek.kit.settings import load_settings

STATUSES = ("paid", "fulfilled", "fulfilled", "fulfilled", "pending", "refunded", "cancelled")
CHANNELS = ("web", "web", "pos", "marketplace")


def write_customers(path: Path, count: int) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "country", "city", "created_at"])
        for index in range(count):
            joined = start + timedelta(minutes=index * 7)
            writer.writerow(
                [f"customer{index}@example.com", f"Customer {index}", "US", "Portland", joined.isoformat()]
            )


def write_orders(path: Path, count: int, customers: int) -> None:
    rng = random.Random(42)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    columns = ["order_number", "customer_email", "placed_at", "status", "currency", "subtotal", "discount"]
    columns += ["tax", "shipping", "total", "channel"]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for index in range(count):
            subtotal = Decimal(rng.randint(500, 40_000)) / 100
            tax = (subtotal * Decimal("0.08")).quantize(Decimal("0.01"))
            shipping = Decimal("4.99")
            placed = start + timedelta(seconds=index * 600 + rng.randint(0, 500))
            writer.writerow(
                [
                    f"#{100000 + index}",
                    f"customer{rng.randrange(customers)}@example.com",
                    placed.isoformat(),
                    rng.choice(STATUSES),
                    "USD",
                    subtotal,
                    "0.00",
                    tax,
                    shipping,
                    subtotal + tax + shipping,
                    rng.choice(CHANNELS),
                ]
            )


async def timed_import(db: Database, tenant_id: object, entity: str, path: Path) -> tuple[float, int, int]:
    started = time.perf_counter()
    result = await import_rows(db, tenant_id, entity, files.iter_rows(path, "csv"))  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    assert result.rows_failed == 0, result.errors[:5]
    return elapsed, result.rows_imported, result.rows_created


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="binelek-bench-csv-") as directory:
        data_dir = Path(directory)
        settings = load_settings(
            binelek_data_dir=data_dir, database_url=args.database_url, binelek_env="test"
        )
        await migrate(settings)
        db = Database(settings.sqlalchemy_url)
        async with db.session() as session:
            tenant = Tenant(name="Bench Coffee")
            session.add(tenant)
            await session.flush()
            tenant_id = tenant.id
        customers_csv, orders_csv = data_dir / "customers.csv", data_dir / "orders.csv"
        write_customers(customers_csv, args.customers)
        write_orders(orders_csv, args.orders, args.customers)
        print(
            f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, {db.dialect}"
        )
        total = 0.0
        for label, entity, path in (
            ("customers", "customers", customers_csv),
            ("orders", "orders", orders_csv),
            ("orders again (no change)", "orders", orders_csv),
        ):
            elapsed, imported, created = await timed_import(db, tenant_id, entity, path)
            if label != "orders again (no change)":
                total += elapsed
            print(
                f"{label:>26}: {imported:>7,} rows ({created:,} new) in {elapsed:6.2f} s"
                f" = {imported / elapsed:>8,.0f} rows/s"
            )
        print(f"{'customers + orders':>26}: {total:6.2f} s")
        async with db.session() as session:
            orders = await session.scalar(select(func.count()).select_from(Order))
            events = await session.scalar(select(func.count()).select_from(Event))
        print(f"orders stored: {orders:,}; outbox events: {events:,}")
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
