import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../api/auth';
import { me, organization } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { problem, server, tokens } from '../../test/server';
import { connection, CONNECTION_ID, overview, RUN_ID } from './connectionsFixtures';
import { CONNECTED_MESSAGE } from './oauthPopup';

const SHOPIFY_REDIRECT = 'code=0907a61c0c8d55e99db179b68161bc00&hmac=700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf&host=YWNtZS5teXNob3BpZnkuY29tL2FkbWlu&shop=acme.myshopify.com&state=0.6784241404160823&timestamp=1337178173';

function signedIn() {
  session.setTokens(tokens('access-1'));
  tenantStore.set('t1');
  server.use(
    http.get('*/api/auth/me', () => HttpResponse.json(me)),
    http.get('*/api/organization', () => HttpResponse.json(organization)),
  );
}

/** The callback endpoint: records each body it is sent and answers with a new Shopify connection. */
function callbackEndpoint() {
  const bodies: unknown[] = [];
  server.use(
    http.post('*/api/connectors/oauth/shopify/callback', async ({ request }) => {
      bodies.push(await request.json());
      return HttpResponse.json({ connection: connection({ type: 'shopify', name: 'Shopify (acme)' }), run_id: RUN_ID }, { status: 201 });
    }),
  );
  return bodies;
}

function withOpener(opener: unknown) {
  Object.defineProperty(window, 'opener', { value: opener, configurable: true, writable: true });
}

afterEach(() => withOpener(null));

describe('OAuth callback page', () => {
  it('posts the code, the state and every extra of the redirect once, tells the opener and closes', async () => {
    signedIn();
    const bodies = callbackEndpoint();
    const opener = { closed: false, postMessage: vi.fn() };
    withOpener(opener);
    const close = vi.spyOn(window, 'close').mockImplementation(() => undefined);
    renderApp(`/connectors/oauth/shopify/callback?${SHOPIFY_REDIRECT}`);

    await waitFor(() => expect(close).toHaveBeenCalled());
    expect(bodies).toEqual([
      {
        code: '0907a61c0c8d55e99db179b68161bc00',
        state: '0.6784241404160823',
        hmac: '700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf',
        host: 'YWNtZS5teXNob3BpZnkuY29tL2FkbWlu',
        shop: 'acme.myshopify.com',
        timestamp: '1337178173',
      },
    ]);
    expect(opener.postMessage).toHaveBeenCalledWith({ kind: CONNECTED_MESSAGE, connectionId: CONNECTION_ID }, window.location.origin);
    expect(screen.getByRole('status').textContent).toContain('Connected Shopify (acme). The first sync has started.');
  });

  it('goes to the Connectors page when it was not opened as a popup', async () => {
    signedIn();
    const bodies = callbackEndpoint();
    server.use(
      http.get('*/api/connectors', () => HttpResponse.json(overview([connection({ type: 'shopify', name: 'Shopify (acme)', last_run: null })]))),
      http.get('*/api/connectors/files/entities', () => HttpResponse.json({ items: [] })),
      http.get('*/api/connectors/files', () => HttpResponse.json({ items: [], total: 0, limit: 10, offset: 0 })),
    );
    const heard: unknown[] = [];
    const channel = new BroadcastChannel('binelek:connectors');
    channel.onmessage = (event: MessageEvent) => heard.push(event.data);
    renderApp('/connectors/oauth/shopify/callback?code=c1&state=s1&shop=acme.myshopify.com');
    expect(await screen.findByRole('heading', { name: 'Connectors', level: 1 })).toBeTruthy();
    // Other tabs (or the page a cut-loose popup came from) hear about it on the broadcast channel.
    await waitFor(() => expect(heard).toEqual([{ kind: CONNECTED_MESSAGE, connectionId: CONNECTION_ID }]));
    channel.close();
    expect(await screen.findByRole('heading', { name: 'Shopify (acme)' })).toBeTruthy();
    expect(bodies).toEqual([{ code: 'c1', state: 's1', shop: 'acme.myshopify.com' }]);
  });

  it('shows the problem when the server refuses the state', async () => {
    signedIn();
    server.use(
      http.post('*/api/connectors/oauth/quickbooks/callback', () =>
        problem(400, 'OAUTH_STATE_INVALID', 'Invalid state', 'The sign-in expired or was already used; connect again.'),
      ),
    );
    renderApp('/connectors/oauth/quickbooks/callback?code=c1&state=old&realmId=9130');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The connection could not be finished');
    expect(alert.textContent).toContain('The sign-in expired or was already used; connect again.');
    expect(screen.getByRole('link', { name: 'Back to Connectors' })).toBeTruthy();
  });

  it('says the user declined without calling the API', async () => {
    signedIn();
    const post = vi.fn();
    server.use(http.post('*/api/connectors/oauth/:type/callback', post));
    withOpener({ closed: false, postMessage: vi.fn() });
    renderApp('/connectors/oauth/hubspot/callback?error=access_denied&error_description=The+user+denied+access&state=s1');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Access was not granted');
    expect(alert.textContent).toContain('The user denied access');
    expect(screen.getByRole('button', { name: 'Close this window' })).toBeTruthy();
    expect(post).not.toHaveBeenCalled();
  });
});
