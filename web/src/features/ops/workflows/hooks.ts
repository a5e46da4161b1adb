import { useEffect } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApiError } from '../../../api/problem';
import { useTenantKey } from '../../auth/session';
import {
  cancelRun,
  createWorkflow,
  decide,
  deleteWorkflow,
  getCatalog,
  getMetricChoices,
  getRun,
  getWorkflow,
  listRuns,
  listWorkflows,
  retryRun,
  rotateWebhookSecret,
  runNow,
  setActive,
  testWorkflow,
  updateWorkflow,
  type Decision,
  type MetricChoices,
  type RunFilter,
} from './api';
import { ACTIVE_RUN_STATUSES, type ActivationOut, type CatalogOut, type RunOut, type RunPage, type TestOut, type WorkflowIn, type WorkflowOut } from './types';

/** How often a run that is still moving is polled; a run waiting on people or time changes rarely. */
export const RUN_POLL_MS = { moving: 1500, waiting: 5000, idle: 5000 };

function useOpsKey() {
  const key = useTenantKey();
  return [...key, 'ops'] as const;
}

function useInvalidate() {
  const queryClient = useQueryClient();
  const key = useOpsKey();
  return (...parts: string[]) => queryClient.invalidateQueries({ queryKey: [...key, ...parts] });
}

/**
 * Runs create and change tasks: once runs have been seen to change, the task pages' cached data (and
 * the schedule and suggestions made from it) is out of date — marked stale only, so it loads again
 * when next shown.
 */
export function useTasksFollowRuns(version: number) {
  const queryClient = useQueryClient();
  const [, tenant] = useTenantKey();
  useEffect(() => {
    if (!version) return;
    for (const part of ['tasks', 'suggestions', 'schedule']) {
      void queryClient.invalidateQueries({ queryKey: ['tenant', tenant, 'ops', part], refetchType: 'none' });
    }
  }, [version, tenant, queryClient]);
}

export function useWorkflowCatalog() {
  const key = useOpsKey();
  return useQuery<CatalogOut, ApiError>({ queryKey: [...key, 'workflow-catalog'], queryFn: getCatalog, staleTime: 10 * 60_000 });
}

export function useMetricChoices(enabled: boolean) {
  const key = useOpsKey();
  return useQuery<MetricChoices, ApiError>({ queryKey: [...key, 'metric-choices'], queryFn: getMetricChoices, enabled, staleTime: 10 * 60_000 });
}

export function useWorkflows() {
  const key = useOpsKey();
  return useQuery<WorkflowOut[], ApiError>({ queryKey: [...key, 'workflows', 'list'], queryFn: listWorkflows });
}

export function useWorkflow(workflowId: string | undefined, initial?: WorkflowOut) {
  const key = useOpsKey();
  return useQuery<WorkflowOut, ApiError>({
    queryKey: [...key, 'workflows', 'detail', workflowId],
    queryFn: () => getWorkflow(workflowId!),
    enabled: Boolean(workflowId),
    initialData: initial,
  });
}

/** Create (no id yet) or save a new version; the answer lands in the detail cache. */
export function useSaveWorkflow() {
  const queryClient = useQueryClient();
  const key = useOpsKey();
  const invalidate = useInvalidate();
  return useMutation<WorkflowOut, ApiError, { id: string | null; body: WorkflowIn }>({
    mutationFn: ({ id, body }) => (id ? updateWorkflow(id, body) : createWorkflow(body)),
    onSuccess: (saved) => {
      queryClient.setQueryData([...key, 'workflows', 'detail', saved.id], { ...saved, webhook_secret: null });
      void invalidate('workflows', 'list');
    },
  });
}

export function useSetActive() {
  const invalidate = useInvalidate();
  return useMutation<ActivationOut, ApiError, { id: string; active: boolean }>({
    mutationFn: ({ id, active }) => setActive(id, active),
    onSettled: () => invalidate('workflows'),
  });
}

export function useDeleteWorkflow(onDone?: () => void) {
  const invalidate = useInvalidate();
  return useMutation<void, ApiError, string>({
    mutationFn: deleteWorkflow,
    onSuccess: () => {
      void invalidate('workflows');
      onDone?.();
    },
  });
}

export function useRotateSecret() {
  return useMutation<WorkflowOut, ApiError, string>({ mutationFn: rotateWebhookSecret });
}

export function useRunNow(onStarted?: (run: RunOut) => void) {
  const invalidate = useInvalidate();
  return useMutation<RunOut, ApiError, string>({
    mutationFn: (id) => runNow(id),
    onSuccess: (run) => {
      void invalidate('runs');
      void invalidate('workflows', 'list');
      onStarted?.(run);
    },
  });
}

export function useTestWorkflow() {
  return useMutation<TestOut, ApiError, { id: string; input: Record<string, unknown>; definition: WorkflowIn | null }>({
    mutationFn: ({ id, input, definition }) => testWorkflow(id, input, definition),
  });
}

export function useRuns(filter: RunFilter) {
  const key = useOpsKey();
  return useQuery<RunPage, ApiError>({
    queryKey: [...key, 'runs', 'list', filter],
    queryFn: () => listRuns(filter),
    placeholderData: keepPreviousData,
    // Runs that are still moving finish within seconds: follow them closely; otherwise look for new
    // runs now and then (only while the page is visible).
    refetchInterval: (query) => (query.state.data?.items.some((run) => run.status === 'queued' || run.status === 'running') ? RUN_POLL_MS.moving : RUN_POLL_MS.idle),
  });
}

/** Runs that wait for someone's approval (the newest 50). */
export function usePendingApprovals() {
  const key = useOpsKey();
  return useQuery<RunPage, ApiError, RunPage['items']>({
    queryKey: [...key, 'runs', 'pending-approvals'],
    queryFn: () => listRuns({ status: 'waiting', limit: 50, offset: 0 }),
    select: (page) => page.items.filter((run) => run.waiting_for === 'approval'),
    refetchInterval: 30_000,
  });
}

export function useRun(runId: string | undefined) {
  const key = useOpsKey();
  return useQuery<RunOut, ApiError>({
    queryKey: [...key, 'runs', 'detail', runId],
    queryFn: () => getRun(runId!),
    enabled: Boolean(runId),
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      if (!status || !ACTIVE_RUN_STATUSES.has(status)) return false;
      return status === 'waiting' ? RUN_POLL_MS.waiting : RUN_POLL_MS.moving;
    },
  });
}

function useRunAction<V>(action: (variables: V) => Promise<RunOut>) {
  const queryClient = useQueryClient();
  const key = useOpsKey();
  const invalidate = useInvalidate();
  return useMutation<RunOut, ApiError, V>({
    mutationFn: action,
    onSuccess: (run) => {
      queryClient.setQueryData([...key, 'runs', 'detail', run.id], run);
      void invalidate('runs', 'list');
      void invalidate('runs', 'pending-approvals');
      void invalidate('workflows', 'list');
    },
  });
}

export function useRetryRun() {
  return useRunAction<string>(retryRun);
}

export function useCancelRun() {
  return useRunAction<string>(cancelRun);
}

export function useDecide() {
  return useRunAction<{ runId: string; decision: Decision; comment: string; path: string | null }>(({ runId, decision, comment, path }) =>
    decide(runId, decision, comment, path),
  );
}
