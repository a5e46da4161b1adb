import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApiError } from '../../api/problem';
import { useTenantKey } from '../auth/session';
import {
  completeOAuth,
  connectWithKey,
  disconnect,
  getOverview,
  getRun,
  isRunFinished,
  listRuns,
  RUN_POLL_MS,
  syncNow,
  type ConnectionCreated,
  type ConnectorsOverview,
  type KeyConnection,
  type SyncRequested,
  type SyncRun,
  type SyncRunPage,
} from './connectionsApi';

function useConnectorsKey() {
  const key = useTenantKey();
  return [...key, 'connectors'] as const;
}

/** Refreshes the overview (statuses, counts, last runs) and, for one connection, its history. */
export function useRefreshConnections() {
  const key = useConnectorsKey();
  const queryClient = useQueryClient();
  return (connectionId?: string) => {
    void queryClient.invalidateQueries({ queryKey: [...key, 'overview'] });
    if (connectionId) void queryClient.invalidateQueries({ queryKey: [...key, 'runs', connectionId] });
  };
}

export function useOverview() {
  const key = useConnectorsKey();
  return useQuery<ConnectorsOverview, ApiError>({ queryKey: [...key, 'overview'], queryFn: getOverview });
}

export function useRuns(connectionId: string, offset: number) {
  const key = useConnectorsKey();
  return useQuery<SyncRunPage, ApiError>({
    queryKey: [...key, 'runs', connectionId, offset],
    queryFn: () => listRuns(connectionId, offset),
    placeholderData: keepPreviousData,
  });
}

/** One run, asked again every second until it is completed or failed; then the page's numbers are refreshed. */
export function useRun(connectionId: string, runId: string | null) {
  const key = useConnectorsKey();
  const refresh = useRefreshConnections();
  return useQuery<SyncRun, ApiError>({
    queryKey: [...key, 'run', connectionId, runId],
    queryFn: async () => {
      const run = await getRun(connectionId, runId!);
      if (isRunFinished(run.status)) refresh(connectionId);
      return run;
    },
    enabled: Boolean(runId),
    // A finished run never changes again; a live one is always asked afresh.
    staleTime: (query) => (query.state.data && isRunFinished(query.state.data.status) ? Infinity : 0),
    refetchInterval: (query) => (query.state.data && isRunFinished(query.state.data.status) ? false : RUN_POLL_MS),
  });
}

export function useSyncNow(connectionId: string) {
  const refresh = useRefreshConnections();
  return useMutation<SyncRequested, ApiError, void>({
    mutationFn: () => syncNow(connectionId),
    onSuccess: () => refresh(connectionId),
  });
}

export function useConnectWithKey() {
  const refresh = useRefreshConnections();
  return useMutation<ConnectionCreated, ApiError, KeyConnection>({ mutationFn: connectWithKey, onSuccess: () => refresh() });
}

export function useCompleteOAuth(type: string) {
  const refresh = useRefreshConnections();
  return useMutation<ConnectionCreated, ApiError, Record<string, string>>({
    mutationFn: (redirect) => completeOAuth(type, redirect),
    onSuccess: () => refresh(),
  });
}

export function useDisconnect(connectionId: string) {
  const refresh = useRefreshConnections();
  return useMutation<void, ApiError, boolean>({
    mutationFn: (keepData) => disconnect(connectionId, keepData),
    onSuccess: () => refresh(connectionId),
  });
}
