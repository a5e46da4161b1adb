import { describe, expect, it } from 'vitest';
import { countryCode, countryName, countryNumeric } from '../../components/charts';
import { bucketRange, cartesianModel, comparisonLookup, kpiModel, OTHER_KEY, sliceModel } from './chartData';
import { formatBucket, formatValue, relativeChange } from './format';
import type { QueryResult } from './types';

const month = { name: 'date.month', label: 'Month', type: 'time' as const, kind: 'dimension' as const };
const channel = { name: 'channel', label: 'Channel', type: 'string' as const, kind: 'dimension' as const };
const revenue = { name: 'revenue', label: 'Revenue', type: 'money' as const, kind: 'metric' as const };
const range = { start: '2026-01-10', end: '2026-03-20' };

describe('chart data', () => {
  it('draws a time series with its comparison aligned by position, and drills into a clamped bucket', () => {
    const result: QueryResult = {
      columns: [month, revenue],
      rows: [
        ['2026-01-01', 100],
        ['2026-02-01', 200],
        ['2026-03-01', 300],
      ],
      totals: { revenue: 600 },
      range,
      comparison: { kind: 'previous_year', range: { start: '2025-01-10', end: '2025-03-20' }, rows: [['2025-01-01', 50], ['2025-02-01', 150]], totals: { revenue: 200 } },
      currency: 'EUR',
    };
    const model = cartesianModel(result, 'line')!;
    expect(model.series.map((s) => [s.key, s.label, Boolean(s.dashed)])).toEqual([
      ['revenue', 'Revenue', false],
      ['cmp:revenue', 'Revenue (previous year)', true],
    ]);
    expect(model.data).toEqual([
      { x: '2026-01-01', revenue: 100, 'cmp:revenue': 50 },
      { x: '2026-02-01', revenue: 200, 'cmp:revenue': 150 },
      { x: '2026-03-01', revenue: 300, 'cmp:revenue': null },
    ]);
    // January starts before the period: the drill-down keeps to the period.
    expect(model.drill(0)).toEqual({ metric: 'revenue', filters: [], timeRange: { start: '2026-01-10', end: '2026-01-31' }, label: 'Revenue · Jan 2026' });
    expect(model.drill(1)!.timeRange).toEqual({ start: '2026-02-01', end: '2026-02-28' });
    expect(model.drill(1, 'cmp:revenue')!.timeRange).toEqual({ start: '2025-02-01', end: '2025-02-28' });
  });

  it('pivots a second dimension into stacked series and drills into both values', () => {
    const result: QueryResult = {
      columns: [month, channel, revenue],
      rows: [
        ['2026-01-01', 'web', 100],
        ['2026-01-01', 'wholesale', 40],
        ['2026-02-01', 'web', 120],
      ],
      totals: { revenue: 260 },
      range,
    };
    const model = cartesianModel(result, 'stacked_bar')!;
    expect(model.series).toEqual([
      { key: 's0', label: 'web', stackId: 'total' },
      { key: 's1', label: 'wholesale', stackId: 'total' },
    ]);
    expect(model.data).toEqual([
      { x: '2026-01-01', s0: 100, s1: 40 },
      { x: '2026-02-01', s0: 120 },
    ]);
    expect(model.drill(0, 's1')).toEqual({
      metric: 'revenue',
      filters: [{ dimension: 'channel', op: 'eq', values: ['wholesale'] }],
      timeRange: { start: '2026-01-10', end: '2026-01-31' },
      label: 'Revenue · Jan 2026 · wholesale',
    });
  });

  it('keeps the largest slices and sums the rest as Other', () => {
    const rows = Array.from({ length: 10 }, (_, i) => [`c${i}`, 10 - i]);
    const model = sliceModel({ columns: [channel, revenue], rows, totals: { revenue: 55 }, range }, 3)!;
    expect(model.slices.map((s) => [s.label, s.value])).toEqual([
      ['c0', 10],
      ['c1', 9],
      ['c2', 8],
      ['Other', 28],
    ]);
    expect(model.slices[3]!.key).toBe(OTHER_KEY);
    expect(model.drill(3)).toBeNull();
    expect(model.drill(1)!.filters).toEqual([{ dimension: 'channel', op: 'eq', values: ['c1'] }]);
  });

  it('matches comparison rows by dimension values for categories', () => {
    const result: QueryResult = {
      columns: [channel, revenue],
      rows: [
        ['web', 100],
        ['retail', 50],
      ],
      totals: { revenue: 150 },
      range,
      comparison: { kind: 'previous_period', range, rows: [['retail', 25], ['web', 80]], totals: { revenue: 105 } },
    };
    const previous = comparisonLookup(result);
    expect(previous(result.rows[0]!, 0, 1)).toBe(80);
    expect(previous(result.rows[1]!, 1, 1)).toBe(25);
  });

  it('reads a KPI from the totals and its sparkline from the date rows', () => {
    const result: QueryResult = {
      columns: [{ ...month, name: 'date.day' }, revenue],
      rows: [
        ['2026-03-01', 10],
        ['2026-03-02', null],
      ],
      totals: { revenue: 10 },
      range,
      comparison: { kind: 'previous_period', range, rows: [], totals: { revenue: 0 } },
    };
    const model = kpiModel(result)!;
    expect(model.value).toBe(10);
    expect(model.previous).toBe(0);
    expect(model.trend).toEqual([10, null]);
    expect(relativeChange(model.value, model.previous)).toBeNull();
  });

  it('formats money, percent, buckets and weeks', () => {
    expect(formatValue(1234.5, 'money', { currency: 'USD' })).toBe('$1,234.50');
    expect(formatValue(0.256, 'percent')).toBe('25.6%');
    expect(formatValue(12, 'integer')).toBe('12');
    expect(formatValue(null, 'money')).toBe('—');
    expect(formatBucket('2026-04-01', 'quarter')).toBe('Q2 2026');
    expect(bucketRange('2026-03-30', 'week', null)).toEqual({ start: '2026-03-30', end: '2026-04-05' });
  });

  it('reads countries as codes or names', () => {
    expect(countryNumeric('US')).toBe('840');
    expect(countryNumeric('Germany')).toBe('276');
    expect(countryNumeric('United States')).toBe('840');
    expect(countryNumeric('UK')).toBe('826');
    expect(countryCode('Atlantis')).toBeNull();
    expect(countryName('CA')).toBe('Canada');
    expect(countryName('Canada')).toBe('Canada');
  });
});
