"""Local HTTP servers that speak the LLM providers' real wire protocols, for driving agents offline.

`FakeLLM(provider)` starts one server on 127.0.0.1 (a free port) that answers like OpenAI's Chat
Completions, Anthropic's Messages, the Gemini API's generateContent or Ollama's native /api/chat,
closely enough that the official SDK clients (and our Ollama model) accept it: the same paths,
auth headers, JSON and streaming shapes (SSE / NDJSON) and error bodies.

What it answers is scripted through `FakeLLM.script`:

- last message from the user and a tool named `script.tool` on offer -> a call of that tool with
  `script.args`;
- last message carrying a tool result -> the text `script.final_prefix + <the tool result text>`,
  so a test sees the result went back through the model;
- otherwise -> `script.plain_reply`;
- `script.fail_with` -> that HTTP status with the provider's own error body (`retry-after` on 429);
- `script.delay_seconds` -> waits that long before answering (for timeouts).

Every request is recorded in `FakeLLM.requests` (path, query, relevant headers, parsed body).
Each response reports `script.input_tokens` / `script.output_tokens` as its usage.

Keys: a wrong one gets each API's real refusal: 401 from OpenAI, Anthropic and Ollama (when it
checks keys at all: `require_key`, as Ollama Cloud or a proxy would), and from Gemini the 400
INVALID_ARGUMENT with reason API_KEY_INVALID it really sends. Anthropic takes `x-api-key` or, as
its current SDK sends it, `Authorization: Bearer`; Gemini takes `x-goog-api-key` or `?key=`.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

Provider = Literal["openai", "anthropic", "google", "ollama"]

GOOD_KEYS: dict[str, str] = {
    "openai": "sk-fake-openai-good-4f1c",
    "anthropic": "sk-ant-fake-good-8d2e",
    "google": "AIza-fake-google-good-93ab",
    "ollama": "ollama-fake-good-51d7",
}
DEFAULT_MODELS: dict[str, str] = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-haiku-4-5",
    "google": "gemini-2.5-flash",
    "ollama": "llama3.2",
}
RECORDED_HEADERS = (
    "authorization",
    "x-api-key",
    "anthropic-version",
    "anthropic-beta",
    "x-goog-api-key",
    "content-type",
    "accept",
)


@dataclass
class Script:
    tool: str = "team_members"
    args: dict[str, Any] = field(default_factory=lambda: {"mfa_enabled": True})
    final_prefix: str = "Here is what I found: "
    plain_reply: str = "Hello from the fake model."
    fail_with: int | None = None
    delay_seconds: float = 0.0
    # A worst-case provider (or proxy) that repeats the key it was sent in its error message.
    echo_key_in_errors: bool = False
    input_tokens: int = 21
    output_tokens: int = 8


@dataclass(frozen=True)
class Answer:
    """What the model says this turn: a text, or one tool call."""

    text: str | None = None
    tool_name: str | None = None
    tool_args: dict[str, Any] | None = None


def text_chunks(text: str, parts: int = 3) -> list[str]:
    """`text` split into a few pieces, the way a streaming model sends deltas."""
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _tool_result_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = [item.get("text", "") if isinstance(item, dict) else str(item) for item in value]
        return "".join(texts)
    if isinstance(value, dict) and len(value) == 1:
        return _tool_result_text(next(iter(value.values())))
    return json.dumps(value)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) leaves a broken pipe behind; that is expected.
        pass


class FakeLLM:
    """One fake provider server; use it as a context manager."""

    def __init__(
        self,
        provider: Provider,
        *,
        model: str | None = None,
        require_key: bool | None = None,
        script: Script | None = None,
    ) -> None:
        self.provider: Provider = provider
        self.model = model or DEFAULT_MODELS[provider]
        # Local Ollama has no auth; ask for it to model Ollama Cloud or an authenticating proxy.
        self.require_key = provider != "ollama" if require_key is None else require_key
        self.api_key: str | None = GOOD_KEYS[provider] if self.require_key else None
        self.script = script or Script()
        self.requests: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._closing = threading.Event()
        self._server: _QuietServer | None = None

    # lifecycle
    def __enter__(self) -> FakeLLM:
        handler = type("BoundHandler", (_Handler,), {"fake": self})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing.set()  # wakes handlers sleeping on delay_seconds
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def origin(self) -> str:
        assert self._server is not None, "use FakeLLM as a context manager"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """In the app's convention: OpenAI's includes /v1, the others are the bare origin."""
        return self.origin + "/v1" if self.provider == "openai" else self.origin

    def next_id(self) -> int:
        return next(self._ids)

    def wait(self, seconds: float) -> None:
        self._closing.wait(seconds)

    def answer(self, last_user_text: str | None, tool_result: str | None, tools: list[str]) -> Answer:
        if tool_result is not None:
            return Answer(text=self.script.final_prefix + tool_result)
        if self.script.tool in tools:
            return Answer(tool_name=self.script.tool, tool_args=dict(self.script.args))
        return Answer(text=self.script.plain_reply)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLM
    server_version = "fake-llm/1"

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    # plumbing
    def _record(self) -> dict[str, Any]:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        headers = {name: self.headers[name] for name in RECORDED_HEADERS if self.headers.get(name)}
        entry = {
            "method": self.command,
            "path": parts.path,
            "query": {k: v[-1] for k, v in parse_qs(parts.query).items()},
            "headers": headers,
            "body": body,
        }
        self.fake.requests.append(entry)
        return entry

    def _json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _stream(self, content_type: str, chunks: Iterator[bytes]) -> None:
        # HTTP/1.0 without content-length: the body ends when the connection closes.
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("cache-control", "no-cache")
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(chunk)
            self.wfile.flush()
        self.close_connection = True

    def _error_headers(self, status: int) -> dict[str, str]:
        return {"retry-after": "1"} if status == 429 else {}

    def _sent_key(self) -> str | None:
        auth = self.headers.get("authorization") or ""
        if auth.lower().startswith("bearer "):
            return auth[7:]
        query = parse_qs(urlsplit(self.path).query)
        return (
            self.headers.get("x-api-key")
            or self.headers.get("x-goog-api-key")
            or query.get("key", [None])[-1]
        )

    def _key_ok(self) -> bool:
        return not self.fake.require_key or self._sent_key() == self.fake.api_key

    def _delay(self) -> None:
        if self.fake.script.delay_seconds:
            self.fake.wait(self.fake.script.delay_seconds)

    def _scripted_failure(self) -> int | None:
        return self.fake.script.fail_with

    # routing
    def do_GET(self) -> None:
        self._record()
        route = _ROUTES[self.fake.provider]
        route.get(self)

    def do_POST(self) -> None:
        entry = self._record()
        route = _ROUTES[self.fake.provider]
        route.post(self, entry)


# --------------------------------------------------------------------------------------------- OpenAI


_OPENAI_ERRORS = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided: {key}."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Country not supported."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again in 1s."),
    500: ("server_error", None, "The server had an error while processing your request."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


def _masked(key: str | None) -> str:
    """How OpenAI repeats a wrong key: first and last four characters only."""
    key = key or ""
    return f"{key[:4]}{'*' * max(0, len(key) - 8)}{key[-4:]}" if len(key) > 8 else "****"


class _OpenAI:
    @staticmethod
    def error(h: _Handler, status: int) -> None:
        kind, code, message = _OPENAI_ERRORS.get(status, ("server_error", None, "Unexpected error."))
        key = h._sent_key() if h.fake.script.echo_key_in_errors else _masked(h._sent_key())
        body = {"error": {"message": message.format(key=key), "type": kind, "param": None, "code": code}}
        h._json(status, body, h._error_headers(status))

    @staticmethod
    def get(h: _Handler) -> None:
        if urlsplit(h.path).path != "/v1/models":
            h._json(404, {"error": {"message": "Not found", "type": "invalid_request_error"}})
        elif not h._key_ok():
            _OpenAI.error(h, 401)
        else:
            h._json(
                200, {"object": "list", "data": [{"id": h.fake.model, "object": "model", "owned_by": "x"}]}
            )

    @staticmethod
    def post(h: _Handler, entry: dict[str, Any]) -> None:
        if entry["path"] != "/v1/chat/completions":
            h._json(404, {"error": {"message": "Not found", "type": "invalid_request_error"}})
            return
        h._delay()
        if not h._key_ok():
            _OpenAI.error(h, 401)
            return
        if (status := h._scripted_failure()) is not None:
            _OpenAI.error(h, status)
            return
        body = entry["body"]
        answer = h.fake.answer(*_OpenAI.read_turn(body))
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            h._stream("text/event-stream", _OpenAI.chunks(h.fake, body["model"], answer, include_usage))
        else:
            h._json(200, _OpenAI.completion(h.fake, body["model"], answer))

    @staticmethod
    def read_turn(body: dict[str, Any]) -> tuple[str | None, str | None, list[str]]:
        last = body["messages"][-1]
        tools = [t["function"]["name"] for t in body.get("tools") or [] if t.get("type") == "function"]
        if last["role"] == "tool":
            return None, _tool_result_text(last.get("content")), tools
        return _tool_result_text(last.get("content")), None, tools

    @staticmethod
    def usage(fake: FakeLLM) -> dict[str, int]:
        s = fake.script
        return {
            "prompt_tokens": s.input_tokens,
            "completion_tokens": s.output_tokens,
            "total_tokens": s.input_tokens + s.output_tokens,
        }

    @staticmethod
    def completion(fake: FakeLLM, model: str, answer: Answer) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": answer.text, "refusal": None}
        finish = "stop"
        if answer.tool_name is not None:
            message["tool_calls"] = [
                {
                    "id": f"call_{fake.next_id()}",
                    "type": "function",
                    "function": {"name": answer.tool_name, "arguments": json.dumps(answer.tool_args)},
                }
            ]
            finish = "tool_calls"
        return {
            "id": f"chatcmpl-{fake.next_id()}",
            "object": "chat.completion",
            "created": 1_760_000_000,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": _OpenAI.usage(fake),
            "system_fingerprint": None,
        }

    @staticmethod
    def chunks(fake: FakeLLM, model: str, answer: Answer, include_usage: bool) -> Iterator[bytes]:
        chunk_id = f"chatcmpl-{fake.next_id()}"

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            data = {
                "id": chunk_id,
                "object": "chat.completion.chunk",
                "created": 1_760_000_000,
                "model": model,
                "choices": [choice],
            }
            return f"data: {json.dumps(data)}\n\n".encode()

        yield chunk({"role": "assistant", "content": ""})
        if answer.tool_name is not None:
            call = {
                "index": 0,
                "id": f"call_{fake.next_id()}",
                "type": "function",
                "function": {"name": answer.tool_name, "arguments": ""},
            }
            yield chunk({"tool_calls": [call]})
            for fragment in text_chunks(json.dumps(answer.tool_args)):
                yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]})
            yield chunk({}, "tool_calls")
        else:
            for piece in text_chunks(answer.text or ""):
                yield chunk({"content": piece})
            yield chunk({}, "stop")
        if include_usage:
            data = {
                "id": chunk_id,
                "object": "chat.completion.chunk",
                "created": 1_760_000_000,
                "model": model,
                "choices": [],
                "usage": _OpenAI.usage(fake),
            }
            yield f"data: {json.dumps(data)}\n\n".encode()
        yield b"data: [DONE]\n\n"


# ------------------------------------------------------------------------------------------ Anthropic


_ANTHROPIC_ERRORS = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "model: not found"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."),
    500: ("api_error", "Internal server error"),
    503: ("overloaded_error", "Overloaded"),
    529: ("overloaded_error", "Overloaded"),
}


class _Anthropic:
    @staticmethod
    def error(h: _Handler, status: int, message: str | None = None) -> None:
        kind, default = _ANTHROPIC_ERRORS.get(status, ("api_error", "Internal server error"))
        if status == 401 and h.fake.script.echo_key_in_errors:
            default = f"invalid x-api-key: {h._sent_key()}"
        body = {
            "type": "error",
            "error": {"type": kind, "message": message or default},
            "request_id": f"req_{h.fake.next_id()}",
        }
        h._json(status, body, h._error_headers(status))

    @staticmethod
    def checked(h: _Handler) -> bool:
        if not h.headers.get("anthropic-version"):
            _Anthropic.error(h, 400, "anthropic-version: header is required")
            return False
        if not h._key_ok():
            _Anthropic.error(h, 401)
            return False
        return True

    @staticmethod
    def get(h: _Handler) -> None:
        if urlsplit(h.path).path != "/v1/models":
            _Anthropic.error(h, 404, "Not found")
        elif _Anthropic.checked(h):
            model = {"id": h.fake.model, "type": "model", "display_name": h.fake.model}
            h._json(
                200, {"data": [model], "has_more": False, "first_id": h.fake.model, "last_id": h.fake.model}
            )

    @staticmethod
    def post(h: _Handler, entry: dict[str, Any]) -> None:
        if entry["path"] != "/v1/messages":
            _Anthropic.error(h, 404, "Not found")
            return
        h._delay()
        if not _Anthropic.checked(h):
            return
        if (status := h._scripted_failure()) is not None:
            _Anthropic.error(h, status)
            return
        body = entry["body"]
        answer = h.fake.answer(*_Anthropic.read_turn(body))
        if body.get("stream"):
            h._stream("text/event-stream", _Anthropic.events(h.fake, body["model"], answer))
        else:
            h._json(200, _Anthropic.message(h.fake, body["model"], answer))

    @staticmethod
    def read_turn(body: dict[str, Any]) -> tuple[str | None, str | None, list[str]]:
        tools = [t["name"] for t in body.get("tools") or [] if "name" in t]
        content = body["messages"][-1]["content"]
        if isinstance(content, str):
            return content, None, tools
        results = [block for block in content if block.get("type") == "tool_result"]
        if results:
            return None, _tool_result_text(results[-1].get("content")), tools
        return _tool_result_text([b for b in content if b.get("type") == "text"]), None, tools

    @staticmethod
    def block(fake: FakeLLM, answer: Answer) -> dict[str, Any]:
        if answer.tool_name is not None:
            return {
                "type": "tool_use",
                "id": f"toolu_{fake.next_id()}",
                "name": answer.tool_name,
                "input": {},
            }
        return {"type": "text", "text": ""}

    @staticmethod
    def message(fake: FakeLLM, model: str, answer: Answer) -> dict[str, Any]:
        block = _Anthropic.block(fake, answer)
        if answer.tool_name is not None:
            block["input"] = answer.tool_args
        else:
            block["text"] = answer.text
        return {
            "id": f"msg_{fake.next_id()}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [block],
            "stop_reason": "tool_use" if answer.tool_name is not None else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": fake.script.input_tokens, "output_tokens": fake.script.output_tokens},
        }

    @staticmethod
    def events(fake: FakeLLM, model: str, answer: Answer) -> Iterator[bytes]:
        def event(name: str, data: dict[str, Any]) -> bytes:
            return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n".encode()

        start = {
            "id": f"msg_{fake.next_id()}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": fake.script.input_tokens, "output_tokens": 1},
        }
        yield event("message_start", {"message": start})
        yield event("content_block_start", {"index": 0, "content_block": _Anthropic.block(fake, answer)})
        yield event("ping", {})
        if answer.tool_name is not None:
            for fragment in text_chunks(json.dumps(answer.tool_args)):
                delta = {"type": "input_json_delta", "partial_json": fragment}
                yield event("content_block_delta", {"index": 0, "delta": delta})
        else:
            for piece in text_chunks(answer.text or ""):
                yield event(
                    "content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": piece}}
                )
        yield event("content_block_stop", {"index": 0})
        stop = "tool_use" if answer.tool_name is not None else "end_turn"
        yield event(
            "message_delta",
            {
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": fake.script.output_tokens},
            },
        )
        yield event("message_stop", {})


# ------------------------------------------------------------------------------------------- Gemini


_GOOGLE_ERRORS = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "Request had invalid authentication credentials."),
    403: ("PERMISSION_DENIED", "Permission denied."),
    404: ("NOT_FOUND", "models/x is not found for API version v1beta."),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: ("INTERNAL", "An internal error has occurred."),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    529: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
}


class _Google:
    @staticmethod
    def error(h: _Handler, status: int) -> None:
        state, message = _GOOGLE_ERRORS.get(status, ("UNKNOWN", "Unknown error."))
        h._json(
            status, {"error": {"code": status, "message": message, "status": state}}, h._error_headers(status)
        )

    @staticmethod
    def bad_key(h: _Handler) -> None:
        # What the Gemini API really answers for a wrong key: a 400 whose ErrorInfo says API_KEY_INVALID.
        message = "API key not valid. Please pass a valid API key."
        if h.fake.script.echo_key_in_errors:
            message += f" (got {h._sent_key()})"
        detail = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        }
        error = {"code": 400, "message": message, "status": "INVALID_ARGUMENT", "details": [detail]}
        h._json(400, {"error": error})

    @staticmethod
    def get(h: _Handler) -> None:
        if urlsplit(h.path).path != "/v1beta/models":
            _Google.error(h, 404)
        elif not h._key_ok():
            _Google.bad_key(h)
        else:
            model = {"name": f"models/{h.fake.model}", "supportedGenerationMethods": ["generateContent"]}
            h._json(200, {"models": [model]})

    @staticmethod
    def post(h: _Handler, entry: dict[str, Any]) -> None:
        path: str = entry["path"]
        prefix = "/v1beta/models/"
        model, _, method = path.removeprefix(prefix).partition(":")
        if not path.startswith(prefix) or method not in ("generateContent", "streamGenerateContent"):
            _Google.error(h, 404)
            return
        h._delay()
        if not h._key_ok():
            _Google.bad_key(h)
            return
        if (status := h._scripted_failure()) is not None:
            _Google.error(h, status)
            return
        answer = h.fake.answer(*_Google.read_turn(entry["body"]))
        if method == "streamGenerateContent":
            h._stream("text/event-stream", _Google.chunks(h.fake, model, answer))
        else:
            response_id = f"resp-{h.fake.next_id()}"
            h._json(200, _Google.response(h.fake, model, response_id, [_Google.part(answer)]))

    @staticmethod
    def read_turn(body: dict[str, Any]) -> tuple[str | None, str | None, list[str]]:
        tools: list[str] = []
        for tool in body.get("tools") or []:
            for declaration in tool.get("functionDeclarations") or tool.get("function_declarations") or []:
                tools.append(declaration["name"])
        parts = body["contents"][-1].get("parts") or []
        responses = [p.get("functionResponse") or p.get("function_response") for p in parts]
        responses = [r for r in responses if r]
        if responses:
            return None, _tool_result_text(responses[-1].get("response")), tools
        return "".join(p.get("text", "") for p in parts), None, tools

    @staticmethod
    def part(answer: Answer) -> dict[str, Any]:
        if answer.tool_name is not None:
            return {"functionCall": {"name": answer.tool_name, "args": answer.tool_args}}
        return {"text": answer.text}

    @staticmethod
    def response(
        fake: FakeLLM,
        model: str,
        response_id: str,
        parts: list[dict[str, Any]],
        output_tokens: int | None = None,
    ) -> dict[str, Any]:
        output = fake.script.output_tokens if output_tokens is None else output_tokens
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        if output_tokens is None:
            candidate["finishReason"] = "STOP"
        return {
            "candidates": [candidate],
            "usageMetadata": {
                "promptTokenCount": fake.script.input_tokens,
                "candidatesTokenCount": output,
                "totalTokenCount": fake.script.input_tokens + output,
            },
            "modelVersion": model,
            "responseId": response_id,
        }

    @staticmethod
    def chunks(fake: FakeLLM, model: str, answer: Answer) -> Iterator[bytes]:
        def sse(data: dict[str, Any]) -> bytes:
            return f"data: {json.dumps(data)}\r\n\r\n".encode()

        response_id = f"resp-{fake.next_id()}"  # the same on every chunk of one answer
        if answer.tool_name is not None:
            # Gemini sends a function call whole, in one chunk.
            yield sse(_Google.response(fake, model, response_id, [_Google.part(answer)]))
            return
        pieces = text_chunks(answer.text or "")
        for number, piece in enumerate(pieces, start=1):
            last = number == len(pieces)
            # usageMetadata is cumulative in every chunk; the last one carries the totals and finishReason.
            output = None if last else max(1, fake.script.output_tokens * number // len(pieces))
            yield sse(_Google.response(fake, model, response_id, [{"text": piece}], output))


# ------------------------------------------------------------------------------------------- Ollama


class _Ollama:
    @staticmethod
    def error(h: _Handler, status: int) -> None:
        messages = {
            401: "unauthorized",
            404: f'model "{h.fake.model}" not found, try pulling it first',
            429: "too many requests",
            503: "server busy, please try again.  maximum pending requests exceeded",
        }
        message = messages.get(status, "an unexpected error occurred")
        if status == 401 and h.fake.script.echo_key_in_errors:
            message += f" (token {h._sent_key()})"
        h._json(status, {"error": message}, h._error_headers(status))

    @staticmethod
    def get(h: _Handler) -> None:
        if urlsplit(h.path).path != "/api/tags":
            h._json(404, {"error": "not found"})
        elif not h._key_ok():
            _Ollama.error(h, 401)
        else:
            model = {"name": f"{h.fake.model}:latest", "model": f"{h.fake.model}:latest", "size": 2019393189}
            h._json(200, {"models": [model]})

    @staticmethod
    def post(h: _Handler, entry: dict[str, Any]) -> None:
        if entry["path"] != "/api/chat":
            h._json(404, {"error": "not found"})
            return
        h._delay()
        if not h._key_ok():
            _Ollama.error(h, 401)
            return
        if (status := h._scripted_failure()) is not None:
            _Ollama.error(h, status)
            return
        body = entry["body"]
        answer = h.fake.answer(*_Ollama.read_turn(body))
        # Ollama streams unless told not to.
        if body.get("stream", True):
            h._stream("application/x-ndjson", _Ollama.lines(h.fake, body["model"], answer))
        else:
            h._json(200, _Ollama.final(h.fake, body["model"], _Ollama.message(answer)))

    @staticmethod
    def read_turn(body: dict[str, Any]) -> tuple[str | None, str | None, list[str]]:
        tools = [t["function"]["name"] for t in body.get("tools") or [] if t.get("type") == "function"]
        last = body["messages"][-1]
        if last["role"] == "tool":
            return None, _tool_result_text(last.get("content")), tools
        return _tool_result_text(last.get("content")), None, tools

    @staticmethod
    def message(answer: Answer, text: str | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": text if text is not None else answer.text or "",
        }
        if answer.tool_name is not None:
            message["tool_calls"] = [{"function": {"name": answer.tool_name, "arguments": answer.tool_args}}]
        return message

    @staticmethod
    def final(fake: FakeLLM, model: str, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "model": model,
            "created_at": "2025-10-01T12:00:00.000000Z",
            "message": message,
            "done": True,
            "done_reason": "stop",
            "total_duration": 1_000_000,
            "load_duration": 10_000,
            "prompt_eval_count": fake.script.input_tokens,
            "prompt_eval_duration": 100_000,
            "eval_count": fake.script.output_tokens,
            "eval_duration": 500_000,
        }

    @staticmethod
    def lines(fake: FakeLLM, model: str, answer: Answer) -> Iterator[bytes]:
        def line(data: dict[str, Any]) -> bytes:
            return json.dumps(data).encode() + b"\n"

        created = "2025-10-01T12:00:00.000000Z"
        if answer.tool_name is not None:
            # Ollama sends a tool call whole, in one message.
            yield line(
                {"model": model, "created_at": created, "message": _Ollama.message(answer), "done": False}
            )
        else:
            for piece in text_chunks(answer.text or ""):
                message = {"role": "assistant", "content": piece}
                yield line({"model": model, "created_at": created, "message": message, "done": False})
        yield line(_Ollama.final(fake, model, {"role": "assistant", "content": ""}))


@dataclass(frozen=True)
class _Route:
    get: Callable[[_Handler], None]
    post: Callable[[_Handler, dict[str, Any]], None]


_ROUTES: dict[str, _Route] = {
    "openai": _Route(_OpenAI.get, _OpenAI.post),
    "anthropic": _Route(_Anthropic.get, _Anthropic.post),
    "google": _Route(_Google.get, _Google.post),
    "ollama": _Route(_Ollama.get, _Ollama.post),
}
