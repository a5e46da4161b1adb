import { keepPreviousData, useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { toApiError } from '../../api/problem';
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
import { composeQuery } from './builder/compose';
import type {
  DashboardCreate,
  DashboardDataOut,
  WidgetDataOut,
  DashboardIn,
  DashboardOut,
  DashboardSummaryOut,
  DrillDownIn,
  DrillDownOut,
  MetricCatalogOut,
  QueryResult,
  SemanticQuery,
  TemplateOut,
  ViewOverrides,
} from './types';

function useFoundryKey() {
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

/** Every widget's numbers for the dashboard's period, or the viewer's overrides of it. */
export function useDashboardData(id: string | undefined, view: ViewOverrides | null) {
  const key = useFoundryKey();
  return useQuery<DashboardDataOut, ApiError>({
    queryKey: [...key, 'dashboards', 'data', id, view],
    queryFn: () => getDashboardData(id!, view),
    enabled: Boolean(id),
    placeholderData: keepPreviousData,
  });
}

/**
 * Every widget's numbers under filters other than the dashboard's saved ones. The data endpoint
 * takes a period and a comparison but no filters, so each widget's query is composed here exactly
 * as the server composes it (builder/compose.ts) and run on its own.
 */
export function useFilteredDashboardData(dashboard: DashboardOut, view: ViewOverrides | null) {
  const key = useFoundryKey();
  const settings = view ? { date_range: view.range, filters: view.filters, compare: view.compare } : null;
  // Widgets asking the same question (a KPI and its line chart) share one query.
  const texts = settings ? dashboard.widgets.map((widget) => JSON.stringify(composeQuery(widget, settings))) : [];
  const distinct = [...new Set(texts)];
  return useQueries({
    queries: distinct.map((text) => {
      const query = JSON.parse(text) as SemanticQuery;
      return { queryKey: [...key, 'query', query], queryFn: () => runQuery(query), placeholderData: keepPreviousData };
    }),
    combine: (results) => {
      if (!settings) return { data: undefined, isFetching: false, isError: false, error: null };
      const widgets: WidgetDataOut[] = dashboard.widgets.map((widget, i) => {
        const result = results[distinct.indexOf(texts[i]!)];
        if (result?.error) {
          const { problem } = toApiError(result.error);
          return { widget_id: widget.id, result: null, error: { status: problem.status, code: problem.code, detail: problem.detail ?? problem.title } };
        }
        return { widget_id: widget.id, result: result?.data ?? null };
      });
      const loading = results.some((r) => r.isPending);
      const first = results.find((r) => r.data)?.data;
      const data: DashboardDataOut | undefined = loading
        ? undefined
        : { dashboard_id: dashboard.id, range: first?.range ?? { start: null, end: null }, widgets, data_version: 0, computed_at: new Date().toISOString() };
      return { data, isFetching: results.some((r) => r.isFetching), isError: false, error: null };
    },
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
