import { CategoryBarChart, CountryMap, DonutChart, TrendLineChart, type ChartValue } from '../../../components/charts';
import type { Cell } from '../types';
import { buildChartData, labelOf, type ChartColumn, type ChartData } from './chartData';
import { DataTable } from './DataTable';
import { formatCell } from './format';
import type { ChartOut } from './types';

export interface ResultChartProps {
  /** What the chart shows; its accessible name. */
  title: string;
  columns: ChartColumn[];
  rows: Cell[][];
  chart: ChartOut;
  currency?: string | null;
  /** Pixels; the drawing fills it. */
  height?: number;
  /** A small chart in a card: no "Show as a table" toggle (the figure still carries its table). */
  compact?: boolean;
}

/** Categories from this many read better as horizontal bars (their names fit). */
const HORIZONTAL_FROM = 8;
const COMPACT_ROWS = 5;

/** A single number: the first metric of the first row. */
function Kpi({ title, columns, rows, chart, currency }: Pick<ResultChartProps, 'title' | 'columns' | 'rows' | 'chart' | 'currency'>) {
  const wanted = chart.y[0];
  let index = wanted ? columns.findIndex((c) => c.name === wanted) : -1;
  if (index < 0) index = columns.findIndex((c) => c.type !== 'time' && c.type !== 'string');
  const column = columns[index];
  if (!column) return null;
  return (
    <figure aria-label={title} className="m-0 py-2" data-chart-type="kpi">
      <p className="text-xs font-medium uppercase tracking-wide text-slate-500">{labelOf(column)}</p>
      <p className="mt-1 text-3xl font-semibold tabular-nums text-slate-900">{formatCell(rows[0]?.[index], column.type, { currency, name: column.name })}</p>
    </figure>
  );
}

function Plot({ title, chart, data, currency }: { title: string; chart: ChartOut; data: ChartData; currency?: string | null }) {
  const x = data.xColumn;
  const common = {
    title,
    data: data.rows,
    xKey: data.xKey,
    xLabel: x ? labelOf(x) : '',
    series: data.series,
    formatX: (value: ChartValue) => (x ? formatCell(value, x.type, { name: x.name, compact: true }) : String(value ?? '—')),
    formatValue: (value: number) => formatCell(value, data.valueType, { currency }),
    formatTick: (value: number) => formatCell(value, data.valueType, { currency, compact: true }),
  };
  const first = data.series[0]!;
  const pairs = data.rows.map((row) => ({ label: common.formatX(row.x ?? null), value: typeof row[first.key] === 'number' ? (row[first.key] as number) : 0 }));
  switch (chart.type) {
    case 'line':
      return <TrendLineChart {...common} />;
    case 'pie':
      return (
        <DonutChart
          title={title}
          label={common.xLabel}
          valueLabel={first.label}
          slices={pairs.map((p, i) => ({ key: `${i}`, label: p.label, value: p.value }))}
          formatValue={common.formatValue}
        />
      );
    case 'map':
      return (
        <CountryMap
          title={title}
          valueLabel={first.label}
          data={data.rows.map((row, i) => ({ country: String(row.x ?? ''), value: pairs[i]!.value }))}
          formatValue={common.formatValue}
        />
      );
    default:
      return <CategoryBarChart {...common} horizontal={data.rows.length >= HORIZONTAL_FROM && x?.type !== 'time'} />;
  }
}

/**
 * A result drawn the way its chart spec asks (kpi, line, bar, stacked bar, pie, table, map). Each
 * drawing is a named figure carrying the same numbers as a table for screen readers; outside a
 * compact card, the table can also be opened for reading exact values.
 */
export function ResultChart({ title, columns, rows, chart, currency, height = 280, compact = false }: ResultChartProps) {
  if (rows.length === 0) return <p className="py-6 text-center text-sm text-slate-500">No data for this period.</p>;
  if (chart.type === 'kpi') return <Kpi title={title} columns={columns} rows={rows} chart={chart} currency={currency} />;
  const data = chart.type === 'table' ? null : buildChartData(columns, rows, chart);
  // In a card, a table shows its first rows; the full one is a click away (the card's own dialog).
  if (!data || data.series.length === 0) {
    return <DataTable caption={title} columns={columns} rows={rows} currency={currency} maxRows={compact ? COMPACT_ROWS : undefined} />;
  }
  const horizontalBars = (chart.type === 'bar' || chart.type === 'stacked_bar') && data.rows.length >= HORIZONTAL_FROM && data.xColumn?.type !== 'time';
  const plotHeight = horizontalBars ? Math.max(height, data.rows.length * 22 + 40) : height;
  return (
    <div className="space-y-2" data-chart-type={chart.type}>
      <div style={{ height: plotHeight }}>
        <Plot title={title} chart={chart} data={data} currency={currency} />
      </div>
      {!compact && (
        <details className="text-sm">
          <summary className="cursor-pointer text-xs font-medium text-slate-600 hover:text-slate-900">Show as a table</summary>
          <div className="mt-2">
            <DataTable caption={`${title} (table)`} columns={columns} rows={rows} currency={currency} />
          </div>
        </details>
      )}
    </div>
  );
}
