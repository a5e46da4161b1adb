import { useId } from 'react';
import { cn } from '../lib/cn';

export interface BarSeries {
  key: string;
  label: string;
  /** Any CSS colour (an SVG fill). */
  color: string;
}

export interface BarGroup {
  key: string;
  /** Axis and tooltip label, e.g. "Nov 3". */
  label: string;
  /** Value per series key; missing means 0. */
  values: Record<string, number>;
}

interface StackedBarChartProps {
  title: string;
  /** One sentence a screen reader hears after the title (what the bars show, the totals). */
  description: string;
  series: BarSeries[];
  groups: BarGroup[];
  formatValue?: (value: number) => string;
  /** Y-axis tick labels; compact numbers ("12K") by default. */
  formatTick?: (value: number) => string;
  /** Unit for tooltips and the table, e.g. "tokens". */
  unit?: string;
  /** Label every n-th group on the x axis, counted back from the last one (all when 1). */
  labelEvery?: number;
  className?: string;
}

const WIDTH = 720;
const HEIGHT = 220;
const PAD = { top: 12, right: 8, bottom: 28, left: 52 };
const TICKS = 4;

const number = new Intl.NumberFormat();
const compactNumber = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

/** The smallest 1/2/5×10ⁿ step that covers `max` in `TICKS` steps. */
export function niceStep(max: number, ticks = TICKS): number {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  return step;
}

function total(group: BarGroup, series: BarSeries[]): number {
  return series.reduce((sum, s) => sum + (group.values[s.key] ?? 0), 0);
}

/**
 * A small dependency-free stacked bar chart. Accessible: the SVG is an image with a title and a
 * description, each bar segment has a tooltip, and the same numbers are available as a table.
 */
export function StackedBarChart({
  title,
  description,
  series,
  groups,
  formatValue = (v) => number.format(v),
  formatTick = (v) => compactNumber.format(v),
  unit = '',
  labelEvery = 1,
  className,
}: StackedBarChartProps) {
  const titleId = useId();
  const descId = useId();
  const max = Math.max(0, ...groups.map((g) => total(g, series)));
  const step = niceStep(max);
  const top = step * TICKS;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = groups.length > 0 ? plotW / groups.length : plotW;
  const barW = Math.max(2, Math.min(28, slot * 0.7));
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const suffix = unit ? ` ${unit}` : '';

  return (
    <figure className={cn('space-y-3', className)}>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${titleId} ${descId}`}
        className="h-auto w-full overflow-visible"
      >
        <title id={titleId}>{title}</title>
        <desc id={descId}>{description}</desc>
        {Array.from({ length: TICKS + 1 }, (_, i) => {
          const v = step * i;
          return (
            <g key={i} aria-hidden="true">
              <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(v)} y2={y(v)} className="stroke-slate-200" strokeDasharray={i === 0 ? undefined : '3 3'} />
              <text x={PAD.left - 6} y={y(v)} dy="0.32em" textAnchor="end" className="fill-slate-400 text-[10px]">
                {formatTick(v)}
              </text>
            </g>
          );
        })}
        {groups.map((g, i) => {
          const x = PAD.left + slot * i + (slot - barW) / 2;
          let base = 0;
          return (
            <g key={g.key} data-group={g.key}>
              {series.map((s) => {
                const v = g.values[s.key] ?? 0;
                if (v <= 0) return null;
                const rect = (
                  <rect key={s.key} x={x} y={y(base + v)} width={barW} height={Math.max(0.5, y(base) - y(base + v))} fill={s.color} rx={1.5}>
                    <title>{`${g.label} — ${s.label}: ${formatValue(v)}${suffix}`}</title>
                  </rect>
                );
                base += v;
                return rect;
              })}
              {(groups.length - 1 - i) % labelEvery === 0 && (
                <text x={x + barW / 2} y={HEIGHT - PAD.bottom + 16} textAnchor="middle" className="fill-slate-500 text-[10px]" aria-hidden="true">
                  {g.label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-slate-600">
        <ul className="flex flex-wrap gap-x-4 gap-y-1" aria-label="Legend">
          {series.map((s) => (
            <li key={s.key} className="flex items-center gap-1.5">
              <span aria-hidden="true" className="inline-block h-2.5 w-2.5 rounded-sm" style={{ backgroundColor: s.color }} />
              {s.label}
            </li>
          ))}
        </ul>
      </figcaption>
      <details className="text-sm">
        <summary className="cursor-pointer text-xs font-medium text-slate-600 hover:text-slate-900">Show as a table</summary>
        <div className="mt-2 max-h-64 overflow-auto">
          <table className="min-w-full text-xs">
            <caption className="sr-only">{title}</caption>
            <thead>
              <tr className="text-left text-slate-500">
                <th scope="col" className="px-2 py-1 font-semibold">
                  Day
                </th>
                {series.map((s) => (
                  <th key={s.key} scope="col" className="px-2 py-1 text-right font-semibold">
                    {s.label}
                  </th>
                ))}
                <th scope="col" className="px-2 py-1 text-right font-semibold">
                  Total
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {groups.map((g) => (
                <tr key={g.key}>
                  <th scope="row" className="px-2 py-1 text-left font-normal text-slate-700">
                    {g.label}
                  </th>
                  {series.map((s) => (
                    <td key={s.key} className="px-2 py-1 text-right tabular-nums text-slate-700">
                      {formatValue(g.values[s.key] ?? 0)}
                    </td>
                  ))}
                  <td className="px-2 py-1 text-right font-medium tabular-nums text-slate-900">{formatValue(total(g, series))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
