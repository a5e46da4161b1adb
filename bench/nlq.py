"""Questions in plain language over the demo business: accuracy of the local question engine (no
language model) against hand-written SQL, and latency end to end.

    .venv/bin/python bench/nlq.py [--scale 1.0] [--rounds 1] [--database-url URL]

Loads Northwind Coffee Roasters' generated history (binelek.demo_data, at `--scale`, up to the fixed
`TODAY` of tests/foundry_questions.py) into a fresh SQLite database in a temporary directory, with the
tenant's time zone set to America/Los_Angeles. Then asks every question in the table through
`nlq.ask` — what POST /api/modules/mini-foundry/query runs: vocabulary, parsing, the semantic engine's
queries, the answer sentence — in process, with no query cache, and compares the answer with the
table's hand-written SQL. Prints accuracy, p50/p95 latency, and each miss with why.

`--database-url postgresql://…` runs it on PostgreSQL instead (an empty database; ANALYZE after the
load). `--data-dir DIR` keeps the SQLite database there and reuses it on the next run. Under load,
OpenBLAS's threads slow the embedding of unanswerable questions: OPENBLAS_NUM_THREADS=1 steadies it.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import select, text

from binelek.app import build_state
from binelek.demo import DEMO_COMPANY, load_business_data
from binelek.foundry import nlq
from binelek.foundry.schemas import QuestionIn, QuestionOut
from binelek.identity.models import Tenant
from binelek.kit.auth import Principal
from binelek.kit.migrate import migrate
from binelek.kit.settings import load_settings
from binelek.kit.state import AppState

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the table lives in tests/
from tests.foundry_questions import NOW, QUESTIONS, TIMEZONE, TODAY, Question, check, expected

console = Console()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def load(directory: Path, scale: float, database_url: str | None) -> tuple[AppState, uuid.UUID, float]:
    settings = load_settings(binelek_data_dir=directory, database_url=database_url, binelek_env="test")
    await migrate(settings)
    state = build_state(settings)
    db = state.db
    async with db.session() as session:
        existing = (await session.execute(select(Tenant.id).where(Tenant.name == DEMO_COMPANY))).scalar()
        if existing is not None:  # --data-dir with the demo loaded by an earlier run
            return state, existing, 0.0
        tenant = Tenant(name=DEMO_COMPANY, plan="pro", settings={"timezone": TIMEZONE})
        session.add(tenant)
        await session.flush()
        tenant_id = tenant.id
    started = time.perf_counter()
    await load_business_data(db, tenant_id, scale=scale, today=TODAY)
    if db.dialect == "postgresql":
        # Autovacuum analyzes freshly loaded tables within a minute; until then PostgreSQL plans the
        # joins blind (seconds per question). Measure the steady state.
        async with db.engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    return state, tenant_id, time.perf_counter() - started


def principal_for(tenant_id: uuid.UUID) -> Principal:
    return Principal(
        tenant_id=tenant_id,
        tenant_name=DEMO_COMPANY,
        role="viewer",
        plan="pro",
        modules=("mini-foundry",),
        user_id=uuid.uuid4(),
    )


async def ask(state: AppState, principal: Principal, question: Question) -> tuple[QuestionOut, float]:
    """One question end to end, as the POST /query handler runs it (its own unit of work)."""
    started = time.perf_counter()
    async with state.db.session(tenant_id=principal.tenant_id) as session:
        out = await nlq.ask(
            state, session, principal, QuestionIn(query=question.text), now=NOW, use_cache=False
        )
    return out, (time.perf_counter() - started) * 1000


def _parse_ms(vocabulary: nlq.Vocabulary, text: str, repeats: int = 5) -> float:
    """Reading the question alone (no database): the best of a few runs."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        nlq.parse(text, vocabulary, now=NOW, timezone=TIMEZONE)
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=1, help="ask every question this many times (latency)")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--verbose", action="store_true", help="print every answer")
    parser.add_argument("--data-dir", type=Path, default=None, help="keep (and reuse) the database here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="binelek-bench-nlq-") as directory:
        state, tenant_id, load_seconds = await load(
            args.data_dir or Path(directory), args.scale, args.database_url
        )
        machine = f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
        console.print(
            f"{machine}, {state.db.dialect}; demo at scale {args.scale} loaded in {load_seconds:.1f} s; "
            f"{len(QUESTIONS)} questions"
        )
        principal = principal_for(tenant_id)
        # Warm-up: the embedding model (suggestions) and the tenant's vocabulary, loaded once per process.
        await ask(state, principal, Question("What's the weather tomorrow?", "none"))
        answers: dict[str, QuestionOut] = {}
        timings: dict[str, list[float]] = {question.text: [] for question in QUESTIONS}
        for _ in range(args.rounds):
            for question in QUESTIONS:
                out, elapsed = await ask(state, principal, question)
                answers[question.text] = out
                timings[question.text].append(elapsed)
        misses: list[tuple[Question, str]] = []
        async with state.db.session(tenant_id=tenant_id) as session:
            vocabulary = await nlq.vocabulary(session, tenant_id)
            for question in QUESTIONS:
                verdict = check(
                    question, answers[question.text], await expected(session, tenant_id, question)
                )
                if not verdict.correct:
                    misses.append((question, verdict.why))
        parsing = [_parse_ms(vocabulary, question.text) for question in QUESTIONS]
        if args.verbose:
            for question in QUESTIONS:
                out = answers[question.text]
                console.print(f"[bold]{question.text}[/] -> {out.answer}\n    {out.interpretation}")
        report(misses, timings, parsing)
        await state.db.dispose()


def report(misses: list[tuple[Question, str]], timings: dict[str, list[float]], parsing: list[float]) -> None:
    answerable = [q for q in QUESTIONS if q.rule != "none"]
    refusals = [q for q in QUESTIONS if q.rule == "none"]
    missed = {q.text for q, _ in misses}
    table = Table(title="Local question engine (no LLM) against hand-written SQL")
    for column in ("questions", "correct", "accuracy"):
        table.add_column(column, justify="right" if column != "questions" else "left")
    right = sum(1 for q in answerable if q.text not in missed)
    honest = sum(1 for q in refusals if q.text not in missed)
    table.add_row("answerable", f"{right}/{len(answerable)}", f"{right / len(answerable):.1%}")
    table.add_row(
        "not answerable (honest refusal)", f"{honest}/{len(refusals)}", f"{honest / len(refusals):.1%}"
    )
    total = right + honest
    table.add_row("all", f"{total}/{len(QUESTIONS)}", f"{total / len(QUESTIONS):.1%}")
    console.print(table)
    every = [ms for values in timings.values() for ms in values]
    console.print(
        f"end to end: p50 {_percentile(every, 0.5):.1f} ms, p95 {_percentile(every, 0.95):.1f} ms, "
        f"max {max(every):.1f} ms over {len(every)} answers; reading the question alone: "
        f"p50 {_percentile(parsing, 0.5):.2f} ms, p95 {_percentile(parsing, 0.95):.2f} ms"
    )
    medians = {text: statistics.median(values) for text, values in timings.items()}
    slowest = sorted(medians.items(), key=lambda item: -item[1])[:8]
    console.print("slowest: " + "; ".join(f"{text!r} {ms:.0f} ms" for text, ms in slowest))
    if misses:
        console.print(f"[bold red]{len(misses)} misses[/]")
        for question, why in misses:
            console.print(f"  [red]x[/] {question.text!r}: {why}")


if __name__ == "__main__":
    asyncio.run(main())
