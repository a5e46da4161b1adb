"""A local HTTP server that answers like the LLM providers' model-list endpoints (real paths,
auth headers and error bodies), for checking keys without the internet."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support import serving

GOOD_KEYS = {
    "openai": "sk-test-good-key-1234",
    "anthropic": "sk-ant-good-key-5678",
    "google": "AIza-good-key-9012",
}


class _Handler(BaseHTTPRequestHandler):
    server_version = "fake-provider/1"

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        if getattr(self.server, "overloaded", False):
            self._send(503, {"error": {"message": "overloaded"}})
        elif self.path == "/v1/models" and "authorization" in {k.lower() for k in self.headers}:
            self._openai()
        elif self.path == "/v1/models":
            self._anthropic()
        elif self.path == "/v1beta/models":
            self._google()
        elif self.path == "/api/tags":
            self._send(200, {"models": [{"name": "llama3.2:latest", "size": 2019393189}]})
        else:
            self._send(404, {"error": "not found"})

    def _openai(self) -> None:
        if self.headers.get("authorization") == f"Bearer {GOOD_KEYS['openai']}":
            self._send(200, {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})
        else:
            self._send(
                401,
                {
                    "error": {
                        "message": "Incorrect API key provided",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
            )

    def _anthropic(self) -> None:
        if not self.headers.get("anthropic-version"):
            self._send(
                400,
                {
                    "type": "error",
                    "error": {
                        "type": "invalid_request_error",
                        "message": "anthropic-version header is required",
                    },
                },
            )
        elif self.headers.get("x-api-key") == GOOD_KEYS["anthropic"]:
            self._send(200, {"data": [{"id": "claude-haiku-4-5", "type": "model"}], "has_more": False})
        else:
            self._send(
                401,
                {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}},
            )

    def _google(self) -> None:
        if self.headers.get("x-goog-api-key") == GOOD_KEYS["google"]:
            self._send(200, {"models": [{"name": "models/gemini-2.5-flash"}]})
        else:
            self._send(
                400,
                {
                    "error": {
                        "code": 400,
                        "message": "API key not valid. Please pass a valid API key.",
                        "status": "INVALID_ARGUMENT",
                    }
                },
            )


@contextmanager
def fake_provider_server() -> Iterator[ThreadingHTTPServer]:
    with serving(_Handler) as server:
        yield server


def base_url(server: ThreadingHTTPServer, provider: str) -> str:
    root = f"http://127.0.0.1:{server.server_address[1]}"
    return root + "/v1" if provider == "openai" else root
