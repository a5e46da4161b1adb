/**
 * Ops Copilot task shapes, from the generated schema (`src/binelek/ops/schemas.py` through
 * `web/openapi.json`). Only the lists of enum values the UI iterates and a few request shapes are
 * written here, each checked against the schema.
 */
import type { components, operations } from '../../../api/schema';

type Schemas = components['schemas'];

export type Task = Schemas['TaskOut'];
export type TaskStatus = Task['status'];
export type TaskPriority = Task['priority'];
export type TaskSource = Task['source'];
export type TaskProposal = Schemas['TaskProposal'];
export type TaskUpdate = Schemas['TaskUpdate'];
export type Suggestion = Schemas['SuggestionOut'];
export type SuggestionKind = Suggestion['kind'];
export type SuggestionDecision = Schemas['SuggestionDecisionOut'];
export type BulkPatch = Schemas['BulkPatch'];
export type BulkIn = Schemas['BulkIn'];
export type BulkOut = Schemas['BulkOut'];

/**
 * What creating a task needs. The generated type makes `status` and `priority` required because
 * they have defaults (openapi-typescript's default-non-nullable); the server fills them in.
 */
export type TaskCreate = Omit<Schemas['TaskCreate'], 'status' | 'priority'> & Partial<Pick<Schemas['TaskCreate'], 'status' | 'priority'>>;

/** One page of a list endpoint (`Page_TaskOut_`, `Page_SuggestionOut_`, …), for any item. */
export type Page<T> = Omit<Schemas['Page_TaskOut_'], 'items'> & { items: T[] };

/** Someone a task can be assigned to: the part of the team listing the task pages show. */
export type Member = Pick<Schemas['MemberOut'], 'user_id' | 'email' | 'full_name' | 'role'>;

/** The task list's query parameters (`GET /tasks`). */
export type TaskQuery = NonNullable<operations['list_tasks_api_modules_ops_copilot_tasks_get']['parameters']['query']>;
export type TaskSort = NonNullable<TaskQuery['sort']>;

/** Every value of a generated enum, in display order: missing or unknown values do not compile. */
function allOf<T extends string>(values: Record<T, true>): readonly T[] {
  return Object.keys(values) as T[];
}

export const STATUSES = allOf<TaskStatus>({ todo: true, in_progress: true, blocked: true, done: true, cancelled: true });
export const PRIORITIES = allOf<TaskPriority>({ low: true, medium: true, high: true, urgent: true });
export const SORTS = allOf<TaskSort>({ created_at: true, updated_at: true, due_at: true, priority: true, position: true });
