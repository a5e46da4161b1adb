"""Standard Webhooks signing (https://www.standardwebhooks.com): a secret is "whsec_" + base64 of
24-64 random bytes; a message's signature is "v1," + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))
with the base64-decoded key, and several signatures (during a secret rotation) are space-separated."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable

PREFIX = "whsec_"
MIN_KEY_BYTES, MAX_KEY_BYTES = 24, 64


def generate_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(MIN_KEY_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX), validate=True)


def secret_problem(secret: str) -> str | None:
    """Why `secret` is not a usable signing secret, or None."""
    if not secret.startswith(PREFIX):
        return f"A signing secret starts with {PREFIX!r} followed by base64."
    try:
        key = _key(secret)
    except (binascii.Error, ValueError):
        return f"The part after {PREFIX!r} is not valid base64."
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        return f"The key must decode to {MIN_KEY_BYTES}-{MAX_KEY_BYTES} bytes."
    return None


def signature_header(signing_secrets: Iterable[str], message_id: str, timestamp: int, body: str) -> str:
    content = f"{message_id}.{timestamp}.{body}".encode()
    return " ".join(
        "v1," + base64.b64encode(hmac.new(_key(secret), content, hashlib.sha256).digest()).decode()
        for secret in signing_secrets
    )
