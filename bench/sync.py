"""Provider sync throughput and pacing, through the product's sync engine (adapter → API client →
page writer with checkpoints) into a fresh SQLite (or `--database-url`) database.

    .venv/bin/python bench/sync.py [--orders 20000] [--paced-orders 3000] [--restore-rate 100]
                                   [--stripe-requests 500] [--database-url URL] [--parts 123]

1. Full sync from the fake Shopify GraphQL Admin API with no rate limit: records/s (target ≥ 5,000).
2. The same with Shopify's cost limit (a 1,000-point bucket restoring `--restore-rate` points/s):
   the sustained points/s the sync achieved against the restore rate (target ≥ 90 %), and the
   THROTTLED answers and 429s it drew (target 0).
3. Request-count pacing: the provider client at Stripe's allowance (25 requests/s per endpoint,
   429 beyond it): requests/s achieved against the allowance (target ≥ 90 %) and 429s (target 0).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import uvloop
from sqlalchemy import func, select

from binelek.connectors import credentials, sync
from binelek.connectors.adapters import adapter_for
from binelek.connectors.adapters.base import ConnectionContext
from binelek.connectors.api_client import ApiClient, RateLimiter
from binelek.connectors.credentials import Tokens
from binelek.connectors.models import Connection, Order, SyncRun
from binelek.connectors.providers import STRIPE
from binelek.identity.models import Tenant
from binelek.kit.crypto import Encryptor
from binelek.kit.db import Database
from binelek.kit.migrate import migrate
from binelek.kit.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent  # the fakes live in tests/fakes


class FakeProcess:
    """A fake provider serving from its own process (tests/fakes/serve.py)."""

    def __init__(self, provider: str, *options: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.serve", provider, *options],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        started = json.loads(self.process.stdout.readline())
        self.origin: str = started["origin"]
        self.key: str = started["key"]
        self.config: dict[str, Any] = started["config"]

    def stats(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.origin}/__fake__/stats", timeout=30).json())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


async def _connect(
    db: Database, encryptor: Encryptor, provider: str, config: dict[str, Any], key: str
) -> tuple[uuid.UUID, uuid.UUID]:
    async with db.session() as session:
        tenant = Tenant(name=f"Bench {provider} {uuid.uuid4().hex[:6]}")
        session.add(tenant)
        await session.flush()
        tenant_id = tenant.id
    async with db.session(tenant_id) as session:
        connection = Connection(tenant_id=tenant_id, type=provider, name=provider, config=config)
        session.add(connection)
        await session.flush()
        credentials.store(session, encryptor, connection, "api_key", Tokens(access_token=key))
        run = SyncRun(tenant_id=tenant_id, connection_id=connection.id, trigger="manual", streams=[])
        session.add(run)
        await session.flush()
        return tenant_id, run.id


async def timed_sync(
    settings: Settings, db: Database, provider: str, fake: FakeProcess
) -> tuple[float, dict[str, Any]]:
    settings.connector_endpoints[provider] = fake.origin
    encryptor = Encryptor(settings.fernet_keys)
    tenant_id, run_id = await _connect(db, encryptor, provider, fake.config, fake.key)
    env = sync.SyncEnv(db=db, settings=settings, encryptor=encryptor)
    started = time.perf_counter()
    status = await sync.run_inline(env, tenant_id, run_id)
    elapsed = time.perf_counter() - started
    async with db.session(tenant_id) as session:
        run = await session.get(SyncRun, run_id)
        assert run is not None
        summary = {"status": status, "records": run.records, "requests": run.requests, "errors": run.errors}
    assert status == "completed", summary
    return elapsed, summary


def _fetched(summary: dict[str, Any]) -> int:
    return sum(stream.get("fetched", 0) for stream in summary["records"].values())


def _per_entity(summary: dict[str, Any]) -> str:
    return ", ".join(f"{stream} {data['fetched']:,}" for stream, data in summary["records"].items())


async def throughput(settings: Settings, db: Database, orders: int) -> None:
    fake = FakeProcess("shopify", "--count", str(orders))
    try:
        elapsed, summary = await timed_sync(settings, db, "shopify", fake)
    finally:
        fake.close()
    records = _fetched(summary)
    reference = await fetch_only(orders)
    print(
        f"1. Shopify full sync, no limit: {records:,} records ({_per_entity(summary)}) in {elapsed:.2f} s"
        f" = {records / elapsed:,.0f} records/s (target ≥ 5,000); {summary['requests']} requests;"
        f" reference, reading the same pages without writing them: {reference:,.0f} records/s"
        f" (ratio {records / elapsed / reference:.2f})"
    )


async def fetch_only(orders: int) -> float:
    """Records/s of the adapter reading every stream from the fake, writing nothing: the ceiling a
    sync on this machine could reach."""
    adapter = adapter_for("shopify")
    assert adapter is not None
    fake = FakeProcess("shopify", "--count", str(orders))
    try:
        async with httpx.AsyncClient(timeout=60) as http:
            context = ConnectionContext(config=fake.config, access_token=fake.key)
            api = ApiClient(http, origin=fake.origin, headers=lambda: adapter.auth_headers(context))
            records, started = 0, time.perf_counter()
            for stream in adapter.streams:
                checkpoint: dict[str, Any] | None = None
                while True:
                    page = await adapter.fetch(api, context, stream, checkpoint)
                    records += sum(len(batch) for batch in page.records.values())
                    checkpoint = page.checkpoint
                    if page.done:
                        break
            return records / (time.perf_counter() - started)
    finally:
        fake.close()


async def cost_paced(settings: Settings, db: Database, orders: int, restore_rate: float) -> None:
    maximum = 1000.0  # the bucket's size on every plan
    fake = FakeProcess("shopify", "--count", str(orders), "--restore-rate", str(restore_rate))
    try:
        elapsed, summary = await timed_sync(settings, db, "shopify", fake)
        stats = fake.stats()
    finally:
        fake.close()
    spent = float(stats["points_spent"])
    # The bucket starts full: what it held at the start is a burst, not sustained throughput.
    sustained = max(spent - maximum, 0) / elapsed
    print(
        f"2. Shopify cost limit {restore_rate:.0f} points/s: {_fetched(summary):,} records"
        f" in {elapsed:.1f} s, {spent:,.0f} points; sustained {sustained:,.1f} points/s"
        f" = {sustained / restore_rate:.1%} of the"
        f" restore rate (target ≥ 90 %); THROTTLED answers {stats['cost_throttled']}, 429s"
        f" {stats['throttled']} (target 0)"
    )


async def request_paced(requests: int) -> None:
    """Pacing alone (a sync is bound by writing at Stripe's page size, not by the allowance): the
    provider client at Stripe's allowance against the fake answering 429 beyond it."""
    allowed = STRIPE.rate_limit.requests if STRIPE.rate_limit else 25
    fake = FakeProcess("stripe", "--count", "300", "--rate-limit", f"{allowed}/1")
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            api = ApiClient(
                http,
                origin=fake.origin,
                headers=lambda: {"Authorization": f"Bearer {fake.key}"},
                limiter=RateLimiter.for_allowance(allowed, 1),
            )
            started = time.perf_counter()
            for _ in range(requests):
                await api.get_json("https://api.stripe.com/v1/customers", params={"limit": 1})
            elapsed = time.perf_counter() - started
        stats = fake.stats()
    finally:
        fake.close()
    rate = (requests - 1) / elapsed  # the first request goes at once
    print(
        f"3. Stripe client pacing at {allowed} requests/s: {requests} requests in {elapsed:.1f} s"
        f" = {rate:.1f} requests/s = {rate / allowed:.1%} of the allowance (target ≥ 90 %);"
        f" 429s {stats['throttled']} (target 0)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--paced-orders", type=int, default=300)
    parser.add_argument("--restore-rate", type=float, default=100.0)
    parser.add_argument("--stripe-requests", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--parts", default="123", help="which measurements to run, e.g. 13")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="binelek-bench-sync-") as directory:
        settings = load_settings(
            binelek_data_dir=Path(directory), database_url=args.database_url, binelek_env="test"
        )
        await migrate(settings)
        db = Database(settings.sqlalchemy_url)
        # As the app and worker do after start-up (see decisions.md): what is loaded now lives as
        # long as the process and stays out of the cyclic collector's full passes.
        gc.collect()
        gc.freeze()
        print(
            f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, {db.dialect}"
        )
        if "1" in args.parts:
            await throughput(settings, db, args.orders)
        if "2" in args.parts:
            await cost_paced(settings, db, args.paced_orders, args.restore_rate)
        if "3" in args.parts:
            await request_paced(args.stripe_requests)
        async with db.session() as session:
            orders = await session.scalar(select(func.count()).select_from(Order))
        print(f"orders stored: {orders:,}")
        await db.dispose()


if __name__ == "__main__":
    uvloop.run(main())  # the loop `binelek serve` and `binelek worker` run on
