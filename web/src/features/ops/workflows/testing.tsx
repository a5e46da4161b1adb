/** Fixtures and helpers shared by the automation page tests. */
import { render } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { http, HttpResponse } from 'msw';
import { MemoryRouter, Route, Routes } from 'react-router';
import { session, tenantStore } from '../../../api/auth';
import { createQueryClient } from '../../../queryClient';
import { me, organization } from '../../../test/fixtures';
import { server, tokens } from '../../../test/server';
import type { CatalogOut, RunOut, WorkflowOut } from './types';
import { RunDetailPage, RunsPage, WorkflowBuilderPage, WorkflowsPage } from './index';

export const OPS = '*/api/modules/ops-copilot';

/** GET /workflows/catalog as the server answers it (config schemas from the pydantic models). */
export const catalog: CatalogOut = {"triggers": [{"type": "manual"}, {"type": "schedule"}, {"type": "event"}, {"type": "webhook"}, {"type": "condition"}], "steps": [{"type": "create_task", "kind": "pure", "config_schema": {"additionalProperties": false, "properties": {"title": {"maxLength": 500, "minLength": 1, "title": "Title", "type": "string"}, "description": {"anyOf": [{"maxLength": 10000, "type": "string"}, {"type": "null"}], "default": null, "title": "Description"}, "priority": {"default": "medium", "title": "Priority", "type": "string"}, "due_at": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Due At"}, "assignee": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Assignee"}, "tags": {"items": {"type": "string"}, "maxItems": 20, "title": "Tags", "type": "array"}, "category": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Category"}, "estimate_minutes": {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}], "default": null, "title": "Estimate Minutes"}}, "required": ["title"], "title": "CreateTaskConfig", "type": "object"}}, {"type": "update_task", "kind": "pure", "config_schema": {"additionalProperties": false, "properties": {"task_id": {"title": "Task Id", "type": "string"}, "status": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Status"}, "priority": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Priority"}, "title": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Title"}, "due_at": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Due At"}, "assignee": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Assignee"}}, "required": ["task_id"], "title": "UpdateTaskConfig", "type": "object"}}, {"type": "send_email", "kind": "external", "config_schema": {"additionalProperties": false, "properties": {"to": {"anyOf": [{"type": "string"}, {"items": {"type": "string"}, "type": "array"}], "title": "To"}, "subject": {"maxLength": 500, "minLength": 1, "title": "Subject", "type": "string"}, "body": {"maxLength": 100000, "minLength": 1, "title": "Body", "type": "string"}}, "required": ["to", "subject", "body"], "title": "SendEmailConfig", "type": "object"}}, {"type": "http_request", "kind": "external", "config_schema": {"additionalProperties": false, "properties": {"method": {"default": "POST", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE"], "title": "Method", "type": "string"}, "url": {"maxLength": 2000, "minLength": 1, "title": "Url", "type": "string"}, "headers": {"additionalProperties": {"type": "string"}, "title": "Headers", "type": "object"}, "query": {"additionalProperties": {"type": "string"}, "title": "Query", "type": "object"}, "body": {"anyOf": [{"type": "string"}, {"additionalProperties": true, "type": "object"}, {"items": {}, "type": "array"}, {"type": "null"}], "default": null, "title": "Body"}, "fail_on_status": {"default": true, "title": "Fail On Status", "type": "boolean"}}, "required": ["url"], "title": "HttpRequestConfig", "type": "object"}}, {"type": "llm", "kind": "external", "config_schema": {"additionalProperties": false, "properties": {"prompt": {"maxLength": 20000, "minLength": 1, "title": "Prompt", "type": "string"}, "system": {"anyOf": [{"maxLength": 5000, "type": "string"}, {"type": "null"}], "default": null, "title": "System"}, "output": {"default": "text", "enum": ["text", "json"], "title": "Output", "type": "string"}}, "required": ["prompt"], "title": "LlmConfig", "type": "object"}}, {"type": "condition", "kind": "pure", "config_schema": {"$defs": {"Condition": {"additionalProperties": false, "properties": {"field": {"description": "A dotted path into the run's data, e.g. `trigger.total` or `steps.lookup.status`.", "maxLength": 200, "minLength": 1, "pattern": "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z0-9_]+)*$", "title": "Field", "type": "string"}, "op": {"enum": ["eq", "ne", "gt", "gte", "lt", "lte", "contains", "not_contains", "starts_with", "ends_with", "in", "not_in", "exists", "not_exists", "is_true", "is_false"], "title": "Op", "type": "string"}, "value": {"default": null, "title": "Value"}}, "required": ["field", "op"], "title": "Condition", "type": "object"}}, "additionalProperties": false, "properties": {"conditions": {"items": {"$ref": "#/$defs/Condition"}, "maxItems": 20, "minItems": 1, "title": "Conditions", "type": "array"}, "match": {"default": "all", "enum": ["all", "any"], "title": "Match", "type": "string"}}, "required": ["conditions"], "title": "ConditionConfig", "type": "object"}}, {"type": "loop", "kind": "pure", "config_schema": {"additionalProperties": false, "properties": {"items": {"title": "Items", "type": "string"}, "max_items": {"default": 100, "maximum": 1000, "minimum": 1, "title": "Max Items", "type": "integer"}}, "required": ["items"], "title": "LoopConfig", "type": "object"}}, {"type": "delay", "kind": "wait", "config_schema": {"additionalProperties": false, "properties": {"minutes": {"anyOf": [{"minimum": 0, "type": "number"}, {"type": "null"}], "default": null, "title": "Minutes"}, "hours": {"anyOf": [{"minimum": 0, "type": "number"}, {"type": "null"}], "default": null, "title": "Hours"}, "days": {"anyOf": [{"minimum": 0, "type": "number"}, {"type": "null"}], "default": null, "title": "Days"}, "until": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Until"}}, "title": "DelayConfig", "type": "object"}}, {"type": "approval", "kind": "wait", "config_schema": {"additionalProperties": false, "properties": {"approvers": {"items": {"type": "string"}, "maxItems": 20, "title": "Approvers", "type": "array"}, "required": {"default": 1, "maximum": 20, "minimum": 1, "title": "Required", "type": "integer"}, "timeout_hours": {"default": 72.0, "exclusiveMinimum": 0, "maximum": 720, "title": "Timeout Hours", "type": "number"}, "message": {"anyOf": [{"maxLength": 2000, "type": "string"}, {"type": "null"}], "default": null, "title": "Message"}, "on_timeout": {"default": "reject", "enum": ["reject", "approve"], "title": "On Timeout", "type": "string"}}, "title": "ApprovalConfig", "type": "object"}}, {"type": "notify", "kind": "pure", "config_schema": {"additionalProperties": false, "properties": {"to": {"anyOf": [{"enum": ["owner", "admins", "members"], "type": "string"}, {"items": {"type": "string"}, "type": "array"}], "default": "owner", "title": "To"}, "title": {"maxLength": 300, "minLength": 1, "title": "Title", "type": "string"}, "body": {"anyOf": [{"maxLength": 4000, "type": "string"}, {"type": "null"}], "default": null, "title": "Body"}, "link": {"anyOf": [{"maxLength": 500, "type": "string"}, {"type": "null"}], "default": null, "title": "Link"}}, "required": ["title"], "title": "NotifyConfig", "type": "object"}}, {"type": "update_record", "kind": "pure", "config_schema": {"additionalProperties": false, "properties": {"entity": {"enum": ["customer", "contact", "deal", "invoice", "order", "product"], "title": "Entity", "type": "string"}, "id": {"title": "Id", "type": "string"}, "fields": {"additionalProperties": true, "minProperties": 1, "title": "Fields", "type": "object"}}, "required": ["entity", "id", "fields"], "title": "UpdateRecordConfig", "type": "object"}}, {"type": "run_workflow", "kind": "wait", "config_schema": {"additionalProperties": false, "properties": {"workflow_id": {"title": "Workflow Id", "type": "string"}, "input": {"additionalProperties": true, "title": "Input", "type": "object"}, "wait": {"default": true, "title": "Wait", "type": "boolean"}}, "required": ["workflow_id"], "title": "RunWorkflowConfig", "type": "object"}}], "events": ["order.created", "payment.received", "invoice.overdue", "customer.created", "task.created", "task.completed", "automation.completed", "automation.failed", "connector.sync.completed", "connector.error", "price.changed", "price.dropped", "availability.changed", "security.issue.created"], "variables": ["customer", "index", "item", "now", "owner", "run", "steps", "trigger", "workflow"]};

export function signedInAs(role: 'admin' | 'member' | 'viewer' = 'admin') {
  session.setTokens(tokens('access-1'));
  tenantStore.set('t1');
  server.use(
    http.get('*/api/auth/me', () => HttpResponse.json({ ...me, current_tenant: { id: 't1', name: 'Acme Ltd', role } })),
    http.get('*/api/organization', () => HttpResponse.json(organization)),
    http.get(`${OPS}/workflows/catalog`, () => HttpResponse.json(catalog)),
  );
}

/** The automation pages at their /ops paths, starting at `path` (with optional history state). */
export function renderOps(path: string, state?: unknown) {
  const queryClient = createQueryClient();
  return render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[{ pathname: path.split('?')[0]!, search: path.includes('?') ? `?${path.split('?')[1]}` : '', state }]}>
        <Routes>
          <Route path="/ops/automations" element={<WorkflowsPage />} />
          <Route path="/ops/automations/:workflowId" element={<WorkflowBuilderPage />} />
          <Route path="/ops/runs" element={<RunsPage />} />
          <Route path="/ops/runs/:runId" element={<RunDetailPage />} />
          <Route path="/ops/tasks/:taskId" element={<p>Task page</p>} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

const at = '2026-03-02T10:15:00Z';

export function workflow(overrides: Partial<WorkflowOut> = {}): WorkflowOut {
  return {
    id: 'wf-1',
    name: 'Thank big customers',
    description: null,
    is_active: false,
    version: 1,
    trigger: { type: 'event', event: 'order.created', conditions: [{ field: 'trigger.total', op: 'gt', value: 500 }], match: 'all' },
    steps: [{ id: 'create_task', type: 'create_task', config: { title: 'Thank {{ customer }}', priority: 'high' }, on_error: 'fail' }],
    error_workflow_id: null,
    webhook_url: null,
    webhook_secret: null,
    next_fire_at: null,
    last_run_at: null,
    created_at: at,
    updated_at: at,
    runs_succeeded: 0,
    runs_failed: 0,
    ...overrides,
  };
}

export function run(overrides: Partial<RunOut> = {}): RunOut {
  return {
    id: 'run-1',
    workflow_id: 'wf-1',
    workflow_name: 'Thank big customers',
    version: 1,
    status: 'succeeded',
    trigger_type: 'event',
    waiting_for: null,
    error: null,
    attempt: 1,
    created_at: at,
    started_at: at,
    finished_at: '2026-03-02T10:15:01.250Z',
    trigger_data: { order_number: '#1001', total: '612.50' },
    resume_at: null,
    parent_run_id: null,
    steps: [],
    approvals: [],
    ...overrides,
  };
}
