"""No password, API key, token or second-factor secret is stored or logged in plain text."""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from binelek.kit.db import Base
from tests.conftest import PASSWORD, register, unique_email


async def _dump_database(state) -> str:
    chunks: list[str] = []
    async with state.db.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                chunks.append(repr(tuple(row)))
    return "\n".join(chunks)


async def test_secrets_never_appear_in_plain_text(client, state, capsys):
    account = await register(client)
    key = (
        await client.post("/api/api-keys", json={"name": "ci", "role": "member"}, headers=account.headers)
    ).json()
    await client.get("/api/team/members", headers={"Authorization": f"Bearer {key['key']}"})
    secret = (await client.post("/api/auth/mfa/enroll", headers=account.headers)).json()["secret"]
    backup = (
        await client.post(
            "/api/auth/mfa/verify", json={"code": pyotp.TOTP(secret).now()}, headers=account.headers
        )
    ).json()["backup_codes"]
    invitation = (
        await client.post(
            "/api/team/invitations", json={"email": unique_email(), "role": "viewer"}, headers=account.headers
        )
    ).json()
    refreshed = (await client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})).json()
    await client.post("/api/auth/login", json={"email": account.email, "password": "a wrong password"})

    secrets = {
        "password": PASSWORD,
        "api key": key["key"],
        "mfa secret": secret,
        "backup code": backup[0],
        "backup code digits": backup[0].replace("-", ""),
        "invitation token": invitation["token"],
        "refresh token": refreshed["refresh_token"],
        "old refresh token": account.refresh_token,
        "access token": refreshed["access_token"],
        "wrong password": "a wrong password",
    }
    stored = await _dump_database(state)
    logged = capsys.readouterr()
    log_text = logged.out + logged.err
    assert '"path": "/api/auth/login"' in log_text  # the requests were logged…
    for name, value in secrets.items():
        assert value not in stored, f"{name} is stored in plain text"
        assert value not in log_text, f"{name} appears in the logs"


async def test_passwords_are_argon2id(client, state):
    account = await register(client)
    from binelek.identity.models import User

    async with state.db.session() as session:
        user = (await session.execute(select(User).where(User.email == account.email))).scalar_one()
    assert user.password_hash.startswith("$argon2id$")


def test_log_redaction_drops_secret_fields(capsys):
    import structlog

    from binelek.kit.logging import configure_logging

    configure_logging("INFO", json=True)
    structlog.get_logger("t").info(
        "x", password="hunter2hunter2", note="Bearer abc.def.ghi", key="bnk_secretvalue"
    )
    err = capsys.readouterr().err
    assert "hunter2hunter2" not in err and "abc.def.ghi" not in err and "bnk_secretvalue" not in err
    assert "[redacted]" in err
