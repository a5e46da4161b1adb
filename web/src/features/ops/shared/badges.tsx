import { Badge } from '../../../components';
import { cn } from '../../../lib/cn';
import { formatDateTime } from '../../../lib/format';
import { dueText, PRIORITY_LABELS, STATUS_LABELS } from './labels';
import type { Task, TaskPriority, TaskStatus } from './types';

const PRIORITY_TONES = { urgent: 'danger', high: 'warning', medium: 'brand', low: 'neutral' } as const;
const STATUS_TONES = { todo: 'neutral', in_progress: 'brand', blocked: 'warning', done: 'success', cancelled: 'neutral' } as const;

export function PriorityBadge({ priority }: { priority: TaskPriority }) {
  return <Badge tone={PRIORITY_TONES[priority]}>{PRIORITY_LABELS[priority]}</Badge>;
}

export function StatusBadge({ status }: { status: TaskStatus }) {
  return <Badge tone={STATUS_TONES[status]}>{STATUS_LABELS[status]}</Badge>;
}

/** The due date in words; red once the task is overdue. */
export function DueBadge({ task, now = new Date() }: { task: Pick<Task, 'due_at' | 'overdue'>; now?: Date }) {
  if (!task.due_at) return null;
  return (
    <span title={formatDateTime(task.due_at)}>
      <Badge tone={task.overdue ? 'danger' : 'neutral'} className={cn(task.overdue && 'font-semibold')}>
        {dueText(task.due_at, now, task.overdue)}
      </Badge>
    </span>
  );
}

/** Shown while a task it waits for is still open. */
export function BlockedBadge({ task }: { task: Pick<Task, 'is_blocked' | 'blocked_by'> }) {
  if (!task.is_blocked) return null;
  const count = task.blocked_by.length;
  return (
    <span title={`Waits for ${count} task${count === 1 ? '' : 's'} still open`}>
      <Badge tone="warning">⛔ Blocked</Badge>
    </span>
  );
}

/** "2/5 subtasks" with a thin bar. */
export function SubtaskProgress({ counts }: { counts: Task['subtasks'] }) {
  if (counts.total === 0) return null;
  const ratio = counts.done / counts.total;
  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-slate-500">
      <span
        role="progressbar"
        aria-label="Subtasks done"
        aria-valuemin={0}
        aria-valuemax={counts.total}
        aria-valuenow={counts.done}
        className="inline-block h-1.5 w-12 overflow-hidden rounded-full bg-slate-200"
      >
        <span className="block h-full rounded-full bg-emerald-500" style={{ width: `${Math.round(ratio * 100)}%` }} />
      </span>
      {counts.done}/{counts.total}
    </span>
  );
}
