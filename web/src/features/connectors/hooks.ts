import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApiError } from '../../api/problem';
import { useTenantKey } from '../auth/session';
import { getImport, isFinished, listEntities, listImports, POLL_MS, uploadFile, type EntityList, type FileImport, type FileImportPage, type UploadRequest } from './api';

export function useEntities() {
  const key = useTenantKey();
  return useQuery<EntityList, ApiError>({
    queryKey: [...key, 'connectors', 'entities'],
    queryFn: listEntities,
    staleTime: Infinity,
  });
}

export function useImports(offset: number) {
  const key = useTenantKey();
  return useQuery<FileImportPage, ApiError>({
    queryKey: [...key, 'connectors', 'imports', offset],
    queryFn: () => listImports(offset),
    placeholderData: keepPreviousData,
    // Keep the list's badges moving while any listed import is still running.
    refetchInterval: (query) => (query.state.data?.items.some((i) => !isFinished(i.status)) ? POLL_MS * 2 : false),
  });
}

/** One import, asked again every second until it is completed or failed. */
export function useImport(id: string | null) {
  const key = useTenantKey();
  const queryClient = useQueryClient();
  return useQuery<FileImport, ApiError>({
    queryKey: [...key, 'connectors', 'import', id],
    queryFn: async () => {
      const report = await getImport(id!);
      if (isFinished(report.status)) void queryClient.invalidateQueries({ queryKey: [...key, 'connectors', 'imports'] });
      return report;
    },
    enabled: Boolean(id),
    refetchInterval: (query) => (query.state.data && isFinished(query.state.data.status) ? false : POLL_MS),
  });
}

export function useUpload(onAccepted: (importId: string) => void) {
  const key = useTenantKey();
  const queryClient = useQueryClient();
  return useMutation<string, ApiError, UploadRequest>({
    mutationFn: uploadFile,
    onSuccess: (importId) => {
      void queryClient.invalidateQueries({ queryKey: [...key, 'connectors', 'imports'] });
      onAccepted(importId);
    },
  });
}
