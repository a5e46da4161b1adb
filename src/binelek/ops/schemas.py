"""API shapes of Ops Copilot's tasks, suggestions and e-mail."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from binelek.ops.models import TITLE_MAX

TaskStatus = Literal["todo", "in_progress", "blocked", "done", "cancelled"]
TaskPriority = Literal["low", "medium", "high", "urgent"]
TaskSource = Literal["manual", "automation", "ai", "email"]
TaskSort = Literal["due_at", "priority", "created_at", "updated_at", "position"]
SuggestionKind = Literal["priority", "due_date", "subtasks", "next_action", "automation"]
SuggestionStatus = Literal["open", "accepted", "dismissed"]

MAX_TAGS = 20
TAG_MAX = 50
MAX_BLOCKERS = 50
RELATED_MAX_CHARS = 4000
DESCRIPTION_MAX = 10_000
ESTIMATE_MAX = 60 * 24 * 90  # minutes: a quarter of round-the-clock work is plenty for one task
BULK_MAX = 200


def _aware(value: datetime | None) -> datetime | None:
    """Naive date-times are read as UTC: the API speaks UTC unless an offset says otherwise."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _clean_tags(tags: list[str] | None) -> list[str] | None:
    """Tags without a leading '#', blank ones dropped, each kept once (first spelling wins)."""
    if tags is None:
        return None
    seen: dict[str, str] = {}
    for tag in tags:
        cleaned = tag.strip().lstrip("#").strip()
        if not cleaned:
            continue
        if len(cleaned) > TAG_MAX:
            raise ValueError(f"a tag is at most {TAG_MAX} characters")
        seen.setdefault(cleaned.lower(), cleaned)
    return list(seen.values())


def _check_related(related: dict[str, Any] | None) -> dict[str, Any] | None:
    if related is not None and len(json.dumps(related, default=str)) > RELATED_MAX_CHARS:
        raise ValueError(f"related is at most {RELATED_MAX_CHARS} characters of JSON")
    return related


class _TaskFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("title", mode="before", check_fields=False)
    @classmethod
    def _strip_title(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("due_at", check_fields=False)
    @classmethod
    def _due_is_aware(cls, value: datetime | None) -> datetime | None:
        return _aware(value)

    @field_validator("tags", check_fields=False)
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return _clean_tags(value)

    @field_validator("related", check_fields=False)
    @classmethod
    def _related(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _check_related(value)

    @field_validator("category", mode="before", check_fields=False)
    @classmethod
    def _blank_category(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip() or None
        return value


class TaskCreate(_TaskFields):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)
    status: TaskStatus = "todo"
    priority: TaskPriority = "medium"
    due_at: datetime | None = None
    estimate_minutes: int | None = Field(default=None, ge=1, le=ESTIMATE_MAX)
    assignee_id: uuid.UUID | None = None
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS)
    category: str | None = Field(default=None, max_length=100)
    parent_id: uuid.UUID | None = None
    blocked_by: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_BLOCKERS)
    related: dict[str, Any] = Field(default_factory=dict)
    position: float | None = Field(default=None, allow_inf_nan=False)


class TaskUpdate(_TaskFields):
    """Only the fields sent change; `null` clears a field that may be empty (due date, assignee…)."""

    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)
    status: TaskStatus | None = None
    priority: TaskPriority | None = None
    due_at: datetime | None = None
    estimate_minutes: int | None = Field(default=None, ge=1, le=ESTIMATE_MAX)
    assignee_id: uuid.UUID | None = None
    tags: list[str] | None = Field(default=None, max_length=MAX_TAGS)
    category: str | None = Field(default=None, max_length=100)
    parent_id: uuid.UUID | None = None
    blocked_by: list[uuid.UUID] | None = Field(default=None, max_length=MAX_BLOCKERS)
    related: dict[str, Any] | None = None
    position: float | None = Field(default=None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _required_stay_set(self) -> TaskUpdate:
        for name in ("title", "status", "priority", "tags", "blocked_by", "related", "position"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class SubtaskCounts(BaseModel):
    total: int
    done: int


class TaskOut(BaseModel):
    id: uuid.UUID
    title: str
    description: str | None
    status: TaskStatus
    priority: TaskPriority
    due_at: datetime | None
    estimate_minutes: int | None
    assignee_id: uuid.UUID | None
    tags: list[str]
    category: str | None
    parent_id: uuid.UUID | None
    blocked_by: list[uuid.UUID]
    is_blocked: bool  # a task it waits for is neither done nor cancelled
    overdue: bool
    subtasks: SubtaskCounts
    source: TaskSource
    related: dict[str, Any]
    position: float
    created_by: uuid.UUID | None
    workflow_run_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    completed_at: datetime | None


class BulkPatch(_TaskFields):
    status: TaskStatus | None = None
    priority: TaskPriority | None = None
    assignee_id: uuid.UUID | None = None
    tags: list[str] | None = Field(default=None, max_length=MAX_TAGS)
    due_at: datetime | None = None
    category: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _something(self) -> BulkPatch:
        if not self.model_fields_set:
            raise ValueError("the patch changes nothing")
        for name in ("status", "priority", "tags"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[uuid.UUID] = Field(min_length=1, max_length=BULK_MAX)
    action: Literal["update", "delete"] = "update"
    patch: BulkPatch | None = None

    @model_validator(mode="after")
    def _patch_for_update(self) -> BulkIn:
        if self.action == "update" and self.patch is None:
            raise ValueError("an update needs a patch")
        if self.action == "delete" and self.patch is not None:
            raise ValueError("a delete takes no patch")
        return self


class BulkOut(BaseModel):
    requested: int
    updated: int
    deleted: int
    not_found: int  # ids that are not tasks of this organization (or were deleted with a parent)


# -- natural language --------------------------------------------------------------------------------


class TaskTextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=1000)


class TaskProposal(BaseModel):
    task: TaskCreate
    engine: Literal["local", "llm"]
    assignee_name: str | None = None  # whom the text named, when a member matched
    recognised: dict[str, str] = Field(default_factory=dict)  # what was read out of the text, by field


# -- suggestions -----------------------------------------------------------------------------------------


class SuggestionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    task_id: uuid.UUID | None
    kind: SuggestionKind
    title: str
    reason: str
    payload: dict[str, Any]
    engine: str
    status: SuggestionStatus
    created_at: datetime
    decided_at: datetime | None
    decided_by: uuid.UUID | None


class SuggestionDecisionOut(BaseModel):
    suggestion: SuggestionOut
    task: TaskOut | None = None  # the task as it is after accepting
    created_task_ids: list[uuid.UUID] = Field(default_factory=list)  # subtasks made
    workflow: dict[str, Any] | None = None  # an automation proposal, for the builder to open


# -- e-mail ----------------------------------------------------------------------------------------------

SUBJECT_MAX = 500
BODY_MAX = 100_000
MAX_RECIPIENTS = 50


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(default="", max_length=4000)
    context: dict[str, Any] = Field(default_factory=dict)
    template_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _prompt_or_template(self) -> DraftIn:
        if self.template_id is None and not self.prompt.strip():
            raise ValueError("give a prompt or a template_id")
        if len(json.dumps(self.context, default=str)) > 20_000:
            raise ValueError("context is at most 20,000 characters of JSON")
        return self


class DraftOut(BaseModel):
    subject: str
    body: str
    engine: Literal["template", "llm", "local"]


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: list[EmailStr] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    subject: str = Field(min_length=1, max_length=SUBJECT_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX)

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value or "\r" in value:
            raise ValueError("the subject is one line")
        return value.strip()


class OutgoingEmailOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    to: list[str]
    subject: str
    body: str
    via: str
    connection_id: uuid.UUID | None
    status: Literal["pending", "sent", "failed"]
    error: str | None
    provider_message_id: str | None
    sent_by: uuid.UUID | None
    workflow_run_id: uuid.UUID | None
    created_at: datetime
    sent_at: datetime | None


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    subject: str = Field(min_length=1, max_length=SUBJECT_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX)

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the name is blank")
        return value.strip()


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    subject: str
    body: str
    variables: list[str]
    created_at: datetime
    updated_at: datetime
