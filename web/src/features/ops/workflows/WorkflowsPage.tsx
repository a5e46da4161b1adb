/** /ops/automations: every automation with its trigger in words, an on/off switch, its last run and
 * how its runs went; run manual ones now, delete, or start a new one. */
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { Button, Card, ConfirmDialog, EmptyState, ProblemAlert, QueryView, Table, type Column } from '../../../components';
import { IconPlus, IconSparkles } from '../../../components/Icons';
import { formatCompactDateTime, formatDateTime } from '../../../lib/format';
import { cn } from '../../../lib/cn';
import { canWrite, useRole } from '../../auth/session';
import { describeTrigger } from './describe';
import { useDeleteWorkflow, useRunNow, useSetActive, useWorkflows } from './hooks';
import type { WorkflowOut } from './types';

export function WorkflowsPage() {
  const writer = canWrite(useRole());
  const navigate = useNavigate();
  const workflows = useWorkflows();
  const activation = useSetActive();
  const runNow = useRunNow((run) => navigate(`/ops/runs/${run.id}`));
  const [removing, setRemoving] = useState<WorkflowOut | null>(null);
  const remove = useDeleteWorkflow(() => setRemoving(null));

  const columns: Column<WorkflowOut>[] = [
    {
      key: 'name',
      header: 'Automation',
      cell: (w) => (
        <div className="min-w-0">
          <Link to={`/ops/automations/${w.id}`} className="font-medium text-slate-900 hover:text-brand-700">
            {w.name}
          </Link>
          <p className="mt-0.5 text-xs text-slate-500">{describeTrigger(w.trigger)}</p>
        </div>
      ),
    },
    {
      key: 'active',
      header: 'Active',
      cell: (w) => (
        <Switch
          label={`Active: ${w.name}`}
          checked={w.is_active}
          disabled={!writer || (activation.isPending && activation.variables?.id === w.id)}
          onChange={(on) => activation.mutate({ id: w.id, active: on })}
        />
      ),
    },
    {
      key: 'last',
      header: 'Last run',
      className: 'whitespace-nowrap',
      cell: (w) =>
        w.last_run_at ? (
          <Link to={`/ops/runs?workflow=${w.id}`} className="hover:text-brand-700" title={formatDateTime(w.last_run_at)}>
            {formatCompactDateTime(w.last_run_at)}
          </Link>
        ) : (
          <span className="text-slate-400">Never</span>
        ),
    },
    {
      key: 'counts',
      header: 'Runs',
      className: 'whitespace-nowrap tabular-nums',
      cell: (w) => (
        <span aria-label={`${w.runs_succeeded} succeeded, ${w.runs_failed} failed`}>
          <span className="text-emerald-700">✓ {w.runs_succeeded}</span>
          <span className={cn('ml-3', w.runs_failed ? 'text-red-700' : 'text-slate-400')}>✕ {w.runs_failed}</span>
        </span>
      ),
    },
  ];
  if (writer) {
    columns.push({
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      className: 'text-right whitespace-nowrap',
      cell: (w) => (
        <div className="flex justify-end gap-2">
          {w.trigger.type === 'manual' && (
            <Button variant="secondary" size="sm" aria-label={`Run ${w.name} now`} loading={runNow.isPending && runNow.variables === w.id} onClick={() => runNow.mutate(w.id)}>
              Run now
            </Button>
          )}
          <Button variant="ghost" size="sm" className="text-red-700 hover:bg-red-50" aria-label={`Delete ${w.name}`} onClick={() => setRemoving(w)}>
            Delete
          </Button>
        </div>
      ),
    });
  }

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Automations</h1>
          <p className="mt-1 text-sm text-slate-500">Work that happens by itself: when an order arrives, on a schedule, or when a metric crosses a line.</p>
        </div>
        <div className="flex gap-2">
          <Link to="/ops/runs" className="rounded-lg px-3.5 py-2 text-sm font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-50">
            Runs
          </Link>
          {writer && (
            <Button icon={<IconPlus className="h-4 w-4" />} onClick={() => navigate('/ops/automations/new')}>
              New automation
            </Button>
          )}
        </div>
      </div>
      <ProblemAlert error={activation.error} title={activation.error?.code === 'PLAN_LIMIT_REACHED' ? 'Plan limit reached' : 'Could not change whether it runs'} />
      <ProblemAlert error={runNow.error} title="Could not start a run" />
      <Card padded={false}>
        <div className="px-2 py-2">
          <QueryView query={workflows} loadingLabel="Loading automations" errorTitle="Could not load the automations">
            {(rows) =>
              rows.length === 0 ? (
                <EmptyState
                  className="m-3"
                  icon={<IconSparkles className="h-6 w-6" />}
                  title="No automations yet"
                  description="Start with a trigger — “when an order over $500 arrives” — and the steps to take: create a task, send an e-mail, call a URL."
                  action={writer ? <Button onClick={() => navigate('/ops/automations/new')}>New automation</Button> : undefined}
                />
              ) : (
                <Table caption="Automations" columns={columns} rows={rows} rowKey={(w) => w.id} />
              )
            }
          </QueryView>
        </div>
      </Card>
      <ConfirmDialog
        open={removing !== null}
        title={`Delete ${removing?.name ?? ''}?`}
        description="It stops running and its history of runs goes with it."
        confirmLabel="Delete automation"
        busy={remove.isPending}
        onConfirm={() => removing && remove.mutate(removing.id)}
        onClose={() => {
          setRemoving(null);
          remove.reset();
        }}
        error={<ProblemAlert className="mt-3" error={remove.error} title="Could not delete" />}
      />
    </div>
  );
}

function Switch({ label, checked, disabled, onChange }: { label: string; checked: boolean; disabled?: boolean; onChange: (on: boolean) => void }) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-label={label}
      disabled={disabled}
      onClick={() => onChange(!checked)}
      className={cn(
        'relative inline-flex h-6 w-11 shrink-0 items-center rounded-full transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600 disabled:cursor-not-allowed disabled:opacity-60',
        checked ? 'bg-brand-600' : 'bg-slate-300',
      )}
    >
      <span className={cn('inline-block h-5 w-5 transform rounded-full bg-white shadow transition-transform', checked ? 'translate-x-5' : 'translate-x-0.5')} />
    </button>
  );
}
