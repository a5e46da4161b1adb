/** /ops/runs: every automation run, newest first, filtered by status and automation, paged — with
 * the runs waiting for someone's approval on top. */
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Card, Dialog, EmptyState, Pager, QueryView, Select, Table, type Column } from '../../../components';
import { formatCompactDateTime, formatDateTime } from '../../../lib/format';
import { usePendingApprovals, useRuns, useTasksFollowRuns, useWorkflows } from './hooks';
import { between, formatDuration, RUN_STATUS, TRIGGER_TYPE_LABELS } from './labels';
import { ApprovalDecision, RunStatusBadge } from './RunBits';
import type { RunSummaryOut } from './types';

export const RUNS_PAGE_SIZE = 25;
const STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'rejected'];

export function RunsPage() {
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const workflowId = params.get('workflow') ?? '';
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const runs = useRuns({ status, workflowId, limit: RUNS_PAGE_SIZE, offset });
  const workflows = useWorkflows();
  useTasksFollowRuns(runs.dataUpdatedAt);

  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    if (name !== 'offset') next.delete('offset');
    setParams(next, { replace: true });
  };

  const columns: Column<RunSummaryOut>[] = [
    {
      key: 'started',
      header: 'Started',
      className: 'whitespace-nowrap',
      cell: (r) => (
        <Link to={`/ops/runs/${r.id}`} className="font-medium text-slate-900 hover:text-brand-700" title={formatDateTime(r.created_at)}>
          {formatCompactDateTime(r.created_at)}
        </Link>
      ),
    },
    {
      key: 'workflow',
      header: 'Automation',
      cell: (r) => (
        <Link to={`/ops/runs/${r.id}`} className="hover:text-brand-700">
          {r.workflow_name ?? 'Deleted automation'}
        </Link>
      ),
    },
    { key: 'trigger', header: 'Trigger', cell: (r) => TRIGGER_TYPE_LABELS[r.trigger_type] ?? r.trigger_type },
    { key: 'status', header: 'Status', cell: (r) => <RunStatusBadge status={r.status} waitingFor={r.waiting_for} /> },
    { key: 'duration', header: 'Took', className: 'whitespace-nowrap tabular-nums', cell: (r) => formatDuration(between(r.started_at ?? r.created_at, r.finished_at)) },
    {
      key: 'error',
      header: 'Error',
      cell: (r) => <span className="line-clamp-2 text-xs text-red-700">{typeof r.error?.message === 'string' ? r.error.message : ''}</span>,
    },
  ];

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Runs</h1>
          <p className="mt-1 text-sm text-slate-500">What the automations did, step by step.</p>
        </div>
        <Link to="/ops/automations" className="rounded-lg px-3.5 py-2 text-sm font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-50">
          Automations
        </Link>
      </div>

      <PendingApprovals />

      <Card padded={false}>
        <div className="flex flex-wrap items-end gap-3 border-b border-slate-100 px-4 py-3">
          <label className="text-sm text-slate-600">
            <span className="mb-1 block font-medium text-slate-700">Status</span>
            <Select value={status} onChange={(e) => setFilter('status', e.target.value)} className="w-44">
              <option value="">All statuses</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {RUN_STATUS[s]?.label ?? s}
                </option>
              ))}
            </Select>
          </label>
          <label className="text-sm text-slate-600">
            <span className="mb-1 block font-medium text-slate-700">Automation</span>
            <Select value={workflowId} onChange={(e) => setFilter('workflow', e.target.value)} className="w-64">
              <option value="">All automations</option>
              {(workflows.data ?? []).map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </Select>
          </label>
        </div>
        <div className="px-2 py-2">
          <QueryView query={runs} loadingLabel="Loading runs" errorTitle="Could not load the runs">
            {(page) =>
              page.items.length === 0 ? (
                <EmptyState className="m-3" title="No runs" description={status || workflowId ? 'No run matches these filters.' : 'Runs appear here once an automation starts.'} />
              ) : (
                <>
                  <Table caption="Runs" columns={columns} rows={page.items} rowKey={(r) => r.id} />
                  <Pager total={page.total} limit={page.limit} offset={page.offset} onChange={(next) => setFilter('offset', next ? String(next) : '')} label="Runs pages" />
                </>
              )
            }
          </QueryView>
        </div>
      </Card>
    </div>
  );
}

function PendingApprovals() {
  const pending = usePendingApprovals();
  const [deciding, setDeciding] = useState<RunSummaryOut | null>(null);
  const items = pending.data ?? [];
  if (items.length === 0) return null;
  return (
    <Card title="Waiting for approval" description="These runs continue once someone approves (or stop when someone rejects).">
      <ul aria-label="Pending approvals" className="divide-y divide-slate-100">
        {items.map((run) => (
          <li key={run.id} className="flex flex-wrap items-center justify-between gap-3 py-2">
            <div className="min-w-0">
              <Link to={`/ops/runs/${run.id}`} className="font-medium text-slate-900 hover:text-brand-700">
                {run.workflow_name ?? 'Automation'}
              </Link>
              <p className="text-xs text-slate-500">Started {formatCompactDateTime(run.created_at)}</p>
            </div>
            <button
              type="button"
              onClick={() => setDeciding(run)}
              className="rounded-lg px-2.5 py-1.5 text-xs font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-50"
            >
              Review
            </button>
          </li>
        ))}
      </ul>
      <Dialog open={deciding !== null} onClose={() => setDeciding(null)} title={`Approve ${deciding?.workflow_name ?? 'this run'}?`} description={<Link to={`/ops/runs/${deciding?.id ?? ''}`}>See the run step by step</Link>}>
        {deciding && <ApprovalDecision runId={deciding.id} path={null} onDecided={() => setDeciding(null)} />}
      </Dialog>
    </Card>
  );
}
