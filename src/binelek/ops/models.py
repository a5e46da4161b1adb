"""Ops Copilot's tables: tasks and what helps plan them, e-mail, and the automation engine's
definitions, versions, runs, steps and approvals."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from binelek.kit.crypto import encrypted_column
from binelek.kit.db import Base, IdMixin, TenantMixin, TimestampMixin, utcnow

TITLE_MAX = 300
TASK_STATUSES = ("todo", "in_progress", "blocked", "done", "cancelled")
TASK_PRIORITIES = ("low", "medium", "high", "urgent")
TASK_SOURCES = ("manual", "automation", "ai", "email")


# -- tasks ------------------------------------------------------------------------------------------


class Task(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_tenant_status_due", "tenant_id", "status", "due_at"),
        Index("ix_tasks_tenant_assignee", "tenant_id", "assignee_id"),
        Index("ix_tasks_parent", "parent_id"),
    )

    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str | None] = mapped_column(Text())
    status: Mapped[str] = mapped_column(String(20), default="todo")
    priority: Mapped[str] = mapped_column(String(10), default="medium")
    due_at: Mapped[datetime | None] = mapped_column()
    estimate_minutes: Mapped[int | None] = mapped_column(Integer())
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    tags: Mapped[list[str]] = mapped_column(default=list)
    category: Mapped[str | None] = mapped_column(String(100))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20), default="manual")
    # Business records the task is about, e.g. {"customer_id": "...", "order_id": "..."}.
    related: Mapped[dict[str, Any]] = mapped_column(default=dict)
    position: Mapped[float] = mapped_column(default=0.0)  # order within a kanban column
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    workflow_run_id: Mapped[uuid.UUID | None] = mapped_column()  # the automation run that made it
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()


class TaskDependency(IdMixin, TenantMixin, Base):
    """`task_id` cannot start before `blocked_by_id` is done."""

    __tablename__ = "task_dependencies"
    __table_args__ = (
        UniqueConstraint("task_id", "blocked_by_id", name="uq_task_dependencies_pair"),
        Index("ix_task_dependencies_blocked_by", "blocked_by_id"),
    )

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    blocked_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))


class TaskSuggestion(IdMixin, TenantMixin, Base):
    """A proposal the user accepts or dismisses; nothing is applied without a decision."""

    __tablename__ = "task_suggestions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "fingerprint", name="uq_task_suggestions_fingerprint"),
        Index("ix_task_suggestions_tenant_status", "tenant_id", "status"),
    )

    task_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    # priority | due_date | subtasks | next_action | automation
    kind: Mapped[str] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(128))  # the same proposal is not made twice
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    reason: Mapped[str] = mapped_column(String(2000))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # what accepting applies
    engine: Mapped[str] = mapped_column(String(20), default="heuristic")  # heuristic | llm
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | accepted | dismissed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# -- scheduling -------------------------------------------------------------------------------------


class WorkingHours(IdMixin, TimestampMixin, TenantMixin, Base):
    """A user's working week in their zone, and the secret behind their calendar feed."""

    __tablename__ = "working_hours"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", name="uq_working_hours_user"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # {"mon": [["09:00", "17:00"]], ..., "sun": []}
    week: Mapped[dict[str, Any]] = mapped_column(default=dict)
    min_chunk_minutes: Mapped[int] = mapped_column(Integer(), default=30)
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)


class BusyBlock(IdMixin, TimestampMixin, TenantMixin, Base):
    """Time a user entered as busy (calendar events synced from Google/Outlook count as well)."""

    __tablename__ = "busy_blocks"
    __table_args__ = (Index("ix_busy_blocks_user_starts", "tenant_id", "user_id", "starts_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()


# -- e-mail -----------------------------------------------------------------------------------------


class EmailTemplate(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "email_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_email_templates_name"),)

    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text())
    variables: Mapped[list[str]] = mapped_column(default=list)  # found in subject and body on save


class OutgoingEmail(IdMixin, TenantMixin, Base):
    """Every message Ops Copilot sent or tried to send: by a user, or by an automation step."""

    __tablename__ = "outgoing_emails"
    __table_args__ = (
        Index("ix_outgoing_emails_tenant_created", "tenant_id", "created_at"),
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_outgoing_emails_idempotency"),
    )

    to: Mapped[list[str]] = mapped_column(default=list)
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text())
    via: Mapped[str] = mapped_column(String(20))  # gmail | outlook | smtp
    connection_id: Mapped[uuid.UUID | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sent | failed
    error: Mapped[str | None] = mapped_column(String(2000))
    provider_message_id: Mapped[str | None] = mapped_column(String(500))
    # An automation step's run id and step path: a step retried after a crash finds its message.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    sent_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    workflow_run_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


# -- automation engine ------------------------------------------------------------------------------

RUN_STATUSES = ("queued", "running", "waiting", "succeeded", "failed", "cancelled")


class Workflow(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "workflows"
    __table_args__ = (
        Index("ix_workflows_tenant_active", "tenant_id", "is_active"),
        UniqueConstraint("webhook_token", name="uq_workflows_webhook_token"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000))
    is_active: Mapped[bool] = mapped_column(Boolean(), default=False)
    version: Mapped[int] = mapped_column(Integer(), default=1)  # the latest saved definition
    # {"type": "event", "event": "order.created", "conditions": [...]} — see ops.definitions
    trigger: Mapped[dict[str, Any]] = mapped_column(default=dict)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # retry defaults, timeout
    error_workflow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workflows.id", ondelete="SET NULL")
    )
    # The trigger's event type, copied out of `trigger` so matching an event is one indexed lookup.
    trigger_type: Mapped[str] = mapped_column(String(20), default="manual")
    trigger_event: Mapped[str | None] = mapped_column(String(100), index=True)
    webhook_token: Mapped[str | None] = mapped_column(String(64))  # the unique URL's path segment
    webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text())
    next_fire_at: Mapped[datetime | None] = mapped_column()  # schedule and condition triggers
    trigger_state: Mapped[dict[str, Any]] = mapped_column(default=dict)  # e.g. a condition's last side
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_run_at: Mapped[datetime | None] = mapped_column()


encrypted_column(Workflow.webhook_secret_encrypted)


class WorkflowVersion(IdMixin, TenantMixin, Base):
    """An immutable snapshot: a run executes the version it started with."""

    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("workflow_id", "version", name="uq_workflow_versions_version"),)

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer())
    trigger: Mapped[dict[str, Any]] = mapped_column(default=dict)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkflowRun(IdMixin, TenantMixin, Base):
    __tablename__ = "workflow_runs"
    __table_args__ = (
        UniqueConstraint("workflow_id", "idempotency_key", name="uq_workflow_runs_idempotency"),
        Index("ix_workflow_runs_workflow_created", "workflow_id", "created_at"),
        Index("ix_workflow_runs_tenant_status", "tenant_id", "status"),
    )

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer())
    status: Mapped[str] = mapped_column(String(20), default="queued")
    trigger_type: Mapped[str] = mapped_column(String(20))  # manual | schedule | event | webhook | ...
    trigger_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # One trigger occurrence (an event id, a schedule tick, a webhook delivery) starts one run.
    idempotency_key: Mapped[str] = mapped_column(String(200))
    # Outputs of finished steps by step id, and where execution continues: the engine's checkpoint.
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cursor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    waiting_for: Mapped[str | None] = mapped_column(String(20))  # delay | approval
    resume_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[dict[str, Any] | None] = mapped_column()  # {"step", "message", "code"}
    attempt: Mapped[int] = mapped_column(Integer(), default=1)  # bumped by "retry from failed step"
    parent_run_id: Mapped[uuid.UUID | None] = mapped_column()  # run_workflow and error workflows
    started_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class WorkflowRunStep(IdMixin, TenantMixin, Base):
    """One execution of one step: inside a loop the same step runs once per item (its path says which)."""

    __tablename__ = "workflow_run_steps"
    __table_args__ = (
        UniqueConstraint("run_id", "path", name="uq_workflow_run_steps_path"),
        Index("ix_workflow_run_steps_run_seq", "run_id", "seq"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_runs.id", ondelete="CASCADE"))
    step_id: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))  # e.g. "thank" or "each_order[3].notify"
    type: Mapped[str] = mapped_column(String(30))
    seq: Mapped[int] = mapped_column(Integer())  # execution order within the run
    status: Mapped[str] = mapped_column(String(20))  # running | waiting | succeeded | failed | skipped
    input: Mapped[dict[str, Any]] = mapped_column(default=dict)
    output: Mapped[dict[str, Any] | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(String(4000))
    attempts: Mapped[int] = mapped_column(Integer(), default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class WorkflowApproval(IdMixin, TenantMixin, Base):
    __tablename__ = "workflow_approvals"
    __table_args__ = (
        UniqueConstraint("run_id", "path", name="uq_workflow_approvals_path"),
        Index("ix_workflow_approvals_tenant_status", "tenant_id", "status"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_runs.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(500))
    approver_ids: Mapped[list[str]] = mapped_column(default=list)  # user ids; empty: any admin
    required: Mapped[int] = mapped_column(Integer(), default=1)
    requested_by: Mapped[uuid.UUID | None] = mapped_column()  # who started the run: may not approve
    message: Mapped[str | None] = mapped_column(String(2000))
    # [{"user_id", "decision": "approve" | "reject", "comment", "at"}]
    decisions: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    # pending | approved | rejected | expired
    status: Mapped[str] = mapped_column(String(20), default="pending")
    expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
