/**
 * The issue list's filters live in the URL (a link from the overview, a reload or "back" keeps them):
 * parsed from search params, written back, and turned into the API's query.
 */
import { ISSUE_CATEGORIES, ISSUE_STATUSES, SEVERITIES, type IssueQuery, type IssueStatus, type Severity } from '../types';

export const PAGE_SIZE = 25;

export interface IssueFilters {
  status: IssueStatus[];
  severity: Severity[];
  category: string;
  q: string;
  page: number;
}

export const DEFAULT_FILTERS: IssueFilters = { status: [], severity: [], category: '', q: '', page: 0 };

function oneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

export function filtersFromSearch(params: URLSearchParams): IssueFilters {
  const page = Number(params.get('page') ?? 0);
  const category = params.get('category') ?? '';
  return {
    status: params.getAll('status').filter((s): s is IssueStatus => oneOf(ISSUE_STATUSES, s)),
    severity: params.getAll('severity').filter((s): s is Severity => oneOf(SEVERITIES, s)),
    category: oneOf(ISSUE_CATEGORIES, category) ? category : '',
    q: params.get('q') ?? '',
    page: Number.isInteger(page) && page > 0 ? page : 0,
  };
}

export function searchFromFilters(filters: IssueFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const status of filters.status) params.append('status', status);
  for (const severity of filters.severity) params.append('severity', severity);
  if (filters.category) params.set('category', filters.category);
  if (filters.q.trim()) params.set('q', filters.q.trim());
  if (filters.page > 0) params.set('page', String(filters.page));
  return params;
}

/** Only what is set goes to the API: FastAPI reads repeated names (`status=open&status=accepted`). */
export function queryFromFilters(filters: IssueFilters): IssueQuery {
  const query: IssueQuery = { limit: PAGE_SIZE, offset: filters.page * PAGE_SIZE };
  if (filters.status.length) query.status = filters.status;
  if (filters.severity.length) query.severity = filters.severity;
  if (filters.category) query.category = filters.category;
  if (filters.q.trim()) query.q = filters.q.trim();
  return query;
}

export function activeFilterCount(filters: IssueFilters): number {
  return filters.status.length + filters.severity.length + (filters.category ? 1 : 0) + (filters.q.trim() ? 1 : 0);
}
