import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApiError } from '../../../api/problem';
import { useOpsKey } from '../shared/hooks';
import { createBusyBlock, createFeed, deleteBusyBlock, getSchedule, getWorkingHours, putWorkingHours } from './api';
import type { BusyBlockIn, BusyBlockOut, FeedOut, Schedule, WorkingHours, WorkingHoursOut } from './types';

// Everything here sits under [..., 'ops', 'schedule'], which task changes invalidate (shared/hooks).

export function useWorkingHours() {
  const key = useOpsKey();
  return useQuery<WorkingHoursOut, ApiError>({
    queryKey: [...key, 'schedule', 'working-hours'],
    queryFn: getWorkingHours,
  });
}

export function useSchedule(from: string | null, to: string | null, userId?: string) {
  const key = useOpsKey();
  return useQuery<Schedule, ApiError>({
    queryKey: [...key, 'schedule', 'plan', from, to, userId ?? 'me'],
    queryFn: () => getSchedule(from!, to!, userId),
    enabled: Boolean(from && to),
    placeholderData: keepPreviousData,
  });
}

/** Changes to the inputs of the plan re-plan it. */
function useReplan() {
  const key = useOpsKey();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: [...key, 'schedule', 'plan'] });
}

export function useSaveWorkingHours() {
  const key = useOpsKey();
  const queryClient = useQueryClient();
  const replan = useReplan();
  return useMutation<WorkingHoursOut, ApiError, WorkingHours>({
    mutationFn: putWorkingHours,
    onSuccess: (saved) => {
      queryClient.setQueryData([...key, 'schedule', 'working-hours'], saved);
      return replan();
    },
  });
}

export function useAddBusyBlock() {
  const replan = useReplan();
  return useMutation<BusyBlockOut, ApiError, BusyBlockIn>({ mutationFn: createBusyBlock, onSuccess: () => replan() });
}

export function useRemoveBusyBlock() {
  const replan = useReplan();
  return useMutation<void, ApiError, string>({ mutationFn: deleteBusyBlock, onSuccess: () => replan() });
}

export function useCreateFeed() {
  const key = useOpsKey();
  const queryClient = useQueryClient();
  return useMutation<FeedOut, ApiError, void>({
    mutationFn: createFeed,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...key, 'schedule', 'working-hours'] }),
  });
}
