import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApiError } from '../../api/problem';
import { useTenantKey } from '../auth/session';
import {
  createDashboard,
  deleteDashboard,
  drillDown,
  getCatalog,
  getDashboard,
  getDashboardData,
  listDashboards,
  listTemplates,
  runQuery,
  saveDashboard,
} from './api';
import type {
  DashboardCreate,
  DashboardDataOut,
  DashboardIn,
  DashboardOut,
  DashboardSummaryOut,
  DrillDownIn,
  DrillDownOut,
  Filter,
  MetricCatalogOut,
  QueryResult,
  SemanticQuery,
  TemplateOut,
  ViewOverrides,
} from './types';

export function useFoundryKey() {
  const key = useTenantKey();
  return [...key, 'foundry'] as const;
}

export function useCatalog() {
  const key = useFoundryKey();
  return useQuery<MetricCatalogOut, ApiError>({
    queryKey: [...key, 'catalog'],
    queryFn: getCatalog,
    staleTime: 5 * 60_000,
  });
}

export function useDashboards() {
  const key = useFoundryKey();
  return useQuery<DashboardSummaryOut[], ApiError>({
    queryKey: [...key, 'dashboards', 'list'],
    queryFn: listDashboards,
  });
}

export function useTemplates(enabled = true) {
  const key = useFoundryKey();
  return useQuery<TemplateOut[], ApiError>({
    queryKey: [...key, 'templates'],
    queryFn: listTemplates,
    staleTime: Infinity,
    enabled,
  });
}

export function useDashboard(id: string | undefined) {
  const key = useFoundryKey();
  return useQuery<DashboardOut, ApiError>({
    queryKey: [...key, 'dashboards', 'detail', id],
    queryFn: () => getDashboard(id!),
    enabled: Boolean(id),
  });
}

/**
 * Every widget's numbers for the dashboard's period, or the viewer's overrides of it; `filters`,
 * when not null, replace the saved filters (one call either way; a widget that fails carries its
 * own problem in the answer).
 */
export function useDashboardData(id: string | undefined, view: ViewOverrides | null, filters: Filter[] | null = null) {
  const key = useFoundryKey();
  return useQuery<DashboardDataOut, ApiError>({
    queryKey: [...key, 'dashboards', 'data', id, view, filters],
    queryFn: () => getDashboardData(id!, view, filters),
    enabled: Boolean(id),
    placeholderData: keepPreviousData,
  });
}

/** A semantic query's result (live previews, sparklines, filter value suggestions). */
export function useMetricQuery(query: SemanticQuery | null) {
  const key = useFoundryKey();
  return useQuery<QueryResult, ApiError>({
    queryKey: [...key, 'query', query],
    queryFn: () => runQuery(query!),
    enabled: query !== null,
    placeholderData: keepPreviousData,
  });
}

export function useDrillDown(body: DrillDownIn | null) {
  const key = useFoundryKey();
  return useQuery<DrillDownOut, ApiError>({
    queryKey: [...key, 'drill-down', body],
    queryFn: () => drillDown(body!),
    enabled: body !== null,
    placeholderData: keepPreviousData,
  });
}

export function useCreateDashboard(onCreated: (dashboard: DashboardOut) => void) {
  const key = useFoundryKey();
  const queryClient = useQueryClient();
  return useMutation<DashboardOut, ApiError, DashboardCreate>({
    mutationFn: createDashboard,
    onSuccess: (dashboard) => {
      queryClient.setQueryData([...key, 'dashboards', 'detail', dashboard.id], dashboard);
      void queryClient.invalidateQueries({ queryKey: [...key, 'dashboards', 'list'] });
      onCreated(dashboard);
    },
  });
}

export function useSaveDashboard(id: string, onSaved: (dashboard: DashboardOut) => void) {
  const key = useFoundryKey();
  const queryClient = useQueryClient();
  return useMutation<DashboardOut, ApiError, DashboardIn>({
    mutationFn: (body) => saveDashboard(id, body),
    onSuccess: (dashboard) => {
      queryClient.setQueryData([...key, 'dashboards', 'detail', id], dashboard);
      void queryClient.invalidateQueries({ queryKey: [...key, 'dashboards', 'list'] });
      void queryClient.invalidateQueries({ queryKey: [...key, 'dashboards', 'data', id] });
      onSaved(dashboard);
    },
  });
}

export function useDeleteDashboard(onDeleted: () => void) {
  const key = useFoundryKey();
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, string>({
    mutationFn: deleteDashboard,
    onSuccess: (_, id) => {
      queryClient.removeQueries({ queryKey: [...key, 'dashboards', 'detail', id] });
      void queryClient.invalidateQueries({ queryKey: [...key, 'dashboards', 'list'] });
      onDeleted();
    },
  });
}
