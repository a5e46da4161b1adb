import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { PRESET_LABELS } from './format';
import type { Compare, DashboardOut, Filter, TimePreset, TimeRange, ViewOverrides } from './types';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const OPS = new Set(['eq', 'neq', 'in', 'not_in', 'contains', 'gt', 'gte', 'lt', 'lte']);

function parseFilters(raw: string | null): Filter[] | null {
  if (raw === null) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return null;
    return parsed.filter(
      (f): f is Filter =>
        typeof f === 'object' && f !== null && typeof f.dimension === 'string' && OPS.has(f.op) && Array.isArray(f.values) && f.values.length > 0,
    );
  } catch {
    return null;
  }
}

function parseRange(params: URLSearchParams): TimeRange | null {
  const preset = params.get('preset');
  if (preset && preset in PRESET_LABELS) return { preset: preset as TimePreset };
  const start = params.get('start');
  const end = params.get('end');
  if (start && end && DAY.test(start) && DAY.test(end) && start <= end) return { start, end };
  return null;
}

function parseCompare(raw: string | null): Compare | null | undefined {
  if (raw === 'previous_period' || raw === 'previous_year') return raw;
  if (raw === 'none') return null;
  return undefined;
}

export interface DashboardViewState {
  /** What is shown: the viewer's choices over the dashboard's saved ones. */
  view: ViewOverrides;
  /** What to ask the server for: null while the viewer has changed nothing (the saved settings apply). */
  overrides: ViewOverrides | null;
  setRange: (range: TimeRange) => void;
  setCompare: (compare: Compare | null) => void;
  setFilters: (filters: Filter[]) => void;
  reset: () => void;
}

/** The period, comparison and filters a viewer picks, kept in the URL (a reload or a shared link keeps them). */
export function useDashboardViewState(dashboard: DashboardOut | undefined): DashboardViewState {
  const [params, setParams] = useSearchParams();
  const range = parseRange(params);
  const compare = parseCompare(params.get('compare'));
  const filters = parseFilters(params.get('filters'));
  const changed = range !== null || compare !== undefined || filters !== null;

  const view = useMemo<ViewOverrides>(
    () => ({
      range: range ?? dashboard?.date_range ?? { preset: 'last_30_days' },
      compare: compare === undefined ? (dashboard?.compare ?? null) : compare,
      filters: filters ?? dashboard?.filters ?? [],
    }),
    // The parsed values are rebuilt each render; their serialised form says when they changed.
    [params.toString(), dashboard],
  );

  const update = useCallback(
    (change: (next: URLSearchParams) => void) => {
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          change(next);
          return next;
        },
        { replace: true },
      );
    },
    [setParams],
  );

  return {
    view,
    overrides: changed ? view : null,
    setRange: (next) =>
      update((p) => {
        p.delete('preset');
        p.delete('start');
        p.delete('end');
        if (next.preset) p.set('preset', next.preset);
        else if (next.start && next.end) {
          p.set('start', next.start);
          p.set('end', next.end);
        }
      }),
    setCompare: (next) => update((p) => p.set('compare', next ?? 'none')),
    setFilters: (next) => update((p) => p.set('filters', JSON.stringify(next))),
    reset: () => update((p) => ['preset', 'start', 'end', 'compare', 'filters'].forEach((name) => p.delete(name))),
  };
}
