import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { Button, Card, Input, ProblemAlert, QueryView } from '../../../components';
import { IconPlus } from '../../../components/Icons';
import { cn } from '../../../lib/cn';
import { DueBadge, PriorityBadge } from '../shared/badges';
import { useCreateTask, useTasks, useUpdateTask } from '../shared/hooks';
import type { Task } from '../shared/types';

/** The task's subtasks: tick them off, open them, add new ones. */
export function SubtasksCard({ parent, writer }: { parent: Task; writer: boolean }) {
  const subtasks = useTasks({ parent_id: parent.id, sort: 'position', limit: 200 });
  const create = useCreateTask();
  const update = useUpdateTask();
  const [title, setTitle] = useState('');

  const add = (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) return;
    create.mutate({ title: title.trim(), parent_id: parent.id }, { onSuccess: () => setTitle('') });
  };

  return (
    <Card title="Subtasks" description={parent.subtasks.total > 0 ? `${parent.subtasks.done} of ${parent.subtasks.total} done` : undefined}>
      <QueryView query={subtasks} loadingLabel="Loading subtasks" errorTitle="Could not load the subtasks">
        {(page) =>
          page.items.length === 0 ? (
            <p className="text-sm text-slate-500">No subtasks.</p>
          ) : (
            <ul aria-label="Subtasks" className="divide-y divide-slate-100">
              {page.items.map((t) => {
                const done = t.status === 'done';
                return (
                  <li key={t.id} className="flex items-center gap-3 py-2">
                    <input
                      type="checkbox"
                      className="h-4 w-4 accent-brand-600"
                      aria-label={`${t.title} done`}
                      checked={done}
                      disabled={!writer || (update.isPending && update.variables?.id === t.id)}
                      onChange={() => update.mutate({ id: t.id, patch: { status: done ? 'todo' : 'done' } })}
                    />
                    <Link to={`/ops/tasks/${t.id}`} className={cn('min-w-0 flex-1 truncate text-sm', done ? 'text-slate-400 line-through' : 'text-slate-800 hover:text-brand-700')}>
                      {t.title}
                    </Link>
                    <PriorityBadge priority={t.priority} />
                    <DueBadge task={t} />
                  </li>
                );
              })}
            </ul>
          )
        }
      </QueryView>
      {writer && (
        <form onSubmit={add} className="mt-3 flex gap-2">
          <Input aria-label="New subtask" placeholder="Add a subtask" value={title} maxLength={300} onChange={(e) => setTitle(e.target.value)} />
          <Button type="submit" variant="secondary" icon={<IconPlus className="h-4 w-4" />} loading={create.isPending} disabled={!title.trim()}>
            Add
          </Button>
        </form>
      )}
      <ProblemAlert className="mt-3" error={create.error ?? update.error} />
    </Card>
  );
}
