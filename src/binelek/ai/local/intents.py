"""Which tool a request is for.

A tool's score mixes two kinds of evidence:
- semantic: the request's similarity to the tool's examples (offline sentence embeddings, the
  mean of the two closest examples). For a tool with a free-text argument (a search query) the
  words after "find …" are anything at all, so only the *framing* is compared: the request and
  the examples with their free text replaced by a placeholder ("find something"). Otherwise an
  example's subject ("customers in Lisbon") would pull in unrelated requests ("weather in Lisbon");
- lexical: the share of the request's meaningful words (weighted by how few tools use them) that
  the tool's examples (their framing, for a free-text tool), description, name and hints use.

One rule a similarity can't see: a request to change something ("delete …", "cancel …") only
goes to a tool whose own examples or description start with that verb. Reads are interchangeable
("show", "list", "who …"); writes are not.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from binelek.ai.embeddings import get_embedder
from binelek.ai.local import slots
from binelek.ai.local.fields import field_specs, hint_phrases
from binelek.ai.local.words import FRAME_WORDS, PLACEHOLDER, content_stems, masked, stem, tokens, word_set
from binelek.kit.tools import Tool

Vector = NDArray[np.float32]

SEMANTIC_WEIGHT = 0.7
LEXICAL_WEIGHT = 0.3
# A leading write verb none of the tool's examples starts with ("delete everything").
VERB_PENALTY = 0.3
# A leading write verb that is the tool's own, the verb its name or description starts with.
VERB_BONUS = 0.1
# How much a word no tool knows counts against a tool that takes free text (1.0 for others).
UNKNOWN_WORDS_IN_FREE_TEXT = 0.25
# Below this combined score a request is not understood (never guess). Chosen on the table in
# tests/local_engine_table.py; bench/ai_local.py prints the margins on both sides.
THRESHOLD = 0.45
CONFIDENCE_SCALE = 0.06  # confidence = logistic((score - THRESHOLD) / scale): 0.5 at the threshold

# Verbs that ask for a change. First in a request, they must be the tool's own verb.
WRITE_VERBS = word_set(
    """delete remove erase wipe drop destroy purge clear cancel revoke disable deactivate suspend ban
    block kick change update edit modify rename set reset create make add send email pay refund
    transfer buy order book schedule write compose draft post publish upload move assign approve
    reject archive restore invite enable turn promote demote import export sync run start stop
    restart deploy install translate generate mark close open reopen merge split rate"""
)
_POLITE_PREFIX = re.compile(
    r"^(?:(?:please|pls|kindly|now|ok(?:ay)?|so|then|and|also|hey|hi|hello)[\s,!.]+"
    r"|(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?"
    r"|i\s+(?:want|need|would\s+like|wish)\s+(?:you\s+)?to\s+|i'd\s+like\s+(?:you\s+)?to\s+"
    r"|let's\s+|lets\s+|go\s+ahead\s+and\s+|help\s+me\s+)+",
    re.IGNORECASE,
)


def leading_verb(text: str) -> str | None:
    """The first word of a request once "please", "can you" and the like are set aside."""
    rest = _POLITE_PREFIX.sub("", text.strip())
    first = tokens(rest)
    return first[0].lower() if first else None


@dataclass(frozen=True)
class ToolProfile:
    name: str
    examples: tuple[str, ...]
    vocabulary: frozenset[str]  # stems of its examples, description, name and hints
    verbs: frozenset[str]  # stems of the words its examples and description start with
    own_verbs: frozenset[str]  # stems of the words its name and description start with
    frame: frozenset[str]  # framing words, with the words in 2+ examples (how people ask for it)
    slot_phrases: dict[str, list[str]]  # its enum phrases: part of the framing, never free text
    framed_examples: tuple[str, ...]  # examples with their free text masked; () if no free text

    def mask(self, text: str) -> str | None:
        """`text` with its free text masked, if this tool takes free text and `text` has framing."""
        return _mask(text, self.frame, self.slot_phrases) if self.framed_examples else None


def _mask(text: str, frame: frozenset[str], slot_phrases: dict[str, list[str]]) -> str | None:
    taken = [m.span for m in slots.match_phrases(text, slot_phrases)]
    taken += [i.span for i in slots.parse_integers(text, exclude=taken) if i.is_count]
    return masked(text, taken, frame)


def profile(tool: Tool) -> ToolProfile:
    return _profile(tool.name, tool.description, tool.examples, tool.args_model)


@lru_cache(maxsize=256)
def _profile(
    name: str, description: str, examples: tuple[str, ...], args_model: type[BaseModel]
) -> ToolProfile:
    texts = [*examples, description, name.replace("_", " ")]
    vocabulary = {s for text in [*texts, *hint_phrases(args_model)] for s in content_stems(text)}
    verbs = {stem(verb) for text in texts if (verb := leading_verb(text))}
    own_verbs = {stem(verb) for text in texts[-2:] if (verb := leading_verb(text))}
    counts: dict[str, int] = {}
    for example in examples:
        for word in {t.lower() for t in tokens(example)}:
            counts[word] = counts.get(word, 0) + 1
    # How people ask for it: words in two or more examples, and the verbs examples start with.
    leading = {verb for example in examples if (verb := leading_verb(example))}
    frame = FRAME_WORDS | leading | {word for word, count in counts.items() if count >= 2}
    specs = field_specs(args_model)
    slot_phrases = {
        f"{spec.name}={value}": phrases
        for spec in specs
        if spec.kind in ("enum", "enum_list")
        for value, phrases in spec.phrases.items()
    }
    framed: tuple[str, ...] = ()
    if any(spec.kind == "text" for spec in specs):
        framed = tuple(dict.fromkeys(m for e in examples if (m := _mask(e, frame, slot_phrases))))
        # An example's free text ("customers in Lisbon") is a stand-in, not words the tool knows.
        vocabulary = {
            s for text in [*framed, description, *hint_phrases(args_model)] for s in content_stems(text)
        } - {PLACEHOLDER}
    return ToolProfile(
        name,
        examples or (description,),
        frozenset(vocabulary),
        frozenset(verbs),
        frozenset(own_verbs),
        frame,
        slot_phrases,
        framed,
    )


class _ExampleVectors:
    """Embeddings of each distinct list of examples, computed once per process."""

    def __init__(self) -> None:
        self._vectors: dict[tuple[str, ...], Vector] = {}
        self._lock = threading.Lock()

    def of(self, lists: Sequence[tuple[str, ...]]) -> list[Vector]:
        missing = list(dict.fromkeys(examples for examples in lists if examples not in self._vectors))
        if missing:
            vectors = get_embedder().embed([text for examples in missing for text in examples])
            with self._lock:
                offset = 0
                for examples in missing:
                    self._vectors[examples] = vectors[offset : offset + len(examples)]
                    offset += len(examples)
        return [self._vectors[examples] for examples in lists]


EXAMPLE_VECTORS = _ExampleVectors()

HELP_EXAMPLES = (
    "what can you do",
    "what can I ask you",
    "how do I use this assistant",
    "what are your capabilities",
    "which commands do you understand",
    "what kinds of questions can you answer",
    "help me get started",
)


@dataclass(frozen=True)
class Score:
    tool: str
    semantic: float
    lexical: float
    penalty: float  # negative: a bonus

    @property
    def combined(self) -> float:
        return SEMANTIC_WEIGHT * self.semantic + LEXICAL_WEIGHT * self.lexical - self.penalty

    @property
    def confidence(self) -> float:
        return 1.0 / (1.0 + math.exp(-(self.combined - THRESHOLD) / CONFIDENCE_SCALE))


@dataclass(frozen=True)
class Scores:
    ranked: list[Score]  # best first
    help_similarity: float


def _closeness(vectors: Vector, query: Vector) -> float:
    """The mean of the two closest examples: one lucky example is weaker evidence than two."""
    if len(vectors) == 0:
        return 0.0
    similarities = np.sort(vectors @ query)[::-1]
    return float(similarities[:2].mean())


def _lexical(stems: list[str], profiles: Sequence[ToolProfile]) -> list[float]:
    """The share of the request's meaningful words, weighted by how few tools use them, that a
    tool knows. Words no tool knows count against every tool, and less so against one that takes
    free text: there they are likely the text itself ("find invoices")."""
    if not stems:
        return [0.0] * len(profiles)
    count = len(profiles)
    users = {s: sum(s in p.vocabulary for p in profiles) for s in set(stems)}
    weights = {s: math.log((count + 1) / (used + 0.5)) for s, used in users.items()}
    known_total = sum(weights[s] for s in stems if users[s])
    unknown_total = sum(weights[s] for s in stems if not users[s])
    shares = []
    for p in profiles:
        known = sum(weights[s] for s in stems if s in p.vocabulary)
        unknown_share = UNKNOWN_WORDS_IN_FREE_TEXT if p.framed_examples else 1.0
        denominator = known_total + unknown_share * unknown_total
        shares.append(known / denominator if denominator else 0.0)
    return shares


def _without_values(text: str, now: datetime) -> str:
    """The request without its dates, e-mail addresses and numbers: values say nothing about
    which tool is meant, and "Q3" or "bob@x.com" would count as words no tool knows."""
    spans = [m.span for m in slots.parse_dates(text, now=now)] + [e.span for e in slots.parse_emails(text)]
    spans += [u.span for u in slots.parse_urls(text)]
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return text


def score_tools(text: str, profiles: Sequence[ToolProfile], now: datetime | None = None) -> Scores:
    """Every tool's score for `text` (one batched embedding call), and how much it looks like a
    question about the assistant itself."""
    masks = {p.name: m for p in profiles if (m := p.mask(text))}
    vectors = get_embedder().embed([text, *masks.values()])
    query, masked_vectors = vectors[0], dict(zip(masks, vectors[1:], strict=True))
    example_vectors = EXAMPLE_VECTORS.of([p.examples for p in profiles] + [HELP_EXAMPLES])
    framed_vectors = EXAMPLE_VECTORS.of([p.framed_examples for p in profiles])
    lexical = _lexical(content_stems(_without_values(text, now or datetime.now(UTC))), profiles)
    verb = leading_verb(text)
    verb_stem = stem(verb) if verb and verb in WRITE_VERBS else None
    ranked = []
    for index, p in enumerate(profiles):
        if p.name in masked_vectors:  # compare the framing only: example content is a stand-in
            semantic = _closeness(framed_vectors[index], masked_vectors[p.name])
        else:
            semantic = _closeness(example_vectors[index], query)
        penalty = 0.0
        if verb_stem:
            penalty = (
                -VERB_BONUS if verb_stem in p.own_verbs else 0.0 if verb_stem in p.verbs else VERB_PENALTY
            )
        ranked.append(Score(p.name, semantic, lexical[index], penalty))
    ranked.sort(key=lambda s: s.combined, reverse=True)
    return Scores(ranked, _closeness(example_vectors[-1], query))
