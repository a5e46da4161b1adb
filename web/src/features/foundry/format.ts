/** How Mini Foundry shows numbers, dates and periods. */
import type { Cell, ColumnType, Compare, RangeOut, TimePreset, TimeRange } from './types';

export const PRESET_LABELS: Record<TimePreset, string> = {
  today: 'Today',
  yesterday: 'Yesterday',
  last_7_days: 'Last 7 days',
  last_30_days: 'Last 30 days',
  last_90_days: 'Last 90 days',
  this_week: 'This week',
  last_week: 'Last week',
  this_month: 'This month',
  last_month: 'Last month',
  this_quarter: 'This quarter',
  last_quarter: 'Last quarter',
  this_year: 'This year',
  last_year: 'Last year',
  year_to_date: 'Year to date',
  last_12_months: 'Last 12 months',
  all_time: 'All time',
};

export const COMPARE_LABELS: Record<Compare, string> = {
  previous_period: 'previous period',
  previous_year: 'previous year',
};

export function presetLabel(preset: string): string {
  return (PRESET_LABELS as Record<string, string>)[preset] ?? preset.replace(/_/g, ' ');
}

const formatters = new Map<string, Intl.NumberFormat>();

function numberFormat(key: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  let formatter = formatters.get(key);
  if (!formatter) {
    try {
      formatter = new Intl.NumberFormat(undefined, options);
    } catch {
      // An unknown currency code: show the amount as a plain number rather than fail.
      formatter = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
    }
    formatters.set(key, formatter);
  }
  return formatter;
}

/** Treat a metric format and a column type alike: both say how a value reads. */
export type ValueKind = ColumnType | 'number';

export interface FormatOptions {
  currency?: string | null;
  /** "12K" instead of "12,345" (axes, dense cards). */
  compact?: boolean;
}

/** A metric value as people read it: money in the result's currency, percent, integer. */
export function formatValue(value: Cell | undefined, kind: ValueKind, { currency, compact = false }: FormatOptions = {}): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value !== 'number') {
    return kind === 'time' && typeof value === 'string' ? formatDay(value) : String(value);
  }
  if (!Number.isFinite(value)) return '—';
  const notation = compact ? ('compact' as const) : undefined;
  switch (kind) {
    case 'money': {
      if (!currency) return numberFormat(`n2${compact}`, { notation, maximumFractionDigits: compact ? 1 : 2, minimumFractionDigits: compact ? 0 : 2 }).format(value);
      const digits = compact ? { maximumFractionDigits: 1 } : { minimumFractionDigits: 2, maximumFractionDigits: 2 };
      return numberFormat(`m${currency}${compact}`, { style: 'currency', currency, notation, ...digits }).format(value);
    }
    case 'percent':
      return numberFormat('pct', { style: 'percent', maximumFractionDigits: 1 }).format(value);
    case 'integer':
      return numberFormat(`i${compact}`, { notation, maximumFractionDigits: compact ? 1 : 0 }).format(value);
    default:
      return numberFormat(`n${compact}`, { notation, maximumFractionDigits: compact ? 1 : 2 }).format(value);
  }
}

/** Relative change from `previous` to `current`, or null when it has no meaning (no base). */
export function relativeChange(current: number | null | undefined, previous: number | null | undefined): number | null {
  if (current === null || current === undefined || previous === null || previous === undefined) return null;
  if (previous === 0) return null;
  return (current - previous) / Math.abs(previous);
}

const signedPercent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' });

export function formatChange(change: number): string {
  return signedPercent.format(change);
}

/** A calendar date "2025-03-05" as a local date (never shifted by the browser's time zone). */
export function parseDay(value: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!match) return null;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

export function toIsoDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const shortDayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const monthFormat = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric' });

export function formatDay(value: string): string {
  const day = parseDay(value);
  return day ? dayFormat.format(day) : value;
}

export type Grain = 'day' | 'week' | 'month' | 'quarter' | 'year';

export function grainOf(dimension: string): Grain | null {
  const match = /^date\.(day|week|month|quarter|year)$/.exec(dimension);
  return match ? (match[1] as Grain) : null;
}

/** A time bucket's label: the bucket is named by its first day. */
export function formatBucket(value: Cell, grain: Grain | null, short = false): string {
  if (typeof value !== 'string') return value === null ? '—' : String(value);
  const day = parseDay(value);
  if (!day) return value;
  switch (grain) {
    case 'year':
      return String(day.getFullYear());
    case 'quarter':
      return `Q${Math.floor(day.getMonth() / 3) + 1} ${day.getFullYear()}`;
    case 'month':
      return monthFormat.format(day);
    case 'week':
      return `${short ? '' : 'Week of '}${shortDayFormat.format(day)}`;
    default:
      return short ? shortDayFormat.format(day) : dayFormat.format(day);
  }
}

/** The last day of the bucket that starts on `start` (inclusive). */
export function bucketEnd(start: Date, grain: Grain): Date {
  const y = start.getFullYear();
  const m = start.getMonth();
  switch (grain) {
    case 'year':
      return new Date(y, 11, 31);
    case 'quarter':
      return new Date(y, m - (m % 3) + 3, 0);
    case 'month':
      return new Date(y, m + 1, 0);
    case 'week':
      return new Date(y, m, start.getDate() + 6);
    default:
      return start;
  }
}

export function formatRange(range: RangeOut | null | undefined): string {
  if (!range || (!range.start && !range.end)) return 'All time';
  if (range.start && range.end && range.start === range.end) return formatDay(range.start);
  return `${range.start ? formatDay(range.start) : '…'} – ${range.end ? formatDay(range.end) : '…'}`;
}

export function describeTimeRange(range: TimeRange | null | undefined): string {
  if (!range) return 'All time';
  if (range.preset) return presetLabel(range.preset);
  return formatRange({ start: range.start ?? null, end: range.end ?? null });
}
