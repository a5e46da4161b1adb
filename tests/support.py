"""Helpers for tests that run real processes and servers on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from aiosmtpd.controller import Controller

from binelek.kit import jobs, pubsub


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(
    base_url: str, process: subprocess.Popen, timeout: float = 60, path: str = "/readyz"
) -> httpx.Response:
    """Poll `path` until it answers 200; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"process exited with {process.returncode}"
        try:
            response = httpx.get(f"{base_url}{path}", timeout=1)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base_url} did not become ready")


class SmtpInbox:
    """Collects what a real SMTP server (aiosmtpd) on loopback receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[str]:
        return [content for recipients, content in self.messages if address in recipients]


@contextmanager
def smtp_server() -> Iterator[SmtpInbox]:
    inbox = SmtpInbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@contextmanager
def keeps_process_bindings() -> Iterator[None]:
    """For a test that starts a second app in the session's process: an app binds its database,
    settings, encryptor and broadcaster process-wide when it starts (one app per process in the
    product), so without this the session app's background work would go on with the second app's
    keys and data directory after it stopped."""
    bound = dict(jobs._process_state)
    broadcaster = pubsub.process_broadcaster()
    try:
        yield
    finally:
        jobs._process_state.clear()
        jobs._process_state.update(bound)
        pubsub.use_broadcaster(broadcaster)


def verify_webhook_signature(secret: str, headers: dict[str, str], body: str, tolerance: int = 300) -> bool:
    """Standard Webhooks, implemented independently of the product: True when any v1 signature in the
    header is the HMAC-SHA256 of id.timestamp.body under the secret."""
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    key = base64.b64decode(secret.split("_", 1)[1])
    expected = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    for candidate in headers["webhook-signature"].split(" "):
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(base64.b64decode(signature), expected):
            return True
    return False


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[ThreadingHTTPServer]:
    """A threading HTTP server on a free loopback port, answering from a daemon thread until the block
    ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
