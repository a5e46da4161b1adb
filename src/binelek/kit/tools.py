"""The registry of what the AI agent (and later the MCP server) may call.

Each domain declares typed tools in its `tools.py` with `@tool(...)`: a name, a description for the
model, a pydantic model of the arguments (its JSON schema is what the model sees), the permission the
caller needs, and whether the tool writes. `tools_for()` offers a caller only what their role and
the tenant's modules allow; the AI domain's `toolbox.call_tool()` runs a call.

The offline engine (`binelek.ai.local`) learns a tool's intent from its `examples` (8-15 varied
phrasings; a write tool's examples should start with its verbs: "invite …", "add …") and fills
its arguments from the args model's JSON schema by type and format. A word in two or more
examples is taken as part of how people ask for the tool, so vary the subjects ("invoices",
"the Acme contract") and repeat only the asking ("find …", "search for …"). Where the schema cannot say
enough, a field carries hints in `Field(json_schema_extra={...})`:
- "x-synonyms": {value: [phrases]} - what an enum value (a Literal, an Enum, or a plain string
  with a known vocabulary, like an audit action) is called. A value given phrases is matched only
  by them, so "member" needn't fire on "team members"; one without matches its own name
  ("security_issue" as "security issues"). Phrases match whole words, any case, plural or not.
- "x-terms": [phrases] - what a boolean is about ("mfa", "2fa"): a term said with a negation
  ("without MFA", "MFA off") is false, said plainly true. Without it, the field's name is the term.
  "x-cues": {"true": [phrases], "false": [phrases]} are checked first, for what a negation misses.
- "x-entity": "member" - a string holding a name, matched (first names, any case, small typos)
  against the caller's `known_names["member"]` (or `known_names[field name]`).
- "x-bound": "start" | "end" | "point" | "min" | "max" - which end of a range a date or amount
  field takes, when its name does not say it (since/from/after/start/min… vs until/to/end/max…).
- "x-slot": "text" | "name" | "currency" | "none" - how to fill a string field ("none": never).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.auth import Principal
from binelek.kit.request_meta import RequestMeta
from binelek.kit.state import AppState

# Modules whose import registers tools.
TOOL_MODULES = (
    "binelek.identity.tools",
    "binelek.audit.tools",
    "binelek.search.tools",
    "binelek.foundry.tools",
    "binelek.ops.tools",
    "binelek.ops.automation.tools",
    "binelek.security.tools",
    "binelek.marketplace.tools",
    "binelek.connectors.tools",
)
# Who is offered a tool: "agent" is the in-app command agent (and its offline engine, which must
# understand every tool it is offered: >= 15 cases each in tests/local_engine_table.py); "mcp" is the
# MCP server (binelek.mcp_server), which offers every tool. `@tool(..., agent=False)` keeps a tool
# out of the in-app agent: it is offered and callable over MCP only.
Channel = Literal["agent", "mcp"]


class Source(BaseModel):
    kind: str
    id: str
    title: str
    url: str


class ToolResult(BaseModel):
    """What a tool answers: a one-line summary for the reply, the data, and the records it used."""

    summary: str
    data: Any = None
    sources: list[Source] = []


@dataclass(frozen=True)
class ToolContext:
    principal: Principal
    session: AsyncSession  # scoped to the principal's tenant
    state: AppState
    meta: RequestMeta


Handler = Callable[[ToolContext, Any], Awaitable[ToolResult]]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args_model: type[BaseModel]
    permission: str
    writes: bool
    handler: Handler
    # Phrasings a user might type for this tool: the offline engine learns its intents from them.
    examples: tuple[str, ...] = ()
    # False: offered over MCP only, never to the in-app agent (see `Channel`).
    agent: bool = True

    def json_schema(self) -> dict[str, Any]:
        return _schema_of(self.args_model)

    def allowed_for(self, principal: Principal) -> bool:
        scope = self.permission.partition(":")[0]
        return principal.module_enabled(scope) and principal.can(self.permission)


_registry: dict[str, Tool] = {}


@cache
def _schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """Built once per model: every agent turn offers the tools' schemas again. Callers must not
    change what they get."""
    return model.model_json_schema()


def tool(
    name: str,
    description: str,
    *,
    permission: str,
    writes: bool = False,
    examples: tuple[str, ...] = (),
    agent: bool = True,
) -> Callable[[Handler], Handler]:
    """Register `handler(context, args)`; the type of `args` is the arguments' pydantic model."""

    def register(handler: Handler) -> Handler:
        parameters = list(inspect.signature(handler).parameters)
        args_model = get_type_hints(handler)[parameters[1]]
        if not (isinstance(args_model, type) and issubclass(args_model, BaseModel)):
            raise TypeError(f"tool {name}: the second parameter must be typed with a pydantic model")
        if name in _registry and _registry[name].handler is not handler:
            raise ValueError(f"tool {name!r} is registered twice")
        _registry[name] = Tool(name, description, args_model, permission, writes, handler, examples, agent)
        return handler

    return register


def load_tools(channel: Channel = "agent") -> dict[str, Tool]:
    """The registered tools a channel may offer (MCP: all of them)."""
    for module in TOOL_MODULES:
        importlib.import_module(module)
    return {name: t for name, t in _registry.items() if channel == "mcp" or t.agent}


def tools_for(principal: Principal, channel: Channel = "agent") -> list[Tool]:
    """The tools this caller may be offered: a viewer is never offered a write tool."""
    return [t for t in load_tools(channel).values() if t.allowed_for(principal)]
