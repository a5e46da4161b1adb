import { useState } from 'react';
import { Badge, Pager, QueryView, StackedBarChart, Table, type BarGroup, type BarSeries, type Column } from '../../components';
import { formatCompactDateTime, formatDateTime } from '../../lib/format';
import { RUNS_PAGE, type StreamCounts, type SyncRun } from './connectionsApi';
import { useRuns } from './connectionsHooks';
import { RUN_STATUS, streamLabel, TRIGGER_LABELS } from './labels';
import { formatDuration } from './time';

type Change = 'created' | 'updated' | 'deleted' | 'failed';
const CHANGES: readonly Change[] = ['created', 'updated', 'deleted', 'failed'];

const SERIES: BarSeries[] = [
  { key: 'created', label: 'Created', color: '#10b981' },
  { key: 'updated', label: 'Updated', color: '#6366f1' },
  { key: 'deleted', label: 'Deleted', color: '#f59e0b' },
  { key: 'failed', label: 'Failed', color: '#ef4444' },
];

function runTotals(run: SyncRun): Record<Change, number> {
  const totals: Record<Change, number> = { created: 0, updated: 0, deleted: 0, failed: 0 };
  for (const counts of Object.values(run.records)) {
    for (const change of CHANGES) totals[change] += counts[change];
  }
  return totals;
}

export function RunStatusBadge({ status }: { status: SyncRun['status'] }) {
  const { label, tone } = RUN_STATUS[status];
  return <Badge tone={tone}>{label}</Badge>;
}

/** A connection's sync history: records per run as a chart, then every run's numbers and errors. */
export function SyncHistory({ connectionId, name }: { connectionId: string; name: string }) {
  const [offset, setOffset] = useState(0);
  const runs = useRuns(connectionId, offset);
  return (
    <QueryView query={runs} loadingLabel="Loading the sync history" errorTitle="Could not load the sync history">
      {(page) =>
        page.items.length === 0 ? (
          <p className="py-4 text-sm text-slate-500">No syncs yet.</p>
        ) : (
          <div className="space-y-4">
            <RunsChart runs={page.items} name={name} />
            <Table caption={`Sync history of ${name}`} columns={columns} rows={page.items} rowKey={(run) => run.id} />
            <Pager total={page.total} limit={RUNS_PAGE} offset={offset} onChange={setOffset} label="Sync history pages" />
          </div>
        )
      }
    </QueryView>
  );
}

function RunsChart({ runs, name }: { runs: SyncRun[]; name: string }) {
  // The API lists newest first; a chart reads left to right, oldest first.
  const chronological = [...runs].reverse();
  const groups: BarGroup[] = chronological.map((run) => ({
    key: run.id,
    label: formatCompactDateTime(run.started_at ?? run.created_at),
    values: { ...runTotals(run) },
  }));
  const written = chronological.reduce((sum, run) => sum + runTotals(run).created + runTotals(run).updated, 0);
  return (
    <StackedBarChart
      title={`Records per sync of ${name}`}
      description={`${runs.length} syncs shown, ${written.toLocaleString()} records created or updated.`}
      series={SERIES}
      groups={groups}
      unit="records"
      labelEvery={Math.max(1, Math.ceil(groups.length / 6))}
    />
  );
}

const columns: Column<SyncRun>[] = [
  { key: 'trigger', header: 'Trigger', cell: (run) => TRIGGER_LABELS[run.trigger], className: 'whitespace-nowrap' },
  { key: 'status', header: 'Status', cell: (run) => <RunStatusBadge status={run.status} /> },
  {
    key: 'started',
    header: 'Started',
    cell: (run) => <span title={formatDateTime(run.started_at)}>{formatCompactDateTime(run.started_at)}</span>,
    className: 'whitespace-nowrap',
  },
  { key: 'duration', header: 'Duration', cell: (run) => formatDuration(run.duration_ms), className: 'whitespace-nowrap tabular-nums' },
  { key: 'records', header: 'Records', cell: (run) => <StreamChanges records={run.records} /> },
  { key: 'requests', header: 'Requests', cell: (run) => run.requests.toLocaleString(), className: 'tabular-nums' },
  { key: 'throttled', header: 'Throttled', cell: (run) => run.throttled.toLocaleString(), className: 'tabular-nums' },
  { key: 'errors', header: 'Errors', cell: (run) => <RunErrors run={run} /> },
];

function StreamChanges({ records }: { records: Record<string, StreamCounts> }) {
  const streams = Object.entries(records);
  if (streams.length === 0) return <span className="text-slate-400">—</span>;
  return (
    <ul className="space-y-0.5 text-xs">
      {streams.map(([stream, counts]) => {
        const changes = CHANGES.filter((change) => counts[change] > 0).map((change) => `${counts[change].toLocaleString()} ${change}`);
        return (
          <li key={stream}>
            <span className="font-medium text-slate-800">{streamLabel(stream)}:</span> {changes.length > 0 ? changes.join(', ') : 'no changes'}
          </li>
        );
      })}
    </ul>
  );
}

function RunErrors({ run }: { run: SyncRun }) {
  if (run.errors.length === 0 && !run.detail) return <span className="text-slate-400">—</span>;
  return (
    <ul className="space-y-0.5 text-xs text-red-700">
      {run.detail && <li>{run.detail}</li>}
      {run.errors.map((error, index) => (
        <li key={`${error.stream}-${index}`}>
          <span className="font-medium">{streamLabel(error.stream)}:</span> {error.message}
        </li>
      ))}
    </ul>
  );
}
