/**
 * Share of a framework's controls that are met. Not the shared Meter: that one is a usage gauge (red when
 * full), and here full is the goal.
 */
export function CompletionMeter({ label, percent }: { label: string; percent: number }) {
  const clamped = Math.max(0, Math.min(100, percent));
  const tone = clamped >= 80 ? 'bg-emerald-500' : clamped >= 50 ? 'bg-amber-500' : 'bg-red-500';
  return (
    <div
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={clamped}
      aria-valuetext={`${formatPercent(clamped)} complete`}
      className="h-2.5 w-full overflow-hidden rounded-full bg-slate-100 ring-1 ring-inset ring-slate-200"
    >
      <div className={`h-full rounded-full ${tone}`} style={{ width: `${clamped.toFixed(1)}%` }} />
    </div>
  );
}

export function formatPercent(value: number): string {
  return `${Number.isInteger(value) ? value : value.toFixed(1)}%`;
}
