/** Documents and search aliases derived from the generated OpenAPI paths (same pattern as src/api/types.ts). */
import type { paths } from '../../api/schema';
import type { Body, Ok } from '../../api/types';

export type DocumentPage = Ok<paths['/api/documents']['get']>;
export type DocumentSummary = DocumentPage['items'][number];
export type DocumentOut = Ok<paths['/api/documents/{document_id}']['get']>;
export type DocumentIn = Body<paths['/api/documents']['post']>;
export type SearchResults = Ok<paths['/api/search']['get']>;
export type SearchHit = SearchResults['items'][number];
