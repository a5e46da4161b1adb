import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';

/**
 * Shared msw server; each test registers its own handlers with server.use(...). The defaults answer
 * what the app shell asks on every page (the bell's list; its live stream is refused, so the bell
 * backs off quietly) and survive `resetHandlers()`.
 */
export const server = setupServer(
  http.get('*/api/notifications', () => HttpResponse.json({ items: [], unread: 0 })),
  http.get('*/api/notifications/stream', () => new HttpResponse(null, { status: 503 })),
  // Settings › Organization lists the organization's exports for admins.
  http.get('*/api/organization/exports', () => HttpResponse.json({ items: [], total: 0, limit: 5, offset: 0 })),
);

export const ORIGIN = 'http://localhost:3000';

export function problem(status: number, code: string, title: string, detail: string, extra: Record<string, unknown> = {}) {
  return new Response(JSON.stringify({ type: `https://binelek.dev/problems/${code.toLowerCase()}`, title, status, detail, code, ...extra }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });
}

export function tokens(access: string, tenant = { id: 't1', name: 'Acme Ltd' }) {
  return {
    access_token: access,
    refresh_token: `refresh-${access}`,
    token_type: 'bearer',
    expires_in: 900,
    user: { id: 'u1', email: 'ada@example.com', full_name: 'Ada Lovelace' },
    tenant,
  };
}
