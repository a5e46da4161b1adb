"""Running a tool call for a caller: permission checked again (never trust what the model asks
for), arguments validated, write tools held until confirmed, every call audit-logged with its
arguments, failures turned into a status rather than an error."""

from __future__ import annotations

import uuid
from typing import Any, Literal

import structlog
from pydantic import BaseModel, ValidationError

from binelek.audit import service as audit
from binelek.kit.errors import ProblemError
from binelek.kit.tools import Channel, ToolContext, ToolResult, load_tools

log = structlog.get_logger(__name__)

ToolStatus = Literal["done", "needs_confirmation", "denied", "failed", "cancelled"]


class ToolCall(BaseModel):
    id: str
    tool: str
    args: dict[str, Any]
    status: ToolStatus
    result: ToolResult | None = None
    error: str | None = None


async def call_tool(
    context: ToolContext,
    name: str,
    raw_args: dict[str, Any],
    *,
    confirmed: bool = False,
    auto_run: bool = False,
    channel: Channel = "agent",
) -> ToolCall:
    call_id = uuid.uuid4().hex[:12]
    # A tool kept out of the agent (`agent=False`) is unknown to it, even if a model names it.
    registered = load_tools(channel).get(name)
    if registered is None or not registered.allowed_for(context.principal):
        audit.record_for(context.session, context.principal, "ai.tool_denied", context.meta, tool=name)
        return ToolCall(
            id=call_id,
            tool=name,
            args=raw_args,
            status="denied",
            error="This action is not available to you.",
        )
    try:
        args = registered.args_model.model_validate(raw_args)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors()
        )
        return ToolCall(id=call_id, tool=name, args=raw_args, status="failed", error=problems)
    clean_args = args.model_dump(mode="json", exclude_none=True)
    if registered.writes and not (confirmed or auto_run):
        return ToolCall(id=call_id, tool=name, args=clean_args, status="needs_confirmation")
    audit.record_for(
        context.session,
        context.principal,
        "ai.tool_called",
        context.meta,
        tool=name,
        arguments=clean_args,
        writes=registered.writes,
    )
    try:
        result = await registered.handler(context, args)
    except ProblemError as exc:
        return ToolCall(id=call_id, tool=name, args=clean_args, status="failed", error=exc.detail)
    except Exception:
        log.exception("tool_failed", tool=name)
        return ToolCall(id=call_id, tool=name, args=clean_args, status="failed", error="The action failed.")
    return ToolCall(id=call_id, tool=name, args=clean_args, status="done", result=result)
