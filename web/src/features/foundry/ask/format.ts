import { formatBucket, formatValue, type Grain } from '../format';
import type { Cell, ColumnType } from '../types';

const GRAINS: readonly Grain[] = ['day', 'week', 'month', 'quarter', 'year'];

/**
 * The time grain a column's name implies: "date.month", "month" or "Month" → month. Answers name
 * their columns loosely, so this is more lenient than the dashboards' `grainOf`.
 */
export function columnGrain(name: string): Grain {
  const lower = name.toLowerCase();
  return GRAINS.find((grain) => lower === grain || lower.endsWith(`.${grain}`) || lower.endsWith(`_${grain}`)) ?? 'day';
}

export interface CellFormat {
  currency?: string | null;
  /** The column's name, for the grain of a time value. */
  name?: string;
  /** Axis ticks and labels: "12K", "Mar 4". */
  compact?: boolean;
}

/** A cell as an owner reads it: money with its currency, ratios as percentages, buckets as periods. */
export function formatCell(value: Cell | undefined, type: ColumnType, { currency, name = '', compact = false }: CellFormat = {}): string {
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (type === 'time' && typeof value === 'string') return formatBucket(value, columnGrain(name), compact);
  return formatValue(value, type, { currency, compact });
}

/** "order_count" → "Order count", "date.month" → "Month". */
export function humanize(name: string): string {
  const last = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : name;
  const words = last.replace(/_/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
