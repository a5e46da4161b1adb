"""pydantic-ai models for the remote LLM providers, and what a failure of one of them means.

Every model is built with its SDK's own retries off (`max_retries=0`, one attempt for Gemini), so a
failing provider surfaces within one timeout and the caller's fallback decides what happens next.
HTTP connections are pooled in one `httpx2.AsyncClient` per (provider, base URL) and event loop: the
SDK clients on top carry the API key and the timeout, the pool is shared.

`base_url` follows the app's convention (`PROVIDERS[...].default_base_url`): OpenAI's includes `/v1`
(so any OpenAI-compatible server, like llama.cpp or vLLM, works by its base URL); Anthropic's,
Gemini's and Ollama's are the bare origin.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections.abc import Iterable, Iterator
from typing import Literal

import anthropic
import google.genai.errors
import httpx
import httpx2
import openai
from google.genai import Client as GoogleClient
from google.genai.types import HttpOptions, HttpRetryOptions
from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelHTTPError,
    ModelQuotaExceededError,
    ModelRateLimitError,
    ModelRequestRejectedError,
    ModelRequestTimeout,
    ModelServerError,
    ModelTimeoutError,
    ModelUnavailableError,
)
from pydantic_ai.models import Model, create_async_httpx2_client, get_user_agent
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.google import GoogleModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.google import GoogleProvider
from pydantic_ai.providers.openai import OpenAIProvider

from binelek.ai.ollama import OllamaChatModel
from binelek.ai.providers import PROVIDERS

__all__ = (
    "REMOTE_PROVIDERS",
    "FailureKind",
    "build_model",
    "classify_failure",
    "close_shared_clients",
    "describe_failure",
)

FailureKind = Literal[
    "bad_key", "rate_limited", "timeout", "overloaded", "bad_request", "unreachable", "provider_error"
]
REMOTE_PROVIDERS = ("openai", "anthropic", "google", "ollama")
# The pool's own connect and idle-pool waits; each request's overall timeout comes from the SDK client.
_CONNECT_SECONDS = 5.0
# OpenAI's SDK insists on a key; servers that take none (llama.cpp, vLLM) ignore this one.
_KEYLESS_PLACEHOLDER = "api-key-not-set"

_shared_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, str], httpx2.AsyncClient]
] = weakref.WeakKeyDictionary()


def build_model(
    provider: str,
    model_name: str,
    api_key: str | None,
    base_url: str | None,
    *,
    timeout_seconds: float = 60.0,
) -> Model:
    """A pydantic-ai model for `model_name` at `provider`, failing fast: no SDK retries, one timeout.

    Raises ValueError for a provider that isn't remote, or one that needs a key when none is given.
    """
    if provider not in REMOTE_PROVIDERS:
        raise ValueError(f"no remote model for provider {provider!r}")
    url = (base_url or PROVIDERS[provider].default_base_url or "").rstrip("/")
    http_client = shared_http_client(provider, url)
    if provider == "openai":
        return _openai_model(model_name, api_key, url, http_client, timeout_seconds)
    if provider == "anthropic":
        return _anthropic_model(model_name, _required(provider, api_key), url, http_client, timeout_seconds)
    if provider == "google":
        return _google_model(model_name, _required(provider, api_key), url, http_client, timeout_seconds)
    return OllamaChatModel(
        model_name, base_url=url, http_client=http_client, api_key=api_key or None, timeout=timeout_seconds
    )


def _required(provider: str, api_key: str | None) -> str:
    if not api_key:
        # Never fall back to the SDKs' environment variables: the key must be the tenant's own.
        raise ValueError(f"provider {provider!r} needs an API key")
    return api_key


def _openai_model(
    model_name: str, api_key: str | None, url: str, http_client: httpx2.AsyncClient, timeout: float
) -> Model:
    client = openai.AsyncOpenAI(
        api_key=api_key or _KEYLESS_PLACEHOLDER,
        base_url=url,
        http_client=http_client,
        max_retries=0,
        timeout=timeout,
    )
    return OpenAIChatModel(model_name, provider=OpenAIProvider(openai_client=client))


def _anthropic_model(
    model_name: str, api_key: str, url: str, http_client: httpx2.AsyncClient, timeout: float
) -> Model:
    client = anthropic.AsyncAnthropic(
        api_key=api_key, base_url=url, http_client=http_client, max_retries=0, timeout=timeout
    )
    return AnthropicModel(model_name, provider=AnthropicProvider(anthropic_client=client))


def _google_model(
    model_name: str, api_key: str, url: str, http_client: httpx2.AsyncClient, timeout: float
) -> Model:
    options = HttpOptions(
        base_url=url,
        headers={"user-agent": get_user_agent()},
        httpx_async_client=http_client,
        timeout=int(timeout * 1000),  # milliseconds
        retry_options=HttpRetryOptions(attempts=1),
    )
    client = GoogleClient(vertexai=False, api_key=api_key, http_options=options)
    return GoogleModel(model_name, provider=GoogleProvider(client=client))


def shared_http_client(provider: str, base_url: str) -> httpx2.AsyncClient:
    """The pooled HTTP client for (provider, base_url) on the running event loop.

    Connections belong to the loop that opened them, so the pool is per loop; without a running loop
    the caller gets a client of its own.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return _new_http_client()
    clients = _shared_clients.setdefault(loop, {})
    client = clients.get((provider, base_url))
    if client is None or client.is_closed:
        client = clients[(provider, base_url)] = _new_http_client()
    return client


def _new_http_client() -> httpx2.AsyncClient:
    # Redirects stay off (httpx2's default): a provider never redirects an API call, and following one
    # would send the key elsewhere.
    return create_async_httpx2_client(timeout=httpx2.Timeout(60.0, connect=_CONNECT_SECONDS))


async def close_shared_clients() -> None:
    """Close the pooled clients of the running event loop (at application shutdown)."""
    clients = _shared_clients.pop(asyncio.get_running_loop(), {})
    for client in clients.values():
        await client.aclose()


# ----------------------------------------------------------------------------------- failures


def classify_failure(exc: BaseException) -> FailureKind:
    """What kind of failure `exc` (raised by a model built here, its SDK or httpx) is.

    Only the exception's type and status code are read, never its message, which may repeat the key.
    """
    for candidate in _candidates(exc):
        if (kind := _classify_one(candidate)) is not None:
            return kind
    return "provider_error"


def describe_failure(exc: BaseException, *, secrets: Iterable[str] = ()) -> str:
    """A short, log-safe account of `exc`: its kind, status and the provider's error code/type tokens.

    Built from structured fields only, never the provider's message or body (which may echo the key);
    any of `secrets` that still turns up is masked.
    """
    kind = classify_failure(exc)
    root = next((c for c in _candidates(exc) if _classify_one(c) is not None), exc)
    details = [type(root).__name__]
    if (status := _status_of(root)) is not None:
        details.append(f"HTTP {status}")
    if isinstance(root, ModelAPIError):
        details.extend(_token(t) for t in (root.provider_error_type, root.provider_error_code) if _token(t))
    text = f"{kind} ({', '.join(details)})"
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def _token(value: object) -> str:
    """A provider's error code or type, if it looks like one (an identifier, not free text)."""
    return value if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", value) else ""


def _candidates(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, the members of an exception group (a fallback's), then what it was raised from."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        if current.__cause__ is not None:
            pending.append(current.__cause__)


def _classify_one(exc: BaseException) -> FailureKind | None:
    # pydantic-ai's categories first: they read the provider's own error code, not just the status.
    if isinstance(exc, ModelAuthenticationError):
        return "bad_key"
    if isinstance(exc, ModelRateLimitError | ModelQuotaExceededError):
        return "rate_limited"
    if isinstance(exc, ModelUnavailableError):
        return "overloaded"
    if isinstance(exc, ModelTimeoutError | ModelRequestTimeout | TimeoutError):
        return "timeout"
    if isinstance(exc, ModelConnectionError):
        return "unreachable"
    if isinstance(exc, ModelRequestRejectedError):
        return "bad_request"
    if isinstance(exc, ModelServerError):
        return "provider_error"
    if isinstance(exc, openai.APITimeoutError | anthropic.APITimeoutError | httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx2.TimeoutException):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError | anthropic.APIConnectionError | ConnectionError):
        return "unreachable"
    if isinstance(exc, httpx.TransportError | httpx2.TransportError):
        return "unreachable"
    if isinstance(exc, google.genai.errors.ClientError) and _google_key_invalid(exc):
        return "bad_key"
    if (status := _status_of(exc)) is not None:
        return _classify_status(status)
    # Anything else, a bare ModelAPIError included, may have been raised from something telling.
    return None


def _status_of(exc: BaseException) -> int | None:
    if isinstance(exc, ModelHTTPError):
        return exc.status_code
    if isinstance(exc, openai.APIStatusError | anthropic.APIStatusError):
        return exc.status_code
    if isinstance(exc, google.genai.errors.APIError):
        return exc.code
    if isinstance(exc, httpx.HTTPStatusError | httpx2.HTTPStatusError):
        return exc.response.status_code
    return None


def _google_key_invalid(exc: google.genai.errors.ClientError) -> bool:
    """Gemini answers a wrong key with 400 INVALID_ARGUMENT whose ErrorInfo reason is API_KEY_INVALID."""
    details = exc.details.get("error", {}).get("details", []) if isinstance(exc.details, dict) else []
    return any(isinstance(d, dict) and d.get("reason") == "API_KEY_INVALID" for d in details)


def _classify_status(status: int) -> FailureKind:
    if status in (401, 403):
        return "bad_key"
    if status in (402, 429):
        return "rate_limited"
    if status in (503, 529):
        return "overloaded"
    if status in (408, 504):
        return "timeout"
    if 400 <= status < 500:
        return "bad_request"
    return "provider_error"
