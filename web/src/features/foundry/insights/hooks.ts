import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApiError } from '../../../api/problem';
import { useTenantKey } from '../../auth/session';
import { dismissInsight, explainInsight, getForecast, getSegments, listInsights, refreshInsights } from './api';
import type { ForecastMetric, ForecastOut, InsightExplanationOut, InsightKind, InsightsOut, SegmentsOut } from './types';

function useInsightsKey() {
  const key = useTenantKey();
  return [...key, 'foundry', 'insights'] as const;
}

/** The current findings, most important first (the server computes them on the first visit). */
export function useInsights(kind: InsightKind | null) {
  const key = useInsightsKey();
  return useQuery<InsightsOut, ApiError>({
    queryKey: [...key, 'list', kind],
    queryFn: () => listInsights(kind),
    placeholderData: keepPreviousData,
  });
}

export function useRefreshInsights() {
  const key = useInsightsKey();
  const queryClient = useQueryClient();
  return useMutation<InsightsOut, ApiError, void>({
    mutationFn: () => refreshInsights(),
    onSuccess: (fresh) => {
      queryClient.setQueryData([...key, 'list', null], fresh);
      // Filtered lists ask again: the fresh list is the unfiltered one.
      void queryClient.invalidateQueries({ queryKey: [...key, 'list'], predicate: (q) => q.queryKey.at(-1) !== null });
    },
  });
}

interface DismissContext {
  previous: [readonly unknown[], InsightsOut | undefined][];
}

/** Dismissing hides the card at once; it comes back if the server refuses. */
export function useDismissInsight() {
  const key = useInsightsKey();
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, string, DismissContext>({
    mutationFn: dismissInsight,
    onMutate: async (id) => {
      await queryClient.cancelQueries({ queryKey: [...key, 'list'] });
      const previous = queryClient.getQueriesData<InsightsOut>({ queryKey: [...key, 'list'] });
      queryClient.setQueriesData<InsightsOut>({ queryKey: [...key, 'list'] }, (data) =>
        data ? { ...data, insights: data.insights.filter((insight) => insight.id !== id) } : data,
      );
      return { previous };
    },
    onError: (_error, _id, context) => {
      for (const [queryKey, data] of context?.previous ?? []) queryClient.setQueryData(queryKey, data);
    },
  });
}

/** How a finding was reached (asked for when its details are opened). */
export function useInsightExplanation(id: string | null) {
  const key = useInsightsKey();
  return useQuery<InsightExplanationOut, ApiError>({
    queryKey: [...key, 'explanation', id],
    queryFn: () => explainInsight(id!),
    enabled: id !== null,
  });
}

export function useSegments() {
  const key = useTenantKey();
  return useQuery<SegmentsOut, ApiError>({
    queryKey: [...key, 'foundry', 'segments'],
    queryFn: getSegments,
  });
}

export function useForecast(metric: ForecastMetric, horizon: number) {
  const key = useTenantKey();
  return useQuery<ForecastOut, ApiError>({
    queryKey: [...key, 'foundry', 'forecast', metric, horizon],
    queryFn: () => getForecast(metric, horizon),
    placeholderData: keepPreviousData,
    // The server caches the fit per data version and day; no need to ask more often than that.
    staleTime: 10 * 60_000,
  });
}
