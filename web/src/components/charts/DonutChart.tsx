import { Cell, Pie, PieChart, Tooltip } from 'recharts';
import { ChartFrame } from './ChartFrame';
import { seriesColor } from './palette';
import type { Slice } from './types';

interface DonutChartProps {
  title: string;
  /** Header of the slices in the accessible table ("Channel"). */
  label: string;
  valueLabel: string;
  slices: Slice[];
  formatValue: (value: number) => string;
  onSelect?: (index: number) => void;
  className?: string;
}

const share = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

/** Shares of a whole: a donut with a legend of each slice's value and share. */
export function DonutChart({ title, label, valueLabel, slices, formatValue, onSelect, className }: DonutChartProps) {
  const positive = slices.filter((s) => s.value > 0);
  const total = positive.reduce((sum, s) => sum + s.value, 0);
  const table = {
    rowHeader: label,
    columns: [valueLabel, 'Share'],
    rows: slices.map((s) => ({ key: s.key, label: s.label, cells: [formatValue(s.value), total > 0 ? share.format(Math.max(0, s.value) / total) : '—'] })),
  };
  return (
    <ChartFrame title={title} table={table} className={className}>
      <div className="flex h-full w-full items-center gap-3">
        <div className="h-full min-h-0 min-w-0 flex-1">
          <PieChart responsive style={{ width: '100%', height: '100%' }} accessibilityLayer={false}>
            <Pie
              data={positive}
              dataKey="value"
              nameKey="label"
              innerRadius="55%"
              outerRadius="90%"
              paddingAngle={1}
              isAnimationActive={false}
              cursor={onSelect ? 'pointer' : undefined}
              onClick={(_, index) => {
                const slice = positive[index];
                if (slice) onSelect?.(slices.indexOf(slice));
              }}
            >
              {positive.map((s) => (
                <Cell key={s.key} fill={seriesColor(slices.indexOf(s))} />
              ))}
            </Pie>
            <Tooltip formatter={(v) => (typeof v === 'number' ? formatValue(v) : String(v))} />
          </PieChart>
        </div>
        <ul className="max-h-full w-1/2 max-w-48 shrink-0 space-y-1 overflow-auto text-xs">
          {slices.map((s, i) => (
            <li key={s.key} className="flex items-center gap-1.5">
              <span className="inline-block h-2.5 w-2.5 shrink-0 rounded-sm" style={{ backgroundColor: seriesColor(i) }} />
              <span className="min-w-0 flex-1 truncate text-slate-700" title={s.label}>
                {s.label}
              </span>
              <span className="tabular-nums text-slate-500">{total > 0 ? share.format(Math.max(0, s.value) / total) : '—'}</span>
            </li>
          ))}
        </ul>
      </div>
    </ChartFrame>
  );
}
