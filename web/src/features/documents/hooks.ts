import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApiError } from '../../api/problem';
import { useTenantKey } from '../auth/session';
import { deleteDocument, getDocument, listDocuments, searchDocuments } from './api';
import type { DocumentOut, DocumentPage, SearchResults } from './types';

export function useDocumentList(offset: number, enabled = true) {
  const key = useTenantKey();
  return useQuery<DocumentPage, ApiError>({
    queryKey: [...key, 'documents', 'list', offset],
    queryFn: () => listDocuments(offset),
    placeholderData: keepPreviousData,
    enabled,
  });
}

export function useDocument(id: string | undefined) {
  const key = useTenantKey();
  return useQuery<DocumentOut, ApiError>({
    queryKey: [...key, 'documents', 'detail', id],
    queryFn: () => getDocument(id!),
    enabled: Boolean(id),
  });
}

export function useDocumentSearch(q: string) {
  const key = useTenantKey();
  return useQuery<SearchResults, ApiError>({
    queryKey: [...key, 'documents', 'search', q],
    queryFn: () => searchDocuments(q),
    enabled: q.length > 0,
    placeholderData: keepPreviousData,
    // New documents are indexed in the background: a repeated search should ask again.
    staleTime: 0,
  });
}

export function useDeleteDocument(onDeleted: () => void) {
  const key = useTenantKey();
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, string>({
    mutationFn: (id) => deleteDocument(id),
    onSuccess: (_, id) => {
      queryClient.removeQueries({ queryKey: [...key, 'documents', 'detail', id] });
      void queryClient.invalidateQueries({ queryKey: [...key, 'documents', 'list'] });
      void queryClient.invalidateQueries({ queryKey: [...key, 'documents', 'search'] });
      onDeleted();
    },
  });
}
