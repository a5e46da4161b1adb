"""API load benchmark: a real `binelek serve` process driven by wrk (Debian's) over loopback.

Measures authenticated GET /api/auth/me and a tenant-scoped list (GET /api/team/members), and the
bare GET /healthz of the same server as the stack's own ceiling; prints req/s, p50 and p99 and the
ratio of each endpoint to the bare one.

    python bench/api_load.py                 # embedded mode (SQLite, in-process everything)
    BENCH_DB=postgres python bench/api_load.py   # PostgreSQL at 127.0.0.1:5432 (+ Redis if BENCH_REDIS=1)

Rate limits stay on (every request is counted) but are raised so the run measures the stack rather
than 429s. Bounded: each run lasts BENCH_SECONDS (default 10) against 127.0.0.1 only.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from rich.console import Console
from rich.table import Table

console = Console()
BIN = Path(sys.executable).parent / "binelek"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
TARGETS = {"/api/auth/me": (1500.0, 50.0), "/api/team/members": (None, None)}


@dataclass
class Result:
    path: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def to_ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, token: str | None, seconds: int) -> Result:
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    if token:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"\s50%\s+([\d.]+)(us|ms|s)", output)
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return Result(
        path="/" + url.split(":", 2)[2].split("/", 1)[1],
        requests_per_second=rate,
        p50_ms=to_ms(*p50.groups()),  # type: ignore[union-attr]
        p99_ms=to_ms(*p99.groups()),  # type: ignore[union-attr]
        errors=int(errors.group(1)) if errors else 0,
    )


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not start")


def prepare_tenant(base: str) -> str:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    response = httpx.post(
        f"{base}/api/auth/register",
        json={
            "email": email,
            "password": "benchmark password",
            "full_name": "Bench",
            "company_name": "Bench Co",
        },
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    for index in range(10):  # a list worth paging: eleven members
        invitation = httpx.post(
            f"{base}/api/team/invitations",
            json={"email": f"m{index}-{email}", "role": "member"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        httpx.post(
            f"{base}/api/auth/accept-invitation",
            json={"token": invitation["token"], "password": "benchmark password", "full_name": f"M{index}"},
        ).raise_for_status()
    return token


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
        if os.environ.get("BENCH_REDIS") == "1":
            env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
            env["REDIS_PREFIX"] = f"binelek-bench-{uuid.uuid4().hex[:6]}:"
    port = free_port()
    server = start_server(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        token = prepare_tenant(base)
        run_wrk(f"{base}/api/auth/me", token, 2)  # warm-up
        bare = run_wrk(f"{base}/healthz", None, SECONDS)
        results = [run_wrk(f"{base}{path}", token, SECONDS) for path in TARGETS]
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
        if database:
            with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    report(mode + (" + redis" if env.get("REDIS_URL") else ""), bare, results)


def report(mode: str, bare: Result, results: list[Result]) -> None:
    table = Table(title=f"API load — {mode}, wrk 1 thread x {CONNECTIONS} connections, {SECONDS}s each")
    for column in ("endpoint", "req/s", "p50 ms", "p99 ms", "non-2xx", "ratio vs bare", "target"):
        table.add_column(column, justify="right" if column != "endpoint" else "left")
    table.add_row(
        "/healthz (bare)",
        f"{bare.requests_per_second:,.0f}",
        f"{bare.p50_ms:.2f}",
        f"{bare.p99_ms:.2f}",
        str(bare.errors),
        "1.00",
        "",
    )
    for result in results:
        ratio = result.requests_per_second / bare.requests_per_second
        rate_target, p99_target = TARGETS[result.path]
        verdict = ""
        if rate_target is not None and p99_target is not None and mode == "sqlite":
            met = result.requests_per_second >= rate_target and result.p99_ms < p99_target and ratio >= 0.5
            verdict = (
                "met" if met else "MISSED"
            ) + f" (≥{rate_target:,.0f}/s, p99<{p99_target:.0f} ms, ≥0.50)"
        table.add_row(
            result.path,
            f"{result.requests_per_second:,.0f}",
            f"{result.p50_ms:.2f}",
            f"{result.p99_ms:.2f}",
            str(result.errors),
            f"{ratio:.2f}",
            verdict,
        )
    console.print(table)


if __name__ == "__main__":
    main()
