import { api, unwrap } from '../../../api/client';
import type { DataSourceOut, ExternalDatabaseIn, RawDataSource, SourceDetail, SourceQuality, TablePreview } from './types';

export const PREVIEW_LIMIT = 50;
const BASE = '/api/modules/mini-foundry';

/** Narrow the free-form `quality` and `detail` dictionaries to the keys datasources.py writes. */
function toSource(raw: RawDataSource): DataSourceOut {
  return { ...raw, quality: raw.quality as SourceQuality, detail: (raw.detail ?? {}) as SourceDetail };
}

export async function listDataSources(): Promise<DataSourceOut[]> {
  return (await unwrap(api.GET(`${BASE}/data-sources`))).map(toSource);
}

/** Connect to the database and read its schema; only a database that answers is saved. */
export async function addDatabase(body: ExternalDatabaseIn): Promise<DataSourceOut> {
  return toSource(await unwrap(api.POST(`${BASE}/data-sources`, { body })));
}

export async function refreshDatabase(id: string): Promise<DataSourceOut> {
  return toSource(await unwrap(api.POST(`${BASE}/data-sources/{source_id}/refresh`, { params: { path: { source_id: id } } })));
}

export async function deleteDatabase(id: string): Promise<void> {
  await unwrap(api.DELETE(`${BASE}/data-sources/{source_id}`, { params: { path: { source_id: id } } }));
}

/** The first rows of a table, by its qualified name ("sales.orders" outside PostgreSQL's public schema). */
export function previewTable(id: string, table: string, limit = PREVIEW_LIMIT): Promise<TablePreview> {
  return unwrap(
    api.GET(`${BASE}/data-sources/{source_id}/tables/{table}/preview`, { params: { path: { source_id: id, table }, query: { limit } } }),
  );
}
