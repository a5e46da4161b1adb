"""Filter conditions on trigger data and in branch steps: `{"field": "trigger.total", "op": "gt",
"value": 500}`, combined with `all` or `any`.

Money arrives as text ("612.50" in an event payload) and numbers as numbers, so ordered comparisons
compare as decimals whenever both sides read as numbers, and as text otherwise.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Operator = Literal[
    "eq", "ne", "gt", "gte", "lt", "lte", "contains", "not_contains", "starts_with", "ends_with",
    "in", "not_in", "exists", "not_exists", "is_true", "is_false",
]  # fmt: skip
NO_VALUE = {"exists", "not_exists", "is_true", "is_false"}
MISSING = object()


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$",
        description="A dotted path into the run's data, e.g. `trigger.total` or `steps.lookup.status`.",
    )
    op: Operator
    value: Any = None


def lookup(data: dict[str, Any], path: str) -> Any:
    current: Any = data
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return MISSING
    return current


def matches(conditions: list[Condition], match: Literal["all", "any"], data: dict[str, Any]) -> bool:
    if not conditions:
        return True
    results = (holds(condition, data) for condition in conditions)
    return all(results) if match == "all" else any(results)


def holds(condition: Condition, data: dict[str, Any]) -> bool:
    actual = lookup(data, condition.field)
    op, expected = condition.op, condition.value
    if op == "exists":
        return actual is not MISSING and actual is not None
    if op == "not_exists":
        return actual is MISSING or actual is None
    if actual is MISSING:
        return op in ("ne", "not_contains", "not_in")
    if op in ("is_true", "is_false"):
        return _truthy(actual) == (op == "is_true")
    if op in ("eq", "ne"):
        return _equal(actual, expected) == (op == "eq")
    if op in ("gt", "gte", "lt", "lte"):
        return _ordered(op, actual, expected)
    if op in ("in", "not_in"):
        options = expected if isinstance(expected, list) else [expected]
        return any(_equal(actual, option) for option in options) == (op == "in")
    if op in ("contains", "not_contains"):
        return _contains(actual, expected) == (op == "contains")
    text, needle = str(actual).lower(), str(expected).lower()
    return text.startswith(needle) if op == "starts_with" else text.endswith(needle)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "on")
    return bool(value)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def _equal(actual: Any, expected: Any) -> bool:
    left, right = _number(actual), _number(expected)
    if left is not None and right is not None:
        return left == right
    if isinstance(actual, str) and isinstance(expected, str):
        return actual.strip().lower() == expected.strip().lower()
    return bool(actual == expected)


def _ordered(op: str, actual: Any, expected: Any) -> bool:
    left, right = _number(actual), _number(expected)
    pair: tuple[Any, Any] = (
        (left, right) if left is not None and right is not None else (str(actual), str(expected))
    )
    a, b = pair
    return bool({"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op])


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list):
        return any(_equal(item, expected) for item in actual)
    if isinstance(actual, dict):
        return str(expected) in actual
    return str(expected).lower() in str(actual).lower()
