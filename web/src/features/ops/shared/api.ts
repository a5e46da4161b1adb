/**
 * Ops Copilot task and suggestion calls, through the typed client (auth headers, refresh-and-retry
 * on 401, non-2xx raised as `ApiError`). List filters are repeated query names
 * (`status=todo&status=done`), as FastAPI reads them: openapi-fetch's default for arrays.
 */
import { api, unwrap } from '../../../api/client';
import type { components } from '../../../api/schema';
import type {
  BulkIn,
  BulkOut,
  Member,
  Page,
  Suggestion,
  SuggestionDecision,
  SuggestionKind,
  Task,
  TaskCreate,
  TaskProposal,
  TaskQuery,
  TaskUpdate,
} from './types';

type Schemas = components['schemas'];

// -- tasks -----------------------------------------------------------------------------------------

const task = (id: string) => ({ params: { path: { task_id: id } } });

export function listTasks(query: TaskQuery): Promise<Page<Task>> {
  return unwrap(api.GET('/api/modules/ops-copilot/tasks', { params: { query } }));
}

export function getTask(id: string): Promise<Task> {
  return unwrap(api.GET('/api/modules/ops-copilot/tasks/{task_id}', task(id)));
}

export function createTask(body: TaskCreate): Promise<Task> {
  // `status` and `priority` may be left out (see TaskCreate): the server applies its defaults.
  return unwrap(api.POST('/api/modules/ops-copilot/tasks', { body: body as Schemas['TaskCreate'] }));
}

export function updateTask(id: string, body: TaskUpdate): Promise<Task> {
  return unwrap(api.PATCH('/api/modules/ops-copilot/tasks/{task_id}', { ...task(id), body }));
}

export async function deleteTask(id: string): Promise<void> {
  await unwrap(api.DELETE('/api/modules/ops-copilot/tasks/{task_id}', task(id)));
}

export function bulkTasks(body: BulkIn): Promise<BulkOut> {
  return unwrap(api.POST('/api/modules/ops-copilot/tasks/bulk', { body }));
}

export function parseTask(text: string): Promise<TaskProposal> {
  return unwrap(api.POST('/api/modules/ops-copilot/tasks/parse', { body: { text } }));
}

export function createTaskFromText(text: string): Promise<Task> {
  return unwrap(api.POST('/api/modules/ops-copilot/tasks/from-text', { body: { text } }));
}

// -- suggestions -----------------------------------------------------------------------------------

const suggestion = (id: string) => ({ params: { path: { suggestion_id: id } } });

export function listSuggestions(query: { kind?: SuggestionKind; task_id?: string; limit?: number } = {}): Promise<Page<Suggestion>> {
  return unwrap(api.GET('/api/modules/ops-copilot/suggestions', { params: { query } }));
}

export function suggestForTask(id: string): Promise<Page<Suggestion>> {
  return unwrap(api.POST('/api/modules/ops-copilot/tasks/{task_id}/suggestions', task(id)));
}

export function acceptSuggestion(id: string): Promise<SuggestionDecision> {
  return unwrap(api.POST('/api/modules/ops-copilot/suggestions/{suggestion_id}/accept', suggestion(id)));
}

export function dismissSuggestion(id: string): Promise<Suggestion> {
  return unwrap(api.POST('/api/modules/ops-copilot/suggestions/{suggestion_id}/dismiss', suggestion(id)));
}

// -- team --------------------------------------------------------------------------------------------

/** Everyone a task can be assigned to (the team endpoint pages at 200 at most). */
export async function listMembers(): Promise<Member[]> {
  const page = await unwrap(api.GET('/api/team/members', { params: { query: { limit: 200, offset: 0 } } }));
  return page.items.map(({ user_id, email, full_name, role }) => ({ user_id, email, full_name, role }));
}
