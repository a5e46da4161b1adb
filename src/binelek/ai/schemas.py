from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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


class QueryIn(BaseModel):
    """A question or command for the agent, or the user's decision on an action it proposed."""

    query: str | None = Field(default=None, min_length=1, max_length=1000)
    conversation_id: uuid.UUID | None = None
    module: ModuleName | None = None
    confirm: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="Run the proposed action with this tool-call id.",
    )
    cancel: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="Drop the proposed action with this tool-call id.",
    )
    timezone: str | None = Field(
        default=None, max_length=64, description="The user's IANA time zone, for dates like “next Tuesday”."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError("not a known IANA time zone, e.g. Europe/London") from None
        return value

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("ask something: the query is blank")
        return value.strip() if value is not None else None

    @model_validator(mode="after")
    def _one_intent(self) -> QueryIn:
        given = [name for name in ("query", "confirm", "cancel") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("send exactly one of query, confirm or cancel")
        if self.query is None and self.conversation_id is None:
            raise ValueError("confirm and cancel need the conversation_id of the proposed action")
        return self


class ToolResultOut(BaseModel):
    summary: str
    data: Any = None


class ToolCallOut(BaseModel):
    id: str
    tool: str
    args: dict[str, Any]
    status: Literal["done", "needs_confirmation", "denied", "failed", "cancelled"]
    result: ToolResultOut | None = None
    error: str | None = None


class SourceOut(BaseModel):
    kind: str
    id: str
    title: str
    url: str


class SuggestedAction(BaseModel):
    label: str
    path: str


class TokenUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int


class QueryAnswer(BaseModel):
    answer: str
    conversation_id: uuid.UUID
    tool_calls: list[ToolCallOut]
    sources: list[SourceOut]
    suggested_actions: list[SuggestedAction]
    provider: ProviderId
    model: str
    usage: TokenUsage
    fallback_from: ProviderId | None = Field(
        default=None, description="Set when the default provider failed and the fallback answered."
    )


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    module: ModuleName | None
    created_at: datetime
    updated_at: datetime


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    role: Literal["user", "assistant"]
    content: str
    tool_calls: list[ToolCallOut]
    sources: list[SourceOut]
    provider: ProviderId | None
    model: str | None
    created_at: datetime


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]


class UsageDay(BaseModel):
    day: date
    provider: ProviderId
    queries: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: Decimal


class UsageReport(BaseModel):
    month_start: date
    month_tokens: int = Field(description="Tokens this calendar month on metered (non-local) providers.")
    month_cost_usd: Decimal
    monthly_token_budget: int | None
    days: list[UsageDay]
