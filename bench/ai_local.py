"""Offline AI benchmark: sentence embeddings per second (all-MiniLM-L6-v2, numpy forward pass),
short and paragraph-length texts, batched as the indexer and search will call it; and the offline
engine's understanding over the utterance table in tests/local_engine_table.py: intent and exact
argument accuracy, the score margins around its threshold, and latency per message.

    python bench/ai_local.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from binelek.ai.embeddings import get_embedder
from binelek.ai.local import understand
from binelek.ai.local.intents import THRESHOLD, profile, score_tools
from binelek.ai.local.understand import _strip_social
from binelek.kit.tools import Tool, load_tools

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the table lives in tests/
from tests.local_engine_table import NOW, TABLE, TIMEZONE

console = Console()
SHORT = [f"Follow up with customer {i} about the overdue invoice for order #{1000 + i}" for i in range(512)]
PARAGRAPH = [
    (
        f"Competitor {i} lowered the price of its Ethiopian single-origin beans to match ours, added free "
        "shipping over $40 and started a subscription with a 10% discount; their reviews mention slow "
        "delivery and stale coffee in the last month. "
    )
    * 2
    for i in range(128)
]


def per_second(texts: list[str], rounds: int = 3) -> tuple[float, float]:
    embedder = get_embedder()
    embedder.embed(texts[:16])  # warm-up
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        embedder.embed(texts)
        timings.append(time.perf_counter() - started)
    best = min(timings)
    return len(texts) / best, statistics.median(timings) * 1000 / len(texts)


def main() -> None:
    started = time.perf_counter()
    get_embedder()
    load_seconds = time.perf_counter() - started
    table = Table(title=f"Offline embeddings (model load {load_seconds:.2f} s)")
    for column in ("texts", "count", "texts/s (best of 3)", "ms per text (median)"):
        table.add_column(column, justify="right" if column != "texts" else "left")
    for name, texts in (("short (~15 words)", SHORT), ("paragraph (~80 words)", PARAGRAPH)):
        rate, ms = per_second(texts)
        table.add_row(name, str(len(texts)), f"{rate:,.0f}", f"{ms:.2f}")
    console.print(table)
    engine()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def engine(rounds: int = 3) -> None:
    """Accuracy over the table, and latency per message once the examples are embedded."""
    tools = load_tools()
    started = time.perf_counter()
    understand("warm up", list(tools.values()), now=NOW, timezone=TIMEZONE)
    first_call = time.perf_counter() - started
    intent_hits = exact_hits = 0
    timings: list[float] = []
    for round_number in range(rounds):
        for case in TABLE:
            offered = [tools[name] for name in (case.offered or tools)]
            began = time.perf_counter()
            got = understand(case.text, offered, now=NOW, timezone=TIMEZONE)
            timings.append((time.perf_counter() - began) * 1000)
            if round_number == 0:
                intent = (got.tool or got.kind) == case.expect and got.unavailable_tool == case.unavailable
                intent_hits += intent
                exact_hits += intent and (
                    case.expect not in tools or (got.args == case.args and tuple(got.missing) == case.missing)
                )
    table = Table(title=f"Offline engine over {len(TABLE)} utterances (first call {first_call:.2f} s)")
    for column in ("measure", "value"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    table.add_row("intent accuracy", f"{intent_hits}/{len(TABLE)} = {intent_hits / len(TABLE):.1%}")
    table.add_row("intent + exact arguments", f"{exact_hits}/{len(TABLE)} = {exact_hits / len(TABLE):.1%}")
    in_scope, out_of_scope = _margins(tools)
    table.add_row("lowest in-scope tool score", f"{in_scope:.3f} (threshold {THRESHOLD})")
    table.add_row("highest out-of-scope score", f"{out_of_scope:.3f}")
    table.add_row("latency p50 per message", f"{_percentile(timings, 0.5):.1f} ms")
    table.add_row("latency p95 per message", f"{_percentile(timings, 0.95):.1f} ms")
    table.add_row("latency max per message", f"{max(timings):.1f} ms")
    table.add_row("OPENBLAS_NUM_THREADS", os.environ.get("OPENBLAS_NUM_THREADS", "(unset)"))
    console.print(table)


def _margins(tools: dict[str, Tool]) -> tuple[float, float]:
    """The best tool score of the weakest in-scope request and of the strongest out-of-scope one:
    the gap between them is the room the threshold has."""
    profiles = [profile(t) for t in tools.values()]
    in_scope: list[float] = []
    out_of_scope: list[float] = []
    for case in TABLE:
        request, _ = _strip_social(case.text)
        if not request or case.expect in ("help", "greeting", "thanks"):
            continue
        best = score_tools(request, profiles, NOW).ranked[0].combined
        (in_scope if case.expect in tools or case.unavailable else out_of_scope).append(best)
    return min(in_scope), max(out_of_scope)


if __name__ == "__main__":
    main()
