import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { problem, server } from '../../../test/server';
import { OPS, renderOps, run, signedInAs, workflow } from './testing';

describe('the automations list', () => {
  it('sums up each trigger, shows runs, and explains a refused activation', async () => {
    signedInAs('admin');
    const manual = workflow({ id: 'wf-2', name: 'Weekly plan', trigger: { type: 'manual' }, is_active: true, last_run_at: '2026-03-02T09:00:00Z', runs_succeeded: 4, runs_failed: 1 });
    server.use(
      http.get(`${OPS}/workflows`, () => HttpResponse.json([workflow(), manual])),
      http.post(`${OPS}/workflows/wf-1/activate`, () =>
        problem(409, 'PLAN_LIMIT_REACHED', 'Conflict', 'The free plan runs at most 5 active automations; deactivate one or upgrade the plan.'),
      ),
      http.post(`${OPS}/workflows/wf-2/run`, () => HttpResponse.json(run({ id: 'run-9', status: 'queued' }), { status: 202 })),
      http.get(`${OPS}/runs/run-9`, () => HttpResponse.json(run({ id: 'run-9' }))),
    );
    const user = userEvent.setup({ delay: null });
    renderOps('/ops/automations');

    const table = await screen.findByRole('table', { name: 'Automations' });
    const [, first, second] = within(table).getAllByRole('row');
    expect(first!.textContent).toContain('When an order is created and total > 500');
    expect(first!.textContent).toContain('Never');
    expect(second!.textContent).toContain('Run manually');
    expect(within(second!).getByLabelText('4 succeeded, 1 failed')).toBeTruthy();
    expect(within(first!).queryByRole('button', { name: /Run .* now/ })).toBeNull();

    const toggle = await within(first!).findByRole('switch', { name: 'Active: Thank big customers' });
    expect(toggle.getAttribute('aria-checked')).toBe('false');
    await user.click(toggle);
    expect(await screen.findByText('Plan limit reached')).toBeTruthy();
    expect(screen.getByText('The free plan runs at most 5 active automations; deactivate one or upgrade the plan.')).toBeTruthy();

    await user.click(within(second!).getByRole('button', { name: 'Run Weekly plan now' }));
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Thank big customers', level: 1 })).toBeTruthy());
  });
});
