import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../../api/auth';
import { me, organization } from '../../../test/fixtures';
import { problem, server, tokens } from '../../../test/server';
import { renderApp } from '../../../test/render';
import type { Delivery, Endpoint } from './types';

const endpoint: Endpoint = {
  id: 'e1',
  url: 'https://erp.example.com/hooks',
  description: 'ERP',
  events: ['order.created'],
  enabled: true,
  secret_last4: 'AbCd',
  disabled_reason: null,
  disabled_at: null,
  failed_messages_in_row: 0,
  failing_since: null,
  previous_secret_expires_at: null,
  created_at: '2026-12-01T10:00:00Z',
  updated_at: '2026-12-01T10:00:00Z',
};
const disabled: Endpoint = {
  ...endpoint,
  id: 'e2',
  url: 'https://gone.example.com/hooks',
  enabled: false,
  disabled_reason: 'The endpoint answered 410 Gone.',
};
const delivery: Delivery = {
  id: 'd1',
  endpoint_id: 'e1',
  message_id: 'msg_42',
  event_type: 'order.created',
  status: 'failed',
  attempts: 3,
  response_status: 500,
  duration_ms: 120,
  error: 'The endpoint answered 500.',
  last_attempt_at: '2026-12-01T10:05:00Z',
  next_attempt_at: null,
  redelivery_of: null,
  created_at: '2026-12-01T10:00:00Z',
  request_body: '{"type":"order.created","timestamp":"2026-12-01T10:00:00Z","data":{"order_id":"o1"}}',
  response_body: 'internal error',
  attempt_log: [
    { attempt: 1, at: '2026-12-01T10:00:00Z', response_status: 500, duration_ms: 100, error: 'The endpoint answered 500.' },
    { attempt: 2, at: '2026-12-01T10:00:05Z', response_status: 500, duration_ms: 110, error: 'The endpoint answered 500.' },
    { attempt: 3, at: '2026-12-01T10:05:05Z', response_status: 500, duration_ms: 120, error: 'The endpoint answered 500.' },
  ],
};
const eventTypes = [
  { type: 'order.created', module: 'connectors', description: 'An order was added.' },
  { type: 'task.created', module: 'ops-copilot', description: 'A task was created.' },
];

function signIn() {
  session.setTokens(tokens('access-1'));
  tenantStore.set('t1');
  server.use(http.get('*/api/organization', () => HttpResponse.json(organization)));
}

describe('WebhooksSettings', () => {
  it('lists endpoints with their status, creates one with picked events and shows its secret once', async () => {
    signIn();
    let created: unknown = null;
    server.use(
      http.get('*/api/auth/me', () => HttpResponse.json(me)),
      http.get('*/api/webhooks', () => HttpResponse.json([endpoint, disabled])),
      http.get('*/api/webhooks/event-types', () => HttpResponse.json(eventTypes)),
      http.post('*/api/webhooks', async ({ request }) => {
        created = await request.json();
        return HttpResponse.json({ ...endpoint, id: 'e3', url: 'https://new.example.com/h', secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' }, { status: 201 });
      }),
    );
    const user = userEvent.setup();
    renderApp('/settings/webhooks');

    const table = await screen.findByRole('table', { name: 'Webhook endpoints' }, { timeout: 10_000 });
    expect(within(table).getByText('https://erp.example.com/hooks')).toBeTruthy();
    expect(within(table).getByText('Enabled')).toBeTruthy();
    expect(within(table).getByText('Disabled')).toBeTruthy();
    expect(within(table).getByText('The endpoint answered 410 Gone.')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Webhooks' })).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Add endpoint' }));
    const dialog = await screen.findByRole('dialog', { name: 'Add webhook endpoint' });
    await user.type(within(dialog).getByLabelText(/Endpoint URL/), 'https://new.example.com/h');
    await user.click(await within(dialog).findByLabelText('task.created'));
    await user.click(within(dialog).getByRole('button', { name: 'Add endpoint' }));

    await waitFor(() => expect(created).toEqual({ url: 'https://new.example.com/h', events: ['task.created'], description: null }));
    expect(await screen.findByText(/won't be shown again/)).toBeTruthy();
    expect((screen.getByLabelText('Signing secret') as HTMLInputElement).value).toBe('whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0');
    await user.click(screen.getByRole('button', { name: "I've stored it safely" }));
    expect(screen.queryByText(/won't be shown again/)).toBeNull();
  }, 30_000);

  it('shows the deliveries log with status chips, filters by status, opens the details and redelivers', async () => {
    signIn();
    const asked: string[] = [];
    let redelivered = false;
    server.use(
      http.get('*/api/auth/me', () => HttpResponse.json(me)),
      http.get('*/api/webhooks', () => HttpResponse.json([endpoint])),
      http.get('*/api/webhooks/e1/deliveries', ({ request }) => {
        asked.push(new URL(request.url).searchParams.get('status') ?? '');
        return HttpResponse.json({ items: [delivery], total: 1, limit: 20, offset: 0 });
      }),
      http.get('*/api/webhooks/e1/deliveries/d1', () => HttpResponse.json(delivery)),
      http.post('*/api/webhooks/e1/deliveries/d1/redeliver', () => {
        redelivered = true;
        return HttpResponse.json({ ...delivery, id: 'd2', status: 'pending', attempts: 0, redelivery_of: 'd1' }, { status: 202 });
      }),
    );
    const user = userEvent.setup();
    renderApp('/settings/webhooks');

    await user.click(await screen.findByRole('button', { name: 'Deliveries of https://erp.example.com/hooks' }, { timeout: 10_000 }));
    const log = await screen.findByRole('table', { name: 'Deliveries' });
    expect(within(log).getByText('Failed')).toBeTruthy();
    expect(within(log).getByText('500')).toBeTruthy();

    await user.selectOptions(screen.getByLabelText('Status'), 'failed');
    await waitFor(() => expect(asked).toContain('failed'));

    await user.click(screen.getByRole('button', { name: 'Details of order.created msg_42' }));
    const drawer = await screen.findByRole('dialog', { name: 'Delivery details' });
    expect(await within(drawer).findByText('internal error')).toBeTruthy();
    expect(within(drawer).getByText(/"order_id":"o1"/)).toBeTruthy();
    expect(within(drawer).getByText('120 ms')).toBeTruthy();
    expect(within(drawer).getAllByRole('listitem')).toHaveLength(3);
    await user.click(within(drawer).getByRole('button', { name: 'Close dialog' }));

    await user.click(screen.getByRole('button', { name: 'Redeliver order.created msg_42' }));
    await waitFor(() => expect(redelivered).toBe(true));
  }, 30_000);

  it('sends a test, disables an endpoint and shows problems', async () => {
    signIn();
    let patched: unknown = null;
    server.use(
      http.get('*/api/auth/me', () => HttpResponse.json(me)),
      http.get('*/api/webhooks', () => HttpResponse.json([endpoint])),
      http.get('*/api/webhooks/e1/deliveries', () => HttpResponse.json({ items: [], total: 0, limit: 20, offset: 0 })),
      http.post('*/api/webhooks/e1/test', () => HttpResponse.json({ ...delivery, event_type: 'webhook.test', status: 'pending' }, { status: 202 })),
      http.patch('*/api/webhooks/e1', async ({ request }) => {
        patched = await request.json();
        return problem(409, 'CONFLICT', 'Conflict', 'Something changed meanwhile.');
      }),
    );
    const user = userEvent.setup();
    renderApp('/settings/webhooks');

    await user.click(await screen.findByRole('button', { name: 'Send test to https://erp.example.com/hooks' }, { timeout: 10_000 }));
    expect(await screen.findByText(/A test message is on its way/)).toBeTruthy();
    expect(await screen.findByText('No deliveries yet.')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Disable https://erp.example.com/hooks' }));
    await waitFor(() => expect(patched).toEqual({ enabled: false }));
    expect(await screen.findByText('Something changed meanwhile.')).toBeTruthy();
  }, 30_000);

  it('is for admins only', async () => {
    signIn();
    server.use(http.get('*/api/auth/me', () => HttpResponse.json({ ...me, current_tenant: { ...me.current_tenant, role: 'member' } })));
    renderApp('/settings/webhooks');
    expect(await screen.findByText('Admins only', undefined, { timeout: 10_000 })).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Webhooks' })).toBeNull();
  }, 30_000);
});
