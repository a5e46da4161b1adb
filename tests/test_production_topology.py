"""Production topology: API-only `serve` processes and a separate `binelek worker`, sharing
PostgreSQL and Redis. An invitation made through the API is e-mailed by the worker."""

from __future__ import annotations

import email
import os
import subprocess
import sys
import time
import uuid
from email import policy
from pathlib import Path

import httpx
import psycopg
import pytest
from cryptography.fernet import Fernet

from tests.conftest import PG_ADMIN_URL, REDIS_URL, RUN_ID, TEST_DB, _pg_url
from tests.support import free_port, smtp_server, wait_until_ready

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(TEST_DB != "postgres", reason="runs in the PostgreSQL pass of `make test`"),
]
BIN = Path(sys.executable).parent / "binelek"


def test_api_processes_and_worker_share_the_work(tmp_path):
    database = f"binelek_test_{RUN_ID}_topology"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    api_port = free_port()
    env = {
        **os.environ,
        "BINELEK_ENV": "production",
        "DATABASE_URL": _pg_url(database),
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": f"binelek-topology-{uuid.uuid4().hex[:6]}:",
        "JWT_SECRET": "topology-test-" + "x" * 40,
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "PUBLIC_URL": f"http://127.0.0.1:{api_port}",
        "BINELEK_DATA_DIR": str(tmp_path),
    }
    processes: list[subprocess.Popen] = []
    with smtp_server() as inbox:
        try:
            _run_topology(env, api_port, inbox, processes)
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _run_topology(env: dict[str, str], api_port: int, inbox, processes: list[subprocess.Popen]) -> None:
    migrated = subprocess.run([BIN, "migrate"], env=env, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    processes.append(
        subprocess.Popen(
            [BIN, "serve", "--port", str(api_port), "--no-migrate"],
            env={**env, "JOBS_ENABLED": "false"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    processes.append(
        subprocess.Popen(
            [BIN, "worker"],
            env={**env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(inbox.port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    base = f"http://127.0.0.1:{api_port}"
    ready = wait_until_ready(base, processes[0])
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}  # this process runs no jobs
    assert "strict-transport-security" in ready.headers

    owner = httpx.post(
        f"{base}/api/auth/register",
        json={
            "email": f"owner-{uuid.uuid4().hex[:6]}@example.com",
            "password": "topology test password",
            "full_name": "Owner",
            "company_name": "Topology Co",
        },
    ).json()
    invitee = f"invitee-{uuid.uuid4().hex[:6]}@example.com"
    created = httpx.post(
        f"{base}/api/team/invitations",
        json={"email": invitee, "role": "viewer"},
        headers={"Authorization": f"Bearer {owner['access_token']}"},
    )
    assert created.status_code == 201

    deadline = time.monotonic() + 60
    while not inbox.to(invitee):
        assert time.monotonic() < deadline, "the worker sent no e-mail"
        time.sleep(0.2)
    message = email.message_from_string(inbox.to(invitee)[0], policy=policy.default)
    assert created.json()["accept_url"] in message.get_content()
