import { api, unwrap } from '../../api/client';
import type { DocumentIn, DocumentOut, DocumentPage, SearchResults } from './types';

export const DOCUMENTS_PAGE = 20;
export const SEARCH_LIMIT = 20;

export function listDocuments(offset: number, limit = DOCUMENTS_PAGE): Promise<DocumentPage> {
  return unwrap(api.GET('/api/documents', { params: { query: { limit, offset } } }));
}

export function getDocument(id: string): Promise<DocumentOut> {
  return unwrap(api.GET('/api/documents/{document_id}', { params: { path: { document_id: id } } }));
}

export function createDocument(body: DocumentIn): Promise<DocumentOut> {
  return unwrap(api.POST('/api/documents', { body }));
}

export function updateDocument(id: string, body: DocumentIn): Promise<DocumentOut> {
  return unwrap(api.PUT('/api/documents/{document_id}', { params: { path: { document_id: id } }, body }));
}

export async function deleteDocument(id: string): Promise<void> {
  await unwrap(api.DELETE('/api/documents/{document_id}', { params: { path: { document_id: id } } }));
}

/** Documents closest in meaning to `q` (the search index is updated asynchronously after a save). */
export function searchDocuments(q: string, limit = SEARCH_LIMIT): Promise<SearchResults> {
  return unwrap(api.GET('/api/search', { params: { query: { q, kinds: ['document'], limit } } }));
}
