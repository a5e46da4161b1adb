"""The FastAPI application: the seed's gateway (auth, tenant context, rate limits, CORS) and the
domain routers in one stateless process."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.asyncio import Redis
from sqlalchemy import text
from starlette.routing import Route

from binelek import __version__
from binelek.ai.remote import close_shared_clients
from binelek.ai.router import query_router as ai_query_router
from binelek.ai.router import router as ai_router
from binelek.audit.router import router as audit_router
from binelek.connectors.router import router as connectors_router
from binelek.foundry.datasources_router import router as foundry_datasources_router
from binelek.foundry.exports_router import router as foundry_exports_router
from binelek.foundry.insights_router import router as foundry_insights_router
from binelek.foundry.nlq_router import router as foundry_nlq_router
from binelek.foundry.router import router as foundry_router
from binelek.identity import service as identity_service
from binelek.identity.resolver import IdentityResolver
from binelek.identity.router import routers as identity_routers
from binelek.kit.cache import JsonCache
from binelek.kit.crypto import Encryptor
from binelek.kit.db import Database
from binelek.kit.errors import PROBLEM_RESPONSES, install_error_handlers
from binelek.kit.jobs import JobEngine, bind_process_state
from binelek.kit.logging import configure_logging
from binelek.kit.middleware import RequestContextMiddleware
from binelek.kit.outbox import OutboxDispatcher
from binelek.kit.pubsub import Broadcaster, RedisBroadcaster, process_broadcaster, use_broadcaster
from binelek.kit.ratelimit import RateLimiter
from binelek.kit.settings import Settings
from binelek.kit.state import AppState
from binelek.kit.streaming import EventStreamer, publisher_from_settings
from binelek.kit.tokens import TokenDenyList, TokenService
from binelek.kit.web import default_dist_dir, mount_web_app
from binelek.marketplace.router import router as marketplace_router
from binelek.mcp_server.http import PATH as MCP_PATH
from binelek.mcp_server.http import McpEndpoint
from binelek.notifications.router import router as notifications_router
from binelek.ops.automation.router import router as ops_automation_router
from binelek.ops.email_router import router as ops_email_router
from binelek.ops.router import router as ops_router
from binelek.ops.schedule_router import router as ops_schedule_router
from binelek.plans.router import router as plans_router
from binelek.search.router import routers as search_routers
from binelek.search.vectors import open_vector_store
from binelek.security.router import checkin_router as security_checkin_router
from binelek.security.router import router as security_router
from binelek.tenantdata.router import router as tenantdata_router
from binelek.webhooks.router import router as webhooks_router

log = structlog.get_logger(__name__)


def build_state(settings: Settings) -> AppState:
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    state = AppState(
        settings=settings,
        db=Database(settings.sqlalchemy_url),
        tokens=TokenService(settings),
        deny_list=TokenDenyList(redis, settings.redis_prefix),
        encryptor=Encryptor(settings.fernet_keys),
        rate_limiter=RateLimiter(settings),
        cache=JsonCache(redis, settings.redis_prefix + "cache:", ttl_seconds=300 if redis else 60),
        redis=redis,
    )
    state.principal_resolver = IdentityResolver(state)
    publisher = publisher_from_settings(settings)  # a bad EVENT_STREAM_URL fails here, at startup
    state.event_stream = EventStreamer(publisher) if publisher is not None else None
    # Live pushes (notifications) reach listeners in every process through Redis when there is one.
    use_broadcaster(RedisBroadcaster(redis, settings.redis_prefix) if redis else Broadcaster())
    state.vectors = open_vector_store(settings, state.db)
    return state


async def start_background(state: AppState) -> None:
    bind_process_state(
        db=state.db, settings=state.settings, encryptor=state.encryptor, vectors=state.vectors, state=state
    )
    if not state.settings.jobs_enabled:
        return
    state.jobs = JobEngine(state.settings, executor_id=state.settings.binelek_executor_id)
    await state.jobs.start()
    if state.event_stream is not None:
        state.event_stream.start()
    state.dispatcher = OutboxDispatcher(state.db, state.settings.outbox_poll_seconds)
    state.dispatcher.start()


async def stop_background(state: AppState) -> None:
    from binelek.security.presence import PresenceBuffer

    await PresenceBuffer.of(state).close()
    await process_broadcaster().close()
    if state.dispatcher is not None:
        await state.dispatcher.stop()
    if state.event_stream is not None:
        await state.event_stream.stop()
    if state.jobs is not None:
        await state.jobs.stop()
    if state.vectors is not None:
        await state.vectors.close()
    await close_shared_clients()


def create_app(settings: Settings, *, state: AppState | None = None) -> FastAPI:
    configure_logging(settings.log_level, json=settings.log_json)
    app_state = state or build_state(settings)
    owns_background = state is None
    mcp = McpEndpoint(app_state)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await identity_service.load_deny_list(app_state)
        if owns_background:
            await start_background(app_state)
        # Everything loaded so far lives as long as the process: keep it out of the cyclic
        # collector's full passes, which otherwise stall requests for tens of milliseconds.
        gc.collect()
        gc.freeze()
        log.info("started", embedded=settings.embedded, version=__version__)
        try:
            # The MCP session manager (stateless) lives as long as the app.
            async with mcp.running():
                yield
        finally:
            if owns_background:
                await stop_background(app_state)
                await app_state.db.dispose()
                if app_state.redis is not None:
                    await app_state.redis.aclose()

    app = FastAPI(
        title="Binelek API",
        version=__version__,
        summary="The SMB AI Command Platform",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.binelek = app_state
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "X-Tenant-ID", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    https_origin = settings.public_url if settings.public_url.startswith("https://") else None
    app.add_middleware(
        RequestContextMiddleware,
        production=settings.is_production,
        https_origin=https_origin if settings.is_production else None,
    )

    for router in (
        security_checkin_router,
        *identity_routers,
        audit_router,
        ai_router,
        ai_query_router,
        *search_routers,
        connectors_router,
        foundry_router,
        foundry_datasources_router,
        foundry_exports_router,
        foundry_insights_router,
        foundry_nlq_router,
        notifications_router,
        ops_automation_router,
        ops_router,
        ops_schedule_router,
        ops_email_router,
        security_router,
        marketplace_router,
        tenantdata_router,
        webhooks_router,
        plans_router,
    ):
        app.include_router(router, responses=PROBLEM_RESPONSES)
    _add_operational_routes(app, app_state)
    # MCP over streamable HTTP (binelek.mcp_server), before the web app's SPA fallback.
    app.router.routes.append(Route(MCP_PATH, mcp, methods=["GET", "POST", "DELETE"], include_in_schema=False))
    mount_web_app(app, settings.web_dist_dir or default_dist_dir())
    return app


def _add_operational_routes(app: FastAPI, state: AppState) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(_request: Request) -> JSONResponse:
        checks: dict[str, Any] = {}
        try:
            async with state.db.session() as session:
                await session.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {type(exc).__name__}"
        if state.settings.jobs_enabled:
            checks["jobs"] = "ok" if state.jobs is not None and await state.jobs.healthy() else "error"
        if state.redis is not None:
            try:
                await state.redis.ping()
                checks["redis"] = "ok"
            except Exception as exc:
                checks["redis"] = f"error: {type(exc).__name__}"
        ready = all(value == "ok" for value in checks.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not_ready", "checks": checks}
        if state.event_stream is not None:  # shown, never failing readiness: events wait for the broker
            body["event_stream"] = await state.event_stream.status(state.db)
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
