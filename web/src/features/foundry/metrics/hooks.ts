import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ApiError } from '../../../api/problem';
import { useFoundryKey } from '../hooks';
import type { MetricOut } from '../types';
import { createCustomMetric, deleteCustomMetric, type CustomMetricIn } from './api';

/** Create a custom metric; the catalogue is fetched again so builders and pickers list it. */
export function useCreateCustomMetric(onCreated: (metric: MetricOut) => void) {
  const key = useFoundryKey();
  const queryClient = useQueryClient();
  return useMutation<MetricOut, ApiError, CustomMetricIn>({
    mutationFn: createCustomMetric,
    onSuccess: (metric) => {
      void queryClient.invalidateQueries({ queryKey: [...key, 'catalog'] });
      onCreated(metric);
    },
  });
}

/** Delete a custom metric; dashboards that showed it are computed again (their widget now fails alone). */
export function useDeleteCustomMetric(onDeleted: () => void) {
  const key = useFoundryKey();
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, string>({
    mutationFn: deleteCustomMetric,
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: [...key, 'catalog'] });
      void queryClient.invalidateQueries({ queryKey: [...key, 'dashboards', 'data'] });
      onDeleted();
    },
  });
}
