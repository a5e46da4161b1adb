/**
 * From a widget's QueryResult to what its chart draws, and from a click back to the rows behind it
 * (the drill-down's metric, filters and period). Pure functions: the widgets only render them.
 */
import type { ChartRow, ChartSeries, Slice } from '../../components/charts';
import { countryName } from '../../components/charts';
import { bucketEnd, COMPARE_LABELS, formatBucket, formatValue, grainOf, parseDay, toIsoDay, type Grain, type ValueKind } from './format';
import type { Cell, ColumnOut, Filter, QueryResult, RangeOut, TimeRange, WidgetType } from './types';

/** What a click on an aggregate asks the drill-down for (on top of the widget's own filters). */
export interface DrillTarget {
  metric: string;
  /** Filters for the clicked dimension values. */
  filters: Filter[];
  /** The clicked bucket's dates, or the result's period. */
  timeRange: TimeRange | null;
  /** What was clicked, in words ("Revenue · Mar 2025 · web"). */
  label: string;
}

const MAX_SERIES = 8;
const MAX_SLICES = 8;
export const OTHER_KEY = '__other__';
const X = 'x';

export function dimensionColumns(result: QueryResult): { column: ColumnOut; index: number }[] {
  return result.columns.flatMap((column, index) => (column.kind === 'dimension' ? [{ column, index }] : []));
}

export function metricColumns(result: QueryResult): { column: ColumnOut; index: number }[] {
  return result.columns.flatMap((column, index) => (column.kind === 'metric' ? [{ column, index }] : []));
}

export function asNumber(cell: Cell | undefined): number | null {
  if (typeof cell === 'number' && Number.isFinite(cell)) return cell;
  if (typeof cell === 'string' && cell.trim() !== '' && Number.isFinite(Number(cell))) return Number(cell);
  return null;
}

/** How a dimension's value reads: date buckets by grain, countries by name. */
export function formatDimension(column: ColumnOut, value: Cell, short = false): string {
  if (value === null || value === undefined || value === '') return '(none)';
  if (column.type === 'time') return formatBucket(value, grainOf(column.name) ?? 'day', short);
  if (column.name === 'country' && typeof value === 'string') return countryName(value);
  return String(value);
}

export function rangeToTimeRange(range: RangeOut | null | undefined): TimeRange | null {
  if (!range?.start || !range.end) return null;
  return { start: range.start, end: range.end };
}

/** The dates of the time bucket starting on `value`, kept inside `range`. */
export function bucketRange(value: Cell, grain: Grain, range: RangeOut | null | undefined): TimeRange | null {
  if (typeof value !== 'string') return rangeToTimeRange(range);
  const start = parseDay(value);
  if (!start) return rangeToTimeRange(range);
  let from = toIsoDay(start);
  let to = toIsoDay(bucketEnd(start, grain));
  if (range?.start && range.start > from) from = range.start;
  if (range?.end && range.end < to) to = range.end;
  return { start: from, end: to };
}

/** Drill filters and period for one result row's dimension values. */
function drillFor(
  dims: { column: ColumnOut; index: number }[],
  row: Cell[],
  range: RangeOut | null | undefined,
): { filters: Filter[]; timeRange: TimeRange | null; parts: string[] } {
  const filters: Filter[] = [];
  let timeRange = rangeToTimeRange(range);
  const parts: string[] = [];
  for (const { column, index } of dims) {
    const value = row[index] ?? null;
    parts.push(formatDimension(column, value));
    const grain = grainOf(column.name);
    if (grain) {
      timeRange = bucketRange(value, grain, range);
    } else if (value !== null && typeof value !== 'boolean') {
      filters.push({ dimension: column.name, op: 'eq', values: [value] });
    }
  }
  return { filters, timeRange, parts };
}

function keyOf(dims: { index: number }[], row: Cell[]): string {
  return JSON.stringify(dims.map(({ index }) => row[index] ?? null));
}

export interface CartesianModel {
  data: ChartRow[];
  series: ChartSeries[];
  xLabel: string;
  formatX: (value: Cell) => string;
  valueKind: ValueKind;
  drill: (index: number, seriesKey?: string) => DrillTarget | null;
}

/** Lines and bars: the first dimension along x; metrics (or the second dimension's values) as series. */
export function cartesianModel(result: QueryResult, type: WidgetType): CartesianModel | null {
  const dims = dimensionColumns(result);
  const metrics = metricColumns(result);
  const first = metrics[0];
  if (!first) return null;
  const xDim = dims[0];
  const valueKind: ValueKind = first.column.type;
  const formatX = (value: Cell) => (xDim ? formatDimension(xDim.column, value, true) : 'Total');
  const xLabel = xDim?.column.label ?? 'Total';

  if (xDim && dims[1]) return pivotModel(result, xDim, dims[1], first, type, { formatX, xLabel, valueKind });

  const rows = xDim ? result.rows : [metrics.map(() => null as Cell)];
  const data: ChartRow[] = rows.map((row) => {
    const point: ChartRow = { [X]: xDim ? ((row[xDim.index] ?? null) as string | number | null) : 'Total' };
    for (const { column, index } of metrics) point[column.name] = xDim ? asNumber(row[index]) : (result.totals[column.name] ?? null);
    return point;
  });
  const stacked = type === 'stacked_bar';
  const series: ChartSeries[] = metrics.map(({ column }) => ({ key: column.name, label: column.label, stackId: stacked ? 'total' : undefined }));

  const comparison = result.comparison;
  const comparisonRows = new Map<number, Cell[]>();
  if (comparison && xDim && !stacked) {
    const isTime = xDim.column.type === 'time';
    const byKey = new Map(comparison.rows.map((row) => [keyOf([xDim], row), row]));
    result.rows.forEach((row, i) => {
      const match = isTime ? comparison.rows[i] : byKey.get(keyOf([xDim], row));
      if (match) comparisonRows.set(i, match);
    });
    for (const { column, index } of metrics) {
      const key = `cmp:${column.name}`;
      data.forEach((point, i) => {
        point[key] = asNumber(comparisonRows.get(i)?.[index]);
      });
      series.push({ key, label: `${column.label} (${COMPARE_LABELS[comparison.kind]})`, dashed: true, color: '#94a3b8' });
    }
  }

  const drill = (index: number, seriesKey?: string): DrillTarget | null => {
    const isComparison = seriesKey?.startsWith('cmp:') ?? false;
    const metricName = isComparison ? seriesKey!.slice(4) : (seriesKey ?? first.column.name);
    const metric = metrics.find((m) => m.column.name === metricName) ?? first;
    if (!xDim) {
      return { metric: metric.column.name, filters: [], timeRange: rangeToTimeRange(result.range), label: metric.column.label };
    }
    const row = isComparison ? comparisonRows.get(index) : result.rows[index];
    if (!row) return null;
    const range = isComparison ? comparison?.range : result.range;
    const { filters, timeRange, parts } = drillFor([xDim], row, range);
    return { metric: metric.column.name, filters, timeRange, label: [metric.column.label, ...parts].join(' · ') };
  };
  return { data, series, xLabel, formatX, valueKind, drill };
}

function pivotModel(
  result: QueryResult,
  xDim: { column: ColumnOut; index: number },
  seriesDim: { column: ColumnOut; index: number },
  metric: { column: ColumnOut; index: number },
  type: WidgetType,
  base: Pick<CartesianModel, 'formatX' | 'xLabel' | 'valueKind'>,
): CartesianModel {
  // The series: the second dimension's values with the largest totals; the rest as "Other".
  const totals = new Map<string, { value: Cell; total: number }>();
  for (const row of result.rows) {
    const value = row[seriesDim.index] ?? null;
    const key = JSON.stringify(value);
    const entry = totals.get(key) ?? { value, total: 0 };
    entry.total += asNumber(row[metric.index]) ?? 0;
    totals.set(key, entry);
  }
  const ranked = [...totals.entries()].sort((a, b) => b[1].total - a[1].total);
  const kept = new Map(ranked.slice(0, MAX_SERIES).map(([key, entry], i) => [key, { ...entry, seriesKey: `s${i}` }]));
  const hasOther = ranked.length > MAX_SERIES;
  const stackId = type === 'stacked_bar' ? 'total' : undefined;
  const series: ChartSeries[] = [...kept.values()].map((entry) => ({
    key: entry.seriesKey,
    label: formatDimension(seriesDim.column, entry.value),
    stackId,
  }));
  if (hasOther) series.push({ key: OTHER_KEY, label: 'Other', stackId, color: '#94a3b8' });

  const data: ChartRow[] = [];
  const pointIndex = new Map<string, number>();
  // Which result row each (x, series) cell came from, to drill into it.
  const sourceRow = new Map<string, Cell[]>();
  for (const row of result.rows) {
    const xValue = (row[xDim.index] ?? null) as string | number | null;
    const xKey = JSON.stringify(xValue);
    let at = pointIndex.get(xKey);
    if (at === undefined) {
      at = data.length;
      pointIndex.set(xKey, at);
      data.push({ [X]: xValue });
    }
    const seriesKey = kept.get(JSON.stringify(row[seriesDim.index] ?? null))?.seriesKey ?? OTHER_KEY;
    const point = data[at]!;
    point[seriesKey] = ((point[seriesKey] as number | null) ?? 0) + (asNumber(row[metric.index]) ?? 0);
    sourceRow.set(`${at}:${seriesKey}`, row);
  }

  const drill = (index: number, seriesKey?: string): DrillTarget | null => {
    const row = seriesKey && seriesKey !== OTHER_KEY ? sourceRow.get(`${index}:${seriesKey}`) : undefined;
    const xRow = row ?? [...sourceRow.entries()].find(([key]) => key.startsWith(`${index}:`))?.[1];
    if (!xRow) return null;
    const dims = row ? [xDim, seriesDim] : [xDim];
    const { filters, timeRange, parts } = drillFor(dims, xRow, result.range);
    return { metric: metric.column.name, filters, timeRange, label: [metric.column.label, ...parts].join(' · ') };
  };
  return { ...base, data, series, drill };
}

export interface SliceModel {
  slices: Slice[];
  dimensionLabel: string;
  valueLabel: string;
  valueKind: ValueKind;
  drill: (index: number) => DrillTarget | null;
}

/** Pie and map: the first dimension's values with the first metric, largest first. */
export function sliceModel(result: QueryResult, limit = MAX_SLICES): SliceModel | null {
  const dim = dimensionColumns(result)[0];
  const metric = metricColumns(result)[0];
  if (!dim || !metric) return null;
  const rows = result.rows
    .map((row) => ({ row, value: asNumber(row[metric.index]) ?? 0 }))
    .sort((a, b) => b.value - a.value);
  const kept = rows.slice(0, limit);
  const slices: Slice[] = kept.map(({ row, value }, i) => ({
    key: `${i}:${String(row[dim.index])}`,
    label: formatDimension(dim.column, row[dim.index] ?? null),
    value,
  }));
  const rest = rows.slice(limit);
  if (rest.length > 0) slices.push({ key: OTHER_KEY, label: 'Other', value: rest.reduce((sum, r) => sum + r.value, 0) });
  const drill = (index: number): DrillTarget | null => {
    const entry = kept[index];
    if (!entry) return null;
    const { filters, timeRange, parts } = drillFor([dim], entry.row, result.range);
    return { metric: metric.column.name, filters, timeRange, label: [metric.column.label, ...parts].join(' · ') };
  };
  return { slices, dimensionLabel: dim.column.label, valueLabel: metric.column.label, valueKind: metric.column.type, drill };
}

/** The raw dimension value of each row, for maps (which match codes and names themselves). */
export function countryValues(result: QueryResult): { country: string; value: number; row: Cell[] }[] {
  const dim = dimensionColumns(result)[0];
  const metric = metricColumns(result)[0];
  if (!dim || !metric) return [];
  return result.rows.flatMap((row) => {
    const country = row[dim.index];
    const value = asNumber(row[metric.index]);
    return typeof country === 'string' && country && value !== null ? [{ country, value, row }] : [];
  });
}

export function rowDrill(result: QueryResult, row: Cell[], metricName?: string): DrillTarget | null {
  const metrics = metricColumns(result);
  const metric = metrics.find((m) => m.column.name === metricName) ?? metrics[0];
  if (!metric) return null;
  const { filters, timeRange, parts } = drillFor(dimensionColumns(result), row, result.range);
  return { metric: metric.column.name, filters, timeRange, label: [metric.column.label, ...parts].join(' · ') };
}

/** For tables: each row's value of `metric` in the comparison period, matched by its dimensions. */
export function comparisonLookup(result: QueryResult): (row: Cell[], rowIndex: number, metricIndex: number) => number | null {
  const comparison = result.comparison;
  if (!comparison) return () => null;
  const dims = dimensionColumns(result);
  const isTime = dims.length > 0 && dims.every((d) => d.column.type === 'time');
  const byKey = new Map(comparison.rows.map((row) => [keyOf(dims, row), row]));
  return (row, rowIndex, metricIndex) => {
    const match = isTime ? comparison.rows[rowIndex] : byKey.get(keyOf(dims, row));
    return asNumber(match?.[metricIndex]);
  };
}

export interface KpiModel {
  metric: ColumnOut;
  value: number | null;
  previous: number | null;
  /** The metric over the period's time buckets, when the query has a date dimension. */
  trend: (number | null)[];
  trendComparison: (number | null)[] | undefined;
  drill: () => DrillTarget;
}

export function kpiModel(result: QueryResult, metricName?: string): KpiModel | null {
  const metrics = metricColumns(result);
  const metric = metrics.find((m) => m.column.name === metricName) ?? metrics[0];
  if (!metric) return null;
  const name = metric.column.name;
  const dims = dimensionColumns(result);
  const single = dims.length === 0 && result.rows.length === 1 ? asNumber(result.rows[0]![metric.index]) : null;
  const value = result.totals[name] ?? single;
  const previous = result.comparison ? (result.comparison.totals[name] ?? null) : null;
  const time = dims.length === 1 && dims[0]!.column.type === 'time';
  const trend = time ? result.rows.map((row) => asNumber(row[metric.index])) : [];
  const trendComparison = time && result.comparison ? result.comparison.rows.map((row) => asNumber(row[metric.index])) : undefined;
  return {
    metric: metric.column,
    value: value ?? null,
    previous,
    trend,
    trendComparison,
    drill: () => ({ metric: name, filters: [], timeRange: rangeToTimeRange(result.range), label: metric.column.label }),
  };
}

export function formatFor(kind: ValueKind, currency: string | null | undefined, compact = false) {
  return (value: number) => formatValue(value, kind, { currency, compact });
}
