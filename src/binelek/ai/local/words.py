"""Word-level helpers shared by intent scoring and slot filling: stop words, a crude stemmer, and
the free text left in a request once its framing words and the other slots are taken out."""

from __future__ import annotations

import re
from collections.abc import Iterable

Span = tuple[int, int]
RIGHT_QUOTE = "\u2019"  # the typographic apostrophe phones type: "who\u2019s"


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = word_set(
    """a an the of for to in on at by with about from into onto over as and or but if then so than
    i me my mine we us our ours you your yours he she it its they them their this that these those
    is are was were be been being am do does did done have has had having can could would should will
    shall may might must please pls kindly just also any some all every each no not only very really
    what which who whom whose where when why how there here let lets let's i'd i'm it's what's who's
    isn't aren't wasn't weren't don't doesn't didn't haven't hasn't hadn't won't can't cannot couldn't
    yet still already ever again too"""
)
# Words that frame a request rather than say what it is about: dropped from the ends of free text.
FRAME_WORDS = STOPWORDS | word_set(
    """want need like get got give tell show list see find look search up out know anything everything
    something stuff things thing info information details detail records record related regarding
    concerning mentioning mention mentions containing contain contains called named titled similar
    anywhere everywhere data entries entry results result matching match matches lookup check fetch
    bring pull display anyone someone now again thanks"""
)
PLACEHOLDER = "something"

_TOKEN = re.compile(r"[a-z0-9]+(?:['" + RIGHT_QUOTE + r"][a-z]+)?", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+")
_WORD_IN_TEXT = re.compile(r"[^\s,;:!?()\[\]{}\"\u201c\u201d]+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def stem(word: str) -> str:
    """A crude English stemmer: enough to make "invitations", "invited" and "invite" one word."""
    word = word.lower().replace(RIGHT_QUOTE, "'").removesuffix("'s")
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
    return word


def content_stems(text: str) -> list[str]:
    """Stems of the words that carry meaning (no stop words, numbers or e-mail addresses)."""
    text = _EMAIL.sub(" ", text)
    return [stem(t) for t in _TOKEN.findall(text) if t.lower() not in STOPWORDS and not t.isdigit()]


def _overlaps(span: Span, taken: Iterable[Span]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def leftover_span(text: str, taken: Iterable[Span], frame: frozenset[str]) -> list[Span]:
    """The words of `text` outside `taken`, without framing words at either end."""
    taken = list(taken)
    words = [
        (m.start(), m.end())
        for m in _WORD_IN_TEXT.finditer(text)
        if not _overlaps((m.start(), m.end()), taken)
    ]

    def is_frame(span: Span) -> bool:
        word = text[span[0] : span[1]].lower().strip(".,!?'\"" + RIGHT_QUOTE).replace(RIGHT_QUOTE, "'")
        return word in frame or not any(c.isalnum() for c in word)

    while words and is_frame(words[0]):
        words.pop(0)
    while words and is_frame(words[-1]):
        words.pop()
    return words


def leftover(text: str, taken: Iterable[Span], frame: frozenset[str]) -> str:
    """ "find anything about invoices" -> "invoices"."""
    return " ".join(text[start:end] for start, end in leftover_span(text, taken, frame)).strip(" .,!?;:'\"")


def masked(text: str, taken: Iterable[Span], frame: frozenset[str]) -> str | None:
    """The request's framing with its free text replaced by a placeholder ("find something"), or
    None when the whole request is free text (it has no framing to compare)."""
    words = leftover_span(text, taken, frame)
    if not words:
        return None
    start, end = words[0][0], words[-1][1]
    before, after = text[:start].strip(), text[end:].strip()
    if not any(c.isalnum() for c in before + after):
        return None
    return " ".join(part for part in (before, PLACEHOLDER, after) if part)
