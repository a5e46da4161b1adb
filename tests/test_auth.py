from __future__ import annotations

import time
import uuid

import jwt
import pyotp
import pytest

from binelek.kit.settings import Settings
from tests.conftest import PASSWORD, assert_problem, register, unique_email


async def test_register_creates_tenant_and_admin(client):
    account = await register(client, company="Bean There", industry="Coffee", company_size="1-10")
    me = await client.get("/api/auth/me", headers=account.headers)
    assert me.status_code == 200
    body = me.json()
    assert body["email"] == account.email
    assert body["mfa_enabled"] is False
    assert body["current_tenant"] == {"id": account.tenant_id, "name": "Bean There", "role": "admin"}
    assert body["tenants"] == [body["current_tenant"]]


async def test_register_response_shape_and_cookie(client):
    email = unique_email()
    response = await client.post(
        "/api/auth/register",
        json={"email": email, "password": PASSWORD, "full_name": "Ada", "company_name": "Shape Co"},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user", "tenant"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    cookie = response.headers["set-cookie"]
    assert "binelek_refresh=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/api/auth" in cookie


@pytest.mark.parametrize(
    ("password", "fragment"),
    [("short", "at least 10"), ("password123", "too common"), ("qwertyuiop", "too common")],
)
async def test_register_rejects_weak_passwords(client, password, fragment):
    response = await client.post(
        "/api/auth/register",
        json={"email": unique_email(), "password": password, "full_name": "A", "company_name": "B"},
    )
    body = assert_problem(response, 422, "VALIDATION_ERROR")
    assert fragment in body["detail"]
    assert body["errors"][0]["loc"] == ["body", "password"]


async def test_register_duplicate_email_conflicts(client):
    account = await register(client)
    response = await client.post(
        "/api/auth/register",
        json={"email": account.email.upper(), "password": PASSWORD, "full_name": "A", "company_name": "B"},
    )
    assert_problem(response, 409, "EMAIL_TAKEN")


async def test_login_success_and_uniform_failure(client):
    account = await register(client)
    ok = await client.post("/api/auth/login", json={"email": account.email, "password": PASSWORD})
    assert ok.status_code == 200 and ok.json()["tenant"]["id"] == account.tenant_id

    wrong = await client.post("/api/auth/login", json={"email": account.email, "password": "wrong password!"})
    unknown = await client.post(
        "/api/auth/login", json={"email": unique_email(), "password": "wrong password!"}
    )
    first, second = (
        assert_problem(wrong, 401, "AUTH_INVALID_CREDENTIALS"),
        assert_problem(unknown, 401, "AUTH_INVALID_CREDENTIALS"),
    )
    assert first["detail"] == second["detail"]


async def test_login_timing_is_similar_for_unknown_accounts(client):
    account = await register(client)

    async def timed(email: str) -> float:
        started = time.perf_counter()
        await client.post("/api/auth/login", json={"email": email, "password": "not the password"})
        return time.perf_counter() - started

    known = min([await timed(account.email) for _ in range(3)])
    unknown = min([await timed(unique_email()) for _ in range(3)])
    # Both paths run one argon2 verification; without it the unknown path would be ~50x faster.
    assert unknown > known * 0.5


async def test_refresh_rotates_and_reuse_revokes_family(client):
    account = await register(client)
    first = await client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
    assert first.status_code == 200
    second_token = first.json()["refresh_token"]
    assert second_token != account.refresh_token

    reuse = await client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
    assert_problem(reuse, 401, "AUTH_INVALID_TOKEN")
    # The thief's reuse ended the family: the legitimate newer token is dead too.
    after = await client.post("/api/auth/refresh", json={"refresh_token": second_token})
    assert_problem(after, 401, "AUTH_INVALID_TOKEN")

    logs = await client.get("/api/audit-logs?action=auth.refresh_reuse", headers=account.headers)
    assert logs.json()["total"] == 1


async def test_refresh_from_cookie(client):
    account = await register(client)
    client.cookies.set("binelek_refresh", account.refresh_token, path="/api/auth")
    response = await client.post("/api/auth/refresh")
    assert response.status_code == 200
    client.cookies.clear()


async def test_refresh_with_garbage_is_401(client):
    assert_problem(
        await client.post("/api/auth/refresh", json={"refresh_token": "nope"}), 401, "AUTH_INVALID_TOKEN"
    )
    assert_problem(await client.post("/api/auth/refresh", json={}), 401, "AUTH_INVALID_TOKEN")


async def test_logout_kills_access_token_and_refresh_family(client):
    account = await register(client)
    response = await client.post("/api/auth/logout", headers=account.headers)
    assert response.status_code == 204
    assert_problem(await client.get("/api/auth/me", headers=account.headers), 401, "AUTH_INVALID_TOKEN")
    refresh = await client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
    assert_problem(refresh, 401, "AUTH_INVALID_TOKEN")


def _forge(settings: Settings, account, *, key: str | None = None, **overrides) -> str:
    now = int(time.time())
    claims = {
        "sub": account.user_id,
        "tid": account.tenant_id,
        "role": "admin",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 600,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        **overrides,
    }
    return jwt.encode(claims, key or settings.jwt_key, algorithm="HS256")


def _alg_none(account) -> str:
    import base64
    import json

    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {
        "sub": account.user_id,
        "tid": account.tenant_id,
        "role": "admin",
        "jti": "x",
        "iat": now,
        "exp": now + 600,
        "iss": "binelek",
        "aud": "binelek-api",
    }
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


async def test_bad_tokens_are_rejected(client, settings):
    account = await register(client)
    cases = {
        "alg none": (_alg_none(account), "AUTH_INVALID_TOKEN"),
        "bad signature": (_forge(settings, account, key="x" * 48), "AUTH_INVALID_TOKEN"),
        "expired": (_forge(settings, account, exp=int(time.time()) - 5), "AUTH_TOKEN_EXPIRED"),
        "wrong audience": (_forge(settings, account, aud="someone-else"), "AUTH_INVALID_TOKEN"),
        "wrong issuer": (_forge(settings, account, iss="evil"), "AUTH_INVALID_TOKEN"),
        "garbage": ("not-a-jwt", "AUTH_INVALID_TOKEN"),
    }
    for name, (token, code) in cases.items():
        response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.json()["code"] == code, name
    good = _forge(settings, account)
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {good}"})).status_code == 200


async def test_missing_token_is_401(client):
    assert_problem(await client.get("/api/auth/me"), 401, "AUTH_REQUIRED")
    assert_problem(
        await client.get("/api/auth/me", headers={"Authorization": "Basic abc"}), 401, "AUTH_INVALID_TOKEN"
    )


async def test_mfa_enrolment_login_and_backup_codes(client, state):
    account = await register(client)
    enrol = await client.post("/api/auth/mfa/enroll", headers=account.headers)
    assert enrol.status_code == 200
    secret = enrol.json()["secret"]
    assert enrol.json()["otpauth_uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(secret)

    bad = await client.post("/api/auth/mfa/verify", json={"code": "000000"}, headers=account.headers)
    assert_problem(bad, 422, "VALIDATION_ERROR")
    verified = await client.post("/api/auth/mfa/verify", json={"code": totp.now()}, headers=account.headers)
    assert verified.status_code == 200
    backup_codes = verified.json()["backup_codes"]
    assert len(backup_codes) == 10 and len(set(backup_codes)) == 10

    no_code = await client.post("/api/auth/login", json={"email": account.email, "password": PASSWORD})
    assert_problem(no_code, 401, "AUTH_MFA_REQUIRED")
    wrong = await client.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD, "totp_code": "123456"}
    )
    assert_problem(wrong, 401, "AUTH_MFA_REQUIRED")
    # The code used to verify enrolment cannot be replayed; the backup code works once.
    with_backup = await client.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD, "totp_code": backup_codes[0]}
    )
    assert with_backup.status_code == 200
    again = await client.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD, "totp_code": backup_codes[0]}
    )
    assert_problem(again, 401, "AUTH_MFA_REQUIRED")
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {with_backup.json()['access_token']}"}
    )
    assert me.json()["mfa_enabled"] is True

    disable = await client.post(
        "/api/auth/mfa/disable", json={"code": backup_codes[1]}, headers=account.headers
    )
    assert disable.status_code == 204
    plain = await client.post("/api/auth/login", json={"email": account.email, "password": PASSWORD})
    assert plain.status_code == 200

    actions = (await client.get("/api/audit-logs?limit=200", headers=account.headers)).json()["items"]
    assert {"auth.mfa_enabled", "auth.mfa_disabled", "auth.mfa_failed"} <= {a["action"] for a in actions}


async def test_admins_must_enrol_when_tenant_requires_mfa(client):
    account = await register(client)
    refused = await client.put(
        "/api/organization", json={"require_mfa_for_admins": True}, headers=account.headers
    )
    assert_problem(refused, 409, "MFA_NOT_ENABLED")

    secret = (await client.post("/api/auth/mfa/enroll", headers=account.headers)).json()["secret"]
    await client.post(
        "/api/auth/mfa/verify", json={"code": pyotp.TOTP(secret).now()}, headers=account.headers
    )
    accepted = await client.put(
        "/api/organization", json={"require_mfa_for_admins": True}, headers=account.headers
    )
    assert accepted.status_code == 200 and accepted.json()["require_mfa_for_admins"] is True

    # A second admin without MFA can reach only the auth endpoints until they enrol.
    email = unique_email("admin2")
    invitation = await client.post(
        "/api/team/invitations", json={"email": email, "role": "admin"}, headers=account.headers
    )
    joined = await client.post(
        "/api/auth/accept-invitation",
        json={"token": invitation.json()["token"], "password": PASSWORD, "full_name": "B"},
    )
    headers = {"Authorization": f"Bearer {joined.json()['access_token']}"}
    assert_problem(await client.get("/api/team/members", headers=headers), 403, "MFA_ENROLLMENT_REQUIRED")
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200


async def test_me_for_api_key_is_refused_cleanly(client):
    account = await register(client)
    key = (
        await client.post("/api/api-keys", json={"name": "ci", "role": "viewer"}, headers=account.headers)
    ).json()
    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {key['key']}"})
    assert_problem(response, 403, "PERMISSION_DENIED")


async def test_logged_out_tokens_stay_dead_after_a_restart(client, state):
    from dataclasses import replace

    from binelek.identity.service import load_deny_list
    from binelek.kit.tokens import TokenDenyList

    account = await register(client)
    jti = state.tokens.decode_access(account.access_token).jti
    assert (await client.post("/api/auth/logout", headers=account.headers)).status_code == 204
    restarted = replace(state, deny_list=TokenDenyList(state.redis, state.settings.redis_prefix + "restart:"))
    assert not await restarted.deny_list.is_denied(jti)
    await load_deny_list(restarted)
    assert await restarted.deny_list.is_denied(jti)
