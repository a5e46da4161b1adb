import { formatBucket, formatChange, formatValue, type ValueKind } from '../format';
import { humanize } from '../ask/format';
import type { InsightOut } from './types';

/** One number behind an insight, ready to show. */
export interface KeyNumber {
  label: string;
  value: string;
}

/**
 * How the metrics insights talk about read (insights.py: the anomaly metrics, and revenue for
 * movers, segments and the forecast). Anything else reads as a plain number.
 */
const METRIC_KINDS: Record<string, ValueKind> = {
  revenue: 'money',
  net_revenue: 'money',
  orders: 'integer',
  average_order_value: 'money',
  new_customers: 'integer',
  refunds: 'money',
  customers: 'integer',
};

function num(numbers: Record<string, unknown>, key: string): number | null {
  const value = numbers[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function str(numbers: Record<string, unknown>, key: string): string | null {
  const value = numbers[key];
  return typeof value === 'string' && value ? value : null;
}

export function metricKind(metric: string | null): ValueKind {
  return (metric && METRIC_KINDS[metric]) || 'number';
}

const share = (ratio: number) => formatValue(ratio, 'percent');

function signed(value: number | null, kind: ValueKind, currency: string | null): string | null {
  if (value === null) return null;
  const text = formatValue(Math.abs(value), kind, { currency });
  return value > 0 ? `+${text}` : value < 0 ? `−${text}` : text;
}

/** Entries whose value exists, in order. */
function present(entries: [string, string | null][]): KeyNumber[] {
  return entries.flatMap(([label, value]) => (value === null ? [] : [{ label, value }]));
}

function changeText(numbers: Record<string, unknown>): string | null {
  const change = num(numbers, 'change');
  return change === null ? null : formatChange(change);
}

/** The numbers that back an insight's sentence, by kind; unknown kinds show their numeric fields. */
export function keyNumbers(insight: InsightOut): KeyNumber[] {
  const n = insight.numbers;
  const currency = str(n, 'currency');
  const kind = metricKind(str(n, 'metric') ?? (insight.kind === 'top_mover' ? 'revenue' : null));
  const amount = (key: string, as: ValueKind = kind) => {
    const value = num(n, key);
    return value === null ? null : formatValue(value, as, { currency });
  };
  switch (insight.kind) {
    case 'anomaly': {
      const day = str(n, 'date');
      const label = n.window === 'day' && day ? formatBucket(day, 'day') : 'Last 7 days';
      return present([
        [label, amount('value')],
        ['Typical', amount('typical')],
        ['Change', changeText(n)],
      ]);
    }
    case 'trend':
      return present([
        ['Last 4 weeks', amount('value')],
        ['4 weeks before', amount('previous')],
        ['Change', changeText(n)],
      ]);
    case 'top_mover':
      return present([
        ['Last 30 days', amount('value')],
        ['30 days before', amount('previous')],
        // From nothing (or to nothing) a percentage says little: the difference does.
        changeText(n) !== null ? ['Change', changeText(n)] : ['Difference', signed(num(n, 'delta'), kind, currency)],
      ]);
    case 'segment': {
      const customers = num(n, 'customers');
      const customerShare = num(n, 'customer_share');
      const revenueShare = num(n, 'revenue_share');
      const recency = num(n, 'average_recency_days');
      const revenue = amount('revenue', 'money');
      return present([
        ['Customers', customers === null ? null : `${formatValue(customers, 'integer')}${customerShare === null ? '' : ` (${share(customerShare)})`}`],
        ['Revenue, 12 months', revenue === null ? null : `${revenue}${revenueShare === null ? '' : ` (${share(revenueShare)})`}`],
        ['Days since last order', recency === null ? null : formatValue(recency, 'integer')],
      ]);
    }
    case 'forecast': {
      const lower = amount('lower');
      const upper = amount('upper');
      const interval = num(n, 'interval');
      const days = num(n, 'horizon_days') ?? 30;
      return present([
        [`Next ${days} days`, amount('value')],
        [interval === null ? 'Range' : `${Math.round(interval * 100)} % range`, lower && upper ? `${lower} – ${upper}` : null],
        [`Last ${days} days`, amount('previous')],
        ['Change', changeText(n)],
      ]);
    }
    default:
      return Object.entries(n)
        .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isFinite(entry[1]))
        .slice(0, 4)
        .map(([key, value]) => ({ label: humanize(key), value: formatValue(value, 'number') }));
  }
}
