"""Security scanner benchmark against a real `binelek serve` process.

1. A full scan of 50 local web targets (50 HTTP servers, each on its own loopback address, so each is
   a separate host to the scanner) and 1,000 TCP ports of 127.0.0.1: wall time from `POST /scans` to
   the scan finished (target < 20 s).
2. Agent check-ins: first check-ins of distinct devices (200 packages each: inventory written,
   vulnerabilities matched, findings and issues made), then the steady state — a device checking in
   again unchanged — driven by wrk for `BENCH_SECONDS` (target ≥ 500 check-ins/s).

    .venv/bin/python bench/scan.py                   # embedded mode (SQLite)
    BENCH_DB=postgres .venv/bin/python bench/scan.py # PostgreSQL at 127.0.0.1:5432
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
from rich.console import Console
from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).parent))
from api_load import free_port, start_server

console = Console()
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
WEB_TARGETS = int(os.environ.get("BENCH_WEB_TARGETS", "50"))
PORTS = 1000
FIRST_CHECKINS = int(os.environ.get("BENCH_DEVICES", "300"))
PACKAGES_PER_DEVICE = 200
BASE = "/api/modules/cybersecurity-scanner"


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><html><head><title>shop</title></head><body>ok</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def start_web_targets(count: int) -> list[ThreadingHTTPServer]:
    servers = []
    for index in range(count):
        server = ThreadingHTTPServer((f"127.0.2.{index + 1}", 0), _Page)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        servers.append(server)
    return servers


def register(base: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/auth/register",
        json={
            "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
            "password": "benchmark password",
            "full_name": "Bench",
            "company_name": "Bench Scan Co",
        },
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def add_assets(base: str, headers: dict[str, str], servers: list[ThreadingHTTPServer]) -> None:
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for server in servers:
            host, port = server.server_address[:2]
            body = {"kind": "url", "value": f"http://{host}:{port}/", "attest_ownership": True}
            client.post(f"{BASE}/assets", json=body).raise_for_status()
        ports = {
            "kind": "ip",
            "value": "127.0.0.1",
            "attest_ownership": True,
            "ports": list(range(1, PORTS + 1)),
        }
        client.post(f"{BASE}/assets", json=ports).raise_for_status()


def full_scan(base: str, headers: dict[str, str]) -> tuple[float, dict[str, Any]]:
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        started = time.perf_counter()
        scan_id = (
            client.post(f"{BASE}/scans", json={"categories": ["web", "network"]})
            .raise_for_status()
            .json()["id"]
        )
        with Progress(console=console, transient=True) as progress:
            bar = progress.add_task("scanning", total=None)
            while True:
                scan = client.get(f"{BASE}/scans/{scan_id}").raise_for_status().json()
                progress.update(bar, total=scan["progress_total"], completed=scan["progress_done"])
                if scan["status"] in ("succeeded", "failed"):
                    return time.perf_counter() - started, scan
                time.sleep(0.05)


def checkin_body(device_key: str, packages: int) -> dict[str, Any]:
    return {
        "agent_version": "1.0.0",
        "device_key": device_key,
        "hostname": f"pc-{device_key[:6]}",
        "os": {"family": "linux", "name": "Debian GNU/Linux", "version": "12", "kernel": "6.1.0"},
        "hardware": {"arch": "x86_64"},
        "network": {"ips": ["192.168.1.20"], "macs": ["52:54:00:12:34:56"]},
        "packages": [
            {"name": f"lib{index}", "version": f"1.{index}-1", "source": "dpkg", "source_name": f"lib{index}"}
            for index in range(packages - 1)
        ]
        + [{"name": "openssh-server", "version": "1:9.2p1-2", "source": "dpkg", "source_name": "openssh"}],
        "security": {"disk_encryption": True, "firewall": True, "screen_lock": True, "auto_updates": True},
    }


async def first_checkins(
    base: str, token: str, devices: int
) -> tuple[float, list[float], list[dict[str, Any]]]:
    """Enrol `devices` devices; returns the rate, latencies and each device's steady-state body (the
    same report with its package list replaced by the digest the server acknowledged)."""
    semaphore = asyncio.Semaphore(8)
    latencies: list[float] = []
    steady_bodies: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=base, headers={"X-Enrolment-Token": token}, timeout=60) as client:

        async def one(index: int) -> None:
            body = checkin_body(uuid.uuid4().hex, PACKAGES_PER_DEVICE)
            async with semaphore:
                began = time.perf_counter()
                response = await client.post(f"{BASE}/devices/checkin", json=body)
                latencies.append((time.perf_counter() - began) * 1000)
            digest = response.raise_for_status().json()["packages_hash"]
            steady_bodies.append({**body, "packages": None, "packages_hash": digest})

        started = time.perf_counter()
        await asyncio.gather(*(one(index) for index in range(devices)))
        return devices / (time.perf_counter() - started), latencies, steady_bodies


def steady_checkins(base: str, token: str, bodies: list[dict[str, Any]]) -> str:
    """The enrolled devices checking in again with nothing changed, in turn, as
    `binelek-agent --interval` does: the package list goes as its acknowledged digest."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    encoded = ",\n".join(json.dumps(json.dumps(body)) for body in bodies)
    script.write_text(
        f"local bodies = {{{encoded}}}\n"
        "local i = 0\n"
        f'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["X-Enrolment-Token"] = "{token}"\n'
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        '  return wrk.format("POST", nil, nil, bodies[i])\n'
        "end\n"
    )
    try:
        url = f"{base}{BASE}/devices/checkin"
        command = ["wrk", "-t1", "-c16", f"-d{SECONDS}s", "--latency", "-s", str(script), url]
        output = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=SECONDS + 30
        ).stdout
    finally:
        script.unlink()
    return output


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is required: apt-get install wrk")
    mode = os.environ.get("BENCH_DB", "sqlite")
    data_dir = Path(tempfile.mkdtemp(prefix="binelek-bench-"))
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "BINELEK_DATA_DIR": str(data_dir),
        "RATE_LIMIT_API": "10000000/minute",
        "RATE_LIMIT_AUTH": "10000/minute",
        "LOG_LEVEL": "WARNING",
    }
    database = None
    if mode == "postgres":
        database = f"binelek_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + database
    servers = start_web_targets(WEB_TARGETS)
    port = free_port()
    server = start_server(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        subprocess.run(
            [str(Path(sys.executable).parent / "binelek"), "vulndb", "import", str(sample_db())],
            env=env,
            check=True,
            capture_output=True,
        )
        headers = register(base)
        add_assets(base, headers, servers)
        wall, scan = full_scan(base, headers)
        with httpx.Client(base_url=base, headers=headers) as client:
            token = (
                client.post(f"{BASE}/enrolment-tokens", json={"label": "bench"})
                .raise_for_status()
                .json()["token"]
            )
        first_rate, first_latencies, bodies = asyncio.run(first_checkins(base, token, FIRST_CHECKINS))
        drained = wait_drained(data_dir, env.get("DATABASE_URL"))
        steady = steady_checkins(base, token, bodies)
    finally:
        server.terminate()
        server.wait(timeout=30)
        for web in servers:
            web.shutdown()
        shutil.rmtree(data_dir, ignore_errors=True)
        if database:
            with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    report(mode, wall, scan, first_rate, first_latencies, steady)
    print(f"(the first check-ins' outbox events were handed over {drained:.1f} s after they ended)")


def wait_drained(data_dir: Path, database_url: str | None, limit: float = 120) -> float:
    """Wait until the server has handed over every outbox event the first check-ins made (issues,
    alerts), so the steady phase measures check-ins rather than that tail; returns the wait."""
    import sqlite3

    started = time.perf_counter()
    query = "SELECT count(*) FROM events WHERE dispatched_at IS NULL"
    while time.perf_counter() - started < limit:
        if database_url:
            with psycopg.connect(database_url) as connection:
                pending = connection.execute(query).fetchone()[0]  # type: ignore[index]
        else:
            with sqlite3.connect(data_dir / "binelek.sqlite") as connection:
                pending = connection.execute(query).fetchone()[0]
        if not pending:
            break
        time.sleep(0.2)
    return time.perf_counter() - started


def sample_db() -> Path:
    from binelek.security import vulndb

    return Path(vulndb.__file__).parent / "data" / "osv-sample.json"


def report(
    mode: str, wall: float, scan: dict[str, Any], first_rate: float, first: list[float], steady: str
) -> None:
    import re

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", steady).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", steady)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", steady)
    web_reports = [r for r in scan.get("reports", []) if r["check"] == "web"]
    print(
        f"# bench/scan.py — {mode}, {platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}"
    )
    print(
        f"full scan: {len(web_reports)} web targets + {PORTS} ports → {wall:.1f} s wall "
        f"(target < 20 s), status {scan['status']}, {scan['progress_total']} checks, "
        f"{len(scan.get('errors', []))} errors"
    )
    print(
        f"first check-ins ({PACKAGES_PER_DEVICE} packages each): {first_rate:,.0f}/s, "
        f"p50 {statistics.median(first):.0f} ms, p95 {statistics.quantiles(first, n=20)[18]:.0f} ms"
    )
    print(
        f"steady check-ins ({FIRST_CHECKINS} enrolled devices in turn, unchanged, wrk 16 connections, "
        f"{SECONDS} s): {rate:,.0f}/s "
        f"(target ≥ 500), p99 {p99.group(1) if p99 else '?'}, non-2xx {errors.group(1) if errors else 0}"
    )


if __name__ == "__main__":
    main()
