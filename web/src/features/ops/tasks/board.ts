/** Kanban arithmetic: where a dropped card lands and the position that keeps it there. */
import type { Task, TaskStatus } from '../shared/types';

export const BOARD_COLUMNS: TaskStatus[] = ['todo', 'in_progress', 'blocked', 'done'];

export type Columns = Partial<Record<TaskStatus, Task[]>>;

export interface Move {
  taskId: string;
  to: TaskStatus;
  /** Index in the target column, counted without the moved card. */
  index: number;
}

/**
 * A position between the neighbours at `index` of `others` (the column without the moved card):
 * positions are floats, so a move changes one task only.
 */
export function positionAt(others: Pick<Task, 'position'>[], index: number, current: number): number {
  if (others.length === 0) return current;
  const before = others[index - 1];
  const after = others[index];
  if (!before) return after!.position - 1;
  if (!after) return before.position + 1;
  if (before.position === after.position) return before.position; // ties keep their server order
  return (before.position + after.position) / 2;
}

/** The columns after a move, and the PATCH body it needs (null when nothing changes). */
export function applyMove(columns: Columns, move: Move): { columns: Columns; patch: { status?: TaskStatus; position: number } } | null {
  const from = (Object.keys(columns) as TaskStatus[]).find((status) => columns[status]?.some((t) => t.id === move.taskId));
  if (!from) return null;
  const task = columns[from]!.find((t) => t.id === move.taskId)!;
  const others = (columns[move.to] ?? []).filter((t) => t.id !== move.taskId);
  const index = Math.max(0, Math.min(move.index, others.length));
  const oldIndex = columns[from]!.indexOf(task);
  if (from === move.to && index === oldIndex) return null;
  const position = positionAt(others, index, task.position);
  const moved: Task = { ...task, status: move.to, position };
  const next: Columns = { ...columns, [from]: columns[from]!.filter((t) => t.id !== move.taskId) };
  next[move.to] = [...others.slice(0, index), moved, ...others.slice(index)];
  const patch = from === move.to ? { position } : { status: move.to, position };
  return { columns: next, patch };
}
