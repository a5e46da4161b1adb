import { setupServer } from 'msw/node';

/** Shared msw server; each test registers its own handlers with server.use(...). */
export const server = setupServer();

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
