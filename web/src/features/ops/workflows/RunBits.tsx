/** Pieces the runs list and a run's page share: the status badge and the approve / reject form. */
import { useId, useState } from 'react';
import { Badge, Button, ProblemAlert, TextArea } from '../../../components';
import { useDecide } from './hooks';
import { runStatus } from './labels';

export function RunStatusBadge({ status, waitingFor }: { status: string; waitingFor?: string | null }) {
  const info = runStatus(status);
  const suffix = status === 'waiting' && waitingFor ? ` for ${waitingFor === 'child' ? 'another automation' : waitingFor}` : '';
  return (
    <Badge tone={info.tone}>
      <span aria-hidden="true" className="mr-1">
        {info.icon}
      </span>
      {info.label}
      {suffix}
    </Badge>
  );
}

/** A comment and Approve / Reject for a run's pending approval (`path` picks one of several). */
export function ApprovalDecision({ runId, path, onDecided }: { runId: string; path: string | null; onDecided?: () => void }) {
  const [comment, setComment] = useState('');
  const decide = useDecide();
  const id = useId();
  const send = (decision: 'approve' | 'reject') =>
    decide.mutate(
      { runId, decision, comment, path },
      {
        onSuccess: () => {
          setComment('');
          onDecided?.();
        },
      },
    );
  return (
    <div className="space-y-2">
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        Comment (optional)
      </label>
      <TextArea id={id} rows={2} value={comment} onChange={(e) => setComment(e.target.value)} placeholder="Why, for the record" />
      <div className="flex gap-2">
        <Button size="sm" loading={decide.isPending && decide.variables?.decision === 'approve'} disabled={decide.isPending} onClick={() => send('approve')}>
          Approve
        </Button>
        <Button size="sm" variant="danger" loading={decide.isPending && decide.variables?.decision === 'reject'} disabled={decide.isPending} onClick={() => send('reject')}>
          Reject
        </Button>
      </div>
      <ProblemAlert error={decide.error} title="Could not record the decision" />
    </div>
  );
}
