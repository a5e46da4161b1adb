import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../../api/auth';
import { me } from '../../../test/fixtures';
import { renderWithProviders } from '../../../test/render';
import { problem, server, tokens } from '../../../test/server';
import { DataSourcesPage } from './DataSourcesPage';
import type { DataSourceOut } from './types';

const FOUNDRY = '*/api/modules/mini-foundry';
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

const shopify: DataSourceOut = {
  id: null,
  kind: 'connection',
  name: 'Roastery Shopify',
  type: 'shopify',
  status: 'active',
  record_counts: { orders: 1204, customers: 310, order_items: 2980 },
  last_synced_at: hoursAgo(3),
  quality: {
    completeness: 0.972,
    duplicates: 3,
    checked_columns: ['customers.email', 'customers.name', 'orders.total'],
    duplicates_by: { 'customers.email': 3 },
  },
  detail: { connection_id: 'c1', last_error: null },
};

const files: DataSourceOut = {
  id: null,
  kind: 'file_import',
  name: 'File imports',
  type: 'file',
  status: 'empty',
  record_counts: {},
  last_synced_at: null,
  quality: { completeness: null, duplicates: 0, checked_columns: [] },
  detail: { connection_id: null, imports: 0, last_import: null },
};

function warehouse(overrides: Partial<DataSourceOut> = {}): DataSourceOut {
  return {
    id: '9d5e0000-0000-4000-8000-000000000001',
    kind: 'database',
    name: 'Warehouse',
    type: 'postgresql',
    status: 'ok',
    record_counts: { 'sales.orders': 5000 },
    last_synced_at: hoursAgo(1),
    quality: { completeness: null, duplicates: null, checked_columns: [] },
    detail: {
      url_hint: 'postgresql://reader:***@db.example.com:5432/shop',
      last_error: null,
      table_count: 1,
      tables: [
        {
          schema_name: 'sales',
          name: 'orders',
          qualified_name: 'sales.orders',
          type: 'table',
          row_estimate: 5000,
          rows_exact: true,
          columns: [
            { name: 'id', type: 'integer', nullable: false },
            { name: 'total', type: 'numeric(12,2)', nullable: true },
          ],
        },
      ],
    },
    ...overrides,
  };
}

function signedInAs(role: 'admin' | 'member', sources: DataSourceOut[]) {
  session.setTokens(tokens('access-1'));
  tenantStore.set('t1');
  server.use(
    http.get('*/api/auth/me', () => HttpResponse.json({ ...me, current_tenant: { id: 't1', name: 'Acme Ltd', role } })),
    http.get(`${FOUNDRY}/data-sources`, () => HttpResponse.json(sources)),
  );
}

describe('DataSourcesPage', () => {
  it('lists sources with their type, status, record counts, freshness and quality', async () => {
    signedInAs('member', [shopify, files, warehouse()]);
    renderWithProviders(<DataSourcesPage />);

    const card = await screen.findByRole('article', { name: 'Roastery Shopify' });
    expect(within(card).getByText('Connection · Shopify')).toBeTruthy();
    expect(within(card).getByText('Connected')).toBeTruthy();
    expect(within(card).getByText('Synced 3 hours ago')).toBeTruthy();
    expect(within(card).getAllByRole('term').map((t) => t.textContent)).toEqual(['Order items', 'Orders', 'Customers']);
    expect(within(card).getAllByRole('definition').map((d) => d.textContent)).toEqual(['2,980', '1,204', '310']);
    const meter = within(card).getByRole('meter', { name: 'Roastery Shopify completeness' });
    expect(meter.getAttribute('aria-valuetext')).toBe('97.2% complete');
    expect(within(card).getByText(/3 records share a key with another \(customers by email: 3\)/)).toBeTruthy();
    expect(within(card).getByRole('link', { name: 'Manage in Connectors' }).getAttribute('href')).toBe('/connectors');

    const fileCard = screen.getByRole('article', { name: 'File imports' });
    expect(within(fileCard).getByText('No files yet')).toBeTruthy();
    expect(within(fileCard).getByText('No files imported yet')).toBeTruthy();

    const db = screen.getByRole('article', { name: 'Warehouse' });
    expect(within(db).getByText('External database · PostgreSQL')).toBeTruthy();
    expect(within(db).getByText('Schema read 1 hour ago')).toBeTruthy();
    expect(within(db).getByText('postgresql://reader:***@db.example.com:5432/shop')).toBeTruthy();
    // Members read; only admins add, refresh or remove databases.
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Add database' })).toBeNull());
    expect(within(db).queryByRole('button', { name: 'Refresh Warehouse' })).toBeNull();
  });

  it('lets an admin add a database, the password going into the URL', async () => {
    const sources = [shopify, files];
    signedInAs('admin', sources);
    let posted: unknown = null;
    server.use(
      http.post(`${FOUNDRY}/data-sources`, async ({ request }) => {
        posted = await request.json();
        sources.push(warehouse());
        return HttpResponse.json(warehouse(), { status: 201 });
      }),
    );
    const user = userEvent.setup();
    renderWithProviders(<DataSourcesPage />);

    expect(await screen.findByText('No external databases')).toBeTruthy();
    await user.click(screen.getAllByRole('button', { name: 'Add database' })[0]!);
    const dialog = screen.getByRole('dialog', { name: 'Add a database' });
    await user.type(within(dialog).getByLabelText('Name'), 'Warehouse');
    await user.type(within(dialog).getByLabelText('Database URL'), 'postgresql://reader@db.example.com:5432/shop');
    const password = within(dialog).getByLabelText('Password');
    expect(password.getAttribute('type')).toBe('password');
    await user.type(password, 's3cret@1');
    await user.click(within(dialog).getByRole('button', { name: 'Add database' }));

    expect(await screen.findByRole('article', { name: 'Warehouse' })).toBeTruthy();
    expect(posted).toEqual({ name: 'Warehouse', url: 'postgresql://reader:s3cret%401@db.example.com:5432/shop' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.getByRole('status').textContent).toContain('Warehouse was added');
  });

  it('shows why a database could not be added, and URL mistakes on the field', async () => {
    signedInAs('admin', [files]);
    server.use(
      http.post(`${FOUNDRY}/data-sources`, () =>
        problem(422, 'DATA_SOURCE_UNREACHABLE', 'Data source unreachable', 'Could not connect to db.example.com:5432: connection refused.', { cause: 'refused' }),
      ),
    );
    const user = userEvent.setup();
    renderWithProviders(<DataSourcesPage />);
    await user.click((await screen.findAllByRole('button', { name: 'Add database' }))[0]!);
    const dialog = screen.getByRole('dialog', { name: 'Add a database' });
    await user.type(within(dialog).getByLabelText('Name'), 'Warehouse');
    await user.type(within(dialog).getByLabelText('Database URL'), 'http://db.example.com/shop');
    await user.click(within(dialog).getByRole('button', { name: 'Add database' }));
    expect(within(dialog).getByLabelText('Database URL').getAttribute('aria-invalid')).toBe('true');
    expect(within(dialog).getByText('Start the URL with postgresql://, mysql:// or sqlite:///.')).toBeTruthy();

    await user.clear(within(dialog).getByLabelText('Database URL'));
    await user.type(within(dialog).getByLabelText('Database URL'), 'postgresql://reader:pw@db.example.com/shop');
    await user.click(within(dialog).getByRole('button', { name: 'Add database' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toContain('Could not add the database');
    expect(alert.textContent).toContain('connection refused');

    // A SQLite file has no password field.
    await user.clear(within(dialog).getByLabelText('Database URL'));
    await user.type(within(dialog).getByLabelText('Database URL'), 'sqlite:///data/shop.db');
    expect(within(dialog).queryByLabelText('Password')).toBeNull();
  });

  it('previews a table, refreshes and removes a database', async () => {
    const sources = [files, warehouse()];
    signedInAs('admin', sources);
    const previews: string[] = [];
    let deleted = '';
    server.use(
      http.get(`${FOUNDRY}/data-sources/:id/tables/:table/preview`, ({ params, request }) => {
        previews.push(`${String(params.table)}?${new URL(request.url).searchParams.toString()}`);
        return HttpResponse.json({ table: 'sales.orders', columns: ['id', 'total'], rows: [[1, 12.5], [2, null]], limit: 50, truncated: true });
      }),
      http.post(`${FOUNDRY}/data-sources/:id/refresh`, () =>
        HttpResponse.json(warehouse({ status: 'error', detail: { ...warehouse().detail, last_error: 'Could not connect: timeout.' } })),
      ),
      http.delete(`${FOUNDRY}/data-sources/:id`, ({ params }) => {
        deleted = String(params.id);
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const user = userEvent.setup();
    renderWithProviders(<DataSourcesPage />);

    const db = await screen.findByRole('article', { name: 'Warehouse' });
    await user.click(within(db).getByText('1 table'));
    await user.click(within(db).getByRole('button', { name: 'Preview sales.orders' }));
    const dialog = screen.getByRole('dialog', { name: 'sales.orders' });
    const table = await within(dialog).findByRole('table', { name: 'First rows of sales.orders' });
    expect(within(table).getAllByRole('row').map((r) => r.textContent)).toEqual(['idintegertotalnumeric(12,2)', '112.5', '2∅']);
    expect(within(dialog).getByText(/The first 2 rows/)).toBeTruthy();
    expect(previews).toEqual(['sales.orders?limit=50']);
    await user.click(within(dialog).getByRole('button', { name: 'Close dialog' }));

    await user.click(within(db).getByRole('button', { name: 'Refresh Warehouse' }));
    expect(await within(db).findByText('Could not connect: timeout.')).toBeTruthy();
    expect(within(db).getByText('Error')).toBeTruthy();

    await user.click(within(db).getByRole('button', { name: 'Remove Warehouse' }));
    const confirm = screen.getByRole('dialog', { name: 'Remove Warehouse?' });
    await user.click(within(confirm).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(screen.queryByRole('article', { name: 'Warehouse' })).toBeNull());
    expect(deleted).toBe(warehouse().id);
    expect(screen.getByText('No external databases')).toBeTruthy();
  });
});
