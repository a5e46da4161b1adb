/**
 * Each step type's form, read off the catalogue's JSON schema for the config (pydantic's), with a few
 * overrides where a plain schema makes a poor form (priority is free text on the server because a
 * template may choose it; `conditions` is a list of rows). Form values are what the inputs hold —
 * text while the user types — and become the config's JSON only when the workflow is saved.
 */
import { LIST_OPERATORS, NO_VALUE_OPERATORS, ORDERED_OPERATORS } from './labels';
import type { ConfigSchema, ConditionIn, JsonSchema, Operator, StepType } from './types';

export type FieldKind = 'text' | 'longtext' | 'number' | 'boolean' | 'enum' | 'list' | 'pairs' | 'json' | 'conditions' | 'workflow';

export interface FieldSpec {
  name: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  options?: readonly string[];
  hint?: string;
  placeholder?: string;
  /** Strings that may hold `{{ … }}`: the variables picker inserts into these. */
  template: boolean;
  default?: unknown;
}

export interface DraftCondition {
  field: string;
  op: Operator;
  value: string;
}

export interface Pair {
  key: string;
  value: string;
}

export type FormValue = string | boolean | Pair[] | DraftCondition[];
export type FormConfig = Record<string, FormValue>;

type Override = Partial<Omit<FieldSpec, 'name'>>;

const OVERRIDES: Partial<Record<StepType, Record<string, Override>>> = {
  create_task: {
    title: { placeholder: 'Thank {{ customer }}' },
    description: { kind: 'longtext' },
    priority: { kind: 'enum', options: ['low', 'medium', 'high', 'urgent'] },
    due_at: { label: 'Due', hint: 'An ISO date-time, or relative to the run: +3d, +4h, +30m.', placeholder: '+2d' },
    assignee: { hint: "A member's e-mail address (or id)." },
    tags: { hint: 'Separate tags with commas.' },
    estimate_minutes: { label: 'Estimate (minutes)', kind: 'text' },
  },
  update_task: {
    task_id: { label: 'Task', hint: 'A task id, e.g. {{ steps.create_task.id }}.' },
    status: { kind: 'enum', options: ['', 'todo', 'in_progress', 'blocked', 'done', 'cancelled'] },
    priority: { kind: 'enum', options: ['', 'low', 'medium', 'high', 'urgent'] },
    due_at: { label: 'Due', hint: 'An ISO date-time, or +3d / +4h.' },
  },
  send_email: {
    to: { kind: 'text', hint: 'Addresses separated by commas.', placeholder: '{{ owner.email }}' },
    body: { kind: 'longtext' },
  },
  http_request: {
    url: { label: 'URL', placeholder: 'https://example.com/hooks/orders' },
    body: { kind: 'longtext', hint: 'Text, or JSON (an object or a list is sent as JSON).' },
    fail_on_status: { label: 'Fail when the answer is an error status (4xx, 5xx)' },
    headers: { hint: 'Sent with the request.' },
    query: { label: 'Query parameters' },
  },
  llm: {
    prompt: { kind: 'longtext' },
    system: { label: 'System instructions', kind: 'longtext' },
  },
  condition: {
    conditions: { kind: 'conditions' },
    match: { label: 'Match', options: ['all', 'any'] },
  },
  loop: {
    items: { hint: 'A value that is a list, e.g. {{ trigger.lines }}.', placeholder: '{{ trigger.lines }}' },
  },
  delay: {
    until: { hint: 'An ISO date-time with a UTC offset; instead of a length.' },
  },
  approval: {
    approvers: { hint: "Members' e-mail addresses, separated by commas; leave empty for any admin." },
    required: { label: 'Approvals required' },
    message: { kind: 'longtext' },
    on_timeout: { label: 'When nobody decides in time' },
  },
  notify: {
    to: { kind: 'enum', options: ['owner', 'admins', 'members'], hint: 'Who gets the in-app notification.' },
    body: { kind: 'longtext' },
    link: { placeholder: '{{ steps.create_task.link }}' },
  },
  update_record: {
    fields: { label: 'Fields to set' },
    id: { label: 'Record id', placeholder: '{{ trigger.customer_id }}' },
  },
  run_workflow: {
    workflow_id: { label: 'Automation', kind: 'workflow' },
    input: { label: 'Input (JSON)', hint: 'What the other automation receives as its trigger data.' },
    wait: { label: 'Wait for it to finish' },
  },
};

/** "Due At" → "Due at". */
function sentenceCase(title: string): string {
  return title.charAt(0) + title.slice(1).toLowerCase();
}

function variants(schema: JsonSchema): JsonSchema[] {
  return schema.anyOf ? schema.anyOf.filter((s) => s.type !== 'null') : [schema];
}

function kindOf(schema: JsonSchema): { kind: FieldKind; options?: string[] } {
  const options = variants(schema);
  const first = options[0] ?? {};
  if (first.enum) return { kind: 'enum', options: first.enum };
  if (options.some((s) => s.type === 'string')) return { kind: (first.maxLength ?? 0) >= 2000 ? 'longtext' : 'text' };
  if (first.type === 'boolean') return { kind: 'boolean' };
  if (first.type === 'integer' || first.type === 'number') return { kind: 'number' };
  if (first.type === 'array' && first.items?.$ref) return { kind: 'conditions' };
  if (first.type === 'array') return { kind: 'list' };
  if (first.type === 'object' && typeof first.additionalProperties === 'object' && first.additionalProperties.type === 'string') return { kind: 'pairs' };
  return { kind: 'json' };
}

/** The form of one step type, in the schema's order. */
export function fieldsFor(type: StepType, schema: ConfigSchema | undefined): FieldSpec[] {
  const required = new Set(schema?.required ?? []);
  return Object.entries(schema?.properties ?? {}).map(([name, property]) => {
    const { kind, options } = kindOf(property);
    const override = OVERRIDES[type]?.[name] ?? {};
    const spec: FieldSpec = {
      name,
      label: sentenceCase(property.title ?? name),
      kind,
      options,
      required: required.has(name),
      template: false,
      default: property.default,
      ...override,
    };
    if (type === 'update_record' && name === 'fields') spec.kind = 'pairs';
    spec.template = spec.kind === 'text' || spec.kind === 'longtext';
    return spec;
  });
}

// -- form values ↔ config JSON -------------------------------------------------------------------------

function conditionValueText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(String).join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function toDraftConditions(conditions: unknown): DraftCondition[] {
  if (!Array.isArray(conditions)) return [];
  return conditions.map((c: Partial<ConditionIn>) => ({ field: c.field ?? '', op: (c.op ?? 'eq') as Operator, value: conditionValueText(c.value) }));
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

/** A row as the server reads it: numbers for ordered comparisons, lists for "is one of". */
export function toCondition(row: DraftCondition): ConditionIn {
  const condition: ConditionIn = { field: row.field.trim(), op: row.op };
  if (NO_VALUE_OPERATORS.has(row.op)) return condition;
  const text = row.value.trim();
  if (LIST_OPERATORS.has(row.op)) condition.value = text.split(',').map((v) => v.trim()).filter(Boolean);
  else if (ORDERED_OPERATORS.has(row.op) && NUMERIC.test(text)) condition.value = Number(text);
  else condition.value = row.value;
  return condition;
}

export function emptyCondition(field = ''): DraftCondition {
  return { field, op: field ? 'gt' : 'eq', value: '' };
}

/** The form values of a saved config. */
export function configToForm(config: Record<string, unknown>, fields: FieldSpec[]): FormConfig {
  const form: FormConfig = {};
  for (const field of fields) {
    const value = config[field.name];
    form[field.name] = formValue(field, value === undefined ? field.default : value);
  }
  return form;
}

function formValue(field: FieldSpec, value: unknown): FormValue {
  switch (field.kind) {
    case 'boolean':
      return Boolean(value);
    case 'conditions':
      return toDraftConditions(value);
    case 'pairs':
      return value && typeof value === 'object' ? Object.entries(value as Record<string, unknown>).map(([key, v]) => ({ key, value: typeof v === 'string' ? v : JSON.stringify(v) })) : [];
    case 'list':
      return Array.isArray(value) ? value.map(String).join(', ') : value ? String(value) : '';
    case 'json':
      return value === null || value === undefined || (typeof value === 'object' && Object.keys(value).length === 0) ? '' : JSON.stringify(value, null, 2);
    default:
      if (value === null || value === undefined) return '';
      if (Array.isArray(value)) return value.map(String).join(', ');
      if (typeof value === 'object') return JSON.stringify(value, null, 2);
      return String(value);
  }
}

/** The defaults of a new step of this type. */
export function defaultForm(type: StepType, fields: FieldSpec[]): FormConfig {
  const form = configToForm({}, fields);
  if (type === 'condition') form.conditions = [emptyCondition()];
  if (type === 'delay') form.hours = '1';
  return form;
}

export class FormProblem extends Error {}

function parseJson(field: FieldSpec, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new FormProblem(`${field.label}: not valid JSON.`);
  }
}

/** The config JSON of the form; empty optional fields are left out. Throws FormProblem on bad JSON. */
export function formToConfig(form: FormConfig, fields: FieldSpec[]): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const field of fields) {
    const value = form[field.name];
    if (value === undefined) continue;
    const converted = configValue(field, value);
    if (converted !== undefined) config[field.name] = converted;
  }
  return config;
}

function configValue(field: FieldSpec, value: FormValue): unknown {
  if (typeof value === 'boolean') return value;
  if (field.kind === 'conditions') return (value as DraftCondition[]).map(toCondition);
  if (field.kind === 'pairs') {
    const pairs = (value as Pair[]).filter((pair) => pair.key.trim());
    if (!pairs.length && !field.required) return undefined;
    return Object.fromEntries(pairs.map((pair) => [pair.key.trim(), pair.value]));
  }
  const text = value as string;
  if (text.trim() === '') return field.required ? '' : undefined;
  switch (field.kind) {
    case 'number':
      return NUMERIC.test(text.trim()) ? Number(text.trim()) : text;
    case 'list':
      return text.split(',').map((item) => item.trim()).filter(Boolean);
    case 'json':
      return parseJson(field, text);
    case 'longtext':
      // A body that is a JSON object or list goes out as JSON; anything else as text.
      if (field.name === 'body' && /^\s*[[{]/.test(text)) {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return text;
        }
      }
      return text;
    default:
      if (field.name === 'estimate_minutes' && NUMERIC.test(text.trim())) return Number(text.trim());
      return text;
  }
}
