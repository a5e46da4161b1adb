/** Small pieces several Marketplace Intel pages share. */
import type { ReactNode } from 'react';
import { cn } from '../../lib/cn';

/** A list of named facts (a preview, a competitor's profile, a product's market). */
export function Facts({ items, label, columns = 2 }: { items: [string, ReactNode][]; label: string; columns?: 1 | 2 }) {
  return (
    <dl aria-label={label} className={cn('grid gap-x-6 gap-y-1 text-sm', columns === 2 && 'sm:grid-cols-2')}>
      {items.map(([name, value]) => (
        <div key={name} className="flex justify-between gap-3 border-b border-slate-100 py-1">
          <dt className="text-slate-500">{name}</dt>
          <dd className="min-w-0 break-words text-right font-medium text-slate-800">{value ?? '—'}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A headline number with its label (my price, market median, market index…). */
export function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <div className="rounded-lg bg-slate-50 px-3 py-2 ring-1 ring-inset ring-slate-100">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="text-lg font-semibold tabular-nums text-slate-900">{value}</dd>
      {hint && <dd className="text-xs text-slate-500">{hint}</dd>}
    </div>
  );
}

/** An external link that says it opens elsewhere and leaks nothing. */
export function ExternalLink({ href, children, className }: { href: string; children?: ReactNode; className?: string }) {
  return (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow" className={cn('break-all text-brand-700 hover:text-brand-800 hover:underline', className)}>
      {children ?? href}
      <span className="sr-only"> (opens in a new tab)</span>
    </a>
  );
}
