import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { toApiError } from '../api/problem';
import { cn } from '../lib/cn';

interface ProblemAlertProps {
  error: unknown;
  className?: string;
  /** Optional title override (e.g. "Could not save"). */
  title?: string;
}

/** Shows a problem+json error's title and detail (and Retry-After for 429s; for a plan limit, where
 * to see the plan's usage). */
export function ProblemAlert({ error, className, title }: ProblemAlertProps) {
  if (!error) return null;
  const e = toApiError(error);
  const { problem } = e;
  const planLimit = problem.code === 'PLAN_LIMIT_REACHED';
  return (
    <div role="alert" className={cn('rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800', className)}>
      <p className="font-semibold">{title ?? (planLimit ? 'Plan limit reached' : problem.title)}</p>
      {problem.detail && problem.detail !== (title ?? problem.title) && <p className="mt-0.5">{problem.detail}</p>}
      {e.retryAfter !== null && <p className="mt-0.5">You can try again in {e.retryAfter} seconds.</p>}
      {planLimit && (
        <p className="mt-1">
          <Link to="/settings/usage" className="font-medium underline">
            See your plan and usage
          </Link>
        </p>
      )}
    </div>
  );
}

export function SuccessAlert({ children, className }: { children: ReactNode; className?: string }) {
  return (
    <div role="status" className={cn('rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-800', className)}>
      {children}
    </div>
  );
}
