import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { problem, server } from '../../../test/server';
import { OPS, renderOps, run, signedInAs, workflow } from './testing';
import type { RunOut, RunSummaryOut, WorkflowOut } from './types';

function summary(r: RunOut): RunSummaryOut {
  const { trigger_data: _t, resume_at: _r, parent_run_id: _p, steps: _s, approvals: _a, ...rest } = r;
  return rest;
}

const waiting = run({
  id: 'run-2',
  status: 'waiting',
  waiting_for: 'approval',
  finished_at: null,
  steps: [
    {
      path: 'create_task',
      step_id: 'create_task',
      type: 'create_task',
      seq: 1,
      status: 'succeeded',
      input: { title: 'Thank Ada Lovelace', priority: 'high' },
      output: { id: 't-1', title: 'Thank Ada Lovelace', link: '/ops/tasks/t-1' },
      error: null,
      attempts: 1,
      started_at: '2026-03-02T10:15:00Z',
      finished_at: '2026-03-02T10:15:00.040Z',
      duration_ms: 40,
    },
    {
      path: 'ok',
      step_id: 'ok',
      type: 'approval',
      seq: 2,
      status: 'waiting',
      input: { message: 'Refund 612.50?' },
      output: null,
      error: null,
      attempts: 1,
      started_at: '2026-03-02T10:15:00.050Z',
      finished_at: null,
    },
  ],
  approvals: [
    { id: 'a-1', path: 'ok', approver_ids: [], required: 1, message: 'Refund 612.50?', decisions: [], status: 'pending', expires_at: '2026-03-05T10:15:00Z' },
  ],
});

describe('runs', () => {
  it('lists runs with pending approvals on top, filters by status and automation, and pages', async () => {
    signedInAs('member');
    const asked: string[] = [];
    const page = (items: RunSummaryOut[], total: number, offset = 0) => HttpResponse.json({ items, total, limit: 25, offset });
    server.use(
      http.get(`${OPS}/workflows`, () => HttpResponse.json([workflow(), workflow({ id: 'wf-2', name: 'Weekly plan' })] satisfies WorkflowOut[])),
      http.get(`${OPS}/runs`, ({ request }) => {
        const url = new URL(request.url);
        if (url.searchParams.get('status') === 'waiting' && url.searchParams.get('limit') === '50') return page([summary(waiting)], 1);
        asked.push(url.search);
        const offset = Number(url.searchParams.get('offset'));
        return page([summary(run({ id: `run-${offset}`, status: url.searchParams.get('status') ?? 'succeeded' }))], 60, offset);
      }),
      http.get(`${OPS}/workflows/wf-2/runs`, ({ request }) => {
        asked.push(`wf-2${new URL(request.url).search}`);
        return page([summary(run({ id: 'run-w', workflow_id: 'wf-2', workflow_name: 'Weekly plan', trigger_type: 'schedule' }))], 1);
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderOps('/ops/runs');

    const pending = await screen.findByRole('list', { name: 'Pending approvals' });
    expect(within(pending).getByRole('link', { name: 'Thank big customers' }).getAttribute('href')).toBe('/ops/runs/run-2');
    const table = await screen.findByRole('table', { name: 'Runs' });
    expect(within(table).getAllByRole('row')[1]!.textContent).toContain('Succeeded');
    expect(asked[0]).toBe('?limit=25&offset=0');

    await user.click(screen.getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(asked).toContain('?limit=25&offset=25'));
    await user.selectOptions(screen.getByLabelText('Status'), 'failed');
    await waitFor(() => expect(asked).toContain('?status=failed&limit=25&offset=0'));
    await user.selectOptions(screen.getByLabelText('Automation'), 'wf-2');
    await waitFor(() => expect(asked).toContain('wf-2?status=failed&limit=25&offset=0'));
    expect(await screen.findByRole('cell', { name: 'Schedule' })).toBeTruthy();
  });

  it('shows a run as a timeline and records an approval with a comment', async () => {
    signedInAs('admin');
    let decided: unknown = null;
    server.use(
      http.get(`${OPS}/runs/run-2`, () => HttpResponse.json(decided ? run({ id: 'run-2' }) : waiting)),
      http.post(`${OPS}/runs/run-2/approve`, async ({ request }) => {
        decided = await request.json();
        return HttpResponse.json(run({ id: 'run-2', steps: waiting.steps }));
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderOps('/ops/runs/run-2');

    const timeline = await screen.findByRole('list', { name: 'Run timeline' });
    const steps = within(timeline).getAllByRole('listitem');
    expect(steps.map((s) => s.getAttribute('aria-label'))).toEqual(['create_task: Succeeded', 'ok: Waiting']);
    expect(steps[0]!.textContent).toContain('40 ms');
    expect(steps[0]!.textContent).toContain('Output');
    expect(within(steps[0]!).getByText(/"link": "\/ops\/tasks\/t-1"/)).toBeTruthy();
    expect(screen.getByTestId('run-status').textContent).toContain('Waiting for approval');
    expect(screen.getByText('Updating live')).toBeTruthy();

    const approval = screen.getByRole('region', { name: 'Approval' });
    expect(within(approval).getByText('Refund 612.50?')).toBeTruthy();
    await user.type(within(approval).getByLabelText('Comment (optional)'), 'Looks fine');
    await user.click(within(approval).getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(decided).toEqual({ comment: 'Looks fine', path: null }));
    await waitFor(() => expect(screen.getByTestId('run-status').textContent).toContain('Succeeded'));
    expect(screen.queryByRole('region', { name: 'Approval' })).toBeNull();
    expect(screen.queryByText('Updating live')).toBeNull();
  });

  it('refreshes a running run until it ends, and retries a failed one', async () => {
    signedInAs('admin');
    let calls = 0;
    let retried = false;
    const failed = run({
      id: 'run-3',
      status: 'failed',
      error: { message: 'SMTP refused the message', code: 'EMAIL_SEND_FAILED', step: 'mail' },
      steps: [
        { path: 'mail', step_id: 'mail', type: 'send_email', seq: 1, status: 'failed', input: { to: ['a@example.com'] }, output: { error: 'SMTP refused the message' }, error: 'SMTP refused the message', attempts: 3, started_at: '2026-03-02T10:15:00Z', finished_at: '2026-03-02T10:15:07Z', duration_ms: 7000 },
      ],
    });
    server.use(
      http.get(`${OPS}/runs/run-3`, () => {
        calls += 1;
        if (retried) return HttpResponse.json(run({ id: 'run-3', attempt: 2 }));
        return HttpResponse.json(calls === 1 ? run({ id: 'run-3', status: 'running', finished_at: null }) : failed);
      }),
      http.post(`${OPS}/runs/run-3/retry`, () => {
        retried = true;
        return HttpResponse.json(run({ id: 'run-3', status: 'queued', attempt: 2, finished_at: null }));
      }),
      http.post(`${OPS}/runs/run-3/cancel`, () => problem(409, 'CONFLICT', 'Conflict', 'The run has already ended (failed).')),
    );
    const user = userEvent.setup({ delay: null });
    renderOps('/ops/runs/run-3');
    expect(await screen.findByRole('button', { name: 'Cancel run' })).toBeTruthy();
    // No reload needed: the page polls while the run moves.
    const alert = await screen.findByText('Failed at mail', {}, { timeout: 5000 });
    expect(alert.closest('[role="alert"]')!.textContent).toContain('EMAIL_SEND_FAILED');
    const step = within(screen.getByRole('list', { name: 'Run timeline' })).getByRole('listitem', { name: 'mail: Failed' });
    expect(step.textContent).toContain('3 attempts');
    expect(screen.queryByRole('button', { name: 'Cancel run' })).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Retry from the failed step' }));
    await waitFor(() => expect(retried).toBe(true));
    await waitFor(() => expect(screen.getByTestId('run-status').textContent).toContain('Succeeded'), { timeout: 5000 });
  });
});
