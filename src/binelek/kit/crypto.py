"""Secrets at rest (Fernet through MultiFernet), password hashing (argon2id) and token digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from importlib import resources
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory defaults
# Verifying against this keeps login timing similar whether or not the account exists.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Encryptor:
    """Encrypts with the first key, decrypts with any: adding a key and re-encrypting rotates."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("ciphertext cannot be decrypted with the configured keys") from exc

    def rotate(self, token: str) -> str:
        return self._fernet.rotate(token.encode()).decode()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    text = resources.files("binelek.identity").joinpath("data/common-passwords.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line and not line.startswith("#"))


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """NIST SP 800-63B: length and a blocklist, no composition rules. None when acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(password)) < 3:
        return "This password is too common; choose a less predictable one."
    if email and lowered in {email.lower(), email.split("@", 1)[0].lower()}:
        return "The password must not be your e-mail address."
    return None


def token_digest(token: str) -> str:
    """A fast digest for high-entropy tokens (refresh tokens, API keys, invitation tokens)."""
    return hashlib.sha256(token.encode()).hexdigest()


def digests_equal(left: str, right: str) -> bool:
    return hmac.compare_digest(left, right)


def new_token(prefix: str = "", nbytes: int = 32) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


# Columns holding Encryptor ciphertext; `binelek rotate-keys` re-encrypts each of them.
ENCRYPTED_COLUMNS: list[Any] = []


def encrypted_column(attribute: Any) -> Any:
    """Register a mapped attribute whose values are Encryptor ciphertext."""
    ENCRYPTED_COLUMNS.append(attribute)
    return attribute
