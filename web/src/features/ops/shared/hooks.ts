import { useMemo } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { ApiError } from '../../../api/problem';
import { useTenantKey } from '../../auth/session';
import {
  acceptSuggestion,
  bulkTasks,
  createTask,
  createTaskFromText,
  deleteTask,
  dismissSuggestion,
  getTask,
  listMembers,
  listSuggestions,
  listTasks,
  parseTask,
  suggestForTask,
  updateTask,
} from './api';
import type { BulkIn, BulkOut, Member, Page, Suggestion, SuggestionDecision, SuggestionKind, Task, TaskCreate, TaskProposal, TaskQuery, TaskUpdate } from './types';

export function useOpsKey() {
  const key = useTenantKey();
  return [...key, 'ops'] as const;
}

type OpsKey = ReturnType<typeof useOpsKey>;

/**
 * Everything a task change can move: lists, boards, details, suggestions (they are computed from
 * the tasks) and the schedule (planned from them).
 */
export function invalidateTaskData(queryClient: QueryClient, key: OpsKey): Promise<void> {
  return Promise.all(
    (['tasks', 'suggestions', 'schedule'] as const).map((part) => queryClient.invalidateQueries({ queryKey: [...key, part] })),
  ).then(() => undefined);
}

export function useTasks(query: TaskQuery, enabled = true) {
  const key = useOpsKey();
  return useQuery<Page<Task>, ApiError>({
    queryKey: [...key, 'tasks', 'list', query],
    queryFn: () => listTasks(query),
    placeholderData: keepPreviousData,
    enabled,
  });
}

export function useTask(id: string | undefined) {
  const key = useOpsKey();
  return useQuery<Task, ApiError>({
    queryKey: [...key, 'tasks', 'detail', id],
    queryFn: () => getTask(id!),
    enabled: Boolean(id),
  });
}

export function useMembers() {
  const key = useOpsKey();
  return useQuery<Member[], ApiError>({
    queryKey: [...key, 'members'],
    queryFn: listMembers,
    staleTime: 5 * 60_000,
  });
}

/** Members by user id, for showing assignees in lists. */
export function useMemberNames(): Map<string, string> {
  const { data } = useMembers();
  return useMemo(() => new Map((data ?? []).map((m) => [m.user_id, m.full_name || m.email])), [data]);
}

export function useCreateTask() {
  const key = useOpsKey();
  const queryClient = useQueryClient();
  return useMutation<Task, ApiError, TaskCreate>({
    mutationFn: createTask,
    onSuccess: () => invalidateTaskData(queryClient, key),
  });
}

export function useUpdateTask() {
  const key = useOpsKey();
  const queryClient = useQueryClient();
  return useMutation<Task, ApiError, { id: string; patch: TaskUpdate }>({
    mutationFn: ({ id, patch }) => updateTask(id, patch),
    onSuccess: (task) => {
      queryClient.setQueryData([...key, 'tasks', 'detail', task.id], task);
      return invalidateTaskData(queryClient, key);
    },
  });
}

export function useDeleteTask() {
  const key = useOpsKey();
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, string>({
    mutationFn: deleteTask,
    onSuccess: (_, id) => {
      queryClient.removeQueries({ queryKey: [...key, 'tasks', 'detail', id] });
      return invalidateTaskData(queryClient, key);
    },
  });
}

export function useBulkTasks() {
  const key = useOpsKey();
  const queryClient = useQueryClient();
  return useMutation<BulkOut, ApiError, BulkIn>({
    mutationFn: bulkTasks,
    onSuccess: () => invalidateTaskData(queryClient, key),
  });
}

export function useParseTask() {
  return useMutation<TaskProposal, ApiError, string>({ mutationFn: parseTask });
}

export function useCreateTaskFromText() {
  const key = useOpsKey();
  const queryClient = useQueryClient();
  return useMutation<Task, ApiError, string>({
    mutationFn: createTaskFromText,
    onSuccess: () => invalidateTaskData(queryClient, key),
  });
}

/** Open suggestions of one kind for the whole organization (computed afresh by the server). */
export function useSuggestions(kind: SuggestionKind, enabled = true) {
  const key = useOpsKey();
  return useQuery<Page<Suggestion>, ApiError>({
    queryKey: [...key, 'suggestions', 'list', kind],
    queryFn: () => listSuggestions({ kind, limit: 20 }),
    enabled,
  });
}

/** The suggestions about one task; POST because asking computes them. */
export function useTaskSuggestions(taskId: string | undefined) {
  const key = useOpsKey();
  return useQuery<Page<Suggestion>, ApiError>({
    queryKey: [...key, 'suggestions', 'task', taskId],
    queryFn: () => suggestForTask(taskId!),
    enabled: Boolean(taskId),
  });
}

export function useAcceptSuggestion() {
  const key = useOpsKey();
  const queryClient = useQueryClient();
  return useMutation<SuggestionDecision, ApiError, string>({
    mutationFn: acceptSuggestion,
    onSuccess: (decision) => {
      if (decision.task) queryClient.setQueryData([...key, 'tasks', 'detail', decision.task.id], decision.task);
      return invalidateTaskData(queryClient, key);
    },
  });
}

export function useDismissSuggestion() {
  const key = useOpsKey();
  const queryClient = useQueryClient();
  return useMutation<Suggestion, ApiError, string>({
    mutationFn: dismissSuggestion,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...key, 'suggestions'] }),
  });
}
