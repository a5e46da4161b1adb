"""Faults in the production topology (API-only `serve` processes + `binelek worker`, PostgreSQL, Redis).

1. A worker killed with SIGKILL in the middle of a connector sync, a security scan and an automation
   run, then started again with the same executor id: DBOS recovers its workflows and everything
   finishes exactly once.
2. PostgreSQL, then Redis, restarted under steady traffic — on a private cluster and server, never the
   machine's shared ones: requests fail cleanly (503 problem+json) while they are down and succeed
   again by themselves afterwards, with nothing acknowledged lost.
3. A worker killed while a webhook's POST is in flight: after recovery the message is delivered again
   with the same webhook-id and body (receivers deduplicate on it), and its delivery ends succeeded.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REDIS_URL, TEST_DB, Account, account_from
from tests.connector_support import connect, fake_class
from tests.fakes.base import CLIENT_ID, CLIENT_SECRET
from tests.security_http_servers import Reply, SiteServer
from tests.support import SmtpInbox, serving, smtp_server, verify_webhook_signature
from tests.topology import (
    STARTUP_SECONDS,
    Topology,
    private_postgres,
    private_redis,
    shared_database,
    topology,
)

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(TEST_DB != "postgres", reason="runs in the PostgreSQL pass of `make test`"),
]
PASSWORD = "fault-test-password-1"
OPS = "/api/modules/ops-copilot"
SECURITY = "/api/modules/cybersecurity-scanner"
PROVIDER = "shopify"
STARTUP = STARTUP_SECONDS + 60  # a wait that includes a worker's start


def _register(client: httpx.Client, company: str) -> Account:
    email = f"owner-{uuid.uuid4().hex[:8]}@faults.example"
    response = client.post(
        "/api/auth/register",
        json={"email": email, "password": PASSWORD, "full_name": "Ada Owner", "company_name": company},
    )
    assert response.status_code == 201, response.text
    return account_from(response.json(), email, PASSWORD)


def _poll(read: Any, done: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"{what}: {value}"
        time.sleep(0.2)


# -- 1. a worker killed mid-way ---------------------------------------------------------------------


class _GatedSite(SiteServer):
    """A site whose answers wait until `gate` opens: a scan's check of it is in flight at the kill."""

    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self.gate = gate
        self.hits = 0
        self.default = Reply(body="<!doctype html><title>shop</title>")

    def reply_for(self, path: str) -> Reply:
        self.hits += 1
        self.gate.wait(30)
        return super().reply_for(path)


@contextmanager
def _sites(gate: threading.Event) -> Iterator[tuple[list[_GatedSite], list[_GatedSite]]]:
    open_gate = threading.Event()
    open_gate.set()
    fast = [_GatedSite(open_gate).start() for _ in range(2)]
    slow = [_GatedSite(gate).start() for _ in range(2)]
    try:
        yield fast, slow  # type: ignore[misc]
    finally:
        gate.set()
        for site in (*fast, *slow):
            site.stop()


def test_a_killed_worker_finishes_its_sync_scan_and_automation_exactly_once(tmp_path: Path) -> None:
    gate = threading.Event()
    with ExitStack() as stack:
        inbox = stack.enter_context(smtp_server())
        fake = stack.enter_context(fake_class(PROVIDER)(count=3000))  # type: ignore[call-arg]
        fake.delay_seconds = 0.05  # slow enough that the kill lands mid-sync
        fast, slow = stack.enter_context(_sites(gate))
        database = stack.enter_context(shared_database("faults_kill"))
        running = stack.enter_context(
            topology(
                tmp_path,
                database,
                REDIS_URL,
                RATE_LIMITS_ENABLED="false",
                CONNECTOR_ENDPOINTS=json.dumps({PROVIDER: fake.origin}),
                CONNECTOR_CLIENTS=json.dumps(
                    {PROVIDER: {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}}
                ),
                SMTP_HOST="127.0.0.1",
                SMTP_PORT=str(inbox.port),
                SECURITY_CHECK_TIMEOUT_SECONDS="30",
            )
        )
        _kill_mid_way_and_recover(running, inbox, fake, fast, slow, gate)


def _kill_mid_way_and_recover(
    running: Topology,
    inbox: SmtpInbox,
    fake: Any,
    fast: list[_GatedSite],
    slow: list[_GatedSite],
    gate: threading.Event,
) -> None:
    running.migrate()
    worker = running.start_worker("worker-0")  # starts while the API process does
    running.start_api()
    with httpx.Client(base_url=running.base, timeout=15) as client:
        owner = _register(client, "Faults Co")
        headers = owner.headers
        # Fast sites under "localhost", gated ones under 127.0.0.1: two hosts, checked side by side.
        urls = [site.url("/", host="localhost") for site in fast] + [site.url("/") for site in slow]
        for url in urls:
            created = client.post(
                f"{SECURITY}/assets",
                json={"kind": "url", "value": url, "attest_ownership": True},
                headers=headers,
            )
            assert created.status_code == 201, created.text
        recipient = f"ops-{uuid.uuid4().hex[:6]}@faults.example"
        workflow = client.post(
            f"{OPS}/workflows",
            json={
                "name": "after the wait",
                "steps": [
                    {"id": "wait", "type": "delay", "config": {"minutes": 0.1}},
                    {"id": "task", "type": "create_task", "config": {"title": "Faults: follow up"}},
                    {
                        "id": "mail",
                        "type": "send_email",
                        "config": {"to": recipient, "subject": "Faults", "body": "Sent once."},
                    },
                ],
            },
            headers=headers,
        )
        assert workflow.status_code == 201, workflow.text

        connection_id, sync_run = asyncio.run(_connect(running.base, owner, fake))
        scan = client.post(f"{SECURITY}/scans", json={"categories": ["web"]}, headers=headers)
        assert scan.status_code == 202, scan.text
        scan_id = scan.json()["id"]

        def progress() -> tuple[int, int, int]:
            run = client.get(f"/api/connectors/{connection_id}/runs/{sync_run}", headers=headers).json()
            fetched = sum(stream["fetched"] for stream in run["records"].values())
            scanned = client.get(f"{SECURITY}/scans/{scan_id}", headers=headers).json()["progress_done"]
            return fetched, scanned, sum(site.hits for site in slow)

        _poll(
            progress,
            lambda p: p[0] >= 500 and p[1] >= 2 and p[2] >= 1,
            STARTUP,
            "no progress before the kill",
        )
        started = client.post(f"{OPS}/workflows/{workflow.json()['id']}/run", json={}, headers=headers)
        assert started.status_code == 202, started.text  # enqueued from an API-only process
        run_id = started.json()["id"]
        time.sleep(1.0)  # the worker takes the run and sleeps in its delay

        running.kill(worker)
        before = {
            "scan": client.get(f"{SECURITY}/scans/{scan_id}", headers=headers).json(),
            "fast_hits": [site.hits for site in fast],
            "sync": client.get(f"/api/connectors/{connection_id}/runs/{sync_run}", headers=headers).json(),
            "run": client.get(f"{OPS}/runs/{run_id}", headers=headers).json(),
        }
        assert before["scan"]["status"] == "running", before["scan"]
        assert before["sync"]["status"] == "running", before["sync"]
        assert before["run"]["status"] == "waiting", before["run"]
        assert inbox.to(recipient) == []

        fake.delay_seconds = 0.0
        gate.set()
        running.start_worker("worker-0")  # same executor id: DBOS recovers its pending workflows

        def sync_state() -> dict[str, Any]:
            return dict(
                client.get(f"/api/connectors/{connection_id}/runs/{sync_run}", headers=headers).json()
            )

        def scan_state() -> dict[str, Any]:
            return dict(client.get(f"{SECURITY}/scans/{scan_id}", headers=headers).json())

        def run_state() -> dict[str, Any]:
            return dict(client.get(f"{OPS}/runs/{run_id}", headers=headers).json())

        try:
            sync = _poll(sync_state, lambda r: r["status"] in ("completed", "failed"), STARTUP, "sync")
            scanned = _poll(scan_state, lambda s: s["status"] in ("succeeded", "failed"), 60, "scan")
            run = _poll(run_state, lambda r: r["status"] in ("succeeded", "failed", "cancelled"), 60, "run")
            _poll(lambda: inbox.to(recipient), bool, 30, "no e-mail")
        except AssertionError as failure:
            raise AssertionError(f"{failure}\n{running.log_tail()}") from None
        counts = client.get(f"/api/connectors/{connection_id}", headers=headers).json()["record_counts"]
        tasks = client.get(f"{OPS}/tasks", params={"limit": 100}, headers=headers).json()["items"]
        time.sleep(1.0)  # room for a duplicate e-mail to show up, were one sent

    # The sync: every record once, resumed from its checkpoint rather than started over.
    totals = {entity: count for entity, count in fake.totals().items() if count}
    assert sync["status"] == "completed", sync
    assert {entity: counts.get(entity, 0) for entity in totals} == totals
    streams = sync["records"].values()
    assert sum(stream["created"] for stream in streams) == sum(totals.values())
    assert sum(stream["fetched"] for stream in streams) == sum(totals.values())

    # The scan: every target reported once; checks finished before the kill were not run again.
    assert scanned["status"] == "succeeded", scanned
    assert scanned["progress_done"] == scanned["progress_total"] == len(urls)
    assert sorted(report["target"] for report in scanned["reports"]) == sorted(urls)
    assert len(before["scan"]["reports"]) >= 2
    assert [site.hits for site in fast] == before["fast_hits"]

    # The automation: its task and its e-mail exactly once.
    assert run["status"] == "succeeded", run
    assert [step["status"] for step in run["steps"]] == ["succeeded"] * 3
    assert [task["title"] for task in tasks].count("Faults: follow up") == 1
    assert len(inbox.to(recipient)) == 1


async def _connect(base: str, owner: Account, fake: Any) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=base, timeout=15) as client:
        created = await connect(client, owner, PROVIDER, fake)  # the sync is enqueued by the API process
    return str(created["connection"]["id"]), str(created["run_id"])


# -- 2. PostgreSQL and Redis restarted under load ---------------------------------------------------


@dataclass
class _Traffic:
    """Steady reads and writes through the public API from a thread, recording every answer."""

    base: str
    account: Account
    answers: list[tuple[float, str, int, str, float]] = field(
        default_factory=list
    )  # t, kind, status, type, s
    acknowledged: list[str] = field(default_factory=list)  # ids of tasks created with a 2xx
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=8, headers=self.account.headers) as client:
            number = 0
            while not self.stop.is_set():
                number += 1
                self._call(client, "write", "POST", f"{OPS}/tasks", {"title": f"load {number}"})
                self._call(client, "read", "GET", f"{OPS}/tasks", None)
                time.sleep(0.05)

    def _call(self, client: httpx.Client, kind: str, method: str, path: str, body: Any) -> None:
        started = time.monotonic()
        try:
            response = client.request(method, path, json=body)
        except httpx.HTTPError as failure:  # a hang or a dropped connection: never acceptable
            self.answers.append((started, kind, 0, type(failure).__name__, time.monotonic() - started))
            return
        media = response.headers.get("content-type", "")
        self.answers.append((started, kind, response.status_code, media, time.monotonic() - started))
        if kind == "write" and 200 <= response.status_code < 300:
            self.acknowledged.append(str(response.json()["id"]))

    def since(self, moment: float) -> list[tuple[float, str, int, str, float]]:
        return [answer for answer in self.answers if answer[0] >= moment]


def _task_ids(client: httpx.Client, account: Account) -> set[str]:
    ids: set[str] = set()
    while True:
        page = client.get(f"{OPS}/tasks", params={"limit": 200, "offset": len(ids)}, headers=account.headers)
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        ids |= {str(task["id"]) for task in items}
        if len(items) < 200:
            return ids


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _outage(traffic: _Traffic, base: str, stop: Any, start: Any, recover_within: float) -> None:
    """Take a dependency down for a moment under traffic, bring it back, and check the answers."""
    time.sleep(0.5)
    went_down = time.monotonic()
    stop()
    time.sleep(1.5)  # traffic keeps coming while it is down
    down = [answer for answer in traffic.since(went_down)]
    start()
    came_back = time.monotonic()
    _poll(lambda: _ready(base), bool, recover_within, "/readyz did not come back")
    _poll(
        lambda: [a for a in traffic.since(time.monotonic() - 0.5) if a[1] == "write" and a[2] == 201],
        bool,
        recover_within,
        "writes did not succeed again",
    )
    recovered_after = time.monotonic() - came_back
    assert recovered_after < recover_within

    failures = [answer for answer in down if not 200 <= answer[2] < 300]
    assert failures, "the outage was not noticed"
    for _t, _kind, status, media, seconds in failures:
        assert status == 503 and media.startswith("application/problem+json"), (status, media)
        assert seconds < 6, f"a request hung {seconds:.1f} s"


def test_postgres_and_redis_restarts_under_load_recover_by_themselves(tmp_path: Path) -> None:
    with ExitStack() as stack:
        inbox = stack.enter_context(smtp_server())
        cluster = stack.enter_context(private_postgres())
        cache = stack.enter_context(private_redis())
        database = cluster.create_database("binelek")
        running = stack.enter_context(
            topology(
                tmp_path,
                database,
                cache.url,
                RATE_LIMITS_ENABLED="true",
                RATE_LIMIT_API="100000/minute",
                SMTP_HOST="127.0.0.1",
                SMTP_PORT=str(inbox.port),
            )
        )
        running.migrate()
        worker = running.start_worker("worker-0")
        running.start_api()
        with httpx.Client(base_url=running.base, timeout=10) as client:
            owner = _register(client, "Outage Co")
            first = client.post(f"{OPS}/tasks", json={"title": "before everything"}, headers=owner.headers)
            assert first.status_code == 201, first.text

        traffic = _Traffic(running.base, owner)
        thread = threading.Thread(target=traffic.run, daemon=True)
        thread.start()
        try:
            _outage(traffic, running.base, cluster.stop, cluster.start, recover_within=15)
            _outage(traffic, running.base, cache.stop, cache.start, recover_within=15)
            time.sleep(0.5)
        finally:
            traffic.stop.set()
            thread.join(timeout=15)
        assert worker.poll() is None, "the worker died"

        with httpx.Client(base_url=running.base, timeout=10) as client:
            # After the restarts the worker still does its part: an invitation is e-mailed.
            invitee = f"invitee-{uuid.uuid4().hex[:6]}@faults.example"
            invited = client.post(
                "/api/team/invitations", json={"email": invitee, "role": "viewer"}, headers=owner.headers
            )
            assert invited.status_code == 201, invited.text
            stored = _task_ids(client, owner)
            try:
                _poll(lambda: inbox.to(invitee), bool, 30, "the worker sent no e-mail after the restarts")
            except AssertionError as failure:
                raise AssertionError(f"{failure}\n{running.log_tail()}") from None

    assert str(first.json()["id"]) in stored  # written before the outages
    assert set(traffic.acknowledged) <= stored  # every write acknowledged with a 2xx is there
    assert len(traffic.acknowledged) >= 3  # at least one before and one after each outage


# -- 3. a worker killed mid-delivery ---------------------------------------------------------------


@dataclass
class _Hit:
    headers: dict[str, str]
    body: str


@dataclass
class _HeldReceiver:
    """A webhook receiver whose first answer waits for `gate`: the POST is in flight at the kill."""

    gate: threading.Event
    url: str = ""
    hits: list[_Hit] = field(default_factory=list)


@contextmanager
def _held_receiver(gate: threading.Event) -> Iterator[_HeldReceiver]:
    receiver = _HeldReceiver(gate)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
            with lock:
                receiver.hits.append(_Hit({k.lower(): v for k, v in self.headers.items()}, body))
                first = len(receiver.hits) == 1
            if first:
                receiver.gate.wait(60)
            try:
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:  # the sender died while this answer waited
                pass

        def log_message(self, *_args: Any) -> None:
            pass

    with serving(Handler) as server:
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        try:
            yield receiver
        finally:
            gate.set()  # a held answer ends before the server shuts down


def test_a_webhook_cut_short_by_a_killed_worker_is_sent_again_with_its_message_id(tmp_path: Path) -> None:
    gate = threading.Event()
    with ExitStack() as stack:
        receiver = stack.enter_context(_held_receiver(gate))
        database = stack.enter_context(shared_database("faults_webhook"))
        # Webhook URLs must be https in production and this receiver is plain http on loopback, so the
        # install runs as `test`; its processes, PostgreSQL, Redis and DBOS are the production topology's.
        running = stack.enter_context(
            topology(
                tmp_path,
                database,
                REDIS_URL,
                BINELEK_ENV="test",
                BINELEK_ALLOW_PRIVATE_TARGETS="true",
                RATE_LIMITS_ENABLED="false",
                WEBHOOK_TIMEOUT_SECONDS="60",
            )
        )
        running.migrate()
        worker = running.start_worker("worker-0")
        running.start_api()
        with httpx.Client(base_url=running.base, timeout=15) as client:
            owner = _register(client, "Webhook Faults Co")
            created = client.post(
                "/api/webhooks", json={"url": receiver.url, "events": ["task.*"]}, headers=owner.headers
            )
            assert created.status_code == 201, created.text
            endpoint = created.json()
            task = client.post(
                f"{OPS}/tasks", json={"title": "Pack the wholesale order"}, headers=owner.headers
            )
            assert task.status_code == 201, task.text
            _poll(lambda: len(receiver.hits), lambda hits: hits >= 1, STARTUP, "no delivery before the kill")

            running.kill(worker)
            gate.set()  # the held answer now goes to a closed connection
            running.start_worker("worker-0")  # same executor id: DBOS recovers the delivery

            def delivery_log() -> list[dict[str, Any]]:
                answer = client.get(f"/api/webhooks/{endpoint['id']}/deliveries", headers=owner.headers)
                return list(answer.json()["items"])

            try:
                items = _poll(
                    delivery_log,
                    lambda rows: bool(rows) and all(row["status"] in ("succeeded", "failed") for row in rows),
                    STARTUP,
                    "the delivery did not finish",
                )
            except AssertionError as failure:
                raise AssertionError(f"{failure}\n{running.log_tail()}") from None
            time.sleep(1.0)  # room for a third POST to show up, were one sent

    assert [row["status"] for row in items] == ["succeeded"]
    hits = receiver.hits
    assert len(hits) == 2, [hit.headers.get("webhook-id") for hit in hits]  # cut short, then recovered
    assert len({hit.headers["webhook-id"] for hit in hits}) == 1
    assert len({hit.body for hit in hits}) == 1
    assert all(verify_webhook_signature(endpoint["secret"], hit.headers, hit.body) for hit in hits)
    payload = json.loads(hits[0].body)
    assert payload["type"] == "task.created" and payload["data"]["title"] == "Pack the wholesale order"
