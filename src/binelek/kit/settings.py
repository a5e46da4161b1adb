"""Process settings, read from the environment with the seed's variable names.

Embedded mode (no DATABASE_URL) keeps everything it stores under BINELEK_DATA_DIR and generates
missing secrets there once; production mode refuses to start without them.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from cryptography.fernet import Fernet
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SECRETS_FILE = "secrets.json"


class ConfigurationError(RuntimeError):
    """The process cannot start with the settings it was given."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    binelek_env: Literal["development", "production", "test"] = "development"
    binelek_data_dir: Path = Path("./var")
    database_url: str | None = None
    redis_url: str | None = None
    redis_prefix: str = "binelek:"
    jwt_secret: str | None = None
    encryption_key: str | None = Field(
        default=None,
        description="Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).",
    )
    jwt_issuer: str = "binelek"
    jwt_audience: str = "binelek-api"
    access_token_minutes: int = 15
    refresh_token_days: int = 7
    invitation_days: int = 7
    audit_retention_days: int = 90
    public_url: str = "http://127.0.0.1:8000"
    # Proxies whose X-Forwarded-For/-Proto are believed (uvicorn's list: addresses, CIDRs or "*").
    # Behind nginx in docker-compose.yml: "*" on the private network.
    forwarded_allow_ips: str = "127.0.0.1"
    cors_origins: list[str] = Field(default_factory=list)
    rate_limit_auth: str = "10/minute"
    rate_limit_api: str = "300/minute"
    rate_limit_ai: str = "30/minute"
    # Install-wide provider keys (the seed's OPENAI_API_KEY, ANTHROPIC_API_KEY), used by tenants that
    # have not saved a key of their own for that provider.
    openai_api_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = None
    google_api_key: SecretStr | None = None
    ai_timeout_seconds: float = Field(default=60.0, gt=0, description="Per model request.")
    rate_limits_enabled: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    web_dist_dir: Path | None = None
    dbos_system_database_url: str | None = None
    # DBOS recovers, on start, the unfinished workflows of its own executor id: give each process of
    # a multi-process install a stable, unique id (e.g. "worker-0") so a restart resumes its work.
    binelek_executor_id: str = "local"
    jobs_enabled: bool = True
    outbox_poll_seconds: float = 1.0
    # Event streaming (kit/streaming.py): every outbox event is also published to this broker,
    # nats://… (JetStream) or redis://… / rediss://… (Redis Streams). A secret: it may carry a password.
    event_stream_url: SecretStr | None = None
    event_stream_name: str = "BINELEK"  # NATS: the stream, created if missing
    event_stream_subject_prefix: str = "binelek"  # NATS: subjects <prefix>.<tenant id>.<event type>
    event_stream_key_prefix: str | None = None  # Redis: stream key <prefix>events (unset: REDIS_PREFIX)
    event_stream_maxlen: int = Field(default=1_000_000, ge=1_000, description="Redis: approximate trim.")
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "Binelek <no-reply@localhost>"
    # Vector store (search/vectors.py open_vector_store): "qdrant" = the server at QDRANT_URL,
    # "database" = chunks in the application database (any number of processes, exact search),
    # "local" = Qdrant's local mode in $BINELEK_DATA_DIR/qdrant (one process per directory). Unset:
    # qdrant if QDRANT_URL is set, else database if DATABASE_URL is set, else local.
    vector_store: Literal["qdrant", "database", "local"] | None = None
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    # The database store keeps each searched tenant's matrix in memory, least recently used first out.
    vector_cache_mb: int = Field(default=256, ge=1)
    # Connectors. OAuth apps, install-wide, as JSON: {"shopify": {"client_id": "…", "client_secret": "…",
    # "webhook_secret": "…"}, …}; a provider without an entry can only be connected with a key.
    connector_clients: dict[str, dict[str, str]] = Field(default_factory=dict)
    # Send a provider's calls to another origin (a proxy, a sandbox, a local test server):
    # {"shopify": "http://127.0.0.1:9000"}. Unset: the provider's real hosts.
    connector_endpoints: dict[str, str] = Field(default_factory=dict)
    # Automations. An http_request step never reaches private, loopback or link-local addresses except
    # the hosts or networks listed here (e.g. "10.0.5.0/24", "erp.internal").
    automation_http_allowlist: list[str] = Field(default_factory=list)
    automation_http_max_bytes: int = Field(default=1_000_000, ge=1_000)
    automation_run_retention_days: int = Field(default=30, ge=1)
    # Security scanner. Nameservers as "host" or "host:port" (unset: the system resolver); an extra CA
    # bundle trusted by TLS and web checks (a private PKI, or the tests' own CA).
    security_dns_nameservers: list[str] = Field(default_factory=list)
    security_extra_ca_file: Path | None = None
    security_scan_interval_hours: int = Field(default=24, ge=1)
    security_scan_concurrency: int = Field(default=8, ge=1, le=64, description="Targets checked at once.")
    security_check_timeout_seconds: float = Field(default=10.0, gt=0)
    security_finding_retention_days: int = Field(default=400, ge=30)
    # Marketplace Intel fetches competitors' public pages; private, loopback and link-local targets are
    # refused unless this is set (development and tests).
    binelek_allow_private_targets: bool = False
    # Outgoing webhooks: seconds to wait before each attempt of a message (the first is usually 0),
    # comma-separated; the default spreads eight attempts over about 24 hours.
    webhook_retry_seconds: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0]
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # Volume of the demo business's generated history (`seed-demo`): 1.0 is about 20k orders.
    demo_scale: float = Field(
        default=1.0, gt=0, validation_alias=AliasChoices("demo_scale", "binelek_demo_scale")
    )

    @field_validator(
        "cors_origins",
        "automation_http_allowlist",
        "security_dns_nameservers",
        "webhook_retry_seconds",
        mode="before",
    )
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str) and not value.startswith("["):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    def install_wide_llm_key(self, provider: str) -> str | None:
        secret = {
            "openai": self.openai_api_key,
            "anthropic": self.anthropic_api_key,
            "google": self.google_api_key,
        }.get(provider)
        return secret.get_secret_value() if secret is not None else None

    @property
    def is_production(self) -> bool:
        return self.binelek_env == "production"

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @cached_property
    def sqlalchemy_url(self) -> str:
        """Async driver URL for the application database."""
        if self.database_url is None:
            return f"sqlite+aiosqlite:///{(self.binelek_data_dir / 'binelek.sqlite').resolve()}"
        return to_async_url(self.database_url)

    @cached_property
    def jobs_database_url(self) -> str:
        """Synchronous URL for DBOS's system database."""
        if self.dbos_system_database_url:
            return self.dbos_system_database_url
        if self.database_url is None:
            return f"sqlite:///{(self.binelek_data_dir / 'jobs.sqlite').resolve()}"
        return to_sync_url(self.database_url)

    @property
    def fernet_keys(self) -> list[str]:
        if not self.encryption_key:
            raise ConfigurationError("ENCRYPTION_KEY is not set")
        return [key.strip() for key in self.encryption_key.split(",") if key.strip()]

    @property
    def jwt_key(self) -> str:
        if not self.jwt_secret:
            raise ConfigurationError("JWT_SECRET is not set")
        return self.jwt_secret

    @property
    def secrets_path(self) -> Path:
        return self.binelek_data_dir / SECRETS_FILE


def to_async_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://") or url.startswith("postgresql+psycopg://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    return url


def to_sync_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    if scheme.startswith("postgres"):
        return "postgresql://" + rest
    if scheme.startswith("sqlite"):
        return "sqlite://" + rest
    return url


def _load_or_create_secrets(path: Path) -> dict[str, str]:
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    changed = False
    if "jwt_secret" not in stored:
        stored["jwt_secret"] = base64.urlsafe_b64encode(secrets.token_bytes(48)).decode()
        changed = True
    if "encryption_key" not in stored:
        stored["encryption_key"] = Fernet.generate_key().decode()
        changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            json.dump(stored, handle)
        temporary.replace(path)
    return stored


def save_encryption_keys(settings: Settings, keys: list[str]) -> None:
    """Persist a new key list for embedded mode (used by `binelek rotate-keys`)."""
    stored = _load_or_create_secrets(settings.secrets_path)
    stored["encryption_key"] = ",".join(keys)
    temporary = settings.secrets_path.with_suffix(".tmp")
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        json.dump(stored, handle)
    temporary.replace(settings.secrets_path)


def load_settings(**overrides: object) -> Settings:
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if settings.is_production:
        missing = [
            name
            for name, value in (
                ("DATABASE_URL", settings.database_url),
                ("JWT_SECRET", settings.jwt_secret),
                ("ENCRYPTION_KEY", settings.encryption_key),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError(f"production mode needs {', '.join(missing)}")
        if len(settings.jwt_key) < 32:
            raise ConfigurationError("JWT_SECRET must be at least 32 characters")
        return settings
    settings.binelek_data_dir.mkdir(parents=True, exist_ok=True)
    if not settings.jwt_secret or not settings.encryption_key:
        stored = _load_or_create_secrets(settings.secrets_path)
        settings.jwt_secret = settings.jwt_secret or stored["jwt_secret"]
        settings.encryption_key = settings.encryption_key or stored["encryption_key"]
    return settings
