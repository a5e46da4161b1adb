/**
 * Mini Foundry calls, through the typed client where the generated schema has the call; the rest
 * (dashboard data, whose filters travel as a JSON query parameter; file downloads) through the same auth-aware fetch wrapper (bearer
 * token, tenant header, refresh-and-retry on 401), raising the same `ApiError`.
 */
import { api, apiUrl, authFetch, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { networkError, problemFromResponse } from '../../api/problem';
import type {
  DashboardCreate,
  DashboardDataOut,
  DashboardIn,
  DashboardOut,
  DashboardSummaryOut,
  DrillDownIn,
  DrillDownOut,
  Filter,
  MetricCatalogOut,
  QueryResult,
  SemanticQuery,
  TemplateOut,
  ViewOverrides,
} from './types';

export const FOUNDRY = '/api/modules/mini-foundry';

type Schemas = components['schemas'];

export type QueryParams = Record<string, string | number | undefined | null>;

interface RequestOptions {
  query?: QueryParams;
  body?: unknown;
}

function urlOf(path: string, query: QueryParams = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const search = params.toString();
  return apiUrl(`${FOUNDRY}${path}${search ? `?${search}` : ''}`);
}

async function send(method: string, path: string, { query, body }: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const request = new Request(urlOf(path, query), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  try {
    return await authFetch(request);
  } catch (cause) {
    throw networkError(cause);
  }
}

async function parseBody(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** One JSON call; non-2xx responses become an `ApiError` parsed from problem+json. */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(method, path, options);
  const body = await parseBody(response);
  if (!response.ok) throw problemFromResponse(response, body);
  return body as T;
}

export function getCatalog(): Promise<MetricCatalogOut> {
  return unwrap(api.GET('/api/modules/mini-foundry/metrics'));
}

// Result rows are `unknown[][]` in the generated schema (`Cell` says what they hold), and fields with a
// server-side default are required there: the hand types in ./types mirror schemas.py instead.
export async function runQuery(query: SemanticQuery): Promise<QueryResult> {
  return (await unwrap(api.POST('/api/modules/mini-foundry/metrics/query', { body: query as Schemas['SemanticQuery'] }))) as QueryResult;
}

export async function drillDown(body: DrillDownIn): Promise<DrillDownOut> {
  return (await unwrap(api.POST('/api/modules/mini-foundry/metrics/drill-down', { body }))) as DrillDownOut;
}

export function listDashboards(): Promise<DashboardSummaryOut[]> {
  return unwrap(api.GET('/api/modules/mini-foundry/dashboards'));
}

export function listTemplates(): Promise<TemplateOut[]> {
  return unwrap(api.GET('/api/modules/mini-foundry/dashboards/templates'));
}

const byId = (id: string) => ({ params: { path: { dashboard_id: id } } });

export async function getDashboard(id: string): Promise<DashboardOut> {
  return (await unwrap(api.GET('/api/modules/mini-foundry/dashboards/{dashboard_id}', byId(id)))) as DashboardOut;
}

export async function createDashboard(body: DashboardCreate): Promise<DashboardOut> {
  return (await unwrap(api.POST('/api/modules/mini-foundry/dashboards', { body: body as Schemas['DashboardCreate'] }))) as DashboardOut;
}

export async function saveDashboard(id: string, body: DashboardIn): Promise<DashboardOut> {
  return (await unwrap(api.PUT('/api/modules/mini-foundry/dashboards/{dashboard_id}', { ...byId(id), body: body as Schemas['DashboardIn'] }))) as DashboardOut;
}

export async function deleteDashboard(id: string): Promise<void> {
  await unwrap(api.DELETE('/api/modules/mini-foundry/dashboards/{dashboard_id}', byId(id)));
}

/** The query parameters that replace the dashboard's saved period and comparison (filters: see hooks). */
export function overrideParams(view: ViewOverrides | null): QueryParams {
  if (!view) return {};
  const { range, compare } = view;
  return {
    preset: range.preset ?? undefined,
    start: range.preset ? undefined : (range.start ?? undefined),
    end: range.preset ? undefined : (range.end ?? undefined),
    // "none" switches a saved comparison off.
    compare: compare ?? 'none',
  };
}

/**
 * Every widget's data in one call. `filters`, when given, replace the dashboard's saved filters
 * (sent as JSON; an empty list means "no filters", unlike leaving it out).
 */
export function getDashboardData(id: string, view: ViewOverrides | null, filters: Filter[] | null = null): Promise<DashboardDataOut> {
  const query = { ...overrideParams(view), filters: filters === null ? undefined : JSON.stringify(filters) };
  return request('GET', `/dashboards/${encodeURIComponent(id)}/data`, { query });
}

/** Download a file the API renders (PDF, CSV, XLSX): it needs the auth header, so no plain link. */
export async function downloadFile(path: string, query: QueryParams, fallbackName: string): Promise<void> {
  const response = await send('GET', path, { query });
  if (!response.ok) throw problemFromResponse(response, await parseBody(response));
  const blob = await response.blob();
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const named = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const filename = named?.[1] ? decodeURIComponent(named[1]) : fallbackName;
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Give the browser a moment to start the download before the URL goes away.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
