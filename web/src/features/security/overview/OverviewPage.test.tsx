import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderApp } from '../../../test/render';
import { server } from '../../../test/server';
import { alert, asset, page, part, posture, scan, SECURITY_URL, signedInAs } from '../testing';
import type { Posture } from '../types';

beforeAll(async () => {
  await import('./OverviewPage');
}, 30_000);

const slow = { timeout: 8000 };

function servePosture(data: Posture) {
  const state = { acknowledged: [] as string[], started: [] as unknown[] };
  const open = alert({ title: 'HSTS header missing on shop.example.com', issue_id: 'issue-hsts' });
  server.use(
    http.get(`${SECURITY_URL}/posture`, () => HttpResponse.json(data)),
    http.get(`${SECURITY_URL}/assets`, () => HttpResponse.json([asset()])),
    http.get(`${SECURITY_URL}/alerts`, ({ request }) => {
      expect(new URL(request.url).searchParams.get('unacknowledged')).toBe('true');
      return HttpResponse.json(page(state.acknowledged.includes(open.id) ? [] : [open]));
    }),
    http.post(`${SECURITY_URL}/alerts/:id/acknowledge`, ({ params }) => {
      state.acknowledged.push(String(params.id));
      return new HttpResponse(null, { status: 204 });
    }),
    http.post(`${SECURITY_URL}/scans`, async ({ request }) => {
      state.started.push(await request.json());
      return HttpResponse.json({ id: 'scan-new', status: 'queued' }, { status: 202 });
    }),
    http.get(`${SECURITY_URL}/scans/scan-new`, () => HttpResponse.json(scan({ id: 'scan-new', status: 'queued', progress_total: 4 }))),
  );
  return { state, open };
}

const lowered: Posture = posture({
  score: 72.5,
  grade: 'C',
  parts: [
    part('mfa', 'MFA adoption', 30, {
      score: 50,
      points: 15,
      points_lost: 15,
      deductions: [{ reason: 'grace@example.com has no multi-factor authentication', check_id: 'platform.mfa_adoption', user_id: 'u2', part_points: 50, points: 15 }],
    }),
    part('access', 'Access control', 25),
    part('data', 'Data security', 25, {
      score: 50,
      points: 12.5,
      points_lost: 12.5,
      deductions: [
        { issue_id: 'issue-hsts', check_id: 'web.hsts', title: 'HSTS header missing', severity: 'high', target: 'https://shop.example.com/', part_points: 20, points: 5 },
        { issue_id: 'issue-csp', check_id: 'web.csp', title: 'No Content Security Policy', severity: 'critical', target: 'https://shop.example.com/', part_points: 30, points: 7.5 },
      ],
      accepted: [{ issue_id: 'issue-port', check_id: 'network.port.ssh', title: 'SSH open to the internet', severity: 'medium', target: '203.0.113.7' }],
    }),
    part('compliance', 'Compliance', 20),
  ] as unknown as Posture['parts'],
  open_issues: { critical: 1, high: 1, medium: 0, low: 2 },
  history: [
    { taken_at: '2026-02-01T09:00:00Z', score: 80, grade: 'B' },
    { taken_at: '2026-03-01T09:00:00Z', score: 72.5, grade: 'C' },
  ],
  trend: { days_7: -2.5, days_30: -7.5 },
  last_scan_at: '2026-03-01T09:00:00Z',
});

describe('Security overview', { timeout: 20_000 }, () => {
  it('shows the score, the parts and, opened, the deductions that link to their issues', async () => {
    signedInAs('member');
    servePosture(lowered);
    const user = userEvent.setup({ delay: null });
    renderApp('/security');

    const gauge = await screen.findByRole('meter', { name: 'Security posture score' }, slow);
    expect(gauge.getAttribute('aria-valuenow')).toBe('72.5');
    expect(gauge.getAttribute('aria-valuetext')).toBe('72.5 out of 100, grade C');
    expect(screen.getByText('Change over 7 days').nextElementSibling?.textContent).toBe('−2.5');
    expect(screen.getByText('Change over 30 days').nextElementSibling?.textContent).toBe('−7.5');

    const parts = screen.getByRole('list', { name: 'Score parts' });
    const data = within(parts).getByRole('listitem', { name: 'Data security' });
    expect(within(data).getByRole('meter', { name: 'Data security points' }).getAttribute('aria-valuetext')).toBe('12.5 of 25 points');
    expect(within(data).getByText('−12.5 points')).toBeTruthy();
    expect(within(parts).getByRole('listitem', { name: 'Access control' }).textContent).toContain('Nothing deducted.');

    const toggle = within(data).getByRole('button', { name: 'Show 2 deductions and 1 accepted risk' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    await user.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const deductions = within(data).getByRole('list', { name: 'Data security deductions' });
    expect(within(deductions).getByRole('link', { name: 'HSTS header missing' }).getAttribute('href')).toBe('/security/issues/issue-hsts');
    expect(within(deductions).getByRole('link', { name: 'No Content Security Policy' }).getAttribute('href')).toBe('/security/issues/issue-csp');
    expect(within(deductions).getByText('−7.5 points')).toBeTruthy();
    expect(within(data).getByRole('list', { name: 'Data security accepted risks' }).textContent).toContain('SSH open to the internet');

    const mfa = within(parts).getByRole('listitem', { name: 'MFA adoption' });
    await user.click(within(mfa).getByRole('button', { name: 'Show 1 deduction' }));
    expect(within(mfa).getByRole('link', { name: 'grace@example.com has no multi-factor authentication' })).toBeTruthy();

    const bySeverity = screen.getByRole('list', { name: 'Open issues by severity' });
    expect(within(bySeverity).getByRole('listitem', { name: 'Critical: 1' })).toBeTruthy();
    expect(within(bySeverity).getByRole('listitem', { name: 'Low: 2' })).toBeTruthy();
    expect(screen.getByRole('figure', { name: 'Security posture score over time' })).toBeTruthy();
  });

  it('acknowledges an alert, and "Run a scan" starts one and opens it', async () => {
    signedInAs('member');
    const { state, open } = servePosture(lowered);
    const user = userEvent.setup({ delay: null });
    renderApp('/security');

    const alerts = await screen.findByRole('list', { name: 'Newest alerts' }, slow);
    const item = within(alerts).getByRole('listitem', { name: open.title });
    expect(within(item).getByRole('link', { name: open.title }).getAttribute('href')).toBe('/security/issues/issue-hsts');
    await user.click(within(item).getByRole('button', { name: `Acknowledge ${open.title}` }));
    await waitFor(() => expect(state.acknowledged).toEqual([open.id]));
    expect(await screen.findByText('No unacknowledged alerts.')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Run a scan' }));
    await waitFor(() => expect(state.started).toEqual([{}]));
    expect(await screen.findByRole('progressbar', { name: 'Scan progress' }, slow)).toBeTruthy();
    expect(screen.getByText('Waiting to start…')).toBeTruthy();
  });

  it('invites a viewer to nothing it cannot do, and says when nothing is registered', async () => {
    signedInAs('viewer');
    server.use(
      http.get(`${SECURITY_URL}/posture`, () => HttpResponse.json(posture())),
      http.get(`${SECURITY_URL}/assets`, () => HttpResponse.json([])),
      http.get(`${SECURITY_URL}/alerts`, () => HttpResponse.json(page([]))),
    );
    renderApp('/security');
    expect(await screen.findByText('No assets yet — add your domain to start', {}, slow)).toBeTruthy();
    expect(screen.getByText('No scan has finished yet.')).toBeTruthy();
    expect(screen.getByText('The trend appears after two scans.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Run a scan' })).toBeNull();
    expect(screen.queryByRole('button', { name: /Acknowledge/ })).toBeNull();
  });
});
