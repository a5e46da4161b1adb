import type { TaskPriority, TaskStatus } from './types';

export const STATUS_LABELS: Record<TaskStatus, string> = {
  todo: 'To do',
  in_progress: 'In progress',
  blocked: 'Blocked',
  done: 'Done',
  cancelled: 'Cancelled',
};

export const PRIORITY_LABELS: Record<TaskPriority, string> = {
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  urgent: 'Urgent',
};

/** Calendar colours per priority (blocks on the schedule, dots on cards). */
export const PRIORITY_COLOURS: Record<TaskPriority, { block: string; dot: string; hex: string }> = {
  urgent: { block: 'bg-red-100 text-red-900 ring-red-300', dot: 'bg-red-500', hex: '#ef4444' },
  high: { block: 'bg-amber-100 text-amber-900 ring-amber-300', dot: 'bg-amber-500', hex: '#f59e0b' },
  medium: { block: 'bg-brand-100 text-brand-900 ring-brand-300', dot: 'bg-brand-500', hex: '#6366f1' },
  low: { block: 'bg-slate-100 text-slate-800 ring-slate-300', dot: 'bg-slate-400', hex: '#94a3b8' },
};

/** "1 h 30 min", "45 min". */
export function formatMinutes(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined) return '—';
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

const DAY = 24 * 60 * 60 * 1000;

/** "Due today", "Due in 3 days", "2 days overdue" — relative to `now`, by calendar day. */
export function dueText(due: string, now: Date, overdue: boolean): string {
  const d = new Date(due);
  if (Number.isNaN(d.getTime())) return due;
  const startOf = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((startOf(d) - startOf(now)) / DAY);
  if (overdue) {
    if (days >= 0) return 'Overdue';
    return days === -1 ? '1 day overdue' : `${-days} days overdue`;
  }
  if (days === 0) return 'Due today';
  if (days === 1) return 'Due tomorrow';
  if (days > 1 && days < 7) return `Due in ${days} days`;
  return `Due ${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric' })}`;
}
