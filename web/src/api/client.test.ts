import { describe, expect, it, vi } from 'vitest';
import { http, HttpResponse, delay } from 'msw';
import { server, problem, tokens } from '../test/server';
import { session, tenantStore } from './auth';
import { api, refreshSession, unwrap } from './client';
import { ApiError, fieldErrors } from './problem';

const members = { items: [], total: 0, limit: 20, offset: 0 };

describe('API client auth handling', () => {
  it('sends the bearer token and selected tenant, with same-origin credentials', async () => {
    session.setTokens(tokens('access-1'));
    tenantStore.set('tenant-42');
    let seen: Request | null = null;
    server.use(
      http.get('*/api/team/members', ({ request }) => {
        seen = request;
        return HttpResponse.json(members);
      }),
    );
    await unwrap(api.GET('/api/team/members'));
    expect(seen!.headers.get('Authorization')).toBe('Bearer access-1');
    expect(seen!.headers.get('X-Tenant-ID')).toBe('tenant-42');
    expect(seen!.credentials).toBe('same-origin');
  });

  it('omits X-Tenant-ID when no tenant is selected', async () => {
    session.setTokens(tokens('access-1'));
    let tenantHeader: string | null = 'unset';
    server.use(
      http.get('*/api/team/members', ({ request }) => {
        tenantHeader = request.headers.get('X-Tenant-ID');
        return HttpResponse.json(members);
      }),
    );
    await unwrap(api.GET('/api/team/members'));
    expect(tenantHeader).toBeNull();
  });

  it('refreshes once for 3 concurrent 401s and retries each request once', async () => {
    session.setTokens(tokens('stale'));
    let refreshCalls = 0;
    let refreshBody: unknown = null;
    const authHeaders: string[] = [];
    server.use(
      http.post('*/api/auth/refresh', async ({ request }) => {
        refreshCalls += 1;
        refreshBody = await request.json();
        await delay(30);
        return HttpResponse.json(tokens('fresh'));
      }),
      http.get('*/api/team/members', async ({ request }) => {
        const auth = request.headers.get('Authorization') ?? '';
        authHeaders.push(auth);
        if (auth !== 'Bearer fresh') return problem(401, 'AUTH_TOKEN_EXPIRED', 'Token expired', 'The access token has expired.');
        return HttpResponse.json(members);
      }),
    );

    const results = await Promise.all([
      unwrap(api.GET('/api/team/members')),
      unwrap(api.GET('/api/team/members', { params: { query: { offset: 0 } } })),
      unwrap(api.GET('/api/team/members', { params: { query: { limit: 5 } } })),
    ]);

    expect(results).toHaveLength(3);
    expect(refreshCalls).toBe(1);
    expect(refreshBody).toEqual({});
    expect(authHeaders.filter((h) => h === 'Bearer stale')).toHaveLength(3);
    expect(authHeaders.filter((h) => h === 'Bearer fresh')).toHaveLength(3);
    expect(session.getAccessToken()).toBe('fresh');
  });

  it('never stores the refresh token from a response body', async () => {
    server.use(http.post('*/api/auth/refresh', () => HttpResponse.json(tokens('fresh'))));
    expect(await refreshSession()).toBe(true);
    expect(session.getAccessToken()).toBe('fresh');
    const stored = JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie;
    expect(stored).not.toContain('refresh-fresh');
    expect(JSON.stringify(session.getState())).not.toContain('refresh-fresh');
  });

  it('logs out when the refresh fails', async () => {
    session.setTokens(tokens('stale'));
    const expired = vi.fn();
    session.onExpired(expired);
    let refreshCalls = 0;
    let memberCalls = 0;
    server.use(
      http.post('*/api/auth/refresh', () => {
        refreshCalls += 1;
        return problem(401, 'AUTH_INVALID_TOKEN', 'Invalid token', 'The refresh token is invalid or expired.');
      }),
      http.get('*/api/team/members', () => {
        memberCalls += 1;
        return problem(401, 'AUTH_TOKEN_EXPIRED', 'Token expired', 'The access token has expired.');
      }),
    );

    const error = await unwrap(api.GET('/api/team/members')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(refreshCalls).toBe(1);
    expect(memberCalls).toBe(1);
    expect(session.getState()).toMatchObject({ status: 'anonymous', accessToken: null, expired: true });
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it('does not retry a request twice', async () => {
    session.setTokens(tokens('stale'));
    let refreshCalls = 0;
    let memberCalls = 0;
    server.use(
      http.post('*/api/auth/refresh', () => {
        refreshCalls += 1;
        return HttpResponse.json(tokens(`fresh-${refreshCalls}`));
      }),
      http.get('*/api/team/members', () => {
        memberCalls += 1;
        return problem(401, 'AUTH_REQUIRED', 'Not authenticated', 'Still not accepted.');
      }),
    );

    const error = await unwrap(api.GET('/api/team/members')).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(401);
    expect(memberCalls).toBe(2);
    expect(refreshCalls).toBe(1);
  });

  it('does not refresh on a failed login', async () => {
    let refreshCalls = 0;
    server.use(
      http.post('*/api/auth/refresh', () => {
        refreshCalls += 1;
        return HttpResponse.json(tokens('fresh'));
      }),
      http.post('*/api/auth/login', () => problem(401, 'AUTH_INVALID_CREDENTIALS', 'Invalid credentials', 'Wrong email or password.')),
    );
    const error = await unwrap(api.POST('/api/auth/login', { body: { email: 'a@b.co', password: 'nope' } })).catch((e: unknown) => e);
    expect((error as ApiError).code).toBe('AUTH_INVALID_CREDENTIALS');
    expect(refreshCalls).toBe(0);
  });

  it('parses problem+json, field errors and Retry-After', async () => {
    session.setTokens(tokens('a'));
    server.use(
      http.put('*/api/organization', () =>
        problem(422, 'VALIDATION_ERROR', 'Validation error', 'Name is required.', {
          errors: [{ loc: ['body', 'name'], msg: 'Name is required.', type: 'missing' }],
        }),
      ),
      http.post('*/api/auth/login', () => {
        const res = problem(429, 'RATE_LIMIT_EXCEEDED', 'Too many requests', 'Too many requests; try again in 30 seconds.');
        res.headers.set('Retry-After', '30');
        return res;
      }),
    );
    const e1 = (await unwrap(
      api.PUT('/api/organization', { body: { name: '', industry: null, size: null, address: null, modules: [], require_mfa_for_admins: false } }),
    ).catch((e: unknown) => e)) as ApiError;
    expect(e1.status).toBe(422);
    expect(fieldErrors(e1)).toEqual({ name: 'Name is required.' });
    const e2 = (await unwrap(api.POST('/api/auth/login', { body: { email: 'a@b.co', password: 'x' } })).catch((e: unknown) => e)) as ApiError;
    expect(e2.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(e2.retryAfter).toBe(30);
  });
});
