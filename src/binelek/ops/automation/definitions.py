"""What a workflow is: a trigger and a tree of steps, validated when it is saved.

Steps are a list; a `condition` step has `then`/`else` branches and a `loop` step has `steps` run once
per item. Every step has an id unique in the workflow (outputs are addressed as `steps.<id>`), a type,
a `config` whose strings are templates (see `templating`), and, for steps that reach outside our
database, a retry policy and a timeout. The short form the seed documents for `POST /automations`
(`{name, trigger, actions}`) becomes the same definition.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from binelek.ops.automation import templating
from binelek.ops.automation.conditions import Condition

StepType = Literal[
    "create_task", "update_task", "send_email", "http_request", "llm", "condition", "loop", "delay",
    "approval", "notify", "update_record", "run_workflow",
]  # fmt: skip
# Steps that only read and write our own database: committed together with their neighbours.
PURE_STEPS = frozenset({"create_task", "update_task", "condition", "loop", "notify", "update_record"})
# Steps with an effect outside our database: each is checkpointed on its own, with retries.
EXTERNAL_STEPS = frozenset({"send_email", "http_request", "llm"})
# Steps that wait (durably) for time, people or another run.
WAITING_STEPS = frozenset({"delay", "approval", "run_workflow"})
MAX_STEPS = 100
MAX_DELAY_SECONDS = 30 * 86_400
STEP_ID = r"^[a-z][a-z0-9_]{0,39}$"
RECORD_FIELDS: dict[str, frozenset[str]] = {
    "customer": frozenset({"name", "phone", "country", "city"}),
    "contact": frozenset({"first_name", "last_name", "phone"}),
    "deal": frozenset({"stage", "pipeline", "owner_email", "close_date", "amount"}),
    "invoice": frozenset({"status"}),
    "order": frozenset({"status"}),
    "product": frozenset({"name", "category", "price", "inventory"}),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- triggers ---------------------------------------------------------------------------------------


class ManualTrigger(_Strict):
    type: Literal["manual"] = "manual"


class ScheduleTrigger(_Strict):
    type: Literal["schedule"]
    cron: str = Field(max_length=100, description="Five-field cron, e.g. `0 9 * * 1` (Mondays 09:00).")
    timezone: str | None = Field(default=None, description="IANA zone; the organization's when left out.")

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError("not a valid five-field cron expression")
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, value: str | None) -> str | None:
        return _zone(value) if value else None


class EventTrigger(_Strict):
    type: Literal["event"]
    event: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+)+$", max_length=100, examples=["order.created"])
    conditions: list[Condition] = Field(default_factory=list, max_length=20)
    match: Literal["all", "any"] = "all"


class WebhookTrigger(_Strict):
    type: Literal["webhook"]
    # secret: the caller sends X-Binelek-Secret; hmac: X-Binelek-Signature = sha256=HMAC(secret, body)
    auth: Literal["secret", "hmac"] = "hmac"


class ConditionTrigger(_Strict):
    """Fires when a metric crosses the threshold (once per crossing, not while it stays across)."""

    type: Literal["condition"]
    metric: str = Field(min_length=1, max_length=64)
    period: str = Field(default="today", max_length=40, description="A Mini Foundry time preset.")
    op: Literal["gt", "gte", "lt", "lte"]
    value: float
    check_every_minutes: int = Field(default=60, ge=5, le=1440)


Trigger = Annotated[
    ManualTrigger | ScheduleTrigger | EventTrigger | WebhookTrigger | ConditionTrigger,
    Field(discriminator="type"),
]


# -- steps ------------------------------------------------------------------------------------------


class RetryPolicy(_Strict):
    max_attempts: int = Field(default=3, ge=1, le=10)
    backoff_seconds: float = Field(default=2.0, ge=0.0, le=3600.0)
    max_backoff_seconds: float = Field(default=300.0, ge=0.0, le=86_400.0)


class CreateTaskConfig(_Strict):
    title: str = Field(min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=10_000)
    priority: str = "medium"  # a template may choose it; checked when rendered
    due_at: str | None = None  # ISO date-time, or "+3d" / "+4h" from when the step runs
    assignee: str | None = None  # a member's id or e-mail
    tags: list[str] = Field(default_factory=list, max_length=20)
    category: str | None = None
    estimate_minutes: int | str | None = None


class UpdateTaskConfig(_Strict):
    task_id: str
    status: str | None = None
    priority: str | None = None
    title: str | None = None
    due_at: str | None = None
    assignee: str | None = None


class SendEmailConfig(_Strict):
    to: str | list[str]
    subject: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=100_000)


class HttpRequestConfig(_Strict):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: str = Field(min_length=1, max_length=2000)
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    body: str | dict[str, Any] | list[Any] | None = None
    fail_on_status: bool = True


class LlmConfig(_Strict):
    prompt: str = Field(min_length=1, max_length=20_000)
    system: str | None = Field(default=None, max_length=5_000)
    output: Literal["text", "json"] = "text"


class ConditionConfig(_Strict):
    conditions: list[Condition] = Field(min_length=1, max_length=20)
    match: Literal["all", "any"] = "all"


class LoopConfig(_Strict):
    items: str  # a template that renders to a list
    max_items: int = Field(default=100, ge=1, le=1000)


class DelayConfig(_Strict):
    minutes: float | None = Field(default=None, ge=0)
    hours: float | None = Field(default=None, ge=0)
    days: float | None = Field(default=None, ge=0)
    until: str | None = None  # an ISO date-time (a template)

    @model_validator(mode="after")
    def _one_length(self) -> DelayConfig:
        lengths = [self.minutes, self.hours, self.days]
        if self.until is None and all(value is None for value in lengths):
            raise ValueError("give minutes, hours, days or until")
        seconds = (self.minutes or 0) * 60 + (self.hours or 0) * 3600 + (self.days or 0) * 86_400
        if seconds > MAX_DELAY_SECONDS:
            raise ValueError("a delay is at most 30 days")
        return self


class ApprovalConfig(_Strict):
    approvers: list[str] = Field(default_factory=list, max_length=20)  # member ids; empty: any admin
    required: int = Field(default=1, ge=1, le=20)
    timeout_hours: float = Field(default=72.0, gt=0, le=720)
    message: str | None = Field(default=None, max_length=2000)
    on_timeout: Literal["reject", "approve"] = "reject"

    @model_validator(mode="after")
    def _enough_approvers(self) -> ApprovalConfig:
        if self.approvers and self.required > len(set(self.approvers)):
            raise ValueError("more approvals required than approvers named")
        return self


class NotifyConfig(_Strict):
    to: Literal["owner", "admins", "members"] | list[str] = "owner"
    title: str = Field(min_length=1, max_length=300)
    body: str | None = Field(default=None, max_length=4000)
    link: str | None = Field(default=None, max_length=500)


class UpdateRecordConfig(_Strict):
    entity: Literal["customer", "contact", "deal", "invoice", "order", "product"]
    id: str
    fields: dict[str, Any] = Field(min_length=1)

    @model_validator(mode="after")
    def _editable(self) -> UpdateRecordConfig:
        unknown = set(self.fields) - RECORD_FIELDS[self.entity]
        if unknown:
            allowed = ", ".join(sorted(RECORD_FIELDS[self.entity]))
            raise ValueError(f"{self.entity} fields {sorted(unknown)} cannot be set (allowed: {allowed})")
        return self


class RunWorkflowConfig(_Strict):
    workflow_id: str
    input: dict[str, Any] = Field(default_factory=dict)
    wait: bool = True


CONFIGS: dict[str, type[BaseModel]] = {
    "create_task": CreateTaskConfig,
    "update_task": UpdateTaskConfig,
    "send_email": SendEmailConfig,
    "http_request": HttpRequestConfig,
    "llm": LlmConfig,
    "condition": ConditionConfig,
    "loop": LoopConfig,
    "delay": DelayConfig,
    "approval": ApprovalConfig,
    "notify": NotifyConfig,
    "update_record": UpdateRecordConfig,
    "run_workflow": RunWorkflowConfig,
}


class Step(_Strict):
    id: str = Field(pattern=STEP_ID, description="Unique in the workflow; outputs are `steps.<id>`.")
    type: StepType
    name: str | None = Field(default=None, max_length=200)
    config: dict[str, Any] = Field(default_factory=dict)
    retry: RetryPolicy | None = None  # external steps; defaults to 3 attempts
    timeout_seconds: float | None = Field(default=None, gt=0, le=600)
    on_error: Literal["fail", "continue"] = "fail"
    then: list[Step] = Field(default_factory=list)
    else_: list[Step] = Field(default_factory=list, alias="else")
    steps: list[Step] = Field(default_factory=list)  # a loop's body

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _config_fits_type(self) -> Step:
        try:
            self.config = CONFIGS[self.type].model_validate(self.config).model_dump(exclude_none=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ValueError(f"step '{self.id}' ({self.type}): {where}: {first['msg']}") from exc
        if (self.then or self.else_) and self.type != "condition":
            raise ValueError(f"step '{self.id}': only condition steps have then/else branches")
        if self.steps and self.type != "loop":
            raise ValueError(f"step '{self.id}': only loop steps have a body")
        return self

    def typed(self) -> Any:
        return CONFIGS[self.type].model_validate(self.config)

    @property
    def retry_policy(self) -> RetryPolicy:
        return self.retry or RetryPolicy()


class WorkflowDefinition(_Strict):
    trigger: Trigger = Field(default_factory=ManualTrigger)
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> WorkflowDefinition:
        problems = problems_in(self)
        if problems:
            raise ValueError("; ".join(problems[:10]))
        return self


# -- whole-workflow checks --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Located:
    step: Step
    path: tuple[str, ...]  # enclosing loops' ids, outermost first
    before: tuple[str, ...]  # ids of steps that run earlier (document order, loop bodies scoped)


def walk(steps: list[Step]) -> Iterator[Located]:
    yield from _walk(steps, (), [])


def _walk(steps: list[Step], loops: tuple[str, ...], seen: list[str]) -> Iterator[Located]:
    for step in steps:
        yield Located(step, loops, tuple(seen))
        seen.append(step.id)
        if step.type == "condition":
            yield from _walk(step.then, loops, seen)
            yield from _walk(step.else_, loops, seen)
        elif step.type == "loop":
            inner = list(seen)
            yield from _walk(step.steps, (*loops, step.id), inner)


def problems_in(definition: WorkflowDefinition) -> list[str]:
    problems: list[str] = []
    located = list(walk(definition.steps))
    if len(located) > MAX_STEPS:
        problems.append(f"a workflow has at most {MAX_STEPS} steps")
    ids = [item.step.id for item in located]
    problems += [f"step id '{dup}' is used twice" for dup in sorted({i for i in ids if ids.count(i) > 1})]
    for item in located:
        for source in templating.strings_in(item.step.config):
            problems += [
                f"step '{item.step.id}': {problem}"
                for problem in templating.check(source, item.before, in_loop=bool(item.path))
            ]
    trigger = definition.trigger
    if isinstance(trigger, EventTrigger):
        known = {"trigger", "customer", "workflow", "owner", "now"}
        for condition in trigger.conditions:
            if condition.field.split(".")[0] not in known:
                problems.append(f"trigger condition field '{condition.field}' must start with trigger.")
    return problems


def _zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


def next_fire(cron: str, zone: str, after: datetime) -> datetime:
    """The first time after `after` the cron matches, read in `zone` (so 09:00 stays 09:00 across DST)."""
    local = after.astimezone(zoneinfo.ZoneInfo(zone))
    fire: datetime = croniter(cron, local).get_next(datetime)
    return fire.astimezone(after.tzinfo)


# -- the seed's short form --------------------------------------------------------------------------


class ShortAction(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: StepType


class ShortAutomation(_Strict):
    """`{name, trigger: {type: "schedule", cron: "0 9 * * 1"}, actions: [{type: "send_email", ...}]}`"""

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    trigger: dict[str, Any]
    actions: list[ShortAction] = Field(min_length=1, max_length=MAX_STEPS)
    is_active: bool = True


def from_short_form(short: ShortAutomation) -> dict[str, Any]:
    """The equivalent full definition: each action becomes a step `action_<n>` whose config is the
    action's other fields."""
    steps = []
    for number, action in enumerate(short.actions, start=1):
        fields = action.model_dump(exclude={"type"})
        steps.append({"id": f"action_{number}", "type": action.type, "config": fields})
    return {"trigger": short.trigger, "steps": steps}
