"""MCP over stdio (`binelek mcp`): a process a desktop client starts, talking JSON-RPC on stdin and
stdout (logs go to stderr). The API key comes from BINELEK_API_KEY and is resolved again on every
MCP request, through the same resolver as HTTP: a revoked key stops working at once, and calls are
rate-limited like the API's.

The process uses the install's database (the same settings as `binelek serve`) but runs no
background jobs unless asked: work it queues (a connector sync, an automation's e-mail step) is
picked up by the install's `serve` or `worker` processes."""

from __future__ import annotations

import sys
from typing import Any

from mcp.server.stdio import stdio_server
from starlette.requests import Request

from binelek.kit.errors import ProblemError
from binelek.kit.request_meta import RequestMeta
from binelek.kit.settings import Settings
from binelek.kit.state import AppState
from binelek.mcp_server.http import PATH, authenticate
from binelek.mcp_server.server import Caller, build_server

USER_AGENT = "binelek-mcp-stdio"


def key_request(api_key: str) -> Request:
    """A request carrying only the key, for the gateway's resolver (which reads headers)."""
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "headers": [(b"authorization", f"Bearer {api_key}".encode()), (b"user-agent", USER_AGENT.encode())],
        "client": None,
        "state": {},
    }
    return Request(scope)


class StdioCaller:
    def __init__(self, state: AppState, api_key: str) -> None:
        self.state = state
        self.api_key = api_key

    async def __call__(self, _request: Any) -> Caller:
        principal = await authenticate(self.state, key_request(self.api_key))
        return Caller(principal, RequestMeta(user_agent=USER_AGENT))


async def check_key(state: AppState, api_key: str) -> str | None:
    """Why the key cannot be used, or None: checked once before serving, so a typo fails loudly."""
    try:
        await StdioCaller(state, api_key)(None)
    except ProblemError as exc:
        return exc.detail
    return None


async def serve(settings: Settings, api_key: str) -> int:
    """Serve MCP on stdin/stdout until the client closes them; 2 when the key is refused."""
    from binelek.app import build_state, start_background, stop_background

    state = build_state(settings)
    try:
        await start_background(state)
        problem = await check_key(state, api_key)
        if problem is not None:
            sys.stderr.write(f"binelek mcp: {problem}\n")
            return 2
        server = build_server(state, StdioCaller(state, api_key))
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
        return 0
    finally:
        await stop_background(state)
        await state.db.dispose()
        if state.redis is not None:
            await state.redis.aclose()
