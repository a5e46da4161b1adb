import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderApp } from '../../../test/render';
import { server } from '../../../test/server';
import { OPS_URL, page, signedInAs, suggestion, task } from '../shared/testing';
import type { Suggestion, Task } from '../shared/types';
import { formFromTask, patchFromForm } from './taskForm';

beforeAll(async () => {
  await import('./pages');
}, 30_000);

const slow = { timeout: 4000 };
/** Whole-shell renders: generous under a loaded machine (the whole suite runs in parallel). */
const UI = { timeout: 15_000 };

/** One task served (and changed) through GET/PATCH /tasks/{id}, its suggestions and no subtasks. */
function serveTask(initial: Task, suggestions: Suggestion[]) {
  const state = { task: initial, patches: [] as unknown[], accepted: [] as string[], dismissed: [] as string[], open: [...suggestions] };
  server.use(
    http.get(`${OPS_URL}/tasks/:id`, () => HttpResponse.json(state.task)),
    http.patch(`${OPS_URL}/tasks/:id`, async ({ request }) => {
      const body = (await request.json()) as Partial<Task>;
      state.patches.push(body);
      state.task = { ...state.task, ...body };
      return HttpResponse.json(state.task);
    }),
    http.get(`${OPS_URL}/tasks`, () => HttpResponse.json(page([]))),
    http.post(`${OPS_URL}/tasks/:id/suggestions`, () => HttpResponse.json(page(state.open))),
    http.post(`${OPS_URL}/suggestions/:id/accept`, ({ params }) => {
      const id = String(params.id);
      state.accepted.push(id);
      const accepted = state.open.find((s) => s.id === id)!;
      state.open = state.open.filter((s) => s.id !== id);
      state.task = { ...state.task, ...(accepted.payload as Partial<Task>) };
      return HttpResponse.json({ suggestion: { ...accepted, status: 'accepted' }, task: state.task, created_task_ids: [], workflow: null });
    }),
    http.post(`${OPS_URL}/suggestions/:id/dismiss`, ({ params }) => {
      const id = String(params.id);
      state.dismissed.push(id);
      const dismissed = state.open.find((s) => s.id === id)!;
      state.open = state.open.filter((s) => s.id !== id);
      return HttpResponse.json({ ...dismissed, status: 'dismissed' });
    }),
  );
  return state;
}

describe('task form', () => {
  it('sends only what changed, with nulls for cleared fields', () => {
    const t = task({ title: 'Pay invoices', due_at: '2026-03-02T09:30:00Z', tags: ['finance'], estimate_minutes: 30, assignee_id: 'u2', blocked_by: ['b1', 'b2'] });
    const form = formFromTask(t);
    expect(patchFromForm(t, form)).toEqual({});
    expect(patchFromForm(t, { ...form, blockedBy: ['b2', 'b1'] })).toEqual({});
    expect(patchFromForm(t, { ...form, title: ' Pay all invoices ', due: '', estimate: '', assignee: '', tags: '#finance, #urgent finance' })).toEqual({
      title: 'Pay all invoices',
      due_at: null,
      estimate_minutes: null,
      assignee_id: null,
      tags: ['finance', 'urgent'],
    });
  });
});

describe('Task detail', UI, () => {
  it('accepts a suggestion (the task refreshes) and dismisses another', async () => {
    signedInAs('member');
    const t = task({ title: 'Renew the lease', priority: 'medium' });
    const raise = suggestion({ task_id: t.id, kind: 'priority', title: 'Raise the priority to high', reason: 'It is due in 20 hours and still medium.', payload: { priority: 'high' } });
    const split = suggestion({
      task_id: t.id,
      kind: 'subtasks',
      title: 'Break “Renew the lease” into 2 subtasks',
      reason: '“Renew” work usually has the same steps.',
      payload: { subtasks: [{ title: 'Read the contract', estimate_minutes: 30 }, { title: 'Call the landlord', estimate_minutes: null }] },
    });
    const state = serveTask(t, [raise, split]);
    const user = userEvent.setup({ delay: null });
    renderApp(`/ops/tasks/${t.id}`);

    const panel = (await screen.findByText('AI suggestions', {}, slow)).closest('section')!;
    const raiseCard = await within(panel).findByRole('article', { name: 'Raise the priority to high' });
    expect(within(raiseCard).getByText('It is due in 20 hours and still medium.')).toBeTruthy();
    expect(within(raiseCard).getByText('New priority: High')).toBeTruthy();
    const splitCard = within(panel).getByRole('article', { name: 'Break “Renew the lease” into 2 subtasks' });
    expect(within(splitCard).getByText('Read the contract (30 min)')).toBeTruthy();

    const header = screen.getByRole('heading', { name: 'Renew the lease', level: 1 }).parentElement!;
    expect(within(header).getByText('Medium')).toBeTruthy();
    await user.click(within(raiseCard).getByRole('button', { name: 'Accept' }));
    await waitFor(() => expect(state.accepted).toEqual([raise.id]));
    expect(await within(header).findByText('High')).toBeTruthy();
    expect((screen.getByLabelText('Priority') as HTMLSelectElement).value).toBe('high');
    expect(within(panel).getByText('Applied: Raise the priority to high.')).toBeTruthy();
    expect(within(panel).queryByRole('article', { name: 'Raise the priority to high' })).toBeNull();

    await user.click(within(splitCard).getByRole('button', { name: 'Dismiss' }));
    await waitFor(() => expect(state.dismissed).toEqual([split.id]));
    expect(await within(panel).findByText('No suggestions for this task right now.')).toBeTruthy();
    expect(state.patches).toEqual([]); // nothing changed except through accept
  });

  it('saves only the edited fields', async () => {
    signedInAs('member');
    const t = task({ title: 'Order cups', tags: ['supplies'] });
    const state = serveTask(t, []);
    const user = userEvent.setup({ delay: null });
    renderApp(`/ops/tasks/${t.id}`);

    const form = await screen.findByRole('form', { name: 'Task details' }, slow);
    const save = within(form).getByRole('button', { name: 'Save changes' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    await user.selectOptions(within(form).getByLabelText('Assignee'), 'u2');
    await user.selectOptions(within(form).getByLabelText('Status'), 'in_progress');
    await user.clear(within(form).getByLabelText('Estimate (minutes)'));
    await user.click(within(form).getByLabelText('Estimate (minutes)'));
    await user.paste('90');
    await user.click(save);
    await waitFor(() => expect(state.patches).toEqual([{ assignee_id: 'u2', status: 'in_progress', estimate_minutes: 90 }]));
    expect(await within(form).findByText('Saved.')).toBeTruthy();
  });
});
