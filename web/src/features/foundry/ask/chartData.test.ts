import { describe, expect, it } from 'vitest';
import { buildChartData, MAX_SERIES } from './chartData';
import { columnGrain, formatCell, humanize } from './format';

describe('buildChartData', () => {
  it('keeps one key per metric when the series are columns', () => {
    const data = buildChartData(
      [
        { name: 'date.month', type: 'time' },
        { name: 'revenue', type: 'money', label: 'Revenue' },
        { name: 'orders', type: 'integer' },
      ],
      [
        ['2025-01-01', 100, 4],
        ['2025-02-01', null, 5],
      ],
      { type: 'line', x: 'date.month', y: ['revenue', 'orders'] },
    );
    expect(data.series).toEqual([
      { key: 's0', label: 'Revenue' },
      { key: 's1', label: 'Orders' },
    ]);
    expect(data.valueType).toBe('money');
    expect(data.rows).toEqual([
      { x: '2025-01-01', s0: 100, s1: 4 },
      { x: '2025-02-01', s0: null, s1: 5 },
    ]);
  });

  it('pivots a series column into one key per value and folds the smallest into "Other"', () => {
    const channels = Array.from({ length: MAX_SERIES + 2 }, (_, i) => `c${i}`);
    const rows = channels.flatMap((c, i) => [
      ['2025-01-01', c, 100 - i],
      ['2025-01-02', c, 50],
    ]);
    const data = buildChartData(
      [
        { name: 'date.day', type: 'time' },
        { name: 'channel', type: 'string' },
        { name: 'revenue', type: 'money' },
      ],
      rows,
      { type: 'stacked_bar', x: 'date.day', y: ['revenue'], series: 'channel' },
    );
    expect(data.series).toHaveLength(MAX_SERIES);
    expect(data.series[0]).toEqual({ key: 's0', label: 'c0', stackId: 'stack' });
    expect(data.series.at(-1)!.label).toBe('Other');
    expect(data.rows).toHaveLength(2);
    // The three smallest channels (c7, c8, c9) make up "Other".
    expect(data.rows[0]![`s${MAX_SERIES - 1}`]).toBe(93 + 92 + 91);
    expect(data.rows[1]!.s0).toBe(50);
  });

  it('falls back to the numeric columns when the chart names no y', () => {
    const data = buildChartData(
      [
        { name: 'category', type: 'string' },
        { name: 'units_sold', type: 'integer' },
      ],
      [['Coffee', 12]],
      { type: 'bar', y: [] },
    );
    expect(data.xColumn?.name).toBe('category');
    expect(data.series).toEqual([{ key: 's0', label: 'Units sold' }]);
    expect(data.rows).toEqual([{ x: 'Coffee', s0: 12 }]);
  });
});

describe('formatCell', () => {
  it('formats by column type, reading the grain from loosely named columns', () => {
    expect(formatCell(0.1234, 'percent')).toBe('12.3%');
    expect(formatCell(1234.5, 'money', { currency: 'USD' })).toBe('$1,234.50');
    expect(formatCell(1234.5, 'money')).toBe('1,234.50');
    expect(formatCell('2025-04-01', 'time', { name: 'date.quarter' })).toBe('Q2 2025');
    expect(formatCell('2025-04-01', 'time', { name: 'Month' })).toBe('Apr 2025');
    expect(formatCell('2025-04-01', 'time', { name: 'date' })).toBe('Apr 1, 2025');
    expect(formatCell(true, 'string')).toBe('Yes');
    expect(formatCell(null, 'number')).toBe('—');
    expect(columnGrain('order_week')).toBe('week');
    expect(humanize('average_order_value')).toBe('Average order value');
  });
});
