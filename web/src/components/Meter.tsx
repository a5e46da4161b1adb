import { cn } from '../lib/cn';

interface MeterProps {
  label: string;
  value: number;
  max: number;
  /** What a screen reader hears, e.g. "12,000 of 500,000 tokens". */
  valueText: string;
  className?: string;
}

/** A horizontal gauge (role="meter"): brand colour, amber from 80 %, red when full. */
export function Meter({ label, value, max, valueText, className }: MeterProps) {
  const ratio = max > 0 ? Math.min(1, Math.max(0, value / max)) : 1;
  const tone = ratio >= 1 ? 'bg-red-500' : ratio >= 0.8 ? 'bg-amber-500' : 'bg-brand-600';
  return (
    <div
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={Math.min(value, max)}
      aria-valuetext={valueText}
      className={cn('h-2.5 w-full overflow-hidden rounded-full bg-slate-100 ring-1 ring-inset ring-slate-200', className)}
    >
      <div className={cn('h-full rounded-full transition-[width]', tone)} style={{ width: `${(ratio * 100).toFixed(1)}%` }} />
    </div>
  );
}
