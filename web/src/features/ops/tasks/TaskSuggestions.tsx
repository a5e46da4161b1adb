import { useState } from 'react';
import { useNavigate } from 'react-router';
import { Card, ProblemAlert, QueryView, SuccessAlert } from '../../../components';
import { formatDateTime } from '../../../lib/format';
import { useAcceptSuggestion, useDismissSuggestion, useTaskSuggestions } from '../shared/hooks';
import { formatMinutes, PRIORITY_LABELS } from '../shared/labels';
import { SuggestionCard } from '../shared/SuggestionCard';
import type { Suggestion, SuggestionDecision, TaskPriority } from '../shared/types';
import { NEW_AUTOMATION_PATH } from './PlanningSuggestions';

/** What accepting would change, from the suggestion's payload, for the card. */
function proposalDetail(suggestion: Suggestion) {
  const p = suggestion.payload;
  if (suggestion.kind === 'priority' && typeof p.priority === 'string') {
    return <p className="mt-1 text-xs text-slate-500">New priority: {PRIORITY_LABELS[p.priority as TaskPriority] ?? p.priority}</p>;
  }
  if (suggestion.kind === 'due_date' && typeof p.due_at === 'string') {
    return <p className="mt-1 text-xs text-slate-500">Due: {formatDateTime(p.due_at)}</p>;
  }
  if (suggestion.kind === 'subtasks' && Array.isArray(p.subtasks)) {
    const items = p.subtasks as { title: string; estimate_minutes?: number | null }[];
    return (
      <ol className="mt-1 list-decimal space-y-0.5 pl-5 text-xs text-slate-600">
        {items.map((item, i) => (
          <li key={i}>
            {item.title}
            {item.estimate_minutes ? ` (${formatMinutes(item.estimate_minutes)})` : ''}
          </li>
        ))}
      </ol>
    );
  }
  return null;
}

function decisionText(decision: SuggestionDecision): string {
  const made = decision.created_task_ids?.length ?? 0;
  if (made > 0) return `Added ${made} subtask${made === 1 ? '' : 's'}.`;
  return `Applied: ${decision.suggestion.title}.`;
}

/** AI suggestions about one task (computed when the panel opens); nothing applies without Accept. */
export function TaskSuggestions({ taskId, writer }: { taskId: string; writer: boolean }) {
  const suggestions = useTaskSuggestions(taskId);
  const accept = useAcceptSuggestion();
  const dismiss = useDismissSuggestion();
  const navigate = useNavigate();
  const [busy, setBusy] = useState<{ id: string; action: 'accept' | 'dismiss' } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // Decided ones disappear at once, before the list comes back from the server.
  const [decided, setDecided] = useState<Set<string>>(new Set());

  const decide = (suggestion: Suggestion, action: 'accept' | 'dismiss') => {
    setBusy({ id: suggestion.id, action });
    setDone(null);
    const onSettled = () => setBusy(null);
    const hide = () => setDecided((current) => new Set(current).add(suggestion.id));
    if (action === 'dismiss') {
      dismiss.mutate(suggestion.id, { onSettled, onSuccess: hide });
      return;
    }
    accept.mutate(suggestion.id, {
      onSettled,
      onSuccess: (decision) => {
        hide();
        if (decision.workflow) void navigate(NEW_AUTOMATION_PATH, { state: { definition: decision.workflow } });
        else setDone(decisionText(decision));
      },
    });
  };

  return (
    <Card title="AI suggestions" description="Proposals from your tasks' deadlines, dependencies and history. Nothing changes until you accept.">
      <QueryView query={suggestions} loadingLabel="Thinking about this task" errorTitle="Could not load suggestions">
        {(page) => {
          const open = page.items.filter((s) => !decided.has(s.id));
          if (open.length === 0) return <p className="text-sm text-slate-500">No suggestions for this task right now.</p>;
          return (
            <div className="space-y-2">
              {open.map((s) => (
                <SuggestionCard
                  key={s.id}
                  suggestion={s}
                  acceptLabel={s.kind === 'automation' ? 'Open in builder' : 'Accept'}
                  extra={proposalDetail(s)}
                  busy={busy?.id === s.id ? busy.action : null}
                  onAccept={writer ? () => decide(s, 'accept') : undefined}
                  onDismiss={writer ? () => decide(s, 'dismiss') : undefined}
                />
              ))}
            </div>
          );
        }}
      </QueryView>
      {done && <SuccessAlert className="mt-3">{done}</SuccessAlert>}
      <ProblemAlert className="mt-3" error={accept.error ?? dismiss.error} title="Could not apply the suggestion" />
    </Card>
  );
}
