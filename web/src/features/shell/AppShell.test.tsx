import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../api/auth';
import { problem, server, tokens } from '../../test/server';
import { renderApp } from '../../test/render';
import { me, organization } from '../../test/fixtures';

describe('AppShell', () => {
  it('switches tenant: sends X-Tenant-ID and shows the new current tenant', async () => {
    session.setTokens(tokens('access-1'));
    tenantStore.set('t1');
    const seenTenants: (string | null)[] = [];
    server.use(
      http.get('*/api/auth/me', ({ request }) => {
        const tid = request.headers.get('X-Tenant-ID');
        seenTenants.push(tid);
        const current = me.tenants.find((t) => t.id === tid) ?? me.tenants[0]!;
        return HttpResponse.json({ ...me, current_tenant: current });
      }),
      http.get('*/api/organization', ({ request }) =>
        HttpResponse.json({ ...organization, name: request.headers.get('X-Tenant-ID') === 't2' ? 'Globex' : 'Acme Ltd' }),
      ),
    );
    const user = userEvent.setup();
    renderApp('/');
    expect(await screen.findByText("You're working in Acme Ltd. Pick a module to get started.")).toBeTruthy();
    expect(screen.getByTestId('current-tenant').textContent).toBe('Acme Ltd');

    await user.selectOptions(screen.getByLabelText('Company'), 'Globex');
    await waitFor(() => expect(screen.getByTestId('current-tenant').textContent).toBe('Globex'));
    expect(tenantStore.get()).toBe('t2');
    expect(seenTenants).toContain('t2');
    // The role badge follows the tenant (member in Globex).
    expect(screen.getByRole('banner').textContent).toContain('Member');
  });

  it('sends the user to /login when the session cannot be refreshed', async () => {
    session.setTokens(tokens('expired'));
    let refreshCalls = 0;
    server.use(
      http.get('*/api/auth/me', () => problem(401, 'AUTH_TOKEN_EXPIRED', 'Token expired', 'The access token has expired.')),
      http.get('*/api/organization', () => problem(401, 'AUTH_TOKEN_EXPIRED', 'Token expired', 'The access token has expired.')),
      http.post('*/api/auth/refresh', () => {
        refreshCalls += 1;
        return problem(401, 'AUTH_INVALID_TOKEN', 'Invalid token', 'Refresh token expired.');
      }),
    );
    renderApp('/settings/organization');
    expect(await screen.findByRole('heading', { name: 'Sign in to Binelek' })).toBeTruthy();
    expect(screen.getByText('Your session has ended. Please sign in again.')).toBeTruthy();
    expect(session.getState().status).toBe('anonymous');
    expect(refreshCalls).toBe(1);
  });

  it('shows a module page with an honest empty state', async () => {
    session.setTokens(tokens('access-1'));
    server.use(
      http.get('*/api/auth/me', () => HttpResponse.json(me)),
      http.get('*/api/organization', () => HttpResponse.json(organization)),
      http.get('*/api/modules/cybersecurity-scanner/posture', () =>
        HttpResponse.json({ score: 100, grade: 'A', parts: [], open_issues: {}, history: [], trend: { days_7: null, days_30: null }, last_scan_at: null }),
      ),
      http.get('*/api/modules/cybersecurity-scanner/assets', () => HttpResponse.json([])),
      http.get('*/api/modules/cybersecurity-scanner/alerts', () => HttpResponse.json({ items: [], total: 0, limit: 5, offset: 0 })),
    );
    renderApp('/security');
    expect(await screen.findByRole('heading', { name: 'Cybersecurity Scanner', level: 1 }, { timeout: 8000 })).toBeTruthy();
    expect(await screen.findByText('No assets yet — add your domain to start')).toBeTruthy();
  });
});
