import { useState } from 'react';
import { Button, ConfirmDialog, ProblemAlert, Select } from '../../../components';
import { useBulkTasks } from '../shared/hooks';
import { PRIORITY_LABELS, STATUS_LABELS } from '../shared/labels';
import { PRIORITIES, STATUSES, type BulkPatch, type Member, type TaskPriority, type TaskStatus } from '../shared/types';

interface BulkBarProps {
  ids: string[];
  members: Member[];
  onDone: () => void;
}

/** Changes for every selected task at once: one request, one transaction on the server. */
export function BulkBar({ ids, members, onDone }: BulkBarProps) {
  const bulk = useBulkTasks();
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const count = ids.length;

  const update = (patch: BulkPatch) =>
    bulk.mutate(
      { ids, action: 'update', patch },
      {
        onSuccess: (result) => {
          setMessage(`Updated ${result.updated} task${result.updated === 1 ? '' : 's'}.`);
          onDone();
        },
      },
    );

  const remove = () =>
    bulk.mutate(
      { ids, action: 'delete' },
      {
        onSuccess: (result) => {
          setConfirming(false);
          setMessage(`Deleted ${result.deleted} task${result.deleted === 1 ? '' : 's'}.`);
          onDone();
        },
      },
    );

  if (count === 0) {
    return message ? (
      <p role="status" className="text-sm text-emerald-700">
        {message}
      </p>
    ) : null;
  }
  return (
    <div role="region" aria-label="Bulk actions" className="flex flex-wrap items-center gap-3 rounded-xl bg-brand-50 px-4 py-3 ring-1 ring-brand-100">
      <p className="text-sm font-medium text-brand-900">{count} selected</p>
      <Select aria-label="Set status" className="w-40" value="" disabled={bulk.isPending} onChange={(e) => update({ status: e.target.value as TaskStatus })}>
        <option value="" disabled>
          Set status…
        </option>
        {STATUSES.map((s) => (
          <option key={s} value={s}>
            {STATUS_LABELS[s]}
          </option>
        ))}
      </Select>
      <Select aria-label="Set priority" className="w-40" value="" disabled={bulk.isPending} onChange={(e) => update({ priority: e.target.value as TaskPriority })}>
        <option value="" disabled>
          Set priority…
        </option>
        {PRIORITIES.map((p) => (
          <option key={p} value={p}>
            {PRIORITY_LABELS[p]}
          </option>
        ))}
      </Select>
      <Select
        aria-label="Set assignee"
        className="w-44"
        value=""
        disabled={bulk.isPending}
        onChange={(e) => update({ assignee_id: e.target.value === 'none' ? null : e.target.value })}
      >
        <option value="" disabled>
          Assign to…
        </option>
        <option value="none">Nobody</option>
        {members.map((m) => (
          <option key={m.user_id} value={m.user_id}>
            {m.full_name || m.email}
          </option>
        ))}
      </Select>
      <Button size="sm" variant="danger" onClick={() => setConfirming(true)} disabled={bulk.isPending}>
        Delete
      </Button>
      <ProblemAlert className="w-full" error={bulk.error} title="Could not change the tasks" />
      <ConfirmDialog
        open={confirming}
        title={`Delete ${count} task${count === 1 ? '' : 's'}?`}
        description="Their subtasks are deleted with them. This cannot be undone."
        confirmLabel="Delete"
        busy={bulk.isPending}
        onConfirm={remove}
        onClose={() => setConfirming(false)}
      />
    </div>
  );
}
