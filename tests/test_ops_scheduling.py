"""The planner (binelek.ops.scheduling), pure: hypothesis properties over random weeks, busy time,
tasks and dependencies, checked against facts computed here independently (working minutes from the
zone's wall clock, an EDF oracle over free slots), plus worked examples."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binelek.ops.scheduling import (
    DEFAULT_ESTIMATE_MINUTES,
    WEEKDAYS,
    Busy,
    Plan,
    PlanTask,
    WorkingWeek,
    earliest_blocks,
    latest_blocks,
    most_blocks,
    parse_hhmm,
    plan,
)

MONDAY = datetime(2026, 3, 23, tzinfo=UTC)  # the week before Europe's DST change (29 March)
MINUTE = timedelta(minutes=1)
PRIORITIES = ("low", "medium", "high", "urgent")
# Whole-hour offsets keep a 15/30/60-minute grid aligned; Kolkata (+05:30) does not, for the safety
# properties only. Berlin and New York change offset inside or near the generated weeks.
GRID_ZONES = ("UTC", "Europe/Berlin", "America/New_York")
ANY_ZONES = (*GRID_ZONES, "Asia/Kolkata", "Australia/Lord_Howe")
# The app's background workers (started by other test modules in the same process) draw from the
# global `random`; Hypothesis takes that for a strategy doing so. Nothing here uses it.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass
class Instance:
    tasks: list[PlanTask]
    hours: dict[str, WorkingWeek]
    busy: dict[str, list[Busy]]
    start: datetime
    end: datetime
    now: datetime
    requester: str = "u0"

    def plan(self) -> Plan:
        return plan(
            self.tasks,
            self.hours,
            self.busy,
            start=self.start,
            end=self.end,
            now=self.now,
            requester=self.requester,
        )


# -- generating instances ---------------------------------------------------------------------------


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def weeks(draw: st.DrawFn, step: int, zones: Sequence[str], min_chunk: int) -> WorkingWeek:
    """Per day up to two windows on a `step`-minute grid, from a few minutes to most of the day."""
    days: dict[str, list[tuple[str, str]]] = {}
    per_day = 24 * 60 // step
    for day in WEEKDAYS:
        windows: list[tuple[int, int]] = []
        for _ in range(draw(st.integers(0, 2))):
            first = draw(st.integers(0, per_day - 1))
            last = min(per_day, first + draw(st.integers(1, 12 * 60 // step)))
            if all(last <= s or first >= e for s, e in windows):
                windows.append((first, last))
        days[day] = [(_hhmm(s * step), _hhmm(e * step)) for s, e in sorted(windows)]
    return WorkingWeek(timezone=draw(st.sampled_from(zones)), week=days, min_chunk_minutes=min_chunk)


@st.composite
def instances(draw: st.DrawFn, *, grid: bool) -> Instance:
    """grid=True: the chunk size is a time quantum everything aligns to (hours, busy time, `now`,
    estimates), so the chunk rule cannot cost a deadline and EDF over free slots is exact."""
    if grid:
        quantum = draw(st.sampled_from((15, 30, 60)))
        step = quantum
    else:
        quantum = draw(st.integers(15, 90))
        step = draw(st.sampled_from((1, 5, 15)))
    days = draw(st.integers(1, 4))
    start = MONDAY + timedelta(days=draw(st.integers(0, 6)))
    end = start + timedelta(days=days)
    now = start + timedelta(minutes=draw(st.integers(0, 24 * 60 // step)) * step)
    if not grid:
        now += timedelta(seconds=draw(st.integers(0, 59)))
    users = [f"u{i}" for i in range(draw(st.integers(1, 3 if not grid else 2)))]
    hours = {
        user: draw(
            weeks(step, GRID_ZONES if grid else ANY_ZONES, quantum if grid else draw(st.integers(15, 90)))
        )
        for user in users
    }
    busy: dict[str, list[Busy]] = {}
    for user in users:
        items = []
        for _ in range(draw(st.integers(0, 5))):
            offset = draw(st.integers(0, days * 24 * 60 // step)) * step
            length = draw(st.integers(1, 8 * 60 // step)) * step
            begin = start + timedelta(minutes=offset)
            if not grid:
                begin += timedelta(seconds=draw(st.integers(0, 59)))
            items.append(Busy(begin, begin + timedelta(minutes=length)))
        busy[user] = items
    count = draw(st.integers(0, 10 if grid else 12))
    tasks: list[PlanTask] = []
    for index in range(count):
        if grid:
            estimate: int | None = draw(st.integers(1, max(1, 240 // quantum))) * quantum
        else:
            estimate = draw(st.one_of(st.none(), st.integers(1, 300)))
        assignee = draw(st.sampled_from([*users, None]))
        owner = assignee or "u0"
        earlier = [t for t in tasks if not grid or (t.assignee or "u0") == owner]
        blocked_by = tuple(
            draw(st.lists(st.sampled_from([t.id for t in earlier]), max_size=2, unique=True))
            if earlier
            else ()
        )
        due = draw(st.one_of(st.none(), st.integers(0, (days + 1) * 24 * 60)))
        tasks.append(
            PlanTask(
                id=f"t{index}",
                title=f"Task {index}",
                priority=draw(st.sampled_from(PRIORITIES)),
                due_at=None if due is None else now + timedelta(minutes=due),
                estimate_minutes=estimate,
                assignee=assignee,
                blocked_by=blocked_by,
            )
        )
    order = draw(st.permutations(tasks))  # the input order must not matter for the rules
    return Instance(list(order), hours, busy, start, end, now)


@st.composite
def tight_instances(draw: st.DrawFn) -> tuple[Instance, int]:
    """Grid instances whose due dates come from a reference schedule (tasks back to back in a random
    order that respects dependencies), plus a little slack: feasible by construction, and tight.
    Priorities are drawn independently, so they pull against the due dates."""
    inst = draw(instances(grid=True))
    quantum = next(iter(inst.hours.values())).min_chunk_minutes
    by_id = {task.id: task for task in inst.tasks}
    rank = {task.id: draw(st.integers(0, 1000)) for task in inst.tasks}
    dues: dict[str, datetime] = {}
    for user in inst.hours:
        slots = _free_slots(inst, user, quantum)
        mine = [t for t in inst.tasks if (t.assignee or inst.requester) == user]
        done: set[str] = set()
        for task in sorted(mine, key=lambda t: (_depth(t, by_id), rank[t.id])):  # blockers first
            need = _estimate(task) // quantum
            if len(slots) < need or any(b not in done for b in task.blocked_by):
                continue
            finish = slots[need - 1] + timedelta(minutes=quantum)
            slots = slots[need:]
            done.add(task.id)
            if draw(st.booleans()):
                slack = timedelta(minutes=draw(st.integers(0, 2)) * quantum)
                dues[task.id] = min(finish + slack, inst.end)  # a later one protects nothing
    tasks = [
        PlanTask(t.id, t.title, t.priority, dues.get(t.id), t.estimate_minutes, t.assignee, t.blocked_by)
        for t in inst.tasks
    ]
    return Instance(tasks, inst.hours, inst.busy, inst.start, inst.end, inst.now), quantum


# -- facts computed independently of the planner ----------------------------------------------------


def _wall_moment(zone: ZoneInfo, day: date, minutes: int) -> datetime:
    """The first moment the wall clock in `zone` reads `day` + `minutes` (brute force, by minute)."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
    # Start three hours before zoneinfo's reading (off by an hour at most), then walk minute by
    # minute: the wall clock goes back once at most on the way, never skipping the first moment.
    moment = wall.replace(tzinfo=zone).astimezone(UTC) - timedelta(hours=3)
    while moment.astimezone(zone).replace(tzinfo=None) < wall:
        moment += MINUTE
    return moment


def _working_spans(inst: Instance, user: str) -> list[tuple[datetime, datetime]]:
    week = inst.hours[user]
    zone = ZoneInfo(week.timezone)
    spans = []
    day = inst.start.astimezone(zone).date() - timedelta(days=1)
    while day <= inst.end.astimezone(zone).date():
        for start, end in week.week.get(WEEKDAYS[day.weekday()], ()):
            s, e = _wall_moment(zone, day, parse_hhmm(start)), _wall_moment(zone, day, parse_hhmm(end))
            if s < e:
                spans.append((s, e))
        day += timedelta(days=1)
    merged: list[tuple[datetime, datetime]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _busy_at(busy: Sequence[Busy], start: datetime, end: datetime) -> bool:
    return any(item.start < end and start < item.end for item in busy)


def _planning_start(inst: Instance) -> datetime:
    first = max(inst.start, inst.now)
    return first if first.second == 0 and first.microsecond == 0 else first.replace(second=0) + MINUTE


def _free(
    inst: Instance, user: str, working: Sequence[tuple[datetime, datetime]], s: datetime, e: datetime
) -> bool:
    """Is [s, e) free time: planned-for, inside one working span, not busy?"""
    return (
        _planning_start(inst) <= s
        and e <= inst.end
        and any(ws <= s and e <= we for ws, we in working)
        and not _busy_at(inst.busy[user], s, e)
    )


def _free_slots(inst: Instance, user: str, quantum: int) -> list[datetime]:
    working = _working_spans(inst, user)
    slots, moment, length = [], _planning_start(inst), timedelta(minutes=quantum)
    while moment + length <= inst.end:
        if _free(inst, user, working, moment, moment + length):
            slots.append(moment)
        moment += length
    return slots


def _estimate(task: PlanTask) -> int:
    return task.estimate_minutes or DEFAULT_ESTIMATE_MINUTES


def edf_oracle(inst: Instance, quantum: int) -> bool:
    """Can every due date inside the window be met? EDF over free `quantum` slots, each person on
    their own, with precedence-adjusted deadlines — exact for work split into slots at will."""
    h1 = inst.end
    by_id = {task.id: task for task in inst.tasks}
    for user in inst.hours:
        slots = _free_slots(inst, user, quantum)
        mine = [task for task in inst.tasks if (task.assignee or inst.requester) == user]
        deadlines: dict[str, datetime] = {}
        for task in sorted(mine, key=lambda t: -_depth(t, by_id)):  # dependents before blockers
            candidates = [task.due_at] if task.due_at is not None and task.due_at <= h1 else []
            for other in mine:
                if task.id in other.blocked_by and other.id in deadlines:
                    before = [s for s in slots if s + timedelta(minutes=quantum) <= deadlines[other.id]]
                    need = _estimate(other) // quantum
                    if len(before) >= need:
                        candidates.append(before[len(before) - need])
            if candidates:
                deadlines[task.id] = min(candidates)
        remaining = {task: _estimate(by_id[task]) // quantum for task in deadlines}
        finished: dict[str, datetime] = {}
        for slot in slots:
            ready = [
                t
                for t in remaining
                if remaining[t] and all(b in finished or b not in deadlines for b in by_id[t].blocked_by)
            ]
            if not ready:
                continue
            chosen = min(ready, key=lambda t: deadlines[t])
            remaining[chosen] -= 1
            if remaining[chosen] == 0:
                finished[chosen] = slot + timedelta(minutes=quantum)
        if any(task not in finished or finished[task] > deadlines[task] for task in deadlines):
            return False
    return True


def _depth(task: PlanTask, by_id: Mapping[str, PlanTask]) -> int:
    """Length of the longest blocker chain under `task` (the generated graphs are acyclic)."""
    blockers = [by_id[b] for b in task.blocked_by if b in by_id]
    return 1 + max((_depth(b, by_id) for b in blockers), default=0)


# -- properties ------------------------------------------------------------------------------------


def _check_rules(inst: Instance, result: Plan) -> None:
    by_id = {task.id: task for task in inst.tasks}
    by_user: dict[str, list[tuple[datetime, datetime]]] = {}
    blocks_of: dict[str, list[tuple[datetime, datetime]]] = {}
    working = {user: _working_spans(inst, user) for user in inst.hours}
    for block in result.blocks:
        assert block.start < block.end
        assert _free(inst, block.user_id, working[block.user_id], block.start, block.end), block
        by_user.setdefault(block.user_id, []).append((block.start, block.end))
        blocks_of.setdefault(block.task_id, []).append((block.start, block.end))
    for spans in by_user.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start, "overlapping blocks"
    for task in inst.tasks:
        outcome = result.tasks[task.id]
        spans = sorted(blocks_of.get(task.id, []))
        minutes = sum((e - s) // MINUTE for s, e in spans)
        assert outcome.scheduled_minutes == minutes
        assert outcome.user_id == (task.assignee or inst.requester)
        assert outcome.unassigned == (task.assignee is None)
        estimate = _estimate(task)
        min_chunk = inst.hours[outcome.user_id].min_chunk_minutes
        if estimate < min_chunk:
            assert len(spans) <= 1 and minutes in (0, estimate)
        else:
            assert all((e - s) // MINUTE >= min_chunk for s, e in spans)
        if outcome.unscheduled:
            assert minutes < estimate and outcome.planned_finish is None
            assert outcome.at_risk == (task.due_at is not None and task.due_at <= inst.end)
        else:
            assert minutes == estimate and outcome.planned_finish == spans[-1][1]
            assert outcome.at_risk == (task.due_at is not None and spans[-1][1] > task.due_at)
        for blocker_id in task.blocked_by:
            if not spans:
                continue
            blocker = result.tasks[blocker_id]
            if not blocker.unscheduled:
                assert blocker.planned_finish is not None and blocker.planned_finish <= spans[0][0]
            else:  # only someone else's task may stand in with its due date
                due = by_id[blocker_id].due_at
                assert blocker.user_id != outcome.user_id and due is not None and due <= spans[0][0]


@PROPERTY
@given(instances(grid=False))
def test_plans_keep_every_rule(inst: Instance) -> None:
    _check_rules(inst, inst.plan())


@PROPERTY
@given(instances(grid=True))
def test_every_due_date_is_met_when_edf_says_it_can_be(inst: Instance) -> None:
    result = inst.plan()
    _check_rules(inst, result)
    quantum = next(iter(inst.hours.values())).min_chunk_minutes
    if not edf_oracle(inst, quantum):
        return
    for task in inst.tasks:
        if task.due_at is not None and task.due_at <= inst.end:
            outcome = result.tasks[task.id]
            assert not outcome.at_risk, (task, outcome)
            assert outcome.planned_finish is not None and outcome.planned_finish <= task.due_at


@PROPERTY
@given(tight_instances())
def test_tight_due_dates_are_all_met(case: tuple[Instance, int]) -> None:
    inst, quantum = case
    assert edf_oracle(inst, quantum), "a reference schedule meets every due date: EDF must too"
    result = inst.plan()
    _check_rules(inst, result)
    for task in inst.tasks:
        if task.due_at is not None:
            outcome = result.tasks[task.id]
            assert outcome.planned_finish is not None and outcome.planned_finish <= task.due_at
            assert not outcome.at_risk


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 500), st.integers(1, 120)), max_size=8),
    st.integers(1, 400),
    st.integers(1, 90),
)
def test_earliest_blocks_finishes_earliest(raw: list[tuple[int, int]], work: int, min_chunk: int) -> None:
    """Against brute force over every split of `work` into the gaps (small cases)."""
    gaps: list[tuple[int, int]] = []
    cursor = 0
    for pause, length in raw:
        gaps.append((cursor + pause, cursor + pause + length))
        cursor += pause + length + 1
    found = earliest_blocks(gaps, work, min_chunk)
    best = _brute_earliest(gaps, work, min_chunk)
    assert (found is None) == (best is None)
    if found is None:
        assert sum(e - s for s, e in most_blocks(gaps, work, min_chunk)) < work
        return
    assert sum(e - s for s, e in found) == work
    assert found[-1][1] == best
    for s, e in found:
        assert any(gs <= s and e <= ge for gs, ge in gaps)
        assert e - s >= min(min_chunk, work)
    late = latest_blocks(reversed(gaps), work, min_chunk)
    assert late is not None and sum(e - s for s, e in late) == work


def _brute_earliest(gaps: list[tuple[int, int]], work: int, min_chunk: int) -> int | None:
    if work < min_chunk:
        return next((s + work for s, e in gaps if e - s >= work), None)
    reachable = {0}  # amounts the gaps so far can hold
    for s, e in gaps:
        length = e - s
        if length >= min_chunk:
            for amount in range(min_chunk, min(length, work) + 1):
                if work - amount in reachable:
                    return s + amount
        reachable |= {r + a for r in reachable for a in range(min_chunk, length + 1) if r + a <= work}
    return None


# -- worked examples --------------------------------------------------------------------------------

NOW = MONDAY.replace(hour=8)  # Monday 23 March 2026, 08:00 UTC
WEEK = WorkingWeek()  # Mon-Fri 09:00-17:00 UTC, 30-minute chunks


def _plan(tasks: list[PlanTask], **kwargs: object) -> Plan:
    options: dict[str, object] = {
        "hours": {"me": WEEK},
        "busy": {},
        "start": NOW,
        "end": NOW + timedelta(days=7),
        "now": NOW,
        "requester": "me",
    }
    options.update(kwargs)
    return plan(tasks, **options)  # type: ignore[arg-type]


def _spans(result: Plan, task_id: str) -> list[tuple[str, str]]:
    return [
        (b.start.strftime("%a %H:%M"), b.end.strftime("%a %H:%M"))
        for b in result.blocks
        if b.task_id == task_id
    ]


def test_priority_then_due_date_then_blockers_first() -> None:
    result = _plan(
        [
            PlanTask("low", "Low", "low", estimate_minutes=60, assignee="me"),
            PlanTask("soon", "Medium due Friday", "medium", NOW + timedelta(days=4), 60, "me"),
            PlanTask("later", "Medium due later", "medium", NOW + timedelta(days=6), 60, "me"),
            PlanTask("none", "Medium, no due date", "medium", None, 60, "me"),
            PlanTask("urgent", "Urgent", "urgent", None, 60, "me", blocked_by=("prep",)),
            PlanTask("prep", "Blocker of urgent", "low", None, 60, "me"),
        ]
    )
    assert _spans(result, "prep") == [("Mon 09:00", "Mon 10:00")]
    assert _spans(result, "urgent") == [("Mon 10:00", "Mon 11:00")]
    order = [b.task_id for b in result.blocks]
    assert order == ["prep", "urgent", "soon", "later", "none", "low"]


def test_a_task_without_due_date_does_not_push_a_due_one_late() -> None:
    """The brief's example: a high-priority task with no due date would take the whole morning; the
    low-priority task due at 11:00 still makes it, and the high one still gets every minute early."""
    result = _plan(
        [
            PlanTask("high", "Big high-priority job", "high", None, 180, "me"),
            PlanTask("low", "Small job due 11:00", "low", NOW.replace(hour=11), 60, "me"),
        ]
    )
    assert result.tasks["low"].planned_finish is not None
    assert result.tasks["low"].planned_finish <= NOW.replace(hour=11)
    assert not result.tasks["low"].at_risk
    assert _spans(result, "low") == [("Mon 10:00", "Mon 11:00")]  # as late as it may, high around it
    assert _spans(result, "high") == [("Mon 09:00", "Mon 10:00"), ("Mon 11:00", "Mon 13:00")]


def test_long_tasks_split_into_chunks_that_fit_gaps() -> None:
    busy = [
        Busy(NOW.replace(hour=10), NOW.replace(hour=10, minute=40)),
        Busy(NOW.replace(hour=11), NOW.replace(hour=16)),
    ]
    result = _plan(
        [PlanTask("long", "Long", estimate_minutes=200, assignee="me")],
        hours={"me": WorkingWeek(min_chunk_minutes=45)},
        busy={"me": busy},
    )
    # 10:40-11:00 (20 min) is under the 45-minute minimum: skipped.
    assert _spans(result, "long") == [
        ("Mon 09:00", "Mon 10:00"),
        ("Mon 16:00", "Mon 17:00"),
        ("Tue 09:00", "Tue 10:20"),
    ]
    chunks = [(b.chunk, b.chunks) for b in result.blocks]
    assert chunks == [(1, 3), (2, 3), (3, 3)]


def test_a_short_task_is_one_chunk_and_skips_small_gaps() -> None:
    busy = [Busy(NOW.replace(hour=9, minute=20), NOW.replace(hour=12))]
    result = _plan(
        [PlanTask("short", "Short", estimate_minutes=25, assignee="me")],
        hours={"me": WorkingWeek(min_chunk_minutes=60)},
        busy={"me": busy},
    )
    assert _spans(result, "short") == [("Mon 12:00", "Mon 12:25")]


def test_exact_placement_beats_greedy_filling() -> None:
    """90 minutes in 30-minute chunks over three 40-minute gaps: 30+30+30 finishes in the third
    gap; taking 40 first would leave 50, which no 40-minute gap can finish."""
    gaps = [(0, 40), (100, 140), (200, 240), (1000, 2000)]
    assert earliest_blocks(gaps, 90, 30) == [(0, 30), (100, 130), (200, 230)]


def test_working_hours_follow_the_zone_across_dst() -> None:
    berlin = WorkingWeek(timezone="Europe/Berlin", week={d: [("09:00", "10:00")] for d in WEEKDAYS})
    start = datetime(2026, 3, 27, tzinfo=UTC)  # Friday; clocks go forward on Sunday 29 March
    tasks = [PlanTask(f"t{i}", priority="high", estimate_minutes=60, assignee="me") for i in range(4)]
    result = plan(
        tasks, {"me": berlin}, {}, start=start, end=start + timedelta(days=4), now=start, requester="me"
    )
    starts = sorted(b.start for b in result.blocks)
    assert [s.isoformat() for s in starts] == [
        "2026-03-27T08:00:00+00:00",  # 09:00 CET
        "2026-03-28T08:00:00+00:00",
        "2026-03-29T07:00:00+00:00",  # 09:00 CEST
        "2026-03-30T07:00:00+00:00",
    ]


def test_nothing_before_now_and_partial_minutes_round_up() -> None:
    now = NOW.replace(hour=10, minute=7, second=30)
    result = _plan([PlanTask("a", estimate_minutes=30, assignee="me")], now=now)
    assert _spans(result, "a") == [("Mon 10:08", "Mon 10:38")]


def test_cycles_are_reported_and_not_planned() -> None:
    result = _plan(
        [
            PlanTask("a", "A", blocked_by=("b",), assignee="me"),
            PlanTask("b", "B", blocked_by=("a",), assignee="me"),
            PlanTask("self", "Self", blocked_by=("self",), assignee="me"),
            PlanTask("c", "C", due_at=NOW + timedelta(days=1), blocked_by=("a",), assignee="me"),
            PlanTask("free", "Free", assignee="me"),
        ]
    )
    assert sorted(result.cycles) == [("a", "b"), ("self",)]
    for task in ("a", "b", "self", "c"):
        assert result.tasks[task].unscheduled and result.tasks[task].scheduled_minutes == 0
    assert result.tasks["c"].at_risk and result.tasks["c"].risk == "cycle"
    assert "A → B → A" in (result.tasks["a"].note or "")
    assert not result.tasks["free"].unscheduled


def test_unassigned_tasks_go_to_the_requester_flagged() -> None:
    result = _plan([PlanTask("x", "Nobody's", estimate_minutes=None)])
    outcome = result.tasks["x"]
    assert outcome.user_id == "me" and outcome.unassigned
    assert outcome.estimate_minutes == DEFAULT_ESTIMATE_MINUTES


def test_cross_person_blockers_use_their_plan_or_due_date() -> None:
    hours = {"me": WEEK, "ann": WEEK}
    tasks = [
        PlanTask("theirs", "Ann's part", "low", None, 120, "ann"),
        PlanTask("ann-busy", "Ann's own work", "high", None, 60, "ann"),
        PlanTask("mine", "My part", "urgent", None, 60, "me", blocked_by=("theirs",)),
    ]
    result = _plan(tasks, hours=hours)
    # Pulled forward ahead of Ann's high-priority task, since my urgent one waits for it.
    assert _spans(result, "theirs") == [("Mon 09:00", "Mon 11:00")]
    assert _spans(result, "mine") == [("Mon 11:00", "Mon 12:00")]
    # Ann's task does not fit the window: her due date stands in for its finish.
    huge = PlanTask("theirs", "Ann's part", "low", NOW.replace(hour=14), 10_000, "ann")
    result = _plan([huge, tasks[2]], hours=hours)
    assert result.tasks["theirs"].unscheduled and result.tasks["theirs"].at_risk
    assert _spans(result, "mine") == [("Mon 14:00", "Mon 15:00")]
    # Same person, blocker does not fit: the dependent waits, unscheduled.
    big = PlanTask("big", "Big", estimate_minutes=10_000, assignee="me")
    result = _plan([big, PlanTask("after", blocked_by=("big",), assignee="me")])
    assert result.tasks["after"].unscheduled and "Big" in (result.tasks["after"].note or "")


def test_external_blockers() -> None:
    external = {"elsewhere": NOW.replace(hour=13), "unknown": None}
    result = _plan(
        [
            PlanTask("a", blocked_by=("elsewhere",), assignee="me"),
            PlanTask("b", blocked_by=("unknown",), assignee="me"),
            PlanTask("c", blocked_by=("done-already",), assignee="me"),
        ],
        external_finish=external,
    )
    assert _spans(result, "a") == [("Mon 13:00", "Mon 13:30")]
    assert result.tasks["b"].unscheduled
    assert _spans(result, "c") == [("Mon 09:00", "Mon 09:30")]


def test_risk_reasons() -> None:
    result = _plan(
        [
            PlanTask("late", "Overdue", due_at=NOW - timedelta(hours=1), assignee="me"),
            PlanTask(
                "tight",
                "Too big for the day",
                due_at=NOW.replace(hour=17),
                estimate_minutes=600,
                assignee="me",
            ),
            PlanTask("wait", "Waits", "high", NOW.replace(hour=12), 60, "me", blocked_by=("first",)),
            PlanTask("first", "First", "low", None, 240, "me"),
            PlanTask(
                "far",
                "Due after the window",
                due_at=NOW + timedelta(days=30),
                estimate_minutes=10_000,
                assignee="me",
            ),
        ]
    )
    assert result.tasks["late"].risk == "overdue" and result.tasks["late"].at_risk
    assert result.tasks["tight"].risk == "capacity"
    assert result.tasks["wait"].risk == "dependency"
    assert result.tasks["far"].unscheduled and not result.tasks["far"].at_risk
    assert result.tasks["far"].scheduled_minutes > 0  # what fits is planned
    for task in ("late", "tight", "wait"):
        assert result.tasks[task].note


def test_done_tasks_are_ignored_and_count_as_finished() -> None:
    result = _plan(
        [
            PlanTask("done", status="done", assignee="me"),
            PlanTask("next", blocked_by=("done",), assignee="me"),
        ]
    )
    assert "done" not in result.tasks
    assert _spans(result, "next") == [("Mon 09:00", "Mon 09:30")]


def test_utilisation() -> None:
    busy = [Busy(NOW.replace(hour=9), NOW.replace(hour=13))]
    result = _plan(
        [PlanTask("a", estimate_minutes=120, assignee="me")],
        busy={"me": busy},
        end=NOW.replace(hour=23),
    )
    usage = result.utilisation["me"]
    assert (usage.available_minutes, usage.scheduled_minutes) == (240, 120)
    assert usage.ratio == 0.5


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        _plan([], now=NOW.replace(tzinfo=None))


@pytest.mark.parametrize("value", ["9:00", "25:00", "12:60", "ab:cd", "24:01", ""])
def test_parse_hhmm_refuses(value: str) -> None:
    with pytest.raises(ValueError):
        parse_hhmm(value)
