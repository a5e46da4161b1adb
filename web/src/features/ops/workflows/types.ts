/** The automation API's shapes, from the generated schema, plus the builder catalogue's parts. */
import type { components } from '../../../api/schema';

type Schemas = components['schemas'];

export type WorkflowOut = Schemas['WorkflowOut'];
export type WorkflowIn = Schemas['WorkflowIn'];
export type StepIn = Schemas['Step'];
export type TriggerIn = NonNullable<WorkflowIn['trigger']>;
export type ConditionIn = Schemas['Condition'];
export type CatalogOut = Schemas['CatalogOut'];
export type RunSummaryOut = Schemas['RunSummaryOut'];
export type RunOut = Schemas['RunOut'];
export type RunStepOut = Schemas['RunStepOut'];
export type ApprovalOut = Schemas['ApprovalOut'];
export type TestOut = Schemas['TestOut'];
export type TestStepOut = Schemas['TestStepOut'];
export type ActivationOut = Schemas['ActivationOut'];
export type RunPage = Schemas['Page_RunSummaryOut_'];

export type StepType = StepIn['type'];
export type Operator = ConditionIn['op'];
export type TriggerType = TriggerIn['type'];
export type StepKind = 'pure' | 'external' | 'wait';

/** A property of a step's config schema, as pydantic writes it (only the parts the builder reads). */
export interface JsonSchema {
  type?: string;
  title?: string;
  description?: string;
  enum?: string[];
  default?: unknown;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  $ref?: string;
}

export interface ConfigSchema {
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

/** One entry of the catalogue's `steps`. */
export interface CatalogStep {
  type: StepType;
  kind: StepKind;
  config_schema: ConfigSchema;
}

export const STEP_TYPES: readonly StepType[] = [
  'create_task',
  'update_task',
  'send_email',
  'http_request',
  'llm',
  'condition',
  'loop',
  'delay',
  'approval',
  'notify',
  'update_record',
  'run_workflow',
];

export function catalogSteps(catalog: CatalogOut): CatalogStep[] {
  return catalog.steps.filter((entry): entry is CatalogStep & Record<string, unknown> => {
    const type = (entry as { type?: unknown }).type;
    return typeof type === 'string' && (STEP_TYPES as readonly string[]).includes(type);
  });
}

export const ACTIVE_RUN_STATUSES = new Set(['queued', 'running', 'waiting']);
