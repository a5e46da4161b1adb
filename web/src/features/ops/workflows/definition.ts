/**
 * The builder's working copy of a workflow: the trigger as form values, and the step tree with a
 * client-only `key` per step (ids can be renamed while editing). Pure functions: insert, update,
 * move and remove by key, what runs before a step, and the `WorkflowIn` body to save.
 */
import {
  configToForm,
  defaultForm,
  fieldsFor,
  formToConfig,
  toCondition,
  toDraftConditions,
  type DraftCondition,
  type FieldSpec,
  type FormConfig,
} from './fields';
import { catalogSteps, type CatalogOut, type CatalogStep, type StepIn, type StepType, type TriggerIn, type TriggerType, type WorkflowIn, type WorkflowOut } from './types';
import type { EarlierStep } from './variables';

export type Branch = 'then' | 'else' | 'steps';

export interface RetryDraft {
  max_attempts: string;
  backoff_seconds: string;
  max_backoff_seconds: string;
}

export interface DraftStep {
  key: string;
  id: string;
  type: StepType;
  name: string;
  config: FormConfig;
  retry: RetryDraft | null;
  timeout_seconds: string;
  on_error: 'fail' | 'continue';
  then: DraftStep[];
  else: DraftStep[];
  steps: DraftStep[];
}

export interface DraftTrigger {
  type: TriggerType;
  cron: string;
  timezone: string;
  event: string;
  conditions: DraftCondition[];
  match: 'all' | 'any';
  auth: 'hmac' | 'secret';
  metric: string;
  period: string;
  op: 'gt' | 'gte' | 'lt' | 'lte';
  value: string;
  check_every_minutes: string;
}

export interface Draft {
  name: string;
  description: string;
  is_active: boolean;
  error_workflow_id: string | null;
  trigger: DraftTrigger;
  steps: DraftStep[];
}

/** Where a list of steps lives: the workflow's top level, or a branch / loop body of a step. */
export interface Container {
  parent: string | null;
  branch: Branch | null;
}

export const ROOT: Container = { parent: null, branch: null };
export const STEP_ID = /^[a-z][a-z0-9_]{0,39}$/;

let counter = 0;
export function newKey(): string {
  counter += 1;
  return `k${counter}`;
}

export function blankTrigger(): DraftTrigger {
  return {
    type: 'manual',
    cron: '0 9 * * 1',
    timezone: '',
    event: 'order.created',
    conditions: [],
    match: 'all',
    auth: 'hmac',
    metric: 'revenue',
    period: 'today',
    op: 'gt',
    value: '',
    check_every_minutes: '60',
  };
}

export function blankDraft(): Draft {
  return { name: '', description: '', is_active: false, error_workflow_id: null, trigger: blankTrigger(), steps: [] };
}

// -- catalogue --------------------------------------------------------------------------------------

export class Forms {
  private readonly byType = new Map<StepType, CatalogStep>();
  private readonly cache = new Map<StepType, FieldSpec[]>();

  constructor(catalog: CatalogOut) {
    for (const entry of catalogSteps(catalog)) this.byType.set(entry.type, entry);
  }

  types(): StepType[] {
    return [...this.byType.keys()];
  }

  kind(type: StepType) {
    return this.byType.get(type)?.kind ?? 'pure';
  }

  fields(type: StepType): FieldSpec[] {
    let fields = this.cache.get(type);
    if (!fields) {
      fields = fieldsFor(type, this.byType.get(type)?.config_schema);
      this.cache.set(type, fields);
    }
    return fields;
  }
}

// -- loading ----------------------------------------------------------------------------------------

function text(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

export function toDraftTrigger(trigger: Record<string, unknown> | undefined | null): DraftTrigger {
  const draft = blankTrigger();
  if (!trigger) return draft;
  const type = (trigger.type as TriggerType | undefined) ?? 'manual';
  draft.type = type;
  if (type === 'schedule') {
    draft.cron = text(trigger.cron);
    draft.timezone = text(trigger.timezone);
  } else if (type === 'event') {
    draft.event = text(trigger.event);
    draft.conditions = toDraftConditions(trigger.conditions);
    draft.match = trigger.match === 'any' ? 'any' : 'all';
  } else if (type === 'webhook') {
    draft.auth = trigger.auth === 'secret' ? 'secret' : 'hmac';
  } else if (type === 'condition') {
    draft.metric = text(trigger.metric);
    draft.period = text(trigger.period) || 'today';
    draft.op = (trigger.op as DraftTrigger['op'] | undefined) ?? 'gt';
    draft.value = text(trigger.value);
    draft.check_every_minutes = text(trigger.check_every_minutes) || '60';
  }
  return draft;
}

function toDraftStep(step: Partial<StepIn> & Record<string, unknown>, forms: Forms): DraftStep {
  const type = step.type as StepType;
  const retry = step.retry as { max_attempts?: number; backoff_seconds?: number; max_backoff_seconds?: number } | null | undefined;
  return {
    key: newKey(),
    id: text(step.id),
    type,
    name: text(step.name),
    config: configToForm((step.config as Record<string, unknown> | undefined) ?? {}, forms.fields(type)),
    retry: retry ? { max_attempts: text(retry.max_attempts ?? 3), backoff_seconds: text(retry.backoff_seconds ?? 2), max_backoff_seconds: text(retry.max_backoff_seconds ?? 300) } : null,
    timeout_seconds: text(step.timeout_seconds),
    on_error: step.on_error === 'continue' ? 'continue' : 'fail',
    then: toDraftSteps(step.then, forms),
    else: toDraftSteps(step.else, forms),
    steps: toDraftSteps(step.steps, forms),
  };
}

function toDraftSteps(steps: unknown, forms: Forms): DraftStep[] {
  return Array.isArray(steps) ? steps.map((step) => toDraftStep(step as Record<string, unknown>, forms)) : [];
}

/** A draft from a saved workflow, or from a proposed definition (`{name, trigger, steps}`). */
export function toDraft(source: Partial<WorkflowOut> | Partial<WorkflowIn> | null | undefined, forms: Forms): Draft {
  if (!source) return blankDraft();
  return {
    name: source.name ?? '',
    description: source.description ?? '',
    is_active: Boolean(source.is_active),
    error_workflow_id: source.error_workflow_id ?? null,
    trigger: toDraftTrigger(source.trigger as Record<string, unknown> | undefined),
    steps: toDraftSteps(source.steps, forms),
  };
}

// -- new steps ---------------------------------------------------------------------------------------

export function allIds(steps: DraftStep[]): string[] {
  return steps.flatMap((step) => [step.id, ...allIds(step.then), ...allIds(step.else), ...allIds(step.steps)]);
}

/** `create_task`, then `create_task_2`, … — unique in the workflow. */
export function freshId(type: StepType, steps: DraftStep[]): string {
  const taken = new Set(allIds(steps));
  if (!taken.has(type)) return type;
  let n = 2;
  while (taken.has(`${type}_${n}`)) n += 1;
  return `${type}_${n}`;
}

export function newStep(type: StepType, forms: Forms, steps: DraftStep[]): DraftStep {
  return {
    key: newKey(),
    id: freshId(type, steps),
    type,
    name: '',
    config: defaultForm(type, forms.fields(type)),
    retry: null,
    timeout_seconds: '',
    on_error: 'fail',
    then: [],
    else: [],
    steps: [],
  };
}

// -- tree edits --------------------------------------------------------------------------------------

export function findStep(steps: DraftStep[], key: string): DraftStep | null {
  for (const step of steps) {
    if (step.key === key) return step;
    const inner = findStep(step.then, key) ?? findStep(step.else, key) ?? findStep(step.steps, key);
    if (inner) return inner;
  }
  return null;
}

/** Apply `edit` to the list at `container` (a copy of the tree; the rest is shared). */
function editList(steps: DraftStep[], container: Container, edit: (list: DraftStep[]) => DraftStep[]): DraftStep[] {
  if (container.parent === null || container.branch === null) return edit(steps);
  const branch = container.branch;
  return steps.map((step) => {
    if (step.key === container.parent) return { ...step, [branch]: edit(step[branch]) };
    return { ...step, then: editList(step.then, container, edit), else: editList(step.else, container, edit), steps: editList(step.steps, container, edit) };
  });
}

export function insertStep(steps: DraftStep[], container: Container, index: number, step: DraftStep): DraftStep[] {
  return editList(steps, container, (list) => [...list.slice(0, index), step, ...list.slice(index)]);
}

export function updateStep(steps: DraftStep[], key: string, change: (step: DraftStep) => DraftStep): DraftStep[] {
  return steps.map((step) => {
    if (step.key === key) return change(step);
    return { ...step, then: updateStep(step.then, key, change), else: updateStep(step.else, key, change), steps: updateStep(step.steps, key, change) };
  });
}

export function removeStep(steps: DraftStep[], key: string): DraftStep[] {
  return steps
    .filter((step) => step.key !== key)
    .map((step) => ({ ...step, then: removeStep(step.then, key), else: removeStep(step.else, key), steps: removeStep(step.steps, key) }));
}

/** Swap a step with its neighbour in the same list (`by` = -1 up, +1 down). */
export function moveStep(steps: DraftStep[], key: string, by: -1 | 1): DraftStep[] {
  const index = steps.findIndex((step) => step.key === key);
  if (index >= 0) {
    const target = index + by;
    if (target < 0 || target >= steps.length) return steps;
    const copy = [...steps];
    [copy[index], copy[target]] = [copy[target]!, copy[index]!];
    return copy;
  }
  return steps.map((step) => ({ ...step, then: moveStep(step.then, key, by), else: moveStep(step.else, key, by), steps: moveStep(step.steps, key, by) }));
}

export interface Located {
  step: DraftStep;
  /** Steps that run before this one, in document order (as the server checks templates). */
  before: EarlierStep[];
  inLoop: boolean;
}

/** Mirrors the server's walk: branches share what ran before; a loop body sees the loop, not vice versa. */
export function locate(steps: DraftStep[], key: string): Located | null {
  const walk = (list: DraftStep[], seen: EarlierStep[], inLoop: boolean): Located | null => {
    for (const step of list) {
      if (step.key === key) return { step, before: [...seen], inLoop };
      seen.push({ id: step.id, type: step.type });
      if (step.type === 'condition') {
        const found = walk(step.then, seen, inLoop) ?? walk(step.else, seen, inLoop);
        if (found) return found;
      } else if (step.type === 'loop') {
        const found = walk(step.steps, [...seen], true);
        if (found) return found;
      }
    }
    return null;
  };
  return walk(steps, [], false);
}

// -- saving -------------------------------------------------------------------------------------------

function numberOr(textValue: string, fallback: number): number {
  const n = Number(textValue);
  return textValue.trim() !== '' && Number.isFinite(n) ? n : fallback;
}

export function toTrigger(trigger: DraftTrigger): TriggerIn {
  switch (trigger.type) {
    case 'schedule':
      return { type: 'schedule', cron: trigger.cron.trim(), ...(trigger.timezone.trim() ? { timezone: trigger.timezone.trim() } : {}) };
    case 'event':
      return { type: 'event', event: trigger.event, conditions: trigger.conditions.filter((c) => c.field.trim()).map(toCondition), match: trigger.match };
    case 'webhook':
      return { type: 'webhook', auth: trigger.auth };
    case 'condition':
      return {
        type: 'condition',
        metric: trigger.metric,
        period: trigger.period,
        op: trigger.op,
        value: numberOr(trigger.value, 0),
        check_every_minutes: numberOr(trigger.check_every_minutes, 60),
      };
    default:
      return { type: 'manual' };
  }
}

function toStep(step: DraftStep, forms: Forms): StepIn {
  const out: StepIn = { id: step.id, type: step.type, config: formToConfig(step.config, forms.fields(step.type)), on_error: step.on_error };
  if (step.name.trim()) out.name = step.name.trim();
  if (step.retry) {
    out.retry = {
      max_attempts: numberOr(step.retry.max_attempts, 3),
      backoff_seconds: numberOr(step.retry.backoff_seconds, 2),
      max_backoff_seconds: numberOr(step.retry.max_backoff_seconds, 300),
    };
  }
  if (step.timeout_seconds.trim()) out.timeout_seconds = numberOr(step.timeout_seconds, 30);
  if (step.type === 'condition') {
    out.then = step.then.map((s) => toStep(s, forms));
    out.else = step.else.map((s) => toStep(s, forms));
  }
  if (step.type === 'loop') out.steps = step.steps.map((s) => toStep(s, forms));
  return out;
}

/** The body of POST/PUT /workflows. Throws `FormProblem` when a JSON field does not parse. */
export function toWorkflowIn(draft: Draft, forms: Forms, overrides: Partial<Pick<WorkflowIn, 'is_active'>> = {}): WorkflowIn {
  const body: WorkflowIn = {
    name: draft.name.trim(),
    trigger: toTrigger(draft.trigger),
    steps: draft.steps.map((step) => toStep(step, forms)),
    is_active: overrides.is_active ?? draft.is_active,
  };
  if (draft.description.trim()) body.description = draft.description.trim();
  if (draft.error_workflow_id) body.error_workflow_id = draft.error_workflow_id;
  return body;
}

/** A stable text of what would be saved, to tell whether the form has unsaved changes. */
export function fingerprint(draft: Draft, forms: Forms): string {
  try {
    return JSON.stringify(toWorkflowIn(draft, forms, { is_active: false }));
  } catch {
    // A form that cannot be read (bad JSON in a field) differs from anything saved.
    return `invalid:${Math.random()}`;
  }
}
