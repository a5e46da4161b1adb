import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { Route, Routes, useLocation } from 'react-router';
import { renderApp, renderWithProviders } from '../../../test/render';
import { server } from '../../../test/server';
import { OPS_URL, page, signedInAs, suggestion, task } from '../shared/testing';
import type { Task } from '../shared/types';
import { filtersFromSearch, queryFromFilters, searchFromFilters } from './filters';
import { TasksPage } from './TasksPage';

// The pages load lazily (routes.tsx): load them once up front so each test starts on a warm chunk.
beforeAll(async () => {
  await import('./pages');
}, 30_000);

/** Serves GET /tasks with `items` and records each request's query string. */
function serveTasks(items: Task[], total = items.length) {
  const seen: URLSearchParams[] = [];
  server.use(
    http.get(`${OPS_URL}/tasks`, ({ request }) => {
      seen.push(new URL(request.url).searchParams);
      return HttpResponse.json(page(items, total, 25, 0));
    }),
  );
  return seen;
}

const last = (seen: URLSearchParams[]) => seen[seen.length - 1]!;
/** The first render of the whole shell takes a moment in happy-dom. */
const slow = { timeout: 4000 };
/** Whole-shell renders: generous under a loaded machine (the whole suite runs in parallel). */
const UI = { timeout: 15_000 };

describe('task filters', () => {
  it('round-trips through the URL and becomes the API query', () => {
    const params = new URLSearchParams('status=todo&status=bogus&priority=high&assignee=me&due_from=2026-03-02&due_to=2026-03-05&tag=%23vip&overdue=1&sort=due_at&order=desc&page=2');
    const filters = filtersFromSearch(params);
    expect(filters.status).toEqual(['todo']);
    expect(searchFromFilters(filters).toString()).toBe(
      'status=todo&priority=high&assignee=me&due_from=2026-03-02&due_to=2026-03-05&tag=%23vip&overdue=1&sort=due_at&order=desc&page=2',
    );
    const query = queryFromFilters(filters);
    expect(query).toMatchObject({ status: ['todo'], priority: ['high'], assignee: 'me', tag: 'vip', overdue: true, parent_id: 'none', sort: 'due_at', order: 'desc', limit: 25, offset: 50 });
    // The "to" day is included: due_before is the next local midnight.
    expect(new Date(query.due_after!).getTime()).toBe(new Date(2026, 2, 2).getTime());
    expect(new Date(query.due_before!).getTime()).toBe(new Date(2026, 2, 6).getTime());
  });
});

describe('Tasks list', UI, () => {
  it('shows priority, due, blocked, subtask and assignee badges', async () => {
    signedInAs('member');
    const seen = serveTasks([
      task({ title: 'Ship the spring catalogue', priority: 'urgent', overdue: true, due_at: '2026-01-02T10:00:00Z', is_blocked: true, blocked_by: ['x'], subtasks: { total: 4, done: 1 }, tags: ['launch'], assignee_id: 'u2' }),
      task({ title: 'Call the roaster', assignee_id: 'u1' }),
    ]);
    renderApp('/ops');

    const table = await screen.findByRole('table', { name: 'Tasks' }, slow);
    expect(screen.getByRole('link', { name: 'Tasks' }).getAttribute('aria-current')).toBe('page');
    const row = within(table).getByText('Ship the spring catalogue').closest('tr')!;
    expect(within(row).getByText('Urgent')).toBeTruthy();
    expect(within(row).getByText(/overdue/i).className).toContain('red');
    expect(within(row).getByText('⛔ Blocked')).toBeTruthy();
    expect(within(row).getByRole('progressbar', { name: 'Subtasks done' }).getAttribute('aria-valuenow')).toBe('1');
    expect(within(row).getByText('1/4')).toBeTruthy();
    expect(within(row).getByText('#launch')).toBeTruthy();
    expect(within(row).getByText('Grace Hopper')).toBeTruthy();
    expect(within(table).getByText('You')).toBeTruthy();
    expect(last(seen).toString()).toBe('parent_id=none&sort=created_at&limit=25&offset=0');
  });

  it('sends each filter in the query string', async () => {
    signedInAs('member');
    const seen = serveTasks([task({ title: 'Only one' })]);
    const user = userEvent.setup({ delay: null });
    renderApp('/ops/tasks');
    await screen.findByText('Only one', {}, slow);
    expect(last(seen).toString()).toBe('parent_id=none&sort=created_at&limit=25&offset=0');

    // getByRole is slow over the whole shell: the chips are found by their text inside their group.
    const filters = screen.getByLabelText('Filters');
    const status = within(filters).getByLabelText('Status');
    const priority = within(filters).getByLabelText('Priority');
    await user.click(within(status).getByText('In progress'));
    await user.click(within(status).getByText('To do'));
    await user.click(within(priority).getByText('High'));
    await user.selectOptions(within(filters).getByLabelText('Assignee'), 'me');
    await user.click(within(filters).getByLabelText('Overdue only'));
    await user.selectOptions(within(filters).getByLabelText('Sort by'), 'due_at');
    // Pasted, not typed key by key: the inputs commit after a pause either way, and typing is slow.
    await user.click(within(filters).getByLabelText('Tag'));
    await user.paste('#vip');
    await user.click(within(filters).getByLabelText('Search tasks'));
    await user.paste('catalogue');

    await waitFor(() => expect(last(seen).get('q')).toBe('catalogue'));
    const sent = last(seen);
    expect(sent.getAll('status')).toEqual(['in_progress', 'todo']);
    expect(sent.getAll('priority')).toEqual(['high']);
    expect(sent.get('assignee')).toBe('me');
    expect(sent.get('overdue')).toBe('true');
    expect(sent.get('tag')).toBe('vip');
    expect(sent.get('sort')).toBe('due_at');
    expect(sent.get('parent_id')).toBe('none');
    expect(sent.get('offset')).toBe('0');

    await user.click(within(filters).getByText('Clear 6 filters'));
    await waitFor(() => expect(last(seen).toString()).toBe('parent_id=none&sort=due_at&limit=25&offset=0'));
  });

  it('pages through the list', async () => {
    signedInAs('member');
    const seen = serveTasks([task({ title: 'First of many' })], 60);
    const user = userEvent.setup({ delay: null });
    renderApp('/ops/tasks');
    await screen.findByText('First of many', {}, slow);
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(last(seen).get('offset')).toBe('25'));
  });

  it('previews a plain-words task before creating it from the text', async () => {
    signedInAs('member');
    serveTasks([]);
    const text = 'Follow up with John next Tuesday at 3pm, high priority';
    let parsed: unknown = null;
    let created: unknown = null;
    server.use(
      http.post(`${OPS_URL}/tasks/parse`, async ({ request }) => {
        parsed = await request.json();
        return HttpResponse.json({
          task: { title: 'Follow up with John', priority: 'high', due_at: '2026-03-10T15:00:00Z', tags: [], status: 'todo' },
          engine: 'local',
          assignee_name: null,
          recognised: { due_at: 'next Tuesday at 3pm', priority: 'high priority' },
        });
      }),
      http.post(`${OPS_URL}/tasks/from-text`, async ({ request }) => {
        created = await request.json();
        return HttpResponse.json(task({ title: 'Follow up with John', priority: 'high' }), { status: 201 });
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/ops/tasks');
    const box = await screen.findByRole('region', { name: 'Quick add' }, slow);
    await user.click(within(box).getByLabelText('New task in plain words'));
    await user.paste(text);
    await user.click(within(box).getByRole('button', { name: 'Preview' }));

    const preview = await within(box).findByRole('region', { name: 'Parsed task' });
    expect(parsed).toEqual({ text });
    expect(within(preview).getByText('Follow up with John')).toBeTruthy();
    expect(within(preview).getByText('High')).toBeTruthy();
    expect(within(preview).getByText('Due')).toBeTruthy();
    expect(within(preview).getByText(/next Tuesday at 3pm/)).toBeTruthy();
    expect(created).toBeNull(); // nothing is saved by the preview

    await user.click(within(preview).getByRole('button', { name: 'Create task' }));
    await waitFor(() => expect(created).toEqual({ text }));
    await waitFor(() => expect((within(box).getByLabelText('New task in plain words') as HTMLInputElement).value).toBe(''));
    expect(within(box).queryByRole('region', { name: 'Parsed task' })).toBeNull();
  });

  it('adds the words as typed when asked to', async () => {
    signedInAs('member');
    serveTasks([]);
    let created: unknown = null;
    server.use(
      http.post(`${OPS_URL}/tasks/parse`, () => HttpResponse.json({ task: { title: 'Buy milk' }, engine: 'local', assignee_name: null, recognised: {} })),
      http.post(`${OPS_URL}/tasks`, async ({ request }) => {
        created = await request.json();
        return HttpResponse.json(task({ title: 'Buy milk tomorrow' }), { status: 201 });
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/ops/tasks');
    const box = await screen.findByRole('region', { name: 'Quick add' }, slow);
    await user.type(within(box).getByLabelText('New task in plain words'), 'Buy milk tomorrow{Enter}');
    await user.click(await within(box).findByRole('button', { name: 'Add as typed' }));
    await waitFor(() => expect(created).toEqual({ title: 'Buy milk tomorrow' }));
  });

  it('changes the selected tasks in bulk', async () => {
    signedInAs('admin');
    const a = task({ title: 'Alpha' });
    const b = task({ title: 'Beta' });
    serveTasks([a, b, task({ title: 'Gamma' })]);
    const bodies: unknown[] = [];
    server.use(
      http.post(`${OPS_URL}/tasks/bulk`, async ({ request }) => {
        const body = (await request.json()) as { action: string; ids: string[] };
        bodies.push(body);
        return HttpResponse.json({ requested: body.ids.length, updated: body.action === 'update' ? body.ids.length : 0, deleted: body.action === 'delete' ? body.ids.length : 0, not_found: 0 });
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/ops/tasks');
    await user.click(await screen.findByLabelText('Select Alpha', {}, slow));
    await user.click(screen.getByLabelText('Select Beta'));
    const bar = screen.getByRole('region', { name: 'Bulk actions' });
    expect(within(bar).getByText('2 selected')).toBeTruthy();

    await user.selectOptions(within(bar).getByLabelText('Set priority'), 'urgent');
    await waitFor(() => expect(bodies).toEqual([{ ids: [a.id, b.id], action: 'update', patch: { priority: 'urgent' } }]));
    expect(await screen.findByText('Updated 2 tasks.')).toBeTruthy();

    await user.click(screen.getByLabelText('Select all tasks on this page'));
    await user.selectOptions(within(screen.getByRole('region', { name: 'Bulk actions' })).getByLabelText('Set assignee'), 'none');
    await waitFor(() => expect(bodies[1]).toMatchObject({ action: 'update', patch: { assignee_id: null } }));

    await user.click(screen.getByLabelText('Select Gamma'));
    await user.click(within(screen.getByRole('region', { name: 'Bulk actions' })).getByRole('button', { name: 'Delete' }));
    await user.click(within(screen.getByRole('dialog', { name: 'Delete 1 task?' })).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(bodies[2]).toEqual({ ids: [expect.any(String)], action: 'delete' }));
  });

  it('hides writing controls from viewers', async () => {
    signedInAs('viewer');
    serveTasks([task({ title: 'Read only' })]);
    renderApp('/ops/tasks');
    await screen.findByText('Read only', {}, slow);
    expect(screen.queryByRole('region', { name: 'Quick add' })).toBeNull();
    expect(screen.queryByLabelText('Select Read only')).toBeNull();
  });
});

function ShowState() {
  const location = useLocation();
  return <pre data-testid="state">{JSON.stringify(location.state)}</pre>;
}

describe('Planning suggestions on the list', UI, () => {
  it('shows the next best action and opens a proposed automation in the builder', async () => {
    signedInAs('member');
    serveTasks([]);
    const workflow = { name: 'Create “Follow up with …” tasks automatically', trigger: { type: 'event', event: 'customer.created' }, steps: [{ id: 'create_task', type: 'create_task', config: { title: 'Follow up with {{ trigger.name }}', priority: 'medium' } }] };
    const next = suggestion({ kind: 'next_action', task_id: 'task-9', title: 'Start “Pay the roaster”', reason: 'Urgent, due in 3 hours, unblocks 2 tasks.' });
    const auto = suggestion({ kind: 'automation', title: 'Automate “Follow up with …” tasks', reason: 'You made 4 tasks starting with “Follow up with” by hand.', payload: { workflow } });
    const accepted: string[] = [];
    server.use(
      http.get(`${OPS_URL}/suggestions`, ({ request }) => {
        const kind = new URL(request.url).searchParams.get('kind');
        return HttpResponse.json(page(kind === 'next_action' ? [next] : kind === 'automation' ? [auto] : []));
      }),
      http.post(`${OPS_URL}/suggestions/:id/accept`, ({ params }) => {
        accepted.push(String(params.id));
        return HttpResponse.json({ suggestion: { ...auto, status: 'accepted' }, task: null, created_task_ids: [], workflow });
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderWithProviders(
      <Routes>
        <Route path="/ops/tasks" element={<TasksPage />} />
        <Route path="/ops/automations/new" element={<ShowState />} />
      </Routes>,
      '/ops/tasks',
    );
    const card = await screen.findByRole('article', { name: 'Start “Pay the roaster”' }, slow);
    expect(within(card).getByText('Urgent, due in 3 hours, unblocks 2 tasks.')).toBeTruthy();
    expect(within(card).getByRole('link', { name: 'Open task' }).getAttribute('href')).toBe('/ops/tasks/task-9');
    expect(within(card).getByRole('button', { name: 'Start now' })).toBeTruthy();

    const idea = await screen.findByRole('article', { name: 'Automate “Follow up with …” tasks' });
    await user.click(within(idea).getByRole('button', { name: 'Open in builder' }));
    const state = await screen.findByTestId('state');
    expect(accepted).toEqual([auto.id]);
    expect(JSON.parse(state.textContent!)).toEqual({ definition: workflow });
  });
});
