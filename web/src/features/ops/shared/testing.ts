/** Fixtures and msw helpers shared by the Ops Copilot tests (test-only). */
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../../api/auth';
import { me, organization } from '../../../test/fixtures';
import { server, tokens } from '../../../test/server';
import type { Member, Page, Suggestion, Task } from './types';

export const OPS_URL = '*/api/modules/ops-copilot';

export const members: Member[] = [
  { user_id: 'u1', email: 'ada@example.com', full_name: 'Ada Lovelace', role: 'admin' },
  { user_id: 'u2', email: 'grace@example.com', full_name: 'Grace Hopper', role: 'member' },
];

let counter = 0;

export function task(overrides: Partial<Task> = {}): Task {
  counter += 1;
  return {
    id: `task-${counter}`,
    title: `Task ${counter}`,
    description: null,
    status: 'todo',
    priority: 'medium',
    due_at: null,
    estimate_minutes: null,
    assignee_id: null,
    tags: [],
    category: null,
    parent_id: null,
    blocked_by: [],
    is_blocked: false,
    overdue: false,
    subtasks: { total: 0, done: 0 },
    source: 'manual',
    related: {},
    position: counter,
    created_by: 'u1',
    workflow_run_id: null,
    created_at: '2026-03-01T09:00:00Z',
    updated_at: '2026-03-01T09:00:00Z',
    started_at: null,
    completed_at: null,
    ...overrides,
  };
}

export function suggestion(overrides: Partial<Suggestion> = {}): Suggestion {
  counter += 1;
  return {
    id: `sug-${counter}`,
    task_id: null,
    kind: 'priority',
    title: 'Raise the priority',
    reason: 'Due within 24 hours.',
    payload: {},
    engine: 'heuristic',
    status: 'open',
    created_at: '2026-03-01T09:00:00Z',
    decided_at: null,
    decided_by: null,
    ...overrides,
  };
}

export function page<T>(items: T[], total = items.length, limit = 50, offset = 0): Page<T> {
  return { items, total, limit, offset };
}

/** Signed in as `role` of Acme, with the shell's calls, the team and empty suggestions answered. */
export function signedInAs(role: Member['role'] = 'member') {
  session.setTokens(tokens('access-1'));
  tenantStore.set('t1');
  server.use(
    http.get('*/api/auth/me', () => HttpResponse.json({ ...me, current_tenant: { id: 't1', name: 'Acme Ltd', role } })),
    http.get('*/api/organization', () => HttpResponse.json(organization)),
    http.get('*/api/team/members', () =>
      HttpResponse.json(page(members.map((m) => ({ ...m, module_roles: {}, mfa_enabled: false, joined_at: '2026-01-01T00:00:00Z' })))),
    ),
    http.get(`${OPS_URL}/suggestions`, () => HttpResponse.json(page([]))),
  );
}
