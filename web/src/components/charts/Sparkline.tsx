import { Line, LineChart, YAxis } from 'recharts';

interface SparklineProps {
  values: (number | null)[];
  /** Earlier period's values, drawn faint and dashed behind. */
  comparison?: (number | null)[];
  color?: string;
  className?: string;
}

/** A tiny trend line without axes (decorative: the numbers are said elsewhere). */
export function Sparkline({ values, comparison, color = '#4f46e5', className }: SparklineProps) {
  if (values.length < 2) return null;
  const data = values.map((v, i) => ({ v, c: comparison?.[i] ?? null }));
  return (
    <div aria-hidden="true" className={className}>
      <LineChart responsive style={{ width: '100%', height: '100%' }} data={data} margin={{ top: 2, right: 2, bottom: 2, left: 2 }} accessibilityLayer={false}>
        <YAxis hide domain={['dataMin', 'dataMax']} />
        {comparison && <Line dataKey="c" stroke="#94a3b8" strokeWidth={1} strokeDasharray="3 3" dot={false} isAnimationActive={false} connectNulls />}
        <Line dataKey="v" stroke={color} strokeWidth={1.75} dot={false} isAnimationActive={false} connectNulls />
      </LineChart>
    </div>
  );
}
