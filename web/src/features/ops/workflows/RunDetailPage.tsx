/**
 * /ops/runs/:runId: one run as a timeline of its steps (status, attempts, duration, input and output,
 * error), refreshed while it is still queued, running or waiting; Retry a failed run from the step
 * that failed, Cancel one still going, and decide a pending approval.
 */
import { Link, useParams } from 'react-router';
import { Badge, Button, Card, PageSpinner, ProblemAlert } from '../../../components';
import { formatDateTime } from '../../../lib/format';
import { cn } from '../../../lib/cn';
import { canWrite, useRole } from '../../auth/session';
import { useCancelRun, useRetryRun, useRun, useTasksFollowRuns } from './hooks';
import { between, formatDuration, runStatus, stepLabel, TRIGGER_TYPE_LABELS } from './labels';
import { ApprovalDecision, RunStatusBadge } from './RunBits';
import { ACTIVE_RUN_STATUSES, type ApprovalOut, type RunOut, type RunStepOut } from './types';

export function RunDetailPage() {
  const { runId } = useParams();
  const run = useRun(runId);
  useTasksFollowRuns(run.dataUpdatedAt);
  if (run.isPending) return <PageSpinner label="Loading the run" />;
  if (run.isError || !run.data) return <ProblemAlert error={run.error} title="Could not load the run" />;
  return <RunView run={run.data} />;
}

function RunView({ run }: { run: RunOut }) {
  const writer = canWrite(useRole());
  const retry = useRetryRun();
  const cancel = useCancelRun();
  const moving = ACTIVE_RUN_STATUSES.has(run.status);
  const error = run.error as { message?: string; code?: string; step?: string } | null;
  const pending = (run.approvals ?? []).filter((a) => a.status === 'pending');
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div className="min-w-0">
          <Link to="/ops/runs" className="text-sm text-slate-500 hover:text-brand-700">
            ← Runs
          </Link>
          <h1 className="mt-1 text-2xl font-semibold tracking-tight text-slate-900">{run.workflow_name ?? 'Automation run'}</h1>
          <div className="mt-1 flex flex-wrap items-center gap-3 text-sm text-slate-500">
            <span data-testid="run-status">
              <RunStatusBadge status={run.status} waitingFor={run.waiting_for} />
            </span>
            <span>{TRIGGER_TYPE_LABELS[run.trigger_type] ?? run.trigger_type} trigger</span>
            <span>Started {formatDateTime(run.started_at ?? run.created_at)}</span>
            {run.finished_at && <span>took {formatDuration(between(run.started_at ?? run.created_at, run.finished_at))}</span>}
            {run.attempt > 1 && <span>attempt {run.attempt}</span>}
            {moving && <span className="text-brand-700">Updating live</span>}
          </div>
        </div>
        <div className="flex flex-wrap gap-2">
          <Link to={`/ops/automations/${run.workflow_id}`} className="rounded-lg px-3.5 py-2 text-sm font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-50">
            Open the automation
          </Link>
          {writer && run.status === 'failed' && (
            <Button loading={retry.isPending} onClick={() => retry.mutate(run.id)}>
              Retry from the failed step
            </Button>
          )}
          {writer && moving && (
            <Button variant="danger" loading={cancel.isPending} onClick={() => cancel.mutate(run.id)}>
              Cancel run
            </Button>
          )}
        </div>
      </div>

      <ProblemAlert error={retry.error} title="Could not retry" />
      <ProblemAlert error={cancel.error} title="Could not cancel" />

      {error && (
        <div role="alert" className="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
          <p className="font-semibold">{run.status === 'rejected' ? 'Rejected' : `Failed${error.step ? ` at ${error.step}` : ''}`}</p>
          {error.message && <p className="mt-0.5">{error.message}</p>}
          {error.code && <p className="mt-0.5 font-mono text-xs">{error.code}</p>}
        </div>
      )}

      {pending.map((approval) => (
        <ApprovalCard key={approval.id} run={run} approval={approval} several={pending.length > 1} />
      ))}

      <Card title="Steps" description={run.steps?.length ? undefined : moving ? 'No step has run yet.' : 'No step ran.'}>
        <ol aria-label="Run timeline" className="relative space-y-4 border-l-2 border-slate-200 pl-6">
          {(run.steps ?? []).map((step) => (
            <TimelineStep key={`${step.path}-${step.seq}`} step={step} />
          ))}
        </ol>
      </Card>

      <Card title="Trigger data">
        <Json value={run.trigger_data} label="Trigger data" open={false} />
      </Card>
    </div>
  );
}

function ApprovalCard({ run, approval, several }: { run: RunOut; approval: ApprovalOut; several: boolean }) {
  const approvals = approval.decisions.filter((d) => d.decision === 'approve').length;
  return (
    <Card title="Waiting for approval" description={`${approvals} of ${approval.required} approval(s) so far${approval.expires_at ? ` · decides itself ${formatDateTime(approval.expires_at)}` : ''}`} className="ring-amber-300">
      <section aria-label="Approval" className="space-y-3">
        {approval.message && <p className="whitespace-pre-line text-sm text-slate-800">{approval.message}</p>}
        {approval.decisions.length > 0 && (
          <ul className="space-y-1 text-sm text-slate-600">
            {approval.decisions.map((d, i) => (
              <li key={i}>
                {d.decision === 'approve' ? '✓ Approved' : '✕ Rejected'}
                {typeof d.comment === 'string' && d.comment ? ` — “${d.comment}”` : ''}
              </li>
            ))}
          </ul>
        )}
        <ApprovalDecision runId={run.id} path={several ? approval.path : null} />
      </section>
    </Card>
  );
}

const DOT: Record<string, string> = {
  success: 'bg-emerald-500 text-white',
  danger: 'bg-red-500 text-white',
  warning: 'bg-amber-400 text-white',
  brand: 'bg-brand-600 text-white',
  neutral: 'bg-slate-300 text-slate-700',
};

function TimelineStep({ step }: { step: RunStepOut }) {
  const info = runStatus(step.status);
  const depth = step.path.split('.').length - 1;
  const duration = step.duration_ms ?? between(step.started_at, step.finished_at);
  return (
    <li aria-label={`${step.step_id}: ${info.label}`} className="relative">
      <span aria-hidden="true" className={cn('absolute -left-[35px] top-0.5 flex h-5 w-5 items-center justify-center rounded-full text-[11px] font-bold ring-4 ring-white', DOT[info.tone])}>
        {info.icon}
      </span>
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-medium text-slate-900">{stepLabel(step.type)}</span>
        <span className="font-mono text-xs text-slate-500">{depth > 0 ? step.path : step.step_id}</span>
        <Badge tone={info.tone}>{info.label}</Badge>
      </div>
      <p className="mt-0.5 text-xs text-slate-500">
        {step.attempts > 1 ? `${step.attempts} attempts · ` : step.attempts === 1 ? '1 attempt · ' : ''}
        {step.finished_at ? formatDuration(duration) : step.status === 'waiting' ? 'waiting' : 'in progress'}
      </p>
      {step.error && <p className="mt-1 text-sm text-red-700">{step.error}</p>}
      {typeof step.output?.link === 'string' && step.output.link.startsWith('/') && (
        <Link to={step.output.link} className="mt-1 inline-block text-sm font-medium text-brand-700 hover:underline">
          {step.type === 'create_task' || step.type === 'update_task' ? 'Open the task' : 'Open'}
        </Link>
      )}
      <div className="mt-1 flex flex-wrap gap-4">
        {Object.keys(step.input ?? {}).length > 0 && <Json value={step.input} label="Input" />}
        {step.output && Object.keys(step.output).length > 0 && <Json value={step.output} label="Output" />}
      </div>
    </li>
  );
}

function Json({ value, label, open = false }: { value: unknown; label: string; open?: boolean }) {
  return (
    <details className="min-w-0 max-w-full" open={open}>
      <summary className="cursor-pointer text-xs font-medium text-slate-600">{label}</summary>
      <pre className="mt-1 max-h-72 max-w-full overflow-auto rounded bg-slate-50 p-2 text-xs text-slate-700">{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}
