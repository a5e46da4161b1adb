"""The LLM providers Binelek speaks to, and checking a key against its provider.

The check calls each provider's cheapest authenticated endpoint (its model list), so a typo is
caught when the key is saved rather than at the first question.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import httpx


class KeyCheck(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    UNREACHABLE = "unverified"


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    models: tuple[str, ...]
    requires_key: bool
    default_base_url: str | None


PROVIDERS: dict[str, Provider] = {
    provider.id: provider
    for provider in (
        Provider("local", "Built-in offline engine", ("binelek-local",), False, None),
        Provider(
            "openai",
            "OpenAI",
            ("gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini", "o4-mini"),
            True,
            "https://api.openai.com/v1",
        ),
        Provider(
            "anthropic",
            "Anthropic",
            ("claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"),
            True,
            "https://api.anthropic.com",
        ),
        Provider(
            "google",
            "Google Gemini",
            ("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"),
            True,
            "https://generativelanguage.googleapis.com",
        ),
        Provider(
            "ollama",
            "Ollama (or any local model server)",
            ("llama3.2", "qwen2.5", "mistral"),
            False,
            "http://127.0.0.1:11434",
        ),
    )
}
PROVIDER_IDS = tuple(PROVIDERS)
CHECK_TIMEOUT = httpx.Timeout(5.0, connect=3.0)


def _check_request(provider: str, api_key: str, base_url: str) -> httpx.Request:
    base = base_url.rstrip("/")
    if provider == "openai":
        return httpx.Request("GET", f"{base}/models", headers={"Authorization": f"Bearer {api_key}"})
    if provider == "anthropic":
        return httpx.Request(
            "GET", f"{base}/v1/models", headers={"x-api-key": api_key, "anthropic-version": "2023-06-01"}
        )
    if provider == "google":
        return httpx.Request("GET", f"{base}/v1beta/models", headers={"x-goog-api-key": api_key})
    if provider == "ollama":
        return httpx.Request("GET", f"{base}/api/tags")
    raise ValueError(f"no key check for provider {provider!r}")


async def check_key(provider: str, api_key: str, base_url: str | None) -> KeyCheck:
    """VALID when the provider accepts the key, INVALID when it refuses it (401/403), UNREACHABLE
    when it cannot tell (network error, timeout, 429, 5xx)."""
    if provider == "local":
        return KeyCheck.VALID
    try:
        request = _check_request(provider, api_key, base_url or PROVIDERS[provider].default_base_url or "")
        async with httpx.AsyncClient(timeout=CHECK_TIMEOUT, follow_redirects=False) as client:
            response = await client.send(request)
    except (httpx.HTTPError, httpx.InvalidURL, UnicodeError):
        return KeyCheck.UNREACHABLE
    if response.status_code in (401, 403) or (provider == "google" and response.status_code == 400):
        return KeyCheck.INVALID
    if response.is_success:
        return KeyCheck.VALID
    return KeyCheck.UNREACHABLE
