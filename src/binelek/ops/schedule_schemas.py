"""API shapes of Ops Copilot's scheduling: the plan, working hours, busy blocks and the calendar feed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from binelek.ops.models import TITLE_MAX
from binelek.ops.scheduling import WEEKDAYS, parse_hhmm

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Priority = Literal["low", "medium", "high", "urgent"]
TaskStatus = Literal["todo", "in_progress", "blocked", "done", "cancelled"]
PlanState = Literal["scheduled", "partial", "unscheduled"]
Risk = Literal["overdue", "capacity", "dependency", "cycle"]
HHMM = Annotated[str, Field(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", examples=["09:00"])]
Window = tuple[HHMM, HHMM]

MIN_CHUNK_RANGE = (15, 240)
MAX_WINDOWS_PER_DAY = 12
BUSY_BLOCK_MAX = timedelta(days=90)


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_zone(name: str) -> bool:
    return name in _zones()


def _utc(value: datetime) -> datetime:
    """Naive date-times are read as UTC: the API speaks UTC unless an offset says otherwise."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- working hours ----------------------------------------------------------------------------------


class WorkingHoursIn(BaseModel):
    """A working week: per day, windows as ["HH:MM", "HH:MM"] ("24:00" ends a day), in an IANA zone.
    A day left out is a day off."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(min_length=1, max_length=64, examples=["Europe/Lisbon"])
    week: dict[Weekday, list[Window]] = Field(
        examples=[{"mon": [["09:00", "12:30"], ["13:30", "17:00"]], "sat": []}]
    )
    min_chunk_minutes: int = Field(default=30, ge=MIN_CHUNK_RANGE[0], le=MIN_CHUNK_RANGE[1])

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not valid_zone(value):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Lisbon)")
        return value

    @field_validator("week")
    @classmethod
    def _windows(cls, week: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
        cleaned: dict[str, list[tuple[str, str]]] = {}
        for day in WEEKDAYS:
            windows = sorted(week.get(day, []), key=lambda window: parse_hhmm(window[0]))
            if len(windows) > MAX_WINDOWS_PER_DAY:
                raise ValueError(f"{day}: at most {MAX_WINDOWS_PER_DAY} windows a day")
            previous_end = -1
            for start, end in windows:
                if parse_hhmm(start) >= parse_hhmm(end):
                    raise ValueError(f"{day}: {start}-{end} does not start before it ends")
                if parse_hhmm(start) < previous_end:
                    raise ValueError(f"{day}: {start}-{end} overlaps another window")
                previous_end = parse_hhmm(end)
            cleaned[day] = [(start, end) for start, end in windows]
        return cleaned


class WorkingHoursOut(BaseModel):
    timezone: str
    week: dict[Weekday, list[Window]]
    min_chunk_minutes: int
    is_default: bool  # nothing saved yet: Mon-Fri 09:00-17:00 in the organization's time zone
    feed_active: bool  # a calendar feed URL exists


# -- busy blocks ------------------------------------------------------------------------------------


class BusyBlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=TITLE_MAX)
    starts_at: datetime
    ends_at: datetime

    @field_validator("title")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the title is blank")
        return value.strip()

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return _utc(value)

    @model_validator(mode="after")
    def _span(self) -> BusyBlockIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.ends_at - self.starts_at > BUSY_BLOCK_MAX:
            raise ValueError(f"a busy block lasts at most {BUSY_BLOCK_MAX.days} days")
        return self


class BusyBlockOut(BaseModel):
    id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime


# -- the plan ---------------------------------------------------------------------------------------


class ScheduleBlockOut(BaseModel):
    """Time set aside for (one chunk of) a task."""

    task_id: uuid.UUID
    title: str
    priority: Priority
    start: datetime
    end: datetime
    chunk: int  # 1-based, in time order
    chunks: int
    at_risk: bool
    unassigned: bool


class ScheduledTaskOut(BaseModel):
    task_id: uuid.UUID
    title: str
    priority: Priority
    status: TaskStatus
    due_at: datetime | None
    estimate_minutes: int  # the task's estimate, or the default 30 when it has none
    scheduled_minutes: int  # placed between now and the end of the window
    planned_start: datetime | None
    planned_finish: datetime | None  # only when every minute is placed
    state: PlanState
    at_risk: bool  # cannot finish by its due date
    risk: Risk | None
    note: str | None  # why it is at risk or (partly) unscheduled
    unassigned: bool  # nobody is assigned: planned for this person
    blocked_by: list[uuid.UUID]  # open tasks it waits for


class BusyIntervalOut(BaseModel):
    """Time the plan worked around: a busy block, or an event from a connected calendar."""

    id: uuid.UUID
    source: Literal["busy_block", "calendar"]
    title: str | None
    start: datetime
    end: datetime


class UtilisationOut(BaseModel):
    available_minutes: int  # free working time from now (or the window's start) to its end
    scheduled_minutes: int
    ratio: float


class ScheduleOut(BaseModel):
    user_id: uuid.UUID
    timezone: str  # the person's working-hours zone, for drawing the calendar
    start: datetime
    end: datetime
    generated_at: datetime  # planning starts here: nothing is placed in the past
    blocks: list[ScheduleBlockOut]
    tasks: list[ScheduledTaskOut]
    busy: list[BusyIntervalOut]
    utilisation: UtilisationOut
    cycles: list[list[uuid.UUID]]  # dependency cycles among this person's tasks: never planned


class FeedOut(BaseModel):
    url: str  # shown once; creating a new one retires the old
