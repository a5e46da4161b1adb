from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from binelek.ops.automation.definitions import ManualTrigger, Step, Trigger


class WorkflowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    trigger: Trigger = Field(default_factory=ManualTrigger)
    steps: list[Step] = Field(min_length=1)
    error_workflow_id: uuid.UUID | None = None
    is_active: bool = False


class WorkflowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str | None
    is_active: bool
    version: int
    trigger: dict[str, Any]
    steps: list[dict[str, Any]]
    error_workflow_id: uuid.UUID | None
    webhook_url: str | None = None
    webhook_secret: str | None = Field(
        default=None, description="Shown once, when a webhook trigger is created or its secret rotated."
    )
    next_fire_at: datetime | None
    last_run_at: datetime | None
    created_at: datetime
    updated_at: datetime
    runs_succeeded: int = 0
    runs_failed: int = 0


class RunInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: dict[str, Any] = Field(default_factory=dict)


class TestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: dict[str, Any] = Field(default_factory=dict, description="Stands in for the trigger's data.")
    definition: WorkflowIn | None = Field(
        default=None, description="Test unsaved changes instead of the saved version."
    )


class TestStepOut(BaseModel):
    path: str
    type: str
    input: dict[str, Any] = Field(default_factory=dict)
    would: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class TestOut(BaseModel):
    status: str
    trigger_matches: bool | None = None
    steps: list[TestStepOut]
    error: dict[str, Any] | None = None


class RunStepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    path: str
    step_id: str
    type: str
    seq: int
    status: str
    input: dict[str, Any]
    output: dict[str, Any] | None
    error: str | None
    attempts: int
    started_at: datetime
    finished_at: datetime | None
    duration_ms: float | None = None


class ApprovalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    path: str
    approver_ids: list[str]
    required: int
    message: str | None
    decisions: list[dict[str, Any]]
    status: str
    expires_at: datetime | None


class RunSummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    workflow_id: uuid.UUID
    workflow_name: str | None = None
    version: int
    status: str
    trigger_type: str
    waiting_for: str | None
    error: dict[str, Any] | None
    attempt: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RunOut(RunSummaryOut):
    trigger_data: dict[str, Any]
    resume_at: datetime | None
    parent_run_id: uuid.UUID | None
    steps: list[RunStepOut] = Field(default_factory=list)
    approvals: list[ApprovalOut] = Field(default_factory=list)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=1000)
    path: str | None = Field(
        default=None, max_length=500, description="Which approval, when a run has several."
    )


class CatalogOut(BaseModel):
    triggers: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    events: list[str]
    variables: list[str]


class ActivationOut(BaseModel):
    id: uuid.UUID
    is_active: bool
    active_automations: int
    limit: int | None


Decision = Literal["approve", "reject"]
