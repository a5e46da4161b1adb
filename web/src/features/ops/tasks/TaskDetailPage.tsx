import { useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { fieldErrors } from '../../../api/problem';
import { Button, Card, ConfirmDialog, Field, PageHeader, ProblemAlert, QueryView, Select, SuccessAlert, TextArea, TextField } from '../../../components';
import { formatDateTime } from '../../../lib/format';
import { canWrite, useRole } from '../../auth/session';
import { BlockedBadge, DueBadge, PriorityBadge, StatusBadge, SubtaskProgress } from '../shared/badges';
import { useDeleteTask, useMembers, useTask, useTasks, useUpdateTask } from '../shared/hooks';
import { PRIORITY_LABELS, STATUS_LABELS } from '../shared/labels';
import { PRIORITIES, STATUSES, type Task } from '../shared/types';
import { SubtasksCard } from './SubtasksCard';
import { TaskSuggestions } from './TaskSuggestions';
import { formFromTask, formProblems, patchFromForm, type TaskForm } from './taskForm';

const SOURCE_LABELS: Record<Task['source'], string> = {
  manual: 'Added by hand',
  automation: 'Made by an automation',
  ai: 'Made from plain words',
  email: 'Made from an e-mail',
};

/** /ops/tasks/:taskId */
export function TaskDetailPage() {
  const { taskId } = useParams();
  const task = useTask(taskId);
  return (
    <div className="space-y-4">
      <Link to="/ops/tasks" className="text-sm font-medium text-brand-600 hover:text-brand-700">
        ← All tasks
      </Link>
      <QueryView query={task} loadingLabel="Loading the task" errorTitle="Could not load the task">
        {(data) => <TaskDetail key={data.id} task={data} />}
      </QueryView>
    </div>
  );
}

function TaskDetail({ task }: { task: Task }) {
  const writer = canWrite(useRole());
  const navigate = useNavigate();
  const remove = useDeleteTask();
  const [deleting, setDeleting] = useState(false);
  return (
    <>
      <PageHeader
        title={task.title}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <StatusBadge status={task.status} />
            <PriorityBadge priority={task.priority} />
            <DueBadge task={task} />
            <BlockedBadge task={task} />
            <SubtaskProgress counts={task.subtasks} />
          </span>
        }
        actions={
          writer && (
            <Button variant="secondary" onClick={() => setDeleting(true)}>
              Delete
            </Button>
          )
        }
      />
      <div className="grid gap-5 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
        <div className="space-y-5">
          <TaskEditor task={task} writer={writer} />
          <SubtasksCard parent={task} writer={writer} />
        </div>
        <div className="space-y-5">
          <TaskSuggestions taskId={task.id} writer={writer} />
          <Card title="History">
            <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1.5 text-sm">
              <dt className="text-slate-500">Source</dt>
              <dd>
                {SOURCE_LABELS[task.source]}
                {task.workflow_run_id && (
                  <>
                    {' '}
                    (
                    <Link to={`/ops/runs/${task.workflow_run_id}`} className="text-brand-600 hover:text-brand-700">
                      the run
                    </Link>
                    )
                  </>
                )}
              </dd>
              <dt className="text-slate-500">Created</dt>
              <dd>{formatDateTime(task.created_at)}</dd>
              <dt className="text-slate-500">Updated</dt>
              <dd>{formatDateTime(task.updated_at)}</dd>
              {task.started_at && (
                <>
                  <dt className="text-slate-500">Started</dt>
                  <dd>{formatDateTime(task.started_at)}</dd>
                </>
              )}
              {task.completed_at && (
                <>
                  <dt className="text-slate-500">Completed</dt>
                  <dd>{formatDateTime(task.completed_at)}</dd>
                </>
              )}
            </dl>
          </Card>
        </div>
      </div>
      <ConfirmDialog
        open={deleting}
        title="Delete this task?"
        description={task.subtasks.total > 0 ? `Its ${task.subtasks.total} subtasks are deleted with it. This cannot be undone.` : 'This cannot be undone.'}
        confirmLabel="Delete task"
        busy={remove.isPending}
        error={<ProblemAlert className="mt-3" error={remove.error} />}
        onClose={() => setDeleting(false)}
        onConfirm={() => remove.mutate(task.id, { onSuccess: () => void navigate('/ops/tasks', { replace: true }) })}
      />
    </>
  );
}

/** Options for the parent and "waits for" pickers: the organization's tasks, most recent first. */
function useTaskChoices(self: Task) {
  const all = useTasks({ sort: 'updated_at', limit: 200 });
  return useMemo(() => {
    const items = (all.data?.items ?? []).filter((t) => t.id !== self.id);
    const titles = new Map(items.map((t) => [t.id, t.title]));
    return { items, titles };
  }, [all.data, self.id]);
}

function TaskEditor({ task, writer }: { task: Task; writer: boolean }) {
  const update = useUpdateTask();
  const members = useMembers();
  const choices = useTaskChoices(task);
  // Only what the user touched overrides the task, so a change from elsewhere (an accepted
  // suggestion) shows in the fields the user has not edited.
  const [touched, setTouched] = useState<Partial<TaskForm>>({});
  const [saved, setSaved] = useState(false);
  const form: TaskForm = { ...formFromTask(task), ...touched };
  const patch = patchFromForm(task, form);
  const dirty = Object.keys(patch).length > 0;
  const problems = formProblems(form);
  const serverProblems = fieldErrors(update.error);
  const set = <K extends keyof TaskForm>(name: K, value: TaskForm[K]) => {
    setSaved(false);
    setTouched((current) => ({ ...current, [name]: value }));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!dirty || Object.keys(problems).length > 0) return;
    update.mutate(
      { id: task.id, patch },
      {
        onSuccess: () => {
          setTouched({});
          setSaved(true);
        },
      },
    );
  };

  const error = (name: keyof TaskForm, server?: string) => problems[name] ?? serverProblems[server ?? name] ?? null;
  const parentChoices = choices.items.filter((t) => t.parent_id === null || t.id === form.parent);
  const blockerChoices = choices.items.filter((t) => !form.blockedBy.includes(t.id));

  return (
    <Card title="Details">
      <form onSubmit={submit} className="space-y-4" aria-label="Task details">
        <fieldset disabled={!writer} className="space-y-4">
          <TextField label="Title" value={form.title} maxLength={300} onChange={(e) => set('title', e.target.value)} error={error('title')} />
          <Field label="Description" error={error('description')}>
            {(control) => <TextArea {...control} rows={4} value={form.description} onChange={(e) => set('description', e.target.value)} />}
          </Field>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Status" error={error('status')}>
              {(control) => (
                <Select {...control} value={form.status} onChange={(e) => set('status', e.target.value as TaskForm['status'])}>
                  {STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {STATUS_LABELS[s]}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <Field label="Priority" error={error('priority')}>
              {(control) => (
                <Select {...control} value={form.priority} onChange={(e) => set('priority', e.target.value as TaskForm['priority'])}>
                  {PRIORITIES.map((p) => (
                    <option key={p} value={p}>
                      {PRIORITY_LABELS[p]}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <TextField label="Due" type="datetime-local" value={form.due} onChange={(e) => set('due', e.target.value)} error={error('due', 'due_at')} />
            <TextField
              label="Estimate (minutes)"
              inputMode="numeric"
              value={form.estimate}
              onChange={(e) => set('estimate', e.target.value)}
              error={error('estimate', 'estimate_minutes')}
            />
            <Field label="Assignee" error={error('assignee', 'assignee_id')}>
              {(control) => (
                <Select {...control} value={form.assignee} onChange={(e) => set('assignee', e.target.value)}>
                  <option value="">Unassigned</option>
                  {(members.data ?? []).map((m) => (
                    <option key={m.user_id} value={m.user_id}>
                      {m.full_name || m.email}
                    </option>
                  ))}
                  {form.assignee && !members.data?.some((m) => m.user_id === form.assignee) && <option value={form.assignee}>Former member</option>}
                </Select>
              )}
            </Field>
            <TextField label="Category" value={form.category} maxLength={100} onChange={(e) => set('category', e.target.value)} error={error('category')} />
            <TextField label="Tags" hint="Separated by commas or spaces" value={form.tags} onChange={(e) => set('tags', e.target.value)} error={error('tags')} />
            <Field label="Parent task" error={error('parent', 'parent_id')}>
              {(control) => (
                <Select {...control} value={form.parent} onChange={(e) => set('parent', e.target.value)}>
                  <option value="">None (a top-level task)</option>
                  {parentChoices.map((t) => (
                    <option key={t.id} value={t.id}>
                      {t.title}
                    </option>
                  ))}
                  {form.parent && !choices.titles.has(form.parent) && <option value={form.parent}>Another task</option>}
                </Select>
              )}
            </Field>
          </div>
          <BlockersField
            ids={form.blockedBy}
            titles={choices.titles}
            choices={blockerChoices}
            error={error('blockedBy', 'blocked_by')}
            onChange={(ids) => set('blockedBy', ids)}
          />
        </fieldset>
        {writer && (
          <div className="flex flex-wrap items-center gap-3">
            <Button type="submit" loading={update.isPending} disabled={!dirty || Object.keys(problems).length > 0}>
              Save changes
            </Button>
            {dirty && (
              <Button variant="ghost" onClick={() => setTouched({})}>
                Discard
              </Button>
            )}
          </div>
        )}
        {saved && !dirty && <SuccessAlert>Saved.</SuccessAlert>}
        <ProblemAlert error={update.error} title="Could not save the task" />
      </form>
    </Card>
  );
}

interface BlockersFieldProps {
  ids: string[];
  titles: Map<string, string>;
  choices: Task[];
  error: string | null;
  onChange: (ids: string[]) => void;
}

/** "Waits for": the tasks that must be done before this one can start. */
function BlockersField({ ids, titles, choices, error, onChange }: BlockersFieldProps) {
  return (
    <Field label="Waits for" error={error} hint="This task cannot start before these are done.">
      {(control) => (
        <div className="space-y-2">
          {ids.length > 0 && (
            <ul aria-label="Tasks it waits for" className="flex flex-wrap gap-2">
              {ids.map((id) => (
                <li key={id} className="inline-flex items-center gap-1 rounded-md bg-slate-100 px-2 py-1 text-xs text-slate-700">
                  <Link to={`/ops/tasks/${id}`} className="hover:text-brand-700">
                    {titles.get(id) ?? 'A task'}
                  </Link>
                  <button type="button" aria-label={`Stop waiting for ${titles.get(id) ?? 'this task'}`} className="text-slate-400 hover:text-slate-700" onClick={() => onChange(ids.filter((x) => x !== id))}>
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
          <Select {...control} value="" onChange={(e) => e.target.value && onChange([...ids, e.target.value])}>
            <option value="">Add a task it waits for…</option>
            {choices.map((t) => (
              <option key={t.id} value={t.id}>
                {t.title}
              </option>
            ))}
          </Select>
        </div>
      )}
    </Field>
  );
}

