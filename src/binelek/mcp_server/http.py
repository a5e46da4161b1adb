"""MCP over streamable HTTP at `/mcp`, inside the API process.

Every HTTP request carries `Authorization: Bearer bnk_…` and is authenticated (and rate-limited) by
the gateway's resolver before the MCP layer sees it: no key or a bad one is a 401 problem+json. The
session manager is stateless (a fresh transport per request, no `Mcp-Session-Id` to stick to) and
answers JSON rather than holding SSE streams open, so any API process behind a load balancer can
answer any request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from binelek.identity.service import API_KEY_PREFIX
from binelek.kit.auth import Principal
from binelek.kit.errors import InvalidToken, NotAuthenticated, ProblemError, problem_response
from binelek.kit.request_meta import RequestMeta
from binelek.kit.state import AppState
from binelek.mcp_server.server import Caller, build_server

PATH = "/mcp"
CALLER_KEY = "mcp_caller"


async def authenticate(state: AppState, request: Request) -> Principal:
    """The API key's principal; an access token (a person's session) is refused: programs use keys."""
    header = request.headers.get("authorization", "")
    _, _, token = header.partition(" ")
    if header and not token.strip().startswith(API_KEY_PREFIX):
        raise InvalidToken(f"The MCP server takes an API key ({API_KEY_PREFIX}…) as the bearer token.")
    if state.principal_resolver is None:
        raise NotAuthenticated("Authentication is not available.")
    return await state.principal_resolver.resolve(request)


class McpEndpoint:
    """The ASGI app mounted at /mcp: authenticate, then hand the request to the MCP session manager."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.server = build_server(state, self._caller)
        self.manager = StreamableHTTPSessionManager(app=self.server, stateless=True, json_response=True)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """For the app's lifespan: the session manager's task group lives as long as the app.

        The group is held by a task of its own: an anyio cancel scope must be left by the task that
        entered it, and a lifespan may start and stop in different tasks (test fixtures do)."""
        started, stop = asyncio.Event(), asyncio.Event()

        async def hold() -> None:
            async with self.manager.run():
                started.set()
                await stop.wait()

        holder = asyncio.create_task(hold(), name="mcp-session-manager")
        waiting = asyncio.create_task(started.wait())
        await asyncio.wait({holder, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if holder.done():
            waiting.cancel()
            holder.result()  # raises why it could not start
        try:
            yield
        finally:
            stop.set()
            await holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        try:
            principal = await authenticate(self.state, request)
        except ProblemError as exc:
            headers = dict(exc.headers or {})
            if exc.status == 401:
                headers.setdefault("WWW-Authenticate", 'Bearer realm="binelek"')
            await problem_response(exc.status, exc.code, exc.detail, headers=headers)(scope, receive, send)
            return
        meta = RequestMeta(
            ip=request.client.host if request.client else None,
            user_agent=(request.headers.get("user-agent") or "")[:500] or None,
            request_id=getattr(request.state, "request_id", None),
        )
        # scope["state"] is shared with the Request the transport hands the MCP server.
        setattr(request.state, CALLER_KEY, Caller(principal, meta))
        await self.manager.handle_request(scope, receive, send)

    async def _caller(self, request: Any) -> Caller:
        caller = getattr(getattr(request, "state", None), CALLER_KEY, None)
        if not isinstance(caller, Caller):
            raise NotAuthenticated("Sign in first (missing API key).")
        return caller
