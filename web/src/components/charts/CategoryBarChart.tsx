import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFrame } from './ChartFrame';
import { AXIS_COLOR, GRID_COLOR, seriesColor } from './palette';
import { tableOf, type CartesianChartProps } from './TrendLineChart';
import type { ChartValue } from './types';

interface CategoryBarChartProps extends CartesianChartProps {
  /** Bars along the y axis, for long category names (products, customers). */
  horizontal?: boolean;
}

const defaultFormatX = (v: ChartValue) => (v === null ? '—' : String(v));

/** Bars per category, side by side or stacked (series sharing a `stackId`); comparison bars dashed. */
export function CategoryBarChart({
  title,
  data,
  xKey,
  xLabel,
  series,
  formatX = defaultFormatX,
  formatValue,
  formatTick,
  onSelect,
  horizontal = false,
  className,
}: CategoryBarChartProps) {
  const tick = formatTick ?? formatValue;
  const categoryAxis = { dataKey: xKey, tickFormatter: (v: ChartValue) => formatX(v), tick: { fontSize: 11, fill: AXIS_COLOR }, tickLine: false };
  const valueAxis = { tickFormatter: (v: number) => tick(v), tick: { fontSize: 11, fill: AXIS_COLOR }, tickLine: false, axisLine: false };
  return (
    <ChartFrame title={title} table={tableOf(data, xKey, xLabel, series, formatX, formatValue)} className={className}>
      <BarChart
        responsive
        style={{ width: '100%', height: '100%' }}
        data={data}
        layout={horizontal ? 'vertical' : 'horizontal'}
        margin={{ top: 8, right: 12, bottom: 4, left: 4 }}
        accessibilityLayer={false}
        barCategoryGap="18%"
      >
        <CartesianGrid stroke={GRID_COLOR} strokeDasharray="3 3" vertical={horizontal} horizontal={!horizontal} />
        {horizontal ? (
          <>
            <XAxis type="number" {...valueAxis} />
            <YAxis type="category" {...categoryAxis} width={120} axisLine={{ stroke: GRID_COLOR }} interval={0} />
          </>
        ) : (
          <>
            <XAxis {...categoryAxis} axisLine={{ stroke: GRID_COLOR }} minTickGap={12} />
            <YAxis {...valueAxis} width={64} />
          </>
        )}
        <Tooltip cursor={{ fill: '#f1f5f9' }} labelFormatter={(v) => formatX(v as ChartValue)} formatter={(v) => (typeof v === 'number' ? formatValue(v) : String(v))} />
        {series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
        {series.map((s, i) => {
          const color = s.color ?? seriesColor(i);
          return (
            <Bar
              key={s.key}
              dataKey={s.key}
              name={s.label}
              stackId={s.stackId}
              fill={color}
              fillOpacity={s.dashed ? 0.18 : 1}
              stroke={s.dashed ? color : undefined}
              strokeDasharray={s.dashed ? '4 3' : undefined}
              radius={s.stackId ? 0 : horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0]}
              isAnimationActive={false}
              cursor={onSelect ? 'pointer' : undefined}
              onClick={(_, index) => onSelect?.(index, s.key)}
            />
          );
        })}
      </BarChart>
    </ChartFrame>
  );
}
