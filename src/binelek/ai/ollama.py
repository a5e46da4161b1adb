"""A pydantic-ai model for Ollama's native chat API (`POST {base}/api/chat`).

pydantic-ai's own `OllamaModel` goes through Ollama's OpenAI-compatible `/v1` layer. The native API is
what every Ollama version serves, reports token usage on every answer (`prompt_eval_count` /
`eval_count`), streams NDJSON, and takes tool results by tool name, so Binelek talks to it directly.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import httpx2
from pydantic_ai import RunContext, usage
from pydantic_ai._thinking_part import split_content_into_text_and_thinking
from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelHTTPError,
    ModelNotFoundError,
    ModelOverloadedError,
    ModelQuotaExceededError,
    ModelRateLimitError,
    ModelRequestRejectedError,
    ModelServerError,
    ModelTimeoutError,
    ModelUnavailableError,
    TransportPhase,
    UnexpectedModelBehavior,
    UserError,
)
from pydantic_ai.messages import (
    BinaryContent,
    CachePoint,
    FinishReason,
    ImageUrl,
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ModelResponsePart,
    ModelResponseStreamEvent,
    SystemPromptPart,
    TextContent,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserContent,
    UserPromptPart,
)
from pydantic_ai.models import (
    Model,
    ModelRequestParameters,
    StreamedResponse,
    _sendable_request_parts,
    check_allow_model_requests,
    download_item,
)
from pydantic_ai.models._tool_choice import resolve_tool_choice
from pydantic_ai.profiles import DEFAULT_THINKING_TAGS, ModelProfile, ModelProfileSpec, merge_profile
from pydantic_ai.profiles.deepseek import deepseek_model_profile
from pydantic_ai.profiles.google import google_model_profile
from pydantic_ai.profiles.meta import meta_model_profile
from pydantic_ai.profiles.mistral import mistral_model_profile
from pydantic_ai.profiles.qwen import qwen_model_profile
from pydantic_ai.settings import ModelSettings
from pydantic_ai.tools import ToolDefinition

__all__ = ("OllamaChatModel", "OllamaStreamedResponse")

_FAMILY_PROFILES = {
    "llama": meta_model_profile,
    "gemma": google_model_profile,
    "qwen": qwen_model_profile,
    "qwq": qwen_model_profile,
    "deepseek": deepseek_model_profile,
    "mistral": mistral_model_profile,
}
# ModelSettings an Ollama request has an `options` field for.
_OPTION_NAMES = {
    "max_tokens": "num_predict",
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "seed": "seed",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "stop_sequences": "stop",
}
_FINISH_REASONS: dict[str, FinishReason] = {"stop": "stop", "length": "length"}
_Json = dict[str, Any]


@dataclass(init=False)
class OllamaChatModel(Model):
    """Ollama's native `/api/chat`, over an `httpx2.AsyncClient` the caller owns (it is never closed here)."""

    _unsupported_file_inputs = frozenset({"document", "audio", "video"})
    # Tool messages carry text only, so a tool's files go on the user channel, framed.
    _relocates_tool_files = True
    unsupported_settings = frozenset({"logit_bias", "max_retries", "parallel_tool_calls", "service_tier"})

    _model_name: str = field(repr=False)
    _base_url: str = field(repr=False)
    _api_key: str | None = field(repr=False)
    _http_client: httpx2.AsyncClient = field(repr=False)
    _timeout: float | None = field(repr=False)

    def __init__(
        self,
        model_name: str,
        *,
        base_url: str,
        http_client: httpx2.AsyncClient,
        api_key: str | None = None,
        timeout: float | None = None,
        profile: ModelProfileSpec | None = None,
        settings: ModelSettings | None = None,
    ) -> None:
        """`base_url` is the server origin (`http://127.0.0.1:11434`); `api_key`, when set, goes as a
        bearer token (Ollama Cloud, or a proxy in front of Ollama); `timeout` is per request, in seconds."""
        self._model_name = model_name
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._http_client = http_client
        self._timeout = timeout
        super().__init__(settings=settings, profile=profile)

    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def system(self) -> str:
        return "ollama"

    @property
    def base_url(self) -> str:
        return self._base_url

    def _provider_model_profile(self) -> ModelProfile:
        name = self._model_name.lower()
        family = next(
            (make(name) for prefix, make in _FAMILY_PROFILES.items() if name.startswith(prefix)), None
        )
        # `format` takes a JSON schema, so native structured output works on every model.
        return merge_profile(family, ModelProfile(supports_json_schema_output=True))

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        check_allow_model_requests()
        model_settings, model_request_parameters = self.prepare_request(
            model_settings, model_request_parameters
        )
        payload = await self._payload(messages, False, model_settings or {}, model_request_parameters)
        response = await self._send(payload, model_settings or {})
        try:
            data = self._decode(await response.aread())
        except httpx2.TransportError as e:
            raise _connection_error(self._model_name, e) from e
        finally:
            await response.aclose()
        return self._process_response(data)

    @asynccontextmanager
    async def request_stream(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
        run_context: RunContext[Any] | None = None,
    ) -> AsyncGenerator[StreamedResponse]:
        check_allow_model_requests()
        model_settings, model_request_parameters = self.prepare_request(
            model_settings, model_request_parameters
        )
        payload = await self._payload(messages, True, model_settings or {}, model_request_parameters)
        response = await self._send(payload, model_settings or {})
        try:
            yield OllamaStreamedResponse(
                model_request_parameters=model_request_parameters,
                _model_name=self._model_name,
                _model_profile=self.profile,
                _response=response,
                _provider_url=self._base_url,
            )
        finally:
            await response.aclose()

    # ------------------------------------------------------------------------------------ transport

    async def _send(self, payload: _Json, model_settings: ModelSettings) -> httpx2.Response:
        """POST the chat request; the body (JSON or NDJSON) is left for the caller to read."""
        headers = {"content-type": "application/json", "accept": "application/x-ndjson, application/json"}
        if self._api_key:
            headers["authorization"] = f"Bearer {self._api_key}"
        headers.update(model_settings.get("extra_headers") or {})
        request = self._http_client.build_request(
            "POST",
            f"{self._base_url}/api/chat",
            content=json.dumps(payload).encode(),
            headers=headers,
            timeout=self._request_timeout(model_settings),
        )
        try:
            response = await self._http_client.send(request, stream=True)
        except httpx2.TransportError as e:
            raise _connection_error(self._model_name, e) from e
        if response.status_code >= 400:
            try:
                await response.aread()
            except httpx2.TransportError as e:
                raise _connection_error(self._model_name, e) from e
            finally:
                await response.aclose()
            raise _http_error(self._model_name, response)
        return response

    def _request_timeout(self, model_settings: ModelSettings) -> float | httpx2.Timeout:
        setting = model_settings.get("timeout")
        if isinstance(setting, int | float):
            return float(setting)
        if setting is not None:
            # A legacy `httpx.Timeout`: the same phases, rebuilt for httpx2.
            return httpx2.Timeout(
                connect=setting.connect, read=setting.read, write=setting.write, pool=setting.pool
            )
        return self._timeout if self._timeout is not None else self._http_client.timeout

    def _decode(self, raw: bytes) -> _Json:
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ModelAPIError(self._model_name, f"Failed to decode response as JSON: {e}") from e
        if not isinstance(data, dict):
            raise UnexpectedModelBehavior("Ollama answered with something other than a JSON object")
        if "error" in data:
            raise ModelAPIError(self._model_name, str(data["error"]), body=data)
        return cast(_Json, data)

    # ---------------------------------------------------------------------------------- request body

    async def _payload(
        self,
        messages: list[ModelMessage],
        stream: bool,
        model_settings: ModelSettings,
        params: ModelRequestParameters,
    ) -> _Json:
        payload: _Json = {
            "model": self._model_name,
            "messages": await self._map_messages(messages, params),
            "stream": stream,
        }
        if tools := self._tools(model_settings, params):
            payload["tools"] = tools
        settings: Mapping[str, object] = model_settings
        options = {option: settings[name] for name, option in _OPTION_NAMES.items() if name in settings}
        if options:
            payload["options"] = options
        if params.output_mode == "native" and params.output_object is not None:
            payload["format"] = params.output_object.json_schema
        extra_body = model_settings.get("extra_body")
        if isinstance(extra_body, dict):
            payload.update(cast(_Json, extra_body))
        return payload

    def _tools(self, model_settings: ModelSettings, params: ModelRequestParameters) -> list[_Json]:
        # Ollama has no `tool_choice`: a restriction can only be expressed by the tools sent.
        choice = resolve_tool_choice(model_settings, params)
        tool_defs = params.declared_tool_defs
        if choice == "none":
            return []
        elif isinstance(choice, tuple):
            tool_defs = {name: t for name, t in tool_defs.items() if name in choice[1]}
        return [_tool_definition(t) for t in tool_defs.values()]

    async def _map_messages(
        self, messages: list[ModelMessage], params: ModelRequestParameters
    ) -> list[_Json]:
        mapped: list[_Json] = []
        for message in messages:
            if isinstance(message, ModelRequest):
                mapped.extend(await self._map_request(message))
            else:
                mapped.append(self._map_response(message))
        if instruction_parts := self._get_instruction_parts(messages, params):
            leading = next((i for i, m in enumerate(mapped) if m["role"] != "system"), len(mapped))
            mapped[leading:leading] = [
                {"role": "system", "content": part.content} for part in instruction_parts
            ]
        return mapped

    async def _map_request(self, message: ModelRequest) -> list[_Json]:
        mapped: list[_Json] = []
        tool_files: list[UserContent] = []
        for part in _sendable_request_parts(message.parts):
            if isinstance(part, SystemPromptPart):
                mapped.append({"role": "system", "content": part.content})
            elif isinstance(part, UserPromptPart):
                mapped.append(await _user_message(part.content))
            elif isinstance(part, ToolReturnPart):
                text, files = part.model_response_str_and_user_content()
                tool_files.extend(files)
                mapped.append({"role": "tool", "content": text, "tool_name": part.tool_name})
            else:
                raise UserError(
                    f"`{type(part).__name__}` cannot be sent to Ollama as-is; run `model.prepare_messages()` "
                    "first (an `Agent` does)."
                )
        if tool_files:
            mapped.append(await _user_message(tool_files))
        return mapped

    def _map_response(self, message: ModelResponse) -> _Json:
        texts: list[str] = []
        thinking: list[str] = []
        tool_calls: list[_Json] = []
        for part in message.parts:
            if isinstance(part, TextPart):
                texts.append(part.content)
            elif isinstance(part, ThinkingPart):
                thinking.append(part.content)
            elif isinstance(part, ToolCallPart):
                call = {"name": part.tool_name, "arguments": part.args_as_dict()}
                tool_calls.append({"function": call})
            # Other parts (native tools, files, compaction) come from providers Ollama can't replay.
        mapped: _Json = {"role": "assistant", "content": "\n\n".join(texts)}
        if thinking:
            mapped["thinking"] = "\n\n".join(thinking)
        if tool_calls:
            mapped["tool_calls"] = tool_calls
        return mapped

    # --------------------------------------------------------------------------------- response body

    def _process_response(self, data: _Json) -> ModelResponse:
        message = data.get("message") or {}
        parts: list[ModelResponsePart] = []
        if thinking := message.get("thinking"):
            parts.append(ThinkingPart(content=thinking))
        if content := message.get("content"):
            parts.extend(
                split_content_into_text_and_thinking(
                    content, self.profile.get("thinking_tags", DEFAULT_THINKING_TAGS)
                )
            )
        for call in message.get("tool_calls") or []:
            parts.append(_tool_call_part(call))
        return ModelResponse(
            parts=parts,
            usage=_usage(data),
            model_name=data.get("model") or self._model_name,
            provider_name=self.system,
            provider_url=self._base_url,
            finish_reason=_finish_reason(data, bool(message.get("tool_calls"))),
            provider_details=_provider_details(data),
        )


@dataclass
class OllamaStreamedResponse(StreamedResponse):
    """An NDJSON `/api/chat` stream: `message` deltas, then a final line with `done: true` and the usage."""

    _model_name: str
    _model_profile: ModelProfile
    _response: httpx2.Response
    _provider_url: str
    _timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))
    _usage_received: bool | None = field(default=False, init=False)
    _saw_tool_call: bool = field(default=False, init=False)

    async def close_stream(self) -> None:
        await self._response.aclose()

    async def _get_event_iterator(self) -> AsyncIterator[ModelResponseStreamEvent]:
        try:
            async for line in self._response.aiter_lines():
                if line.strip():
                    for event in self._map_line(self._parse(line)):
                        yield event
        except httpx2.TransportError as e:
            raise _connection_error(self._model_name, e) from e

    def _parse(self, line: str) -> _Json:
        try:
            data = json.loads(line)
        except json.JSONDecodeError as e:
            raise ModelAPIError(self._model_name, f"Failed to decode stream line as JSON: {e}") from e
        if not isinstance(data, dict):
            raise UnexpectedModelBehavior("Ollama streamed something other than a JSON object")
        if "error" in data:
            raise ModelAPIError(self._model_name, str(data["error"]), body=data, in_stream=True)
        return cast(_Json, data)

    def _map_line(self, data: _Json) -> Iterator[ModelResponseStreamEvent]:
        message = data.get("message") or {}
        if thinking := message.get("thinking"):
            yield from self._parts_manager.handle_thinking_delta(vendor_part_id="thinking", content=thinking)
        if content := message.get("content"):
            yield from self._parts_manager.handle_text_delta(
                vendor_part_id="content",
                content=content,
                thinking_tags=self._model_profile.get("thinking_tags", DEFAULT_THINKING_TAGS),
                ignore_leading_whitespace=self._model_profile.get(
                    "ignore_streamed_leading_whitespace", False
                ),
            )
        for call in message.get("tool_calls") or []:
            # Ollama sends each tool call whole, so each one is a new part.
            self._saw_tool_call = True
            part = _tool_call_part(call)
            yield self._parts_manager.handle_tool_call_part(
                vendor_part_id=None, tool_name=part.tool_name, args=part.args, tool_call_id=part.tool_call_id
            )
        if data.get("done"):
            self._add_usage(_usage(data), reported=_reports_usage(data))
            self.finish_reason = _finish_reason(data, self._saw_tool_call)
            self.provider_details = _provider_details(data)

    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def provider_name(self) -> str:
        return "ollama"

    @property
    def provider_url(self) -> str:
        return self._provider_url

    @property
    def timestamp(self) -> datetime:
        return self._timestamp


# ------------------------------------------------------------------------------------------ helpers


def _tool_definition(tool: ToolDefinition) -> _Json:
    function: _Json = {"name": tool.name, "parameters": tool.parameters_json_schema}
    if tool.description:
        function["description"] = tool.description
    return {"type": "function", "function": function}


def _tool_call_part(call: _Json) -> ToolCallPart:
    function = call.get("function") or {}
    arguments = function.get("arguments")
    # Ollama sends arguments as an object; some models put a JSON string there instead.
    args: dict[str, Any] | str | None = arguments if isinstance(arguments, dict | str) else None
    if call.get("id"):
        return ToolCallPart(str(function.get("name", "")), args, tool_call_id=str(call["id"]))
    return ToolCallPart(str(function.get("name", "")), args)


async def _user_message(content: str | list[UserContent] | Any) -> _Json:
    if isinstance(content, str):
        return {"role": "user", "content": content}
    texts: list[str] = []
    images: list[str] = []
    for item in content:
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, TextContent):
            texts.append(item.content)
        elif isinstance(item, BinaryContent) and item.is_image:
            images.append(base64.b64encode(item.data).decode())
        elif isinstance(item, ImageUrl):
            downloaded = await download_item(item, data_format="base64")
            images.append(downloaded["data"])
        elif isinstance(item, CachePoint):
            continue  # Ollama has no prompt-cache markers
        else:
            raise UserError(f"Ollama chat takes text and images, not {type(item).__name__}")
    message: _Json = {"role": "user", "content": "\n".join(texts)}
    if images:
        message["images"] = images
    return message


def _usage(data: _Json) -> usage.RequestUsage:
    if not _reports_usage(data):
        return usage.RequestUsage(unmeasured_requests=1)
    # Ollama leaves prompt_eval_count out when the whole prompt came from its cache.
    return usage.RequestUsage(
        input_tokens=int(data.get("prompt_eval_count") or 0), output_tokens=int(data.get("eval_count") or 0)
    )


def _reports_usage(data: _Json) -> bool:
    return "prompt_eval_count" in data or "eval_count" in data


def _finish_reason(data: _Json, called_tools: bool) -> FinishReason | None:
    if called_tools:
        return "tool_call"
    return _FINISH_REASONS.get(str(data.get("done_reason") or ""))


def _provider_details(data: _Json) -> dict[str, Any]:
    details: dict[str, Any] = {"done_reason": data.get("done_reason")}
    if created := _parse_created_at(data.get("created_at")):
        details["timestamp"] = created
    return details


def _parse_created_at(value: object) -> datetime | None:
    """Ollama stamps answers with nanoseconds, which `fromisoformat` in 3.11 rejects beyond microseconds."""
    if not isinstance(value, str):
        return None
    head, dot, tail = value.partition(".")
    if dot:
        digits = "".join(c for c in tail if c.isdigit())
        value = f"{head}.{digits[:6]}{tail[len(digits) :]}"
    try:
        created = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return created if created.tzinfo else created.replace(tzinfo=UTC)


_HTTPCategory = type[
    ModelRateLimitError
    | ModelQuotaExceededError
    | ModelUnavailableError
    | ModelServerError
    | ModelRequestRejectedError
]


def _status_category(status: int, message: str) -> _HTTPCategory | None:
    """The pydantic-ai error category of an Ollama HTTP error (it answers 503 when its queue is full)."""
    if status in (401, 403):
        return ModelAuthenticationError
    if status == 404:
        return ModelNotFoundError
    if status in (400, 422):
        return ModelRequestRejectedError
    if status == 402:
        return ModelQuotaExceededError
    if status == 429:
        return ModelRateLimitError
    if status == 529 or (status == 503 and any(w in message.lower() for w in ("overloaded", "busy"))):
        return ModelOverloadedError
    if status == 503:
        return ModelUnavailableError
    return ModelServerError if status >= 500 else None


def _http_error(model_name: str, response: httpx2.Response) -> ModelHTTPError:
    text = response.text
    body: object = text
    message = text
    try:
        body = json.loads(text)
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            message = body["error"]
    except ValueError:
        pass
    return ModelHTTPError.for_category(
        _status_category(response.status_code, message),
        status_code=response.status_code,
        model_name=model_name,
        body=body,
        headers=dict(response.headers),
    )


def _connection_error(model_name: str, error: httpx2.TransportError) -> ModelConnectionError:
    message = str(error) or type(error).__name__
    if isinstance(error, httpx2.TimeoutException):
        return ModelTimeoutError(model_name, message, phase=_phase(error))
    return ModelConnectionError(model_name, message, phase=_phase(error))


def _phase(error: httpx2.TransportError) -> TransportPhase | None:
    if isinstance(error, httpx2.ConnectError | httpx2.ConnectTimeout):
        return "connect"
    if isinstance(error, httpx2.PoolTimeout):
        return "pool"
    if isinstance(error, httpx2.WriteError | httpx2.WriteTimeout):
        return "write"
    if isinstance(error, httpx2.ReadError | httpx2.ReadTimeout | httpx2.RemoteProtocolError):
        return "read"
    return None
