/**
 * The task list's filters live in the URL (so a link, a reload or "back" from a task keeps them):
 * parsed from search params, written back, and turned into the API's query.
 */
import { PRIORITIES, SORTS, STATUSES, type TaskPriority, type TaskQuery, type TaskSort, type TaskStatus } from '../shared/types';

export const PAGE_SIZE = 25;

export interface TaskFilters {
  status: TaskStatus[];
  priority: TaskPriority[];
  /** '' (anyone), 'me', 'none' or a user id. */
  assignee: string;
  /** Local calendar dates, YYYY-MM-DD, both inclusive. */
  dueFrom: string;
  dueTo: string;
  tag: string;
  q: string;
  overdue: boolean;
  /** Subtasks are listed under their parent unless asked for here. */
  subtasks: boolean;
  sort: TaskSort;
  order: 'asc' | 'desc' | '';
  page: number;
}

export const DEFAULT_FILTERS: TaskFilters = {
  status: [],
  priority: [],
  assignee: '',
  dueFrom: '',
  dueTo: '',
  tag: '',
  q: '',
  overdue: false,
  subtasks: false,
  sort: 'created_at',
  order: '',
  page: 0,
};

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function oneOf<T extends string>(values: readonly T[], value: string | null): value is T {
  return value !== null && (values as readonly string[]).includes(value);
}

export function filtersFromSearch(params: URLSearchParams): TaskFilters {
  const sort = params.get('sort');
  const order = params.get('order');
  const page = Number(params.get('page') ?? 0);
  const date = (name: string) => {
    const value = params.get(name) ?? '';
    return DATE.test(value) ? value : '';
  };
  return {
    status: params.getAll('status').filter((s): s is TaskStatus => oneOf(STATUSES, s)),
    priority: params.getAll('priority').filter((p): p is TaskPriority => oneOf(PRIORITIES, p)),
    assignee: params.get('assignee') ?? '',
    dueFrom: date('due_from'),
    dueTo: date('due_to'),
    tag: params.get('tag') ?? '',
    q: params.get('q') ?? '',
    overdue: params.get('overdue') === '1',
    subtasks: params.get('subtasks') === '1',
    sort: oneOf(SORTS, sort) ? sort : DEFAULT_FILTERS.sort,
    order: order === 'asc' || order === 'desc' ? order : '',
    page: Number.isInteger(page) && page > 0 ? page : 0,
  };
}

export function searchFromFilters(filters: TaskFilters): URLSearchParams {
  const params = new URLSearchParams();
  filters.status.forEach((s) => params.append('status', s));
  filters.priority.forEach((p) => params.append('priority', p));
  if (filters.assignee) params.set('assignee', filters.assignee);
  if (filters.dueFrom) params.set('due_from', filters.dueFrom);
  if (filters.dueTo) params.set('due_to', filters.dueTo);
  if (filters.tag.trim()) params.set('tag', filters.tag.trim());
  if (filters.q) params.set('q', filters.q);
  if (filters.overdue) params.set('overdue', '1');
  if (filters.subtasks) params.set('subtasks', '1');
  if (filters.sort !== DEFAULT_FILTERS.sort) params.set('sort', filters.sort);
  if (filters.order) params.set('order', filters.order);
  if (filters.page > 0) params.set('page', String(filters.page));
  return params;
}

/** Local midnight of a YYYY-MM-DD date, `days` later, as an ISO instant. */
function localMidnight(date: string, days = 0): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d + days).toISOString();
}

export function queryFromFilters(filters: TaskFilters, pageSize = PAGE_SIZE): TaskQuery {
  return {
    status: filters.status.length ? filters.status : undefined,
    priority: filters.priority.length ? filters.priority : undefined,
    assignee: filters.assignee || undefined,
    due_after: filters.dueFrom ? localMidnight(filters.dueFrom) : undefined,
    // The API's due_before is exclusive: the end of the "to" day is the next day's midnight.
    due_before: filters.dueTo ? localMidnight(filters.dueTo, 1) : undefined,
    tag: filters.tag.trim().replace(/^#/, '') || undefined,
    q: filters.q.trim() || undefined,
    overdue: filters.overdue || undefined,
    parent_id: filters.subtasks ? undefined : 'none',
    sort: filters.sort,
    order: filters.order || undefined,
    limit: pageSize,
    offset: filters.page * pageSize,
  };
}

export function activeFilterCount(filters: TaskFilters): number {
  return (
    (filters.status.length ? 1 : 0) +
    (filters.priority.length ? 1 : 0) +
    (filters.assignee ? 1 : 0) +
    (filters.dueFrom || filters.dueTo ? 1 : 0) +
    (filters.tag.trim() ? 1 : 0) +
    (filters.q.trim() ? 1 : 0) +
    (filters.overdue ? 1 : 0)
  );
}
