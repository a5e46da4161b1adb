/** Documents and search aliases derived from the generated OpenAPI paths (same pattern as src/api/types.ts). */
import type { paths } from '../../api/schema';

type Json<R> = R extends { content: { 'application/json': infer T } } ? T : never;
type Ok<Op> = Op extends { responses: infer R } ? Json<R[Extract<keyof R, 200 | 201>]> : never;
type Body<Op> = Op extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

export type DocumentPage = Ok<paths['/api/documents']['get']>;
export type DocumentSummary = DocumentPage['items'][number];
export type DocumentOut = Ok<paths['/api/documents/{document_id}']['get']>;
export type DocumentIn = Body<paths['/api/documents']['post']>;
export type SearchResults = Ok<paths['/api/search']['get']>;
export type SearchHit = SearchResults['items'][number];
