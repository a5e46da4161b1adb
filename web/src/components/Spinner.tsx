import { cn } from '../lib/cn';

interface SpinnerProps {
  size?: 'sm' | 'md' | 'lg';
  label?: string;
  /** Purely visual (inside a busy button): no status role. */
  decorative?: boolean;
  className?: string;
}

const sizes = { sm: 'h-4 w-4 border-2', md: 'h-6 w-6 border-2', lg: 'h-10 w-10 border-[3px]' };

export function Spinner({ size = 'md', label = 'Loading…', decorative = false, className }: SpinnerProps) {
  const circle = (
    <span
      aria-hidden="true"
      className={cn('inline-block animate-spin rounded-full border-current border-r-transparent', sizes[size])}
    />
  );
  if (decorative) return circle;
  return (
    <span role="status" className={cn('inline-flex items-center gap-2 text-slate-500', className)}>
      {circle}
      <span className="sr-only">{label}</span>
    </span>
  );
}

export function PageSpinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="flex min-h-[40vh] items-center justify-center">
      <Spinner size="lg" label={label} className="text-brand-600" />
    </div>
  );
}
