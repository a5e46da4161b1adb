import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../api/auth';
import { me, organization } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { problem, server, tokens } from '../../test/server';
import { CONNECTION_ID, connection, counts, overview, run } from './connectionsFixtures';
import type { ConnectorsOverview, SyncRun } from './connectionsApi';
import { CONNECTED_MESSAGE } from './oauthPopup';

const QB = 'QuickBooks Online (9130)';
const AUTH_URL = 'https://app.hubspot.com/oauth/authorize?client_id=abc&state=s1';

/** Signs in with `role`; the overview answers whatever `state.overview` holds at the time of the request. */
function signedIn(role: 'admin' | 'member' | 'viewer', initial: ConnectorsOverview = overview()) {
  const state = { overview: initial, overviewRequests: 0 };
  session.setTokens(tokens('access-1'));
  tenantStore.set('t1');
  server.use(
    http.get('*/api/auth/me', () => HttpResponse.json({ ...me, current_tenant: { id: 't1', name: 'Acme Ltd', role } })),
    http.get('*/api/organization', () => HttpResponse.json(organization)),
    http.get('*/api/connectors/files/entities', () => HttpResponse.json({ items: [] })),
    http.get('*/api/connectors/files', () => HttpResponse.json({ items: [], total: 0, limit: 10, offset: 0 })),
    http.get('*/api/connectors', () => {
      state.overviewRequests += 1;
      return HttpResponse.json(state.overview);
    }),
  );
  return state;
}

function fakePopup() {
  const popup = { closed: false, focus: vi.fn(), close: vi.fn() };
  const open = vi.spyOn(window, 'open').mockImplementation(() => popup as unknown as Window);
  return { popup, open };
}

function running(records: SyncRun['records']): SyncRun {
  return run({ id: 'run-2', status: 'running', finished_at: null, duration_ms: null, records });
}

describe('App connections: the catalogue', () => {
  it('groups the apps by category with what they bring in, how they connect, and why one cannot be connected', async () => {
    signedIn('admin');
    renderApp('/connectors');
    const commerce = await screen.findByRole('list', { name: 'Commerce apps' });
    expect(screen.getAllByRole('heading', { level: 3 }).map((h) => h.textContent)).toEqual(
      expect.arrayContaining(['Commerce', 'Payments', 'CRM', 'Accounting', 'E-mail and calendar']),
    );
    const shopify = within(commerce).getByRole('listitem', { name: 'Shopify' });
    expect(shopify.textContent).toContain('Brings in products, orders, order items, customers and refunds');
    expect(within(shopify).getByText('Sign-in or access token')).toBeTruthy();
    expect(within(shopify).getByRole('button', { name: 'Connect Shopify with an access token' })).toBeTruthy();

    const square = within(commerce).getByRole('button', { name: 'Connect Square' }) as HTMLButtonElement;
    expect(square.disabled).toBe(true);
    expect(document.getElementById(square.getAttribute('aria-describedby')!)?.textContent).toBe('An administrator must configure the OAuth app.');

    const xero = screen.getByRole('listitem', { name: 'Xero' });
    expect(within(xero).getByText('Coming soon')).toBeTruthy();
    expect(within(xero).queryByRole('button')).toBeNull();
    expect(within(screen.getByRole('listitem', { name: 'Stripe' })).getByText('API key')).toBeTruthy();
    // Files come in through the import wizard, not as an app.
    expect(screen.queryByRole('listitem', { name: 'File import (CSV/XLSX)' })).toBeNull();
    expect(screen.getByText('No apps connected yet')).toBeTruthy();
  });

  it('lets only admins connect', async () => {
    signedIn('viewer');
    renderApp('/connectors');
    const hubspot = await screen.findByRole('button', { name: 'Connect HubSpot' });
    await waitFor(() => expect((hubspot as HTMLButtonElement).disabled).toBe(true));
    expect(within(screen.getByRole('listitem', { name: 'HubSpot' })).getByText('Only admins can connect apps.')).toBeTruthy();
  });
});

describe('App connections: connecting with a key', () => {
  it('sends the key from password inputs, closes the form and follows the first sync', async () => {
    const state = signedIn('admin');
    let sent: unknown = null;
    const stripe = connection({ type: 'stripe', name: 'Stripe', record_counts: {}, last_sync_at: null, last_run: running({}) });
    server.use(
      http.post('*/api/connectors', async ({ request }) => {
        sent = await request.json();
        state.overview = overview([{ ...stripe, last_run: run({ id: 'run-2', status: 'queued', started_at: null, finished_at: null, duration_ms: null }) }]);
        return HttpResponse.json({ connection: stripe, run_id: 'run-2' }, { status: 201 });
      }),
      http.get(`*/api/connectors/${CONNECTION_ID}/runs/run-2`, () => HttpResponse.json(running({ customers: counts({ fetched: 40 }) }))),
    );
    const user = userEvent.setup();
    renderApp('/connectors');
    await user.click(await screen.findByRole('button', { name: 'Connect Stripe' }));
    const dialog = await screen.findByRole('dialog', { name: 'Connect Stripe with a key' });
    const key = within(dialog).getByLabelText('Restricted API key') as HTMLInputElement;
    const secret = within(dialog).getByLabelText('Webhook signing secret (optional)') as HTMLInputElement;
    expect([key.type, secret.type]).toEqual(['password', 'password']);
    await user.type(key, 'rk_live_51Hx');
    await user.type(secret, 'whsec_9f');
    await user.click(within(dialog).getByRole('button', { name: 'Connect' }));

    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(sent).toEqual({ type: 'stripe', name: null, credentials: { api_key: 'rk_live_51Hx' }, webhook_secret: 'whsec_9f' });
    const list = await screen.findByRole('list', { name: 'Connections' });
    const progress = await within(list).findByRole('progressbar', { name: 'Sync progress' });
    await waitFor(() => expect(progress.getAttribute('aria-valuetext')).toBe('40 records fetched, 0 of 4 streams done'));
    expect(state.overviewRequests).toBeGreaterThanOrEqual(2);
    expect(screen.queryByText('rk_live_51Hx')).toBeNull();
  });

  it('shows why the provider refused the key and keeps the form open', async () => {
    signedIn('admin');
    server.use(
      http.post('*/api/connectors', () =>
        problem(400, 'CONNECTOR_CREDENTIALS_INVALID', 'Credentials refused', 'Stripe refused the key: Invalid API Key provided.'),
      ),
    );
    const user = userEvent.setup();
    renderApp('/connectors');
    await user.click(await screen.findByRole('button', { name: 'Connect Shopify with an access token' }));
    const dialog = await screen.findByRole('dialog', { name: 'Connect Shopify with a key' });
    expect((within(dialog).getByLabelText('Shop name') as HTMLInputElement).type).toBe('text');
    await user.type(within(dialog).getByLabelText('Shop name'), 'acme');
    await user.type(within(dialog).getByLabelText('Admin API access token'), 'shpat_bad');
    await user.click(within(dialog).getByRole('button', { name: 'Connect' }));

    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toContain('Stripe refused the key: Invalid API Key provided.');
    expect(screen.getByRole('dialog', { name: 'Connect Shopify with a key' })).toBeTruthy();
    expect((within(dialog).getByLabelText('Admin API access token') as HTMLInputElement).type).toBe('password');
    expect(screen.queryByText('shpat_bad')).toBeNull();
  });
});

describe('App connections: the OAuth popup', () => {
  it('opens the popup in the click, sends it to the authorization URL and refreshes when the callback reports back', async () => {
    const state = signedIn('admin');
    const { popup, open } = fakePopup();
    let asked: URL | null = null;
    server.use(
      http.get('*/api/connectors/oauth/hubspot/authorize', ({ request }) => {
        asked = new URL(request.url);
        return HttpResponse.json({ authorization_url: AUTH_URL, state: 's1', expires_in: 600 });
      }),
    );
    const user = userEvent.setup();
    renderApp('/connectors');
    await user.click(await screen.findByRole('button', { name: 'Connect HubSpot' }));

    await waitFor(() => expect(open).toHaveBeenCalledWith(AUTH_URL, 'binelek-connect', expect.stringContaining('width=600,height=700')));
    // The empty popup was opened first, while the click still allowed a new window.
    expect(open.mock.calls[0]?.slice(0, 2)).toEqual(['', 'binelek-connect']);
    expect(asked!.search).toBe('');
    expect(await screen.findByText('Finish signing in to HubSpot in the popup window.')).toBeTruthy();

    // A message from another origin is ignored; the callback page's one refreshes the page.
    const hubspot = connection({ type: 'hubspot', name: 'HubSpot (portal 62515)', last_run: null, last_sync_at: null, record_counts: {} });
    state.overview = overview([hubspot]);
    const message = { kind: CONNECTED_MESSAGE, connectionId: CONNECTION_ID };
    window.dispatchEvent(new MessageEvent('message', { data: message, origin: 'https://evil.example' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.queryByRole('list', { name: 'Connections' })).toBeNull();
    window.dispatchEvent(new MessageEvent('message', { data: message, origin: window.location.origin }));
    const list = await screen.findByRole('list', { name: 'Connections' });
    expect(within(list).getByRole('heading', { name: 'HubSpot (portal 62515)' })).toBeTruthy();

    // A popup cut loose from its opener (Cross-Origin-Opener-Policy) reports on the broadcast channel.
    state.overview = overview([hubspot, connection({ id: 'c2', type: 'hubspot', name: 'HubSpot (portal 7)', last_run: null })]);
    const channel = new BroadcastChannel('binelek:connectors');
    channel.postMessage({ kind: CONNECTED_MESSAGE, connectionId: 'c2' });
    channel.close();
    expect(await within(list).findByRole('heading', { name: 'HubSpot (portal 7)' })).toBeTruthy();

    popup.closed = true;
    await waitFor(() => expect(screen.queryByText('Finish signing in to HubSpot in the popup window.')).toBeNull());
  });

  it('asks for the account details first: the Entra tenant (default common) and the Zoho region', async () => {
    signedIn('admin');
    const { open } = fakePopup();
    const asked: Record<string, string>[] = [];
    server.use(
      http.get('*/api/connectors/oauth/:type/authorize', ({ request, params }) => {
        asked.push(Object.fromEntries(new URL(request.url).searchParams));
        return HttpResponse.json({ authorization_url: `https://login.example/${String(params.type)}`, state: 's', expires_in: 600 });
      }),
    );
    const user = userEvent.setup();
    renderApp('/connectors');
    await user.click(await screen.findByRole('button', { name: 'Connect Outlook' }));
    let dialog = await screen.findByRole('dialog', { name: 'Connect Outlook' });
    expect((within(dialog).getByLabelText('Microsoft Entra tenant') as HTMLInputElement).value).toBe('common');
    await user.click(within(dialog).getByRole('button', { name: 'Continue to Outlook' }));
    await waitFor(() => expect(open).toHaveBeenCalledWith('https://login.example/outlook', 'binelek-connect', expect.any(String)));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());

    await user.click(screen.getByRole('button', { name: 'Connect Zoho CRM' }));
    dialog = await screen.findByRole('dialog', { name: 'Connect Zoho CRM' });
    await user.selectOptions(within(dialog).getByLabelText('Zoho region'), 'accounts.zoho.eu');
    await user.click(within(dialog).getByRole('button', { name: 'Continue to Zoho CRM' }));
    await waitFor(() => expect(open).toHaveBeenCalledWith('https://login.example/zoho_crm', 'binelek-connect', expect.any(String)));
    expect(asked).toEqual([{ tenant: 'common' }, { accounts_domain: 'accounts.zoho.eu' }]);
  });

  it('closes the empty popup and explains when the install has no OAuth app', async () => {
    signedIn('admin');
    const { popup } = fakePopup();
    server.use(
      http.get('*/api/connectors/oauth/shopify/authorize', () =>
        problem(409, 'CONNECTOR_NOT_CONFIGURED', 'Not configured', 'No OAuth app is configured for Shopify; an administrator sets CONNECTOR_CLIENTS.'),
      ),
    );
    const user = userEvent.setup();
    renderApp('/connectors');
    await user.click(await screen.findByRole('button', { name: 'Connect Shopify' }));
    const dialog = await screen.findByRole('dialog', { name: 'Connect Shopify' });
    await user.type(within(dialog).getByLabelText('Shop name'), 'acme');
    await user.click(within(dialog).getByRole('button', { name: 'Continue to Shopify' }));
    expect((await within(dialog).findByRole('alert')).textContent).toContain('No OAuth app is configured for Shopify');
    expect(within(dialog).getByText('You can connect Shopify with an access token instead.')).toBeTruthy();
    expect(popup.close).toHaveBeenCalled();
  });
});

describe('App connections: status, syncing, history, disconnecting', () => {
  it('syncs now and shows the records fetched per stream until the run completes', async () => {
    const state = signedIn('admin', overview([connection()]));
    let polls = 0;
    let requested = false;
    server.use(
      http.post(`*/api/connectors/sync/${CONNECTION_ID}`, () => {
        requested = true;
        return HttpResponse.json({ run_id: 'run-2', status: 'queued' }, { status: 202 });
      }),
      http.get(`*/api/connectors/${CONNECTION_ID}/runs/run-2`, () => {
        polls += 1;
        if (polls === 1) return HttpResponse.json(running({ customers: counts({ fetched: 50 }) }));
        if (polls === 2) return HttpResponse.json(running({ customers: counts({ fetched: 125, pages: 3 }), invoices: counts({ fetched: 10 }) }));
        const done = run({ id: 'run-2', finished_at: new Date().toISOString(), records: { customers: counts({ fetched: 125, updated: 5 }), invoices: counts({ fetched: 12 }), payments: counts({ fetched: 3 }) } });
        state.overview = overview([connection({ record_counts: { customers: 125, invoices: 340, payments: 290 }, last_run: done, last_sync_at: new Date().toISOString() })]);
        return HttpResponse.json(done);
      }),
    );
    const user = userEvent.setup();
    renderApp('/connectors');
    const item = await screen.findByRole('listitem', { name: QB });
    expect(within(item).getByText('Active')).toBeTruthy();
    expect(within(item).getByText('5 minutes ago')).toBeTruthy();
    expect(within(item).getByLabelText(`Records from ${QB}`).textContent).toContain('invoices340');

    await user.click(within(item).getByRole('button', { name: `Sync ${QB} now` }));
    const progress = await within(item).findByRole('progressbar', { name: 'Sync progress' });
    expect(requested).toBe(true);
    await waitFor(() => expect(progress.getAttribute('aria-valuetext')).toBe('50 records fetched, 0 of 3 streams done'));
    expect((within(item).getByRole('button', { name: `Sync ${QB} now` }) as HTMLButtonElement).disabled).toBe(true);
    await waitFor(() => expect(progress.getAttribute('aria-valuetext')).toBe('135 records fetched, 1 of 3 streams done'), { timeout: 3000 });
    const perStream = within(item).getByRole('list', { name: 'Records fetched per stream' });
    expect(within(perStream).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['customers (done)125 ✓', 'invoices (syncing)10', 'payments (waiting)0']);

    await waitFor(() => expect(within(item).queryByRole('progressbar')).toBeNull(), { timeout: 3000 });
    expect(await within(item).findByText(/Last sync completed just now: 140 records in 12.4 s/)).toBeTruthy();
    await waitFor(() => expect(within(item).getByLabelText(`Records from ${QB}`).textContent).toContain('customers125'));
    expect(polls).toBe(3);
  });

  it('shows the sync history as a chart and a table of runs', async () => {
    signedIn('admin', overview([connection()]));
    const runs = [
      run({
        id: 'run-3',
        trigger: 'webhook',
        status: 'failed',
        duration_ms: 65_000,
        records: { customers: counts({ fetched: 3, updated: 2, failed: 1 }) },
        errors: [{ stream: 'customers', message: 'The provider kept answering 429 after 5 retries.' }],
        requests: 9,
        throttled: 5,
      }),
      run({
        id: 'run-1',
        trigger: 'initial',
        records: { customers: counts({ fetched: 120, created: 120, pages: 2 }), invoices: counts({ fetched: 340, created: 340, pages: 4 }) },
        requests: 6,
      }),
    ];
    let asked: URL | null = null;
    server.use(
      http.get(`*/api/connectors/${CONNECTION_ID}/runs`, ({ request }) => {
        asked = new URL(request.url);
        return HttpResponse.json({ items: runs, total: 2, limit: 10, offset: 0 });
      }),
    );
    const user = userEvent.setup();
    renderApp('/connectors');
    const item = await screen.findByRole('listitem', { name: QB });
    const toggle = within(item).getByRole('button', { name: 'History' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    await user.click(toggle);
    const table = await within(item).findByRole('table', { name: `Sync history of ${QB}` });
    expect(asked!.searchParams.get('limit')).toBe('10');
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    const cells = (row: HTMLElement) => within(row).getAllByRole('cell').map((cell) => cell.textContent);
    const [failed, first] = [cells(rows[1]!), cells(rows[2]!)];
    // Trigger, status, started, duration, records, requests, throttled, errors.
    expect([failed[0], failed[1], failed[3], failed[4], failed[5], failed[6], failed[7]]).toEqual([
      'Webhook',
      'Failed',
      '1 min 5 s',
      'customers: 2 updated, 1 failed',
      '9',
      '5',
      'customers: The provider kept answering 429 after 5 retries.',
    ]);
    expect([first[0], first[1], first[3], first[4], first[5], first[6], first[7]]).toEqual([
      'First sync',
      'Completed',
      '12.4 s',
      'customers: 120 createdinvoices: 340 created',
      '6',
      '0',
      '—',
    ]);

    const chart = within(item).getByRole('img', { name: `Records per sync of ${QB} 2 syncs shown, 462 records created or updated.` });
    expect(Array.from(chart.querySelectorAll('rect title')).map((t) => t.textContent?.split(' — ')[1])).toEqual([
      'Created: 460 records',
      'Updated: 2 records',
      'Failed: 1 records',
    ]);
    await user.click(within(item).getByRole('button', { name: 'Hide history' }));
    expect(within(item).queryByRole('table', { name: `Sync history of ${QB}` })).toBeNull();
  });

  it('disconnects keeping the data after asking', async () => {
    const state = signedIn('admin', overview([connection()]));
    let deleted: URL | null = null;
    server.use(
      http.delete(`*/api/connectors/${CONNECTION_ID}`, ({ request }) => {
        deleted = new URL(request.url);
        state.overview = overview([connection({ status: 'disconnected' })]);
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const user = userEvent.setup();
    renderApp('/connectors');
    const item = await screen.findByRole('listitem', { name: QB });
    await user.click(within(item).getByRole('button', { name: `Disconnect ${QB}` }));
    const dialog = await screen.findByRole('dialog', { name: `Disconnect ${QB}?` });
    expect(within(dialog).getByRole('group', { name: 'The 750 records it brought in' })).toBeTruthy();
    expect((within(dialog).getByLabelText('Keep the data') as HTMLInputElement).checked).toBe(true);
    await user.click(within(dialog).getByLabelText('Delete the data'));
    expect(within(dialog).getByRole('button', { name: 'Disconnect and delete data' })).toBeTruthy();
    await user.click(within(dialog).getByLabelText('Keep the data'));
    await user.click(within(dialog).getByRole('button', { name: 'Disconnect' }));

    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(deleted!.searchParams.get('keep_data')).toBe('true');
    expect(await within(screen.getByRole('listitem', { name: QB })).findByText('Disconnected. The records it brought in were kept.')).toBeTruthy();
    expect(within(screen.getByRole('listitem', { name: QB })).queryByRole('button', { name: `Sync ${QB} now` })).toBeNull();
  });

  it('shows why a connection failed and offers to reconnect instead of syncing', async () => {
    signedIn('admin', overview([connection({ status: 'error', last_error: 'QuickBooks refused the refresh token (invalid_grant); connect again.' })]));
    renderApp('/connectors');
    const item = await screen.findByRole('listitem', { name: QB });
    expect(within(item).getByText('Error')).toBeTruthy();
    expect(within(item).getByRole('alert').textContent).toContain('QuickBooks refused the refresh token (invalid_grant); connect again.');
    expect(within(item).getByRole('button', { name: `Reconnect ${QB}` })).toBeTruthy();
    expect(within(item).queryByRole('button', { name: `Sync ${QB} now` })).toBeNull();
  });
});
