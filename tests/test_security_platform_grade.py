"""The platform's own headers, graded by its own Observatory check: served in production mode over
real TLS (a test CA), with the plain-HTTP port redirecting to HTTPS, it gets an A or better."""

from __future__ import annotations

import asyncio
import socket
import ssl
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography.fernet import Fernet

from binelek.app import create_app
from binelek.security.checks import headers
from tests.conftest import REDIS_URL, TEST_DB, make_settings
from tests.security_tls_servers import TestCA
from tests.support import keeps_process_bindings

# Production mode refuses to start without PostgreSQL.
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(TEST_DB != "postgres", reason="runs in the PostgreSQL pass of `make test`"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def production_site(
    tmp_path: Path, database_url: str, state: object
) -> AsyncIterator[tuple[str, str, ssl.SSLContext]]:
    """`state` migrates the session's database; this app shares it."""
    ca = TestCA()
    issued = ca.issue(["127.0.0.1"])
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_bytes(issued.cert_pem)
    key.write_bytes(issued.key_pem)
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text(
        '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head>'
        '<body><div id="root"></div></body></html>'
    )
    tls_port, http_port = _free_port(), _free_port()
    settings = make_settings(
        tmp_path,
        database_url,
        binelek_env="production",
        jwt_secret="graded-" * 8,
        encryption_key=Fernet.generate_key().decode(),
        public_url=f"https://127.0.0.1:{tls_port}",
        web_dist_dir=dist,
        jobs_enabled=False,
        redis_url=REDIS_URL,
        redis_prefix=f"binelek-grade-{uuid.uuid4().hex[:6]}:",
    )
    with keeps_process_bindings():  # the session app goes on after this one stops
        app = create_app(settings)
        servers = [
            uvicorn.Server(
                uvicorn.Config(
                    app,
                    host="127.0.0.1",
                    port=tls_port,
                    ssl_certfile=str(cert),
                    ssl_keyfile=str(key),
                    lifespan="off",
                    log_level="warning",
                )
            ),
            uvicorn.Server(
                uvicorn.Config(app, host="127.0.0.1", port=http_port, lifespan="off", log_level="warning")
            ),
        ]
        async with app.router.lifespan_context(app):
            tasks = [asyncio.create_task(server.serve()) for server in servers]
            while not all(server.started for server in servers):
                await asyncio.sleep(0.05)
            context = ssl.create_default_context(cadata=ca.pem.decode())
            try:
                yield f"https://127.0.0.1:{tls_port}/", f"http://127.0.0.1:{http_port}/", context
            finally:
                for server in servers:
                    server.should_exit = True
                await asyncio.gather(*tasks)


async def test_the_platform_gets_an_a_or_better_on_headers(
    production_site: tuple[str, str, ssl.SSLContext],
) -> None:
    https_url, http_url, context = production_site
    async with httpx.AsyncClient(verify=context, timeout=10) as client:
        redirect = await client.get(http_url + "login?next=%2F")
        assert redirect.status_code == 301
        assert redirect.headers["location"] == https_url + "login?next=%2F"
        health = await client.get(http_url + "healthz")
        assert health.status_code == 200  # probes on the private network stay on plain HTTP
        report = await headers.check_headers(https_url, client=client, http_url=http_url)
    results = {test.name: (test.result, test.score_modifier) for test in report.tests}
    assert report.grade in ("A", "A+"), (report.score, results)
    assert results["redirection"][0] == "redirection-to-https"
    assert results["strict-transport-security"][0].startswith("hsts-implemented")
