/** Automation calls through the typed client; failures raise `ApiError` parsed from problem+json. */
import { api, unwrap } from '../../../api/client';
import type {
  ActivationOut,
  CatalogOut,
  RunOut,
  RunPage,
  TestOut,
  WorkflowIn,
  WorkflowOut,
} from './types';

export function getCatalog(): Promise<CatalogOut> {
  return unwrap(api.GET('/api/modules/ops-copilot/workflows/catalog'));
}

export function listWorkflows(): Promise<WorkflowOut[]> {
  return unwrap(api.GET('/api/modules/ops-copilot/workflows'));
}

export function getWorkflow(workflowId: string): Promise<WorkflowOut> {
  return unwrap(api.GET('/api/modules/ops-copilot/workflows/{workflow_id}', { params: { path: { workflow_id: workflowId } } }));
}

export function createWorkflow(body: WorkflowIn): Promise<WorkflowOut> {
  return unwrap(api.POST('/api/modules/ops-copilot/workflows', { body }));
}

export function updateWorkflow(workflowId: string, body: WorkflowIn): Promise<WorkflowOut> {
  return unwrap(api.PUT('/api/modules/ops-copilot/workflows/{workflow_id}', { params: { path: { workflow_id: workflowId } }, body }));
}

export async function deleteWorkflow(workflowId: string): Promise<void> {
  await unwrap(api.DELETE('/api/modules/ops-copilot/workflows/{workflow_id}', { params: { path: { workflow_id: workflowId } } }));
}

export function setActive(workflowId: string, active: boolean): Promise<ActivationOut> {
  const params = { params: { path: { workflow_id: workflowId } } };
  return active
    ? unwrap(api.POST('/api/modules/ops-copilot/workflows/{workflow_id}/activate', params))
    : unwrap(api.POST('/api/modules/ops-copilot/workflows/{workflow_id}/deactivate', params));
}

export function rotateWebhookSecret(workflowId: string): Promise<WorkflowOut> {
  return unwrap(api.POST('/api/modules/ops-copilot/workflows/{workflow_id}/webhook-secret', { params: { path: { workflow_id: workflowId } } }));
}

export function runNow(workflowId: string, input: Record<string, unknown> = {}): Promise<RunOut> {
  return unwrap(api.POST('/api/modules/ops-copilot/workflows/{workflow_id}/run', { params: { path: { workflow_id: workflowId } }, body: { input } }));
}

/** A dry run of `definition` (the unsaved form) with `input` standing in for the trigger's data. */
export function testWorkflow(workflowId: string, input: Record<string, unknown>, definition: WorkflowIn | null): Promise<TestOut> {
  return unwrap(
    api.POST('/api/modules/ops-copilot/workflows/{workflow_id}/test', {
      params: { path: { workflow_id: workflowId } },
      body: definition ? { input, definition } : { input },
    }),
  );
}

export interface RunFilter {
  status?: string;
  workflowId?: string;
  limit: number;
  offset: number;
}

export function listRuns({ status, workflowId, limit, offset }: RunFilter): Promise<RunPage> {
  const query = { status: status || undefined, limit, offset };
  if (workflowId) {
    return unwrap(api.GET('/api/modules/ops-copilot/workflows/{workflow_id}/runs', { params: { path: { workflow_id: workflowId }, query } }));
  }
  return unwrap(api.GET('/api/modules/ops-copilot/runs', { params: { query } }));
}

export function getRun(runId: string): Promise<RunOut> {
  return unwrap(api.GET('/api/modules/ops-copilot/runs/{run_id}', { params: { path: { run_id: runId } } }));
}

export function retryRun(runId: string): Promise<RunOut> {
  return unwrap(api.POST('/api/modules/ops-copilot/runs/{run_id}/retry', { params: { path: { run_id: runId } } }));
}

export function cancelRun(runId: string): Promise<RunOut> {
  return unwrap(api.POST('/api/modules/ops-copilot/runs/{run_id}/cancel', { params: { path: { run_id: runId } } }));
}

export type Decision = 'approve' | 'reject';

export function decide(runId: string, decision: Decision, comment: string, path: string | null): Promise<RunOut> {
  const body = { comment: comment.trim() || null, path };
  const params = { path: { run_id: runId } };
  return decision === 'approve'
    ? unwrap(api.POST('/api/modules/ops-copilot/runs/{run_id}/approve', { params, body }))
    : unwrap(api.POST('/api/modules/ops-copilot/runs/{run_id}/reject', { params, body }));
}

export interface MetricChoices {
  metrics: { name: string; label: string }[];
  presets: string[];
}

/** Mini Foundry's metrics and time presets, for a metric-threshold trigger. */
export async function getMetricChoices(): Promise<MetricChoices> {
  const catalog = await unwrap(api.GET('/api/modules/mini-foundry/metrics'));
  return { metrics: catalog.metrics.map((m) => ({ name: m.name, label: m.label })), presets: catalog.presets };
}
