/** Test data for the app-connection tests: the catalogue as the API lists it, connections and runs. */
import type { CatalogueEntry, Connection, ConnectorsOverview, StreamCounts, SyncRun } from './connectionsApi';

function entry(overrides: Partial<CatalogueEntry> & Pick<CatalogueEntry, 'type' | 'name' | 'category' | 'streams'>): CatalogueEntry {
  return { auth: 'oauth2', available: true, configured: true, key_fields: [], account_fields: [], ...overrides };
}

export const CATALOGUE: CatalogueEntry[] = [
  entry({
    type: 'shopify',
    name: 'Shopify',
    category: 'commerce',
    streams: ['products', 'orders', 'order_items', 'customers', 'refunds'],
    key_fields: ['shop', 'access_token'],
    account_fields: ['shop'],
  }),
  entry({ type: 'stripe', name: 'Stripe', category: 'payments', auth: 'api_key', streams: ['customers', 'payments', 'refunds', 'invoices'], key_fields: ['api_key'] }),
  entry({ type: 'square', name: 'Square', category: 'commerce', configured: false, streams: ['orders', 'order_items', 'payments', 'refunds', 'customers', 'products'] }),
  entry({ type: 'hubspot', name: 'HubSpot', category: 'crm', streams: ['contacts', 'companies', 'deals'] }),
  entry({ type: 'zoho_crm', name: 'Zoho CRM', category: 'crm', streams: ['contacts', 'companies', 'deals'], account_fields: ['accounts_domain'] }),
  entry({ type: 'xero', name: 'Xero', category: 'accounting', available: false, streams: ['customers', 'invoices', 'payments'] }),
  entry({ type: 'quickbooks', name: 'QuickBooks Online', category: 'accounting', streams: ['customers', 'invoices', 'payments'] }),
  entry({ type: 'outlook', name: 'Outlook', category: 'email', streams: ['email_messages', 'calendar_events'], account_fields: ['tenant'] }),
  entry({
    type: 'file',
    name: 'File import (CSV/XLSX)',
    category: 'files',
    auth: 'none',
    streams: ['customers', 'products', 'orders', 'order_items', 'payments', 'invoices', 'contacts', 'deals'],
  }),
];

export const CONNECTION_ID = 'c0000000-0000-4000-8000-000000000001';
export const RUN_ID = 'r0000000-0000-4000-8000-000000000001';

export function counts(values: Partial<StreamCounts>): StreamCounts {
  return { pages: 1, fetched: 0, created: 0, updated: 0, deleted: 0, failed: 0, ...values };
}

export function run(overrides: Partial<SyncRun> = {}): SyncRun {
  return {
    id: RUN_ID,
    connection_id: CONNECTION_ID,
    trigger: 'manual',
    status: 'completed',
    streams: [],
    created_at: '2026-01-10T09:00:00Z',
    started_at: '2026-01-10T09:00:01Z',
    finished_at: '2026-01-10T09:00:13Z',
    duration_ms: 12_400,
    records: {},
    errors: [],
    requests: 0,
    throttled: 0,
    detail: null,
    ...overrides,
  };
}

export function connection(overrides: Partial<Connection> = {}): Connection {
  return {
    id: CONNECTION_ID,
    type: 'quickbooks',
    name: 'QuickBooks Online (9130)',
    status: 'active',
    created_at: '2026-01-01T08:00:00Z',
    last_sync_at: new Date(Date.now() - 5 * 60_000).toISOString(),
    record_counts: { customers: 120, invoices: 340, payments: 290 },
    last_error: null,
    last_run: run({ trigger: 'initial' }),
    ...overrides,
  };
}

export function overview(connections: Connection[] = []): ConnectorsOverview {
  return { catalogue: CATALOGUE, connections };
}
