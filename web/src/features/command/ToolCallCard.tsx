import { useId } from 'react';
import { Badge, Button } from '../../components';
import { IconChevronDown } from '../../components/Icons';
import type { Turn } from './conversation';
import type { ToolCallOut, ToolStatus } from './types';

const STATUS: Record<ToolStatus, { label: string; tone: 'success' | 'warning' | 'danger' | 'neutral' }> = {
  done: { label: 'Done', tone: 'success' },
  needs_confirmation: { label: 'Needs confirmation', tone: 'warning' },
  denied: { label: 'Not allowed', tone: 'danger' },
  failed: { label: 'Failed', tone: 'danger' },
  cancelled: { label: 'Cancelled', tone: 'neutral' },
};

const DECIDED = {
  confirm: { label: 'Confirmed', tone: 'neutral' },
  cancel: { label: 'Cancelled', tone: 'neutral' },
} as const;

/** "invite_member" → "Invite member". */
export function toolLabel(tool: string): string {
  const words = tool.replace(/_/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function Args({ args }: { args: Record<string, unknown> }) {
  const entries = Object.entries(args);
  if (entries.length === 0) return <p className="text-xs text-slate-500">No arguments.</p>;
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
      {entries.map(([name, value]) => (
        <div key={name} className="contents">
          <dt className="font-medium text-slate-500">{name}</dt>
          <dd className="break-all font-mono text-slate-800">{formatValue(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

function DataDetails({ label, value }: { label: string; value: unknown }) {
  return (
    <details className="group mt-2">
      <summary className="flex cursor-pointer list-none items-center gap-1 text-xs font-medium text-slate-600 hover:text-slate-900">
        <IconChevronDown className="h-3.5 w-3.5 -rotate-90 transition-transform group-open:rotate-0" />
        {label}
      </summary>
      <pre className="mt-1.5 max-h-48 overflow-auto rounded-md bg-slate-50 p-2 text-[11px] leading-relaxed text-slate-700 ring-1 ring-slate-200">
        {JSON.stringify(value, null, 2)}
      </pre>
    </details>
  );
}

interface ToolCallCardProps {
  call: ToolCallOut;
  /** For a proposed action: the turn in which the user decided on it, if any. */
  decision?: Turn | null;
  /** Whether Confirm / Cancel may be pressed (nothing else is streaming). */
  canDecide?: boolean;
  onDecide?: (kind: 'confirm' | 'cancel', call: ToolCallOut) => void;
}

/** One tool the assistant ran (or proposes to run): status, summary, arguments and data. */
export function ToolCallCard({ call, decision, canDecide = true, onDecide }: ToolCallCardProps) {
  const titleId = useId();
  const proposed = call.status === 'needs_confirmation';
  // Once the user has decided, the proposal's badge says so (the outcome is the decision turn's card).
  const decided = proposed && decision ? decision.decision?.kind : undefined;
  const status = decided === 'confirm' ? DECIDED.confirm : decided === 'cancel' ? DECIDED.cancel : (STATUS[call.status] ?? STATUS.failed);
  const hasData = call.result?.data !== undefined && call.result?.data !== null;
  return (
    <article
      aria-labelledby={titleId}
      data-tool={call.tool}
      className={proposed && !decision ? 'rounded-lg bg-amber-50/50 p-3 ring-1 ring-amber-200' : 'rounded-lg bg-white p-3 ring-1 ring-slate-200'}
    >
      <header className="flex flex-wrap items-center justify-between gap-2">
        <h3 id={titleId} className="text-sm font-medium text-slate-900">
          {toolLabel(call.tool)} <span className="font-mono text-xs font-normal text-slate-500">{call.tool}</span>
        </h3>
        <Badge tone={status.tone}>{status.label}</Badge>
      </header>
      {call.result?.summary && <p className="mt-1.5 text-sm text-slate-700">{call.result.summary}</p>}
      {call.error && <p className="mt-1.5 text-sm text-red-700">{call.error}</p>}
      {proposed ? (
        <div className="mt-2 space-y-2">
          {!decision && <p className="text-xs text-amber-800">Nothing happens until you confirm.</p>}
          <Args args={call.args} />
          {decision ? (
            <p className="text-xs font-medium text-slate-600" role="status">
              {decision.status === 'streaming'
                ? decision.decision?.kind === 'confirm'
                  ? 'Confirming…'
                  : 'Cancelling…'
                : decision.decision?.kind === 'confirm'
                  ? 'You confirmed this.'
                  : 'You cancelled this.'}
            </p>
          ) : (
            onDecide && (
              <div className="flex gap-2 pt-1">
                <Button size="sm" disabled={!canDecide} onClick={() => onDecide('confirm', call)} aria-label={`Confirm ${toolLabel(call.tool).toLowerCase()}`}>
                  Confirm
                </Button>
                <Button size="sm" variant="secondary" disabled={!canDecide} onClick={() => onDecide('cancel', call)} aria-label={`Cancel ${toolLabel(call.tool).toLowerCase()}`}>
                  Cancel
                </Button>
              </div>
            )
          )}
        </div>
      ) : (
        Object.keys(call.args).length > 0 && <DataDetails label="Arguments" value={call.args} />
      )}
      {hasData && <DataDetails label="Data" value={call.result?.data} />}
    </article>
  );
}
