import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFrame } from './ChartFrame';
import { AXIS_COLOR, GRID_COLOR, seriesColor } from './palette';
import type { ChartRow, ChartSeries, ChartValue, SelectHandler } from './types';

export interface CartesianChartProps {
  /** Accessible name of the figure. */
  title: string;
  data: ChartRow[];
  /** The field holding each row's category or date. */
  xKey: string;
  /** Header of the categories in the accessible table ("Month"). */
  xLabel: string;
  series: ChartSeries[];
  formatX?: (value: ChartValue) => string;
  formatValue: (value: number) => string;
  /** Axis ticks; `formatValue` when omitted. */
  formatTick?: (value: number) => string;
  onSelect?: SelectHandler;
  className?: string;
}

export function tableOf(data: ChartRow[], xKey: string, xLabel: string, series: ChartSeries[], formatX: (v: ChartValue) => string, formatValue: (v: number) => string) {
  return {
    rowHeader: xLabel,
    columns: series.map((s) => s.label),
    rows: data.map((row, i) => ({
      key: `${i}:${String(row[xKey])}`,
      label: formatX(row[xKey] ?? null),
      cells: series.map((s) => {
        const v = row[s.key];
        return typeof v === 'number' ? formatValue(v) : '—';
      }),
    })),
  };
}

function indexOf(state: { activeTooltipIndex?: unknown } | null | undefined): number | null {
  const raw = state?.activeTooltipIndex;
  const index = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isInteger(index) && index >= 0 ? index : null;
}

const defaultFormatX = (v: ChartValue) => (v === null ? '—' : String(v));

/** Lines over time (or any ordered category); comparison series are drawn dashed. */
export function TrendLineChart({ title, data, xKey, xLabel, series, formatX = defaultFormatX, formatValue, formatTick, onSelect, className }: CartesianChartProps) {
  const tick = formatTick ?? formatValue;
  return (
    <ChartFrame title={title} table={tableOf(data, xKey, xLabel, series, formatX, formatValue)} className={className}>
      <LineChart
        responsive
        style={{ width: '100%', height: '100%' }}
        data={data}
        margin={{ top: 8, right: 12, bottom: 4, left: 4 }}
        accessibilityLayer={false}
        onClick={(state) => {
          const index = indexOf(state);
          if (index !== null) onSelect?.(index);
        }}
        className={onSelect ? 'cursor-pointer' : undefined}
      >
        <CartesianGrid stroke={GRID_COLOR} strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey={xKey} tickFormatter={(v: ChartValue) => formatX(v)} tick={{ fontSize: 11, fill: AXIS_COLOR }} tickLine={false} axisLine={{ stroke: GRID_COLOR }} minTickGap={24} />
        <YAxis tickFormatter={(v: number) => tick(v)} tick={{ fontSize: 11, fill: AXIS_COLOR }} tickLine={false} axisLine={false} width={64} />
        <Tooltip labelFormatter={(v) => formatX(v as ChartValue)} formatter={(v) => (typeof v === 'number' ? formatValue(v) : String(v))} />
        {series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
        {series.map((s, i) => (
          <Line
            key={s.key}
            type="monotone"
            dataKey={s.key}
            name={s.label}
            stroke={s.color ?? seriesColor(i)}
            strokeWidth={s.dashed ? 1.5 : 2}
            strokeDasharray={s.dashed ? '5 4' : undefined}
            strokeOpacity={s.dashed ? 0.7 : 1}
            dot={data.length <= 31 && !s.dashed ? { r: 2.5 } : false}
            activeDot={{ r: 4 }}
            connectNulls
            isAnimationActive={false}
          />
        ))}
      </LineChart>
    </ChartFrame>
  );
}
