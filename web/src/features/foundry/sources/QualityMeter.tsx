import { cn } from '../../../lib/cn';

/** Completeness from this share up reads as good; below the second, as poor. */
const GOOD = 0.95;
const FAIR = 0.8;

const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

/**
 * A completeness gauge (role="meter"): unlike a usage meter, full is good — green from 95 %,
 * amber from 80 %, red below.
 */
export function QualityMeter({ label, ratio, className }: { label: string; ratio: number; className?: string }) {
  const clamped = Math.min(1, Math.max(0, ratio));
  const tone = clamped >= GOOD ? 'bg-emerald-500' : clamped >= FAIR ? 'bg-amber-500' : 'bg-red-500';
  return (
    <div className={cn('flex items-center gap-2', className)}>
      <div
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(clamped * 1000) / 10}
        aria-valuetext={`${percent.format(clamped)} complete`}
        className="h-2 min-w-0 flex-1 overflow-hidden rounded-full bg-slate-100 ring-1 ring-inset ring-slate-200"
      >
        <div className={cn('h-full rounded-full', tone)} style={{ width: `${(clamped * 100).toFixed(1)}%` }} />
      </div>
      <span className="w-12 shrink-0 text-right text-xs font-medium tabular-nums text-slate-700">{percent.format(clamped)}</span>
    </div>
  );
}
