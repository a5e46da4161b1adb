"""Steps with an effect outside our database: e-mail, HTTP requests, language models.

Each attempt is one checkpointed step of the run's durable workflow, so a finished effect is never
repeated by a replay. The window no engine can close — the process dies after the effect and before
its checkpoint — is covered per effect: e-mail carries the run's step as an idempotency key (a
message already recorded as sent is not sent again), HTTP requests send an `Idempotency-Key` header
the receiver can dedupe on, and a repeated model call only costs tokens.

HTTP requests are guarded against server-side request forgery: the host is resolved once, every
address must be public (unless allow-listed in settings), and the connection goes to that checked
address (with the original Host and TLS name), so a DNS answer that changes between the check and the
connection cannot redirect it inward. Redirects are followed by hand, each one checked the same way.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from binelek.kit.errors import ProblemError
from binelek.kit.settings import Settings
from binelek.kit.state import AppState
from binelek.ops.automation.engine import StepFailed

MAX_REDIRECTS = 5
DEFAULT_TIMEOUT = 30.0
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "Binelek-Automation/1.0"


@dataclass(frozen=True, slots=True)
class EffectContext:
    tenant_id: uuid.UUID
    run_id: uuid.UUID
    path: str
    actor_id: uuid.UUID | None  # who the run acts for: its starter, else the workflow's creator

    @property
    def idempotency_key(self) -> str:
        return f"{self.run_id}:{self.path}"


async def perform(
    state: AppState, context: EffectContext, step_type: str, config: dict[str, Any], seconds: float | None
) -> dict[str, Any]:
    runner = {"send_email": _send_email, "http_request": _http_request, "llm": _llm}[step_type]
    try:
        async with asyncio.timeout(seconds or DEFAULT_TIMEOUT):
            return await runner(state, context, config)
    except TimeoutError:
        raise StepFailed(
            f"no result within {seconds or DEFAULT_TIMEOUT:g} s", code="TIMEOUT", retryable=True
        ) from None


# -- e-mail -----------------------------------------------------------------------------------------


async def _send_email(state: AppState, context: EffectContext, config: dict[str, Any]) -> dict[str, Any]:
    from binelek.ops import email

    recipients = config["to"] if isinstance(config["to"], list) else [config["to"]]
    addresses = [
        address.strip() for item in recipients for address in str(item).split(",") if address.strip()
    ]
    if not addresses:
        raise StepFailed("the e-mail has no recipient", code="INVALID_EMAIL")
    try:
        message = await email.send_message(
            state.db,
            state.settings,
            context.tenant_id,
            to=addresses,
            subject=str(config["subject"]),
            body=str(config["body"]),
            sent_by=None,
            idempotency_key=context.idempotency_key,
            workflow_run_id=context.run_id,
        )
    except ProblemError as exc:
        raise StepFailed(exc.detail, code=exc.code, retryable=bool(getattr(exc, "retryable", False))) from exc
    return {
        "message_id": str(message.id),
        "to": addresses,
        "subject": message.subject,
        "via": message.via,
        "status": message.status,
    }


# -- HTTP -------------------------------------------------------------------------------------------


def _allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address, host: str, allowlist: list[str]) -> bool:
    if address.is_global and not address.is_multicast:
        return True
    for entry in allowlist:
        if entry.lower() == host.lower():
            return True
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


async def checked_address(url: str, settings: Settings) -> tuple[str, str, int]:
    """(scheme, checked IP, port) for `url`, or StepFailed when the target is not allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StepFailed(f"{url!r} is not an http(s) URL", code="INVALID_URL")
    if parts.username or parts.password:
        raise StepFailed("credentials in the URL are not allowed; use a header", code="INVALID_URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise StepFailed(f"cannot resolve {parts.hostname}", code="DNS_FAILED", retryable=True) from None
    addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
    blocked = [a for a in addresses if not _allowed(a, parts.hostname, settings.automation_http_allowlist)]
    if blocked:
        raise StepFailed(
            f"{parts.hostname} resolves to a private or reserved address ({blocked[0]}); "
            "add it to AUTOMATION_HTTP_ALLOWLIST to allow it",
            code="TARGET_NOT_ALLOWED",
        )
    return parts.scheme, str(sorted(addresses, key=str)[0]), port


async def _http_request(state: AppState, context: EffectContext, config: dict[str, Any]) -> dict[str, Any]:
    settings = state.settings
    method = str(config.get("method", "POST")).upper()
    headers = {str(k): str(v) for k, v in (config.get("headers") or {}).items()}
    headers.setdefault("User-Agent", USER_AGENT)
    headers.setdefault("Idempotency-Key", context.idempotency_key)
    body = config.get("body")
    content: bytes | None = None
    if isinstance(body, dict | list):
        content = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    elif body is not None:
        content = str(body).encode()
    url = str(config["url"])
    if config.get("query"):
        url = str(httpx.URL(url, params={str(k): str(v) for k, v in config["query"].items()}))
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(30.0), follow_redirects=False, trust_env=False
    ) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            response, text = await _one_request(client, settings, method, url, headers, content)
            if response.is_redirect and "location" in response.headers:
                url = str(httpx.URL(url).join(response.headers["location"]))
                if response.status_code in (301, 302, 303):
                    method, content = ("GET", None) if method != "HEAD" else (method, None)
                continue
            return _http_output(response, text, bool(config.get("fail_on_status", True)))
    raise StepFailed(f"more than {MAX_REDIRECTS} redirects", code="TOO_MANY_REDIRECTS")


async def _one_request(
    client: httpx.AsyncClient,
    settings: Settings,
    method: str,
    url: str,
    headers: dict[str, str],
    content: bytes | None,
) -> tuple[httpx.Response, str]:
    scheme, address, port = await checked_address(url, settings)
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    pinned = urlunsplit((scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
    request_headers = {**headers, "Host": parts.netloc.rsplit("@", 1)[-1]}
    extensions = {"sni_hostname": host} if scheme == "https" else {}
    limit = settings.automation_http_max_bytes
    try:
        request = client.build_request(
            method, pinned, headers=request_headers, content=content, extensions=extensions
        )
        response = await client.send(request, stream=True)
        try:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise StepFailed(
                        f"the response is larger than {limit:,} bytes", code="RESPONSE_TOO_LARGE"
                    )
                chunks.append(chunk)
        finally:
            await response.aclose()
    except httpx.TimeoutException:
        raise StepFailed(f"{host} did not answer in time", code="TIMEOUT", retryable=True) from None
    except httpx.HTTPError as exc:
        raise StepFailed(f"{host}: {type(exc).__name__}", code="HTTP_FAILED", retryable=True) from None
    raw = b"".join(chunks)
    return response, raw.decode(response.encoding or "utf-8", errors="replace")


def _http_output(response: httpx.Response, text: str, fail_on_status: bool) -> dict[str, Any]:
    parsed: Any = text
    if "json" in response.headers.get("content-type", ""):
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
    output = {
        "status": response.status_code,
        "headers": {
            k: v for k, v in response.headers.items() if k.lower() in ("content-type", "location", "etag")
        },
        "body": parsed,
    }
    if fail_on_status and response.status_code >= 400:
        retryable = response.status_code in RETRYABLE_STATUS
        raise StepFailed(
            f"the server answered {response.status_code}",
            code=f"HTTP_{response.status_code}",
            retryable=retryable,
        )
    return output


# -- language models --------------------------------------------------------------------------------


async def _llm(state: AppState, context: EffectContext, config: dict[str, Any]) -> dict[str, Any]:
    from datetime import UTC, datetime

    from binelek.ai import service as ai
    from binelek.foundry import service as foundry
    from binelek.identity.models import Tenant

    async with state.db.session(tenant_id=context.tenant_id) as session:
        tenant = await session.get(Tenant, context.tenant_id)
        assert tenant is not None
        timezone = await foundry.tenant_timezone(session, context.tenant_id)
        principal = _acting_principal(context, tenant)
        system = str(config.get("system") or "You help a small business automate its work. Answer briefly.")
        if config.get("output") == "json":
            system += " Reply with exactly one JSON object and nothing else."
        try:
            reply = await ai.complete_json(
                state,
                session,
                principal,
                system=system,
                prompt=str(config["prompt"]),
                module="ops-copilot",
                now=datetime.now(UTC),
                timezone=timezone,
            )
        except ProblemError as exc:
            raise StepFailed(
                exc.detail, code=exc.code, retryable=exc.status >= 500 or exc.status == 429
            ) from exc
    if reply is None:
        raise StepFailed(
            "no AI provider is configured for Ops Copilot; add a key in Settings → AI",
            code="AI_PROVIDER_NOT_CONFIGURED",
        )
    text, provider = reply
    if config.get("output") != "json":
        return {"text": text, "provider": provider}
    try:
        return {"json": json.loads(_strip_fences(text)), "provider": provider}
    except ValueError:
        raise StepFailed("the model did not answer with JSON", code="LLM_BAD_JSON", retryable=True) from None


def _strip_fences(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[-1].rsplit("```", 1)[0]
    return stripped


def _acting_principal(context: EffectContext, tenant: Any) -> Any:
    from binelek.identity.models import MODULES
    from binelek.kit.auth import Principal

    actor = context.actor_id or uuid.uuid5(uuid.NAMESPACE_URL, f"binelek:automation:{context.tenant_id}")
    return Principal(
        tenant_id=context.tenant_id,
        tenant_name=tenant.name,
        role="member",
        plan=tenant.plan,
        modules=tuple(tenant.modules or MODULES),
        user_id=actor,
    )
