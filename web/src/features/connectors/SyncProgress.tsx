import { cn } from '../../lib/cn';
import { fetchedTotal, type SyncRun } from './connectionsApi';
import { streamLabel } from './labels';

type StreamState = 'done' | 'syncing' | 'waiting';

interface StreamProgress {
  stream: string;
  state: StreamState;
  fetched: number;
  pages: number;
}

/**
 * Where each stream of a live run stands. A run syncs its streams one after the other in the
 * source's order, so every stream before the last one started is done.
 */
export function streamProgress(run: SyncRun, sourceStreams: readonly string[]): StreamProgress[] {
  const wanted = run.streams.length > 0 ? sourceStreams.filter((s) => run.streams.includes(s)) : [...sourceStreams];
  const order = [...wanted, ...Object.keys(run.records).filter((s) => !wanted.includes(s))];
  const current = order.reduce((last, stream, index) => (stream in run.records ? index : last), -1);
  return order.map((stream, index) => ({
    stream,
    state: index < current ? 'done' : index === current ? 'syncing' : 'waiting',
    fetched: run.records[stream]?.fetched ?? 0,
    pages: run.records[stream]?.pages ?? 0,
  }));
}

const STATE_TEXT: Record<StreamState, string> = { done: 'done', syncing: 'syncing', waiting: 'waiting' };

/** A queued or running sync: how far through its streams it is, and the records fetched so far, ticking. */
export function SyncProgress({ run, sourceStreams }: { run: SyncRun; sourceStreams: readonly string[] }) {
  const streams = streamProgress(run, sourceStreams);
  const done = streams.filter((s) => s.state === 'done').length;
  const syncing = streams.find((s) => s.state === 'syncing');
  const fetched = fetchedTotal(run);
  const queued = run.status === 'queued';
  const valueText = queued ? 'Waiting to start' : `${fetched.toLocaleString()} records fetched, ${done} of ${streams.length} streams done`;
  // Half a step for the stream under way, so the bar moves as soon as it starts.
  const shown = streams.length > 0 ? (done + (syncing ? 0.5 : 0)) / streams.length : 0;
  return (
    <div className="space-y-2 rounded-lg bg-brand-50/50 px-3 py-3 ring-1 ring-inset ring-brand-100">
      <div className="flex flex-wrap items-baseline justify-between gap-2 text-xs">
        <span className="font-medium text-brand-800">{queued ? 'Waiting to start…' : syncing ? `Syncing ${streamLabel(syncing.stream)}…` : 'Syncing…'}</span>
        <span className="tabular-nums text-slate-600" aria-live="polite">
          {fetched.toLocaleString()} records fetched
        </span>
      </div>
      <div
        role="progressbar"
        aria-label="Sync progress"
        aria-valuemin={0}
        aria-valuemax={streams.length}
        aria-valuenow={queued ? undefined : done}
        aria-valuetext={valueText}
        className="h-2 w-full overflow-hidden rounded-full bg-white ring-1 ring-inset ring-brand-100"
      >
        <div
          className={cn('h-full rounded-full', queued ? 'w-1/4 animate-pulse bg-brand-300' : 'bg-brand-600 transition-[width]')}
          style={queued ? undefined : { width: `${(shown * 100).toFixed(1)}%` }}
        />
      </div>
      <ul className="grid gap-x-4 gap-y-1 text-xs sm:grid-cols-2" aria-label="Records fetched per stream">
        {streams.map((s) => (
          <li key={s.stream} className="flex items-center justify-between gap-2">
            <span className={cn(s.state === 'waiting' ? 'text-slate-400' : 'text-slate-700')}>
              {streamLabel(s.stream)} <span className="sr-only">({STATE_TEXT[s.state]})</span>
            </span>
            <span className="tabular-nums text-slate-600">
              {s.fetched.toLocaleString()}
              {s.state === 'done' && <span aria-hidden="true"> ✓</span>}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
