import { useId, useState } from 'react';
import { Link } from 'react-router';
import { Card } from '../../../components';
import { SeverityBadge } from '../badges';
import { formatPoints } from '../labels';
import type { Deduction, PosturePart } from '../types';

/** The score's four parts: how many of each part's points are left, and what cost the rest. */
export function PartsCard({ parts }: { parts: PosturePart[] }) {
  return (
    <Card title="Where the points go" description="Four parts make up the score. Open one to see every deduction and the issue behind it.">
      <ul className="space-y-4" aria-label="Score parts">
        {parts.map((part) => (
          <PartRow key={part.key} part={part} />
        ))}
      </ul>
    </Card>
  );
}

function PartRow({ part }: { part: PosturePart }) {
  const [open, setOpen] = useState(false);
  const listId = useId();
  const ratio = part.weight > 0 ? Math.max(0, Math.min(1, part.points / part.weight)) : 0;
  const count = part.deductions.length + part.accepted.length;
  return (
    <li aria-label={part.name}>
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h3 className="text-sm font-semibold text-slate-800">
          {part.name} <span className="font-normal text-slate-500">({formatPoints(part.weight)} points)</span>
        </h3>
        <p className="text-sm tabular-nums text-slate-700">
          {formatPoints(part.points)} / {formatPoints(part.weight)}
          {part.points_lost > 0 && <span className="ml-2 font-medium text-red-700">−{formatPoints(part.points_lost)} points</span>}
        </p>
      </div>
      <div
        role="meter"
        aria-label={`${part.name} points`}
        aria-valuemin={0}
        aria-valuemax={part.weight}
        aria-valuenow={part.points}
        aria-valuetext={`${formatPoints(part.points)} of ${formatPoints(part.weight)} points`}
        className="mt-1.5 h-2.5 w-full overflow-hidden rounded-full bg-red-100 ring-1 ring-inset ring-slate-200"
      >
        <div className={ratio >= 0.9 ? 'h-full rounded-full bg-emerald-500' : ratio >= 0.6 ? 'h-full rounded-full bg-amber-500' : 'h-full rounded-full bg-red-500'} style={{ width: `${(ratio * 100).toFixed(1)}%` }} />
      </div>
      {count > 0 ? (
        <button
          type="button"
          aria-expanded={open}
          aria-controls={listId}
          onClick={() => setOpen((value) => !value)}
          className="mt-1.5 text-xs font-medium text-brand-700 hover:text-brand-800"
        >
          {open ? 'Hide' : 'Show'} {part.deductions.length} deduction{part.deductions.length === 1 ? '' : 's'}
          {part.accepted.length > 0 && ` and ${part.accepted.length} accepted risk${part.accepted.length === 1 ? '' : 's'}`}
        </button>
      ) : (
        <p className="mt-1.5 text-xs text-slate-500">Nothing deducted.</p>
      )}
      {open && (
        <div id={listId} className="mt-2 space-y-2">
          {part.deductions.length > 0 && (
            <ul aria-label={`${part.name} deductions`} className="divide-y divide-slate-100 rounded-lg ring-1 ring-slate-200">
              {part.deductions.map((deduction, i) => (
                <DeductionRow key={deduction.issue_id ?? `${deduction.check_id}:${deduction.user_id ?? i}`} deduction={deduction} />
              ))}
            </ul>
          )}
          {part.accepted.length > 0 && (
            <div>
              <p className="text-xs font-medium text-slate-500">Accepted risks (listed, not counted)</p>
              <ul aria-label={`${part.name} accepted risks`} className="mt-1 divide-y divide-slate-100 rounded-lg ring-1 ring-slate-200">
                {part.accepted.map((entry, i) => (
                  <DeductionRow key={entry.issue_id ?? i} deduction={{ ...entry, points: 0, part_points: 0 }} accepted />
                ))}
              </ul>
            </div>
          )}
        </div>
      )}
    </li>
  );
}

function DeductionRow({ deduction, accepted = false }: { deduction: Deduction; accepted?: boolean }) {
  const text = deduction.title ?? deduction.reason ?? deduction.check_id;
  const linkClass = 'font-medium text-slate-800 hover:text-brand-700';
  return (
    <li className="flex items-start gap-2 px-3 py-2 text-sm">
      {deduction.severity && <SeverityBadge severity={deduction.severity} />}
      <div className="min-w-0 flex-1">
        {deduction.issue_id ? (
          <Link to={`/security/issues/${deduction.issue_id}`} className={linkClass}>
            {text}
          </Link>
        ) : deduction.user_id ? (
          <Link to="/settings/team" className={linkClass}>
            {text}
          </Link>
        ) : (
          <span className="text-slate-800">{text}</span>
        )}
        {deduction.target && <p className="truncate text-xs text-slate-500">{deduction.target}</p>}
      </div>
      <span className="shrink-0 whitespace-nowrap tabular-nums text-xs font-medium text-slate-600">{accepted ? 'accepted' : `−${formatPoints(deduction.points)} points`}</span>
    </li>
  );
}
