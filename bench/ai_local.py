"""Offline AI benchmark. So far: sentence embeddings per second (all-MiniLM-L6-v2, numpy forward
pass), short and paragraph-length texts, batched as the indexer and search will call it.

    python bench/ai_local.py
"""

from __future__ import annotations

import statistics
import time

from rich.console import Console
from rich.table import Table

from binelek.ai.embeddings import get_embedder

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


if __name__ == "__main__":
    main()
