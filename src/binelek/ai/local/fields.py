"""What each argument of a tool is, read from its args model's JSON schema (and the `x-` hints
documented in `binelek.kit.tools`), so the engine fills any tool's arguments without knowing it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel

SlotKind = Literal[
    "datetime",
    "date",
    "email",
    "url",
    "enum",
    "enum_list",
    "boolean",
    "integer",
    "number",
    "currency",
    "name",
    "text",
]
# Which end of a range a field takes: a date range's start or end, an amount's minimum or maximum.
Bound = Literal["start", "end", "point", "min", "max"] | None

_START_WORDS = {"since", "from", "after", "start", "starts", "begin", "begins", "starting", "min", "minimum"}
_START_WORDS |= {"over", "above", "lower", "least"}
_END_WORDS = {"until", "till", "to", "before", "end", "ends", "ending", "max", "maximum", "under", "below"}
_END_WORDS |= {"upper", "most"}
_CURRENCY_NAMES = {"currency", "currency_code"}
_SLOT_OVERRIDES = {"text", "name", "currency", "none"}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: SlotKind
    required: bool
    bound: Bound = None
    values: tuple[Any, ...] = ()  # enum values as the schema gives them
    phrases: dict[str, list[str]] = field(default_factory=dict)  # enum value (as text) -> its phrases
    cues: dict[str, list[str]] = field(default_factory=dict)  # boolean: {"true": [...], "false": [...]}
    terms: tuple[str, ...] = ()  # boolean: what the yes/no is about ("MFA")
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    entity: str | None = None  # name fields: which list of known names to match against
    decimal: bool = False  # a number field that also takes a string (Decimal): keep it exact
    verbatim: bool = False  # free text that is the whole request (a question another engine reads)


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The schema of a field's value: follows $ref and takes the non-null branch of Optional."""
    for _ in range(8):
        if "$ref" in node:
            node = {**defs[node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
        elif "allOf" in node and len(node["allOf"]) == 1:
            node = {**node["allOf"][0], **{k: v for k, v in node.items() if k != "allOf"}}
        elif "anyOf" in node or "oneOf" in node:
            branches = [b for b in node.get("anyOf", node.get("oneOf", [])) if b.get("type") != "null"]
            if not branches:
                break
            rest = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
            node = {**_resolve(branches[0], defs), **rest}
            if len(branches) > 1 and any(b.get("type") == "string" for b in branches[1:]):
                node["x-accepts-string"] = True
        else:
            break
    return node


def _words(name: str) -> set[str]:
    return set(name.lower().replace("-", "_").split("_"))


def _bound(name: str, kind: SlotKind, hint: Any) -> Bound:
    if hint in ("start", "end", "point", "min", "max"):
        return hint  # type: ignore[no-any-return]
    words = _words(name)
    if kind in ("datetime", "date"):
        return "start" if words & _START_WORDS else "end" if words & _END_WORDS else "point"
    if kind in ("number", "integer"):
        return "min" if words & _START_WORDS else "max" if words & _END_WORDS else None
    return None


def _kind(name: str, node: dict[str, Any], known_name_keys: frozenset[str]) -> SlotKind | None:
    override = node.get("x-slot")
    if override in _SLOT_OVERRIDES:
        return None if override == "none" else override
    kind_of_type = node.get("type")
    if "enum" in node or "const" in node:
        return "enum"
    if kind_of_type == "array":
        items = node.get("items") or {}
        return "enum_list" if "enum" in items or "const" in items else None
    if kind_of_type == "boolean":
        return "boolean"
    if kind_of_type == "integer":
        return "integer"
    if kind_of_type == "number":
        return "number"
    if kind_of_type != "string":
        return None
    string_format = node.get("format")
    if string_format in ("date-time", "date", "email"):
        return {"date-time": "datetime", "date": "date", "email": "email"}[string_format]  # type: ignore[return-value]
    if string_format == "uri":
        return "url"
    if "x-synonyms" in node:
        return "enum"  # an open string with a known vocabulary (an audit action)
    if node.get("x-entity") or name in known_name_keys:
        return "name"
    return "currency" if name in _CURRENCY_NAMES else "text"


def _enum_values(node: dict[str, Any]) -> tuple[Any, ...]:
    source = node.get("items", node) if node.get("type") == "array" else node
    if "enum" in source:
        return tuple(source["enum"])
    if "const" in source:
        return (source["const"],)
    return tuple(node.get("x-synonyms", {}))


def _spec(
    name: str, raw: dict[str, Any], required: bool, defs: dict[str, Any], keys: frozenset[str]
) -> FieldSpec | None:
    node = _resolve(raw, defs)
    kind = _kind(name, node, keys)
    if kind is None:
        return None
    values = _enum_values(node) if kind in ("enum", "enum_list") else ()
    synonyms: dict[str, list[str]] = node.get("x-synonyms") or {}
    phrases = {str(value): list(synonyms.get(str(value)) or [str(value)]) for value in values}
    terms = tuple(node.get("x-terms") or [name.removeprefix("is_").removeprefix("has_").replace("_", " ")])
    return FieldSpec(
        name=name,
        kind=kind,
        required=required,
        bound=_bound(name, kind, node.get("x-bound")),
        values=values,
        phrases=phrases,
        cues={key: list(value) for key, value in (node.get("x-cues") or {}).items()},
        terms=terms if kind == "boolean" else (),
        minimum=node.get("minimum", node.get("exclusiveMinimum")),
        maximum=node.get("maximum", node.get("exclusiveMaximum")),
        min_length=node.get("minLength"),
        max_length=node.get("maxLength"),
        entity=node.get("x-entity"),
        decimal=bool(node.get("x-accepts-string")),
        verbatim=bool(node.get("x-verbatim")),
    )


@lru_cache(maxsize=256)
def _schema_text(model: type[BaseModel]) -> str:
    return json.dumps(model.model_json_schema())


@lru_cache(maxsize=512)
def field_specs(
    model: type[BaseModel], known_name_keys: frozenset[str] = frozenset()
) -> tuple[FieldSpec, ...]:
    """The fillable fields of an args model, in declaration order."""
    schema = json.loads(_schema_text(model))
    required = set(schema.get("required", []))
    defs = schema.get("$defs", {})
    specs = (
        _spec(name, raw, name in required, defs, known_name_keys)
        for name, raw in schema.get("properties", {}).items()
    )
    return tuple(spec for spec in specs if spec is not None)


def hint_phrases(model: type[BaseModel]) -> list[str]:
    """Every phrase the hints give (synonyms, cues, terms): words that point to this tool."""
    phrases: list[str] = []
    for spec in field_specs(model):
        phrases.extend(p for value_phrases in spec.phrases.values() for p in value_phrases)
        phrases.extend(p for cue_phrases in spec.cues.values() for p in cue_phrases)
        phrases.extend(spec.terms)
    return phrases


def strip_hints(schema: Any) -> Any:
    """A JSON schema without the offline engine's `x-` hints, for a provider that refuses unknown
    keywords."""
    if isinstance(schema, dict):
        return {
            k: strip_hints(v) for k, v in schema.items() if not (isinstance(k, str) and k.startswith("x-"))
        }
    if isinstance(schema, list):
        return [strip_hints(item) for item in schema]
    return schema
