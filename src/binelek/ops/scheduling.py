"""Ops Copilot's planner: open tasks into a calendar of work blocks, per person, around their working
hours and busy time. Pure: dataclasses in, dataclasses out, no I/O; time is whole minutes inside.

What it guarantees
    No block overlaps another block or busy time, or lies outside working hours or before `now`.
    A task is split into chunks of at least the person's `min_chunk_minutes` (a shorter task is one
    chunk) and never starts before every task blocking it has finished. Tasks are placed by priority
    (urgent > high > medium > low), then due date (none last), blockers first — but priority never
    costs a deadline that some schedule could meet: if every due date inside the window can be met,
    every one is met (see Optimality below). Due dates after the window protect nothing in it.

How (the algorithm)
 1. Free time per person: weekly windows expanded day by day in their zone (zoneinfo, so a window
    stays 09:00-17:00 local across DST changes), minus busy time, clipped to [max(start, now), end).
    A window runs from the first moment the wall clock reads its start to the first moment it reads
    its end: a time repeated when clocks go back counts once, a skipped one at the jump.
 2. Dependencies: Tarjan's algorithm finds cycles; tasks in a cycle, and everything waiting on one,
    are reported and left unplanned. The rest is a DAG.
 3. Effective deadlines, precedence-adjusted (Blazewicz): walking the DAG from the end, a blocker's
    deadline is min(its own, each dependent's latest start), the latest start being the moment from
    which the dependent's owner still has enough free minutes for it before its deadline.
 4. Feasibility: earliest-deadline-first over those deadlines, each task in the earliest free time
    after its blockers (EDF is optimal for one person's preemptive work; with adjusted deadlines every
    blocker sorts before its dependents). A task EDF cannot finish in time is dropped from the
    protected set, with its dependents: it will be reported at risk, and it no longer holds others up.
 5. Reservations: the protected tasks are laid out as late as possible (EDF run backwards from the
    deadlines). If that layout fails where the forward one worked (chunk sizes can cause that), the
    forward layout is the reservation instead. Either is a valid schedule of every protected task.
 6. Placement in priority order: each task (its unplaced blockers first) goes into the earliest free
    time outside the *other* tasks' reservations. A protected task placed that way never finishes
    later than its own reservation (or it takes exactly its reservation), so the remaining
    reservations stay valid. After a protected task is placed, its owner's reservations with earlier
    deadlines are laid out again, as late as possible (later ones cannot move); a new layout is kept
    only if it is valid, else the old one stays.
    Invariant: the reservations always hold a valid schedule of the protected tasks not yet placed,
    so every protected task meets its deadline; the others get the room left, by priority.

Chunks: placing w minutes with minimum chunk m into free gaps is exact, not greedy. The minutes a
prefix of gaps can hold are {0} and every [c·m, sum of its c largest gaps ≥ m]; the earliest finish
is in the first gap where w becomes reachable, with as little of w as possible left for that gap.

Cross-person dependencies: a blocker owned by someone else counts with its finish in their plan (all
people involved are planned together), else its due date; `external_finish` gives the finish of
blockers planned elsewhere. Unassigned tasks are planned for `requester`, and flagged.

Optimality holds in the model above: EDF is exact for one person's work split at will. Chunk sizes
make the general problem a packing problem; the planner is exact when gaps, estimates and the grid
of busy time align to the chunk size, and a sound heuristic otherwise (it never breaks a rule).
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRIORITY_RANK = {"low": 0, "medium": 1, "high": 2, "urgent": 3}
CLOSED_STATUSES = frozenset({"done", "cancelled"})
DEFAULT_ESTIMATE_MINUTES = 30
DEFAULT_MIN_CHUNK_MINUTES = 30
DEFAULT_WEEK: Mapping[str, Sequence[Sequence[str]]] = {
    day: ([("09:00", "17:00")] if day not in ("sat", "sun") else []) for day in WEEKDAYS
}
Risk = Literal["overdue", "capacity", "dependency", "cycle"]
Span = tuple[int, int]  # [start, end) in minutes since the Unix epoch

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


# -- inputs and outputs -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanTask:
    id: str
    title: str = ""
    priority: str = "medium"
    due_at: datetime | None = None
    estimate_minutes: int | None = None  # None (or not positive): DEFAULT_ESTIMATE_MINUTES
    assignee: str | None = None  # None: planned for the requester
    blocked_by: tuple[str, ...] = ()  # ids of tasks that must be done first
    status: str = "todo"


@dataclass(frozen=True, slots=True)
class WorkingWeek:
    """Someone's working week: {"mon": [("09:00", "17:00")], ...} in an IANA zone."""

    timezone: str = "UTC"
    week: Mapping[str, Sequence[Sequence[str]]] = field(default_factory=lambda: DEFAULT_WEEK)
    min_chunk_minutes: int = DEFAULT_MIN_CHUNK_MINUTES


@dataclass(frozen=True, slots=True)
class Busy:
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Block:
    task_id: str
    user_id: str
    start: datetime
    end: datetime
    chunk: int  # 1-based, in time order
    chunks: int

    @property
    def minutes(self) -> int:
        return (self.end - self.start) // MINUTE


@dataclass(frozen=True, slots=True)
class TaskPlan:
    task_id: str
    user_id: str
    unassigned: bool  # planned for the requester because nobody is assigned
    estimate_minutes: int
    scheduled_minutes: int
    planned_start: datetime | None
    planned_finish: datetime | None  # None unless every minute is planned
    due_at: datetime | None
    at_risk: bool  # cannot finish by its due date
    risk: Risk | None
    unscheduled: bool  # some or all of its minutes found no room in the window
    note: str | None  # why it is at risk or unscheduled, in words

    @property
    def state(self) -> Literal["scheduled", "partial", "unscheduled"]:
        if not self.unscheduled:
            return "scheduled"
        return "partial" if self.scheduled_minutes else "unscheduled"


@dataclass(frozen=True, slots=True)
class Utilisation:
    user_id: str
    available_minutes: int  # free working time in the window (after busy time)
    scheduled_minutes: int

    @property
    def ratio(self) -> float:
        return self.scheduled_minutes / self.available_minutes if self.available_minutes else 0.0


@dataclass(frozen=True, slots=True)
class Plan:
    blocks: tuple[Block, ...]  # by start
    tasks: Mapping[str, TaskPlan]
    utilisation: Mapping[str, Utilisation]
    cycles: tuple[tuple[str, ...], ...]  # each dependency cycle once


# -- time -------------------------------------------------------------------------------------------


def _floor_minute(moment: datetime) -> int:
    return (_aware(moment) - EPOCH) // MINUTE


def _ceil_minute(moment: datetime) -> int:
    return -((EPOCH - _aware(moment)) // MINUTE)


def _at(minute: int) -> datetime:
    return EPOCH + minute * MINUTE


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the planner takes time-zone-aware datetimes")
    return moment


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def parse_hhmm(value: str) -> int:
    """'09:30' -> 570; '24:00' is the end of the day."""
    hours, sep, minutes = value.partition(":")
    if not sep or len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(f"{value!r} is not HH:MM")
    total = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or total > 24 * 60:
        raise ValueError(f"{value!r} is not a time of day")
    return total


def _local_minute(day: datetime, minutes: int, zone: ZoneInfo) -> int:
    """The first moment the wall clock reads `day` + `minutes`: for a time repeated when clocks go
    back, its first occurrence; for a time skipped when they go forward, the moment of the jump."""
    wall = day + timedelta(minutes=minutes)
    first = _ceil_minute(wall.replace(tzinfo=zone))  # fold=0: the offset in force before any change
    if _at(first).astimezone(zone).replace(tzinfo=None) <= wall:
        return first
    # Skipped: fold=0 read it with the old offset, past the jump; find the jump between the readings.
    lo, hi = _floor_minute(wall.replace(tzinfo=zone, fold=1)), first
    after = _at(first).astimezone(zone).utcoffset()
    while lo < hi:
        mid = (lo + hi) // 2
        if _at(mid).astimezone(zone).utcoffset() == after:
            hi = mid
        else:
            lo = mid + 1
    return lo


def working_spans(week: WorkingWeek, lo: int, hi: int) -> list[Span]:
    """The working windows of `week` that fall in [lo, hi), as sorted disjoint minute spans."""
    if hi <= lo:
        return []
    zone = _zone(week.timezone)
    windows = [
        sorted((parse_hhmm(start), parse_hhmm(end)) for start, end in week.week.get(day, ()))
        for day in WEEKDAYS
    ]
    day = datetime.combine(_at(lo).astimezone(zone).date() - timedelta(days=1), time())
    last = datetime.combine(_at(hi).astimezone(zone).date(), time())
    spans: list[Span] = []
    while day <= last:
        for start, end in windows[day.weekday()]:
            s = max(lo, _local_minute(day, start, zone))
            e = min(hi, _local_minute(day, end, zone))
            if s < e:
                spans.append((s, e))
        day += timedelta(days=1)
    return _merge(spans)


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _subtract(spans: list[Span], holes: list[Span]) -> list[Span]:
    """`spans` minus `holes`, both sorted and disjoint."""
    out: list[Span] = []
    j = 0
    for s, e in spans:
        while j < len(holes) and holes[j][1] <= s:
            j += 1
        cursor, k = s, j
        while k < len(holes) and holes[k][0] < e:
            if holes[k][0] > cursor:
                out.append((cursor, holes[k][0]))
            cursor = max(cursor, holes[k][1])
            k += 1
        if cursor < e:
            out.append((cursor, e))
    return out


def free_spans(week: WorkingWeek, busy: Iterable[Busy], lo: int, hi: int) -> list[Span]:
    """Working time in [lo, hi) minus busy time (busy rounded outwards to whole minutes)."""
    holes = _merge(
        (_floor_minute(item.start), _ceil_minute(item.end)) for item in busy if item.end > item.start
    )
    return _subtract(working_spans(week, lo, hi), holes)


class _Timeline:
    """Free minutes as sorted disjoint spans; placing a block removes it."""

    __slots__ = ("ends", "starts")

    def __init__(self, spans: Sequence[Span]) -> None:
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def copy(self) -> _Timeline:
        return _Timeline(list(zip(self.starts, self.ends, strict=True)))

    def forward(self, lo: int, hi: int) -> Iterator[Span]:
        i = bisect.bisect_right(self.ends, lo)
        starts, ends, count = self.starts, self.ends, len(self.starts)
        while i < count and starts[i] < hi:
            yield max(starts[i], lo), min(ends[i], hi)
            i += 1

    def backward(self, lo: int, hi: int) -> Iterator[Span]:
        i = bisect.bisect_left(self.starts, hi) - 1
        starts, ends = self.starts, self.ends
        while i >= 0 and ends[i] > lo:
            yield max(starts[i], lo), min(ends[i], hi)
            i -= 1

    def take(self, s: int, e: int) -> None:
        i = bisect.bisect_right(self.starts, s) - 1
        if i < 0 or e > self.ends[i]:
            raise ValueError("a block outside free time")  # a planner bug, never user input
        start, end = self.starts[i], self.ends[i]
        pieces = [(a, b) for a, b in ((start, s), (e, end)) if a < b]
        self.starts[i : i + 1] = [a for a, _ in pieces]
        self.ends[i : i + 1] = [b for _, b in pieces]

    def minutes(self, lo: int, hi: int) -> int:
        return sum(e - s for s, e in self.forward(lo, hi))

    def latest_start(self, deadline: int, work: int) -> int | None:
        """The latest moment from which `work` free minutes remain before `deadline`."""
        for s, e in self.backward(-(2**62), deadline):
            if e - s >= work:
                return e - work
            work -= e - s
        return None


# -- placing work into gaps -------------------------------------------------------------------------


def earliest_blocks(gaps: Iterable[Span], work: int, min_chunk: int) -> list[Span] | None:
    """Blocks for `work` minutes in time-ordered `gaps`, each at least `min_chunk` long (or one block
    when `work` is shorter), finishing as early as possible; None when they cannot hold it."""
    if work <= 0:
        return []
    if work < min_chunk:
        return next(([(s, s + work)] for s, e in gaps if e - s >= work), None)
    most_chunks = work // min_chunk
    top: list[int] = []  # min-heap of the largest usable gap lengths so far, at most most_chunks
    top_sum = 0
    seen: list[Span] = []
    for s, e in gaps:
        length = e - s
        if length < min_chunk:
            continue
        # The most the gaps so far can hold in at most `most_chunks` chunks, this one included.
        reach = top_sum + (length if len(top) < most_chunks else max(0, length - top[0]))
        if reach >= work:
            if not seen:  # the first usable gap holds it all
                return [(s, s + work)]
            before = _largest_first_sums(seen, most_chunks)
            rest = _most_before(before, work, length, min_chunk)
            return [*_spread(seen, before, rest, min_chunk), (s, s + work - rest)]
        seen.append((s, e))
        if len(top) < most_chunks:
            heapq.heappush(top, length)
            top_sum += length
        elif length > top[0]:
            top_sum += length - heapq.heapreplace(top, length)
    return None


def _largest_first_sums(gaps: Sequence[Span], count: int) -> list[int]:
    """sums[c] = total length of the c largest gaps (c up to `count`)."""
    lengths = heapq.nlargest(count, (e - s for s, e in gaps))
    sums = [0]
    for length in lengths:
        sums.append(sums[-1] + length)
    return sums


def _most_before(sums: Sequence[int], work: int, last_gap: int, min_chunk: int) -> int:
    """The most of `work` the earlier gaps can take so that the rest fits the last gap as one chunk:
    the earlier gaps can hold 0 or any amount in [c·min_chunk, sums[c]]."""
    lo, hi = max(0, work - last_gap), work - min_chunk
    best = 0 if work <= last_gap else -1
    for count in range(1, min(len(sums) - 1, hi // min_chunk) + 1):
        candidate = min(sums[count], hi)
        if candidate >= max(count * min_chunk, lo):
            best = max(best, candidate)
    if best < 0:
        raise AssertionError("no split although the gaps can hold the work")
    return best


def _spread(gaps: Sequence[Span], sums: Sequence[int], amount: int, min_chunk: int) -> list[Span]:
    """`amount` minutes over the fewest of `gaps` (the largest), each chunk at least `min_chunk`."""
    if amount == 0:
        return []
    count = next(c for c in range(1, len(sums)) if sums[c] >= amount)
    chosen = sorted(sorted(gaps, key=lambda gap: (gap[0] - gap[1], gap[0]))[:count])
    extra = amount - count * min_chunk
    blocks: list[Span] = []
    for s, e in chosen:
        length = min_chunk + min(extra, e - s - min_chunk)
        extra -= length - min_chunk
        blocks.append((s, s + length))
    return blocks


def latest_blocks(gaps_backward: Iterable[Span], work: int, min_chunk: int) -> list[Span] | None:
    """Like `earliest_blocks` mirrored: gaps latest first, blocks starting as late as possible."""
    mirrored = earliest_blocks(((-e, -s) for s, e in gaps_backward), work, min_chunk)
    return None if mirrored is None else sorted((-e, -s) for s, e in mirrored)


def most_blocks(gaps: Sequence[Span], work: int, min_chunk: int) -> list[Span]:
    """As much of `work` as fits (chunk rule kept), earliest; [] when not even one chunk fits."""
    if work < min_chunk:
        return []
    usable = [(s, e) for s, e in gaps if e - s >= min_chunk]
    amount = min(_largest_first_sums(usable, work // min_chunk)[-1], work)
    return (earliest_blocks(usable, amount, min_chunk) or []) if amount else []


class _Reserved:
    """One person's reserved blocks, sorted, with their owners."""

    __slots__ = ("ends", "owners", "starts")

    def __init__(self, by_task: Mapping[str, Sequence[Span]]) -> None:
        rows = sorted((s, e, task) for task, blocks in by_task.items() for s, e in blocks)
        self.starts = [s for s, _, _ in rows]
        self.ends = [e for _, e, _ in rows]
        self.owners = [task for _, _, task in rows]

    def outside(self, gaps: Iterable[Span], skip: str | None) -> Iterator[Span]:
        """`gaps` minus the reserved blocks of every task but `skip`."""
        starts, ends, owners, count = self.starts, self.ends, self.owners, len(self.starts)
        j = -1
        for s, e in gaps:
            if j < 0:
                j = bisect.bisect_right(ends, s)
            while j < count and ends[j] <= s:
                j += 1
            cursor, k = s, j
            while k < count and starts[k] < e:
                if owners[k] != skip:
                    if starts[k] > cursor:
                        yield cursor, starts[k]
                    cursor = max(cursor, ends[k])
                k += 1
            if cursor < e:
                yield cursor, e


# -- the planner ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Job:
    task: PlanTask
    index: int
    user: str
    unassigned: bool
    work: int
    min_chunk: int
    rank: int
    due: int | None  # minute, floored
    blockers: list[str] = field(default_factory=list)  # open tasks in this plan
    dependents: list[str] = field(default_factory=list)
    external_after: int | None = None  # the latest finish of blockers planned elsewhere
    topo: int = 0
    doom: Risk | None = None  # "cycle" or "dependency": cannot be planned at all
    doom_note: str | None = None
    deadline: int | None = None  # effective (precedence-adjusted), only when inside the window
    lower: int | None = None  # earliest start its blockers allow, once known
    note: str | None = None

    @property
    def id(self) -> str:
        return self.task.id


def plan(
    tasks: Sequence[PlanTask],
    hours: Mapping[str, WorkingWeek],
    busy: Mapping[str, Sequence[Busy]],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    requester: str,
    external_finish: Mapping[str, datetime | None] | None = None,
    visible_from: datetime | None = None,
) -> Plan:
    """Plan the open `tasks` into [max(start, now), end). `hours` and `busy` are per person (missing
    hours: Mon-Fri 09:00-17:00 UTC). Blockers that are neither in `tasks` nor in `external_finish`
    count as done; an `external_finish` of None means a blocker whose finish nobody knows.
    Utilisation counts from `visible_from` (default: the start of planning)."""
    return _Planner(
        tasks, hours, busy, start=start, end=end, now=now, requester=requester, external=external_finish or {}
    ).run(visible_from)


class _Planner:
    def __init__(
        self,
        tasks: Sequence[PlanTask],
        hours: Mapping[str, WorkingWeek],
        busy: Mapping[str, Sequence[Busy]],
        *,
        start: datetime,
        end: datetime,
        now: datetime,
        requester: str,
        external: Mapping[str, datetime | None],
    ) -> None:
        self.h0 = max(_ceil_minute(start), _ceil_minute(now))
        self.h1 = max(self.h0, _floor_minute(end))
        self.now = _ceil_minute(now)
        self.end = _aware(end)
        self.jobs: dict[str, _Job] = {}
        for index, task in enumerate(tasks):
            if task.status in CLOSED_STATUSES or task.id in self.jobs:
                continue
            user = task.assignee or requester
            week = hours.get(user) or WorkingWeek()
            estimate = task.estimate_minutes
            self.jobs[task.id] = _Job(
                task=task,
                index=index,
                user=user,
                unassigned=task.assignee is None,
                work=estimate if estimate is not None and estimate > 0 else DEFAULT_ESTIMATE_MINUTES,
                min_chunk=max(1, week.min_chunk_minutes),
                rank=PRIORITY_RANK.get(task.priority, PRIORITY_RANK["medium"]),
                due=None if task.due_at is None else _floor_minute(task.due_at),
            )
        self.users = sorted({job.user for job in self.jobs.values()} | {requester})
        weeks = {user: hours.get(user) or WorkingWeek() for user in self.users}
        self.initial = {
            user: _Timeline(free_spans(weeks[user], busy.get(user, ()), self.h0, self.h1))
            for user in self.users
        }
        self.lines = {user: line.copy() for user, line in self.initial.items()}
        self.placed: dict[str, list[Span]] = {}
        self.complete: set[str] = set()  # every minute placed
        self.reserved: dict[str, list[Span]] = {}
        self.reserved_by_user: dict[str, _Reserved] = {}
        self.reserved_of: dict[str, set[str]] = {}  # person -> their protected tasks not yet placed
        self.cycles: list[tuple[str, ...]] = []
        self._link(external)

    # -- dependencies -------------------------------------------------------------------------------

    def _link(self, external: Mapping[str, datetime | None]) -> None:
        for job in self.jobs.values():
            for blocker in dict.fromkeys(job.task.blocked_by):
                if blocker in self.jobs:
                    job.blockers.append(blocker)
                    self.jobs[blocker].dependents.append(job.id)
                elif blocker in external:
                    finish = external[blocker]
                    if finish is None:
                        job.doom, job.doom_note = "dependency", "Waits for a task with no planned finish."
                    else:
                        job.external_after = max(job.external_after or self.h0, _ceil_minute(finish))
        self._find_cycles()
        self._order()

    def _find_cycles(self) -> None:
        """Tarjan's strongly connected components, iteratively (chains can be long)."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        counter = 0
        for root in self.jobs:
            if root in index:
                continue
            work: list[tuple[str, int]] = [(root, 0)]
            while work:
                node, child = work.pop()
                if child == 0:
                    index[node] = low[node] = counter
                    counter += 1
                    stack.append(node)
                    on_stack.add(node)
                blockers = self.jobs[node].blockers
                if child < len(blockers):
                    work.append((node, child + 1))
                    nxt = blockers[child]
                    if nxt not in index:
                        work.append((nxt, 0))
                    elif nxt in on_stack:
                        low[node] = min(low[node], index[nxt])
                    continue
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in self.jobs[node].blockers:
                        self._mark_cycle(component)

    def _mark_cycle(self, component: list[str]) -> None:
        ordered = tuple(sorted(component, key=lambda task: self.jobs[task].index))
        self.cycles.append(ordered)
        titles = " → ".join(self.jobs[task].task.title or task for task in (*ordered, ordered[0]))
        for task in ordered:
            self.jobs[task].doom = "cycle"
            self.jobs[task].doom_note = f"Part of a dependency cycle: {titles}."

    def _order(self) -> None:
        """A topological order of the tasks outside cycles; doom flows to whatever waits on them."""
        waiting = {
            job.id: sum(1 for b in job.blockers if self.jobs[b].doom != "cycle")
            for job in self.jobs.values()
            if job.doom != "cycle"
        }
        ready = [(self.jobs[task].index, task) for task, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        position = 0
        while ready:
            job = self.jobs[heapq.heappop(ready)[1]]
            job.topo = position
            position += 1
            for blocker in job.blockers:
                doomed = self.jobs[blocker]
                if doomed.doom is not None and job.doom is None:
                    job.doom = "cycle" if doomed.doom == "cycle" else "dependency"
                    title = doomed.task.title or doomed.id
                    job.doom_note = (
                        f"Waits for {title}, which is in a dependency cycle."
                        if job.doom == "cycle"
                        else f"Waits for {title}, which cannot be planned."
                    )
            for dependent in job.dependents:
                if dependent in waiting:
                    waiting[dependent] -= 1
                    if waiting[dependent] == 0:
                        heapq.heappush(ready, (self.jobs[dependent].index, dependent))

    # -- deadlines and reservations -----------------------------------------------------------------

    def _deadlines(self) -> None:
        """Precedence-adjusted deadlines, only those inside the window (later ones protect nothing)."""
        for job in sorted(self._plannable(), key=lambda j: j.topo, reverse=True):
            deadline = job.due
            for dependent_id in job.dependents:
                dependent = self.jobs[dependent_id]
                if dependent.deadline is None or dependent.doom is not None:
                    continue
                latest = self.initial[dependent.user].latest_start(dependent.deadline, dependent.work)
                if latest is not None:  # else the dependent is lost anyway: no reason to rush this one
                    deadline = latest if deadline is None else min(deadline, latest)
            job.deadline = deadline if deadline is not None and deadline <= self.h1 else None

    def _plannable(self) -> list[_Job]:
        return [job for job in self.jobs.values() if job.doom is None]

    def _edf_key(self, job: _Job) -> tuple[int, int, int]:
        assert job.deadline is not None
        return job.deadline, -job.rank, job.topo

    def _forward_edf(self) -> dict[str, list[Span]]:
        """EDF with rejection: the tasks whose deadlines can be protected, laid out earliest."""
        lines = {user: line.copy() for user, line in self.initial.items()}
        accepted: dict[str, list[Span]] = {}
        candidates = sorted((j for j in self._plannable() if j.deadline is not None), key=self._edf_key)
        for job in candidates:
            assert job.deadline is not None
            if any(blocker not in accepted for blocker in job.blockers):
                continue
            lower = max([self.h0, job.external_after or self.h0, *(accepted[b][-1][1] for b in job.blockers)])
            blocks = earliest_blocks(lines[job.user].forward(lower, job.deadline), job.work, job.min_chunk)
            if blocks is None:
                continue
            for s, e in blocks:
                lines[job.user].take(s, e)
            accepted[job.id] = blocks
        return accepted

    def _latest_layout(
        self, jobs: Iterable[_Job], users: set[str], cursor: dict[str, int] | None = None
    ) -> dict[str, list[Span]] | None:
        """The given protected tasks as late as possible (EDF backwards), or None if one does not fit.
        Blocks of tasks outside `jobs` (other people's reservations, placed blocks) are bounds, and
        nothing goes after `cursor` (default: the window's end)."""
        cursor = {user: self.h1 for user in users} | (cursor or {})
        layout: dict[str, list[Span]] = {}
        for job in sorted(jobs, key=self._edf_key, reverse=True):
            assert job.deadline is not None
            upper = min(job.deadline, cursor[job.user])
            for dependent in job.dependents:
                blocks = layout.get(dependent) or self.reserved.get(dependent)
                if blocks:
                    upper = min(upper, blocks[0][0])
            lower = max(self.h0, job.external_after or self.h0)
            for blocker in job.blockers:
                finish = self._finish_outside(blocker, users)
                if finish is not None:
                    lower = max(lower, finish)
            if lower >= upper:
                return None
            blocks = latest_blocks(self.lines[job.user].backward(lower, upper), job.work, job.min_chunk)
            if blocks is None:
                return None
            layout[job.id] = blocks
            cursor[job.user] = blocks[0][0]
        return layout

    def _finish_outside(self, blocker: str, users: set[str]) -> int | None:
        """A blocker's finish when it is fixed for a layout of `users`: placed, or reserved elsewhere."""
        if blocker in self.placed:
            return self.placed[blocker][-1][1]
        if blocker in self.reserved and self.jobs[blocker].user not in users:
            return self.reserved[blocker][-1][1]
        return None

    def _reserve(self) -> None:
        accepted = self._forward_edf()
        jobs = [self.jobs[task] for task in accepted]
        late = self._latest_layout(jobs, set(self.users))
        self.reserved = late if late is not None else accepted
        for task in self.reserved:
            self.reserved_of.setdefault(self.jobs[task].user, set()).add(task)
        self._index_reservations(set(self.users))

    def _index_reservations(self, users: set[str]) -> None:
        for user in users:
            mine = self.reserved_of.get(user, set())
            self.reserved_by_user[user] = _Reserved({task: self.reserved[task] for task in mine})

    def _relayout(self, user: str, placed: _Job) -> None:
        """After a protected task of `user` is placed: push theirs with earlier deadlines as late as
        possible again, freeing early time for higher priorities. Those with later deadlines keep
        their blocks: nothing after them changed, so they are where a new layout would put them.
        The new layout is kept only if it is valid."""
        key = self._edf_key(placed)
        keyed = [(self._edf_key(self.jobs[task]), self.jobs[task]) for task in self.reserved_of.get(user, ())]
        redo = [job for job_key, job in keyed if job_key < key]
        if not redo:
            return
        kept_starts = [self.reserved[job.id][0][0] for job_key, job in keyed if job_key > key]
        layout = self._latest_layout(redo, {user}, {user: min(kept_starts, default=self.h1)})
        if layout is not None:
            self.reserved.update(layout)
            self._index_reservations({user})

    # -- placing ------------------------------------------------------------------------------------

    def _priority_key(self, job: _Job) -> tuple[int, int, int, int]:
        due = job.due if job.due is not None else 2**62
        return -job.rank, due, job.topo, job.index

    def _place_all(self) -> None:
        for job in sorted(self._plannable(), key=self._priority_key):
            self._place_with_blockers(job)

    def _place_with_blockers(self, root: _Job) -> None:
        """Place `root` after pulling its unplaced blockers forward (depth first, by priority)."""
        stack: list[tuple[_Job, Iterator[_Job]]] = [(root, self._blockers_by_priority(root))]
        visiting = {root.id}
        while stack:
            job, blockers = stack[-1]
            nxt = next((b for b in blockers if b.id not in self.placed and b.id not in visiting), None)
            if nxt is not None:
                visiting.add(nxt.id)
                stack.append((nxt, self._blockers_by_priority(nxt)))
                continue
            stack.pop()
            if job.id not in self.placed:
                self._place(job)

    def _blockers_by_priority(self, job: _Job) -> Iterator[_Job]:
        return iter(sorted((self.jobs[b] for b in job.blockers), key=self._priority_key))

    def _start_after(self, job: _Job) -> int | None:
        """The earliest start the blockers allow, or None (and a note) when it cannot be known."""
        lower = max(self.h0, job.external_after or self.h0)
        for blocker_id in job.blockers:
            blocker = self.jobs[blocker_id]
            if blocker_id in self.complete:
                lower = max(lower, self.placed[blocker_id][-1][1])
            elif blocker.user != job.user and blocker.task.due_at is not None:
                # Someone else's task with no finish in their plan: trust its due date.
                lower = max(lower, _ceil_minute(blocker.task.due_at))
            else:
                job.note = f"Waits for {blocker.task.title or blocker_id}, which does not fit in the window."
                return None
        return lower

    def _place(self, job: _Job) -> None:
        lower = self._start_after(job)
        job.lower = lower
        blocks: list[Span] = []
        if lower is not None and lower < self.h1:
            line, reserved = self.lines[job.user], self.reserved_by_user[job.user]
            own = self.reserved.pop(job.id, None)
            if own is not None:
                self.reserved_of[job.user].discard(job.id)
                gaps = reserved.outside(line.forward(lower, self.h1), job.id)
                found = earliest_blocks(gaps, job.work, job.min_chunk)
                blocks = found if found is not None and found[-1][1] <= own[-1][1] else own
                self._index_reservations({job.user})
            else:
                free = list(reserved.outside(line.forward(lower, self.h1), None))
                found = earliest_blocks(free, job.work, job.min_chunk)
                blocks = found if found is not None else most_blocks(free, job.work, job.min_chunk)
            for s, e in blocks:
                line.take(s, e)
            if own is not None:
                self._relayout(job.user, job)
        self.placed[job.id] = blocks
        if sum(e - s for s, e in blocks) == job.work:
            self.complete.add(job.id)

    # -- results ------------------------------------------------------------------------------------

    def run(self, visible_from: datetime | None) -> Plan:
        self._deadlines()
        self._reserve()
        self._place_all()
        blocks: list[Block] = []
        for task_id, spans in self.placed.items():
            user = self.jobs[task_id].user
            for number, (s, e) in enumerate(spans, start=1):
                blocks.append(Block(task_id, user, _at(s), _at(e), number, len(spans)))
        blocks.sort(key=lambda block: (block.start, block.user_id))
        visible = self.h0 if visible_from is None else max(self.h0, _ceil_minute(visible_from))
        return Plan(
            blocks=tuple(blocks),
            tasks={job.id: self._outcome(job) for job in self.jobs.values()},
            utilisation={user: self._utilisation(user, visible) for user in self.users},
            cycles=tuple(self.cycles),
        )

    def _utilisation(self, user: str, since: int) -> Utilisation:
        scheduled = sum(
            max(0, min(e, self.h1) - max(s, since))
            for task, spans in self.placed.items()
            if self.jobs[task].user == user
            for s, e in spans
        )
        return Utilisation(user, self.initial[user].minutes(since, self.h1), scheduled)

    def _outcome(self, job: _Job) -> TaskPlan:
        spans = self.placed.get(job.id, [])
        scheduled = sum(e - s for s, e in spans)
        done = job.id in self.complete
        finish = _at(spans[-1][1]) if done and spans else None
        due = job.task.due_at
        if done:
            at_risk = due is not None and finish is not None and finish > due
        else:
            at_risk = due is not None and due <= self.end
        risk = self._risk(job) if at_risk else None
        note = job.doom_note or job.note
        if note is None and risk is not None:
            note = RISK_NOTES[risk]
        if note is None and not done:
            note = "No room for it in the window."
        return TaskPlan(
            task_id=job.id,
            user_id=job.user,
            unassigned=job.unassigned,
            estimate_minutes=job.work,
            scheduled_minutes=scheduled,
            planned_start=_at(spans[0][0]) if spans else None,
            planned_finish=finish,
            due_at=due,
            at_risk=at_risk,
            risk=risk,
            unscheduled=not done,
            note=note,
        )

    def _risk(self, job: _Job) -> Risk:
        assert job.due is not None
        if job.doom is not None:
            return job.doom
        if job.due <= self.now:
            return "overdue"
        if job.lower is None:
            return "dependency"
        line = self.initial[job.user]
        if line.minutes(job.lower, job.due) < job.work <= line.minutes(self.h0, job.due):
            return "dependency"
        return "capacity"


RISK_NOTES: Mapping[Risk, str] = {
    "overdue": "Already past its due date.",
    "capacity": "Not enough free working time before its due date.",
    "dependency": "The tasks it waits for finish too late for its due date.",
    "cycle": "Caught in a dependency cycle.",
}
