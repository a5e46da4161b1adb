import type { ReactNode } from 'react';
import { Badge, Button } from '../../../components';
import { IconSparkles } from '../../../components/Icons';
import type { Suggestion } from './types';

const KIND_LABELS: Record<Suggestion['kind'], string> = {
  priority: 'Priority',
  due_date: 'Due date',
  subtasks: 'Subtasks',
  next_action: 'Next action',
  automation: 'Automation',
};

interface SuggestionCardProps {
  suggestion: Suggestion;
  /** Replaces the Accept button (e.g. "Open in builder"). */
  acceptLabel?: string;
  onAccept?: () => void;
  onDismiss?: () => void;
  busy?: 'accept' | 'dismiss' | null;
  extra?: ReactNode;
}

/** One AI suggestion: what, why (in words, with the numbers), and Accept / Dismiss. */
export function SuggestionCard({ suggestion, acceptLabel = 'Accept', onAccept, onDismiss, busy = null, extra }: SuggestionCardProps) {
  return (
    <article aria-label={suggestion.title} className="rounded-lg border border-slate-200 bg-white p-3">
      <div className="flex items-start gap-2">
        <IconSparkles className="mt-0.5 h-4 w-4 shrink-0 text-brand-500" aria-hidden="true" />
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-center gap-2">
            <h3 className="text-sm font-medium text-slate-900">{suggestion.title}</h3>
            <Badge tone="brand">{KIND_LABELS[suggestion.kind]}</Badge>
          </div>
          <p className="mt-1 text-sm text-slate-600">{suggestion.reason}</p>
          {extra}
          {(onAccept || onDismiss) && (
            <div className="mt-2 flex gap-2">
              {onAccept && (
                <Button size="sm" onClick={onAccept} loading={busy === 'accept'} disabled={busy !== null}>
                  {acceptLabel}
                </Button>
              )}
              {onDismiss && (
                <Button size="sm" variant="ghost" onClick={onDismiss} loading={busy === 'dismiss'} disabled={busy !== null}>
                  Dismiss
                </Button>
              )}
            </div>
          )}
        </div>
      </div>
    </article>
  );
}
