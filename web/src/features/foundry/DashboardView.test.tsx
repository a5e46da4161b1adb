import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderApp } from '../../test/render';
import { server } from '../../test/server';
import { dashboardData, FOUNDRY_URL, kpiResult, salesOverview, signedInAs } from './testing';
import type { DrillDownIn, SemanticQuery } from './types';

function serveDashboard() {
  const dataRequests: URLSearchParams[] = [];
  server.use(
    http.get(`${FOUNDRY_URL}/dashboards/:id`, ({ params }) =>
      params.id === salesOverview.id ? HttpResponse.json(salesOverview) : HttpResponse.json({ title: 'Not found', status: 404 }, { status: 404 }),
    ),
    http.get(`${FOUNDRY_URL}/dashboards/:id/data`, ({ request }) => {
      dataRequests.push(new URL(request.url).searchParams);
      return HttpResponse.json(dashboardData);
    }),
  );
  return dataRequests;
}

// The pages load lazily (routes.tsx): load them once up front so each test starts on a warm chunk.
beforeAll(async () => {
  await import('./pages');
}, 30_000);

describe('Dashboard view', () => {
  it('opens on the default dashboard and renders KPI, table and a failed widget on its own', async () => {
    signedInAs('member');
    serveDashboard();
    renderApp('/foundry');

    expect(await screen.findByRole('heading', { name: 'Sales Overview', level: 1 })).toBeTruthy();
    const revenue = await screen.findByRole('region', { name: 'Revenue' });
    await waitFor(() => expect(within(revenue).getByTestId('kpi-value').textContent).toBe('$2,500.50'));
    // Up 25 % on the previous period, and more revenue is better.
    const change = within(revenue).getByLabelText(/vs previous period/);
    expect(change.getAttribute('aria-label')).toBe('+25% vs previous period, better');
    expect(change.className).toContain('emerald');

    // Refunds went up too, but fewer refunds are better: red.
    const refunds = screen.getByRole('region', { name: 'Refunds' });
    expect(within(refunds).getByTestId('kpi-value').textContent).toBe('$150.00');
    expect(within(refunds).getByLabelText(/vs previous period/).getAttribute('aria-label')).toBe('+50% vs previous period, worse');

    const table = within(screen.getByRole('region', { name: 'Top products' })).getByRole('table', { name: 'Top products' });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(within(table).getByRole('button', { name: 'Ethiopia Yirgacheffe' })).toBeTruthy();
    expect(within(table).getByText('$650.25')).toBeTruthy();

    // The line chart's numbers are available as a table for screen readers.
    const line = screen.getByRole('figure', { name: 'Revenue by day' });
    expect(within(line).getByRole('columnheader', { name: 'Revenue (previous period)' })).toBeTruthy();
    expect(within(line).getByText('$1,300.00')).toBeTruthy();

    const broken = screen.getByRole('region', { name: 'Revenue by category' });
    expect(within(broken).getByRole('alert').textContent).toBe('Revenue cannot be broken down by category here.');

    // Members can edit; the Ask box sits on top.
    expect(screen.getByRole('link', { name: 'Edit dashboard' }).getAttribute('href')).toBe('/foundry/dashboards/d-sales/edit');
  });

  it('asks again for the period and comparison the viewer picks', async () => {
    signedInAs('viewer');
    const requests = serveDashboard();
    const user = userEvent.setup();
    renderApp('/foundry/dashboards/d-sales');

    await screen.findByRole('region', { name: 'Revenue' });
    expect(requests[0]!.toString()).toBe('');
    expect(screen.queryByRole('link', { name: 'Edit dashboard' })).toBeNull();

    await user.selectOptions(screen.getByLabelText('Period'), 'last_90_days');
    await waitFor(() => expect(requests.some((p) => p.get('preset') === 'last_90_days')).toBe(true));
    await user.selectOptions(screen.getByLabelText('Compare with'), 'none');
    await waitFor(() => expect(requests.some((p) => p.get('compare') === 'none' && p.get('preset') === 'last_90_days')).toBe(true));

    await user.selectOptions(screen.getByLabelText('Period'), 'custom');
    await user.type(screen.getByLabelText('From'), '2026-01-01');
    await user.type(screen.getByLabelText('To'), '2026-01-31');
    await user.click(screen.getByRole('button', { name: 'Apply dates' }));
    await waitFor(() => expect(requests.some((p) => p.get('start') === '2026-01-01' && p.get('end') === '2026-01-31' && !p.get('preset'))).toBe(true));
  });

  it('filters every widget by a value suggested from a breakdown query, in one data call', async () => {
    signedInAs('member');
    const dataRequests: URLSearchParams[] = [];
    server.use(
      http.get(`${FOUNDRY_URL}/dashboards/:id`, () => HttpResponse.json(salesOverview)),
      http.get(`${FOUNDRY_URL}/dashboards/:id/data`, ({ request }) => {
        const params = new URL(request.url).searchParams;
        dataRequests.push(params);
        if (!params.get('filters')) return HttpResponse.json(dashboardData);
        // Under the filter, the table fails on its own while the rest answers.
        return HttpResponse.json({
          ...dashboardData,
          widgets: dashboardData.widgets.map((w) =>
            w.widget_id === 'w-kpi'
              ? { ...w, result: { ...kpiResult, totals: { revenue: 900 } } }
              : w.widget_id === 'w-table'
                ? { widget_id: 'w-table', result: null, error: { status: 422, code: 'QUERY_INVALID', detail: 'Products cannot be filtered by channel twice.' } }
                : w,
          ),
        });
      }),
    );
    const queries: SemanticQuery[] = [];
    server.use(
      http.post(`${FOUNDRY_URL}/metrics/query`, async ({ request }) => {
        const query = (await request.json()) as SemanticQuery;
        queries.push(query);
        return HttpResponse.json({
          columns: [{ name: 'channel', label: 'Channel', type: 'string', kind: 'dimension' }, { name: 'revenue', label: 'Revenue', type: 'money', kind: 'metric' }],
          rows: [['web', 900], ['wholesale', 400]],
          totals: { revenue: 1300 },
          range: { start: '2026-03-01', end: '2026-03-02' },
          currency: 'USD',
        });
      }),
    );
    const user = userEvent.setup();
    renderApp('/foundry/dashboards/d-sales');
    const revenue = await screen.findByRole('region', { name: 'Revenue' });
    await waitFor(() => expect(within(revenue).getByTestId('kpi-value').textContent).toBe('$2,500.50'));
    expect(dataRequests[0]!.has('filters')).toBe(false);

    await user.click(await screen.findByRole('button', { name: 'Add filter' }));
    const dialog = screen.getByRole('dialog', { name: 'Add a filter' });
    expect((within(dialog).getByLabelText('Dimension') as HTMLSelectElement).value).toBe('channel');
    await user.click(await within(dialog).findByRole('checkbox', { name: 'web' }));
    await user.click(within(dialog).getByRole('button', { name: 'Apply filter' }));

    const chip = await screen.findByRole('button', { name: 'Remove filter Channel is web' });
    await waitFor(() => expect(within(revenue).getByTestId('kpi-value').textContent).toBe('$900.00'));
    // One call for every widget, the viewer's filters replacing the saved ones; only the
    // breakdown that suggested the values went to /metrics/query.
    const filtered = dataRequests.filter((p) => p.has('filters'));
    expect(filtered).toHaveLength(1);
    expect(JSON.parse(filtered[0]!.get('filters')!)).toEqual([{ dimension: 'channel', op: 'in', values: ['web'] }]);
    expect(filtered[0]!.get('preset')).toBe('last_30_days');
    expect(filtered[0]!.get('compare')).toBe('previous_period');
    expect(queries.every((q) => q.dimensions?.[0] === 'channel')).toBe(true);
    // A widget that fails under the filter says so on its own card.
    const products = screen.getByRole('region', { name: 'Top products' });
    expect(within(products).getByRole('alert').textContent).toBe('Products cannot be filtered by channel twice.');
    expect(within(screen.getByRole('region', { name: 'Refunds' })).getByTestId('kpi-value').textContent).toBe('$150.00');

    await user.click(chip);
    await waitFor(() => expect(within(revenue).getByTestId('kpi-value').textContent).toBe('$2,500.50'));
    // Back to the saved filters: the call carries none, and shares the server's cached answer.
    expect(dataRequests[dataRequests.length - 1]!.has('filters')).toBe(false);
  });

  it('drills from a table row to the rows behind it, a page at a time', async () => {
    signedInAs('member');
    serveDashboard();
    const drills: DrillDownIn[] = [];
    server.use(
      http.post(`${FOUNDRY_URL}/metrics/drill-down`, async ({ request }) => {
        const body = (await request.json()) as DrillDownIn;
        drills.push(body);
        const rows = Array.from({ length: body.limit }, (_, i) => [`#${1000 + body.offset + i}`, '2026-03-01T10:15:00Z', 'Ada Lovelace', 'web', 24.5]);
        return HttpResponse.json({
          entity: 'orders',
          columns: [
            { name: 'order', label: 'Order', type: 'string', kind: 'dimension' },
            { name: 'placed_at', label: 'Placed', type: 'time', kind: 'dimension' },
            { name: 'customer', label: 'Customer', type: 'string', kind: 'dimension' },
            { name: 'channel', label: 'Channel', type: 'string', kind: 'dimension' },
            { name: 'total', label: 'Total', type: 'money', kind: 'metric' },
          ],
          rows: body.offset >= 25 ? rows.slice(0, 5) : rows,
          total: 30,
          offset: body.offset,
          limit: body.limit,
        });
      }),
    );
    const user = userEvent.setup();
    renderApp('/foundry/dashboards/d-sales');

    const products = await screen.findByRole('region', { name: 'Top products' });
    await user.click(await within(products).findByRole('button', { name: 'Ethiopia Yirgacheffe' }));

    const dialog = await screen.findByRole('dialog', { name: 'Revenue · Ethiopia Yirgacheffe' });
    const rows = await within(dialog).findByRole('table', { name: 'Rows behind Revenue · Ethiopia Yirgacheffe' });
    expect(within(rows).getAllByRole('row')).toHaveLength(26);
    expect(within(dialog).getByText('30 orders')).toBeTruthy();
    expect(drills[0]).toEqual({
      metric: 'revenue',
      // The widget's own filter, then the clicked product; the period is the result's.
      filters: [
        { dimension: 'channel', op: 'eq', values: ['web'] },
        { dimension: 'product', op: 'eq', values: ['Ethiopia Yirgacheffe'] },
      ],
      time_range: { start: '2026-03-01', end: '2026-03-02' },
      offset: 0,
      limit: 25,
    });

    await user.click(within(dialog).getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(within(dialog).getAllByRole('row')).toHaveLength(6));
    expect(drills[drills.length - 1]!.offset).toBe(25);
    expect(within(dialog).getByText('#1025')).toBeTruthy();

    await user.click(within(dialog).getByRole('button', { name: 'Close dialog' }));
    expect(screen.queryByRole('dialog')).toBeNull();

    // A KPI card drills into the whole period.
    await user.click(screen.getByRole('button', { name: /^Revenue: \$2,500\.50/ }));
    await screen.findByRole('dialog', { name: 'Revenue' });
    expect(drills[drills.length - 1]).toMatchObject({ metric: 'revenue', filters: [], time_range: { start: '2026-03-01', end: '2026-03-02' } });
  });

  it('lists dashboards and creates one from a template', async () => {
    signedInAs('admin');
    serveDashboard();
    let created: unknown = null;
    server.use(
      http.get(`${FOUNDRY_URL}/dashboards/templates`, () =>
        HttpResponse.json([{ name: 'customer_analytics', title: 'Customer Analytics', description: 'Who buys, who comes back.', widget_count: 8 }]),
      ),
      http.post(`${FOUNDRY_URL}/dashboards`, async ({ request }) => {
        created = await request.json();
        return HttpResponse.json({ ...salesOverview, id: 'd-sales', name: 'Customer Analytics', template: 'customer_analytics' }, { status: 201 });
      }),
    );
    const user = userEvent.setup();
    renderApp('/foundry/dashboards');

    const table = await screen.findByRole('table', { name: 'Dashboards' });
    expect(within(table).getByRole('link', { name: 'Sales Overview' }).getAttribute('href')).toBe('/foundry/dashboards/d-sales');
    expect(within(table).getByText('Default')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'New dashboard' }));
    const dialog = screen.getByRole('dialog', { name: 'New dashboard' });
    await within(dialog).findByRole('option', { name: 'Customer Analytics' });
    await user.selectOptions(within(dialog).getByLabelText('Start from'), 'customer_analytics');
    await user.click(within(dialog).getByRole('button', { name: 'Create dashboard' }));

    expect(await screen.findByRole('heading', { name: 'Customer Analytics', level: 1 })).toBeTruthy();
    expect(created).toEqual({ name: 'Customer Analytics', template: 'customer_analytics', compare: 'previous_period', is_default: false });
  });
});
