"""Access tokens (JWT HS256) and the deny-list of logged-out access tokens."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from redis.asyncio import Redis

from binelek.kit.errors import InvalidToken, TokenExpired
from binelek.kit.settings import Settings

ALGORITHM = "HS256"
VERIFIED_CACHE_SIZE = 20_000


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: str
    jti: str
    expires_at: int
    session_id: uuid.UUID | None


class TokenService:
    def __init__(self, settings: Settings) -> None:
        self._key = settings.jwt_key
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self.access_lifetime = timedelta(minutes=settings.access_token_minutes)
        self._verified: dict[str, AccessClaims] = {}

    def issue_access(
        self, *, user_id: uuid.UUID, tenant_id: uuid.UUID, role: str, session_id: uuid.UUID
    ) -> tuple[str, int]:
        now = datetime.now(UTC)
        claims = {
            "sub": str(user_id),
            "tid": str(tenant_id),
            "role": role,
            "jti": uuid.uuid4().hex,
            "iat": int(now.timestamp()),
            "exp": int((now + self.access_lifetime).timestamp()),
            "iss": self._issuer,
            "aud": self._audience,
            # OIDC-style session id: the refresh-token family that logout revokes.
            "sid": str(session_id),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), int(self.access_lifetime.total_seconds())

    def decode_access(self, token: str) -> AccessClaims:
        """Verify a token; a token verified before is only re-checked for expiry (the signature and
        claims of a given string cannot change)."""
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify(token)
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                self._verified.pop(next(iter(self._verified)))
            self._verified[token] = claims
        if claims.expires_at <= time.time():
            self._verified.pop(token, None)
            raise TokenExpired("The access token has expired.")
        return claims

    def _verify(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["sub", "tid", "jti", "exp", "iat", "iss", "aud"]},
            )
            return AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                tenant_id=uuid.UUID(claims["tid"]),
                role=str(claims.get("role", "viewer")),
                jti=str(claims["jti"]),
                expires_at=int(claims["exp"]),
                session_id=uuid.UUID(claims["sid"]) if claims.get("sid") else None,
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired("The access token has expired.") from exc
        except (jwt.InvalidTokenError, ValueError, KeyError) as exc:
            raise InvalidToken("The access token is not valid.") from exc


class TokenDenyList:
    """jti of access tokens revoked before expiry. Kept in Redis when configured, else in memory;
    the identity service also persists entries so an embedded restart keeps them."""

    def __init__(self, redis: Redis | None, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix + "jti-deny:"
        self._local: dict[str, int] = {}

    async def deny(self, jti: str, expires_at: int) -> None:
        ttl = max(1, expires_at - int(time.time()))
        if self._redis is not None:
            await self._redis.set(self._prefix + jti, "1", ex=ttl)
        else:
            self._local[jti] = expires_at
            self._prune()

    async def is_denied(self, jti: str) -> bool:
        if self._redis is not None:
            return bool(await self._redis.exists(self._prefix + jti))
        expires_at = self._local.get(jti)
        return expires_at is not None and expires_at > time.time()

    def _prune(self) -> None:
        if len(self._local) < 10_000:
            return
        now = time.time()
        for jti in [jti for jti, expiry in self._local.items() if expiry <= now]:
            del self._local[jti]
