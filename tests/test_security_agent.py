"""binelek-agent: what it collects on this (Debian) machine, that it runs on the bare standard
library, and how it talks to a server: a real HTTP server on loopback that records check-ins and
answers 202, 401, 422 or 503 as a test scripts it."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from binelek.security import agent

AGENT = Path(agent.__file__)
TOKEN = "bnk_enrol_test_token_0123456789"


@dataclass
class Recorder:
    """A check-in endpoint: answers each POST with the next scripted status (the last one repeats)."""

    statuses: list[int] = field(default_factory=lambda: [202])
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def answer(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@pytest.fixture
def server() -> Iterator[Recorder]:
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            recorder.requests.append(
                {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}
            )
            status = recorder.answer()
            reply: dict[str, Any]
            if status == 202:
                reply = {"device_id": "00000000-0000-0000-0000-000000000001", "open_issues": 2}
            else:
                reply = {
                    "type": "about:blank",
                    "title": "Refused",
                    "status": status,
                    "detail": f"scripted {status}",
                }
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header(
                "Content-Type", "application/problem+json" if status >= 400 else "application/json"
            )
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:  # keep test output clean
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    recorder.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield recorder
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return agent.collect()


def run_agent(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # -I -S: isolated, and no site-packages at all: only the standard library can be imported.
    return subprocess.run(
        [sys.executable, "-I", "-S", str(AGENT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


# -- what is collected ------------------------------------------------------------------------------


def test_collect_reports_this_machine(report: dict[str, Any]) -> None:
    assert report["agent_version"] == agent.AGENT_VERSION
    assert len(report["device_key"]) == 64 and int(report["device_key"], 16) >= 0
    assert report["device_key"] == agent.device_key("linux")  # stable between runs
    assert isinstance(report["hostname"], str) and report["hostname"]
    assert report["os"]["family"] == "linux"
    assert report["os"]["name"] == "Debian GNU/Linux" and report["os"]["version"] == "12"
    assert isinstance(report["os"]["kernel"], str)
    assert set(report["hardware"]) == {"arch", "model", "serial"} and report["hardware"]["arch"]
    assert all(isinstance(ip, str) for ip in report["network"]["ips"])
    assert all(len(mac) == 17 for mac in report["network"]["macs"])
    assert report["collected_at"].endswith("+00:00")


def test_collect_lists_dpkg_packages_with_their_source(report: dict[str, Any]) -> None:
    packages = report["packages"]
    assert len(packages) > 50
    assert all(p["name"] and p["version"] and p["source"] in ("dpkg", "rpm", "apk") for p in packages)
    assert all(len(p["name"]) <= 300 and len(p["version"]) <= 200 for p in packages)
    by_name = {p["name"]: p for p in packages if p["source"] == "dpkg"}
    assert by_name["dpkg"]["source_name"] == "dpkg"
    # A binary package built from a differently named source carries that source for OSV matching.
    assert any(p.get("source_name") and p["source_name"] != p["name"] for p in by_name.values())
    assert len({(p["source"], p["name"], p["version"]) for p in packages}) == len(packages)


def test_security_facts_are_booleans_or_null(report: dict[str, Any]) -> None:
    security = report["security"]
    for name in ("disk_encryption", "firewall", "screen_lock", "auto_updates"):
        assert security[name] in (True, False, None), name
    if security["last_update_at"] is not None:
        assert security["last_update_source"] in ("/var/log/dpkg.log", "/var/lib/dpkg/status")
        assert "T" in security["last_update_at"]


def test_the_report_is_what_the_server_accepts(report: dict[str, Any]) -> None:
    from binelek.security.schemas import CheckinIn

    accepted = CheckinIn.model_validate(report)
    assert len(accepted.packages) == len(report["packages"])


def test_unavailable_commands_give_none_not_errors() -> None:
    assert agent._command(["binelek-no-such-program", "--help"]) is None
    assert agent._output(["false"]) is None
    assert agent._command(["sleep", "5"], timeout=0.2) is None
    assert agent._read("/nonexistent/file") is None


# -- standard library only --------------------------------------------------------------------------


def test_dry_run_needs_nothing_but_the_standard_library() -> None:
    completed = run_agent("--dry-run")
    assert completed.returncode == 0, completed.stderr
    printed = json.loads(completed.stdout)
    assert printed["os"]["family"] == "linux" and printed["packages"]


def test_no_module_outside_the_standard_library_is_loaded() -> None:
    stdlib = {Path(sysconfig.get_paths()[key]).resolve() for key in ("stdlib", "platstdlib")}
    script = (
        "import json, runpy, sys\n"
        f"namespace = runpy.run_path({str(AGENT)!r})\n"
        "namespace['collect']()\n"
        "files = {name: getattr(module, '__file__', None) for name, module in list(sys.modules.items())}\n"
        "print(json.dumps({name: path for name, path in files.items() if path}))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr
    outside = {
        name: path
        for name, path in json.loads(completed.stdout).items()
        if path != str(AGENT) and not any(Path(path).resolve().is_relative_to(root) for root in stdlib)
    }
    assert outside == {}


def test_the_script_parses_as_python_3_8() -> None:
    import ast

    ast.parse(AGENT.read_text(), feature_version=(3, 8))


# -- talking to the server --------------------------------------------------------------------------


def test_check_in_posts_the_report_with_the_token(server: Recorder) -> None:
    completed = run_agent("--server", server.url + "/", "--token", TOKEN)
    assert completed.returncode == 0, completed.stderr
    assert "checked in" in completed.stdout and "2 open issue(s)" in completed.stdout
    [request] = server.requests
    assert request["path"] == "/api/modules/cybersecurity-scanner/devices/checkin"
    assert request["headers"]["X-Enrolment-Token"] == TOKEN
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["body"]["os"]["family"] == "linux" and request["body"]["packages"]


def test_the_token_can_come_from_the_environment(server: Recorder) -> None:
    completed = run_agent("--server", server.url, env={agent.TOKEN_ENV: TOKEN})
    assert completed.returncode == 0, completed.stderr
    assert server.requests[0]["headers"]["X-Enrolment-Token"] == TOKEN


def test_a_refused_token_exits_with_a_clear_message(
    server: Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    server.statuses = [401]
    code = agent.main(["--server", server.url, "--token", "bnk_enrol_revoked", "--retry-delay", "0"])
    assert code == agent.EXIT_REFUSED != 0
    message = capsys.readouterr().err
    assert "refused the enrolment token (HTTP 401)" in message and "scripted 401" in message
    assert len(server.requests) == 1  # a wrong token is never retried


def test_a_rejected_report_is_not_retried(server: Recorder, capsys: pytest.CaptureFixture[str]) -> None:
    server.statuses = [422]
    code = agent.main(["--server", server.url, "--token", TOKEN, "--retry-delay", "0", "--interval", "3600"])
    assert code == agent.EXIT_REJECTED
    assert "rejected the check-in (HTTP 422)" in capsys.readouterr().err
    assert len(server.requests) == 1  # and --interval does not keep sending what will be refused


def test_a_server_error_is_retried_until_it_answers(
    server: Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    server.statuses = [503, 502, 202]
    code = agent.main(["--server", server.url, "--token", TOKEN, "--retry-delay", "0.01"])
    assert code == agent.EXIT_OK, capsys.readouterr().err
    assert len(server.requests) == 3
    assert server.requests[0]["body"]["device_key"] == server.requests[2]["body"]["device_key"]


def test_an_unreachable_server_gives_up_after_the_retries(
    server: Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    server.statuses = [503]
    code = agent.main(["--server", server.url, "--token", TOKEN, "--retries", "2", "--retry-delay", "0.01"])
    assert code == agent.EXIT_UNREACHABLE
    assert len(server.requests) == 3
    assert "after 3 attempts: HTTP 503" in capsys.readouterr().err


def test_connection_refused_is_retried_then_reported(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = agent.main(
        ["--server", f"http://127.0.0.1:{port}", "--token", TOKEN, "--retries", "1", "--retry-delay", "0"]
    )
    assert code == agent.EXIT_UNREACHABLE
    assert "could not check in" in capsys.readouterr().err


def test_usage_errors(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(agent.TOKEN_ENV, raising=False)
    assert agent.main(["--server", "http://127.0.0.1:9"]) == agent.EXIT_USAGE
    assert "enrolment token" in capsys.readouterr().err
    assert (
        agent.main(["--server", "ftp://example.org", "--token", TOKEN, "--retries", "0"]) == agent.EXIT_USAGE
    )
    assert "http:// or https://" in capsys.readouterr().err
    assert (
        agent.main(["--server", "http://127.0.0.1:9", "--token", TOKEN, "--interval", "0"])
        == agent.EXIT_USAGE
    )


# -- parsers of command output (fed real output captured from each tool) -----------------------------

NFT_DOCKER_ONLY = """table ip nat {
	chain POSTROUTING {
		type nat hook postrouting priority srcnat; policy accept;
		oifname != "docker0" ip saddr 172.17.0.0/16 masquerade
	}
}
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
	}
}
"""
NFT_FILTERING = """table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related accept
		tcp dport 22 accept
		drop
	}
}
"""


def test_nftables_input_filtering() -> None:
    assert agent.nft_filters_input(NFT_DOCKER_ONLY) is False
    assert agent.nft_filters_input(NFT_FILTERING) is True
    assert (
        agent.nft_filters_input(
            NFT_DOCKER_ONLY.replace(
                "priority filter; policy accept;\n\t}\n\tchain forward",
                "priority filter; policy drop;\n\t}\n\tchain forward",
            )
        )
        is True
    )
    assert agent.nft_filters_input("") is False


def test_iptables_input_filtering() -> None:
    assert agent.iptables_filters_input("-P INPUT ACCEPT\n") is False
    assert agent.iptables_filters_input("-P INPUT DROP\n") is True
    assert agent.iptables_filters_input("-P INPUT ACCEPT\n-A INPUT -j ufw-before-input\n") is True


def test_last_upgrade_from_the_dpkg_log() -> None:
    log = (
        "2024-05-01 10:00:00 startup archives unpack\n"
        "2024-05-01 10:00:01 upgrade openssl:amd64 3.0.11-1~deb12u2 3.0.13-1~deb12u1\n"
        "2024-05-02 09:00:00 install cowsay:all <none> 3.03+dfsg2-8\n"
        "2024-05-02 09:00:01 status installed cowsay:all 3.03+dfsg2-8\n"
    )
    upgraded = agent.last_dpkg_upgrade(log)
    assert upgraded is not None and upgraded.endswith("+00:00")
    local = datetime.fromisoformat(upgraded).astimezone()
    assert local.strftime("%Y-%m-%d %H:%M:%S") == "2024-05-01 10:00:01"
    assert agent.last_dpkg_upgrade("2024-05-02 09:00:00 install cowsay:all <none> 3.03\n") is None


def test_apk_database_gives_origins() -> None:
    database = (
        "C:Q1abc=\nP:libssl3\nV:3.1.4-r5\nA:x86_64\no:openssl\n\n"
        "C:Q1def=\nP:busybox\nV:1.36.1-r15\no:busybox\n\n"
        "P:broken-no-version\n"
    )
    assert agent.apk_installed(database) == [
        {"name": "libssl3", "version": "3.1.4-r5", "source": "apk", "source_name": "openssl"},
        {"name": "busybox", "version": "1.36.1-r15", "source": "apk", "source_name": "busybox"},
    ]
