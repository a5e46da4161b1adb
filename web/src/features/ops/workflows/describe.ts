/** One line per trigger for the list and the builder: "When an order is created and total > 500". */
import { describeCron } from './cron';
import { eventPhrase, operatorSymbol } from './labels';

interface TriggerLike {
  type?: unknown;
  [key: string]: unknown;
}

interface ConditionLike {
  field?: unknown;
  op?: unknown;
  value?: unknown;
}

function fieldName(field: string): string {
  return field.replace(/^trigger\./, '');
}

function valueText(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function describeCondition(condition: ConditionLike): string {
  const op = String(condition.op ?? '');
  const value = valueText(condition.value);
  return [fieldName(String(condition.field ?? '')), operatorSymbol(op), value].filter(Boolean).join(' ');
}

export function describeTrigger(trigger: TriggerLike | null | undefined): string {
  const type = String(trigger?.type ?? 'manual');
  switch (type) {
    case 'schedule': {
      const cron = String(trigger?.cron ?? '');
      const zone = trigger?.timezone ? ` (${String(trigger.timezone)})` : '';
      return `${describeCron(cron) ?? `On the schedule “${cron}”`}${zone}`;
    }
    case 'event': {
      const conditions = Array.isArray(trigger?.conditions) ? (trigger.conditions as ConditionLike[]).filter((c) => c.field) : [];
      const joiner = trigger?.match === 'any' ? ' or ' : ' and ';
      const when = `When ${eventPhrase(String(trigger?.event ?? ''))}`;
      return conditions.length ? `${when} and ${conditions.map(describeCondition).join(joiner)}` : when;
    }
    case 'webhook':
      return 'When its webhook URL is called';
    case 'condition':
      return `When ${String(trigger?.metric ?? '')} (${String(trigger?.period ?? 'today').replace(/_/g, ' ')}) ${operatorSymbol(String(trigger?.op ?? ''))} ${valueText(trigger?.value)}`;
    default:
      return 'Run manually';
  }
}
