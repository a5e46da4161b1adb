"""Shared fixtures. BINELEK_TEST_DB=sqlite (default) or postgres picks the database; each run makes
its own fresh database (and Redis key prefix), so repeated and parallel runs never collide."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from binelek.app import build_state, create_app, start_background, stop_background
from binelek.kit.migrate import migrate
from binelek.kit.settings import Settings, load_settings
from binelek.kit.state import AppState

TEST_DB = os.environ.get("BINELEK_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("BINELEK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BINELEK_TEST_REDIS", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:10]
PASSWORD = "correct horse battery staple"
# Embedded-only module that starts its own server while being collected.
collect_ignore = ["test_api_fuzz.py"] if TEST_DB == "postgres" else []
if os.environ.get("BINELEK_TEST_LLM") != "1":
    collect_ignore.append("test_llm_llamacpp.py")  # optional: `make test-llm` installs llama.cpp


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="binelek-test-") as directory:
        yield Path(directory)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str | None]:
    if TEST_DB != "postgres":
        yield None
        return
    name = f"binelek_test_{RUN_ID}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(data_dir: Path, database_url: str | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "binelek_env": "test",
        "binelek_data_dir": data_dir,
        "database_url": database_url,
        "rate_limit_auth": "10000/minute",
        "rate_limit_api": "100000/minute",
        "outbox_poll_seconds": 0.2,
        "log_json": True,
        "web_dist_dir": data_dir / "no-web-build",
        "public_url": "http://testserver",
        "demo_scale": 0.02,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture(scope="session")
def settings(data_dir: Path, database_url: str | None) -> Settings:
    if database_url is None:
        return make_settings(data_dir, None)
    # Production mode: PostgreSQL plus Redis for the deny-list, the access cache and rate limits.
    return make_settings(data_dir, database_url, redis_url=REDIS_URL, redis_prefix=f"binelek-test-{RUN_ID}:")


@pytest.fixture(scope="session")
async def state(settings: Settings) -> AsyncIterator[AppState]:
    await migrate(settings)
    app_state = build_state(settings)
    await start_background(app_state)
    try:
        yield app_state
    finally:
        await stop_background(app_state)
        await app_state.db.dispose()
        if app_state.redis is not None:
            await app_state.redis.aclose()


@pytest.fixture(scope="session")
async def app(settings: Settings, state: AppState) -> AsyncIterator[FastAPI]:
    application = create_app(settings, state=state)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@dataclass
class Account:
    email: str
    password: str
    user_id: str
    tenant_id: str
    access_token: str
    refresh_token: str
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}", **self.extra_headers}


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def register(client: httpx.AsyncClient, company: str = "Acme Roasters", **fields: Any) -> Account:
    body = {
        "email": fields.pop("email", unique_email("owner")),
        "password": PASSWORD,
        "full_name": "Ada Owner",
        "company_name": company,
        **fields,
    }
    response = await client.post("/api/auth/register", json=body)
    assert response.status_code == 201, response.text
    return account_from(response.json(), body["email"], body["password"])


def account_from(signed_in: dict[str, Any], email: str, password: str) -> Account:
    """The account a sign-in answer (register, login, accept-invitation) describes."""
    return Account(
        email=email,
        password=password,
        user_id=signed_in["user"]["id"],
        tenant_id=signed_in["tenant"]["id"],
        access_token=signed_in["access_token"],
        refresh_token=signed_in["refresh_token"],
    )


async def principal_of(state: AppState, account: Account) -> Any:
    """The Principal the gateway resolves for this account's bearer token, for calling services directly."""
    from binelek.identity.resolver import IdentityResolver

    class _Request:  # the resolver reads headers, the path and request.state
        def __init__(self) -> None:
            self.headers = {"authorization": f"Bearer {account.access_token}"}
            self.url = type("U", (), {"path": "/api/query"})()
            self.state = type("S", (), {})()

    return await IdentityResolver(state).resolve(_Request())  # type: ignore[arg-type]


async def add_member(client: httpx.AsyncClient, admin: Account, role: str) -> Account:
    """Invite a new person into admin's tenant with `role` and accept as them."""
    email = unique_email(role)
    invitation = await client.post(
        "/api/team/invitations", json={"email": email, "role": role}, headers=admin.headers
    )
    assert invitation.status_code == 201, invitation.text
    accepted = await client.post(
        "/api/auth/accept-invitation",
        json={"token": invitation.json()["token"], "password": PASSWORD, "full_name": f"A {role}"},
    )
    assert accepted.status_code == 200, accepted.text
    return account_from(accepted.json(), email, PASSWORD)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body
