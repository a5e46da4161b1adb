"""Mixed, realistic load against the whole product: the highest request rate it holds for ten minutes
with p99 < 200 ms and no errors.

Traffic is open-loop (requests leave on a fixed schedule whether or not earlier ones have answered,
and latency is measured from the scheduled time, so a stall is not hidden) over the demo business,
signed in as its owner:
  reads 55 %     the signed-in user, task lists (filters, search), notifications, the team
  dashboard 20 % a dashboard's data, a metrics query
  writes 15 %    create a task, move a task along
  AI 10 %        questions to the assistant (the offline engine: no model download, no network),
                 half of them with a varying number, so their wording is new each time

The run steps the rate up (BENCH_RATES, BENCH_STEP_SECONDS each) until a step misses (p99 ≥ 200 ms,
any error, or the rate not reached), then holds the highest passing rate for BENCH_HOLD_SECONDS
(default 600). Memory of every server process is read before and after the hold.

    .venv/bin/python bench/load.py                   # embedded: one `binelek serve`, SQLite
    BENCH_DB=postgres .venv/bin/python bench/load.py # production: PostgreSQL + Redis, 2 API + 2 workers
    BENCH_SOAK_RATE=10 BENCH_HOLD_SECONDS=1800 .venv/bin/python bench/load.py  # a 30-minute soak

Each server's log (warnings and errors) is kept in var/bench/logs/. Every process's RSS is read once a
minute during the hold and its trend over the hold's second half is printed (MB a minute), so a soak
shows whether memory levels off. BENCH_SOAK_RATE skips the steps and holds that rate: a soak asks
about memory, not about the ceiling. In production mode BENCH_API_ENV="NAME=value …" gives the second
API process extra settings (MALLOC_ARENA_MAX=2, say): an A/B of one setting under the same traffic.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import platform
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import psycopg
from cryptography.fernet import Fernet
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from api_load import free_port

console = Console()
BIN = Path(sys.executable).parent / "binelek"
PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SOAK_RATE = float(os.environ.get("BENCH_SOAK_RATE", "0"))
SECOND_API_ENV = dict(pair.split("=", 1) for pair in os.environ.get("BENCH_API_ENV", "").split())
RATES = [float(r) for r in os.environ.get("BENCH_RATES", "20,40,60,80,100,130,160,200,250,300").split(",")]
STEP_SECONDS = float(os.environ.get("BENCH_STEP_SECONDS", "30"))
HOLD_SECONDS = float(os.environ.get("BENCH_HOLD_SECONDS", "600"))
DEMO_SCALE = os.environ.get("BENCH_DEMO_SCALE", "0.3")
P99_TARGET_MS = 200.0
OWNER = ("owner@northwind-coffee.example", "northwind-roastery-demo")
QUESTIONS = (
    "how many open tasks do I have?",
    "what is my next task?",
    "show overdue tasks",
    "what was revenue last month?",
    "how is our security posture?",
    "list failed automation runs",
)


@dataclass
class Sample:
    kind: str
    started: float
    latency_ms: float
    ok: bool
    status: int


@dataclass
class Topology:
    bases: list[str]
    processes: dict[str, subprocess.Popen[bytes]]
    cleanup: Callable[[], None]
    env: dict[str, str]


@dataclass
class Traffic:
    """What each request needs to know about the demo business."""

    token: str
    dashboard_ids: list[str]
    metrics: list[str]
    task_ids: list[str] = field(default_factory=list)


# -- the server(s) ----------------------------------------------------------------------------------


def _env(data_dir: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "BINELEK_DATA_DIR": str(data_dir),
        "BINELEK_DEMO_SCALE": DEMO_SCALE,
        "RATE_LIMIT_API": "10000000/minute",
        "RATE_LIMIT_AI": "10000000/minute",
        "RATE_LIMIT_AUTH": "10000/minute",
        "ACCESS_TOKEN_MINUTES": "240",
        "LOG_LEVEL": "WARNING",
    }


LOGS = Path("var/bench/logs")


def _log(name: str) -> IO[bytes]:
    """A server's own log (LOG_LEVEL=WARNING: what went wrong under load), kept after the run."""
    LOGS.mkdir(parents=True, exist_ok=True)
    return (LOGS / f"load-{name}.log").open("wb")


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{base}: the server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{base} did not become ready")


def _run(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"binelek {' '.join(args)} failed:\n{done.stderr[-3000:]}")


def _raise_plan(env: dict[str, str], tenant_id: str) -> None:
    """The demo business on the unlimited plan: the run measures the platform, not plan limits."""
    _run(env, "plan", "set", tenant_id, "enterprise")


def start_embedded(data_dir: Path, topology: Topology) -> None:
    """Fills `topology` as it goes, so a start that fails half-way still leaves it stoppable."""
    env = _env(data_dir)
    topology.env = env
    _run(env, "migrate")
    _run(env, "seed-demo")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    topology.processes["serve"] = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port), "--no-migrate"],
        env=env,
        stdout=_log("serve"),
        stderr=subprocess.STDOUT,
    )
    _wait_ready(base, topology.processes["serve"])
    topology.bases.append(base)


def start_production(data_dir: Path, topology: Topology) -> None:
    """As start_embedded: the database's drop and every process are in `topology` once they exist."""
    database = f"binelek_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    topology.cleanup = drop
    env = {
        **_env(data_dir),
        "BINELEK_ENV": "production",
        "DATABASE_URL": PG_ADMIN.rsplit("/", 1)[0] + "/" + database,
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": f"binelek-load-{uuid.uuid4().hex[:6]}:",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    topology.env = env
    _run(env, "migrate")
    _run(env, "seed-demo")
    for index in range(2):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        topology.processes[f"api-{index}"] = subprocess.Popen(
            [str(BIN), "serve", "--port", str(port), "--no-migrate"],
            env={**env, "JOBS_ENABLED": "false", "PUBLIC_URL": base, **(SECOND_API_ENV if index else {})},
            stdout=_log(f"api-{index}"),
            stderr=subprocess.STDOUT,
        )
        _wait_ready(base, topology.processes[f"api-{index}"])
        topology.bases.append(base)
    for index in range(2):
        topology.processes[f"worker-{index}"] = subprocess.Popen(
            [str(BIN), "worker"],
            env={**env, "BINELEK_EXECUTOR_ID": f"worker-{index}"},
            stdout=_log(f"worker-{index}"),
            stderr=subprocess.STDOUT,
        )


def stop(topology: Topology) -> None:
    for process in topology.processes.values():
        process.terminate()
    for process in topology.processes.values():
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    topology.cleanup()


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


async def settle(
    topology: Topology, *, window: float = 10.0, busy: float = 0.3, limit: float = 600.0
) -> None:
    """Wait until the servers are idle (under `busy` of a CPU each over `window` seconds): after the
    demo business is seeded, workers index its records and compute insights for a few minutes, and a
    step measured during that would measure the seeding, not the traffic. (An idle worker on
    PostgreSQL still uses ~15 % of a CPU: DBOS polls each of its eight queues for work.)"""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = {name: cpu_seconds(p) for name, p in topology.processes.items()}
        await asyncio.sleep(window)
        used = {name: (cpu_seconds(p) - before[name]) / window for name, p in topology.processes.items()}
        if max(used.values()) < busy:
            return
        console.print("  waiting for background work: " + ", ".join(f"{n} {u:.0%}" for n, u in used.items()))
    console.print("  background work still running; measuring anyway")


def rss_mb(process: subprocess.Popen[bytes]) -> float:
    try:
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


# -- the traffic ------------------------------------------------------------------------------------


async def prepare(http: httpx.AsyncClient, env: dict[str, str]) -> Traffic:
    signed_in = await http.post("/api/auth/login", json={"email": OWNER[0], "password": OWNER[1]})
    signed_in.raise_for_status()
    await asyncio.to_thread(_raise_plan, env, signed_in.json()["tenant"]["id"])
    token = signed_in.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    dashboards = (await http.get("/api/modules/mini-foundry/dashboards", headers=headers)).json()
    items = dashboards["items"] if isinstance(dashboards, dict) else dashboards
    metrics = (await http.get("/api/modules/mini-foundry/metrics", headers=headers)).json()
    metric_items = metrics["metrics"]
    traffic = Traffic(
        token=token,
        dashboard_ids=[d["id"] for d in items][:5],
        metrics=[m["name"] for m in metric_items if m.get("kind", "sum") != "ratio"][:6] or ["revenue"],
    )
    tasks = (await http.get("/api/modules/ops-copilot/tasks", params={"limit": 50}, headers=headers)).json()
    traffic.task_ids = [t["id"] for t in tasks["items"]]
    return traffic


Request = tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]  # method, path, params, json
TASKS = "/api/modules/ops-copilot/tasks"


def _reads(t: Traffic) -> Request:
    return random.choice(
        [
            ("GET", "/api/auth/me", None, None),
            ("GET", TASKS, {"limit": 25}, None),
            ("GET", TASKS, {"status": "todo", "sort": "due_at", "limit": 25}, None),
            ("GET", TASKS, {"q": "order", "limit": 25}, None),
            ("GET", "/api/notifications", {"limit": 20}, None),
            ("GET", "/api/team/members", None, None),
        ]
    )


def _dashboard(t: Traffic) -> Request:
    if t.dashboard_ids and random.random() < 0.6:
        dashboard = random.choice(t.dashboard_ids)
        return ("GET", f"/api/modules/mini-foundry/dashboards/{dashboard}/data", None, None)
    body = {
        "metrics": [random.choice(t.metrics)],
        "time_range": {"preset": random.choice(["last_30_days", "last_90_days", "this_year"])},
    }
    return ("POST", "/api/modules/mini-foundry/metrics/query", None, body)


def _writes(t: Traffic) -> Request:
    if t.task_ids and random.random() < 0.5:
        status = random.choice(["todo", "in_progress", "done"])
        return ("PATCH", f"{TASKS}/{random.choice(t.task_ids)}", None, {"status": status})
    return ("POST", TASKS, None, {"title": f"Call supplier about order {random.randint(1000, 9999)}"})


# Questions with a number in them are new text almost every time (no remembered embedding helps).
VARIED_QUESTIONS = (
    "what was revenue in the last {n} days?",
    "show tasks due in the next {n} days",
    "how many orders did we get in the last {n} days?",
)


def _ai(t: Traffic) -> Request:
    if random.random() < 0.5:
        question = random.choice(VARIED_QUESTIONS).format(n=random.randint(2, 400))
    else:
        question = random.choice(QUESTIONS)
    return ("POST", "/api/query", None, {"query": question})


MIX: list[tuple[str, float, Callable[[Traffic], Request]]] = [
    ("read", 0.55, _reads),
    ("dashboard", 0.20, _dashboard),
    ("write", 0.15, _writes),
    ("ai", 0.10, _ai),
]


def _pick() -> tuple[str, Callable[[Traffic], Request]]:
    roll, total = random.random(), 0.0
    for kind, weight, build in MIX:
        total += weight
        if roll < total:
            return kind, build
    return MIX[-1][0], MIX[-1][2]


async def _one(
    clients: itertools.cycle[httpx.AsyncClient], traffic: Traffic, scheduled: float, samples: list[Sample]
) -> None:
    kind, build = _pick()
    method, path, params, body = build(traffic)
    client = next(clients)
    status = 0
    try:
        response = await client.request(
            method, path, params=params, json=body, headers={"Authorization": f"Bearer {traffic.token}"}
        )
        status = response.status_code
        if method == "POST" and path == TASKS and status == 201:
            traffic.task_ids.append(response.json()["id"])
            del traffic.task_ids[:-200]
    except httpx.HTTPError:
        status = 0
    finished = time.perf_counter()
    samples.append(Sample(kind, scheduled, (finished - scheduled) * 1000, 200 <= status < 300, status))


async def drive(
    clients: list[httpx.AsyncClient], traffic: Traffic, rate: float, seconds: float, label: str
) -> list[Sample]:
    samples: list[Sample] = []
    pending: set[asyncio.Task[None]] = set()
    rotation = itertools.cycle(clients)
    start = time.perf_counter()
    total = int(rate * seconds)
    last_report = start
    for index in range(total):
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(_one(rotation, traffic, scheduled, samples))
        pending.add(task)
        task.add_done_callback(pending.discard)
        if time.perf_counter() - last_report >= 60:
            last_report = time.perf_counter()
            p99 = _p(samples, 99)
            console.print(f"  {label}: {index:,}/{total:,} sent, {len(pending)} in flight, p99 {p99:.0f} ms")
    if pending:
        await asyncio.wait(pending, timeout=30)
    return samples


def _p(samples: list[Sample], q: float) -> float:
    if not samples:
        return float("nan")
    latencies = sorted(s.latency_ms for s in samples)
    return latencies[min(len(latencies) - 1, int(len(latencies) * q / 100))]


def verdict(samples: list[Sample], rate: float, seconds: float) -> tuple[bool, str]:
    errors = sum(not s.ok for s in samples)
    achieved = len(samples) / seconds
    p99 = _p(samples, 99)
    passed = errors == 0 and p99 < P99_TARGET_MS and achieved >= rate * 0.95
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample)
    kinds = ", ".join(f"{kind} {_p(rows, 99):.0f}" for kind, rows in sorted(by_kind.items()))
    return passed, f"{achieved:.0f}/s achieved, p99 {p99:.0f} ms ({kinds}), {errors} errors"


async def warm_up(clients: list[httpx.AsyncClient], traffic: Traffic) -> None:
    """Every kind of request once per process, one at a time: first calls load models and caches."""
    for client in clients:
        for _kind, _weight, build in MIX:
            for _ in range(3):
                method, path, params, body = build(traffic)
                headers = {"Authorization": f"Bearer {traffic.token}"}
                await client.request(method, path, params=params, json=body, headers=headers)


# -- the run ----------------------------------------------------------------------------------------


async def hold(
    clients: list[httpx.AsyncClient], traffic: Traffic, topology: Topology, rate: float
) -> tuple[list[Sample], dict[str, list[float]]]:
    """Drive `rate` for HOLD_SECONDS, reading every server process's RSS at the start, once a minute
    and at the end (a soak: memory should level off, not climb)."""
    memory: dict[str, list[float]] = {name: [] for name in topology.processes}

    def read() -> None:
        for name, process in topology.processes.items():
            memory[name].append(rss_mb(process))

    async def every_minute() -> None:
        while True:
            await asyncio.sleep(60)
            read()

    read()
    sampler = asyncio.create_task(every_minute())
    try:
        samples = await drive(clients, traffic, rate, HOLD_SECONDS, f"hold {rate:g}/s")
    finally:
        sampler.cancel()
    read()
    return samples, memory


async def run(topology: Topology) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    clients = [httpx.AsyncClient(base_url=base, timeout=30, limits=limits) for base in topology.bases]
    try:
        await settle(topology)
        traffic = await prepare(clients[0], topology.env)
        await warm_up(clients, traffic)
        await drive(clients, traffic, RATES[0], 10, "warm-up")
        best = SOAK_RATE or None
        steps = []
        for rate in [] if SOAK_RATE else RATES:
            samples = await drive(clients, traffic, rate, STEP_SECONDS, f"step {rate:g}/s")
            passed, summary = verdict(samples, rate, STEP_SECONDS)
            steps.append({"rate": rate, "passed": passed, "summary": summary})
            console.print(f"step {rate:>5g}/s: {'pass' if passed else 'MISS'} — {summary}")
            if not passed:
                break
            best = rate
        if best is None:
            raise SystemExit("not even the lowest rate held")
        hold_rate = best
        console.print(f"holding {hold_rate:g}/s for {HOLD_SECONDS:.0f} s …")
        samples, memory = await hold(clients, traffic, topology, hold_rate)
        passed, summary = verdict(samples, hold_rate, HOLD_SECONDS)
        if not passed and not SOAK_RATE:  # one step down, as the search's resolution allows
            console.print(f"hold at {hold_rate:g}/s missed ({summary}); holding 80 % of it")
            hold_rate = round(hold_rate * 0.8)
            samples, memory = await hold(clients, traffic, topology, hold_rate)
            passed, summary = verdict(samples, hold_rate, HOLD_SECONDS)
        memory_before = {name: readings[0] for name, readings in memory.items()}
        memory_after = {name: readings[-1] for name, readings in memory.items()}
        return {
            "steps": steps,
            "hold_rate": hold_rate,
            "hold_seconds": HOLD_SECONDS,
            "passed": passed,
            "summary": summary,
            "samples": samples,
            "memory_before_mb": memory_before,
            "memory_after_mb": memory_after,
            "memory_per_minute_mb": memory,
        }
    finally:
        for client in clients:
            await client.aclose()


def report(mode: str, result: dict[str, Any]) -> None:
    samples: list[Sample] = result["samples"]
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample)
    table = Table(
        title=f"Mixed load — {mode}: {result['hold_rate']:g} req/s held {result['hold_seconds']:.0f} s "
        f"({'MET' if result['passed'] else 'MISSED'}: p99 < {P99_TARGET_MS:.0f} ms, no errors)"
    )
    for column in ("traffic", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "traffic" else "right")
    for kind, rows in [*sorted(by_kind.items()), ("all", samples)]:
        table.add_row(
            kind,
            f"{len(rows):,}",
            str(sum(not s.ok for s in rows)),
            f"{_p(rows, 50):.1f}",
            f"{_p(rows, 95):.1f}",
            f"{_p(rows, 99):.1f}",
            f"{max(s.latency_ms for s in rows):.1f}",
        )
    console.print(table)
    statuses = sorted({s.status for s in samples if not s.ok})
    if statuses:
        console.print(f"failed statuses: {statuses}")
    console.print("p99 per minute (ms): " + _per_minute(samples))
    console.print(
        "memory (RSS MB, before → after the hold): "
        + ", ".join(
            f"{name} {result['memory_before_mb'][name]:.0f} → {result['memory_after_mb'][name]:.0f}"
            for name in result["memory_before_mb"]
        )
    )
    for name, readings in result["memory_per_minute_mb"].items():
        console.print(f"RSS per minute, {name} (MB): {_spark(readings, min(readings), max(readings))}")
        trend = _trend(readings[len(readings) // 2 :])
        label = (
            f" ({' '.join(f'{k}={v}' for k, v in SECOND_API_ENV.items())})"
            if name == "api-1" and SECOND_API_ENV
            else ""
        )
        console.print(f"  trend over the second half{label}: {trend:+.2f} MB a minute")
    steps = ", ".join(f"{step['rate']:g}/s {'ok' if step['passed'] else 'miss'}" for step in result["steps"])
    console.print(f"steps: {steps}")
    cpu = platform.processor() or platform.machine()
    console.print(f"machine: {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}")


def _per_minute(samples: list[Sample]) -> str:
    if not samples:
        return ""
    start = min(s.started for s in samples)
    minutes: dict[int, list[Sample]] = defaultdict(list)
    for sample in samples:
        minutes[int((sample.started - start) // 60)].append(sample)
    values = [_p(minutes[m], 99) for m in sorted(minutes)]
    return _spark(values, 0.0, max(max(values), P99_TARGET_MS))


def _trend(readings: list[float]) -> float:
    """Least-squares slope of readings taken a minute apart (nan with fewer than three)."""
    if len(readings) < 3:
        return float("nan")
    return statistics.linear_regression(range(len(readings)), readings).slope


def _spark(values: list[float], bottom: float, top: float) -> str:
    bars = "▁▂▃▄▅▆▇█"
    span = max(top - bottom, 1e-9)
    spark = "".join(bars[min(7, int((v - bottom) / span * 7.999))] for v in values)
    return f"{spark}  [{', '.join(f'{v:.0f}' for v in values)}]"


def main() -> None:
    mode = os.environ.get("BENCH_DB", "sqlite")
    data_dir = Path(tempfile.mkdtemp(prefix="binelek-load-"))
    started = time.monotonic()
    kind = "production" if mode == "postgres" else "embedded"
    console.print(f"starting the {kind} topology (demo scale {DEMO_SCALE}) …")
    topology = Topology(bases=[], processes={}, cleanup=lambda: None, env={})
    try:
        (start_production if mode == "postgres" else start_embedded)(data_dir, topology)
        result = asyncio.run(run(topology))
    finally:
        stop(topology)
        shutil.rmtree(data_dir, ignore_errors=True)
    label = "embedded (SQLite)"
    if mode == "postgres":
        label = "production (PostgreSQL + Redis, 2 API + 2 workers)"
    report(label, result)
    out = Path("var/bench")
    out.mkdir(parents=True, exist_ok=True)
    latencies = [s.latency_ms for s in result["samples"]]
    summary = {k: v for k, v in result.items() if k != "samples"}
    p50 = statistics.median(latencies) if latencies else None
    summary |= {"mode": mode, "requests": len(latencies), "p50_ms": p50}
    (out / f"load-{mode}.json").write_text(json.dumps(summary, indent=2, default=str))
    console.print(f"total time {time.monotonic() - started:.0f} s; summary in var/bench/load-{mode}.json")


if __name__ == "__main__":
    main()
