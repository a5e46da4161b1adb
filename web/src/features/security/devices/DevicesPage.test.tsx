import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderApp } from '../../../test/render';
import { problem, server } from '../../../test/server';
import { device, issue, page, SECURITY_URL, signedInAs } from '../testing';
import type { DeviceDetail, EnrolmentToken } from '../types';

beforeAll(async () => {
  await import('./index');
}, 30_000);

const slow = { timeout: 8000 };
const SECRET = 'bnk_enrol_7f3c9a1b2d4e6f8091a2b3c4d5e6f708';

function serveDevices() {
  const laptop = device({ id: 'd1', hostname: 'ada-laptop', disk_encryption: true, firewall: null, screen_lock: false, vulnerabilities: 2 });
  const state = { tokens: [] as EnrolmentToken[], created: [] as unknown[], agentAuth: [] as (string | null)[] };
  server.use(
    http.get(`${SECURITY_URL}/devices`, () => HttpResponse.json(page([laptop]))),
    http.get(`${SECURITY_URL}/enrolment-tokens`, () => HttpResponse.json(state.tokens)),
    http.post(`${SECURITY_URL}/enrolment-tokens`, async ({ request }) => {
      const body = (await request.json()) as { label: string | null };
      state.created.push(body);
      const row = { id: 'tok-1', prefix: SECRET.slice(0, 12), label: body.label, created_at: '2026-03-02T09:00:00Z', last_used_at: null };
      state.tokens.push(row);
      return HttpResponse.json({ ...row, token: SECRET }, { status: 201 });
    }),
    http.get(`${SECURITY_URL}/agent`, ({ request }) => {
      state.agentAuth.push(request.headers.get('Authorization'));
      return new HttpResponse('#!/usr/bin/env python3\n', { headers: { 'Content-Type': 'text/x-python', 'Content-Disposition': 'attachment; filename="binelek-agent.py"' } });
    }),
  );
  return state;
}

describe('Devices', { timeout: 20_000 }, () => {
  it('lists devices with known / unknown protection states', async () => {
    signedInAs('admin');
    serveDevices();
    renderApp('/security/devices');
    const table = await screen.findByRole('table', { name: 'Devices' }, slow);
    const row = within(table).getByRole('link', { name: 'ada-laptop' }).closest('tr')!;
    expect(within(row).getByText('Unknown')).toBeTruthy();
    expect(within(row).getByRole('img', { name: 'Disk encryption: on' })).toBeTruthy();
    expect(within(row).getByRole('img', { name: 'Firewall: unknown' })).toBeTruthy();
    expect(within(row).getByRole('img', { name: 'Screen lock: off' })).toBeTruthy();
    expect(within(row).getByText('Ubuntu 24.04')).toBeTruthy();
  });

  it('shows a new enrolment token once, with the command to run, and downloads the agent with the auth header', async () => {
    signedInAs('admin');
    const state = serveDevices();
    const user = userEvent.setup({ delay: null });
    renderApp('/security/devices');

    const command = await screen.findByTestId('agent-command', {}, slow);
    expect(command.textContent).toBe('python3 binelek-agent.py --server http://localhost:3000 --token <token>');
    const form = screen.getByRole('form', { name: 'Create an enrolment token' });
    await user.type(within(form).getByLabelText('Token label'), 'Office laptops');
    await user.click(within(form).getByRole('button', { name: 'Create token' }));

    const shown = await screen.findByRole('region', { name: 'New enrolment token' });
    expect((within(shown).getByLabelText('Enrolment token') as HTMLInputElement).value).toBe(SECRET);
    expect(screen.getByTestId('agent-command').textContent).toBe(`python3 binelek-agent.py --server http://localhost:3000 --token ${SECRET}`);
    expect(state.created).toEqual([{ label: 'Office laptops' }]);
    // The list only ever has the prefix.
    const tokens = await screen.findByRole('table', { name: 'Enrolment tokens' });
    await within(tokens).findByText('Office laptops');
    expect(tokens.textContent).not.toContain(SECRET);

    await user.click(within(shown).getByRole('button', { name: 'Done, hide it' }));
    expect(screen.queryByRole('region', { name: 'New enrolment token' })).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
    expect(screen.getByTestId('agent-command').textContent).toContain('--token <token>');

    await user.click(screen.getByRole('button', { name: 'Download binelek-agent.py' }));
    await waitFor(() => expect(state.agentAuth).toEqual(['Bearer access-1']));
  });

  it('shows a member why the token list is refused', async () => {
    signedInAs('member');
    serveDevices();
    server.use(http.post(`${SECURITY_URL}/enrolment-tokens`, () => problem(403, 'ADMIN_REQUIRED', 'Forbidden', 'Only an admin may do this.')));
    const user = userEvent.setup({ delay: null });
    renderApp('/security/devices');
    const form = await screen.findByRole('form', { name: 'Create an enrolment token' }, slow);
    expect(screen.queryByRole('table', { name: 'Enrolment tokens' })).toBeNull();
    await user.click(within(form).getByRole('button', { name: 'Create token' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Only an admin may do this.');
  });

  it('device detail: facts, package search, issues and "Mark as known"', async () => {
    signedInAs('admin');
    let current: DeviceDetail = {
      ...device({ id: 'd2', hostname: 'build-server', known: false, package_count: 3 }),
      packages: [
        { name: 'openssl', version: '3.0.2-0ubuntu1.10', source: 'dpkg', ecosystem: 'Ubuntu:22.04' },
        { name: 'openssh-server', version: '1:8.9p1-3', source: 'dpkg', ecosystem: 'Ubuntu:22.04' },
        { name: 'requests', version: '2.25.0', source: 'pip', ecosystem: 'PyPI' },
      ],
      issues: [issue({ id: 'i-unknown', title: 'Unknown device on the network', category: 'device', severity: 'medium' })],
    };
    const patches: unknown[] = [];
    server.use(
      http.get(`${SECURITY_URL}/devices/d2`, () => HttpResponse.json(current)),
      http.patch(`${SECURITY_URL}/devices/d2`, async ({ request }) => {
        const body = (await request.json()) as { known: boolean };
        patches.push(body);
        current = { ...current, ...body };
        return HttpResponse.json(current);
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderApp('/security/devices/d2');

    expect(await screen.findByRole('heading', { name: 'build-server', level: 1 }, slow)).toBeTruthy();
    expect(within(screen.getByRole('table', { name: 'Device issues' })).getByRole('link', { name: 'Unknown device on the network' }).getAttribute('href')).toBe('/security/issues/i-unknown');
    const packages = screen.getByRole('table', { name: 'Installed packages' });
    expect(within(packages).getAllByRole('row')).toHaveLength(4);
    await user.type(screen.getByRole('searchbox', { name: 'Search packages' }), 'openss');
    expect(within(packages).getAllByRole('row')).toHaveLength(3);
    expect(within(packages).queryByText('requests')).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Mark as known' }));
    await waitFor(() => expect(patches).toEqual([{ known: true }]));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Mark as known' })).toBeNull());
    expect(screen.getByText('Known')).toBeTruthy();
  });
});
