import { useState, type FormEvent } from 'react';
import { Button, Input, ProblemAlert } from '../../../components';
import { IconPlus, IconSparkles } from '../../../components/Icons';
import { formatDateTime } from '../../../lib/format';
import { PriorityBadge } from '../shared/badges';
import { useCreateTask, useCreateTaskFromText, useParseTask } from '../shared/hooks';
import { formatMinutes } from '../shared/labels';
import type { Task, TaskProposal } from '../shared/types';

const EXAMPLE = 'Follow up with John next Tuesday at 3pm, high priority';

/**
 * One line of plain words → a task. Enter shows what the server reads out of it (`/tasks/parse`,
 * nothing saved); "Create task" then makes it (`/tasks/from-text`), or "Add as typed" keeps the
 * words as the title.
 */
export function QuickAdd({ onCreated }: { onCreated?: (task: Task) => void }) {
  const [text, setText] = useState('');
  const parse = useParseTask();
  const fromText = useCreateTaskFromText();
  const plain = useCreateTask();
  const proposal = parse.data && parse.variables === text.trim() ? parse.data : null;
  const error = fromText.error ?? plain.error ?? parse.error;

  const done = (task: Task) => {
    setText('');
    parse.reset();
    onCreated?.(task);
  };

  const preview = (e: FormEvent) => {
    e.preventDefault();
    const value = text.trim();
    if (!value) return;
    fromText.reset();
    plain.reset();
    parse.mutate(value);
  };

  return (
    <section aria-label="Quick add" className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
      <form onSubmit={preview} className="flex flex-wrap gap-2">
        <label htmlFor="ops-quick-add" className="sr-only">
          New task in plain words
        </label>
        <Input
          id="ops-quick-add"
          className="min-w-0 flex-1"
          value={text}
          maxLength={1000}
          placeholder={`Add a task — e.g. “${EXAMPLE}”`}
          onChange={(e) => setText(e.target.value)}
        />
        <Button type="submit" variant="secondary" icon={<IconSparkles className="h-4 w-4" />} loading={parse.isPending} disabled={!text.trim()}>
          Preview
        </Button>
      </form>
      {proposal && (
        <ProposalPreview
          proposal={proposal}
          creating={fromText.isPending}
          onCreate={() => fromText.mutate(text.trim(), { onSuccess: done })}
          onPlain={() => plain.mutate({ title: text.trim() }, { onSuccess: done })}
          plainBusy={plain.isPending}
        />
      )}
      <ProblemAlert className="mt-3" error={error} />
    </section>
  );
}

interface ProposalPreviewProps {
  proposal: TaskProposal;
  creating: boolean;
  plainBusy: boolean;
  onCreate: () => void;
  onPlain: () => void;
}

function ProposalPreview({ proposal, creating, plainBusy, onCreate, onPlain }: ProposalPreviewProps) {
  const { task, recognised = {} } = proposal;
  const rows: [string, string][] = [];
  if (task.due_at) rows.push(['Due', formatDateTime(task.due_at)]);
  if (proposal.assignee_name || recognised.assignee) rows.push(['Assignee', proposal.assignee_name ?? recognised.assignee ?? '']);
  if (task.estimate_minutes) rows.push(['Estimate', formatMinutes(task.estimate_minutes)]);
  if (task.tags?.length) rows.push(['Tags', task.tags.map((t) => `#${t}`).join(' ')]);
  if (task.category) rows.push(['Category', task.category]);
  return (
    <div role="region" aria-label="Parsed task" className="mt-3 rounded-lg border border-brand-100 bg-brand-50/40 p-3">
      <div className="flex flex-wrap items-center gap-2">
        <p className="text-sm font-semibold text-slate-900">{task.title}</p>
        {task.priority && <PriorityBadge priority={task.priority} />}
        <span className="text-xs text-slate-400">{proposal.engine === 'llm' ? 'read by the AI model' : 'read offline'}</span>
      </div>
      {rows.length > 0 && (
        <dl className="mt-2 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
          {rows.map(([label, value]) => (
            <div key={label} className="contents">
              <dt className="text-slate-500">{label}</dt>
              <dd className="text-slate-800">{value}</dd>
            </div>
          ))}
        </dl>
      )}
      {Object.keys(recognised).length > 0 && (
        <p className="mt-2 text-xs text-slate-500">
          Understood: {Object.entries(recognised).map(([field, phrase]) => `${field.replace('_at', '').replace('_minutes', '')} “${phrase}”`).join(', ')}
        </p>
      )}
      <div className="mt-3 flex flex-wrap gap-2">
        <Button size="sm" icon={<IconPlus className="h-4 w-4" />} onClick={onCreate} loading={creating} disabled={plainBusy}>
          Create task
        </Button>
        <Button size="sm" variant="ghost" onClick={onPlain} loading={plainBusy} disabled={creating}>
          Add as typed
        </Button>
      </div>
    </div>
  );
}
