"""A sync of more than 10,000 records, killed mid-way with SIGKILL, resumes when the process starts
again: from the checkpoint of the last page written (not from the start), and without duplicates."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
from cryptography.fernet import Fernet

from tests.conftest import PG_ADMIN_URL, RUN_ID, TEST_DB, _pg_url, account_from
from tests.connector_support import connect, fake_class, record_counts, wait_for_run
from tests.fakes.base import CLIENT_ID, CLIENT_SECRET
from tests.support import free_port, wait_until_ready

BIN = Path(sys.executable).parent / "binelek"
PROVIDER = "shopify"
RECORDS = 10_500
PASSWORD = "resume-test-password-1"


def _app_env(tmp_path: Path, port: int, fake_origin: str, database: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "BINELEK_ENV": "development",
        "BINELEK_DATA_DIR": str(tmp_path / "var"),
        "JWT_SECRET": "resume-test-" + "x" * 40,
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "RATE_LIMITS_ENABLED": "false",
        "CONNECTOR_ENDPOINTS": json.dumps({PROVIDER: fake_origin}),
        "CONNECTOR_CLIENTS": json.dumps({PROVIDER: {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}}),
    }
    env.pop("DATABASE_URL", None)
    if database:
        env["DATABASE_URL"] = _pg_url(database)
    return env


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [BIN, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def test_a_killed_sync_resumes_from_its_checkpoint_without_duplicates(tmp_path):
    database = f"binelek_test_{RUN_ID}_resume" if TEST_DB == "postgres" else None
    if database:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with fake_class(PROVIDER)(count=RECORDS) as fake:
            fake.delay_seconds = 0.05
            env = _app_env(tmp_path, port, fake.origin, database)
            processes.append(_serve(env, port))
            wait_until_ready(base, processes[-1], timeout=120)
            connection_id, run_id, owner = asyncio.run(_connect_and_wait_for_progress(base, fake))
            processes[-1].send_signal(signal.SIGKILL)
            processes[-1].wait(timeout=10)

            fake.delay_seconds = 0.0
            processes.append(_serve(env, port))  # DBOS recovers the interrupted workflow on start
            wait_until_ready(base, processes[-1], timeout=120)
            run, counts = asyncio.run(_finish(base, owner, connection_id, run_id))
            totals = {entity: count for entity, count in fake.totals().items() if count}
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        if database:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    assert run["status"] == "completed", run
    assert counts == totals  # every record once
    assert sum(totals.values()) >= 10_000
    records = run["records"].values()
    assert sum(stream["created"] for stream in records) == sum(totals.values())  # nothing inserted twice
    # Counters are written with each page's checkpoint: had the sync started over after the kill,
    # the 3,000+ records written before it would have been fetched (and counted) again.
    assert sum(stream["fetched"] for stream in records) == sum(totals.values())


async def _connect_and_wait_for_progress(base: str, fake: Any) -> tuple[str, str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        registered = await client.post(
            "/api/auth/register",
            json={
                "email": "owner@resume.example",
                "password": PASSWORD,
                "full_name": "Ada Owner",
                "company_name": "Resume Co",
            },
        )
        assert registered.status_code == 201, registered.text
        owner = account_from(registered.json(), "owner@resume.example", PASSWORD)
        created = await connect(client, owner, PROVIDER, fake)
        connection_id, run_id = created["connection"]["id"], created["run_id"]
        deadline = time.monotonic() + 120
        while True:
            run = await _run_of(client, owner, connection_id, run_id)
            fetched = sum(stream["fetched"] for stream in run["records"].values())
            if fetched >= 3000:
                return connection_id, run_id, owner
            assert run["status"] in ("queued", "running"), run
            assert time.monotonic() < deadline, "the sync made no progress"
            await asyncio.sleep(0.1)


async def _run_of(client: httpx.AsyncClient, owner: Any, connection_id: str, run_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/connectors/{connection_id}/runs/{run_id}", headers=owner.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _finish(
    base: str, owner: Any, connection_id: str, run_id: str
) -> tuple[dict[str, Any], dict[str, int]]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        run = await wait_for_run(client, owner, connection_id, run_id, timeout=180)
        return run, await record_counts(client, owner, connection_id)
