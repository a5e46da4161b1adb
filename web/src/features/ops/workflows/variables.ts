/**
 * What a template can name at a given step: the trigger's fields for the chosen event, the customer
 * and owner, and what each earlier step put out — plus inserting `{{ … }}` where the cursor is.
 */
import { stepLabel } from './labels';
import type { StepType, TriggerType } from './types';

export interface Variable {
  /** The path inside `{{ }}`, e.g. `trigger.total` or `steps.thank.id`. */
  path: string;
  description?: string;
}

export interface VariableGroup {
  label: string;
  variables: Variable[];
}

/** Fields of each event's payload (what `trigger.<field>` reads). */
export const EVENT_FIELDS: Record<string, string[]> = {
  'order.created': ['order_id', 'order_number', 'customer_id', 'total', 'currency', 'status', 'placed_at'],
  'payment.received': ['payment_id', 'order_id', 'amount', 'currency', 'method', 'paid_at'],
  'invoice.overdue': ['invoice_id', 'invoice_number', 'customer_id', 'customer_email', 'balance', 'currency', 'due_at', 'days_overdue'],
  'customer.created': ['customer_id', 'email', 'name'],
  'task.created': ['task_id', 'title', 'priority', 'status', 'due_at', 'assignee_id', 'source', 'tags', 'category'],
  'task.completed': ['task_id', 'title', 'priority', 'status', 'due_at', 'assignee_id', 'source', 'tags', 'category'],
  'automation.completed': ['workflow_id', 'workflow_name', 'run_id', 'status', 'trigger_type'],
  'automation.failed': ['workflow_id', 'workflow_name', 'run_id', 'status', 'trigger_type', 'error'],
  'connector.sync.completed': ['connector_id', 'connector_type', 'run_id', 'records_synced', 'duration_ms', 'status'],
  'connector.error': ['connector_id', 'connector_type', 'reason'],
};

/** What each step type puts out, readable later as `steps.<id>.<field>`. */
export const STEP_OUTPUTS: Record<StepType, string[]> = {
  create_task: ['id', 'title', 'priority', 'status', 'due_at', 'link'],
  update_task: ['id', 'title', 'status', 'priority'],
  send_email: ['message_id', 'status'],
  http_request: ['status', 'body'],
  llm: ['text', 'json'],
  condition: ['result'],
  loop: ['items', 'count'],
  delay: ['until'],
  approval: ['status', 'decisions'],
  notify: ['notified'],
  update_record: ['entity', 'id', 'changed'],
  run_workflow: ['run_id', 'status', 'output'],
};

/** Events whose payload names a customer: their runs can say `{{ customer }}`. */
export function eventHasCustomer(event: string): boolean {
  return (EVENT_FIELDS[event] ?? []).includes('customer_id');
}

export function triggerFields(type: TriggerType, event: string): string[] {
  switch (type) {
    case 'event':
      return [...(EVENT_FIELDS[event] ?? []), 'event.type'];
    case 'schedule':
      return ['scheduled_for'];
    case 'condition':
      return ['metric', 'period', 'value', 'threshold', 'op'];
    default:
      return [];
  }
}

export interface EarlierStep {
  id: string;
  type: StepType;
}

export interface Scope {
  triggerType: TriggerType;
  event: string;
  earlier: EarlierStep[];
  inLoop: boolean;
}

export function variableGroups({ triggerType, event, earlier, inLoop }: Scope): VariableGroup[] {
  const fields = triggerFields(triggerType, event);
  const trigger: Variable[] = fields.map((field) => ({ path: `trigger.${field}` }));
  if (triggerType === 'webhook' || triggerType === 'manual') {
    trigger.push({ path: 'trigger', description: triggerType === 'webhook' ? 'The JSON body the caller sent' : 'The input the run was started with' });
  }
  const groups: VariableGroup[] = [];
  if (trigger.length) groups.push({ label: 'Trigger', variables: trigger });
  if (triggerType === 'event' && eventHasCustomer(event)) {
    groups.push({
      label: 'Customer',
      variables: [
        { path: 'customer', description: 'Their name' },
        { path: 'customer.name' },
        { path: 'customer.email' },
      ],
    });
  }
  if (inLoop) {
    groups.push({ label: 'This item', variables: [{ path: 'item', description: 'The current item' }, { path: 'index', description: 'Its position, from 0' }] });
  }
  for (const step of earlier) {
    groups.push({
      label: `${step.id} (${stepLabel(step.type)})`,
      variables: STEP_OUTPUTS[step.type].map((field) => ({ path: `steps.${step.id}.${field}` })),
    });
  }
  groups.push({
    label: 'Owner and run',
    variables: [
      { path: 'owner.email', description: 'Who made the automation' },
      { path: 'owner.name' },
      { path: 'workflow.name' },
      { path: 'run.id' },
      { path: 'now', description: 'When the step runs (ISO date-time)' },
    ],
  });
  return groups;
}

/** Every path a condition row may test at this point (the `trigger.` / `steps.` prefixes included). */
export function conditionPaths(scope: Scope): string[] {
  return variableGroups(scope)
    .flatMap((group) => group.variables.map((variable) => variable.path))
    .filter((path) => path !== 'trigger' && path !== 'customer' && path !== 'now');
}

/**
 * `text` with `{{ path }}` put in place of the selection [start, end): the new text and where the
 * caret goes (after the inserted template).
 */
export function insertTemplate(text: string, path: string, start: number, end: number = start): { text: string; caret: number } {
  const from = Math.max(0, Math.min(start, text.length));
  const to = Math.max(from, Math.min(end, text.length));
  const token = `{{ ${path} }}`;
  return { text: text.slice(0, from) + token + text.slice(to), caret: from + token.length };
}

/** An example trigger payload for the test panel. */
export function sampleInput(type: TriggerType, event: string): Record<string, unknown> {
  if (type === 'schedule') return { scheduled_for: new Date().toISOString() };
  if (type === 'condition') return { metric: 'revenue', period: 'today', value: 1200, threshold: 1000, op: 'gt' };
  if (type === 'webhook') return { email: 'lead@example.com', name: 'Grace Hopper' };
  if (type !== 'event') return {};
  const customer = { id: '00000000-0000-4000-8000-000000000001', name: 'Ada Lovelace', email: 'ada@example.com' };
  const samples: Record<string, Record<string, unknown>> = {
    'order.created': {
      order_id: '00000000-0000-4000-8000-000000000002',
      order_number: '#1001',
      customer_id: customer.id,
      total: '612.50',
      currency: 'USD',
      status: 'paid',
      placed_at: '2026-03-02T10:15:00+00:00',
      customer,
    },
    'payment.received': { payment_id: 'pay_1', order_id: '00000000-0000-4000-8000-000000000002', amount: '612.50', currency: 'USD', method: 'card', paid_at: '2026-03-02T10:16:00+00:00' },
    'invoice.overdue': {
      invoice_id: '00000000-0000-4000-8000-000000000003',
      invoice_number: 'INV-1001',
      customer_id: customer.id,
      customer_email: customer.email,
      balance: '240.00',
      currency: 'USD',
      due_at: '2026-02-20T00:00:00+00:00',
      days_overdue: 10,
      customer,
    },
    'customer.created': { customer_id: customer.id, email: customer.email, name: customer.name, customer },
    'task.created': { task_id: '00000000-0000-4000-8000-000000000004', title: 'Call the roaster', priority: 'high', status: 'todo', due_at: null, assignee_id: null, source: 'manual', tags: [], category: null },
  };
  const sample = samples[event] ?? samples[event.replace('completed', 'created')];
  if (sample) return sample;
  return Object.fromEntries((EVENT_FIELDS[event] ?? []).map((field) => [field, `(${field})`]));
}
