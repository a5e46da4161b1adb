import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import type { Json } from '../../api/types';

export type FileImport = Json<paths['/api/connectors/files/{import_id}']['get']['responses'][200]>;
export type FileImportPage = Json<paths['/api/connectors/files']['get']['responses'][200]>;
export type EntityList = Json<paths['/api/connectors/files/entities']['get']['responses'][200]>;
export type ImportStatus = FileImport['status'];

export const IMPORTS_PAGE = 10;
/** How often a running import is asked for its progress. */
export const POLL_MS = 1000;

export function listEntities(): Promise<EntityList> {
  return unwrap(api.GET('/api/connectors/files/entities'));
}

export function listImports(offset: number, limit = IMPORTS_PAGE): Promise<FileImportPage> {
  return unwrap(api.GET('/api/connectors/files', { params: { query: { limit, offset } } }));
}

export function getImport(id: string): Promise<FileImport> {
  return unwrap(api.GET('/api/connectors/files/{import_id}', { params: { path: { import_id: id } } }));
}

export interface UploadRequest {
  file: File;
  entity: string;
  mapping: Record<string, string> | null;
}

export async function uploadFile({ file, entity, mapping }: UploadRequest): Promise<string> {
  const form = new FormData();
  form.append('entity', entity);
  if (mapping) form.append('mapping', JSON.stringify(mapping));
  form.append('file', file, file.name);
  const accepted = await unwrap(
    api.POST('/api/connectors/files', {
      // The schema types the file as a string; the browser sends the FormData as multipart as is.
      body: form as unknown as { entity: string; file: string },
      bodySerializer: (body) => body as unknown as FormData,
    }),
  );
  return accepted.import_id;
}

export function isFinished(status: ImportStatus): boolean {
  return status === 'completed' || status === 'failed';
}
