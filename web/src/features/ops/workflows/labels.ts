/** Words the automation pages show for the engine's names. */
import type { Operator, StepType, TriggerType } from './types';

export const STEP_LABELS: Record<StepType, string> = {
  create_task: 'Create a task',
  update_task: 'Update a task',
  send_email: 'Send an e-mail',
  http_request: 'Call a URL',
  llm: 'Ask AI',
  condition: 'If / else',
  loop: 'For each item',
  delay: 'Wait',
  approval: 'Ask for approval',
  notify: 'Notify people',
  update_record: 'Update a record',
  run_workflow: 'Run another automation',
};

export function stepLabel(type: string): string {
  return (STEP_LABELS as Record<string, string>)[type] ?? type;
}

export const TRIGGER_LABELS: Record<TriggerType, string> = {
  manual: 'Manually (Run now)',
  schedule: 'On a schedule',
  event: 'When something happens',
  webhook: 'When a webhook is called',
  condition: 'When a metric crosses a threshold',
};

/** Each known event as the end of "When …". */
export const EVENT_PHRASES: Record<string, string> = {
  'order.created': 'an order is created',
  'payment.received': 'a payment is received',
  'invoice.overdue': 'an invoice becomes overdue',
  'customer.created': 'a customer is created',
  'task.created': 'a task is created',
  'task.completed': 'a task is completed',
  'automation.completed': 'an automation succeeds',
  'automation.failed': 'an automation fails',
  'connector.sync.completed': 'a connector sync finishes',
  'connector.error': 'a connector reports an error',
  'price.changed': 'a tracked price changes',
  'price.dropped': 'a tracked price drops',
  'availability.changed': "a tracked product's availability changes",
  'security.issue.created': 'a security issue is found',
};

export function eventPhrase(event: string): string {
  return EVENT_PHRASES[event] ?? event;
}

export function eventLabel(event: string): string {
  const phrase = EVENT_PHRASES[event];
  return phrase ? phrase.charAt(0).toUpperCase() + phrase.slice(1) : event;
}

export const OPERATORS: readonly { value: Operator; label: string; symbol: string }[] = [
  { value: 'eq', label: 'equals', symbol: '=' },
  { value: 'ne', label: 'does not equal', symbol: '≠' },
  { value: 'gt', label: 'greater than', symbol: '>' },
  { value: 'gte', label: 'at least', symbol: '≥' },
  { value: 'lt', label: 'less than', symbol: '<' },
  { value: 'lte', label: 'at most', symbol: '≤' },
  { value: 'contains', label: 'contains', symbol: 'contains' },
  { value: 'not_contains', label: 'does not contain', symbol: 'does not contain' },
  { value: 'starts_with', label: 'starts with', symbol: 'starts with' },
  { value: 'ends_with', label: 'ends with', symbol: 'ends with' },
  { value: 'in', label: 'is one of', symbol: 'is one of' },
  { value: 'not_in', label: 'is none of', symbol: 'is none of' },
  { value: 'exists', label: 'is set', symbol: 'is set' },
  { value: 'not_exists', label: 'is not set', symbol: 'is not set' },
  { value: 'is_true', label: 'is true', symbol: 'is true' },
  { value: 'is_false', label: 'is false', symbol: 'is false' },
];

export const NO_VALUE_OPERATORS: ReadonlySet<Operator> = new Set(['exists', 'not_exists', 'is_true', 'is_false']);
export const ORDERED_OPERATORS: ReadonlySet<Operator> = new Set(['gt', 'gte', 'lt', 'lte']);
export const LIST_OPERATORS: ReadonlySet<Operator> = new Set(['in', 'not_in']);

export function operatorSymbol(op: string): string {
  return OPERATORS.find((o) => o.value === op)?.symbol ?? op;
}

type Tone = 'neutral' | 'brand' | 'success' | 'warning' | 'danger';

export const RUN_STATUS: Record<string, { label: string; tone: Tone; icon: string }> = {
  queued: { label: 'Queued', tone: 'neutral', icon: '…' },
  running: { label: 'Running', tone: 'brand', icon: '▶' },
  waiting: { label: 'Waiting', tone: 'warning', icon: '⏸' },
  succeeded: { label: 'Succeeded', tone: 'success', icon: '✓' },
  failed: { label: 'Failed', tone: 'danger', icon: '✕' },
  cancelled: { label: 'Cancelled', tone: 'neutral', icon: '⊘' },
  rejected: { label: 'Rejected', tone: 'danger', icon: '✕' },
  skipped: { label: 'Skipped', tone: 'neutral', icon: '↷' },
};

export function runStatus(status: string) {
  return RUN_STATUS[status] ?? { label: status, tone: 'neutral' as Tone, icon: '•' };
}

export const TRIGGER_TYPE_LABELS: Record<string, string> = {
  manual: 'Manual',
  schedule: 'Schedule',
  event: 'Event',
  webhook: 'Webhook',
  condition: 'Metric',
  test: 'Test',
  workflow: 'Another automation',
  error: 'Error handler',
};

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Milliseconds between two timestamps, or null while the second is missing. */
export function between(start: string | null | undefined, end: string | null | undefined): number | null {
  if (!start || !end) return null;
  const ms = new Date(end).getTime() - new Date(start).getTime();
  return Number.isFinite(ms) ? Math.max(0, ms) : null;
}
