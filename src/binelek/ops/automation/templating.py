"""Step inputs are templates over the run's data, rendered in Jinja2's immutable sandbox.

A template sees `trigger` (the event payload, manual input or webhook body), `steps` (earlier steps'
outputs by step id), `item`/`index` inside a loop, `workflow`, `run`, `owner` (who created the
workflow), `now`, and `customer` when the trigger names one. The sandbox refuses attribute access to
internals and mutation, so a workflow author cannot reach Python objects through a template.

A value that is exactly one expression (`"{{ trigger.lines }}"`) renders to the expression's own value
(a list stays a list, a number a number); anything else renders to text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT_NAMES = frozenset({"trigger", "steps", "item", "index", "workflow", "run", "owner", "now", "customer"})
LOOP_NAMES = frozenset({"item", "index"})
MAX_RENDERED = 100_000
_SINGLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>.*?)\}\}\s*$", re.DOTALL)


class TemplateFailed(Exception):
    """A template that does not parse, names something unknown, or fails while rendering."""


class NamedRecord(dict[str, Any]):
    """A record that prints as its name: `{{ customer }}` reads "Ada Lovelace", and
    `{{ customer.email }}` still works."""

    def __str__(self) -> str:
        return str(self.get("name") or self.get("email") or "")


class _Environment(ImmutableSandboxedEnvironment):
    pass


@lru_cache(maxsize=1)
def environment() -> _Environment:
    env = _Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters["money"] = _money
    return env


def _money(value: Any, currency: str = "") -> str:
    try:
        amount = f"{float(value):,.2f}"
    except (TypeError, ValueError):
        return str(value)
    return f"{amount} {currency}".strip()


@lru_cache(maxsize=4096)
def _compiled(source: str) -> Any:
    return environment().from_string(source)


@lru_cache(maxsize=4096)
def _compiled_expression(source: str) -> Any:
    return environment().compile_expression(source, undefined_to_none=False)


def is_template(value: str) -> bool:
    return "{{" in value or "{%" in value


def render(value: Any, context: dict[str, Any]) -> Any:
    """Render every string inside `value` (dicts and lists recursively)."""
    if isinstance(value, str):
        return render_text(value, context)
    if isinstance(value, dict):
        return {key: render(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, context) for item in value]
    return value


def render_text(source: str, context: dict[str, Any]) -> Any:
    if not is_template(source):
        return source
    try:
        single = _SINGLE_EXPRESSION.match(source)
        if single and "{{" not in single.group("expr") and "{%" not in source:
            return _plain(_compiled_expression(single.group("expr").strip())(**context))
        text = _compiled(source).render(**context)
    except (
        UndefinedError,
        SecurityError,
        TemplateSyntaxError,
        TypeError,
        ValueError,
        ArithmeticError,
    ) as exc:
        raise TemplateFailed(f"{_describe(exc)} in {_excerpt(source)}") from exc
    if len(text) > MAX_RENDERED:
        raise TemplateFailed(f"the rendered text is longer than {MAX_RENDERED:,} characters")
    return text


def _plain(value: Any) -> Any:
    """Values that leave a template are JSON: records print as dicts, tuples become lists."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _describe(exc: Exception) -> str:
    if isinstance(exc, UndefinedError):
        return f"unknown value ({exc.message})"
    if isinstance(exc, TemplateSyntaxError):
        return f"template syntax error ({exc.message}, line {exc.lineno})"
    if isinstance(exc, SecurityError):
        return "not allowed in a template"
    return f"{type(exc).__name__}: {exc}"


def _excerpt(source: str) -> str:
    return repr(source if len(source) <= 80 else source[:77] + "...")


# -- validation when a workflow is saved -------------------------------------------------------------


def check(source: str, known_steps: Iterable[str], *, in_loop: bool) -> list[str]:
    """Problems with one template: syntax, unknown root names, references to steps that have not run
    by then. Empty when it is fine."""
    if not is_template(source):
        return []
    try:
        tree = environment().parse(source)
    except TemplateSyntaxError as exc:
        return [_describe(exc)]
    allowed = ROOT_NAMES if in_loop else ROOT_NAMES - LOOP_NAMES
    problems = [
        f"unknown name '{name}' (use one of: {', '.join(sorted(allowed))})"
        for name in sorted(meta.find_undeclared_variables(tree))
        if name not in allowed
    ]
    earlier = set(known_steps)
    for step_id in _referenced_steps(tree):
        if step_id not in earlier:
            problems.append(f"'steps.{step_id}' is not a step that runs before this one")
    return problems


def _referenced_steps(tree: nodes.Template) -> list[str]:
    found: list[str] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = getattr(node, "node", None)
        if not (isinstance(target, nodes.Name) and target.name == "steps"):
            continue
        if isinstance(node, nodes.Getattr):
            found.append(node.attr)
        elif (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)
        ):
            found.append(node.arg.value)
    return found


def strings_in(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
