import { ApiError } from '../../../api/problem';
import { ProblemAlert } from '../../../components';

const where = (loc: (string | number)[]) => loc.filter((part) => part !== 'body' && part !== 'query').join('.');

/** A problem with every field error spelled out: a 422's detail names only the first. */
export function ProblemList({ error, title, className }: { error: unknown; title?: string; className?: string }) {
  if (!error) return null;
  const all = error instanceof ApiError ? (error.problem.errors ?? []) : [];
  const errors = all.length > 1 ? all : [];
  return (
    <div className={className}>
      <ProblemAlert error={error} title={title} />
      {errors.length > 0 && (
        <ul className="mt-1 list-disc space-y-0.5 pl-9 text-xs text-red-700">
          {errors.map((e, i) => (
            <li key={i}>
              {where(e.loc) && `${where(e.loc)}: `}
              {e.msg.replace(/^Value error, /, '')}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
