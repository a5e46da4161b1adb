import { beforeAll, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderApp } from '../../../test/render';
import { server } from '../../../test/server';
import { dashboardData, FOUNDRY_URL, kpiWidget, lineWidget, salesOverview, signedInAs, tableResult } from '../testing';
import type { DashboardIn, DashboardOut, SemanticQuery } from '../types';

const small: DashboardOut = { ...salesOverview, widgets: [kpiWidget, lineWidget] };

function serve() {
  const saved: DashboardIn[] = [];
  const previews: SemanticQuery[] = [];
  server.use(
    http.get(`${FOUNDRY_URL}/dashboards/:id`, () => HttpResponse.json(small)),
    http.get(`${FOUNDRY_URL}/dashboards/:id/data`, () => HttpResponse.json(dashboardData)),
    http.post(`${FOUNDRY_URL}/metrics/query`, async ({ request }) => {
      const query = (await request.json()) as SemanticQuery;
      previews.push(query);
      return HttpResponse.json({ ...tableResult, columns: [{ name: 'category', label: 'Category', type: 'string', kind: 'dimension' }, tableResult.columns[1]], rows: [['Coffee', 1200], ['Gear', 300]] });
    }),
    http.put(`${FOUNDRY_URL}/dashboards/:id`, async ({ request }) => {
      const body = (await request.json()) as DashboardIn;
      saved.push(body);
      const widgets = (body.widgets ?? []).map((w, i) => ({ ...w, id: w.id ?? `w-new-${i}`, options: w.options ?? {} }));
      return HttpResponse.json({ ...small, ...body, widgets });
    }),
  );
  return { saved, previews };
}

// The pages load lazily (routes.tsx): load them once up front so each test starts on a warm chunk.
beforeAll(async () => {
  await import('../pages');
}, 30_000);

// Dialog forms with live previews: typing and re-rendering take a few seconds in happy-dom.
describe('Dashboard builder', { timeout: 20_000 }, () => {
  it('adds a widget with a live preview, removes one, moves one and saves the new layout', async () => {
    signedInAs('member');
    const { saved, previews } = serve();
    const user = userEvent.setup();
    renderApp('/foundry/dashboards/d-sales/edit');

    expect(await screen.findByRole('heading', { name: 'Edit Sales Overview', level: 1 })).toBeTruthy();
    const grid = screen.getByTestId('builder-grid');
    await within(grid).findByRole('region', { name: 'Revenue' });

    // Add a bar chart of revenue by category; the preview runs the query over the dashboard's period.
    await user.click(screen.getAllByRole('button', { name: 'Add widget' })[0]!);
    const editor = screen.getByRole('dialog', { name: 'Add a widget' });
    expect((within(editor).getByLabelText('Chart type') as HTMLSelectElement).value).toBe('bar');
    expect((within(editor).getByLabelText('Breakdown') as HTMLSelectElement).value).toBe('category');
    expect((within(editor).getByLabelText('Title') as HTMLInputElement).value).toBe('Revenue by category');
    await user.click(within(editor).getByRole('checkbox', { name: 'Orders' }));
    await waitFor(() =>
      expect(previews[previews.length - 1]).toEqual({
        metrics: ['revenue', 'orders'],
        dimensions: ['category'],
        filters: [],
        time_range: { preset: 'last_30_days' },
        compare: 'previous_period',
        order_by: [],
        limit: 500,
      }),
    );
    expect(await within(editor).findByRole('figure', { name: 'Revenue by category' })).toBeTruthy();
    await user.click(within(editor).getByRole('button', { name: 'Add to dashboard' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(await within(grid).findByRole('region', { name: 'Revenue by category' })).toBeTruthy();

    // Remove the line chart, and move the KPI card one column right with the keyboard.
    await user.click(within(grid).getByRole('button', { name: 'Remove Revenue by day' }));
    expect(within(grid).queryByRole('region', { name: 'Revenue by day' })).toBeNull();
    fireEvent.keyDown(within(grid).getByRole('button', { name: 'Move Revenue' }), { key: 'ArrowRight' });
    fireEvent.keyDown(within(grid).getByRole('button', { name: 'Move Revenue' }), { key: 'ArrowDown', shiftKey: true });

    await user.click(screen.getByRole('button', { name: 'Save dashboard' }));
    await screen.findByRole('heading', { name: 'Sales Overview', level: 1 });
    expect(saved).toHaveLength(1);
    const body = saved[0]!;
    expect(body.name).toBe('Sales Overview');
    expect(body.widgets!.map((w) => [w.id, w.title, w.type, w.layout])).toEqual([
      ['w-kpi', 'Revenue', 'kpi', { x: 1, y: 0, w: 3, h: 4 }],
      [null, 'Revenue by category', 'bar', { x: 0, y: 4, w: 6, h: 8 }],
    ]);
    expect(body.widgets![1]!.query).toEqual({
      metrics: ['revenue', 'orders'],
      dimensions: ['category'],
      filters: [],
      order_by: [],
      limit: 500,
      time_range: null,
    });
  });

  it('cancels without saving', async () => {
    signedInAs('admin');
    const { saved } = serve();
    const user = userEvent.setup();
    renderApp('/foundry/dashboards/d-sales/edit');

    const grid = await screen.findByTestId('builder-grid');
    await user.click(await within(grid).findByRole('button', { name: 'Remove Revenue by day' }));
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await screen.findByRole('heading', { name: 'Sales Overview', level: 1 });
    expect(saved).toHaveLength(0);
  });

  it('changes a widget in the editor and saves its new query', async () => {
    signedInAs('admin');
    const { saved } = serve();
    const user = userEvent.setup();
    renderApp('/foundry/dashboards/d-sales/edit');

    const grid = await screen.findByTestId('builder-grid');
    await user.click(await within(grid).findByRole('button', { name: 'Edit Revenue by day' }));
    const editor = screen.getByRole('dialog', { name: 'Edit widget' });
    await user.selectOptions(within(editor).getByLabelText('Over time by'), 'date.week');
    await user.click(within(editor).getByRole('button', { name: 'Add widget filter' }));
    await user.selectOptions(within(editor).getByLabelText('Filter dimension'), 'channel');
    fireEvent.change(within(editor).getByLabelText('Filter values'), { target: { value: 'web, wholesale' } });
    await user.click(within(editor).getByRole('button', { name: 'Apply changes' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Save dashboard' }));

    await waitFor(() => expect(saved).toHaveLength(1));
    const line = saved[0]!.widgets!.find((w) => w.id === 'w-line')!;
    expect(line.query.dimensions).toEqual(['date.week']);
    expect(line.query.filters).toEqual([{ dimension: 'channel', op: 'in', values: ['web', 'wholesale'] }]);
    expect(line.title).toBe('Revenue by day');
  });

  it('tells a viewer only members and admins edit', async () => {
    signedInAs('viewer');
    serve();
    renderApp('/foundry/dashboards/d-sales/edit');
    expect(await screen.findByText('Only members and admins can edit dashboards')).toBeTruthy();
  });
});
