import type { ChartRow, ChartSeries, ChartValue } from '../../../components/charts';
import type { Cell, ColumnType } from '../types';
import { humanize } from './format';
import type { ChartOut } from './types';

/** A result column as the charts need it (answers carry no label; query results do). */
export interface ChartColumn {
  name: string;
  type: ColumnType;
  label?: string;
}

export interface ChartData {
  /** The field of each row holding its x value, as the data has it (an ISO date, a category). */
  xKey: 'x';
  xColumn: ChartColumn | null;
  /** Series keys are plain identifiers: a dotted name ("date.month") reads as a nested path in recharts. */
  series: ChartSeries[];
  /** How the plotted values read (the first series' type when they differ). */
  valueType: ColumnType;
  rows: ChartRow[];
}

/** Series beyond this many (by total) fold into "Other": a legend of 30 colours reads as noise. */
export const MAX_SERIES = 8;

export function labelOf(column: ChartColumn): string {
  return column.label ?? humanize(column.name);
}

function indexOf(columns: ChartColumn[], name: string | null | undefined): number {
  return name ? columns.findIndex((c) => c.name === name) : -1;
}

function numeric(value: Cell | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function xValue(row: Cell[], xIndex: number): ChartValue {
  const value = xIndex >= 0 ? row[xIndex] : null;
  return value === undefined || value === null ? null : typeof value === 'boolean' ? String(value) : value;
}

/** The chart's y columns; when the chart names none, every numeric column but x and the series. */
function yIndexes(columns: ChartColumn[], chart: ChartOut, skip: number[]): number[] {
  const named = chart.y.map((name) => indexOf(columns, name)).filter((i) => i >= 0);
  if (named.length > 0) return named;
  return columns.map((c, i) => (c.type !== 'time' && c.type !== 'string' && !skip.includes(i) ? i : -1)).filter((i) => i >= 0);
}

/** Series as columns: one line (or bar) per metric. */
function wideData(columns: ChartColumn[], rows: Cell[][], xIndex: number, ys: number[]): ChartData {
  const series = ys.map((i, n) => ({ key: `s${n}`, label: labelOf(columns[i]!) }));
  const data = rows.map((row) => {
    const point: ChartRow = { x: xValue(row, xIndex) };
    ys.forEach((i, n) => {
      point[`s${n}`] = numeric(row[i]);
    });
    return point;
  });
  return { xKey: 'x', xColumn: columns[xIndex] ?? null, series, valueType: columns[ys[0]!]!.type, rows: data };
}

/** Series as rows (a "channel" column): one key per value, the smallest folded into "Other". */
function longData(columns: ChartColumn[], rows: Cell[][], xIndex: number, seriesIndex: number, yIndex: number, stacked: boolean): ChartData {
  const totals = new Map<string, number>();
  for (const row of rows) {
    const name = String(row[seriesIndex] ?? '—');
    totals.set(name, (totals.get(name) ?? 0) + Math.abs(numeric(row[yIndex]) ?? 0));
  }
  const ranked = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)!);
  const kept = ranked.length > MAX_SERIES ? ranked.slice(0, MAX_SERIES - 1) : ranked;
  const names = ranked.length > kept.length ? [...kept, 'Other'] : kept;
  const keyOf = new Map(names.map((name, n) => [name, `s${n}`]));
  const series = names.map((name, n) => ({ key: `s${n}`, label: name, ...(stacked ? { stackId: 'stack' } : {}) }));
  const byX = new Map<string, ChartRow>();
  for (const row of rows) {
    const x = xValue(row, xIndex);
    const point = byX.get(String(x)) ?? { x };
    byX.set(String(x), point);
    const key = keyOf.get(String(row[seriesIndex] ?? '—')) ?? keyOf.get('Other')!;
    const value = numeric(row[yIndex]);
    if (value !== null) point[key] = (typeof point[key] === 'number' ? point[key] : 0) + value;
  }
  return { xKey: 'x', xColumn: columns[xIndex] ?? null, series, valueType: columns[yIndex]!.type, rows: [...byX.values()] };
}

/** Rows shaped for a chart: the x value plus one numeric key per series. */
export function buildChartData(columns: ChartColumn[], rows: Cell[][], chart: ChartOut): ChartData {
  let xIndex = indexOf(columns, chart.x);
  if (xIndex < 0) xIndex = columns.findIndex((c) => c.type === 'time' || c.type === 'string');
  const seriesIndex = indexOf(columns, chart.series);
  const ys = yIndexes(columns, chart, [xIndex, seriesIndex]);
  const stacked = chart.type === 'stacked_bar';
  if (ys.length === 0) return { xKey: 'x', xColumn: columns[xIndex] ?? null, series: [], valueType: 'number', rows: [] };
  if (seriesIndex >= 0 && seriesIndex !== xIndex) return longData(columns, rows, xIndex, seriesIndex, ys[0]!, stacked);
  const data = wideData(columns, rows, xIndex, ys);
  return stacked ? { ...data, series: data.series.map((s) => ({ ...s, stackId: 'stack' })) } : data;
}
