"""The `binelek` command as an operator uses it: real processes, real ports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from binelek.kit.settings import ConfigurationError, load_settings
from tests.support import free_port, wait_until_ready

pytestmark = pytest.mark.embedded_only
BIN = Path(sys.executable).parent / "binelek"


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "BINELEK_ENV"}}
    # A small demo business: the full one (20k orders) is for people, not for every CLI test.
    return {**env, "BINELEK_DATA_DIR": str(data_dir), "BINELEK_DEMO_SCALE": "0.02", **extra}


def test_seed_demo_is_idempotent_and_prints_logins(tmp_path):
    first = subprocess.run(
        [BIN, "seed-demo"], env=_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert first.returncode == 0, first.stderr
    assert "Demo tenant created" in first.stderr and "owner@northwind-coffee.example" in first.stderr
    second = subprocess.run(
        [BIN, "seed-demo"], env=_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert second.returncode == 0 and "already present" in second.stderr
    secrets_file = tmp_path / "secrets.json"
    assert secrets_file.stat().st_mode & 0o777 == 0o600


def test_two_servers_side_by_side(tmp_path):
    processes = []
    try:
        ports = []
        for name in ("one", "two"):
            port = free_port()
            process = subprocess.Popen(
                [BIN, "serve", "--port", str(port)],
                env=_env(tmp_path / name),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            processes.append(process)
            ports.append(port)
        for port, process in zip(ports, processes, strict=True):
            wait_until_ready(f"http://127.0.0.1:{port}", process)
        emails = []
        for index, port in enumerate(ports):
            response = httpx.post(
                f"http://127.0.0.1:{port}/api/auth/register",
                json={
                    "email": f"p{index}@example.com",
                    "password": "side by side ok",
                    "full_name": "P",
                    "company_name": f"Company {index}",
                },
            )
            assert response.status_code == 201, response.text
            emails.append(response.json()["user"]["email"])
        # Each server has its own data: the other's account does not exist there.
        login = httpx.post(
            f"http://127.0.0.1:{ports[1]}/api/auth/login",
            json={"email": emails[0], "password": "side by side ok"},
        )
        assert login.status_code == 401
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)
    for name in ("one", "two"):
        assert (tmp_path / name / "binelek.sqlite").exists() and (tmp_path / name / "jobs.sqlite").exists()


def test_production_mode_refuses_to_start_without_secrets(tmp_path):
    with pytest.raises(ConfigurationError, match="DATABASE_URL, JWT_SECRET, ENCRYPTION_KEY"):
        load_settings(binelek_env="production", binelek_data_dir=tmp_path)
    result = subprocess.run(
        [BIN, "migrate"],
        env=_env(tmp_path, BINELEK_ENV="production"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "production mode needs" in result.stderr
    assert not (tmp_path / "secrets.json").exists()


def test_embedded_secrets_are_generated_once(tmp_path):
    first = load_settings(binelek_data_dir=tmp_path)
    second = load_settings(binelek_data_dir=tmp_path)
    assert first.jwt_secret == second.jwt_secret and first.encryption_key == second.encryption_key


def test_rotate_keys_reencrypts_mfa_secrets(tmp_path):
    import asyncio

    import pyotp
    from sqlalchemy import select

    from binelek.demo import seed
    from binelek.identity.models import User
    from binelek.kit.crypto import Encryptor
    from binelek.kit.db import Database
    from binelek.kit.migrate import migrate

    settings = load_settings(binelek_data_dir=tmp_path)
    old_keys = settings.fernet_keys
    secret = pyotp.random_base32()

    async def prepare() -> None:
        await migrate(settings)
        await seed(settings)
        db = Database(settings.sqlalchemy_url)
        async with db.session() as session:
            user = (await session.execute(select(User).limit(1))).scalar_one()
            user.mfa_secret_encrypted = Encryptor(old_keys).encrypt(secret)
        await db.dispose()

    asyncio.run(prepare())
    result = subprocess.run(
        [BIN, "rotate-keys"], env=_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert '"users.mfa_secret_encrypted": 1' in result.stderr

    rotated = load_settings(binelek_data_dir=tmp_path)
    assert len(rotated.fernet_keys) == 2 and rotated.fernet_keys[1] == old_keys[0]

    async def read_back() -> str:
        db = Database(rotated.sqlalchemy_url)
        async with db.session() as session:
            user = (
                await session.execute(select(User).where(User.mfa_secret_encrypted.is_not(None)))
            ).scalar_one()
        await db.dispose()
        return user.mfa_secret_encrypted

    ciphertext = asyncio.run(read_back())
    assert Encryptor(rotated.fernet_keys[:1]).decrypt(ciphertext) == secret  # readable with the new key alone
    assert json.loads((tmp_path / "secrets.json").read_text())["encryption_key"].count(",") == 1


def test_openapi_command_prints_schema():
    result = subprocess.run([BIN, "openapi"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and json.loads(result.stdout)["info"]["title"] == "Binelek API"


def test_create_user_adds_a_member_to_an_organization(tmp_path):
    import asyncio

    from sqlalchemy import select

    from binelek.identity.models import Membership, Tenant, User
    from binelek.kit.db import Database

    seeded = subprocess.run(
        [BIN, "seed-demo"], env=_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert seeded.returncode == 0
    settings = load_settings(binelek_data_dir=tmp_path)

    async def tenant_id() -> str:
        db = Database(settings.sqlalchemy_url)
        async with db.session() as session:
            tenant = (await session.execute(select(Tenant))).scalar_one()
        await db.dispose()
        return str(tenant.id)

    organization = asyncio.run(tenant_id())
    command = [
        BIN,
        "create-user",
        "--email",
        "Barista@Example.com",
        "--full-name",
        "Sam Barista",
        "--tenant-id",
        organization,
        "--role",
        "viewer",
        "--password",
        "espresso-shots-42",
    ]
    created = subprocess.run(command, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    weak = subprocess.run([*command[:-1], "password1"], env=_env(tmp_path), capture_output=True, text=True)
    assert weak.returncode == 1 and "at least 10" in weak.stderr

    async def membership() -> tuple[str, str]:
        db = Database(settings.sqlalchemy_url)
        async with db.session() as session:
            user = (
                await session.execute(select(User).where(User.email == "barista@example.com"))
            ).scalar_one()
            member = (
                await session.execute(select(Membership).where(Membership.user_id == user.id))
            ).scalar_one()
        await db.dispose()
        return user.full_name, member.role

    assert asyncio.run(membership()) == ("Sam Barista", "viewer")
