"""The offline engine's understanding of one message: what kind of message it is, which offered
tool it asks for, and that tool's arguments, filled generically from the args model's JSON schema.

    understanding = understand("failed logins since Monday", tools_for(principal), now=now,
                               timezone="Europe/London")

A request that matches a registered tool the caller is *not* offered (a viewer asking to invite
someone) is never mapped to another tool: it comes back as `kind="unknown"` with
`unavailable_tool` naming the tool, so the caller can say "You don't have permission to …".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, cast

from pydantic import ValidationError

from binelek.ai.local import slots
from binelek.ai.local.fields import FieldSpec, field_specs
from binelek.ai.local.intents import THRESHOLD, profile, score_tools
from binelek.ai.local.words import STOPWORDS, leftover, tokens, word_set
from binelek.kit.tools import Tool, load_tools

Kind = Literal["tool", "help", "greeting", "thanks", "unknown"]
Span = slots.Span

HELP_SIMILARITY = 0.72  # a help question phrased unlike the patterns below, by similarity alone

_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|hiya|howdy|yo|greetings|hallo|good\s+(?:morning|afternoon|evening|day))\b"
    r"(?:\s+(?:there|all|everyone|team|folks|binelek|bot|assistant|friend))?[\s!.,:;-]*",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|great|perfect|awesome|nice|cool|brilliant|lovely|super)[\s,!.]+)?"
    r"(?:thanks|thank\s+you|thx|ty|cheers|much\s+appreciated|many\s+thanks)"
    r"(?:\s+(?:a\s+lot|so\s+much|very\s+much|again|mate|a\s+bunch|binelek))?[\s!.,:;-]*",
    re.IGNORECASE,
)
_TRAILING_THANKS = re.compile(
    r"[\s,.!;-]+(?:thanks|thank\s+you|thx|cheers)(?:\s+(?:a\s+lot|so\s+much|very\s+much))?[\s!.]*$",
    re.IGNORECASE,
)
_HELP = re.compile(
    r"^(?:please\s+)?(?:help|help\s+me|i\s+need\s+help|can\s+you\s+help(?:\s+me)?|\?+"
    r"|what\s+can\s+(?:you|i)\s+(?:do|ask|say|type)(?:\s+(?:you|here|with\s+(?:you|this|it)))?"
    r"|what\s+(?:do|can)\s+you\s+(?:do|help(?:\s+me)?\s+with|know)|what\s+are\s+(?:your|my|the)\s+(?:options|capabilities)"
    r"|how\s+do(?:es)?\s+(?:this|it|you)\s+work|how\s+(?:do|can)\s+i\s+use\s+(?:this|you|it|binelek)"
    r"|(?:list\s+|show\s+(?:me\s+)?)?(?:the\s+|your\s+)?(?:available\s+)?commands|who\s+are\s+you|what\s+are\s+you"
    r"|getting\s+started|how\s+to\s+start)[\s?!.]*$",
    re.IGNORECASE,
)
_QUOTE_MARKS = "\"'\u201c\u201d\u2018\u2019"
# A quoted phrase opens after a space and closes before one: "customer's" is no quote.
_QUOTED = re.compile(
    f"(?:^|(?<=[\\s(:]))[{_QUOTE_MARKS}]([^{_QUOTE_MARKS}]{{2,}})[{_QUOTE_MARKS}](?=$|[\\s.,;:!?)])"
)


# What may follow a greeting or a thank-you without making it a request.
_SIGN_OFF = STOPWORDS | word_set(
    "that's thats bye goodbye great perfect awesome ok okay cool nice for now it"
)


@dataclass(frozen=True)
class Understanding:
    """`kind="tool"`: `tool` is an offered tool and `args` its arguments, JSON-ready (dates as ISO
    strings) and valid for its args model once `missing` (required fields no words gave) is
    empty; a field is left out rather than guessed, so the model's defaults apply. Other kinds
    have no tool. `confidence` is 0.5 at the acceptance threshold, towards 1 above it."""

    tool: str | None
    args: dict[str, Any]
    confidence: float
    missing: list[str]
    kind: Kind
    # A registered tool the request matched that the caller is not offered (role or module).
    unavailable_tool: str | None = None
    # Fields whose words fit several values equally ("Alex" with two Alexes): field -> candidates.
    ambiguous: dict[str, list[str]] = field(default_factory=dict)


def understand(
    text: str,
    offered: Sequence[Tool],
    *,
    now: datetime,
    timezone: str = "UTC",
    known_names: Mapping[str, Sequence[str]] | None = None,
    registered: Sequence[Tool] | None = None,
) -> Understanding:
    """What `text` asks for. Only tools in `offered` are chosen; `registered` (default: every
    registered tool) is consulted only to tell "not allowed" from "not understood"."""
    request, social = _strip_social(text)
    if not request:
        return Understanding(None, {}, 1.0 if social else 0.0, [], social or "unknown")
    if _HELP.match(request):
        return Understanding(None, {}, 1.0, [], "help")
    everything = _tool_set(offered, registered)
    result = score_tools(request, [profile(t) for t in everything], now)
    scores = result.ranked
    best = scores[0] if scores else None
    if result.help_similarity >= max(HELP_SIMILARITY, best.semantic if best else 0.0):
        return Understanding(None, {}, 1.0, [], "help")
    if best is None or best.combined < THRESHOLD:
        return Understanding(None, {}, round(best.confidence, 3) if best else 0.0, [], "unknown")
    chosen = next((t for t in offered if t.name == best.tool), None)
    if chosen is None:  # never substitute a lesser match for what the caller may not do
        return Understanding(None, {}, round(best.confidence, 3), [], "unknown", unavailable_tool=best.tool)
    return _fill(request, chosen, best.confidence, now, timezone, known_names)


def _tool_set(offered: Sequence[Tool], registered: Sequence[Tool] | None) -> list[Tool]:
    tools = {t.name: t for t in (registered if registered is not None else load_tools().values())}
    tools.update({t.name: t for t in offered})
    return list(tools.values())


def _strip_social(text: str) -> tuple[str, Kind | None]:
    """The request without a leading greeting or a leading/trailing thank-you, and which social
    kind was there ("thanks" wins: "hi, thanks" is thanks)."""
    request, social = text.strip(), cast(Kind | None, None)
    greeting = _GREETING.match(request)
    if greeting and (greeting.end() == len(request) or not request[greeting.end() - 1].isalnum()):
        request, social = request[greeting.end() :], "greeting"
    thanks = _THANKS.match(request)
    if thanks and (thanks.end() == len(request) or not request[thanks.end() - 1].isalnum()):
        request, social = request[thanks.end() :], "thanks"
    trailing = _TRAILING_THANKS.search(request)
    if trailing and trailing.start() > 0:
        request = request[: trailing.start()]
    request = request.strip(" \t\n,.;:-")
    if social and all(word.lower() in _SIGN_OFF for word in tokens(request)):
        request = ""  # "thanks, that's all"
    return (request if any(c.isalnum() for c in request) else ""), social


# ------------------------------------------------------------------------------------ slot filling


@dataclass
class _Filling:
    text: str
    taken: list[Span] = field(default_factory=list)
    args: dict[str, Any] = field(default_factory=dict)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)

    def use(self, name: str, value: Any, *spans: Span) -> None:
        self.args[name] = value
        self.taken.extend(spans)


def _fill(
    request: str,
    chosen: Tool,
    confidence: float,
    now: datetime,
    timezone: str,
    known_names: Mapping[str, Sequence[str]] | None,
) -> Understanding:
    names = known_names or {}
    specs = field_specs(chosen.args_model, frozenset(names))
    filling = _Filling(request)
    by_kind: dict[str, list[FieldSpec]] = {}
    for spec in specs:
        by_kind.setdefault(spec.kind, []).append(spec)
    _fill_emails(filling, by_kind.get("email", []))
    _fill_urls(filling, by_kind.get("url", []))
    _fill_dates(filling, by_kind.get("datetime", []) + by_kind.get("date", []), now, timezone)
    _fill_amounts(filling, by_kind.get("number", []), by_kind.get("currency", []))
    for spec in by_kind.get("enum", []) + by_kind.get("enum_list", []):
        _fill_enum(filling, spec)
    for spec in by_kind.get("boolean", []):
        _fill_boolean(filling, spec)
    for spec in by_kind.get("name", []):
        _fill_name(filling, spec, names)
    _fill_integers(filling, by_kind.get("integer", []))
    text_fields = by_kind.get("text", [])
    if text_fields:
        main = next((s for s in text_fields if s.required), text_fields[0])
        _fill_text(filling, main, profile(chosen).frame)
    args, missing = _validated(chosen, filling.args)
    return Understanding(
        chosen.name, args, round(confidence, 3), missing, "tool", ambiguous=filling.ambiguous
    )


def _validated(chosen: Tool, args: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Args the model accepts (a value it refuses is dropped, never guessed), and which required
    fields are still missing."""
    args = dict(args)
    for _ in range(len(args) + 1):
        try:
            chosen.args_model.model_validate(args)
            break
        except ValidationError as exc:
            bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"] and str(e["loc"][0]) in args}
            if not bad:
                break
            for name in bad:
                args.pop(name)
    required = [name for name, info in chosen.args_model.model_fields.items() if info.is_required()]
    return args, [name for name in required if name not in args]


def _fill_emails(filling: _Filling, specs: list[FieldSpec]) -> None:
    found = slots.parse_emails(filling.text)
    for spec, email in zip(specs, found, strict=False):
        filling.use(spec.name, email.value, email.span)
    filling.taken.extend(e.span for e in found)  # an address is never free text or a name


def _fill_urls(filling: _Filling, specs: list[FieldSpec]) -> None:
    found = slots.parse_urls(filling.text)
    for spec, url in zip(specs, found, strict=False):
        filling.use(spec.name, url.value, url.span)
    filling.taken.extend(u.span for u in found)  # an address is never free text or a name


def _date_value(spec: FieldSpec, match: slots.DateMatch, edge: Literal["start", "end", "point"]) -> str:
    if spec.kind == "date":
        if edge == "end" and not match.has_time:
            return (match.end - timedelta(microseconds=1)).date().isoformat()  # the inclusive last day
        return (match.start if edge != "end" else match.end).date().isoformat()
    return (match.end if edge == "end" else match.start).isoformat()


def _fill_dates(filling: _Filling, specs: list[FieldSpec], now: datetime, timezone: str) -> None:
    """A start field takes a range's start, an end field its end, a point field (a due date) the
    day or instant. A tool that only filters by range looks back in time ("Friday" is the last
    one); a tool with a point (a due date) looks forward."""
    if not specs:
        return
    prefer: slots.Prefer = "future" if any(s.bound == "point" for s in specs) else "past"
    found = slots.parse_dates(filling.text, now=now, timezone=timezone, prefer=prefer, exclude=filling.taken)
    starts = [m for m in found if m.relation == "start"]
    ends = [m for m in found if m.relation == "end"]
    plain = [m for m in found if m.relation not in ("start", "end")]
    has_start = any(s.bound == "start" for s in specs)
    for spec in specs:
        if spec.name in filling.args:
            continue
        if spec.bound == "start" and (starts or plain):
            match = starts[0] if starts else plain[0]
            filling.use(spec.name, _date_value(spec, match, "start"), match.span)
        elif spec.bound == "end" and (ends or plain):
            # "last month" fills both ends of a range; with two dates, the second is the end.
            match = ends[0] if ends else plain[1] if has_start and not starts and len(plain) > 1 else plain[0]
            filling.use(spec.name, _date_value(spec, match, "end"), match.span)
        elif spec.bound == "point" and found:
            match = next((m for m in found if m.relation == "deadline"), found[0])
            filling.use(spec.name, _date_value(spec, match, "point"), match.span)


def _number_value(spec: FieldSpec, value: Decimal) -> Any:
    if spec.decimal:
        return str(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _fill_amounts(filling: _Filling, specs: list[FieldSpec], currency_specs: list[FieldSpec]) -> None:
    if not specs:
        return
    found = slots.parse_amounts(filling.text, exclude=filling.taken)
    unused = list(found)
    for spec in specs:
        # An amount said as the field's bound ("over $500" for a minimum), else one said plainly.
        wanted = spec.bound if spec.bound in ("min", "max") else None
        ranked = [a for a in unused if a.bound == wanted] + [a for a in unused if a.bound is None]
        match = ranked[0] if ranked else (unused[0] if unused and wanted is None else None)
        if match is None:
            continue
        unused.remove(match)
        filling.use(spec.name, _number_value(spec, match.value), match.span)
    currency = next((a.currency for a in found if a.currency and a not in unused), None)
    for spec in currency_specs:
        if currency:
            filling.use(spec.name, currency)


def _fill_enum(filling: _Filling, spec: FieldSpec) -> None:
    found = slots.match_phrases(filling.text, spec.phrases, exclude=filling.taken)
    if not found:
        return
    values = {str(v): v for v in spec.values}
    if spec.kind == "enum_list":
        chosen = list(dict.fromkeys(values[m.value] for m in found))
        filling.use(spec.name, chosen, *(m.span for m in found))
    else:
        filling.use(spec.name, values[found[0].value], found[0].span)


def _fill_boolean(filling: _Filling, spec: FieldSpec) -> None:
    found = slots.match_boolean(filling.text, spec.cues, spec.terms)
    if found is not None and not slots.overlaps(found.span, filling.taken):
        filling.use(spec.name, found.value, found.span)


def _fill_name(filling: _Filling, spec: FieldSpec, known: Mapping[str, Sequence[str]]) -> None:
    candidates = known.get(spec.name) or known.get(spec.entity or "") or ()
    found = slots.match_names(filling.text, candidates, exclude=filling.taken)
    if not found:
        return
    best_score = max(m.score for m in found)
    best = [m for m in found if m.score == best_score]
    if len({m.name for m in best}) == 1:
        filling.use(spec.name, best[0].name, best[0].span)
    else:
        filling.ambiguous[spec.name] = sorted({m.name for m in best})
        filling.taken.extend(m.span for m in best)


def _fill_integers(filling: _Filling, specs: list[FieldSpec]) -> None:
    """A count the user asks for ("top 5", "last 10"), kept within the field's bounds. With
    several integer fields, a number goes to the field named just before it ("priority 2")."""
    if not specs:
        return
    found = slots.parse_integers(filling.text, exclude=filling.taken)
    for spec in specs:
        words = set(spec.name.lower().split("_"))
        match = next((i for i in found if i.word_before in words), None)
        if match is None and len(specs) == 1:
            match = next((i for i in found if i.is_count), None)
        if match is None:
            continue
        found.remove(match)
        value = match.value
        if spec.minimum is not None:
            value = max(value, int(spec.minimum))
        if spec.maximum is not None:
            value = min(value, int(spec.maximum))
        filling.use(spec.name, value, match.span)


def _fill_text(filling: _Filling, spec: FieldSpec, frame: frozenset[str]) -> None:
    """Free text is what is left once the request's framing and the other slots are taken out:
    "find anything about invoices" -> "invoices". A quoted phrase is taken as it is. A verbatim
    field takes the whole request: "revenue by category last month" is the question itself."""
    if spec.verbatim:
        whole = filling.text.strip()[: spec.max_length or None].strip()
        if whole:
            filling.use(spec.name, whole)
        return
    quoted = _QUOTED.search(filling.text)
    if quoted and not slots.overlaps((quoted.start(), quoted.end()), filling.taken):
        value = quoted[1].strip()
    else:
        value = leftover(filling.text, filling.taken, frame)
    if spec.max_length:
        value = value[: spec.max_length].strip()
    if value and len(value) >= (spec.min_length or 1):
        filling.use(spec.name, value)


__all__ = ["Kind", "Understanding", "understand"]
