/** The task editor's form values (strings, as inputs hold them) and the PATCH they amount to. */
import type { Task, TaskPriority, TaskStatus, TaskUpdate } from '../shared/types';

export interface TaskForm {
  title: string;
  description: string;
  status: TaskStatus;
  priority: TaskPriority;
  /** `datetime-local` value in the browser's zone, '' for none. */
  due: string;
  /** Whole minutes, '' for none. */
  estimate: string;
  /** A user id, '' for unassigned. */
  assignee: string;
  /** Comma- or space-separated, with or without '#'. */
  tags: string;
  category: string;
  /** A task id, '' for a top-level task. */
  parent: string;
  blockedBy: string[];
}

const pad = (n: number) => String(n).padStart(2, '0');

export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function parseTags(value: string): string[] {
  const seen = new Map<string, string>();
  for (const raw of value.split(/[,\s]+/)) {
    const tag = raw.replace(/^#+/, '').trim();
    if (tag && !seen.has(tag.toLowerCase())) seen.set(tag.toLowerCase(), tag);
  }
  return [...seen.values()];
}

export function formFromTask(task: Task): TaskForm {
  return {
    title: task.title,
    description: task.description ?? '',
    status: task.status,
    priority: task.priority,
    due: toLocalInput(task.due_at),
    estimate: task.estimate_minutes === null ? '' : String(task.estimate_minutes),
    assignee: task.assignee_id ?? '',
    tags: task.tags.join(', '),
    category: task.category ?? '',
    parent: task.parent_id ?? '',
    blockedBy: [...task.blocked_by],
  };
}

/** What the form would change, field by field: only differences are sent. */
export function patchFromForm(task: Task, form: TaskForm): TaskUpdate {
  const base = formFromTask(task);
  const patch: TaskUpdate = {};
  if (form.title.trim() !== task.title) patch.title = form.title.trim();
  if (form.description !== base.description) patch.description = form.description.trim() ? form.description : null;
  if (form.status !== task.status) patch.status = form.status;
  if (form.priority !== task.priority) patch.priority = form.priority;
  if (form.due !== base.due) patch.due_at = fromLocalInput(form.due);
  if (form.estimate.trim() !== base.estimate) patch.estimate_minutes = form.estimate.trim() ? Number(form.estimate) : null;
  if (form.assignee !== base.assignee) patch.assignee_id = form.assignee || null;
  const tags = parseTags(form.tags);
  if (tags.join('\n') !== task.tags.join('\n')) patch.tags = tags;
  if (form.category.trim() !== base.category) patch.category = form.category.trim() || null;
  if (form.parent !== base.parent) patch.parent_id = form.parent || null;
  const blockers = [...form.blockedBy].sort();
  if (blockers.join() !== [...task.blocked_by].sort().join()) patch.blocked_by = form.blockedBy;
  return patch;
}

/** Problems the browser can see before asking the server, by field. */
export function formProblems(form: TaskForm): Partial<Record<keyof TaskForm, string>> {
  const problems: Partial<Record<keyof TaskForm, string>> = {};
  if (!form.title.trim()) problems.title = 'A task needs a title.';
  const estimate = form.estimate.trim();
  if (estimate && !(/^\d+$/.test(estimate) && Number(estimate) >= 1)) problems.estimate = 'Whole minutes, at least 1.';
  return problems;
}
