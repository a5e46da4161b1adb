import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../api/auth';
import { problem, server, tokens } from '../../test/server';
import { renderApp } from '../../test/render';
import { me, organization } from '../../test/fixtures';

const done = {
  id: 'e1',
  status: 'done',
  progress: 100,
  size_bytes: 20480,
  counts: { tasks: 3 },
  error: null,
  created_at: '2026-12-01T10:00:00Z',
  finished_at: '2026-12-01T10:01:00Z',
  expires_at: '2026-12-08T10:01:00Z',
};

describe('OrganizationData', () => {
  it('starts an export, shows its progress and offers the download when done', async () => {
    session.setTokens(tokens('access-1'));
    tenantStore.set('t1');
    let listed = 0;
    server.use(
      http.get('*/api/auth/me', () => HttpResponse.json(me)),
      http.get('*/api/organization', () => HttpResponse.json(organization)),
      http.post('*/api/organization/export', () =>
        HttpResponse.json({ ...done, status: 'queued', progress: 0, size_bytes: null, finished_at: null, expires_at: null }, { status: 202 }),
      ),
      http.get('*/api/organization/exports', () => {
        listed += 1;
        const items = listed === 1 ? [] : listed === 2 ? [{ ...done, status: 'running', progress: 40 }] : [done];
        return HttpResponse.json({ items, total: items.length, limit: 5, offset: 0 });
      }),
    );
    const user = userEvent.setup();
    renderApp('/settings/organization');
    await screen.findByText('No exports yet.');
    await user.click(screen.getByRole('button', { name: 'Export all data' }));
    expect(await screen.findByLabelText('Export progress 40%')).toBeTruthy();
    expect(await screen.findByRole('button', { name: 'Download' }, { timeout: 4000 })).toBeTruthy();
    expect(screen.getByText('20.0 KB')).toBeTruthy();
  });

  it('deletes only after the name is typed again, and shows a refusal', async () => {
    session.setTokens(tokens('access-1'));
    tenantStore.set('t1');
    let body: Record<string, unknown> | null = null;
    server.use(
      http.get('*/api/auth/me', () => HttpResponse.json({ ...me, mfa_enabled: true })),
      http.get('*/api/organization', () => HttpResponse.json(organization)),
      http.get('*/api/organization/exports', () => HttpResponse.json({ items: [], total: 0, limit: 5, offset: 0 })),
      http.delete('*/api/organization', async ({ request }) => {
        body = (await request.json()) as Record<string, unknown>;
        return problem(422, 'MFA_CODE_INVALID', 'Unprocessable', 'The authentication code is not valid.', {
          errors: [{ loc: ['body', 'code'], msg: 'The authentication code is not valid.', type: 'value_error' }],
        });
      }),
    );
    const user = userEvent.setup();
    renderApp('/settings/organization');
    await user.click(await screen.findByRole('button', { name: 'Delete organization' }));
    const submit = screen.getByRole('button', { name: 'Delete this organization' });
    await user.type(screen.getByLabelText('Type “Acme Ltd” to confirm'), 'Acme');
    expect((submit as HTMLButtonElement).disabled).toBe(true);
    await user.type(screen.getByLabelText('Type “Acme Ltd” to confirm'), ' Ltd');
    await user.type(screen.getByLabelText('Authentication code'), '123456');
    await user.click(submit);
    await waitFor(() => expect(body).toEqual({ confirm: 'Acme Ltd', code: '123456' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The authentication code is not valid.');
  });

  it('is not shown to non-admins', async () => {
    session.setTokens(tokens('access-1'));
    server.use(
      http.get('*/api/auth/me', () => HttpResponse.json({ ...me, current_tenant: { id: 't1', name: 'Acme Ltd', role: 'member' } })),
      http.get('*/api/organization', () => HttpResponse.json(organization)),
    );
    renderApp('/settings/organization');
    await screen.findByLabelText('Company name');
    expect(screen.queryByRole('button', { name: 'Delete organization' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Export all data' })).toBeNull();
  });
});
