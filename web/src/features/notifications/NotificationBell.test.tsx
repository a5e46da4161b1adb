import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../api/auth';
import { server, tokens } from '../../test/server';
import { renderApp } from '../../test/render';
import { me, organization } from '../../test/fixtures';

function note(id: string, title: string, read = false) {
  return { id, kind: 'security', title, body: null, link: '/security/issues', data: {}, created_at: '2026-12-01T08:00:00Z', read_at: read ? '2026-12-01T08:05:00Z' : null };
}

/** An event stream the test writes to while the bell reads it. */
function liveStream() {
  const encoder = new TextEncoder();
  let push: (text: string) => void = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      push = (text) => controller.enqueue(encoder.encode(text));
    },
  });
  return { body, send: (event: string, data: unknown) => push(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`) };
}

describe('NotificationBell', () => {
  it('shows the unread count, adds what the stream pushes and marks all as read', async () => {
    session.setTokens(tokens('access-1'));
    tenantStore.set('t1');
    const stream = liveStream();
    let markedBody: unknown = null;
    let listed = [note('n1', 'Port 3389 is open')];
    server.use(
      http.get('*/api/auth/me', () => HttpResponse.json(me)),
      http.get('*/api/organization', () => HttpResponse.json(organization)),
      http.get('*/api/notifications', () => HttpResponse.json({ items: listed, unread: listed.filter((n) => !n.read_at).length })),
      http.get('*/api/notifications/stream', () => new HttpResponse(stream.body, { headers: { 'Content-Type': 'text/event-stream' } })),
      http.post('*/api/notifications/read', async ({ request }) => {
        markedBody = await request.json();
        listed = listed.map((n) => ({ ...n, read_at: '2026-12-01T09:00:00Z' }));
        return HttpResponse.json({ marked: 2 });
      }),
    );
    const user = userEvent.setup();
    renderApp('/');
    expect((await screen.findByTestId('unread-count')).textContent).toBe('1');

    stream.send('ready', { unread: 1 });
    await waitFor(() => expect(document.querySelector('[data-stream="live"]')).toBeTruthy());
    const pushed = note('n2', 'The certificate of shop.example expires in 7 days');
    listed = [pushed, ...listed];
    stream.send('notification', pushed);
    await waitFor(() => expect(screen.getByTestId('unread-count').textContent).toBe('2'));

    await user.click(screen.getByRole('button', { name: 'Notifications, 2 unread' }));
    const panel = screen.getByRole('dialog', { name: 'Notifications' });
    expect(panel.textContent).toContain('The certificate of shop.example expires in 7 days');
    expect(panel.textContent).toContain('Port 3389 is open');
    await user.click(screen.getByRole('button', { name: 'Mark all as read' }));
    await waitFor(() => expect(screen.queryByTestId('unread-count')).toBeNull());
    expect(markedBody).toEqual({ ids: null });
  });
});
