import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { MemoryRouter } from 'react-router';
import { session, tenantStore } from '../../api/auth';
import { ApiError } from '../../api/problem';
import { ProblemAlert } from '../../components';
import { server, tokens } from '../../test/server';
import { renderApp } from '../../test/render';
import { me, organization } from '../../test/fixtures';
import { meterTone } from './UsageSettings';

const limits = (connectors: number | null, ai: number | null, seats: number | null, automations: number | null, products: number | null, sync: number, price: number) => ({
  connectors,
  ai_queries: ai,
  seats,
  automations,
  tracked_products: products,
  sync_every_minutes: sync,
  price_check_every_hours: price,
});

const plans = [
  { name: 'free', label: 'Free', limits: limits(2, 200, 5, 5, 25, 1440, 24) },
  { name: 'pro', label: 'Pro', limits: limits(10, 2000, 15, 50, 250, 60, 4) },
  { name: 'business', label: 'Business', limits: limits(50, 20000, 100, 500, 2500, 15, 1) },
  { name: 'enterprise', label: 'Enterprise', limits: limits(null, null, null, null, null, 10, 1) },
];

const usage = {
  plan: plans[0],
  period_start: '2026-12-01T00:00:00Z',
  period_end: '2027-01-01T00:00:00Z',
  plans,
  meters: [
    { meter: 'connectors', label: 'Connected apps', used: 2, limit: 2, percent: 100 },
    { meter: 'ai_queries', label: 'AI queries this month', used: 170, limit: 200, percent: 85 },
    { meter: 'seats', label: 'Seats (members and pending invitations)', used: 2, limit: 5, percent: 40 },
    { meter: 'automations', label: 'Active automations', used: 0, limit: 5, percent: 0 },
    { meter: 'tracked_products', label: 'Tracked products', used: 3, limit: 25, percent: 12 },
  ],
};

describe('UsageSettings', () => {
  it('shows the plan, a labelled meter per limit coloured at 80 % and 100 %, and the plans side by side', async () => {
    session.setTokens(tokens('access-1'));
    tenantStore.set('t1');
    server.use(
      http.get('*/api/auth/me', () => HttpResponse.json({ ...me, current_tenant: { ...me.current_tenant, role: 'viewer' } })),
      http.get('*/api/usage', () => HttpResponse.json(usage)),
      http.get('*/api/organization', () => HttpResponse.json(organization)),
    );
    renderApp('/settings/usage');

    expect(await screen.findByText('Free plan', undefined, { timeout: 10_000 })).toBeTruthy();
    const connectors = screen.getByRole('meter', { name: 'Connected apps' });
    expect(connectors.getAttribute('aria-valuetext')).toBe('2 of 2 (100%)');
    expect((connectors.firstElementChild as HTMLElement).className).toContain('bg-red-500');
    const ai = screen.getByRole('meter', { name: 'AI queries this month' });
    expect((ai.firstElementChild as HTMLElement).className).toContain('bg-amber-500');
    const seats = screen.getByRole('meter', { name: 'Seats (members and pending invitations)' });
    expect((seats.firstElementChild as HTMLElement).className).toContain('bg-brand-600');
    expect(screen.getByText(/Limit reached/)).toBeTruthy();
    expect(screen.getByText('Close to the limit.')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Usage' })).toBeTruthy(); // the settings nav, for every role

    const table = screen.getByRole('table', { name: 'Plans compared' });
    const enterprise = within(table).getByRole('row', { name: /Tracked products/ });
    expect(enterprise.textContent).toContain('Unlimited');
    expect(within(table).getByRole('row', { name: /Price checks/ }).textContent).toContain('Every 4 h');
    expect(within(table).getByRole('columnheader', { name: /Free/ }).textContent).toContain('Current plan');
  });

  it('colours by the same thresholds', () => {
    expect(meterTone(null)).toBe('ok');
    expect(meterTone(79.9)).toBe('ok');
    expect(meterTone(80)).toBe('warning');
    expect(meterTone(100)).toBe('full');
  });
});

describe('ProblemAlert with PLAN_LIMIT_REACHED', () => {
  it('says a plan limit was reached, shows the detail and links to the usage page', () => {
    const error = new ApiError({
      title: 'Payment Required',
      status: 402,
      code: 'PLAN_LIMIT_REACHED',
      detail: 'The Free plan allows 2 connected apps; this organization uses 2. The Pro plan allows 10; the install’s operator can upgrade.',
    });
    render(
      <MemoryRouter>
        <ProblemAlert error={error} />
      </MemoryRouter>,
    );
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Plan limit reached');
    expect(alert.textContent).toContain('this organization uses 2');
    expect(within(alert).getByRole('link', { name: 'See your plan and usage' }).getAttribute('href')).toBe('/settings/usage');
  });
});
