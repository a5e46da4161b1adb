"""The production topology as real processes, for tests: `binelek serve --no-migrate` API processes
(JOBS_ENABLED=false) and `binelek worker` processes on PostgreSQL and Redis — the machine's shared
servers (a database of the test's own) or a private PostgreSQL cluster and Redis server the test may
stop and restart without disturbing anyone else."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
from cryptography.fernet import Fernet

from binelek.kit.migrate import migrate_sync
from binelek.kit.settings import load_settings
from tests.conftest import PG_ADMIN_URL, RUN_ID, _pg_url
from tests.support import free_port, wait_until_ready

BIN = Path(sys.executable).parent / "binelek"
# A cold start imports the whole app: seconds on an idle machine, a minute or more on a loaded one.
STARTUP_SECONDS = 420


@contextmanager
def shared_database(suffix: str) -> Iterator[str]:
    """A fresh database of this test on the shared PostgreSQL; its URL."""
    name = f"binelek_test_{RUN_ID}_{suffix}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(data_dir: Path, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """What every process of one install shares; `extra` are further settings (upper-case names)."""
    return {
        **os.environ,
        "BINELEK_ENV": "production",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"binelek-topology-{uuid.uuid4().hex[:6]}:",
        "JWT_SECRET": "topology-test-" + "x" * 40,
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "BINELEK_DATA_DIR": str(data_dir),
        "OUTBOX_POLL_SECONDS": "0.2",
        **extra,
    }


@dataclass
class Topology:
    """Starts, kills and stops the processes of one install; each writes its log to `logs`."""

    env: dict[str, str]
    logs: Path
    api_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def migrate(self) -> None:
        """`binelek migrate`, run in this process: a fresh interpreter costs many seconds on a busy CI box."""
        migrate_sync(
            load_settings(
                database_url=self.env["DATABASE_URL"],
                jwt_secret=self.env["JWT_SECRET"],
                encryption_key=self.env["ENCRYPTION_KEY"],
                binelek_data_dir=Path(self.env["BINELEK_DATA_DIR"]),
            )
        )

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen([BIN, *args], env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def start_api(self, **extra: str) -> subprocess.Popen[bytes]:
        env = {
            **self.env,
            "JOBS_ENABLED": "false",
            "PUBLIC_URL": f"http://127.0.0.1:{self.api_port}",
            "BINELEK_DATA_DIR": str(Path(self.env["BINELEK_DATA_DIR"]) / "api"),
            **extra,
        }
        process = self._start("api", ["serve", "--port", str(self.api_port), "--no-migrate"], env)
        wait_until_ready(self.base, process, timeout=STARTUP_SECONDS)
        return process

    def start_worker(self, executor_id: str = "worker-0", **extra: str) -> subprocess.Popen[bytes]:
        env = {
            **self.env,
            "BINELEK_EXECUTOR_ID": executor_id,
            "PUBLIC_URL": f"http://127.0.0.1:{self.api_port}",
            "BINELEK_DATA_DIR": str(Path(self.env["BINELEK_DATA_DIR"]) / executor_id),
            **extra,
        }
        return self._start(executor_id, ["worker"], env)

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        """The end of every process's log, for an assertion message."""
        parts = []
        for path in sorted(self.logs.glob("*.log")):
            parts.append(
                f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            )
        return "\n".join(parts)


@contextmanager
def topology(data_dir: Path, database_url: str, redis_url: str, **extra: str) -> Iterator[Topology]:
    running = Topology(production_env(data_dir, database_url, redis_url, **extra), data_dir / "logs")
    try:
        yield running
    finally:
        running.stop()


# -- a private PostgreSQL cluster and Redis server ----------------------------------------------


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path is None:
        raise FileNotFoundError(name)
    return on_path


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` OS user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class PrivatePostgres:
    directory: Path
    port: int

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        command = [_pg_bin("pg_ctl"), "-D", str(self.directory / "data"), "-w", "-t", "30", *args]
        subprocess.run(_as_postgres(command), check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._ctl("-l", str(self.directory / "postgres.log"), "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop")

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A throw-away cluster in a temporary directory on a free port, trust authentication."""
    directory = Path(tempfile.mkdtemp(prefix="binelek-pg-"))
    os.chmod(directory, 0o755)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = PrivatePostgres(directory, free_port())
    initdb = [_pg_bin("initdb"), "-D", str(directory / "data"), "-U", "postgres", "-A", "trust", "--no-sync"]
    subprocess.run(_as_postgres(initdb), check=True, capture_output=True, timeout=120)
    cluster.start()
    try:
        yield cluster
    finally:
        with contextlib.suppress(Exception):
            cluster.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class PrivateRedis:
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        while True:
            try:
                if client.ping():
                    client.close()
                    return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
