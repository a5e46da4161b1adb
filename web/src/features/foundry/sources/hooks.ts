import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApiError } from '../../../api/problem';
import { useTenantKey } from '../../auth/session';
import { addDatabase, deleteDatabase, listDataSources, previewTable, refreshDatabase } from './api';
import type { DataSourceOut, ExternalDatabaseIn, TablePreview } from './types';

function useSourcesKey() {
  const key = useTenantKey();
  return [...key, 'foundry', 'data-sources'] as const;
}

export function useDataSources() {
  const key = useSourcesKey();
  return useQuery<DataSourceOut[], ApiError>({ queryKey: [...key, 'list'], queryFn: listDataSources });
}

/** Put a changed database in the cached list (in place, or appended when new). */
function upsert(list: DataSourceOut[] | undefined, source: DataSourceOut): DataSourceOut[] | undefined {
  if (!list) return list;
  const index = list.findIndex((s) => s.id !== null && s.id === source.id);
  return index < 0 ? [...list, source] : list.map((s, i) => (i === index ? source : s));
}

export function useAddDatabase(onAdded: (source: DataSourceOut) => void) {
  const key = useSourcesKey();
  const queryClient = useQueryClient();
  return useMutation<DataSourceOut, ApiError, ExternalDatabaseIn>({
    mutationFn: addDatabase,
    onSuccess: (source) => {
      queryClient.setQueryData<DataSourceOut[]>([...key, 'list'], (list) => upsert(list, source));
      void queryClient.invalidateQueries({ queryKey: [...key, 'list'] });
      onAdded(source);
    },
  });
}

export function useRefreshDatabase() {
  const key = useSourcesKey();
  const queryClient = useQueryClient();
  return useMutation<DataSourceOut, ApiError, string>({
    mutationFn: refreshDatabase,
    onSuccess: (source) => {
      queryClient.setQueryData<DataSourceOut[]>([...key, 'list'], (list) => upsert(list, source));
      // Its tables may have changed: previews read again.
      void queryClient.invalidateQueries({ queryKey: [...key, 'preview', source.id] });
    },
  });
}

export function useDeleteDatabase(onDeleted: () => void) {
  const key = useSourcesKey();
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, string>({
    mutationFn: deleteDatabase,
    onSuccess: (_, id) => {
      queryClient.setQueryData<DataSourceOut[]>([...key, 'list'], (list) => list?.filter((s) => s.id !== id));
      queryClient.removeQueries({ queryKey: [...key, 'preview', id] });
      onDeleted();
    },
  });
}

export function useTablePreview(id: string | null, table: string | null) {
  const key = useSourcesKey();
  return useQuery<TablePreview, ApiError>({
    queryKey: [...key, 'preview', id, table],
    queryFn: () => previewTable(id!, table!),
    enabled: id !== null && table !== null,
    // An external database is read on demand only; a second look within a minute reuses the rows.
    staleTime: 60_000,
  });
}
