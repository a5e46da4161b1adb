import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderApp } from '../../../test/render';
import { problem, server } from '../../../test/server';
import { catalog, FOUNDRY_URL, signedInAs } from '../testing';
import type { MetricCatalogOut, MetricOut } from '../types';
import { baseMeasures, insertName, unknownNames } from './formula';
import { nameFromLabel } from './CustomMetricDialog';

const formulas: Record<string, string> = {
  revenue: 'order_total',
  orders: 'order_count',
  units_sold: 'units',
  refunds: 'refund_total',
};

const grossMargin: MetricOut = {
  id: 'm-1',
  name: 'web_margin',
  label: 'Web margin',
  description: 'Revenue less refunds, web only.',
  format: 'money',
  entity: 'orders',
  dimensions: ['date.day', 'channel'],
  custom: true,
  formula: 'order_total - refund_total',
};

const builtIns: MetricOut[] = catalog.metrics.map((metric) => ({ ...metric, formula: formulas[metric.name] ?? null }));

/** The catalogue with `custom` metrics, answering GET /metrics and counting the calls. */
function serveCatalog(custom: MetricOut[]) {
  const state = { custom, gets: 0 };
  server.use(
    http.get(`${FOUNDRY_URL}/metrics`, () => {
      state.gets += 1;
      const body: MetricCatalogOut = { ...catalog, metrics: [...builtIns, ...state.custom] };
      return HttpResponse.json(body);
    }),
  );
  return state;
}

// The pages load lazily (routes.tsx): load them once up front so each test starts on a warm chunk.
beforeAll(async () => {
  await import('../pages');
}, 30_000);

describe('formula helpers', () => {
  it('reads the base measures off the built-in formulas, not custom ones or months', () => {
    const metrics = [...builtIns, { ...grossMargin, formula: 'bogus_measure' }, { ...builtIns[0]!, name: 'mrr', formula: 'subscription_total / months' }];
    expect(baseMeasures(metrics)).toEqual(['order_count', 'order_total', 'refund_total', 'subscription_total', 'units']);
    expect(unknownNames('(order_total - refnd) / months * 2', ['order_total'])).toEqual(['refnd']);
  });

  it('inserts a measure at the cursor with spaces where names would touch', () => {
    expect(insertName('', 'units', 0)).toEqual({ text: 'units', caret: 5 });
    expect(insertName('order_total', 'units', 11)).toEqual({ text: 'order_total units', caret: 17 });
    expect(insertName('( / 2', 'units', 1)).toEqual({ text: '(units / 2', caret: 6 });
    expect(insertName('a + b', 'units', 4, 5)).toEqual({ text: 'a + units', caret: 9 });
    expect(insertName('a -', 'units', 3)).toEqual({ text: 'a - units', caret: 9 });
    expect(insertName('a', 'units', 0)).toEqual({ text: 'units a', caret: 5 });
    expect(nameFromLabel('  Net Sales (web) ')).toBe('net_sales_web');
    expect(nameFromLabel('2024 revenue')).toBe('revenue');
  });
});

describe('Metrics page', () => {
  it('lists built-in and custom metrics apart, under their own tab', async () => {
    signedInAs('member');
    serveCatalog([grossMargin]);
    renderApp('/foundry/metrics');

    expect(await screen.findByRole('heading', { name: 'Metrics', level: 1 })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Metrics' }).getAttribute('aria-current')).toBe('page');
    const custom = await screen.findByRole('table', { name: 'Custom metrics' });
    const customRows = within(custom).getAllByRole('row').slice(1);
    expect(customRows).toHaveLength(1);
    expect(customRows[0]!.textContent).toContain('Web marginweb_margin');
    expect(within(customRows[0]!).getByText('order_total - refund_total')).toBeTruthy();
    expect(within(customRows[0]!).getByText('Money')).toBeTruthy();

    const builtIn = screen.getByRole('table', { name: 'Built-in metrics' });
    const builtInRows = within(builtIn).getAllByRole('row').slice(1);
    expect(builtInRows.map((row) => within(row).getByText(/^[a-z_]+$/, { selector: 'p' }).textContent)).toEqual(['revenue', 'orders', 'units_sold', 'refunds']);
    expect(within(builtIn).queryByRole('button', { name: /Delete/ })).toBeNull();
    expect(within(custom).getByRole('button', { name: 'Delete Web margin' })).toBeTruthy();
  });

  it('creates a custom metric from measure chips and filters, then lists it', async () => {
    signedInAs('admin');
    const served = serveCatalog([]);
    let sent: unknown = null;
    server.use(
      http.post(`${FOUNDRY_URL}/metrics/custom`, async ({ request }) => {
        sent = await request.json();
        served.custom = [grossMargin];
        return HttpResponse.json(grossMargin, { status: 201 });
      }),
    );
    const user = userEvent.setup();
    renderApp('/foundry/metrics');
    expect(await screen.findByText('No custom metrics yet.')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'New metric' }));
    const dialog = screen.getByRole('dialog', { name: 'New custom metric' });
    const create = within(dialog).getByRole('button', { name: 'Create metric' }) as HTMLButtonElement;
    expect(create.disabled).toBe(true);

    await user.type(within(dialog).getByLabelText('Label'), 'Web margin');
    // The name follows the label until it is typed.
    expect((within(dialog).getByLabelText('Name') as HTMLInputElement).value).toBe('web_margin');
    await user.type(within(dialog).getByLabelText('Description'), 'Revenue less refunds, web only.');
    await user.selectOptions(within(dialog).getByLabelText('Format'), 'money');

    const chips = within(dialog).getByRole('list', { name: 'Base measures (click to insert)' });
    expect(within(chips).getAllByRole('button').map((b) => b.textContent)).toEqual(['order_count', 'order_total', 'refund_total', 'units']);
    const formula = within(dialog).getByLabelText('Formula') as HTMLTextAreaElement;
    await user.click(within(chips).getByRole('button', { name: 'order_total' }));
    await user.type(formula, ' - refnd');
    // A name that is no base measure is pointed out before the server is asked.
    expect(within(dialog).getByText('Not a base measure: refnd.')).toBeTruthy();
    await user.clear(formula);
    await user.click(within(chips).getByRole('button', { name: 'order_total' }));
    await user.type(formula, ' -');
    await user.click(within(chips).getByRole('button', { name: 'refund_total' }));
    expect(formula.value).toBe('order_total - refund_total');

    await user.click(within(dialog).getByRole('button', { name: 'Add filter' }));
    await user.selectOptions(within(dialog).getByLabelText('Filter 1 dimension'), 'channel');
    await user.type(within(dialog).getByLabelText('Filter 1 values'), 'web, wholesale ,');
    await user.click(within(dialog).getByRole('button', { name: 'Add filter' }));
    await user.click(within(dialog).getByRole('button', { name: 'Remove filter 2' }));

    const getsBefore = served.gets;
    await user.click(create);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(sent).toEqual({
      name: 'web_margin',
      label: 'Web margin',
      description: 'Revenue less refunds, web only.',
      format: 'money',
      formula: 'order_total - refund_total',
      filters: [{ dimension: 'channel', op: 'in', values: ['web', 'wholesale'] }],
    });
    expect((await screen.findByRole('status')).textContent).toContain('Created “Web margin”');
    // The catalogue is fetched again, so every picker lists the new metric.
    const custom = screen.getByRole('table', { name: 'Custom metrics' });
    expect(await within(custom).findByText('web_margin')).toBeTruthy();
    expect(served.gets).toBeGreaterThan(getsBefore);
  });

  it('shows why the server refused a metric and keeps the form', async () => {
    signedInAs('member');
    serveCatalog([]);
    server.use(
      http.post(`${FOUNDRY_URL}/metrics/custom`, () =>
        problem(422, 'VALIDATION_ERROR', 'Validation failed', "The measure 'units' can't be filtered by 'channel'."),
      ),
    );
    const user = userEvent.setup();
    renderApp('/foundry/metrics');

    await user.click(await screen.findByRole('button', { name: 'New metric' }));
    const dialog = screen.getByRole('dialog', { name: 'New custom metric' });
    await user.type(within(dialog).getByLabelText('Label'), 'Web units');
    await user.type(within(dialog).getByLabelText('Formula'), 'units');
    await user.click(within(dialog).getByRole('button', { name: 'Add filter' }));
    await user.type(within(dialog).getByLabelText('Filter 1 values'), 'web');
    await user.click(within(dialog).getByRole('button', { name: 'Create metric' }));

    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toContain('The server did not accept this metric');
    expect(alert.textContent).toContain("The measure 'units' can't be filtered by 'channel'.");
    expect((within(dialog).getByLabelText('Formula') as HTMLTextAreaElement).value).toBe('units');
  });

  it('flags a name the server would refuse before sending it', async () => {
    signedInAs('member');
    serveCatalog([]);
    const user = userEvent.setup();
    renderApp('/foundry/metrics');

    await user.click(await screen.findByRole('button', { name: 'New metric' }));
    const dialog = screen.getByRole('dialog', { name: 'New custom metric' });
    await user.type(within(dialog).getByLabelText('Label'), 'Web units');
    await user.type(within(dialog).getByLabelText('Formula'), 'units');
    const name = within(dialog).getByLabelText('Name');
    await user.clear(name);
    await user.type(name, 'Web-Units');
    expect(within(dialog).getByText('Start with a lowercase letter; then lowercase letters, digits or _.')).toBeTruthy();
    expect((within(dialog).getByRole('button', { name: 'Create metric' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('deletes a custom metric after confirmation', async () => {
    signedInAs('member');
    const served = serveCatalog([grossMargin]);
    const deleted: string[] = [];
    server.use(
      http.delete(`${FOUNDRY_URL}/metrics/custom/:id`, ({ params }) => {
        deleted.push(String(params.id));
        served.custom = [];
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const user = userEvent.setup();
    renderApp('/foundry/metrics');

    await user.click(await screen.findByRole('button', { name: 'Delete Web margin' }));
    const confirm = screen.getByRole('dialog', { name: 'Delete Web margin?' });
    await user.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(deleted).toEqual([]);

    await user.click(screen.getByRole('button', { name: 'Delete Web margin' }));
    await user.click(within(screen.getByRole('dialog', { name: 'Delete Web margin?' })).getByRole('button', { name: 'Delete metric' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(deleted).toEqual(['m-1']);
    expect(await screen.findByText('No custom metrics yet.')).toBeTruthy();
    expect(screen.getByRole('status').textContent).toBe('Deleted “Web margin”.');
  });

  it('shows viewers the catalogue without create or delete', async () => {
    signedInAs('viewer');
    serveCatalog([grossMargin]);
    renderApp('/foundry/metrics');

    const custom = await screen.findByRole('table', { name: 'Custom metrics' });
    expect(within(custom).getByText('web_margin')).toBeTruthy();
    expect(screen.getByText('Members and admins of your company can add custom metrics.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'New metric' })).toBeNull();
    expect(screen.queryByRole('button', { name: /Delete/ })).toBeNull();
  });
});
