"""Planner benchmark: 500 open tasks for 5 people over 4 weeks of working hours with calendar
events, dependencies (some across people), due dates and unassigned work; plus how it scales, and a
deadline-heavy worst case (every placement re-lays out the reservations). The planner alone — no
database — since that is what runs on every GET /schedule.

    python bench/scheduler.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.table import Table

from binelek.ops.scheduling import Busy, Plan, PlanTask, WorkingWeek, plan

console = Console()
NOW = datetime(
    2026, 3, 2, 7, 45, tzinfo=UTC
)  # a Monday morning; Europe and the US change clocks in the month
WINDOW = timedelta(days=28)
ZONES = ("Europe/Lisbon", "Europe/Berlin", "America/New_York", "America/Chicago", "Asia/Singapore")
PRIORITIES = ("low", "medium", "high", "urgent")
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")


def people(count: int) -> dict[str, WorkingWeek]:
    week = {day: [("09:00", "12:30"), ("13:30", "17:30")] for day in WORKDAYS}
    return {
        f"user{i}": WorkingWeek(
            timezone=ZONES[i % len(ZONES)], week=week, min_chunk_minutes=(30, 45, 60)[i % 3]
        )
        for i in range(count)
    }


def calendars(hours: dict[str, WorkingWeek], rng: random.Random, per_day: int = 3) -> dict[str, list[Busy]]:
    """Meetings on the half hour, 30-90 minutes, in and around working hours (UTC-agnostic)."""
    busy: dict[str, list[Busy]] = {}
    for user in hours:
        events = []
        for day in range(WINDOW.days):
            for _ in range(per_day):
                start = NOW.replace(hour=0, minute=0) + timedelta(
                    days=day, minutes=30 * rng.randrange(12, 48)
                )
                events.append(Busy(start, start + timedelta(minutes=rng.choice((30, 60, 90)))))
        busy[user] = events
    return busy


def tasks(count: int, users: list[str], rng: random.Random, due_share: float = 0.4) -> list[PlanTask]:
    made: list[PlanTask] = []
    for i in range(count):
        blocked_by: tuple[str, ...] = ()
        if made and rng.random() < 0.15:
            blocked_by = tuple({rng.choice(made).id for _ in range(rng.randint(1, 2))})
        due = (
            NOW + timedelta(minutes=rng.randrange(4 * 60, WINDOW.days * 24 * 60))
            if rng.random() < due_share
            else None
        )
        made.append(
            PlanTask(
                id=f"task{i}",
                title=f"Task {i}",
                priority=rng.choices(PRIORITIES, weights=(3, 5, 3, 1))[0],
                due_at=due,
                estimate_minutes=rng.choice((None, 15, 30, 45, 60, 90, 120, 180, 240, 480)),
                assignee=None if rng.random() < 0.1 else rng.choice(users),
                blocked_by=blocked_by,
            )
        )
    return made


def run(count: int, users: int, rounds: int, *, due_share: float = 0.4) -> tuple[list[float], Plan, int]:
    rng = random.Random(count * 31 + users)
    hours = people(users)
    busy = calendars(hours, rng)
    work = tasks(count, list(hours), rng, due_share)
    timings, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = plan(work, hours, busy, start=NOW, end=NOW + WINDOW, now=NOW, requester="user0")
        timings.append(time.perf_counter() - started)
    assert result is not None
    return timings, result, sum(len(items) for items in busy.values())


def row(table: Table, label: str, count: int, users: int, rounds: int, due_share: float = 0.4) -> int:
    timings, result, events = run(count, users, rounds, due_share=due_share)
    outcomes = result.tasks.values()
    with_due = [t for t in outcomes if t.due_at is not None]
    usage = statistics.mean(u.ratio for u in result.utilisation.values())
    table.add_row(
        label,
        f"{count} x {users}",
        f"{min(timings) * 1000:.0f}",
        f"{statistics.median(timings) * 1000:.0f}",
        f"{sum(not t.at_risk for t in with_due)}/{len(with_due)}",
        str(sum(t.unscheduled for t in outcomes)),
        f"{usage:.0%}",
    )
    return events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    table = Table(title=f"Planner, 4 weeks ahead (ms: best and median of {rounds})")
    for column in ("case", "tasks x people", "best", "median", "due met", "unplanned", "busy"):
        table.add_column(column, justify="left" if column == "case" else "right")
    events = row(table, "target", 500, 5, rounds)
    for count, users in ((100, 5), (250, 5), (1000, 5), (1000, 10)):
        row(table, "scaling", count, users, rounds)
    row(table, "all due", 500, 5, rounds, due_share=1.0)
    console.print(table)
    console.print(
        f"{events // 5} calendar events a person. Target: under 1 s for 500 tasks of 5 people. "
        "due met: tasks with a due date not at risk (the load exceeds capacity on purpose). "
        "unplanned: not entirely placed in the 4 weeks. busy: mean share of free working time planned."
    )


if __name__ == "__main__":
    main()
