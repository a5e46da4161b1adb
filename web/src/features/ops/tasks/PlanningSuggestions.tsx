import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { Card, ProblemAlert } from '../../../components';
import { useAcceptSuggestion, useDismissSuggestion, useSuggestions } from '../shared/hooks';
import { SuggestionCard } from '../shared/SuggestionCard';
import type { Suggestion } from '../shared/types';

/** Where the builder opens a proposed automation; the definition travels in the router state. */
export const NEW_AUTOMATION_PATH = '/ops/automations/new';

type Busy = { id: string; action: 'accept' | 'dismiss' } | null;

function useDecisions() {
  const accept = useAcceptSuggestion();
  const dismiss = useDismissSuggestion();
  const [busy, setBusy] = useState<Busy>(null);
  const run = (id: string, action: 'accept' | 'dismiss', onAccepted?: (workflow: Record<string, unknown> | null) => void) => {
    setBusy({ id, action });
    const settle = { onSettled: () => setBusy(null) };
    if (action === 'dismiss') dismiss.mutate(id, settle);
    else accept.mutate(id, { ...settle, onSuccess: (decision) => onAccepted?.(decision.workflow ?? null) });
  };
  const busyFor = (id: string) => (busy?.id === id ? busy.action : null);
  return { run, busyFor, error: accept.error ?? dismiss.error };
}

/** "Do this now": the single open task the server scores highest. Accepting starts it. */
export function NextActionCard({ writer }: { writer: boolean }) {
  const suggestions = useSuggestions('next_action');
  const { run, busyFor, error } = useDecisions();
  const best = suggestions.data?.items[0];
  if (!best) return null;
  return (
    <Card title="Next best action" padded>
      <SuggestionCard
        suggestion={best}
        acceptLabel="Start now"
        busy={busyFor(best.id)}
        onAccept={writer ? () => run(best.id, 'accept') : undefined}
        onDismiss={writer ? () => run(best.id, 'dismiss') : undefined}
        extra={
          best.task_id && (
            <Link to={`/ops/tasks/${best.task_id}`} className="mt-1 inline-block text-sm font-medium text-brand-600 hover:text-brand-700">
              Open task
            </Link>
          )
        }
      />
      <ProblemAlert className="mt-3" error={error} />
    </Card>
  );
}

/** Automations proposed from tasks made by hand again and again; opened in the builder. */
export function AutomationSuggestions({ writer }: { writer: boolean }) {
  const suggestions = useSuggestions('automation');
  const navigate = useNavigate();
  const { run, busyFor, error } = useDecisions();
  const items = suggestions.data?.items ?? [];
  if (items.length === 0) return null;
  const open = (suggestion: Suggestion) =>
    run(suggestion.id, 'accept', (workflow) => {
      const definition = workflow ?? (suggestion.payload.workflow as Record<string, unknown> | undefined) ?? null;
      void navigate(NEW_AUTOMATION_PATH, { state: { definition } });
    });
  return (
    <Card title="Automation ideas" description="Work you keep doing by hand that an automation could do for you.">
      <div className="space-y-2">
        {items.map((suggestion) => (
          <SuggestionCard
            key={suggestion.id}
            suggestion={suggestion}
            acceptLabel="Open in builder"
            busy={busyFor(suggestion.id)}
            onAccept={writer ? () => open(suggestion) : undefined}
            onDismiss={writer ? () => run(suggestion.id, 'dismiss') : undefined}
          />
        ))}
      </div>
      <ProblemAlert className="mt-3" error={error} />
    </Card>
  );
}
