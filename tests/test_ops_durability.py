"""Runs survive the server being killed: one waiting in a delay, one waiting for an approval. After a
restart each continues and completes exactly once — its HTTP call made once, its task created once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from cryptography.fernet import Fernet

from tests.conftest import PG_ADMIN_URL, RUN_ID, TEST_DB, _pg_url, account_from
from tests.support import free_port, wait_until_ready

BIN = Path(sys.executable).parent / "binelek"
PASSWORD = "durable-test-password-1"
BASE = "/api/modules/ops-copilot"


class _Counter(BaseHTTPRequestHandler):
    calls: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
        type(self).calls.append({"key": self.headers.get("Idempotency-Key"), "body": body})
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Counter.calls.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [BIN, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _env(tmp_path: Path, port: int, database: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "BINELEK_ENV": "development",
        "BINELEK_DATA_DIR": str(tmp_path / "var"),
        "JWT_SECRET": "durable-test-" + "x" * 40,
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "RATE_LIMITS_ENABLED": "false",
        "AUTOMATION_HTTP_ALLOWLIST": '["127.0.0.1"]',
        "OUTBOX_POLL_SECONDS": "0.2",
    }
    env.pop("DATABASE_URL", None)
    if database:
        env["DATABASE_URL"] = _pg_url(database)
    return env


def _workflow(
    client: httpx.Client, headers: dict[str, str], name: str, wait: dict[str, Any], target: str
) -> str:
    body = {
        "name": name,
        "steps": [
            wait,
            {
                "id": "call",
                "type": "http_request",
                "config": {"url": f"{target}/{name}", "body": {"run": "{{ run.id }}"}},
            },
            {"id": "task", "type": "create_task", "config": {"title": f"{name} done"}},
        ],
    }
    response = client.post(f"{BASE}/workflows", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _run(client: httpx.Client, headers: dict[str, str], workflow_id: str) -> str:
    response = client.post(f"{BASE}/workflows/{workflow_id}/run", json={}, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "waiting", response.json()
    return str(response.json()["id"])


def _wait(client: httpx.Client, headers: dict[str, str], run_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = client.get(f"{BASE}/runs/{run_id}", headers=headers).json()
        if body["status"] in ("succeeded", "failed", "rejected", "cancelled"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.2)


def _second_admin(client: httpx.Client, owner: Any) -> Any:
    email = f"approver-{RUN_ID}@durable.example"
    invitation = client.post(
        "/api/team/invitations", json={"email": email, "role": "admin"}, headers=owner.headers
    )
    assert invitation.status_code == 201, invitation.text
    accepted = client.post(
        "/api/auth/accept-invitation",
        json={"token": invitation.json()["token"], "password": PASSWORD, "full_name": "Second Admin"},
    )
    assert accepted.status_code == 200, accepted.text
    return account_from(accepted.json(), email, PASSWORD)


def test_runs_waiting_in_a_delay_or_an_approval_survive_a_kill(tmp_path, receiver):
    database = f"binelek_test_{RUN_ID}_durable" if TEST_DB == "postgres" else None
    if database:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(tmp_path, port, database)
    processes = [_serve(env, port)]
    try:
        wait_until_ready(base, processes[-1], timeout=120)
        with httpx.Client(base_url=base, timeout=30) as client:
            registered = client.post(
                "/api/auth/register",
                json={
                    "email": "owner@durable.example",
                    "password": PASSWORD,
                    "full_name": "Ada Owner",
                    "company_name": "Durable Co",
                },
            )
            assert registered.status_code == 201, registered.text
            owner = account_from(registered.json(), "owner@durable.example", PASSWORD)
            approver = _second_admin(client, owner)
            delayed = _workflow(
                client,
                owner.headers,
                "delayed",
                {"id": "wait", "type": "delay", "config": {"minutes": 0.1}},
                receiver,
            )
            approved = _workflow(
                client,
                owner.headers,
                "approved",
                {"id": "ok", "type": "approval", "config": {"message": "Go?"}},
                receiver,
            )
            delay_run = _run(client, owner.headers, delayed)
            approval_run = _run(client, owner.headers, approved)
            time.sleep(1.0)  # both durable workflows are in their wait

        processes[-1].send_signal(signal.SIGKILL)
        processes[-1].wait(timeout=10)
        assert _Counter.calls == []
        processes.append(_serve(env, port))  # DBOS recovers both workflows on start
        wait_until_ready(base, processes[-1], timeout=120)

        with httpx.Client(base_url=base, timeout=30) as client:
            decided = client.post(
                f"{BASE}/runs/{approval_run}/approve", json={"comment": "yes"}, headers=approver.headers
            )
            assert decided.status_code == 200, decided.text
            runs = {run_id: _wait(client, owner.headers, run_id) for run_id in (delay_run, approval_run)}
            tasks = client.get(f"{BASE}/tasks", params={"limit": 100}, headers=owner.headers).json()
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        if database:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    for run in runs.values():
        assert run["status"] == "succeeded", run
        assert [step["status"] for step in run["steps"]] == ["succeeded"] * 3
    called = sorted(json.loads(call["body"])["run"] for call in _Counter.calls)
    assert called == sorted(runs), _Counter.calls  # one HTTP call per run: exactly once
    titles = sorted(task["title"] for task in tasks["items"])
    assert titles == ["approved done", "delayed done"]
