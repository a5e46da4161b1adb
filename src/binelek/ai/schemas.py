from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

ProviderId = Literal["openai", "anthropic", "google", "ollama", "local"]
ModuleName = Literal["ops-copilot", "mini-foundry", "cybersecurity-scanner", "marketplace-intel"]
KeyStatus = Literal["valid", "invalid", "unverified"]


class ProviderOut(BaseModel):
    id: ProviderId
    name: str
    models: list[str]
    configured: bool
    requires_key: bool
    default_base_url: str | None


class ProviderList(BaseModel):
    items: list[ProviderOut]


class LlmApiKeyIn(BaseModel):
    provider: Literal["openai", "anthropic", "google", "ollama"]
    api_key: str = Field(default="", max_length=500)
    label: str | None = Field(default=None, max_length=100)
    base_url: str | None = Field(default=None, max_length=500)

    @field_validator("api_key")
    @classmethod
    def _printable_key(cls, value: str) -> str:
        value = value.strip()
        # Keys travel in HTTP headers: printable ASCII only.
        if any(not (33 <= ord(character) <= 126) for character in value):
            raise ValueError("an API key has only printable ASCII characters and no spaces")
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        try:
            url = httpx.URL(value)
        except (httpx.InvalidURL, ValueError):
            raise ValueError("not a valid URL") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("use an http:// or https:// URL with a host")
        return value


class LlmApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    provider: ProviderId
    label: str
    last4: str
    base_url: str | None
    status: KeyStatus
    created_at: datetime
    last_verified_at: datetime | None


class ModuleOverride(BaseModel):
    provider: ProviderId
    model: str | None = Field(default=None, max_length=100)


class LlmSettingsBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    default_provider: ProviderId = "local"
    default_model: str | None = Field(default=None, max_length=100)
    temperature: float = Field(default=0.2, ge=0, le=2)
    module_overrides: dict[ModuleName, ModuleOverride] = Field(default_factory=dict)
    fallback_provider: ProviderId | None = None
    monthly_token_budget: int | None = Field(default=None, ge=0, le=10**12)
    auto_run_write_tools: bool = False
