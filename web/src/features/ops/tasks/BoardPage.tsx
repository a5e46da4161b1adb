import { useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { Link } from 'react-router';
import { useMutation, useQueries, useQueryClient } from '@tanstack/react-query';
import type { ApiError } from '../../../api/problem';
import { Checkbox, PageHeader, ProblemAlert, Spinner } from '../../../components';
import { cn } from '../../../lib/cn';
import { initials } from '../../../lib/format';
import { canWrite, useRole } from '../../auth/session';
import { listTasks, updateTask } from '../shared/api';
import { BlockedBadge, DueBadge, PriorityBadge, SubtaskProgress } from '../shared/badges';
import { invalidateTaskData, useMemberNames, useOpsKey } from '../shared/hooks';
import { STATUS_LABELS } from '../shared/labels';
import type { Page, Task, TaskStatus } from '../shared/types';
import { applyMove, BOARD_COLUMNS, type Columns, type Move } from './board';

const COLUMN_LIMIT = 200;
const DRAG_TYPE = 'application/x-binelek-task';

interface MoveVars {
  move: Move;
  from: TaskStatus;
  columns: Columns;
  patch: { status?: TaskStatus; position: number };
}

/** /ops/board: the kanban board. Cards move between and within columns by drag and drop (or Alt+arrows). */
export function BoardPage() {
  const key = useOpsKey();
  const queryClient = useQueryClient();
  const writer = canWrite(useRole());
  const names = useMemberNames();
  const [showCancelled, setShowCancelled] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const statuses: TaskStatus[] = showCancelled ? [...BOARD_COLUMNS, 'cancelled'] : BOARD_COLUMNS;
  const keyOf = (status: TaskStatus) => [...key, 'tasks', 'board', status] as const;

  const queries = useQueries({
    queries: statuses.map((status) => ({
      queryKey: keyOf(status),
      queryFn: () => listTasks({ status: [status], sort: 'position', order: 'asc', limit: COLUMN_LIMIT }),
    })),
  });
  const columns: Columns = {};
  statuses.forEach((status, i) => {
    columns[status] = queries[i]?.data?.items ?? [];
  });

  const move = useMutation<Task, ApiError, MoveVars, Map<TaskStatus, Page<Task> | undefined>>({
    mutationFn: ({ move: m, patch }) => updateTask(m.taskId, patch),
    onMutate: async ({ move: m, from, columns: next }) => {
      await queryClient.cancelQueries({ queryKey: [...key, 'tasks', 'board'] });
      const previous = new Map<TaskStatus, Page<Task> | undefined>();
      for (const status of new Set([from, m.to])) {
        const old = queryClient.getQueryData<Page<Task>>(keyOf(status));
        previous.set(status, old);
        if (old) {
          const items = next[status] ?? [];
          queryClient.setQueryData<Page<Task>>(keyOf(status), { ...old, items, total: old.total + items.length - old.items.length });
        }
      }
      return previous;
    },
    onError: (_error, _vars, previous) => {
      // Put the cards back where the server still has them.
      previous?.forEach((data, status) => queryClient.setQueryData(keyOf(status), data));
      setAnnouncement('The move was undone: the server refused it.');
    },
    onSettled: () => invalidateTaskData(queryClient, key),
  });

  const perform = (m: Move) => {
    const from = statuses.find((s) => columns[s]?.some((t) => t.id === m.taskId));
    const result = from ? applyMove(columns, m) : null;
    if (!from || !result) return;
    const title = columns[from]!.find((t) => t.id === m.taskId)!.title;
    setAnnouncement(`Moved “${title}” to ${STATUS_LABELS[m.to]}, position ${m.index + 1}.`);
    move.mutate({ move: m, from, columns: result.columns, patch: result.patch });
  };

  const pending = queries.some((q) => q.isPending);
  const failed = queries.find((q) => q.isError);
  return (
    <div className="space-y-4">
      <PageHeader
        title="Board"
        description="Drag cards between columns to change their status, or up and down to change their order."
        actions={<Checkbox label="Show cancelled" checked={showCancelled} onChange={(e) => setShowCancelled(e.target.checked)} />}
      />
      <p aria-live="polite" className="sr-only">
        {announcement}
      </p>
      <ProblemAlert error={move.error} title="Could not move the task" />
      {failed ? (
        <ProblemAlert error={failed.error} title="Could not load the board" />
      ) : pending ? (
        <div className="flex justify-center py-10">
          <Spinner label="Loading the board" />
        </div>
      ) : (
        <div className="flex gap-4 overflow-x-auto pb-4">
          {statuses.map((status, i) => (
            <BoardColumn
              key={status}
              status={status}
              tasks={columns[status] ?? []}
              total={queries[i]?.data?.total ?? 0}
              names={names}
              writer={writer}
              statuses={statuses}
              onMove={perform}
            />
          ))}
        </div>
      )}
    </div>
  );
}

interface BoardColumnProps {
  status: TaskStatus;
  tasks: Task[];
  total: number;
  names: Map<string, string>;
  writer: boolean;
  statuses: TaskStatus[];
  onMove: (move: Move) => void;
}

/** Where in `list` (without the dragged card) a pointer at `y` drops: before the first card whose middle is below it. */
function dropIndex(list: HTMLElement | null, y: number, dragged: string | null): number {
  if (!list) return 0;
  const cards = Array.from(list.querySelectorAll<HTMLElement>('[data-task-id]')).filter((el) => el.dataset.taskId !== dragged);
  const index = cards.findIndex((el) => {
    const rect = el.getBoundingClientRect();
    return y < rect.top + rect.height / 2;
  });
  return index === -1 ? cards.length : index;
}

function BoardColumn({ status, tasks, total, names, writer, statuses, onMove }: BoardColumnProps) {
  const list = useRef<HTMLOListElement>(null);
  const [over, setOver] = useState<number | null>(null);

  const draggedId = (e: DragEvent) => e.dataTransfer?.getData(DRAG_TYPE) || e.dataTransfer?.getData('text/plain') || currentDrag.id;

  const onDragOver = (e: DragEvent) => {
    if (!writer) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
    setOver(dropIndex(list.current, e.clientY, currentDrag.id));
  };
  const onDrop = (e: DragEvent) => {
    if (!writer) return;
    e.preventDefault();
    const id = draggedId(e);
    const index = dropIndex(list.current, e.clientY, id);
    setOver(null);
    currentDrag.id = null;
    if (id) onMove({ taskId: id, to: status, index });
  };

  const onKey = (task: Task, index: number) => (e: KeyboardEvent) => {
    if (!writer || !e.altKey) return;
    const col = statuses.indexOf(status);
    const target =
      e.key === 'ArrowLeft' ? { to: statuses[col - 1], index: 0 }
      : e.key === 'ArrowRight' ? { to: statuses[col + 1], index: 0 }
      : e.key === 'ArrowUp' ? { to: status, index: index - 1 }
      : e.key === 'ArrowDown' ? { to: status, index: index + 1 }
      : null;
    if (!target?.to || target.index < 0) return;
    e.preventDefault();
    onMove({ taskId: task.id, to: target.to, index: target.index });
  };

  // Drop slots count the cards without the one being dragged (see dropIndex).
  const draggedAt = tasks.findIndex((t) => t.id === currentDrag.id);
  const slotOf = (index: number) => (draggedAt !== -1 && draggedAt < index ? index - 1 : index);
  const headingId = `board-${status}`;
  return (
    <section
      aria-labelledby={headingId}
      className={cn('flex w-72 shrink-0 flex-col rounded-xl bg-slate-100/80 p-2', over !== null && 'ring-2 ring-brand-300')}
      onDragOver={onDragOver}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver(null);
      }}
      onDrop={onDrop}
    >
      <h2 id={headingId} className="flex items-center justify-between px-2 py-1.5 text-sm font-semibold text-slate-700">
        {STATUS_LABELS[status]}
        <span className="rounded-full bg-white px-2 text-xs font-medium text-slate-500">{total}</span>
      </h2>
      <ol ref={list} aria-label={`${STATUS_LABELS[status]} tasks`} className="min-h-16 flex-1 space-y-2 p-1">
        {tasks.map((task, index) => (
          <li key={task.id}>
            {over !== null && task.id !== currentDrag.id && slotOf(index) === over && <DropMarker />}
            <BoardCard task={task} assignee={task.assignee_id ? (names.get(task.assignee_id) ?? null) : null} writer={writer} onKeyDown={onKey(task, index)} />
          </li>
        ))}
        {over !== null && over >= tasks.length - (draggedAt === -1 ? 0 : 1) && <DropMarker />}
      </ol>
      {total > tasks.length && <p className="px-2 py-1 text-xs text-slate-500">Showing {tasks.length} of {total}; filter the task list for the rest.</p>}
    </section>
  );
}

/** The card being dragged: dataTransfer is unreadable during dragover, so the id is kept here too. */
const currentDrag: { id: string | null } = { id: null };

function DropMarker() {
  return <div aria-hidden="true" className="mb-2 h-1 rounded-full bg-brand-400" />;
}

function BoardCard({ task, assignee, writer, onKeyDown }: { task: Task; assignee: string | null; writer: boolean; onKeyDown: (e: KeyboardEvent) => void }) {
  return (
    <article
      data-task-id={task.id}
      aria-label={task.title}
      aria-roledescription={writer ? 'Draggable task' : undefined}
      tabIndex={0}
      draggable={writer}
      onKeyDown={onKeyDown}
      onDragStart={(e) => {
        currentDrag.id = task.id;
        e.dataTransfer?.setData(DRAG_TYPE, task.id);
        e.dataTransfer?.setData('text/plain', task.id);
        if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
      }}
      onDragEnd={() => {
        currentDrag.id = null;
      }}
      className={cn(
        'space-y-2 rounded-lg bg-white p-3 shadow-sm ring-1 ring-slate-200 focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500',
        writer && 'cursor-grab active:cursor-grabbing',
        task.overdue && 'ring-red-300',
      )}
    >
      <Link to={`/ops/tasks/${task.id}`} draggable={false} className="block text-sm font-medium text-slate-900 hover:text-brand-700">
        {task.title}
      </Link>
      <div className="flex flex-wrap items-center gap-1.5">
        <PriorityBadge priority={task.priority} />
        <DueBadge task={task} />
        <BlockedBadge task={task} />
        <SubtaskProgress counts={task.subtasks} />
        {assignee && (
          <span title={assignee} className="ml-auto inline-flex h-6 w-6 items-center justify-center rounded-full bg-brand-100 text-[10px] font-semibold text-brand-700">
            {initials(assignee)}
          </span>
        )}
      </div>
    </article>
  );
}
