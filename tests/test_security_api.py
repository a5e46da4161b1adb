"""The Cybersecurity Scanner end to end through its API, against real local servers: an HTTPS site
with a test CA, an authoritative DNS server, TCP listeners on loopback; scans as DBOS workflows;
issues opened, resolved and reopened; alerts; device check-ins with vulnerability matching;
posture; compliance with evidence and reports."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from binelek.kit import outbox
from tests.conftest import Account, add_member, assert_problem, register
from tests.security_dns_server import SOA, LocalDnsServer
from tests.security_tls_servers import TestCA, server_context

BASE = "/api/modules/cybersecurity-scanner"
GOOD_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "Strict-Transport-Security": "max-age=63072000",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class _Site(BaseHTTPRequestHandler):
    headers_to_send: dict[str, str] = {}

    def do_GET(self) -> None:
        body = b"<!doctype html><html><head><title>shop</title></head><body>hi</body></html>"
        self.send_response(200)
        for name, value in type(self).headers_to_send.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestCA, Path]:
    ca = TestCA()
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    path.write_bytes(ca.pem)
    return ca, path


@pytest.fixture(scope="module")
def https_site(test_ca: tuple[TestCA, Path]) -> Iterator[str]:
    ca, _path = test_ca
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    context = server_context(ca.issue(["127.0.0.1"]))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def dns_server() -> Iterator[LocalDnsServer]:
    records = {
        "acme.test": {
            "SOA": [SOA],
            "TXT": ["v=spf1 include:_spf.acme.test ~all"],
            "MX": ["10 mx.acme.test."],
        },
        "_spf.acme.test": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
        "mx.acme.test": {"A": ["192.0.2.10"]},
    }
    server = LocalDnsServer(records).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _scanner_settings(state: Any, test_ca: tuple[TestCA, Path], dns_server: LocalDnsServer) -> Iterator[None]:
    settings = state.settings
    before = (settings.security_extra_ca_file, list(settings.security_dns_nameservers))
    settings.security_extra_ca_file = test_ca[1]
    settings.security_dns_nameservers = [f"127.0.0.1:{dns_server.port}"]
    _Site.headers_to_send = {}
    yield
    settings.security_extra_ca_file, settings.security_dns_nameservers = before


def _loopback_address() -> str:
    """A loopback address of its own, so parallel runs never share a listener."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


class _Listener:
    """A TCP service on `address:port` that says hello (a banner) and hangs up."""

    def __init__(self, address: str, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, port))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except OSError:
                continue
            with contextlib.suppress(OSError):
                connection.sendall(b"RFB 003.008\n")
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


async def _asset(client: Any, admin: Account, kind: str, value: str, **extra: Any) -> dict[str, Any]:
    body = {"kind": kind, "value": value, "attest_ownership": True, **extra}
    response = await client.post(f"{BASE}/assets", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _scan(client: Any, account: Account, timeout: float = 45, **body: Any) -> dict[str, Any]:
    started = await client.post(f"{BASE}/scans", json=body, headers=account.headers)
    assert started.status_code == 202, started.text
    scan_id = started.json()["id"]
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(f"{BASE}/scans/{scan_id}", headers=account.headers)
        assert response.status_code == 200, response.text
        scan: dict[str, Any] = response.json()
        if scan["status"] in ("succeeded", "failed"):
            return scan
        assert time.monotonic() < deadline, f"scan stayed {scan['status']} at {scan['progress_done']}"
        await asyncio.sleep(0.1)


async def _issues(client: Any, account: Account, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(f"{BASE}/issues", params={"limit": 200, **params}, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


# -- assets -----------------------------------------------------------------------------------------


async def test_assets_are_attested_by_admins_and_validated(client: Any) -> None:
    admin = await register(client, "Asset Co")
    member = await add_member(client, admin, "member")
    refused = await client.post(
        f"{BASE}/assets",
        json={"kind": "domain", "value": "asset.test", "attest_ownership": True},
        headers=member.headers,
    )
    assert_problem(refused, 403, "ADMIN_REQUIRED")
    unattested = await client.post(
        f"{BASE}/assets",
        json={"kind": "domain", "value": "asset.test", "attest_ownership": False},
        headers=admin.headers,
    )
    assert_problem(unattested, 422, "VALIDATION_ERROR")
    for kind, value in (
        ("domain", "http://x.test"),
        ("ip", "300.1.1.1"),
        ("cidr", "10.0.0.0/16"),
        ("url", "ftp://x"),
    ):
        bad = await client.post(
            f"{BASE}/assets",
            json={"kind": kind, "value": value, "attest_ownership": True},
            headers=admin.headers,
        )
        assert_problem(bad, 422, "VALIDATION_ERROR")
    created = await _asset(client, admin, "domain", "Shop.Asset.TEST.")
    assert created["value"] == "shop.asset.test"
    assert created["attested_by"] == admin.user_id
    duplicate = await client.post(
        f"{BASE}/assets",
        json={"kind": "domain", "value": "shop.asset.test", "attest_ownership": True},
        headers=admin.headers,
    )
    assert_problem(duplicate, 409, "ASSET_EXISTS")
    network = await _asset(client, admin, "cidr", "192.168.1.77/24")
    assert network["value"] == "192.168.1.0/24"
    listed = await client.get(f"{BASE}/assets", headers=member.headers)
    assert {a["value"] for a in listed.json()} == {"shop.asset.test", "192.168.1.0/24"}
    other = await register(client, "Other Co")
    assert (await client.get(f"{BASE}/assets", headers=other.headers)).json() == []
    gone = await client.delete(f"{BASE}/assets/{created['id']}", headers=other.headers)
    assert_problem(gone, 404, "RESOURCE_NOT_FOUND")


async def test_nothing_to_scan_is_a_clear_error(client: Any) -> None:
    admin = await register(client, "Empty Co")
    response = await client.post(f"{BASE}/scans", json={"categories": ["web"]}, headers=admin.headers)
    assert_problem(response, 422, "VALIDATION_ERROR")
    viewer = await add_member(client, admin, "viewer")
    assert_problem(
        await client.post(f"{BASE}/scans", json={}, headers=viewer.headers), 403, "PERMISSION_DENIED"
    )


# -- scans ------------------------------------------------------------------------------------------


async def test_a_web_and_tls_scan_grades_the_site_and_fixing_it_resolves_the_issues(
    client: Any, https_site: str
) -> None:
    admin = await register(client, "Web Co")
    asset = await _asset(client, admin, "url", https_site)
    scan = await _scan(client, admin, categories=["web", "tls"])
    assert scan["status"] == "succeeded", scan["errors"]
    assert scan["progress_done"] == scan["progress_total"] == 2
    grades = {report["check"]: report["grade"] for report in scan["reports"]}
    assert grades["web"] in ("D", "D-", "F")  # no security headers at all
    assert grades["tls"] in ("A", "A+", "A-")  # a modern server with a trusted chain
    failing = {f["check_id"] for f in scan["findings"] if not f["passed"]}
    assert "web.strict-transport-security" in failing
    assert scan["summary"]["new"] >= 3
    issues = await _issues(client, admin, status="open", category="web")
    assert {"web.strict-transport-security", "web.x-frame-options"} <= {i["check_id"] for i in issues}
    assert all(i["asset_id"] == asset["id"] for i in issues)

    _Site.headers_to_send = GOOD_HEADERS
    rescan = await _scan(client, admin, categories=["web"])
    assert rescan["summary"]["resolved"] >= 3
    report = next(r for r in rescan["reports"] if r["check"] == "web")
    assert report["grade"] in ("A", "A+")
    still_open = await _issues(client, admin, status="open", category="web")
    assert "web.strict-transport-security" not in {i["check_id"] for i in still_open}
    assets = (await client.get(f"{BASE}/assets", headers=admin.headers)).json()
    assert assets[0]["grades"]["web"] == report["grade"]
    assert assets[0]["last_scanned_at"] is not None


async def test_a_certificate_near_expiry_raises_one_alert(client: Any, test_ca: tuple[TestCA, Path]) -> None:
    import datetime as dt

    ca, _path = test_ca
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=5, hours=1)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    server.socket = server_context(ca.issue(["127.0.0.1"], not_after=soon)).wrap_socket(
        server.socket, server_side=True
    )
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        admin = await register(client, "Expiring Co")
        await _asset(client, admin, "url", f"https://127.0.0.1:{server.server_address[1]}/")
        scan = await _scan(client, admin, categories=["tls"])
        again = await _scan(client, admin, categories=["tls"])
    finally:
        server.shutdown()
    expiry = next(f for f in scan["findings"] if f["check_id"] == "tls.expiry")
    assert expiry["passed"] is False and expiry["severity"] == "high"
    alerts = (await client.get(f"{BASE}/alerts", headers=admin.headers)).json()["items"]
    certificate = [a for a in alerts if a["kind"] == "certificate_expiry"]
    assert len(certificate) == 1 and "5 days" in certificate[0]["title"]
    assert again["summary"]["alerts"] == 0


async def test_a_second_scan_while_one_runs_is_refused(client: Any, https_site: str) -> None:
    admin = await register(client, "Busy Co")
    await _asset(client, admin, "url", https_site)
    first = await client.post(f"{BASE}/scans", json={"categories": ["web"]}, headers=admin.headers)
    assert first.status_code == 202
    second = await client.post(f"{BASE}/scans", json={"categories": ["web"]}, headers=admin.headers)
    if second.status_code != 202:  # the first may already be done on a fast machine
        assert_problem(second, 409, "SCAN_IN_PROGRESS")


async def test_dns_findings_open_issues_and_alert_admins(client: Any, state: Any) -> None:
    admin = await register(client, "Mail Co")
    await _asset(client, admin, "domain", "acme.test")
    scan = await _scan(client, admin, categories=["dns"])
    assert scan["status"] == "succeeded", scan["errors"]
    by_check = {f["check_id"]: f for f in scan["findings"]}
    assert by_check["dns.dmarc"]["passed"] is False
    assert by_check["dns.dkim"]["severity"] == "info"  # no selector found: unknown, never a pass
    issues = await _issues(client, admin, status="open")
    dmarc = next(i for i in issues if i["check_id"] == "dns.dmarc")
    assert dmarc["severity"] == "high" and dmarc["remediation"]
    assert "dns.dkim" not in {i["check_id"] for i in issues}
    alerts = (await client.get(f"{BASE}/alerts", headers=admin.headers)).json()["items"]
    assert any(a["issue_id"] == dmarc["id"] and a["kind"] == "issue" for a in alerts)
    notifications = (await client.get("/api/notifications", headers=admin.headers)).json()
    assert any("DMARC" in n["title"] or "dmarc" in n["title"].lower() for n in notifications["items"])
    again = await _scan(client, admin, categories=["dns"])
    assert again["summary"]["new"] == 0 and again["summary"]["alerts"] == 0  # one alert per condition


async def test_open_risky_port_is_resolved_when_closed_and_reopened_when_it_comes_back(client: Any) -> None:
    admin = await register(client, "Port Co")
    address = _loopback_address()
    listener = _Listener(address, 5900)
    try:
        await _asset(client, admin, "ip", address, ports=[5900, 5901])
        first = await _scan(client, admin, categories=["network"])
        assert first["status"] == "succeeded", first["errors"]
        vnc = [
            i for i in await _issues(client, admin, status="open") if i["check_id"].startswith("network.port")
        ]
        assert len(vnc) == 1 and vnc[0]["evidence"]["port"] == 5900
    finally:
        listener.close()
    second = await _scan(client, admin, categories=["network"])
    assert second["summary"]["resolved"] == 2  # the VNC port and the host's exposure summary
    resolved = await client.get(f"{BASE}/issues/{vnc[0]['id']}", headers=admin.headers)
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"]
    listener = _Listener(address, 5900)
    try:
        third = await _scan(client, admin, categories=["network"])
    finally:
        listener.close()
    assert third["summary"]["reopened"] == 2
    reopened = (await client.get(f"{BASE}/issues/{vnc[0]['id']}", headers=admin.headers)).json()
    assert reopened["status"] == "open" and reopened["reopened_count"] == 1
    alerts = (await client.get(f"{BASE}/alerts", headers=admin.headers)).json()["items"]
    assert sum(1 for a in alerts if a["issue_id"] == vnc[0]["id"]) == 2  # the first time and the regression


async def test_issue_workflow_accepting_needs_a_reason_and_assignees_are_members(client: Any) -> None:
    admin = await register(client, "Triage Co")
    scan = await _scan(client, admin, categories=["platform"])
    assert scan["status"] == "succeeded", scan["errors"]
    mfa = next(i for i in await _issues(client, admin) if i["check_id"] == "platform.mfa_adoption")
    url = f"{BASE}/issues/{mfa['id']}"
    assert_problem(
        await client.patch(url, json={"status": "accepted"}, headers=admin.headers), 422, "VALIDATION_ERROR"
    )
    stranger = await register(client, "Stranger Co")
    assert_problem(
        await client.patch(url, json={"assignee_id": stranger.user_id}, headers=admin.headers),
        422,
        "VALIDATION_ERROR",
    )
    member = await add_member(client, admin, "member")
    changed = await client.patch(
        url,
        json={
            "status": "accepted",
            "accepted_reason": "Owner travels; hardware key on order",
            "assignee_id": member.user_id,
        },
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "accepted" and changed.json()["assignee_id"] == member.user_id
    assert_problem(await client.get(url, headers=stranger.headers), 404, "RESOURCE_NOT_FOUND")
    again = await _scan(client, admin, categories=["platform"])
    assert again["status"] == "succeeded"
    assert (await client.get(url, headers=admin.headers)).json()["status"] == "accepted"  # stays accepted


# -- posture ----------------------------------------------------------------------------------------


async def test_posture_breakdown_traces_every_point_lost(client: Any) -> None:
    admin = await register(client, "Posture Co")
    await add_member(client, admin, "member")
    await _scan(client, admin, categories=["platform"])
    response = await client.get(f"{BASE}/posture", headers=admin.headers)
    assert response.status_code == 200, response.text
    posture = response.json()
    assert {p["key"] for p in posture["parts"]} == {"mfa", "access", "data", "compliance"}
    assert sum(p["weight"] for p in posture["parts"]) == 100
    lost = sum(p["points_lost"] for p in posture["parts"])
    assert posture["score"] == pytest.approx(100 - lost, abs=0.05)
    traced = sum(d["points"] for p in posture["parts"] for d in p["deductions"])
    assert traced == pytest.approx(lost, abs=0.05)
    mfa = next(p for p in posture["parts"] if p["key"] == "mfa")
    assert mfa["score"] == 0 and len(mfa["deductions"]) == 2  # neither member has MFA
    assert posture["grade"] in ("A", "B", "C", "D", "F")
    assert posture["history"] and posture["history"][-1]["score"] == posture["score"]


# -- devices ----------------------------------------------------------------------------------------


def _checkin_body(device_key: str, **security: Any) -> dict[str, Any]:
    return {
        "agent_version": "1.0.0",
        "device_key": device_key,
        "hostname": "front-desk-pc",
        "os": {"family": "linux", "name": "Debian GNU/Linux", "version": "12", "kernel": "6.1.0-18-amd64"},
        "hardware": {"arch": "x86_64"},
        "network": {"ips": ["192.168.1.20"], "macs": ["52:54:00:12:34:56"]},
        "packages": [
            {
                "name": "openssh-server",
                "version": "1:9.2p1-2+deb12u2",
                "source": "dpkg",
                "source_name": "openssh",
                "source_version": "1:9.2p1-2+deb12u2",
            },
            {"name": "bash", "version": "5.2.15-2+b2", "source": "dpkg"},
        ],
        "security": {
            "disk_encryption": False,
            "firewall": True,
            "screen_lock": None,
            "auto_updates": True,
            "last_update_at": "2026-11-20T08:00:00Z",
            **security,
        },
        "collected_at": "2026-11-25T09:00:00Z",
    }


async def test_agent_checkins_build_the_inventory_and_open_device_issues(client: Any, state: Any) -> None:
    from binelek.security import vulndb

    vulndb_file = Path(vulndb.__file__).parent / "data" / "osv-sample.json"
    async with state.db.session() as session:
        await vulndb.import_file(session, vulndb_file)
    admin = await register(client, "Device Co")
    refused = await client.post(f"{BASE}/devices/checkin", json=_checkin_body("x" * 16))
    assert_problem(refused, 401, "ENROLMENT_TOKEN_INVALID")
    created = await client.post(f"{BASE}/enrolment-tokens", json={"label": "office"}, headers=admin.headers)
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    assert created.json()["prefix"] in token
    listed = (await client.get(f"{BASE}/enrolment-tokens", headers=admin.headers)).json()
    assert "token" not in listed[0]
    headers = {"X-Enrolment-Token": token}
    key = uuid.uuid4().hex
    first = await client.post(f"{BASE}/devices/checkin", json=_checkin_body(key), headers=headers)
    assert first.status_code == 202, first.text
    assert first.json()["known"] is False and first.json()["packages_changed"] is True
    device_id = first.json()["device_id"]
    again = await client.post(f"{BASE}/devices/checkin", json=_checkin_body(key), headers=headers)
    assert again.json()["packages_changed"] is False and again.json()["device_id"] == device_id
    digest = again.json()["packages_hash"]
    short = {**_checkin_body(key), "packages": None, "packages_hash": digest}
    steady = await client.post(f"{BASE}/devices/checkin", json=short, headers=headers)
    assert steady.status_code == 202 and steady.json()["packages_hash"] == digest
    stale = {**short, "packages_hash": "0" * 64}
    assert_problem(
        await client.post(f"{BASE}/devices/checkin", json=stale, headers=headers), 409, "PACKAGES_REQUIRED"
    )
    before = (await client.get(f"{BASE}/devices/{device_id}", headers=admin.headers)).json()["last_seen_at"]
    await asyncio.sleep(0.05)
    assert (await client.post(f"{BASE}/devices/checkin", json=short, headers=headers)).status_code == 202
    deadline = time.monotonic() + 5
    while (await client.get(f"{BASE}/devices/{device_id}", headers=admin.headers)).json()[
        "last_seen_at"
    ] == before:
        assert time.monotonic() < deadline, "last seen was never written behind"
        await asyncio.sleep(0.1)
    detail = (await client.get(f"{BASE}/devices/{device_id}", headers=admin.headers)).json()
    assert detail["hostname"] == "front-desk-pc" and detail["package_count"] == 2
    checks = {i["check_id"] for i in detail["issues"] if i["status"] == "open"}
    assert {"device.unknown", "device.disk_encryption"} <= checks
    assert "device.screen_lock" not in checks  # the agent could not tell: never a failure
    assert any(c.startswith("vuln.") for c in checks), checks  # regreSSHion in openssh 9.2p1-2+deb12u2
    alerts = (await client.get(f"{BASE}/alerts", headers=admin.headers)).json()["items"]
    assert any(a["kind"] == "unknown_device" and a["device_id"] == device_id for a in alerts)

    marked = await client.patch(f"{BASE}/devices/{device_id}", json={"known": True}, headers=admin.headers)
    assert marked.status_code == 200 and marked.json()["known"] is True
    fixed = await client.post(
        f"{BASE}/devices/checkin", json=_checkin_body(key, disk_encryption=True), headers=headers
    )
    assert fixed.json()["packages_changed"] is False
    detail = (await client.get(f"{BASE}/devices/{device_id}", headers=admin.headers)).json()
    still = {i["check_id"] for i in detail["issues"] if i["status"] == "open"}
    assert "device.unknown" not in still and "device.disk_encryption" not in still
    devices = (await client.get(f"{BASE}/devices", headers=admin.headers)).json()
    assert devices["total"] == 1 and devices["items"][0]["vulnerabilities"] >= 1

    gone = await client.delete(f"{BASE}/devices/{device_id}", headers=admin.headers)
    assert gone.status_code == 204
    # The cached check-in state went with it: the device must enrol again, list and all.
    assert_problem(
        await client.post(f"{BASE}/devices/checkin", json=short, headers=headers), 409, "PACKAGES_REQUIRED"
    )
    back = await client.post(
        f"{BASE}/devices/checkin", json=_checkin_body(key, disk_encryption=True), headers=headers
    )
    assert back.status_code == 202 and back.json()["device_id"] != device_id and back.json()["known"] is False

    revoked = await client.delete(f"{BASE}/enrolment-tokens/{created.json()['id']}", headers=admin.headers)
    assert revoked.status_code == 204
    assert_problem(
        await client.post(f"{BASE}/devices/checkin", json=_checkin_body(key), headers=headers),
        401,
        "ENROLMENT_TOKEN_INVALID",
    )


async def test_bad_checkins_are_clear_errors(client: Any) -> None:
    admin = await register(client, "Bad Agent Co")
    token = (await client.post(f"{BASE}/enrolment-tokens", json={}, headers=admin.headers)).json()["token"]
    body = _checkin_body("short")
    response = await client.post(f"{BASE}/devices/checkin", json=body, headers={"X-Enrolment-Token": token})
    assert_problem(response, 422, "VALIDATION_ERROR")
    member = await add_member(client, admin, "member")
    assert_problem(
        await client.post(f"{BASE}/enrolment-tokens", json={}, headers=member.headers), 403, "ADMIN_REQUIRED"
    )


async def test_mfa_turned_off_raises_an_alert(client: Any, state: Any) -> None:
    admin = await register(client, "Mfa Co")
    async with state.db.session(tenant_id=uuid.UUID(admin.tenant_id)) as session:
        outbox.emit(
            session,
            "user.mfa_disabled",
            {"user_id": admin.user_id, "email": admin.email, "role": "admin"},
            uuid.UUID(admin.tenant_id),
        )
    deadline = time.monotonic() + 15
    while True:
        alerts = (await client.get(f"{BASE}/alerts", headers=admin.headers)).json()["items"]
        if any(a["kind"] == "mfa_disabled" for a in alerts):
            break
        assert time.monotonic() < deadline, alerts
        await asyncio.sleep(0.1)
    alert = next(a for a in alerts if a["kind"] == "mfa_disabled")
    assert alert["severity"] == "high" and admin.email in alert["title"]
    done = await client.post(f"{BASE}/alerts/{alert['id']}/acknowledge", headers=admin.headers)
    assert done.status_code == 204
    open_alerts = (
        await client.get(f"{BASE}/alerts", params={"unacknowledged": True}, headers=admin.headers)
    ).json()
    assert alert["id"] not in {a["id"] for a in open_alerts["items"]}


# -- quick URL check --------------------------------------------------------------------------------


async def test_scan_url_refuses_private_hosts_unless_registered(client: Any, https_site: str) -> None:
    admin = await register(client, "Quick Co")
    refused = await client.post(f"{BASE}/scan-url", json={"url": https_site}, headers=admin.headers)
    assert_problem(refused, 422, "VALIDATION_ERROR")
    await _asset(client, admin, "ip", "127.0.0.1")
    _Site.headers_to_send = GOOD_HEADERS
    checked = await client.post(f"{BASE}/scan-url", json={"url": https_site}, headers=admin.headers)
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert body["headers"]["grade"] in ("A", "A+") and body["tls"]["grade"] in ("A", "A+", "A-")
    assert body["errors"] == []


# -- compliance -------------------------------------------------------------------------------------


async def test_compliance_frameworks_attestations_evidence_and_reports(client: Any) -> None:
    admin = await register(client, "Audit Co")
    await _scan(client, admin, categories=["platform"])
    summary = await client.get(f"{BASE}/compliance", headers=admin.headers)
    assert summary.status_code == 200, summary.text
    assert {f["framework"] for f in summary.json()} == {"soc2", "gdpr", "hipaa", "pci"}
    soc2 = (await client.get(f"{BASE}/compliance/soc2", headers=admin.headers)).json()
    cc61 = next(c for c in soc2["controls"] if c["id"] == "CC6.1")
    assert cc61["status"] == "failing"  # MFA is off for the admin
    assert any(f["check_id"] == "platform.mfa_adoption" for f in cc61["findings"])
    before = soc2["percent_complete"]

    attested = await client.put(
        f"{BASE}/compliance/soc2/controls/CC1.1",
        json={"status": "met", "note": "Code of conduct signed"},
        headers=admin.headers,
    )
    assert attested.status_code == 200, attested.text
    assert attested.json()["percent_complete"] > before
    upload = await client.post(
        f"{BASE}/compliance/soc2/controls/CC1.1/evidence",
        files={"file": ("code-of-conduct.txt", b"We behave.\n", "text/plain")},
        data={"note": "signed copies on file"},
        headers=admin.headers,
    )
    assert upload.status_code == 201, upload.text
    evidence = upload.json()
    download = await client.get(f"{BASE}/compliance/soc2/evidence/{evidence['id']}", headers=admin.headers)
    assert download.content == b"We behave.\n"
    hostile = await client.post(
        f"{BASE}/compliance/soc2/controls/CC1.1/evidence",
        files={"file": ("x.html", b"<script>alert(1)</script>", "text/html")},
        headers=admin.headers,
    )
    fetched = await client.get(
        f"{BASE}/compliance/soc2/evidence/{hostile.json()['id']}", headers=admin.headers
    )
    assert fetched.headers["content-type"] == "application/octet-stream"
    assert fetched.headers["content-disposition"].startswith("attachment")

    report = await client.get(
        f"{BASE}/compliance/soc2/report", params={"format": "json"}, headers=admin.headers
    )
    assert report.status_code == 200
    data = report.json()
    control = next(c for c in data["controls"] if c["id"] == "CC1.1")
    assert {e["sha256"] for e in control["evidence"]} >= {evidence["sha256"]}
    pdf = await client.get(f"{BASE}/compliance/hipaa/report", params={"format": "pdf"}, headers=admin.headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert_problem(
        await client.get(f"{BASE}/compliance/iso27001", headers=admin.headers), 404, "FRAMEWORK_NOT_FOUND"
    )
    assert_problem(
        await client.put(
            f"{BASE}/compliance/soc2/controls/CC99.9", json={"status": "met"}, headers=admin.headers
        ),
        404,
        "CONTROL_NOT_FOUND",
    )


async def test_the_agent_script_downloads(client: Any) -> None:
    admin = await register(client, "Script Co")
    response = await client.get(f"{BASE}/agent", headers=admin.headers)
    assert response.status_code == 200
    assert b"def main" in response.content and b"X-Enrolment-Token" in response.content


async def test_the_agent_sends_its_packages_once_then_their_digest(
    app: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """binelek-agent against the real server over HTTP: the first round sends the package list, the
    next only its digest; when the server no longer holds that list (the device was deleted) it says
    so and the agent sends the list again."""
    import uvicorn

    from binelek.security import agent

    admin = await register(client, "Agent Round Trip Co")
    token = (await client.post(f"{BASE}/enrolment-tokens", json={}, headers=admin.headers)).json()["token"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    sent: list[dict[str, Any]] = []
    real_send = agent.send

    def recording_send(url: str, token: str, report: dict[str, Any], **options: Any) -> dict[str, Any]:
        sent.append(report)
        return real_send(url, token, report, **options)

    monkeypatch.setattr(agent, "send", recording_send)
    monkeypatch.setattr(agent, "_acknowledged_digest", [])
    arguments = agent._parser().parse_args(["--server", f"http://127.0.0.1:{port}", "--token", token])
    try:
        assert await asyncio.to_thread(agent._check_in_once, arguments, token) == agent.EXIT_OK
        assert await asyncio.to_thread(agent._check_in_once, arguments, token) == agent.EXIT_OK
        assert sent[0]["packages"] and sent[1]["packages"] is None
        assert sent[1]["packages_hash"] == sent[0]["packages_hash"]
        devices = (await client.get(f"{BASE}/devices", headers=admin.headers)).json()["items"]
        assert len(devices) == 1 and devices[0]["package_count"] == len(sent[0]["packages"])
        await client.delete(f"{BASE}/devices/{devices[0]['id']}", headers=admin.headers)
        assert await asyncio.to_thread(agent._check_in_once, arguments, token) == agent.EXIT_OK
        assert sent[2]["packages"] is None and sent[3]["packages"]  # 409 PACKAGES_REQUIRED, then the list
    finally:
        server.should_exit = True
        await serving


async def test_a_scheduled_scan_is_created_then_queued_by_the_scheduler(client: Any, https_site: str) -> None:
    from binelek.security import jobs

    admin = await register(client, "Scheduled Co")
    await _asset(client, admin, "url", https_site)
    started = await jobs.start_scheduled(admin.tenant_id)
    assert started is not None
    scan_id, units = started
    assert {unit["check"] for unit in units} >= {"web", "tls", "platform"}
    queued = (await client.get(f"{BASE}/scans/{scan_id}", headers=admin.headers)).json()
    assert queued["status"] == "queued" and queued["trigger"] == "schedule"
    await jobs.enqueue_scan(uuid.UUID(admin.tenant_id), uuid.UUID(scan_id), units)
    deadline = time.monotonic() + 45
    while (scan := (await client.get(f"{BASE}/scans/{scan_id}", headers=admin.headers)).json())["status"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline, scan
        await asyncio.sleep(0.2)
    assert scan["status"] == "succeeded" and scan["progress_done"] == scan["progress_total"]
