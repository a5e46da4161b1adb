import { Area, CartesianGrid, ComposedChart, Line, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFrame } from '../../../components/charts';
import { formatBucket, formatValue, type ValueKind } from '../format';
import type { ForecastOut } from './types';

interface ForecastChartProps {
  title: string;
  forecast: ForecastOut;
  /** How the metric reads: money for revenue, integer for orders. */
  kind: ValueKind;
  currency?: string | null;
  className?: string;
}

/** One day of the chart: the actual value (history) or the forecast with its interval as [low, high]. */
export interface ForecastRow {
  date: string;
  actual: number | null;
  forecast: number | null;
  band: [number, number] | null;
}

const BRAND = '#4f46e5';
const ACTUAL = '#334155';

/**
 * History then forecast, as rows of one chart. The forecast line starts on the last actual day
 * (at its value) so the two lines join instead of leaving a gap at "today".
 */
export function forecastRows(forecast: ForecastOut): ForecastRow[] {
  const history: ForecastRow[] = forecast.history.map((point) => ({ date: point.date, actual: point.value, forecast: null, band: null }));
  const last = history.at(-1);
  if (last && forecast.forecast.length > 0 && last.actual !== null) {
    last.forecast = last.actual;
    last.band = [last.actual, last.actual];
  }
  const ahead: ForecastRow[] = forecast.forecast.map((point) => ({ date: point.date, actual: null, forecast: point.value, band: [point.lower, point.upper] }));
  return [...history, ...ahead];
}

export function intervalLabel(interval: number): string {
  return `${Math.round(interval * 100)} % interval`;
}

/** Recent actual days, the forecast as a dashed line, and its interval as a shaded band. */
export function ForecastChart({ title, forecast, kind, currency, className }: ForecastChartProps) {
  const rows = forecastRows(forecast);
  const format = (value: number) => formatValue(value, kind, { currency });
  const tick = (value: number) => formatValue(value, kind, { currency, compact: true });
  const day = (value: unknown) => (typeof value === 'string' ? formatBucket(value, 'day', true) : String(value ?? ''));
  const lastActual = forecast.history.at(-1)?.date;
  const table = {
    rowHeader: 'Day',
    columns: ['Actual', 'Forecast', `Low (${intervalLabel(forecast.interval)})`, 'High'],
    rows: rows.map((row, i) => ({
      key: `${i}:${row.date}`,
      label: formatBucket(row.date, 'day'),
      // The joining point belongs to the history: its copy as a forecast is drawing, not data.
      cells:
        row.actual !== null
          ? [format(row.actual), '—', '—', '—']
          : [
              '—',
              row.forecast === null ? '—' : format(row.forecast),
              row.band ? format(row.band[0]) : '—',
              row.band ? format(row.band[1]) : '—',
            ],
    })),
  };
  return (
    <ChartFrame title={title} table={table} className={className}>
      <ComposedChart responsive style={{ width: '100%', height: '100%' }} data={rows} margin={{ top: 8, right: 12, bottom: 4, left: 4 }} accessibilityLayer={false}>
        <CartesianGrid stroke="#e2e8f0" strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="date" tickFormatter={day} tick={{ fontSize: 11, fill: '#64748b' }} tickLine={false} axisLine={{ stroke: '#e2e8f0' }} minTickGap={24} />
        <YAxis tickFormatter={tick} tick={{ fontSize: 11, fill: '#64748b' }} tickLine={false} axisLine={false} width={64} />
        <Tooltip
          labelFormatter={day}
          formatter={(value, name) => {
            if (Array.isArray(value)) return [`${format(Number(value[0]))} – ${format(Number(value[1]))}`, name];
            return [typeof value === 'number' ? format(value) : String(value), name];
          }}
        />
        <Area dataKey="band" name={intervalLabel(forecast.interval)} stroke="none" fill={BRAND} fillOpacity={0.15} isAnimationActive={false} connectNulls={false} />
        {lastActual && <ReferenceLine x={lastActual} stroke="#94a3b8" strokeDasharray="2 3" />}
        <Line dataKey="actual" name="Actual" stroke={ACTUAL} strokeWidth={1.75} dot={false} isAnimationActive={false} />
        <Line dataKey="forecast" name="Forecast" stroke={BRAND} strokeWidth={2} strokeDasharray="6 4" dot={false} isAnimationActive={false} />
      </ComposedChart>
    </ChartFrame>
  );
}
