"""The offline engine as a pydantic-ai model: it reads the user's words with `local.understand`,
answers with a tool call when it understood one, and turns tool results into plain sentences.

It never writes a number of its own: every figure in its answers comes from a tool's summary.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ModelResponsePart,
    RetryPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from binelek.ai.local.understand import Understanding, understand
from binelek.kit.tools import Tool, load_tools

LOCAL_MODEL_NAME = "binelek-local"
MAX_LISTED_CAPABILITIES = 8


def local_model(*, now: datetime, timezone: str) -> FunctionModel:
    def decide(messages: list[ModelMessage], info: AgentInfo) -> ModelResponsePart:
        return next_part(messages, info, now=now, timezone=timezone)

    # Understanding a request is CPU work (embeddings): a worker thread does it, so the event loop
    # keeps answering every other request meanwhile (numpy and the tokenizer release the GIL).
    async def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        part = await asyncio.to_thread(decide, messages, info)
        return ModelResponse(parts=[part], model_name=LOCAL_MODEL_NAME)

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str | DeltaToolCalls]:
        part = await asyncio.to_thread(decide, messages, info)
        if isinstance(part, ToolCallPart):
            yield {
                0: DeltaToolCall(
                    name=part.tool_name, json_args=part.args_as_json_str(), tool_call_id=part.tool_call_id
                )
            }
            return
        assert isinstance(part, TextPart)
        for chunk in _word_chunks(part.content):
            yield chunk

    return FunctionModel(respond, stream_function=stream, model_name=LOCAL_MODEL_NAME)


def next_part(
    messages: list[ModelMessage], info: AgentInfo, *, now: datetime, timezone: str
) -> ModelResponsePart:
    last = messages[-1]
    assert isinstance(last, ModelRequest)
    returns = [part for part in last.parts if isinstance(part, ToolReturnPart)]
    if returns:
        return TextPart(" ".join(_sentence_for(part) for part in returns))
    retries = [part for part in last.parts if isinstance(part, RetryPromptPart)]
    if retries:
        return TextPart("I couldn't complete that request. Try rephrasing it with the details you want.")
    prompt = next((part.content for part in reversed(last.parts) if isinstance(part, UserPromptPart)), "")
    registry = load_tools()
    offered = [registry[definition.name] for definition in info.function_tools if definition.name in registry]
    understood = understand(prompt if isinstance(prompt, str) else "", offered, now=now, timezone=timezone)
    if understood.kind == "tool" and understood.tool is not None and not understood.missing:
        return ToolCallPart(understood.tool, understood.args)
    return TextPart(_reply_without_tool(understood, offered, registry))


def _reply_without_tool(understood: Understanding, offered: Sequence[Tool], registry: dict[str, Tool]) -> str:
    if understood.kind == "tool" and understood.tool is not None:
        tool = registry[understood.tool]
        needed = ", ".join(_field_label(tool, name) for name in understood.missing)
        return f"To {_action(tool)} I need {needed}. Could you add that?"
    unavailable = getattr(understood, "unavailable_tool", None)
    if unavailable and unavailable in registry:
        action = _action(registry[unavailable])
        return f"You don't have permission to {action}. An admin of your organization can."
    if understood.kind == "greeting":
        return "Hello! " + _capabilities(offered)
    if understood.kind == "thanks":
        return "You're welcome."
    if understood.kind == "help":
        return _capabilities(offered)
    return "I didn't understand that, and I won't guess. " + _capabilities(offered)


def _capabilities(offered: Sequence[Tool]) -> str:
    if not offered:
        return "Your role has no actions I can run for you."
    listed = "; ".join(_action(tool) for tool in offered[:MAX_LISTED_CAPABILITIES])
    return f"I can {listed}."


def _action(tool: Tool) -> str:
    first_sentence = tool.description.split(";")[0].split(". ")[0].rstrip(".")
    return first_sentence[:1].lower() + first_sentence[1:]


def _field_label(tool: Tool, name: str) -> str:
    field = tool.args_model.model_fields.get(name)
    description = field.description if field is not None else None
    return f"{name.replace('_', ' ')} ({description.rstrip('.')})" if description else name.replace("_", " ")


def _sentence_for(part: ToolReturnPart) -> str:
    content: Any = part.content
    if not isinstance(content, dict):
        return str(content)
    status = content.get("status")
    if status == "done":
        return str(content.get("summary", "Done."))
    if status == "needs_confirmation":
        proposed = content.get("proposed_arguments") or {}
        details = ", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in proposed.items())
        action = part.tool_name.replace("_", " ")
        return f"Please confirm before I {action}" + (f" ({details})." if details else ".")
    if status == "denied":
        return "You don't have permission to do that."
    return f"That didn't work: {content.get('error', 'the action failed')}"


def _word_chunks(text: str, words_per_chunk: int = 4) -> list[str]:
    words = text.split(" ")
    return [
        " ".join(words[start : start + words_per_chunk])
        + (" " if start + words_per_chunk < len(words) else "")
        for start in range(0, len(words), words_per_chunk)
    ]
